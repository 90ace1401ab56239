/* SPDX-License-Identifier: MIT */
/* cmd-interval.c: `coord interval`: Example 27.2, overhead and stop latency against the check interval: options, measurement, output (Python and plot in interval-*.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "ee-work.h"
#include "fmt.h"
#include "gnuplot.h"
#include "launch.h"
#include "progress.h"
#include "opts.h"
#include "interval.h"

const char *const interval_work_name[2] = {"cheap", "heavy"};

/* A number macro as a string, for the help text. */
#define STR_(x) #x
#define STR(x) STR_(x)

#define MAX_PAIRS 400
#define MAX_STOPS 201
#define SIEVE_LEN (1u << 16) /* 64 KiB: stays in L2, so the cheap run is CPU-bound */
#define HEAVY_BASE 10000000ull
/* Each stop-latency search gives every worker about this much work. */
#define RUN_NS 12000000.0

enum {
    I_WORKERS, I_INTERVALS, I_WORK, I_RUNS, I_STOPS, I_QUICK, I_PLOT,
    I_VS_PYTHON, I_JSON, I_NOPTS
};

static const char *const work_words[] = {"cheap", "heavy", "both", NULL};

static const struct opt interval_opts[] = {
    [I_WORKERS] = {.name = "workers", .kind = OPT_UINT, .arg = "N", .min = 2,
                   .max = 64, .def = "the CPUs this process may run on (at least 2), so none waits for a core",
                   .help = "worker processes"},
    [I_INTERVALS] = {.name = "intervals", .kind = OPT_UINTS, .arg = "LIST",
                     .min = 1, .max = 1000000000ull, .word = "auto",
                     .word_value = COORD_CHECK_AUTO,
                     .max_items = MAX_INTERVALS,
                     .def = "1,10,100,1000,10000,auto",
                     .help = "comma list of numbers and auto"},
    [I_WORK] = {.name = "work", .kind = OPT_CHOICE, .choices = work_words,
                .def = "both", .help = "which iteration to measure"},
    [I_RUNS] = {.name = "runs", .kind = OPT_UINT, .arg = "R", .min = 1,
                .max = MAX_PAIRS, .def = "60",
                .help = "overhead: pairs per worker and interval"},
    [I_STOPS] = {.name = "stops", .kind = OPT_UINT, .arg = "S", .min = 1,
                 .max = MAX_STOPS, .def = "15", .help = "stops per cell"},
    [I_QUICK] = {.name = "quick", .kind = OPT_FLAG,
                 .help = "20 pairs, 7 stops, a third of the work per stop"},
    [I_PLOT] = {.name = "plot", .kind = OPT_PATH, .arg = "FILE",
                .help = "draw overhead and stop latency against the "
                        "interval with gnuplot (FILE .png or .svg; refused "
                        "as fraud --write-csv's FILE is)"},
    [I_VS_PYTHON] = {.name = "vs-python", .kind = OPT_FLAG,
                     .help = "also run bench/python/interval.py (Python's "
                             "multiprocessing.Value flag) and print it "
                             "beside: at most " STR(INTERVAL_PY_MAX_RUNS)
                             " runs and " STR(INTERVAL_PY_MAX_STOPS)
                             " stops per cell, said in the output"},
    [I_JSON] = {.name = "json", .kind = OPT_FLAG,
                .help = "one JSON object on stdout"},
};

const struct opt_cmd cmd_interval_opts = {
    .name = "interval",
    .about =
        "Example 27.2: the same prime work at several check intervals, for a "
        "cheap iteration (a sieve lookup, ~1-2 ns) and a heavy one (trial "
        "division of n ~ 10^7 by every odd d <= sqrt(n), ~10 us). For each "
        "interval: the overhead of checking against never checking (each "
        "worker alternates ~1 ms chunks with and without checks; median "
        "ratio of the pairs), and the stop latency (claim to the last other "
        "worker leaving its loop, p50/p99 over --stops). 'auto' is "
        "COORD_CHECK_AUTO (budget 1 %, target 100 us).",
    .opts = interval_opts,
    .nopts = I_NOPTS,
};

