/* SPDX-License-Identifier: MIT */
/* harness.c: runs each case in a forked process group with a deadline. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

#define SKIP_CODE 77

const char *test_self;
int test_timeout_ms;
static pid_t runner_pid;

void test__fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

void test__skip(const char *reason)
{
    printf("SKIP: %s\n", reason);
    fflush(stdout);
    _exit(SKIP_CODE);
}

const char *test_shm_name(char *buf, size_t cap, const char *suffix)
{
    snprintf(buf, cap, "t%d-%s", (int)runner_pid, suffix);
    return buf;
}

/* fork() for every child the harness starts: stdio is flushed first (so a
 * child does not print the parent's buffered output again), a failed fork
 * fails the case, and the child is tied to its parent's life
 * (PR_SET_PDEATHSIG), so a case killed at its deadline takes its children
 * with it. If the parent died before prctl took effect the signal would
 * never come: that child leaves at once (99) rather than run orphaned.
 * Returns the pid in the parent, 0 in the child. */
static pid_t fork_tied(void)
{
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        test__fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(99);
    }
    return pid;
}

pid_t test_fork(int (*fn)(void *), void *arg)
{
    pid_t pid = fork_tied();
    if (pid == 0)
        _exit(fn(arg));
    return pid;
}

int test_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    ASSERT_TRUE(d != NULL);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

int test_map_count(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    ASSERT_TRUE(f != NULL);
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    /* "start-end perms ...", perms rwxs (shared) or rwxp (private). */
    while (getline(&line, &cap, f) > 0) {
        const char *p = strchr(line, ' ');
        if (p && strlen(p) > 4 && p[4] == 's')
            n++;
    }
    free(line);
    fclose(f);
    return n;
}

uint64_t test_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

void test_plant_victim(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "precious\n", 9), 9);
    ASSERT_OK(fchown(fd, 65534, 65534));
    ASSERT_OK(fchmod(fd, 0666));
    struct timespec t[2] = {{TEST_VICTIM_MTIME, 0}, {TEST_VICTIM_MTIME, 0}};
    ASSERT_OK(futimens(fd, t));
    close(fd);
}

void test_assert_victim(const char *path)
{
    char buf[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ASSERT_TRUE(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    ASSERT_TRUE(n >= 0);
    buf[n] = '\0';
    ASSERT_STR_EQ(buf, "precious\n");
    ASSERT_OK(rc);
    ASSERT_EQ(st.st_mtim.tv_sec, TEST_VICTIM_MTIME);
    ASSERT_EQ(st.st_mtim.tv_nsec, 0);
    ASSERT_EQ(st.st_uid, 65534);
}

int test_seccomp_install(const struct sock_filter *prog, size_t n)
{
    struct sock_fprog fp = {(unsigned short)n, (struct sock_filter *)prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp);
}

int test_refuse_syscall(long nr, int err)
{
#ifdef TEST_AUDIT_ARCH
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    return test_seccomp_install(prog, sizeof prog / sizeof prog[0]);
#else
    (void)nr;
    (void)err;
    errno = ENOSYS;
    return -1;
#endif
}

void test_fake_program(const char *dir, const char *name, const char *body)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    ASSERT_EQ(fclose(f), 0);
    ASSERT_OK(chmod(path, 0755));
    const char *was = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin";
    size_t n = strlen(dir);
    if (!strncmp(was, dir, n) && (was[n] == ':' || was[n] == '\0'))
        return;
    char *now = malloc(n + strlen(was) + 2);
    ASSERT_TRUE(now != NULL);
    sprintf(now, "%s:%s", dir, was);
    ASSERT_OK(setenv("PATH", now, 1));
    free(now);
}

int test_kill_published(void *arg)
{
    _Atomic int32_t *pid = arg;
    uint64_t dl = coord_clock_ns() + 20000000000ull;
    while (atomic_load(pid) == 0)
        if (coord_clock_ns() > dl)
            return 3;
    return kill(atomic_load(pid), SIGKILL) == 0 ? 0 : 4;
}

int test_wait(pid_t pid, int timeout_ms)
{
    uint64_t deadline = coord_clock_ns() + (uint64_t)timeout_ms * 1000000u;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            test__fail(__FILE__, __LINE__, "waitpid(%d): %s", (int)pid,
                       strerror(errno));
        if (coord_clock_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            test__fail(__FILE__, __LINE__,
                       "child %d did not finish within %d ms", (int)pid,
                       timeout_ms);
        }
        usleep(200);
    }
}

