/* SPDX-License-Identifier: MIT */
/* test-spawn.c: the child processes of src/os/spawn.c and the lifeline that ties them to their parent process (src/os/lifeline.c). */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "internal.h"

/* Shared between the case and its children. */
struct shared {
    _Atomic int armed;   /* children that have started fn */
    _Atomic int stop;    /* set: children return */
    _Atomic int kid;     /* a grandchild's pid */
    _Atomic int checked; /* a child's own checks: 1 passed, 2 failed */
};

static struct shared *new_shared(void)
{
    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(sh != MAP_FAILED);
    return sh;
}

/* A child's fn: say it runs, then wait for stop (30 s at most). */
static int wait_for_stop(void *arg)
{
    struct shared *sh = arg;
    atomic_fetch_add(&sh->armed, 1);
    uint64_t dl = coord_clock_ns() + 30000000000ull;
    while (!atomic_load(&sh->stop) && coord_clock_ns() < dl)
        usleep(100);
    return atomic_load(&sh->stop) ? 0 : 3;
}

struct spawner {
    struct shared *sh;
    coord__child c;
    int rc;
    pid_t tid;
};

/* A thread that spawns a child, waits until the child runs fn (it is tied
 * to its parent by then) and exits. */
static void *spawn_and_exit(void *arg)
{
    struct spawner *s = arg;
    s->tid = test_gettid();
    s->rc = coord__spawn(&s->c, wait_for_stop, s->sh);
    if (s->rc == 0) {
        uint64_t dl = coord_clock_ns() + 20000000000ull;
        while (!atomic_load(&s->sh->armed) && coord_clock_ns() < dl)
            usleep(100);
    }
    return NULL;
}

/* A child lives on when the thread that forked it exits: it was forked
 * with PR_SET_PDEATHSIG(SIGKILL), which Linux fires when the forking
 * *thread* exits, so every user of coord__spawn (a pool's replacement, a
 * search, rounds, a manager server) lost its children to a short-lived
 * thread. */
TEST(spawn_child_outlives_the_thread_that_forked_it)
{
    struct shared *sh = new_shared();
    struct spawner s = {.sh = sh};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, spawn_and_exit, &s), 0);
    ASSERT_EQ(pthread_join(th, NULL), 0);
    ASSERT_OK(s.rc);
    ASSERT_EQ(atomic_load(&sh->armed), 1);
    test_wait_thread_gone(s.tid, 20000);
    atomic_store(&sh->stop, 1);
    ASSERT_OK(coord__child_wait(&s.c, 20000));
    char buf[64];
    ASSERT_STR_EQ(coord__status_text(s.c.status, buf, sizeof buf), "exit 0");
}

/* The parent's half (a child of the case): take a read end of the
 * lifeline, fork (a plain fork(): the atfork handler drops the write end
 * in the grandchild, as in coord__spawn's children) and exit at once; the
 * grandchild waits until its parent has died, then holds the read end. */
static int take_fork_and_die(void *arg)
{
    struct shared *sh = arg;
    pid_t parent = getpid();
    int rfd = coord__lifeline_take();
    if (rfd < 0)
        return 3;
    pid_t kid = fork();
    if (kid < 0)
        return 4;
    if (kid == 0) {
        uint64_t dl = coord_clock_ns() + 20000000000ull;
        while (getppid() == parent && coord_clock_ns() < dl)
            usleep(100);
        _exit(coord__lifeline_hold(rfd, parent, SIGKILL) ? 10 : 11);
    }
    coord__lifeline_forked(rfd, true);
    atomic_store(&sh->kid, kid);
    return 0;
}

/* A child whose parent process died before the child held the lifeline
 * (between the fork and the arming of the signal: the kernel signals
 * readers when the last write end closes, and it closed before) sees that
 * its parent is gone and leaves, rather than run orphaned. */
TEST(spawn_child_whose_parent_died_before_it_held_leaves)
{
    ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1)); /* the grandchild is ours */
    struct shared *sh = new_shared();
    test_join_ok(test_fork(take_fork_and_die, sh), 20000);
    int st = test_wait(atomic_load(&sh->kid), 30000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 11);
}

/* The descriptors this process has open. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ASSERT_TRUE(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* A child's fn: it holds one read end of the lifeline, armed (read only,
 * signal-driven, owned by itself, SIGKILL), and no other descriptor of
 * that pipe (no write end: it would keep its siblings alive after their
 * parent died). Then as wait_for_stop. */
