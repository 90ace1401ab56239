/* SPDX-License-Identifier: MIT */
/* cmd-primes.c: `coord primes`: Example 27.1, the cooperative prime search, with and without early exit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-mpi.h"
#include "cli.h"
#include "ee-figures.h"
#include "ee-work.h"
#include "fmt.h"
#include "json.h"
#include "launch.h"
#include "mpirun.h"
#include "progress.h"
#include "opts.h"

struct primes_cfg {
    uint32_t workers;
    uint64_t range, start, hit_at, hit_worker;
    uint64_t interval; /* COORD_CHECK_AUTO or > 0 */
    coord_claim_mode claim;
    coord_partition partition;
    bool any, json, vs_python;
    bool mpi; /* --mpi: the ranks of mpirun are the workers */
    int modes; /* bit 0: early exit, bit 1: no early exit */
    int runs;
    uint64_t target;
};

/* Medians over the runs of one mode. */
struct row {
    const char *lang, *mode;
    bool persistent; /* on a coord_team's workers, timed per search */
    double startup_ns; /* persistent: forking the team (once) */
    bool ok;       /* measured (Python may be skipped or fail) */
    bool found;
    uint64_t result;
    int winner;
    struct ee_figures fig;
    bool estimated, latency_won;
    const struct row *vs; /* C: the Python row of the same mode, or NULL */
};

/* The row's "mode" in JSON. */
static const char *mode_key(const struct row *r)
{
    return r->persistent                     ? "early_exit_persistent"
           : !strcmp(r->mode, "early exit") ? "early_exit"
                                            : "no_early_exit";
}

/* C's speed-up over Python on the row's mode; 0 when either is missing. */
static double speedup(const struct row *r)
{
    if (!r->ok || !r->vs || !r->vs->ok || r->fig.wall_ns <= 0)
        return 0;
    return r->vs->fig.wall_ns / r->fig.wall_ns;
}

enum {
    P_WORKERS, P_RANGE, P_START, P_HIT_AT, P_HIT_WORKER, P_ANY, P_INTERVAL,
    P_CLAIM, P_PARTITION, P_NO_EARLY_EXIT, P_EARLY_EXIT, P_RUNS, P_QUICK,
    P_VS_PYTHON, P_JSON, P_MPI, P_NOPTS
};

static const char *const claim_words[] = {"cas", "lock", NULL};
static const char *const partition_words[] = {"blocks", "interleaved", NULL};

