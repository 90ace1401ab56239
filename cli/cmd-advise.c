/* SPDX-License-Identifier: MIT */
/* cmd-advise.c: `coord advise`: slide 9's "which mechanism?" answered with this machine's measured costs. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advise-cache.h"
#include "advise-model.h"
#include "cli.h"

static void usage(void)
{
    printf(
        "usage: coord advise --shape flag|counter|scalar|array|dict|list|"
        "messages\n"
        "                    (--per-iteration N | --per-task N [--task-us T])"
        "\n"
        "                    --processes P [--writers W] [--size N] "
        "[--unrelated]\n"
        "                    [--machines M] [--calibration FILE] [--json]\n\n"
        "Which mechanism for this access pattern (lecture 27, slide 9), "
        "from the\n"
        "per-access costs `coord spectrum` measured on this machine (its "
        "cache, or a\n"
        "quick calibration of a few seconds). Mechanisms are ranked by "
        "coordination\n"
        "cost per task (or per iteration), with the lecture's rule of thumb "
        "and the\n"
        "reason; those that cannot serve the pattern are listed as excluded."
        "\n\n"
        "  --shape S           the shared data: flag, counter, scalar, array, "
        "dict,\n"
        "                      list or messages\n"
        "  --per-iteration N   accesses per loop iteration (may be a "
        "fraction: 0.01 =\n"
        "                      once every 100 iterations)\n"
        "  --per-task N        accesses per task\n"
        "  --task-us T         the task's own time in µs (gives each cost's "
        "share)\n"
        "  --processes P       processes that share it (1..65536)\n"
        "  --writers W         how many of them write (0..P; default: 1 for "
        "a flag,\n"
        "                      P for a counter, array or messages, else 0)\n"
        "  --size N            the array's length (array only)\n"
        "  --unrelated         the processes are not forked from one parent\n"
        "  --machines M        machines the processes run on (default 1)\n"
        "  --calibration FILE  price from this spectrum result (`coord "
        "spectrum --json`\n"
        "                      output or a cache file) instead of the cache\n"
        "  --json              one JSON object (schema coord.advise/1, "
        "docs/advise.md)\n");
}

/* A positive finite decimal (a fraction allowed). */
static bool parse_pos(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = text && *text && *text != '-' && *text != '+'
                   ? strtod(text, &end)
                   : NAN;
    if (!text || !*text || isnan(v) || errno || *end || !isfinite(v) ||
        v <= 0 || v > 1e15) {
        cli_error("advise", "%s needs a positive number, got '%s'", opt,
                  text ? text : "");
        return false;
    }
    *out = v;
    return true;
}

struct calib {
    const char *source; /* "cache" | "calibrated" | "file" */
    char path[PATH_MAX];
    bool have_path;
    double age_s;
    char note[512];
};

/* The costs: --calibration FILE, else the cache, else a quick run. */
static bool load_costs(const char *file, struct adv_costs *k,
                       struct calib *c)
{
    char why[400];
    c->age_s = -1;
    if (file) {
        c->source = "file";
        snprintf(c->path, sizeof c->path, "%s", file);
        c->have_path = true;
        if (!adv_cache_read(file, true, k, &c->age_s, why, sizeof why)) {
            cli_error("advise", "--calibration: %s", why);
            return false;
        }
        snprintf(c->note, sizeof c->note, "costs from %.300s", file);
        return true;
    }
    c->have_path = adv_cache_path(c->path, sizeof c->path);
    if (c->have_path &&
        adv_cache_read(c->path, false, k, &c->age_s, why, sizeof why)) {
        c->source = "cache";
        snprintf(c->note, sizeof c->note,
                 "costs from the cache %.300s (%.0f s old)", c->path, c->age_s);
        return true;
    }
    if (!c->have_path)
        snprintf(why, sizeof why, "no cache path ($XDG_CACHE_HOME, $HOME)");
    char why2[300];
    if (!adv_calibrate(k, why2, sizeof why2)) {
        cli_error("advise", "no usable costs: %s; calibration failed: %s",
                  why, why2);
        return false;
    }
    c->source = "calibrated";
    c->age_s = 0;
    /* The spectrum run refreshed the cache when it could. */
    double age;
    struct adv_costs again;
    char w3[300];
    c->have_path = c->have_path &&
                   adv_cache_read(c->path, false, &again, &age, w3, sizeof w3);
    snprintf(c->note, sizeof c->note,
             "ran a quick calibration (coord spectrum --quick) because %.300s",
             why);
    return true;
}

