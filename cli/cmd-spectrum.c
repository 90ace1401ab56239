/* SPDX-License-Identifier: MIT */
/* cmd-spectrum.c: `coord spectrum`: the per-access cost of every shared-state mechanism (slide 8), measured here: the timed loops, the echo processes, the runs (rows, Python and output in spectrum-*.c). */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "advise-cache.h"
#include "cli-mpi.h"
#include "mpirun.h"
#include "cli.h"
#include "opts.h"
#include "progress.h"
#include "spectrum.h"
#include "launch.h"


#define MAX_RUNS SPECTRUM_MAX_RUNS
#define RT_TIMEOUT 10000 /* ms: a round trip this slow means a dead peer */
#define BATCH 100

struct ctx {
    coord_flag *flag, *claim;
    coord_value *value;
    coord_array *array;
    coord_region *region;
    coord_queue *q_to, *q_back;
    int pipe_to[2], pipe_back[2];
    int sock[2];
    coord_mclient *mc;
    coord_mclient *mc_block; /* of a second server, neither end spinning */
    coord_mreq batch[BATCH];
    char keys[BATCH][8];
    int runs;
    double target_ns; /* per run, in-memory rows */
    uint64_t trips;   /* per run, round-trip rows */
    uint64_t sink;
};

/* ---- the measured loops: each returns elapsed ns for n operations, or 0
 * when an operation failed (so a broken build cannot post a number). ---- */

/* The in-memory read loops run 8 accesses per iteration, so the loop's own
 * counter and branch (which the Python side subtracts as its empty loop)
 * do not count as the cost of the access. */
#define X8(s) s s s s s s s s

static __attribute__((noinline)) uint64_t loop_flag(struct ctx *c, uint64_t n)
{
    const coord_flag *f = c->flag;
    uint64_t t0 = coord_clock_ns(), i;
    for (i = 0; i < n; i += 8) {
        X8(if (coord_flag_is_set(f)) break;)
    }
    uint64_t t = coord_clock_ns() - t0;
    return i >= n ? t : 0;
}

static __attribute__((noinline)) uint64_t loop_vget(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns(), acc = 0;
    coord_scalar s;
    for (uint64_t i = 0; i < n; i++) {
        if (coord_value_get(c->value, &s))
            return 0;
        acc += s.u;
    }
    c->sink += acc;
    return coord_clock_ns() - t0;
}

static __attribute__((noinline)) uint64_t loop_vset(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        coord_scalar s = {.u = i};
        if (coord_value_set(c->value, s))
            return 0;
    }
    return coord_clock_ns() - t0;
}

static __attribute__((noinline)) uint64_t loop_aread(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns(), acc = 0;
    coord_scalar s;
    for (uint64_t i = 0; i < n; i++) {
        if (coord_array_get(c->array, i & 1023, &s))
            return 0;
        acc += s.u;
    }
    c->sink += acc;
    return coord_clock_ns() - t0;
}

static __attribute__((noinline)) uint64_t loop_awrite(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        coord_scalar s = {.u = i};
        if (coord_array_set(c->array, i & 1023, s))
            return 0;
    }
    return coord_clock_ns() - t0;
}

static __attribute__((noinline)) uint64_t loop_region(struct ctx *c, uint64_t n)
{
    /* Relaxed atomic loads: a real load of shared memory every time (the
     * compiler may not keep the value in a register), with no fence. */
    _Atomic uint64_t *p = coord_region_data(c->region);
    uint64_t t0 = coord_clock_ns(), acc = 0;
    for (uint64_t i = 0; i < n; i += 8) {
        X8(acc += atomic_load_explicit(&p[i++ & 511], memory_order_relaxed);)
        i -= 8;
    }
    c->sink += acc;
    return coord_clock_ns() - t0;
}

/* A successful claim needs a fresh epoch: time reset + claim, and the reset
 * alone, and subtract. Each of the two is the least of 3 interleaved timings
 * (a preemption inside the reset-only loop made the difference 0 or less on
 * a loaded machine, and the row read 0 ps); a difference that stays 0 or
 * less is measured again, up to 8 times, before it reads 1 ns. */