static const struct opt primes_opts[] = {
    [P_WORKERS] = {.name = "workers", .kind = OPT_UINT, .arg = "N", .min = 1,
                   .max = COORD_SEARCH_MAX_WORKERS, .def = "4",
                   .help = "worker processes (not with --mpi: the ranks "
                           "are the workers)"},
    [P_RANGE] = {.name = "range", .kind = OPT_UINT, .arg = "N", .min = 1,
                 .max = 1000000000000ull, .def = "100000",
                 .help = "numbers per worker"},
    [P_START] = {.name = "start", .kind = OPT_UINT, .arg = "N", .min = 0,
                 .max = 1ull << 62, .def = "1000000", .help = "first number"},
    [P_HIT_AT] = {.name = "hit-at", .kind = OPT_UINT, .arg = "P", .min = 0,
                  .max = 1000000000000ull, .def = "1000",
                  .help = "the target is the first prime at or after "
                          "position P of the hit worker's block"},
    [P_HIT_WORKER] = {.name = "hit-worker", .kind = OPT_UINT, .arg = "W",
                      .min = 0, .max = COORD_SEARCH_MAX_WORKERS - 1,
                      .def = "0", .help = "whose block holds it"},
    [P_ANY] = {.name = "any", .kind = OPT_FLAG,
               .help = "any prime wins (the lecture's search)"},
    [P_INTERVAL] = {.name = "interval", .kind = OPT_UINT, .arg = "N|auto",
                    .min = 1, .max = 1000000000000ull, .word = "auto",
                    .word_value = COORD_CHECK_AUTO, .def = "auto",
                    .help = "check the flag every N numbers"},
    [P_CLAIM] = {.name = "claim", .kind = OPT_CHOICE, .choices = claim_words,
                 .def = "cas",
                 .help = "claim by one CAS or lock + double check"},
    [P_PARTITION] = {.name = "partition", .kind = OPT_CHOICE,
                     .choices = partition_words, .def = "blocks, the "
                     "lecture's",
                     .help = "how the numbers are dealt to the workers"},
    [P_NO_EARLY_EXIT] = {.name = "no-early-exit", .kind = OPT_FLAG,
                         .help = "only the run-to-completion baseline"},
    [P_EARLY_EXIT] = {.name = "early-exit", .kind = OPT_FLAG,
                      .help = "only the early-exit search"},
    [P_RUNS] = {.name = "runs", .kind = OPT_UINT, .arg = "R", .min = 1,
                .max = EE_MAX_RUNS, .def = "5",
                .help = "repetitions, medians reported"},
    [P_QUICK] = {.name = "quick", .kind = OPT_FLAG, .help = "3 runs"},
    [P_VS_PYTHON] = {.name = "vs-python", .kind = OPT_FLAG,
                     .help = "also run bench/python/primes.py "
                             "(multiprocessing.Value flag, lock + double "
                             "check) and print both"},
    [P_JSON] = {.name = "json", .kind = OPT_FLAG,
                .help = "one JSON object on stdout"},
    [P_MPI] = {.name = "mpi", .kind = OPT_FLAG,
               .help = "under mpirun: the ranks are the workers "
                       "(coord_mpi_search; needed with more than one "
                       "rank; see docs/mpi.md)"},
};

const struct opt_cmd cmd_primes_opts = {
    .name = "primes",
    .about =
        "Example 27.1: N workers search their blocks of numbers for a prime; "
        "the first hit claims a shared flag and the others stop at their "
        "next check. Every number gets the lecture's isPrime test (trial "
        "division), so the iterations cost what they cost; the hit is one "
        "chosen prime (as in a preimage search), placed at a chosen "
        "position, or with --any the first prime any worker meets. Runs with "
        "and without early exit, and prints winner, result, wall time, "
        "iterations, wasted iterations, stop latency.",
    .opts = primes_opts,
    .nopts = P_NOPTS,
};

/* The options and the checks that need no MPI; 0, -1 after --help, or 2
 * after a one-line usage error. */
static int parse_options(int argc, char **argv, struct primes_cfg *c)
{
    *c = (struct primes_cfg){.workers = 4, .range = 100000, .start = 1000000,
                             .hit_at = 1000, .interval = COORD_CHECK_AUTO,
                             .partition = COORD_PARTITION_BLOCKS, .modes = 3,
                             .runs = 5};
    struct opt_parser p;
    opt_parse_init(&p, &cmd_primes_opts, argc, argv);
    const char *hit_given = NULL; /* --hit-at or --hit-worker, given */
    bool workers_given = false;
    bool mode_given = false;        /* --early-exit or --no-early-exit, given */
    bool quick = false, runs_given = false;
    int k;
    while ((k = opt_next(&p)) >= 0) {
        switch (k) {
        case P_WORKERS:
            c->workers = (uint32_t)p.v.u;
            workers_given = true;
            break;
        case P_RANGE:
            c->range = p.v.u;
            break;
        case P_START:
            c->start = p.v.u;
            break;
        case P_HIT_AT:
            c->hit_at = p.v.u;
            hit_given = "--hit-at";
            break;
        case P_HIT_WORKER:
            c->hit_worker = p.v.u;
            hit_given = "--hit-worker";
            break;
        case P_ANY:
            c->any = true;
            break;
        case P_INTERVAL:
            c->interval = p.v.u;
            break;
        case P_CLAIM:
            c->claim = p.v.choice ? COORD_CLAIM_LOCK : COORD_CLAIM_CAS;
            break;
        case P_PARTITION:
            c->partition = p.v.choice ? COORD_PARTITION_INTERLEAVED
                                      : COORD_PARTITION_BLOCKS;
            break;
        case P_NO_EARLY_EXIT:
        case P_EARLY_EXIT:
            if (mode_given) {
                /* The two choose one mode each: given both, which one? */
                cli_error("primes", "--early-exit and --no-early-exit exclude "
                                    "each other (without either, both run)");
                return 2;
            }
            c->modes = k == P_NO_EARLY_EXIT ? 2 : 1;
            mode_given = true;
            break;
        case P_RUNS:
            c->runs = (int)p.v.u;
            runs_given = true;
            break;
        case P_QUICK:
            quick = true;
            break;
        case P_VS_PYTHON:
            c->vs_python = true;
            break;
        case P_JSON:
            c->json = true;
            break;
        case P_MPI:
            c->mpi = true;
            break;
        }
    }
    if (k != OPT_END)
        return k == OPT_HELP ? -1 : 2;
    if (quick && !runs_given) /* a --runs given, before or after, stays */
        c->runs = 3;
    if (c->mpi && workers_given) {
        cli_error("primes", "--workers and --mpi do not go together: under "
                            "mpirun the ranks are the workers (mpirun -np N)");
        return 2;
    }
    if (c->any && hit_given) {
        cli_error("primes", "%s places the hit; --any takes the first prime "
                            "any worker meets (give one or the other)",
                  hit_given);
        return 2;
    }
    return 0;
}

