/* SPDX-License-Identifier: MIT */
/* test-cli.c: the coord tool's contract: help, version, usage errors, gc. */
#include <sys/wait.h>

#include "harness.h"

static char out[65536], err[65536];

/* Run the tool with up to four arguments (the first NULL ends them). */
static int cli4(const char *a1, const char *a2, const char *a3,
                const char *a4)
{
    const char *argv[] = {COORD_CLI_PATH, a1, a2, a3, a4, NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 30000);
    ASSERT_TRUE(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static int cli(const char *a1, const char *a2, const char *a3)
{
    return cli4(a1, a2, a3, NULL);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

TEST(cli_version_and_help)
{
    ASSERT_EQ(cli("--version", NULL, NULL), 0);
    char want[64];
    snprintf(want, sizeof want, "coord %s\n", coord_version_string());
    ASSERT_STR_EQ(out, want);
    ASSERT_EQ(cli("--help", NULL, NULL), 0);
    ASSERT_TRUE(strstr(out, "usage: coord") != NULL);
    ASSERT_TRUE(strstr(out, "gc") != NULL);
    ASSERT_EQ(cli("gc", "--help", NULL), 0);
    ASSERT_TRUE(strstr(out, "usage: coord gc") != NULL);
}

TEST(cli_usage_errors_exit_2_with_one_line)
{
    ASSERT_EQ(cli("frobnicate", NULL, NULL), 2);
    ASSERT_EQ(lines(err), 1);
    ASSERT_TRUE(strstr(err, "unknown command 'frobnicate'") != NULL);
    ASSERT_EQ(cli("--frob", NULL, NULL), 2);
    ASSERT_EQ(lines(err), 1);
    ASSERT_EQ(cli("gc", "--bogus", NULL), 2);
    ASSERT_EQ(lines(err), 1);
    ASSERT_STR_EQ(out, "");
    const char *argv[] = {COORD_CLI_PATH, NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 30000);
    ASSERT_EQ(WEXITSTATUS(st), 2);
}

TEST(cli_gc_lists_and_removes)
{
    char name[64];
    test_shm_name(name, sizeof name, "cli-gc");
    coord_flag *f;
    ASSERT_OK(coord_flag_create_named(&f, name));
    ASSERT_EQ(cli("gc", "--json", NULL), 0);
    ASSERT_TRUE(strncmp(out, "{\"schema\":\"coord.gc/1\",",
                        strlen("{\"schema\":\"coord.gc/1\",")) == 0);
    ASSERT_TRUE(strstr(out, "\"files\":[") != NULL);
    ASSERT_TRUE(strstr(out, name) != NULL);
    ASSERT_TRUE(strstr(out, "\"state\":\"live\"") != NULL);
    /* Our file is live: --remove must leave it. Only our names: a test
     * running beside this one may hold dead files it still inspects. */
    ASSERT_EQ(cli4("gc", "--remove", "--prefix", name), 0);
    ASSERT_TRUE(strstr(out, name) != NULL);
    ASSERT_TRUE(strstr(out, "1 file(s)") != NULL);
    ASSERT_EQ(cli("gc", "--prefix", NULL), 2);
    ASSERT_TRUE(coord_flag_claim(f));
    coord_flag *g;
    ASSERT_OK(coord_flag_open(&g, name));
    ASSERT_TRUE(coord_flag_is_set(g));
    coord_flag_destroy(g);
    coord_flag_destroy(f);
}

#define TEST_LIST(X)                                                           \
    X(cli_version_and_help)                                                    \
    X(cli_usage_errors_exit_2_with_one_line)                                   \
    X(cli_gc_lists_and_removes)
#define HELPER_LIST(X)
TEST_MAIN()
