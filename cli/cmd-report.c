/* SPDX-License-Identifier: MIT */
/* cmd-report.c: `coord report`: runs the experiments, writes Markdown + HTML with plots and verdicts. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "mpirun.h"
#include "advise-model.h"
#include "advise-report.h"
#include "cli.h"
#include "commands.h"
#include "json.h"
#include "opts.h"
#include "report-parts.h"
#include "launch.h"

#define CMD "report"

enum { R_QUICK, R_OUT, R_ONLY, R_NO_PYTHON, R_TIMEOUT, R_JSON, R_NOPTS };

static const struct opt report_opts[] = {
    [R_QUICK] = {.name = "quick", .kind = OPT_FLAG,
                 .help = "short runs: the whole report in under a minute"},
    [R_OUT] = {.name = "out", .kind = OPT_DIR, .arg = "DIR", .def = "report",
               .help = "where to write (an earlier report's files there "
                       "that this one does not write are removed)"},
    [R_ONLY] = {.name = "only", .kind = OPT_STRING, .arg = "LIST",
                .def = "all of primes,waste,interval,spectrum,queue,fraud",
                .help = "comma-separated experiments to run"},
    [R_NO_PYTHON] = {.name = "no-python", .kind = OPT_FLAG,
                     .help = "leave out the Python sides (spectrum, "
                             "interval, queue and its probes)"},
    [R_TIMEOUT] = {.name = "timeout", .kind = OPT_UINT, .arg = "S", .min = 1,
                   .max = 86400, .def = "60 quick, 900",
                   .help = "limit for one experiment in seconds"},
    [R_JSON] = {.name = "json", .kind = OPT_FLAG,
                .help = "print {\"out\", \"options\", \"files\", "
                        "\"removed\", \"experiments\"} on stdout"},
};

const struct opt_cmd cmd_report_opts = {
    .name = "report",
    .about = "Runs the lecture's experiments on this machine (each as `coord "
             "EXPERIMENT --json`) and writes a report: DIR/index.html (one "
             "self-contained page, its plots inline), DIR/report.md (the same "
             "in Markdown), DIR/plots/ (each plot as SVG, and as PNG when "
             "gnuplot is installed, with its data and gnuplot script) and "
             "DIR/data/ (each experiment's JSON and log).",
    .opts = report_opts,
    .nopts = R_NOPTS,
    .epilog = "An experiment whose command this build lacks is listed as not "
              "available; one that fails is reported with its error. "
              "Progress goes to stderr. DIR, DIR/data and DIR/plots are "
              "checked and opened once, and every file is written, renamed "
              "and removed through them: a directory renamed or replaced "
              "above them meanwhile moves no file. DIR must be yours (or "
              "root's) and writable by nobody else unless it is yours and "
              "sticky; data/ and plots/ yours and writable by you alone; "
              "another user's symlink on the way, or at a file's name, and a "
              "file that is a hard link in a DIR others may write, are "
              "refused (docs/cli.md, Paths). Exit status 0 when the report "
              "was written (even with failed experiments), 1 when it could "
              "not be, 2 on a usage error (a refused DIR or file among "
              "them).",
};

/* The options that shaped this report, said at its top so that a reader
 * knows what it covers: the mode, the experiments (--only: a partial
 * report, and which were not run), Python's side and the time limit. */
static void options_para(struct report *r, const bool *wanted)
{
    char not_run[160] = "";
    size_t nl = 0, n_not = 0;
    for (size_t i = 0; i < REPORT_N_EXPS; i++)
        if (!wanted[i])
            n_not++;
    for (size_t i = 0, k = 0; i < REPORT_N_EXPS; i++) {
        if (wanted[i])
            continue;
        k++;
        nl += (size_t)snprintf(not_run + nl, sizeof not_run - nl, "%s%s",
                               k == 1 ? "" : k == n_not ? " and " : ", ",
                               report_exps[i].name);
        if (nl >= sizeof not_run)
            break;
    }
    if (n_not == 0)
        snprintf(not_run, sizeof not_run, "none");
    char only[256] = "all six experiments";
    if (r->only)
        snprintf(only, sizeof only, "**only %s** (`--only %s`; not run: %s)",
                 r->only, r->only, not_run);
    rdoc_para(&r->doc,
              "Options: %s mode (%s); experiments: %s; Python's side %s; "
              "time limit %" PRIu64 " s per experiment (`--timeout %" PRIu64
              "`).",
              r->quick ? "**quick**" : "full",
              r->quick ? "`--quick`: short runs" : "default runs",
              only,
              !r->python ? "**left out** (`--no-python`)"
              /* Asked for, but the experiments skip it without python3:
               * "run" at the top contradicted every Python row below. */
              : launch_have("python3") ? "run"
                                       : "**skipped** (no python3 on PATH)",
              r->timeout_s, r->timeout_s);
    if (r->only)
        rdoc_para(&r->doc, "This report is **partial**: it was made with "
                           "`--only %s`, so the claims of the experiments "
                           "not run read \"not measured\".", r->only);
}