static int check_held(void *arg)
{
    struct shared *sh = arg;
    int fd = coord__lifeline_fd();
    struct stat held, st;
    int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
    bool ok = fd >= 0 && fstat(fd, &held) == 0 && S_ISFIFO(held.st_mode) &&
              fl >= 0 && (fl & O_ACCMODE) == O_RDONLY && (fl & O_ASYNC) &&
              fcntl(fd, F_GETOWN) == getpid() &&
              fcntl(fd, F_GETSIG) == SIGKILL &&
              (fcntl(fd, F_GETFD) & FD_CLOEXEC);
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (ok && d && (e = readdir(d))) {
        int other = atoi(e->d_name);
        if (e->d_name[0] != '.' && other != fd && other != dirfd(d) &&
            fstat(other, &st) == 0 && st.st_dev == held.st_dev &&
            st.st_ino == held.st_ino)
            ok = false;
    }
    if (d)
        closedir(d);
    atomic_store(&sh->checked, ok ? 1 : 2);
    return wait_for_stop(arg);
}

/* The parent keeps one write end while it has children and none once they
 * are reaped (a program that uses a pool now and then keeps no descriptor
 * in between); each child holds its own read end, armed. */
TEST(spawn_keeps_no_descriptor_once_its_children_are_reaped)
{
    struct shared *sh = new_shared();
    int before = count_fds();
    coord__child c[2];
    for (int round = 0; round < 2; round++) {
        atomic_store(&sh->stop, 0);
        atomic_store(&sh->armed, 0);
        for (int i = 0; i < 2; i++) {
            atomic_store(&sh->checked, 0);
            ASSERT_OK(coord__spawn(&c[i], check_held, sh));
            WAIT_FOR(atomic_load(&sh->checked) != 0, 20000);
            ASSERT_EQ(atomic_load(&sh->checked), 1);
        }
        /* The write end, and a pidfd per child where the kernel has them. */
        int pidfds = (c[0].pidfd >= 0) + (c[1].pidfd >= 0);
        ASSERT_EQ(count_fds(), before + 1 + pidfds);
        atomic_store(&sh->stop, 1);
        for (int i = 0; i < 2; i++) {
            ASSERT_OK(coord__child_wait(&c[i], 20000));
            ASSERT_TRUE(WIFEXITED(c[i].status));
            ASSERT_EQ(WEXITSTATUS(c[i].status), 0);
        }
        ASSERT_EQ(count_fds(), before);
    }
}

static int exit_at_once(void *arg)
{
    (void)arg;
    return 0;
}

/* A child's fn: wait for the end of file of the pipe whose read end is
 * ((int *)arg)[0] (its write end, [1], is closed here first), then exit. */
static int exit_at_eof(void *arg)
{
    int *fds = arg;
    close(fds[1]);
    char b;
    while (read(fds[0], &b, 1) < 0 && errno == EINTR) {
    }
    return 0;
}

/* SIGCHLD ignored: the kernel reaps a child as it ends and its pid is free
 * at once. coord__child_kill of such a child signals it through its pidfd,
 * never by the pid, which another process may have taken since: here a
 * bystander of ours stands in the record's pid (a reuse, made by hand).
 * It used to be sent SIGKILL, and then waited for. The child ends only
 * once spawn has returned, with its pidfd (an early end is the next case). */
TEST(spawn_kill_of_a_child_reaped_behind_our_back_spares_its_pid)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    ASSERT_EQ(sigaction(SIGCHLD, &ign, &old), 0);
    coord__child c;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_OK(coord__spawn(&c, exit_at_eof, fds));
    close(fds[0]);
    close(fds[1]); /* the child's cue to exit */
    if (c.pidfd < 0)
        SKIP("no pidfd here: a kill by pid is all there is");
    ASSERT_FALSE(c.gone);
    pid_t gone = c.pid;
    WAIT_FOR(test_proc_state(gone) == 0, 20000); /* ended and reaped */
    pid_t by = fork();
    ASSERT_TRUE(by >= 0);
    if (by == 0) {
        pause();
        _exit(0);
    }
    c.pid = by; /* the pid taken by another process */
    uint64_t t0 = coord_clock_ns();
    coord__child_kill(&c);
    ASSERT_LT((int64_t)(coord_clock_ns() - t0), 5000000000); /* no wait */
    ASSERT_EQ_U(c.pid, 0);
    ASSERT_EQ(c.status, COORD__STATUS_UNKNOWN);
    char st = test_proc_state(by);
    ASSERT_TRUE(st != 0 && st != 'Z'); /* spared */
    ASSERT_EQ(kill(by, SIGKILL), 0);
    waitpid(by, NULL, 0); /* SIGCHLD ignored: returns once it is gone */
    ASSERT_EQ(sigaction(SIGCHLD, &old, NULL), 0);
}

