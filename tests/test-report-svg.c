/* SPDX-License-Identifier: MIT */
/* test-report-svg.c: the report's SVG plots and its document writers' layout (figures, wide tables). */
#include <math.h>

#include "harness.h"
#include "report.h"

/* Renders `p` into a string (caller frees). */
static char *svg_of(const struct rplot *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(rplot_svg(p, f), 0);
    ASSERT_EQ(fclose(f), 0);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *s = hay; (s = strstr(s, needle)) != NULL; s++)
        n++;
    return n;
}

/* Is `s` well-formed XML as far as the renderer writes it: valid UTF-8,
 * tags balanced and properly nested, attribute values quoted, every & an
 * entity of the five XML defines or a numeric one, no < in text? Says why
 * not in why[]. */
static bool xml_ok(const char *s, char *why, size_t cap)
{
    const char *stack[64];
    size_t len[64], depth = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; u[i]; i++) {
        if (u[i] >= 0x80) {
            size_t n = u[i] >= 0xf0 ? 4 : u[i] >= 0xe0 ? 3 : u[i] >= 0xc2 ? 2
                                                                        : 0;
            for (size_t k = 1; k < n; k++)
                if ((u[i + k] & 0xc0) != 0x80)
                    n = 0;
            if (n == 0 || (u[i] & 0xc0) == 0x80) {
                snprintf(why, cap, "invalid UTF-8 at %zu", i);
                return false;
            }
            i += n - 1;
        }
    }
    for (const char *p = s; *p;) {
        if (*p == '&') {
            static const char *const ent[] = {"&lt;", "&gt;", "&amp;",
                                              "&quot;", "&#39;", "&apos;"};
            bool ok = false;
            for (size_t k = 0; k < 6; k++)
                ok |= !strncmp(p, ent[k], strlen(ent[k]));
            if (!ok) {
                snprintf(why, cap, "bare & at: %.30s", p);
                return false;
            }
            p++;
            continue;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        if (p[1] == '?') {
            const char *e = strstr(p, "?>");
            if (!e)
                return snprintf(why, cap, "unclosed <?"), false;
            p = e + 2;
            continue;
        }
        bool closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t n = strcspn(name, " \t\n/>");
        if (n == 0) {
            snprintf(why, cap, "< without a name: %.30s", p);
            return false;
        }
        const char *q = name + n;
        char quote = 0;
        for (; *q && (quote || *q != '>'); q++) {
            if (quote && *q == quote)
                quote = 0;
            else if (!quote && (*q == '"' || *q == '\''))
                quote = *q;
            else if (quote && *q == '<')
                return snprintf(why, cap, "< in an attribute"), false;
        }
        if (!*q)
            return snprintf(why, cap, "unterminated tag %.20s", p), false;
        if (closing) {
            if (depth == 0 || len[depth - 1] != n ||
                strncmp(stack[depth - 1], name, n)) {
                snprintf(why, cap, "</%.*s> closes %.*s", (int)n, name,
                         depth ? (int)len[depth - 1] : 4,
                         depth ? stack[depth - 1] : "none");
                return false;
            }
            depth--;
        } else if (q[-1] != '/') {
            if (depth == 64)
                return snprintf(why, cap, "nested too deep"), false;
            stack[depth] = name;
            len[depth++] = n;
        }
        p = q + 1;
    }
    if (depth != 0) {
        snprintf(why, cap, "<%.*s> not closed", (int)len[depth - 1],
                 stack[depth - 1]);
        return false;
    }
    return true;
}

#define ASSERT_XML(s)                                                          \
    do {                                                                       \
        char why_[160];                                                        \
        if (!xml_ok((s), why_, sizeof why_))                                   \
            test__fail(__FILE__, __LINE__, "not well-formed: %s", why_);       \
    } while (0)

static void titles(struct rplot *p, const char *title)
{
    snprintf(p->name, sizeof p->name, "t");
    snprintf(p->title, sizeof p->title, "%s", title);
    snprintf(p->xlabel, sizeof p->xlabel, "check every K");
    snprintf(p->ylabel, sizeof p->ylabel, "latency");
}

