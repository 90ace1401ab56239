/* SPDX-License-Identifier: MIT */
/* report-table.h: how a report table is laid out for a 1280 px page (whole, split into parts, or transposed); the writers in report-doc.c write the views. */
#ifndef COORD_CLI_REPORT_TABLE_H
#define COORD_CLI_REPORT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report.h"

/*
 * The functions are pure apart from the writer they call; any thread may
 * use them on its own tables.
 */
/* The page's text column at 1280 px is 1,100 px less its padding; a column
 * wants its longest cell, text wrapping at about 16 characters (never
 * inside a word), numbers never wrapping; a glyph of the tables' 14 px
 * font is about 7.6 px, a cell's padding and border 18 px. */
#define PAGE_TEXT_PX 1060.0
#define TABLE_MAX_COLS 7
#define TABLE_WRAP_CHARS 16
#define TABLE_LONG_WORD 40
#define TABLE_CHAR_PX 7.6
#define TABLE_PAD_PX 18.0
/* A table this short is transposed rather than split. */
#define TABLE_TRANSPOSE_ROWS 3

/* A table as written: some of its columns, or all of it transposed. */
struct tview {
    const struct rdoc_table *t;
    bool transposed;
    size_t ncols, nrows;         /* nrows: data rows, the header excluded */
    size_t col[TABLE_MAX_COLS];  /* not transposed: the table's columns */
    size_t keys;                 /* leading columns every part repeats */
    size_t part, parts;          /* 1-based, of a split table */
};

typedef void (*table_view_fn)(FILE *f, const struct tview *v);

/* table_write: calls fn once per view of `t` as it fits the page: the
 * whole table; transposed when it has at most TABLE_TRANSPOSE_ROWS rows;
 * else in parts of at most TABLE_MAX_COLS columns that fit side by side,
 * each beginning with the table's key columns (its first, or first two when
 * the first repeats). */
void table_write(FILE *f, const struct rdoc_table *t, table_view_fn fn);

/* table_cell: the text of the view's cell at row r (0: the header) and
 * column c. */
const char *table_cell(const struct tview *v, size_t r, size_t c);

/* table_col_numeric: every data cell of column c that has a value is a
 * number (the column is right-aligned). */
bool table_col_numeric(const struct tview *v, size_t c);

/* table_is_verdict: the cell is a verdict (in a "verdict" column, or a
 * "verdict" row once transposed). */
bool table_is_verdict(const struct tview *v, size_t r, size_t c);

/* table_longest_word: the longest word of s in characters (where a
 * browser may break a line: spaces, hyphens, slashes). */
size_t table_longest_word(const char *s);

#endif
