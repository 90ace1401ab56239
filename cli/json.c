/* SPDX-License-Identifier: MIT */
/* json.c: a recursive-descent JSON reader with line and column in its errors. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH 64

struct parser {
    const char *s, *end, *p;
    char *err;
    size_t cap;
    int rc;
};

static void fail(struct parser *ps, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct parser *ps, int rc, const char *fmt, ...)
{
    if (ps->rc)
        return;
    ps->rc = rc;
    if (!ps->err || ps->cap == 0)
        return;
    size_t line = 1, col = 1;
    for (const char *q = ps->s; q < ps->p && q < ps->end; q++) {
        if (*q == '\n')
            line++, col = 1;
        else
            col++;
    }
    int n = snprintf(ps->err, ps->cap, "line %zu, column %zu: ", line, col);
    if (n < 0 || (size_t)n >= ps->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->cap - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                               *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static struct json *new_value(struct parser *ps, enum json_type t)
{
    struct json *j = calloc(1, sizeof *j);
    if (!j)
        fail(ps, -ENOMEM, "out of memory");
    else
        j->type = t;
    return j;
}

static bool literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A string literal at ps->p (the opening quote) into a new buffer. */
static char *string(struct parser *ps)
{
    ps->p++; /* the quote */
    const char *q = ps->p;
    /* The decoded text is never longer than the literal. */
    while (q < ps->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= ps->end) {
        fail(ps, -EINVAL, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(q - ps->p) + 1), *o = out;
    if (!out) {
        fail(ps, -ENOMEM, "out of memory");
        return NULL;
    }
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            fail(ps, -EINVAL, "control character in a string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            ps->p++;
            continue;
        }
        char e = ps->p[1];
        ps->p += 2;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int cp = ps->end - ps->p >= 4 ? hex4(ps->p) : -1;
            if (cp < 0) {
                fail(ps, -EINVAL, "bad \\u escape");
                free(out);
                return NULL;
            }
            ps->p += 4;
            unsigned u = (unsigned)cp;
            if (u >= 0xd800 && u < 0xdc00 && ps->end - ps->p >= 6 &&
                ps->p[0] == '\\' && ps->p[1] == 'u') {
                int lo = hex4(ps->p + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    u = 0x10000 + ((u - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
                    ps->p += 6;
                }
            }
            if (u >= 0xd800 && u < 0xe000)
                u = 0xfffd; /* a lone surrogate: the replacement character */
            o += put_utf8(o, u);
            break;
        }
        default:
            fail(ps, -EINVAL, "bad escape '\\%c'", e ? e : '0');
            free(out);
            return NULL;
        }
    }
    ps->p++; /* the closing quote */
    *o = '\0';
    return out;
}

static bool number(struct parser *ps, double *v)
{
    const char *q = ps->p;
    if (q < ps->end && *q == '-')
        q++;
    if (q >= ps->end || !isdigit((unsigned char)*q))
        return false;
    if (*q == '0')
        q++;
    else
        while (q < ps->end && isdigit((unsigned char)*q))
            q++;
    if (q < ps->end && *q == '.') {
        q++;
        if (q >= ps->end || !isdigit((unsigned char)*q))
            return false;
        while (q < ps->end && isdigit((unsigned char)*q))
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || !isdigit((unsigned char)*q))
            return false;
        while (q < ps->end && isdigit((unsigned char)*q))
            q++;
    }
    /* strtod needs a terminated copy; a number of any length is valid
     * JSON (one of 80 digits was refused as "unexpected character"). */
    char small[64];
    size_t n = (size_t)(q - ps->p);
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf)
        return false;
    memcpy(buf, ps->p, n);
    buf[n] = '\0';
    *v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    ps->p = q;
    return true;
}

static struct json *value(struct parser *ps, int depth);

