/* SPDX-License-Identifier: MIT */
/* report.h: the report's document model, its Markdown and HTML writers, and its plots. */
#ifndef COORD_CLI_REPORT_H
#define COORD_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * A report is built once as a list of blocks (headings, paragraphs,
 * tables, plots) and written twice: as Markdown and as one HTML page with
 * its style inline. The page is self-contained: each plot is drawn into it
 * as inline SVG by cli/report-svg.c, so index.html copied alone shows every
 * plot. The plot files beside it (plots/NAME.svg from the same renderer,
 * plots/NAME.png from gnuplot when installed) serve the Markdown and
 * anyone who wants the image on its own.
 *
 * None of these functions is thread-safe on the same document; they
 * neither block nor start processes (rplot_draw runs gnuplot).
 */
enum rdoc_kind { RD_H1, RD_H2, RD_H3, RD_P, RD_TABLE, RD_PLOT };

struct rdoc_table {
    size_t cols, rows; /* rows excludes the header row */
    char **cell;       /* (rows + 1) * cols strings; row 0 is the header */
};

struct rplot;

struct rdoc_block {
    enum rdoc_kind kind;
    char *text;  /* heading, paragraph or code text; plot caption */
    char *id;    /* heading: anchor */
    struct rdoc_table *t;
    struct rplot *plot; /* RD_PLOT: the document's own copy */
    bool png;           /* RD_PLOT: plots/NAME.png exists beside the SVG */
};

struct rdoc {
    struct rdoc_block *b;
    size_t n, cap;
    bool oom; /* an allocation failed: the writers refuse */
};

/* rdoc_free: frees every block of `d` and empties it (reusable after). */
void rdoc_free(struct rdoc *d);
/* rdoc_heading: a heading of `level` (RD_H1..RD_H3), with anchor `id`
 * (NULL: none), its text formatted from `fmt`. Copies everything. An
 * allocation failure marks the document (d->oom) instead of returning. */
