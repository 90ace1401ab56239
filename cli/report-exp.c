/* SPDX-License-Identifier: MIT */
/* report-exp.c: the report's experiments: which exist, running each as `coord NAME --json`, and where its output goes. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "report-parts.h"
#include "launch.h"

struct exp report_exps[] = {
    {"primes", "Example 27.1: cooperative prime search",
     "Four workers search for a prime; the first to find one claims the "
     "flag and the others stop at their next check.",
     NULL},
    {"waste", "Slide 3: iterations wasted without early exit",
     "The lecture's arithmetic (4 workers x 100,000 items, hit at 1,000) "
     "against a measured run, with and without early exit.",
     NULL},
    {"interval", "Example 27.2: the check interval",
     "The same work checked every 1 ... 10,000 iterations and with the "
     "automatic interval, for a cheap and a heavy iteration: overhead and "
     "stop latency.",
     NULL, "--vs-python"},
    {"spectrum", "Slide 8: the shared-state cost spectrum",
     "Per-access cost of each mechanism, from the flag read to the manager "
     "round trip, in C and in Python's multiprocessing side by side.",
     "--vs-python"},
    {"queue", "Slide 2: poison-pill shutdown",
     "Producers and consumers on the bounded queue; one pill per worker "
     "ends them; every task is delivered exactly once.",
     NULL, NULL, "--no-python"},
    {"fraud", "Slide 10: fraud screening with early termination",
     "Four detectors screen each transaction in parallel rounds; the first "
     "flag claims the transaction and the others abandon it at their next "
     "check.",
     NULL},
};
_Static_assert(sizeof report_exps / sizeof report_exps[0] == REPORT_N_EXPS,
               "REPORT_N_EXPS counts report_exps[]");

/* The commands this binary has (the experiments that exist yet). */
static const char *const have_cmds[] = {
#define COORD_COMMAND(name, summary) #name,
#include "commands.def"
#undef COORD_COMMAND
};

bool report_have_command(const char *name)
{
    for (size_t i = 0; i < sizeof have_cmds / sizeof have_cmds[0]; i++)
        if (!strcmp(have_cmds[i], name))
            return true;
    return false;
}

/* How an experiment's state reads in the report, its table and its JSON. */
const char *report_exp_state_name(enum exp_state s)
{
    static const char *const names[] = {[EXP_SKIPPED] = "not run",
                                        [EXP_MISSING] = "not available",
                                        [EXP_FAILED] = "failed",
                                        [EXP_OK] = "ok"};
    return names[s];
}

struct exp *report_exp_by_name(const char *name)
{
    for (size_t i = 0; i < REPORT_N_EXPS; i++)
        if (!strcmp(report_exps[i].name, name))
            return &report_exps[i];
    return NULL;
}

double report_now_s(void)
{
    return (double)coord_clock_ns() / 1e9;
}

