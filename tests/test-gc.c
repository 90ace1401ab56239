/* SPDX-License-Identifier: MIT */
/* test-gc.c: gc removes only what is provably garbage, and keeps the rest. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <time.h>

#include "harness.h"
#include "internal.h"

#define UNSHARE "/usr/bin/unshare"

static void shm_file(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "/dev/shm/coord.%s", name);
}

static bool exists(const char *name)
{
    char path[300];
    struct stat st;
    shm_file(path, sizeof path, name);
    return lstat(path, &st) == 0;
}

static void remove_name(const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "/coord.%s", name);
    shm_unlink(path);
}

/* Helper: creates named flag NAME and exits without destroying it, as a
 * crashed process would. */
HELPER(create_and_exit)
{
    coord_flag *f;
    if (argc < 1 || coord_flag_create_named(&f, argv[0]) != 0)
        return 3;
    return 0;
}

/* A named flag whose creator has exited (and been reaped): DEAD. */
static void dead_flag(const char *name)
{
    const char *args[] = {name, NULL};
    test_join_ok(test_spawn_helper("create_and_exit", args), 20000);
    ASSERT_TRUE(exists(name));
}

/* Overwrite `len` bytes at `off` of the named file. */
static void patch(const char *name, size_t off, const void *p, size_t len)
{
    char path[300];
    shm_file(path, sizeof path, name);
    int fd = open(path, O_RDWR);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(pwrite(fd, p, len, (off_t)off), (int64_t)len);
    close(fd);
}

/* A file of `size` zero bytes, as a creator killed between shm_open and
 * its first write leaves it (size 0), or an older creator killed between
 * ftruncate and its header. */
static void zero_file(const char *name, off_t size)
{
    char path[300];
    snprintf(path, sizeof path, "/coord.%s", name);
    int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    ASSERT_TRUE(fd >= 0);
    ASSERT_OK(ftruncate(fd, size));
    close(fd);
}

/* Set the mtime of `path` (any type, not followed) `secs` into the past. */
static void age_path(const char *path, int secs)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= secs;
    ts[1] = ts[0];
    ASSERT_OK(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
}

/* Set the file's mtime `secs` seconds into the past. */
static void age(const char *name, int secs)
{
    char path[300];
    shm_file(path, sizeof path, name);
    age_path(path, secs);
}

/* What one scan said about one name. */
struct seen {
    const char *name;
    int found;
    coord_gc_state state;
    bool removed;
};

static int find_one(const coord_gc_entry *e, void *arg)
{
    struct seen *s = arg;
    if (strcmp(e->name, s->name) == 0) {
        s->found++;
        s->state = e->state;
        s->removed = e->removed;
    }
    return 0;
}

/* Run gc over exactly `name` (it is its own prefix here) and return what
 * it said about it. */
static struct seen judge(const char *name, bool remove, int grace_ms)
{
    struct seen s = {name, 0, COORD_GC_FOREIGN, false};
    coord_gc_opts o = {name, remove, grace_ms};
    ASSERT_GE(coord_gc_run(&o, find_one, &s), 0);
    ASSERT_EQ(s.found, 1);
    return s;
}

TEST(gc_dead_creator_removed_live_kept)
{
    char dead[64], live[64];
    test_shm_name(dead, sizeof dead, "dead");
    test_shm_name(live, sizeof live, "live");
    dead_flag(dead);
    coord_flag *f;
    ASSERT_OK(coord_flag_create_named(&f, live));
    ASSERT_EQ(judge(live, true, 0).state, COORD_GC_LIVE);
    ASSERT_TRUE(exists(live));
    struct seen s = judge(dead, true, 0);
    ASSERT_EQ(s.state, COORD_GC_DEAD);
    ASSERT_TRUE(s.removed);
    ASSERT_FALSE(exists(dead));
    coord_flag_destroy(f);
}

/* A segment of an earlier release (ABI 2 up to ours - 1: the same header,
 * other contents; 5 made the queue's positions 64-bit) whose creator is
 * dead was UNKNOWN and kept for ever: after an upgrade, gc could not
 * remove the old release's garbage. Its creator is read from the header
 * as any other's; a layout before ABI 2 or after ours stays UNKNOWN. */
/* A dead creator's segment past 2 GiB (a 64-bit process's large array,
 * here a flag's file grown sparse) seen by a gc in a 32-bit process: its
 * fstatat said EOVERFLOW without large-file support, so gc called the file
 * foreign and kept it for ever. The file holds no blocks: the test takes
 * no room in /dev/shm. */
TEST(gc_judges_a_segment_past_2_gib)
{
    char name[64], path[300];
    test_shm_name(name, sizeof name, "big");
    dead_flag(name);
    shm_file(path, sizeof path, name);
    /* truncate64: the test must grow it in a build without large files. */
    ASSERT_OK(truncate64(path, (off64_t)3 << 30));
    struct seen s = judge(name, true, 0);
    ASSERT_EQ(s.state, COORD_GC_DEAD);
    ASSERT_TRUE(s.removed);
    ASSERT_FALSE(exists(name));
}

TEST(gc_judges_an_earlier_releases_segment)
{
    char name[64];
    test_shm_name(name, sizeof name, "oldabi");
    uint32_t abi = 1;
    dead_flag(name);
    patch(name, offsetof(coord__seg_hdr, abi), &abi, 4);
    ASSERT_EQ(judge(name, true, 0).state, COORD_GC_UNKNOWN);
    abi = COORD_ABI_VERSION + 1;
    patch(name, offsetof(coord__seg_hdr, abi), &abi, 4);
    ASSERT_EQ(judge(name, true, 0).state, COORD_GC_UNKNOWN);
    ASSERT_TRUE(exists(name));
    /* A 32-bit process's segment (its mutex size above the version): its
     * header is read as ours, its dead creator's file removed. */
    abi = COORD_ABI_VERSION | 24u << 16;
    patch(name, offsetof(coord__seg_hdr, abi), &abi, 4);
    struct seen s32 = judge(name, true, 0);
    ASSERT_EQ(s32.state, COORD_GC_DEAD);
    ASSERT_TRUE(s32.removed);
    for (abi = COORD_ABI_VERSION - 1; abi >= COORD__SEG_HDR_SINCE_ABI; abi--) {
        if (!exists(name))
            dead_flag(name);
        patch(name, offsetof(coord__seg_hdr, abi), &abi, 4);
        struct seen s = judge(name, true, 0);
        ASSERT_EQ(s.state, COORD_GC_DEAD);
        ASSERT_TRUE(s.removed);
        ASSERT_FALSE(exists(name));
    }
}

TEST(gc_other_pid_namespace_header_unknown_and_kept)
{
    char name[64];
    test_shm_name(name, sizeof name, "pidns");
    dead_flag(name);
    /* The same dead creator, but recorded in another pid namespace: its
     * pid number says nothing here. */
    uint64_t ino;
    char path[300];
    shm_file(path, sizeof path, name);
    int fd = open(path, O_RDONLY);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(pread(fd, &ino, 8, offsetof(coord__seg_hdr, pidns_ino)), 8);
    close(fd);
    ASSERT_NE(ino, 0);
    ino ^= 0x5a5a;
    patch(name, offsetof(coord__seg_hdr, pidns_ino), &ino, 8);
    struct seen s = judge(name, true, 0);
    ASSERT_EQ(s.state, COORD_GC_UNKNOWN);
    ASSERT_FALSE(s.removed);
    ASSERT_TRUE(exists(name));
    /* No namespace recorded at all: unknown too. */
    uint64_t zero[2] = {0, 0};
    patch(name, offsetof(coord__seg_hdr, pidns_dev), zero, sizeof zero);
    ASSERT_EQ(judge(name, true, 0).state, COORD_GC_UNKNOWN);
    ASSERT_TRUE(exists(name));
    remove_name(name);
}

TEST(gc_reused_pid_is_dead_same_start_is_live)
{
    char name[64];
    test_shm_name(name, sizeof name, "reuse");
    dead_flag(name);
    /* Our own pid (alive) recorded with another start time: the pid has
     * been reused, the creator is gone. */
    int32_t pid = (int32_t)getpid();
    uint64_t start = coord__proc_start_time(getpid());
    ASSERT_NE(start, 0);
    uint64_t other = start + 12345;
    patch(name, offsetof(coord__seg_hdr, creator_pid), &pid, 4);
    patch(name, offsetof(coord__seg_hdr, creator_start), &other, 8);
    ASSERT_EQ(judge(name, false, 0).state, COORD_GC_DEAD);
    /* With the right start time it is us, alive. */
    patch(name, offsetof(coord__seg_hdr, creator_start), &start, 8);
    ASSERT_EQ(judge(name, true, 0).state, COORD_GC_LIVE);
    ASSERT_TRUE(exists(name));
    remove_name(name);
}

/* A child that creates named flag `arg` and exits; the test does not
 * reap it until gc has seen the zombie. */
