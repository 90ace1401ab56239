/* SPDX-License-Identifier: MIT */
/* report-plotfiles.c: a plot's files: our SVG, its data, and the gnuplot script that draws its PNG. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gnuplot.h"
#include "report.h"
#include "launch.h"

bool rplot_available(char *why, size_t cap)
{
    static int cached = -1;
    static char reason[128];
    if (cached < 0) {
        const char *argv[] = {"gnuplot", "--version", NULL};
        struct launch l = {.argv = argv, .timeout_ms = 10000};
        int rc = launch_run(&l, reason, sizeof reason);
        cached = rc == 0 && l.status == 0;
        if (!cached)
            snprintf(reason, sizeof reason,
                     "gnuplot is not installed (make deps installs it)");
    }
    if (!cached && why)
        snprintf(why, cap, "%s", reason);
    return cached == 1;
}

/* `c`, or a space for a control character: a text written into a
 * gnuplot script or its data stays on its line (a newline would end a
 * string literal, and the line, and so start a command). */
static int plain(char c)
{
    return (unsigned char)c < 0x20 || c == 0x7f ? ' ' : c;
}

/* gnuplot string literal: single quotes, a quote doubled (plain). */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(plain(*s), f);
    }
    fputc('\'', f);
}

static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.9g", v);
    else
        fputs(" -", f); /* missing */
}

/* Text in the data file (a title, a series' name, a label), plain: every
 * line of the data then starts with '#', '"', ' ' or is empty, so none
 * can end the datablock that carries the same data to gnuplot
 * (rplot_draw) or read as a command. */
static void put_text(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(plain(*s), f);
}

/* How writing a file of this module went so far: 0, or -EIO when a
 * write failed (cli_output_end's flush and close say more). */
static int written(FILE *f)
{
    return ferror(f) ? -EIO : 0;
}

/* Does any point of `p` carry a spread (an error bar)? */
static bool has_spread(const struct rplot *p)
{
    for (size_t k = 0; k < p->n_series; k++)
        for (size_t i = 0; i < p->s[k].n; i++)
            if (isfinite(p->s[k].ylo[i]) && isfinite(p->s[k].yhi[i]))
                return true;
    return false;
}

/* A point's y and its spread: the spread's ends are y itself when the
 * point has none (a bar of no length), so gnuplot's error-bar styles can
 * read every row. */
static void put_point(FILE *f, const struct rplot_series *s, size_t i,
                      bool spread)
{
    put_num(f, s->y[i]);
    if (!spread)
        return;
    bool has = isfinite(s->ylo[i]) && isfinite(s->yhi[i]);
    put_num(f, has ? s->ylo[i] : s->y[i]);
    put_num(f, has ? s->yhi[i] : s->y[i]);
}

/* The plot's data, as the .dat file has it (gnuplot's `index` blocks for
 * lines, one row per label for bars). */
static void write_data(const struct rplot *p, FILE *f)
{
    bool spread = has_spread(p);
    fputs("# ", f);
    put_text(f, p->title);
    fputc('\n', f);
    if (p->bars) {
        /* One row per label of the first series, one column (or y, low,
         * high) per series. */
        const struct rplot_series *s0 = &p->s[0];
        fprintf(f, "# label, then per series: y%s:", spread ? " low high" : "");
        for (size_t k = 0; k < p->n_series; k++) {
            fputs(" \"", f);
            put_text(f, p->s[k].name);
            fputc('"', f);
        }
        fputc('\n', f);
        for (size_t i = 0; i < s0->n; i++) {
            fputc('"', f);
            for (const char *c = s0->label[i]; *c; c++)
                fputc(*c == '"' ? '\'' : plain(*c), f);
            fputc('"', f);
            for (size_t k = 0; k < p->n_series; k++) {
                const struct rplot_series *s = &p->s[k];
                size_t j = 0;
                while (j < s->n && strcmp(s->label[j], s0->label[i]))
                    j++;
                if (j < s->n)
                    put_point(f, s, j, spread);
                else
                    fputs(spread ? " - - -" : " -", f);
            }
            fputc('\n', f);
        }
    } else {
        for (size_t k = 0; k < p->n_series; k++) {
            const struct rplot_series *s = &p->s[k];
            /* Lines join the points in x order (an automatic interval's
             * point lands between the fixed ones). */
            size_t ord[RPLOT_MAX_POINTS];
            for (size_t i = 0; i < s->n; i++) {
                size_t j = i;
                for (; j > 0 && s->x[ord[j - 1]] > s->x[i]; j--)
                    ord[j] = ord[j - 1];
                ord[j] = i;
            }
            fprintf(f, "# series %zu: ", k);
            put_text(f, s->name);
            fprintf(f, " (x y%s)\n", spread ? " low high" : "");
            for (size_t i = 0; i < s->n; i++) {
                put_num(f, s->x[ord[i]]);
                put_point(f, s, ord[i], spread);
                fputs(" # ", f);
                put_text(f, s->label[ord[i]]);
                fputc('\n', f);
            }
            fputs("\n\n", f);
        }
    }
}

