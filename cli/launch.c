/* SPDX-License-Identifier: MIT */
/* launch.c: fork and exec with redirected or captured streams, a process group, a deadline and progress. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "datadir.h"
#include "json.h"
#include "launch.h"
#include "progress.h"

/* How long output may keep arriving after the program ended and its group
 * was killed (a process that left the group may hold the pipe open). */
#define DRAIN_MS 1000
/* The longest poll: how soon the program's end is noticed when it writes
 * nothing (waitpid is polled, not signalled, so no SIGCHLD handler of the
 * caller's is disturbed). */
#define SLICE_MS 10
/* How long a program's group has to end after SIGTERM, at its deadline or
 * when this process is ended by a signal, before SIGKILL. A process that
 * cleans up on SIGTERM needs it: a coord manager server (coord spectrum
 * starts two) removes its /tmp/coord-mgr-* directory and its
 * /dev/shm/coord.mspin-* file, which SIGKILL left behind for ever. */
#define TERM_GRACE_MS 1000
/* A program this process runs may be a launcher too (coord report runs
 * coord spectrum, which runs python3): ended with SIGTERM, it ends its
 * own program's group the same way before it goes. With the same grace
 * at both levels the outer SIGKILL came first (its second started
 * earlier), and what the inner group left running, a process that
 * ignores SIGTERM, was never killed at all. So a launcher gives its
 * programs half its own grace, in this variable of their environment;
 * read here once, capped at TERM_GRACE_MS. */
#define GRACE_ENV "COORD_LAUNCH_GRACE_MS"
#define GRACE_MIN_MS 50
/* This process's grace (0: not read yet), for end_group, which may run
 * in a signal handler: set in launch_run, before the first fork. */
static volatile sig_atomic_t grace_ms;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool adopted;

/* True once the program `pid` has ended; it is left a zombie (not
 * reaped), so that its pid, and with it its group's, stays taken. */
static bool leader_ended(pid_t pid)
{
    siginfo_t si;
    si.si_pid = 0;
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == pid;
}

/* "/proc/<pid>/stat" into buf (32 bytes), without stdio. */
static void stat_path(char *buf, pid_t pid)
{
    char digits[16];
    int n = 0;
    do {
        digits[n++] = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid > 0 && n < 15);
    memcpy(buf, "/proc/", 6);
    int k = 6;
    while (n > 0)
        buf[k++] = digits[--n];
    memcpy(buf + k, "/stat", 6);
}

/* Is a process of group `g` other than its leader still running (not a
 * zombie)? Zombies of ours among them (orphans reparented to this
 * subreaper) are reaped on the way; the leader never is (its pid holds
 * the group's number). System calls only, so async-signal-safe; false
 * when /proc cannot be read. */
static bool group_others_live(pid_t g)
{
    int d = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return false;
    bool live = false;
    pid_t self = getpid();
    union {
        char b[4096];
        uint64_t align;
    } buf;
    for (;;) {
        long n = syscall(SYS_getdents64, d, buf.b, sizeof buf.b);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            /* struct linux_dirent64: ino, off, reclen, type, name */
            unsigned short reclen;
            memcpy(&reclen, buf.b + off + 16, sizeof reclen);
            const char *c = buf.b + off + 19;
            off += reclen;
            pid_t pid = 0;
            for (; *c >= '0' && *c <= '9' && pid < 100000000; c++)
                pid = pid * 10 + (*c - '0');
            if (*c || pid <= 0 || pid == g)
                continue;
            char path[32], st[512];
            stat_path(path, pid);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            ssize_t r = read(fd, st, sizeof st - 1);
            close(fd);
            if (r <= 0)
                continue;
            st[r] = '\0';
            /* "pid (comm) S ppid pgrp ...": after the last ')'. */
            char *p = NULL;
            for (char *q = st; *q; q++)
                if (*q == ')')
                    p = q;
            if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
                continue;
            char state = p[2];
            long f[2] = {0, 0};
            p += 4;
            for (int i = 0; i < 2; i++) {
                while (*p >= '0' && *p <= '9')
                    f[i] = f[i] * 10 + (*p++ - '0');
                if (*p++ != ' ')
                    break;
            }
            if (f[1] != g)
                continue;
            if (state != 'Z')
                live = true;
            else if (f[0] == self)
                waitpid(pid, NULL, WNOHANG);
        }
    }
    close(d);
    return live;
}

