/* SPDX-License-Identifier: MIT */
/* json-write.c: a streaming JSON writer: nesting, commas, escaping and one format per kind of number. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "cli.h"
#include "json-write.h"

void jw_init(struct jw *w, FILE *f)
{
    *w = (struct jw){.f = f};
}

/* Before any value: the comma, and whether a value may go here at all. */
static bool begin_value(struct jw *w)
{
    if (w->err)
        return false;
    if (w->depth > 0) {
        bool obj = w->object[w->depth - 1];
        if (obj && !w->key_pending) {
            w->err = -EINVAL; /* a value without a key in an object */
            return false;
        }
        if (!obj && w->any[w->depth - 1])
            fputc(',', w->f);
        w->any[w->depth - 1] = true;
    }
    w->key_pending = false;
    return true;
}

static void open_container(struct jw *w, bool object)
{
    if (!begin_value(w))
        return;
    if (w->depth == JW_MAX_DEPTH) {
        w->err = -EINVAL;
        return;
    }
    fputc(object ? '{' : '[', w->f);
    w->object[w->depth] = object;
    w->any[w->depth] = false;
    w->depth++;
}

static void close_container(struct jw *w, bool object)
{
    if (w->err)
        return;
    if (w->depth == 0 || w->object[w->depth - 1] != object ||
        w->key_pending) {
        w->err = -EINVAL;
        return;
    }
    w->depth--;
    fputc(object ? '}' : ']', w->f);
}

void jw_object(struct jw *w)
{
    open_container(w, true);
}

void jw_object_end(struct jw *w)
{
    close_container(w, true);
}

void jw_array(struct jw *w)
{
    open_container(w, false);
}

void jw_array_end(struct jw *w)
{
    close_container(w, false);
}

/* The length of the well-formed UTF-8 sequence at s (1..4), or 0 when
 * the bytes there are not one (a stray continuation byte, an overlong or
 * surrogate form, a truncated sequence). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
               : (c & 0xf8) == 0xf0                ? 4
                                                   : 0;
    if (n == 0 || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
        return 0;
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
        return 0;
    return n;
}

/* A JSON string: escapes as RFC 8259 asks, and every byte that is not
 * part of well-formed UTF-8 (a file name in /dev/shm can be any bytes) as
 * U+FFFD, so the document stays JSON whatever the text. */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)s);
            if (n == 0) {
                fputs("\\ufffd", f);
            } else {
                fwrite(s, 1, n, f);
                s += n - 1;
            }
            continue;
        }
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void jw_key(struct jw *w, const char *key)
{
    if (w->err)
        return;
    if (w->depth == 0 || !w->object[w->depth - 1] || w->key_pending || !key) {
        w->err = -EINVAL;
        return;
    }
    if (w->any[w->depth - 1])
        fputc(',', w->f);
    put_string(w->f, key);
    fputc(':', w->f);
    w->key_pending = true;
}

void jw_str(struct jw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    if (begin_value(w))
        put_string(w->f, s);
}

void jw_int(struct jw *w, int64_t v)
{
    if (begin_value(w))
        fprintf(w->f, "%" PRId64, v);
}

void jw_uint(struct jw *w, uint64_t v)
{
    if (begin_value(w))
        fprintf(w->f, "%" PRIu64, v);
}

void jw_bool(struct jw *w, bool v)
{
    if (begin_value(w))
        fputs(v ? "true" : "false", w->f);
}

void jw_null(struct jw *w)
{
    if (begin_value(w))
        fputs("null", w->f);
}

void jw_num(struct jw *w, double v)
{
    if (!isfinite(v))
        jw_null(w);
    else if (begin_value(w))
        fprintf(w->f, "%.6g", v);
}

/* A non-negative quantity as a rounded integer; null when not measured. */
static void whole(struct jw *w, double v)
{
    if (!isfinite(v) || v < 0 || v >= 9.2e18)
        jw_null(w);
    else
        jw_int(w, (int64_t)llround(v));
}

void jw_ns(struct jw *w, double ns)
{
    whole(w, ns);
}

void jw_ps(struct jw *w, double ps)
{
    whole(w, ps);
}

void jw_count(struct jw *w, double v)
{
    whole(w, v);
}

int jw_finish(struct jw *w)
{
    if (!w->err && (w->depth != 0 || w->key_pending))
        w->err = -EINVAL;
    fputc('\n', w->f);
    if (!w->err && ferror(w->f))
        w->err = -EIO;
    return w->err;
}

void jw_kobject(struct jw *w, const char *key)
{
    jw_key(w, key);
    jw_object(w);
}

void jw_karray(struct jw *w, const char *key)
{
    jw_key(w, key);
    jw_array(w);
}

void jw_kstr(struct jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

void jw_kint(struct jw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}

void jw_kuint(struct jw *w, const char *key, uint64_t v)
{
    jw_key(w, key);
    jw_uint(w, v);
}

void jw_kbool(struct jw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_bool(w, v);
}

void jw_knull(struct jw *w, const char *key)
{
    jw_key(w, key);
    jw_null(w);
}

void jw_knum(struct jw *w, const char *key, double v)
{
    jw_key(w, key);
    jw_num(w, v);
}

void jw_kns(struct jw *w, const char *key, double ns)
{
    jw_key(w, key);
    jw_ns(w, ns);
}

void jw_kps(struct jw *w, const char *key, double ps)
{
    jw_key(w, key);
    jw_ps(w, ps);
}

void jw_kcount(struct jw *w, const char *key, double v)
{
    jw_key(w, key);
    jw_count(w, v);
}
