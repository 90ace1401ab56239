/* SPDX-License-Identifier: MIT */
/* harness.h: the test runner: forked cases, deadlines, typed assertions, helpers. */
#ifndef COORD_TEST_HARNESS_H
#define COORD_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "coord.h"

/*
 * A test file defines cases with TEST(name) { ... } and helpers (processes
 * that the tests exec as unrelated programs) with HELPER(name) { ... }, then
 * lists them once:
 *
 *   #define TEST_LIST(X) X(flag_basic) X(flag_race)
 *   #define HELPER_LIST(X) X(open_and_set)   // or: #define HELPER_LIST(X)
 *   TEST_MAIN()
 *
 * CMake registers every TEST(...) with CTest as <file>.<name> (it reads
 * the TEST( lines), each with a timeout. The runner forks each case into
 * its own process group, bounds it with a deadline (kills the group when it
 * expires: a hang fails, it never blocks CTest), reaps every process the
 * case left behind (and fails the case for it: it is a subreaper), and
 * fails the case if it left any /dev/shm/coord.<test prefix>* file.
 * Files a case needs go in its own directory (test_tmpdir, test_mkdtemp),
 * which the runner removes after the case whatever its outcome: cases end
 * with _exit, so atexit handlers never run in them.
 */

typedef void (*test_fn)(void);
typedef int (*helper_fn)(int argc, char **argv);

struct test_entry {
    const char *name;
    test_fn fn;
};
struct helper_entry {
    const char *name;
    helper_fn fn;
};

int test__main(int argc, char **argv, const struct test_entry *tests,
               const struct helper_entry *helpers);
void test__fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void test__skip(const char *reason) __attribute__((noreturn));

#define TEST(name) static void test_##name(void)
#define HELPER(name) static int helper_##name(int argc, char **argv)
#define TEST__ENTRY(name) {#name, test_##name},
#define HELPER__ENTRY(name) {#name, helper_##name},
#define TEST_MAIN()                                                            \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        static const struct test_entry tests[] = {TEST_LIST(TEST__ENTRY){     \
            NULL, NULL}};                                                      \
        static const struct helper_entry helpers[] = {                         \
            HELPER_LIST(HELPER__ENTRY){NULL, NULL}};                           \
        return test__main(argc, argv, tests, helpers);                         \
    }

/* ---- assertions: each prints both operands and fails the case ---------- */