/* The helper of the next case, run with pidfdshim preloaded: SIGCHLD
 * ignored, its child ends and is reaped before spawn asks for its pidfd,
 * and the pid is taken by argv[0] ("0": by no one, pidfd_open fails). The
 * record says so (`gone`), and neither a signal nor a kill nor a wait goes
 * to the pid, which here is argv[0]'s. */
HELPER(spawn_reaped_before_its_pidfd)
{
    if (argc < 1)
        return 3;
    pid_t by = (pid_t)atol(argv[0]);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGCHLD, &ign, NULL) != 0)
        return 4;
    coord__child c;
    if (coord__spawn(&c, exit_at_once, NULL) != 0)
        return 5;
    if (!c.gone || c.pidfd != -1)
        return 6; /* a pidfd of the process holding the pid, or none */
    if (by > 0)
        c.pid = by; /* the pid taken by another process */
    if (coord__child_signal(&c, SIGKILL) != COORD_ECHILD)
        return 7;
    coord__child_kill(&c);
    if (c.pid != 0 || c.status != COORD__STATUS_UNKNOWN)
        return 8;
    return 0;
}

/* A child that ends before spawn has its pidfd, SIGCHLD ignored: the
 * kernel has reaped it and its pid is free. spawn found no process there
 * (pidfd_open ESRCH), or another process that had taken the pid: it kept
 * that process's pidfd, and coord__child_kill then SIGKILLed the bystander
 * (or, with no pidfd, fell back to a kill by the pid). */
TEST(spawn_of_a_child_reaped_before_its_pidfd_signals_no_one)
{
#ifndef SYS_pidfd_open
    SKIP("no pidfd_open here: a kill by pid is all there is");
#else
    long probe = syscall(SYS_pidfd_open, getpid(), 0);
    if (probe < 0)
        SKIP("no pidfd here: a kill by pid is all there is");
    close((int)probe);
    pid_t by = fork();
    ASSERT_TRUE(by >= 0);
    if (by == 0) {
        for (;;)
            pause();
    }
    char byarg[32];
    snprintf(byarg, sizeof byarg, "%d", (int)by);
    test_preload(COORD_PIDFDSHIM_PATH);
    /* Its pid free (no process there), then taken by `by`. */
    const char *const free_args[] = {"0", NULL};
    test_join_ok(test_spawn_helper("spawn_reaped_before_its_pidfd", free_args),
                 30000);
    setenv("COORD_TEST_PIDFD_OPEN_AS", byarg, 1);
    const char *const taken_args[] = {byarg, NULL};
    int st = test_wait(
        test_spawn_helper("spawn_reaped_before_its_pidfd", taken_args), 30000);
    unsetenv("COORD_TEST_PIDFD_OPEN_AS");
    unsetenv("LD_PRELOAD");
    char state = test_proc_state(by);
    kill(by, SIGKILL);
    waitpid(by, NULL, 0);
    ASSERT_TRUE(state != 0 && state != 'Z'); /* spared */
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
#endif
}

static int pause_until_killed(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return 0;
}

/* pidfd_send_signal refused (EPERM from a seccomp policy) or its
 * descriptor not a pidfd (EBADF): the kill by pid, which the kernel does
 * allow, still ends a live child of ours. It used to wait for the child
 * without having signalled it: a hang. */
TEST(spawn_kill_ends_a_live_child_when_pidfd_send_signal_is_refused)
{
#if defined(TEST_AUDIT_ARCH) && defined(SYS_pidfd_send_signal)
    coord__child c;
    ASSERT_OK(coord__spawn(&c, pause_until_killed, NULL));
    if (c.pidfd < 0)
        SKIP("no pidfd here");
    /* As under a container's seccomp policy that lets pidfd_open
     * through but not it; kill() still works. */
    ASSERT_EQ(test_refuse_syscall(SYS_pidfd_send_signal, EPERM), 0);
    uint64_t t0 = coord_clock_ns();
    alarm(10); /* a hang fails the case, not the run */
    coord__child_kill(&c);
    alarm(0);
    ASSERT_LT((int64_t)(coord_clock_ns() - t0), 5000000000);
    ASSERT_EQ_U(c.pid, 0);
    ASSERT_TRUE(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGKILL);
#else
    SKIP("no seccomp audit architecture known for this CPU (test-spawn.c)");
#endif
}