static int create_then_exit(void *arg)
{
    coord_flag *f;
    return coord_flag_create_named(&f, arg) == 0 ? 0 : 3;
}

TEST(gc_zombie_creator_is_dead)
{
    char name[64];
    test_shm_name(name, sizeof name, "zombie");
    pid_t p = test_fork(create_then_exit, name);
    WAIT_FOR(test_proc_state(p) == 'Z', 20000);
    struct seen s = judge(name, true, 0);
    ASSERT_EQ(s.state, COORD_GC_DEAD);
    ASSERT_TRUE(s.removed);
    test_join_ok(p, 20000);
}

TEST(gc_never_touches_another_users_file_even_as_root)
{
    if (geteuid() != 0)
        SKIP("needs root to give a file to another user (uid 65534)");
    char name[64], path[300];
    test_shm_name(name, sizeof name, "nobody");
    dead_flag(name);
    shm_file(path, sizeof path, name);
    ASSERT_OK(chown(path, 65534, 65534));
    struct seen s = judge(name, true, 0);
    ASSERT_EQ(s.state, COORD_GC_OTHER_USER);
    ASSERT_FALSE(s.removed);
    ASSERT_TRUE(exists(name));
    /* A zero-filled file of nobody's, however old, stays too. */
    char zname[64];
    test_shm_name(zname, sizeof zname, "nobody0");
    zero_file(zname, 4096);
    shm_file(path, sizeof path, zname);
    ASSERT_OK(chown(path, 65534, 65534));
    age(zname, 3600);
    ASSERT_EQ(judge(zname, true, 0).state, COORD_GC_OTHER_USER);
    ASSERT_TRUE(exists(zname));
    remove_name(name);
    remove_name(zname);
}

TEST(gc_abandoned_creation_removed_after_grace)
{
    char zero[64], empty[64];
    test_shm_name(zero, sizeof zero, "zero");
    test_shm_name(empty, sizeof empty, "empty");
    zero_file(zero, 8192);
    zero_file(empty, 0);
    /* Fresh: a creator may be at work. */
    ASSERT_EQ(judge(zero, true, 0).state, COORD_GC_BUSY);
    ASSERT_EQ(judge(empty, true, 0).state, COORD_GC_BUSY);
    ASSERT_TRUE(exists(zero) && exists(empty));
    /* Seven seconds old: still within the default grace (10 s), past the
     * shortest grace (5 s). */
    age(zero, 7);
    ASSERT_EQ(judge(zero, true, 0).state, COORD_GC_BUSY);
    ASSERT_TRUE(exists(zero));
    struct seen s = judge(zero, true, COORD_GC_GRACE_MIN_MS);
    ASSERT_EQ(s.state, COORD_GC_ABANDONED);
    ASSERT_TRUE(s.removed);
    ASSERT_FALSE(exists(zero));
    /* An hour old: abandoned under the default grace. */
    age(empty, 3600);
    s = judge(empty, false, 0);
    ASSERT_EQ(s.state, COORD_GC_ABANDONED);
    ASSERT_FALSE(s.removed);
    s = judge(empty, true, 0);
    ASSERT_TRUE(s.removed);
    ASSERT_FALSE(exists(empty));
}

TEST(gc_unpublished_header_of_live_creator_busy_forever)
{
    /* A header that names a live creator (us) but no magic yet: never
     * abandoned, however old; it is the creator's to finish. */
    char name[64];
    test_shm_name(name, sizeof name, "unpub");
    dead_flag(name);
    int32_t pid = (int32_t)getpid();
    uint64_t start = coord__proc_start_time(getpid()), magic = 0;
    patch(name, offsetof(coord__seg_hdr, creator_pid), &pid, 4);
    patch(name, offsetof(coord__seg_hdr, creator_start), &start, 8);
    patch(name, offsetof(coord__seg_hdr, magic), &magic, 8);
    age(name, 3600);
    ASSERT_EQ(judge(name, true, 0).state, COORD_GC_BUSY);
    ASSERT_TRUE(exists(name));
    remove_name(name);
}

TEST(gc_options_zero_means_defaults_negative_grace_rejected)
{
    coord_gc_opts o = {NULL, false, -1};
    ASSERT_CODE(coord_gc_run(&o, NULL, NULL), COORD_EINVAL);
    /* Below the floor: a creator preempted between shm_open and its header
     * lost its file to a grace of 1 ms. */
    int small[] = {1, 1000, COORD_GC_GRACE_MIN_MS - 1};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        o.grace_ms = small[i];
        ASSERT_CODE(coord_gc_run(&o, NULL, NULL), COORD_EINVAL);
    }
    o.grace_ms = COORD_GC_GRACE_MIN_MS;
    ASSERT_GE(coord_gc_run(&o, NULL, NULL), 0);
    /* NULL and zeroed options list everything without removing. */
    char name[64];
    test_shm_name(name, sizeof name, "zopt");
    dead_flag(name);
    coord_gc_opts z;
    memset(&z, 0, sizeof z);
    ASSERT_GE(coord_gc_run(&z, NULL, NULL), 1);
    ASSERT_GE(coord_gc_run(NULL, NULL, NULL), 1);
    ASSERT_TRUE(exists(name));
    remove_name(name);
}

/* Names coord refuses, and files with group or other permission bits
 * (coord creates 0600 and opens nothing else), are no segments of ours:
 * gc judged them by their bytes and removed them (an audit's finding). */
TEST(gc_keeps_names_and_modes_coord_never_makes)
{
    char dead[64], odd[80];
    test_shm_name(dead, sizeof dead, "mode");
    dead_flag(dead);
    char path[300];
    shm_file(path, sizeof path, dead);
    ASSERT_OK(chmod(path, 0644));
    struct seen s = judge(dead, true, 0);
    ASSERT_EQ(s.state, COORD_GC_FOREIGN);
    ASSERT_FALSE(s.removed);
    ASSERT_TRUE(exists(dead));
    remove_name(dead);
    /* A leading dot: an old empty file under a name no coord call takes. */
    snprintf(odd, sizeof odd, ".%s", dead);
    zero_file(odd, 0);
    age(odd, 3600);
    s = judge(odd, true, 0);
    ASSERT_EQ(s.state, COORD_GC_FOREIGN);
    ASSERT_FALSE(s.removed);
    ASSERT_TRUE(exists(odd));
    remove_name(odd);
}

/* Can this machine make a pid namespace (root, unshare(1), a kernel that
 * allows it)? */
static bool can_unshare(const char *const *probe)
{
    if (access(UNSHARE, X_OK) != 0)
        return false;
    char out[256], err[256];
    int st = test_run(probe, out, sizeof out, err, sizeof err, 20000);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A reader in another time namespace sees every start time shifted by its
 * boottime offset: gc there took a live creator for a reused pid and
 * removed its file (an audit's finding). It cannot tell: unknown, kept. */
TEST(gc_cli_in_new_time_namespace_removes_nothing)
{
    const char *probe[] = {UNSHARE, "--time", "--boottime", "100000", "--fork",
                           "/bin/true", NULL};
    if (!can_unshare(probe))
        SKIP("unshare --time is unavailable here (needs root and Linux 5.6)");
    char live[64];
    test_shm_name(live, sizeof live, "timens");
    coord_flag *f;
    ASSERT_OK(coord_flag_create_named(&f, live));
    const char *argv[] = {UNSHARE, "--time", "--boottime", "100000", "--fork",
                          COORD_CLI_PATH, "gc", "--remove", "--prefix", live, NULL};
    char out[4096], err[1024];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 30000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "(removed)") == NULL);
    ASSERT_TRUE(strstr(out, "unknown") != NULL);
    ASSERT_TRUE(exists(live));
    ASSERT_EQ(judge(live, true, 0).state, COORD_GC_LIVE);
    coord_flag_destroy(f);
}

TEST(gc_cli_in_new_pid_namespace_removes_nothing)
{
    const char *probe[] = {UNSHARE, "--pid", "--fork", "--mount-proc",
                           "/bin/true", NULL};
    if (!can_unshare(probe))
        SKIP("unshare --pid --fork --mount-proc is unavailable here "
             "(needs root or user namespaces)");
    char prefix[64], live[80], dead[80];
    test_shm_name(prefix, sizeof prefix, "ns-");
    snprintf(live, sizeof live, "%slive", prefix);
    snprintf(dead, sizeof dead, "%sdead", prefix);
    coord_flag *f;
    ASSERT_OK(coord_flag_create_named(&f, live));
    dead_flag(dead);
    /* In the new namespace neither creator's pid means anything: a live
     * file must survive, and so must the dead one (unprovable there). */
    const char *argv[] = {UNSHARE, "--pid", "--fork", "--mount-proc",
                          COORD_CLI_PATH, "gc", "--remove", "--prefix",
                          prefix, NULL};
    char out[4096], err[1024];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 30000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "unknown") != NULL);
    ASSERT_TRUE(strstr(out, "(removed)") == NULL);
    ASSERT_TRUE(exists(live));
    ASSERT_TRUE(exists(dead));
    /* Back in our namespace the dead one is provably dead. */
    ASSERT_EQ(judge(dead, true, 0).state, COORD_GC_DEAD);
    ASSERT_FALSE(exists(dead));
    ASSERT_TRUE(coord_flag_claim(f));
    coord_flag_destroy(f);
}

