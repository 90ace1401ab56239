/* SPDX-License-Identifier: MIT */
/* report-doc.c: the report's blocks, written as Markdown and as a self-contained HTML page. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static char *vdup(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

static struct rdoc_block *add(struct rdoc *d, enum rdoc_kind k)
{
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 32;
        struct rdoc_block *nb = realloc(d->b, nc * sizeof *nb);
        if (!nb) {
            d->oom = true;
            return NULL;
        }
        d->b = nb;
        d->cap = nc;
    }
    struct rdoc_block *b = &d->b[d->n++];
    memset(b, 0, sizeof *b);
    b->kind = k;
    return b;
}

/* A block of kind `k` whose text is formatted from `fmt` (headings and
 * paragraphs); NULL when out of memory, which marks the document. */
static struct rdoc_block *add_text(struct rdoc *d, enum rdoc_kind k,
                                   const char *fmt, va_list ap)
{
    struct rdoc_block *b = add(d, k);
    if (b && !(b->text = vdup(fmt, ap)))
        d->oom = true;
    return b;
}

static void table_free(struct rdoc_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < (t->rows + 1) * t->cols; i++)
        free(t->cell[i]);
    free(t->cell);
    free(t);
}

void rdoc_free(struct rdoc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->b[i].text);
        free(d->b[i].href);
        free(d->b[i].id);
        table_free(d->b[i].t);
    }
    free(d->b);
    memset(d, 0, sizeof *d);
}

void rdoc_heading(struct rdoc *d, enum rdoc_kind level, const char *id,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct rdoc_block *b = add_text(d, level, fmt, ap);
    va_end(ap);
    if (b && id && !(b->id = strdup(id)))
        d->oom = true;
}

void rdoc_para(struct rdoc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_text(d, RD_P, fmt, ap);
    va_end(ap);
}

void rdoc_code(struct rdoc *d, const char *text)
{
    struct rdoc_block *b = add(d, RD_CODE);
    if (b && !(b->text = strdup(text)))
        d->oom = true;
}

void rdoc_image(struct rdoc *d, const char *svg_path, const char *caption)
{
    struct rdoc_block *b = add(d, RD_IMG);
    if (!b)
        return;
    b->href = strdup(svg_path);
    b->text = strdup(caption);
    if (!b->href || !b->text)
        d->oom = true;
}

struct rdoc_table *rdoc_table(struct rdoc *d, const char *const *header)
{
    size_t cols = 0;
    while (header[cols])
        cols++;
    struct rdoc_block *b = add(d, RD_TABLE);
    if (!b)
        return NULL;
    struct rdoc_table *t = calloc(1, sizeof *t);
    if (t)
        t->cell = calloc(cols ? cols : 1, sizeof *t->cell);
    if (!t || !t->cell) {
        free(t);
        d->oom = true;
        return NULL;
    }
    t->cols = cols;
    for (size_t c = 0; c < cols; c++)
        if (!(t->cell[c] = strdup(header[c])))
            d->oom = true;
    b->t = t;
    return t;
}

void rdoc_row(struct rdoc *d, struct rdoc_table *t, const char *const *cells)
{
    if (!t)
        return;
    char **nc = realloc(t->cell, (t->rows + 2) * t->cols * sizeof *nc);
    if (!nc) {
        d->oom = true;
        return;
    }
    t->cell = nc;
    char **row = &t->cell[(t->rows + 1) * t->cols];
    bool ended = false;
    for (size_t c = 0; c < t->cols; c++) {
        if (!cells[c])
            ended = true;
        row[c] = strdup(ended ? "" : cells[c]);
        if (!row[c])
            d->oom = true;
    }
    t->rows++;
}

/* ---- Markdown --------------------------------------------------------- */

/* The length of an image path without its extension: both writers link
 * the PNG that sits beside the SVG. */
static int href_stem(const char *href)
{
    const char *dot = strrchr(href, '.');
    return dot ? (int)(dot - href) : (int)strlen(href);
}

static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