static uint64_t claim_loop(struct ctx *c, uint64_t n, int mode)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        uint64_t reset = UINT64_MAX, both = UINT64_MAX;
        for (int k = 0; k < 3; k++) {
            uint64_t t0 = coord_clock_ns();
            for (uint64_t i = 0; i < n; i++)
                coord_flag_reset(c->claim);
            uint64_t t1 = coord_clock_ns();
            for (uint64_t i = 0; i < n; i++) {
                coord_flag_reset(c->claim);
                bool won = mode ? coord_flag_claim_locked(c->claim)
                                : coord_flag_claim(c->claim);
                if (!won)
                    return 0;
            }
            uint64_t t2 = coord_clock_ns();
            reset = t1 - t0 < reset ? t1 - t0 : reset;
            both = t2 - t1 < both ? t2 - t1 : both;
        }
        if (both > reset)
            return both - reset;
    }
    return 1;
}

static uint64_t loop_cas(struct ctx *c, uint64_t n)
{
    return claim_loop(c, n, 0);
}

static uint64_t loop_lock(struct ctx *c, uint64_t n)
{
    return claim_loop(c, n, 1);
}

static uint64_t loop_queue(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t x = i, y = 0;
        size_t len;
        if (coord_queue_put(c->q_to, &x, sizeof x, RT_TIMEOUT) != 0 ||
            coord_queue_get(c->q_back, &y, sizeof y, &len, RT_TIMEOUT) != 0 ||
            y != i)
            return 0;
    }
    return coord_clock_ns() - t0;
}

static bool full_read(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static uint64_t loop_pipe(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t y = 0;
        if (write(c->pipe_to[1], &i, sizeof i) != sizeof i ||
            !full_read(c->pipe_back[0], &y, sizeof y) || y != i)
            return 0;
    }
    return coord_clock_ns() - t0;
}

static uint64_t loop_sock(struct ctx *c, uint64_t n)
{
    char msg[24], back[24];
    memset(msg, 'x', sizeof msg);
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        memcpy(msg, &i, sizeof i);
        if (send(c->sock[0], msg, sizeof msg, MSG_NOSIGNAL) != sizeof msg ||
            !full_read(c->sock[0], back, sizeof back) ||
            memcmp(back, msg, sizeof msg) != 0)
            return 0;
    }
    return coord_clock_ns() - t0;
}

static uint64_t mget(coord_mclient *mc, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        coord_mval v;
        if (coord_mclient_get(mc, "d", "k", &v, RT_TIMEOUT) != 0 ||
            v.i != 42)
            return 0;
    }
    return coord_clock_ns() - t0;
}

static uint64_t loop_mget(struct ctx *c, uint64_t n)
{
    return mget(c->mc, n);
}

static uint64_t loop_mget_block(struct ctx *c, uint64_t n)
{
    return mget(c->mc_block, n);
}

static uint64_t loop_mset(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        coord_mval v = coord_mval_i64((int64_t)i);
        if (coord_mclient_set(c->mc, "d", "s", &v, RT_TIMEOUT) != 0)
            return 0;
    }
    return coord_clock_ns() - t0;
}

static uint64_t loop_mincr(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    int64_t before = -1, now = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (coord_mclient_incr(c->mc, "d", "n", 1, &now, RT_TIMEOUT) != 0 ||
            (before >= 0 && now != before + 1))
            return 0;
        before = now;
    }
    return coord_clock_ns() - t0;
}

static uint64_t loop_mbatch(struct ctx *c, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        if (coord_mclient_batch(c->mc, c->batch, BATCH, RT_TIMEOUT) != 0)
            return 0;
        for (int k = 0; k < BATCH; k++)
            if (c->batch[k].status != 0 || c->batch[k].result.i != k)
                return 0;
    }
    return coord_clock_ns() - t0;
}

typedef uint64_t (*loop_fn)(struct ctx *, uint64_t);

static const loop_fn loops[NROWS] = {
    loop_flag,  loop_vget, loop_vset, loop_aread, loop_awrite,
    loop_region, loop_cas, loop_lock, loop_queue, loop_pipe,
    loop_sock,  loop_mget, loop_mget_block, loop_mset, loop_mincr,
    loop_mbatch};