TEST(svg_line_chart_error_bars_and_time_ticks)
{
    static struct rplot p = {.logx = true, .logy = true, .yunit = RPLOT_NS};
    titles(&p, "Stop latency");
    struct rplot_series *a = rplot_series(&p, "cheap (C)");
    struct rplot_series *b = rplot_series(&p, "heavy (C)");
    double k[] = {1, 10, 100, 1000, 10000};
    for (int i = 0; i < 5; i++) {
        char lb[16];
        snprintf(lb, sizeof lb, "%g", k[i]);
        rplot_point_range(a, k[i], 150 * (i + 1), 100 * (i + 1),
                          900 * (i + 1), lb);
        rplot_point(b, k[i], 2000 * (i + 1), lb);
    }
    rplot_point(a, 300, 400, "auto"); /* out of order: lines sort by x */
    ASSERT_EQ_U(rplot_points(&p), 11);
    char *svg = svg_of(&p);
    ASSERT_XML(svg);
    ASSERT_TRUE(!strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39));
    ASSERT_TRUE(strstr(svg, "viewBox=\"0 0 960 ") != NULL);
    ASSERT_TRUE(strstr(svg, "width=\"100%\"") != NULL);
    /* One error bar per ranged point (caps 8 units wide), none for b. */
    ASSERT_EQ_U(count(svg, "h8.0M"), 5);
    /* Markers: circles for the first series, squares for the second. */
    ASSERT_EQ_U(count(svg, "<circle"), 6 + 1 /* legend */);
    ASSERT_EQ_U(count(svg, "<rect x="), 1 /* frame */ + 5 + 1 /* legend */);
    ASSERT_EQ_U(count(svg, "<polyline"), 2);
    /* Human units on a time axis, readable decades on the x axis. */
    ASSERT_TRUE(strstr(svg, ">100 ns</text>") != NULL);
    ASSERT_TRUE(strstr(svg, ">1 µs</text>") != NULL);
    ASSERT_TRUE(strstr(svg, ">10 µs</text>") != NULL);
    ASSERT_TRUE(strstr(svg, ">1,000</text>") != NULL);
    ASSERT_TRUE(strstr(svg, ">10k</text>") != NULL);
    /* The texts: title, axis labels, legend, the "auto" label, tooltips. */
    ASSERT_TRUE(strstr(svg, ">Stop latency</text>") != NULL);
    ASSERT_TRUE(strstr(svg, ">check every K</text>") != NULL);
    ASSERT_TRUE(strstr(svg, ">heavy (C)</text>") != NULL);
    ASSERT_TRUE(strstr(svg, ">auto</text>") != NULL);
    ASSERT_TRUE(strstr(svg, "<title>cheap (C), 10: 300 ns (spread 200 ns to "
                            "1.8 µs)</title>") != NULL);
    free(svg);
}

TEST(svg_escapes_text_and_bad_utf8)
{
    static struct rplot p = {.bars = true};
    titles(&p, "a <b> & \"c\" 'd'");
    /* A multibyte character cut in half, a control character. */
    struct rplot_series *s = rplot_series(&p, "x\xc2");
    rplot_point(s, 0, 5, "<script>\x01");
    rplot_point(s, 1, 7, "µ&");
    char *svg = svg_of(&p);
    ASSERT_XML(svg);
    ASSERT_TRUE(strstr(svg, "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;") !=
                NULL);
    ASSERT_TRUE(strstr(svg, "&lt;script&gt; ") != NULL);
    ASSERT_TRUE(strstr(svg, "<script") == NULL);
    ASSERT_TRUE(strstr(svg, "x\xef\xbf\xbd") != NULL); /* U+FFFD */
    ASSERT_TRUE(strstr(svg, "µ&amp;") != NULL);
    free(svg);
}

TEST(svg_log_axes_skip_zero_negative_and_non_finite)
{
    static struct rplot p = {.logx = true, .logy = true};
    titles(&p, "hostile values");
    struct rplot_series *s = rplot_series(&p, "s");
    rplot_point(s, 1, 0, "zero");
    rplot_point(s, 2, -5, "negative");
    rplot_point(s, 3, NAN, "nan");
    rplot_point(s, 4, INFINITY, "inf");
    rplot_point(s, 0, 10, "x zero");
    rplot_point(s, -INFINITY, 10, "x -inf");
    rplot_point_range(s, 10, 100, -50, 500, "lo below zero");
    rplot_point_range(s, 100, 1000, NAN, 5000, "half a range");
    rplot_point_range(s, 1000, 1e-300, 1e-310, 1e300, "extremes");
    ASSERT_EQ_U(rplot_points(&p), 3);
    char *svg = svg_of(&p);
    ASSERT_XML(svg);
    ASSERT_TRUE(strstr(svg, "nan") == NULL && strstr(svg, "inf") == NULL);
    ASSERT_EQ_U(count(svg, "<circle"), 3 + 1);
    /* Two error bars: the one reaching below zero stops at the axis; the
     * half range has none. */
    ASSERT_EQ_U(count(svg, "h8.0M"), 2);
    free(svg);
    /* The same on linear axes, and a bar chart of them. */
    p.logx = p.logy = false;
    ASSERT_EQ_U(rplot_points(&p), 6);
    svg = svg_of(&p);
    ASSERT_XML(svg);
    free(svg);
    p.bars = true;
    p.logy = true;
    svg = svg_of(&p);
    ASSERT_XML(svg);
    free(svg);
}

