/* SPDX-License-Identifier: MIT */
/* json-write.h: the one JSON writer of the tool: a streaming writer that tracks nesting and commas and escapes strings. */
#ifndef COORD_CLI_JSON_WRITE_H
#define COORD_CLI_JSON_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Every `--json` document and every JSON file the tool writes goes through
 * this writer, so commas, nesting, escaping and number formats are right
 * by construction and the same everywhere (docs/json.md):
 *   - strings are escaped (", \ and control characters; other bytes,
 *     UTF-8 included, are copied);
 *   - integers are written exactly; jw_num writes a double with "%.6g"
 *     (six significant digits) and null when it is not finite;
 *   - jw_ns writes a duration in integer nanoseconds (rounded) and null
 *     when it is negative or not finite (not measured), as docs/json.md's
 *     `_ns` fields require; jw_ps the same in integer picoseconds.
 * Use: jw_init, then values; inside an object each value follows a key
 * (jw_key or the jw_k* shorthands). jw_finish checks that every object and
 * array was closed and ends the line.
 * Concurrency: a writer belongs to one thread. Errors: a misuse (a value
 * without a key in an object, a key outside an object, closing what is not
 * open, nesting deeper than JW_MAX_DEPTH) is remembered and returned by
 * jw_finish; the writer writes nothing more after it.
 */
#define JW_MAX_DEPTH 32

struct jw {
    FILE *f;
    int depth;
    int err;
    bool key_pending;          /* a key was written; its value is next */
    bool any[JW_MAX_DEPTH];    /* the open container has a member already */
    bool object[JW_MAX_DEPTH]; /* the open container is an object */
};

/* jw_init: a writer of one document to `f` (borrowed). */
void jw_init(struct jw *w, FILE *f);
/* jw_finish: writes a newline; returns 0, -EINVAL after a misuse or when
 * a container is still open, or -EIO when `f` has an error. */
int jw_finish(struct jw *w);

void jw_object(struct jw *w);
void jw_object_end(struct jw *w);
void jw_array(struct jw *w);
void jw_array_end(struct jw *w);
/* jw_key: the next member's name (inside an object only). */
void jw_key(struct jw *w, const char *key);

/* Values (as an array element or after a key). */
void jw_str(struct jw *w, const char *s); /* NULL: null */
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_num(struct jw *w, double v);
void jw_ns(struct jw *w, double ns);
void jw_ps(struct jw *w, double ps);
/* A count held in a double (a median of counts): rounded to an integer,
 * null when negative or not finite. */
void jw_count(struct jw *w, double v);

/* Key and value in one call. */
void jw_kobject(struct jw *w, const char *key);
void jw_karray(struct jw *w, const char *key);
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, int64_t v);
void jw_kuint(struct jw *w, const char *key, uint64_t v);
void jw_kbool(struct jw *w, const char *key, bool v);
void jw_knull(struct jw *w, const char *key);
void jw_knum(struct jw *w, const char *key, double v);
void jw_kns(struct jw *w, const char *key, double ns);
void jw_kps(struct jw *w, const char *key, double ps);
void jw_kcount(struct jw *w, const char *key, double v);

#endif
