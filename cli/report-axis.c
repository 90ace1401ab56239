/* SPDX-License-Identifier: MIT */
/* report-axis.c: a plot's axes: range, ticks at 1, 2 and 5 times powers of ten, and tick labels in human units. */
#include <math.h>
#include <stdio.h>

#include "report-axis.h"
#include "fmt.h"

static double to_axis(const struct axis *a, double v)
{
    return a->log ? log10(v) : v;
}

/* The drawing position of value v (already known to fit the axis). */
double axis_pos(const struct axis *a, double v)
{
    double t = to_axis(a, v);
    if (a->log && !isfinite(t))
        t = a->lo; /* at or below zero on a log axis: the axis's end */
    double f = a->hi > a->lo ? (t - a->lo) / (a->hi - a->lo) : 0.5;
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    return axis_r1(a->p0 + f * (a->p1 - a->p0));
}

double axis_tick_value(const struct axis *a, size_t i)
{
    return a->log ? pow(10, a->tick[i]) : a->tick[i];
}

void axis_fmt_value(char *b, size_t cap, double v, enum rplot_unit unit,
                    int sig)
{
    static const double to_ns[] = {[RPLOT_NS] = 1, [RPLOT_US] = 1e3,
                                   [RPLOT_MS] = 1e6, [RPLOT_S] = 1e9};
    static const char *const zero[] = {[RPLOT_NS] = "0 ns", [RPLOT_US] = "0 µs",
                                       [RPLOT_MS] = "0 ms", [RPLOT_S] = "0 s"};
    if (!isfinite(v)) {
        snprintf(b, cap, "%s", isnan(v) ? "n/a" : v > 0 ? "∞" : "−∞");
        return;
    }
    if (unit == RPLOT_PLAIN || unit == RPLOT_PCT) {
        char num[40];
        fmt_sig(v, sig, num, sizeof num);
        snprintf(b, cap, "%s%s", num, unit == RPLOT_PCT ? "%" : "");
    } else if (v == 0) {
        snprintf(b, cap, "%s", zero[unit]); /* in the axis's own unit */
    } else {
        fmt_sig_ns(v * to_ns[unit], sig, b, cap);
    }
}

/* Ticks of a linear axis over [mn, mx]: 1, 2 or 5 times a power of ten
 * apart, about five to ten of them, the range widened to whole steps. */
static void ticks_linear(struct axis *a, double mn, double mx)
{
    if (!(mx > mn)) {
        double d = mn == 0 ? 1 : fabs(mn) * 0.1;
        mn -= mn == 0 ? 0 : d;
        mx += d;
    }
    double raw = (mx - mn) / 5, mag = pow(10, floor(log10(raw)));
    double nrm = raw / mag;
    double step = (nrm < 1.5 ? 1 : nrm < 3 ? 2 : nrm < 7 ? 5 : 10) * mag;
    a->n = 0;
    if (!isfinite(step) || step <= 0 || !isfinite(mn / step) ||
        !isfinite(mx / step)) {
        /* A range too wide to step through: its ends only. */
        a->lo = mn;
        a->hi = mx;
        a->tick[0] = mn;
        a->tick[1] = mx;
        a->label[0] = a->label[1] = true;
        a->n = 2;
        return;
    }
    a->lo = floor(mn / step) * step;
    a->hi = ceil(mx / step) * step;
    for (int i = 0; a->n < AXIS_MAX_TICKS; i++) {
        double v = a->lo + i * step;
        if (v > a->hi + step * 1e-6)
            break;
        if (fabs(v) < step * 1e-9)
            v = 0;
        a->label[a->n] = true;
        a->tick[a->n++] = v;
    }
}

/* The largest 1, 2 or 5 times a power of ten at or below v (up: the
 * smallest at or above), as log10. */
static double log_nice(double v, bool up)
{
    static const double m[] = {1, 2, 5, 10};
    double e = floor(log10(v));
    double f = v / pow(10, e);
    if (up) {
        for (int i = 0; i < 4; i++)
            if (m[i] >= f * (1 - 1e-9))
                return e + log10(m[i]);
    }
    for (int i = 3; i >= 0; i--)
        if (m[i] <= f * (1 + 1e-9))
            return e + log10(m[i]);
    return e;
}

/* Ticks of a log axis over [mn, mx] (both > 0), the range ending at 1, 2
 * or 5 times a power of ten (starting at a power of ten with `decade`, so
 * that bars rising from the axis's foot are never flat): the powers of
 * ten, every few when there are many decades; 2 and 5 times them too over
 * up to two decades, unlabelled minor ticks 2..9 over up to six, and the
 * axis's ends when no label is near them. */
static void ticks_log(struct axis *a, double mn, double mx, bool decade)
{
    double l0 = floor(log10(mn)), l1 = ceil(log10(mx));
    if (l1 <= l0)
        l1 = l0 + 1;
    double decades = l1 - l0, step = decades <= 8 ? 1 : ceil(decades / 8);
    a->lo = decades <= 8 && !decade ? log_nice(mn, false) : l0;
    a->hi = decades <= 8 ? log_nice(mx, true) : l1;
    if (!(a->hi > a->lo))
        a->hi = a->lo + 1;
    a->n = 0;
    for (double e = l0; e <= l1 + 1e-9 && a->n < AXIS_MAX_TICKS; e += step) {
        for (int m = 1; m <= 9 && a->n < AXIS_MAX_TICKS; m++) {
            if (m > 1 && decades > 6)
                break;
            double t = e + log10(m);
            if (t < a->lo - 1e-9 || t > a->hi + 1e-9)
                continue;
            a->label[a->n] = m == 1 || (decades <= 2 && (m == 2 || m == 5));
            a->tick[a->n++] = t;
        }
    }
    /* An axis that ends between powers of ten says where (2 µs, 5,000),
     * unless a label is already near. */
    for (size_t end = 0; end < 2 && a->n > 1; end++) {
        size_t i = end ? a->n - 1 : 0;
        bool near = false;
        for (size_t j = 0; j < a->n; j++)
            near |= a->label[j] && j != i &&
                    fabs(a->tick[j] - a->tick[i]) < 0.12 * (a->hi - a->lo);
        if (fabs(a->tick[i] - (end ? a->hi : a->lo)) < 1e-9 && !near)
            a->label[i] = true;
    }
}

/* Builds axis `a` for the values in [mn, mx] (mn > mx: no values); with
 * `zero`, bars rise from its foot: a linear axis then includes 0, a log
 * axis starts at a power of ten. */
void axis_build(struct axis *a, bool log, enum rplot_unit unit, double mn,
                double mx, bool zero)
{
    a->log = log;
    a->unit = unit;
    if (log) {
        if (!(mn <= mx))
            mn = 1, mx = 10;
        ticks_log(a, mn, mx, zero);
        return;
    }
    if (!(mn <= mx))
        mn = 0, mx = 1;
    if (zero) {
        mn = mn < 0 ? mn : 0;
        mx = mx > 0 ? mx : 0;
        if (mn == 0 && mx == 0)
            mx = 1;
    }
    ticks_linear(a, mn, mx);
}

/* Labels of the ticks of `a` that carry one, written into lab[]. */
void axis_tick_labels(const struct axis *a, char lab[][48])
{
    for (size_t i = 0; i < a->n; i++)
        if (a->label[i])
            axis_fmt_value(lab[i], sizeof lab[i], axis_tick_value(a, i), a->unit, 4);
        else
            lab[i][0] = '\0';
}