static int parse(int argc, char **argv, struct interval_cfg *c)
{
    /* The stop latency needs two workers, even on one CPU. */
    int cpus = cli_cpus_usable();
    *c = (struct interval_cfg){.workers = cpus < 2 ? 2 : (uint32_t)cpus,
                               .runs = 60, .stops = 15,
                               .works = {true, true},
                               .intervals = {1, 10, 100, 1000, 10000,
                                             COORD_CHECK_AUTO},
                               .nintervals = 6, .run_ns = RUN_NS};
    if (c->workers > 64)
        c->workers = 64;
    struct opt_parser p;
    opt_parse_init(&p, &cmd_interval_opts, argc, argv);
    bool quick = false, runs_given = false, stops_given = false;
    int k;
    while ((k = opt_next(&p)) >= 0) {
        switch (k) {
        case I_WORKERS:
            c->workers = (uint32_t)p.v.u;
            break;
        case I_INTERVALS:
            memcpy(c->intervals, p.v.list, p.v.n * sizeof p.v.list[0]);
            c->nintervals = (int)p.v.n;
            break;
        case I_WORK:
            c->works[CHEAP] = p.v.choice != 1;
            c->works[HEAVY] = p.v.choice != 0;
            break;
        case I_RUNS:
            c->runs = (int)p.v.u;
            runs_given = true;
            break;
        case I_STOPS:
            c->stops = (int)p.v.u;
            stops_given = true;
            break;
        case I_QUICK:
            quick = true;
            c->run_ns = RUN_NS / 3;
            break;
        case I_PLOT:
            if (!gnuplot_path_ok("interval", p.v.text))
                return 2;
            c->plot = p.v.text;
            break;
        case I_VS_PYTHON:
            c->vs_python = true;
            break;
        case I_JSON:
            c->json = true;
            break;
        }
    }
    if (k != OPT_END)
        return k == OPT_HELP ? -1 : 2;
    /* --quick sets what was not given, before or after it. */
    if (quick && !runs_given)
        c->runs = 20;
    if (quick && !stops_given)
        c->stops = 7;
    if (c->workers < 2) {
        cli_error("interval", "stop latency needs at least 2 workers");
        return 2;
    }
    if (c->vs_python) {
        /* Python has no automatic interval: it is given the numbers. */
        bool number = false;
        for (int i = 0; i < c->nintervals; i++)
            number = number || c->intervals[i] != COORD_CHECK_AUTO;
        if (!number) {
            cli_error("interval", "--vs-python needs a number in --intervals "
                                  "(Python has no auto interval)");
            return 2;
        }
    }
    return 0;
}

/* One iteration's cost in this process (no fork), to size the runs. */
static double iteration_ns(coord_probe_fn fn, struct ee_work *w)
{
    uint64_t n = fn == ee_probe_cheap ? 2000000 : 200, res;
    double best = 1e18;
    for (int t = 0; t < 3; t++) {
        uint64_t t0 = coord_clock_ns();
        for (uint64_t i = 0; i < n; i++)
            fn(i, &res, w);
        double per = (double)(coord_clock_ns() - t0) / (double)n;
        if (per < best)
            best = per;
    }
    return best;
}

/* A search of `per_worker` iterations per worker, blocks partition. */
static int one(const struct interval_cfg *c, coord_probe_fn fn,
               struct ee_work *w, uint64_t per_worker, uint64_t k, bool early,
               coord_search_stats *st, coord_search_worker *pw)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = c->workers;
    o.begin = 0;
    o.end = per_worker * c->workers;
    o.check_every = k;
    o.early_exit = early;
    o.partition = COORD_PARTITION_BLOCKS;
    o.per_worker = pw;
    uint64_t res;
    int rc = coord_search(&o, fn, w, &res, sizeof res, st);
    if (rc < 0) {
        progress_done();
        cli_error("interval", "search failed: %s", coord_strerror(rc));
    }
    return rc;
}

