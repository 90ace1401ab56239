/* SPDX-License-Identifier: MIT */
/* test-advise.c: `coord advise` and its cost model: rankings on a fixed calibration file, the spectrum cache, bad input. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "advise-model.h"
#include "advise-report.h"
#include "harness.h"
#include "json.h"

#define CALIB COORD_SOURCE_DIR "/tests/data/advise-calibration.json"

static char out[1 << 17], err[1 << 14];

/* Runs `coord advise --json --calibration CALIB args...` (NULL-ended,
 * at most 14), asserts exit 0 and one parsed JSON object; returns it. */
static struct json *advise(const char *a0, ...)
{
    const char *argv[24] = {COORD_CLI_PATH, "advise", "--json",
                            "--calibration", CALIB};
    int n = 5;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && n < 22; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "exit %d: %s", WEXITSTATUS(st), err);
    struct json *j = NULL;
    char e[160];
    if (json_parse(out, strlen(out), &j, e, sizeof e) != 0)
        test__fail(__FILE__, __LINE__, "not JSON: %s", e);
    ASSERT_STR_EQ(json_str(json_get(j, "schema")), "coord.advise/1");
    ASSERT_STR_EQ(json_str(json_get(j, "command")), "advise");
    ASSERT_TRUE(json_str(json_get(j, "coord_version")) != NULL);
    ASSERT_TRUE(json_get(j, "machine") &&
                json_get(j, "machine")->type == JSON_OBJECT);
    ASSERT_TRUE(json_get(j, "inputs") &&
                json_get(j, "inputs")->type == JSON_OBJECT);
    const struct json *r = json_get(j, "ranking");
    ASSERT_TRUE(r && r->type == JSON_ARRAY);
    ASSERT_TRUE(json_get(j, "excluded") &&
                json_get(j, "excluded")->type == JSON_ARRAY);
    /* Best first: costs never fall along the ranking (null ones last). */
    double prev = 0;
    bool seen_null = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct json *e1 = r->items[i];
        ASSERT_TRUE(json_str(json_get(e1, "mechanism")) != NULL);
        ASSERT_TRUE(json_str(json_get(e1, "why")) != NULL);
        ASSERT_TRUE(json_str(json_get(e1, "rule_of_thumb")) != NULL);
        const struct json *ns = json_get(e1, "ns_per_task");
        ASSERT_TRUE(ns != NULL);
        if (ns->type == JSON_NULL) {
            seen_null = true;
            continue;
        }
        ASSERT_TRUE(!seen_null);
        ASSERT_TRUE(ns->num * ADV_TIE >= prev);
        prev = ns->num;
    }
    return j;
}

/* Index of `mech` in the ranking, or -1. */
static int pos(const struct json *j, const char *mech)
{
    const struct json *r = json_get(j, "ranking");
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(json_str(json_get(r->items[i], "mechanism")), mech))
            return (int)i;
    return -1;
}

static const struct json *entry(const struct json *j, const char *mech)
{
    int i = pos(j, mech);
    if (i < 0)
        test__fail(__FILE__, __LINE__, "%s is not ranked", mech);
    return json_at(json_get(j, "ranking"), (size_t)i);
}

static const char *first(const struct json *j)
{
    const struct json *e = json_at(json_get(j, "ranking"), 0);
    ASSERT_TRUE(e != NULL);
    return json_str(json_get(e, "mechanism"));
}

/* The advisor's own words for what it could not measure, and shares of a
 * task without exponents (the duration units are checked through the
 * report's formatter, which is this one: report_human_units). */