static void json_num_or_null(double v, const char *fmt)
{
    if (v >= 0 && isfinite(v))
        printf(fmt, v);
    else
        printf("null");
}

static void print_entry_json(const struct adv_entry *e, bool ranked)
{
    printf("{\"mechanism\":\"%s\",\"impl\":\"%s\",", e->mechanism, e->impl);
    if (ranked) {
        printf("\"ns_per_task\":");
        json_num_or_null(e->ns, e->ns >= 1000 ? "%.0f" : "%.4g");
        printf(",\"share_of_task\":");
        json_num_or_null(e->share, "%.4g");
        printf(",");
    }
    printf("\"why\":");
    cli_json_str(stdout, e->why);
    printf(",\"rule_of_thumb\":");
    cli_json_str(stdout, e->rule);
    printf("}");
}

static void print_json(const struct adv_input *in, const struct calib *c,
                       const struct adv_result *res)
{
    cli_json_begin(stdout, "advise", 1);
    printf(",\"calibration\":{\"source\":\"%s\",\"path\":", c->source);
    if (c->have_path)
        cli_json_str(stdout, c->path);
    else
        printf("null");
    printf(",\"age_s\":");
    json_num_or_null(c->age_s >= 0 ? round(c->age_s) : -1, "%.0f");
    printf("},\"inputs\":{\"shape\":\"%s\",\"unit\":\"%s\","
           "\"accesses\":%.6g,\"task_ns\":",
           adv_shape_name(in->shape), in->per_iteration ? "iteration" : "task",
           in->accesses);
    json_num_or_null(in->task_ns > 0 ? round(in->task_ns) : -1, "%.0f");
    printf(",\"processes\":%u,\"writers\":%u,\"size\":", in->processes,
           adv_writers(in));
    if (in->size)
        printf("%lu", in->size);
    else
        printf("null");
    printf(",\"unrelated\":%s,\"machines\":%u},\"ranking\":[",
           in->unrelated ? "true" : "false", in->machines);
    for (size_t i = 0; i < res->nrank; i++) {
        printf(i ? "," : "");
        print_entry_json(&res->rank[i], true);
    }
    printf("],\"excluded\":[");
    for (size_t i = 0; i < res->nexcl; i++) {
        printf(i ? "," : "");
        print_entry_json(&res->excl[i], false);
    }
    printf("]}\n");
}

static void print_text(const struct adv_input *in,
                       const struct adv_result *res)
{
    char t[32];
    unsigned w = adv_writers(in);
    printf("coord advise: a %s, %g access%s per %s", adv_shape_name(in->shape),
           in->accesses, in->accesses == 1 ? "" : "es",
           in->per_iteration ? "iteration" : "task");
    if (in->task_ns > 0)
        printf(" of %s", adv_fmt_ns(t, sizeof t, in->task_ns));
    printf(", %u process%s, %u writer%s%s%s", in->processes,
           in->processes == 1 ? "" : "es", w, w == 1 ? "" : "s",
           in->unrelated ? ", unrelated" : "",
           in->machines > 1 ? ", several machines" : "");
    printf("\n\n");
    if (!res->nrank)
        printf("no mechanism coord knows can serve this pattern "
               "(see excluded).\n");
    for (size_t i = 0; i < res->nrank; i++) {
        const struct adv_entry *e = &res->rank[i];
        printf("%zu. %-28s %12s per %s", i + 1, e->mechanism,
               adv_fmt_ns(t, sizeof t, e->ns),
               in->per_iteration ? "iteration" : "task");
        if (e->share >= 0)
            printf(" (%.3g %% of the task)", e->share * 100);
        printf("\n   why:  %s\n   rule: %s\n", e->why, e->rule);
    }
    if (res->nexcl)
        printf("\nexcluded:\n");
    for (size_t i = 0; i < res->nexcl; i++)
        printf("  %-28s %s\n", res->excl[i].mechanism, res->excl[i].why);
}

