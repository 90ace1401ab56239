/* SPDX-License-Identifier: MIT */
/* report-plot.c: the report's plots: data and gnuplot scripts, drawn as SVG and PNG. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"
#include "launch.h"

struct rplot_series *rplot_series(struct rplot *p, const char *name)
{
    if (p->n_series == RPLOT_MAX_SERIES)
        return NULL;
    struct rplot_series *s = &p->s[p->n_series++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

struct rplot_series *rplot_series_named(struct rplot *p, const char *name)
{
    for (size_t k = 0; k < p->n_series; k++)
        if (!strcmp(p->s[k].name, name))
            return &p->s[k];
    return rplot_series(p, name);
}

void rplot_point(struct rplot_series *s, double x, double y,
                 const char *label)
{
    if (!s || s->n == RPLOT_MAX_POINTS)
        return;
    s->x[s->n] = x;
    s->y[s->n] = y;
    snprintf(s->label[s->n], sizeof s->label[0], "%s", label ? label : "");
    s->n++;
}

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

/* gnuplot string literal: single quotes, a quote doubled. */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
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

/* Closes a file this module wrote: 0, or -EIO when a write failed, or
 * fclose's -errno (a buffered write can first fail there). */
static int close_written(FILE *f)
{
    int rc = ferror(f) ? -EIO : 0;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

static int write_data(const struct rplot *p, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "# %s\n", p->title);
    if (p->bars) {
        /* One row per label of the first series, one column per series. */
        const struct rplot_series *s0 = &p->s[0];
        fputs("# label", f);
        for (size_t k = 0; k < p->n_series; k++)
            fprintf(f, " \"%s\"", p->s[k].name);
        fputc('\n', f);
        for (size_t i = 0; i < s0->n; i++) {
            fputc('"', f);
            for (const char *c = s0->label[i]; *c; c++)
                fputc(*c == '"' ? '\'' : *c, f);
            fputc('"', f);
            for (size_t k = 0; k < p->n_series; k++) {
                double v = NAN;
                for (size_t j = 0; j < p->s[k].n; j++)
                    if (!strcmp(p->s[k].label[j], s0->label[i]))
                        v = p->s[k].y[j];
                put_num(f, v);
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
            fprintf(f, "# series %zu: %s\n", k, s->name);
            for (size_t i = 0; i < s->n; i++) {
                put_num(f, s->x[ord[i]]);
                put_num(f, s->y[ord[i]]);
                fprintf(f, " # %s\n", s->label[ord[i]]);
            }
            fputs("\n\n", f);
        }
    }
    return close_written(f);
}

static void write_plot_cmd(FILE *f, const struct rplot *p, const char *dat)
{
    fputs("plot ", f);
    for (size_t k = 0; k < p->n_series; k++) {
        if (k)
            fputs(", \\\n     ", f);
        gp_str(f, dat);
        if (p->bars)
            fprintf(f, " using %zu:xtic(1)", k + 2);
        else
            fprintf(f, " index %zu using 1:2 with linespoints lw 2 pt 7", k);
        fputs(" title ", f);
        gp_str(f, p->s[k].name);
    }
    fputc('\n', f);
}

static int write_script(const struct rplot *p, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    char dat[80], svg[80], png[80];
    snprintf(dat, sizeof dat, "%s.dat", p->name);
    snprintf(svg, sizeof svg, "%s.svg", p->name);
    snprintf(png, sizeof png, "%s.png", p->name);
    fprintf(f, "# %s: gnuplot %s.gp (in this directory) redraws it.\n",
            p->title, p->name);
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
        fputs("set style data histograms\nset style histogram clustered "
              "gap 1\nset style fill solid 0.85 border -1\n"
              "set xtics rotate by -30 left\nset yrange [*:*]\n"
              "set rmargin 12\n",
              f);
    fputs("set terminal svg size 900,500 dynamic enhanced font 'sans,12' "
          "background rgb 'white'\nset output ",
          f);
    gp_str(f, svg);
    fputc('\n', f);
    write_plot_cmd(f, p, dat);
    fputs("set terminal pngcairo size 900,500 enhanced font 'sans,10' "
          "background rgb 'white'\nset output ",
          f);
    gp_str(f, png);
    fputs("\nreplot\nset output\n", f);
    return close_written(f);
}

static bool non_empty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

int rplot_draw(const struct rplot *p, const char *dir, char *why, size_t cap)
{
    if (!rplot_available(why, cap))
        return -ENOENT;
    size_t points = 0;
    for (size_t k = 0; k < p->n_series; k++)
        points += p->s[k].n;
    if (p->n_series == 0 || points == 0) {
        snprintf(why, cap, "no data to plot");
        return -EINVAL;
    }
    char pdir[4096], path[4200], log[4200];
    snprintf(pdir, sizeof pdir, "%s/plots", dir);
    if (mkdir(pdir, 0755) != 0 && errno != EEXIST) {
        snprintf(why, cap, "cannot create %s: %s", pdir, strerror(errno));
        return -errno;
    }
    snprintf(path, sizeof path, "%s/%s.dat", pdir, p->name);
    int rc = write_data(p, path);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/%s.gp", pdir, p->name);
        rc = write_script(p, path);
    }
    if (rc != 0) {
        snprintf(why, cap, "cannot write %s: %s", path, strerror(-rc));
        return rc;
    }
    char script[80];
    snprintf(script, sizeof script, "%s.gp", p->name);
    snprintf(log, sizeof log, "%s/%s.log", pdir, p->name);
    const char *argv[] = {"gnuplot", script, NULL};
    struct launch l = {.argv = argv, .cwd = pdir, .timeout_ms = 30000,
                       .err = {.to = LAUNCH_FILE, .path = log}};
    rc = launch_run(&l, why, cap);
    if (rc != 0)
        return rc;
    if (l.status != 0) {
        snprintf(why, cap, "gnuplot failed (see plots/%s.log)", p->name);
        return -EIO;
    }
    remove(log);
    static const char *const ext[] = {"svg", "png"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s.%s", pdir, p->name, ext[i]);
        if (!non_empty(path)) {
            snprintf(why, cap, "gnuplot wrote no %s", path);
            return -EIO;
        }
    }
    return 0;
}