int rdoc_write_md(const struct rdoc *d, FILE *f)
{
    if (d->oom)
        return -ENOMEM;
    for (size_t i = 0; i < d->n; i++) {
        const struct rdoc_block *b = &d->b[i];
        switch (b->kind) {
        case RD_H1:
        case RD_H2:
        case RD_H3:
            fprintf(f, "%.*s %s\n\n", (int)(b->kind - RD_H1 + 1), "###",
                    b->text);
            break;
        case RD_P:
            fprintf(f, "%s\n\n", b->text);
            break;
        case RD_CODE:
            fprintf(f, "```\n%s\n```\n\n", b->text);
            break;
        case RD_IMG:
            /* The Markdown shows the PNG (viewers handle it everywhere). */
            fprintf(f, "![%s](%.*s.png)\n\n*%s* ([SVG](%s))\n\n", b->text,
                    href_stem(b->href), b->href, b->text, b->href);
            break;
        case RD_TABLE: {
            const struct rdoc_table *t = b->t;
            for (size_t r = 0; r <= t->rows; r++) {
                fputc('|', f);
                for (size_t c = 0; c < t->cols; c++) {
                    fputc(' ', f);
                    md_cell(f, t->cell[r * t->cols + c]);
                    fputs(" |", f);
                }
                fputc('\n', f);
                if (r == 0) {
                    fputc('|', f);
                    for (size_t c = 0; c < t->cols; c++)
                        fputs("---|", f);
                    fputc('\n', f);
                }
            }
            fputc('\n', f);
            break;
        }
        }
    }
    return ferror(f) ? -EIO : 0;
}

/* ---- HTML ------------------------------------------------------------- */

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Inline `code` spans and **bold** in paragraphs (the Markdown subset the
 * report itself writes), everything else escaped. */
static void html_inline(FILE *f, const char *s)
{
    bool code = false, bold = false;
    for (; *s; s++) {
        if (*s == '`') {
            fputs(code ? "</code>" : "<code>", f);
            code = !code;
        } else if (!code && s[0] == '*' && s[1] == '*') {
            fputs(bold ? "</strong>" : "<strong>", f);
            bold = !bold;
            s++;
        } else {
            char one[2] = {*s, 0};
            html_text(f, one);
        }
    }
    if (code)
        fputs("</code>", f);
    if (bold)
        fputs("</strong>", f);
}