/* Built with AddressSanitizer? Its runtime reads /proc/self/maps at start
 * and refuses to run without /proc. (gcc defines __SANITIZE_ADDRESS__,
 * clang answers __has_feature.) */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

TEST(gc_cli_without_proc_removes_nothing)
{
    if (UNDER_ASAN)
        SKIP("an AddressSanitizer build of coord cannot start without /proc "
             "(the plain build runs this check)");
    const char *probe[] = {UNSHARE, "--mount", "--propagation", "private",
                           "/bin/sh", "-c", "umount -l /proc", NULL};
    if (!can_unshare(probe))
        SKIP("unshare --mount with umount /proc is unavailable here "
             "(needs root)");
    char prefix[64], live[80], dead[80], cmd[512];
    test_shm_name(prefix, sizeof prefix, "np-");
    snprintf(live, sizeof live, "%slive", prefix);
    snprintf(dead, sizeof dead, "%sdead", prefix);
    coord_flag *f;
    ASSERT_OK(coord_flag_create_named(&f, live));
    dead_flag(dead);
    snprintf(cmd, sizeof cmd,
             "umount -l /proc && exec '%s' gc --remove --prefix '%s'",
             COORD_CLI_PATH, prefix);
    const char *argv[] = {UNSHARE, "--mount", "--propagation", "private",
                          "/bin/sh", "-c", cmd, NULL};
    char out[4096], err[1024];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 30000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "(removed)") == NULL);
    ASSERT_TRUE(exists(live));
    ASSERT_TRUE(exists(dead));
    coord_flag_destroy(f);
    remove_name(dead);
}

TEST(gc_cli_grace_option_and_bad_values)
{
    char err[512];
    const char *zero[] = {"--grace", "0", NULL};
    test_cli_usage_error(COORD_CLI_PATH, "gc", zero, err, sizeof err, 20000);
    const char *word[] = {"--grace", "soon", NULL};
    test_cli_usage_error(COORD_CLI_PATH, "gc", word, err, sizeof err, 20000);
    /* Below the floor (5000 ms): refused, and nothing is removed. */
    char name[64];
    test_shm_name(name, sizeof name, "cligrace");
    zero_file(name, 4096);
    age(name, 7);
    const char *one[] = {"--remove", "--prefix", name, "--grace", "1", NULL};
    test_cli_usage_error(COORD_CLI_PATH, "gc", one, err, sizeof err, 20000);
    ASSERT_TRUE(strstr(err, "--grace must be in [5000,") != NULL);
    const char *under[] = {"--remove", "--prefix", name, "--grace", "4999",
                           NULL};
    test_cli_usage_error(COORD_CLI_PATH, "gc", under, err, sizeof err, 20000);
    ASSERT_TRUE(exists(name));
    const char *argv[] = {COORD_CLI_PATH, "gc",     "--remove", "--prefix",
                          name,           "--grace", "5000",    NULL};
    char out[4096];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 20000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "abandoned (removed)") != NULL);
    ASSERT_TRUE(strstr(out, "1 file(s), 1 removable, 1 removed") != NULL);
    ASSERT_FALSE(exists(name));
    /* --json says what the removal did, per file and in all. */
    zero_file(name, 4096);
    age(name, 7);
    const char *json[] = {COORD_CLI_PATH, "gc",      "--remove", "--prefix",
                          name,           "--grace", "5000",     "--json",
                          NULL};
    st = test_run(json, out, sizeof out, err, sizeof err, 20000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "\"state\":\"abandoned\",\"removed\":true,"
                            "\"outcome\":\"removed\"") != NULL);
    ASSERT_TRUE(strstr(out, "\"removed_files\":1}") != NULL);
    ASSERT_FALSE(exists(name));
}


/* Set the file's mtime `secs` seconds into the future (the ctime becomes
 * now: only the kernel sets it). */
static void future(const char *name, int secs)
{
    age(name, -secs);
}

/* A stat whose mtime and ctime lie `m` and `c` seconds from now. */
static struct stat times_from_now(int m, int c)
{
    struct stat st;
    struct timespec now;
    memset(&st, 0, sizeof st);
    clock_gettime(CLOCK_REALTIME, &now);
    st.st_mtim = now;
    st.st_mtim.tv_sec += m;
    st.st_ctim = now;
    st.st_ctim.tv_sec += c;
    return st;
}

/* The age of a file without a header, when a clock or a hand moved its
 * times: an mtime more than the slack ahead is not believed (the ctime
 * decides); both that far ahead, the age is unknown (-1). */
TEST(gc_change_age_distrusts_an_mtime_in_the_future)
{
    const uint64_t slack = (uint64_t)COORD_GC_GRACE_MIN_MS * 1000000u;
    const int64_t s = 1000000000;
    struct stat st = times_from_now(-60, -60);
    int64_t a = coord__change_age_ns(&st, slack);
    ASSERT_GE(a, 60 * s);
    ASSERT_LT(a, 3600 * s);
    /* Planted: mtime an hour ahead, ctime (the planting) an hour ago. */
    st = times_from_now(3600, -3600);
    a = coord__change_age_ns(&st, slack);
    ASSERT_GE(a, 3600 * s);
    ASSERT_LT(a, 7200 * s);
    /* Within the slack: just changed. */
    st = times_from_now(2, 2);
    ASSERT_EQ(coord__change_age_ns(&st, slack), 0);
    /* The clock went back an hour since: no age to tell. */
    st = times_from_now(3600, 3600);
    ASSERT_EQ(coord__change_age_ns(&st, slack), -1);
}

/* An mtime 292 years or more ahead (touch -d 2400-01-01) overflowed the
 * age in nanoseconds (signed overflow; it wrapped to a large positive
 * age): such a headerless file, planted just now, was ABANDONED and
 * removed at once instead of BUSY for one grace period, and an open said
 * COORD_EPROTO instead of COORD_EAGAIN. The age saturates now. */
