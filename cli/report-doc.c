/* SPDX-License-Identifier: MIT */
/* report-doc.c: the report's blocks, written as Markdown and as a self-contained HTML page. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report-table.h"

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
        free(d->b[i].id);
        free(d->b[i].plot);
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

void rdoc_plot(struct rdoc *d, const struct rplot *p, const char *caption,
               bool png)
{
    struct rdoc_block *b = add(d, RD_PLOT);
    if (!b)
        return;
    b->plot = malloc(sizeof *b->plot);
    b->text = strdup(caption);
    b->png = png;
    if (!b->plot || !b->text)
        d->oom = true;
    else
        memcpy(b->plot, p, sizeof *p);
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

/* ---- escaping ---------------------------------------------------------- */

/* The length of the valid UTF-8 character at s[0..n), or 0 when invalid
 * (a stray continuation byte, a cut or overlong sequence, a surrogate, or
 * U+FFFE/U+FFFF, which XML does not allow). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2
               : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90) ||
        (c == 0xef && s[1] == 0xbf && s[2] >= 0xbe))
        return 0;
    return len;
}

void rdoc_escape(FILE *f, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n && u[i];) {
        size_t len = utf8_len(u + i, n - i);
        if (len == 0) {
            fputs("\xef\xbf\xbd", f); /* U+FFFD */
            i++;
            continue;
        }
        switch (u[i]) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (u[i] < 0x20 && u[i] != '\n' && u[i] != '\t')
                fputc(' ', f);
            else
                fwrite(u + i, 1, len, f);
        }
        i += len;
    }
}

static void html_text(FILE *f, const char *s)
{
    rdoc_escape(f, s, strlen(s));
}

/* The link "[text](href)" at s (s[0] == '['), if it is one whose address
 * may be followed: *href and *hlen are set and the bytes of the whole link
 * returned; 0 when s starts no link or an unsafe one (then the '[' is
 * plain text). Safe: a relative address (the report's own files: no
 * scheme before the first '/', '?' or '#'), an anchor, http(s). Text from
 * outside the program (a CPU model, an error message, a path) ends up in
 * paragraphs too, and "[x](javascript:...)" there was a live link. */
static size_t md_link_at(const char *s, const char **href, size_t *hlen)
{
    const char *mid = strstr(s, "](");
    if (!mid || memchr(s, '\n', (size_t)(mid - s)))
        return 0;
    const char *h = mid + 2;
    const char *end = strchr(h, ')');
    if (!end || end == h || memchr(mid, '\n', (size_t)(end - mid)))
        return 0;
    size_t n = (size_t)(end - h);
    size_t scheme = strcspn(h, ":/?#");
    bool safe = scheme >= n || h[scheme] != ':' ||
                (scheme == 4 && !strncmp(h, "http", 4)) ||
                (scheme == 5 && !strncmp(h, "https", 5));
    if (!safe)
        return 0;
    *href = h;
    *hlen = n;
    return (size_t)(end - s) + 1;
}

/* ---- Markdown --------------------------------------------------------- */

/* One character of Markdown text: < > & as entities (a Markdown viewer
 * renders raw HTML; text from outside the program, such as a path or a CPU
 * model, must not become markup), a line break as a space (it would end
 * the paragraph, or start a heading). */
static void md_char(FILE *f, char c)
{
    switch (c) {
    case '<':
        fputs("&lt;", f);
        break;
    case '>':
        fputs("&gt;", f);
        break;
    case '&':
        fputs("&amp;", f);
        break;
    case '\n':
    case '\r':
        fputc(' ', f);
        break;
    default:
        fputc(c, f);
    }
}

/* Text inside a table cell or an image's alt text: | [ ] escaped (no
 * links there), lines joined. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '[' || *s == ']')
            fputc('\\', f);
        md_char(f, *s);
    }
}

/* A paragraph: the report's own Markdown (links, `code`, **bold**) as
 * written, except a link whose address md_link_at refuses (its '[' is
 * escaped, so no viewer makes it a link). */
static void md_para(FILE *f, const char *s)
{
    const char *href;
    size_t hlen;
    for (; *s; s++) {
        if (*s == '[' && !md_link_at(s, &href, &hlen))
            fputc('\\', f);
        md_char(f, *s);
    }
}

