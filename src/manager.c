/* SPDX-License-Identifier: MIT */
/* manager.c: the manager server: options, the epoll loop and its spin, start and stop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manager_server.h"
#include "manager_spin.h"

#define MAX_EVENTS 64
#define FAST_POLL_NS 2000u /* mailbox polling between two epoll_waits */

void coord_manager_opts_init(coord_manager_opts *o)
{
    if (!o)
        return;
    o->max_key = 256;
    o->max_value = 1u << 20;
    o->max_entries = 1000000;
    o->max_bytes = (size_t)256 << 20;
    o->max_frame = (size_t)16 << 20;
    o->max_batch = 4096;
    o->max_clients = 64;
    o->spin_ns = 0;
    o->handshake_ms = 2000;
    o->stall_ms = 10000;
}

int coord__mopts_fix(const coord_manager_opts *in, coord_manager_opts *out)
{
    coord_manager_opts d;
    coord_manager_opts_init(&d);
    if (in) {
        if (in->max_key)
            d.max_key = in->max_key;
        if (in->max_value)
            d.max_value = in->max_value;
        if (in->max_entries)
            d.max_entries = in->max_entries;
        if (in->max_bytes)
            d.max_bytes = in->max_bytes;
        if (in->max_frame)
            d.max_frame = in->max_frame;
        if (in->max_batch)
            d.max_batch = in->max_batch;
        if (in->max_clients)
            d.max_clients = in->max_clients;
        d.spin_ns = in->spin_ns;
        if (in->handshake_ms)
            d.handshake_ms = in->handshake_ms;
        if (in->stall_ms)
            d.stall_ms = in->stall_ms;
    }
    /* Stored as what it asks for: positive ns, or -1 for none. */
    uint64_t spin;
    if (coord__spin_setting(d.spin_ns, &spin))
        return COORD_EINVAL;
    d.spin_ns = spin ? (int64_t)spin : -1;
    /* Lengths travel as u16 (keys), u32 (values, frames) and counts as
     * u16 (batch) and i32 (results). */
    if (d.max_key > UINT16_MAX || d.max_value > UINT32_MAX / 2 ||
        d.max_frame > UINT32_MAX / 2 || d.max_frame < COORD__WIRE_MIN_FRAME ||
        d.max_frame < d.max_value + 2 * d.max_key + 64 ||
        d.max_frame < 5 * d.max_batch + 64 ||
        d.max_batch > UINT16_MAX || d.max_entries > INT32_MAX - 2 ||
        d.max_clients > 100000 || d.handshake_ms < 0 ||
        d.handshake_ms > COORD__MGR_MAX_MS || d.stall_ms < 0 ||
        d.stall_ms > COORD__MGR_MAX_MS)
        return COORD_EINVAL;
    *out = d;
    return 0;
}

/* How long coord_manager_start waits for the server to say how its setup
 * went (a few system calls; generous for a loaded machine). */
#define READY_MS 10000

/* Who hears how the server's setup went, once: coord_manager_start over
 * its pipe (fd; the code, 0 or an error), or coord_manager_run_ready's
 * callback (fn, called only when the server is set up and about to serve;
 * an error is run_ready's return value). */
struct ready_note {
    int fd;                                  /* -1: none */
    void (*fn)(void *arg, const char *path); /* NULL: none */
    void *arg;
    const char *path;
};

static void tell_ready(struct ready_note *n, int code)
{
    if (n->fd >= 0) {
        ssize_t w = write(n->fd, &code, sizeof code);
        (void)w; /* the starter sees end of file if this failed */
        close(n->fd);
        n->fd = -1;
    }
    if (n->fn && code == 0)
        n->fn(n->arg, n->path);
    n->fn = NULL;
}

