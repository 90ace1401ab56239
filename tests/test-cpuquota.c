/* SPDX-License-Identifier: MIT */
/* test-cpuquota.c: the cgroup CPU quota (src/os/cpuquota.c): cpu.max and cfs_quota_us parsing, /proc/self/cgroup and mountinfo lines, the mount root stripped, the least quota over a fake hierarchy's ancestors. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"
#include "internal.h"

/* parse_max / parse_cfs of `text`: the code, and *floor, *ceil when set. */
static int max_of(const char *text, uint64_t *floor, uint64_t *ceil)
{
    struct coord__cpuquota q = {77, 77};
    int r = coord__cpuquota_parse_max(text, &q);
    *floor = q.floor;
    *ceil = q.ceil;
    return r;
}

static int cfs_of(const char *quota, const char *period, uint64_t *floor,
                  uint64_t *ceil)
{
    struct coord__cpuquota q = {77, 77};
    int r = coord__cpuquota_parse_cfs(quota, period, &q);
    *floor = q.floor;
    *ceil = q.ceil;
    return r;
}

TEST(cpuquota_parses_cpu_max)
{
    uint64_t f, c;
    ASSERT_EQ(max_of("max 100000\n", &f, &c), COORD__QUOTA_NONE);
    ASSERT_EQ(max_of("max", &f, &c), COORD__QUOTA_NONE);
    ASSERT_EQ(max_of("150000 100000\n", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 1); /* the spin gate's */
    ASSERT_EQ_U(c, 2); /* the workers' */
    ASSERT_EQ(max_of("50000 100000\n", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 0); /* under one CPU (counted as 1 by its users) */
    ASSERT_EQ_U(c, 1);
    ASSERT_EQ(max_of("200000 100000", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 2);
    ASSERT_EQ_U(c, 2);
    ASSERT_EQ(max_of("1000 1000000\n", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 0);
    ASSERT_EQ_U(c, 1);
    /* Huge but in range: a quota larger than any machine. */
    ASSERT_EQ(max_of("9223372036854775807 1000\n", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 9223372036854775ull);
    ASSERT_EQ_U(c, 9223372036854776ull);
    /* Malformed: no quota known, and *q untouched. */
    const char *bad[] = {"",
                         "\n",
                         "garbage",
                         "maxi 100000",
                         "150000",
                         "150000 ",
                         "150000 100000 7",
                         "150000 100000x",
                         "150000\t100000",
                         "-150000 100000",
                         "150000 -100000",
                         "0 100000",
                         "150000 0",
                         "0 0",
                         "9223372036854775808 100000",
                         "99999999999999999999999 100000",
                         "150000 18446744073709551616",
                         " 150000 100000",
                         "+150000 100000",
                         "1.5 1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = max_of(bad[i], &f, &c);
        if (r != COORD__QUOTA_BAD)
            test__fail(__FILE__, __LINE__, "cpu.max \"%s\": %d, want BAD",
                       bad[i], r);
        ASSERT_EQ_U(f, 77);
    }
}

TEST(cpuquota_parses_cfs_quota_and_period)
{
    uint64_t f, c;
    /* -1: no quota, and the period is not needed. */
    ASSERT_EQ(cfs_of("-1\n", NULL, &f, &c), COORD__QUOTA_NONE);
    ASSERT_EQ(cfs_of("-1\n", "100000\n", &f, &c), COORD__QUOTA_NONE);
    /* A quota needs its period: without one it is not known yet. */
    ASSERT_EQ(cfs_of("150000\n", NULL, &f, &c), COORD__QUOTA_BAD);
    ASSERT_EQ(cfs_of("150000\n", "100000\n", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 1);
    ASSERT_EQ_U(c, 2);
    ASSERT_EQ(cfs_of("100000", "100000", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 1);
    ASSERT_EQ_U(c, 1);
    ASSERT_EQ(cfs_of("400000\n", "50000\n", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 8);
    ASSERT_EQ_U(c, 8);
    ASSERT_EQ(cfs_of("25000\n", "100000\n", &f, &c), COORD__QUOTA_SET);
    ASSERT_EQ_U(f, 0);
    ASSERT_EQ_U(c, 1);
    const char *bad[][2] = {{"", "100000"},       {"-2", "100000"},
                            {"0", "100000"},      {"150000", "0"},
                            {"150000", "-1"},     {"150000", ""},
                            {"x", "100000"},      {"150000", "1e5"},
                            {"-1x", "100000"},    {"150000 1", "100000"},
                            {"99999999999999999999", "100000"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = cfs_of(bad[i][0], bad[i][1], &f, &c);
        if (r != COORD__QUOTA_BAD)
            test__fail(__FILE__, __LINE__,
                       "cfs_quota_us \"%s\", period \"%s\": %d, want BAD",
                       bad[i][0], bad[i][1], r);
    }
}

/* coord__cgroup_line on `line`: its kind, and the path it found. */
static int line_kind(const char *line, const char **path)
{
    *path = NULL;
    return coord__cgroup_line(line, path);
}

TEST(cpuquota_reads_proc_self_cgroup_lines)
{
    const char *p;
    /* cgroup v2. */
    ASSERT_EQ(line_kind("0::/user.slice/session-3.scope", &p),
              COORD__CGROUP_V2);
    ASSERT_STR_EQ(p, "/user.slice/session-3.scope");
    ASSERT_EQ(line_kind("0::/", &p), COORD__CGROUP_V2);
    ASSERT_STR_EQ(p, "/");
    /* A path may hold colons. */
    ASSERT_EQ(line_kind("0::/a:b/c", &p), COORD__CGROUP_V2);
    ASSERT_STR_EQ(p, "/a:b/c");
    /* v1: the hierarchy whose controllers include cpu, alone or not. */
    ASSERT_EQ(line_kind("4:cpu,cpuacct:/docker/abc", &p), COORD__CGROUP_V1);
    ASSERT_STR_EQ(p, "/docker/abc");
    ASSERT_EQ(line_kind("11:cpuacct,cpu:/kubepods/pod1/c1", &p),
              COORD__CGROUP_V1);
    ASSERT_STR_EQ(p, "/kubepods/pod1/c1");
    ASSERT_EQ(line_kind("1:cpu:/", &p), COORD__CGROUP_V1);
    ASSERT_STR_EQ(p, "/");
    /* Not the cpu controller: cpuset, cpuacct, named hierarchies. */
    ASSERT_EQ(line_kind("3:cpuset:/", &p), 0);
    ASSERT_EQ(line_kind("2:cpuacct:/", &p), 0);
    ASSERT_EQ(line_kind("9:name=systemd:/", &p), 0);
    ASSERT_EQ(line_kind("12:cpuset,cpuacct:/x", &p), 0);
    ASSERT_EQ(line_kind("5:name=cpu:/x", &p), 0);
    /* Malformed. */
    const char *bad[] = {"", "0", "0:", "0::", "0::relative", ":cpu:/",
                         "x:cpu:/", "4:cpu", "4:cpu:", "1::/"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = line_kind(bad[i], &p);
        if (r != 0)
            test__fail(__FILE__, __LINE__, "line \"%s\": %d, want 0", bad[i],
                       r);
    }
}

/* coord__cgroup_mount on a copy of `line`; root and point copied out. */
static bool mount_of(const char *line, int kind, char *root, char *point)
{
    char buf[512], *r, *p;
    snprintf(buf, sizeof buf, "%s", line);
    root[0] = point[0] = '\0';
    if (!coord__cgroup_mount(buf, kind, &r, &p))
        return false;
    snprintf(root, 256, "%s", r);
    snprintf(point, 256, "%s", p);
    return true;
}

TEST(cpuquota_reads_mountinfo_lines)
{
    char root[256], point[256];
    const char *v2 = "41 31 0:38 / /sys/fs/cgroup rw,nosuid,nodev,noexec,"
                     "relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate";
    ASSERT_TRUE(mount_of(v2, COORD__CGROUP_V2, root, point));
    ASSERT_STR_EQ(root, "/");
    ASSERT_STR_EQ(point, "/sys/fs/cgroup");
    ASSERT_FALSE(mount_of(v2, COORD__CGROUP_V1, root, point));
    /* v1 with cpu among the super options, no optional fields. */
    const char *v1 = "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - "
                     "cgroup cgroup rw,cpu,cpuacct";
    ASSERT_TRUE(mount_of(v1, COORD__CGROUP_V1, root, point));
    ASSERT_STR_EQ(point, "/sys/fs/cgroup/cpu,cpuacct");
    ASSERT_FALSE(mount_of(v1, COORD__CGROUP_V2, root, point));
    /* A container's: the mount shows its own cgroup (a nested root), two
     * optional fields. */
    ASSERT_TRUE(mount_of("1210 1205 0:29 /docker/0123abc /sys/fs/cgroup/cpu "
                         "ro,nosuid master:12 shared:3 - cgroup cgroup "
                         "rw,cpuacct,cpu",
                         COORD__CGROUP_V1, root, point));
    ASSERT_STR_EQ(root, "/docker/0123abc");
    ASSERT_STR_EQ(point, "/sys/fs/cgroup/cpu");
    ASSERT_TRUE(mount_of("99 98 0:30 /kubepods/pod1 /sys/fs/cgroup ro - "
                         "cgroup2 cgroup2 rw",
                         COORD__CGROUP_V2, root, point));
    ASSERT_STR_EQ(root, "/kubepods/pod1");
    /* Escaped spaces in the mount point. */
    ASSERT_TRUE(mount_of("50 31 0:40 / /mnt/my\\040cgroups rw - cgroup2 none "
                         "rw",
                         COORD__CGROUP_V2, root, point));
    ASSERT_STR_EQ(point, "/mnt/my cgroups");
    /* Other controllers and file systems. */
    ASSERT_FALSE(mount_of("34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup "
                          "cgroup rw,cpuset",
                          COORD__CGROUP_V1, root, point));
    ASSERT_FALSE(mount_of("33 31 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup "
                          "cgroup rw,cpuacct",
                          COORD__CGROUP_V1, root, point));
    ASSERT_FALSE(mount_of("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs "
                          "rw,mode=755",
                          COORD__CGROUP_V2, root, point));
    ASSERT_FALSE(mount_of("60 31 0:50 / /cpu rw - ext4 /dev/sda1 rw,cpu",
                          COORD__CGROUP_V1, root, point));
    /* Malformed: no separator, fields missing, a relative root. */
    const char *bad[] = {"",
                         "41 31 0:38 / /sys/fs/cgroup rw cgroup2 cgroup2 rw",
                         "41 31 0:38 / /sys/fs/cgroup rw -",
                         "41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2",
                         "41 31 0:38 /",
                         "41 31 0:38 x /sys/fs/cgroup rw - cgroup2 cgroup2 rw",
                         "41 31 0:38 / sys rw - cgroup2 cgroup2 rw"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (mount_of(bad[i], COORD__CGROUP_V2, root, point))
            test__fail(__FILE__, __LINE__, "mountinfo \"%s\" taken", bad[i]);
}

/* coord__cgroup_dir into a buffer of `cap`: the directory, or "(none)". */
static const char *dir_of(const char *point, const char *root,
                          const char *path, size_t cap)
{
    static char out[COORD__CGROUP_PATH_MAX];
    ASSERT_LE(cap, sizeof out);
    int n = coord__cgroup_dir(point, root, path, out, cap);
    if (n < 0)
        return "(none)";
    ASSERT_EQ(n, strlen(out));
    return out;
}

TEST(cpuquota_strips_the_mount_root)
{
    size_t cap = COORD__CGROUP_PATH_MAX;
    const char *cg = "/sys/fs/cgroup";
    /* The mount shows the hierarchy's root: the path goes below it. */
    ASSERT_STR_EQ(dir_of(cg, "/", "/a/b", cap), "/sys/fs/cgroup/a/b");
    ASSERT_STR_EQ(dir_of(cg, "/", "/", cap), "/sys/fs/cgroup");
    ASSERT_STR_EQ(dir_of("/sys/fs/cgroup/", "/", "/a/", cap),
                  "/sys/fs/cgroup/a");
    /* A container's mount shows its own cgroup: stripped from the path. */
    ASSERT_STR_EQ(dir_of(cg, "/docker/abc", "/docker/abc", cap), cg);
    ASSERT_STR_EQ(dir_of(cg, "/docker/abc", "/docker/abc/", cap), cg);
    ASSERT_STR_EQ(dir_of(cg, "/docker/abc", "/docker/abc/sub/x", cap),
                  "/sys/fs/cgroup/sub/x");
    ASSERT_STR_EQ(dir_of(cg, "/docker/abc/", "/docker/abc/sub", cap),
                  "/sys/fs/cgroup/sub");
    /* Not below the root: a sibling whose name starts the same, another
     * cgroup, a cgroup above the namespace's root. */
    ASSERT_STR_EQ(dir_of(cg, "/docker/abc", "/docker/abcd", cap), "(none)");
    ASSERT_STR_EQ(dir_of(cg, "/docker/abc", "/system.slice", cap), "(none)");
    ASSERT_STR_EQ(dir_of(cg, "/docker/abc", "/", cap), "(none)");
    ASSERT_STR_EQ(dir_of(cg, "/", "/../x", cap), "(none)");
    ASSERT_STR_EQ(dir_of(cg, "/", "/a/../../b", cap), "(none)");
    ASSERT_STR_EQ(dir_of(cg, "/", "/a/..", cap), "(none)");
    ASSERT_STR_EQ(dir_of(cg, "/", "/a/..b", cap), "/sys/fs/cgroup/a/..b");
    /* A mount on "/" itself. */
    ASSERT_STR_EQ(dir_of("/", "/", "/a", cap), "/a");
    ASSERT_STR_EQ(dir_of("/", "/", "/", cap), "/");
    /* Too long for the buffer. */
    ASSERT_STR_EQ(dir_of(cg, "/", "/a/b", 18), "(none)");
    ASSERT_STR_EQ(dir_of(cg, "/", "/a/b", 19), "/sys/fs/cgroup/a/b");
}

/* Write `text` to `path` (made or emptied). */
static void write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, text, strlen(text)), strlen(text));
    close(fd);
}

/* mkdir -p of `rel` under `base`, and `text` written to base/rel/name
 * (name NULL: none). */
static void plant(const char *base, const char *rel, const char *name,
                  const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", base, rel);
    for (char *s = path + strlen(base) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        ASSERT_TRUE(mkdir(path, 0755) == 0 || errno == EEXIST);
        *s = '/';
    }
    ASSERT_TRUE(mkdir(path, 0755) == 0 || errno == EEXIST);
    if (!name)
        return;
    snprintf(path, sizeof path, "%s%s/%s", base, rel, name);
    write_text(path, text);
}

/* plant() of each {rel, name, text} of files[0 .. n). */
static void plant_all(const char *base, const char *const (*files)[3],
                      size_t n)
{
    for (size_t i = 0; i < n; i++)
        plant(base, files[i][0], files[i][1], files[i][2]);
}
#define PLANT_ALL(base, files)                                                 \
    plant_all(base, files, sizeof files / sizeof *files)

/* A look-up's outcome `r` with quota *q as "FLOOR/CEIL", or "none" (*q
 * left as it was: 77/77). */
static const char *shown(int r, const struct coord__cpuquota *q)
{
    static char out[64];
    if (r == COORD__QUOTA_NONE) {
        ASSERT_EQ_U(q->floor, 77);
        return "none";
    }
    ASSERT_EQ(r, COORD__QUOTA_SET);
    snprintf(out, sizeof out, "%" PRIu64 "/%" PRIu64, q->floor, q->ceil);
    return out;
}

/* coord__cpuquota_walk from base+rel up to base: the code, and the
 * rounded quota as "FLOOR/CEIL" (or "none"). */
static const char *walk(const char *base, const char *rel, int kind)
{
    char dir[512];
    ASSERT_LT(snprintf(dir, sizeof dir, "%s%s", base, rel), sizeof dir);
    struct coord__cpuquota q = {77, 77};
    return shown(coord__cpuquota_walk(base, dir, kind, &q), &q);
}

/* walk() from each {rel, kind, want} of rows[0 .. n) under `base`. */
struct walk_row {
    const char *rel;
    int kind;
    const char *want;
};
static void check_walks(const char *base, const struct walk_row *rows,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = walk(base, rows[i].rel, rows[i].kind);
        if (strcmp(got, rows[i].want) != 0)
            test__fail(__FILE__, __LINE__, "walk \"%s\" (v%d): %s, want %s",
                       rows[i].rel, rows[i].kind, got, rows[i].want);
    }
}
#define CHECK_WALKS(base, rows)                                                \
    check_walks(base, rows, sizeof rows / sizeof *rows)

TEST(cpuquota_least_quota_over_the_ancestors)
{
    char v2[256], v1[256];
    test_mkdtemp(v2, sizeof v2, "v2");
    /* A v2 hierarchy: the root has no cpu.max; kubepods 8 CPUs, a pod 2.5,
     * its container none of its own ("max"), a sibling pod 0.5. */
    static const char *const files1[][3] = {
        {"/kubepods", "cpu.max", "800000 100000\n"},
        {"/kubepods/pod1", "cpu.max", "250000 100000\n"},
        {"/kubepods/pod1/ctr", "cpu.max", "max 100000\n"},
        {"/kubepods/pod2", "cpu.max", "50000 100000\n"},
        {"/kubepods/pod3", "cpu.max", "garbage\n"},
        {"/kubepods/pod3/ctr", "cpu.max", "1200000 100000\n"},
        {"/free", NULL, NULL},
    };
    PLANT_ALL(v2, files1);
    /* The container: its pod's 2.5 CPUs, less than kubepods' 8. */
    static const struct walk_row walks1[] = {
        {"/kubepods/pod1/ctr", COORD__CGROUP_V2, "2/3"},
        {"/kubepods/pod1", COORD__CGROUP_V2, "2/3"},
        {"/kubepods/pod2", COORD__CGROUP_V2, "0/1"},
        {"/kubepods", COORD__CGROUP_V2, "8/8"},
        /* A malformed level adds nothing; the ones below and above count. */
        {"/kubepods/pod3/ctr", COORD__CGROUP_V2, "8/8"},
        {"/kubepods/pod3", COORD__CGROUP_V2, "8/8"},
        /* No quota anywhere up to the root; the root alone. */
        {"/free", COORD__CGROUP_V2, "none"},
        {"", COORD__CGROUP_V2, "none"},
        /* A cgroup that does not exist: no quota, whatever is above it. */
        {"/kubepods/pod1/gone", COORD__CGROUP_V2, "none"},
        /* The wrong kind's files are not read. */
        {"/kubepods/pod1/ctr", COORD__CGROUP_V1, "none"},
    };
    CHECK_WALKS(v2, walks1);
    /* The walk stops at the top: a quota above it does not count. */
    char top[512];
    snprintf(top, sizeof top, "%s/kubepods/pod1", v2);
    ASSERT_STR_EQ(walk(top, "/ctr", COORD__CGROUP_V2), "2/3");
    snprintf(top, sizeof top, "%s/kubepods/pod1/ctr", v2);
    ASSERT_STR_EQ(walk(top, "", COORD__CGROUP_V2), "none");
    /* A directory outside the top. */
    struct coord__cpuquota q;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/kubepods/pod2", v2);
    ASSERT_EQ(coord__cpuquota_walk(top, dir, COORD__CGROUP_V2, &q),
              COORD__QUOTA_NONE);
    snprintf(top, sizeof top, "%s/kube", v2);
    snprintf(dir, sizeof dir, "%s/kubepods", v2);
    ASSERT_EQ(coord__cpuquota_walk(top, dir, COORD__CGROUP_V2, &q),
              COORD__QUOTA_NONE);

    /* A v1 hierarchy: the root says -1; docker 3 CPUs; a container 1.5
     * with a period of 50 ms; another's quota without its period. */
    test_mkdtemp(v1, sizeof v1, "v1");
    static const char *const files2[][3] = {
        {"", "cpu.cfs_quota_us", "-1\n"},
        {"", "cpu.cfs_period_us", "100000\n"},
        {"/docker", "cpu.cfs_quota_us", "300000\n"},
        {"/docker", "cpu.cfs_period_us", "100000\n"},
        {"/docker/c1", "cpu.cfs_quota_us", "75000\n"},
        {"/docker/c1", "cpu.cfs_period_us", "50000\n"},
        {"/docker/c1/sub", "cpu.cfs_quota_us", "-1\n"},
        {"/docker/c2", "cpu.cfs_quota_us", "50000\n"},
        {"/other", "cpu.cfs_quota_us", "-1\n"},
        {"/other", "cpu.cfs_period_us", "100000\n"},
    };
    PLANT_ALL(v1, files2);
    static const struct walk_row walks2[] = {
        {"/docker/c1/sub", COORD__CGROUP_V1, "1/2"},
        {"/docker/c1", COORD__CGROUP_V1, "1/2"},
        {"/docker/c2", COORD__CGROUP_V1, "3/3"},
        {"/docker", COORD__CGROUP_V1, "3/3"},
        {"/other", COORD__CGROUP_V1, "none"},
        {"", COORD__CGROUP_V1, "none"},
        {"/docker/c1/sub", COORD__CGROUP_V2, "none"},
    };
    CHECK_WALKS(v1, walks2);
}

/* coord__cpuquota_find on files holding `cgroup` and `mountinfo` (each
 * "%s" in mountinfo is `base`): "FLOOR/CEIL" or "none". */
static const char *find_in(const char *base, const char *cgroup,
                           const char *mountinfo)
{
    char cg[512], mi[512], text[16384];
    snprintf(cg, sizeof cg, "%s/cgroup", base);
    snprintf(mi, sizeof mi, "%s/mountinfo", base);
    write_text(cg, cgroup);
    snprintf(text, sizeof text, mountinfo, base, base, base, base, base);
    write_text(mi, text);
    struct coord__cpuquota q = {77, 77};
    return shown(coord__cpuquota_find(cg, mi, &q), &q);
}

/* The whole look-up on fake /proc files and hierarchies: the v1 cpu
 * hierarchy before v2's on a hybrid machine, a container's mount whose
 * root is its own cgroup, a mount of the hierarchy that does not show our
 * cgroup passed over, lines too long to read skipped, a last line without
 * its newline. */
TEST(cpuquota_finds_the_cgroup_through_proc_files)
{
    char base[256], cg[512];
    test_mkdtemp(base, sizeof base, "find");
    /* v1: the container's cgroup (shown at the mount point) 6 CPUs, the
     * one below it 2.5. v2: 0.5 CPUs, where a wrong choice would look. */
    static const char *const files3[][3] = {
        {"/cpu", "cpu.cfs_quota_us", "600000\n"},
        {"/cpu", "cpu.cfs_period_us", "100000\n"},
        {"/cpu/sub", "cpu.cfs_quota_us", "250000\n"},
        {"/cpu/sub", "cpu.cfs_period_us", "100000\n"},
        {"/decoy/sub", "cpu.cfs_quota_us", "-1\n"},
        {"/v2/docker/abc", "cpu.max", "50000 100000\n"},
        {"/v2/pod1", "cpu.max", "350000 100000\n"},
        {"/decoy/docker/abc/sub", "cpu.cfs_quota_us", "-1\n"},
    };
    PLANT_ALL(base, files3);
    /* A line longer than the reader's 4096 bytes whose tail past them is
     * a mount line of the cpu hierarchy: skipped whole, not cut. */
    char longline[4096 + 1];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    char mountinfo[12000];
    snprintf(mountinfo, sizeof mountinfo,
             "%s9 9 0:9 / %%s/decoy rw - cgroup cgroup rw,cpu\n"
             "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
             "33 31 0:30 /other %%s/decoy rw - cgroup cgroup rw,cpu,cpuacct\n"
             "34 31 0:31 /docker/abc %%s/cpu rw master:1 - cgroup cgroup "
             "rw,cpu,cpuacct\n"
             "35 31 0:32 / %%s/cpuset rw - cgroup cgroup rw,cpuset\n"
             "41 31 0:38 /kube %%s/v2 rw - cgroup2 cgroup2 rw",
             longline);
    const char *hybrid = "12:cpuset:/docker/abc\n"
                         "4:cpu,cpuacct:/docker/abc/sub\n"
                         "1:name=systemd:/docker/abc\n"
                         "0::/docker/abc\n";
    ASSERT_STR_EQ(find_in(base, hybrid, mountinfo), "2/3");
    /* v2 only: the cgroup2 mount (root "/kube"), its last line. */
    ASSERT_STR_EQ(find_in(base, "0::/kube/pod1", mountinfo), "3/4");
    /* No cpu hierarchy in the cgroup file, or none mounted. */
    ASSERT_STR_EQ(find_in(base, "12:cpuset:/docker/abc\n", mountinfo),
                  "none");
    ASSERT_STR_EQ(find_in(base, hybrid, "31 23 0:28 / /x rw - tmpfs t rw\n"),
                  "none");
    /* A cgroup no mount shows, or one that is not there. */
    ASSERT_STR_EQ(find_in(base, "4:cpu:/elsewhere\n", mountinfo), "none");
    ASSERT_STR_EQ(find_in(base, "4:cpu:/docker/abc/gone\n", mountinfo),
                  "none");
    /* Our line too long to read: skipped whole (its tail past the
     * reader's 4096 bytes would name the cgroup), so nothing known. */
    char huge[4096 + 64];
    memset(huge, 'y', 4096);
    memcpy(huge, "1:name=a:/", 10);
    snprintf(huge + 4096, 64, "4:cpu:/docker/abc/sub\n");
    ASSERT_STR_EQ(find_in(base, huge, mountinfo), "none");
    /* Files that are not there. */
    struct coord__cpuquota q;
    snprintf(cg, sizeof cg, "%s/cgroup", base);
    ASSERT_EQ(coord__cpuquota_find("/nonexistent/cgroup", cg, &q),
              COORD__QUOTA_NONE);
    ASSERT_EQ(coord__cpuquota_find(cg, "/nonexistent/mountinfo", &q),
              COORD__QUOTA_NONE);
}

/* This process's own quota, whatever the machine: never a crash, never
 * under 1 CPU counted; and the counts built on it agree with it. */
/* The member slots' count under a quota: its whole CPUs, never fewer
 * than 2 nor more than the usable CPUs; no quota, or 2 CPUs or fewer:
 * the usable CPUs. */
TEST(cpuquota_caps_the_slots_at_its_whole_cpus_and_at_least_two)
{
    struct coord__cpuquota q = {0};
    static const struct {
        int cpus;
        uint64_t floor;
        int want;
    } cases[] = {{64, 4, 4},  {64, 2, 2}, {64, 1, 2}, {64, 0, 2},
                 {64, 100, 64}, {3, 1, 2}, {3, 3, 3}, {2, 1, 2},
                 {2, 0, 2},   {1, 0, 1},  {1, 8, 1}, {16, 15, 15}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        q.floor = cases[i].floor;
        q.ceil = cases[i].floor + 1;
        int got = coord__cpus_spin_cap(cases[i].cpus, &q);
        if (got != cases[i].want)
            test__fail(__FILE__, __LINE__, "%d CPUs, quota floor %llu: %d, "
                       "want %d", cases[i].cpus,
                       (unsigned long long)cases[i].floor, got, cases[i].want);
    }
    ASSERT_EQ(coord__cpus_spin_cap(64, NULL), 64);
    ASSERT_EQ(coord__cpus_spin_cap(2, NULL), 2);
}

TEST(cpuquota_counts_stay_within_the_affinity)
{
    struct coord__cpuquota q;
    int r = coord__cpuquota_self(&q);
    ASSERT_TRUE(r == COORD__QUOTA_NONE || r == COORD__QUOTA_SET);
    cpu_set_t mask;
    ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int affinity = CPU_COUNT(&mask) < online ? CPU_COUNT(&mask) : (int)online;
    int usable = coord__cpus_usable();
    int slots = coord__cpus_slots(usable);
    uint32_t workers = coord__cpus_workers(COORD_SEARCH_MAX_WORKERS);
    ASSERT_EQ(usable, affinity); /* the gate's count: no quota in it */
    ASSERT_GE(slots, usable < 2 ? usable : 2);
    ASSERT_LE(slots, usable);
    ASSERT_GE(workers, 1);
    ASSERT_LE(workers, (uint32_t)affinity);
    if (r == COORD__QUOTA_SET && affinity > 1) {
        ASSERT_EQ(slots, coord__cpus_spin_cap(affinity, &q));
        ASSERT_EQ_U(workers, q.ceil < 1 ? 1
                             : q.ceil < (uint64_t)affinity ? q.ceil
                                                           : (uint64_t)affinity);
    } else {
        ASSERT_EQ(slots, affinity);
        ASSERT_EQ(workers, affinity);
    }
    ASSERT_EQ(coord__cpus_workers(1), 1);
}

#define TEST_LIST(X)                                                           \
    X(cpuquota_parses_cpu_max)                                                 \
    X(cpuquota_parses_cfs_quota_and_period)                                    \
    X(cpuquota_reads_proc_self_cgroup_lines)                                   \
    X(cpuquota_reads_mountinfo_lines)                                          \
    X(cpuquota_strips_the_mount_root)                                          \
    X(cpuquota_least_quota_over_the_ancestors)                                 \
    X(cpuquota_finds_the_cgroup_through_proc_files)                            \
    X(cpuquota_caps_the_slots_at_its_whole_cpus_and_at_least_two)              \
    X(cpuquota_counts_stay_within_the_affinity)
#define HELPER_LIST(X)
TEST_MAIN()