static void md_table(FILE *f, const struct tview *v)
{
    if (v->parts > 1)
        fprintf(f, "*Part %zu of %zu%s:*\n\n", v->part, v->parts,
                v->part > 1 ? " (continued)" : "");
    for (size_t r = 0; r <= v->nrows; r++) {
        fputc('|', f);
        for (size_t c = 0; c < v->ncols; c++) {
            fputc(' ', f);
            md_cell(f, table_cell(v, r, c));
            fputs(" |", f);
        }
        fputc('\n', f);
        if (r == 0) {
            fputc('|', f);
            for (size_t c = 0; c < v->ncols; c++)
                fputs(table_col_numeric(v, c) ? "---:|" : "---|", f);
            fputc('\n', f);
        }
    }
    fputc('\n', f);
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
            md_para(f, b->text);
            fputs("\n\n", f);
            break;
        case RD_PLOT: {
            /* The PNG where gnuplot drew one (every viewer shows it),
             * else our SVG. */
            const char *name = b->plot->name;
            fputs("![", f);
            md_cell(f, b->text);
            fprintf(f, "](plots/%s.%s)\n\n*%s* ([SVG](plots/%s.svg), "
                       "[data](plots/%s.dat))\n\n",
                    name, b->png ? "png" : "svg", b->text, name, name);
            break;
        }
        case RD_TABLE:
            table_write(f, b->t, md_table);
            break;
        }
    }
    return ferror(f) ? -EIO : 0;
}

/* ---- HTML ------------------------------------------------------------- */

static void html_inline(FILE *f, const char *s);

/* A Markdown link at s (s[0] == '['): written as <a> with its text
 * rendered inline; returns the bytes it took, or 0 when s does not start a
 * safe link (md_link_at; the '[' is then plain text). */
static size_t html_link(FILE *f, const char *s)
{
    const char *href;
    size_t hlen;
    size_t took = md_link_at(s, &href, &hlen);
    if (!took)
        return 0;
    const char *mid = href - 2, *end = href + hlen;
    char text[512];
    size_t n = (size_t)(mid - s - 1);
    if (n >= sizeof text)
        return 0;
    memcpy(text, s + 1, n);
    text[n] = '\0';
    fputs("<a href=\"", f);
    rdoc_escape(f, mid + 2, (size_t)(end - mid - 2));
    fputs("\">", f);
    html_inline(f, text);
    fputs("</a>", f);
    return (size_t)(end - s) + 1;
}

/* Inline `code` spans, **bold** and [links](href) in paragraphs (the
 * Markdown subset the report itself writes), everything else escaped. */