static bool is_roundtrip(size_t r)
{
    return r >= R_QUEUE;
}

/* n such that one run of row r takes about c->target_ns. */
static uint64_t calibrate(struct ctx *c, size_t r)
{
    if (is_roundtrip(r))
        return r == R_MBATCH ? (c->trips / 5 > 5 ? c->trips / 5 : 5)
                             : c->trips;
    uint64_t n = 1000;
    for (;;) {
        uint64_t t = loops[r](c, n);
        if (t == 0)
            return 0;
        if ((double)t > c->target_ns / 4 || n > (1ull << 36))
            return (uint64_t)((double)n * c->target_ns / (double)t) + 1;
        n *= 4;
    }
}

/* One run of row r: ns/op into *v; false when an operation failed. */
static bool run_once(struct ctx *c, size_t r, uint64_t n, double *v)
{
    /* A round trip with another partner process than the row before pays
     * for the scheduler's settling (which CPU wakes whom) over its first
     * few hundred operations: give it an untimed start. */
    if (is_roundtrip(r) && loops[r](c, n / 4 + 1) == 0)
        return false;
    uint64_t t = loops[r](c, n);
    *v = (double)t / (r == R_MBATCH ? (double)n * BATCH : (double)n);
    return t != 0;
}

/* Runs of the rows in `want` (NULL: all), interleaved: run k of every row,
 * then run k + 1, so that a burst of load from other processes on this
 * shared machine hits one run of many rows, not every run of one row (the
 * medians and the ratios between rows stay meaningful). v[r][k]. */
static bool measure_all(struct ctx *c, const uint64_t *n, const bool *want,
                        double (*v)[MAX_RUNS])
{
    for (size_t r = 0; r < NROWS; r++) /* warm up */
        if ((!want || want[r]) && loops[r](c, n[r] < 100 ? n[r] : n[r] / 10) == 0)
            return false;
    for (int k = 0; k < c->runs; k++) {
        progress_show("spectrum", "run %d of %d", k + 1, c->runs);
        for (size_t r = 0; r < NROWS; r++)
            if ((!want || want[r]) && !run_once(c, r, n[r], &v[r][k]))
                return false;
    }
    return true;
}

/* ---- echo processes --------------------------------------------------- */

static void echo_queue(struct ctx *c)
{
    char buf[64];
    size_t len;
    for (;;) {
        int r = coord_queue_get(c->q_to, buf, sizeof buf, &len, COORD_FOREVER);
        if (r != 0)
            _exit(r == COORD_PILL ? 0 : 3);
        if (coord_queue_put(c->q_back, buf, len, COORD_FOREVER) != 0)
            _exit(4);
    }
}

static void echo_fd(int in, int out, size_t len)
{
    char buf[64];
    for (;;) {
        if (!full_read(in, buf, len))
            _exit(0);
        if (write(out, buf, len) != (ssize_t)len)
            _exit(3);
    }
}

static pid_t start_echo(struct ctx *c, int which)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Die with the tool. Without it a tool ended by a signal (Ctrl-C,
     * which the echo processes ignore; SIGTERM from `timeout`; SIGKILL)
     * left all three waiting for ever: the queue's for a message, the
     * pipe's and the socket's for an end of file that never comes, since
     * each echo process holds copies of the others' descriptors. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    signal(SIGINT, SIG_IGN);
    if (which == 0) {
        echo_queue(c);
    } else if (which == 1) {
        close(c->pipe_to[1]);
        close(c->pipe_back[0]);
        echo_fd(c->pipe_to[0], c->pipe_back[1], 8);
    } else {
        close(c->sock[0]);
        echo_fd(c->sock[1], c->sock[1], 24);
    }
    _exit(0);
}

enum { S_QUICK, S_RUNS, S_VS_PYTHON, S_JSON, S_NOPTS };