/* The checks that need the number of workers (with --mpi: of ranks). */
static int check_target(struct primes_cfg *c)
{
    if (c->hit_worker >= c->workers) {
        cli_error("primes", "--hit-worker %llu is not one of the %u workers",
                  (unsigned long long)c->hit_worker, c->workers);
        return 2;
    }
    if (c->range > (1ull << 62) / c->workers) {
        cli_error("primes", "--workers x --range is too large");
        return 2;
    }
    if (!c->any) {
        if (c->hit_at >= c->range) {
            cli_error("primes", "--hit-at %llu is outside a block of %llu",
                      (unsigned long long)c->hit_at,
                      (unsigned long long)c->range);
            return 2;
        }
        uint64_t lo = c->start + c->hit_worker * c->range;
        c->target = ee_next_prime(lo + c->hit_at);
        if (c->target >= lo + c->range) {
            cli_error("primes", "no prime between position %llu and the end "
                      "of worker %llu's block",
                      (unsigned long long)c->hit_at,
                      (unsigned long long)c->hit_worker);
            return 2;
        }
    }
    return 0;
}

/*
 * Under mpirun every rank reads the same command line: until MPI runs
 * (where ranks other than 0 print nothing), the first rank alone says
 * what is wrong with it, or prints --help (with several ranks: rank 0,
 * once all agreed to, cli_mpi_help); every rank exits with the same
 * status.
 */
static int parse(int argc, char **argv, struct primes_cfg *c)
{
    struct cli_quiet q;
    cli_mpirun_quiet(&q);
    int pr = parse_options(argc, argv, c);
    if (pr == 0 && !c->mpi && cli_mpirun_peers()) {
        /* Beside ranks with --mpi (another command line), this rank's
         * exit 0 left them in MPI_Init for ever; its exit 2 ends the
         * job. With --mpi on none, each rank ran a search of its own. */
        if (!primes_mpi_built()) /* --mpi would be refused too */
            cli_error("primes", "this coord was built without MPI: run "
                                "coord primes without mpirun, or with -np "
                                "1 (or build it with -DCOORD_MPI=ON)");
        else
            cli_error("primes", "under mpirun with several ranks give "
                                "--mpi (the ranks are the workers of one "
                                "search): without it each rank would run "
                                "its own (run coord primes without mpirun, "
                                "or with -np 1)");
        pr = 2;
    }
    if (pr == 0 && !c->mpi)
        pr = check_target(c);
    cli_mpirun_loud(&q);
    if (pr < 0) {
        bool say;
        if (cli_mpi_help("primes", &say) != 0)
            return 2;
        if (say)
            opt_usage(&cmd_primes_opts, stdout);
    }
    if (pr || !c->mpi)
        return pr;
    if (primes_mpi_begin(&c->workers, c->vs_python) != 0)
        return 2;
    /* mpirun may give each rank its own command line: ranks that search a
     * different number of times (--runs, the modes), or of which some
     * fail check_target, waited for each other for ever. */
    const int64_t v[] = {(int64_t)c->range, (int64_t)c->start,
                         (int64_t)c->hit_at, (int64_t)c->hit_worker, c->any,
                         (int64_t)c->interval, c->claim, c->partition,
                         c->modes, c->runs};
    if (!primes_mpi_same(v, (int)(sizeof v / sizeof v[0]))) {
        /* Said by rank 0: the others' stderr is /dev/null by now. */
        cli_error("primes", "the ranks' command lines differ (give every "
                            "rank the same options)");
        return 2;
    }
    return check_target(c);
}

