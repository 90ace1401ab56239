/* SPDX-License-Identifier: MIT */
/* spawn.c: fork workers with pidfds, wait for them with deadlines, reap them. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* A pidfd for the child `pid` just forked, or -1. *gone: the child has
 * already ended and been reaped behind our back (SIGCHLD ignored), so its
 * pid is free: no pidfd, and the pid is not to be used either. */
static int pidfd_of(pid_t pid, bool *gone)
{
    *gone = false;
#if COORD_HAVE_PIDFD
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) {
        *gone = errno == ESRCH; /* a zombie would still have given one */
        return -1;
    }
    int pfd = coord__fd_above_stdio((int)fd);
    if (pfd < 0)
        return -1;
    /* Reaped and its pid taken by another process between the fork and
     * pidfd_open: the pidfd is that process's, which is no child of ours
     * (ECHILD). EINVAL: a kernel before P_PIDFD, which cannot tell. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid((idtype_t)3 /* P_PIDFD */, (id_t)pfd, &si,
               WEXITED | WNOHANG | WNOWAIT) != 0 &&
        errno == ECHILD) {
        close(pfd);
        *gone = true;
        return -1;
    }
    return pfd;
#else
    (void)pid;
    return -1;
#endif
}

int coord__spawn(coord__child *c, int (*fn)(void *arg), void *arg)
{
    return coord__spawn_sig(c, fn, arg, SIGKILL);
}

int coord__spawn_sig(coord__child *c, int (*fn)(void *arg), void *arg,
                     int sig)
{
    if (!c || !fn)
        return COORD_EINVAL;
    /* Flush stdio so buffered output is not written twice (by both). */
    fflush(NULL);
    pid_t parent = getpid();
    /* From the lifeline's take until the child is recorded, cancellation
     * (pthread_cancel) waits: acted on at close() or open() in between,
     * it would leave the lifeline counted for a child that never was, or
     * a child forked and known to no one (never killed, never reaped).
     * The child gets the caller's state back before fn. */
    int cs;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cs);
    /* Not PR_SET_PDEATHSIG: it fires when the forking thread exits (see
     * lifeline.c), and this may be any thread of the process. */
    int rfd = coord__lifeline_take();
    pid_t pid = fork();
    if (pid == 0) {
        /* The parent may have died since the fork: then leave, or (a
         * signal the child handles) have the signal all the same. */
        if (!coord__lifeline_hold(rfd, parent, sig)) {
            if (sig == SIGKILL)
                _exit(127);
            raise(sig);
        }
        pthread_setcancelstate(cs, NULL);
        int r = fn(arg);
        _exit(r & 0xff);
    }
    int e = errno;
    coord__lifeline_forked(rfd, pid > 0);
    if (pid < 0) {
        pthread_setcancelstate(cs, NULL);
        return e == ENOMEM ? COORD_ENOMEM : COORD_EAGAIN;
    }
    c->pid = pid;
    c->pidfd = pidfd_of(pid, &c->gone);
    c->status = 0;
    c->parent = parent;
    c->lifeline = rfd >= 0;
    pthread_setcancelstate(cs, NULL);
    return 0;
}

/* Forget c without touching the process (see coord__child's comment). */
static void forget(coord__child *c)
{
    c->pid = 0;
    c->lifeline = false;
    c->gone = false;
    if (c->pidfd >= 0) {
        close(c->pidfd);
        c->pidfd = -1;
    }
}

/* Is c a live child of this process (`self`, coord__self_pid())? */
static bool ours(const coord__child *c, pid_t self)
{
    return c->pid > 0 && c->parent == self;
}

/* c has ended with `status` (and is reaped, by us or behind our back):
 * forget it and let go of its share of the lifeline. */
static void ended(coord__child *c, int status)
{
    c->status = status;
    bool counted = c->lifeline;
    forget(c);
    if (counted)
        coord__lifeline_drop();
}

#if COORD_HAVE_PIDFD
/* The wait status waitpid would have given for waitid's `si`. */
static int status_of(const siginfo_t *si)
{
    if (si->si_code == CLD_EXITED)
        return (si->si_status & 0xff) << 8;
    if (si->si_code == CLD_DUMPED)
        return (si->si_status & 0x7f) | 0x80;
    return si->si_status & 0x7f; /* CLD_KILLED */
}
#endif