/* The loop. Returns when the signalfd fires. */
static int serve(int lfd, const struct coord__mpath *path, int sfd,
                 const coord_manager_opts *o, struct ready_note *ready,
                 bool own_heap)
{
    struct coord__msrv sv;
    memset(&sv, 0, sizeof sv);
    sv.next_timer = UINT64_MAX;
    coord__mstore_init(&sv.s, o);
    sv.s.own_heap = own_heap;
    sv.lfd = lfd;
    sv.sfd = sfd;
    sv.ep = epoll_create1(EPOLL_CLOEXEC);
    if (sv.ep < 0) {
        int r = coord__merrno(errno);
        tell_ready(ready, r);
        return r;
    }
    static char lmark, smark; /* epoll cookies of the two special fds */
    sv.lmark = &lmark;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &lmark};
    /* Both must be watched (ENOMEM; ENOSPC at fs.epoll.max_user_watches):
     * without the listener a server that said it serves accepted nobody
     * (its clients timed out), without the signalfd SIGTERM and Ctrl-C,
     * blocked, never stopped it (coord_manager_stop had to kill it, and
     * `coord manager` outlived both, its socket left behind). */
    int added = epoll_ctl(sv.ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = &smark;
    if (added == 0)
        added = epoll_ctl(sv.ep, EPOLL_CTL_ADD, sfd, &ev);
    if (added != 0) {
        int r = coord__merrno(errno);
        close(sv.ep);
        tell_ready(ready, r);
        return r;
    }
    tell_ready(ready, 0);
    struct epoll_event evs[MAX_EVENTS];
    /* After serving, poll until spin_until before sleeping (spin_ns in
     * manager.h, src/wait.h). The window opens when the serving is done,
     * so a long turn does not use it up, nor pass for a lost CPU. */
    uint64_t spin_ns = o->spin_ns > 0 ? (uint64_t)o->spin_ns : 0;
    uint64_t spin_until = 0;
    struct coord__spinner sp = {0};
    uint64_t tend_at = 0;
    /* Spins of our clients are not load for us, nor ours for them. We
     * serve everyone, so slot 0 is ours: the clients share the others. */
    struct coord__spinset *spins = coord__mspin_serve(path->dev, path->ino);
    coord__spinner_join_as(&sp, spins, COORD__SPIN_LEAD);
    while (!sv.stop) {
        bool spin = false;
        if (!sv.pending_head && spin_ns)
            spin = coord_clock_ns() < spin_until;
        if (!spin && spin_until) {
            coord__spin_end(&sp); /* the window is over */
            spin_until = 0;
        }
        int tmo = coord__mtimer_wait_ms(&sv, sv.pending_head || spin ? 0 : -1);
        tmo = coord__mlisten_wait_ms(&sv, tmo);
        int served = coord__mfast_cool(&sv);
        if (spin && sv.fast_all && !served) {
            /* Between two looks at the descriptors, poll the mailboxes:
             * a spinning client's request is seen within a few hundred
             * nanoseconds instead of an epoll_wait's system call. Two
             * pauses between scans, not more: a pause costs tens of
             * nanoseconds here, and 16 of them put a get at 600 ns
             * against 490 (mgrlat, 1 client, 6 alternations). */
            uint64_t until = coord_clock_ns() + FAST_POLL_NS;
            do {
                served = coord__mfast_serve_all(&sv);
                for (int i = 0; i < 2 && !served; i++)
                    coord__cpu_relax();
            } while (!served && coord_clock_ns() < until);
        }
        if (spins && !served) {
            /* Idle: clients waiting for a turn (src/wait.h, 5.) whose slot
             * came free without a hand-over (its holder stopped calling,
             * or died) get it now; while they wait, sleep 1 ms at most. */
            uint64_t now = coord_clock_ns();
            coord__turn_tend(spins, now, &tend_at);
            if (tmo != 0 && coord__turn_wanted(spins, now))
                tmo = tmo < 0 || tmo > 1 ? 1 : tmo;
        }
        /* Before sleeping, tell the mailboxes (their clients ring). */
        bool slept = tmo != 0 && !served;
        if (slept && !coord__mfast_sleep(&sv)) {
            slept = false;
            tmo = 0;
        }
        int n = epoll_wait(sv.ep, evs, MAX_EVENTS, served ? 0 : tmo);
        if (slept)
            coord__mfast_wake(&sv);
        if (n < 0 && errno != EINTR)
            break;
        if (n == 0 && !served && spin && !coord__spin_step(&sp)) {
            coord__spin_end(&sp); /* the CPU is wanted: sleep (wait.h) */
            spin_until = 0;
        }
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &lmark) {
                coord__maccept(&sv);
            } else if (p == &smark) {
                sv.stop = true;
            } else {
                struct coord__mconn *c = p;
                if (c->in_fd < 0)
                    continue;
                /* While armed only the output is watched: EPOLLOUT, or an
                 * error or hang-up (its reader is gone), which the write
                 * then reports (EPIPE: closed). Reading instead would find
                 * nothing and the level-triggered error would spin. */
                if (c->out_armed) {
                    if (coord__mconn_flush(&sv, c))
                        coord__mconn_serve(&sv, c);
                } else
                    coord__mconn_read(&sv, c);
            }
        }
        /* One more turn for each connection that had frames left. */
        struct coord__mconn *c = sv.pending_head, *next;
        sv.pending_head = sv.pending_tail = NULL;
        for (; c; c = next) {
            next = c->next_pending;
            c->pending = false;
            if (c->in_fd < 0)
                free(c);
            else
                coord__mconn_serve(&sv, c);
        }
        served += coord__mfast_serve_all(&sv);
        if ((n > 0 || served) && spin_ns)
            spin_until =
                coord__spin_begin(&sp, spin_ns) ? sp.start + spin_ns : 0;
    }
    coord__spin_end(&sp);
    coord__mspin_close(spins, true);
    /* Stop: close every connection (clients see EOF: COORD_EPEERDIED). */
    for (struct coord__mconn *c = sv.pending_head, *next; c; c = next) {
        next = c->next_pending;
        c->pending = false;
        if (c->in_fd < 0)
            free(c);
    }
    while (sv.all)
        coord__mconn_close(&sv, sv.all);
    close(sv.ep);
    coord__mstore_free(&sv.s);
    return 0;
}

