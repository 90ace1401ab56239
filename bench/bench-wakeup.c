/* SPDX-License-Identifier: MIT */
/* bench-wakeup.c: what a blocking round trip between two processes costs, and what spinning before sleeping saves (pipe and Unix socket). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdalign.h>
#include <sys/mman.h>

#include "bench.h"
#include "wait.h"

/*
 * An 8-byte ping-pong with an echo process, the way the manager's data
 * path works, in three waiting modes:
 *   block    read() sleeps at once: every message wakes the other side;
 *   spin1    poll for 50 µs, yielding once after 10 µs, then sleep (the
 *            manager's spin, src/spin.h, without its load sampling and
 *            backoff);
 *   spinyield  poll for 50 µs, yielding between polls, then sleep (the
 *            first version of the manager's spin: with busy processes on
 *            the machine each yield can hand one of them a time slice);
 *   samecpu  block, with both processes pinned to CPU 0: the wake-up is
 *            a context switch on the same CPU, never an idle CPU's.
 * and a ping-pong on a word of shared memory, the way search, rounds and
 * the queue wait, in four more modes:
 *   word_policy  coord's one wait policy (src/wait.h): a gated spin of
 *            50 µs that yields once, then a futex sleep;
 *   word_stream  the same policy in its form for streams (the queue's
 *            sides): a brief poll of up to 1 µs whatever the load, then
 *            the gated spin, then the sleep (coord__spin_stream);
 *   word_yield64 the policy loop.h had before wait.h: 50 µs of polls with
 *            a sched_yield every 64, then a futex sleep;
 *   word_sleep   a futex sleep at once.
 * Cases run interleaved (run k of every case, then run k + 1), so their
 * ratios are taken under the same conditions.
 */
#define SPIN_NS 50000u
#define SOLO_NS 10000u
#define MAX_RUNS 64

enum { M_BLOCK, M_SPIN1, M_SPINYIELD, M_SAMECPU, NMODES };
static const char *const mode_name[NMODES] = {"block", "spin1", "spinyield",
                                              "samecpu"};

struct pp {
    int to[2], back[2]; /* to[1] -> echo -> back[0] */
    bool sock;
    int mode;
    pid_t echo;
};

static bool pin_cpu0(cpu_set_t *old)
{
    if (old && sched_getaffinity(0, sizeof *old, old) != 0)
        return false;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(0, &s);
    return sched_setaffinity(0, sizeof s, &s) == 0;
}

/* Read exactly 8 bytes from a non-blocking fd, waiting as `mode` says. */
static bool get8(int fd, void *b, int mode)
{
    uint64_t start = 0;
    bool yielded = false;
    for (;;) {
        ssize_t n = read(fd, b, 8);
        if (n == 8)
            return true;
        if (n >= 0 || (errno != EAGAIN && errno != EINTR))
            return false; /* end of file, or a short message: never sent */
        if (mode == M_SPIN1 || mode == M_SPINYIELD) {
            uint64_t now = coord_clock_ns();
            if (start == 0)
                start = now;
            if (now - start < SPIN_NS) {
                if (mode == M_SPINYIELD) {
                    sched_yield();
                } else if (!yielded && now - start >= SOLO_NS) {
                    yielded = true;
                    sched_yield();
                }
                continue;
            }
        }
        struct pollfd p = {fd, POLLIN, 0};
        /* No timeout: the echo waits for its next turn while the other
         * cases run (end-of-file ends it); the parent's runs are bounded
         * by their time budget. */
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            return false;
    }
}

static int echo_main(struct pp *p)
{
    if (p->mode == M_SAMECPU && !pin_cpu0(NULL))
        return 3;
    uint64_t x;
    while (get8(p->to[0], &x, p->mode))
        if (write(p->back[1], &x, 8) != 8)
            return 4;
    return 0;
}

static bool pp_open(struct pp *p, bool sock, int mode)
{
    memset(p, 0, sizeof *p);
    p->sock = sock;
    p->mode = mode;
    if (sock) {
        int s[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s))
            return false;
        p->to[1] = p->back[0] = s[0];
        p->to[0] = p->back[1] = s[1];
    } else if (pipe2(p->to, O_CLOEXEC) || pipe2(p->back, O_CLOEXEC)) {
        return false;
    }
    fcntl(p->to[0], F_SETFL, O_NONBLOCK);
    fcntl(p->back[0], F_SETFL, O_NONBLOCK);
    fflush(NULL);
    p->echo = fork();
    if (p->echo < 0) { /* pp_close skips a pp without an echo */
        close(p->to[0]);
        close(p->to[1]);
        if (!sock) {
            close(p->back[0]);
            close(p->back[1]);
        }
        return false;
    }
    if (p->echo == 0) {
        if (sock)
            close(p->to[1]);
        else {
            close(p->to[1]);
            close(p->back[0]);
        }
        _exit(echo_main(p));
    }
    close(p->to[0]); /* the echo's ends (one socket for both ways) */
    if (!sock)
        close(p->back[1]);
    return true;
}