static void html_inline(FILE *f, const char *s)
{
    bool code = false, bold = false;
    while (*s) {
        size_t run = strcspn(s, code ? "`" : "`*[");
        rdoc_escape(f, s, run);
        s += run;
        size_t took;
        if (*s == '[' && (took = html_link(f, s)) > 0) {
            s += took;
        } else if (*s == '[') {
            fputc('[', f);
            s++;
        } else if (*s == '`') {
            fputs(code ? "</code>" : "<code>", f);
            code = !code;
            s++;
        } else if (*s == '*' && s[1] == '*' && !code) {
            fputs(bold ? "</strong>" : "<strong>", f);
            bold = !bold;
            s += 2;
        } else if (*s) {
            fputc('*', f);
            s++;
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

static void html_table(FILE *f, const struct tview *v)
{
    /* A view has at most TABLE_MAX_COLS columns (a transposed one at most
     * TABLE_TRANSPOSE_ROWS + 1). */
    bool num[TABLE_MAX_COLS] = {false};
    size_t nnum = v->ncols < TABLE_MAX_COLS ? v->ncols : TABLE_MAX_COLS;
    for (size_t c = 0; c < nnum; c++)
        num[c] = !v->transposed && table_col_numeric(v, c);
    fputs("<table>", f);
    if (v->parts > 1)
        fprintf(f, "<caption>Part %zu of %zu%s</caption>", v->part, v->parts,
                v->part == 1 ? ""
                : v->keys > 1 ? " (continued; the first two columns repeat)"
                              : " (continued; the first column repeats)");
    fputs("\n<tr>", f);
    for (size_t c = 0; c < v->ncols; c++) {
        fputs(c < nnum && num[c] ? "<th class=\"num\">" : "<th>", f);
        html_text(f, table_cell(v, 0, c));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t r = 1; r <= v->nrows; r++) {
        fputs("<tr>", f);
        for (size_t c = 0; c < v->ncols; c++) {
            const char *s = table_cell(v, r, c);
            const char *cls = table_is_verdict(v, r, c) ? verdict_class(s) : NULL;
            if (!cls && c < nnum && num[c])
                cls = "num";
            if (v->transposed && c == 0)
                cls = "key";
            if (!cls && table_longest_word(s) > TABLE_LONG_WORD)
                cls = "long";
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
}

static const char html_style[] =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "max-width:1100px;margin:2em auto;padding:0 1em;color:#1d1f21}\n"
    "h1{font-size:1.8em;border-bottom:2px solid #ccd}h2{margin-top:2em;"
    "border-bottom:1px solid #dde}\n"
    "table{border-collapse:collapse;margin:0.5em 0 1.2em;font-size:0.92em;"
    "max-width:100%}\n"
    "caption{text-align:left;color:#666;font-size:0.92em;padding-bottom:2px}\n"
    "th,td{border:1px solid #ccd;padding:3px 8px;text-align:left;"
    "vertical-align:top;overflow-wrap:break-word}th{background:#eef}\n"
    "td.long{overflow-wrap:anywhere}\n"
    "td.num,th.num{text-align:right;white-space:nowrap;"
    "font-variant-numeric:tabular-nums}td.key{font-weight:600}\n"
    "tr:nth-child(even) td{background:#fafaff}\n"
    "td.ok{background:#dff5df!important}td.off{background:#fde2e2!important}"
    "td.dep{background:#fff3cf!important}td.na{color:#888}\n"
    "code{font-family:ui-monospace,Menlo,Consolas,monospace;"
    "font-size:0.9em;background:#f4f4f8}\n"
    "figure{margin:1.2em 0}figure svg{display:block;box-sizing:border-box;"
    "width:100%;height:auto;border:1px solid #dde;background:#fff}\n"
    "figcaption{color:#444;font-size:0.9em;margin-top:0.3em}"
    "figcaption .files{color:#777}\n"
    "#selfcheck{color:#666;font-size:0.85em;margin-top:3em}\n";

/* The self-check (see rdoc_write_html in report.h). */
static const char html_script[] =
    "var coordErrors=[];\n"
    "window.addEventListener('error',function(e){coordErrors.push(String("
    "e.message||(e.target&&(e.target.src||e.target.href))||'error'));},true);\n"
    "window.addEventListener('load',function(){var i,r,bad=0,drawn=0,over=0,"
    "im=document.images,fg=document.querySelectorAll('figure.plot');\n"
    "for(i=0;i<im.length;i++)if(!im[i].complete||im[i].naturalWidth==0)bad++;\n"
    "for(i=0;i<fg.length;i++){var sv=fg[i].querySelector('svg');"
    "r=sv instanceof SVGSVGElement?sv.getBoundingClientRect():null;"
    "if(r&&r.width>0&&r.height>0)drawn++;else bad++;}\n"
    "var el=document.querySelectorAll('table,figure');\n"
    "for(i=0;i<el.length;i++){var p=el[i].parentElement,cs=getComputedStyle(p),"
    "right=p.getBoundingClientRect().right-parseFloat(cs.paddingRight)-"
    "parseFloat(cs.borderRightWidth);"
    "if(el[i].getBoundingClientRect().right>right+1||"
    "el[i].scrollWidth>el[i].clientWidth+1)over++;}\n"
    "var de=document.documentElement;if(de.scrollWidth>de.clientWidth)over++;\n"
    "var s=document.getElementById('selfcheck'),e=coordErrors.length;\n"
    "s.setAttribute('data-plots',fg.length);"
    "s.setAttribute('data-figures',drawn);"
    "s.setAttribute('data-broken',bad);s.setAttribute('data-errors',e);"
    "s.setAttribute('data-overflow',over);"
    "s.setAttribute('data-status',bad||e||over?'fail':'ok');\n"
    "s.textContent='Self-check: '+drawn+' of '+fg.length+' plots drawn, '+e+"
    "' page errors, '+over+' elements wider than the page'+"
    "(e?': '+coordErrors.join('; '):'')+'.';});\n";

static void html_plot(FILE *f, const struct rdoc_block *b)
{
    const char *name = b->plot->name;
    fputs("<figure class=\"plot\" id=\"plot-", f);
    html_text(f, name);
    fputs("\">\n", f);
    rplot_svg(b->plot, f);
    fputs("<figcaption>", f);
    html_inline(f, b->text);
    fputs(" <span class=\"files\">(files: <a href=\"plots/", f);
    html_text(f, name);
    fputs(".svg\">SVG</a>", f);
    if (b->png) {
        fputs(", <a href=\"plots/", f);
        html_text(f, name);
        fputs(".png\">PNG</a>", f);
    }
    fputs(", <a href=\"plots/", f);
    html_text(f, name);
    fputs(".dat\">data</a>)</span></figcaption>\n</figure>\n", f);
}

int rdoc_write_html(const struct rdoc *d, FILE *f, const char *title)
{
    if (d->oom)
        return -ENOMEM;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
          "\n<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n<title>",
          f);
    html_text(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n<script>\n%s</script>\n"
               "</head>\n<body>\n",
            html_style, html_script);
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
        case RD_PLOT:
            html_plot(f, b);
            break;
        case RD_TABLE:
            table_write(f, b->t, html_table);
            break;
        }
    }
    fputs("<p id=\"selfcheck\" data-status=\"pending\">Self-check needs "
          "JavaScript.</p>\n</body>\n</html>\n",
          f);
    return ferror(f) ? -EIO : 0;
}