TEST(gc_mtime_centuries_ahead_is_busy_not_abandoned)
{
    if (sizeof(time_t) < 8)
        SKIP("a 32-bit time_t cannot say 2400-01-01");
    const uint64_t slack = (uint64_t)COORD_GC_GRACE_MIN_MS * 1000000u;
    const time_t y2400 = (time_t)(sizeof(time_t) < 8 ? 0 : 13569465600ll);
    struct stat st = times_from_now(0, 0);
    st.st_mtim.tv_sec = y2400; /* 2400-01-01 */
    int64_t a = coord__change_age_ns(&st, slack); /* the ctime: just now */
    ASSERT_GE(a, 0);
    ASSERT_LT(a, (int64_t)1000000000);
    st.st_ctim.tv_sec = y2400;
    ASSERT_EQ(coord__change_age_ns(&st, slack), -1); /* no age to tell */
    char name[64], path[300];
    test_shm_name(name, sizeof name, "y2400");
    zero_file(name, 0);
    shm_file(path, sizeof path, name);
    struct timespec ts[2] = {{y2400, 0}, {y2400, 0}};
    ASSERT_OK(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
    coord_flag *f;
    ASSERT_EQ(coord_flag_open(&f, name), COORD_EAGAIN);
    struct seen s = judge(name, true, COORD_GC_GRACE_MIN_MS);
    ASSERT_EQ(s.state, COORD_GC_BUSY);
    ASSERT_TRUE(exists(name));
    remove_name(name);
}

/* A headerless file whose mtime was set into the future (by hand, or a
 * clock set back) stayed BUSY for ever ("being created"). Its ctime, set
 * when the mtime was planted, now starts the grace period: BUSY for one
 * grace period, then ABANDONED. (The test waits out the shortest grace,
 * 5 s, as nothing can set a ctime into the past.) */
TEST(gc_future_mtime_is_not_busy_for_ever)
{
    char name[64];
    test_shm_name(name, sizeof name, "future");
    zero_file(name, 0);
    future(name, 10 * 365 * 24 * 3600); /* ten years ahead */
    struct seen s = judge(name, true, COORD_GC_GRACE_MIN_MS);
    ASSERT_EQ(s.state, COORD_GC_BUSY); /* planted just now */
    ASSERT_TRUE(exists(name));
    WAIT_FOR(judge(name, false, COORD_GC_GRACE_MIN_MS).state ==
                 COORD_GC_ABANDONED,
             60000);
    s = judge(name, true, COORD_GC_GRACE_MIN_MS);
    ASSERT_EQ(s.state, COORD_GC_ABANDONED);
    ASSERT_TRUE(s.removed);
    ASSERT_FALSE(exists(name));
}

/* What one scan said about every entry under one name (a name re-created
 * during the scan may be listed twice). */
struct seen_all {
    const char *name;
    int n;
    coord_gc_entry e[4];
};

static int find_all(const coord_gc_entry *e, void *arg)
{
    struct seen_all *s = arg;
    if (strcmp(e->name, s->name) == 0 && s->n < 4)
        s->e[s->n++] = *e;
    return 0;
}

/* The entry of `a` whose state is `state`; fails unless exactly one. */
static const coord_gc_entry *only(const struct seen_all *a,
                                  coord_gc_state state)
{
    const coord_gc_entry *hit = NULL;
    int n = 0;
    for (int i = 0; i < a->n; i++)
        if (a->e[i].state == state) {
            hit = &a->e[i];
            n++;
        }
    ASSERT_EQ(n, 1);
    return hit;
}

/* Run gc over `name` (its own prefix) with `hook` as coord__remove_hook;
 * what it said about the name goes into a. Returns coord_gc_run's code. */
static int gc_hooked(const char *name, bool remove,
                     void (*hook)(int, int, const char *),
                     struct seen_all *a)
{
    a->name = name;
    a->n = 0;
    coord_gc_opts o = {name, remove, 0};
    coord__remove_hook = hook;
    int r = coord_gc_run(&o, find_all, a);
    coord__remove_hook = NULL;
    return r;
}

/* The remove hook's script: at step 0 (gc has judged the dead file and is
 * about to move it aside) the dead file goes and a live flag of ours takes
 * the name, as another process's create would; with `twice`, at step 1
 * (the re-created file is aside) a second live flag takes the name. */
static struct {
    const char *name;
    bool twice;
    int fired;
    coord_flag *first, *second;
} script;

static void recreate(int step, int dfd, const char *file)
{
    if (step == 0 && script.fired == 0) {
        script.fired = 1;
        ASSERT_OK(unlinkat(dfd, file, 0));
        ASSERT_OK(coord_flag_create_named(&script.first, script.name));
    } else if (step == 1 && script.fired == 1 && script.twice) {
        script.fired = 2;
        ASSERT_OK(coord_flag_create_named(&script.second, script.name));
    }
}

/* A dead file whose name is re-created between gc's verdict and its
 * removal: gc keeps the new file (it always did) but reported the entry
 * as if the dead file were handled; now the entry says re-created, not
 * removed. */
TEST(gc_name_recreated_before_removal_is_kept_and_reported)
{
    char name[64];
    test_shm_name(name, sizeof name, "reborn");
    dead_flag(name);
    script.name = name;
    struct seen_all a;
    int r = gc_hooked(name, true, recreate, &a);
    ASSERT_EQ(script.fired, 1);
    ASSERT_GE(r, 1);
    const coord_gc_entry *e = only(&a, COORD_GC_DEAD);
    ASSERT_EQ(e->outcome, COORD_GC_RECREATED);
    ASSERT_FALSE(e->removed);
    ASSERT_STR_EQ(coord_gc_outcome_name(e->outcome), "re-created");
    /* The new file is the one under the name, alive and working. */
    ASSERT_TRUE(exists(name));
    coord_flag *g;
    ASSERT_OK(coord_flag_open(&g, name));
    ASSERT_TRUE(coord_flag_claim(g));
    ASSERT_FALSE(coord_flag_claim(script.first));
    coord_flag_destroy(g);
    ASSERT_EQ(judge(name, true, 0).state, COORD_GC_LIVE);
    coord_flag_destroy(script.first);
    ASSERT_FALSE(exists(name));
}

/* Remove every /dev/shm/.coord-gc-<pid>-* file; the first one's name goes
 * into `first` (cap bytes; "" when there was none). Returns how many. The
 * harness sweeps only the test's coord.* names: the tests clean up the
 * private names themselves, before any check can fail. */
static int remove_aside_of(pid_t pid, char *first, size_t cap)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, ".coord-gc-%d-", (int)pid);
    if (first && cap)
        first[0] = '\0';
    DIR *d = opendir("/dev/shm");
    ASSERT_TRUE(d != NULL);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            if (n++ == 0 && first)
                snprintf(first, cap, "%.63s", de->d_name);
            ASSERT_OK(unlinkat(dirfd(d), de->d_name, 0));
        }
    closedir(d);
    return n;
}

/* The first /dev/shm/.coord-gc-<pid>-* file's name into buf, or false. */
static bool aside_of(pid_t pid, char *buf, size_t cap)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, ".coord-gc-%d-", (int)pid);
    DIR *d = opendir("/dev/shm");
    ASSERT_TRUE(d != NULL);
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            snprintf(buf, cap, "%.63s", de->d_name);
            found = true;
        }
    closedir(d);
    return found;
}

static bool hidden_exists(const char *hidden)
{
    char path[300];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm/%s", hidden);
    return lstat(path, &st) == 0;
}

/* The re-created file is aside when the name is taken once more: it cannot
 * go back, keeps the private name, and the entry says which (it said
 * "somewhere under .coord-gc-*", and gc never looked there again). */
TEST(gc_name_recreated_twice_reports_stranded)
{
    char name[64];
    test_shm_name(name, sizeof name, "twice");
    dead_flag(name);
    script.name = name;
    script.twice = true;
    struct seen_all a;
    int r = gc_hooked(name, true, recreate, &a);
    /* Clean up before any check can fail: the stranded file is not under
     * the test's names, which the harness sweeps. */
    char stranded[64];
    int n = remove_aside_of(getpid(), stranded, sizeof stranded);
    ASSERT_EQ(script.fired, 2);
    coord_flag_destroy(script.second);
    ASSERT_FALSE(exists(name));
    coord_flag_destroy(script.first);
    ASSERT_GE(r, 1);
    const coord_gc_entry *e = only(&a, COORD_GC_DEAD);
    ASSERT_EQ(e->outcome, COORD_GC_STRANDED);
    ASSERT_FALSE(e->removed);
    ASSERT_EQ(n, 1);
    ASSERT_STR_EQ(e->aside, stranded);
    ASSERT_STR_EQ(e->found_aside, "");
}

/* ---- files a killed gc left under its private name ---------------------- */

/* The hook's script for a gc that dies in its removal: with `stash` set,
 * at step 0 the file there (a live flag's, stashed under a dot name no gc
 * reads) replaces the dead file gc judged, as a create of the name would;
 * at step 1 (the file is aside) the gc is SIGKILLed. */
static struct {
    const char *stash;
} dying;

static void die_aside(int step, int dfd, const char *file)
{
    if (step == 0 && dying.stash)
        ASSERT_OK(renameat(dfd, dying.stash, dfd, file));
    if (step == 1)
        raise(SIGKILL);
}

/* A test_fork body: gc --remove over `arg` with die_aside as the hook. */
static int gc_killed_in_removal(void *arg)
{
    coord_gc_opts o = {arg, true, 0};
    coord__remove_hook = die_aside;
    coord_gc_run(&o, NULL, NULL);
    return 5; /* the hook did not fire */
}

/* Fork a gc over `name` that is SIGKILLed right after its rename aside;
 * returns its (reaped) pid, and the private name it left into hidden. */
static pid_t gc_killed_aside(const char *name, char *hidden, size_t cap)
{
    pid_t p = test_fork(gc_killed_in_removal, (void *)name);
    int st = test_wait(p, 20000);
    bool left = aside_of(p, hidden, cap);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || !left)
        remove_aside_of(p, NULL, 0);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    ASSERT_TRUE(left);
    ASSERT_FALSE(exists(name));
    return p;
}

/* A dead file that a gc killed mid-removal left under its private name
 * stayed there for ever (no gc reads dot names). The next gc finds it (its
 * mover is gone), judges it by its header and removes it. */
