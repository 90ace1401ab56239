/* SPDX-License-Identifier: MIT */
/* fuzz-json.c: libFuzzer harness for the CLI's JSON reader (cli/json.c), which reads the report's data files back. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Walks every value as the report does (paths, indexes, numbers,
 * strings): a tree must hold what json.h says (strings NUL-terminated,
 * objects with a name per member). */
static void walk(const struct json *j, int depth)
{
    if (depth > 66)
        abort(); /* json_parse stops at 64 levels */
    volatile size_t sink = 0;
    switch (j->type) {
    case JSON_STRING:
        if (!j->str)
            abort();
        sink += strlen(j->str);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        for (size_t i = 0; i < j->n; i++) {
            if (j->type == JSON_OBJECT) {
                if (!j->keys || !j->keys[i])
                    abort();
                sink += strlen(j->keys[i]);
                if (!json_get(j, j->keys[i]))
                    abort();
            } else if (json_at(j, i) != j->items[i]) {
                abort();
            }
            walk(j->items[i], depth + 1);
        }
        break;
    default:
        sink += (json_num(j, 0) != 0) + json_true(j);
        break;
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input in its own allocation, unterminated: the reader must stay in
 * text[0..len). A path of the report's shape is looked up too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct json *j = NULL;
    char err[128];
    int rc = json_parse(text, size, &j, err, sizeof err);
    if (rc == 0) {
        if (!j)
            abort();
        walk(j, 0);
        (void)json_path(j, "rows[0].ns");
        (void)json_str(json_path(j, "a.b[2].c"));
    } else if ((rc != -EINVAL && rc != -ENOMEM) || j ||
               strncmp(err, "line ", 5) != 0) {
        abort();
    }
    json_free(j);
    free(text);
    return 0;
}