char *report_read_file(int dir, const char *name, size_t *len)
{
    /* Non-blocking: a FIFO at the name is refused, not waited on. */
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    FILE *f = NULL;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
        f = fdopen(fd, "rb");
    if (!f) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* The last non-empty line of a file (an experiment's error message). */
void report_last_line(int dir, const char *name, char *out, size_t cap)
{
    size_t len = 0;
    char *s = report_read_file(dir, name, &len);
    out[0] = '\0';
    if (!s)
        return;
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    char *nl = strrchr(s, '\n');
    char *cr = strrchr(nl ? nl : s, '\r'); /* progress lines use \r */
    const char *line = cr ? cr + 1 : nl ? nl + 1 : s;
    snprintf(out, cap, "%s", line);
    free(s);
}

void report_add_file(struct report *r, const char *fmt, ...)
{
    if (r->n_files == sizeof r->files / sizeof r->files[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->files[r->n_files++], sizeof r->files[0], fmt, ap);
    va_end(ap);
    report_manifest_note(r, r->files[r->n_files - 1]);
}

const struct json *report_exp_json(const char *name, char *why, size_t cap)
{
    struct exp *e = report_exp_by_name(name);
    if (e && e->state == EXP_OK)
        return e->j;
    snprintf(why, cap, "not measured (coord %s %s)", name,
             report_exp_state_name(e ? e->state : EXP_MISSING));
    return NULL;
}

/* The report lists only what an experiment really wrote: its JSON when
 * it succeeded; after a failure (an error, a crash, the time limit) the
 * stdout it left is not a JSON document, so it is kept under another
 * name when there is something in it and removed when it is empty. */
static void keep_output(struct report *r, struct exp *e, const char *out)
{
    e->partial = false;
    if (e->state == EXP_OK) {
        report_add_file(r, "data/%s.json", e->name);
        return;
    }
    struct stat sb;
    char kept[128];
    snprintf(kept, sizeof kept, "%s.out.txt", e->name);
    unlinkat(r->data, kept, 0);
    /* A regular file only: a directory planted at data/NAME.json is no
     * output of the experiment (its launch failed on it). */
    if (fstatat(r->data, out, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        renameat(r->data, out, r->data, kept) == 0) {
        e->partial = true;
        report_add_file(r, "data/%s.out.txt", e->name);
    } else {
        unlinkat(r->data, out, 0);
    }
}

/* Opens data/<name> for an experiment's stream (cli_create_file_at on
 * r->data): the descriptor, or -errno with why. */
static int data_file(const struct report *r, const char *name, char *why,
                     size_t cap)
{
    char shown[4200];
    snprintf(shown, sizeof shown, "%s/data", r->out);
    return cli_create_file_at(r->data, shown, name, why, cap);
}

void report_exp_classify(struct report *r, struct exp *e, int rc, int st,
                         const char *why)
{
    char out[128], err[128];
    snprintf(out, sizeof out, "%s.json", e->name);
    snprintf(err, sizeof err, "%s.log", e->name);
    e->why[0] = '\0';
    if (rc != 0) {
        e->state = EXP_FAILED;
        snprintf(e->why, sizeof e->why, "%s", why);
        return;
    }
    char line[200] = "";
    if (st != 0)
        report_last_line(r->data, err, line, sizeof line);
    /* Status 1 after a whole JSON result of this command is a measured
     * failure, not a missing result: `coord queue` exits 1 when a message
     * was lost or a fault probe failed, `coord fraud` when verdicts differ
     * from the reference. Its data are what slide 2's and slide 10's
     * verdicts ("does not hold") are made of. */
    if (st != 0 && st != 1) {
        e->state = EXP_FAILED;
        snprintf(e->why, sizeof e->why, "exit status %d%s%s", st,
                 *line ? ": " : "", line);
        return;
    }
    size_t len = 0;
    char *text = report_read_file(r->data, out, &len);
    char jerr[160];
    const char *cmd = NULL;
    if (!text) {
        e->state = EXP_FAILED;
        snprintf(e->why, sizeof e->why, "cannot read data/%s.json", e->name);
    } else if (json_parse(text, len, &e->j, jerr, sizeof jerr) != 0) {
        e->state = EXP_FAILED;
        if (st != 0)
            snprintf(e->why, sizeof e->why, "exit status %d%s%s", st,
                     *line ? ": " : "", line);
        else
            snprintf(e->why, sizeof e->why, "its --json output is not JSON: "
                                            "%s", jerr);
    } else if (st != 0 && (!(cmd = json_str(json_get(e->j, "command"))) ||
                           strcmp(cmd, e->name) != 0)) {
        json_free(e->j);
        e->j = NULL;
        e->state = EXP_FAILED;
        snprintf(e->why, sizeof e->why, "exit status %d%s%s", st,
                 *line ? ": " : "", line);
    } else {
        e->state = EXP_OK;
        if (st != 0)
            snprintf(e->why, sizeof e->why, "exit status %d%s%s", st,
                     *line ? ": " : "", line);
    }
    free(text);
}

void report_run_one(struct report *r, struct exp *e, size_t idx, size_t n,
                    int timeout_s, bool quick)
{
    char self[4096];
    e->load_before = e->load_after = NAN;
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        e->state = EXP_FAILED;
        snprintf(e->why, sizeof e->why, "cannot find this program "
                                        "(/proc/self/exe)");
        return;
    }
    self[sl] = '\0';
    const char *argv[10];
    size_t k = 0;
    argv[k++] = self;
    argv[k++] = e->name;
    argv[k++] = "--json";
    if (quick)
        argv[k++] = "--quick";
    if (e->extra && (r->python || strcmp(e->extra, "--vs-python") != 0))
        argv[k++] = e->extra;
    if (e->extra_full && !r->quick &&
        (r->python || strcmp(e->extra_full, "--vs-python") != 0))
        argv[k++] = e->extra_full;
    if (!r->python && e->no_python) /* queue runs Python unless told not to */
        argv[k++] = e->no_python;
    argv[k] = NULL;
    size_t cl = (size_t)snprintf(e->cmdline, sizeof e->cmdline, "coord");
    for (size_t i = 1; i < k && cl < sizeof e->cmdline; i++)
        cl += (size_t)snprintf(e->cmdline + cl, sizeof e->cmdline - cl, " %s",
                               argv[i]);
    char out[128], err[128];
    snprintf(out, sizeof out, "%s.json", e->name);
    snprintf(err, sizeof err, "%s.log", e->name);
    fprintf(stderr, "report: [%zu/%zu] %s ...\n", idx, n, e->cmdline);
    e->load_before = report_loadavg();
    double t0 = report_now_s();
    char why[256], label[80];
    snprintf(label, sizeof label, "report: %s", e->name);
    /* Its streams are files opened here, through data/'s descriptor. */
    int ofd = data_file(r, out, why, sizeof why), efd = -1, rc = ofd, st = 0;
    if (ofd >= 0 && (efd = rc = data_file(r, err, why, sizeof why)) >= 0) {
        struct launch l = {.argv = argv, .timeout_ms = timeout_s * 1000,
                           .out = {.to = LAUNCH_FD, .fd = ofd},
                           .err = {.to = LAUNCH_FD, .fd = efd},
                           .progress = label};
        rc = launch_run(&l, why, sizeof why);
        st = l.status;
    }
    if (ofd >= 0)
        close(ofd);
    if (efd >= 0)
        close(efd);
    e->secs = report_now_s() - t0;
    e->load_after = report_loadavg();
    if (rc == 0 && st == 2 && quick) {
        /* A usage error: this experiment may not know --quick yet. */
        fprintf(stderr, "report: [%zu/%zu] %s rejected its options; again "
                        "without --quick\n", idx, n, e->name);
        report_run_one(r, e, idx, n, timeout_s, false);
        return;
    }
    report_exp_classify(r, e, rc, st, why);
    keep_output(r, e, out);
    /* Listed only when there is one (a launch that failed wrote none). */
    struct stat lb;
    if (fstatat(r->data, err, &lb, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(lb.st_mode))
        report_add_file(r, "data/%s.log", e->name);
    fprintf(stderr, "report: [%zu/%zu] %s: %s in %.1f s%s%s\n", idx, n,
            e->name, e->state == EXP_OK ? "done" : "FAILED", e->secs,
            *e->why ? ": " : "", e->why);
}
