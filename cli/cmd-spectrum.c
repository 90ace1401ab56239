/* SPDX-License-Identifier: MIT */
/* cmd-spectrum.c: `coord spectrum`: the per-access cost of every shared-state mechanism (slide 8), beside Python's. */
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "advise-cache.h"
#include "cli-mpi.h"
#include "cli.h"
#include "opts.h"
#include "datadir.h"
#include "launch.h"
#include "progress.h"

/* coord.spectrum/2: per-operation costs in integer picoseconds
 * (per_op_p50_ps, ...), were fractional ns_per_op_* in /1. */
#define SPECTRUM_JSON_VERSION 2

#define MAX_RUNS 201
#define RT_TIMEOUT 10000 /* ms: a round trip this slow means a dead peer */
#define BATCH 100

/* Slide 8's claims. lo/hi in ns; hi == 0: the lecture makes no claim. */
struct row_def {
    const char *mech;
    const char *what;
    double lo, hi;
    const char *claim;
    bool child; /* a read: measured from a forked child as well */
};

static const struct row_def rows_def[] = {
    {"flag_check", "coord_flag_is_set (one acquire load)", 100, 100,
     "~100 ns (Value)", true},
    {"value_get", "coord_value_get (lock-free read)", 100, 100,
     "~100 ns (Value)", true},
    {"value_set", "coord_value_set (under its robust lock)", 100, 100,
     "~100 ns (Value)", false},
    {"array_read", "coord_array_get of element i", 100, 100,
     "~100 ns/element (Array)", true},
    {"array_write", "coord_array_set of element i", 100, 100,
     "~100 ns/element (Array)", false},
    {"region_read", "load from coord_region_data (raw shared bytes)", 100, 100,
     "~100 ns (shared_memory)", true},
    {"flag_claim_cas", "coord_flag_claim: one CAS (reset excluded)", 0, 0, "-",
     false},
    {"flag_claim_lock", "coord_flag_claim_locked: lock, check, set", 0, 0,
     "-", false},
    {"queue_roundtrip", "coord_queue put + get via an echo process", 0, 0,
     "-", false},
    {"pipe_roundtrip", "pipe write + read, 8 bytes, echo process", 0, 0, "-",
     false},
    {"unix_socket_roundtrip", "socketpair send + recv, 24 bytes, echo process",
     0, 0, "-", false},
    {"manager_get", "coord_mclient_get, server in another process", 1e6, 5e6,
     "1-5 ms (Manager)", false},
    {"manager_get_block", "coord_mclient_get, no spinning at either end", 1e6,
     5e6, "1-5 ms (Manager)", false},
    {"manager_set", "coord_mclient_set", 1e6, 5e6, "1-5 ms (Manager)", false},
    {"manager_incr", "coord_mclient_incr (atomic on the server)", 1e6, 5e6,
     "1-5 ms (Manager)", false},
    {"manager_batch100_get", "coord_mclient_batch of 100 gets, per get", 1e6,
     5e6, "1-5 ms/access (Manager)", false},
};
#define NROWS (sizeof rows_def / sizeof rows_def[0])

enum {
    R_FLAG, R_VGET, R_VSET, R_AREAD, R_AWRITE, R_REGION, R_CAS, R_LOCK,
    R_QUEUE, R_PIPE, R_SOCK, R_MGET, R_MGET_BLOCK, R_MSET, R_MINCR, R_MBATCH
};

struct result {
    double p50, p99, child_p50;
    bool have_child;
    double py_p50, py_p99;
    bool have_py;
    char py_detail[160];
    double pyc_p50, pyc_p99; /* Python using the coord package */
    bool have_pyc;
    char pyc_detail[160];
};

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
 * alone, and subtract. */
