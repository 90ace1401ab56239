/* SPDX-License-Identifier: MIT */
/* test-report.c: the JSON reader and `coord report` end to end (files, JSON, browser). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "json.h"

static struct json *parse_ok(const char *text)
{
    struct json *j = NULL;
    char err[128];
    int rc = json_parse(text, strlen(text), &j, err, sizeof err);
    if (rc != 0)
        test__fail(__FILE__, __LINE__, "parse of %s failed: %s", text, err);
    return j;
}

TEST(json_values)
{
    struct json *j = parse_ok(
        " {\"a\": [1, -2.5e3, true, false, null, \"x\\\"y\\u00e9\\ud83d\\ude00\"],"
        " \"b\": {\"c\": {\"d\": 0.125}}, \"e\": [], \"f\": {}} \n");
    ASSERT_EQ(j->type, JSON_OBJECT);
    ASSERT_EQ_F(json_num(json_path(j, "a[0]"), 0), 1);
    ASSERT_EQ_F(json_num(json_path(j, "a[1]"), 0), -2500);
    ASSERT_TRUE(json_true(json_path(j, "a[2]")));
    ASSERT_FALSE(json_true(json_path(j, "a[3]")));
    ASSERT_EQ(json_path(j, "a[4]")->type, JSON_NULL);
    ASSERT_STR_EQ(json_str(json_path(j, "a[5]")), "x\"y\xc3\xa9\xf0\x9f\x98\x80");
    ASSERT_EQ_F(json_num(json_path(j, "b.c.d"), 0), 0.125);
    ASSERT_TRUE(json_path(j, "a[6]") == NULL);
    ASSERT_TRUE(json_path(j, "b.x") == NULL);
    ASSERT_EQ_U(json_get(j, "e")->n, 0);
    ASSERT_EQ(json_get(j, "f")->type, JSON_OBJECT);
    ASSERT_EQ_F(json_num(json_get(j, "zz"), 7), 7);
    json_free(j);
}

TEST(json_errors_have_positions)
{
    static const char *bad[] = {
        "",        "{",          "[1,]",       "{\"a\" 1}", "[01]",
        "[1.]",    "\"abc",      "tru",        "[1] x",     "{\"a\":}",
        "[\"\\q\"]", "[\"\x01\"]", "{1:2}",     "-",         "[1e]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct json *j = NULL;
        char err[128];
        ASSERT_EQ(json_parse(bad[i], strlen(bad[i]), &j, err, sizeof err),
                  -EINVAL);
        ASSERT_TRUE(j == NULL);
        ASSERT_TRUE(strncmp(err, "line 1, column ", 15) == 0);
    }
    struct json *j = NULL;
    char err[128];
    ASSERT_EQ(json_parse("{\n  \"a\": [1,\n   2 3]}", 20, &j, err, sizeof err),
              -EINVAL);
    ASSERT_TRUE(strncmp(err, "line 3, column 6", 16) == 0);
    /* Nesting is bounded: no stack overflow on hostile input. */
    char deep[400];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    ASSERT_EQ(json_parse(deep, strlen(deep), &j, err, sizeof err), -EINVAL);
    ASSERT_TRUE(strstr(err, "nested deeper") != NULL);
}

#define TEST_LIST(X)                                                           \
    X(json_values)                                                             \
    X(json_errors_have_positions)
#define HELPER_LIST(X)
TEST_MAIN()