TEST(advise_durations_in_human_units)
{
    char b[32], s[48];
    ASSERT_STR_EQ(adv_fmt_ns(b, sizeof b, -1), "not measured");
    ASSERT_STR_EQ(adv_fmt_ns(b, sizeof b, NAN), "not measured");
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 0.0025, "the task"),
                  "0.25 % of the task");
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 2.8e-7, "1 ms"),
                  "under 0.01 % of 1 ms");
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 0, "1 ms"), "0 % of 1 ms");
    /* Under 1 % never reads "1 %" (the verdict beside it says "under
     * 1 %": "1 % of the task: acceptable: under 1 % of the task"). */
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 0.00996, "the task"),
                  "0.99 % of the task");
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 0.0099, "the task"),
                  "0.99 % of the task");
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 0.01, "the task"),
                  "1 % of the task");
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 0.37, "10 ms"), "37 % of 10 ms");
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 15.3, "the task"),
                  "15.3× the task");
    ASSERT_STR_EQ(adv_fmt_share(s, sizeof s, 1234, "the task"),
                  "1234× the task");
}

TEST(advise_dict_read_once_per_10ms_task_manager_acceptable)
{
    struct json *j = advise("--shape", "dict", "--per-task", "1",
                            "--task-us", "10000", "--processes", "4", NULL);
    ASSERT_TRUE(strstr(first(j), "manager") != NULL);
    const struct json *m = entry(j, "coord_manager_dict");
    double share = json_num(json_get(m, "share_of_task"), -1);
    /* 15.6 µs of 10 ms in the fixed file. */
    ASSERT_TRUE(share > 0.0015 && share < 0.0016);
    ASSERT_TRUE(strstr(json_str(json_get(m, "why")), "acceptable") != NULL);
    ASSERT_TRUE(strstr(json_str(json_get(m, "rule_of_thumb")),
                       "once per task") != NULL);
    /* One access: nothing to batch. */
    ASSERT_EQ(pos(j, "coord_manager_dict_batched"), -1);
    json_free(j);
}

TEST(advise_flag_per_iteration_flag_first_never_manager)
{
    struct json *j = advise("--shape", "flag", "--per-iteration", "1",
                            "--processes", "8", NULL);
    ASSERT_STR_EQ(first(j), "coord_flag");
    ASSERT_TRUE(strstr(first(j), "manager") == NULL);
    double f = json_num(json_get(entry(j, "coord_flag"), "ns_per_task"), -1);
    double m = json_num(
        json_get(entry(j, "coord_manager_dict"), "ns_per_task"), -1);
    ASSERT_TRUE(fabs(f - 0.3) < 1e-9);
    ASSERT_TRUE(m > 10000 * f);
    /* Per iteration: no share of a task. */
    ASSERT_TRUE(json_get(entry(j, "coord_flag"), "share_of_task")->type ==
                JSON_NULL);
    json_free(j);
}

TEST(advise_counter_eight_writers_atomic_ahead_of_locked_and_manager)
{
    struct json *j = advise("--shape", "counter", "--per-task", "1",
                            "--processes", "8", "--writers", "8", NULL);
    int atomic = pos(j, "coord_region_atomic"), locked = pos(j, "coord_value");
    int mgr = pos(j, "coord_manager_dict");
    ASSERT_EQ(atomic, 0);
    ASSERT_TRUE(locked > atomic && mgr > locked);
    double l8 = json_num(json_get(entry(j, "coord_value"), "ns_per_task"), -1);
    json_free(j);
    /* Contention: one writer pays less for the same locked increment. */
    j = advise("--shape", "counter", "--per-task", "1", "--processes", "8",
               "--writers", "1", NULL);
    double l1 = json_num(json_get(entry(j, "coord_value"), "ns_per_task"), -1);
    ASSERT_TRUE(fabs(l1 - 28) < 1e-9);
    ASSERT_TRUE(l8 > 3 * l1);
    json_free(j);
}

/* A scalar has no slices: W writers of one scalar on a raw region share
 * one cache line, as the counter's do, so their stores are contended
 * (docs/advise.md, Contention: only array writers on their own slices are
 * not). 4 writers back to back: 0.35 ns x 2.5. */
TEST(advise_scalar_writers_on_a_region_contend)
{
    struct json *j = advise("--shape", "scalar", "--per-iteration", "1",
                            "--processes", "4", "--writers", "4", NULL);
    double r = json_num(
        json_get(entry(j, "coord_region_atomic"), "ns_per_task"), -1);
    ASSERT_TRUE(fabs(r - 0.35 * 2.5) < 1e-9);
    json_free(j);
    /* Array writers on their own slices still do not. */
    j = advise("--shape", "array", "--per-iteration", "1", "--processes",
               "4", "--size", "64", NULL);
    r = json_num(json_get(entry(j, "coord_region_atomic"), "ns_per_task"), -1);
    ASSERT_TRUE(fabs(r - 0.35) < 1e-9);
    json_free(j);
}

