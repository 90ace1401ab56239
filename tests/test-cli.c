/* SPDX-License-Identifier: MIT */
/* test-cli.c: the coord tool's contract: help, version, usage errors and
 * their hints, the option tables, gc. */
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

/* `coord cmd args...` must be a usage error (exit 2, nothing on stdout)
 * with exactly one line on stderr that contains `want` (when not NULL). */
static void usage_error(const char *cmd, const char *const *args,
                        const char *want)
{
    test_cli_usage_error(COORD_CLI_PATH, cmd, args, err, sizeof err, 30000);
    if (lines(err) != 1)
        test__fail(__FILE__, __LINE__, "coord %s %s...: %d lines on stderr: "
                   "%s", cmd, args[0] ? args[0] : "", lines(err), err);
    if (want && !strstr(err, want))
        test__fail(__FILE__, __LINE__, "coord %s %s...: '%s' not in: %s",
                   cmd, args[0] ? args[0] : "", want, err);
}

TEST(cli_did_you_mean_commands)
{
    ASSERT_EQ(cli("reprot", NULL, NULL), 2);
    ASSERT_STR_EQ(err, "coord: unknown command 'reprot'; did you mean "
                       "'report'?\n");
    ASSERT_EQ(cli("spectrm", "--quick", NULL), 2);
    ASSERT_TRUE(strstr(err, "did you mean 'spectrum'?") != NULL);
    ASSERT_EQ(cli("man", NULL, NULL), 2); /* a unique prefix */
    ASSERT_TRUE(strstr(err, "did you mean 'manager'?") != NULL);
    ASSERT_EQ(cli("xyzzy", NULL, NULL), 2); /* nothing close: no guess */
    ASSERT_EQ(lines(err), 1);
    ASSERT_TRUE(strstr(err, "did you mean") == NULL);
    ASSERT_EQ(cli("help", "reprot", NULL), 2);
    ASSERT_TRUE(strstr(err, "did you mean 'report'?") != NULL);
    ASSERT_STR_EQ(out, "");
}

TEST(cli_did_you_mean_options)
{
    const char *typo[] = {"--messsages", "10", NULL};
    usage_error("queue", typo,
                "unknown option '--messsages'; did you mean '--messages'?");
    const char *swap[] = {"--prefxi=coord", NULL};
    usage_error("gc", swap, "did you mean '--prefix'?");
    const char *prefix[] = {"--rem", NULL};
    usage_error("gc", prefix, "did you mean '--remove'?");
    const char *far[] = {"--frobnicate", NULL};
    usage_error("gc", far, "unknown option '--frobnicate' (see coord gc "
                           "--help)");
    ASSERT_TRUE(strstr(err, "did you mean") == NULL);
    const char *shrt[] = {"-x", NULL};
    usage_error("waste", shrt, "unknown option '-x'");
}

TEST(cli_every_usage_error_is_one_line_exit_2)
{
    static const struct {
        const char *cmd, *args[6], *want;
    } cases[] = {
        {"waste", {"--runs", NULL}, "option --runs needs a value"},
        {"waste", {"--runs", "--json", NULL}, "option --runs needs a value"},
        {"waste", {"--runs=", NULL}, "got an empty one"},
        {"gc", {"--prefix", "", NULL}, "got an empty one"},
        {"waste", {"--runs", "0", NULL}, "--runs must be in [1, "},
        {"waste", {"--runs", "102", NULL}, "--runs must be in [1, 101]"},
        {"waste", {"--runs", "1k", NULL}, "got 1000"},
        {"waste", {"--items", "99999999999999999999", NULL}, "too large"},
        {"waste", {"--items", "20000000000G", NULL}, "too large"},
        {"waste", {"--items", "5x", NULL}, "needs a whole number"},
        {"waste", {"--items", "-5", NULL}, "needs a whole number"},
        {"waste", {"--interval", "sometimes", NULL}, "or auto"},
        {"waste", {"--runs", "3", "--runs=4", NULL}, "--runs given twice"},
        {"waste", {"--json=yes", NULL}, "--json takes no value"},
        {"waste", {"extra", NULL}, "unexpected argument 'extra'"},
        {"waste", {"--", "--json", NULL}, "unexpected argument '--json'"},
        {"spectrum", {"--runs", "2", NULL}, "--runs must be in [3, "},
        {"queue", {"--quick", "--quick", NULL}, "--quick given twice"},
        {"manager", {"--max-key", "7", NULL}, "--socket PATH is required"},
        {"manager", {"--socket", "/tmp/x.sock", "--spin-us", "2M", NULL},
         "--spin-us must be in [0, 1000000]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        usage_error(cases[i].cmd, cases[i].args, cases[i].want);
}

TEST(cli_double_dash_ends_options)
{
    char name[64];
    test_shm_name(name, sizeof name, "cli-dd");
    /* Nothing after "--": the options before it count. */
    ASSERT_EQ(cli4("gc", "--prefix", name, "--"), 0);
    ASSERT_TRUE(strstr(out, "0 file(s)") != NULL);
    /* "--name=VALUE" gives a value that starts with dashes. */
    ASSERT_EQ(cli("gc", "--prefix=--json", NULL), 0);
    ASSERT_TRUE(strstr(out, "0 file(s)") != NULL);
}

TEST(cli_help_lists_every_option)
{
    static const struct {
        const char *cmd, *opts[12];
    } cases[] = {
        {"gc", {"--remove", "--prefix P", "--grace MS", "--json"}},
        {"waste", {"--workers N", "--items N", "--hit-at P",
                   "--interval N|auto", "--runs R", "--quick", "--json"}},
        {"queue", {"--messages N", "--pipe-messages N", "--python-messages N",
                   "--runs R", "--python-runs R", "--quick", "--no-python",
                   "--no-pipe", "--no-probes", "--json"}},
        {"spectrum", {"--quick", "--runs N", "--vs-python", "--json"}},
        {"manager", {"--socket PATH", "--max-key N", "--max-frame N",
                     "--handshake-ms N", "--spin-us N"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ASSERT_EQ(cli(cases[i].cmd, "--help", NULL), 0);
        ASSERT_STR_EQ(err, "");
        ASSERT_TRUE(strstr(out, "  -h, --help ") != NULL);
        for (size_t k = 0; cases[i].opts[k]; k++) {
            char want[64];
            snprintf(want, sizeof want, "\n  %s ", cases[i].opts[k]);
            if (!strstr(out, want))
                test__fail(__FILE__, __LINE__, "coord %s --help lacks '%s'",
                           cases[i].cmd, cases[i].opts[k]);
        }
        ASSERT_EQ(cli("help", cases[i].cmd, NULL), 0);
        ASSERT_TRUE(strstr(out, "usage: coord ") == out);
    }
}

#define TEST_LIST(X)                                                           \
    X(cli_version_and_help)                                                    \
    X(cli_usage_errors_exit_2_with_one_line)                                   \
    X(cli_gc_lists_and_removes)                                                \
    X(cli_did_you_mean_commands)                                               \
    X(cli_did_you_mean_options)                                                \
    X(cli_every_usage_error_is_one_line_exit_2)                                \
    X(cli_double_dash_ends_options)                                            \
    X(cli_help_lists_every_option)
#define HELPER_LIST(X)
TEST_MAIN()