TEST(gc_killed_in_removal_dead_file_removed_by_next_gc)
{
    char name[64], hidden[64], cmd[128];
    test_shm_name(name, sizeof name, "killed");
    dead_flag(name);
    dying.stash = NULL;
    pid_t p = gc_killed_aside(name, hidden, sizeof hidden);
    /* Listed (not touched) without --remove, by the tool as well. */
    struct seen_all a;
    int listed = gc_hooked(name, false, NULL, &a);
    const char *json[] = {COORD_CLI_PATH, "gc",   "--prefix", name,
                          "--json",       NULL};
    char out[4096], err[1024], want[256];
    int st = test_run(json, out, sizeof out, err, sizeof err, 20000);
    bool still = hidden_exists(hidden);
    /* Then removed, by the tool. */
    const char *rm[] = {COORD_CLI_PATH, "gc", "--remove", "--prefix", name,
                        NULL};
    char out2[4096];
    int st2 = test_run(rm, out2, sizeof out2, err, sizeof err, 20000);
    bool after = hidden_exists(hidden);
    int ours = remove_aside_of(getpid(), NULL, 0) + remove_aside_of(p, NULL, 0);
    ASSERT_EQ(ours, 0);
    ASSERT_EQ(listed, 1);
    const coord_gc_entry *e = only(&a, COORD_GC_DEAD);
    ASSERT_STR_EQ(e->found_aside, hidden);
    ASSERT_STR_EQ(e->aside, hidden);
    ASSERT_EQ(e->outcome, COORD_GC_NOT_TRIED);
    ASSERT_STR_EQ(e->kind, "flag");
    ASSERT_TRUE(still);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    snprintf(want, sizeof want,
             "\"state\":\"dead\",\"removed\":false,\"outcome\":\"not-tried\","
             "\"found_aside\":\"%s\",\"aside\":\"%s\"}",
             hidden, hidden);
    ASSERT_TRUE(strstr(out, want) != NULL);
    ASSERT_TRUE(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
    snprintf(cmd, sizeof cmd, "dead (removed) [found as /dev/shm/%s]", hidden);
    ASSERT_TRUE(strstr(out2, cmd) != NULL);
    ASSERT_TRUE(strstr(out2, "1 file(s), 1 removable, 1 removed") != NULL);
    ASSERT_FALSE(after);
    ASSERT_FALSE(exists(name));
}

/* A live file (a segment this process holds, re-created under the name
 * after gc judged the dead one) that a gc killed mid-check left aside: its
 * owner's name was gone for good. The next gc puts it back under the name
 * its header records; while another file holds that name it is kept and
 * reported so, and put back by a gc after that name is free again. */
TEST(gc_killed_in_removal_live_file_renamed_back)
{
    char name[64], hidden[64], stash[96], path[300];
    test_shm_name(name, sizeof name, "killedlive");
    coord_flag *live, *other;
    ASSERT_OK(coord_flag_create_named(&live, name));
    snprintf(stash, sizeof stash, ".%s-stash", name);
    shm_file(path, sizeof path, name);
    char stash_path[300];
    snprintf(stash_path, sizeof stash_path, "/dev/shm/%s", stash);
    ASSERT_OK(rename(path, stash_path));
    dead_flag(name);
    dying.stash = stash;
    pid_t p = gc_killed_aside(name, hidden, sizeof hidden);
    /* The name is taken by another file first: kept aside, said so. */
    ASSERT_OK(coord_flag_create_named(&other, name));
    struct seen_all a, b;
    int r1 = gc_hooked(name, true, NULL, &a);
    bool kept = hidden_exists(hidden);
    coord_flag_destroy(other);
    int r2 = gc_hooked(name, true, NULL, &b);
    bool back = exists(name), gone = !hidden_exists(hidden);
    int strays = remove_aside_of(p, NULL, 0) + remove_aside_of(getpid(), NULL, 0);
    unlink(stash_path);
    ASSERT_EQ(strays, 0);
    ASSERT_EQ(r1, 0);
    ASSERT_EQ(r2, 0);
    /* The other flag's own entry, and the one found aside. */
    ASSERT_EQ(a.n, 2);
    const coord_gc_entry *e = NULL;
    for (int i = 0; i < a.n; i++)
        if (a.e[i].found_aside[0])
            e = &a.e[i];
    ASSERT_TRUE(e != NULL);
    ASSERT_STR_EQ(e->found_aside, hidden);
    ASSERT_EQ(e->state, COORD_GC_LIVE);
    ASSERT_EQ(e->creator_pid, (int)getpid());
    ASSERT_EQ(e->outcome, COORD_GC_NAME_TAKEN);
    ASSERT_STR_EQ(e->aside, hidden);
    ASSERT_STR_EQ(coord_gc_outcome_name(e->outcome), "name-taken");
    ASSERT_TRUE(kept);
    e = only(&b, COORD_GC_LIVE);
    ASSERT_STR_EQ(e->found_aside, hidden);
    ASSERT_EQ(e->outcome, COORD_GC_RESTORED);
    ASSERT_STR_EQ(e->aside, "");
    ASSERT_STR_EQ(coord_gc_outcome_name(e->outcome), "restored");
    ASSERT_TRUE(back && gone);
    /* It is our flag, working under its name again. */
    coord_flag *g;
    ASSERT_OK(coord_flag_open(&g, name));
    ASSERT_TRUE(coord_flag_claim(g));
    ASSERT_FALSE(coord_flag_claim(live));
    coord_flag_destroy(g);
    coord_flag_destroy(live);
    ASSERT_FALSE(exists(name));
}

/* A gc at work between its rename aside and the unlink: a pipe holds it
 * there until the test lets it go. */
struct at_work {
    const char *name;
    int ready[2], go[2];
};
static struct at_work *work;

static void hold_aside(int step, int dfd, const char *file)
{
    (void)dfd;
    (void)file;
    if (step != 1)
        return;
    char c = 'x';
    ASSERT_EQ(write(work->ready[1], &c, 1), 1);
    struct pollfd pfd = {work->go[0], POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 30000), 1);
}

static int outcome_of(const coord_gc_entry *e, void *arg)
{
    *(coord_gc_outcome *)arg = e->outcome;
    return 0;
}

/* A test_fork body: gc --remove over the name, held by hold_aside; exits
 * 0 when its removal went through. */
static int gc_held_aside(void *arg)
{
    work = arg;
    coord_gc_opts o = {work->name, true, 0};
    coord_gc_outcome out = COORD_GC_NOT_TRIED;
    coord__remove_hook = hold_aside;
    coord_gc_run(&o, outcome_of, &out);
    return out == COORD_GC_REMOVED ? 0 : 6;
}

/* A private name whose gc still runs is that gc's work in progress: another
 * gc leaves it alone (and does not list it), so the first one's removal
 * goes through as it would have alone. */
TEST(gc_leaves_aside_file_of_a_running_gc_alone)
{
    char name[64], hidden[64];
    test_shm_name(name, sizeof name, "atwork");
    dead_flag(name);
    struct at_work w = {name, {-1, -1}, {-1, -1}};
    ASSERT_OK(pipe(w.ready));
    ASSERT_OK(pipe(w.go));
    pid_t p = test_fork(gc_held_aside, &w);
    struct pollfd pfd = {w.ready[0], POLLIN, 0};
    int ready = poll(&pfd, 1, 20000);
    struct seen_all a;
    bool held = aside_of(p, hidden, sizeof hidden);
    int r = gc_hooked(name, true, NULL, &a);
    bool still = held && hidden_exists(hidden);
    char c = 'g';
    ASSERT_EQ(write(w.go[1], &c, 1), 1);
    int st = test_wait(p, 20000);
    int strays = remove_aside_of(p, NULL, 0) + remove_aside_of(getpid(), NULL, 0);
    ASSERT_EQ(ready, 1);
    ASSERT_TRUE(held);
    ASSERT_EQ(r, 0);
    ASSERT_EQ(a.n, 0);
    ASSERT_TRUE(still);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0); /* its own removal: REMOVED */
    ASSERT_EQ(strays, 0);
    ASSERT_FALSE(exists(name));
    for (int i = 0; i < 2; i++) {
        close(w.ready[i]);
        close(w.go[i]);
    }
}

static int exit_now(void *arg)
{
    (void)arg;
    return 0;
}

static int find_aside(const coord_gc_entry *e, void *arg)
{
    struct seen_all *s = arg;
    if (strcmp(e->found_aside, s->name) == 0 && s->n < 4)
        s->e[s->n++] = *e;
    return 0;
}

/* Another user's file under a private name of a gone gc: never opened,
 * never moved, whoever runs gc (root included); a gc without a prefix
 * lists it as another user's. */
TEST(gc_leaves_another_users_aside_file_alone)
{
    if (geteuid() != 0)
        SKIP("needs root to give a file to another user (uid 65534)");
    char name[64], hidden[64], path[300], hpath[300];
    test_shm_name(name, sizeof name, "asidenobody");
    dead_flag(name);
    pid_t gone = test_fork(exit_now, NULL);
    test_join_ok(gone, 20000);
    snprintf(hidden, sizeof hidden, ".coord-gc-%d-0", (int)gone);
    shm_file(path, sizeof path, name);
    snprintf(hpath, sizeof hpath, "/dev/shm/%s", hidden);
    ASSERT_OK(rename(path, hpath));
    if (chown(hpath, 65534, 65534) != 0) {
        unlink(hpath);
        ASSERT_TRUE(false);
    }
    struct seen_all a, all = {hidden, 0, {{{0}}}};
    int r = gc_hooked(name, true, NULL, &a);
    coord_gc_opts o = {NULL, false, 0};
    int listed = coord_gc_run(&o, find_aside, &all);
    struct stat st;
    bool kept = lstat(hpath, &st) == 0 && st.st_uid == 65534;
    unlink(hpath);
    ASSERT_EQ(r, 0);
    ASSERT_EQ(a.n, 0);
    ASSERT_GE(listed, 0);
    ASSERT_EQ(all.n, 1);
    ASSERT_EQ(all.e[0].state, COORD_GC_OTHER_USER);
    ASSERT_EQ(all.e[0].outcome, COORD_GC_NOT_TRIED);
    ASSERT_STR_EQ(all.e[0].name, "");
    ASSERT_STR_EQ(all.e[0].aside, hidden);
    ASSERT_TRUE(kept);
    ASSERT_FALSE(exists(name));
}