TEST(advise_messages_queue_ahead_as_measured)
{
    struct json *j = advise("--shape", "messages", "--per-task", "1",
                            "--task-us", "1000", "--processes", "4", NULL);
    int q = pos(j, "coord_queue");
    ASSERT_EQ(q, 0);
    ASSERT_TRUE(pos(j, "pipe") > q);
    ASSERT_TRUE(pos(j, "coord_manager_list") > pos(j, "pipe"));
    /* Python's side is in the file: its queue is ranked, after coord's. */
    ASSERT_TRUE(pos(j, "python_queue") > q);
    json_free(j);
}

TEST(advise_two_machines_only_what_crosses)
{
    struct json *j = advise("--shape", "flag", "--per-iteration", "1",
                            "--processes", "8", "--machines", "2", NULL);
    const struct json *r = json_get(j, "ranking");
    for (size_t i = 0; i < r->n; i++) {
        const char *m = json_str(json_get(r->items[i], "mechanism"));
        if (strcmp(m, "coord_mpi_search_flag") &&
            strcmp(m, "python_manager_dict"))
            test__fail(__FILE__, __LINE__, "%s cannot cross machines", m);
    }
    ASSERT_STR_EQ(first(j), "coord_mpi_search_flag");
    ASSERT_TRUE(pos(j, "coord_flag") < 0);
    json_free(j);
    j = advise("--shape", "dict", "--per-task", "1", "--processes", "8",
               "--machines", "2", NULL);
    ASSERT_EQ((int)json_get(j, "ranking")->n, 1);
    ASSERT_STR_EQ(first(j), "python_manager_dict");
    json_free(j);
}

/* Python's Manager dict has no atomic increment (`d[k] += 1`, what the
 * spectrum times, is a get and a set): as a counter with several writers
 * it loses increments, so it is excluded, not ranked (it was the only
 * advice for a counter across two machines). */
TEST(advise_python_manager_dict_is_no_shared_counter)
{
    for (int machines = 1; machines <= 2; machines++) {
        char m[8];
        snprintf(m, sizeof m, "%d", machines);
        struct json *j = advise("--shape", "counter", "--per-task", "1",
                                "--task-us", "1000", "--processes", "4",
                                "--machines", m, NULL);
        ASSERT_TRUE(pos(j, "python_manager_dict") < 0);
        const struct json *x = json_get(j, "excluded");
        bool said = false;
        for (size_t i = 0; i < x->n; i++)
            if (!strcmp(json_str(json_get(x->items[i], "mechanism")),
                        "python_manager_dict"))
                said = strstr(json_str(json_get(x->items[i], "why")),
                              "read-modify-write") != NULL;
        ASSERT_TRUE(said);
        json_free(j);
    }
}

/* Exclusions read as English: "cannot hold an array", "cannot hold
 * messages" (it said "a array", "a messages"). */
TEST(advise_exclusions_read_as_english)
{
    struct json *j = advise("--shape", "array", "--per-task", "1",
                            "--processes", "4", NULL);
    ASSERT_TRUE(strstr(out, "cannot hold an array") != NULL);
    ASSERT_TRUE(strstr(out, "cannot hold a array") == NULL);
    json_free(j);
    j = advise("--shape", "messages", "--per-task", "1", "--processes", "4",
               NULL);
    ASSERT_TRUE(strstr(out, "cannot hold messages") != NULL);
    json_free(j);
}

/* The text's first line says the shape as English too: "an array",
 * "messages" (it printed "coord advise: a array, ..." and "a messages"). */