/* `coord report` with the options that shape the report (not --out or
 * --json): "coord report --quick --only fraud --timeout 60". */
static void command_line(const struct report *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "coord report%s%s%s%s --timeout %" PRIu64,
             r->quick ? " --quick" : "", r->only ? " --only " : "",
             r->only ? r->only : "", r->python ? "" : " --no-python",
             r->timeout_s);
}

/* The report's documents, written in this order into --out. */
static const char *const report_docs[] = {"report.md", "index.html"};

int cmd_report(int argc, char **argv)
{
    struct report r = {.out = "report", .python = true, .dir = -1,
                       .data = -1, .plots = -1};
    const char *only = NULL;
    uint64_t timeout_s = 0;
    struct opt_parser p;
    opt_parse_init(&p, &cmd_report_opts, argc, argv);
    int k;
    while ((k = opt_next(&p)) >= 0) {
        switch (k) {
        case R_QUICK:
            r.quick = true;
            break;
        case R_OUT:
            r.out = p.v.text;
            break;
        case R_ONLY:
            only = p.v.text;
            break;
        case R_NO_PYTHON:
            r.python = false;
            break;
        case R_TIMEOUT:
            timeout_s = p.v.u;
            break;
        case R_JSON:
            r.json = true;
            break;
        }
    }
    if (k != OPT_END)
        return opt_exit_status(k);
    /* Under mpirun each rank's report is a report of its own: its
     * experiments run as standalone programs, not as ranks (a rank's
     * `coord primes` without --mpi is refused, cmd-primes.c). */
    cli_mpirun_forget();
    if (!timeout_s)
        timeout_s = r.quick ? 60 : 900;
    r.only = only;
    r.timeout_s = timeout_s;
    bool wanted[REPORT_N_EXPS];
    for (size_t i = 0; i < REPORT_N_EXPS; i++)
        wanted[i] = only == NULL;
    if (only) {
        /* Every item must name an experiment once: an empty item or a
         * repeat is a usage error, as for the numeric lists (opts.h). */
        const char *list_help = "(a comma-separated list of primes, waste, "
                                "interval, spectrum, queue, fraud)";
        for (const char *item = only;; item++) {
            size_t n = strcspn(item, ",");
            char name[32];
            if (n == 0) {
                cli_error(CMD, "--only has an empty item %s", list_help);
                return CLI_USAGE;
            }
            snprintf(name, sizeof name, "%.*s", (int)(n < 31 ? n : 31), item);
            struct exp *e = n < 31 ? report_exp_by_name(name) : NULL;
            if (!e) {
                cli_error(CMD, "--only: no experiment '%.*s' %s",
                          (int)(n > 64 ? 64 : n), item, list_help);
                return CLI_USAGE;
            }
            if (wanted[e - report_exps]) {
                cli_error(CMD, "--only names '%s' twice", name);
                return CLI_USAGE;
            }
            wanted[e - report_exps] = true;
            item += n;
            if (!*item)
                break;
        }
    }
    /* Made, checked and opened once: every file of the report is reached
     * through these descriptors (report_dirs_open), whatever is renamed
     * above them meanwhile. */
    char dwhy[4400];
    int drc = report_dirs_open(&r, dwhy, sizeof dwhy);
    if (drc != 0) {
        /* A refused directory, a path that names none, or one that
         * cannot be made there (a missing or unwritable parent, a
         * read-only file system) is the argument's fault, as for every
         * output path (docs/cli.md, Paths); a failure of the machine (no
         * descriptors, a full disk) is the run's. */
        cli_error(CMD, "%s", dwhy);
        return cli_output_status(drc);
    }
    /* The two documents are written last, after every experiment: what
     * cli_create_file would refuse at their names (another user's symlink
     * or file, a FIFO, a directory) is refused now, not after the run (and
     * again when they are written). */
    for (size_t i = 0; i < 2; i++) {
        char why[4400];
        int crc = cli_output_check_at(r.dir, r.out, report_docs[i], why,
                                      sizeof why);
        if (crc != 0) {
            cli_error(CMD, "%s", why);
            report_dirs_close(&r);
            return cli_output_status(crc);
        }
    }
    /* One report at a time per directory: two wrote each other's data/
     * files (one read the other's half-written JSON, or listed a file the
     * other had renamed). Held until this process exits. */
    int lock = openat(r.dir, ".coord-report.lock",
                      O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                      0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        cli_error(CMD, "%s: %s", r.out,
                  lock >= 0 && e == EWOULDBLOCK
                      ? "another coord report is writing into it"
                      : strerror(e));
        report_dirs_close(&r);
        return CLI_RUNTIME;
    }
    /* Before anything is written: the earlier report's files, and the
     * manifest that records this one's as they come. */
    char mwhy[4400];
    if (report_manifest_begin(&r, mwhy, sizeof mwhy) != 0) {
        cli_error(CMD, "cannot record the report's files: %s", mwhy);
        free(r.old);
        report_dirs_close(&r);
        return CLI_RUNTIME;
    }
    launch_adopt_orphans();
    double t0 = report_now_s();
    size_t n_run = 0, idx = 0;
    for (size_t i = 0; i < REPORT_N_EXPS; i++)
        n_run += wanted[i] && report_have_command(report_exps[i].name);
    for (size_t i = 0; i < REPORT_N_EXPS; i++) {
        struct exp *e = &report_exps[i];
        if (!wanted[i]) {
            e->state = EXP_SKIPPED;
        } else if (!report_have_command(e->name)) {
            e->state = EXP_MISSING;
            snprintf(e->why, sizeof e->why, "not available in this build");
            fprintf(stderr, "report: %s: not available in this build\n",
                    e->name);
        } else {
            report_run_one(&r, e, ++idx, n_run, (int)timeout_s, r.quick);
        }
    }
    double total = report_now_s() - t0;

    time_t now = time(NULL);
    struct tm tm;
    char date[64];
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
    struct rdoc *d = &r.doc;
    rdoc_heading(d, RD_H1, NULL, "coord report: lecture 27 on this machine");
    char cmdline[512];
    command_line(&r, cmdline, sizeof cmdline);
    rdoc_para(d, "Generated %s by `%s` in %.1f s. Every number "
                 "below was measured during that run on the machine described "
                 "next; the raw JSON of each experiment is in `data/`, and each "
                 "plot's data and gnuplot script are in `plots/`.",
              date, cmdline, total);
    options_para(&r, wanted);
    if (r.quick)
        rdoc_para(d, "This is the **quick** report: short runs, so the numbers "
                     "are noisier than those of the default `coord report`.");
    report_load_banner(d, report_exps, REPORT_N_EXPS,
                       sysconf(_SC_NPROCESSORS_ONLN));
    rdoc_heading(d, RD_H2, "claims", "The lecture's claims, measured");
    report_claims(&r);
    rdoc_heading(d, RD_H2, "slide9",
                 "Slide 9: which mechanism for which access pattern");
    char why9[160];
    advise_report_section(d, report_exp_json("spectrum", why9, sizeof why9), why9);
    rdoc_heading(d, RD_H2, "machine", "This machine");
    report_machine(&r);
    rdoc_heading(d, RD_H2, "experiments", "Experiments");
    static const char *const eh[] = {"experiment", "status", "seconds", NULL};
    struct rdoc_table *et = rdoc_table(d, eh);
    for (size_t i = 0; i < REPORT_N_EXPS; i++) {
        char secs[32], st[300];
        snprintf(secs, sizeof secs, "%.1f", report_exps[i].secs);
        /* ok with a why: a whole result that ended with status 1 */
        snprintf(st, sizeof st, "%s%s%s%s",
                 report_exp_state_name(report_exps[i].state),
                 report_exps[i].state == EXP_OK && *report_exps[i].why ? " ("
                                                                      : "",
                 report_exps[i].state == EXP_OK ? report_exps[i].why : "",
                 report_exps[i].state == EXP_OK && *report_exps[i].why ? ")"
                                                                      : "");
        const char *cells[] = {report_exps[i].name, st,
                               report_exps[i].state >= EXP_FAILED ? secs : "", NULL};
        rdoc_row(d, et, cells);
    }
    for (size_t i = 0; i < REPORT_N_EXPS; i++)
        report_section(&r, &report_exps[i]);
    report_add_file(&r, "index.html");
    report_add_file(&r, "report.md");
    rdoc_heading(d, RD_H2, "files", "Files of this report");
    static const char *const fh[] = {"file", NULL};
    struct rdoc_table *ft = rdoc_table(d, fh);
    for (size_t i = 0; i < r.n_files; i++) {
        const char *cells[] = {r.files[i], NULL};
        rdoc_row(d, ft, cells);
    }

    /* Opened as every output file is, in the directory the report
     * checked: a symlink or file another user planted at their names is
     * refused, not written through. */
    char why[4400];
    int werr = 0, status = CLI_RUNTIME;
    for (int i = 0; i < 2 && !werr; i++) {
        int wrc;
        struct cli_output out;
        FILE *f = cli_output_stream_at(&out, r.dir, r.out, report_docs[i],
                                       &wrc, why, sizeof why);
        if (!f)
            status = cli_output_status(wrc);
        /* Written whole or not at all: a failed write leaves the earlier
         * document, not the first part of one a browser shows as whole. */
        if (f)
            wrc = cli_output_end(&out, f,
                                 i ? rdoc_write_html(d, f, "coord report")
                                   : rdoc_write_md(d, f),
                                 why, sizeof why);
        werr = -wrc;
    }
    rdoc_free(d);
    /* The earlier report's files go only once this one is written. */
    if (werr) {
        if (r.notes)
            fclose(r.notes);
        free(r.old);
    } else if (report_manifest_finish(&r, mwhy, sizeof mwhy) != 0) {
        cli_error(CMD, "cannot record the report's files: %s", mwhy);
        werr = -1;
    }
    report_dirs_close(&r);
    if (r.n_removed)
        fprintf(stderr, "report: removed %zu file%s of an earlier report "
                        "that this one does not have\n",
                r.n_removed, r.n_removed == 1 ? "" : "s");
    if (werr > 0)
        cli_error(CMD, "%s", why);
    if (werr) {
        for (size_t i = 0; i < REPORT_N_EXPS; i++)
            json_free(report_exps[i].j);
        /* Refused at the open (planted since the check at the start): the
         * path must change; a failed write is the run's. */
        return status;
    }
    if (r.json) {
        struct jw w;
        jw_init(&w, stdout);
        cli_json_begin(&w, "report", 1);
        jw_kstr(&w, "out", r.out);
        jw_kbool(&w, "quick", r.quick);
        jw_kobject(&w, "options");
        jw_kstr(&w, "mode", r.quick ? "quick" : "full");
        if (only) {
            jw_karray(&w, "only");
            for (size_t i = 0; i < REPORT_N_EXPS; i++)
                if (wanted[i])
                    jw_str(&w, report_exps[i].name);
            jw_array_end(&w);
        } else {
            jw_knull(&w, "only");
        }
        jw_kbool(&w, "python", r.python);
        jw_kuint(&w, "timeout_s", r.timeout_s);
        jw_kstr(&w, "command_line", cmdline);
        jw_object_end(&w);
        jw_knum(&w, "seconds", total);
        jw_kuint(&w, "plots", r.plots_drawn);
        jw_kuint(&w, "plots_failed", r.plots_failed);
        jw_karray(&w, "files");
        for (size_t i = 0; i < r.n_files; i++)
            jw_str(&w, r.files[i]);
        jw_array_end(&w);
        jw_karray(&w, "removed");
        for (size_t i = 0; i < r.n_removed; i++)
            jw_str(&w, r.removed[i]);
        jw_array_end(&w);
        jw_karray(&w, "experiments");
        for (size_t i = 0; i < REPORT_N_EXPS; i++) {
            const struct exp *e = &report_exps[i];
            jw_object(&w);
            jw_kstr(&w, "name", e->name);
            jw_kstr(&w, "status", report_exp_state_name(e->state));
            jw_knum(&w, "seconds", e->secs);
            jw_kstr(&w, "why", e->why);
            jw_object_end(&w);
        }
        jw_array_end(&w);
        jw_object_end(&w);
        jw_finish(&w);
    } else {
        printf("%-10s %-14s %8s\n", "EXPERIMENT", "STATUS", "SECONDS");
        for (size_t i = 0; i < REPORT_N_EXPS; i++) {
            printf("%-10s %-14s %8.1f%s%s\n", report_exps[i].name,
                   report_exp_state_name(report_exps[i].state), report_exps[i].secs,
                   *report_exps[i].why ? "  " : "", report_exps[i].why);
        }
        char shown[4096]; /* as every message shows DIR (cli_printable) */
        snprintf(shown, sizeof shown, "%s", r.out);
        cli_printable(shown);
        printf("\nreport: %s/index.html and %s/report.md (%zu files, %zu "
               "plots, %.1f s)\n",
               shown, shown, r.n_files, r.plots_drawn, total);
    }
    for (size_t i = 0; i < REPORT_N_EXPS; i++)
        json_free(report_exps[i].j);
    return CLI_OK;
}