/* Where this process's removals put files aside (a hook at step 1). */
static char seen_aside[64];
static void note_aside(int step, int dfd, const char *file)
{
    (void)dfd;
    (void)file;
    if (step == 1)
        ASSERT_TRUE(aside_of(getpid(), seen_aside, sizeof seen_aside));
}

/* A private name taken already (a killed process that had this pid left
 * it) made every removal that drew it fail: the next name is taken. */
TEST(gc_private_name_taken_already_is_skipped)
{
    char first[64], second[64];
    test_shm_name(first, sizeof first, "taken1");
    test_shm_name(second, sizeof second, "taken2");
    dead_flag(first);
    dead_flag(second);
    struct seen_all a;
    ASSERT_EQ(gc_hooked(first, true, note_aside, &a), 1);
    ASSERT_EQ(only(&a, COORD_GC_DEAD)->outcome, COORD_GC_REMOVED);
    /* The next private names this process would draw. */
    char pre[64];
    snprintf(pre, sizeof pre, ".coord-gc-%d-", (int)getpid());
    ASSERT_TRUE(strncmp(seen_aside, pre, strlen(pre)) == 0);
    unsigned n = (unsigned)strtoul(seen_aside + strlen(pre), NULL, 10);
    for (unsigned k = n + 1; k <= n + 3; k++) {
        char path[300];
        snprintf(path, sizeof path, "/dev/shm/%s%u", pre, k);
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
        ASSERT_TRUE(fd >= 0);
        close(fd);
    }
    int r = gc_hooked(second, true, NULL, &a);
    int left = remove_aside_of(getpid(), NULL, 0);
    ASSERT_EQ(r, 1);
    ASSERT_EQ(only(&a, COORD_GC_DEAD)->outcome, COORD_GC_REMOVED);
    ASSERT_FALSE(exists(second));
    ASSERT_EQ(left, 3);
}

/* The plain cases: removed, gone (someone else removed it first), not
 * tried (no --remove), and the names the tool prints. */
static void remove_first(int step, int dfd, const char *file)
{
    if (step == 0 && script.fired++ == 0)
        ASSERT_OK(unlinkat(dfd, file, 0));
}

TEST(gc_outcomes_removed_gone_not_tried)
{
    char name[64];
    test_shm_name(name, sizeof name, "outcome");
    dead_flag(name);
    struct seen_all a;
    ASSERT_EQ(gc_hooked(name, false, NULL, &a), 1);
    ASSERT_EQ(only(&a, COORD_GC_DEAD)->outcome, COORD_GC_NOT_TRIED);
    ASSERT_EQ(gc_hooked(name, true, remove_first, &a), 1);
    ASSERT_EQ(only(&a, COORD_GC_DEAD)->outcome, COORD_GC_GONE);
    ASSERT_FALSE(only(&a, COORD_GC_DEAD)->removed);
    dead_flag(name);
    ASSERT_EQ(gc_hooked(name, true, NULL, &a), 1);
    ASSERT_EQ(only(&a, COORD_GC_DEAD)->outcome, COORD_GC_REMOVED);
    ASSERT_TRUE(only(&a, COORD_GC_DEAD)->removed);
    ASSERT_FALSE(exists(name));
    ASSERT_STR_EQ(coord_gc_outcome_name(COORD_GC_NOT_TRIED), "not-tried");
    ASSERT_STR_EQ(coord_gc_outcome_name(COORD_GC_GONE), "gone");
    ASSERT_STR_EQ(coord_gc_outcome_name(COORD_GC_STRANDED), "stranded");
    ASSERT_STR_EQ(coord_gc_outcome_name((coord_gc_outcome)99), "?");
}

/* ---- manager directories ------------------------------------------------
 * coord_manager_start's coord-mgr-XXXXXX directories under $TMPDIR and
 * /tmp. Each case gives both a private directory of its own (TMPDIR and
 * coord__gc_mgr_tmp), and removes through coord__gc_mgr_dirs, the half
 * of gc that looks at them: a gc without a prefix would also remove other
 * runs' dead segments in /dev/shm. */

/* Point $TMPDIR and gc's /tmp at new private directories (the same one
 * when `one`) into tmp and shared (cap 128 each). */
static void private_tmp(char *tmp, char *shared, bool one)
{
    test_mkdtemp(tmp, 128, "tmp");
    if (one)
        snprintf(shared, 128, "%s", tmp);
    else
        test_mkdtemp(shared, 128, "shared");
    ASSERT_OK(setenv("TMPDIR", tmp, 1));
    coord__gc_mgr_tmp = shared;
}

/* What one scan said about the manager directories. */
struct mgr_seen {
    int n;
    struct {
        char name[256];
        coord_gc_state state;
        coord_gc_outcome outcome;
        int pid;
    } e[16];
};

static int find_mgr(const coord_gc_entry *e, void *arg)
{
    struct mgr_seen *s = arg;
    if (strcmp(e->kind, "manager-dir") != 0 || s->n == 16)
        return 0;
    snprintf(s->e[s->n].name, sizeof s->e[0].name, "%s", e->name);
    s->e[s->n].state = e->state;
    s->e[s->n].outcome = e->outcome;
    s->e[s->n].pid = e->creator_pid;
    s->n++;
    return 0;
}

static struct mgr_seen mgr_scan(bool remove, int *removable)
{
    struct mgr_seen s;
    memset(&s, 0, sizeof s);
    int r = 0;
    ASSERT_EQ(coord__gc_mgr_dirs((uint64_t)COORD_GC_GRACE_MS * 1000000u,
                                 remove, find_mgr, &s, &r),
              0);
    if (removable)
        *removable = r;
    return s;
}

/* The entry for directory `path`, or NULL when it was not listed. */
static int mgr_find(const struct mgr_seen *s, const char *path)
{
    int at = -1;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->e[i].name, path) == 0) {
            ASSERT_EQ(at, -1); /* listed once */
            at = i;
        }
    return at;
}

static bool is_there(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A socket file at dir/name that nobody listens on (bound, closed). */
static void dead_socket(const char *dir, const char *name)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", dir, name);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_TRUE(fd >= 0);
    ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
    close(fd);
}

static void plant_dir(char *buf, const char *parent, const char *name,
                      mode_t mode)
{
    snprintf(buf, 256, "%s/%s", parent, name);
    ASSERT_OK(mkdir(buf, 0700));
    ASSERT_OK(chmod(buf, mode));
}

/* The owner's side of a manager killed with its owner: starts one in the
 * private TMPDIR, sends its directory's path and the server's pid, waits
 * to be killed. */
static int pipe_w = -1;
static int start_and_wait(void *arg)
{
    (void)arg;
    coord_manager *m;
    if (coord_manager_start(&m, NULL, NULL) != 0)
        return 3;
    char msg[200];
    int n = snprintf(msg, sizeof msg, "%d %s", coord_manager_pid(m),
                     coord_manager_path(m));
    if (write(pipe_w, msg, (size_t)n + 1) != n + 1)
        return 4;
    for (;;)
        pause();
}

/* A manager SIGKILLed with its owner leaves its directory and socket;
 * gc finds them dead (once the socket's bind is older than the grace: a
 * start binding at the path itself is bound before it listens) and
 * removes them, while a live manager's directory is LIVE and kept, and
 * its server takes gc's connect without harm. */
