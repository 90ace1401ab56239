/* SPDX-License-Identifier: MIT */
/* bench-queue.c: queue cost per message (1->1, 1->4 with pills, 4->4, or any producers x consumers grid), put+get in one process, round trip. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_RUNS 64

struct ctl {
    _Atomic uint32_t go;
    _Atomic uint64_t count;
    _Atomic uint64_t sum;
};

static int nruns(const struct bench_opts *o, int dflt)
{
    int r = o->runs ? o->runs : dflt;
    return r > MAX_RUNS ? MAX_RUNS : r;
}

static void wait_go(struct ctl *c)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    while (!atomic_load_explicit(&c->go, memory_order_acquire))
        ;
}

/* A fork failed: the run says so (BENCH_FORK_FAILED), not "lost". */
#define BENCH_FORK_FAILED (-2.0)

/* One run: P producers put n messages of `msg` bytes (ids 0..n-1 spread
 * over the producers), C consumers take them until a pill each. Returns
 * ns per message, -1 when a message was lost or duplicated (count and
 * sum of ids), so a broken build cannot post a fast number, or
 * BENCH_FORK_FAILED (the children that did start are ended and reaped: a
 * failed fork's -1 was waited for as "any child", and with a consumer
 * started and a producer not, that wait never returned). */
static double run_pc(unsigned np, unsigned nc, size_t msg, uint64_t n)
{
    struct ctl *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    coord_queue *q;
    if (c == MAP_FAILED || coord_queue_create(&q, 1024, msg) != 0)
        return -1;
    pid_t pids[2 * BENCH_MAX_SIDE];
    uint64_t per = n / np;
    unsigned started = 0;
    fflush(NULL);
    for (unsigned i = 0; i < np + nc; i++, started++) {
        pids[i] = fork();
        if (pids[i] < 0)
            break;
        if (pids[i] != 0)
            continue;
        unsigned char m[65536] = {0};
        uint64_t id, cnt = 0, sum = 0;
        size_t len;
        wait_go(c);
        if (i < nc) {
            while (coord_queue_get(q, m, msg, &len, -1) == 0) {
                __builtin_memcpy(&id, m, sizeof id);
                cnt++;
                sum += id;
            }
            atomic_fetch_add(&c->count, cnt);
            atomic_fetch_add(&c->sum, sum);
            _exit(0);
        }
        for (uint64_t k = 0; k < per; k++) {
            id = (uint64_t)(i - nc) * per + k;
            __builtin_memcpy(m, &id, sizeof id);
            if (coord_queue_put(q, m, msg, -1) != 0)
                _exit(1);
        }
        _exit(0);
    }
    uint64_t t0 = coord_clock_ns();
    /* After a failed fork too: the children that exist finish. */
    atomic_store_explicit(&c->go, 1, memory_order_release);
    for (unsigned i = nc; i < started; i++)
        waitpid(pids[i], NULL, 0);
    for (unsigned i = 0; i < nc && i < started; i++)
        coord_queue_put_pill(q, -1);
    for (unsigned i = 0; i < nc && i < started; i++)
        waitpid(pids[i], NULL, 0);
    if (started < np + nc) {
        coord_queue_destroy(q);
        munmap(c, sizeof *c);
        return BENCH_FORK_FAILED;
    }
    double ns = (double)(coord_clock_ns() - t0) / (double)(per * np);
    uint64_t total = per * np;
    bool ok = atomic_load(&c->count) == total &&
              atomic_load(&c->sum) == total * (total - 1) / 2;
    coord_queue_destroy(q);
    munmap(c, sizeof *c);
    return ok ? ns : -1;
}

/* put then get in one process: the uncontended cost of the two calls. */
static double run_local(uint64_t n)
{
    coord_queue *q;
    if (coord_queue_create(&q, 1024, 8) != 0)
        return -1;
    uint64_t x = 0, t0 = coord_clock_ns();
    size_t len;
    for (uint64_t i = 0; i < n; i += 512) {
        for (uint64_t k = i; k < i + 512; k++)
            coord_queue_put(q, &k, 8, 0);
        for (uint64_t k = i; k < i + 512; k++) {
            coord_queue_get(q, &x, 8, &len, 0);
            if (x != k)
                return -1;
        }
    }
    double ns = (double)(coord_clock_ns() - t0) / (double)(n / 512 * 512);
    coord_queue_destroy(q);
    return ns;
}

/* Ping-pong between two processes over two queues: one round trip is a
 * put and a get on each side (the "queue round trip" of the spectrum). */
