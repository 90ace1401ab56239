/* SPDX-License-Identifier: MIT */
/* bench-flag.c: cost of a flag check, of a claim, and of set-to-seen latency. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_RUNS 64

/* About 2 ns of dependent integer work (multiply, add, shift, xor). */
static inline uint64_t body(uint64_t x)
{
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x ^ (x >> 29);
}

/* n iterations of the body, checking the flag after every block of k
 * (k == 0: never). Blocks, not i % k: see DESIGN.md. */
static __attribute__((noinline)) uint64_t run_blocks(const coord_flag *f,
                                                     uint64_t n, uint64_t k)
{
    uint64_t x = 1;
    if (k == 0) {
        for (uint64_t i = 0; i < n; i++)
            x = body(x);
        return x;
    }
    for (uint64_t i = 0; i < n; i += k) {
        uint64_t end = i + k < n ? i + k : n;
        for (uint64_t j = i; j < end; j++)
            x = body(x);
        if (coord_flag_is_set(f))
            break;
    }
    return x;
}

static __attribute__((noinline)) uint64_t check_only(const coord_flag *f,
                                                     uint64_t n)
{
    uint64_t i;
    for (i = 0; i < n; i++)
        if (coord_flag_is_set(f))
            break;
    return i;
}

/* n iterations of a one-cycle body (one dependent add; the empty asm keeps
 * the compiler from folding or vectorising the loop), checking the flag
 * after every iteration when `check` is non-zero. */
static __attribute__((noinline)) uint64_t run_1cycle(const coord_flag *f,
                                                     uint64_t n, uint64_t check)
{
    uint64_t x = 0;
    if (!check) {
        for (uint64_t i = 0; i < n; i++) {
            x += i;
            __asm__ volatile("" : "+r"(x));
        }
        return x;
    }
    for (uint64_t i = 0; i < n; i++) {
        x += i;
        __asm__ volatile("" : "+r"(x));
        if (coord_flag_is_set(f))
            break;
    }
    return x;
}

static int nruns(const struct bench_opts *o, int dflt)
{
    int r = o->runs ? o->runs : dflt;
    return r > MAX_RUNS ? MAX_RUNS : r;
}

/* Calibrate n so that one run of fn takes about `target_ns`. */
static uint64_t calibrate(uint64_t (*fn)(const coord_flag *, uint64_t, uint64_t),
                          const coord_flag *f, uint64_t k, double target_ns)
{
    uint64_t n = 1 << 16;
    for (;;) {
        uint64_t t0 = coord_clock_ns();
        bench_keep(fn(f, n, k));
        double dt = (double)(coord_clock_ns() - t0);
        if (dt > target_ns / 8 || n > (1ull << 40))
            return (uint64_t)((double)n * target_ns / (dt > 0 ? dt : 1));
        n *= 4;
    }
}

static uint64_t check_only3(const coord_flag *f, uint64_t n, uint64_t k)
{
    (void)k;
    return check_only(f, n);
}

