/* SPDX-License-Identifier: MIT */
/* report-svg.c: a plot drawn as one SVG element: axes, ticks, series, error bars, legend. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report-axis.h"

/* The drawing's coordinate system: 960 units wide, scaled to the width of
 * its container (a 1,100 px column on a 1280 px page draws 1 unit as about
 * 1.15 px, so a 12-unit label reads as a 14 px one). The height follows
 * from what is below the plot area (labels, legend). */
#define SVG_W 960.0
#define PLOT_H 320.0
#define TICK_FONT 12.0
#define LABEL_FONT 13.0
#define TITLE_FONT 17.0
/* The width of an average glyph as a fraction of the font size in a sans
 * font: used to lay out text (the browser does not tell us). */
#define GLYPH 0.58
#define AXIS_MAX_TICKS 64 /* six decades with their minor ticks: 6 * 9 + 1 */
#define MAX_CATS (RPLOT_MAX_SERIES * RPLOT_MAX_POINTS)

/* Okabe and Ito's palette, readable by colour-blind readers; the markers'
 * shapes differ as well. */
const char *const rplot_colour[RPLOT_MAX_SERIES] = {
    "#0072b2", "#d55e00", "#009e73", "#cc79a7",
    "#e69f00", "#56b4e9", "#000000", "#999999"};

/* Layout width of a text of `font` units: its characters (not bytes). */
static double text_w(const char *s, double font)
{
    size_t chars = 0;
    for (; *s; s++)
        chars += ((unsigned char)*s & 0xc0) != 0x80;
    return (double)chars * font * GLYPH;
}

static void put_text(FILE *f, double x, double y, const char *attrs,
                     const char *text)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", axis_r1(x), axis_r1(y),
            *attrs ? " " : "", attrs);
    rdoc_escape(f, text, strlen(text));
    fputs("</text>\n", f);
}

/* Widens [*mn, *mx] by v when v can go on the axis. */
static void take(double v, bool log, double *mn, double *mx)
{
    if (!isfinite(v) || (log && !(v > 0)))
        return;
    *mn = v < *mn ? v : *mn;
    *mx = v > *mx ? v : *mx;
}

/* The error bar of point i, when it has one: its ends, lo <= hi. */
static bool spread(const struct rplot_series *s, size_t i, double *lo,
                   double *hi)
{
    double a = s->ylo[i], b = s->yhi[i];
    if (!isfinite(a) || !isfinite(b))
        return false;
    *lo = a < b ? a : b;
    *hi = a < b ? b : a;
    return true;
}

/* The categories of a bar chart: every label, in order of first
 * appearance across the series. */
static size_t categories(const struct rplot *p, const char **cat)
{
    size_t n = 0;
    for (size_t k = 0; k < p->n_series; k++)
        for (size_t i = 0; i < p->s[k].n; i++) {
            const char *l = p->s[k].label[i];
            size_t c = 0;
            while (c < n && strcmp(cat[c], l))
                c++;
            if (c == n && n < MAX_CATS)
                cat[n++] = l;
        }
    return n;
}

/* The first drawable point of series s labelled `label`, or -1. */
static long point_of(const struct rplot *p, const struct rplot_series *s,
                     const char *label)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->label[i], label) && rplot_point_ok(p, s, i))
            return (long)i;
    return -1;
}

static void marker(FILE *f, size_t k, double x, double y)
{
    switch (k % 4) {
    case 0:
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\">", x, y);
        break;
    case 1:
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\">",
                axis_r1(x - 3.5), axis_r1(y - 3.5));
        break;
    case 2:
        fprintf(f, "<path d=\"M%.1f %.1fl5 5l-5 5l-5-5z\">", x, axis_r1(y - 5));
        break;
    default:
        fprintf(f, "<path d=\"M%.1f %.1fl4.5 8.5h-9z\">", x, axis_r1(y - 5.5));
        break;
    }
}

static const char *const marker_end[] = {"</circle>\n", "</rect>\n",
                                         "</path>\n", "</path>\n"};