void rdoc_heading(struct rdoc *d, enum rdoc_kind level, const char *id,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* rdoc_para: a paragraph formatted from `fmt`; `code` spans, **bold** and
 * [text](href) links are the Markdown the writers understand. Copies;
 * marks d->oom. */
void rdoc_para(struct rdoc *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * rdoc_plot: a figure: plot `p` with its `caption`. The document keeps its
 * own copy of `p` (the caller's may go away) and of `caption`. The HTML
 * writer draws the plot inline as SVG inside <figure> with a <figcaption>,
 * whatever files exist; the Markdown writer shows plots/NAME.png when `png`
 * (rplot_draw drew it), else plots/NAME.svg, so call rplot_draw first.
 * An allocation failure marks the document (d->oom).
 */
void rdoc_plot(struct rdoc *d, const struct rplot *p, const char *caption,
               bool png);
/* rdoc_table: a table with `cols` columns named by the NULL-terminated
 * `header` (copied). Returns the table to pass to rdoc_row, or NULL when out
 * of memory (d->oom is set; rdoc_row accepts the NULL). The writers lay
 * wide tables out for a 1280 px page: a table with more than 7 columns, or
 * whose columns cannot fit side by side, is transposed when it has at most
 * 3 rows and otherwise split into parts that repeat its first column. */
struct rdoc_table *rdoc_table(struct rdoc *d, const char *const *header);
/* rdoc_row: appends a row of t->cols cells, copied from `cells` (a NULL
 * entry ends the row early: the remaining cells are empty). */
void rdoc_row(struct rdoc *d, struct rdoc_table *t, const char *const *cells);

/*
 * rdoc_write_md, rdoc_write_html: write the document to `f` as Markdown,
 * or as one HTML page titled `title` with its style, its plots (inline SVG)
 * and a self-check script inline. When the page has loaded, the script
 * marks the last paragraph (#selfcheck) with data-status ok|fail and counts:
 * data-plots (figures on the page), data-figures (of those, drawn with a
 * non-empty box), data-broken (figures not drawn and images that did not
 * load), data-errors (page errors) and data-overflow (tables and figures
 * wider than their container, plus one when the page itself scrolls
 * sideways); "ok" when every figure is drawn and the other counts are 0.
 * Returns 0, -ENOMEM (the document is marked d->oom) or -EIO (a write
 * failed).
 */
int rdoc_write_md(const struct rdoc *d, FILE *f);
int rdoc_write_html(const struct rdoc *d, FILE *f, const char *title);

/* rdoc_escape: writes the `n` bytes at `s` as XML (and HTML) text: & < > "
 * and ' as entities, control characters as spaces, and each byte of
 * invalid UTF-8 (a multibyte character cut in half, say) as U+FFFD. */
void rdoc_escape(FILE *f, const char *s, size_t n);

/* ---- plots ---------------------------------------------------------------- */

#define RPLOT_MAX_SERIES 8
#define RPLOT_MAX_POINTS 64

/* How an axis's numbers read: plain (1, 10, 1,000, 10k, 1M), percent, or a
 * duration in the given unit, written in the unit its magnitude calls for
 * (a value of 1500 on an RPLOT_NS axis reads "1.5 µs"). */
enum rplot_unit { RPLOT_PLAIN = 0, RPLOT_PCT, RPLOT_NS, RPLOT_US, RPLOT_MS,
                  RPLOT_S };

struct rplot_series {
    char name[64];
    size_t n;
    double x[RPLOT_MAX_POINTS], y[RPLOT_MAX_POINTS];
    /* The spread around y (a p99, a min–max): drawn as an error bar from
     * ylo to yhi; NaN in either: no bar. */
    double ylo[RPLOT_MAX_POINTS], yhi[RPLOT_MAX_POINTS];
    char label[RPLOT_MAX_POINTS][48]; /* bar charts: one label per point */
};

/*
 * A plot: a line chart (points joined in x order) or, with `bars`, a bar
 * chart with one group per label (in order of first appearance) and one
 * bar per series. Zero-initialize, then set the texts and flags and add
 * series. Points with a non-finite x or y are left out; so are points at or
 * below zero on a log axis (an error bar reaching below zero stops at the
 * axis).
 */
struct rplot {
    char name[48];   /* file stem: plots/<name>.svg and .png */
    char title[128];
    char xlabel[64], ylabel[64];
    bool logx, logy, bars;
    bool yzero; /* the y axis starts at 0 (linear axes; bars always do) */
    enum rplot_unit xunit, yunit;
    size_t n_series;
    struct rplot_series s[RPLOT_MAX_SERIES];
};

/* rplot_series: a new series named `name` in `p` (NULL when full). */
struct rplot_series *rplot_series(struct rplot *p, const char *name);
/* rplot_series_named: the series named `name` in `p`, added when there is
 * none yet (NULL when full): rows that arrive in any order, grouped by name. */
struct rplot_series *rplot_series_named(struct rplot *p, const char *name);
/* rplot_point: appends (x, y) with `label` (NULL: none; copied, cut to 47
 * bytes) and no error bar. Does nothing when `s` is NULL or full. */
void rplot_point(struct rplot_series *s, double x, double y,
                 const char *label);
/* rplot_point_range: as rplot_point, with the spread [lo, hi] drawn as an
 * error bar (e.g. p50 with its p99: lo = y, hi = p99; NaN: no bar). */
void rplot_point_range(struct rplot_series *s, double x, double y, double lo,
                       double hi, const char *label);
/* rplot_point_ok: can point i of series `s` of `p` be drawn (x and y
 * finite, and positive on a log axis; a bar chart's x does not count)? */
bool rplot_point_ok(const struct rplot *p, const struct rplot_series *s,
                    size_t i);
/* rplot_points: how many points of `p` can be drawn (rplot_point_ok). */
size_t rplot_points(const struct rplot *p);

/*
 * rplot_svg: writes `p` to `f` as one <svg> element (no XML prolog), sized
 * by a viewBox for a page about 1,000 px wide and scaled to its container's
 * width: title, axes with ticks and labels, grid, series with markers and
 * error bars, legend. Every text is escaped for XML (and invalid UTF-8
 * replaced), so the element is both valid XML and valid inline HTML. The
 * same plot gives the same bytes. A plot with nothing to draw gives a frame
 * that says so. Returns 0, or -EIO when a write to `f` failed.
 */
int rplot_svg(const struct rplot *p, FILE *f);

/* The colour of series k, in the SVG and in gnuplot's PNG alike. */
extern const char *const rplot_colour[RPLOT_MAX_SERIES];

/* rplot_available: is gnuplot available (probed once, cached)? `why` gets
 * the reason when not. Runs `gnuplot --version` the first time. */
bool rplot_available(char *why, size_t cap);

/*
 * rplot_draw: writes <name>.svg (rplot_svg, with an XML prolog), .dat (the
 * data) and .gp (a gnuplot script that draws <name>.png from them, with
 * error bars) into the directory `dir` (a descriptor: the report's plots/,
 * which messages call `dir_path`), each opened there as cli_create_file_at
 * opens; then, when gnuplot is installed, draws <name>.png (at most 30 s).
 * gnuplot names no file: it reads the data and script from its stdin (the
 * data as a datablock) and writes the picture to its stdout, a file opened
 * here through `dir`. *png is set to whether <name>.png was drawn; when
 * not, `why` says why (gnuplot missing or failed: its messages are then in
 * <name>.log, which is removed otherwise; a picture not drawn is removed)
 * and the call still succeeds. Blocks while gnuplot runs. `dir` is
 * borrowed. Returns 0, -EINVAL when `p` has no point to draw, or -errno
 * when a file cannot be written (`why` says which).
 */
int rplot_draw(const struct rplot *p, int dir, const char *dir_path,
               bool *png, char *why, size_t cap);

#endif
