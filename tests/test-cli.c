/* SPDX-License-Identifier: MIT */
/* test-cli.c: the coord tool's contract: help, version, usage errors and
 * their hints, the option tables, gc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "harness.h"
#include "wait.h" /* COORD__SPIN_DEFAULT_NS */

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
    /* A newline in the unknown word: still one line. */
    ASSERT_EQ(cli("foo\nbar", NULL, NULL), 2);
    ASSERT_STR_EQ(err, "coord: unknown command 'foo?bar' (see coord "
                       "--help)\n");
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
    /* No command at all, or words after --version / --help: one line too
     * (no command printed the 18-line usage on stderr; --version x and
     * --help x ignored the x). */
    ASSERT_EQ(cli(NULL, NULL, NULL), 2);
    ASSERT_EQ(lines(err), 1);
    ASSERT_TRUE(strstr(err, "no command given") != NULL);
    ASSERT_STR_EQ(out, "");
    ASSERT_EQ(cli("--version", "x", NULL), 2);
    ASSERT_EQ(lines(err), 1);
    ASSERT_EQ(cli("--help", "x", NULL), 2);
    ASSERT_EQ(lines(err), 1);
    ASSERT_TRUE(strstr(err, "did you mean") == NULL);
    ASSERT_EQ(cli("help", "reprot", NULL), 2);
    ASSERT_TRUE(strstr(err, "did you mean 'report'?") != NULL);
    ASSERT_STR_EQ(out, "");
    /* The tool's own options get the hint too (they got none). */
    ASSERT_EQ(cli("--verison", NULL, NULL), 2);
    ASSERT_STR_EQ(err, "coord: unknown option '--verison'; did you mean "
                       "'--version'?\n");
    ASSERT_EQ(cli("--hlep", NULL, NULL), 2);
    ASSERT_STR_EQ(err, "coord: unknown option '--hlep'; did you mean "
                       "'--help'?\n");
    ASSERT_EQ(cli("--vers", NULL, NULL), 2); /* a unique prefix */
    ASSERT_TRUE(strstr(err, "did you mean '--version'?") != NULL);
    ASSERT_EQ(cli("-x", NULL, NULL), 2); /* nothing close: no guess */
    ASSERT_STR_EQ(err, "coord: unknown option '-x' (see coord --help)\n");
    ASSERT_STR_EQ(out, "");
}

/* The tool's own flags given a value are said as a command's are
 * ("--help takes no value"; they were "unknown option '--help=x'; did you
 * mean '--help'?" and "unknown option '-hx'"), and `coord help --help` is
 * the tool's usage, exit 0, as `coord CMD --help` is CMD's (it was exit 2). */