/* ---- start / stop / run ------------------------------------------------- */

struct coord_manager {
    struct coord__mpath p;
    coord__child child;
    coord_manager_opts o;
    int lfd;
    int ready_w; /* the server's end of the pipe start waits on */
    pid_t parent;
    sigset_t mask; /* the starting thread's, before start blocked the
                      ending signals */
};

void (*coord__mstart_hook)(int point);

/* The signals whose default action ends a process and which a user or a
 * launcher sends to end it: Ctrl-C (SIGINT), Ctrl-\ (SIGQUIT), a closed
 * terminal (SIGHUP), kill (SIGTERM). coord_manager_start blocks them from
 * before it makes the directory until the server is forked, and the
 * server starts with them blocked: a process ended between the two, or a
 * server ended before it took them, left the directory and its socket
 * behind for good (nobody removes a /tmp/coord-mgr-* directory). */
static const int ending[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
#define N_ENDING (sizeof ending / sizeof ending[0])

static void ending_signals(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < N_ENDING; i++)
        sigaddset(set, ending[i]);
}

/* Close every descriptor from 3 up but `a`, `b` and `c` (-1: none). */
static void close_all_but(int a, int b, int c)
{
    int keep[3] = {a, b, c};
    for (int i = 0; i < 2; i++) /* sort the three */
        for (int j = 0; j < 2 - i; j++)
            if (keep[j] > keep[j + 1]) {
                int t = keep[j];
                keep[j] = keep[j + 1];
                keep[j + 1] = t;
            }
    unsigned from = 3;
    for (int k = 0; k < 3; k++) {
        if (keep[k] < (int)from)
            continue;
        if ((unsigned)keep[k] > from)
            close_range(from, (unsigned)keep[k] - 1, 0);
        from = (unsigned)keep[k] + 1;
    }
    close_range(from, ~0u, 0);
}

/* The server's own ending: does `sig` stop it (through its signalfd) or
 * leave it alone? SIGTERM always stops it. SIGHUP and SIGQUIT, which ended
 * it without its cleanup, stop it cleanly where they would have ended its
 * creator: left at their default and not blocked. One that its creator
 * ignores or blocks (nohup) stays so here; one that it handles (it lives
 * through a closed terminal's SIGHUP, Python's faulthandler on SIGQUIT)
 * is ignored here (the handler is the creator's code, and the creator
 * decides when its server stops; it served on, running that handler,
 * before SIGHUP and SIGQUIT stopped it). SIGINT is ignored. */
static bool stops_server(int sig, const sigset_t *mask)
{
    if (sig == SIGTERM)
        return true;
    if (sig == SIGINT || sigismember(mask, sig))
        return false;
    struct sigaction cur;
    if (sigaction(sig, NULL, &cur) != 0)
        return false;
    if (cur.sa_handler == SIG_DFL)
        return true;
    if (cur.sa_handler != SIG_IGN)
        signal(sig, SIG_IGN);
    return false;
}

