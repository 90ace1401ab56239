/* SPDX-License-Identifier: MIT */
/* report-plot.c: a plot's model: named series of points, each with an optional spread. */
#include <math.h>
#include <string.h>

#include "report.h"

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

void rplot_point_range(struct rplot_series *s, double x, double y, double lo,
                       double hi, const char *label)
{
    if (!s || s->n == RPLOT_MAX_POINTS)
        return;
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->ylo[s->n] = lo;
    s->yhi[s->n] = hi;
    snprintf(s->label[s->n], sizeof s->label[0], "%s", label ? label : "");
    s->n++;
}

void rplot_point(struct rplot_series *s, double x, double y,
                 const char *label)
{
    rplot_point_range(s, x, y, NAN, NAN, label);
}

bool rplot_point_ok(const struct rplot *p, const struct rplot_series *s,
                    size_t i)
{
    /* Bar charts place points by label: their x does not count. */
    bool x_ok = p->bars || (isfinite(s->x[i]) && (!p->logx || s->x[i] > 0));
    return x_ok && isfinite(s->y[i]) && (!p->logy || s->y[i] > 0);
}

size_t rplot_points(const struct rplot *p)
{
    size_t n = 0;
    for (size_t k = 0; k < p->n_series && k < RPLOT_MAX_SERIES; k++)
        for (size_t i = 0; i < p->s[k].n && i < RPLOT_MAX_POINTS; i++)
            n += rplot_point_ok(p, &p->s[k], i);
    return n;
}