TEST(svg_empty_one_point_and_full)
{
    static struct rplot p;
    memset(&p, 0, sizeof p);
    char *svg = svg_of(&p); /* no series at all, no texts */
    ASSERT_XML(svg);
    ASSERT_TRUE(strstr(svg, "no data to plot") != NULL);
    free(svg);
    titles(&p, "one");
    struct rplot_series *s = rplot_series(&p, "only");
    svg = svg_of(&p); /* a series without points */
    ASSERT_XML(svg);
    ASSERT_TRUE(strstr(svg, "no data to plot") != NULL);
    free(svg);
    rplot_point(s, 5, 5, NULL);
    svg = svg_of(&p);
    ASSERT_XML(svg);
    ASSERT_TRUE(strstr(svg, "no data to plot") == NULL);
    ASSERT_EQ_U(count(svg, "<circle"), 2);
    ASSERT_EQ_U(count(svg, "<polyline"), 0);
    free(svg);
    /* Every series and point taken: the rest is refused, not written. */
    for (int k = 1; k < RPLOT_MAX_SERIES; k++)
        ASSERT_TRUE(rplot_series(&p, "more") != NULL);
    ASSERT_TRUE(rplot_series(&p, "one too many") == NULL);
    ASSERT_TRUE(rplot_series_named(&p, "only") == s);
    for (int i = 0; i < 2 * RPLOT_MAX_POINTS; i++)
        for (size_t k = 0; k < p.n_series; k++)
            rplot_point_range(&p.s[k], i + 1, i * (double)(k + 1), i, 2 * i,
                              "p");
    rplot_point(NULL, 1, 1, "ignored");
    ASSERT_EQ_U(s->n, RPLOT_MAX_POINTS);
    svg = svg_of(&p);
    ASSERT_XML(svg);
    free(svg);
}

TEST(svg_bars_group_by_label_and_are_deterministic)
{
    static struct rplot p = {.bars = true, .logy = true, .yunit = RPLOT_NS};
    titles(&p, "Cost of one access");
    struct rplot_series *c = rplot_series(&p, "coord (C)");
    struct rplot_series *py = rplot_series(&p, "Python");
    static const char *const mech[] = {"flag_check", "value_get",
                                       "manager_get"};
    for (int i = 0; i < 3; i++) {
        rplot_point_range(c, i, pow(10, i), pow(10, i) * 0.8,
                          pow(10, i) * 1.5, mech[i]);
        rplot_point(py, i, 200 * pow(10, i), mech[i]);
    }
    rplot_point(py, 3, 5e6, "python_only");
    char *a = svg_of(&p);
    ASSERT_XML(a);
    /* Four groups (the Python-only one too), seven bars, three error bars
     * (their caps are a quarter of a bar wide, at most 4). */
    ASSERT_TRUE(strstr(a, ">python_only</text>") != NULL);
    ASSERT_EQ_U(count(a, "<rect x=") - 2 /* frame, legend: 2 */ - 1, 7);
    ASSERT_EQ_U(count(a, "<title>coord (C), "), 3);
    ASSERT_TRUE(strstr(a, "(spread 800 ps") == NULL);
    ASSERT_TRUE(strstr(a, "(spread 0.8 ns to 1.5 ns)") != NULL);
    ASSERT_TRUE(strstr(a, ">5 ms<") != NULL);
    /* Bars on a log axis rise from a power of ten below the smallest. */
    ASSERT_TRUE(strstr(a, ">0.1 ns</text>") != NULL);
    /* Same plot, same bytes; a copy too. */
    char *b = svg_of(&p);
    ASSERT_STR_EQ(a, b);
    free(b);
    static struct rplot q;
    memcpy(&q, &p, sizeof q);
    b = svg_of(&q);
    ASSERT_STR_EQ(a, b);
    free(b);
    free(a);
}

/* Writes `d` with `writer` into a string (caller frees). */
static char *doc_of(const struct rdoc *d, bool html)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(html ? rdoc_write_html(d, f, "t <1>") : rdoc_write_md(d, f), 0);
    ASSERT_EQ(fclose(f), 0);
    return buf;
}