static coord_search_opts search_opts(const struct primes_cfg *c, bool early)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = c->workers;
    o.begin = c->start;
    o.end = c->start + (uint64_t)c->workers * c->range;
    o.check_every = c->interval;
    o.early_exit = early;
    o.claim = c->claim;
    o.partition = c->partition;
    return o;
}

static void search_failed(int rc, const coord_search_stats *st)
{
    progress_done();
    if (rc == COORD_EPEERDIED)
        cli_error("primes", "worker %d died (status 0x%x)", st->failed_worker,
                  st->failed_status);
    else
        cli_error("primes", "search failed: %s", coord_strerror(rc));
}

/* The same search on persistent workers (coord_team): forked once, then
 * `runs` searches, each timed alone; the fork is reported as start-up. */
static void run_c_persistent(const struct primes_cfg *c, struct row *out)
{
    struct ee_runs samples = {0};
    struct ee_prime_search ps = {.target = c->target, .any = c->any};
    *out = (struct row){.lang = "C", .mode = "early exit",
                        .persistent = true, .winner = -1};
    coord_search_opts o = search_opts(c, true);
    coord_team *t;
    uint64_t t0 = coord_clock_ns();
    int rc = coord_team_create(&t, &o, ee_probe_prime, &ps, sizeof(uint64_t));
    out->startup_ns = (double)(coord_clock_ns() - t0);
    if (rc) {
        cli_error("primes", "cannot start the workers: %s",
                  coord_strerror(rc));
        return;
    }
    for (int r = 0; r < c->runs; r++) {
        progress_show("primes", "C, early exit, persistent, run %d/%d", r + 1,
                     c->runs);
        coord_search_stats st;
        uint64_t res = 0;
        rc = coord_team_search(t, o.begin, o.end, &res, &st, -1);
        if (rc < 0) {
            search_failed(rc, &st);
            coord_team_destroy(t);
            return;
        }
        out->found = rc == 1;
        out->result = res;
        out->winner = st.winner;
        out->latency_won |= st.latency_won;
        ee_runs_add(&samples, &st);
    }
    progress_done();
    rc = coord_team_destroy(t);
    if (rc) {
        cli_error("primes", "stopping the workers: %s", coord_strerror(rc));
        return;
    }
    out->fig = ee_runs_median(&samples);
    out->ok = true;
}

static void run_c(const struct primes_cfg *c, bool early, struct row *out)
{
    struct ee_runs samples = {0};
    struct ee_prime_search ps = {.target = c->target, .any = c->any};
    *out = (struct row){.lang = "C", .mode = early ? "early exit"
                                                   : "no early exit",
                        .winner = -1};
    for (int r = 0; r < c->runs; r++) {
        progress_show("primes", "C, %s, run %d/%d", out->mode, r + 1, c->runs);
        coord_search_opts o = search_opts(c, early);
        coord_search_stats st;
        uint64_t res = 0;
        int rc = c->mpi ? primes_mpi_search(&o, ee_probe_prime, &ps, &res,
                                            sizeof res, &st)
                        : coord_search(&o, ee_probe_prime, &ps, &res,
                                       sizeof res, &st);
        if (rc < 0) {
            search_failed(rc, &st);
            return;
        }
        out->found = rc == 1;
        out->result = res;
        out->winner = st.winner;
        out->estimated |= st.wasted_estimated;
        out->latency_won |= st.latency_won;
        ee_runs_add(&samples, &st);
    }
    progress_done();
    out->fig = ee_runs_median(&samples);
    out->ok = true;
}