static double run_roundtrip(uint64_t n)
{
    coord_queue *a, *b;
    if (coord_queue_create(&a, 16, 8) != 0 || coord_queue_create(&b, 16, 8))
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { /* the get below would wait for ever */
        coord_queue_destroy(a);
        coord_queue_destroy(b);
        return BENCH_FORK_FAILED;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        uint64_t x;
        size_t len;
        while (coord_queue_get(a, &x, 8, &len, -1) == 0)
            if (coord_queue_put(b, &x, 8, -1) != 0)
                _exit(1);
        _exit(0);
    }
    uint64_t t0 = coord_clock_ns(), x = 0;
    size_t len;
    bool ok = true;
    for (uint64_t i = 0; i < n && ok; i++) {
        ok = coord_queue_put(a, &i, 8, -1) == 0 &&
             coord_queue_get(b, &x, 8, &len, -1) == 0 && x == i;
    }
    double ns = (double)(coord_clock_ns() - t0) / (double)n;
    coord_queue_put_pill(a, -1);
    waitpid(pid, NULL, 0);
    coord_queue_destroy(a);
    coord_queue_destroy(b);
    return ok ? ns : -1;
}

/* The gap between two messages of a --sleepers row: long enough that every
 * consumer is asleep in the kernel (past its spin) when the next one
 * comes. */
#define SLEEPERS_GAP_NS 200000u

/*
 * One run of a --sleepers row: nc consumers blocked in coord_queue_get on
 * an empty queue, and one producer (this process) putting n 8-byte
 * messages, one every SLEEPERS_GAP_NS. Returns the consumers' CPU time per
 * message in ns (what a message costs beyond its taker's wake-up: the
 * sleepers woken for nothing spin and sleep again), and their context
 * switches per message in *switches; -1 when a message was lost.
 */
