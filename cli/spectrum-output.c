/* SPDX-License-Identifier: MIT */
/* spectrum-output.c: what `coord spectrum` prints: the JSON document (coord.spectrum/2) or the table, with verdicts and targets. */
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli-mpi.h"
#include "cli.h"
#include "spectrum.h"

void spectrum_print_json(int runs, const struct result *res,
                         const char *py_skip, bool vs_python,
                         const struct target *t, size_t nt, double ratio_c,
                         const double *ratio_py)
{
    char vb[64];
    struct jw w;
    jw_init(&w, stdout);
    cli_json_begin(&w, "spectrum", SPECTRUM_JSON_VERSION);
    jw_kint(&w, "runs", runs);
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
        jw_kstr(&w, "verdict", spectrum_verdict(d, res[r].p50, vb, sizeof vb));
        jw_object_end(&w);
        if (res[r].have_py) {
            jw_object(&w);
            jw_kstr(&w, "mechanism", d->mech);
            jw_kstr(&w, "impl", "python");
            jw_kps(&w, "per_op_p50_ps", res[r].py_p50 * 1e3);
            jw_kps(&w, "per_op_p99_ps", res[r].py_p99 * 1e3);
            /* Python's own flag_check missing (spectrum.py gives no row
             * for a cost below its empty loop's noise): no ratio, null
             * (docs/json.md), not 0. */
            jw_knum(&w, "ratio_to_flag_check",
                    pyflag > 0 ? res[r].py_p50 / pyflag : NAN);
            jw_knum(&w, "coord_speedup", res[r].py_p50 / res[r].p50);
            jw_kstr(&w, "what", res[r].py_detail);
            jw_kstr(&w, "lecture_claim", d->claim);
            jw_kstr(&w, "verdict", spectrum_verdict(d, res[r].py_p50, vb, sizeof vb));
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

void spectrum_print_table(int runs, const struct result *res,
                          const char *py_skip, bool vs_python,
                          const struct target *t, size_t nt, double ratio_c,
                          const double *ratio_py)
{
    char vb[64], vp[64];
    printf("coord spectrum: per-access cost on this machine (%ld CPUs), "
           "ns/op, median and p99 of %d runs\n\n",
           sysconf(_SC_NPROCESSORS_ONLN), runs);
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
            if (res[r].have_py) {
                /* Below 10x one decimal: a speed-up under 1 (Python's
                 * socket round trip faster on a loaded machine) read
                 * "0x" with none. */
                double x = res[r].py_p50 / res[r].p50;
                printf(" %11.1f %8.*fx", res[r].py_p50, x < 10 ? 1 : 0, x);
            }
            else
                printf(" %11s %9s", py_skip ? "skipped" : "-", "");
            /* Python using coord (impl python_coord), same run. */
            if (res[r].have_pyc)
                printf(" %11.1f", res[r].pyc_p50);
            else
                printf(" %11s", "-");
        }
        spectrum_verdict(d, res[r].p50, vb, sizeof vb);
        if (res[r].have_py && d->hi > 0) {
            spectrum_verdict(d, res[r].py_p50, vp, sizeof vp);
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
    if (res[R_MGET].have_py) {
        double x = res[R_MGET].py_p50 / res[R_MGET_BLOCK].p50;
        /* "0.45x faster" meant slower. */
        if (x >= 1)
            printf(", %.2fx faster than python's Manager dict get", x);
        else
            printf(", %.2fx slower than python's Manager dict get", 1 / x);
    }
    printf("\n");
    printf("\nreads from a forked child use the same mappings; round trips "
           "go through a second process.\n");
}

/* Stores this run's medians in the per-user cache that `coord advise`
 * prices from (docs/advise.md); a failure costs only a warning. */