static int write_data_file(const struct rplot *p, FILE *f)
{
    write_data(p, f);
    return written(f);
}

/* The datablock that carries a plot's data in gnuplot's program
 * (rplot_draw), where the script names its .dat file: gnuplot.h's. */
#define DATABLOCK GNUPLOT_DATABLOCK

/* `plot ...` of every series, reading `dat` (a file's name, quoted) or,
 * when NULL, DATABLOCK. */
static void write_plot_cmd(FILE *f, const struct rplot *p, const char *dat,
                           bool spread)
{
    fputs("plot ", f);
    for (size_t k = 0; k < p->n_series; k++) {
        if (k)
            fputs(", \\\n     ", f);
        if (dat)
            gp_str(f, dat);
        else
            fputs(DATABLOCK, f);
        if (p->bars && spread)
            fprintf(f, " using %zu:%zu:%zu:xtic(1)", 2 + 3 * k, 3 + 3 * k,
                    4 + 3 * k);
        else if (p->bars)
            fprintf(f, " using %zu:xtic(1)", k + 2);
        else if (spread)
            fprintf(f, " index %zu using 1:2:3:4 with yerrorlines lw 2 pt 7",
                    k);
        else
            fprintf(f, " index %zu using 1:2 with linespoints lw 2 pt 7", k);
        fprintf(f, " lc rgb '%s' title ", rplot_colour[k]);
        gp_str(f, p->s[k].name);
    }
    fputc('\n', f);
}

/* The gnuplot script: with `to_files`, the one saved as NAME.gp, which
 * reads NAME.dat and writes NAME.png in its directory; without, the
 * program coord feeds gnuplot, which reads DATABLOCK and writes its
 * stdout. */
static void write_script(const struct rplot *p, FILE *f, bool to_files)
{
    bool spread = has_spread(p);
    char dat[80], png[80];
    snprintf(dat, sizeof dat, "%s.dat", p->name);
    snprintf(png, sizeof png, "%s.png", p->name);
    fputs("# ", f);
    put_text(f, p->title);
    fprintf(f, ": gnuplot %s.gp (in this directory) redraws %s.png\n"
               "# (%s.svg is drawn by coord itself, from the same data).\n",
            p->name, p->name, p->name);
    fputs("set datafile missing '-'\nset grid\nset key below noenhanced\n"
          "set xtics noenhanced\n"
          "set border lw 1\n",
          f);
    fputs("set title ", f);
    gp_str(f, p->title);
    fputs("\nset xlabel ", f);
    gp_str(f, p->xlabel);
    fputs("\nset ylabel ", f);
    gp_str(f, p->ylabel);
    fputc('\n', f);
    if (p->logx && !p->bars)
        fputs("set logscale x\n", f);
    /* Name the automatic interval where it settled (first series only). */
    for (size_t i = 0; !p->bars && p->n_series && i < p->s[0].n; i++)
        if (!strcmp(p->s[0].label[i], "auto") && isfinite(p->s[0].y[i]))
            fprintf(f, "set label 'auto' at %.9g,%.9g offset 0.6,0.8\n",
                    p->s[0].x[i], p->s[0].y[i]);
    if (p->logy)
        fputs("set logscale y\nset format y '10^{%L}'\n", f);
    else if (p->yzero)
        fputs("set yrange [0:*]\n", f);
    if (p->bars)
        fprintf(f, "set style data histograms\nset style histogram %s "
                   "gap 1\nset style fill solid 0.85 border -1\n"
                   "set xtics rotate by -30 left\nset yrange [*:*]\n"
                   "set rmargin 12\n",
                spread ? "errorbars lw 1" : "clustered");
    fputs("set terminal pngcairo size 900,500 enhanced font 'sans,10' "
          "background rgb 'white'\nset output",
          f);
    if (to_files) {
        fputc(' ', f);
        gp_str(f, png);
    }
    fputc('\n', f);
    write_plot_cmd(f, p, to_files ? dat : NULL, spread);
    fputs("set output\n", f);
}