/* A child record whose process was reaped elsewhere (a waitpid of
 * someone else's) and whose pid another child of ours has taken: one that
 * exits 7 and is left a zombie (`live` false), or one that waits in
 * pause() (`live` true). Returns that other child's pid; the case is
 * skipped where there are no pidfds. */
static pid_t reaped_elsewhere_pid_taken(coord__child *c, bool live)
{
    ASSERT_OK(coord__spawn(c, exit_at_once, NULL));
    if (c->pidfd < 0)
        SKIP("no pidfd here: waits and kills by pid are all there is");
    int st;
    ASSERT_EQ(waitpid(c->pid, &st, 0), c->pid); /* reaped elsewhere */
    pid_t by = fork();
    ASSERT_TRUE(by >= 0);
    if (by == 0) {
        if (live)
            pause();
        _exit(7);
    }
    if (!live)
        WAIT_FOR(test_proc_state(by) == 'Z', 20000);
    c->pid = by; /* the pid taken by another child of ours */
    return by;
}

/* A child reaped behind our back (by a waitpid of someone else's) whose pid
 * another child of ours took, and that one has ended (a zombie its owner
 * has yet to wait for): coord__child_kill leaves that zombie, and its
 * status, to its owner. It used to reap it by the pid. */
TEST(spawn_kill_of_a_child_reaped_elsewhere_leaves_another_zombie_alone)
{
    coord__child c;
    int st;
    pid_t by = reaped_elsewhere_pid_taken(&c, false);
    coord__child_kill(&c);
    ASSERT_EQ_U(c.pid, 0);
    ASSERT_EQ(c.status, COORD__STATUS_UNKNOWN);
    ASSERT_EQ(waitpid(by, &st, WNOHANG), by); /* still its owner's */
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

/* Wait for c's end with coord__child_wait (how 0) or coord__child_poll
 * (how 1), at most timeout_ms: it ends at once, reaped elsewhere, so the
 * record is forgotten with its status unknown. */
static void wait_ended_unknown(coord__child *c, int how, int timeout_ms)
{
    if (how == 0) {
        ASSERT_OK(coord__child_wait(c, timeout_ms));
    } else {
        struct pollfd pfd;
        size_t ended;
        ASSERT_EQ(coord__child_poll(c, 1, &pfd, &ended, timeout_ms), 1);
    }
    ASSERT_EQ_U(c->pid, 0);
    ASSERT_EQ(c->status, COORD__STATUS_UNKNOWN);
}

/* A child reaped elsewhere whose pid another child of ours took, and that
 * one has ended (a zombie its owner has yet to wait for): coord__child_wait
 * and coord__child_poll report the record's child ended, status unknown,
 * and leave that zombie and its status to its owner. They used to reap it
 * by the pid and report its exit 7 as the record's. */
TEST(spawn_wait_of_a_child_reaped_elsewhere_leaves_another_zombie_alone)
{
    for (int how = 0; how < 2; how++) {
        coord__child c;
        int st;
        pid_t by = reaped_elsewhere_pid_taken(&c, false);
        wait_ended_unknown(&c, how, 0);
        ASSERT_EQ(waitpid(by, &st, WNOHANG), by); /* still its owner's */
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7);
    }
}

/* The same with the pid taken by a live child of ours: the record's child
 * has ended (its pidfd says so), and the wait returns at once, status
 * unknown. It used to wait by the pid for that other child, spinning on
 * the readable pidfd: ETIMEDOUT after the whole timeout here, with -1 a
 * busy loop for as long as the other child lives. */
TEST(spawn_wait_of_a_child_reaped_elsewhere_waits_for_no_other_child)
{
    for (int how = 0; how < 2; how++) {
        coord__child c;
        int st;
        pid_t by = reaped_elsewhere_pid_taken(&c, true);
        uint64_t t0 = coord_clock_ns();
        wait_ended_unknown(&c, how, 3000);
        ASSERT_LT((int64_t)(coord_clock_ns() - t0), 2000000000);
        char s = test_proc_state(by);
        ASSERT_TRUE(s != 0 && s != 'Z'); /* untouched */
        ASSERT_EQ(kill(by, SIGKILL), 0);
        ASSERT_EQ(waitpid(by, &st, 0), by);
    }
}

