/* SPDX-License-Identifier: MIT */
/* report-sections.h: what the section writers (report-sections.c, report-sections-state.c) share: number buffers and row helpers. */
#ifndef COORD_CLI_REPORT_SECTIONS_H
#define COORD_CLI_REPORT_SECTIONS_H

#include <math.h>

#include "report-parts.h"

/* Numbers formatted for one sentence or row: each call takes the next of
 * 16 buffers, so one printf can hold many. */
struct fmt {
    char s[16][64];
    size_t i;
};

static inline char *fb(struct fmt *f)
{
    return f->s[f->i++ % 16];
}

#define NUM(f, v) report_fmt_num(fb(f), 64, (v))
#define NS(f, v) report_fmt_ns(fb(f), 64, (v))
#define NS2(f, p50, p99) report_fmt_ns_spread(fb(f), 64, (p50), (p99))
#define PCT(f, v) report_fmt_pct(fb(f), 64, (v))
#define RATE(f, v) report_fmt_rate(fb(f), 64, (v))

/* One table row of up to 7 cells (a NULL cell ends the row). */
void rsec_row(struct report *r, struct rdoc_table *t, const char *c0,
                    const char *c1, const char *c2, const char *c3,
                    const char *c4, const char *c5, const char *c6);
/* Member `key` of `o` as a number, NAN when absent. */
static inline double num(const struct json *o, const char *key)
{
    return json_num(json_get(o, key), NAN);
}
/* A row's implementation ("coord" when it does not say). */
const char *rsec_impl(const struct json *row);
/* The same as a reader calls it: "coord", "Python", "coord from Python". */
const char *rsec_impl_label(const struct json *row);
/* `v` rounded to 3 significant digits ("396,000×"). */
double rsec_sig3(double v);
/* The row of `rows` whose string member `key` is `val` and whose
 * implementation is `impl`, or NULL. */
const struct json *rsec_where(const struct json *rows,
                                        const char *key, const char *val,
                                        const char *impl);
/* Row i's string member `key` when no earlier row has the same value (one
 * table line per distinct value), else NULL. */
const char *rsec_first_of(const struct json *rows, size_t i,
                                const char *key);

/* The sections of report-sections-state.c. */
void report_section_spectrum(struct report *r, const struct json *j);
void report_section_queue(struct report *r, const struct json *j);

#endif
