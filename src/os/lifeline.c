/* SPDX-License-Identifier: MIT */
/* lifeline.c: tie forked children to the life of the process that forked them (not of the thread). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/*
 * Why not PR_SET_PDEATHSIG alone. Linux sends that signal when the
 * *thread* that forked the child exits, not when its process does: a pool
 * shared by threads forks a replacement worker in whichever thread's call
 * saw a death, and the replacement was SIGKILLed when that thread ended.
 * A process's death has to be seen through something the process as a
 * whole holds, so:
 *
 * The lifeline is a pipe. This process (the parent) holds its write end,
 * `wfd`, and nothing is ever written to it; each child holds a read end
 * of its own. The write end is closed when the parent process exits
 * (however it ends: the kernel closes its descriptors once its last
 * thread is gone) or execs (it is O_CLOEXEC: the new image has no use for
 * the workers), and a pipe whose last write end closes wakes its readers:
 * each child's read end is in signal-driven mode (O_ASYNC), owned by the
 * child (F_SETOWN) with SIGKILL as its signal (F_SETSIG), so the kernel
 * sends the child SIGKILL at that moment. The child needs no thread and no
 * polling: it may be busy in user code, or blocked, or have the signal
 * masked (SIGKILL cannot be), and dies all the same. A thread of the
 * parent that exits changes nothing: the descriptor table is the
 * process's.
 *
 * Each child needs its own open file description of the read end (the
 * owner and the signal belong to the description, and children sharing
 * one would overwrite each other's owner), so the parent opens a fresh
 * one before each fork, through /proc/self/fd/<wfd> (opening a pipe there
 * opens the pipe again, in the mode asked for, as a FIFO is opened), and
 * closes its copy after the fork.
 *
 * The write end must stay in the parent only: a child that kept a copy
 * would keep every worker alive after the parent died. Children of
 * coord__spawn drop it in the atfork child handler below, and so does any
 * other child forked by fork() (a plain fork of the program, Python's
 * os.fork, multiprocessing); exec closes it (O_CLOEXEC). Only a process
 * made by a bare clone() or vfork() that does not exec would keep it,
 * which coord documents. The handler's mutex makes the creation of the
 * pipe and every fork exclusive, so no fork copies a write end that the
 * handler does not yet know of.
 *
 * The pipe lives while children hold it: `holders` counts the children
 * forked and not yet reaped (and forks under way), and the write end is
 * closed when it falls to 0, so that a process that uses a pool now and
 * then keeps no descriptor in between. A descriptor that the program
 * closed or replaced under us (close_range, dup2; its children then died,
 * as they would with their parent) is seen by its inode and not reused.
 *
 * Where /proc is not mounted, or no descriptor is free, a child falls
 * back to PR_SET_PDEATHSIG, with its thread caveat (coord__lifeline_hold).
 *
 * The designs not taken. Forking every child from one long-lived thread
 * (a helper, or the thread that made the pool, which may itself be gone):
 * a child is a copy of the thread that forks it, so it would run the
 * caller's callback with the helper's thread-local state, and the Python
 * binding's fork hooks need the interpreter's state of the forking
 * thread. PR_SET_PDEATHSIG with a handled signal whose handler compares
 * getppid() with the parent (a thread's exit reparents the child to
 * another thread of the same process, so the pid stays): the worker's
 * code could replace the handler or mask the signal, and every exit of a
 * forking thread would interrupt the workers' system calls (EINTR). A
 * thread in the child that waits for the pipe's end of file: the child of
 * a multithreaded fork may only make async-signal-safe calls, which
 * pthread_create is not. Polling for end of file from the worker's loops:
 * a worker busy in a long callback would not look.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int wfd = -1;    /* the write end, or -1 */
static dev_t wdev;      /* what wfd was when made, to see it replaced */
static ino_t wino;
static size_t holders;  /* children forked and not reaped, forks under way */

static int atfork_rc = -1; /* pthread_atfork's answer */

/* In a child of coord__spawn: its own armed read end (-1 if none: tied by
 * PR_SET_PDEATHSIG instead). */
static int held = -1;

static void fork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

/* In every child of fork(): the parent's write end is not ours to hold
 * (close is async-signal-safe, as a handler run in a fork of a
 * multithreaded process must be). Nor is a read end inherited from a
 * coord parent: this process was not the one tied by it. */
static void fork_child(void)
{
    if (wfd >= 0)
        close(wfd);
    wfd = -1;
    holders = 0;
    held = -1;
    pthread_mutex_unlock(&lock);
}

/* Without the handlers (pthread_atfork ran out of memory) no write end
 * is ever made: every fork would copy it. */