static const struct opt spectrum_opts[] = {
    [S_QUICK] = {.name = "quick", .kind = OPT_FLAG,
                 .help = "short runs (7 per row, a few seconds in all)"},
    [S_RUNS] = {.name = "runs", .kind = OPT_UINT, .arg = "N", .min = 3,
                .max = MAX_RUNS, .def = "21, quick 7",
                .help = "runs per row (the MPI rows under mpirun too)"},
    [S_VS_PYTHON] = {.name = "vs-python", .kind = OPT_FLAG,
                     .help = "run bench/python/spectrum.py in the same run "
                             "(Python's column and coord's speed-up); "
                             "$COORD_PYTHON_DIR overrides the folder"},
    [S_JSON] = {.name = "json", .kind = OPT_FLAG,
                .help = "one JSON object; mechanism names are documented in "
                        "docs/spectrum.md"},
};

const struct opt_cmd cmd_spectrum_opts = {
    .name = "spectrum",
    .about = "Measures the per-access cost of each shared-state mechanism "
             "(lecture 27, slide 8):\n"
             "flag check, value get/set, array read/write, raw shared "
             "memory, flag claims,\n"
             "queue, pipe and Unix-socket round trips, and the manager (get, "
             "set, incr,\n"
             "batch of 100 gets) from another process. Each row: median and "
             "p99 of the\n"
             "per-run ns/op over N runs, the ratio to the flag check, the "
             "lecture's claim\n"
             "and whether this machine agrees. Reads are measured from a "
             "forked child too.",
    .opts = spectrum_opts,
    .nopts = S_NOPTS,
};

/* The managers: m[0] with the default wait policy (spin, then sleep), m[1]
 * sleeping at once, reached by a client that does the same. */
static int setup(struct ctx *c, coord_manager **m)
{
    int r;
    if ((r = coord_flag_create(&c->flag)) || (r = coord_flag_create(&c->claim)) ||
        (r = coord_value_create(&c->value, COORD_I64)) ||
        (r = coord_array_create(&c->array, COORD_I64, 1024)) ||
        (r = coord_region_create(&c->region, 4096)) ||
        (r = coord_queue_create(&c->q_to, 16, 64)) ||
        (r = coord_queue_create(&c->q_back, 16, 64)))
        return r;
    if (pipe(c->pipe_to) || pipe(c->pipe_back) ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sock))
        return COORD_EMFILE;
    coord_manager_opts block;
    coord_manager_opts_init(&block);
    block.spin_ns = -1;
    if ((r = coord_manager_start(&m[0], NULL, NULL)) ||
        (r = coord_mclient_connect(&c->mc, coord_manager_path(m[0]),
                                   RT_TIMEOUT)) ||
        (r = coord_manager_start(&m[1], NULL, &block)) ||
        (r = coord_mclient_connect(&c->mc_block, coord_manager_path(m[1]),
                                   RT_TIMEOUT)) ||
        (r = coord_mclient_set_spin(c->mc_block, -1)))
        return r;
    coord_mval v = coord_mval_i64(42);
    if ((r = coord_mclient_set(c->mc, "d", "k", &v, RT_TIMEOUT)) ||
        (r = coord_mclient_set(c->mc_block, "d", "k", &v, RT_TIMEOUT)))
        return r;
    for (int k = 0; k < BATCH; k++) {
        snprintf(c->keys[k], sizeof c->keys[k], "k%d", k);
        v = coord_mval_i64(k);
        if ((r = coord_mclient_set(c->mc, "b", c->keys[k], &v, RT_TIMEOUT)))
            return r;
        c->batch[k] = (coord_mreq){.op = COORD_MOP_GET, .name = "b",
                                   .key = c->keys[k]};
    }
    return 0;
}

static void teardown(struct ctx *c, coord_manager **m, pid_t *echo)
{
    if (c->q_to)
        coord_queue_put_pill(c->q_to, 1000);
    if (c->pipe_to[1] > 0)
        close(c->pipe_to[1]);
    if (c->sock[0] > 0)
        shutdown(c->sock[0], SHUT_RDWR);
    for (int i = 0; i < 3; i++) {
        if (echo[i] <= 0)
            continue;
        /* Bounded: an echo process that does not see the end is killed.
         * One that ended was reaped by the WNOHANG wait: its pid is free
         * for another process then, and must not be signalled. */
        int st;
        pid_t r = 0;
        for (int t = 0; t < 2000 && (r = waitpid(echo[i], &st, WNOHANG)) == 0;
             t++)
            usleep(1000);
        if (r == 0) {
            kill(echo[i], SIGKILL);
            launch_reap(echo[i], &st);
        }
    }
    coord_mclient_close(c->mc);
    coord_mclient_close(c->mc_block);
    for (int i = 0; i < 2; i++)
        if (m[i])
            coord_manager_stop(m[i], 5000);
    coord_queue_destroy(c->q_to);
    coord_queue_destroy(c->q_back);
    coord_region_destroy(c->region);
    coord_array_destroy(c->array);
    coord_value_destroy(c->value);
    coord_flag_destroy(c->claim);
    coord_flag_destroy(c->flag);
}