/* pidfd_send_signal refused (a seccomp policy) for a child reaped behind
 * our back whose pid another process took: coord__child_kill finds through
 * the pidfd that the child has ended and sends nothing by the pid. It used
 * to fall back to kill(pid), SIGKILLing the bystander. */
TEST(spawn_kill_refused_by_seccomp_spares_the_pid_of_a_child_reaped_elsewhere)
{
#if defined(TEST_AUDIT_ARCH) && defined(SYS_pidfd_send_signal)
    coord__child c;
    int st;
    pid_t by = reaped_elsewhere_pid_taken(&c, true);
    ASSERT_EQ(test_refuse_syscall(SYS_pidfd_send_signal, EPERM), 0);
    alarm(10);
    coord__child_kill(&c);
    alarm(0);
    ASSERT_EQ_U(c.pid, 0);
    ASSERT_EQ(c.status, COORD__STATUS_UNKNOWN);
    char s = test_proc_state(by);
    ASSERT_TRUE(s != 0 && s != 'Z'); /* spared */
    ASSERT_EQ(kill(by, SIGKILL), 0);
    ASSERT_EQ(waitpid(by, &st, 0), by);
#else
    SKIP("no seccomp audit architecture known for this CPU (test-spawn.c)");
#endif
}

/* A program started with stdin, stdout and stderr closed (prog <&- >&-
 * 2>&-, a daemon) still prints: its writes to 0-2 fail and are harmless.
 * The lifeline's write end took descriptor 1 (the pipe's two ends were 0
 * and 1, the read end closed at once), so the program's next printf went
 * into the lifeline: every child was SIGKILLed, and every child forked
 * later left at once (its check for end of file saw the data). */
TEST(spawn_children_survive_printf_with_stdio_closed_at_start)
{
    struct shared *sh = new_shared();
    int saved[3];
    for (int i = 0; i < 3; i++) {
        saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
        close(i);
    }
    coord__child c[2];
    int rc[2];
    for (int i = 0; i < 2; i++)
        rc[i] = coord__spawn(&c[i], wait_for_stop, sh);
    uint64_t dl = coord_clock_ns() + 20000000000ull;
    while (atomic_load(&sh->armed) < 2 && coord_clock_ns() < dl)
        usleep(100);
    /* What the program's printf, puts(stderr) would do. */
    int landed = 0;
    for (int i = 0; i < 3; i++)
        landed += write(i, "x\n", 2) == 2;
    usleep(100000);
    atomic_store(&sh->stop, 1);
    int w[2] = {-1, -1};
    for (int i = 0; i < 2; i++)
        if (rc[i] == 0)
            w[i] = coord__child_wait(&c[i], 20000);
    for (int i = 0; i < 3; i++) {
        dup2(saved[i], i);
        close(saved[i]);
    }
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(rc[i]);
        ASSERT_OK(w[i]);
        ASSERT_FALSE(WIFSIGNALED(c[i].status)); /* SIGKILL: the printf */
        ASSERT_TRUE(WIFEXITED(c[i].status));
        ASSERT_EQ(WEXITSTATUS(c[i].status), 0);
    }
    ASSERT_EQ(landed, 0);
}

/* A thread with a cancellation pending (pthread_cancel is deferred: it acts
 * at the thread's next cancellation point) forks children, as every pool,
 * search, team, rounds and manager does. The lifeline's mutex was held
 * across close() and open(), which are cancellation points: the thread
 * was cancelled there holding it, and from then on every fork() of the
 * process hung in the atfork handler that takes it (a plain fork() of the
 * program included), as did every coord call that forks. Now the
 * cancellation waits until the child is recorded and acts at the thread's
 * own pthread_testcancel. */
struct cancel_pending {
    int rc[2];
    int waited[2];
    coord__child c[2];
};

static void *spawn_with_cancel_pending(void *arg)
{
    struct cancel_pending *cp = arg;
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    pthread_cancel(pthread_self()); /* pending from now */
    for (int i = 0; i < 2; i++) {
        /* Twice: the first makes the write end (wfd_make closes the
         * pipe's read end), the second opens another read end of it. */
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
        cp->rc[i] = coord__spawn(&cp->c[i], exit_at_once, NULL);
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    }
    for (int i = 0; i < 2; i++)
        cp->waited[i] =
            cp->rc[i] == 0 ? coord__child_wait(&cp->c[i], 20000) : -1;
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    pthread_testcancel();
    return NULL;
}