void test_join_ok(pid_t pid, int timeout_ms)
{
    int st = test_wait(pid, timeout_ms);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (WIFSIGNALED(st))
            test__fail(__FILE__, __LINE__, "child %d killed by signal %d",
                       (int)pid, WTERMSIG(st));
        test__fail(__FILE__, __LINE__, "child %d exited with %d", (int)pid,
                   WEXITSTATUS(st));
    }
}

pid_t test_fork_in_new_pidns(int (*fn)(void *), void *arg)
{
    pid_t c = fork();
    if (c != 0)
        return c;
    if (unshare(CLONE_NEWPID) != 0)
        _exit(127);
    pid_t g = fork();
    if (g < 0)
        _exit(126);
    if (g == 0)
        _exit(getpid() == 1 ? fn(arg) : 125);
    int st;
    while (waitpid(g, &st, 0) < 0 && errno == EINTR)
        ;
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 124);
}

pid_t test_spawn_helper(const char *name, const char *const *args)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)test_self;
    argv[n++] = (char *)"--helper";
    argv[n++] = (char *)name;
    for (; args && *args && n < 31; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    pid_t pid = fork_tied();
    if (pid == 0) {
        execv(test_self, argv);
        _exit(127);
    }
    return pid;
}

static void drain(int fd, char *buf, size_t cap, size_t *len)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n <= 0 || !buf)
        return;
    size_t room = cap > *len + 1 ? cap - *len - 1 : 0;
    size_t take = (size_t)n < room ? (size_t)n : room;
    memcpy(buf + *len, tmp, take);
    *len += take;
    buf[*len] = '\0';
}

int test_run(const char *const *argv, char *out, size_t out_cap, char *err,
             size_t err_cap, int timeout_ms)
{
    int po[2], pe[2];
    if (pipe(po) || pipe(pe))
        test__fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
    pid_t pid = fork_tied();
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    size_t lo = 0, le = 0;
    if (out && out_cap)
        out[0] = '\0';
    if (err && err_cap)
        err[0] = '\0';
    uint64_t deadline = coord_clock_ns() + (uint64_t)timeout_ms * 1000000u;
    struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (coord_clock_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            test__fail(__FILE__, __LINE__, "%s did not finish in %d ms",
                       argv[0], timeout_ms);
        }
        if (poll(p, 2, 100) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
                continue;
            char probe;
            if (p[i].revents & POLLIN) {
                if (i == 0)
                    drain(p[i].fd, out, out_cap, &lo);
                else
                    drain(p[i].fd, err, err_cap, &le);
            }
            /* HUP without data: the writer closed its end. */
            if ((p[i].revents & POLLHUP) && !(p[i].revents & POLLIN) &&
                read(p[i].fd, &probe, 0) == 0) {
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
            }
        }
    }
    return test_wait(pid, (int)((deadline - coord_clock_ns()) / 1000000u) + 1);
}

void test_cli_usage_error(const char *cli, const char *cmd,
                          const char *const *args, char *err, size_t err_cap,
                          int timeout_ms)
{
    const char *argv[16] = {cli, cmd};
    size_t n = 2;
    char shown[256]; /* the command line, to name it in a failure */
    int used = snprintf(shown, sizeof shown, "coord %s", cmd);
    for (; args && *args; args++) {
        if (n == sizeof argv / sizeof argv[0] - 1)
            test__fail(__FILE__, __LINE__, "too many arguments for %s", cmd);
        argv[n++] = *args;
        if (used >= 0 && (size_t)used < sizeof shown)
            used += snprintf(shown + used, sizeof shown - (size_t)used,
                             " '%s'", *args);
    }
    char out[1024];
    int st = test_run(argv, out, sizeof out, err, err_cap, timeout_ms);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
        test__fail(__FILE__, __LINE__, "%s: wait status %#x, want exit 2",
                   shown, st);
    if (out[0] != '\0')
        test__fail(__FILE__, __LINE__, "%s: stdout not empty: %s", shown, out);
    /* The prefix is the command's name, as cli_error() writes it. */
    char prefix[64];
    int plen = snprintf(prefix, sizeof prefix, "coord %s: ", cmd);
    if (strncmp(err, prefix, (size_t)plen) != 0)
        test__fail(__FILE__, __LINE__, "%s: stderr does not start \"%s\": %s",
                   shown, prefix, err);
}