/*
 * Overhead against never checking. Forking one search per measurement
 * leaves each run at the mercy of where and beside what it runs (runs of
 * the same search differ by +-25 % on this shared machine), far more than
 * a check costs. So each worker process alternates, many times, a chunk of
 * about CHUNK_NS of the work run the way coord_search runs it (the probe
 * through a function pointer, blocks of K iterations, one flag check per
 * block, the automatic interval's clock reads) with a chunk of the same
 * work and no checks, in alternating order; both halves of a pair see the
 * same machine, and the overhead is the median of all pairs' time ratios
 * (a preempted chunk is an outlier the median ignores). Blocks restart at
 * each chunk, so an interval longer than a chunk checks once per chunk.
 */
#define CHUNK_NS 1000000.0

struct ov_shared {
    double ratio[MAX_INTERVALS][64][MAX_PAIRS];
    uint64_t every[MAX_INTERVALS][64];
    uint32_t conflicts[MAX_INTERVALS][64];
};

struct ov_job {
    const struct interval_cfg *c;
    coord_probe_fn fn; /* called through a pointer, as coord_search does */
    struct ee_work *w;
    coord_flag *flag;  /* never set: the checks only load it */
    uint64_t chunk;    /* iterations per chunk */
    int pairs;
    struct ov_shared *sh;
};

static uint64_t chunk_checked(const struct ov_job *j, uint64_t i,
                              coord_interval *iv)
{
    uint64_t res, end = i + j->chunk;
    coord_interval_restart(iv);
    while (i < end) {
        uint64_t k = coord_interval_begin(iv);
        uint64_t stop = end - i < k ? end : i + k, n = stop - i;
        for (; i < stop; i++)
            j->fn(i, &res, j->w);
        coord_interval_end(iv, n);
        if (coord_flag_is_set(j->flag))
            break;
    }
    return i;
}

static int overhead_worker(const struct ov_job *j, int wid)
{
    const struct interval_cfg *c = j->c;
    /* Each worker its own numbers, of the same magnitude (the heavy
     * iteration's cost grows with sqrt(n)). */
    uint64_t i = (uint64_t)wid * 1000003u;
    for (int r = 0; r < c->nintervals; r++) {
        int idx = (r + wid) % c->nintervals;
        /* Both halves run the same machine code (a separate plain loop
         * would be aligned differently, and on a ~1 ns iteration code
         * alignment alone moves the time by 15 %): the baseline is this
         * loop with COORD_CHECK_NEVER, one block and one check per chunk
         * (~30 ns per ms: 0.003 %). */
        coord_interval iv, never;
        if (coord_interval_init(&iv, c->intervals[idx], 0, 0) ||
            coord_interval_init(&never, COORD_CHECK_NEVER, 0, 0))
            return 3;
        for (int p = 0; p < j->pairs; p++) {
            double t[2];
            for (int h = 0; h < 2; h++) {
                int which = (h + p) % 2; /* 1: with checks */
                uint64_t t0 = coord_clock_ns();
                i = chunk_checked(j, i, which ? &iv : &never);
                t[which] = (double)(coord_clock_ns() - t0);
            }
            j->sh->ratio[idx][wid][p] = t[0] > 0 ? t[1] / t[0] : 1;
        }
        j->sh->every[idx][wid] = iv.every;
        j->sh->conflicts[idx][wid] = (uint32_t)iv.conflicts;
    }
    return 0;
}