/* A point's tooltip: series, label or x, value and spread. */
static void point_title(FILE *f, const struct rplot *p,
                        const struct rplot_series *s, size_t i)
{
    char t[320], v[48], lo[48], hi[48], x[48];
    axis_fmt_value(v, sizeof v, s->y[i], p->yunit, 3);
    if (p->bars || s->label[i][0])
        snprintf(x, sizeof x, "%s", s->label[i]);
    else
        axis_fmt_value(x, sizeof x, s->x[i], p->xunit, 4);
    double a, b;
    if (spread(s, i, &a, &b)) {
        axis_fmt_value(lo, sizeof lo, a, p->yunit, 3);
        axis_fmt_value(hi, sizeof hi, b, p->yunit, 3);
        snprintf(t, sizeof t, "%s, %s: %s (spread %s to %s)", s->name, x, v,
                 lo, hi);
    } else {
        snprintf(t, sizeof t, "%s, %s: %s", s->name, x, v);
    }
    fputs("<title>", f);
    rdoc_escape(f, t, strlen(t));
    fputs("</title>", f);
}

static void error_bar(FILE *f, double x, double ylo, double yhi, double cap)
{
    fprintf(f, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fh%.1fM%.1f %.1fh%.1f\"/>\n",
            x, ylo, yhi, axis_r1(x - cap), ylo, axis_r1(2 * cap), axis_r1(x - cap), yhi,
            axis_r1(2 * cap));
}

/* Is `s` a number as written in a label ("10", "1e3")? */
static bool numeric_label(const char *s)
{
    char *end;
    if (!*s)
        return true;
    (void)strtod(s, &end);
    return *end == '\0';
}

static void draw_lines(FILE *f, const struct rplot *p, const struct axis *ax,
                       const struct axis *ay)
{
    double placed[RPLOT_MAX_POINTS];
    size_t n_placed = 0;
    for (size_t k = 0; k < p->n_series; k++) {
        const struct rplot_series *s = &p->s[k];
        /* Drawable points in x order (a stable insertion sort). */
        size_t ord[RPLOT_MAX_POINTS], n = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (!rplot_point_ok(p, s, i))
                continue;
            size_t j = n++;
            for (; j > 0 && s->x[ord[j - 1]] > s->x[i]; j--)
                ord[j] = ord[j - 1];
            ord[j] = i;
        }
        if (n == 0)
            continue;
        fprintf(f, "<g stroke=\"%s\" fill=\"%s\">\n", rplot_colour[k],
                rplot_colour[k]);
        /* Error bars of different series at the same x stand a little
         * apart, so that each stays visible (their markers do not move). */
        double dodge = 3 * ((double)k - (double)(p->n_series - 1) / 2);
        for (size_t j = 0; j < n; j++) {
            size_t i = ord[j];
            double lo, hi;
            if (spread(s, i, &lo, &hi))
                error_bar(f, axis_r1(axis_pos(ax, s->x[i]) + dodge), axis_pos(ay, lo),
                          axis_pos(ay, hi), 4);
        }
        if (n > 1) {
            fputs("<polyline fill=\"none\" stroke-width=\"2\" points=\"", f);
            for (size_t j = 0; j < n; j++)
                fprintf(f, "%s%.1f,%.1f", j ? " " : "", axis_pos(ax, s->x[ord[j]]),
                        axis_pos(ay, s->y[ord[j]]));
            fputs("\"/>\n", f);
        }
        for (size_t j = 0; j < n; j++) {
            size_t i = ord[j];
            marker(f, k, axis_pos(ax, s->x[i]), axis_pos(ay, s->y[i]));
            point_title(f, p, s, i);
            fputs(marker_end[k % 4], f);
        }
        fputs("</g>\n", f);
        /* Labels that are not the x value itself ("auto": where an
         * automatic interval settled), once per x. */
        for (size_t j = 0; j < n; j++) {
            size_t i = ord[j];
            if (numeric_label(s->label[i]))
                continue;
            bool dup = false;
            for (size_t d = 0; d < n_placed; d++)
                dup |= placed[d] == s->x[i];
            if (dup || n_placed == RPLOT_MAX_POINTS)
                continue;
            placed[n_placed++] = s->x[i];
            /* Right of the point, or left of it near the right edge. */
            double x = axis_pos(ax, s->x[i]);
            bool left = x + 7 + text_w(s->label[i], TICK_FONT) > SVG_W - 4;
            char attrs[96];
            snprintf(attrs, sizeof attrs,
                     "font-size=\"%.0f\" fill=\"%s\"%s", TICK_FONT,
                     rplot_colour[k], left ? " text-anchor=\"end\"" : "");
            put_text(f, left ? x - 7 : x + 7, axis_pos(ay, s->y[i]) - 8, attrs,
                     s->label[i]);
        }
    }
}