/* Remove and count /dev/shm/coord.t<runner>-* files a case left behind. */
static int sweep_shm(void)
{
    char prefix[64];
    int n = snprintf(prefix, sizeof prefix, "coord.t%d-", (int)runner_pid);
    DIR *d = opendir("/dev/shm");
    int left = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, (size_t)n) == 0) {
            char path[300];
            snprintf(path, sizeof path, "/%s", de->d_name);
            fprintf(stderr, "LEAK: /dev/shm/%s left behind\n", de->d_name);
            shm_unlink(path);
            left++;
        }
    }
    closedir(d);
    return left;
}

/* /proc/<pid>/stat's state letter and parent pid; false when unreadable. */
static bool proc_stat(pid_t pid, char *state, int *ppid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* The command name may hold spaces: parse after the last ')'. */
    char *p = strrchr(buf, ')');
    return p && sscanf(p + 1, " %c %d", state, ppid) == 2;
}

void test_preload_env(const char *lib)
{
    /* ld.so splits LD_PRELOAD at spaces and colons, with no escape: a
     * build directory whose path holds a space ("/home/me/My Projects")
     * preloaded four pieces of a name, none of them the shim, and the
     * case ran without it. Such a shim is preloaded by its file name and
     * found through LD_LIBRARY_PATH, which is split at ':' and ';' only. */
    const char *slash = strrchr(lib, '/');
    if (!slash || !strpbrk(lib, " \t")) {
        setenv("LD_PRELOAD", lib, 1);
        return;
    }
    char dir[1024];
    const char *was = getenv("LD_LIBRARY_PATH");
    int n = snprintf(dir, sizeof dir, "%.*s%s%s", (int)(slash - lib), lib,
                     was && *was ? ":" : "", was && *was ? was : "");
    if (n < 0 || (size_t)n >= sizeof dir || strpbrk(lib, ":;")) {
        fprintf(stderr, "test_preload: cannot preload %s\n", lib);
        abort();
    }
    setenv("LD_LIBRARY_PATH", dir, 1);
    setenv("LD_PRELOAD", slash + 1, 1);
}

void test_preload(const char *lib)
{
    test_preload_env(lib);
    char asan[1024];
    const char *was = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof asan, "%s%sverify_asan_link_order=0",
             was ? was : "", was && *was ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
}

pid_t test_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

void test_wait_thread_gone(pid_t tid, int timeout_ms)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
    WAIT_FOR(access(path, F_OK) != 0, timeout_ms);
}

void test_line_of(const char *out, const char *prefix, char *line,
                  size_t cap, const char *what)
{
    size_t pl = strlen(prefix);
    const char *p = out;
    while (p && strncmp(p, prefix, pl) != 0) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        test__fail(__FILE__, __LINE__, "no %s line: %s", what, out);
    size_t n = strcspn(p, "\n");
    snprintf(line, cap, "%.*s", (int)n, p);
}

char test_proc_state(pid_t pid)
{
    char state = 0;
    int ppid = 0;
    return proc_stat(pid, &state, &ppid) ? state : 0;
}

bool test_writing_to(pid_t pid, int fd)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    long nr = -1;
    unsigned long arg = 0;
    int n = fscanf(f, "%ld 0x%lx", &nr, &arg);
    fclose(f);
    return n == 2 && nr == SYS_write && arg == (unsigned long)fd;
}

