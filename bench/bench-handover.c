/* SPDX-License-Identifier: MIT */
/* bench-handover.c: what handing a CPU-bound turn from one process to a sleeping one costs, woken by a futex or by a pipe, beside a process that spins. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "internal.h"
#include "wait.h"

/*
 * The manager's members take turns (src/wait.h, 5.): the one whose turn
 * is over wakes the next and goes to sleep, while the server spins on the
 * other CPU. Here two holders do the same with nothing else in the way:
 * a holder spins for HOLD_NS (its turn), notes the time and its CPU, wakes
 * the other and waits; the woken one notes how long after the ring it
 * runs, and whether it runs on the waker's CPU (which the waker is about
 * to leave) or on the spinner's (which is busy: it waits there, or takes
 * turns with the spinner). Two ways to ring:
 *   futex  a word and FUTEX_WAKE, as the turns ring today;
 *   pipe   a byte down the other holder's pipe, waited for in poll(): a
 *          pipe's wake-up is a "sync" one (the waker says it is about to
 *          sleep), which the scheduler answers by putting the woken task
 *          on the waker's CPU when only the waker runs there.
 * Rows (one value per run, the two modes interleaved): <mode>_p50 and
 * <mode>_p99, ns from the ring to the woken holder running; <mode>_mean;
 * <mode>_on_spinner_pct, the hand-overs whose holder woke on the
 * spinner's CPU. 3 processes on 2 CPUs here: the spinner and one holder
 * are meant to fill them.
 */
#define HOLD_NS 200000u
#define MAX_HANDS 8192u
#define MAX_RUNS 64
#define WAIT_MS 5000 /* a holder's longest wait for its turn */

enum { H_FUTEX, H_PIPE, NHMODES };
static const char *const hmode_name[NHMODES] = {"futex", "pipe"};

struct hshared {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t turn; /* the holder's index */
    alignas(COORD__CACHE_LINE) _Atomic uint64_t rung_at;
    _Atomic int32_t waker_cpu;
    alignas(COORD__CACHE_LINE) _Atomic int32_t spin_cpu;
    alignas(COORD__CACHE_LINE) _Atomic uint32_t quit;
    _Atomic uint32_t hands; /* hand-overs measured */
    uint32_t want, on_spinner;
    int mode;
    int pipe[2][2]; /* holder i waits on pipe[i][0] */
    uint64_t lat[MAX_HANDS];
};

struct holder {
    struct hshared *s;
    uint32_t me;
};

static int spinner_main(void *arg)
{
    struct hshared *s = arg;
    while (!atomic_load_explicit(&s->quit, memory_order_relaxed)) {
        atomic_store_explicit(&s->spin_cpu, sched_getcpu(),
                              memory_order_relaxed);
        for (int i = 0; i < 256; i++)
            coord__cpu_relax();
    }
    return 0;
}

/* Wait for our turn (or quit). False: no turn came within WAIT_MS. */
static bool wait_turn(struct hshared *s, uint32_t me)
{
    uint64_t until = coord_clock_ns() + (uint64_t)WAIT_MS * 1000000u;
    if (s->mode == H_PIPE) {
        struct pollfd p = {s->pipe[me][0], POLLIN, 0};
        char b;
        int r;
        while ((r = poll(&p, 1, WAIT_MS)) < 0 && errno == EINTR) {
        }
        return r == 1 && read(s->pipe[me][0], &b, 1) == 1;
    }
    uint32_t t;
    while ((t = atomic_load_explicit(&s->turn, memory_order_acquire)) != me &&
           !atomic_load_explicit(&s->quit, memory_order_acquire))
        if (coord__futex_wait(&s->turn, t, until) == COORD_ETIMEDOUT)
            return false;
    return true;
}

static void ring(struct hshared *s, uint32_t other)
{
    if (s->mode == H_PIPE) {
        char b = 1;
        ssize_t n;
        while ((n = write(s->pipe[other][1], &b, 1)) < 0 && errno == EINTR) {
        }
        return;
    }
    atomic_store_explicit(&s->turn, other, memory_order_release);
    coord__futex_wake(&s->turn, 1);
}