static int measure_overhead(const struct interval_cfg *c, int work,
                            coord_probe_fn fn, struct ee_work *w,
                            double cost, struct cell *cells)
{
    struct ov_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        cli_error("interval", "out of memory");
        return -1;
    }
    coord_flag *flag;
    if (coord_flag_create(&flag)) {
        munmap(sh, sizeof *sh);
        cli_error("interval", "cannot create a flag");
        return -1;
    }
    w->hit = UINT64_MAX;
    struct ov_job j = {.c = c, .fn = fn, .w = w, .flag = flag,
                       .pairs = c->runs > MAX_PAIRS ? MAX_PAIRS : c->runs,
                       .sh = sh};
    j.chunk = (uint64_t)(CHUNK_NS / (cost > 0.1 ? cost : 0.1));
    if (j.chunk < 20)
        j.chunk = 20;
    progress_show("interval", "%s overhead: %u workers x %d pairs x %d "
                 "intervals", interval_work_name[work], c->workers, j.pairs,
                 c->nintervals);
    pid_t pids[64];
    uint32_t started = 0;
    int rc = 0;
    fflush(NULL);
    for (; started < c->workers; started++) {
        pids[started] = fork();
        if (pids[started] == 0)
            _exit(overhead_worker(&j, (int)started));
        if (pids[started] < 0) {
            rc = -1;
            break;
        }
    }
    for (uint32_t k = 0; k < started; k++) {
        int st = -1;
        launch_reap(pids[k], &st);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = -1;
    }
    if (rc == 0) {
        static double all[64 * MAX_PAIRS];
        for (int i = 0; i < c->nintervals; i++) {
            size_t n = 0;
            uint64_t every = 0;
            for (uint32_t k = 0; k < c->workers; k++) {
                for (int p = 0; p < j.pairs; p++)
                    all[n++] = sh->ratio[i][k][p];
                every += sh->every[i][k];
                cells[i].latency_won |= sh->conflicts[i][k] > 0;
            }
            cells[i].overhead_pct = (cli_percentile(all, n, 50) - 1) * 100;
            if (c->intervals[i] == COORD_CHECK_AUTO)
                cells[i].every = (double)every / c->workers;
        }
    } else {
        progress_done();
        cli_error("interval", "an overhead worker failed");
    }
    coord_flag_destroy(flag);
    munmap(sh, sizeof *sh);
    return rc;
}

/* Stop latency: worker 0 hits in the middle of its block while the others
 * are mid-block; the latency is claim -> last other worker leaving. */
static int measure_stops(const struct interval_cfg *c, int work,
                         coord_probe_fn fn, struct ee_work *w,
                         uint64_t per_worker, struct cell *cells)
{
    static double lat[MAX_STOPS];
    coord_search_worker pw[64];
    coord_search_stats st;
    uint64_t seed = 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid();
    for (int i = 0; i < c->nintervals; i++) {
        int got = 0;
        /* A sample counts only when every other worker was still in its
         * loop at the claim (it left after it: stopped by the flag, or, with
         * an interval longer than its block, by running out of work). On a
         * busy machine a worker may have finished its block before worker 0
         * got to the hit; such a run has nothing to stop. Up to three tries
         * per wanted stop. */
        for (int s = 0; s < 3 * c->stops && got < c->stops; s++) {
            progress_show("interval", "%s stop latency, interval %d/%d, "
                         "stop %d/%d", interval_work_name[work], i + 1, c->nintervals,
                         got + 1, c->stops);
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            /* Between 40 % and 60 % of worker 0's block, at random, so the
             * others are caught at random points of their blocks. */
            w->hit = per_worker * 2 / 5 + seed % (per_worker / 5 + 1);
            int rc = one(c, fn, w, per_worker, c->intervals[i], true, &st, pw);
            if (rc < 0)
                return -1;
            bool stopped = rc == 1 && st.winner == 0;
            for (uint32_t k = 1; stopped && k < c->workers; k++)
                stopped = pw[k].left_after_claim_ns >= 0;
            if (stopped)
                lat[got++] = (double)st.stop_latency_ns;
            if (c->intervals[i] == COORD_CHECK_AUTO)
                cells[i].latency_won |= st.latency_won;
        }
        cells[i].stop_p50 = got ? cli_percentile(lat, (size_t)got, 50) : NAN;
        cells[i].stop_p99 = got ? cli_percentile(lat, (size_t)got, 99) : NAN;
        cells[i].stops = got;
        if (c->intervals[i] != COORD_CHECK_AUTO)
            cells[i].every = (double)c->intervals[i];
    }
    return 0;
}