/* End the program's group `g`, whose leader `g` is not reaped (so the
 * group's number stays taken): SIGTERM (and SIGCONT, which a stopped
 * process needs to act on it), then SIGKILL once the leader has ended and
 * no other member runs, or its grace has passed (grace_ms: TERM_GRACE_MS,
 * half its launcher's in a program that a launcher runs). Orphans of the group
 * come to this process, a subreaper at least for the while; those that
 * end meanwhile are reaped here, the rest (SIGKILLed) by reap_orphans
 * once the leader is reaped. Only async-signal-safe calls, and prctl
 * (end_with_group runs it). */
static void end_group(pid_t g)
{
    bool sub = !adopted && prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
    kill(-g, SIGTERM);
    kill(-g, SIGCONT);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (!group_others_live(g) && leader_ended(g))
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 +
                (now.tv_nsec - t0.tv_nsec) / 1000000 >=
            (grace_ms > 0 ? grace_ms : TERM_GRACE_MS))
            break;
        struct timespec ts = {0, 2 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(-g, SIGKILL);
    if (sub)
        prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* The process group of the program running now (0: none), for the handler
 * below. */
static volatile sig_atomic_t running_group;
/* The signals whose default action ends this process, and which a user
 * sends to end it: Ctrl-C (SIGINT), Ctrl-\ (SIGQUIT), a closed terminal
 * (SIGHUP), kill (SIGTERM). */
static const int ending_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
#define N_ENDING (int)(sizeof ending_signals / sizeof ending_signals[0])

/* This process is being ended by a signal it leaves at its default: the
 * program's whole group goes too, SIGTERM first (end_group;
 * PR_SET_PDEATHSIG reaches the program
 * only, not the workers it started: a Ctrl-C during `coord queue` left
 * Python's queue workers running for ever), then this process ends as the
 * signal would have ended it (the signal is blocked while this runs, so
 * the raise takes effect when the handler returns). */
static void end_with_group(int sig)
{
    int e = errno;
    pid_t g = (pid_t)running_group;
    if (g > 0)
        end_group(g);
    signal(sig, SIG_DFL);
    raise(sig);
    errno = e;
}

/* What launch_run changed: the ending signals it took (each was at its
 * default before). */
struct ending {
    bool taken[N_ENDING];
};

/* Installs end_with_group for each ending signal still at its default (one
 * the caller ignores or handles is left alone). */
static void take_ending_signals(struct ending *e)
{
    struct sigaction end = {.sa_handler = end_with_group};
    /* The others blocked while the handler runs: a second ending signal
     * during the group's grace (Ctrl-C, then a kill) ran the handler again
     * inside the first, each with a whole grace of its own, up to four. */
    sigemptyset(&end.sa_mask);
    for (int i = 0; i < N_ENDING; i++)
        sigaddset(&end.sa_mask, ending_signals[i]);
    for (int i = 0; i < N_ENDING; i++) {
        struct sigaction cur;
        e->taken[i] = sigaction(ending_signals[i], NULL, &cur) == 0 &&
                      !(cur.sa_flags & SA_SIGINFO) &&
                      cur.sa_handler == SIG_DFL &&
                      sigaction(ending_signals[i], &end, NULL) == 0;
    }
}

static void give_back_ending_signals(const struct ending *e)
{
    for (int i = 0; i < N_ENDING; i++)
        if (e->taken[i])
            signal(ending_signals[i], SIG_DFL);
}

void launch_adopt_orphans(void)
{
    adopted = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
}

/* Reaps the orphans of the program's group `g` that came to this process:
 * while end_group ends the group this process is their subreaper, so a
 * worker whose parent died of the SIGTERM comes here, and one that outlived
 * the grace was left a zombie of ours until coord exited (in every command
 * but coord report). They were SIGKILLed, so they go at once; the wait is
 * bounded anyway. Only children in group `g` are taken (its number is
 * still theirs): the caller may have children of its own that it waits
 * for by pid. After launch_adopt_orphans every child is (programs run one
 * at a time, so any child left now is an orphan of the one that just
 * ended, from this group or one its processes made). */
static void reap_orphans(pid_t g)
{
    long long deadline = now_ms() + 2000;
    for (;;) {
        siginfo_t si;
        si.si_pid = 0;
        int r = waitid(adopted ? P_ALL : P_PGID, (id_t)g, &si,
                       WEXITED | WNOHANG);
        if (r == 0 && si.si_pid > 0)
            continue;
        if (r < 0 && errno != EINTR)
            return; /* ECHILD: none left */
        if (now_ms() >= deadline)
            return;
        struct timespec ts = {0, 2 * 1000000};
        nanosleep(&ts, NULL);
    }
}

bool launch_have(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char buf[4096];
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        if (len > 0 && len + strlen(name) + 2 < sizeof buf) {
            snprintf(buf, sizeof buf, "%.*s/%s", (int)len, path, name);
            if (access(buf, X_OK) == 0)
                return true;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    return false;
}

static int cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

static int cloexec_pipe(int p[2])
{
    if (pipe(p) != 0)
        return -errno;
    if (cloexec(p[0]) != 0 || cloexec(p[1]) != 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return -e;
    }
    return 0;
}

/* The file descriptors of one run; -1 when not open. `child` are the ends
 * the program gets as 0, 1, 2; `mine` the pipe ends this process keeps. */
struct fds {
    int child[3];
    int mine[3];
    int exec_err[2]; /* the child writes why exec failed; closed by exec */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_all(struct fds *f)
{
    for (int i = 0; i < 3; i++) {
        close_fd(&f->child[i]);
        close_fd(&f->mine[i]);
    }
    close_fd(&f->exec_err[0]);
    close_fd(&f->exec_err[1]);
}

/* Opens what stream `i` (1 stdout, 2 stderr) of the program is wired to. */
static int open_sink(struct fds *f, int i, const struct launch_out *o,
                     char *why, size_t cap)
{
    int p[2], rc;
    switch (o->to) {
    case LAUNCH_DISCARD:
    case LAUNCH_FILE: {
        if (o->to == LAUNCH_FILE) {
            /* A regular file only: a FIFO planted there would block. */
            f->child[i] = cli_create_file(o->path, why, cap);
            return f->child[i] < 0 ? f->child[i] : 0;
        }
        f->child[i] = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (f->child[i] < 0) {
            rc = -errno;
            snprintf(why, cap, "cannot open /dev/null: %s", strerror(-rc));
            return rc;
        }
        return 0;
    }
    case LAUNCH_FD:
        /* A copy, so that closing the run's descriptors leaves the
         * caller's open. */
        if ((f->child[i] = fcntl(o->fd, F_DUPFD_CLOEXEC, 3)) < 0) {
            rc = -errno;
            snprintf(why, cap, "cannot pass descriptor %d: %s", o->fd,
                     strerror(-rc));
            return rc;
        }
        return 0;
    case LAUNCH_CAPTURE:
        if ((rc = cloexec_pipe(p)) != 0) {
            snprintf(why, cap, "pipe: %s", strerror(-rc));
            return rc;
        }
        f->mine[i] = p[0];
        f->child[i] = p[1];
        return 0;
    case LAUNCH_INHERIT:
    case LAUNCH_STDOUT:
        return 0; /* handled in the child */
    }
    return -EINVAL;
}

static bool valid_out(const struct launch_out *o, bool is_stderr)
{
    switch (o->to) {
    case LAUNCH_DISCARD:
    case LAUNCH_INHERIT:
        return true;
    case LAUNCH_FILE:
        return o->path != NULL;
    case LAUNCH_FD:
        return o->fd >= 0;
    case LAUNCH_CAPTURE:
        return o->buf != NULL && o->cap > 0;
    case LAUNCH_STDOUT:
        return is_stderr;
    }
    return false;
}

/* In the child: wire fd `to` as the program's stream `i`. */
static int child_dup(const struct fds *f, int i, enum launch_sink to)
{
    if (to == LAUNCH_INHERIT)
        return 0;
    if (to == LAUNCH_STDOUT)
        return dup2(1, 2) < 0 ? -1 : 0;
    return dup2(f->child[i], i) < 0 ? -1 : 0;
}

static _Noreturn void child(const struct launch *l, struct fds *f,
                            pid_t parent, const sigset_t *mask)
{
    /* Own group (so a deadline kills the program's workers too), and gone
     * with us if we die. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int stage = 0, e = 0;
    if (getppid() != parent)
        _exit(127);
    /* Ignored signals stay ignored across exec: the program gets SIGPIPE
     * back (this process ignores it while it feeds stdin). */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL); /* ignored by coord (main.c) */
    /* The ending signals were blocked across the fork (see launch_run);
     * the program starts with the caller's mask, and the handler this
     * process installed for them is reset to the default by exec. */
    sigprocmask(SIG_SETMASK, mask, NULL);
    if (dup2(f->child[0], 0) < 0 || child_dup(f, 1, l->out.to) != 0 ||
        child_dup(f, 2, l->err.to) != 0) {
        e = errno;
    } else if (l->cwd && chdir(l->cwd) != 0) {
        stage = 1, e = errno;
    } else {
        execvp(l->argv[0], (char *const *)l->argv);
        stage = 2, e = errno;
    }
    int msg[2] = {stage, e};
    ssize_t w = write(f->exec_err[1], msg, sizeof msg);
    (void)w;
    _exit(127);
}

/* Reads what is there from fd into `o` (capturing); false at EOF. */
static bool drain(int fd, struct launch_out *o)
{
    char tmp[4096];
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r < 0)
        return errno == EINTR || errno == EAGAIN;
    if (r == 0)
        return false;
    size_t take = (size_t)r, room = o->cap - 1 - o->len;
    if (take > room) {
        take = room;
        o->truncated = true;
    }
    memcpy(o->buf + o->len, tmp, take);
    o->len += take;
    o->buf[o->len] = '\0';
    return true;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Waits for the program: feeds stdin, captures, ticks the progress line,
 * kills the group at the deadline. Returns 0 or -ETIMEDOUT; *st its wait
 * status; exec_msg what the child said about a failed start. */
static int supervise(struct launch *l, struct fds *f, pid_t pid, int *st,
                     int exec_msg[2])
{
    long long t0 = now_ms(), deadline = t0 + l->timeout_ms, drain_until = 0;
    const char *in = l->input;
    size_t in_left = in ? strlen(in) : 0;
    bool exited = false, timed_out = false;
    size_t got_msg = 0;
    struct progress_tick tick;
    progress_tick_start(&tick, l->progress);
    if (f->mine[0] >= 0)
        set_nonblock(f->mine[0]);
    for (;;) {
        if (!exited && leader_ended(pid)) {
            exited = true;
            /* What it left running in its group goes too, while the
             * unreaped leader still holds the group's number (once reaped,
             * a new process may take it and lead a group of its own). */
            end_group(pid);
            running_group = 0;
            launch_reap(pid, st);
            drain_until = now_ms() + DRAIN_MS;
        }
        long long now = now_ms();
        if (!exited && now >= deadline) {
            end_group(pid);
            kill(pid, SIGKILL);
            running_group = 0; /* before the reap frees the group's number */
            launch_reap(pid, st);
            exited = timed_out = true;
            drain_until = now_ms() + DRAIN_MS;
        }
        if (exited)
            close_fd(&f->mine[0]); /* nobody reads its stdin any more */
        struct pollfd pf[4];
        int idx[4], n = 0;
        for (int i = 0; i < 3; i++)
            if (f->mine[i] >= 0) {
                pf[n] = (struct pollfd){f->mine[i], i ? POLLIN : POLLOUT, 0};
                idx[n++] = i;
            }
        if (f->exec_err[0] >= 0) {
            pf[n] = (struct pollfd){f->exec_err[0], POLLIN, 0};
            idx[n++] = 3;
        }
        if (exited && (n == 0 || now >= drain_until))
            break;
        long long wait = exited ? drain_until - now : SLICE_MS;
        if (!exited && deadline - now < wait)
            wait = deadline - now;
        if (progress_tick_next_ms(&tick) < wait)
            wait = progress_tick_next_ms(&tick);
        int pr = poll(pf, (nfds_t)n, wait < 0 ? 0 : (int)wait);
        progress_tick(&tick);
        if (pr <= 0)
            continue; /* a timeout or EINTR: look again */
        for (int k = 0; k < n; k++) {
            if (!pf[k].revents)
                continue;
            int i = idx[k];
            if (i == 0) {
                ssize_t w = write(f->mine[0], in, in_left);
                if (w > 0) {
                    in += w;
                    in_left -= (size_t)w;
                }
                if ((w < 0 && errno != EINTR && errno != EAGAIN) ||
                    in_left == 0)
                    close_fd(&f->mine[0]);
            } else if (i == 3) {
                ssize_t r = read(f->exec_err[0], (char *)exec_msg + got_msg,
                                 2 * sizeof(int) - got_msg);
                if (r > 0)
                    got_msg += (size_t)r;
                if (r == 0 || (r < 0 && errno != EINTR) ||
                    got_msg == 2 * sizeof(int))
                    close_fd(&f->exec_err[0]);
            } else if (!drain(f->mine[i], i == 1 ? &l->out : &l->err)) {
                close_fd(&f->mine[i]);
            }
        }
    }
    progress_tick_end(&tick);
    if (got_msg != 2 * sizeof(int))
        exec_msg[0] = -1;
    l->wall_ms = now_ms() - t0;
    return timed_out ? -ETIMEDOUT : 0;
}

/* Reads this process's grace from its environment (once), and passes
 * half of it on to the programs it runs (see GRACE_ENV). */
static void set_up_grace(void)
{
    if (grace_ms > 0)
        return;
    long g = TERM_GRACE_MS;
    const char *v = getenv(GRACE_ENV);
    if (v && *v) {
        char *end;
        long x = strtol(v, &end, 10);
        if (*end == '\0' && x >= GRACE_MIN_MS && x < TERM_GRACE_MS)
            g = x;
    }
    char mine[24];
    long child_ms = g / 2 < GRACE_MIN_MS ? GRACE_MIN_MS : g / 2;
    snprintf(mine, sizeof mine, "%ld", child_ms);
    setenv(GRACE_ENV, mine, 1);
    grace_ms = (sig_atomic_t)g;
}

int launch_run(struct launch *l, char *why, size_t cap)
{
    char dummy[1];
    if (!why || cap == 0)
        why = dummy, cap = sizeof dummy;
    why[0] = '\0';
    if (!l || !l->argv || !l->argv[0] || l->timeout_ms <= 0 ||
        !valid_out(&l->out, false) || !valid_out(&l->err, true)) {
        snprintf(why, cap, "launch: invalid arguments");
        return -EINVAL;
    }
    l->status = 127;
    l->wall_ms = 0;
    l->out.len = l->err.len = 0;
    l->out.truncated = l->err.truncated = false;
    if (l->out.to == LAUNCH_CAPTURE)
        l->out.buf[0] = '\0';
    if (l->err.to == LAUNCH_CAPTURE)
        l->err.buf[0] = '\0';
    struct fds f = {{-1, -1, -1}, {-1, -1, -1}, {-1, -1}};
    int rc = 0, p[2];
    if (l->input) {
        if ((rc = cloexec_pipe(p)) != 0) {
            snprintf(why, cap, "pipe: %s", strerror(-rc));
            return rc;
        }
        f.child[0] = p[0];
        f.mine[0] = p[1];
    } else if ((f.child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        rc = -errno;
        snprintf(why, cap, "cannot open /dev/null: %s", strerror(-rc));
        return rc;
    }
    if ((rc = open_sink(&f, 1, &l->out, why, cap)) != 0 ||
        (rc = open_sink(&f, 2, &l->err, why, cap)) != 0) {
        close_all(&f);
        return rc;
    }
    if ((rc = cloexec_pipe(f.exec_err)) != 0) {
        snprintf(why, cap, "pipe: %s", strerror(-rc));
        close_all(&f);
        return rc;
    }
    /* Feeding stdin to a program that stopped reading must give EPIPE
     * here, not kill this process. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    /* Ended by a signal while the program runs, this process takes the
     * program's group with it. The signals are blocked from the fork until
     * the group is known, so none comes between. */
    set_up_grace();
    struct ending taken;
    take_ending_signals(&taken);
    sigset_t ending, mask;
    sigemptyset(&ending);
    for (int i = 0; i < N_ENDING; i++)
        sigaddset(&ending, ending_signals[i]);
    sigprocmask(SIG_BLOCK, &ending, &mask);
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        rc = -errno;
        snprintf(why, cap, "fork: %s", strerror(-rc));
        sigprocmask(SIG_SETMASK, &mask, NULL);
        give_back_ending_signals(&taken);
        sigaction(SIGPIPE, &old, NULL);
        close_all(&f);
        return rc;
    }
    if (pid == 0)
        child(l, &f, parent, &mask);
    setpgid(pid, pid); /* also here: no race with a kill at the deadline */
    running_group = pid;
    sigprocmask(SIG_SETMASK, &mask, NULL);
    for (int i = 0; i < 3; i++)
        close_fd(&f.child[i]);
    close_fd(&f.exec_err[1]);
    int st = 0, msg[2] = {-1, 0};
    rc = supervise(l, &f, pid, &st, msg);
    running_group = 0;
    give_back_ending_signals(&taken);
    close_all(&f);
    sigaction(SIGPIPE, &old, NULL);
    reap_orphans(pid); /* the leader is reaped: only its orphans are left */
    l->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (rc == -ETIMEDOUT) {
        int s = l->timeout_ms / 1000;
        if (s > 0)
            snprintf(why, cap, "killed after %d s (time limit)", s);
        else
            snprintf(why, cap, "killed after %d ms (time limit)",
                     l->timeout_ms);
    } else if (msg[0] >= 0) {
        l->status = 127;
        if (msg[0] == 1)
            snprintf(why, cap, "cannot enter %s: %s", l->cwd,
                     strerror(msg[1]));
        else if (msg[0] == 2)
            snprintf(why, cap, "cannot run %s: %s", l->argv[0],
                     strerror(msg[1]));
        else
            snprintf(why, cap, "cannot set up %s's streams: %s", l->argv[0],
                     strerror(msg[1]));
    }
    return rc;
}

int launch_python(struct launch *l, const char *script,
                  const char *const *args, char *why, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", cli_python_dir(), script);
    if (!launch_have("python3")) {
        snprintf(why, cap, "no python3");
        return 1;
    }
    if (access(path, R_OK) != 0) {
        snprintf(why, cap, "%s not found", path);
        return 1;
    }
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "python3";
    argv[n++] = path;
    for (size_t i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    l->argv = argv;
    int rc = launch_run(l, why, cap);
    l->argv = NULL;
    return rc;
}

/* The last non-empty line of `text` into line[cap]. */
static void last_line(const char *text, char *line, size_t cap)
{
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    size_t b = n;
    while (b > 0 && text[b - 1] != '\n')
        b--;
    snprintf(line, cap, "%.*s", (int)(n - b), text + b);
}

int launch_python_json(const char *script, const char *const *args,
                       int timeout_ms, const char *progress,
                       struct json **out, char *why, size_t cap)
{
    enum { OUT_CAP = 1 << 20, ERR_CAP = 1 << 14 };
    *out = NULL;
    char *ob = malloc(OUT_CAP), *eb = malloc(ERR_CAP);
    if (!ob || !eb) {
        free(ob);
        free(eb);
        snprintf(why, cap, "out of memory");
        return -ENOMEM;
    }
    struct launch l = {.timeout_ms = timeout_ms, .progress = progress,
                       .out = {.to = LAUNCH_CAPTURE, .buf = ob, .cap = OUT_CAP},
                       .err = {.to = LAUNCH_CAPTURE, .buf = eb, .cap = ERR_CAP}};
    int rc = launch_python(&l, script, args, why, cap);
    if (rc == 0 && l.status != 0) {
        char line[200];
        last_line(eb, line, sizeof line);
        if (l.status == 127 && *why)
            ; /* launch_run said why it could not start */
        else
            snprintf(why, cap, "python3 %s failed (status %d)%s%s", script,
                     l.status, *line ? ": " : "", line);
        rc = -EIO;
    } else if (rc == 0) {
        char err[160];
        if (l.out.truncated) {
            snprintf(why, cap, "python3 %s printed more than %d bytes",
                     script, OUT_CAP - 1);
            rc = -EINVAL;
        } else if ((rc = json_parse(ob, l.out.len, out, err, sizeof err)) !=
                   0) {
            snprintf(why, cap, "python3 %s printed no JSON (%s)", script,
                     err);
        }
    }
    free(ob);
    free(eb);
    return rc;
}

pid_t launch_reap(pid_t pid, int *status)
{
    pid_t r;
    while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
        ;
    return r;
}