static int server_main(void *arg)
{
    struct coord_manager *m = arg;
    /* The ending signals are blocked (coord_manager_start), and the
     * owner's death sends SIGTERM (coord__spawn_sig): one that came since
     * the fork is pending, and read from the signalfd below. */
    if (coord__mstart_hook)
        coord__mstart_hook(COORD__MSTART_SERVER);
    /* The fork copied every descriptor of the creator, among them the
     * pipes of its clients (of other managers): holding a client's request
     * pipe would keep that client's connection open after it closed. Keep
     * only stdio, the listening socket and our end of the owner's lifeline
     * (closing it would let us outlive the owner). */
    close_all_but(m->lfd, coord__lifeline_fd(), m->ready_w);
    /* Ctrl-C in the terminal reaches the whole process group: the server
     * keeps serving (its owner decides when to stop, as Python's does). A
     * Ctrl-C pending since the fork is dropped here. */
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t set, mask = m->mask;
    sigemptyset(&set);
    for (size_t i = 0; i < N_ENDING; i++)
        if (stops_server(ending[i], &m->mask)) {
            sigaddset(&set, ending[i]);
            sigaddset(&mask, ending[i]);
        }
    struct ready_note note = {.fd = m->ready_w};
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        /* Its owner may be gone: the server removes what it made before
         * it says so (the owner then finds nothing left to remove). */
        int r = coord__merrno(errno);
        close(m->lfd);
        coord__mpath_cleanup(&m->p);
        tell_ready(&note, r);
        return 3;
    }
    /* The signalfd's signals stay blocked; the other ending signals get
     * the creator's mask back (SIGINT, ignored, and an ignored SIGHUP or
     * SIGQUIT pending since the fork are dropped). */
    sigprocmask(SIG_SETMASK, &mask, NULL);
    int r = serve(m->lfd, &m->p, sfd, &m->o, &note, true);
    close(m->lfd);
    coord__mpath_cleanup(&m->p);
    return r ? 4 : 0;
}

int coord_manager_start(coord_manager **out, const char *socket_path,
                        const coord_manager_opts *opts)
{
    if (!out)
        return COORD_EINVAL;
    *out = NULL;
    struct coord_manager *m = calloc(1, sizeof *m);
    if (!m)
        return COORD_ENOMEM;
    int r = coord__mopts_fix(opts, &m->o);
    if (r) {
        free(m);
        return r;
    }
    /* coord__spawn_sig flushes stdio before the fork, and a flush can
     * wait for ever (stdout on a pipe its reader has stopped reading): done
     * here, where the ending signals still end us, it leaves that one
     * nothing to write. Under them blocked, SIGTERM and Ctrl-C did nothing
     * until the reader read (only SIGKILL ended the process). */
    fflush(NULL);
    /* Blocked until the server is forked (ending_signals). */
    sigset_t block;
    ending_signals(&block);
    if (pthread_sigmask(SIG_BLOCK, &block, &m->mask) != 0) {
        free(m);
        return COORD_EINVAL;
    }
    r = coord__mpath_listen(&m->p, socket_path, &m->lfd);
    if (r) {
        pthread_sigmask(SIG_SETMASK, &m->mask, NULL);
        free(m);
        return r;
    }
    m->parent = getpid();
    /* The server says whether it could set up (its signalfd and epoll:
     * descriptors, memory) before we return: a server that died there
     * left clients nothing to connect to. */
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
        r = coord__merrno(errno);
        close(m->lfd);
        unlink(m->p.path);
        coord__mpath_cleanup(&m->p);
        pthread_sigmask(SIG_SETMASK, &m->mask, NULL);
        free(m);
        return r;
    }
    m->ready_w = ready[1];
    if (coord__mstart_hook)
        coord__mstart_hook(COORD__MSTART_MADE);
    /* The server inherits the blocked signals, and our death sends it
     * SIGTERM from its first instruction on: from here it removes the
     * directory however either of us is ended (but by SIGKILL). */
    r = coord__spawn_sig(&m->child, server_main, m, SIGTERM);
    close(m->lfd);
    close(ready[1]);
    if (r) {
        unlink(m->p.path);
        coord__mpath_cleanup(&m->p);
    }
    /* A signal that came meanwhile ends us now, if it does; the server
     * cleans up after us. */
    pthread_sigmask(SIG_SETMASK, &m->mask, NULL);
    if (r == 0) {
        /* EOF: it died without a word; nothing within READY_MS: it was
         * stopped (SIGSTOP) before it could tell. Either way no server. */
        int code = COORD_EIO;
        ssize_t n = -1;
        uint64_t end = coord__deadline(READY_MS);
        for (;;) {
            uint64_t now = coord_clock_ns();
            struct pollfd pf = {.fd = ready[0], .events = POLLIN};
            int ms = now >= end ? 0 : (int)((end - now + 999999) / 1000000);
            int pr = poll(&pf, 1, ms);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr > 0)
                while ((n = read(ready[0], &code, sizeof code)) < 0 &&
                       errno == EINTR)
                    ;
            break;
        }
        if (n != (ssize_t)sizeof code)
            code = COORD_EIO;
        if (code != 0) {
            coord__child_kill(&m->child); /* and reaps it */
            r = code < 0 ? code : COORD_EIO;
            unlink(m->p.path);
            coord__mpath_cleanup(&m->p);
        }
    }
    close(ready[0]);
    if (r) {
        free(m);
        return r;
    }
    *out = m;
    return 0;
}