static void pp_close(struct pp *p)
{
    if (p->echo <= 0)
        return;
    if (p->sock) {
        shutdown(p->to[1], SHUT_RDWR);
        close(p->to[1]);
    } else {
        close(p->to[1]);
        close(p->back[0]);
    }
    int st;
    /* Bounded: an echo that does not see the end is killed. One that
     * ended was reaped by the WNOHANG wait: its pid is free for another
     * process then, and must not be signalled. */
    pid_t r = 0;
    for (int i = 0; i < 2000 && (r = waitpid(p->echo, &st, WNOHANG)) == 0;
         i++)
        usleep(1000);
    if (r == 0) {
        kill(p->echo, SIGKILL);
        while (waitpid(p->echo, &st, 0) < 0 && errno == EINTR)
            ;
    }
    p->echo = 0;
}

/* ns per round trip of n round trips (after an untimed start), or of
 * those done when `budget_ns` ran out first (a mode that loses whole time
 * slices on a busy machine must not hold the bench for minutes); -1 on an
 * error. */
static double pp_run(struct pp *p, uint64_t n, uint64_t budget_ns)
{
    cpu_set_t old;
    if (p->mode == M_SAMECPU && !pin_cpu0(&old))
        return -1;
    double r = -1;
    uint64_t t0 = 0, start = coord_clock_ns(), i, done = 0;
    for (i = 0; i < n + n / 4; i++) {
        if (i == n / 4)
            t0 = coord_clock_ns();
        uint64_t x;
        if (write(p->to[1], &i, 8) != 8 || !get8(p->back[0], &x, p->mode) ||
            x != i)
            goto out;
        if (i >= n / 4)
            done++;
        if (done >= 10 && (i & 15) == 0 &&
            coord_clock_ns() - start > budget_ns)
            break;
    }
    r = (double)(coord_clock_ns() - t0) / (double)done;
out:
    if (p->mode == M_SAMECPU)
        sched_setaffinity(0, sizeof old, &old);
    return r;
}

/* ---- the shared-word ping-pong ------------------------------------- */

enum { W_POLICY, W_STREAM, W_YIELD64, W_SLEEP, NWMODES };
static const char *const wmode_name[NWMODES] = {
    "word_policy", "word_stream", "word_yield64", "word_sleep"};

/* Each direction has its word and its sleepers count on its own line. */
struct wside {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t word;
    _Atomic uint32_t sleepers;
};
struct wpp {
    struct wside to, back;
    _Atomic uint32_t quit;
    int mode;
};

/* loop.h's wait before wait.h, kept here as the comparison. */
static uint32_t wait_yield64(struct wside *w, uint32_t old)
{
    uint64_t until = 0;
    uint32_t v;
    for (unsigned i = 1;; i++) {
        if ((v = atomic_load_explicit(&w->word, memory_order_acquire)) != old)
            return v;
        if ((i & 63) == 0) {
            uint64_t now = coord_clock_ns();
            if (until == 0)
                until = now + SPIN_NS;
            else if (now >= until)
                break;
            sched_yield();
        }
    }
    coord__sleep_change(&w->word, old, &w->sleepers, UINT64_MAX, &v);
    return v;
}

static uint32_t wwait(struct wside *w, uint32_t old, int mode,
                      struct coord__spinner *sp)
{
    uint32_t v;
    if (mode == W_YIELD64)
        return wait_yield64(w, old);
    if (mode == W_STREAM) {
        struct coord__word_change c = {&w->word, old};
        if (!coord__spin_stream(sp, SPIN_NS, coord__word_changed, &c) &&
            coord__sleep_change(&w->word, old, &w->sleepers, UINT64_MAX,
                                &v) == 0)
            return v;
        return atomic_load_explicit(&w->word, memory_order_acquire);
    }
    coord__wait_change(sp, mode == W_POLICY ? SPIN_NS : 0, &w->word, old,
                       &w->sleepers, UINT64_MAX, &v);
    return v;
}

static void wpost(struct wside *w, uint32_t v)
{
    atomic_store_explicit(&w->word, v, memory_order_seq_cst);
    coord__wake(&w->word, &w->sleepers, 1);
}

/* The echo: answers value v with v; a value of 0 after `quit` ends it. */
static int wecho(struct wpp *p, int mode)
{
    struct coord__spinner sp = {0};
    uint32_t seen = 0;
    for (;;) {
        seen = wwait(&p->to, seen, mode, &sp);
        if (atomic_load_explicit(&p->quit, memory_order_acquire))
            return 0;
        wpost(&p->back, seen);
    }
}