/* ---- output ------------------------------------------------------------- */

/* The automatic interval's two targets, judged once for the JSON and the
 * table: its overhead on the cheap iteration stays within the 1 % budget,
 * and its median stop latency on the heavy one within 100 us. */
static bool cheap_target_met(const struct cell *auto_cheap)
{
    return auto_cheap->overhead_pct <= 1.0;
}

static bool heavy_target_met(const struct cell *auto_heavy)
{
    return auto_heavy->stops > 0 && auto_heavy->stop_p50 <= 100000;
}

/* An iteration's cost in ps for the JSON: a workload not measured (--work
 * left it out, or Python did not run it) has cost 0, which is written as
 * null (docs/json.md: null when not measured), not as 0 ps. */
static double measured_ps(double ns)
{
    return ns > 0 ? ns * 1000 : -1;
}

int cmd_interval(int argc, char **argv)
{
    struct interval_cfg c;
    int pr = parse(argc, argv, &c);
    if (pr)
        return pr < 0 ? CLI_OK : CLI_USAGE;
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1)
            load = 0;
        fclose(lf);
    }
    if (c.plot && !launch_have("gnuplot")) {
        cli_error("interval", "--plot needs gnuplot, which is not installed "
                              "(scripts/deps.sh installs gnuplot-nox)");
        return CLI_RUNTIME;
    }
    uint8_t *sieve = ee_sieve(SIEVE_LEN);
    if (!sieve) {
        cli_error("interval", "out of memory");
        return CLI_RUNTIME;
    }
    struct ee_work w[2] = {
        {.sieve = sieve, .sieve_len = SIEVE_LEN, .hit = UINT64_MAX},
        {.base = HEAVY_BASE, .hit = UINT64_MAX}};
    coord_probe_fn fns[2] = {ee_probe_cheap, ee_probe_heavy};
    double cost[2] = {0, 0};
    struct cell cells[2 * MAX_INTERVALS];
    int ncells = 0;
    for (int work = 0; work < 2; work++) {
        if (!c.works[work])
            continue;
        cost[work] = iteration_ns(fns[work], &w[work]);
        uint64_t per_worker = (uint64_t)(c.run_ns / (cost[work] > 0.1
                                                       ? cost[work]
                                                       : 0.1));
        if (per_worker < 100)
            per_worker = 100;
        struct cell *cw = &cells[ncells];
        for (int i = 0; i < c.nintervals; i++)
            cw[i] = (struct cell){.work = work, .interval = c.intervals[i]};
        if (measure_overhead(&c, work, fns[work], &w[work], cost[work], cw) ||
            measure_stops(&c, work, fns[work], &w[work], per_worker, cw)) {
            free(sieve);
            return CLI_RUNTIME;
        }
        ncells += c.nintervals;
    }
    progress_done();
    free(sieve);

    struct py_row py[2 * MAX_INTERVALS];
    int npy = 0;
    double pycost[2] = {0, 0};
    char why[256] = "";
    int pyrc = 1, pyruns = 0;
    if (c.vs_python)
        pyrc = interval_run_python(&c, py, &npy, &pyruns, pycost, why,
                                   sizeof why);

    /* Targets: auto keeps the cheap overhead <= 1 % and the heavy p50 stop
     * latency <= 100 us, in the same run. */
    const struct cell *auto_cheap = NULL, *auto_heavy = NULL;
    for (int i = 0; i < ncells; i++)
        if (cells[i].interval == COORD_CHECK_AUTO) {
            if (cells[i].work == CHEAP)
                auto_cheap = &cells[i];
            else
                auto_heavy = &cells[i];
        }
    if (c.json) {
        struct jw w;
        jw_init(&w, stdout);
        cli_json_begin(&w, "interval", 1);
        jw_kuint(&w, "workers", c.workers);
        jw_kint(&w, "runs", c.runs);
        jw_kint(&w, "stops", c.stops);
        jw_kps(&w, "cheap_iteration_ps", measured_ps(cost[CHEAP]));
        jw_kps(&w, "heavy_iteration_ps", measured_ps(cost[HEAVY]));
        jw_karray(&w, "rows");
        for (int i = 0; i < ncells; i++) {
            const struct cell *x = &cells[i];
            jw_object(&w);
            jw_kstr(&w, "work", interval_work_name[x->work]);
            if (x->interval == COORD_CHECK_AUTO) {
                jw_kstr(&w, "interval", "auto");
                jw_kcount(&w, "auto_k", x->every);
                jw_kbool(&w, "latency_won", x->latency_won);
            } else {
                jw_kuint(&w, "interval", x->interval);
            }
            jw_knum(&w, "overhead_pct", x->overhead_pct);
            jw_kint(&w, "stops", x->stops);
            jw_kns(&w, "stop_latency_p50_ns", x->stops > 0 ? x->stop_p50 : -1);
            jw_kns(&w, "stop_latency_p99_ns", x->stops > 0 ? x->stop_p99 : -1);
            jw_object_end(&w);
        }
        jw_array_end(&w);
        if (auto_cheap || auto_heavy) {
            jw_kobject(&w, "targets");
            if (auto_cheap) {
                jw_knum(&w, "auto_cheap_overhead_pct", auto_cheap->overhead_pct);
                jw_kbool(&w, "auto_cheap_overhead_met",
                         cheap_target_met(auto_cheap));
            }
            if (auto_heavy) {
                jw_kns(&w, "auto_heavy_stop_p50_ns",
                       auto_heavy->stops > 0 ? auto_heavy->stop_p50 : -1.0);
                jw_kbool(&w, "auto_heavy_stop_met",
                         heavy_target_met(auto_heavy));
            }
            jw_object_end(&w);
        }
        if (c.vs_python) {
            jw_kobject(&w, "python");
            char status[300];
            snprintf(status, sizeof status, "%s%s",
                     pyrc == 0 ? "ok" : pyrc == 1 ? "skipped: " : "",
                     pyrc == 0 ? "" : why);
            jw_kstr(&w, "status", status);
            jw_kps(&w, "cheap_iteration_ps", measured_ps(pycost[CHEAP]));
            jw_kps(&w, "heavy_iteration_ps", measured_ps(pycost[HEAVY]));
            if (pyrc == 0)
                jw_kint(&w, "runs", pyruns);
            jw_karray(&w, "rows");
            for (int i = 0; i < npy; i++) {
                jw_object(&w);
                jw_kstr(&w, "work", interval_work_name[py[i].work]);
                jw_kuint(&w, "interval", py[i].interval);
                jw_knum(&w, "overhead_pct", py[i].overhead_pct);
                jw_kint(&w, "stops", py[i].stops);
                jw_kns(&w, "stop_latency_p50_ns", py[i].stop_p50);
                jw_kns(&w, "stop_latency_p99_ns", py[i].stop_p99);
                jw_object_end(&w);
            }
            jw_array_end(&w);
            jw_object_end(&w);
        }
        jw_object_end(&w);
        jw_finish(&w);
    } else {
        char a[32], b[32];
        printf("coord interval (Example 27.2): %u workers", c.workers);
        if (c.works[CHEAP])
            printf("; cheap = sieve lookup (%s/iteration)",
                   fmt_dur(cost[CHEAP], a, sizeof a));
        if (c.works[HEAVY])
            printf("; heavy = trial division of n ~ 10^7 (%s/iteration)",
                   fmt_dur(cost[HEAVY], b, sizeof b));
        printf("\n");
        printf("overhead: ~1 ms chunks with checks against the same without, "
               "alternating in each worker, median of %d pairs x %u workers; "
               "stop latency: claim to the last other worker leaving, over %d "
               "stops\n",
               c.runs, c.workers, c.stops);
        printf("load average before the run: %.2f (other processes share "
               "the %ld CPUs and stretch the latencies)\n\n",
               load, sysconf(_SC_NPROCESSORS_ONLN));
        printf("%-6s %-18s %10s %12s %12s", "WORK", "INTERVAL", "OVERHEAD",
               "STOP p50", "STOP p99");
        if (pyrc == 0)
            printf("   | %-8s %12s %12s", "PYTHON:", "OVERHEAD", "STOP p50");
        printf("\n");
        for (int i = 0; i < ncells; i++) {
            const struct cell *x = &cells[i];
            char label[48], p50[32], p99[32];
            interval_label(x, label, sizeof label);
            printf("%-6s %-18s %+9.2f%% %12s %12s", interval_work_name[x->work], label,
                   x->overhead_pct, fmt_dur(x->stop_p50, p50, sizeof p50),
                   fmt_dur(x->stop_p99, p99, sizeof p99));
            for (int j = 0; pyrc == 0 && j < npy; j++)
                if (py[j].work == x->work && py[j].interval == x->interval)
                    printf("   | %-8s %+11.2f%% %12s", "", py[j].overhead_pct,
                           fmt_dur(py[j].stop_p50, p50, sizeof p50));
            printf("\n");
        }
        if ((auto_cheap && auto_cheap->latency_won) ||
            (auto_heavy && auto_heavy->latency_won))
            printf("* auto: budget and latency target could not both hold; "
                   "latency won\n");
        if (auto_cheap)
            printf("\ntarget: auto overhead on the cheap iteration <= 1 %%: "
                   "%+.2f %% (%s)\n",
                   auto_cheap->overhead_pct,
                   cheap_target_met(auto_cheap) ? "met" : "NOT met");
        if (auto_heavy)
            printf("target: auto stop latency p50 on the heavy iteration <= "
                   "100 us: %s (%s)\n",
                   fmt_dur(auto_heavy->stop_p50, a, sizeof a),
                   heavy_target_met(auto_heavy) ? "met" : "NOT met");
        if (c.vs_python) {
            /* Python's own counts (INTERVAL_PY_MAX_*), not the options'. */
            int lo = npy ? py[0].stops : 0, hi = lo;
            for (int j = 1; j < npy; j++) {
                lo = py[j].stops < lo ? py[j].stops : lo;
                hi = py[j].stops > hi ? py[j].stops : hi;
            }
            char stops[32];
            snprintf(stops, sizeof stops, hi > lo ? "%d-%d" : "%d", lo, hi);
            if (pyrc == 0) {
                /* Only the workloads run (--work), as in the first line:
                 * an unmeasured one read "cheap 0 ns/iteration". */
                printf("python:");
                if (c.works[CHEAP])
                    printf(" cheap %s/iteration%s",
                           fmt_dur(pycost[CHEAP], a, sizeof a),
                           c.works[HEAVY] ? "," : ";");
                if (c.works[HEAVY])
                    printf(" heavy %s/iteration;",
                           fmt_dur(pycost[HEAVY], b, sizeof b));
                printf(" overhead over %d runs, stop latency over %s stops; "
                       "no auto interval in Python\n",
                       pyruns, stops);
            } else
                printf("python: %s%s\n", pyrc == 1 ? "skipped: " : "", why);
        }
    }
    if (c.plot && interval_plot(&c, cells, ncells))
        return CLI_RUNTIME;
    if (c.plot && !c.json)
        printf("plot: %s\n", c.plot);
    return c.vs_python && pyrc < 0 ? CLI_RUNTIME : CLI_OK;
}
