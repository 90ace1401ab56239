/* SPDX-License-Identifier: MIT */
/* report.h: the report's document model, its Markdown and HTML writers, and its plots. */
#ifndef COORD_CLI_REPORT_H
#define COORD_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * A report is built once as a list of blocks (headings, paragraphs,
 * tables, images) and written twice: as Markdown and as one HTML page with
 * its style inline. Plots are drawn by gnuplot (when installed) from data
 * files the report writes next to them.
 */
enum rdoc_kind { RD_H1, RD_H2, RD_H3, RD_P, RD_TABLE, RD_IMG, RD_CODE };

struct rdoc_table {
    size_t cols, rows; /* rows excludes the header row */
    char **cell;       /* (rows + 1) * cols strings; row 0 is the header */
};

struct rdoc_block {
    enum rdoc_kind kind;
    char *text;  /* heading, paragraph or code text; image caption */
    char *href;  /* image: the SVG path; its PNG sits beside it */
    char *id;    /* heading: anchor */
    struct rdoc_table *t;
};

struct rdoc {
    struct rdoc_block *b;
    size_t n, cap;
    bool oom; /* an allocation failed: the writers refuse */
};

void rdoc_free(struct rdoc *d);
void rdoc_heading(struct rdoc *d, enum rdoc_kind level, const char *id,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void rdoc_para(struct rdoc *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rdoc_code(struct rdoc *d, const char *text);
void rdoc_image(struct rdoc *d, const char *svg_path, const char *caption);
/* A table with `cols` columns named by the NULL-terminated `header`. */
struct rdoc_table *rdoc_table(struct rdoc *d, const char *const *header);
/* Appends a row of t->cols cells, copied from `cells` (a NULL entry ends
 * the row early: the remaining cells are empty). */
void rdoc_row(struct rdoc *d, struct rdoc_table *t, const char *const *cells);

/* Writers: 0, or -errno. The HTML page carries a small self-check script
 * that marks #selfcheck with data-status ok/fail once every image loaded
 * (used by the browser test, and shown to readers). */
int rdoc_write_md(const struct rdoc *d, FILE *f);
int rdoc_write_html(const struct rdoc *d, FILE *f, const char *title);

/* ---- plots ---------------------------------------------------------------- */

#define RPLOT_MAX_SERIES 8
#define RPLOT_MAX_POINTS 64

struct rplot_series {
    char name[64];
    size_t n;
    double x[RPLOT_MAX_POINTS], y[RPLOT_MAX_POINTS];
    char label[RPLOT_MAX_POINTS][32]; /* bar charts: one label per point */
};

struct rplot {
    char name[48];   /* file stem: plots/<name>.svg and .png */
    char title[128];
    char xlabel[64], ylabel[64];
    bool logx, logy, bars;
    bool yzero; /* the y axis starts at 0 */
    size_t n_series;
    struct rplot_series s[RPLOT_MAX_SERIES];
};

/* A new series named `name` in `p` (NULL when full). */
struct rplot_series *rplot_series(struct rplot *p, const char *name);
/* The series named `name` in `p`, added when there is none yet (NULL when
 * full): rows that arrive in any order, grouped by name. */
struct rplot_series *rplot_series_named(struct rplot *p, const char *name);
void rplot_point(struct rplot_series *s, double x, double y,
                 const char *label);

/* Is gnuplot available (cached)? `why` gets the reason when not. */
bool rplot_available(char *why, size_t cap);

/* Writes <dir>/plots/<name>.dat and .gp, runs gnuplot for .svg and .png.
 * Returns 0 (both images written and non-empty) or -errno with why. */
int rplot_draw(const struct rplot *p, const char *dir, char *why, size_t cap);

#endif