static void draw_bars(FILE *f, const struct rplot *p, const struct axis *ay,
                      const char **cat, size_t nc, double x0, double pw)
{
    double gw = pw / (double)nc, bw = gw * 0.8 / (double)p->n_series;
    double base = axis_pos(ay, ay->log ? pow(10, ay->lo) : 0);
    for (size_t k = 0; k < p->n_series; k++) {
        const struct rplot_series *s = &p->s[k];
        fprintf(f, "<g fill=\"%s\">\n", rplot_colour[k]);
        for (size_t c = 0; c < nc; c++) {
            long i = point_of(p, s, cat[c]);
            if (i < 0)
                continue;
            double x = x0 + gw * (double)c + gw * 0.1 + bw * (double)k;
            double y = axis_pos(ay, s->y[i]);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\">",
                    axis_r1(x), y < base ? y : base, axis_r1(bw - 1),
                    axis_r1(fabs(base - y)));
            point_title(f, p, s, (size_t)i);
            fputs("</rect>\n", f);
        }
        fputs("</g>\n", f);
    }
    /* Error bars, and values above the bars when every one fits above
     * its bar (some labelled and some not would read as a pattern). */
    bool values = true;
    for (size_t k = 0; k < p->n_series && values; k++)
        for (size_t c = 0; c < nc && values; c++) {
            long i = point_of(p, &p->s[k], cat[c]);
            char v[48];
            if (i < 0)
                continue;
            axis_fmt_value(v, sizeof v, p->s[k].y[i], p->yunit, 3);
            values = text_w(v, 10) <= bw + 2;
        }
    fputs("<g stroke=\"#333\" fill=\"#333\">\n", f);
    for (size_t k = 0; k < p->n_series; k++) {
        const struct rplot_series *s = &p->s[k];
        for (size_t c = 0; c < nc; c++) {
            long i = point_of(p, s, cat[c]);
            if (i < 0)
                continue;
            double cx = x0 + gw * (double)c + gw * 0.1 + bw * ((double)k + 0.5);
            double top = axis_pos(ay, s->y[i]), lo, hi;
            if (spread(s, (size_t)i, &lo, &hi)) {
                double cap = bw / 4 < 4 ? bw / 4 : 4;
                error_bar(f, axis_r1(cx), axis_pos(ay, lo), axis_pos(ay, hi), cap);
                top = axis_pos(ay, hi) < top ? axis_pos(ay, hi) : top;
            }
            char v[48];
            axis_fmt_value(v, sizeof v, s->y[i], p->yunit, 3);
            if (values)
                put_text(f, cx - 0.5, top - 4,
                         "font-size=\"10\" stroke=\"none\" "
                         "text-anchor=\"middle\"",
                         v);
        }
    }
    fputs("</g>\n", f);
}

struct legend {
    size_t rows;
    size_t row_of[RPLOT_MAX_SERIES];
    double x_of[RPLOT_MAX_SERIES];
};

/* Lays the legend's entries out in rows of at most `width`, each row
 * centred on `mid`. */
static void legend_layout(const struct rplot *p, struct legend *lg,
                          double mid, double width)
{
    double row_w[RPLOT_MAX_SERIES] = {0};
    lg->rows = 0;
    for (size_t k = 0; k < p->n_series; k++) {
        double w = 30 + text_w(p->s[k].name, LABEL_FONT);
        size_t r = lg->rows ? lg->rows - 1 : 0;
        if (lg->rows == 0 || (row_w[r] > 0 && row_w[r] + 24 + w > width))
            r = lg->rows++;
        lg->row_of[k] = r;
        lg->x_of[k] = row_w[r] + (row_w[r] > 0 ? 24 : 0);
        row_w[r] = lg->x_of[k] + w;
    }
    for (size_t k = 0; k < p->n_series; k++)
        lg->x_of[k] += mid - row_w[lg->row_of[k]] / 2;
}

static void legend_draw(FILE *f, const struct rplot *p,
                        const struct legend *lg, double y0)
{
    for (size_t k = 0; k < p->n_series; k++) {
        double x = lg->x_of[k], y = y0 + 22 * (double)lg->row_of[k];
        fprintf(f, "<g stroke=\"%s\" fill=\"%s\">", rplot_colour[k],
                rplot_colour[k]);
        if (p->bars)
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" "
                       "height=\"12\" stroke=\"none\"/>",
                    axis_r1(x), axis_r1(y - 11));
        else {
            fprintf(f, "<path stroke-width=\"2\" d=\"M%.1f %.1fh22\"/>",
                    axis_r1(x), axis_r1(y - 5));
            marker(f, k, axis_r1(x + 11), axis_r1(y - 5));
            fputs(marker_end[k % 4], f);
        }
        fputs("</g>\n", f);
        put_text(f, x + 30, y, "", p->s[k].name);
    }
}

