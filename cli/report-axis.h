/* SPDX-License-Identifier: MIT */
/* report-axis.h: a plot's axes for the SVG renderer: range, ticks, tick labels, numbers in human units. */
#ifndef COORD_CLI_REPORT_AXIS_H
#define COORD_CLI_REPORT_AXIS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "report.h"

/*
 * An axis maps values to drawing positions between p0 and p1 (report-svg.c
 * sets them). A log axis works in log10 space. The functions are pure
 * (no I/O), any thread may call them on its own struct axis.
 */
#define AXIS_MAX_TICKS 64 /* six decades with their minor ticks: 6 * 9 + 1 */

struct axis {
    bool log;
    enum rplot_unit unit;
    double lo, hi;   /* the range, in axis space (log10 on a log axis) */
    double p0, p1;   /* drawing positions of lo and hi */
    size_t n;
    double tick[AXIS_MAX_TICKS]; /* in axis space */
    bool label[AXIS_MAX_TICKS];  /* a labelled (major) tick */
};

/* Coordinates are written with one decimal; -0.0 is written as 0.0 so
 * that equal drawings are equal bytes. */
static inline double axis_r1(double v)
{
    v = round(v * 10) / 10;
    return v == 0 ? 0 : v;
}

/* axis_pos: the drawing position of value v, clamped to the axis (a value
 * at or below zero on a log axis goes to its foot); rounded as axis_r1. */
double axis_pos(const struct axis *a, double v);

/* axis_tick_value: the value of tick i (0 <= i < a->n). */
double axis_tick_value(const struct axis *a, size_t i);

/* axis_fmt_value: v for people into b[cap], with `sig` significant digits:
 * "0.25", "1,000", "25k", "1.5M"; in the time units the rounded value calls
 * for ("150 ns", "1.5 µs", "20 ms") when `unit` is a time unit; "12%" for
 * RPLOT_PCT; "n/a" or "∞" when not finite. */
void axis_fmt_value(char *b, size_t cap, double v, enum rplot_unit unit,
                    int sig);

/* axis_build: axis `a` (log or linear, in `unit`) for the values in
 * [mn, mx] (mn > mx: no values, a default range); with `zero`, bars rise
 * from its foot: a linear axis then includes 0, a log axis starts at a
 * power of ten. Sets lo, hi and the ticks; leaves p0 and p1 alone. */
void axis_build(struct axis *a, bool log, enum rplot_unit unit, double mn,
                double mx, bool zero);

/* axis_tick_labels: the label of each labelled tick of `a` into lab[i]
 * ("" for a minor tick). */
void axis_tick_labels(const struct axis *a, char lab[][48]);

#endif
