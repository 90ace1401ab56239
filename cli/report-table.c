/* SPDX-License-Identifier: MIT */
/* report-table.c: the report's tables laid out for a 1280 px page: column widths, splitting into parts, transposing. */
#include <ctype.h>
#include <string.h>

#include "report-table.h"

/* Is the cell a number, with perhaps a sign and a short unit ("19,301,902",
 * "-2.5", "213 ns", "12%", "2.13×")? Such columns are right-aligned. */
static bool numeric(const char *s)
{
    if (*s == '-' || *s == '+' || *s == '~')
        s++;
    else if (!strncmp(s, "\xe2\x89\x88", 3)) /* ≈ */
        s += 3;
    if (!isdigit((unsigned char)*s))
        return false;
    while (isdigit((unsigned char)*s) || *s == ',' || *s == '.')
        s++;
    if ((*s == 'e' || *s == 'E') &&
        (isdigit((unsigned char)s[1]) ||
         ((s[1] == '-' || s[1] == '+') && isdigit((unsigned char)s[2])))) {
        s += 2;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s == ' ')
        s++;
    return strlen(s) <= 6 && !strchr(s, ' ');
}

/* Characters (not bytes) in s[0..n). */
static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n && s[i]; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* The longest word of s, in characters (where a browser may break a line:
 * spaces, hyphens, slashes). */
size_t table_longest_word(const char *s)
{
    size_t word = 0;
    for (const char *w = s; *w;) {
        size_t n = strcspn(w, " -/");
        size_t c = chars(w, n);
        word = c > word ? c : word;
        w += n + (w[n] != '\0');
    }
    return word;
}

/* The width a cell asks for, in characters. A word longer than
 * TABLE_LONG_WORD (a path, a hash) may break anywhere (class "long"). */
static size_t cell_chars(const char *s)
{
    size_t all = chars(s, strlen(s));
    if (all <= TABLE_WRAP_CHARS || numeric(s))
        return all;
    size_t word = table_longest_word(s);
    if (word > TABLE_LONG_WORD)
        word = TABLE_LONG_WORD;
    return word > TABLE_WRAP_CHARS ? word : TABLE_WRAP_CHARS;
}

static double col_px(const struct rdoc_table *t, size_t c)
{
    size_t want = 0;
    for (size_t r = 0; r <= t->rows; r++) {
        size_t w = cell_chars(t->cell[r * t->cols + c]);
        want = w > want ? w : want;
    }
    return (double)want * TABLE_CHAR_PX + TABLE_PAD_PX;
}

const char *table_cell(const struct tview *v, size_t r, size_t c)
{
    const struct rdoc_table *t = v->t;
    return v->transposed ? t->cell[c * t->cols + r]
                         : t->cell[r * t->cols + v->col[c]];
}

/* A cell that says there is no value. */
static bool blank(const char *s)
{
    static const char *const none[] = {"", "-", "\xe2\x80\x94", "null", "n/a"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        if (!strcmp(s, none[i]))
            return true;
    return false;
}

/* Right-aligned: every data cell of the column that has a value is a
 * number. */
bool table_col_numeric(const struct tview *v, size_t c)
{
    size_t n = 0;
    for (size_t r = 1; r <= v->nrows; r++) {
        const char *s = table_cell(v, r, c);
        if (blank(s))
            continue;
        if (!numeric(s))
            return false;
        n++;
    }
    return n > 0;
}

/* A verdict cell: in a "verdict" column, or a "verdict" row once
 * transposed. */
bool table_is_verdict(const struct tview *v, size_t r, size_t c)
{
    return !strcmp(table_cell(v, 0, c), "verdict") ||
           (v->transposed && c > 0 && !strcmp(table_cell(v, r, 0), "verdict"));
}

/* How many leading columns name a row: the first, or the first two when
 * the first repeats (mechanism + impl), so that every part of a split table
 * can be read on its own. */
static size_t key_cols(const struct rdoc_table *t)
{
    if (t->cols < 4)
        return 1;
    for (size_t a = 1; a <= t->rows; a++)
        for (size_t b = a + 1; b <= t->rows; b++)
            if (!strcmp(t->cell[a * t->cols], t->cell[b * t->cols]))
                return 2;
    return 1;
}

/* The columns of the part that starts at column `from` after the `keys`
 * key columns: *to is one past its last. Returns its column count. */
static size_t part_cols(const struct rdoc_table *t, size_t keys, size_t from,
                        size_t *to)
{
    double w = 0;
    for (size_t k = 0; k < keys; k++)
        w += col_px(t, k);
    size_t n = keys, c = from;
    while (c < t->cols && n < TABLE_MAX_COLS) {
        double wc = col_px(t, c);
        if (n > keys && w + wc > PAGE_TEXT_PX)
            break;
        w += wc;
        n++;
        c++;
    }
    *to = c;
    return n;
}

/* Writes `t` through `fn` as it fits the page: whole; transposed when it
 * has few rows; else in parts of at most TABLE_MAX_COLS columns that fit
 * side by side, each beginning with the table's key columns. */
void table_write(FILE *f, const struct rdoc_table *t, table_view_fn fn)
{
    struct tview v = {.t = t, .nrows = t->rows, .part = 1, .parts = 1};
    double w = 0;
    for (size_t c = 0; c < t->cols; c++)
        w += col_px(t, c);
    if (t->cols <= TABLE_MAX_COLS && w <= PAGE_TEXT_PX) {
        v.ncols = t->cols;
        for (size_t c = 0; c < t->cols; c++)
            v.col[c] = c;
        fn(f, &v);
        return;
    }
    if (t->rows <= TABLE_TRANSPOSE_ROWS) {
        v.transposed = true;
        v.ncols = t->rows + 1;
        v.nrows = t->cols - 1;
        fn(f, &v);
        return;
    }
    /* As many parts as a greedy fill needs, the columns then shared out
     * evenly (no part of one lonely column after a full one). */
    size_t to;
    v.keys = key_cols(t);
    v.parts = 0;
    for (size_t from = v.keys; from < t->cols; from = to) {
        part_cols(t, v.keys, from, &to);
        v.parts++;
    }
    size_t rest = t->cols - v.keys;
    for (size_t from = v.keys; from < t->cols; from += rest, v.part++) {
        size_t left = v.parts - v.part + 1;
        rest = (t->cols - from + left - 1) / left;
        v.ncols = v.keys + rest;
        for (size_t c = 0; c < v.ncols; c++)
            v.col[c] = c < v.keys ? c : from + c - v.keys;
        fn(f, &v);
    }
}