/* Measure the read rows from a forked child: same mappings, other process. */
static bool child_reads(struct ctx *c, const uint64_t *n, struct result *res)
{
    size_t bytes = sizeof(double) * NROWS * MAX_RUNS;
    double(*shm)[MAX_RUNS] = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shm == MAP_FAILED)
        return false;
    bool want[NROWS];
    for (size_t r = 0; r < NROWS; r++)
        want[r] = rows_def[r].child;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(measure_all(c, n, want, shm) ? 0 : 3);
    int st = -1;
    if (pid > 0)
        launch_reap(pid, &st);
    bool ok = pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    for (size_t r = 0; ok && r < NROWS; r++)
        if (rows_def[r].child) {
            res[r].child_p50 = cli_percentile(shm[r], (size_t)c->runs, 50);
            res[r].have_child = true;
        }
    munmap(shm, bytes);
    return ok;
}

static void store_cache(const struct result *res, bool quick, int runs)
{
    struct adv_cache_row rows[2 * NROWS];
    size_t n = 0;
    for (size_t r = 0; r < NROWS; r++) {
        rows[n++] = (struct adv_cache_row){rows_def[r].mech, "coord",
                                           res[r].p50};
        if (res[r].have_py)
            rows[n++] = (struct adv_cache_row){rows_def[r].mech, "python",
                                               res[r].py_p50};
    }
    int e = adv_cache_write(rows, n, quick, runs);
    char path[1024];
    if (e && adv_cache_path(path, sizeof path))
        cli_error("spectrum", "warning: cannot write the cache %s: %s", path,
                  strerror(-e));
}

