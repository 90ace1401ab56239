/* SPDX-License-Identifier: MIT */
/* cmd-fraud.c: `coord fraud`: slide 10, transactions screened in early-exit rounds. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fraud.h"
#include "progress.h"
#include "opts.h"

#define CMD "fraud"
#define MAX_RUNS 16

enum {
    F_QUICK, F_TRANSACTIONS, F_WARMUP, F_SEED, F_RATE, F_ACCOUNTS,
    F_MERCHANTS, F_DEPTH, F_INTERVALS, F_CLAIM, F_TARGET_US, F_CSV, F_STRICT,
    F_WRITE_CSV, F_JSON, F_NOPTS
};

static const char *const claim_words[] = {"cas", "lock", NULL};

static const struct opt fraud_opts[] = {
    [F_QUICK] = {.name = "quick", .kind = OPT_FLAG,
                 .help = "fewer transactions and a shorter warm-up"},
    [F_TRANSACTIONS] = {.name = "transactions", .kind = OPT_UINT, .arg = "N",
                        .min = 1, .max = 10000000, .def = "5000; --quick 3000",
                        .help = "transactions screened"},
    [F_WARMUP] = {.name = "warmup", .kind = OPT_UINT, .arg = "N", .min = 0,
                  .max = 100000000,
                  .def = "40000; --quick 12000; with --csv: 0",
                  .help = "earlier transactions that only fill the history"},
    [F_SEED] = {.name = "seed", .kind = OPT_UINT, .arg = "S", .min = 0,
                .max = UINT64_MAX, .def = "1", .help = "generator seed"},
    [F_RATE] = {.name = "rate", .kind = OPT_REAL, .arg = "R", .rmin = 0,
                .rmax = 0.5, .def = "0.02",
                .help = "fraction of injected fraud, 0..0.5"},
    [F_ACCOUNTS] = {.name = "accounts", .kind = OPT_UINT, .arg = "N",
                    .min = 1, .max = 10000000, .def = "100",
                    .help = "accounts in the generated stream"},
    [F_MERCHANTS] = {.name = "merchants", .kind = OPT_UINT, .arg = "N",
                     .min = 1, .max = 10000000, .def = "120",
                     .help = "merchants in the generated stream"},
    [F_DEPTH] = {.name = "depth", .kind = OPT_UINT, .arg = "N", .min = 1,
                 .max = 65536, .def = "512",
                 .help = "history events kept per account and merchant"},
    [F_INTERVALS] = {.name = "intervals", .kind = OPT_UINTS, .arg = "LIST",
                     .min = 1, .max = 1u << 30, .word = "auto",
                     .word_value = COORD_CHECK_AUTO, .max_items = MAX_RUNS - 1,
                     .def = "1,10,100,1000,auto",
                     .help = "check intervals (history look-ups between "
                             "checks), numbers and auto"},
    [F_CLAIM] = {.name = "claim", .kind = OPT_CHOICE, .choices = claim_words,
                 .def = "cas",
                 .help = "how the first flag claims a transaction: one "
                         "compare-and-swap or the lecture's lock, check, set "
                         "(slide 5)"},
    [F_TARGET_US] = {.name = "target-us", .kind = OPT_UINT, .arg = "T",
                     .min = 1, .max = 10000000,
                     .def = "10: a transaction's analysis takes tens of µs",
                     .help = "auto interval: stop-latency target in µs (only with "
                             "auto in --intervals)"},
    [F_CSV] = {.name = "csv", .kind = OPT_PATH, .arg = "FILE",
               .help = "screen transactions from FILE (columns: "
                       "docs/fraud.md); malformed lines are reported with "
                       "their number and skipped"},
    [F_STRICT] = {.name = "strict", .kind = OPT_FLAG,
                  .help = "with --csv: reject the file at its first "
                          "malformed line"},
    [F_WRITE_CSV] = {.name = "write-csv", .kind = OPT_PATH, .arg = "FILE",
                     .help = "also write the generated stream to FILE "
                             "(refused, exit 2, where another user may have "
                             "planted it: their symlink, their file in a "
                             "sticky directory, a hard link in a directory "
                             "others may write; docs/cli.md, Paths)"},
    [F_JSON] = {.name = "json", .kind = OPT_FLAG,
                .help = "one JSON object on stdout"},
};

const struct opt_cmd cmd_fraud_opts = {
    .name = "fraud",
    .about =
        "Slide 10: four workers screen every transaction in parallel, one "
        "detector each (velocity, impossible travel, amount anomaly, card "
        "testing), each looking the account's (and merchant's) history up. "
        "The first detector that flags a transaction claims it; the others "
        "abandon it at their next flag check, and all move to the next one "
        "(persistent workers, one round per transaction). Run for each check "
        "interval (history look-ups between checks), for the automatic one, "
        "and without early exit; verdicts are compared with a one-process "
        "reference and against the injected truth.",
    .opts = fraud_opts,
    .nopts = F_NOPTS,
};

struct run {
    char label[16];
    uint64_t every;
    bool early_exit;
    struct fraud_screen_stats st;
    struct fraud_quality q;
    bool same;
};

/* One early-exit run per check interval (COORD_CHECK_AUTO: "auto"). */
static size_t interval_runs(const uint64_t *every, size_t n, struct run *runs)
{
    for (size_t i = 0; i < n; i++) {
        struct run *r = &runs[i];
        memset(r, 0, sizeof *r);
        r->early_exit = true;
        r->every = every[i];
        if (every[i] == COORD_CHECK_AUTO)
            snprintf(r->label, sizeof r->label, "auto");
        else
            snprintf(r->label, sizeof r->label, "%u", /* <= 2^30 */
                     (unsigned)every[i]);
    }
    return n;
}

