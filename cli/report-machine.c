/* SPDX-License-Identifier: MIT */
/* report-machine.c: the report's machine section: CPU, cores, memory, kernel, compiler, load, Python. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <coord.h>

#include "cli.h"
#include "report-parts.h"
#include "launch.h"

static void proc_field(const char *path, const char *key, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = '\0';
    if (!f)
        return;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) != 0)
            continue;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(out, cap, "%s", colon);
        break;
    }
    fclose(f);
}

double report_loadavg(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l1 = NAN;
    if (f) {
        if (fscanf(f, "%lf", &l1) != 1)
            l1 = NAN;
        fclose(f);
    }
    return l1;
}

/* The lowest and highest load sampled around the experiments that ran,
 * and the first sample (before the first experiment): false when none. */
static bool load_span(const struct exp *exps, size_t n, double *lo,
                      double *hi, double *first)
{
    *lo = INFINITY, *hi = -INFINITY, *first = NAN;
    for (size_t i = 0; i < n; i++) {
        if (exps[i].state < EXP_FAILED)
            continue; /* not run */
        const double v[2] = {exps[i].load_before, exps[i].load_after};
        for (int k = 0; k < 2; k++) {
            if (!isfinite(v[k]))
                continue;
            if (!isfinite(*first))
                *first = v[k];
            *lo = v[k] < *lo ? v[k] : *lo;
            *hi = v[k] > *hi ? v[k] : *hi;
        }
    }
    return isfinite(*first);
}

/* The load average: during the run (the samples), and now (1, 5, 15). */
static void load_row(struct report *r, struct rdoc_table *t)
{
    char buf[512], now[96] = "unknown";
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        double l1, l5, l15;
        if (fscanf(lf, "%lf %lf %lf", &l1, &l5, &l15) == 3)
            snprintf(now, sizeof now, "%.2f, %.2f, %.2f", l1, l5, l15);
        fclose(lf);
    }
    double lo, hi, first;
    if (load_span(report_exps, REPORT_N_EXPS, &lo, &hi, &first))
        snprintf(buf, sizeof buf, "%.2f before the first experiment, "
                 "%.2f to %.2f around the experiments (1 min); %s at the "
                 "end (1, 5, 15 min)", first, lo, hi, now);
    else
        snprintf(buf, sizeof buf, "%s at the end (1, 5, 15 min)", now);
    const char *c[] = {"load average", buf, NULL};
    rdoc_row(&r->doc, t, c);
}

size_t report_load_banner(struct rdoc *d, const struct exp *exps, size_t n,
                          long cores)
{
    char names[1024];
    size_t k = 0, len = 0;
    names[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const struct exp *e = &exps[i];
        double b = e->load_before, a = e->load_after;
        if (e->state < EXP_FAILED)
            continue; /* not run */
        if (!(b > (double)cores) && !(a > (double)cores))
            continue;
        k++;
        if (len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len,
                                    "%s%s (%.2f before, %.2f after)",
                                    k > 1 ? ", " : "", e->name, b, a);
    }
    if (k == 0)
        return 0;
    double lo, hi, first;
    load_span(exps, n, &lo, &hi, &first);
    rdoc_para(d,
              "**This machine was loaded during the run.** Its load average "
              "(processes running or waiting for a core, averaged over a "
              "minute) was above its %ld cores around %zu of the "
              "experiments: %s. Those experiments shared the cores with "
              "other work, so their times are longer and noisier than on a "
              "quiet machine, and a worker may wait a whole scheduler time "
              "slice (milliseconds) before it runs, which shows in the stop "
              "latencies. Ratios measured side by side in one run hold up "
              "better than absolute times. The load average counts the "
              "experiments' own workers too (up to 4 processes here); "
              "before the first experiment it was %.2f.",
              cores, k, names, first);
    return k;
}

void report_machine(struct report *r)
{
    static const char *const kv[] = {"what", "value", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, kv);
    char buf[512], cpu[256], mem[64];
    proc_field("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    if (!*cpu)
        proc_field("/proc/cpuinfo", "Hardware", cpu, sizeof cpu);
    const char *rows[][2] = {{"CPU", *cpu ? cpu : "unknown"}};
    rdoc_row(&r->doc, t, rows[0]);
    int n = snprintf(buf, sizeof buf, "%ld online (%ld configured)",
                     sysconf(_SC_NPROCESSORS_ONLN),
                     sysconf(_SC_NPROCESSORS_CONF));
    /* What coord's default worker counts use (taskset, a container's cpuset
     * and a cgroup CPU quota, rounded up, narrow it). */
    if (n > 0 && (size_t)n < sizeof buf)
        snprintf(buf + n, sizeof buf - (size_t)n,
                 "; this process may run on %d", cli_cpus_usable());
    const char *c1[] = {"cores", buf, NULL};
    rdoc_row(&r->doc, t, c1);
    proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
    double kb = atof(mem);
    if (kb > 0)
        snprintf(mem, sizeof mem, "%.1f GiB", kb / (1024.0 * 1024.0));
    const char *c2[] = {"memory", *mem ? mem : "unknown", NULL};
    rdoc_row(&r->doc, t, c2);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
        const char *c3[] = {"kernel", buf, NULL};
        rdoc_row(&r->doc, t, c3);
    }
#if defined(__clang__)
    snprintf(buf, sizeof buf, "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(buf, sizeof buf, "gcc %s", __VERSION__);
#else
    snprintf(buf, sizeof buf, "unknown C compiler");
#endif
    const char *c4[] = {"compiler (of coord)", buf, NULL};
    rdoc_row(&r->doc, t, c4);
    snprintf(buf, sizeof buf, "coord %s", coord_version_string());
    const char *c5[] = {"coord", buf, NULL};
    rdoc_row(&r->doc, t, c5);
    load_row(r, t);
    char py[128] = "";
    const char *argv[] = {"python3", "--version", NULL};
    char why[128];
    struct launch l = {.argv = argv, .timeout_ms = 10000,
                       .out = {.to = LAUNCH_CAPTURE, .buf = py,
                               .cap = sizeof py},
                       .err = {.to = LAUNCH_STDOUT}};
    if (launch_run(&l, why, sizeof why) != 0 || l.status != 0)
        py[0] = '\0';
    py[strcspn(py, "\n")] = '\0';
    const char *c7[] = {"python3", *py ? py : "not found (Python columns "
                                              "are skipped)", NULL};
    rdoc_row(&r->doc, t, c7);
}