bool test_proc_status(pid_t pid, const char *field, char *buf, size_t cap)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool found = false;
    size_t n = strlen(field);
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            v += strspn(v, " \t");
            snprintf(buf, cap, "%.*s", (int)strcspn(v, "\n"), v);
            found = true;
        }
    fclose(f);
    return found;
}

bool test_child_ended(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

/* SIGKILL every live child of ours (orphans of the case that left its
 * process group are reparented to us, the subreaper). */
size_t test_children(pid_t *pids, size_t cap)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *de;
    pid_t self = getpid();
    while ((de = readdir(d)) != NULL) {
        int pid = atoi(de->d_name);
        if (pid <= 0)
            continue;
        int ppid = 0;
        char state = 0;
        if (proc_stat(pid, &state, &ppid) && ppid == self && n < cap)
            pids[n++] = pid;
    }
    closedir(d);
    return n;
}

static void kill_children(void)
{
    pid_t pids[1024];
    size_t n = test_children(pids, 1024);
    for (size_t i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
}

/* Reap every process the case left behind (alive or zombie) and count it. */
static int reap_orphans(pid_t case_pgid)
{
    int n = 0, status, spins = 0;
    kill(-case_pgid, SIGKILL);
    kill_children();
    for (;;) {
        pid_t r = waitpid(-1, &status, WNOHANG);
        if (r > 0) {
            n++;
            continue;
        }
        if (r == 0 && spins++ < 5000) {
            if (spins % 100 == 0)
                kill_children();
            usleep(1000);
            continue;
        }
        return n; /* ECHILD: nothing left (or 5 s of trying) */
    }
}

/* The run's directory, /tmp/coord-test-XXXXXX: cache/ is the CLI's per-user
 * cache for the run (`coord spectrum` writes $XDG_CACHE_HOME/coord/
 * spectrum.json, `coord advise` reads it; the runner points XDG_CACHE_HOME
 * there, so a test run never touches the real one, and every case and every
 * program it starts inherits it unless a case sets its own), and case/ is
 * the running case's test_tmpdir(). Removed when the run ends. */
static char run_dir[40];
static char case_dir[48];

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path); /* best effort: go on with the rest */
    return 0;
}