int rplot_svg(const struct rplot *p, FILE *f)
{
    struct axis ax = {0}, ay = {0};
    double ymn = INFINITY, ymx = -INFINITY, xmn = INFINITY, xmx = -INFINITY;
    for (size_t k = 0; k < p->n_series; k++) {
        const struct rplot_series *s = &p->s[k];
        for (size_t i = 0; i < s->n && i < RPLOT_MAX_POINTS; i++) {
            if (!rplot_point_ok(p, s, i))
                continue;
            double lo, hi;
            take(s->y[i], p->logy, &ymn, &ymx);
            if (spread(s, i, &lo, &hi)) {
                take(lo, p->logy, &ymn, &ymx);
                take(hi, p->logy, &ymn, &ymx);
            }
            if (!p->bars)
                take(s->x[i], p->logx, &xmn, &xmx);
        }
    }
    bool empty = rplot_points(p) == 0;
    axis_build(&ay, p->logy, p->yunit, ymn, ymx, p->yzero || p->bars);
    if (!p->bars)
        axis_build(&ax, p->logx, p->xunit, xmn, xmx, false);

    const char *cat[MAX_CATS];
    size_t nc = p->bars ? categories(p, cat) : 0;

    /* Horizontal layout: y tick labels and the y label on the left. */
    char ylab[AXIS_MAX_TICKS][48], xlab[AXIS_MAX_TICKS][48];
    axis_tick_labels(&ay, ylab);
    double yw = 0;
    for (size_t i = 0; i < ay.n; i++)
        if (text_w(ylab[i], TICK_FONT) > yw)
            yw = text_w(ylab[i], TICK_FONT);
    double left = (p->ylabel[0] ? 34 : 10) + yw + 10, right = 24;
    if (!p->bars) {
        axis_tick_labels(&ax, xlab);
        double last = text_w(xlab[ax.n - 1], TICK_FONT) / 2 + 8;
        right = last > right ? last : right;
    }
    /* Bar labels that do not fit under their group are turned by 35
     * degrees; the first must not run off the left edge. */
    double lab_w = 0, pw = SVG_W - left - right;
    for (size_t c = 0; c < nc; c++)
        if (text_w(cat[c], TICK_FONT) > lab_w)
            lab_w = text_w(cat[c], TICK_FONT);
    bool turned = nc > 0 && lab_w > pw / (double)nc - 6;
    if (turned) {
        double need = text_w(cat[0], TICK_FONT) * 0.82 -
                      pw / (double)nc / 2 + 12;
        if (need > left) {
            left = need;
            pw = SVG_W - left - right;
        }
    }
    /* Vertical layout: title, plot, tick labels, x label, legend. */
    double top = p->title[0] ? 50 : 16, y0 = top + PLOT_H;
    double below = turned ? lab_w * 0.574 + 24 : 24;
    double xlab_y = y0 + below + (p->xlabel[0] ? 18 : 0);
    struct legend lg;
    bool legend = p->n_series > 1 || (p->n_series == 1 && p->s[0].name[0]);
    legend_layout(p, &lg, left + pw / 2, pw);
    double legend_y = xlab_y + 28;
    double h = legend ? legend_y + 22 * (double)(lg.rows - 1) + 12
                      : xlab_y + 14;
    /* A line chart's points keep clear of the frame (a marker or an error
     * bar at the end of an axis would sit on it); bars stand on it. */
    double inset = p->bars ? 0 : 10;
    ax.p0 = left + inset;
    ax.p1 = left + pw - inset;
    ay.p0 = y0 - inset;
    ay.p1 = top + inset;

    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"rplot\" "
               "viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" "
               "aria-label=\"",
            SVG_W, ceil(h));
    rdoc_escape(f, p->title, strlen(p->title));
    fputs("\" font-family=\"system-ui,-apple-system,'Segoe UI',sans-serif\" "
          "font-size=\"13\" fill=\"#222\">\n<title>",
          f);
    rdoc_escape(f, p->title, strlen(p->title));
    fprintf(f, "</title>\n<rect width=\"%.0f\" height=\"%.0f\" "
               "fill=\"#fff\" stroke=\"none\"/>\n",
            SVG_W, ceil(h));
    if (p->title[0]) {
        /* A long title is set smaller rather than cut. */
        double tf = TITLE_FONT, tw = text_w(p->title, tf) * 1.05;
        if (tw > SVG_W - 20)
            tf *= (SVG_W - 20) / tw;
        char attrs[96];
        snprintf(attrs, sizeof attrs, "font-size=\"%.1f\" font-weight=\"bold\" "
                                      "text-anchor=\"middle\"", tf);
        put_text(f, SVG_W / 2, 30, attrs, p->title);
    }
    /* Grid and ticks. */
    fputs("<g stroke=\"#e3e3ea\" stroke-width=\"1\">\n", f);
    for (size_t i = 0; i < ay.n; i++)
        if (ay.label[i] || !ay.log)
            fprintf(f, "<path d=\"M%.1f %.1fH%.1f\"/>\n", axis_r1(left),
                    axis_pos(&ay, axis_tick_value(&ay, i)), axis_r1(left + pw));
    for (size_t i = 0; !p->bars && i < ax.n; i++)
        if (ax.label[i] || !ax.log)
            fprintf(f, "<path d=\"M%.1f %.1fV%.1f\"/>\n",
                    axis_pos(&ax, axis_tick_value(&ax, i)), axis_r1(top), axis_r1(y0));
    fputs("</g>\n<g stroke=\"#778\">\n", f);
    for (size_t i = 0; i < ay.n; i++)
        fprintf(f, "<path d=\"M%.1f %.1fh%d\"/>\n", axis_r1(left),
                axis_pos(&ay, axis_tick_value(&ay, i)), ay.label[i] ? -6 : -3);
    for (size_t i = 0; !p->bars && i < ax.n; i++)
        fprintf(f, "<path d=\"M%.1f %.1fv%d\"/>\n",
                axis_pos(&ax, axis_tick_value(&ax, i)), axis_r1(y0), ax.label[i] ? 6 : 3);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"none\"/>\n</g>\n",
            axis_r1(left), axis_r1(top), axis_r1(pw), axis_r1(PLOT_H));
    /* Tick labels: every other one on the x axis when they would touch. */
    fprintf(f, "<g font-size=\"%.0f\">\n", TICK_FONT);
    for (size_t i = 0; i < ay.n; i++)
        if (ylab[i][0])
            put_text(f, left - 9, axis_pos(&ay, axis_tick_value(&ay, i)) + 4,
                     "text-anchor=\"end\"", ylab[i]);
    if (!p->bars) {
        size_t labelled = 0;
        double widest = 0;
        for (size_t i = 0; i < ax.n; i++)
            if (xlab[i][0]) {
                labelled++;
                double w = text_w(xlab[i], TICK_FONT);
                widest = w > widest ? w : widest;
            }
        size_t every = labelled && (widest + 10) * (double)labelled > pw ? 2
                                                                         : 1;
        for (size_t i = 0, j = 0; i < ax.n; i++)
            if (xlab[i][0] && j++ % every == 0)
                put_text(f, axis_pos(&ax, axis_tick_value(&ax, i)), y0 + 20,
                         "text-anchor=\"middle\"", xlab[i]);
    }
    for (size_t c = 0; c < nc; c++) {
        double cx = left + pw / (double)nc * ((double)c + 0.5);
        if (turned) {
            char attrs[96];
            snprintf(attrs, sizeof attrs, "text-anchor=\"end\" "
                                          "transform=\"rotate(-35 %.1f %.1f)\"",
                     axis_r1(cx), axis_r1(y0 + 16));
            put_text(f, cx, y0 + 16, attrs, cat[c]);
        } else {
            put_text(f, cx, y0 + 20, "text-anchor=\"middle\"", cat[c]);
        }
    }
    fputs("</g>\n", f);
    /* Axis labels. */
    if (p->xlabel[0])
        put_text(f, left + pw / 2, xlab_y, "text-anchor=\"middle\"",
                 p->xlabel);
    if (p->ylabel[0]) {
        char attrs[96];
        double cy = top + PLOT_H / 2;
        snprintf(attrs, sizeof attrs, "text-anchor=\"middle\" "
                                      "transform=\"rotate(-90 18 %.1f)\"",
                 axis_r1(cy));
        put_text(f, 18, cy, attrs, p->ylabel);
    }
    if (empty)
        put_text(f, left + pw / 2, top + PLOT_H / 2,
                 "text-anchor=\"middle\" fill=\"#888\"", "no data to plot");
    else if (p->bars)
        draw_bars(f, p, &ay, cat, nc, left, pw);
    else
        draw_lines(f, p, &ax, &ay);
    if (legend)
        legend_draw(f, p, &lg, legend_y);
    fputs("</svg>\n", f);
    return ferror(f) ? -EIO : 0;
}