TEST(cli_top_level_flags_match_the_commands)
{
    static const struct {
        const char *arg, *want;
    } cases[] = {
        {"--help=x", "coord: --help takes no value, got 'x'\n"},
        {"--version=1", "coord: --version takes no value, got '1'\n"},
        {"-hx", "coord: -h takes no value, got 'x'\n"},
        {"-V1", "coord: -V takes no value, got '1'\n"},
        {"--help=", "coord: --help takes no value, got ''\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ASSERT_EQ(cli(cases[i].arg, NULL, NULL), 2);
        ASSERT_STR_EQ(err, cases[i].want);
        ASSERT_STR_EQ(out, "");
    }
    /* help's --help as well. */
    ASSERT_EQ(cli("help", "--help=x", NULL), 2);
    ASSERT_STR_EQ(err, "coord help: --help takes no value, got 'x'\n");
    ASSERT_EQ(cli("help", "-hx", NULL), 2);
    ASSERT_STR_EQ(err, "coord help: -h takes no value, got 'x'\n");
    ASSERT_EQ(cli("--help", NULL, NULL), 0);
    static char usage[sizeof out];
    snprintf(usage, sizeof usage, "%s", out);
    ASSERT_TRUE(strstr(usage, "usage: coord") != NULL);
    ASSERT_EQ(cli("help", "--help", NULL), 0);
    ASSERT_STR_EQ(out, usage);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(cli("help", "-h", NULL), 0);
    ASSERT_STR_EQ(out, usage);
    /* What is not --help is still refused with its hint. */
    ASSERT_EQ(cli("--hlep", NULL, NULL), 2);
    ASSERT_STR_EQ(err, "coord: unknown option '--hlep'; did you mean "
                       "'--help'?\n");
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

#define ZEROS16 "0000000000000000"
#define ZEROS64 ZEROS16 ZEROS16 ZEROS16 ZEROS16

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
        /* --help is a flag as well (it was "unknown option '--help'; did
         * you mean '--help'?", and -hx "unknown option '-h'"). */
        {"waste", {"--help=1", NULL}, "coord waste: --help takes no value, "
                                      "got '1'\n"},
        {"waste", {"-hx", NULL}, "coord waste: -h takes no value, got 'x'\n"},
        /* A flag takes no value at all ("it takes one value"). */
        {"waste", {"--json", "--json", NULL}, "--json given twice (once is "
                                              "enough;"},
        {"waste", {"extra", NULL}, "unexpected argument 'extra'"},
        {"waste", {"--", "--json", NULL}, "unexpected argument '--json'"},
        {"spectrum", {"--runs", "2", NULL}, "--runs must be in [3, "},
        {"queue", {"--quick", "--quick", NULL}, "--quick given twice"},
        {"manager", {"--max-key", "7", NULL}, "--socket PATH is required"},
        /* The table's limit is the library's (it said "invalid limits"). */
        {"manager", {"--socket", "/tmp/coord-no.sock", "--max-frame",
                     "2147483648", NULL}, "must be in [0, 2147483647]"},
        {"manager", {"--socket", "/tmp/", NULL}, "names a directory"},
        /* A path that cannot be served is the argument's (it exited 1). */
        {"manager", {"--socket", "/tmp/coord-cli-test.sock", NULL},
         "its directory is not private"},
        {"manager", {"--socket", "/coord-no-such-dir/d/s.sock", NULL},
         "the directory's parent does not exist"},
        {"manager", {"--socket", "/etc/passwd/s.sock", NULL},
         "a component of the path is not a directory"},
        {"help", {"--options-json", "x", NULL}, "takes nothing after it"},
        {"primes", {"--early-exit", "--no-early-exit", NULL}, "exclude each other"},
        {"primes", {"--any", "--hit-at", "5", NULL}, "give one or the other"},
        {"report", {"--only", "primes,,waste", NULL}, "an empty item"},
        {"report", {"--only", "primes,", NULL}, "an empty item"},
        {"report", {"--only", "waste,waste", NULL}, "names 'waste' twice"},
        {"report", {"--only", "bogus", NULL}, "no experiment 'bogus'"},
        {"primes", {"--claim", "lok", NULL}, "did you mean 'lock'?"},
        {"primes", {"--partition", "zigzag", NULL},
         "--partition must be blocks or interleaved, got 'zigzag'"},
        {"interval", {"--intervals", "1,,10", NULL}, "an empty item"},
        {"interval", {"--intervals", "10,0", NULL}, "must be in [1, "},
        {"interval", {"--work", "light", NULL}, "cheap, heavy or both"},
        {"interval", {"--plot", "x.gif", NULL}, "must end in .png or .svg"},
        /* Python measures numbers only: it was given none, and the
         * command exited 1 after the whole experiment ran. */
        {"interval", {"--intervals", "auto", "--vs-python", NULL},
         "--vs-python needs a number in --intervals"},
        {"fraud", {"--rate", "0.7", NULL}, "--rate needs a number in [0, 0.5]"},
        {"fraud", {"--rate", "nan", NULL}, "--rate needs a number"},
        {"fraud", {"--rate", "0x0.1", NULL}, "--rate needs a number"},
        {"fraud", {"--rate", " 0.1", NULL}, "--rate needs a number"},
        {"help", {"--bogus", NULL}, "unknown option '--bogus'"},
        {"fraud", {"--intervals", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
                   NULL}, "at most 15 values"},
        {"advise", {"--shape", "flg", NULL}, "did you mean 'flag'?"},
        {"advise", {"--shape", "flag", "--per-task", "0", NULL},
         "--per-task needs a number in (0, "},
        {"report", {"--out", "", NULL}, "got an empty one"},
        /* A DIR that cannot be made there is the argument's, as for every
         * output path (it exited 1). */
        {"report", {"--out", "/proc/coord-no-such-dir/report", NULL},
         "cannot create /proc/coord-no-such-dir"},
        {"report", {"--timeout", "1M", NULL}, "--timeout must be in [1, 86400]"},
        /* A file that cannot be read: once (it printed two lines). */
        {"fraud", {"--csv", "/proc/self/mem", NULL},
         "cannot read /proc/self/mem (line 1): Input/output error"},
        {"help", {"gc", "waste", NULL}, "at most one command"},
        /* A control character in a quoted word is shown as '?': a newline
         * split the line, an escape sequence reached the terminal. */
        {"gc", {"--grace", "5\nx", NULL}, "got '5?x'"},
        {"waste", {"--ru\nns", NULL}, "unknown option '--ru?ns'"},
        {"gc", {"--x\x1b[2J", NULL}, "unknown option '--x?[2J'"},
        /* The C1 controls as well: CSI (U+009B) as UTF-8 and as a bare
         * byte; other UTF-8 is kept. */
        {"gc", {"--x\xc2\x9b" "2J", NULL}, "unknown option '--x??2J'"},
        {"gc", {"--x\x9b" "2J", NULL}, "unknown option '--x?2J'"},
        /* Forms that are no well-formed UTF-8 although their bytes look
         * it: CSI overlong (E0 82 9B), a surrogate (ED A0 80), a code
         * point past U+10FFFF (F4 90 80 80). */
        {"gc", {"--x\xe0\x82\x9b" "2J", NULL}, "unknown option '--x???2J'"},
        {"gc", {"--x\xed\xa0\x80", NULL}, "unknown option '--x???" "'"},
        {"gc", {"--x\xf4\x90\x80\x80", NULL}, "unknown option '--x????" "'"},
        {"report", {"--only", "caf\xc3\xa9", NULL}, "no experiment 'caf\xc3\xa9'"},
        {"report", {"--only", "waste\n", NULL}, "no experiment 'waste?'"},
        {"manager", {"--socket", "/tmp/x.sock", "--spin-us", "2M", NULL},
         "--spin-us must be in [0, 1000000]"},
        /* Counts for rows that are left out were ignored without a word
         * (fraud refuses its generator's options with --csv). */
        {"queue", {"--no-pipe", "--pipe-messages", "10", NULL},
         "--pipe-messages is for the pipe rows; not with --no-pipe"},
        {"queue", {"--python-messages", "10", "--no-python", NULL},
         "--python-messages is for Python's rows; not with --no-python"},
        {"queue", {"--no-python", "--python-runs=2", NULL},
         "--python-runs is for Python's rows; not with --no-python"},
        /* An item of 64 bytes or more is read as any other (one of 68,
         * 1 with leading zeros, was "'0...01' is not a number"). */
        {"interval", {"--intervals", ZEROS64 "0001,0", NULL},
         "--intervals must be in [1, 1000000000], got 0"},
        {"fraud", {"--intervals", ZEROS64 "1," ZEROS64 "1", NULL},
         "--intervals names 1 twice"},
        {"interval", {"--intervals", "1," ZEROS64 "99999999999999999999",
                      NULL}, "'" ZEROS64 "99999999999999999999' is too large"},
        {"interval", {"--intervals", ZEROS64 "x", NULL},
         "needs a whole number or auto (k, M, G: 10^3, 10^6, 10^9), got '"
         ZEROS64 "x'"},
        /* An interval listed twice was measured (and shown) twice, and
         * --target-us without auto was taken and ignored. */
        {"interval", {"--intervals", "1,1", NULL}, "--intervals names 1 twice"},
        {"interval", {"--intervals", "auto,10,auto", NULL},
         "--intervals names auto twice"},
        {"fraud", {"--intervals", "1k,10,1000", NULL},
         "--intervals names 1000 twice"},
        {"fraud", {"--target-us", "5", "--intervals", "1", NULL},
         "--target-us is for the auto interval; not without auto in "
         "--intervals"},
        {"fraud", {"--intervals", "1,10", "--target-us=5", "--csv", "x",
                   NULL}, "--target-us is for the auto interval"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        usage_error(cases[i].cmd, cases[i].args, cases[i].want);
}

/* A --plot FILE that is a link of the caller's whose target cannot be
 * made (its directory missing, or a loop of links) passed the check made
 * when the option was read: the experiment ran to its end, and then the
 * command exited 1. It is a usage error, said before the run. */
TEST(cli_plot_link_that_leads_nowhere_is_a_usage_error)
{
    char dir[256], dangling[300], loop[300];
    test_mkdtemp(dir, sizeof dir, "plot-links");
    snprintf(dangling, sizeof dangling, "%s/dangling.png", dir);
    snprintf(loop, sizeof loop, "%s/loop.png", dir);
    ASSERT_OK(symlink("/coord-no-such-dir/x.png", dangling));
    ASSERT_OK(symlink("loop.png", loop));
    const char *a[] = {"--runs", "1", "--stops", "1", "--plot", dangling,
                       NULL};
    usage_error("interval", a, "No such file or directory");
    a[5] = loop;
    usage_error("interval", a, "Too many levels of symbolic links");
    unlink(dangling);
    unlink(loop);
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
    /* A bare "--" after an option that wants a value ends the options; it
     * is no value (it was taken as one: `coord fraud --write-csv --`
     * wrote a file named "--"). */
    ASSERT_EQ(cli("gc", "--prefix", "--"), 2);
    ASSERT_TRUE(strstr(err, "option --prefix needs a value") != NULL);
    ASSERT_EQ(out[0], '\0');
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
        /* -h and `coord help CMD` print the same text. */
        static char full[sizeof out];
        snprintf(full, sizeof full, "%s", out);
        ASSERT_EQ(cli(cases[i].cmd, "-h", NULL), 0);
        ASSERT_STR_EQ(out, full);
        ASSERT_EQ(cli("help", cases[i].cmd, NULL), 0);
        ASSERT_STR_EQ(out, full);
    }
    ASSERT_EQ(cli("help", NULL, NULL), 0);
    ASSERT_TRUE(strstr(out, "commands:\n") != NULL);
}

/* True when `text` holds `word` followed by a space or a line end. */
static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *at = strstr(text, word); at; at = strstr(at + 1, word))
        if (at[n] == ' ' || at[n] == '\n')
            return true;
    return false;
}

