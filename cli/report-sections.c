/* SPDX-License-Identifier: MIT */
/* report-sections.c: one section of the report per experiment: what ran, what it shows, its tables and plots. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report-parts.h"

#define MAX_COLS 20
#define MAX_ROWS 120

/* A JSON scalar as text. */
static const char *scalar_text(const struct json *v, char *buf, size_t cap)
{
    switch (v->type) {
    case JSON_NULL:
        return "null";
    case JSON_BOOL:
        return v->b ? "yes" : "no";
    case JSON_NUMBER:
        return report_fmt_num(buf, cap, v->num);
    case JSON_STRING:
        return v->str;
    default:
        return NULL;
    }
}

static bool is_scalar(const struct json *v)
{
    return v->type != JSON_ARRAY && v->type != JSON_OBJECT;
}

static void render_rows(struct rdoc *d, const struct json *arr)
{
    const char *cols[MAX_COLS + 1];
    size_t nc = 0;
    for (size_t r = 0; r < arr->n; r++) {
        const struct json *o = arr->items[r];
        if (o->type != JSON_OBJECT)
            continue;
        for (size_t k = 0; k < o->n && nc < MAX_COLS; k++) {
            if (!is_scalar(o->items[k]))
                continue;
            bool have = false;
            for (size_t c = 0; c < nc; c++)
                have |= !strcmp(cols[c], o->keys[k]);
            if (!have)
                cols[nc++] = o->keys[k];
        }
    }
    if (nc == 0)
        return;
    cols[nc] = NULL;
    struct rdoc_table *t = rdoc_table(d, cols);
    char buf[MAX_COLS][64];
    for (size_t r = 0; r < arr->n && r < MAX_ROWS; r++) {
        const struct json *o = arr->items[r];
        const char *cells[MAX_COLS + 1];
        for (size_t c = 0; c < nc; c++) {
            const struct json *v = json_get(o, cols[c]);
            const char *s = v && is_scalar(v)
                                ? scalar_text(v, buf[c], sizeof buf[c])
                                : "";
            cells[c] = s;
        }
        cells[nc] = NULL;
        rdoc_row(d, t, cells);
    }
    if (arr->n > MAX_ROWS)
        rdoc_para(d, "(%zu more rows in the JSON file)", arr->n - MAX_ROWS);
}

static void render_object(struct rdoc *d, const struct json *o,
                          const char *path, int depth)
{
    /* Scalars (and short scalar arrays) first, as one key/value table. */
    static const char *const kv[] = {"measure", "value", NULL};
    struct rdoc_table *t = NULL;
    for (size_t k = 0; k < o->n; k++) {
        const struct json *v = o->items[k];
        char buf[64], list[256];
        const char *s = NULL;
        if (is_scalar(v)) {
            s = scalar_text(v, buf, sizeof buf);
        } else if (v->type == JSON_ARRAY && v->n > 0 && v->n <= 16 &&
                   is_scalar(v->items[0])) {
            size_t n = 0;
            list[0] = '\0';
            for (size_t i = 0; i < v->n && n + 40 < sizeof list; i++) {
                if (!is_scalar(v->items[i]))
                    continue;
                const char *x = scalar_text(v->items[i], buf, sizeof buf);
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
                                      i ? ", " : "", x);
            }
            s = list;
        }
        if (!s)
            continue;
        if (!t)
            t = rdoc_table(d, kv);
        const char *cells[] = {o->keys[k], s, NULL};
        rdoc_row(d, t, cells);
    }
    for (size_t k = 0; k < o->n; k++) {
        const struct json *v = o->items[k];
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "",
                 o->keys[k]);
        if (report_array_of_objects(v)) {
            rdoc_para(d, "**%s**", sub);
            render_rows(d, v);
        } else if (v->type == JSON_OBJECT && depth < 3 && v->n > 0) {
            rdoc_para(d, "**%s**", sub);
            render_object(d, v, sub, depth + 1);
        }
    }
}

void report_section(struct report *r, struct exp *e)
{
    rdoc_heading(&r->doc, RD_H2, e->name, "%s", e->title);
    rdoc_para(&r->doc, "%s", e->what);
    switch (e->state) {
    case EXP_SKIPPED:
        rdoc_para(&r->doc, "Not run (not in --only).");
        return;
    case EXP_MISSING:
        rdoc_para(&r->doc, "**Not available**: this build of coord has no "
                           "`%s` command.", e->name);
        return;
    case EXP_FAILED:
        if (e->partial)
            rdoc_para(&r->doc, "**Failed** after %.1f s: %s. No data: what it "
                               "printed before it stopped is in "
                               "`data/%s.out.txt`, its messages in "
                               "`data/%s.log`.",
                      e->secs, e->why, e->name, e->name);
        else
            rdoc_para(&r->doc, "**Failed** after %.1f s: %s. No data: it "
                               "printed nothing on stdout; its messages are "
                               "in `data/%s.log`.",
                      e->secs, e->why, e->name);
        return;
    case EXP_OK:
        break;
    }
    rdoc_para(&r->doc, "Command: `%s` (%.1f s). Raw output: `data/%s.json`.",
              e->cmdline, e->secs, e->name);
    report_figures(r, e);
    if (e->j->type == JSON_OBJECT)
        render_object(&r->doc, e->j, "", 0);
}