static double wrun(struct wpp *p, int mode, uint32_t *next, uint64_t n,
                   uint64_t budget_ns)
{
    struct coord__spinner sp = {0};
    uint64_t t0 = 0, start = coord_clock_ns(), done = 0;
    for (uint64_t i = 0; i < n + n / 4; i++) {
        if (i == n / 4)
            t0 = coord_clock_ns();
        uint32_t v = ++*next;
        wpost(&p->to, v);
        while (wwait(&p->back, v - 1, mode, &sp) != v) {
        }
        if (i >= n / 4)
            done++;
        if (done >= 10 && (i & 15) == 0 &&
            coord_clock_ns() - start > budget_ns)
            break;
    }
    return (double)(coord_clock_ns() - t0) / (double)done;
}

static int wecho_main(void *arg)
{
    struct wpp *p = arg;
    return wecho(p, p->mode);
}

/* The shared-word cases, interleaved as the pipe cases are. */
static int bench_wakeup_word(int runs, uint64_t n, uint64_t budget)
{
    static double v[NWMODES][MAX_RUNS];
    struct wpp *p[NWMODES];
    coord__child ch[NWMODES];
    uint32_t next[NWMODES] = {0};
    int rc = 0, m;
    memset(ch, 0, sizeof ch);
    for (m = 0; m < NWMODES; m++) {
        p[m] = mmap(NULL, sizeof *p[m], PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p[m] == MAP_FAILED) {
            rc = -1;
            break;
        }
        p[m]->mode = m;
        if (coord__spawn(&ch[m], wecho_main, p[m])) {
            munmap(p[m], sizeof *p[m]);
            rc = -1;
            break;
        }
    }
    int opened = m;
    for (int k = 0; k < runs && rc == 0; k++)
        for (m = 0; m < NWMODES; m++)
            v[m][k] = wrun(p[m], m, &next[m], n, budget);
    for (m = 0; m < opened; m++) {
        atomic_store(&p[m]->quit, 1);
        wpost(&p[m]->to, ++next[m]);
        coord__child_wait(&ch[m], 2000);
        coord__child_kill(&ch[m]);
        munmap(p[m], sizeof *p[m]);
    }
    if (rc) {
        fprintf(stderr, "coord_bench wakeup: cannot start the word echo\n");
        return rc;
    }
    for (m = 0; m < NWMODES; m++)
        bench_report("wakeup", wmode_name[m], v[m], runs);
    return 0;
}

int bench_wakeup(const struct bench_opts *o)
{
    int runs = o->runs ? o->runs : 7;
    if (runs > MAX_RUNS)
        runs = MAX_RUNS;
    /* About half the budget when every case blocks at ~45 µs a trip. */
    uint64_t n = (uint64_t)(o->seconds * 1e6 / 45.0 / runs / (2 * NMODES) / 2);
    if (n < 50)
        n = 50;
    /* A run may take four times its share, then it stops early. */
    uint64_t budget = (uint64_t)(o->seconds * 1e9 / runs / (2 * NMODES) * 4);
    struct pp pp[2][NMODES];
    static double v[2][NMODES][MAX_RUNS];
    int rc = 0;
    memset(pp, 0, sizeof pp);
    for (int s = 0; s < 2 && rc == 0; s++)
        for (int m = 0; m < NMODES && rc == 0; m++)
            if (!pp_open(&pp[s][m], s == 1, m))
                rc = -2;
    for (int k = 0; k < runs && rc == 0; k++)
        for (int s = 0; s < 2 && rc == 0; s++)
            for (int m = 0; m < NMODES && rc == 0; m++)
                if ((v[s][m][k] = pp_run(&pp[s][m], n, budget)) < 0)
                    rc = -1;
    /* Newest first: an echo process holds copies of the descriptors of
     * the ones opened before it, so theirs see end-of-file only after. */
    for (int s = 1; s >= 0; s--)
        for (int m = NMODES - 1; m >= 0; m--)
            pp_close(&pp[s][m]);
    if (rc) {
        fprintf(stderr, "coord_bench wakeup: %s\n",
                rc == -2 ? "could not start an echo process (pipe or fork "
                           "failed)"
                         : "a round trip failed");
        return 1;
    }
    for (int s = 0; s < 2; s++)
        for (int m = 0; m < NMODES; m++) {
            char name[32];
            snprintf(name, sizeof name, "%s_%s", s ? "socket" : "pipe",
                     mode_name[m]);
            bench_report("wakeup", name, v[s][m], runs);
        }
    return bench_wakeup_word(runs, n, budget);
}