static void register_handlers(void)
{
    atfork_rc = pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Is wfd still the pipe we made? (Under the lock.) */
static bool wfd_ours(void)
{
    struct stat st;
    return wfd >= 0 && fstat(wfd, &st) == 0 && S_ISFIFO(st.st_mode) &&
           st.st_dev == wdev && st.st_ino == wino;
}

/* Make the write end (under the lock). Returns 0 or -1. A write end at 1
 * or 2 (a program started with stdio closed) would take the program's
 * next printf: data in the pipe makes every child's read end readable,
 * which is SIGKILL for each, and for every child forked later (its check
 * for end of file sees the data). */
static int wfd_make(void)
{
    int p[2];
    struct stat st;
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    close(p[0]);
    p[1] = coord__fd_above_stdio(p[1]);
    if (fstat(p[1], &st) != 0) {
        close(p[1]);
        return -1;
    }
    wfd = p[1];
    wdev = st.st_dev;
    wino = st.st_ino;
    return 0;
}

/* The lock is held across close() and open(), which are cancellation
 * points: a thread cancelled there (pthread_cancel) would keep it for
 * ever, and every later fork() of the process would hang in fork_prepare.
 * So cancellation waits while the lock is held (the caller's next
 * cancellation point acts on it). */
static int lock_nocancel(void)
{
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    pthread_mutex_lock(&lock);
    return old;
}

static void unlock_nocancel(int old)
{
    pthread_mutex_unlock(&lock);
    pthread_setcancelstate(old, NULL);
}

int coord__lifeline_take(void)
{
    if (pthread_once(&once, register_handlers) != 0 || atfork_rc != 0)
        return -1;
    int cs = lock_nocancel();
    if (!wfd_ours()) {
        /* Gone or replaced under us: not ours to close. */
        wfd = -1;
        if (wfd_make() != 0) {
            unlock_nocancel(cs);
            return -1;
        }
    }
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", wfd);
    /* Nothing ever reads it; O_NONBLOCK so that a read by mistake (a
     * worker's code reading a descriptor it did not open) cannot hang. */
    int rfd = coord__fd_above_stdio(
        open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (rfd >= 0) {
        holders++;
    } else if (holders == 0) {
        close(wfd);
        wfd = -1;
    }
    unlock_nocancel(cs);
    return rfd;
}

void coord__lifeline_drop(void)
{
    int cs = lock_nocancel();
    if (holders == 0)
        COORD__DIE("lifeline dropped more often than taken");
    /* The last child gone: no reader is left to signal, close it. */
    if (--holders == 0 && wfd >= 0) {
        if (wfd_ours())
            close(wfd);
        wfd = -1;
    }
    unlock_nocancel(cs);
}

void coord__lifeline_forked(int rfd, bool forked)
{
    if (rfd < 0)
        return;
    /* close() is a cancellation point: a thread cancelled there would
     * leave a failed fork counted (the write end kept for ever). */
    int cs;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cs);
    close(rfd);
    if (!forked)
        coord__lifeline_drop();
    pthread_setcancelstate(cs, NULL);
}

/* PR_SET_PDEATHSIG's way, where there is no lifeline: the signal comes
 * when the forking thread exits (not the process), and never if the
 * parent died before the prctl, which getppid() tells (the standard race
 * check: a child whose parent died has been reparented). */
static bool hold_by_prctl(pid_t parent, int sig)
{
    prctl(PR_SET_PDEATHSIG, sig);
    return getppid() == parent;
}

/* Is the parent gone? Readable (end of file: nothing is ever written) or
 * hung up means no write end is left. */
static bool parent_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    do {
        n = poll(&p, 1, 0);
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

bool coord__lifeline_hold(int rfd, pid_t parent, int sig)
{
    if (rfd < 0)
        return hold_by_prctl(parent, sig);
    /* Owner first, then the signal, then the mode: the signal is never
     * armed towards no one. */
    int fl = fcntl(rfd, F_GETFL);
    if (fl < 0 || fcntl(rfd, F_SETOWN, getpid()) != 0 ||
        fcntl(rfd, F_SETSIG, sig) != 0 ||
        fcntl(rfd, F_SETFL, fl | O_ASYNC) != 0) {
        close(rfd);
        return hold_by_prctl(parent, sig);
    }
    held = rfd;
    /* The kernel signals readers when the last write end closes, not
     * while none is open: a parent that died since the fork (before the
     * signal was armed) is seen here, as getppid() sees it after a prctl. */
    return !parent_gone(rfd);
}

int coord__lifeline_fd(void)
{
    return held;
}