TEST(doc_plots_inline_in_html_linked_in_markdown)
{
    struct rdoc d = {0};
    static struct rplot p = {.logy = true};
    titles(&p, "latency");
    snprintf(p.name, sizeof p.name, "fraud-latency");
    rplot_point(rplot_series(&p, "p50"), 1, 10, "1");
    rdoc_plot(&d, &p, "Response latency, `p50` & p99", true);
    snprintf(p.name, sizeof p.name, "other"); /* the document has a copy */
    rdoc_plot(&d, &p, "No PNG", false);
    char *html = doc_of(&d, true);
    ASSERT_EQ_U(count(html, "<figure class=\"plot\""), 2);
    ASSERT_EQ_U(count(html, "<svg xmlns"), 2);
    ASSERT_TRUE(strstr(html, "<img") == NULL);
    ASSERT_TRUE(strstr(html, "id=\"plot-fraud-latency\"") != NULL);
    ASSERT_TRUE(strstr(html, "<figcaption>Response latency, <code>p50</code>"
                             " &amp; p99") != NULL);
    ASSERT_TRUE(strstr(html, "<title>t &lt;1&gt;</title>") != NULL);
    ASSERT_TRUE(strstr(html, "plots/other.png") == NULL);
    ASSERT_TRUE(strstr(html, "data-overflow") != NULL);
    free(html);
    char *md = doc_of(&d, false);
    ASSERT_TRUE(strstr(md, "](plots/fraud-latency.png)") != NULL);
    ASSERT_TRUE(strstr(md, "](plots/other.svg)") != NULL);
    free(md);
    rdoc_free(&d);
}

/* Paragraphs: `code`, **bold** and [links](href) become HTML; a '[' that
 * starts no link stays text; the Markdown keeps the source. */
TEST(doc_inline_markup_and_links)
{
    struct rdoc d = {0};
    rdoc_para(&d, "Raw data: [`data/fraud.json`](data/fraud.json), "
                  "**bold** [--flag] a<b [x](y\nz)");
    char *html = doc_of(&d, true);
    ASSERT_TRUE(strstr(html, "Raw data: <a href=\"data/fraud.json\">"
                             "<code>data/fraud.json</code></a>, "
                             "<strong>bold</strong> [--flag] a&lt;b [x](y")
                != NULL);
    free(html);
    char *md = doc_of(&d, false);
    ASSERT_TRUE(strstr(md, "[`data/fraud.json`](data/fraud.json)") != NULL);
    free(md);
    rdoc_free(&d);
}

/* Text from outside the program (a CPU model, a python3 version, a path in
 * an error message) reaches paragraphs and cells: a link it forms to an
 * address other than a relative one or http(s) stays text in the HTML
 * ("[x](javascript:...)" was a live link, an audit's finding), and the
 * Markdown neither makes it a link nor passes HTML through raw. */
TEST(doc_outside_text_forms_no_unsafe_link_or_markup)
{
    struct rdoc d = {0};
    rdoc_para(&d, "cannot write o<script>alert(1)</script>[l](javascript:location=1)"
                  "/x: see [the log](data/x.log), [web](https://example.org/a) "
                  "and [js](JavaScript:alert(2)) [d](data:text/html,x)\n# not a heading");
    const char *head[] = {"what", "value", NULL};
    struct rdoc_table *t = rdoc_table(&d, head);
    const char *row[] = {"python3", "Python 3.99 <b>[x](javascript:alert(3))</b>", NULL};
    rdoc_row(&d, t, row);
    char *html = doc_of(&d, true);
    ASSERT_TRUE(strstr(html, "href=\"javascript") == NULL);
    ASSERT_TRUE(strstr(html, "href=\"JavaScript") == NULL);
    ASSERT_TRUE(strstr(html, "href=\"data:") == NULL);
    ASSERT_TRUE(strstr(html, "<script>alert") == NULL); /* (the page has its own) */
    ASSERT_TRUE(strstr(html, "&lt;script&gt;alert") != NULL);
    ASSERT_TRUE(strstr(html, "<a href=\"data/x.log\">the log</a>") != NULL);
    ASSERT_TRUE(strstr(html, "<a href=\"https://example.org/a\">web</a>") != NULL);
    free(html);
    char *md = doc_of(&d, false);
    ASSERT_TRUE(strstr(md, "<script>") == NULL);
    ASSERT_TRUE(strstr(md, "<b>") == NULL);
    ASSERT_TRUE(strstr(md, "&lt;script&gt;") != NULL);
    ASSERT_TRUE(strstr(md, "\\[l](javascript:") != NULL);
    ASSERT_TRUE(strstr(md, "\\[js](JavaScript:") != NULL);
    ASSERT_TRUE(strstr(md, "[the log](data/x.log)") != NULL);
    ASSERT_TRUE(strstr(md, "\n# not a heading") == NULL);
    free(md);
    rdoc_free(&d);
}