static int write_script_file(const struct rplot *p, FILE *f)
{
    write_script(p, f, true);
    return written(f);
}

/* gnuplot's whole program, malloc'ed (NULL without memory): the data as
 * DATABLOCK, then the script that draws it on stdout. No file is named
 * in it: gnuplot reads its stdin and writes its stdout, both opened by
 * coord, so no name it would look up can be redirected. */
static char *gnuplot_program(const struct rplot *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs(GNUPLOT_DATABLOCK_OPEN, f);
    write_data(p, f);
    fputs(GNUPLOT_DATABLOCK_CLOSE, f);
    write_script(p, f, false);
    if (fclose(f) != 0 || !text) {
        free(text);
        return NULL;
    }
    return text;
}

static int write_svg(const struct rplot *p, FILE *f)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    int rc = rplot_svg(p, f);
    return rc ? rc : written(f);
}

/* gnuplot's complaint `err` into NAME.log in `dir` (shown as dir_path),
 * for the reader of the report. */
static void write_log(int dir, const char *dir_path, const char *name,
                      const char *err)
{
    int rc;
    char why[256];
    struct cli_output out;
    FILE *f = cli_output_stream_at(&out, dir, dir_path, name, &rc, why,
                                   sizeof why);
    if (f) {
        fputs(err, f);
        cli_output_end(&out, f, written(f), why, sizeof why);
    }
}

int rplot_draw(const struct rplot *p, int dir, const char *dir_path,
               bool *png, char *why, size_t cap)
{
    *png = false;
    if (rplot_points(p) == 0) {
        snprintf(why, cap, "no data to plot");
        return -EINVAL;
    }
    char name[80];
    static const char *const ext[] = {"svg", "dat", "gp"};
    int (*const writer[])(const struct rplot *, FILE *) = {
        write_svg, write_data_file, write_script_file};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s.%s", p->name, ext[i]);
        /* Opened as every output file is (a symlink another user planted
         * in the directory is refused, not written through), from the
         * directory's descriptor. */
        int rc;
        struct cli_output out;
        FILE *f = cli_output_stream_at(&out, dir, dir_path, name, &rc, why,
                                       cap);
        if (!f)
            return rc;
        rc = cli_output_end(&out, f, writer[i](p, f), why, cap);
        if (rc != 0)
            return rc;
    }
    /* gnuplot's messages of an earlier drawing are not this one's. */
    char log[80];
    snprintf(log, sizeof log, "%s.log", p->name);
    unlinkat(dir, log, 0);
    if (!rplot_available(why, cap))
        return 0;
    char *text = gnuplot_program(p);
    if (!text) {
        snprintf(why, cap, "out of memory");
        return 0;
    }
    snprintf(name, sizeof name, "%s.png", p->name);
    struct cli_output out;
    int fd = cli_output_begin_at(&out, dir, dir_path, name, why, cap);
    if (fd < 0) {
        free(text);
        return 0;
    }
    char err[4096] = "";
    const char *argv[] = {"gnuplot", NULL};
    struct launch l = {.argv = argv, .input = text, .timeout_ms = 30000,
                       .out = {.to = LAUNCH_FD, .fd = fd},
                       .err = {.to = LAUNCH_CAPTURE, .buf = err,
                               .cap = sizeof err}};
    int rc = launch_run(&l, why, cap);
    free(text);
    struct stat st;
    bool drawn = rc == 0 && l.status == 0 && fstat(fd, &st) == 0 &&
                 st.st_size > 0;
    char ewhy[512];
    if (cli_output_end(&out, NULL, drawn ? 0 : -EIO, ewhy, sizeof ewhy) ==
        0) {
        *png = true;
        return 0;
    }
    /* No picture of an earlier drawing is left at the name either: it
     * would not show this report's data. */
    unlinkat(dir, name, 0);
    if (drawn) {
        snprintf(why, cap, "%s", ewhy);
        return 0;
    }
    if (rc == 0 && l.status != 0) {
        write_log(dir, dir_path, log, err);
        snprintf(why, cap, "gnuplot failed (see plots/%s)", log);
    } else if (rc == 0) {
        snprintf(why, cap, "gnuplot wrote no %s/%s", dir_path, name);
    }
    return 0;
}
