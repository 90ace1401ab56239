/* SPDX-License-Identifier: MIT */
/* test-gc.c: gc removes only what is provably garbage, and keeps the rest. */
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Set the file's mtime `secs` seconds into the past. */
static void age(const char *name, int secs)
{
    char path[300];
    shm_file(path, sizeof path, name);
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= secs;
    ts[1] = ts[0];
    ASSERT_OK(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
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
    /* Five seconds old: still within the default grace (10 s), past a
     * grace of 1 s. */
    age(zero, 5);
    ASSERT_EQ(judge(zero, true, 0).state, COORD_GC_BUSY);
    ASSERT_TRUE(exists(zero));
    struct seen s = judge(zero, true, 1000);
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
    char name[64];
    test_shm_name(name, sizeof name, "cligrace");
    zero_file(name, 4096);
    age(name, 5);
    const char *argv[] = {COORD_CLI_PATH, "gc",     "--remove", "--prefix",
                          name,           "--grace", "1000",    NULL};
    char out[4096];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 20000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "abandoned (removed)") != NULL);
    ASSERT_FALSE(exists(name));
}

#define TEST_LIST(X)                                                           \
    X(gc_dead_creator_removed_live_kept)                                       \
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
    X(gc_cli_grace_option_and_bad_values)
#define HELPER_LIST(X) X(create_and_exit)
TEST_MAIN()
