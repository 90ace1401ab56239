/* SPDX-License-Identifier: MIT */
/* bench-manager.c: manager round trips (get, set, incr, batches), and aggregate throughput by number of client processes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_RUNS 64
#define T 10000

static int nruns(const struct bench_opts *o, int dflt)
{
    int r = o->runs ? o->runs : dflt;
    return r > MAX_RUNS ? MAX_RUNS : r;
}

/* ns per operation of n single operations of kind `op`; -1 on a wrong
 * result (so a broken build cannot post a number). */
static double singles(coord_mclient *c, coord_mop op, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    int64_t last = -1;
    for (uint64_t i = 0; i < n; i++) {
        coord_mval v = coord_mval_i64((int64_t)i);
        int64_t now;
        int r = op == COORD_MOP_GET   ? coord_mclient_get(c, "d", "k", &v, T)
                : op == COORD_MOP_SET ? coord_mclient_set(c, "d", "s", &v, T)
                                      : coord_mclient_incr(c, "d", "n", 1,
                                                           &now, T);
        if (r != 0 || (op == COORD_MOP_GET && v.i != 7) ||
            (op == COORD_MOP_INCR && last >= 0 && now != last + 1))
            return -1;
        if (op == COORD_MOP_INCR)
            last = now;
    }
    return (double)(coord_clock_ns() - t0) / (double)n;
}

/* ns per get of n batches of `size` gets. */
static double batches(coord_mclient *c, coord_mreq *q, size_t size, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        if (coord_mclient_batch(c, q, size, T) != 0)
            return -1;
        for (size_t k = 0; k < size; k++)
            if (q[k].status != 0 || q[k].result.i != 7)
                return -1;
    }
    return (double)(coord_clock_ns() - t0) / (double)(n * size);
}

/*
 * --stalls: where an aggregate loses time. Each client notes the spans in
 * which its gets came back to back (a get shorter than STALL_NS that began
 * within STALL_NS of the previous one's end); the parent lays every
 * client's spans on one line, and a stall is a stretch of at least
 * STALL_NS in which no client completed a get: a turn handed from one
 * client to the next (src/wait.h, 5.), a process that lost its CPU, a
 * server that slept. One client has stalls too (its own preemptions), so
 * the rows compare a count's stall ns per get with one client's: their
 * difference is what the count adds. The two clock reads per get this
 * needs are in every run of that invocation, one client's included.
 */
#define STALL_NS 20000u

struct span {
    uint64_t from, to;
};

/* A client's spans: at most one per get (each get starts or extends one),
 * so `cap` = per + 1 never runs out; and when it did its last get. */
struct spans {
    uint64_t n;
    uint64_t done; /* coord_clock_ns() after its last get */
    struct span s[];
};

static void note_get(struct spans *sp, uint64_t a, uint64_t b)
{
    struct span *last = sp->n ? &sp->s[sp->n - 1] : NULL;
    if (last && b - a < STALL_NS && a - last->to < STALL_NS) {
        last->to = b;
        return;
    }
    /* A long get ends a span and starts the next at its end. */
    sp->s[sp->n++] = (struct span){b - a < STALL_NS ? a : b, b};
}

static int span_cmp(const void *x, const void *y)
{
    const struct span *a = x, *b = y;
    return a->from < b->from ? -1 : a->from > b->from;
}

/* Stall ns (gaps of STALL_NS or more between the union of all spans) and
 * their number. */
static void stalls_of(struct span *all, size_t n, double *ns, double *count)
{
    qsort(all, n, sizeof *all, span_cmp);
    uint64_t hi = 0, gap = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (hi && all[i].from > hi && all[i].from - hi >= STALL_NS) {
            gap += all[i].from - hi;
            k++;
        }
        if (all[i].to > hi)
            hi = all[i].to;
    }
    *ns = (double)gap;
    *count = (double)k;
}

/* `nc` client processes each doing `per` gets of one key, started
 * together once all of them are connected (the clock covers the gets, not
 * the forks and handshakes): ns per get of the whole (aggregate
 * throughput). -1 when one failed or read a wrong value. With `stall`
 * (--stalls, above): also the stall ns per get, stalls per 1000 gets, and
 * the first client's finish over the last one's (from the start: 1 when
 * all finish together; 0.2 when the first was done at a fifth of the run,
 * the others held back meanwhile; the run's ns per get is the last one's,
 * so an unfair run reads slow however fast its quickest client went). */