static void bench_checks(const coord_flag *f, const struct bench_opts *o)
{
    int runs = nruns(o, 11);
    double per_run = o->seconds * 1e9 / 3 / runs / 8;
    double ns[MAX_RUNS];
    uint64_t n = calibrate(check_only3, f, 0, per_run);
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = coord_clock_ns();
        bench_keep(check_only(f, n));
        ns[r] = (double)(coord_clock_ns() - t0) / (double)n;
    }
    bench_report("flag", "check_only", ns, runs);

    /* Overhead of checking every k iterations of a ~2 ns body, against the
     * same loop without checks, measured side by side in each run. */
    static const uint64_t ks[] = {1, 10, 100, 1000};
    uint64_t nb = calibrate(run_blocks, f, 0, per_run);
    double base[MAX_RUNS], over[4][MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = coord_clock_ns();
        bench_keep(run_blocks(f, nb, 0));
        double tb = (double)(coord_clock_ns() - t0);
        base[r] = tb / (double)nb;
        for (int i = 0; i < 4; i++) {
            t0 = coord_clock_ns();
            bench_keep(run_blocks(f, nb, ks[i]));
            double t = (double)(coord_clock_ns() - t0);
            over[i][r] = (t - tb) / tb * 100.0;
        }
    }
    bench_report("flag", "body2ns_nocheck", base, runs);
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "body2ns_check_every_%llu_overhead",
                 (unsigned long long)ks[i]);
        bench_report_value("flag", name, "pct", over[i], runs);
    }
    double ratio2[MAX_RUNS];
    for (int r = 0; r < runs; r++)
        ratio2[r] = 1.0 + over[0][r] / 100.0;
    bench_report_value("flag", "body2ns_checked_over_plain", "ratio", ratio2,
                       runs);

    /* A one-cycle body checked every iteration against the same loop
     * unchecked, side by side in each run: the check's own cost. */
    uint64_t n1 = calibrate(run_1cycle, f, 0, per_run);
    double plain1[MAX_RUNS], ratio1[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = coord_clock_ns();
        bench_keep(run_1cycle(f, n1, 0));
        double tp = (double)(coord_clock_ns() - t0);
        t0 = coord_clock_ns();
        bench_keep(run_1cycle(f, n1, 1));
        double tc = (double)(coord_clock_ns() - t0);
        plain1[r] = tp / (double)n1;
        ratio1[r] = tc / (tp > 0 ? tp : 1);
    }
    bench_report("flag", "body1cycle_nocheck", plain1, runs);
    bench_report_value("flag", "body1cycle_checked_over_plain", "ratio",
                       ratio1, runs);
}

/* One claim row's run: a successful claim needs a fresh epoch, so the
 * loop times reset + claim, and reset alone, and subtracts. Each of the
 * two is the least of 3 interleaved timings: a preemption inside the
 * reset-only loop made the difference negative on a loaded machine (a
 * claim "cost" -16 ns, ops_s 0). A difference that stays 0 or less is
 * measured again, up to 8 times, before it reads 1 ns over the n claims
 * (as coord spectrum's claim rows do). *reset_ns: the least reset-only
 * timing per reset; *spent: the whole call's time. */
static double claim_ns(coord_flag *f, uint64_t n, int locked,
                       double *reset_ns, uint64_t *spent)
{
    uint64_t start = coord_clock_ns();
    uint64_t reset = UINT64_MAX, both = UINT64_MAX;
    for (int attempt = 0; attempt < 8; attempt++) {
        reset = both = UINT64_MAX;
        for (int k = 0; k < 3; k++) {
            uint64_t t0 = coord_clock_ns();
            for (uint64_t i = 0; i < n; i++)
                coord_flag_reset(f);
            uint64_t t1 = coord_clock_ns();
            for (uint64_t i = 0; i < n; i++) {
                coord_flag_reset(f);
                if (!(locked ? coord_flag_claim_locked(f)
                             : coord_flag_claim(f)))
                    abort();
            }
            uint64_t t2 = coord_clock_ns();
            reset = t1 - t0 < reset ? t1 - t0 : reset;
            both = t2 - t1 < both ? t2 - t1 : both;
        }
        if (both > reset)
            break;
    }
    *reset_ns = (double)reset / (double)n;
    *spent = coord_clock_ns() - start;
    return (double)(both > reset ? both - reset : 1) / (double)n;
}