static void remove_tree(const char *path)
{
    if (path[0])
        nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void make_run_dir(void)
{
    char cache[64];
    snprintf(run_dir, sizeof run_dir, "/tmp/coord-test-XXXXXX");
    if (!mkdtemp(run_dir) || chmod(run_dir, 0711) != 0) {
        fprintf(stderr, "mkdtemp %s: %s\n", run_dir, strerror(errno));
        exit(1);
    }
    snprintf(cache, sizeof cache, "%s/cache", run_dir);
    snprintf(case_dir, sizeof case_dir, "%s/case", run_dir);
    if (mkdir(cache, 0700) != 0) {
        fprintf(stderr, "mkdir %s: %s\n", cache, strerror(errno));
        remove_tree(run_dir);
        exit(1);
    }
    setenv("XDG_CACHE_HOME", cache, 1);
    /* Helpers (exec'ed by the cases) find the case's directory here. */
    setenv("COORD_TEST_TMPDIR", case_dir, 1);
}

/* A fresh, empty case directory (a case killed by its deadline may have
 * left one behind; run_case removes it after each case anyway). */
static int make_case_dir(void)
{
    remove_tree(case_dir);
    if (mkdir(case_dir, 0711) != 0 || chmod(case_dir, 0711) != 0) {
        fprintf(stderr, "mkdir %s: %s\n", case_dir, strerror(errno));
        return -1;
    }
    return 0;
}

const char *test_tmpdir(void)
{
    return case_dir;
}

char *test_mkdtemp(char *buf, size_t cap, const char *what)
{
    int n = snprintf(buf, cap, "%s/%s-XXXXXX", case_dir, what);
    if (n < 0 || (size_t)n >= cap)
        test__fail(__FILE__, __LINE__, "test_mkdtemp: %s/%s-XXXXXX is longer "
                   "than %zu bytes", case_dir, what, cap);
    if (!mkdtemp(buf))
        test__fail(__FILE__, __LINE__, "mkdtemp %s: %s", buf, strerror(errno));
    return buf;
}

static int run_case(const struct test_entry *t, int timeout_ms)
{
    if (make_case_dir() != 0) {
        printf("not ok %s: no case directory\n", t->name);
        return 1;
    }
    fflush(stdout);
    fflush(stderr);
    uint64_t t0 = coord_clock_ns();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        t->fn();
        fflush(stdout);
        _exit(0);
    }
    setpgid(pid, pid);
    int status = 0;
    bool timed_out = false;
    uint64_t deadline = t0 + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (coord_clock_ns() > deadline) {
            timed_out = true;
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        usleep(1000);
    }
    int orphans = reap_orphans(pid);
    int leaks = sweep_shm();
    remove_tree(case_dir);
    double ms = (double)(coord_clock_ns() - t0) / 1e6;
    int rc;
    if (timed_out) {
        printf("not ok %s: TIMEOUT after %d ms\n", t->name, timeout_ms);
        rc = 1;
    } else if (WIFSIGNALED(status)) {
        printf("not ok %s: killed by signal %d (%s)\n", t->name,
               WTERMSIG(status), strsignal(WTERMSIG(status)));
        rc = 1;
    } else if (WEXITSTATUS(status) == SKIP_CODE) {
        printf("ok %s # SKIP\n", t->name);
        rc = SKIP_CODE;
    } else if (WEXITSTATUS(status) != 0) {
        printf("not ok %s (%.1f ms)\n", t->name, ms);
        rc = 1;
    } else if (orphans > 0) {
        printf("not ok %s: left %d unreaped child process(es)\n", t->name,
               orphans);
        rc = 1;
    } else if (leaks > 0) {
        printf("not ok %s: left %d /dev/shm file(s)\n", t->name, leaks);
        rc = 1;
    } else {
        printf("ok %s (%.1f ms)\n", t->name, ms);
        rc = 0;
    }
    fflush(stdout);
    return rc;
}

int test__main(int argc, char **argv, const struct test_entry *tests,
               const struct helper_entry *helpers)
{
    test_self = argv[0];
    const char *rp = getenv("COORD_TEST_RUNNER_PID");
    runner_pid = rp ? (pid_t)atoi(rp) : getpid();
    if (argc >= 3 && strcmp(argv[1], "--helper") == 0) {
        const char *cd = getenv("COORD_TEST_TMPDIR");
        snprintf(case_dir, sizeof case_dir, "%s", cd ? cd : "");
        for (const struct helper_entry *h = helpers; h->name; h++)
            if (strcmp(h->name, argv[2]) == 0)
                return h->fn(argc - 3, argv + 3);
        fprintf(stderr, "unknown helper %s\n", argv[2]);
        return 2;
    }
    if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
        for (const struct test_entry *t = tests; t->name; t++)
            printf("%s\n", t->name);
        return 0;
    }
    /* Helpers exec'ed by the cases inherit the runner's pid for names. */
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)runner_pid);
    setenv("COORD_TEST_RUNNER_PID", buf, 1);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    make_run_dir();
    const char *to = getenv("COORD_TEST_TIMEOUT_MS");
    int timeout_ms = to ? atoi(to) : 120000;
    test_timeout_ms = timeout_ms;
    int pass = 0, fail = 0, skip = 0, ran = 0;
    for (const struct test_entry *t = tests; t->name; t++) {
        if (argc >= 2) {
            bool want = false;
            for (int i = 1; i < argc; i++)
                want |= strcmp(argv[i], t->name) == 0;
            if (!want)
                continue;
        }
        ran++;
        int rc = run_case(t, timeout_ms);
        if (rc == 0)
            pass++;
        else if (rc == SKIP_CODE)
            skip++;
        else
            fail++;
    }
    if (argc >= 2 && ran == 0) {
        remove_tree(run_dir);
        fprintf(stderr, "no such test: %s\n", argv[1]);
        return 2;
    }
    remove_tree(run_dir);
    printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
    if (fail)
        return 1;
    return (skip && !pass) ? SKIP_CODE : 0;
}