TEST(advise_text_header_reads_as_english)
{
    static const char *const want[][2] = {
        {"array", "coord advise: an array, 1 access per task"},
        {"messages", "coord advise: messages, 1 access per task"},
        {"dict", "coord advise: a dict, 1 access per task"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *argv[] = {COORD_CLI_PATH, "advise", "--calibration",
                              CALIB, "--shape", want[i][0], "--per-task",
                              "1", "--processes", "4", NULL};
        int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        ASSERT_TRUE(strstr(out, want[i][1]) != NULL);
    }
}

TEST(advise_unrelated_excludes_inherited_only)
{
    struct json *j = advise("--shape", "messages", "--per-task", "1",
                            "--processes", "4", "--unrelated", NULL);
    ASSERT_TRUE(pos(j, "coord_queue") >= 0);
    ASSERT_EQ(pos(j, "pipe"), -1);
    ASSERT_EQ(pos(j, "python_queue"), -1);
    json_free(j);
}

/* ---- the model, directly --------------------------------------------- */

static void load_fixed(struct adv_costs *k)
{
    FILE *f = fopen(CALIB, "r");
    ASSERT_TRUE(f != NULL);
    size_t n = fread(out, 1, sizeof out - 1, f);
    fclose(f);
    out[n] = '\0';
    struct json *j = NULL;
    char e[160];
    ASSERT_EQ(json_parse(out, n, &j, e, sizeof e), 0);
    const char *missing = NULL;
    ASSERT_TRUE(adv_costs_from_json(j, k, &missing));
    json_free(j);
}

TEST(advise_model_report_patterns_and_missing_rows)
{
    struct adv_costs k;
    load_fixed(&k);
    struct adv_result res;
    const char *want[] = {"coord_flag", "coord_region_atomic",
                          "coord_region_atomic", "coord_manager_dict",
                          "coord_manager_dict"};
    ASSERT_EQ((int)adv_npatterns, 5);
    for (size_t i = 0; i < adv_npatterns; i++) {
        adv_rank(&adv_patterns[i].in, &k, &res);
        ASSERT_TRUE(res.nrank > 0);
        ASSERT_STR_EQ(res.rank[0].mechanism, want[i]);
    }
    /* A missing coord row makes the calibration invalid. */
    struct json *j = NULL;
    char e[160];
    const char *t = "{\"rows\":[{\"mechanism\":\"flag_check\",\"impl\":"
                    "\"coord\",\"ns_per_op_p50\":-1}]}";
    ASSERT_EQ(json_parse(t, strlen(t), &j, e, sizeof e), 0);
    const char *missing = NULL;
    ASSERT_FALSE(adv_costs_from_json(j, &k, &missing));
    ASSERT_STR_EQ(missing, "flag_check");
    json_free(j);
    /* A row measured at 0 (below the spectrum's empty loop, as a loaded
     * machine can make a CAS look) is priced as nearly free, not lost:
     * the calibration it is in stays valid. */
    FILE *f = fopen(CALIB, "r");
    ASSERT_TRUE(f != NULL);
    size_t n = fread(out, 1, sizeof out - 1, f);
    fclose(f);
    out[n] = '\0';
    char *cas = strstr(out, "\"flag_claim_cas\"");
    ASSERT_TRUE(cas != NULL);
    char *ps = strstr(cas, "\"ns_per_op_p50\":");
    ASSERT_TRUE(ps != NULL);
    ps += strlen("\"ns_per_op_p50\":");
    size_t digits = strspn(ps, "0123456789.");
    ASSERT_GT(digits, 0);
    memset(ps, ' ', digits);
    ps[0] = '0';
    ASSERT_EQ(json_parse(out, n, &j, e, sizeof e), 0);
    ASSERT_TRUE(adv_costs_from_json(j, &k, &missing));
    ASSERT_TRUE(k.c[6] > 0 && k.c[6] < 0.01); /* flag_claim_cas: 1 ps */
    json_free(j);
}

/* The report's slide-9 table: one row per pattern, the model's winner. */
/* Ties are not transitive: flag 1.2 ns, region 1 ns, Value 0.85 ns. Each
 * neighbour is within ADV_TIE of the next, but the flag costs 41 % more
 * than the Value read: the cheaper one must not rank behind it (the
 * ranking used to stop at the first tie from the end). */
TEST(advise_tie_never_puts_a_clearly_cheaper_one_behind)
{
    struct adv_costs k;
    load_fixed(&k);
    k.c[ADV_FLAG_CHECK] = 1.2;
    k.c[ADV_REGION_READ] = 1.0;
    k.c[ADV_VALUE_GET] = 0.85;
    struct adv_input in = {ADV_SHAPE_FLAG, true, 1, 0, 4, -1, 0, false, 1};
    struct adv_result res;
    adv_rank(&in, &k, &res);
    for (size_t i = 0; i < res.nrank; i++)
        for (size_t j = i + 1; j < res.nrank; j++)
            if (res.rank[i].ns >= 0 && res.rank[j].ns >= 0 &&
                res.rank[i].ns > res.rank[j].ns * ADV_TIE)
                test__fail(__FILE__, __LINE__, "%s (%g ns) ranks before %s "
                           "(%g ns)", res.rank[i].mechanism, res.rank[i].ns,
                           res.rank[j].mechanism, res.rank[j].ns);
    ASSERT_STR_EQ(res.rank[0].mechanism, "coord_value");
}

TEST(advise_report_section_slide9_table)
{
    FILE *f = fopen(CALIB, "r");
    ASSERT_TRUE(f != NULL);
    size_t n = fread(out, 1, sizeof out - 1, f);
    fclose(f);
    struct json *j = NULL;
    char e[160];
    ASSERT_EQ(json_parse(out, n, &j, e, sizeof e), 0);
    struct rdoc d = {0};
    advise_report_section(&d, j, NULL);
    json_free(j);
    char *md = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&md, &len);
    ASSERT_TRUE(m != NULL);
    ASSERT_EQ(rdoc_write_md(&d, m), 0);
    fclose(m);
    rdoc_free(&d);
    static const char *const want[][2] = {
        {"a flag checked every iteration", "coord_flag"},
        {"a counter incremented per 1 ms task", "coord_region_atomic"},
        {"a result array written by slices", "coord_region_atomic"},
        {"a config dict read once per 10 ms task", "coord_manager_dict"},
        {"a shared dict updated per item", "coord_manager_dict"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *row = strstr(md, want[i][0]);
        if (!row)
            test__fail(__FILE__, __LINE__, "no row '%s' in:\n%s", want[i][0],
                       md);
        const char *eol = strchr(row, '\n');
        const char *use = strstr(row, want[i][1]);
        ASSERT_TRUE(use != NULL && use < eol);
    }
    /* The config dict: 15.6 µs of 10 ms. */
    ASSERT_TRUE(strstr(md, "15.6 µs per task (0.16 % of 10 ms)") != NULL);
    /* The column for a program that stays with multiprocessing: the
     * cheapest of Python's own, from the same spectrum. */
    const char *flag_row = strstr(md, "a flag checked every iteration");
    const char *py = strstr(flag_row, "python_value: ");
    ASSERT_TRUE(py != NULL && py < strchr(flag_row, '\n'));
    ASSERT_TRUE(strstr(md, "| with multiprocessing |") != NULL);
    /* The per-item dict's winner breaks its own rule: said, with the cure. */
    ASSERT_TRUE(strstr(md, "goes against its own rule") != NULL);
    free(md);
    /* No spectrum: a sentence, no table. */
    struct rdoc d2 = {0};
    advise_report_section(&d2, NULL, "not measured (coord spectrum failed)");
    ASSERT_EQ((int)d2.n, 1);
    ASSERT_TRUE(strstr(d2.b[0].text, "coord spectrum failed") != NULL);
    rdoc_free(&d2);
}

/* ---- the cache ---------------------------------------------------------- */

/* The cache of one case: a directory of its own (removed by the runner). */
static char cache_dir[96];

static void use_temp_cache(void)
{
    test_mkdtemp(cache_dir, sizeof cache_dir, "advise-cache");
    ASSERT_EQ(setenv("XDG_CACHE_HOME", cache_dir, 1), 0);
}

/* `coord advise` on the cache (no --calibration): its source, or fails. */
static const char *advise_cached(struct json **j)
{
    const char *argv[] = {COORD_CLI_PATH, "advise", "--json", "--shape",
                          "flag", "--per-iteration", "1", "--processes",
                          "2", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 100000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord advise: status %#x, stderr: %s",
                   st, err);
    char e[160];
    if (json_parse(out, strlen(out), j, e, sizeof e) != 0)
        test__fail(__FILE__, __LINE__, "not JSON: %s", e);
    const char *src = json_str(json_path(*j, "calibration.source"));
    ASSERT_TRUE(src != NULL);
    return src;
}

/* `path` made anew holding the one line `line`. */
static void put_line(const char *path, const char *line)
{
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_TRUE(fputs(line, f) >= 0);
    ASSERT_EQ(fclose(f), 0);
}

/* `path`'s first line is `line`. */
static void assert_line(const char *path, const char *line)
{
    char buf[128] = {0};
    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    ASSERT_TRUE(fgets(buf, sizeof buf, f) != NULL);
    fclose(f);
    ASSERT_STR_EQ(buf, line);
}

/* $XDG_CACHE_HOME in a directory others may write (/tmp), and its coord/
 * a link another user planted to a directory of the caller's: the cache
 * was made there by name and renamed over that directory's
 * spectrum.json, a file the planter could not write. The folders are
 * walked as every output path's (docs/cli.md, Paths): the link is
 * refused, a warning says so, and the file is left as it was. */
TEST(advise_cache_refuses_a_link_another_user_planted)
{
    if (geteuid() != 0)
        SKIP("needs root to plant a symlink owned by another user "
             "(uid 65534)");
    char shared[96], victim[96], link[160], file[160];
    test_mkdtemp(shared, sizeof shared, "cache-shared");
    test_mkdtemp(victim, sizeof victim, "cache-victim");
    ASSERT_OK(chmod(shared, 01777));
    snprintf(link, sizeof link, "%s/coord", shared);
    snprintf(file, sizeof file, "%s/spectrum.json", victim);
    put_line(file, "precious\n");
    ASSERT_OK(symlink(victim, link));
    ASSERT_OK(lchown(link, 65534, (gid_t)-1));
    ASSERT_EQ(setenv("XDG_CACHE_HOME", shared, 1), 0);
    const char *argv[] = {COORD_CLI_PATH, "spectrum", "--quick", "--runs",
                          "3", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 100000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_TRUE(strstr(err, "warning: cannot write the cache") != NULL);
    assert_line(file, "precious\n");
    unlink(link);
}

/* A link of the user's own at the cache's name (to a file elsewhere): the
 * cache is written as a file in its place, the link's target untouched
 * (it was replaced through the link, and advise, which reads no link,
 * calibrated again at every call). */
TEST(advise_cache_replaces_a_link_at_its_name)
{
    use_temp_cache();
    char dir[160], path[200], elsewhere[200];
    snprintf(dir, sizeof dir, "%s/coord", cache_dir);
    ASSERT_EQ(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/spectrum.json", dir);
    snprintf(elsewhere, sizeof elsewhere, "%s/mine.json", cache_dir);
    put_line(elsewhere, "mine\n");
    ASSERT_OK(symlink(elsewhere, path));
    const char *argv[] = {COORD_CLI_PATH, "spectrum", "--quick", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 100000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct stat s;
    ASSERT_EQ(lstat(path, &s), 0);
    ASSERT_TRUE(S_ISREG(s.st_mode));
    assert_line(elsewhere, "mine\n");
    struct json *j = NULL;
    ASSERT_STR_EQ(advise_cached(&j), "cache");
    json_free(j);
}

/* Another user's link at the cache's name, in a cache folder others may
 * write (an existing folder is taken as it is): refused as every output
 * refuses it, not removed (the link replacement above unlinked whatever
 * link was there, whoever owned it). */
TEST(advise_cache_keeps_another_users_link_at_its_name)
{
    if (geteuid() != 0)
        SKIP("needs root to plant a symlink owned by another user "
             "(uid 65534)");
    use_temp_cache();
    char dir[160], path[200], elsewhere[200];
    snprintf(dir, sizeof dir, "%s/coord", cache_dir);
    ASSERT_EQ(mkdir(dir, 0700), 0);
    ASSERT_OK(chmod(dir, 0777));
    ASSERT_OK(chown(dir, 65534, (gid_t)-1));
    snprintf(path, sizeof path, "%s/spectrum.json", dir);
    snprintf(elsewhere, sizeof elsewhere, "%s/theirs.json", cache_dir);
    ASSERT_OK(symlink(elsewhere, path));
    ASSERT_OK(lchown(path, 65534, (gid_t)-1));
    const char *argv[] = {COORD_CLI_PATH, "spectrum", "--quick", "--runs",
                          "3", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 100000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_TRUE(strstr(err, "warning: cannot write the cache") != NULL);
    struct stat s;
    ASSERT_EQ(lstat(path, &s), 0);
    ASSERT_TRUE(S_ISLNK(s.st_mode));
    ASSERT_EQ(s.st_uid, (uid_t)65534);
    ASSERT_TRUE(lstat(elsewhere, &s) != 0);
    unlink(path);
}

TEST(advise_uses_the_cache_spectrum_wrote)
{
    use_temp_cache();
    const char *argv[] = {COORD_CLI_PATH, "spectrum", "--quick", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 100000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char path[160];
    snprintf(path, sizeof path, "%s/coord/spectrum.json", cache_dir);
    struct stat s;
    ASSERT_EQ(stat(path, &s), 0);
    ASSERT_EQ((int)(s.st_mode & 0777), 0600);
    struct json *j = NULL;
    ASSERT_STR_EQ(advise_cached(&j), "cache");
    ASSERT_STR_EQ(json_str(json_path(j, "calibration.path")), path);
    ASSERT_TRUE(json_num(json_path(j, "calibration.age_s"), -1) >= 0);
    json_free(j);
    /* Text mode says so on stderr, in one line. */
    const char *t[] = {COORD_CLI_PATH, "advise", "--shape", "flag",
                       "--per-iteration", "1", "--processes", "2", NULL};
    st = test_run(t, out, sizeof out, err, sizeof err, 100000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_TRUE(strncmp(err, "coord advise: costs from the cache ", 35) == 0);
    ASSERT_TRUE(strchr(err, '\n') == err + strlen(err) - 1);
}

TEST(advise_invalid_cache_recalibrates_and_says_so)
{
    use_temp_cache();
    char dir[160], path[200];
    snprintf(dir, sizeof dir, "%s/coord", cache_dir);
    ASSERT_EQ(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/spectrum.json", dir);
    static const char *const bad[] = {
        "{\"schema\":\"coord.spectrum-cache/1\",\"rows\":[",
        /* before this boot; () tells clang the two literals are one */
        ("{\"schema\":\"coord.spectrum-cache/1\",\"written_at_s\":1,"
         "\"rows\":[]}"),
        "{\"schema\":\"other\",\"written_at_s\":4e9,\"rows\":[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        ASSERT_TRUE(f != NULL);
        fputs(bad[i], f);
        fclose(f);
        struct json *j = NULL;
        ASSERT_STR_EQ(advise_cached(&j), "calibrated");
        json_free(j);
        /* The calibration refreshed the cache: now it is used. */
        ASSERT_STR_EQ(advise_cached(&j), "cache");
        json_free(j);
    }
    /* Text mode names the reason. */
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("not json", f);
    fclose(f);
    const char *t[] = {COORD_CLI_PATH, "advise", "--shape", "flag",
                       "--per-iteration", "1", "--processes", "2", NULL};
    int st = test_run(t, out, sizeof out, err, sizeof err, 100000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_TRUE(strstr(err, "ran a quick calibration") != NULL);
    ASSERT_TRUE(strstr(err, "is not JSON") != NULL);
}

TEST(advise_bad_input_exits_2_with_one_line)
{
    static const char *const cases[][13] = {
        {"--shape", "blob", "--per-task", "1", "--processes", "2"},
        {"--shape", "flag", "--processes", "2"},
        {"--shape", "flag", "--per-task", "1", "--per-iteration", "1",
         "--processes", "2"},
        {"--shape", "flag", "--per-task", "1", "--processes", "0"},
        {"--shape", "flag", "--per-task", "1"},
        {"--per-task", "1", "--processes", "2"},
        {"--shape", "counter", "--per-task", "1", "--processes", "2",
         "--writers", "3"},
        {"--shape", "flag", "--per-task", "-1", "--processes", "2"},
        {"--shape", "flag", "--per-task", "x", "--processes", "2"},
        {"--shape", "flag", "--per-task", "0", "--processes", "2"},
        {"--shape", "flag", "--per-task", "1", "--task-us", "-5",
         "--processes", "2"},
        /* Below a nanosecond the shares were 40-digit nonsense. */
        {"--shape", "flag", "--per-task", "1", "--task-us", "1e-300",
         "--processes", "2"},
        {"--shape", "flag", "--per-task", "1", "--processes", "-2"},
        {"--shape", "flag", "--per-task", "1", "--processes", "2", "--size",
         "10"},
        {"--shape", "array", "--per-task", "1", "--processes", "4",
         "--size", "2"},
        {"--shape", "flag", "--per-iteration", "1", "--task-us", "10",
         "--processes", "2"},
        {"--shape", "flag", "--per-task", "1", "--processes", "2",
         "--machines", "0"},
        {"--shape", "flag", "--per-task", "nan", "--processes", "2"},
        {"--shape", "flag", "--per-task", "1", "--processes", "2",
         "--calibration", "/nonexistent/coord-advise.json"},
        {"--shape", "flag", "--per-task", "1", "--processes", "2",
         "--bogus"},
        {"--shape"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_cli_usage_error(COORD_CLI_PATH, "advise", cases[i], err,
                             sizeof err, 30000);
        char *nl = strchr(err, '\n');
        if (!nl || nl[1] != '\0')
            test__fail(__FILE__, __LINE__, "case %zu: not one line: %s", i,
                       err);
    }
}

TEST(advise_help_lists_every_option)
{
    const char *argv[] = {COORD_CLI_PATH, "advise", "--help", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 30000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    static const char *const opts[] = {
        "--shape", "--per-iteration", "--per-task", "--task-us",
        "--processes", "--writers", "--size", "--unrelated", "--machines",
        "--calibration", "--json"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        ASSERT_TRUE(strstr(out, opts[i]) != NULL);
}

#define TEST_LIST(X)                                                           \
    X(advise_durations_in_human_units)                                         \
    X(advise_python_manager_dict_is_no_shared_counter)                         \
    X(advise_exclusions_read_as_english)                                       \
    X(advise_text_header_reads_as_english)                                     \
    X(advise_dict_read_once_per_10ms_task_manager_acceptable)                  \
    X(advise_flag_per_iteration_flag_first_never_manager)                      \
    X(advise_counter_eight_writers_atomic_ahead_of_locked_and_manager)         \
    X(advise_scalar_writers_on_a_region_contend)                               \
    X(advise_messages_queue_ahead_as_measured)                                 \
    X(advise_two_machines_only_what_crosses)                                   \
    X(advise_unrelated_excludes_inherited_only)                                \
    X(advise_model_report_patterns_and_missing_rows)                           \
    X(advise_tie_never_puts_a_clearly_cheaper_one_behind)                      \
    X(advise_report_section_slide9_table)                                      \
    X(advise_cache_refuses_a_link_another_user_planted)                        \
    X(advise_cache_replaces_a_link_at_its_name)                                \
    X(advise_cache_keeps_another_users_link_at_its_name)                       \
    X(advise_uses_the_cache_spectrum_wrote)                                    \
    X(advise_invalid_cache_recalibrates_and_says_so)                           \
    X(advise_bad_input_exits_2_with_one_line)                                  \
    X(advise_help_lists_every_option)
#define HELPER_LIST(X)
TEST_MAIN()