static void bench_claims(coord_flag *f, const struct bench_opts *o)
{
    int runs = nruns(o, 11);
    uint64_t n = 200000;
    double reset_ns[MAX_RUNS], cas_ns[MAX_RUNS], lock_ns[MAX_RUNS];
    double budget = o->seconds * 1e9 / 3;
    for (int r = 0; r < runs; r++) {
        double reset_lock;
        uint64_t spent_cas, spent_lock;
        cas_ns[r] = claim_ns(f, n, 0, &reset_ns[r], &spent_cas);
        lock_ns[r] = claim_ns(f, n, 1, &reset_lock, &spent_lock);
        if (reset_lock < reset_ns[r])
            reset_ns[r] = reset_lock;
        if (r == 0) {
            double per = (double)(spent_cas + spent_lock);
            double want = budget / runs;
            n = (uint64_t)((double)n * want / (per > 0 ? per : 1));
            if (n < 1000)
                n = 1000;
        }
    }
    bench_report("flag", "reset", reset_ns, runs);
    bench_report("flag", "claim_cas", cas_ns, runs);
    bench_report("flag", "claim_lock", lock_ns, runs);
}

struct prop {
    _Atomic uint64_t t_set;  /* parent's clock when it set the flag */
    _Atomic uint64_t t_seen; /* child's clock when it saw it */
    _Atomic uint32_t ready;  /* child armed for round r: ready == r + 1 */
    _Atomic uint32_t quit;
};

/* Set-to-seen latency: the child spins on coord_flag_is_set; the parent
 * sets it and both stamp the shared monotonic clock. Returns 0, or 1 when
 * its child could not be forked (the run then fails, as queue's does). */
static int bench_propagation(coord_flag *f, const struct bench_opts *o)
{
    struct prop *p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    coord_flag_reset(f);
    int rounds = (int)(o->seconds * 1000 / 3);
    if (rounds < 50)
        rounds = 50;
    if (rounds > 2000)
        rounds = 2000;
    pid_t pid = fork();
    if (pid < 0) { /* each round would wait 2 s for nobody, then wait(-1) */
        fprintf(stderr, "bench flag: propagation: fork failed\n");
        munmap(p, sizeof *p);
        return 1;
    }
    if (pid == 0) {
        for (uint32_t r = 0; r < (uint32_t)rounds; r++) {
            atomic_store(&p->ready, r + 1);
            while (!coord_flag_is_set(f))
                if (atomic_load_explicit(&p->quit, memory_order_relaxed))
                    _exit(0);
            atomic_store(&p->t_seen, coord_clock_ns());
            /* Wait for the parent to reset before arming again. */
            while (coord_flag_is_set(f))
                if (atomic_load_explicit(&p->quit, memory_order_relaxed))
                    _exit(0);
        }
        _exit(0);
    }
    double lat[2048];
    int got = 0;
    for (int r = 0; r < rounds; r++) {
        uint64_t dl = coord_clock_ns() + 2000000000ull;
        while (atomic_load(&p->ready) != (uint32_t)r + 1 &&
               coord_clock_ns() < dl)
            sched_yield();
        atomic_store(&p->t_seen, 0);
        /* Give the child time to be spinning, not just armed. */
        uint64_t until = coord_clock_ns() + 20000;
        while (coord_clock_ns() < until)
            ;
        uint64_t t = coord_clock_ns();
        coord_flag_set(f);
        while (atomic_load(&p->t_seen) == 0 && coord_clock_ns() < dl)
            ;
        uint64_t seen = atomic_load(&p->t_seen);
        if (seen >= t)
            lat[got++] = (double)(seen - t);
        coord_flag_reset(f);
    }
    atomic_store(&p->quit, 1);
    waitpid(pid, NULL, 0);
    munmap(p, sizeof *p);
    if (got > 0)
        bench_report_value("flag", "propagation_set_to_seen", "ns", lat, got);
    return 0;
}

int bench_flag(const struct bench_opts *o)
{
    coord_flag *f;
    int r = coord_flag_create(&f);
    if (r) {
        fprintf(stderr, "coord_bench flag: %s\n", coord_strerror(r));
        return 1;
    }
    bench_checks(f, o);
    bench_claims(f, o);
    int rc = bench_propagation(f, o);
    coord_flag_destroy(f);
    return rc;
}