#define ASSERT_TRUE(c)                                                         \
    do {                                                                       \
        if (!(c))                                                              \
            test__fail(__FILE__, __LINE__, "expected true: %s", #c);           \
    } while (0)
#define ASSERT_FALSE(c)                                                        \
    do {                                                                       \
        if (c)                                                                 \
            test__fail(__FILE__, __LINE__, "expected false: %s", #c);          \
    } while (0)
#define TEST__CMP(type, fmt, a, op, b)                                         \
    do {                                                                       \
        type a_ = (type)(a), b_ = (type)(b);                                   \
        if (!(a_ op b_))                                                       \
            test__fail(__FILE__, __LINE__, "%s %s %s: %" fmt " vs %" fmt, #a,  \
                       #op, #b, a_, b_);                                       \
    } while (0)
#define ASSERT_EQ(a, b) TEST__CMP(int64_t, PRId64, a, ==, b)
#define ASSERT_NE(a, b) TEST__CMP(int64_t, PRId64, a, !=, b)
#define ASSERT_LT(a, b) TEST__CMP(int64_t, PRId64, a, <, b)
#define ASSERT_LE(a, b) TEST__CMP(int64_t, PRId64, a, <=, b)
#define ASSERT_GT(a, b) TEST__CMP(int64_t, PRId64, a, >, b)
#define ASSERT_GE(a, b) TEST__CMP(int64_t, PRId64, a, >=, b)
#define ASSERT_EQ_U(a, b) TEST__CMP(uint64_t, PRIu64, a, ==, b)
#define ASSERT_EQ_F(a, b) TEST__CMP(double, "g", a, ==, b)
#define ASSERT_STR_EQ(a, b)                                                    \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            test__fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a,   \
                       #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");            \
    } while (0)
/* A coord call that must return `want` (a code): prints both names. */
#define ASSERT_CODE(expr, want)                                                \
    do {                                                                       \
        int got_ = (expr), want_ = (want);                                     \
        if (got_ != want_)                                                     \
            test__fail(__FILE__, __LINE__, "%s: got %d (%s), want %d (%s)",    \
                       #expr, got_, coord_err_name(got_), want_,               \
                       coord_err_name(want_));                                 \
    } while (0)
#define ASSERT_OK(expr) ASSERT_CODE(expr, 0)
#define SKIP(reason) test__skip(reason)

/* ---- helpers for multi-process tests ---------------------------------- */

/* A unique shm name for this run: "t<runner pid>-<suffix>" into buf. The
 * runner fails the case if a /dev/shm/coord.t<pid>-* file outlives it. */
const char *test_shm_name(char *buf, size_t cap, const char *suffix);

/* This case's own directory (0711, so that a process under another uid
 * can reach a file the case lets it use): the runner makes it empty before
 * the case starts and removes it, with everything in it, when the case
 * ends, however it ends. Its path is shorter than 48 bytes. */
const char *test_tmpdir(void);

/* A new empty directory "<test_tmpdir()>/<what>-XXXXXX" into buf (cap
 * bytes); fails the case if it cannot be made. Removed with the case's
 * directory. Returns buf. */
char *test_mkdtemp(char *buf, size_t cap, const char *what);

/* Fork a child that runs fn(arg) and _exits with its return value. The
 * child dies with its parent (PR_SET_PDEATHSIG). Fails the test on error. */
pid_t test_fork(int (*fn)(void *), void *arg);

/* Run fn(arg) as pid 1 of a new pid namespace (a container's first
 * process): the forked child unshares and forks the grandchild that runs
 * it, then exits with its status (127: no namespace could be made, which
 * a case skips on). Returns the child's pid. */
pid_t test_fork_in_new_pidns(int (*fn)(void *), void *arg);

/* Wait for `pid` at most timeout_ms; returns the wait status, or fails the
 * test (after SIGKILLing and reaping the child) when it does not end. */
int test_wait(pid_t pid, int timeout_ms);

/* test_wait, then assert the child exited with status 0. */
void test_join_ok(pid_t pid, int timeout_ms);

/* Start this test executable as an unrelated program (fork + exec) running
 * helper `name` with `args` (NULL-terminated); returns its pid. */
pid_t test_spawn_helper(const char *name, const char *const *args);

/* Run argv (argv[0] is a path) with stdout and stderr captured into
 * out/err (NUL-terminated, truncated to cap; either may be NULL), killing
 * it after timeout_ms (the test then fails). Returns the wait status. */
int test_run(const char *const *argv, char *out, size_t out_cap, char *err,
             size_t err_cap, int timeout_ms);

/* Run the CLI at path `cli` as `coord cmd args...` (args NULL-terminated,
 * at most 13) with test_run and fail the case unless it is a usage error
 * as the CLI contract defines it: exit status 2, nothing on stdout, and
 * stderr starting "coord <cmd>: ". Its stderr is left in err (err_cap
 * bytes, at least 1) for further checks. */
void test_cli_usage_error(const char *cli, const char *cmd,
                          const char *const *args, char *err, size_t err_cap,
                          int timeout_ms);

/* The line of `out` (a program's output) that begins with `prefix`, the
 * first one, copied without its newline into line (cap bytes; cut to
 * fit). Fails the case when there is none (`what` names it). */
void test_line_of(const char *out, const char *prefix, char *line,
                  size_t cap, const char *what);

/* A process's state letter from /proc/<pid>/stat ('R', 'S', 'Z', ...), or
 * 0 when there is no such process. */
char test_proc_state(pid_t pid);

/* True when `pid` waits in write(2) on its descriptor `fd` (from
 * /proc/<pid>/syscall: the call's number, then its arguments). */
bool test_writing_to(pid_t pid, int fd);

/* The value of the line "FIELD:" of /proc/<pid>/status (the blanks after
 * the colon and the newline left out) into buf; false when there is no
 * such process or line. */
bool test_proc_status(pid_t pid, const char *field, char *buf, size_t cap);

/* Has child `pid` ended as waitpid sees it (every thread of it gone, so a
 * waitpid(WNOHANG) would reap it), or been reaped already (SIGCHLD
 * ignored)? It is not reaped. Its state 'Z' is not enough: that is the
 * main thread's, and a worker with a second thread (ThreadSanitizer's
 * runtime starts one in every forked child) is not waitable until that
 * thread has exited too. */
bool test_child_ended(pid_t pid);

/* Preload the shared library `lib` (LD_PRELOAD) into the programs the
 * case runs from now on (the harness forks each case, so it ends there).
 * An ASan build's runtime would refuse a library loaded before it:
 * ASAN_OPTIONS gets verify_asan_link_order=0 added. */
void test_preload(const char *lib);

/* LD_PRELOAD = `lib` alone (test_preload without the ASan option): a path
 * with a space is preloaded by its file name through LD_LIBRARY_PATH, as
 * ld.so splits LD_PRELOAD at spaces. */
void test_preload_env(const char *lib);

/* The calling thread's id (gettid). */
pid_t test_gettid(void);

/* Wait until thread `tid` of this process has left /proc/self/task (at
 * most timeout_ms; fails the case after that): the kernel is then done
 * with the thread's exit, and has sent the children the thread forked
 * their PR_SET_PDEATHSIG signal, if they asked for one. */
void test_wait_thread_gone(pid_t tid, int timeout_ms);

/* The pids (at most cap) of the calling process's children, alive or
 * zombie, read from /proc: what a subreaper has to wait for. */
size_t test_children(pid_t *pids, size_t cap);

/* Open descriptors of the calling process (/proc/self/fd, minus the one
 * that reads it), and its shared mappings (lines of /proc/self/maps whose
 * permissions end in 's': every segment coord maps; malloc's own mappings,
 * which a sanitizer's allocator adds as it grows, are private): what a
 * call that leaves nothing behind leaves as it found. */
int test_fd_count(void);
int test_map_count(void);

/* A test_fork() body: waits (at most 20 s) until the shared
 * `_Atomic int32_t` at `arg` holds a pid, then SIGKILLs that process (a
 * victim publishes its own pid at the moment it should die). Returns 0,
 * 3 (no pid was published in time) or 4 (kill failed). */
int test_kill_published(void *arg);

/* xorshift64 (Marsaglia's 13, 7, 17): advance *state (never 0) and return
 * the new state. Cheap and deterministic: a test that seeds it the same
 * draws the same sequence, so a failing run can be replayed. */
uint64_t test_rand(uint64_t *state);

/* A victim for tests of output paths: a regular file of another user (uid
 * 65534; the caller must be root) at `path`, mode 0666, holding
 * "precious\n", its mtime TEST_VICTIM_MTIME (a truncation would set it to
 * now). Fails the case if it cannot be made. */
#define TEST_VICTIM_MTIME 1000000000 /* 2001-09-09 */
void test_plant_victim(const char *path);

/* Fails the case unless `path` is test_plant_victim's file as it was
 * planted: its content, mtime and owner. */
void test_assert_victim(const char *path);

/* A stand-in for a program the CLI runs: `dir`/`name`, an executable sh
 * script that runs `body`, with `dir` put first on PATH unless it already
 * is (for the rest of the calling forked case). Fails the case if it
 * cannot be made. */
void test_fake_program(const char *dir, const char *name, const char *body);

/* The seccomp audit arch of this target (linux/audit.h), where the
 * harness knows it: test_refuse_syscall works only there. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_I386
#elif defined(__arm__) && !defined(__ARMEB__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_ARM
#endif

struct sock_filter;
/* Install the seccomp filter prog[0..n) in this process (and its children
 * from now on), after PR_SET_NO_NEW_PRIVS, which lets a process without
 * CAP_SYS_ADMIN do it. Returns 0, or -1 and errno. */
int test_seccomp_install(const struct sock_filter *prog, size_t n);

/* Make system call `nr` fail with `err` in this process and its children
 * from now on, as a seccomp policy does (a container's; ENOSYS: a kernel
 * without the call); every other call, and any call under another ABI,
 * goes through. Returns 0, or -1 and errno (ENOSYS without
 * TEST_AUDIT_ARCH). */
int test_refuse_syscall(long nr, int err);

/* Poll `cond` every 100 µs until it holds or timeout_ms passes. */
#define WAIT_FOR(cond, timeout_ms)                                             \
    do {                                                                       \
        uint64_t dl_ = coord_clock_ns() + (uint64_t)(timeout_ms) * 1000000u;   \
        while (!(cond)) {                                                      \
            if (coord_clock_ns() > dl_)                                        \
                test__fail(__FILE__, __LINE__, "timed out waiting for %s",     \
                           #cond);                                             \
            usleep(100);                                                       \
        }                                                                      \
    } while (0)

/* Path of this test executable (for exec). */
extern const char *test_self;

/* The runner's deadline for each case in ms (COORD_TEST_TIMEOUT_MS, or
 * 120000): a case that waits longer than this is killed first. */
extern int test_timeout_ms;

#endif