static void *spawn_one(void *arg)
{
    atomic_int *done = arg;
    coord__child c;
    if (coord__spawn(&c, exit_at_once, NULL) == 0 &&
        coord__child_wait(&c, 20000) == 0)
        atomic_store(done, 1);
    else
        atomic_store(done, 2);
    return NULL;
}

TEST(spawn_lifeline_survives_a_thread_cancelled_inside_it)
{
    int before = count_fds();
    pthread_t t;
    void *ret = NULL;
    struct cancel_pending cp;
    memset(&cp, 0, sizeof cp);
    /* Left so when the thread was cancelled inside coord__spawn. */
    for (int i = 0; i < 2; i++)
        cp.rc[i] = cp.waited[i] = COORD_EINTR;
    ASSERT_EQ(pthread_create(&t, NULL, spawn_with_cancel_pending, &cp), 0);
    ASSERT_EQ(pthread_join(t, &ret), 0);
    ASSERT_TRUE(ret == PTHREAD_CANCELED);
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(cp.rc[i]);
        ASSERT_OK(cp.waited[i]);
    }
    /* The lifeline was let go: its write end closed with its last child. */
    ASSERT_EQ(count_fds(), before);
    /* Another thread forks a child: with the lifeline's mutex left held
     * it would wait for ever (bounded here by 20 s). */
    atomic_int done = 0;
    ASSERT_EQ(pthread_create(&t, NULL, spawn_one, &done), 0);
    uint64_t dl = coord_clock_ns() + 20000000000ull;
    while (!atomic_load(&done) && coord_clock_ns() < dl)
        usleep(1000);
    ASSERT_EQ(atomic_load(&done), 1);
    ASSERT_EQ(pthread_join(t, NULL), 0);
    /* And a plain fork() of the program. */
    pid_t kid = fork();
    ASSERT_TRUE(kid >= 0);
    if (kid == 0)
        _exit(0);
    int st;
    ASSERT_EQ(waitpid(kid, &st, 0), kid);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A shim in a directory whose path holds a space (a build directory such
 * as "/home/me/My Projects/coord/build") is preloaded all the same:
 * ld.so splits LD_PRELOAD at spaces, and the shim tests ran without their
 * shim and failed. The shim is in the mapped files of the program run. */
TEST(spawn_preload_from_a_directory_with_a_space)
{
    char dir[160], link[256];
    test_mkdtemp(dir, sizeof dir, "a space");
    ASSERT_TRUE(strchr(dir, ' ') != NULL);
    snprintf(link, sizeof link, "%s/libcoord_test_pidfdshim.so", dir);
    ASSERT_EQ(symlink(COORD_PIDFDSHIM_PATH, link), 0);
    test_preload(link);
    static const char *const argv[] = {"/bin/cat", "/proc/self/maps", NULL};
    static char out[262144], err[4096];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 10000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_TRUE(strstr(err, "cannot be preloaded") == NULL);
    ASSERT_TRUE(strstr(out, "libcoord_test_pidfdshim.so") != NULL);
}

#define TEST_LIST(X)                                                           \
    X(spawn_kill_of_a_child_reaped_behind_our_back_spares_its_pid)             \
    X(spawn_of_a_child_reaped_before_its_pidfd_signals_no_one)                 \
    X(spawn_kill_ends_a_live_child_when_pidfd_send_signal_is_refused)          \
    X(spawn_kill_of_a_child_reaped_elsewhere_leaves_another_zombie_alone)      \
    X(spawn_wait_of_a_child_reaped_elsewhere_leaves_another_zombie_alone)      \
    X(spawn_wait_of_a_child_reaped_elsewhere_waits_for_no_other_child)         \
    X(spawn_kill_refused_by_seccomp_spares_the_pid_of_a_child_reaped_elsewhere) \
    X(spawn_child_outlives_the_thread_that_forked_it)                          \
    X(spawn_children_survive_printf_with_stdio_closed_at_start)                \
    X(spawn_child_whose_parent_died_before_it_held_leaves)                     \
    X(spawn_keeps_no_descriptor_once_its_children_are_reaped)             \
    X(spawn_lifeline_survives_a_thread_cancelled_inside_it)                    \
    X(spawn_preload_from_a_directory_with_a_space)
#define HELPER_LIST(X) X(spawn_reaped_before_its_pidfd)
TEST_MAIN()