/* Lines of a --help's option list: "  --name ..." or "  -x, --name ...". */
static int option_lines(const char *help)
{
    int n = 0;
    const char *s = strstr(help, "\noptions:\n");
    for (; s && (s = strchr(s, '\n')) != NULL; s++)
        n += !strncmp(s + 1, "  --", 4) ||
             (!strncmp(s + 1, "  -", 3) && !strncmp(s + 5, ", --", 4));
    return n;
}

/* The dump (`coord help --options-json`) and every `coord CMD --help` name
 * the same options: each option of a command's table is a line of its
 * help's option list, and that list has no other line. */
TEST(cli_options_dump_matches_help)
{
    static char dump[1 << 18];
    const char *argv[] = {COORD_CLI_PATH, "help", "--options-json", NULL};
    int st = test_run(argv, dump, sizeof dump, err, sizeof err, 30000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_TRUE(strncmp(dump, "{\"schema\":\"coord.options/1\",", 28) == 0);
    ASSERT_LT(strlen(dump), sizeof dump - 1);
    int commands = 0, options = 0;
    for (char *c = strstr(dump, "{\"name\":\""); c;) {
        char name[32];
        ASSERT_EQ(sscanf(c, "{\"name\":\"%31[a-z]\"", name), 1);
        char *next = strstr(c + 1, "{\"name\":\"");
        ASSERT_EQ(cli(name, "--help", NULL), 0);
        int n = 0;
        for (char *o = strstr(c, "{\"long\":\"--"); o && (!next || o < next);
             o = strstr(o + 1, "{\"long\":\"--")) {
            char opt[48], want[64], want_short[64];
            ASSERT_EQ(sscanf(o, "{\"long\":\"%47[a-z0-9-]\"", opt), 1);
            snprintf(want, sizeof want, "\n  %s", opt);
            snprintf(want_short, sizeof want_short, ", %s", opt);
            if (!has_word(out, want) && !has_word(out, want_short))
                test__fail(__FILE__, __LINE__, "coord %s --help lacks %s",
                           name, opt);
            n++;
        }
        if (n != option_lines(out))
            test__fail(__FILE__, __LINE__, "coord %s: %d options in the "
                       "dump, %d in --help", name, n, option_lines(out));
        options += n;
        commands++;
        c = next;
    }
    /* Every command of `coord --help` has its table in the dump. */
    ASSERT_EQ(cli("--help", NULL, NULL), 0);
    const char *list = strstr(out, "commands:\n");
    ASSERT_TRUE(list != NULL);
    int listed = 0;
    for (const char *l = list + 10; !strncmp(l, "  ", 2); l = strchr(l, '\n') + 1)
        listed++;
    ASSERT_EQ(commands, listed);
    ASSERT_GT(options, 40);
}

/* The default that `coord manager --help` (and the dump, the man page)
 * shows for each limit is the server's own default, read with the tool's
 * own number rule (k, M, G: 10^3, 10^6, 10^9): "1M" bytes of a value read
 * as 1,000,000 where the server's default is 1 MiB, so giving the shown
 * default changed the limit (--max-value 16700000 served under the
 * default frame, and was refused with --max-frame 16M). */
static uint64_t shown_number(const char *s)
{
    char *end;
    errno = 0;
    uint64_t v = strtoull(s, &end, 10);
    ASSERT_TRUE(errno == 0 && end != s);
    uint64_t mult = *end == 'k' ? 1000 : *end == 'M' ? 1000000
                  : *end == 'G' ? 1000000000 : 1;
    return v * mult;
}

TEST(cli_manager_help_shows_the_servers_defaults)
{
    static char dump[1 << 18];
    const char *argv[] = {COORD_CLI_PATH, "help", "--options-json", NULL};
    int st = test_run(argv, dump, sizeof dump, err, sizeof err, 30000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    const char *mgr = strstr(dump, "{\"name\":\"manager\"");
    ASSERT_TRUE(mgr != NULL);
    coord_manager_opts d;
    coord_manager_opts_init(&d);
    const struct {
        const char *opt;
        uint64_t want;
    } limits[] = {
        {"--max-key", d.max_key},           {"--max-value", d.max_value},
        {"--max-entries", d.max_entries},   {"--max-bytes", d.max_bytes},
        {"--max-frame", d.max_frame},       {"--max-batch", d.max_batch},
        {"--max-clients", d.max_clients},
        {"--handshake-ms", (uint64_t)d.handshake_ms},
        {"--stall-ms", (uint64_t)d.stall_ms},
        /* spin_ns 0 stands for the server's default wait policy */
        {"--spin-us", (d.spin_ns ? (uint64_t)d.spin_ns
                                 : COORD__SPIN_DEFAULT_NS) / 1000},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "{\"long\":\"%s\"", limits[i].opt);
        const char *o = strstr(mgr, key);
        ASSERT_TRUE(o != NULL);
        const char *def = strstr(o, "\"default\":\"");
        ASSERT_TRUE(def != NULL);
        uint64_t shown = shown_number(def + 11);
        if (shown != limits[i].want)
            test__fail(__FILE__, __LINE__, "coord manager %s: help shows a "
                       "default of %llu, the server's is %llu",
                       limits[i].opt, (unsigned long long)shown,
                       (unsigned long long)limits[i].want);
    }
}

/* --quick sets the counts that were not given, wherever it stands: after
 * an explicit --runs (or --messages, --stops) it replaced them, so
 * `coord primes --runs 1 --quick` ran 3 times, and queue --messages 8
 * --quick sent 200,000 messages. */
TEST(cli_quick_keeps_given_counts)
{
    static const struct {
        const char *args[16], *want[3];
    } cases[] = {
        {{"primes", "--range", "2000", "--runs", "1", "--quick", "--json",
          NULL}, {"\"runs\":1,", NULL}},
        {{"waste", "--items", "200", "--hit-at", "5", "--runs", "1",
          "--quick", "--json", NULL}, {"\"runs\":1,", NULL}},
        {{"interval", "--workers", "2", "--intervals", "1", "--work", "cheap",
          "--runs", "1", "--stops", "1", "--quick", "--json", NULL},
         {"\"runs\":1,", "\"stops\":1,", NULL}},
        {{"queue", "--no-python", "--no-pipe", "--no-probes", "--messages",
          "8", "--runs", "2", "--quick", "--json", NULL},
         {"\"messages\":8,", "\"runs\":2,", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[18] = {COORD_CLI_PATH};
        for (size_t j = 0; cases[i].args[j]; j++)
            argv[j + 1] = cases[i].args[j];
        int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        for (size_t j = 0; cases[i].want[j]; j++)
            if (!strstr(out, cases[i].want[j]))
                test__fail(__FILE__, __LINE__, "coord %s ... --quick: %s "
                           "not in: %.300s", cases[i].args[0],
                           cases[i].want[j], out);
    }
}

/* fraud --csv FILE --strict rejects FILE at its first malformed line and
 * names that line alone (with the line saying FILE was rejected): a file
 * whose ids repeat listed 16 duplicate lines and "N more malformed lines",
 * 18 lines on stderr for one usage error. */
TEST(cli_fraud_strict_names_the_first_line_only)
{
    char path[] = "/tmp/coord-cli-strict-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    ASSERT_TRUE(f != NULL);
    fprintf(f, "id,timestamp,account,merchant,amount,lat,lon,device\n");
    for (int i = 0; i < 40; i++)
        fprintf(f, "1,%d000,1,1,1.00,0,0,1\n", i + 1);
    ASSERT_EQ(fclose(f), 0);
    const char *args[] = {"--csv", path, "--strict", NULL};
    test_cli_usage_error(COORD_CLI_PATH, "fraud", args, err, sizeof err,
                         30000);
    unlink(path);
    char want[128];
    snprintf(want, sizeof want, "coord fraud: %s:3: duplicate id 1 (first "
             "on line 2); the file is rejected (--strict: malformed line)\n",
             path);
    if (strcmp(err, want) != 0) /* one line, as every usage error */
        test__fail(__FILE__, __LINE__, "want the line and the rejection, "
                   "in one line, got: %s", err);
}

/* A --csv FILE fraud cannot screen is one line, as every usage error: an
 * empty file or one without the header printed the reason and then the
 * rejection (two lines), and a file whose every row is malformed listed
 * 16 lines "(line skipped)", "N more malformed lines" and then "has no
 * valid transaction" (18 lines). The lines naming skipped rows of a file
 * that is screened show FILE as cli_error does: a newline in the name
 * split them. */
TEST(cli_fraud_csv_rejections_are_one_line)
{
    char dir[256], empty[300], allbad[300], nl[300];
    test_mkdtemp(dir, sizeof dir, "fraud-csv-lines");
    snprintf(empty, sizeof empty, "%s/empty.csv", dir);
    snprintf(allbad, sizeof allbad, "%s/allbad.csv", dir);
    snprintf(nl, sizeof nl, "%s/x\ny.csv", dir);
    FILE *f = fopen(empty, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fclose(f), 0);
    const char *hdr = "id,timestamp,account,merchant,amount,lat,lon,device\n";
    ASSERT_TRUE((f = fopen(allbad, "w")) != NULL);
    fputs(hdr, f);
    for (int i = 0; i < 40; i++)
        fprintf(f, "bad%d\n", i);
    ASSERT_EQ(fclose(f), 0);
    ASSERT_TRUE((f = fopen(nl, "w")) != NULL);
    fprintf(f, "%s1,1000,1,1,1.00,0,0,1\nbad\n", hdr);
    ASSERT_EQ(fclose(f), 0);
    const char *a[] = {"--csv", empty, NULL};
    usage_error("fraud", a, "empty.csv:1: no header line (empty input); the "
                            "file is rejected (not a transactions CSV)");
    a[1] = allbad;
    usage_error("fraud", a, "has no valid transaction (40 malformed lines; "
                            "line 2: ");
    const char *argv[] = {COORD_CLI_PATH, "fraud", "--csv", nl, "--intervals",
                          "1", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    unlink(empty);
    unlink(allbad);
    unlink(nl);
    rmdir(dir);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    if (lines(err) != 1 || !strstr(err, "/x?y.csv:3: 1 fields"))
        test__fail(__FILE__, __LINE__, "want one line naming x?y.csv:3, got: "
                   "%s", err);
}

/* Output that cannot be written (a full disk: /dev/full) is a runtime
 * failure, one line naming why, not exit 0 with the output lost. */
TEST(cli_stdout_that_cannot_be_written_is_status_1)
{
    if (access("/dev/full", W_OK) != 0)
        SKIP("no /dev/full here");
    static const char *const cmds[] = {
        "exec \"$0\" gc --json >/dev/full",
        "exec \"$0\" gc >/dev/full",
        "exec \"$0\" --help >/dev/full",
        "exec \"$0\" primes --quick --json --range 2000 >/dev/full",
        "exec \"$0\" gc >&-",
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *argv[] = {"/bin/sh", "-c", cmds[i], COORD_CLI_PATH, NULL};
        int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 1);
        ASSERT_EQ(lines(err), 1);
        ASSERT_TRUE(strstr(err, "cannot write the output") != NULL);
    }
    /* A usage error keeps its status and its one line. */
    const char *argv[] = {"/bin/sh", "-c", "exec \"$0\" gc --bogus >/dev/full",
                          COORD_CLI_PATH, NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 30000);
    ASSERT_EQ(WEXITSTATUS(st), 2);
    ASSERT_EQ(lines(err), 1);
}

/* How many of the CLI's output temporaries (".NAME.XXXXXX~") `dir` holds
 * (0 when it cannot be read: a directory never made holds none). */
static int temporaries_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[strlen(e->d_name) - 1] == '~';
    if (d)
        closedir(d);
    return n;
}

/* A child in a mount namespace of its own, with a tmpfs of 24 KiB at dir
 * (arg): fraud --write-csv over an earlier CSV, then a report, into a
 * file system too small for them. Each is status 1 naming ENOSPC, and
 * leaves what was there: the earlier CSV whole with its mode (it was cut
 * to its first part, a CSV cut mid-line that reads as a shorter stream,
 * and then to nothing), no index.html where there was none (an
 * index.html of its first 4 KiB, then an empty one), and no temporary
 * file; its one line names the file. 77: no mount namespace here. */
static int full_disk_child(void *arg)
{
    const char *dir = arg;
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=24k") != 0)
        return 77;
    char csv[4200], rep[4200], html[4300];
    snprintf(csv, sizeof csv, "%s/t.csv", dir);
    snprintf(rep, sizeof rep, "%s/r", dir);
    snprintf(html, sizeof html, "%s/r/index.html", dir);
    const char *fraud[] = {COORD_CLI_PATH, "fraud", "--quick", "--write-csv",
                           csv, NULL};
    const char *report[] = {COORD_CLI_PATH, "report", "--quick", "--only",
                            "primes", "--no-python", "--out", rep, NULL};
    const char *const *cmds[] = {fraud, report};
    const char *files[] = {csv, html};
    /* An earlier CSV of 8 bytes, with a mode of its own. */
    FILE *f = fopen(csv, "w");
    if (!f || fputs("earlier\n", f) < 0 || fclose(f) != 0 ||
        chmod(csv, 0600) != 0)
        return 5;
    for (int i = 0; i < 2; i++) {
        int st = test_run(cmds[i], out, sizeof out, err, sizeof err, 60000);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
            return 10 + i;
        if (!strstr(err, "No space left on device"))
            return 20 + i;
        /* The line names the file ("cannot write : No space left on
         * device" named none: the path came from a buffer never filled). */
        if (!strstr(err, files[i]))
            return 25 + i;
        struct stat sb;
        if (i == 0) { /* the earlier file as it was */
            char back[64] = "";
            FILE *g = fopen(csv, "r");
            if (!g || !fgets(back, sizeof back, g) ||
                strcmp(back, "earlier\n") != 0 || stat(csv, &sb) != 0 ||
                (sb.st_mode & 0777) != 0600)
                return 30;
            fclose(g);
        } else if (stat(files[i], &sb) == 0) { /* none: none */
            return 31;
        }
        /* No temporary left behind. */
        if (temporaries_in(dir) || temporaries_in(rep))
            return 40 + i;
    }
    return 0;
}

TEST(cli_outputs_on_a_full_disk_are_status_1_and_left_as_they_were)
{
    char dir[4096];
    test_mkdtemp(dir, sizeof dir, "full");
    int st = test_wait(test_fork(full_disk_child, dir), 120000);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
        SKIP("no mount namespace here (needs root or CAP_SYS_ADMIN)");
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
}

/* A file size limit (ulimit -f) that the output outgrows: the write fails
 * (EFBIG), status 1 with one line naming the file, and the earlier CSV is
 * left as it was with no temporary beside it; stdout past the limit is
 * the same status-1 line. (SIGXFSZ's default action killed coord mid-write
 * instead: exit 153 with no line, a temporary left, and a file written in
 * place cut to its first part.) */
TEST(cli_outputs_past_the_file_size_limit_are_status_1)
{
    char dir[4096], csv[4200];
    test_mkdtemp(dir, sizeof dir, "fsize");
    snprintf(csv, sizeof csv, "%s/t.csv", dir);
    FILE *f = fopen(csv, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_TRUE(fputs("earlier\n", f) >= 0);
    ASSERT_EQ(fclose(f), 0);
    const char *argv[] = {"/bin/sh", "-c",
                          "ulimit -f 64 && exec \"$0\" fraud --quick "
                          "--write-csv \"$1\"",
                          COORD_CLI_PATH, csv, NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 1);
    ASSERT_EQ(lines(err), 1);
    ASSERT_TRUE(strstr(err, "File too large") != NULL);
    ASSERT_TRUE(strstr(err, csv) != NULL);
    char back[64] = "";
    f = fopen(csv, "r");
    ASSERT_TRUE(f != NULL);
    ASSERT_TRUE(fgets(back, sizeof back, f) != NULL);
    fclose(f);
    ASSERT_EQ(strcmp(back, "earlier\n"), 0);
    ASSERT_EQ(temporaries_in(dir), 0);
    /* stdout into a file past the limit. */
    snprintf(csv, sizeof csv, "%s/out.txt", dir);
    const char *argv2[] = {"/bin/sh", "-c",
                           "ulimit -f 0 && exec \"$0\" --help >\"$1\"",
                           COORD_CLI_PATH, csv, NULL};
    st = test_run(argv2, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 1);
    ASSERT_EQ(lines(err), 1);
    ASSERT_TRUE(strstr(err, "cannot write the output") != NULL);
}

/* Run `coord args...` (NULL-terminated, at most 14), through the program
 * `via` (NULL-terminated; {NULL}: directly), and fail the case unless it
 * exits 0 and a queue run's JSON says every row was exactly once and every
 * probe ok. `how` says what is special about the run. */
static void run_cli_case(const char *const *via, const char *const *args,
                         const char *how, int timeout_ms)
{
    const char *argv[24];
    size_t n = 0;
    while (via[n])
        argv[n] = via[n], n++;
    argv[n++] = COORD_CLI_PATH;
    for (size_t j = 0; args[j] && n < 23; j++)
        argv[n++] = args[j];
    argv[n] = NULL;
    int st = test_run(argv, out, sizeof out, err, sizeof err, timeout_ms);
    ASSERT_TRUE(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord %s %s: exit %d: %.300s", args[0],
                   how, WEXITSTATUS(st), err);
    if (strcmp(args[0], "queue") == 0 &&
        (strstr(out, "\"exactly_once\":false") || strstr(out, "\"ok\":false")))
        test__fail(__FILE__, __LINE__, "coord queue %s: %.600s", how, out);
}

/* `coord report --quick --only waste --out DIR` with DIR holding the
 * manifest `text` (NULL: none); fails the case unless it exits 0. */
static void report_into(const char *dir, const char *text)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/.coord-report-files", dir);
    if (text) {
        FILE *m = fopen(path, "w");
        ASSERT_TRUE(m != NULL);
        fputs(text, m);
        ASSERT_EQ(fclose(m), 0);
    }
    const char *argv[] = {COORD_CLI_PATH, "report", "--quick", "--only",
                          "waste", "--no-python", "--out", dir, NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord report: status %#x: %.600s", st,
                   err);
}

/* report's warnings about an earlier report's files name DIR as every
 * message does, a control character in it shown as '?' (a newline split
 * the warning, an escape sequence reached the terminal): they printed the
 * --out name as given. */
TEST(cli_report_warnings_show_the_dir_as_errors_do)
{
    char base[256], dir[300];
    test_mkdtemp(base, sizeof base, "report-name");
    snprintf(dir, sizeof dir, "%s/a\nb\x1b[2J", base);
    ASSERT_OK(mkdir(dir, 0755));
    /* A manifest that is no list of coord's. */
    report_into(dir, "not a manifest\n");
    char want[600];
    snprintf(want, sizeof want, "report: %s/a?b?[2J/.coord-report-files is "
             "not a list of coord's files", base);
    if (!strstr(err, want))
        test__fail(__FILE__, __LINE__, "'%s' not in: %.600s", want, err);
    ASSERT_TRUE(strchr(err, '\x1b') == NULL);
    /* The summary on stdout names DIR the same way. */
    snprintf(want, sizeof want, "report: %s/a?b?[2J/index.html", base);
    ASSERT_TRUE(strstr(out, want) != NULL);
    ASSERT_TRUE(strchr(out, '\x1b') == NULL);
    /* A file of an earlier report changed since: kept, and said so. */
    char path[4400];
    snprintf(path, sizeof path, "%s/data/old.json", dir);
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("{}\n", f);
    ASSERT_EQ(fclose(f), 0);
    report_into(dir, "coord-report-files 1\n1 1 1 1 data/old.json\n");
    snprintf(want, sizeof want, "report: kept %s/a?b?[2J/data/old.json: "
             "changed since a coord report wrote it\n", base);
    if (!strstr(err, want))
        test__fail(__FILE__, __LINE__, "'%s' not in: %.600s", want, err);
    ASSERT_TRUE(strchr(err, '\x1b') == NULL);
}

/* coord started with SIGCHLD ignored (SIG_IGN survives exec: a daemon's
 * usual setting) still reaps its own children: the kernel reaped them, every
 * waitpid failed with ECHILD, and coord queue said exactly-once NO (exit 1),
 * coord interval "an overhead worker failed", coord spectrum "the child
 * process's reads failed". */
HELPER(exec_with_sigchld_ignored)
{
    (void)argc;
    signal(SIGCHLD, SIG_IGN);
    execv(argv[0], argv);
    return 127;
}

TEST(cli_runs_with_sigchld_ignored)
{
    static const char *const cases[][16] = {
        {"queue", "--no-python", "--no-pipe", "--no-probes", "--messages",
         "1000", "--runs", "1", "--quick", "--json", NULL},
        {"interval", "--workers", "2", "--intervals", "1", "--work", "cheap",
         "--runs", "1", "--stops", "1", "--quick", "--json", NULL},
    };
    const char *const via[] = {test_self, "--helper",
                               "exec_with_sigchld_ignored", NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_cli_case(via, cases[i], "with SIGCHLD ignored", 60000);
}

/* The tool under a signal handler installed without SA_RESTART (a
 * profiler's timer, an application's SIGALRM; here sigshim.c, preloaded,
 * at 10 kHz): a wait for a child that a signal interrupted (EINTR) read as
 * the child's failure. coord queue put the pills in before its producers
 * were done, said exactly-once NO for every row and a throughput of
 * 10^8 msgs/s, and left the producers running; the kill_get probe said
 * FAIL; coord spectrum failed ("an operation failed while measuring",
 * "the child process's reads failed"). */
TEST(cli_runs_under_a_signal_without_sa_restart)
{
    test_preload(COORD_SIGSHIM_PATH);
    static const char *const cases[][16] = {
        {"queue", "--no-python", "--messages", "200000", "--pipe-messages",
         "20000", "--runs", "1", "--quick", "--json", NULL},
        {"spectrum", "--quick", "--json", NULL},
    };
    static const char *const direct[] = {NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_cli_case(direct, cases[i], "under SIGALRM", 100000);
}

/* coord queue when fork fails (a process limit, a cgroup's pids.max; here
 * forkshim.c, preloaded): the consumer_killed_in_get probe sent SIGKILL to
 * the failed fork's -1, that is to every process of the user, and the
 * probes blamed the queue ("0 of 1000 items arrived"). */
TEST(cli_queue_probes_after_a_failed_fork)
{
    test_preload(COORD_FORKSHIM_PATH);
    const char *argv[] = {COORD_CLI_PATH, "queue", "--no-python", "--no-pipe",
                          "--messages", "1000", "--runs", "1", "--quick",
                          "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st));
    if (strstr(err, "kill(-1)"))
        test__fail(__FILE__, __LINE__, "kill(-1) after a failed fork: %.300s",
                   err);
    if (strstr(out, "items arrived") || strstr(out, "did not get the item"))
        test__fail(__FILE__, __LINE__, "a failed fork blamed on the queue: "
                   "%.600s", out);
    ASSERT_TRUE(strstr(out, "fork failed") != NULL);
}

/* The ppid of `pid` from /proc/<pid>/stat, or -1 when it is gone. */
static int ppid_of(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    char st;
    int ppid;
    if (!rp || sscanf(rp + 1, " %c %d", &st, &ppid) != 2)
        return -1;
    return ppid;
}

/* How many live (not zombie) processes have `parent` as their parent. */
static int live_children_of(pid_t parent)
{
    int n = 0;
    DIR *d = opendir("/proc");
    ASSERT_TRUE(d != NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int pid = atoi(de->d_name);
        if (pid > 0 && ppid_of(pid) == parent && test_proc_state(pid) != 'Z')
            n++;
    }
    closedir(d);
    return n;
}

/* coord spectrum ended by a signal in the middle of its run (SIGTERM from
 * `timeout`, or Ctrl-C, which its echo processes ignore): the queue, pipe
 * and socket echo processes it forks stayed behind for ever, each waiting
 * for a message or an end of file that never came. They must end with it.
 * This case is a subreaper, so they are reparented here and seen. */
TEST(cli_spectrum_echo_processes_end_with_the_tool)
{
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(COORD_CLI_PATH, COORD_CLI_PATH, "spectrum", "--runs", "200",
              (char *)NULL);
        _exit(127);
    }
    /* Two manager servers and three echo processes. */
    int n = 0;
    for (int t = 0; t < 6000 && (n = live_children_of(pid)) < 5; t++) {
        if (test_child_ended(pid))
            break;
        usleep(10000);
    }
    if (n < 5) {
        kill(pid, SIGKILL);
        test_wait(pid, 10000);
        test__fail(__FILE__, __LINE__, "coord spectrum never had its five "
                   "children (%d)", n);
    }
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    int st = test_wait(pid, 30000);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    /* Everything it forked ends and is reaped here, within 10 s. */
    pid_t left[64];
    size_t k = 0;
    for (int t = 0; t < 1000; t++) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if ((k = test_children(left, 64)) == 0)
            break;
        usleep(10000);
    }
    for (size_t i = 0; i < k; i++)
        kill(left[i], SIGKILL);
    while (waitpid(-1, NULL, 0) > 0)
        ;
    if (k)
        test__fail(__FILE__, __LINE__, "%zu processes of coord spectrum "
                   "outlived it by 10 s", k);
}

/* Runs `coord ARGS...` (the caller preloads sigshim) with its descriptor
 * `fd` (1 or 2) on a pipe of one page that holds `prefill` bytes already
 * ('x'), the other stream on /dev/null. Waits (at most 30 s) until the
 * tool is blocked writing to that full pipe, where the signals interrupt
 * the write, or has ended; lets the signals come for a while, then reads
 * everything into `out`. Returns the bytes read (the prefill included);
 * *status the tool's wait status. */
static size_t run_into_a_full_pipe(const char *const *args, int fd,
                                   size_t prefill, int *status)
{
    int p[2];
    ASSERT_OK(pipe(p));
    ASSERT_TRUE(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
    ASSERT_TRUE(prefill <= (size_t)fcntl(p[1], F_GETPIPE_SZ));
    static char fill[65536];
    memset(fill, 'x', prefill);
    ASSERT_EQ(write(p[1], fill, prefill), (ssize_t)prefill);
    const char *argv[16];
    size_t n = 0;
    argv[n++] = COORD_CLI_PATH;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(p[1], fd);
        dup2(null, fd == 1 ? 2 : 1);
        close(p[0]);
        close(p[1]);
        execv(COORD_CLI_PATH, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    bool blocked = false;
    for (int t = 0; t < 3000 && !blocked && !test_child_ended(pid); t++) {
        blocked = test_writing_to(pid, fd);
        if (!blocked)
            usleep(10000);
    }
    usleep(200 * 1000); /* 2000 signals, each an EINTR of the write */
    size_t got = 0;
    for (;;) {
        ssize_t r = read(p[0], out + got, sizeof out - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        ASSERT_TRUE(r >= 0);
        if (r == 0 || got + (size_t)r >= sizeof out - 1)
            break;
        got += (size_t)r;
    }
    out[got] = '\0';
    close(p[0]);
    *status = test_wait(pid, 30000);
    return got;
}

/* stdout into a pipe that is full for a while (its reader is slow) under
 * a signal handler installed without SA_RESTART (sigshim.c, preloaded, at
 * 10 kHz): glibc's stdio takes the write's EINTR for a failure and drops
 * what it buffered, so the tool said "could not write the options",
 * status 1, with the output cut at the pipe's 4096 bytes. */
TEST(cli_stdout_into_a_slow_pipe_under_a_signal_without_sa_restart)
{
    test_preload(COORD_SIGSHIM_PATH);
    static const char *const args[] = {"help", "--options-json", NULL};
    int st;
    size_t got = run_into_a_full_pipe(args, 1, 0, &st);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_GT(got, (size_t)4096);
    ASSERT_TRUE(strncmp(out, "{\"schema\":\"coord.options/1\",", 28) == 0);
    ASSERT_EQ(out[got - 1], '\n');
    ASSERT_EQ(out[got - 2], '}');
}

/* The same for stderr, unbuffered: the one line of an error written while
 * the pipe is full (a slow reader, the end of a long log) was lost whole,
 * glibc giving up on the write's first EINTR: `coord zzzz` exited 2 and
 * said nothing. */
TEST(cli_stderr_into_a_slow_pipe_under_a_signal_without_sa_restart)
{
    test_preload(COORD_SIGSHIM_PATH);
    static const char *const args[] = {"zzzzzzzz", NULL};
    int st;
    size_t got = run_into_a_full_pipe(args, 2, 4096, &st);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 2);
    static const char line[] = "coord: unknown command 'zzzzzzzz'";
    if (got < 4096 + sizeof line || out[got - 1] != '\n' ||
        strncmp(out + 4096, line, sizeof line - 1) != 0 ||
        memchr(out + 4096, '\n', got - 4096) != out + got - 1)
        test__fail(__FILE__, __LINE__, "stderr after the full pipe: %zu "
                   "bytes, '%.200s'", got - 4096, out + 4096);
}

#define TEST_LIST(X)                                                           \
    X(cli_version_and_help)                                                    \
    X(cli_usage_errors_exit_2_with_one_line)                                   \
    X(cli_plot_link_that_leads_nowhere_is_a_usage_error)                       \
    X(cli_gc_lists_and_removes)                                                \
    X(cli_did_you_mean_commands)                                               \
    X(cli_did_you_mean_options)                                                \
    X(cli_top_level_flags_match_the_commands)                                  \
    X(cli_every_usage_error_is_one_line_exit_2)                                \
    X(cli_double_dash_ends_options)                                            \
    X(cli_help_lists_every_option)                                             \
    X(cli_options_dump_matches_help)                                           \
    X(cli_manager_help_shows_the_servers_defaults)                             \
    X(cli_fraud_strict_names_the_first_line_only)                              \
    X(cli_quick_keeps_given_counts)                                            \
    X(cli_stdout_that_cannot_be_written_is_status_1)                           \
    X(cli_outputs_on_a_full_disk_are_status_1_and_left_as_they_were)           \
    X(cli_outputs_past_the_file_size_limit_are_status_1)                       \
    X(cli_runs_with_sigchld_ignored)                                           \
    X(cli_runs_under_a_signal_without_sa_restart)                           \
    X(cli_queue_probes_after_a_failed_fork)                                 \
    X(cli_spectrum_echo_processes_end_with_the_tool)                         \
    X(cli_stdout_into_a_slow_pipe_under_a_signal_without_sa_restart)         \
    X(cli_stderr_into_a_slow_pipe_under_a_signal_without_sa_restart)         \
    X(cli_fraud_csv_rejections_are_one_line)                                  \
    X(cli_report_warnings_show_the_dir_as_errors_do)
#define HELPER_LIST(X) X(exec_with_sigchld_ignored)

TEST_MAIN()