int cmd_spectrum(int argc, char **argv)
{
    bool quick = false, json = false, vs_python = false;
    uint64_t runs = 0;
    struct opt_parser p;
    /* Under mpirun every rank reads the same command line: the first
     * alone says what is wrong with it (or prints --help: with several
     * ranks rank 0, once all agreed to, cli_mpi_help). */
    struct cli_quiet q;
    cli_mpirun_quiet(&q);
    opt_parse_init(&p, &cmd_spectrum_opts, argc, argv);
    int k;
    while ((k = opt_next(&p)) >= 0) {
        switch (k) {
        case S_QUICK:
            quick = true;
            break;
        case S_RUNS:
            runs = p.v.u;
            break;
        case S_VS_PYTHON:
            vs_python = true;
            break;
        case S_JSON:
            json = true;
            break;
        }
    }
    cli_mpirun_loud(&q);
    if (k == OPT_HELP) {
        bool say;
        if (cli_mpi_help("spectrum", &say) != 0)
            return CLI_USAGE;
        if (say)
            opt_usage(&cmd_spectrum_opts, stdout);
    }
    if (k != OPT_END)
        return opt_exit_status(k);
    static struct ctx c;
    memset(&c, 0, sizeof c);
    c.runs = runs ? (int)runs : quick ? 7 : 21;
    /* Under mpirun: the MPI rows first, every rank measuring; only rank 0
     * comes back (see cli-mpi.h). */
    int mpi_rows = spectrum_mpi_begin(quick, c.runs);
    if (mpi_rows < 0)
        return -mpi_rows;
    c.target_ns = quick ? 2e6 : 10e6;
    c.trips = quick ? 300 : 2000;
    c.pipe_to[0] = c.pipe_to[1] = c.pipe_back[0] = c.pipe_back[1] = -1;
    c.sock[0] = c.sock[1] = -1;
    coord_manager *m[2] = {NULL, NULL};
    pid_t echo[3] = {0, 0, 0};
    static struct result res[NROWS];
    memset(res, 0, sizeof res);
    int rc = CLI_OK;
    int r = setup(&c, m);
    if (r) {
        cli_error("spectrum", "setup failed: %s", coord_strerror(r));
        teardown(&c, m, echo);
        return CLI_RUNTIME;
    }
    for (int i = 0; i < 3; i++)
        if ((echo[i] = start_echo(&c, i)) < 0) {
            cli_error("spectrum", "cannot fork an echo process");
            teardown(&c, m, echo);
            return CLI_RUNTIME;
        }
    close(c.pipe_to[0]);
    close(c.pipe_back[1]);
    close(c.sock[1]);
    c.pipe_to[0] = c.pipe_back[1] = c.sock[1] = -1;
    uint64_t n[NROWS];
    static double v[NROWS][MAX_RUNS];
    for (size_t i = 0; i < NROWS && rc == CLI_OK; i++) {
        progress_show("spectrum", "sizing %-24s (%zu/%zu)", rows_def[i].mech,
                     i + 1, NROWS);
        n[i] = calibrate(&c, i);
        if (n[i] == 0) {
            cli_error("spectrum", "%s: an operation failed", rows_def[i].mech);
            rc = CLI_RUNTIME;
        }
    }
    if (rc == CLI_OK && !measure_all(&c, n, NULL, v)) {
        cli_error("spectrum", "an operation failed while measuring");
        rc = CLI_RUNTIME;
    }
    for (size_t i = 0; i < NROWS && rc == CLI_OK; i++) {
        res[i].p99 = cli_percentile(v[i], (size_t)c.runs, 99);
        res[i].p50 = cli_percentile(v[i], (size_t)c.runs, 50);
        if (res[i].p50 <= 0)
            res[i].p50 = 0.001;
        if (res[i].p99 <= 0)
            res[i].p99 = res[i].p50;
    }
    if (rc == CLI_OK) {
        progress_show("spectrum", "measuring reads from a child process");
        if (!child_reads(&c, n, res)) {
            cli_error("spectrum", "the child process's reads failed");
            rc = CLI_RUNTIME;
        }
    }
    teardown(&c, m, echo);
    progress_done();
    if (rc != CLI_OK)
        return rc;
    const char *py_skip = NULL;
    char why[300];
    if (vs_python) {
        progress_show("spectrum", "running bench/python/spectrum.py");
        py_skip = spectrum_run_python(res, quick, c.runs, why, sizeof why);
        progress_done();
    }
    store_cache(res, quick, c.runs);
    double ratio_c = res[R_MGET].p50 / res[R_VGET].p50;
    /* Python's "Value" is the lecture's: synchronized by default (its
     * flag_check row); the lock=False read is given too. */
    double ratio_py[2] = {0, 0};
    if (res[R_MGET].have_py && res[R_FLAG].have_py && res[R_VGET].have_py) {
        ratio_py[0] = res[R_MGET].py_p50 / res[R_FLAG].py_p50;
        ratio_py[1] = res[R_MGET].py_p50 / res[R_VGET].py_p50;
    }
    struct target t[] = {
        {"flag check vs python synchronized Value read", ">= 300x",
         res[R_FLAG].have_py ? res[R_FLAG].py_p50 / res[R_FLAG].p50 : 0, 300,
         true, res[R_FLAG].have_py},
        {"manager get / raw unix socket round trip", "<= 1.3x",
         res[R_MGET].p50 / res[R_SOCK].p50, 1.3, false, true},
        {"manager get vs python Manager dict get", ">= 2x",
         res[R_MGET].have_py ? res[R_MGET].py_p50 / res[R_MGET].p50 : 0, 2,
         true, res[R_MGET].have_py},
        {"single get / per-op get in a batch of 100", ">= 20x",
         res[R_MGET].p50 / res[R_MBATCH].p50, 20, true, true},
    };
    size_t nt = sizeof t / sizeof t[0];
    if (json)
        spectrum_print_json(c.runs, res, py_skip, vs_python, t, nt, ratio_c, ratio_py);
    else
        spectrum_print_table(c.runs, res, py_skip, vs_python, t, nt, ratio_c, ratio_py);
    return CLI_OK;
}