static int reap(coord__child *c, int flags)
{
    int st;
    pid_t r;
    if (c->gone) { /* reaped elsewhere before we had its pidfd */
        ended(c, COORD__STATUS_UNKNOWN);
        return 0;
    }
#if COORD_HAVE_PIDFD
    /* By the pidfd where there is one (Linux 5.4+): a child reaped behind
     * our back frees its pid at once, and a wait by that pid would take
     * the status of another child of ours that took it, or wait for it. */
    if (c->pidfd >= 0) {
        siginfo_t si;
        int w;
        do {
            memset(&si, 0, sizeof si);
            w = waitid((idtype_t)3 /* P_PIDFD */, (id_t)c->pidfd, &si,
                       WEXITED | flags);
        } while (w < 0 && errno == EINTR);
        if (w == 0 && si.si_pid == 0)
            return COORD_ETIMEDOUT;
        if (w == 0) {
            ended(c, status_of(&si));
            return 0;
        }
        if (errno == ECHILD) { /* reaped elsewhere */
            ended(c, COORD__STATUS_UNKNOWN);
            return 0;
        }
        /* EINVAL: a kernel before P_PIDFD; EBADF: no pidfd. By the pid. */
    }
#endif
    do {
        r = waitpid(c->pid, &st, flags);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        return COORD_ETIMEDOUT;
    if (r < 0 && errno != ECHILD)
        return COORD_ECHILD;
    /* ECHILD for a pid we spawned and did not reap: someone else did
     * (SIGCHLD set to SIG_IGN, or a waitpid(-1) elsewhere). It has ended;
     * how is unknown. Its pid is forgotten, as it may be recycled. */
    ended(c, r < 0 ? COORD__STATUS_UNKNOWN : st);
    return 0;
}

int coord__child_wait(coord__child *c, int timeout_ms)
{
    size_t which;
    if (!c || c->pid <= 0)
        return COORD_ECHILD;
    return coord__child_wait_any(c, 1, timeout_ms, &which);
}

int coord__child_wait_any(coord__child *c, size_t n, int timeout_ms,
                          size_t *which)
{
    if (!c || !which || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    uint64_t deadline = coord__deadline(timeout_ms);
    struct pollfd pfd[64];
    pid_t self = (pid_t)coord__self_pid();
    for (;;) {
        size_t live = 0, np = 0;
        bool all_fds = true;
        for (size_t i = 0; i < n; i++) {
            if (!ours(&c[i], self))
                continue;
            live++;
            if (reap(&c[i], WNOHANG) == 0) {
                *which = i;
                return 0;
            }
            if (c[i].pidfd >= 0 && np < 64) {
                pfd[np].fd = c[i].pidfd;
                pfd[np].events = POLLIN;
                np++;
            } else {
                all_fds = false;
            }
        }
        if (live == 0)
            return COORD_ECHILD;
        uint64_t now = coord_clock_ns();
        if (now >= deadline)
            return COORD_ETIMEDOUT;
        /* With pidfds for all children, sleep until one becomes readable
         * (it has exited); without, poll waitpid every millisecond. */
        int wait_ms = all_fds ? 1000 : 1;
        if (deadline != UINT64_MAX) {
            uint64_t left = (deadline - now + 999999) / 1000000;
            if (left < (uint64_t)wait_ms)
                wait_ms = (int)left;
        }
        if (np > 0 && all_fds)
            poll(pfd, np, wait_ms);
        else
            usleep((useconds_t)wait_ms * 1000);
    }
}

int coord__child_poll(coord__child *c, size_t n, struct pollfd *pfd,
                      size_t *ended, int timeout_ms)
{
    if ((!c && n) || (n && (!pfd || !ended)) ||
        coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    uint64_t deadline = coord__deadline(timeout_ms);
    pid_t self = (pid_t)coord__self_pid();
    for (;;) {
        size_t live = 0;
        bool all_fds = true;
        for (size_t i = 0; i < n; i++) {
            pfd[i].fd = -1; /* poll() skips negative descriptors */
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            if (!ours(&c[i], self))
                continue;
            live++;
            if (c[i].pidfd >= 0)
                pfd[i].fd = c[i].pidfd;
            else
                all_fds = false;
        }
        if (live == 0)
            return COORD_ECHILD;
        uint64_t now = coord_clock_ns();
        int ms = 0;
        if (deadline == UINT64_MAX) {
            ms = all_fds ? 1000 : 1;
        } else if (now < deadline) {
            uint64_t left = (deadline - now + 999999) / 1000000;
            ms = left > 1000 ? 1000 : (int)left;
            if (!all_fds && ms > 1)
                ms = 1;
        }
        int r;
        do {
            r = poll(pfd, n, ms);
        } while (r < 0 && errno == EINTR && ms == 0);
        /* poll() refuses more entries than RLIMIT_NOFILE (EINVAL), counted
         * over the whole array, skipped entries included: with more
         * children than `ulimit -n`, or the limit lowered since, it fails
         * at once every time, and a child that ended went unseen for ever
         * (the pool never heard of a worker's death: its task's result
         * never came) while the caller's wait spun. Then every child is
         * asked, once a millisecond, as a child without a pidfd is. */
        bool blind = r < 0 && errno != EINTR;
        if (blind && ms > 0)
            usleep(1000);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (!ours(&c[i], self))
                continue;
            /* A readable pidfd: the process has ended. No pidfd: ask. */
            if ((pfd[i].fd < 0 || pfd[i].revents != 0 || blind) &&
                reap(&c[i], WNOHANG) == 0)
                ended[k++] = i;
        }
        if (k > 0 || ms == 0)
            return (int)k;
    }
}

#if COORD_HAVE_PIDFD
/* Has the child behind c's pidfd ended (a zombie, or reaped elsewhere)?
 * Looks without reaping. False when the pidfd cannot tell (no P_PIDFD). */
static bool pidfd_ended(const coord__child *c)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int w;
    do {
        w = waitid((idtype_t)3 /* P_PIDFD */, (id_t)c->pidfd, &si,
                   WEXITED | WNOHANG | WNOWAIT);
    } while (w < 0 && errno == EINTR);
    return w == 0 ? si.si_pid != 0 : errno == ECHILD;
}
#endif

int coord__child_signal(coord__child *c, int sig)
{
    if (!c || c->pid <= 0 || c->gone ||
        c->parent != (pid_t)coord__self_pid())
        return COORD_ECHILD;
#if COORD_HAVE_PIDFD && defined(SYS_pidfd_send_signal)
    /* Through its pidfd where there is one. A child reaped behind our back
     * (SIGCHLD set to SIG_IGN) frees its pid at once, and a signal by pid
     * could reach whatever process took it since. ESRCH: it has ended and
     * been reaped (a zombie still takes a signal). */
    if (c->pidfd >= 0) {
        long r = syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0);
        if (r == 0)
            return 0;
        if (errno == ESRCH)
            return COORD_ECHILD;
        /* Any other failure (a seccomp policy's EPERM, a descriptor that
         * is no pidfd, ENOSYS) says nothing about the child: by the pid,
         * as before pidfds. But first ask the pidfd whether it has ended:
         * reaped elsewhere, its pid may be another process's now. */
        if (pidfd_ended(c))
            return COORD_ECHILD;
    }
#endif
    return kill(c->pid, sig) == 0 ? 0 : COORD_ECHILD;
}

void coord__child_kill(coord__child *c)
{
    if (!c || c->pid <= 0)
        return;
    if (c->parent != (pid_t)coord__self_pid()) {
        forget(c);
        return;
    }
    /* Sent: wait for it. Not sent, it has ended: reap it, or learn it was
     * reaped elsewhere (forgotten, status unknown). Whatever holds its pid
     * now is another process, maybe a child of ours whose status is its
     * owner's: no wait by that pid, and no wait for ever on a child that
     * was not signalled. */
    if (coord__child_signal(c, SIGKILL) == 0)
        reap(c, 0);
    else
        reap(c, WNOHANG);
}

const char *coord__status_text(int status, char *buf, size_t cap)
{
    if (status == COORD__STATUS_UNKNOWN)
        snprintf(buf, cap, "reaped elsewhere (status unknown)");
    else if (WIFEXITED(status))
        snprintf(buf, cap, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "status 0x%x", status);
    return buf;
}