static bool push(struct parser *ps, struct json *c, struct json *item,
                 char *key, size_t *cap)
{
    if (c->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        struct json **ni = realloc(c->items, nc * sizeof *ni);
        if (ni)
            c->items = ni;
        char **nk = c->type == JSON_OBJECT ? realloc(c->keys, nc * sizeof *nk)
                                           : NULL;
        if (nk)
            c->keys = nk;
        if (!ni || (c->type == JSON_OBJECT && !nk)) {
            fail(ps, -ENOMEM, "out of memory");
            return false;
        }
        *cap = nc;
    }
    if (c->type == JSON_OBJECT)
        c->keys[c->n] = key;
    c->items[c->n++] = item;
    return true;
}

static struct json *container(struct parser *ps, int depth, bool object)
{
    char close = object ? '}' : ']';
    struct json *c = new_value(ps, object ? JSON_OBJECT : JSON_ARRAY);
    size_t cap = 0;
    if (!c)
        return NULL;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return c;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, -EINVAL, "expected a member name");
                break;
            }
            if (!(key = string(ps)))
                break;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                fail(ps, -EINVAL, "expected ':'");
                free(key);
                break;
            }
            ps->p++;
        }
        struct json *item = value(ps, depth + 1);
        if (!item || !push(ps, c, item, key, &cap)) {
            json_free(item);
            free(key);
            break;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return c;
        }
        fail(ps, -EINVAL, "expected ',' or '%c'", close);
        break;
    }
    json_free(c);
    return NULL;
}

static struct json *value(struct parser *ps, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail(ps, -EINVAL, "nested deeper than %d", JSON_MAX_DEPTH);
        return NULL;
    }
    skip_ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, -EINVAL, "unexpected end of input");
        return NULL;
    }
    struct json *j;
    switch (*ps->p) {
    case '{':
        return container(ps, depth, true);
    case '[':
        return container(ps, depth, false);
    case '"': {
        char *s = string(ps);
        if (!s)
            return NULL;
        if (!(j = new_value(ps, JSON_STRING))) {
            free(s);
            return NULL;
        }
        j->str = s;
        return j;
    }
    default:
        break;
    }
    if (literal(ps, "true") || literal(ps, "false")) {
        if ((j = new_value(ps, JSON_BOOL)))
            j->b = ps->p[-1] == 'e' && ps->p[-2] == 'u';
        return j;
    }
    if (literal(ps, "null"))
        return new_value(ps, JSON_NULL);
    double v;
    if (number(ps, &v)) {
        if ((j = new_value(ps, JSON_NUMBER)))
            j->num = v;
        return j;
    }
    fail(ps, -EINVAL, "unexpected character '%c'",
         isprint((unsigned char)*ps->p) ? *ps->p : '?');
    return NULL;
}

int json_parse(const char *text, size_t len, struct json **out, char *err,
               size_t cap)
{
    if (err && cap)
        err[0] = '\0';
    if (!text || !out)
        return -EINVAL;
    struct parser ps = {text, text + len, text, err, cap, 0};
    struct json *j = value(&ps, 0);
    if (j) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            fail(&ps, -EINVAL, "text after the value");
    }
    if (ps.rc) {
        json_free(j);
        return ps.rc;
    }
    *out = j;
    return 0;
}

void json_free(struct json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        json_free(j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->str);
    free(j);
}

const struct json *json_get(const struct json *j, const char *key)
{
    if (!j || j->type != JSON_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (!strcmp(j->keys[i], key))
            return j->items[i];
    return NULL;
}

const struct json *json_at(const struct json *j, size_t i)
{
    if (!j || j->type != JSON_ARRAY || i >= j->n)
        return NULL;
    return j->items[i];
}

const struct json *json_path(const struct json *j, const char *path)
{
    const char *p = path;
    char key[128];
    while (j && p && *p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            unsigned long i = strtoul(p + 1, &end, 10);
            if (end == p + 1 || *end != ']')
                return NULL;
            j = json_at(j, i);
            p = end + 1;
            continue;
        }
        size_t n = strcspn(p, ".[");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        j = json_get(j, key);
        p += n;
    }
    return j;
}

double json_num(const struct json *j, double dflt)
{
    return j && j->type == JSON_NUMBER ? j->num : dflt;
}

const char *json_str(const struct json *j)
{
    return j && j->type == JSON_STRING ? j->str : NULL;
}

bool json_true(const struct json *j)
{
    return j && j->type == JSON_BOOL && j->b;
}
