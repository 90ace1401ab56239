/* SPDX-License-Identifier: MIT */
/* cmd-waste.c: `coord waste`: slide 3, iterations wasted without early exit against the lecture's arithmetic. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ee-figures.h"
#include "ee-work.h"
#include "fmt.h"
#include "progress.h"
#include "opts.h"

#define ITEM_BASE 1000000u /* item i is the number ITEM_BASE + i */

/* An item costs one primality test of its number; the hit is one index. */
struct item_search {
    uint64_t hit;
};

static bool probe_item(uint64_t i, void *result, void *arg)
{
    const struct item_search *s = arg;
    bool p = ee_is_prime(ITEM_BASE + i);
    if (i == s->hit) {
        *(uint64_t *)result = i;
        return true;
    }
    return p && i == UINT64_MAX; /* never: keeps the test */
}

enum { W_WORKERS, W_ITEMS, W_HIT_AT, W_INTERVAL, W_RUNS, W_QUICK, W_JSON,
       W_NOPTS };

static const struct opt waste_opts[] = {
    [W_WORKERS] = {.name = "workers", .kind = OPT_UINT, .arg = "N", .min = 1,
                   .max = COORD_SEARCH_MAX_WORKERS, .def = "4",
                   .help = "worker processes"},
    [W_ITEMS] = {.name = "items", .kind = OPT_UINT, .arg = "N", .min = 1,
                 .max = 100000000000ull, .def = "100000",
                 .help = "items per worker"},
    [W_HIT_AT] = {.name = "hit-at", .kind = OPT_UINT, .arg = "P", .min = 0,
                  .max = 100000000000ull, .def = "1000",
                  .help = "position of the hit in worker 0's block"},
    [W_INTERVAL] = {.name = "interval", .kind = OPT_UINT, .arg = "N|auto",
                    .min = 1, .max = 100000000000ull, .word = "auto",
                    .word_value = COORD_CHECK_AUTO, .def = "100",
                    .help = "check interval with early exit"},
    [W_RUNS] = {.name = "runs", .kind = OPT_UINT, .arg = "R", .min = 1,
                .max = EE_MAX_RUNS, .def = "5",
                .help = "repetitions, medians reported"},
    [W_QUICK] = {.name = "quick", .kind = OPT_FLAG, .help = "3 runs"},
    [W_JSON] = {.name = "json", .kind = OPT_FLAG,
                .help = "one JSON object on stdout"},
};

const struct opt_cmd cmd_waste_opts = {
    .name = "waste",
    .about =
        "Slide 3: four workers each search 100,000 items; the result is at\n"
        "position 1,000 of worker 0's block. Without early exit the other "
        "three\n"
        "run to the end: 3 x 99,000 = 297,000 wasted iterations by the "
        "lecture's\n"
        "count. This runs it both ways (an item costs one primality test) "
        "and\n"
        "prints the iterations done and wasted after the winning claim.",
    .opts = waste_opts,
    .nopts = W_NOPTS,
};

static bool measure(uint32_t workers, uint64_t items, uint64_t hit,
                    uint64_t interval, bool early, int runs,
                    struct ee_figures *out)
{
    struct ee_runs samples = {0};
    struct item_search s = {.hit = hit};
    for (int r = 0; r < runs; r++) {
        progress_show("waste", "%s early exit, run %d/%d",
                     early ? "with" : "without", r + 1, runs);
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        o.workers = workers;
        o.begin = 0;
        o.end = (uint64_t)workers * items;
        o.partition = COORD_PARTITION_BLOCKS;
        o.early_exit = early;
        o.check_every = interval;
        coord_search_stats st;
        uint64_t res;
        int rc = coord_search(&o, probe_item, &s, &res, sizeof res, &st);
        if (rc != 1) {
            progress_done();
            cli_error("waste", "search failed: %s",
                      rc == 0 ? "the hit was not found" : coord_strerror(rc));
            return false;
        }
        ee_runs_add(&samples, &st);
    }
    progress_done();
    *out = ee_runs_median(&samples);
    return true;
}