TEST(gc_removes_killed_managers_dir_keeps_live_one)
{
    char tmp[128], shared[128];
    private_tmp(tmp, shared, false);
    coord_manager *live;
    ASSERT_OK(coord_manager_start(&live, NULL, NULL));
    char live_dir[256];
    snprintf(live_dir, sizeof live_dir, "%s", coord_manager_path(live));
    *strrchr(live_dir, '/') = '\0';
    ASSERT_EQ(strncmp(live_dir, tmp, strlen(tmp)), 0);

    /* The killed server, orphaned, comes to this case to be reaped. */
    ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
    int p[2];
    ASSERT_OK(pipe(p));
    pipe_w = p[1];
    pid_t owner = test_fork(start_and_wait, NULL);
    close(p[1]);
    char msg[200] = "";
    struct pollfd pf = {p[0], POLLIN, 0};
    ASSERT_EQ(poll(&pf, 1, 20000), 1);
    ASSERT_TRUE(read(p[0], msg, sizeof msg - 1) > 0);
    close(p[0]);
    int server = 0;
    char sock[200] = "";
    ASSERT_EQ(sscanf(msg, "%d %199s", &server, sock), 2);
    /* Its spinset (named after its socket's inode, as manager_spin.c
     * names it; made once the server has said it serves) must go with
     * its socket: nobody else would remove it but a gc of /dev/shm. */
    struct stat sst;
    ASSERT_OK(lstat(sock, &sst));
    char spin[128];
    snprintf(spin, sizeof spin, "/dev/shm/coord.mspin-%llx-%llx",
             (unsigned long long)sst.st_dev, (unsigned long long)sst.st_ino);
    for (int i = 0; i < 20000 && !is_there(spin); i++)
        usleep(1000);
    if (!is_there(spin))
        test__fail(__FILE__, __LINE__, "no %s for %s in 20 s", spin, sock);
    /* The server first (the owner's death would SIGTERM it: a clean
     * stop), then the owner; the server, reparented to this case, is
     * reaped here. */
    ASSERT_OK(kill(server, SIGKILL));
    ASSERT_OK(kill(owner, SIGKILL));
    test_wait(owner, 20000);
    test_wait(server, 20000);
    char dead_dir[256];
    snprintf(dead_dir, sizeof dead_dir, "%s", sock);
    *strrchr(dead_dir, '/') = '\0';
    ASSERT_TRUE(is_there(sock));

    /* Just killed: its socket is younger than the grace period. */
    int removable = -1;
    struct mgr_seen s = mgr_scan(true, &removable);
    ASSERT_EQ(s.n, 2);
    int d = mgr_find(&s, dead_dir), l = mgr_find(&s, live_dir);
    ASSERT_GE(d, 0);
    ASSERT_GE(l, 0);
    ASSERT_EQ(s.e[d].state, COORD_GC_BUSY);
    ASSERT_EQ(s.e[l].state, COORD_GC_LIVE);
    ASSERT_EQ(removable, 0);
    ASSERT_TRUE(is_there(sock));

    /* Listed through coord_gc_run too (list only: a gc without a prefix
     * with remove would take other runs' dead segments). */
    memset(&s, 0, sizeof s);
    coord_gc_opts lo = {NULL, false, 0};
    ASSERT_GE(coord_gc_run(&lo, find_mgr, &s), 0);
    ASSERT_EQ(s.n, 2);
    ASSERT_GE(mgr_find(&s, dead_dir), 0);

    age_path(sock, 60);
    s = mgr_scan(true, &removable);
    ASSERT_EQ(s.n, 2);
    d = mgr_find(&s, dead_dir);
    l = mgr_find(&s, live_dir);
    ASSERT_EQ(s.e[d].state, COORD_GC_DEAD);
    ASSERT_EQ(s.e[d].outcome, COORD_GC_REMOVED);
    ASSERT_FALSE(is_there(spin));
    ASSERT_EQ(s.e[l].state, COORD_GC_LIVE);
    ASSERT_EQ(s.e[l].outcome, COORD_GC_NOT_TRIED);
    ASSERT_EQ(removable, 1);
    ASSERT_FALSE(is_there(dead_dir));
    ASSERT_TRUE(is_there(coord_manager_path(live)));

    /* The live server took three connects that closed at once: nothing
     * malformed, no client left, and it serves as before. */
    coord_mclient *c;
    ASSERT_OK(coord_mclient_connect(&c, coord_manager_path(live), 5000));
    coord_mval one = coord_mval_i64(1);
    ASSERT_OK(coord_mclient_set(c, "d", "k", &one, 5000));
    coord_manager_stats st;
    ASSERT_OK(coord_mclient_stats(c, &st, 5000));
    ASSERT_EQ(st.malformed, 0);
    ASSERT_EQ(st.clients, 1);
    coord_mclient_close(c);
    ASSERT_OK(coord_manager_stop(live, 10000));
    ASSERT_FALSE(is_there(live_dir));
}

/* A directory made but not bound yet (or whose start was killed there) is
 * BUSY, then ABANDONED after the grace period; a private name
 * (.coord-<pid>-<n>.sock) nobody listens on is BUSY while its process runs
 * (it binds before it listens) and, once its pid is gone, DEAD only after
 * the grace period too (the pid may be another pid namespace's, a
 * container's start sharing /tmp: no kill(pid, 0) can tell). Both
 * parents are looked in when they differ, each directory once when they
 * are one. */
TEST(gc_manager_dir_empty_and_private_names)
{
    char tmp[128], shared[128];
    private_tmp(tmp, shared, false);
    char empty[256], in_shared[256], gone[256], running[256];
    plant_dir(empty, tmp, "coord-mgr-Empty1", 0700);
    plant_dir(in_shared, shared, "coord-mgr-Shar01", 0700);
    plant_dir(gone, tmp, "coord-mgr-Gone01", 0700);
    plant_dir(running, tmp, "coord-mgr-Runs01", 0700);
    pid_t child = test_fork(exit_now, NULL);
    test_join_ok(child, 20000);
    char name[64];
    snprintf(name, sizeof name, ".coord-%d-0.sock", (int)child);
    dead_socket(gone, name);
    snprintf(name, sizeof name, ".coord-%d-7.sock", (int)getpid());
    dead_socket(running, name);

    int removable = -1;
    struct mgr_seen s = mgr_scan(true, &removable);
    ASSERT_EQ(s.n, 4);
    ASSERT_EQ(s.e[mgr_find(&s, empty)].state, COORD_GC_BUSY);
    ASSERT_EQ(s.e[mgr_find(&s, in_shared)].state, COORD_GC_BUSY);
    int g = mgr_find(&s, gone), r = mgr_find(&s, running);
    ASSERT_EQ(s.e[g].state, COORD_GC_BUSY); /* gone here, but young */
    ASSERT_EQ(removable, 0);
    ASSERT_TRUE(is_there(gone));
    char sock[320];
    snprintf(sock, sizeof sock, "%s/.coord-%d-0.sock", gone, (int)child);
    age_path(sock, 60);
    snprintf(sock, sizeof sock, "%s/.coord-%d-7.sock", running,
             (int)getpid());
    age_path(sock, 60); /* its pid runs: BUSY however old */
    s = mgr_scan(true, &removable);
    g = mgr_find(&s, gone), r = mgr_find(&s, running);
    ASSERT_EQ(s.e[g].state, COORD_GC_DEAD);
    ASSERT_EQ(s.e[g].outcome, COORD_GC_REMOVED);
    ASSERT_EQ(s.e[g].pid, child);
    ASSERT_EQ(s.e[r].state, COORD_GC_BUSY);
    ASSERT_EQ(s.e[r].pid, getpid());
    ASSERT_EQ(removable, 1);
    ASSERT_FALSE(is_there(gone));
    ASSERT_TRUE(is_there(empty) && is_there(in_shared) && is_there(running));

    age_path(empty, 60);
    age_path(in_shared, 60);
    s = mgr_scan(false, &removable);
    ASSERT_EQ(s.n, 3);
    ASSERT_EQ(s.e[mgr_find(&s, empty)].state, COORD_GC_ABANDONED);
    ASSERT_EQ(s.e[mgr_find(&s, empty)].outcome, COORD_GC_NOT_TRIED);
    ASSERT_EQ(removable, 2);
    ASSERT_TRUE(is_there(empty));
    s = mgr_scan(true, &removable);
    ASSERT_EQ(s.e[mgr_find(&s, in_shared)].outcome, COORD_GC_REMOVED);
    ASSERT_FALSE(is_there(empty) || is_there(in_shared));
    ASSERT_TRUE(is_there(running));

    /* $TMPDIR and /tmp the same directory: looked at once. */
    private_tmp(tmp, shared, true);
    plant_dir(empty, tmp, "coord-mgr-Once01", 0700);
    s = mgr_scan(false, NULL);
    ASSERT_EQ(s.n, 1);
}

/* What a manager never leaves is reported and kept: a file among the
 * sockets, a socket's name that is a regular file, a mode other than
 * 0700, a link named like a directory (never followed, even to a dead
 * manager directory of ours), a plain file; names of other shapes are
 * not looked at. */