static int holder_main(void *arg)
{
    struct holder *h = arg;
    struct hshared *s = h->s;
    uint32_t me = h->me, other = 1 - me;
    for (;;) {
        if (!wait_turn(s, me))
            return 1;
        if (atomic_load_explicit(&s->quit, memory_order_acquire))
            return 0;
        uint64_t t = coord_clock_ns();
        uint64_t at = atomic_load_explicit(&s->rung_at, memory_order_acquire);
        int cpu = sched_getcpu();
        uint32_t k = atomic_load_explicit(&s->hands, memory_order_relaxed);
        if (at) {
            s->lat[k] = t - at;
            s->on_spinner += cpu == atomic_load_explicit(
                                        &s->spin_cpu, memory_order_relaxed);
            atomic_store_explicit(&s->hands, ++k, memory_order_relaxed);
        }
        while (coord_clock_ns() - t < HOLD_NS)
            coord__cpu_relax();
        if (k >= s->want) {
            atomic_store_explicit(&s->quit, 1, memory_order_release);
            ring(s, other);
            return 0;
        }
        atomic_store_explicit(&s->waker_cpu, cpu, memory_order_relaxed);
        atomic_store_explicit(&s->rung_at, coord_clock_ns(),
                              memory_order_release);
        ring(s, other);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One run of `mode`: fills p50, p99, mean (ns) and the percentage on the
 * spinner's CPU. Returns 0, or -1 when a process could not start or a
 * holder waited in vain. */
static int hrun(struct hshared *s, int mode, uint32_t want, double out[4])
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->want = want;
    s->pipe[0][0] = s->pipe[0][1] = s->pipe[1][0] = s->pipe[1][1] = -1;
    if (mode == H_PIPE && (pipe(s->pipe[0]) != 0 || pipe(s->pipe[1]) != 0))
        return -1;
    coord__child ch[3];
    struct holder h[2] = {{s, 0}, {s, 1}};
    int started = 0, rc = 0;
    memset(ch, 0, sizeof ch);
    if (coord__spawn(&ch[0], spinner_main, s) == 0)
        started++;
    for (int i = 0; i < 2 && started == i + 1; i++)
        if (coord__spawn(&ch[i + 1], holder_main, &h[i]) == 0)
            started++;
    if (started == 3)
        ring(s, 0); /* the first turn: holder 0's, not measured */
    else {
        atomic_store(&s->quit, 1);
        rc = -1;
    }
    for (int i = started - 1; i >= 0; i--) {
        /* Holders end after `want` hand-overs or WAIT_MS without a turn. */
        if (i == 0)
            atomic_store(&s->quit, 1);
        if (coord__child_wait(&ch[i], i == 0 ? 2000 : 60000) != 0 ||
            !WIFEXITED(ch[i].status) || WEXITSTATUS(ch[i].status) != 0)
            rc = -1;
        coord__child_kill(&ch[i]);
    }
    for (int i = 0; i < 4; i++)
        if (s->pipe[i / 2][i % 2] >= 0)
            close(s->pipe[i / 2][i % 2]);
    uint32_t n = atomic_load(&s->hands);
    if (rc || n == 0)
        return -1;
    qsort(s->lat, n, sizeof s->lat[0], cmp_u64);
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += (double)s->lat[i];
    out[0] = (double)s->lat[n / 2];
    out[1] = (double)s->lat[(uint64_t)n * 99 / 100];
    out[2] = sum / n;
    out[3] = 100.0 * s->on_spinner / n;
    return 0;
}

int bench_handover(const struct bench_opts *o)
{
    int runs = o->runs ? o->runs : 5;
    if (runs > MAX_RUNS)
        runs = MAX_RUNS;
    /* A hand-over takes HOLD_NS and its wake-up: spend the budget on
     * runs x modes of them. */
    double per = o->seconds * 1e9 / runs / NHMODES / (HOLD_NS + 20000.0);
    uint32_t want = per > MAX_HANDS ? MAX_HANDS : per < 20 ? 20 : (uint32_t)per;
    struct hshared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) {
        fprintf(stderr, "coord_bench handover: cannot map shared memory\n");
        return -1;
    }
    static double v[NHMODES][4][MAX_RUNS];
    int rc = 0;
    for (int k = 0; k < runs && rc == 0; k++)
        for (int m = 0; m < NHMODES && rc == 0; m++) {
            double out[4];
            rc = hrun(s, m, want, out);
            for (int q = 0; q < 4 && rc == 0; q++)
                v[m][q][k] = out[q];
        }
    munmap(s, sizeof *s);
    if (rc) {
        fprintf(stderr, "coord_bench handover: a run failed (a process did "
                        "not start, or a turn never came)\n");
        return rc;
    }
    static const char *const what[4] = {"p50", "p99", "mean",
                                        "on_spinner_pct"};
    for (int m = 0; m < NHMODES; m++)
        for (int q = 0; q < 4; q++) {
            char name[48];
            snprintf(name, sizeof name, "%s_%s", hmode_name[m], what[q]);
            bench_report_value("handover", name, q == 3 ? "pct" : "ns",
                               v[m][q], runs);
        }
    return 0;
}