/* Python: one invocation per mode; its one JSON line holds the medians.
 * Returns true when it was skipped (python3 or the script missing: why
 * says which), as every command's Python column is. */
static bool run_python(const struct primes_cfg *c, bool early, struct row *out,
                       char *why, size_t why_cap)
{
    char w[32], rg[32], st[32], tg[32], iv[32], runs[16];
    snprintf(w, sizeof w, "%u", c->workers);
    snprintf(rg, sizeof rg, "%llu", (unsigned long long)c->range);
    snprintf(st, sizeof st, "%llu", (unsigned long long)c->start);
    snprintf(tg, sizeof tg, "%llu", (unsigned long long)c->target);
    /* Python has no automatic interval: with auto it checks every
     * number, as the lecture's code does. */
    snprintf(iv, sizeof iv, "%llu",
             (unsigned long long)(c->interval == COORD_CHECK_AUTO ? 1
                                                                  : c->interval));
    snprintf(runs, sizeof runs, "%d", c->runs);
    const char *args[20];
    int n = 0;
    args[n++] = "--workers", args[n++] = w;
    args[n++] = "--range", args[n++] = rg;
    args[n++] = "--start", args[n++] = st;
    if (c->any)
        args[n++] = "--any";
    else
        args[n++] = "--target", args[n++] = tg;
    args[n++] = "--interval", args[n++] = iv;
    args[n++] = "--runs", args[n++] = runs;
    args[n++] = "--claim";
    args[n++] = c->claim == COORD_CLAIM_LOCK ? "lock" : "cas";
    args[n++] = early ? "--early-exit" : "--no-early-exit";
    args[n] = NULL;
    *out = (struct row){.lang = "Python", .mode = early ? "early exit"
                                                        : "no early exit",
                        .winner = -1};
    progress_show("primes", "Python, %s (%d runs)", out->mode, c->runs);
    struct json *j;
    int rc = launch_python_json("primes.py", args, LAUNCH_PYTHON_TIMEOUT_MS, NULL, &j,
                                why, why_cap);
    progress_done();
    if (rc != 0)
        return rc == 1;
    out->fig.wall_ns = json_num(json_get(j, "wall_ns"), NAN);
    out->fig.iterations = json_num(json_get(j, "iterations"), NAN);
    if (!isfinite(out->fig.wall_ns) || !isfinite(out->fig.iterations)) {
        snprintf(why, why_cap, "primes.py printed no result");
        json_free(j);
        return false;
    }
    out->fig.wasted = json_num(json_get(j, "wasted"), 0);
    out->fig.stop_ns = json_num(json_get(j, "stop_latency_ns"), 0);
    out->fig.every = json_num(json_get(j, "check_every"), 0);
    out->result = (uint64_t)json_num(json_get(j, "result"), 0);
    out->winner = (int)json_num(json_get(j, "winner"), -1);
    json_free(j);
    out->found = out->winner >= 0;
    out->ok = true;
    return false;
}

static void print_row(const struct row *r, uint64_t interval)
{
    char a[32], b[32], d[32], e[32], f[32];
    if (!r->ok)
        return;
    char every[48];
    if (interval == COORD_CHECK_AUTO && !strcmp(r->lang, "C"))
        snprintf(every, sizeof every, "auto (K~%.0f)%s", r->fig.every,
                 r->latency_won ? "*" : "");
    else
        snprintf(every, sizeof every, "%.0f", r->fig.every);
    char mode[40];
    snprintf(mode, sizeof mode, "%s%s", r->mode,
             r->persistent ? ", persistent" : "");
    printf("%-7s %-24s %-12s %6d  %10s  %11s  %9s%s  %12s  %s\n", r->lang,
           mode, r->found ? fmt_commas(r->result, a, sizeof a) : "-",
           r->winner, fmt_dur(r->fig.wall_ns, b, sizeof b),
           fmt_count(r->fig.iterations, d, sizeof d),
           fmt_count(r->fig.wasted, e, sizeof e),
           r->estimated ? "~" : " ", fmt_dur(r->fig.stop_ns, f, sizeof f),
           every);
}