/* A verdict cell gets a colour by its first word. */
static const char *verdict_class(const char *s)
{
    if (!strncmp(s, "holds", 5))
        return "ok";
    if (!strncmp(s, "off", 3) || !strncmp(s, "does not hold", 13))
        return "off";
    if (!strncmp(s, "depends", 7))
        return "dep";
    if (!strncmp(s, "not ", 4) || !strncmp(s, "n/a", 3))
        return "na";
    return NULL;
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>%s</title>\n<style>\n"
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "max-width:1100px;margin:2em auto;padding:0 1em;color:#1d1f21}\n"
    "h1{font-size:1.8em;border-bottom:2px solid #ccd}h2{margin-top:2em;"
    "border-bottom:1px solid #dde}\n"
    "table{border-collapse:collapse;margin:0.5em 0 1.2em;font-size:0.92em;"
    "display:block;overflow-x:auto;max-width:100%%}\n"
    "th,td{border:1px solid #ccd;padding:3px 8px;text-align:left;"
    "vertical-align:top}th{background:#eef}\n"
    "tr:nth-child(even) td{background:#fafaff}\n"
    "td.ok{background:#dff5df!important}td.off{background:#fde2e2!important}"
    "td.dep{background:#fff3cf!important}td.na{color:#888}\n"
    "code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;"
    "font-size:0.9em;background:#f4f4f8}pre{padding:0.6em;overflow-x:auto}\n"
    "figure{margin:1em 0}figure img{max-width:100%%;border:1px solid #dde;"
    "background:#fff}figcaption{color:#555;font-size:0.9em}\n"
    "#selfcheck{color:#666;font-size:0.85em;margin-top:3em}\n"
    "</style>\n<script>\n"
    "/* Self-check: counts page errors and images that did not load. */\n"
    "var coordErrors=[];\n"
    "window.addEventListener('error',function(e){coordErrors.push(String("
    "e.message||(e.target&&(e.target.src||e.target.href))||'error'));},true);\n"
    "window.addEventListener('load',function(){var im=document.images,bad=0;"
    "for(var i=0;i<im.length;i++)if(!im[i].complete||im[i].naturalWidth==0)"
    "bad++;var s=document.getElementById('selfcheck');"
    "s.setAttribute('data-images',im.length);"
    "s.setAttribute('data-broken',bad);"
    "s.setAttribute('data-errors',coordErrors.length);"
    "s.setAttribute('data-status',bad||coordErrors.length?'fail':'ok');"
    "s.textContent='Self-check: '+(im.length-bad)+' of '+im.length+"
    "' plots loaded, '+coordErrors.length+' page errors'+"
    "(coordErrors.length?': '+coordErrors.join('; '):'')+'.';});\n"
    "</script>\n</head>\n<body>\n";

int rdoc_write_html(const struct rdoc *d, FILE *f, const char *title)
{
    if (d->oom)
        return -ENOMEM;
    char head[sizeof html_head + 256];
    char esc_title[256];
    size_t k = 0;
    for (const char *s = title; *s && k + 6 < sizeof esc_title; s++)
        esc_title[k++] = *s == '<' || *s == '>' || *s == '&' ? ' ' : *s;
    esc_title[k] = '\0';
    snprintf(head, sizeof head, html_head, esc_title);
    fputs(head, f);
    for (size_t i = 0; i < d->n; i++) {
        const struct rdoc_block *b = &d->b[i];
        switch (b->kind) {
        case RD_H1:
        case RD_H2:
        case RD_H3: {
            int lv = (int)(b->kind - RD_H1 + 1);
            fprintf(f, "<h%d", lv);
            if (b->id) {
                fputs(" id=\"", f);
                html_text(f, b->id);
                fputc('"', f);
            }
            fputc('>', f);
            html_text(f, b->text);
            fprintf(f, "</h%d>\n", lv);
            break;
        }
        case RD_P:
            fputs("<p>", f);
            html_inline(f, b->text);
            fputs("</p>\n", f);
            break;
        case RD_CODE:
            fputs("<pre>", f);
            html_text(f, b->text);
            fputs("</pre>\n", f);
            break;
        case RD_IMG:
            fputs("<figure><img src=\"", f);
            html_text(f, b->href);
            fputs("\" alt=\"", f);
            html_text(f, b->text);
            fputs("\"><figcaption>", f);
            html_text(f, b->text);
            fprintf(f, " (<a href=\"%.*s.png\">PNG</a>, <a href=\"",
                    href_stem(b->href), b->href);
            html_text(f, b->href);
            fputs("\">SVG</a>)</figcaption></figure>\n", f);
            break;
        case RD_TABLE: {
            const struct rdoc_table *t = b->t;
            fputs("<table>\n<tr>", f);
            for (size_t c = 0; c < t->cols; c++) {
                fputs("<th>", f);
                html_text(f, t->cell[c]);
                fputs("</th>", f);
            }
            fputs("</tr>\n", f);
            for (size_t r = 1; r <= t->rows; r++) {
                fputs("<tr>", f);
                for (size_t c = 0; c < t->cols; c++) {
                    const char *s = t->cell[r * t->cols + c];
                    const char *cls = !strcmp(t->cell[c], "verdict")
                                          ? verdict_class(s)
                                          : NULL;
                    if (cls)
                        fprintf(f, "<td class=\"%s\">", cls);
                    else
                        fputs("<td>", f);
                    html_inline(f, s);
                    fputs("</td>", f);
                }
                fputs("</tr>\n", f);
            }
            fputs("</table>\n", f);
            break;
        }
        }
    }
    fputs("<p id=\"selfcheck\" data-status=\"pending\">Self-check needs "
          "JavaScript.</p>\n</body>\n</html>\n",
          f);
    return ferror(f) ? -EIO : 0;
}