int cmd_advise(int argc, char **argv)
{
    struct adv_input in = {.writers = -1, .machines = 1};
    bool json = false, have_shape = false, per_it = false, per_task = false;
    const char *calib = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        uint64_t u;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return CLI_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--unrelated")) {
            in.unrelated = true;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--shape", &v))) {
            int s = r > 0 ? adv_shape_parse(v) : -1;
            if (r > 0 && s < 0)
                cli_error("advise", "unknown shape '%s' (flag, counter, "
                          "scalar, array, dict, list, messages)", v);
            if (s < 0)
                return CLI_USAGE;
            in.shape = (enum adv_shape)s;
            have_shape = true;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--per-iteration",
                                &v))) {
            if (r < 0 || !parse_pos("--per-iteration", v, &in.accesses))
                return CLI_USAGE;
            per_it = in.per_iteration = true;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--per-task",
                                &v))) {
            if (r < 0 || !parse_pos("--per-task", v, &in.accesses))
                return CLI_USAGE;
            per_task = true;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--task-us", &v))) {
            if (r < 0 || !parse_pos("--task-us", v, &in.task_ns))
                return CLI_USAGE;
            in.task_ns *= 1000;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--processes",
                                &v))) {
            if (r < 0 ||
                !cli_parse_u64("advise", "--processes", v, 1, 65536, &u))
                return CLI_USAGE;
            in.processes = (unsigned)u;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--writers", &v))) {
            if (r < 0 ||
                !cli_parse_u64("advise", "--writers", v, 0, 65536, &u))
                return CLI_USAGE;
            in.writers = (int)u;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--size", &v))) {
            if (r < 0 || !cli_parse_u64("advise", "--size", v, 1,
                                        1ull << 40, &u))
                return CLI_USAGE;
            in.size = (unsigned long)u;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--machines",
                                &v))) {
            if (r < 0 ||
                !cli_parse_u64("advise", "--machines", v, 1, 100000, &u))
                return CLI_USAGE;
            in.machines = (unsigned)u;
        } else if ((r = cli_opt("advise", argc, argv, &i, "--calibration",
                                &v))) {
            if (r < 0)
                return CLI_USAGE;
            calib = v;
        } else {
            cli_error("advise", "unknown option '%s' (see coord advise "
                                "--help)", argv[i]);
            return CLI_USAGE;
        }
    }
    const char *bad = NULL;
    if (!have_shape)
        bad = "--shape is required";
    else if (per_it == per_task)
        bad = "give exactly one of --per-iteration and --per-task";
    else if (in.task_ns > 0 && per_it)
        bad = "--task-us goes with --per-task";
    else if (!in.processes)
        bad = "--processes is required";
    else if (in.writers > (int)in.processes)
        bad = "--writers cannot exceed --processes";
    else if (in.size && in.shape != ADV_SHAPE_ARRAY)
        bad = "--size is for --shape array only";
    else if (in.size && in.shape == ADV_SHAPE_ARRAY &&
             adv_writers(&in) > in.size)
        bad = "--size is smaller than the writers: each needs a slice";
    if (bad) {
        cli_error("advise", "%s (see coord advise --help)", bad);
        return CLI_USAGE;
    }
    struct adv_costs k;
    struct calib c;
    memset(&c, 0, sizeof c);
    if (!load_costs(calib, &k, &c))
        return calib ? CLI_USAGE : CLI_RUNTIME;
    if (!json)
        fprintf(stderr, "coord advise: %s\n", c.note);
    static struct adv_result res;
    adv_rank(&in, &k, &res);
    if (json)
        print_json(&in, &c, &res);
    else
        print_text(&in, &res);
    return CLI_OK;
}