static void json_row(struct jw *w, const struct row *r)
{
    jw_object(w);
    jw_kstr(w, "impl", !strcmp(r->lang, "C") ? "coord" : "python");
    jw_kstr(w, "mode", mode_key(r));
    jw_kbool(w, "found", r->found);
    jw_kuint(w, "result", r->result);
    jw_kint(w, "winner", r->winner);
    jw_kns(w, "wall_p50_ns", r->fig.wall_ns);
    jw_kcount(w, "iterations", r->fig.iterations);
    jw_kcount(w, "wasted", r->fig.wasted);
    jw_kbool(w, "wasted_estimated", r->estimated);
    jw_kns(w, "stop_latency_p50_ns", r->fig.stop_ns);
    jw_kcount(w, "check_every", r->fig.every);
    if (r->persistent) {
        jw_kns(w, "startup_ns", r->startup_ns);
        jw_kstr(w, "timing", "per search, after the workers exist");
    }
    jw_object_end(w);
}

int cmd_primes(int argc, char **argv)
{
    struct primes_cfg c;
    int pr = parse(argc, argv, &c);
    if (pr)
        return pr < 0 ? CLI_OK : CLI_USAGE;
    /* Per mode: C on fresh workers, for early exit also C on persistent
     * workers, then Python. */
    struct row rows[5];
    int nrows = 0;
    char why[2][256] = {"", ""};
    bool py_skipped = false, failed = false;
    for (int m = 0; m < 2; m++) {
        if (!(c.modes & (1 << m)))
            continue;
        bool early = m == 0;
        int first_c = nrows;
        run_c(&c, early, &rows[nrows]);
        failed |= !rows[nrows].ok;
        nrows++;
        if (early && !c.mpi) { /* forked teams are not for ranks */
            run_c_persistent(&c, &rows[nrows]);
            failed |= !rows[nrows].ok;
            nrows++;
        }
        if (c.vs_python) {
            if (run_python(&c, early, &rows[nrows], why[m], sizeof why[m]))
                py_skipped = true;
            else if (!rows[nrows].ok)
                failed = true;
            for (int i = first_c; i < nrows; i++)
                rows[i].vs = &rows[nrows];
            nrows++;
        }
    }
    if (c.json) {
        struct jw w;
        jw_init(&w, stdout);
        cli_json_begin(&w, "primes", 1);
        jw_kuint(&w, "workers", c.workers);
        jw_kuint(&w, "range", c.range);
        jw_kuint(&w, "start", c.start);
        jw_kbool(&w, "any", c.any);
        jw_kuint(&w, "target", c.target);
        jw_kuint(&w, "hit_at", c.hit_at);
        jw_kuint(&w, "hit_worker", c.hit_worker);
        jw_kstr(&w, "claim", c.claim == COORD_CLAIM_LOCK ? "lock" : "cas");
        jw_kstr(&w, "partition", c.partition == COORD_PARTITION_BLOCKS
                                     ? "blocks"
                                     : "interleaved");
        if (c.interval == COORD_CHECK_AUTO)
            jw_kstr(&w, "interval", "auto");
        else
            jw_kuint(&w, "interval", c.interval);
        jw_kint(&w, "runs", c.runs);
        if (c.mpi)
            primes_mpi_describe(stdout, &w);
        jw_karray(&w, "rows");
        for (int i = 0; i < nrows; i++)
            if (rows[i].ok)
                json_row(&w, &rows[i]);
        jw_array_end(&w);
        if (c.vs_python) {
            char said[300];
            snprintf(said, sizeof said, "skipped: %s", why[0][0] ? why[0] : why[1]);
            jw_kstr(&w, "python", py_skipped ? said
                                  : failed   ? (why[0][0] ? why[0] : why[1])
                                             : "ok");
            jw_kobject(&w, "speedup");
            for (int i = 0; i < nrows; i++)
                if (speedup(&rows[i]) > 0)
                    jw_knum(&w, mode_key(&rows[i]), speedup(&rows[i]));
            jw_object_end(&w);
        }
        jw_object_end(&w);
        jw_finish(&w);
        return failed ? CLI_RUNTIME : CLI_OK;
    }
    char a[32], b[32];
    printf("coord primes: %u workers x %s numbers from %s (%s), claim %s\n",
           c.workers, fmt_commas(c.range, a, sizeof a),
           fmt_commas(c.start, b, sizeof b),
           c.partition == COORD_PARTITION_BLOCKS ? "contiguous blocks"
                                                 : "interleaved chunks",
           c.claim == COORD_CLAIM_LOCK ? "lock + double check" : "CAS");
    if (c.mpi)
        primes_mpi_describe(stdout, NULL);
    if (c.any)
        printf("hit: the first prime any worker meets (--any)\n");
    else
        printf("hit: the prime %s, position %llu of worker %llu's block\n",
               fmt_commas(c.target, a, sizeof a),
               (unsigned long long)(c.target - c.start -
                                    c.hit_worker * c.range),
               (unsigned long long)c.hit_worker);
    printf("medians of %d runs; wall = %s; stop latency = claim to the last "
           "other worker leaving its loop\n",
           c.runs, c.mpi ? "rank 0's coord_mpi_search call (no fork: the "
                           "ranks are the workers)"
                         : "fork to last join");
    for (int i = 0; i < nrows; i++)
        if (rows[i].persistent && rows[i].ok) {
            char su[32];
            printf("persistent: the same search on workers forked once "
                   "(coord_team; start-up %s, not in WALL): wall = wake-up "
                   "to the last worker back\n",
                   fmt_dur(rows[i].startup_ns, su, sizeof su));
        }
    printf("\n%-7s %-24s %-12s %6s  %10s  %11s  %10s  %12s  %s\n", "LANG", "MODE",
           "RESULT", "WINNER", "WALL", "ITERATIONS", "WASTED", "STOP LATENCY",
           "INTERVAL");
    for (int i = 0; i < nrows; i++)
        print_row(&rows[i], c.interval);
    for (int i = 0; i < nrows; i++)
        if (rows[i].latency_won) {
            printf("* auto: the budget and the latency target could not both "
                   "hold; latency won\n");
            break;
        }
    for (int i = 0; i < nrows; i++)
        if (rows[i].estimated) {
            printf("~ estimated from time stamps (no checks were made)\n");
            break;
        }
    if (c.vs_python) {
        /* Each mode's reason, once when both say the same. */
        for (int m = 0; m < 2; m++)
            if (why[m][0] && (m == 0 || strcmp(why[0], why[1])))
                printf("\npython: %s%s\n", py_skipped ? "skipped: " : "", why[m]);
        bool first = true;
        for (int i = 0; i < nrows; i++)
            if (speedup(&rows[i]) > 0) {
                /* Python has no persistent run: the persistent row is set
                 * against the lecture's program, which forks its workers
                 * for every search, and says so. */
                char su[32];
                if (rows[i].persistent)
                    printf("%s%s, persistent workers: C is %.0fx faster than "
                           "Python's one-shot run (wall time; Python forks "
                           "its workers for each search, C's team was "
                           "forked once, its %s start-up not counted)\n",
                           first ? "\n" : "", rows[i].mode,
                           speedup(&rows[i]),
                           fmt_dur(rows[i].startup_ns, su, sizeof su));
                else
                    printf("%s%s: C is %.0fx faster than Python (wall "
                           "time)\n",
                           first ? "\n" : "", rows[i].mode,
                           speedup(&rows[i]));
                first = false;
            }
    }
    return failed ? CLI_RUNTIME : CLI_OK;
}