static uint64_t claim_loop(struct ctx *c, uint64_t n, int mode)
{
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
    int64_t d = (int64_t)(t2 - t1) - (int64_t)(t1 - t0);
    return d > 0 ? (uint64_t)d : 1;
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
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
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

/* ---- Python ------------------------------------------------------------ */

/* Runs spectrum.py; fills the python columns. Returns NULL or the reason
 * it was skipped (static or in `why`). */
static const char *run_python(struct result *res, bool quick, int runs,
                              char *why, size_t cap)
{
    const char *pkg = cli_build_python_pkg();
    if (pkg)
        setenv("COORD_BUILD_PYTHON", pkg, 1);
    char nruns[16];
    snprintf(nruns, sizeof nruns, "%d", runs);
    const char *args[] = {"--tsv", "--runs", nruns,
                          quick ? "--quick" : NULL, NULL};
    static char text[1 << 16];
    char whyl[256];
    struct launch l = {.timeout_ms = LAUNCH_PYTHON_TIMEOUT_MS,
                       .out = {.to = LAUNCH_CAPTURE, .buf = text,
                               .cap = sizeof text},
                       .err = {.to = LAUNCH_STDOUT}};
    int lrc = launch_python(&l, "spectrum.py", args, whyl, sizeof whyl);
    if (lrc == 1) {
        snprintf(why, cap, "skipped: %s", whyl);
        return why;
    }
    if (lrc != 0) {
        snprintf(why, cap, "failed: python3 spectrum.py: %s", whyl);
        return why;
    }
    char line[512], last[200] = "";
    int got = 0;
    for (char *save = NULL, *tok = strtok_r(text, "\n", &save); tok;
         tok = strtok_r(NULL, "\n", &save)) {
        char mech[64], detail[200] = "";
        double p50, p99;
        snprintf(line, sizeof line, "%s", tok);
        if (sscanf(line, "%63[^\t]\t%lf\t%lf\t%199[^\n]", mech, &p50, &p99,
                   detail) >= 3) {
            /* "coord:<mech>": the same row done with `import coord`. */
            bool pyc = !strncmp(mech, "coord:", 6);
            for (size_t r = 0; pyc && r < NROWS; r++)
                if (!strcmp(mech + 6, rows_def[r].mech) && p50 > 0) {
                    res[r].have_pyc = true;
                    res[r].pyc_p50 = p50;
                    res[r].pyc_p99 = p99;
                    snprintf(res[r].pyc_detail, sizeof res[r].pyc_detail,
                             "%.150s", detail);
                }
            for (size_t r = 0; !pyc && r < NROWS; r++)
                if (!strcmp(mech, rows_def[r].mech) && p50 > 0) {
                    res[r].have_py = true;
                    res[r].py_p50 = p50;
                    res[r].py_p99 = p99;
                    snprintf(res[r].py_detail, sizeof res[r].py_detail, "%.150s",
                             detail);
                    got++;
                }
        } else if (*line) {
            snprintf(last, sizeof last, "%.190s", line);
        }
    }
    if (l.status != 0 || got == 0) {
        snprintf(why, cap, "failed: python3 spectrum.py exited %d%s%s",
                 l.status, *last ? ": " : "", last);
        return why;
    }
    return NULL;
}

/* ---- verdicts ------------------------------------------------------------ */

/* "agrees" within a factor of 3 of the claimed range, else how far off. */
static const char *verdict(const struct row_def *d, double ns, char *buf,
                           size_t cap)
{
    if (d->hi == 0) {
        snprintf(buf, cap, "no claim");
    } else if (ns >= d->lo / 3 && ns <= d->hi * 3) {
        snprintf(buf, cap, "agrees");
    } else if (ns < d->lo / 3) {
        snprintf(buf, cap, "%.0fx faster", d->lo / ns);
    } else {
        snprintf(buf, cap, "%.0fx slower", ns / d->hi);
    }
    return buf;
}

struct target {
    const char *name, *want;
    double measured, limit;
    bool at_least; /* measured must be >= limit (else <=) */
    bool known;
};

enum { S_QUICK, S_RUNS, S_VS_PYTHON, S_JSON, S_NOPTS };

static const struct opt spectrum_opts[] = {
    [S_QUICK] = {.name = "quick", .kind = OPT_FLAG,
                 .help = "short runs (7 per row, a few seconds in all)"},
    [S_RUNS] = {.name = "runs", .kind = OPT_UINT, .arg = "N", .min = 3,
                .max = MAX_RUNS, .def = "21, quick 7",
                .help = "runs per row"},
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
        /* Bounded: an echo process that does not see the end is killed. */
        int st;
        for (int t = 0; t < 2000 && waitpid(echo[i], &st, WNOHANG) == 0; t++)
            usleep(1000);
        kill(echo[i], SIGKILL);
        waitpid(echo[i], &st, 0);
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
        waitpid(pid, &st, 0);
    bool ok = pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    for (size_t r = 0; ok && r < NROWS; r++)
        if (rows_def[r].child) {
            res[r].child_p50 = cli_percentile(shm[r], (size_t)c->runs, 50);
            res[r].have_child = true;
        }
    munmap(shm, bytes);
    return ok;
}

static void print_json(const struct ctx *c, const struct result *res,
                       const char *py_skip, bool vs_python,
                       const struct target *t, size_t nt, double ratio_c,
                       const double *ratio_py)
{
    char vb[64];
    struct jw w;
    jw_init(&w, stdout);
    cli_json_begin(&w, "spectrum", SPECTRUM_JSON_VERSION);
    jw_kint(&w, "runs", c->runs);
    jw_karray(&w, "rows");
    double flag = res[R_FLAG].p50, pyflag = res[R_FLAG].py_p50;
    /* Costs per operation are fractions of a nanosecond at the cheap end:
     * integer picoseconds (docs/json.md). */
    for (size_t r = 0; r < NROWS; r++) {
        const struct row_def *d = &rows_def[r];
        jw_object(&w);
        jw_kstr(&w, "mechanism", d->mech);
        jw_kstr(&w, "impl", "coord");
        jw_kps(&w, "per_op_p50_ps", res[r].p50 * 1e3);
        jw_kps(&w, "per_op_p99_ps", res[r].p99 * 1e3);
        jw_knum(&w, "ratio_to_flag_check", res[r].p50 / flag);
        if (res[r].have_child)
            jw_kps(&w, "child_per_op_p50_ps", res[r].child_p50 * 1e3);
        jw_kstr(&w, "what", d->what);
        jw_kstr(&w, "lecture_claim", d->claim);
        jw_kstr(&w, "verdict", verdict(d, res[r].p50, vb, sizeof vb));
        jw_object_end(&w);
        if (res[r].have_py) {
            jw_object(&w);
            jw_kstr(&w, "mechanism", d->mech);
            jw_kstr(&w, "impl", "python");
            jw_kps(&w, "per_op_p50_ps", res[r].py_p50 * 1e3);
            jw_kps(&w, "per_op_p99_ps", res[r].py_p99 * 1e3);
            jw_knum(&w, "ratio_to_flag_check",
                    pyflag > 0 ? res[r].py_p50 / pyflag : 0);
            jw_knum(&w, "coord_speedup", res[r].py_p50 / res[r].p50);
            jw_kstr(&w, "what", res[r].py_detail);
            jw_kstr(&w, "lecture_claim", d->claim);
            jw_kstr(&w, "verdict", verdict(d, res[r].py_p50, vb, sizeof vb));
            jw_object_end(&w);
        }
        if (res[r].have_pyc) {
            jw_object(&w);
            jw_kstr(&w, "mechanism", d->mech);
            jw_kstr(&w, "impl", "python_coord");
            jw_kps(&w, "per_op_p50_ps", res[r].pyc_p50 * 1e3);
            jw_kps(&w, "per_op_p99_ps", res[r].pyc_p99 * 1e3);
            jw_knum(&w, "speedup_over_python",
                    res[r].have_py ? res[r].py_p50 / res[r].pyc_p50 : NAN);
            jw_kstr(&w, "what", res[r].pyc_detail);
            jw_object_end(&w);
        }
    }
    spectrum_mpi_print(stdout, &w, flag);
    jw_array_end(&w);
    jw_kstr(&w, "python", !vs_python ? "not requested (--vs-python)"
                          : py_skip   ? py_skip
                                      : "ran");
    jw_kobject(&w, "manager_over_value");
    jw_knum(&w, "coord", ratio_c);
    static const char *const pk[2] = {"python", "python_unlocked_value"};
    for (int i = 0; i < 2; i++)
        jw_knum(&w, pk[i], ratio_py[i] > 0 ? ratio_py[i] : NAN);
    jw_kstr(&w, "lecture_claim", "1000-50000");
    jw_object_end(&w);
    jw_kobject(&w, "manager_get_block");
    jw_knum(&w, "over_unix_socket", res[R_MGET_BLOCK].p50 / res[R_SOCK].p50);
    jw_knum(&w, "python_speedup",
            res[R_MGET].have_py ? res[R_MGET].py_p50 / res[R_MGET_BLOCK].p50
                                : NAN);
    jw_object_end(&w);
    jw_karray(&w, "targets");
    for (size_t i = 0; i < nt; i++) {
        jw_object(&w);
        jw_kstr(&w, "name", t[i].name);
        jw_kstr(&w, "want", t[i].want);
        if (t[i].known) {
            jw_knum(&w, "measured", t[i].measured);
            jw_kbool(&w, "met", t[i].at_least ? t[i].measured >= t[i].limit
                                              : t[i].measured <= t[i].limit);
        } else {
            jw_knull(&w, "measured");
            jw_knull(&w, "met");
        }
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_object_end(&w);
    jw_finish(&w);
}

static void print_table(const struct ctx *c, const struct result *res,
                        const char *py_skip, bool vs_python,
                        const struct target *t, size_t nt, double ratio_c,
                        const double *ratio_py)
{
    char vb[64], vp[64];
    printf("coord spectrum: per-access cost on this machine (%ld CPUs), "
           "ns/op, median and p99 of %d runs\n\n",
           sysconf(_SC_NPROCESSORS_ONLN), c->runs);
    printf("%-22s %10s %10s %9s %10s", "mechanism", "coord p50", "p99",
           "x flag", "child p50");
    if (vs_python)
        printf(" %11s %9s %11s", "python p50", "speed-up", "py+coord");
    printf("  %-24s %s\n", "lecture (slide 8)", "verdict");
    for (size_t r = 0; r < NROWS; r++) {
        const struct row_def *d = &rows_def[r];
        char child[32] = "";
        if (res[r].have_child)
            snprintf(child, sizeof child, "%.2f", res[r].child_p50);
        printf("%-22s %10.2f %10.2f %9.1f %10s", d->mech, res[r].p50,
               res[r].p99, res[r].p50 / res[R_FLAG].p50, child);
        if (vs_python) {
            if (res[r].have_py)
                printf(" %11.1f %8.0fx", res[r].py_p50,
                       res[r].py_p50 / res[r].p50);
            else
                printf(" %11s %9s", py_skip ? "skipped" : "-", "");
            /* Python using coord (impl python_coord), same run. */
            if (res[r].have_pyc)
                printf(" %11.1f", res[r].pyc_p50);
            else
                printf(" %11s", "-");
        }
        verdict(d, res[r].p50, vb, sizeof vb);
        if (res[r].have_py && d->hi > 0) {
            verdict(d, res[r].py_p50, vp, sizeof vp);
            printf("  %-24s coord: %s; python: %s\n", d->claim, vb, vp);
        } else {
            printf("  %-24s %s\n", d->claim, d->hi > 0 ? vb : "");
        }
    }
    spectrum_mpi_print(stdout, NULL, res[R_FLAG].p50);
    printf("\nManager get / Value read: coord %.0fx (value_get)", ratio_c);
    if (ratio_py[0] > 0)
        printf(", python %.0fx (synchronized Value, as in the lecture) and "
               "%.0fx (lock=False)",
               ratio_py[0], ratio_py[1]);
    printf("; lecture: 1,000-50,000x\n");
    if (vs_python && py_skip)
        printf("python: %s\n", py_skip);
    printf("\ntargets:\n");
    for (size_t i = 0; i < nt; i++) {
        if (!t[i].known) {
            printf("  %-44s %-10s (needs --vs-python)\n", t[i].name,
                   t[i].want);
            continue;
        }
        bool met = t[i].at_least ? t[i].measured >= t[i].limit
                                 : t[i].measured <= t[i].limit;
        printf("  %-44s %-10s measured %8.2f  %s\n", t[i].name, t[i].want,
               t[i].measured, met ? "met" : "NOT met");
    }
    /* The targets hold the default wait policy; this is the manager with
     * neither end spinning, which pays for every wake-up. */
    printf("\nwithout spinning (manager_get_block): %.2fx the raw unix socket "
           "round trip",
           res[R_MGET_BLOCK].p50 / res[R_SOCK].p50);
    if (res[R_MGET].have_py)
        printf(", %.2fx faster than python's Manager dict get",
               res[R_MGET].py_p50 / res[R_MGET_BLOCK].p50);
    printf("\n");
    printf("\nreads from a forked child use the same mappings; round trips "
           "go through a second process.\n");
}

/* Stores this run's medians in the per-user cache that `coord advise`
 * prices from (docs/advise.md); a failure costs only a warning. */
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
    if (k != OPT_END)
        return opt_exit_status(k);
    static struct ctx c;
    memset(&c, 0, sizeof c);
    c.runs = runs ? (int)runs : quick ? 7 : 21;
    /* Under mpirun: the MPI rows first, every rank measuring; only rank 0
     * comes back (see cli-mpi.h). */
    if (spectrum_mpi_begin(quick, c.runs) < 0)
        return CLI_RUNTIME;
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
        py_skip = run_python(res, quick, c.runs, why, sizeof why);
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
        print_json(&c, res, py_skip, vs_python, t, nt, ratio_c, ratio_py);
    else
        print_table(&c, res, py_skip, vs_python, t, nt, ratio_c, ratio_py);
    return CLI_OK;
}