int cmd_waste(int argc, char **argv)
{
    uint64_t workers = 4, items = 100000, hit_at = 1000, runs = 5;
    uint64_t interval = 100;
    bool json = false, quick = false, runs_given = false;
    struct opt_parser p;
    opt_parse_init(&p, &cmd_waste_opts, argc, argv);
    int k;
    while ((k = opt_next(&p)) >= 0) {
        switch (k) {
        case W_WORKERS:
            workers = p.v.u;
            break;
        case W_ITEMS:
            items = p.v.u;
            break;
        case W_HIT_AT:
            hit_at = p.v.u;
            break;
        case W_INTERVAL:
            interval = p.v.u;
            break;
        case W_RUNS:
            runs = p.v.u;
            runs_given = true;
            break;
        case W_QUICK:
            quick = true;
            break;
        case W_JSON:
            json = true;
            break;
        }
    }
    if (quick && !runs_given) /* a --runs given, before or after, stays */
        runs = 3;
    if (k != OPT_END)
        return opt_exit_status(k);
    if (hit_at >= items) {
        cli_error("waste", "--hit-at %llu must be below --items %llu",
                  (unsigned long long)hit_at, (unsigned long long)items);
        return CLI_USAGE;
    }
    if (items > (1ull << 40) / workers) {
        cli_error("waste", "--workers x --items is too large");
        return CLI_USAGE;
    }
    /* The lecture's count: the others were at the same position when the
     * hit came, and each runs its remaining items - position ones. */
    uint64_t lecture = (workers - 1) * (items - hit_at);
    struct ee_figures without, with;
    if (!measure((uint32_t)workers, items, hit_at, interval, false, (int)runs,
                 &without) ||
        !measure((uint32_t)workers, items, hit_at, interval, true, (int)runs,
                 &with))
        return CLI_RUNTIME;
    double bound = (double)(workers - 1) * with.every;
    if (json) {
        struct jw w;
        jw_init(&w, stdout);
        cli_json_begin(&w, "waste", 1);
        jw_kuint(&w, "workers", workers);
        jw_kuint(&w, "items", items);
        jw_kuint(&w, "hit_at", hit_at);
        if (interval == COORD_CHECK_AUTO)
            jw_kstr(&w, "interval", "auto");
        else
            jw_kuint(&w, "interval", interval);
        jw_kuint(&w, "runs", runs);
        jw_kuint(&w, "lecture_wasted", lecture);
        jw_kcount(&w, "wasted_no_early_exit", without.wasted);
        jw_kcount(&w, "wasted_early_exit", with.wasted);
        const struct ee_figures *fig[2] = {&without, &with};
        for (int k = 0; k < 2; k++) {
            jw_kobject(&w, k ? "with" : "without");
            jw_kcount(&w, "iterations", fig[k]->iterations);
            jw_kcount(&w, "wasted", fig[k]->wasted);
            jw_kns(&w, "wall_p50_ns", fig[k]->wall_ns);
            jw_kns(&w, "stop_latency_p50_ns", fig[k]->stop_ns);
            if (k) {
                jw_kcount(&w, "check_every", with.every);
                jw_kcount(&w, "bound", bound);
            }
            jw_object_end(&w);
        }
        jw_object_end(&w);
        jw_finish(&w);
        return CLI_OK;
    }
    char a[32], b[32], c[32], d[32], e[32], f[32];
    printf("coord waste (slide 3): %llu workers x %s items, the hit at "
           "position %s of worker 0's block; medians of %llu runs\n\n",
           (unsigned long long)workers, fmt_commas(items, a, sizeof a),
           fmt_commas(hit_at, b, sizeof b), (unsigned long long)runs);
    printf("%-26s %11s %11s %10s %13s   %s\n", "", "ITERATIONS", "WASTED",
           "WALL", "STOP LATENCY", "LECTURE");
    printf("%-26s %11s %11s %10s %13s   %s = %llu x %s\n",
           "without early exit", fmt_count(without.iterations, a, 32),
           fmt_count(without.wasted, b, 32),
           fmt_dur(without.wall_ns, c, 32), fmt_dur(without.stop_ns, d, 32),
           fmt_commas(lecture, e, 32), (unsigned long long)(workers - 1),
           fmt_commas(items - hit_at, f, 32));
    char label[48];
    if (interval == COORD_CHECK_AUTO)
        snprintf(label, sizeof label, "with early exit (auto K~%.0f)",
                 with.every);
    else
        snprintf(label, sizeof label, "with early exit (K=%.0f)", with.every);
    /* With a fixed K the product bounds the waste; the automatic K moves
     * as it adapts, so its mean only gives the size (a cost that jumps
     * mid-share was measured past it). */
    bool autok = interval == COORD_CHECK_AUTO;
    printf("%-26s %11s %11s %10s %13s   0 ideally; %s %s = %llu x %s\n",
           label, fmt_count(with.iterations, a, 32),
           fmt_count(with.wasted, b, 32),
           fmt_dur(with.wall_ns, c, 32), fmt_dur(with.stop_ns, d, 32),
           autok ? "about" : "at most", fmt_count(bound, e, 32),
           (unsigned long long)(workers - 1), autok ? "mean final K" : "K");
    double saved = without.iterations - with.iterations;
    printf("\nearly exit saved %s iterations (%.1f %%); wasted is what the "
           "other workers did after their last check that saw the flag clear\n"
           "(the lecture assumes they were at position %s too; here they "
           "start together but run at the scheduler's pace)\n",
           fmt_commas(saved > 0 ? (uint64_t)saved : 0, a, 32),
           without.iterations > 0 ? saved / without.iterations * 100 : 0.0,
           fmt_commas(hit_at, b, 32));
    return CLI_OK;
}