const char *coord_manager_path(const coord_manager *m)
{
    return m ? m->p.path : NULL;
}

int coord_manager_pid(const coord_manager *m)
{
    return m ? (int)m->child.pid : 0;
}

int coord_manager_stop(coord_manager *m, int timeout_ms)
{
    if (!m)
        return COORD_EINVAL;
    if (coord__check_timeout(timeout_ms))
        return COORD_EINVAL; /* nothing done: the caller may retry */
    if (m->parent != (pid_t)coord__self_pid()) {
        /* A copy of the handle in a fork of its owner: the server, its
         * socket and its directory are the owner's. Unlinking the socket
         * here left the owner's server running with no way to reach it. */
        coord__child_kill(&m->child); /* forgets it only, in a fork */
        free(m);
        return COORD_ECHILD;
    }
    int rc = 0;
    if (m->child.pid > 0) {
        bool already = coord__child_wait(&m->child, 0) == 0;
        if (!already) {
            coord__child_signal(&m->child, SIGTERM);
            if (coord__child_wait(&m->child, timeout_ms) != 0) {
                coord__child_kill(&m->child);
                rc = COORD_ETIMEDOUT;
            }
        }
        /* Reaped elsewhere (SIGCHLD ignored), the status is unknown: after
         * our SIGTERM, take it for the clean stop it almost surely was. */
        int st = m->child.status;
        if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
            !(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM && !already) &&
            !(st == COORD__STATUS_UNKNOWN && !already))
            rc = COORD_EPEERDIED;
    }
    /* The server removes its socket on a clean stop; after a crash or a
     * kill, do it here (only the socket we bound, by inode). */
    coord__mpath_cleanup(&m->p);
    free(m);
    return rc;
}

int coord_manager_run(const char *socket_path, const coord_manager_opts *opts)
{
    return coord_manager_run_ready(socket_path, opts, NULL, NULL);
}

int coord_manager_run_ready(const char *socket_path,
                            const coord_manager_opts *opts,
                            void (*ready)(void *arg, const char *path),
                            void *arg)
{
    coord_manager_opts o;
    int r = coord__mopts_fix(opts, &o);
    if (r)
        return r;
    if (!socket_path)
        return COORD_EINVAL;
    sigset_t set, blocked, pipe_set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* A write to a client's pipe whose reader is gone raises SIGPIPE in
     * the writing thread: blocked here, it stays pending on this thread
     * (and is dropped below) instead of killing the process. Not by
     * ignoring it process-wide: another thread's run, started or ended
     * meanwhile, would restore the default under this one, and the
     * caller's other threads would lose their own SIGPIPE. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    blocked = set;
    sigaddset(&blocked, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &blocked, &old) != 0)
        return COORD_EINVAL;
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        r = coord__merrno(errno);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
    }
    struct coord__mpath p;
    int lfd;
    r = coord__mpath_listen(&p, socket_path, &lfd);
    if (r == 0) {
        /* `ready` hears of it once the server is set up, not before: a
         * setup that fails (out of descriptors) is only run_ready's code. */
        struct ready_note note = {-1, ready, arg, p.path};
        r = serve(lfd, &p, sfd, &o, &note, false);
        close(lfd);
        coord__mpath_cleanup(&p);
    }
    close(sfd);
    /* Drop the signal that stopped us, so restoring the mask does not
     * deliver it again. */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) > 0) {
    }
    /* Nor the SIGPIPEs the writes to gone clients raised, unless the
     * caller had SIGPIPE blocked already (then they are its own). */
    if (!sigismember(&old, SIGPIPE))
        while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {
        }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}