static double concurrent_gets(const char *path, unsigned nc, uint64_t per,
                              int64_t spin, double stall[3])
{
    pid_t pids[256];
    int go[2], ready[2];
    if (nc > 256 || pipe(go) != 0)
        return -1;
    if (pipe(ready) != 0) {
        close(go[0]);
        close(go[1]);
        return -1;
    }
    /* One block of spans per client, shared with the children. */
    size_t one = sizeof(struct spans) + (per + 1) * sizeof(struct span);
    one = (one + 63) / 64 * 64;
    uint8_t *sh = NULL;
    if (stall) {
        sh = mmap(NULL, one * nc, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED) {
            close(go[0]);
            close(go[1]);
            close(ready[0]);
            close(ready[1]);
            return -1;
        }
    }
    bool ok = true;
    for (unsigned p = 0; p < nc; p++) {
        fflush(NULL);
        pids[p] = fork();
        if (pids[p] == 0) {
            close(go[1]);
            close(ready[0]);
            coord_mclient *w;
            char b;
            if (coord_mclient_connect(&w, path, T) ||
                coord_mclient_set_spin(w, spin) || write(ready[1], "r", 1) != 1 ||
                read(go[0], &b, 1) != 0)
                _exit(3);
            struct spans *sp = sh ? (struct spans *)(sh + one * p) : NULL;
            for (uint64_t i = 0; i < per; i++) {
                coord_mval v;
                uint64_t a = sp ? coord_clock_ns() : 0;
                if (coord_mclient_get(w, "d", "k", &v, T) || v.i != 7)
                    _exit(4);
                if (sp)
                    note_get(sp, a, coord_clock_ns());
            }
            if (sp)
                sp->done = coord_clock_ns();
            coord_mclient_close(w);
            _exit(0);
        }
        ok = ok && pids[p] > 0;
    }
    close(go[0]);
    close(ready[1]);
    /* Wait until every client is connected (a client that failed closes
     * its end without a byte: end of file comes early). */
    for (unsigned p = 0; p < nc && ok; p++) {
        char b;
        ssize_t k;
        do {
            k = read(ready[0], &b, 1);
        } while (k < 0 && errno == EINTR);
        ok = k == 1;
    }
    close(ready[0]);
    /* Every client waits on the pipe: closing it starts all of them at
     * once (end of file). */
    uint64_t t0 = coord_clock_ns();
    close(go[1]);
    for (unsigned p = 0; p < nc; p++) {
        int st;
        if (pids[p] <= 0 || waitpid(pids[p], &st, 0) < 0 || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            ok = false;
    }
    uint64_t t1 = coord_clock_ns();
    double ns = (double)(t1 - t0) / (double)(nc * per);
    if (sh) {
        size_t total = 0;
        uint64_t first = UINT64_MAX, last = 0;
        for (unsigned p = 0; p < nc && ok; p++) {
            const struct spans *sp = (const struct spans *)(sh + one * p);
            uint64_t n = sp->n, done = sp->done;
            /* what a child wrote: checked */
            ok = n <= per + 1 && done >= t0 && done <= t1;
            total += ok ? n : 0;
            first = done < first ? done : first;
            last = done > last ? done : last;
        }
        if (ok)
            stall[2] = last > t0 ? (double)(first - t0) / (double)(last - t0)
                                 : 1;
        struct span *all = ok ? malloc((total ? total : 1) * sizeof *all) : NULL;
        if (all) {
            size_t k = 0;
            for (unsigned p = 0; p < nc; p++) {
                struct spans *sp = (struct spans *)(sh + one * p);
                memcpy(all + k, sp->s, sp->n * sizeof *all);
                k += sp->n;
            }
            double gap, count;
            stalls_of(all, total, &gap, &count);
            stall[0] = gap / (double)(nc * per);
            stall[1] = count * 1000 / (double)(nc * per);
            free(all);
        } else {
            ok = false;
        }
        munmap(sh, one * nc);
    }
    return ok ? ns : -1;
}

/* Four client processes incrementing one counter: ns per increment of the
 * whole (aggregate throughput), checked against the final count. `spin`:
 * the clients' wait policy (coord_mclient_set_spin). */
static double concurrent(const char *path, uint64_t per, int64_t spin)
{
    coord_mclient *c;
    if (coord_mclient_connect(&c, path, T))
        return -1;
    int64_t before = 0;
    coord_mval v;
    if (coord_mclient_get(c, "d", "cc", &v, T) == 0)
        before = v.i;
    pid_t pids[4];
    uint64_t t0 = coord_clock_ns();
    for (int p = 0; p < 4; p++) {
        fflush(NULL);
        pids[p] = fork();
        if (pids[p] == 0) {
            coord_mclient *w;
            if (coord_mclient_connect(&w, path, T) ||
                coord_mclient_set_spin(w, spin))
                _exit(3);
            for (uint64_t i = 0; i < per; i++)
                if (coord_mclient_incr(w, "d", "cc", 1, NULL, T))
                    _exit(4);
            coord_mclient_close(w);
            _exit(0);
        }
    }
    bool ok = true;
    for (int p = 0; p < 4; p++) {
        int st;
        if (pids[p] < 0 || waitpid(pids[p], &st, 0) < 0 || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            ok = false;
    }
    double ns = (double)(coord_clock_ns() - t0) / (double)(4 * per);
    ok = ok && coord_mclient_get(c, "d", "cc", &v, T) == 0 &&
         v.i == before + (int64_t)(4 * per);
    coord_mclient_close(c);
    return ok ? ns : -1;
}

/* Bring the idle connections of one server from *have to `want`: connect
 * more (each makes one get, so its mailbox has been used) or close the
 * last ones. Returns 0 or a coord error. */
static int set_idle(const char *path, coord_mclient **idle, unsigned *have,
                    unsigned want)
{
    while (*have > want)
        coord_mclient_close(idle[--*have]);
    while (*have < want) {
        coord_mclient *w;
        coord_mval v;
        int r = coord_mclient_connect(&w, path, T);
        if (r)
            return r;
        if ((r = coord_mclient_get(w, "d", "k", &v, T)) != 0) {
            coord_mclient_close(w);
            return r;
        }
        idle[(*have)++] = w;
    }
    return 0;
}

/* The descriptors --idle needs (two per connection here, two in the
 * server, which inherits our limit): raise the soft limit to the hard
 * one. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/*
 * Every case runs against two servers side by side, run k of one then run
 * k of the other: the default wait policy (both ends spin for 50 µs before
 * they sleep) and "_block" (both ends sleep at once, spin_ns = -1), so the
 * price of every wake-up and what spinning saves are measured under the
 * same conditions.
 */
#define NPOL 2
static const char *const pol_suffix[NPOL] = {"", "_block"};
static const int64_t pol_spin[NPOL] = {0, -1};

/*
 * --idle: one client's single get while N other connections stay open and
 * silent (a program that keeps a client per worker and uses few of them):
 * what the server's scan of the mailboxes costs the busy one. Rows
 * idle<N>_get and idle<N>_get_block, after idle0_get as the baseline.
 */
static int idle_rows(const struct bench_opts *o, coord_manager **m,
                     coord_mclient **c, const uint64_t *n, int runs,
                     double ns[][MAX_RUNS])
{
    static coord_mclient *idle[NPOL][BENCH_MAX_IDLE];
    unsigned have[NPOL] = {0, 0};
    int rc = 0;
    for (int k = -1; k < o->nidle && rc == 0; k++) {
        unsigned want = k < 0 ? 0 : o->idle[k];
        for (int p = 0; p < NPOL && rc == 0; p++) {
            int r = set_idle(coord_manager_path(m[p]), idle[p], &have[p],
                             want);
            if (r) {
                fprintf(stderr, "bench manager: %u idle connections: %s\n",
                        want, coord_strerror(r));
                rc = 1;
            }
        }
        for (int i = 0; i < runs && rc == 0; i++)
            for (int p = 0; p < NPOL && rc == 0; p++)
                if ((ns[p][i] = singles(c[p], COORD_MOP_GET, n[p])) < 0) {
                    fprintf(stderr, "bench manager: idle%u_get%s: wrong "
                                    "result\n", want, pol_suffix[p]);
                    rc = 1;
                }
        for (int p = 0; p < NPOL && rc == 0; p++) {
            char name[64];
            snprintf(name, sizeof name, "idle%u_get%s", want, pol_suffix[p]);
            bench_report("manager", name, ns[p], runs);
        }
    }
    for (int p = 0; p < NPOL; p++)
        set_idle(NULL, idle[p], &have[p], 0);
    return rc;
}

int bench_manager(const struct bench_opts *o)
{
    int runs = nruns(o, 7);
    coord_manager *m[NPOL] = {NULL, NULL};
    coord_mclient *c[NPOL] = {NULL, NULL};
    static coord_mreq q[1000];
    coord_mval seven = coord_mval_i64(7);
    for (int k = 0; k < 1000; k++)
        q[k] = (coord_mreq){.op = COORD_MOP_GET, .name = "d", .key = "k"};
    uint64_t n[NPOL];
    int r = 0;
    unsigned max_idle = 0;
    for (int k = 0; k < o->nidle; k++)
        max_idle = o->idle[k] > max_idle ? o->idle[k] : max_idle;
    if (max_idle)
        raise_fd_limit();
    for (int p = 0; p < NPOL && r == 0; p++) {
        coord_manager_opts mo;
        coord_manager_opts_init(&mo);
        mo.spin_ns = pol_spin[p];
        if (max_idle + 8 > mo.max_clients)
            mo.max_clients = max_idle + 8;
        if ((r = coord_manager_start(&m[p], NULL, &mo)) ||
            (r = coord_mclient_connect(&c[p], coord_manager_path(m[p]), T)) ||
            (r = coord_mclient_set_spin(c[p], pol_spin[p])) ||
            (r = coord_mclient_set(c[p], "d", "k", &seven, T)))
            break;
        /* Size the runs from a probe: the budget is split over 7 cases
         * and the two policies. */
        /* The first gets find the server asleep: warm up, then probe. */
        singles(c[p], COORD_MOP_GET, 200);
        double probe = singles(c[p], COORD_MOP_GET, 2000);
        double per_run = o->seconds * 1e9 / 7 / NPOL / runs;
        n[p] = probe > 0 ? (uint64_t)(per_run / probe) : 0;
        /* A probe that met a sleeping server would size the runs below
         * what makes their start negligible. */
        n[p] = n[p] < 2000 ? 2000 : n[p];
    }
    if (r) {
        fprintf(stderr, "bench manager: %s\n", coord_strerror(r));
        for (int p = 0; p < NPOL; p++) {
            coord_mclient_close(c[p]);
            if (m[p])
                coord_manager_stop(m[p], T);
        }
        return 1;
    }
    static const struct {
        const char *name;
        coord_mop op;
        size_t batch; /* 0: single operations; SIZE_MAX: 4 clients */
    } cs[] = {{"get", COORD_MOP_GET, 0},       {"set", COORD_MOP_SET, 0},
              {"incr", COORD_MOP_INCR, 0},     {"batch10_get", COORD_MOP_GET, 10},
              {"batch100_get", COORD_MOP_GET, 100},
              {"batch1000_get", COORD_MOP_GET, 1000},
              {"4clients_incr_aggregate", COORD_MOP_INCR, SIZE_MAX}};
    static double ns[NPOL][MAX_RUNS];
    static double st[NPOL][MAX_RUNS][3];
    int rc = 0;
    /* --clients: only the scaling rows, one per count and policy: ns per
     * get of all clients together (ops_s is the aggregate gets/s). */
    for (int k = 0; k < o->nclients && rc == 0; k++) {
        unsigned nc = o->clients[k];
        for (int i = 0; i < runs && rc == 0; i++)
            for (int p = 0; p < NPOL && rc == 0; p++)
                if ((ns[p][i] = concurrent_gets(
                         coord_manager_path(m[p]), nc, n[p] / nc + 10,
                         pol_spin[p], o->stalls ? st[p][i] : NULL)) < 0) {
                    fprintf(stderr, "bench manager: %u clients%s: failed\n",
                            nc, pol_suffix[p]);
                    rc = 1;
                }
        for (int p = 0; p < NPOL && rc == 0; p++) {
            char name[64];
            snprintf(name, sizeof name, "clients%u_get_aggregate%s", nc,
                     pol_suffix[p]);
            bench_report("manager", name, ns[p], runs);
            if (!o->stalls)
                continue;
            double v[3][MAX_RUNS];
            for (int i = 0; i < runs; i++)
                for (int j = 0; j < 3; j++)
                    v[j][i] = st[p][i][j];
            snprintf(name, sizeof name, "clients%u_stall%s", nc, pol_suffix[p]);
            bench_report_value("manager", name, "stall_ns_per_get", v[0], runs);
            snprintf(name, sizeof name, "clients%u_stalls%s", nc,
                     pol_suffix[p]);
            bench_report_value("manager", name, "stalls_per_kget", v[1], runs);
            snprintf(name, sizeof name, "clients%u_fair%s", nc, pol_suffix[p]);
            bench_report_value("manager", name, "first_over_last_finish",
                               v[2], runs);
        }
    }
    if (o->nidle && rc == 0)
        rc = idle_rows(o, m, c, n, runs, ns);
    for (size_t k = 0;
         o->nclients == 0 && o->nidle == 0 && k < sizeof cs / sizeof cs[0] &&
         rc == 0;
         k++) {
        for (int i = 0; i < runs && rc == 0; i++)
            for (int p = 0; p < NPOL && rc == 0; p++) {
                size_t b = cs[k].batch;
                if (b == SIZE_MAX)
                    ns[p][i] = concurrent(coord_manager_path(m[p]),
                                          n[p] / 4 + 10, pol_spin[p]);
                else if (b)
                    ns[p][i] = batches(c[p], q, b, n[p] / b * 4 + 5);
                else
                    ns[p][i] = singles(c[p], cs[k].op, n[p]);
                if (ns[p][i] < 0) {
                    fprintf(stderr, "bench manager: %s%s: wrong result\n",
                            cs[k].name, pol_suffix[p]);
                    rc = 1;
                }
            }
        for (int p = 0; p < NPOL && rc == 0; p++) {
            char name[64];
            snprintf(name, sizeof name, "%s%s", cs[k].name, pol_suffix[p]);
            bench_report("manager", name, ns[p], runs);
        }
    }
    for (int p = 0; p < NPOL; p++) {
        coord_mclient_close(c[p]);
        coord_manager_stop(m[p], T);
    }
    return rc;
}