static double run_sleepers(unsigned nc, uint64_t n, double *switches)
{
    struct ctl *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    coord_queue *q;
    if (c == MAP_FAILED || coord_queue_create(&q, 1024, 8) != 0)
        return -1;
    pid_t pids[BENCH_MAX_SIDE];
    unsigned started = 0;
    fflush(NULL);
    for (unsigned i = 0; i < nc; i++, started++) {
        pids[i] = fork();
        if (pids[i] < 0)
            break;
        if (pids[i] != 0)
            continue;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        uint64_t id, cnt = 0, sum = 0;
        size_t len;
        while (coord_queue_get(q, &id, sizeof id, &len, -1) == 0) {
            cnt++;
            sum += id;
        }
        atomic_fetch_add(&c->count, cnt);
        atomic_fetch_add(&c->sum, sum);
        _exit(0);
    }
    if (started < nc) {
        for (unsigned i = 0; i < started; i++)
            coord_queue_put_pill(q, -1);
        for (unsigned i = 0; i < started; i++)
            waitpid(pids[i], NULL, 0);
        coord_queue_destroy(q);
        munmap(c, sizeof *c);
        return BENCH_FORK_FAILED;
    }
    /* Let them all reach their sleep before the first message. */
    struct timespec settle = {0, 100000000};
    nanosleep(&settle, NULL);
    struct rusage r0, r1;
    getrusage(RUSAGE_CHILDREN, &r0); /* children already reaped: none */
    uint64_t next = coord_clock_ns();
    for (uint64_t k = 0; k < n; k++) {
        coord_queue_put(q, &k, sizeof k, -1);
        next += SLEEPERS_GAP_NS;
        struct timespec ts = {(time_t)(next / 1000000000u),
                              (long)(next % 1000000000u)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    for (unsigned i = 0; i < nc; i++)
        coord_queue_put_pill(q, -1);
    for (unsigned i = 0; i < nc; i++)
        waitpid(pids[i], NULL, 0);
    getrusage(RUSAGE_CHILDREN, &r1);
    double us = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1e6 +
                (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
                (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e6 +
                (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
    *switches = (double)(r1.ru_nvcsw - r0.ru_nvcsw + r1.ru_nivcsw -
                         r0.ru_nivcsw) /
                (double)n;
    bool ok = atomic_load(&c->count) == n &&
              atomic_load(&c->sum) == n * (n - 1) / 2;
    coord_queue_destroy(q);
    munmap(c, sizeof *c);
    return ok ? us * 1000.0 / (double)n : -1;
}

/* --sleepers: one pair of rows per count, sleepers<N>_cpu (consumer CPU ns
 * per message) and sleepers<N>_switches (context switches per message). */
static int bench_queue_sleepers(const struct bench_opts *o, int runs)
{
    double per_row_ns = o->seconds * 1e9 / o->nsleepers / runs;
    uint64_t n = (uint64_t)(per_row_ns / SLEEPERS_GAP_NS);
    n = n < 200 ? 200 : n;
    for (int i = 0; i < o->nsleepers; i++) {
        double cpu[MAX_RUNS], sw[MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            cpu[r] = run_sleepers(o->sleepers[i], n, &sw[r]);
            if (cpu[r] < 0) {
                fprintf(stderr, "bench queue: sleepers%u %s\n",
                        o->sleepers[i], cpu[r] == BENCH_FORK_FAILED
                                            ? "could not fork its consumers"
                                            : "lost a message");
                return 1;
            }
        }
        char name[64];
        snprintf(name, sizeof name, "sleepers%u_cpu", o->sleepers[i]);
        bench_report_value("queue", name, "ns_cpu_per_msg", cpu, runs);
        snprintf(name, sizeof name, "sleepers%u_switches", o->sleepers[i]);
        bench_report_value("queue", name, "switches_per_msg", sw, runs);
    }
    return 0;
}

/* One case: a probe run sizes n for the per-run budget, then `runs` runs;
 * the median goes out as one row. Returns 0, or 1 when a run lost or
 * duplicated messages. */
static int pc_case(const char *name, unsigned np, unsigned nc, size_t msg,
                   double per_run_ns, int runs)
{
    double ns[MAX_RUNS];
    double probe = run_pc(np, nc, msg, 20000);
    if (probe <= 0) {
        fprintf(stderr, "bench queue: %s %s\n", name,
                probe == BENCH_FORK_FAILED ? "could not fork its processes"
                                           : "lost or duplicated messages");
        return 1;
    }
    uint64_t n = (uint64_t)(per_run_ns / probe);
    n = n < 10000 ? 10000 : n;
    for (int r = 0; r < runs; r++) {
        ns[r] = run_pc(np, nc, msg, n);
        if (ns[r] <= 0) {
            fprintf(stderr, "bench queue: %s %s\n", name,
                    ns[r] == BENCH_FORK_FAILED ? "could not fork its processes"
                                               : "lost or duplicated");
            return 1;
        }
    }
    bench_report("queue", name, ns, runs);
    return 0;
}

/* --producers / --consumers / --size: every combination, in the order
 * given (put 1 first in both lists, and the smallest size first, for the
 * 1 -> 1 base the others are compared with, in the same run). */
static int bench_queue_grid(const struct bench_opts *o, int runs)
{
    static const unsigned one[1] = {1}, eight[1] = {8};
    const unsigned *ps = o->nproducers ? o->producers : one;
    const unsigned *cs = o->nconsumers ? o->consumers : one;
    const unsigned *ss = o->nsizes ? o->sizes : eight;
    int np = o->nproducers ? o->nproducers : 1;
    int nc = o->nconsumers ? o->nconsumers : 1;
    int ns = o->nsizes ? o->nsizes : 1;
    double per_run_ns = o->seconds * 1e9 / (double)(np * nc * ns) / runs;
    for (int z = 0; z < ns; z++) {
        for (int i = 0; i < np; i++) {
            for (int k = 0; k < nc; k++) {
                char name[64];
                snprintf(name, sizeof name, "%up_%uc_pills_%uB", ps[i], cs[k],
                         ss[z]);
                if (pc_case(name, ps[i], cs[k], ss[z], per_run_ns, runs))
                    return 1;
            }
        }
    }
    return 0;
}

int bench_queue(const struct bench_opts *o)
{
    if (o->nsleepers)
        return bench_queue_sleepers(o, nruns(o, 3));
    int runs = nruns(o, 5);
    if (o->nproducers || o->nconsumers || o->nsizes)
        return bench_queue_grid(o, runs);
    static const struct {
        const char *name;
        unsigned np, nc;
        size_t msg;
    } cs[] = {{"1p1c_8B", 1, 1, 8},          {"1to4_pills_8B", 1, 4, 8},
              {"4to4_8B", 4, 4, 8},          {"1p1c_64B", 1, 1, 64},
              {"1to4_pills_64B", 1, 4, 64}};
    size_t ncases = sizeof cs / sizeof cs[0];
    /* The budget is split over the cases plus the local and round-trip
     * ones; a first short run sizes n for each. */
    double per_run_ns = o->seconds * 1e9 / (double)(ncases + 2) / runs;
    double ns[MAX_RUNS];
    for (size_t k = 0; k < ncases; k++)
        if (pc_case(cs[k].name, cs[k].np, cs[k].nc, cs[k].msg, per_run_ns,
                    runs))
            return 1;
    for (int r = 0; r < runs; r++)
        if ((ns[r] = run_local(per_run_ns > 2e8 ? 1 << 22 : 1 << 16)) <= 0)
            return 1;
    bench_report("queue", "put_get_same_process_8B", ns, runs);
    double rt = run_roundtrip(200);
    if (rt <= 0) {
        fprintf(stderr, "bench queue: roundtrip_2proc_8B %s\n",
                rt == BENCH_FORK_FAILED ? "could not fork its echo"
                                        : "lost a message");
        return 1;
    }
    uint64_t n = (uint64_t)(per_run_ns / rt);
    n = n < 200 ? 200 : n;
    for (int r = 0; r < runs; r++)
        if ((ns[r] = run_roundtrip(n)) <= 0)
            return 1;
    bench_report("queue", "roundtrip_2proc_8B", ns, runs);
    return 0;
}