/* Opens the CSV for reading, refusing what is not a regular file (a
 * directory, a device such as /dev/zero, a FIFO): it would be read for
 * ever or fail with a misleading message. Returns NULL with the reason. */
static FILE *open_csv(const char *path, char *why, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, cap, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, cap, "%s",
                 S_ISDIR(st.st_mode)   ? "is a directory"
                 : S_ISCHR(st.st_mode) ? "not a regular file (a character "
                                         "device)"
                 : S_ISFIFO(st.st_mode) ? "not a regular file (a pipe)"
                                        : "not a regular file");
        close(fd);
        return NULL;
    }
    FILE *f = fcntl(fd, F_SETFL, 0) == 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        snprintf(why, cap, "%s", strerror(errno));
        close(fd);
    }
    return f;
}

/* fraud_quality_of, with no precision or recall (-1) for input not wholly
 * labelled: computed over its labelled rows alone they would describe
 * another input (the JSON says null, the table n/a, as documented). */
static void quality_of(const struct fraud_txn *t, size_t m, const uint8_t *flags,
                       bool labelled, struct fraud_quality *q)
{
    fraud_quality_of(t, m, flags, q);
    if (!labelled)
        q->precision = q->recall = -1;
}

int cmd_fraud(int argc, char **argv)
{
    struct fraud_gen_opts g;
    fraud_gen_defaults(&g);
    bool quick = false, json = false, strict = false, locked = false;
    const char *csv = NULL, *write_csv = NULL;
    /* The first option that only the generator reads (NULL: none). */
    const char *gen_only = NULL;
    uint64_t tx = 0, warm = UINT64_MAX, depth = 512, target_us = 10;
    bool target_given = false;
    uint64_t every[OPT_LIST_MAX] = {1, 10, 100, 1000, COORD_CHECK_AUTO};
    size_t n_every = 5;
    struct opt_parser p;
    opt_parse_init(&p, &cmd_fraud_opts, argc, argv);
    int k;
    while ((k = opt_next(&p)) >= 0) {
        switch (k) {
        case F_QUICK:
            quick = true;
            break;
        case F_TRANSACTIONS:
            tx = p.v.u;
            break;
        case F_WARMUP:
            warm = p.v.u;
            break;
        case F_SEED:
            gen_only = gen_only ? gen_only : "--seed";
            g.seed = p.v.u;
            break;
        case F_RATE:
            gen_only = gen_only ? gen_only : "--rate";
            g.fraud_rate = p.v.real;
            break;
        case F_ACCOUNTS:
            gen_only = gen_only ? gen_only : "--accounts";
            g.accounts = (uint32_t)p.v.u;
            break;
        case F_MERCHANTS:
            gen_only = gen_only ? gen_only : "--merchants";
            g.merchants = (uint32_t)p.v.u;
            break;
        case F_DEPTH:
            depth = p.v.u;
            break;
        case F_INTERVALS:
            memcpy(every, p.v.list, p.v.n * sizeof p.v.list[0]);
            n_every = p.v.n;
            break;
        case F_CLAIM:
            locked = p.v.choice == 1;
            break;
        case F_TARGET_US:
            target_us = p.v.u;
            target_given = true;
            break;
        case F_CSV:
            csv = p.v.text;
            break;
        case F_STRICT:
            strict = true;
            break;
        case F_WRITE_CSV: {
            char why[512];
            write_csv = p.v.text;
            gen_only = gen_only ? gen_only : "--write-csv";
            int rc = cli_output_check(write_csv, why, sizeof why);
            if (rc != 0) {
                cli_error(CMD, "--write-csv: %s", why);
                return cli_output_status(rc);
            }
            break;
        }
        case F_JSON:
            json = true;
            break;
        }
    }
    if (k != OPT_END)
        return opt_exit_status(k);
    struct run runs[MAX_RUNS];
    size_t n_runs = interval_runs(every, n_every, runs);
    bool has_auto = false;
    for (size_t i = 0; i < n_every; i++)
        has_auto = has_auto || every[i] == COORD_CHECK_AUTO;
    if (target_given && !has_auto) {
        /* The target steers the automatic interval only: without it in
         * the list the option was taken and ignored. */
        cli_error(CMD, "--target-us is for the auto interval; not without "
                       "auto in --intervals");
        return CLI_USAGE;
    }
    if (strict && !csv) {
        cli_error(CMD, "--strict goes with --csv");
        return CLI_USAGE;
    }
    if (csv && gen_only) {
        /* With --csv nothing is generated: the option would be ignored,
         * and --write-csv would write the rows read (sorted, without the
         * skipped lines and those past --transactions) over FILE, which
         * may be the --csv file itself. */
        cli_error(CMD, "%s is for the generated stream; not with --csv",
                  gen_only);
        return CLI_USAGE;
    }
    /* The baseline: no early exit (every detector finishes). */
    struct run *base = &runs[n_runs++];
    memset(base, 0, sizeof *base);
    snprintf(base->label, sizeof base->label, "off");
    base->every = COORD_CHECK_AUTO;
    base->early_exit = false;

    if (!tx)
        tx = quick ? 3000 : 5000;
    struct fraud_txn *t = NULL;
    size_t n = 0, first = 0, bad = 0;
    bool labelled = true;
    if (csv) {
        char why[96];
        FILE *f = open_csv(csv, why, sizeof why);
        if (!f) {
            cli_error(CMD, "cannot read %s: %s", csv, why);
            return CLI_USAGE;
        }
        struct fraud_csv_result cr;
        int rc = fraud_csv_read(f, strict, &cr);
        fclose(f);
        if (rc != 0 && rc != -EINVAL && rc != -ENOMEM) {
            /* A read that failed: that alone, once (the lines listed
             * before it, and the same failure as a line's, are moot). */
            cli_error(CMD, "cannot read %s (line %zu): %s", csv, cr.lines,
                      strerror(-rc));
            return CLI_USAGE;
        }
        if (rc == -ENOMEM) {
            cli_error(CMD, "out of memory reading %s", csv);
            return CLI_RUNTIME;
        }
        if (rc == 0 && cr.n == 0) {
            /* Nothing to screen: one line, naming the first malformed line
             * (every one was listed as "line skipped" before the error,
             * up to 18 lines on stderr for one usage error). */
            if (cr.n_errors)
                cli_error(CMD, "%s has no valid transaction (%zu malformed "
                          "line%s; line %zu: %s)", csv, cr.bad,
                          cr.bad == 1 ? "" : "s", cr.errors[0].line,
                          cr.errors[0].why);
            else
                cli_error(CMD, "%s has no valid transaction", csv);
            free(cr.txns);
            return CLI_USAGE;
        }
        first = warm == UINT64_MAX ? 0 : (size_t)warm;
        if (rc == 0 && first >= cr.n) {
            cli_error(CMD, "--warmup %zu leaves nothing of the %zu "
                           "transactions to screen", first, cr.n);
            free(cr.txns);
            return CLI_USAGE;
        }
        if (rc != 0) {
            /* Not a transactions CSV (no header, a missing column, a line
             * too long), or --strict's first malformed line: one line with
             * the reason (it was two, and more under --strict). */
            bool by_strict = strict && cr.n_errors && cr.errors[0].line > 1;
            const char *why = by_strict ? "--strict: malformed line"
                                        : "not a transactions CSV";
            if (cr.n_errors)
                cli_error(CMD, "%s:%zu: %s; the file is rejected (%s)", csv,
                          cr.errors[0].line, cr.errors[0].why, why);
            else
                cli_error(CMD, "%s rejected (%s)", csv, why);
            free(cr.txns);
            return CLI_USAGE;
        }
        /* The file's name as cli_error shows it: a newline or an escape
         * sequence in it split these lines or reached the terminal. */
        char shown[PATH_MAX];
        snprintf(shown, sizeof shown, "%s", csv);
        cli_printable(shown);
        for (size_t i = 0; i < cr.n_errors; i++)
            fprintf(stderr, "coord fraud: %s:%zu: %s (line skipped)\n", shown,
                    cr.errors[i].line, cr.errors[i].why);
        if (cr.bad > cr.n_errors)
            fprintf(stderr, "coord fraud: %s: %zu more malformed lines\n",
                    shown, cr.bad - cr.n_errors);
        t = cr.txns;
        n = cr.n;
        bad = cr.bad;
        labelled = cr.labelled;
        if (n - first > tx) {
            /* Screen at most --transactions, and say so. */
            fprintf(stderr, "coord fraud: %s: screening %" PRIu64 " of its "
                            "%zu transactions after the warmup (--transactions "
                            "%" PRIu64 "; raise it to screen more)\n",
                    shown, tx, n - first, tx);
            n = first + (size_t)tx;
        }
    } else {
        first = warm == UINT64_MAX ? (quick ? 12000 : 40000) : (size_t)warm;
        g.count = first + (size_t)tx;
        int rc = fraud_generate(&g, &t);
        if (rc) {
            cli_error(CMD, "cannot generate: %s", strerror(-rc));
            return rc == -EINVAL ? CLI_USAGE : CLI_RUNTIME;
        }
        n = g.count;
    }
    if (write_csv) {
        char why[512];
        int rc;
        struct cli_output out;
        FILE *f = cli_output_stream(&out, write_csv, &rc, why, sizeof why);
        /* Refused at the open (planted after the check when the option was
         * read): the path must change, as for a bad argument. A failed
         * write is the run's, and leaves the earlier file as it was. */
        int status = f ? CLI_RUNTIME : cli_output_status(rc);
        if (f)
            rc = cli_output_end(&out, f, fraud_csv_write(f, t, n), why,
                                sizeof why);
        if (rc < 0) {
            cli_error(CMD, "%s", why);
            free(t);
            return status;
        }
    }
    uint32_t na, nm;
    uint8_t *ref = malloc(n), *flagged = malloc(n);
    struct fraud_history h = {0};
    int rc = ref && flagged ? fraud_index(t, n, &na, &nm) : -ENOMEM;
    uint64_t ref_lookups = 0;
    uint64_t r0 = coord_clock_ns();
    if (rc == 0)
        rc = fraud_screen_serial(t, n, first, na, nm, (uint32_t)depth, ref,
                                 &ref_lookups);
    double ref_s = (double)(coord_clock_ns() - r0) / 1e9;
    if (rc == 0)
        rc = fraud_history_init(&h, na, nm, (uint32_t)depth);
    for (size_t i = 0; rc == 0 && i < first; i++)
        rc = fraud_history_add(&h, &t[i]);
    if (rc) {
        cli_error(CMD, "out of memory");
        goto fail;
    }
    /* Time of the reference for the screened part only: it also filled
     * the warm-up history, which is cheap next to the detectors. */
    size_t m = n - first;
    struct fraud_quality ref_q;
    quality_of(t + first, m, ref + first, labelled, &ref_q);
    double ns_per_lookup = ref_lookups ? ref_s * 1e9 / (double)ref_lookups : 0;
    size_t ref_flagged = 0;
    for (size_t i = first; i < n; i++)
        ref_flagged += ref[i];

    for (size_t k = 0; k < n_runs; k++) {
        struct run *r = &runs[k];
        progress_show(CMD, "check every %s%s (%zu/%zu)", r->label,
                     r->early_exit ? "" : " (no early exit)", k + 1, n_runs);
        struct fraud_screen_opts so = {r->every, r->early_exit, 10000,
                                       target_us * 1000, locked};
        char why[256];
        memset(flagged, 0, n);
        rc = fraud_screen_rounds(t, n, first, &h, &so, flagged, &r->st, why,
                                 sizeof why);
        if (rc) {
            progress_done();
            cli_error(CMD, "interval %s: %s", r->label, why);
            goto fail;
        }
        quality_of(t + first, m, flagged + first, labelled, &r->q);
        r->same = memcmp(flagged + first, ref + first, m) == 0;
    }
    progress_done();

    bool all_same = true;
    for (size_t k = 0; k < n_runs; k++)
        all_same &= runs[k].same;
    if (json) {
        /* coord.fraud/2: durations in integer ns (were *_us, loser_ms),
         * the look-up cost in integer ps (was ns_per_lookup). */
        struct jw w;
        jw_init(&w, stdout);
        cli_json_begin(&w, "fraud", 2);
        jw_kbool(&w, "quick", quick);
        jw_kstr(&w, "source", csv ? csv : "generated");
        if (csv)
            jw_knull(&w, "seed");
        else
            jw_kuint(&w, "seed", g.seed);
        jw_kuint(&w, "transactions", m);
        jw_kuint(&w, "warmup", first);
        jw_kuint(&w, "malformed_lines", bad);
        jw_kbool(&w, "labelled", labelled);
        jw_kuint(&w, "accounts", na);
        jw_kuint(&w, "merchants", nm);
        jw_kuint(&w, "depth", depth);
        jw_kuint(&w, "target_ns", target_us * 1000);
        jw_kstr(&w, "claim", locked ? "lock" : "cas");
        jw_kint(&w, "workers", FRAUD_DET_COUNT);
        jw_knum(&w, "fraud_rate", csv ? NAN : g.fraud_rate);
        if (ref_q.tp + ref_q.fp + ref_q.fn + ref_q.tn > 0)
            jw_kuint(&w, "injected", ref_q.tp + ref_q.fn);
        else
            jw_knull(&w, "injected"); /* no labelled row */
        jw_karray(&w, "detectors");
        for (int d = 0; d < FRAUD_DET_COUNT; d++)
            jw_str(&w, fraud_detector_name(d));
        jw_array_end(&w);
        jw_kobject(&w, "reference");
        jw_kuint(&w, "flagged", ref_flagged);
        jw_knum(&w, "precision", ref_q.precision >= 0 ? ref_q.precision : NAN);
        jw_knum(&w, "recall", ref_q.recall >= 0 ? ref_q.recall : NAN);
        jw_kns(&w, "per_tx_ns", ref_s * 1e9 / (double)m);
        jw_kps(&w, "per_lookup_ps", ns_per_lookup * 1e3);
        jw_kuint(&w, "lookups", ref_lookups);
        jw_object_end(&w);
        jw_karray(&w, "by_kind");
        for (int k = FRAUD_VELOCITY; k < FRAUD_KIND_COUNT; k++) {
            if (!ref_q.injected[k])
                continue;
            jw_object(&w);
            jw_kstr(&w, "kind", fraud_kind_name(k));
            jw_kuint(&w, "injected", ref_q.injected[k]);
            jw_kuint(&w, "caught", ref_q.caught[k]);
            jw_object_end(&w);
        }
        jw_array_end(&w);
        jw_kbool(&w, "verdicts_identical", all_same);
        jw_kuint(&w, "runs", n_runs);
        jw_karray(&w, "rows");
        for (size_t k = 0; k < n_runs; k++) {
            const struct run *r = &runs[k];
            /* check_mode: "off" (no early exit), "auto" or "fixed";
             * check_every: the fixed interval, null otherwise. */
            bool fixed = r->early_exit && strcmp(r->label, "auto") != 0;
            jw_object(&w);
            jw_kstr(&w, "check_mode", fixed ? "fixed" : r->label);
            if (fixed)
                jw_kuint(&w, "check_every", r->every);
            else
                jw_knull(&w, "check_every");
            jw_kbool(&w, "early_exit", r->early_exit);
            jw_knum(&w, "tx_per_s", r->st.tx_per_s);
            jw_kns(&w, "latency_p50_ns", r->st.latency_p50_us * 1e3);
            jw_kns(&w, "latency_p99_ns", r->st.latency_p99_us * 1e3);
            jw_kns(&w, "round_p50_ns", r->st.round_p50_us * 1e3);
            jw_kns(&w, "round_p99_ns", r->st.round_p99_us * 1e3);
            jw_kuint(&w, "claims", r->st.claims);
            jw_kns(&w, "stop_latency_mean_ns", r->st.stop_mean_us * 1e3);
            jw_kns(&w, "stop_latency_p99_ns", r->st.stop_p99_us * 1e3);
            jw_kuint(&w, "wasted_lookups", r->st.wasted);
            jw_knum(&w, "wasted_per_claim",
                    r->st.claims ? (double)r->st.wasted / r->st.claims : 0);
            jw_kns(&w, "loser_ns", (double)r->st.wasted * ns_per_lookup);
            jw_kuint(&w, "lookups", r->st.iterations);
            if (r->every == COORD_CHECK_AUTO && r->early_exit) {
                jw_kuint(&w, "auto_every", r->st.every_max);
                jw_kuint(&w, "every_min", r->st.every_min);
            }
            jw_knum(&w, "precision", r->q.precision >= 0 ? r->q.precision : NAN);
            jw_knum(&w, "recall", r->q.recall >= 0 ? r->q.recall : NAN);
            jw_kbool(&w, "verdicts_match_reference", r->same);
            jw_kobject(&w, "wins");
            for (int d = 0; d < FRAUD_DET_COUNT; d++)
                jw_kuint(&w, fraud_detector_name(d), r->st.wins[d]);
            jw_object_end(&w);
            jw_object_end(&w);
        }
        jw_array_end(&w);
        jw_object_end(&w);
        jw_finish(&w);
    } else {
        printf("coord fraud: %zu transactions screened (%s, %zu earlier ones "
               "as history), %u accounts, %d detectors, ",
               m, csv ? csv : "generated", first, na, FRAUD_DET_COUNT);
        if (labelled)
            printf("%zu of them fraud (labels)\n", ref_q.tp + ref_q.fn);
        else
            printf("unlabelled\n");
        printf("reference (one process): %.1f µs per transaction, %.1f ns "
               "per history look-up, %zu flagged",
               ref_s * 1e6 / (double)m, ns_per_lookup, ref_flagged);
        if (labelled && ref_q.precision >= 0 && ref_q.recall >= 0)
            printf("; precision %.3f, recall %.3f", ref_q.precision,
                   ref_q.recall);
        printf("\n\n");
        printf("%-6s %-5s %9s %9s %9s %7s %10s %10s %11s %7s %7s %5s\n",
               "CHECK", "EARLY", "TX/S", "P50(µs)", "P99(µs)", "CLAIMS",
               "STOP(µs)", "STOP p99", "WASTE/CLAIM", "PREC", "RECALL",
               "SAME");
        for (size_t k = 0; k < n_runs; k++) {
            const struct run *r = &runs[k];
            char prec[16] = "n/a", rec[16] = "n/a", stop[16] = "-",
                 stop99[16] = "-";
            if (isfinite(r->st.stop_mean_us))
                snprintf(stop, sizeof stop, "%.1f", r->st.stop_mean_us);
            if (isfinite(r->st.stop_p99_us))
                snprintf(stop99, sizeof stop99, "%.1f", r->st.stop_p99_us);
            if (r->q.precision >= 0)
                snprintf(prec, sizeof prec, "%.3f", r->q.precision);
            if (r->q.recall >= 0)
                snprintf(rec, sizeof rec, "%.3f", r->q.recall);
            printf("%-6s %-5s %9.0f %9.1f %9.1f %7llu %10s %10s %11.0f "
                   "%7s %7s %5s\n",
                   r->label, r->early_exit ? "yes" : "no", r->st.tx_per_s,
                   r->st.latency_p50_us, r->st.latency_p99_us,
                   (unsigned long long)r->st.claims, stop, stop99,
                   r->st.claims ? (double)r->st.wasted / r->st.claims : 0.0,
                   prec, rec, r->same ? "yes" : "NO");
        }
        printf("\nSTOP: claim to the last loser out (mean); WASTE/CLAIM: "
               "slots losers ran after the claim (a look-up or an empty "
               "one each: at most that many look-ups).\n");
        if (!labelled)
            printf("(unlabelled input: precision and recall are not "
                   "defined)\n");
        else if (runs[0].q.precision < 0 || runs[0].q.recall < 0)
            printf("(n/a: nothing flagged, or no fraud in the input)\n");
    }
    free(ref);
    free(flagged);
    fraud_history_free(&h);
    free(t);
    if (!all_same) {
        cli_error(CMD, "verdicts differ from the one-process reference");
        return CLI_RUNTIME;
    }
    return CLI_OK;
fail:
    free(ref);
    free(flagged);
    fraud_history_free(&h);
    free(t);
    return CLI_RUNTIME;
}
