/* SPDX-License-Identifier: MIT */
/* json.h: a small JSON reader (a tree of values) for the report's inputs. */
#ifndef COORD_CLI_JSON_H
#define COORD_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

/* One value. Arrays and objects hold `n` children in `items`; an object's
 * member i is named keys[i] (duplicate names are kept; lookups find the
 * first). Strings are UTF-8 and NUL-terminated (an escaped \u0000 ends
 * them early). */
struct json {
    enum json_type type;
    bool b;
    double num;
    char *str;
    struct json **items;
    char **keys;
    size_t n;
};

/*
 * json_parse: parses exactly one JSON value (RFC 8259; surrounding white
 * space allowed, nothing else) from text[0..len). Nesting is limited to 64
 * levels. Returns 0 and *out (free with json_free), -EINVAL with
 * "line L, column C: reason" in err[cap], or -ENOMEM.
 */
int json_parse(const char *text, size_t len, struct json **out, char *err,
               size_t cap);
void json_free(struct json *j);

/* The member `key` of object `j`, or NULL (also when j is not an object). */
const struct json *json_get(const struct json *j, const char *key);
/* Follows a path of members and indexes, "a.b[2].c"; NULL when absent. */
const struct json *json_path(const struct json *j, const char *path);
/* Element i of array `j`, or NULL. */
const struct json *json_at(const struct json *j, size_t i);
/* The number (`dflt` when `j` is not a number). */
double json_num(const struct json *j, double dflt);
/* The string (NULL when `j` is not a string). */
const char *json_str(const struct json *j);
/* true only for a JSON true. */
bool json_true(const struct json *j);

#endif