TEST(gc_manager_dir_other_shapes_kept)
{
    char tmp[128], shared[128];
    private_tmp(tmp, shared, false);
    char file_sock[256], extra[256], mode[256], target[256], link[256],
        plain[256], odd[3][256];
    plant_dir(file_sock, tmp, "coord-mgr-Forei1", 0700);
    char path[300];
    snprintf(path, sizeof path, "%s/manager.sock", file_sock);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    plant_dir(extra, tmp, "coord-mgr-Extra1", 0700);
    dead_socket(extra, "manager.sock");
    snprintf(path, sizeof path, "%s/manager.sock", extra);
    age_path(path, 60);
    snprintf(path, sizeof path, "%s/notes", extra);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    plant_dir(mode, tmp, "coord-mgr-Mode01", 0755);
    /* The link's target looks like a dead manager's directory. */
    plant_dir(target, shared, "target", 0700);
    dead_socket(target, "manager.sock");
    snprintf(path, sizeof path, "%s/manager.sock", target);
    age_path(path, 60);
    snprintf(link, sizeof link, "%s/coord-mgr-Link01", tmp);
    ASSERT_OK(symlink(target, link));
    snprintf(plain, sizeof plain, "%s/coord-mgr-File01", shared);
    fd = open(plain, O_WRONLY | O_CREAT | O_EXCL, 0700);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    plant_dir(odd[0], tmp, "coord-mgr-abc12", 0700);
    plant_dir(odd[1], tmp, "coord-mgr-abc1234", 0700);
    plant_dir(odd[2], shared, "coord-mgr-ab_123", 0700);
    const char *all[] = {file_sock, extra, mode, link, plain,
                         odd[0],    odd[1], odd[2], target};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        age_path(all[i], 60);

    int removable = -1;
    struct mgr_seen s = mgr_scan(true, &removable);
    ASSERT_EQ(s.n, 5);
    const char *foreign[] = {file_sock, extra, mode, link, plain};
    for (size_t i = 0; i < 5; i++) {
        int at = mgr_find(&s, foreign[i]);
        ASSERT_GE(at, 0);
        ASSERT_EQ(s.e[at].state, COORD_GC_FOREIGN);
        ASSERT_EQ(s.e[at].outcome, COORD_GC_NOT_TRIED);
    }
    ASSERT_EQ(removable, 0);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ASSERT_TRUE(is_there(all[i]));
    snprintf(path, sizeof path, "%s/manager.sock", target);
    ASSERT_TRUE(is_there(path));
    snprintf(path, sizeof path, "%s/manager.sock", extra);
    ASSERT_TRUE(is_there(path));
}

/* The tool lists a manager directory as kind manager-dir, in its table
 * and in --json. */
TEST(gc_cli_lists_manager_dirs)
{
    char tmp[128], shared[128];
    private_tmp(tmp, shared, false);
    char empty[256];
    plant_dir(empty, tmp, "coord-mgr-Cli001", 0700);
    age_path(empty, 60);
    const char *argv[] = {COORD_CLI_PATH, "gc", NULL};
    char out[65536], err[512];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 20000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    char line[512];
    test_line_of(out, empty, line, sizeof line, "the planted directory");
    ASSERT_TRUE(strstr(line, " manager-dir ") != NULL);
    ASSERT_TRUE(strstr(line, "abandoned") != NULL);
    const char *json[] = {COORD_CLI_PATH, "gc", "--json", NULL};
    st = test_run(json, out, sizeof out, err, sizeof err, 20000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    char want[400];
    snprintf(want, sizeof want,
             "{\"name\":\"%s\",\"kind\":\"manager-dir\",\"creator_pid\":0,"
             "\"size\":0,\"state\":\"abandoned\",\"removed\":false,"
             "\"outcome\":\"not-tried\"",
             empty);
    ASSERT_TRUE(strstr(out, want) != NULL);
    ASSERT_TRUE(is_there(empty));
}

/* gc's probe of a live manager (a connect closed before any byte) holds
 * no slot a real client needs: with max_clients 2, one client connected
 * and the server stopped, the probe and then another connection queue in
 * its backlog; when it runs again it accepts both (the probe's peer is
 * gone), refusing none. Counted against max_clients, the probe refused
 * the second one (refused_full 1). */
TEST(gc_probe_takes_no_slot_from_a_client)
{
    char tmp[128], shared[128];
    private_tmp(tmp, shared, false);
    coord_manager_opts o;
    coord_manager_opts_init(&o);
    o.max_clients = 2;
    coord_manager *m;
    ASSERT_OK(coord_manager_start(&m, NULL, &o));
    coord_mclient *c;
    ASSERT_OK(coord_mclient_connect(&c, coord_manager_path(m), 5000));
    pid_t server = coord_manager_pid(m);
    ASSERT_OK(kill(server, SIGSTOP));
    struct mgr_seen s = mgr_scan(false, NULL);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.e[0].state, COORD_GC_LIVE);
    /* A connection queued behind the probe's (the backlog takes it). */
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", coord_manager_path(m));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_TRUE(fd >= 0);
    ASSERT_OK(connect(fd, (struct sockaddr *)&a, sizeof a));
    ASSERT_OK(kill(server, SIGCONT));
    coord_manager_stats st;
    for (int i = 0;; i++) {
        ASSERT_OK(coord_mclient_stats(c, &st, 5000));
        if (st.accepted + st.refused_full >= 3)
            break;
        ASSERT_TRUE(i < 2000); /* 10 s */
        usleep(5000);
    }
    ASSERT_EQ(st.refused_full, 0);
    ASSERT_EQ(st.accepted, 3);
    close(fd);
    coord_mclient_close(c);
    ASSERT_OK(coord_manager_stop(m, 10000));
}

/* A directory gc cannot read (out of descriptors: its walk's dup fails
 * with EMFILE) is UNKNOWN, not judged empty: with one descriptor left
 * for the parent and one for the directory, a live server's directory
 * older than the grace period was listed "abandoned" and counted
 * removable. */
/* A socket listening at `path` (its descriptor). */
static int listening_socket(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    ASSERT_TRUE(strlen(path) < sizeof a.sun_path);
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_TRUE(fd >= 0);
    ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
    ASSERT_OK(listen(fd, 8));
    return fd;
}

static const char *emfile_dir;
static int scan_near_emfile(void *arg)
{
    (void)arg;
    int n = dup(0);
    if (n < 0)
        return 2;
    close(n); /* the lowest free descriptor: the parent's, then the dir's */
    struct rlimit rl = {(rlim_t)n + 2, (rlim_t)n + 2};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 3;
    int removable = -1;
    struct mgr_seen s = mgr_scan(false, &removable);
    if (s.n != 1 || strcmp(s.e[0].name, emfile_dir) != 0)
        return 4;
    if (s.e[0].state != COORD_GC_UNKNOWN)
        return 10 + (int)s.e[0].state;
    return removable == 0 ? 0 : 5;
}

TEST(gc_manager_dir_unreadable_is_unknown)
{
    char tmp[128], shared[128], live[256], path[300];
    private_tmp(tmp, shared, false);
    plant_dir(live, tmp, "coord-mgr-Emfil1", 0700);
    snprintf(path, sizeof path, "%s/manager.sock", live);
    int fd = listening_socket(path);
    age_path(path, 60);
    age_path(live, 60);
    struct mgr_seen s = mgr_scan(false, NULL);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.e[0].state, COORD_GC_LIVE);
    emfile_dir = live;
    test_join_ok(test_fork(scan_near_emfile, NULL), 20000);
    close(fd);
}

#define TEST_LIST(X)                                                           \
    X(gc_dead_creator_removed_live_kept)                                       \
    X(gc_judges_an_earlier_releases_segment)                                   \
    X(gc_judges_a_segment_past_2_gib)                                          \
    X(gc_other_pid_namespace_header_unknown_and_kept)                          \
    X(gc_reused_pid_is_dead_same_start_is_live)                                \
    X(gc_zombie_creator_is_dead)                                               \
    X(gc_never_touches_another_users_file_even_as_root)                        \
    X(gc_abandoned_creation_removed_after_grace)                               \
    X(gc_unpublished_header_of_live_creator_busy_forever)                      \
    X(gc_options_zero_means_defaults_negative_grace_rejected)                  \
    X(gc_keeps_names_and_modes_coord_never_makes)                              \
    X(gc_cli_in_new_time_namespace_removes_nothing)                            \
    X(gc_cli_in_new_pid_namespace_removes_nothing)                             \
    X(gc_cli_without_proc_removes_nothing)                                     \
    X(gc_cli_grace_option_and_bad_values)                                     \
    X(gc_change_age_distrusts_an_mtime_in_the_future)                          \
    X(gc_future_mtime_is_not_busy_for_ever)                                    \
    X(gc_mtime_centuries_ahead_is_busy_not_abandoned)                          \
    X(gc_name_recreated_before_removal_is_kept_and_reported)                   \
    X(gc_name_recreated_twice_reports_stranded)                                \
    X(gc_killed_in_removal_dead_file_removed_by_next_gc)                       \
    X(gc_killed_in_removal_live_file_renamed_back)                             \
    X(gc_leaves_aside_file_of_a_running_gc_alone)                              \
    X(gc_leaves_another_users_aside_file_alone)                                \
    X(gc_private_name_taken_already_is_skipped)                                \
    X(gc_outcomes_removed_gone_not_tried)                                   \
    X(gc_removes_killed_managers_dir_keeps_live_one)                           \
    X(gc_manager_dir_empty_and_private_names)                                  \
    X(gc_manager_dir_other_shapes_kept)                                        \
    X(gc_cli_lists_manager_dirs)                                               \
    X(gc_probe_takes_no_slot_from_a_client)                                    \
    X(gc_manager_dir_unreadable_is_unknown)
#define HELPER_LIST(X) X(create_and_exit)
TEST_MAIN()