static struct rdoc_table *wide_table(struct rdoc *d, size_t cols, size_t rows,
                                     bool repeat_key)
{
    const char *head[32];
    char names[32][16];
    for (size_t c = 0; c < cols; c++) {
        snprintf(names[c], sizeof names[c], c == cols - 1 ? "verdict"
                                                          : "col%zu", c);
        head[c] = names[c];
    }
    head[cols] = NULL;
    struct rdoc_table *t = rdoc_table(d, head);
    for (size_t r = 0; r < rows; r++) {
        char cells[32][48];
        const char *row[32];
        for (size_t c = 0; c < cols; c++) {
            if (c == 0)
                snprintf(cells[c], sizeof cells[c], "key%zu",
                         repeat_key ? r / 2 : r);
            else if (c == cols - 1)
                snprintf(cells[c], sizeof cells[c], "holds");
            else
                snprintf(cells[c], sizeof cells[c], "%zu,%03zu", r, c);
            row[c] = cells[c];
        }
        rdoc_row(d, t, row);
    }
    return t;
}

TEST(doc_wide_tables_split_or_transposed)
{
    struct rdoc d = {0};
    wide_table(&d, 15, 10, false); /* split: 14 columns after the key */
    char *html = doc_of(&d, true);
    ASSERT_EQ_U(count(html, "<table>"), 3);
    ASSERT_TRUE(strstr(html, "<caption>Part 3 of 3 (continued; the first "
                             "column repeats)</caption>") != NULL);
    ASSERT_EQ_U(count(html, "<th>col0</th>"), 3);
    /* Every part at most 7 columns; numbers right-aligned; verdicts. */
    for (const char *t = html; (t = strstr(t, "<table>")) != NULL; t++) {
        const char *end = strstr(t, "</tr>");
        size_t th = 0;
        for (const char *h = t; (h = strstr(h, "<th")) && h < end; h++)
            th++;
        ASSERT_LE(th, 7);
    }
    ASSERT_TRUE(strstr(html, "<td class=\"num\">3,001</td>") != NULL);
    ASSERT_EQ_U(count(html, "<td class=\"ok\">holds</td>"), 10);
    free(html);
    rdoc_free(&d);

    wide_table(&d, 12, 8, true); /* the key repeats: two key columns */
    html = doc_of(&d, true);
    ASSERT_EQ_U(count(html, "<th>col0</th>"), count(html, "<table>"));
    ASSERT_EQ_U(count(html, "<th class=\"num\">col1</th>"),
                count(html, "<table>"));
    ASSERT_TRUE(strstr(html, "the first two columns repeat") != NULL);
    free(html);
    rdoc_free(&d);

    wide_table(&d, 12, 2, false); /* few rows: transposed */
    html = doc_of(&d, true);
    ASSERT_EQ_U(count(html, "<table>"), 1);
    ASSERT_TRUE(strstr(html, "<tr><th>col0</th><th>key0</th><th>key1</th>"
                             "</tr>") != NULL);
    ASSERT_EQ_U(count(html, "<tr>"), 12);
    ASSERT_EQ_U(count(html, "<td class=\"ok\">holds</td>"), 2);
    free(html);
    char *md = doc_of(&d, false);
    ASSERT_TRUE(strstr(md, "| col0 | key0 | key1 |\n|---|---|---|\n| col1 |")
                != NULL);
    free(md);
    rdoc_free(&d);

    wide_table(&d, 5, 4, false); /* fits: as it is */
    html = doc_of(&d, true);
    ASSERT_EQ_U(count(html, "<table>"), 1);
    ASSERT_TRUE(strstr(html, "<caption>") == NULL);
    free(html);
    rdoc_free(&d);
}

#define TEST_LIST(X)                                                           \
    X(svg_line_chart_error_bars_and_time_ticks)                                \
    X(svg_escapes_text_and_bad_utf8)                                           \
    X(svg_log_axes_skip_zero_negative_and_non_finite)                          \
    X(svg_empty_one_point_and_full)                                            \
    X(svg_bars_group_by_label_and_are_deterministic)                           \
    X(doc_plots_inline_in_html_linked_in_markdown)                             \
    X(doc_inline_markup_and_links)                                             \
    X(doc_outside_text_forms_no_unsafe_link_or_markup)                         \
    X(doc_wide_tables_split_or_transposed)
#define HELPER_LIST(X)
TEST_MAIN()
