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
#include "opts.h"

enum {
    A_SHAPE, A_PER_ITERATION, A_PER_TASK, A_TASK_US, A_PROCESSES, A_WRITERS,
    A_SIZE, A_UNRELATED, A_MACHINES, A_CALIBRATION, A_JSON, A_NOPTS
};

/* The words of enum adv_shape (read back through adv_shape_parse). */
static const char *const shape_words[] = {
    "flag", "counter", "scalar", "array", "dict", "list", "messages", NULL};

#define ACCESSES(id, nm, text)                                                 \
    [id] = {.name = nm, .kind = OPT_REAL, .arg = "N", .rmin = 0,               \
            .rmax = 1e15, .open_min = true, .help = text}

static const struct opt advise_opts[] = {
    [A_SHAPE] = {.name = "shape", .kind = OPT_CHOICE, .arg = "S",
                 .choices = shape_words, .required = true,
                 .help = "the shared data"},
    ACCESSES(A_PER_ITERATION, "per-iteration",
             "accesses per loop iteration (may be a fraction: 0.01 = once "
             "every 100 iterations)"),
    ACCESSES(A_PER_TASK, "per-task", "accesses per task"),
    /* At least a nanosecond: below that the shares are meaningless
     * numbers of 40 digits (an audit fed it 1e-300). */
    [A_TASK_US] = {.name = "task-us", .kind = OPT_REAL, .arg = "T",
                   .rmin = 0.001, .rmax = 1e15,
                   .help = "the task's own time in µs (gives each cost's "
                           "share)"},
    [A_PROCESSES] = {.name = "processes", .kind = OPT_UINT, .arg = "P",
                     .min = 1, .max = 65536, .required = true,
                     .help = "processes that share it"},
    [A_WRITERS] = {.name = "writers", .kind = OPT_UINT, .arg = "W", .min = 0,
                   .max = 65536,
                   .def = "1 for a flag, P for a counter, array or messages, "
                          "else 0",
                   .help = "how many of them write (0..P)"},
    [A_SIZE] = {.name = "size", .kind = OPT_UINT, .arg = "N", .min = 1,
                .max = 1ull << 40, .help = "the array's length (array only)"},
    [A_UNRELATED] = {.name = "unrelated", .kind = OPT_FLAG,
                     .help = "the processes are not forked from one parent"},
    [A_MACHINES] = {.name = "machines", .kind = OPT_UINT, .arg = "M",
                    .min = 1, .max = 100000, .def = "1",
                    .help = "machines the processes run on"},
    [A_CALIBRATION] = {.name = "calibration", .kind = OPT_PATH,
                       .arg = "FILE",
                       .help = "price from this spectrum result (`coord "
                               "spectrum --json` output or a cache file) "
                               "instead of the cache"},
    [A_JSON] = {.name = "json", .kind = OPT_FLAG,
                .help = "one JSON object (schema coord.advise/1, "
                        "docs/advise.md)"},
};

const struct opt_cmd cmd_advise_opts = {
    .name = "advise",
    .synopsis =
        "--shape flag|counter|scalar|array|dict|list|messages\n"
        "                    (--per-iteration N | --per-task N [--task-us T])"
        "\n"
        "                    --processes P [--writers W] [--size N] "
        "[--unrelated]\n"
        "                    [--machines M] [--calibration FILE] [--json]",
    .about = "Which mechanism for this access pattern (lecture 27, slide 9), "
             "from the per-access costs `coord spectrum` measured on this "
             "machine (its cache, or a quick calibration of a few seconds). "
             "Mechanisms are ranked by coordination cost per task (or per "
             "iteration), with the lecture's rule of thumb and the reason; "
             "those that cannot serve the pattern are listed as excluded.",
    .opts = advise_opts,
    .nopts = A_NOPTS,
};

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

static void print_entry_json(struct jw *w, const struct adv_entry *e,
                             bool ranked)
{
    jw_object(w);
    jw_kstr(w, "mechanism", e->mechanism);
    jw_kstr(w, "impl", e->impl);
    if (ranked) {
        jw_knum(w, "ns_per_task", e->ns >= 0 ? e->ns : NAN);
        jw_knum(w, "share_of_task", e->share >= 0 ? e->share : NAN);
    }
    jw_kstr(w, "why", e->why);
    jw_kstr(w, "rule_of_thumb", e->rule);
    jw_object_end(w);
}

static void print_json(const struct adv_input *in, const struct calib *c,
                       const struct adv_result *res)
{
    struct jw w;
    jw_init(&w, stdout);
    cli_json_begin(&w, "advise", 1);
    jw_kobject(&w, "calibration");
    jw_kstr(&w, "source", c->source);
    jw_kstr(&w, "path", c->have_path ? c->path : NULL);
    jw_kcount(&w, "age_s", c->age_s >= 0 ? round(c->age_s) : -1);
    jw_object_end(&w);
    jw_kobject(&w, "inputs");
    jw_kstr(&w, "shape", adv_shape_name(in->shape));
    jw_kstr(&w, "unit", in->per_iteration ? "iteration" : "task");
    jw_knum(&w, "accesses", in->accesses);
    jw_kns(&w, "task_ns", in->task_ns > 0 ? in->task_ns : -1);
    jw_kuint(&w, "processes", in->processes);
    jw_kuint(&w, "writers", adv_writers(in));
    if (in->size)
        jw_kuint(&w, "size", in->size);
    else
        jw_knull(&w, "size");
    jw_kbool(&w, "unrelated", in->unrelated);
    jw_kuint(&w, "machines", in->machines);
    jw_object_end(&w);
    jw_karray(&w, "ranking");
    for (size_t i = 0; i < res->nrank; i++)
        print_entry_json(&w, &res->rank[i], true);
    jw_array_end(&w);
    jw_karray(&w, "excluded");
    for (size_t i = 0; i < res->nexcl; i++)
        print_entry_json(&w, &res->excl[i], false);
    jw_array_end(&w);
    jw_object_end(&w);
    jw_finish(&w);
}

static void print_text(const struct adv_input *in,
                       const struct adv_result *res)
{
    char t[48];
    unsigned w = adv_writers(in);
    printf("coord advise: %s, %g access%s per %s", adv_shape_phrase(in->shape),
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
            printf(" (%s)", adv_fmt_share(t, sizeof t, e->share, "the task"));
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
    struct opt_parser p;
    opt_parse_init(&p, &cmd_advise_opts, argc, argv);
    int o;
    while ((o = opt_next(&p)) >= 0) {
        switch (o) {
        case A_SHAPE:
            in.shape = (enum adv_shape)adv_shape_parse(p.v.text);
            have_shape = true;
            break;
        case A_PER_ITERATION:
            in.accesses = p.v.real;
            per_it = in.per_iteration = true;
            break;
        case A_PER_TASK:
            in.accesses = p.v.real;
            per_task = true;
            break;
        case A_TASK_US:
            in.task_ns = p.v.real * 1000;
            break;
        case A_PROCESSES:
            in.processes = (unsigned)p.v.u;
            break;
        case A_WRITERS:
            in.writers = (int)p.v.u;
            break;
        case A_SIZE:
            in.size = (unsigned long)p.v.u;
            break;
        case A_UNRELATED:
            in.unrelated = true;
            break;
        case A_MACHINES:
            in.machines = (unsigned)p.v.u;
            break;
        case A_CALIBRATION:
            calib = p.v.text;
            break;
        case A_JSON:
            json = true;
            break;
        }
    }
    if (o != OPT_END)
        return opt_exit_status(o);
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
