/* SPDX-License-Identifier: MIT */
/* test-json-write.c: the CLI's JSON writer (cli/json-write.c): nesting, commas, escaping, number formats, misuse; its output read back by cli/json.c. */
#include <errno.h>
#include <math.h>

#include "harness.h"
#include "json-write.h"
#include "json.h"

static char buf[8192];

/* Runs `fill` on a writer into buf; returns jw_finish's code. */
static int write_doc(void (*fill)(struct jw *))
{
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ASSERT_TRUE(f != NULL);
    struct jw w;
    jw_init(&w, f);
    fill(&w);
    int rc = jw_finish(&w);
    fclose(f);
    return rc;
}

static void nested(struct jw *w)
{
    jw_object(w);
    jw_kstr(w, "a", "x");
    jw_karray(w, "list");
    jw_int(w, 1);
    jw_object(w);
    jw_kbool(w, "t", true);
    jw_kbool(w, "f", false);
    jw_knull(w, "n");
    jw_object_end(w);
    jw_array(w);
    jw_array_end(w);
    jw_str(w, NULL);
    jw_array_end(w);
    jw_kobject(w, "empty");
    jw_object_end(w);
    jw_kuint(w, "big", UINT64_MAX);
    jw_kint(w, "neg", INT64_MIN);
    jw_object_end(w);
}

TEST(json_write_nesting_and_commas)
{
    ASSERT_OK(write_doc(nested));
    ASSERT_STR_EQ(buf, "{\"a\":\"x\",\"list\":[1,{\"t\":true,\"f\":false,"
                       "\"n\":null},[],null],\"empty\":{},"
                       "\"big\":18446744073709551615,"
                       "\"neg\":-9223372036854775808}\n");
}

static void strings(struct jw *w)
{
    jw_array(w);
    jw_str(w, "quote \" backslash \\ slash /");
    jw_str(w, "nl\n tab\t cr\r bell\a del\x7f");
    jw_str(w, "caf\xc3\xa9 \xe2\x82\xac");
    jw_str(w, "");
    jw_array_end(w);
}

TEST(json_write_escapes_strings)
{
    ASSERT_OK(write_doc(strings));
    ASSERT_STR_EQ(buf, "[\"quote \\\" backslash \\\\ slash /\","
                       "\"nl\\n tab\\t cr\\r bell\\u0007 del\\u007f\","
                       "\"caf\xc3\xa9 \xe2\x82\xac\",\"\"]\n");
    /* And the reader gets the same strings back. */
    struct json *j;
    char err[128];
    ASSERT_OK(json_parse(buf, strlen(buf), &j, err, sizeof err));
    ASSERT_STR_EQ(json_str(json_at(j, 0)), "quote \" backslash \\ slash /");
    ASSERT_STR_EQ(json_str(json_at(j, 1)), "nl\n tab\t cr\r bell\a del\x7f");
    ASSERT_STR_EQ(json_str(json_at(j, 2)), "caf\xc3\xa9 \xe2\x82\xac");
    json_free(j);
}

static void numbers(struct jw *w)
{
    jw_object(w);
    jw_knum(w, "pi", 3.14159265);
    jw_knum(w, "big", 12345678.9);
    jw_knum(w, "small", 0.000123456);
    jw_knum(w, "nan", NAN);
    jw_knum(w, "inf", INFINITY);
    jw_kns(w, "ns", 1234.5);
    jw_kns(w, "ns_neg", -1);
    jw_kns(w, "ns_nan", NAN);
    jw_kps(w, "ps", 326.2);
    jw_kcount(w, "count", 41.49);
    jw_object_end(w);
}

TEST(json_write_number_formats)
{
    ASSERT_OK(write_doc(numbers));
    ASSERT_STR_EQ(buf, "{\"pi\":3.14159,\"big\":1.23457e+07,"
                       "\"small\":0.000123456,\"nan\":null,\"inf\":null,"
                       "\"ns\":1235,\"ns_neg\":null,\"ns_nan\":null,"
                       "\"ps\":326,\"count\":41}\n");
    struct json *j;
    char err[128];
    ASSERT_OK(json_parse(buf, strlen(buf), &j, err, sizeof err));
    ASSERT_EQ_F(json_num(json_get(j, "big"), 0), 1.23457e+07);
    json_free(j);
    /* Bytes that are not UTF-8 (a file name may be any bytes) become
     * U+FFFD; well-formed UTF-8 stays as it is. */
    {
        char *sbuf = NULL;
        size_t slen = 0;
        FILE *sf = open_memstream(&sbuf, &slen);
        ASSERT_TRUE(sf != NULL);
        struct jw sw;
        jw_init(&sw, sf);
        jw_object(&sw);
        jw_kstr(&sw, "n", "a\xff\xfe b \xc3\xa9 \xe2\x82 \xed\xa0\x80");
        jw_object_end(&sw);
        ASSERT_OK(jw_finish(&sw));
        fclose(sf);
        ASSERT_STR_EQ(sbuf, "{\"n\":\"a\\ufffd\\ufffd b \xc3\xa9 \\ufffd\\ufffd "
                            "\\ufffd\\ufffd\\ufffd\"}\n");
        ASSERT_OK(json_parse(sbuf, strlen(sbuf), &j, err, sizeof err));
        json_free(j);
        free(sbuf);
    }
    /* A number of any length is JSON (80 digits were refused). */
    static const char longnum[] =
        "{\"a\":0.3333333333333333333333333333333333333333333333333333333333333333333333333333333}";
    ASSERT_OK(json_parse(longnum, strlen(longnum), &j, err, sizeof err));
    ASSERT_TRUE(fabs(json_num(json_get(j, "a"), 0) - 1.0 / 3) < 1e-15);
    json_free(j);
}

static void value_without_key(struct jw *w)
{
    jw_object(w);
    jw_int(w, 1);
    jw_object_end(w);
}

static void key_in_array(struct jw *w)
{
    jw_array(w);
    jw_key(w, "k");
    jw_array_end(w);
}

static void unclosed(struct jw *w)
{
    jw_object(w);
    jw_karray(w, "a");
}

static void wrong_close(struct jw *w)
{
    jw_array(w);
    jw_object_end(w);
}

static void dangling_key(struct jw *w)
{
    jw_object(w);
    jw_key(w, "k");
    jw_object_end(w);
}

static void too_deep(struct jw *w)
{
    for (int i = 0; i <= JW_MAX_DEPTH; i++)
        jw_array(w);
    for (int i = 0; i <= JW_MAX_DEPTH; i++)
        jw_array_end(w);
}

TEST(json_write_misuse_is_reported)
{
    ASSERT_CODE(write_doc(value_without_key), -EINVAL);
    ASSERT_CODE(write_doc(key_in_array), -EINVAL);
    ASSERT_CODE(write_doc(unclosed), -EINVAL);
    ASSERT_CODE(write_doc(wrong_close), -EINVAL);
    ASSERT_CODE(write_doc(dangling_key), -EINVAL);
    ASSERT_CODE(write_doc(too_deep), -EINVAL);
}

#define TEST_LIST(X)                                                           \
    X(json_write_nesting_and_commas)                                           \
    X(json_write_escapes_strings)                                              \
    X(json_write_number_formats)                                               \
    X(json_write_misuse_is_reported)
#define HELPER_LIST(X)
TEST_MAIN()
