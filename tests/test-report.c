/* SPDX-License-Identifier: MIT */
/* test-report.c: the JSON reader, the report's parts (verdicts, units, load banner, sections from fixed JSON) and `coord report` end to end (files, JSON, the page alone in a browser). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fmt.h"
#include "harness.h"
#include "json.h"
#include "report-parts.h"

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

/* Mutations of a valid document: every one parses or fails cleanly. */
TEST(json_mutations_never_crash)
{
    static const char base[] =
        "{\"rows\":[{\"a\":1.5e-3,\"b\":\"x\\u00e9\\n\",\"c\":[true,"
        "false,null]},{\"d\":{\"e\":-0}}],\"n\":12345678901234567890}";
    char buf[sizeof base];
    uint64_t x = 88172645463325252ull;
    size_t ok = 0, bad = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, base, sizeof base);
        size_t len = sizeof base - 1;
        for (int m = 0; m < 1 + round % 4; m++) {
            test_rand(&x);
            size_t at = (size_t)(x % len);
            static const char alphabet[] = "{}[]\",:\\0123456789eE+-.tfnu \x01";
            buf[at] = alphabet[(x >> 32) % (sizeof alphabet - 1)];
            if ((x >> 40) % 5 == 0)
                len = at + 1; /* truncate */
        }
        struct json *j = NULL;
        char err[128];
        int rc = json_parse(buf, len, &j, err, sizeof err);
        if (rc == 0) {
            ok++;
            ASSERT_TRUE(j != NULL);
            json_free(j);
        } else {
            bad++;
            ASSERT_EQ(rc, -EINVAL);
            ASSERT_TRUE(strncmp(err, "line ", 5) == 0);
        }
    }
    ASSERT_GT(bad, 10000);
    ASSERT_GT(ok, 10);
}

/* ---- coord report end to end ---------------------------------------- */

static const char *const cli_path = COORD_CLI_PATH;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* ---- the report's parts, from fixed data ------------------------------ */

/* The Markdown of `d` (caller frees). */
static char *doc_md(const struct rdoc *d)
{
    FILE *f = tmpfile();
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(rdoc_write_md(d, f), 0);
    long n = ftell(f);
    ASSERT_GE(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    ASSERT_TRUE(buf != NULL);
    ASSERT_EQ_U(fread(buf, 1, (size_t)n, f), (uint64_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* How many lines of `text` contain `needle`. */
static size_t lines_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; n++) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            return n + 1;
        p = eol + 1;
    }
    return n;
}

/* The line of `text` holding `needle`, copied into out. */
static bool line_of(const char *text, const char *needle, char *out,
                    size_t cap)
{
    const char *p = strstr(text, needle);
    if (!p)
        return false;
    while (p > text && p[-1] != '\n')
        p--;
    size_t n = strcspn(p, "\n");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    return true;
}

TEST(report_verdict_one_rule)
{
    const struct lecture_claim *v = report_lecture_claim("flag_check");
    ASSERT_TRUE(v != NULL);
    ASSERT_STR_EQ(v->slides, "6, 8");
    double k = 0;
    /* Inside 3x of ~10-100 ns: holds (213 ns, the example). */
    ASSERT_EQ(report_verdict(213, v->fig, &k), VERDICT_HOLDS);
    ASSERT_EQ(report_verdict(300, v->fig, &k), VERDICT_HOLDS);
    ASSERT_EQ(report_verdict(10.0 / 3, v->fig, &k), VERDICT_HOLDS);
    /* Outside: the factor to the nearest end of the lecture's range. */
    ASSERT_EQ(report_verdict(1219, v->fig, &k), VERDICT_HIGHER);
    ASSERT_TRUE(fabs(k - 12.19) < 1e-9);
    ASSERT_EQ(report_verdict(0.25, v->fig, &k), VERDICT_LOWER);
    ASSERT_TRUE(fabs(k - 40) < 1e-9);
    ASSERT_EQ(report_verdict(NAN, v->fig, &k), VERDICT_NOT_MEASURED);
    char buf[96];
    ASSERT_STR_EQ(report_verdict_text(buf, sizeof buf, 213, v->fig), "holds");
    ASSERT_STR_EQ(report_verdict_text(buf, sizeof buf, 1219, v->fig),
                  "off by 12.2× (higher here)");
    ASSERT_STR_EQ(report_verdict_text(buf, sizeof buf, 0.25, v->fig),
                  "off by 40× (lower here)");
    ASSERT_STR_EQ(report_verdict_text(buf, sizeof buf, NAN, v->fig),
                  "not measured");
    /* An exact figure (slide 3's count) holds within 5 % only. */
    struct lecture_figure w = {297000, 297000, true};
    ASSERT_EQ(report_verdict(300000, w, NULL), VERDICT_HOLDS);
    ASSERT_EQ(report_verdict(282150, w, NULL), VERDICT_HOLDS);
    ASSERT_EQ(report_verdict(250000, w, NULL), VERDICT_LOWER);
    ASSERT_EQ(report_verdict(320000, w, NULL), VERDICT_HIGHER);
    /* Every Python mechanism the lecture speaks of has one figure. */
    static const char *const mechs[] = {"value_get", "array_read",
                                        "region_read", "manager_get"};
    for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
        ASSERT_TRUE(report_lecture_claim(mechs[i]) != NULL);
    ASSERT_TRUE(report_lecture_claim("queue_roundtrip") == NULL);
}

/* A report over fixed experiment results: every experiment marked as run
 * with the JSON `text` (or tests/data/report/NAME.json when NULL). */
static void use_result(const char *name, const char *text)
{
    struct exp *e = report_exp_by_name(name);
    ASSERT_TRUE(e != NULL);
    char path[4400];
    size_t len = 0;
    char *owned = NULL;
    if (!text) {
        snprintf(path, sizeof path, "%s/tests/data/report/%s.json",
                 COORD_SOURCE_DIR, name);
        owned = slurp(path, &len);
        ASSERT_TRUE(owned != NULL);
        text = owned;
    }
    e->j = parse_ok(text);
    e->state = EXP_OK;
    e->load_before = e->load_after = NAN;
    snprintf(e->cmdline, sizeof e->cmdline, "coord %s --json", name);
    free(owned);
}

/* The Markdown of a report made of the results use_result() planted:
 * its claims (with `claims`), then the section of experiment `name` (NULL:
 * none). The caller frees it. */
static char *render_md(bool claims, const char *name)
{
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    struct report r = {.out = dir};
    char dwhy[256];
    ASSERT_OK(report_dirs_open(&r, dwhy, sizeof dwhy));
    if (claims)
        report_claims(&r);
    if (name)
        report_section(&r, report_exp_by_name(name));
    char *md = doc_md(&r.doc);
    rdoc_free(&r.doc);
    report_dirs_close(&r);
    return md;
}

/* The case: Python's Value read measured at 213 ns is judged once
 * by one rule, so every place that shows it says the same. */
TEST(report_one_verdict_per_measurement)
{
    use_result("spectrum",
               "{\"runs\": 3, \"rows\": ["
               "{\"mechanism\": \"flag_check\", \"impl\": \"coord\","
               " \"ns_per_op_p50\": 0.22, \"ns_per_op_p99\": 0.3},"
               "{\"mechanism\": \"flag_check\", \"impl\": \"python\","
               " \"ns_per_op_p50\": 213, \"ns_per_op_p99\": 290},"
               "{\"mechanism\": \"value_get\", \"impl\": \"coord\","
               " \"ns_per_op_p50\": 2.2},"
               "{\"mechanism\": \"manager_get\", \"impl\": \"coord\","
               " \"ns_per_op_p50\": 13600},"
               "{\"mechanism\": \"manager_get\", \"impl\": \"python\","
               " \"ns_per_op_p50\": 330000, \"ns_per_op_p99\": 541000}]}");
    char *md = render_md(true, "spectrum");
    /* The claims row (slides 6 and 8 together), the section's sentence
     * and its table all show it, each with the same verdict. */
    ASSERT_GE(lines_with(md, "213 ns"), 3);
    for (const char *p = md; (p = strstr(p, "213 ns")) != NULL; p++) {
        /* The first verdict after the figure, on its line, is its own. */
        size_t eol = strcspn(p, "\n");
        const char *h = strstr(p, "holds"), *o = strstr(p, "off by");
        bool holds = h && h < p + eol;
        bool off = o && o < p + eol && (!holds || o < h);
        if (!holds || off)
            test__fail(__FILE__, __LINE__, "a second verdict: %.*s",
                       (int)eol, p);
    }
    ASSERT_TRUE(strstr(md, "| 6, 8 |") != NULL);
    ASSERT_EQ(lines_with(md, "| 6 |"), 0);
    /* The rule is printed once, above the claims. */
    ASSERT_EQ(lines_with(md, "How a verdict is decided"), 1);
    /* Manager dict get, 330 µs: off by 3.03× lower, everywhere. */
    char line[2048];
    ASSERT_TRUE(line_of(md, "Manager dict get: 330 µs", line, sizeof line));
    ASSERT_TRUE(strstr(line, "off by 3.03× (lower here)") != NULL);
    ASSERT_TRUE(line_of(md, "| Manager dict get |", line, sizeof line));
    ASSERT_TRUE(strstr(line, "off by 3.03× (lower here)") != NULL);
    free(md);
}

/* Python's side of the queue left out or failed (--no-python, or a
 * python3 that fails): its rows say null and its probes "skipped". The
 * section and the claim must not say that Python's Queue ran, nor print
 * "—×" for its missing rate, and a skipped probe says why. */
TEST(report_queue_without_python_names_what_ran)
{
    use_result("queue",
               "{\"queue_capacity\": 1024, \"rows\": ["
               "{\"case\": \"1p1c\", \"impl\": \"coord\", \"msg_bytes\": 8,"
               " \"producers\": 1, \"consumers\": 1, \"msgs_per_s\": 2000000,"
               " \"exactly_once\": true},"
               "{\"case\": \"1p1c\", \"impl\": \"pipe\", \"msg_bytes\": 8,"
               " \"producers\": 1, \"consumers\": 1, \"msgs_per_s\": 1000000,"
               " \"exactly_once\": true},"
               "{\"case\": \"1p1c\", \"impl\": \"python\", \"msg_bytes\": 8,"
               " \"producers\": 1, \"consumers\": 1, \"msgs_per_s\": null,"
               " \"exactly_once\": null, \"skipped\": \"python run failed\"}],"
               " \"probes\": ["
               "{\"probe\": \"producer_exit_after_put\", \"impl\": \"coord\","
               " \"ok\": true, \"detail\": \"1000 of 1000 items arrived\"},"
               "{\"probe\": \"producer_exit_after_put\", \"impl\": \"python\","
               " \"ok\": null, \"skipped\": \"python run failed\"}]}");
    char *md = render_md(true, "queue");
    char line[2048];
    ASSERT_TRUE(line_of(md, "| 2 |", line, sizeof line));
    if (strstr(line, "Python)"))
        test__fail(__FILE__, __LINE__, "slide 2 names Python: %s", line);
    ASSERT_TRUE(strstr(line, "2 of 2 runs (coord, pipe)") != NULL);
    ASSERT_TRUE(strstr(md, "(coord's queue and a pipe; Python's "
                           "multiprocessing.Queue did not run)") != NULL);
    ASSERT_TRUE(strstr(md, "—×") == NULL);
    ASSERT_TRUE(strstr(md, "2× a pipe.") != NULL);
    ASSERT_TRUE(strstr(md, "coord passed 1 of 1; Python's probes did not "
                           "run.") != NULL);
    ASSERT_TRUE(strstr(md, "not run: python run failed") != NULL);
    free(md);
}

/* The queue's ratio to the pipe and to Python is a ratio, not a count:
 * a coord queue at 0.4 of the pipe's rate must not read "0× a pipe" (nor
 * 0.908 of it "1×", as a loaded run printed for 1.28 M/s against 1.41). */
TEST(report_queue_ratio_below_one_is_not_rounded_away)
{
    use_result("queue",
               "{\"queue_capacity\": 1024, \"rows\": ["
               "{\"case\": \"1p1c\", \"impl\": \"coord\", \"msg_bytes\": 8,"
               " \"producers\": 1, \"consumers\": 1, \"msgs_per_s\": 1000000,"
               " \"exactly_once\": true},"
               "{\"case\": \"1p1c\", \"impl\": \"pipe\", \"msg_bytes\": 8,"
               " \"producers\": 1, \"consumers\": 1, \"msgs_per_s\": 2500000,"
               " \"exactly_once\": true},"
               "{\"case\": \"1p1c\", \"impl\": \"python\", \"msg_bytes\": 8,"
               " \"producers\": 1, \"consumers\": 1, \"msgs_per_s\": 60000,"
               " \"exactly_once\": true}]}");
    char *md = render_md(false, "queue");
    char line[2048];
    ASSERT_TRUE(line_of(md, "messages per second", line, sizeof line));
    if (!strstr(line, "0.4× a pipe and 16.7× Python's Queue"))
        test__fail(__FILE__, __LINE__, "the ratios: %s", line);
    free(md);
}

/* A spectrum whose Python side failed (or was left out): its claims say
 * why they are not measured, as the rows of experiments not run do, and
 * no ratio reads "—×". */
TEST(report_claims_say_why_python_is_not_measured)
{
    static const char *const why[][2] = {
        {"failed: python3 spectrum.py exited 3: boom",
         "not measured (Python's side failed: python3 spectrum.py exited 3: "
         "boom)"},
        {"not requested (--vs-python)",
         "not measured (Python's side left out: --no-python)"}};
    for (size_t w = 0; w < 2; w++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"runs\": 3, \"python\": \"%s\", \"rows\": ["
                 "{\"mechanism\": \"flag_check\", \"impl\": \"coord\","
                 " \"per_op_p50_ps\": 220},"
                 "{\"mechanism\": \"value_get\", \"impl\": \"coord\","
                 " \"per_op_p50_ps\": 2200},"
                 "{\"mechanism\": \"manager_get\", \"impl\": \"coord\","
                 " \"per_op_p50_ps\": 13600000}]}",
                 why[w][0]);
        use_result("spectrum", text);
        char *md = render_md(true, NULL);
        char line[2048];
        ASSERT_TRUE(line_of(md, "| 6, 8 |", line, sizeof line));
        if (!strstr(line, why[w][1]))
            test__fail(__FILE__, __LINE__, "the flag check's claim: %s",
                       line);
        ASSERT_TRUE(line_of(md, "1,000–50,000×", line, sizeof line));
        if (!strstr(line, why[w][1]) || strstr(line, "—×"))
            test__fail(__FILE__, __LINE__, "the ratio's claim: %s", line);
        free(md);
        json_free(report_exp_by_name("spectrum")->j);
        report_exp_by_name("spectrum")->j = NULL;
    }
}

/* The spectrum section says "a Value read (the flag check) costs 177 ns"
 * (Python's synchronized Value) and judges it "holds"; its table must not
 * also have a row called just "Value read" with another figure and
 * another verdict: that row is the lock=False read. */
TEST(report_spectrum_names_the_unlocked_value_read)
{
    use_result("spectrum", NULL);
    char *md = render_md(false, "spectrum");
    ASSERT_TRUE(strstr(md, "In Python, a Value read (the flag check)") != NULL);
    ASSERT_EQ(lines_with(md, "| Value read |"), 0);
    ASSERT_EQ(lines_with(md, "| Value read (no lock) |"), 1);
    free(md);
}

/* `coord report --no-python` runs the spectrum without --vs-python, whose
 * JSON then says "not requested (--vs-python)": the section names the
 * report's own option, not one its reader never typed. */
TEST(report_spectrum_without_python_names_no_python)
{
    use_result("spectrum",
               "{\"runs\": 3, \"python\": \"not requested (--vs-python)\","
               " \"rows\": [{\"mechanism\": \"flag_check\","
               " \"impl\": \"coord\", \"per_op_p50_ps\": 220}]}");
    char *md = render_md(false, "spectrum");
    ASSERT_TRUE(strstr(md, "--vs-python") == NULL);
    ASSERT_TRUE(strstr(md, "Python's side was left out (`--no-python`)") !=
                NULL);
    free(md);
}

/* A queue result in which coord's own fault probe failed is not "holds"
 * (the claim looked at Python's probes only). */
TEST(report_queue_coord_probe_failure_does_not_hold)
{
    use_result("queue",
               "{\"queue_capacity\": 1024, \"rows\": ["
               "{\"case\": \"1p1c\", \"impl\": \"coord\", \"msg_bytes\": 8,"
               " \"producers\": 1, \"consumers\": 1, \"msgs_per_s\": 1000000,"
               " \"exactly_once\": true}], \"probes\": ["
               "{\"probe\": \"pool_map_sigkilled_worker\", \"impl\": \"coord\","
               " \"ok\": false, \"detail\": \"map returned\"},"
               "{\"probe\": \"pool_map_sigkilled_worker\", \"impl\": \"python\","
               " \"ok\": true, \"detail\": \"map returned\"}]}");
    char *md = render_md(true, NULL);
    char line[2048];
    ASSERT_TRUE(line_of(md, "| 2 |", line, sizeof line));
    if (!strstr(line, "does not hold: coord's queue failed 1 of 1 fault "
                      "probes"))
        test__fail(__FILE__, __LINE__, "slide 2: %s", line);
    free(md);
}

/* Writes `text` as data/NAME of the report `r` (through its descriptor). */
static void data_put(const struct report *r, const char *name, const char *text)
{
    int fd = openat(r->data, name, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ((long)write(fd, text, strlen(text)), (long)strlen(text));
    close(fd);
}

/* `coord queue` exits 1 after its whole JSON when a coord message was lost
 * or a coord fault probe failed, and `coord fraud` when its verdicts differ
 * from the reference: a measured failure. The report used to list it as
 * failed with "No data", so slide 2's and slide 10's "does not hold" could
 * never be shown for coord; it keeps the result and says the status. */
TEST(report_exit_status_one_with_its_json_is_a_result)
{
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    struct report r = {.out = dir};
    char dwhy[256];
    ASSERT_OK(report_dirs_open(&r, dwhy, sizeof dwhy));
    struct exp *e = report_exp_by_name("queue");
    ASSERT_TRUE(e != NULL);
    static const char q[] =
        "{\"command\": \"queue\", \"queue_capacity\": 1024, \"rows\": ["
        "{\"case\": \"1p1c\", \"impl\": \"coord\", \"msg_bytes\": 8,"
        " \"producers\": 1, \"consumers\": 1, \"msgs_per_s\": 1000000,"
        " \"exactly_once\": true}], \"probes\": ["
        "{\"probe\": \"pool_map_sigkilled_worker\", \"impl\": \"coord\","
        " \"ok\": false, \"detail\": \"map returned\"}]}";
    data_put(&r, "queue.json", q);
    data_put(&r, "queue.log", "");
    report_exp_classify(&r, e, 0, 1, "");
    ASSERT_EQ(e->state, EXP_OK);
    ASSERT_TRUE(strstr(e->why, "exit status 1") != NULL);
    /* The claim is judged from it: coord failed a fault probe. */
    report_claims(&r);
    report_section(&r, e);
    char *md = doc_md(&r.doc);
    char line[2048];
    ASSERT_TRUE(line_of(md, "| 2 |", line, sizeof line));
    if (!strstr(line, "does not hold: coord's queue failed 1 of 1 fault "
                      "probes"))
        test__fail(__FILE__, __LINE__, "slide 2: %s", line);
    ASSERT_TRUE(strstr(md, "No data") == NULL);
    ASSERT_TRUE(strstr(md, "ended with **exit status 1**") != NULL);
    free(md);
    json_free(e->j);
    e->j = NULL;
    /* Not a result: another status, another command's JSON, or a
     * truncated one. */
    report_exp_classify(&r, e, 0, 3, "");
    ASSERT_EQ(e->state, EXP_FAILED);
    data_put(&r, "queue.json", "{\"command\": \"fraud\"}");
    report_exp_classify(&r, e, 0, 1, "");
    ASSERT_EQ(e->state, EXP_FAILED);
    ASSERT_TRUE(e->j == NULL);
    data_put(&r, "queue.json", "{\"command\": \"queue\", \"rows\": [");
    report_exp_classify(&r, e, 0, 1, "");
    ASSERT_EQ(e->state, EXP_FAILED);
    ASSERT_TRUE(strstr(e->why, "exit status 1") != NULL);
    /* Status 0 is unchanged: a result, no status to say. */
    data_put(&r, "queue.json", q);
    report_exp_classify(&r, e, 0, 0, "");
    ASSERT_EQ(e->state, EXP_OK);
    ASSERT_EQ(e->why[0], '\0');
    json_free(e->j);
    e->j = NULL;
    rdoc_free(&r.doc);
    report_dirs_close(&r);
}

/* Every JSON key with an underscore under `j`, into keys (at most cap). */
static size_t json_keys(const struct json *j, const char **keys, size_t n,
                        size_t cap)
{
    if (j->type != JSON_OBJECT && j->type != JSON_ARRAY)
        return n;
    for (size_t i = 0; i < j->n; i++) {
        if (j->type == JSON_OBJECT && strchr(j->keys[i], '_') && n < cap)
            keys[n++] = j->keys[i];
        n = json_keys(j->items[i], keys, n, cap);
    }
    return n;
}

/* The whole report body from this run's real outputs (tests/data/report,
 * written by `coord report --quick`): sentences and labelled tables, no
 * JSON key names anywhere. */
TEST(report_sections_read_as_sentences_and_tables)
{
    static const char *const names[] = {"primes", "waste",    "interval",
                                        "spectrum", "queue", "fraud"};
    for (size_t i = 0; i < 6; i++)
        use_result(names[i], NULL);
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    struct report r = {.out = dir};
    char dwhy[256];
    ASSERT_OK(report_dirs_open(&r, dwhy, sizeof dwhy));
    report_claims(&r);
    for (size_t i = 0; i < 6; i++)
        report_section(&r, report_exp_by_name(names[i]));
    char *md = doc_md(&r.doc);
    const char *keys[512];
    size_t nk = 0;
    for (size_t i = 0; i < 6; i++)
        nk = json_keys(report_exp_by_name(names[i])->j, keys, nk, 512);
    ASSERT_GT(nk, 40);
    /* Every plot was drawn, through the report's plots/ descriptor. */
    ASSERT_TRUE(strstr(md, "not drawn") == NULL);
    for (size_t i = 0; i < nk; i++)
        if (strstr(md, keys[i]))
            test__fail(__FILE__, __LINE__, "the key %s is on the page",
                       keys[i]);
    /* Each section opens with sentences computed from its data... */
    ASSERT_TRUE(strstr(md, "4 workers searched 100,000 numbers each") !=
                NULL);
    ASSERT_TRUE(strstr(md, "Slide 3's setup: 4 workers × 100,000 items") !=
                NULL);
    ASSERT_TRUE(strstr(md, "2 workers ran the same loop") != NULL);
    /* interval ran with --vs-python: Python's loops get their own
     * sentence and table. */
    ASSERT_TRUE(strstr(md, "The same loops in Python") != NULL);
    ASSERT_EQ(lines_with(md, "| check every K | cheap loop: overhead |"), 2);
    ASSERT_TRUE(strstr(md, "The cost of one access to shared state") !=
                NULL);
    ASSERT_TRUE(strstr(md, "In 18 of 18 runs every message arrived exactly "
                           "once") != NULL);
    ASSERT_TRUE(strstr(md, "4 detectors (velocity, travel, amount, card "
                           "testing) screened 3,000 transactions") != NULL);
    /* ...then labelled tables in human units. */
    ASSERT_TRUE(strstr(md, "| check every K look-ups | transactions per "
                           "second |") != NULL);
    ASSERT_TRUE(strstr(md, "| 1,000 | 14.3 k/s | 55.2 µs (p99 154 µs) |") !=
                NULL);
    /* coord.spectrum/2 gives picoseconds: 226 ps reads 0.226 ns. */
    ASSERT_TRUE(strstr(md, "| flag check (read) | 0.226 ns (p99 0.257 ns) |") !=
                NULL);
    ASSERT_TRUE(strstr(md, "| 1 → 1 | 8 B | 3.49 M/s |") != NULL);
    ASSERT_TRUE(strstr(md, "Raw data: [`data/fraud.json`](data/fraud.json)") != NULL);
    free(md);
    rdoc_free(&r.doc);
    report_dirs_close(&r);
}

TEST(report_human_units)
{
    char b[64];
    ASSERT_STR_EQ(report_fmt_ns(b, sizeof b, 0.217), "0.217 ns");
    ASSERT_STR_EQ(report_fmt_ns(b, sizeof b, 85), "85 ns");
    ASSERT_STR_EQ(report_fmt_ns(b, sizeof b, 999.7), "1 µs");
    /* The terminal's durations promote the same way: 999.6 ns printed
     * "1000 ns", 999.97 us "1000.0 us". */
    ASSERT_STR_EQ(fmt_dur(999.4, b, sizeof b), "999 ns");
    ASSERT_STR_EQ(fmt_dur(999.6, b, sizeof b), "1.0 us");
    ASSERT_STR_EQ(fmt_dur(999.97e3, b, sizeof b), "1.00 ms");
    ASSERT_STR_EQ(fmt_dur(999.997e6, b, sizeof b), "1.00 s");
    ASSERT_STR_EQ(fmt_dur(344.7e3, b, sizeof b), "344.7 us");
    /* A median count of an even number of runs ends in .5: the table
     * rounds it as the JSON does (llround), not truncates (50.5 read 50 in
     * waste's table and 51 in its JSON). */
    ASSERT_STR_EQ(fmt_count(50.5, b, sizeof b), "51");
    ASSERT_STR_EQ(fmt_count(1234567.4, b, sizeof b), "1,234,567");
    ASSERT_STR_EQ(fmt_count(-1, b, sizeof b), "-");
    ASSERT_STR_EQ(fmt_count(NAN, b, sizeof b), "-");
    ASSERT_STR_EQ(report_fmt_ns(b, sizeof b, 1219), "1.22 µs");
    ASSERT_STR_EQ(report_fmt_ns(b, sizeof b, 4.23e6), "4.23 ms");
    ASSERT_STR_EQ(report_fmt_ns(b, sizeof b, 1.5e9), "1.5 s");
    ASSERT_STR_EQ(report_fmt_ns(b, sizeof b, NAN), "—");
    ASSERT_STR_EQ(report_fmt_ns_spread(b, sizeof b, 1219, 2164),
                  "1.22 µs (p99 2.16 µs)");
    ASSERT_STR_EQ(report_fmt_ns_spread(b, sizeof b, 1219, NAN), "1.22 µs");
    ASSERT_STR_EQ(report_fmt_pct(b, sizeof b, 107.689), "108 %");
    ASSERT_STR_EQ(report_fmt_pct(b, sizeof b, -3.415), "-3.4 %");
    ASSERT_STR_EQ(report_fmt_pct(b, sizeof b, 0.131), "0.1 %");
    ASSERT_STR_EQ(report_fmt_rate(b, sizeof b, 7618840.7), "7.62 M/s");
    ASSERT_STR_EQ(report_fmt_rate(b, sizeof b, 383070.1), "383 k/s");
    ASSERT_STR_EQ(report_fmt_rate(b, sizeof b, 999.9), "1 k/s");
    ASSERT_STR_EQ(report_fmt_rate(b, sizeof b, 73.2), "73.2 /s");
    ASSERT_STR_EQ(report_fmt_num(b, sizeof b, 297000), "297,000");
    ASSERT_STR_EQ(report_fmt_num(b, sizeof b, -1234), "-1,234");
    ASSERT_STR_EQ(report_fmt_num(b, sizeof b, 12.34), "12.3");
    char lb[64];
    ASSERT_STR_EQ(report_mech_label("flag_check", lb, sizeof lb),
                  "flag check (read)");
    ASSERT_STR_EQ(report_mech_label("new_thing_rt", lb, sizeof lb),
                  "new thing rt");
}

/* The banner: names exactly the experiments whose load samples exceeded
 * the cores; none when no sample did; experiments not run never count. */
TEST(report_load_banner_names_loaded_experiments)
{
    struct exp ex[4] = {
        {.name = "primes", .state = EXP_OK, .load_before = 0.5,
         .load_after = 1.9},
        {.name = "queue", .state = EXP_OK, .load_before = 1.5,
         .load_after = 3.25},
        {.name = "fraud", .state = EXP_FAILED, .load_before = 2.5,
         .load_after = NAN},
        {.name = "waste", .state = EXP_SKIPPED, .load_before = 9,
         .load_after = 9},
    };
    struct rdoc d = {0};
    ASSERT_EQ(report_load_banner(&d, ex, 4, 2), 2);
    ASSERT_EQ(d.n, 1);
    char *md = doc_md(&d);
    ASSERT_TRUE(strstr(md, "loaded") != NULL);
    ASSERT_TRUE(strstr(md, "above its 2 cores around 2 of the "
                           "experiments") != NULL);
    ASSERT_TRUE(strstr(md, "queue (1.50 before, 3.25 after)") != NULL);
    ASSERT_TRUE(strstr(md, "fraud (2.50 before") != NULL);
    ASSERT_TRUE(strstr(md, "primes (") == NULL);
    ASSERT_TRUE(strstr(md, "waste") == NULL);
    /* The first sample taken: before the first experiment that ran. */
    ASSERT_TRUE(strstr(md, "before the first experiment it was 0.50") !=
                NULL);
    free(md);
    rdoc_free(&d);
    /* On 4 cores nothing was over: no banner at all. */
    ASSERT_EQ(report_load_banner(&d, ex, 4, 4), 0);
    ASSERT_EQ(d.n, 0);
    /* Unknown samples (no /proc/loadavg) are never a banner. */
    for (size_t i = 0; i < 4; i++)
        ex[i].load_before = ex[i].load_after = NAN;
    ASSERT_EQ(report_load_banner(&d, ex, 4, 1), 0);
    ASSERT_EQ(d.n, 0);
    rdoc_free(&d);
}

static bool have_gnuplot(void)
{
    return system("gnuplot --version >/dev/null 2>&1") == 0;
}

/* A case's time budget: CTest and the harness give it 120 s. Each step
 * gets its share and never more than what is left, so a loaded machine
 * makes the report mark an experiment as killed at its time limit (which
 * the report must handle, and the case checks) instead of the case being
 * killed at its own deadline. */
struct budget {
    uint64_t end;
};

static struct budget budget_start(int total_ms)
{
    return (struct budget){coord_clock_ns() + (uint64_t)total_ms * 1000000};
}

static int budget_left_ms(const struct budget *b)
{
    uint64_t now = coord_clock_ns();
    return now >= b->end ? 1 : (int)((b->end - now) / 1000000);
}

/* Runs `coord report --quick --timeout S ARGS --out DIR --json` within
 * limit_ms and checks every file it lists exists (and is non-empty, logs
 * excepted), every listed JSON parses, and no experiment failed except by
 * the time limit S (the report then lists no JSON for it and says why).
 * Returns the parsed summary (caller frees), the plot count and how many
 * experiments were killed at the time limit. */
static struct json *run_report(const char *dir, const char *only,
                               int exp_timeout_s, size_t *plots,
                               size_t *timed_out, int limit_ms)
{
    static char out[65536];
    char err[16384];
    const char *argv[12];
    int k = 0;
    argv[k++] = cli_path;
    argv[k++] = "report";
    argv[k++] = "--quick";
    argv[k++] = "--out";
    argv[k++] = dir;
    argv[k++] = "--json";
    char ts[16];
    snprintf(ts, sizeof ts, "%d", exp_timeout_s);
    argv[k++] = "--timeout";
    argv[k++] = ts;
    if (only) {
        argv[k++] = "--only";
        argv[k++] = only;
    }
    argv[k] = NULL;
    int st = test_run(argv, out, sizeof out, err, sizeof err, limit_ms);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord report failed: %s", err);
    struct json *j = parse_ok(out);
    const struct json *files = json_get(j, "files");
    ASSERT_TRUE(files && files->type == JSON_ARRAY);
    ASSERT_GE(files->n, 2);
    bool html = false, md = false;
    for (size_t i = 0; i < files->n; i++) {
        const char *f = json_str(files->items[i]);
        ASSERT_TRUE(f != NULL);
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, f);
        struct stat sb;
        if (stat(path, &sb) != 0)
            test__fail(__FILE__, __LINE__, "listed file %s is missing", f);
        size_t fl = strlen(f);
        if (fl < 4 || strcmp(f + fl - 4, ".log") != 0)
            if (sb.st_size == 0)
                test__fail(__FILE__, __LINE__, "listed file %s is empty", f);
        html |= !strcmp(f, "index.html");
        md |= !strcmp(f, "report.md");
        if (fl > 5 && !strcmp(f + fl - 5, ".json")) {
            size_t len = 0;
            char *text = slurp(path, &len);
            ASSERT_TRUE(text != NULL);
            struct json *e = NULL;
            char jerr[160];
            if (json_parse(text, len, &e, jerr, sizeof jerr) != 0)
                test__fail(__FILE__, __LINE__, "%s does not parse: %s", f,
                           jerr);
            ASSERT_EQ(e->type, JSON_OBJECT);
            json_free(e);
            free(text);
        }
    }
    ASSERT_TRUE(html && md);
    /* Every experiment that ran is ok, or was killed at the time limit
     * (the machine is loaded): then no JSON of it is listed. */
    const struct json *exps = json_get(j, "experiments");
    ASSERT_TRUE(exps && exps->n == 6);
    *timed_out = 0;
    for (size_t i = 0; i < exps->n; i++) {
        const char *status = json_str(json_get(exps->items[i], "status"));
        const char *name = json_str(json_get(exps->items[i], "name"));
        const char *why = json_str(json_get(exps->items[i], "why"));
        if (strcmp(status, "failed"))
            continue;
        if (!strstr(why, "(time limit)"))
            test__fail(__FILE__, __LINE__, "experiment %s failed: %s", name,
                       why);
        fprintf(stderr, "note: %s was killed at its %d s limit (loaded "
                        "machine): the report's failure path is checked\n",
                name, exp_timeout_s);
        (*timed_out)++;
        char want[64];
        snprintf(want, sizeof want, "data/%s.json", name);
        for (size_t f = 0; f < files->n; f++)
            if (!strcmp(json_str(files->items[f]), want))
                test__fail(__FILE__, __LINE__, "%s is listed for a killed "
                           "experiment", want);
    }
    /* Every plot is drawn by coord itself (gnuplot, when installed, only
     * adds its PNG), so none fails. */
    *plots = (size_t)json_num(json_get(j, "plots"), 0);
    ASSERT_EQ(json_num(json_get(j, "plots_failed"), -1), 0);
    for (size_t i = 0; i < files->n; i++) {
        const char *f = json_str(files->items[i]);
        size_t fl = strlen(f);
        if (fl > 4 && !strcmp(f + fl - 4, ".png"))
            ASSERT_TRUE(have_gnuplot());
    }
    return j;
}

static const char *find_chromium(void)
{
    static const char *const names[] = {"/usr/bin/chromium",
                                        "/usr/bin/chromium-browser",
                                        "/usr/bin/google-chrome", NULL};
    for (int i = 0; names[i]; i++)
        if (access(names[i], X_OK) == 0)
            return names[i];
    return NULL;
}

/* Chromium's helper processes (zygote, GPU, renderers) outlive its main
 * process by a moment. This test process is made their subreaper before
 * Chromium starts; here it waits for them to exit (and kills any that
 * have not after 10 s), so the case leaves no process behind. */
static void reap_orphans(void)
{
    pid_t pids[256];
    uint64_t deadline = coord_clock_ns() + 10000000000ull;
    for (;;) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        size_t n = test_children(pids, 256);
        if (n == 0)
            return;
        if (coord_clock_ns() > deadline) {
            for (size_t i = 0; i < n; i++)
                kill(pids[i], SIGKILL);
            for (size_t i = 0; i < n; i++)
                waitpid(pids[i], NULL, 0);
            return;
        }
        usleep(20000);
    }
}

/* Value of attribute `attr` of the element with id="selfcheck" in `dom`. */
static bool selfcheck_attr(const char *dom, const char *attr, char *out,
                           size_t cap)
{
    const char *el = strstr(dom, "id=\"selfcheck\"");
    if (!el)
        return false;
    const char *start = el;
    while (start > dom && *start != '<')
        start--;
    const char *end = strchr(el, '>');
    char pat[64];
    snprintf(pat, sizeof pat, "%s=\"", attr);
    const char *a = strstr(start, pat);
    if (!a || (end && a > end))
        return false;
    a += strlen(pat);
    size_t n = strcspn(a, "\"");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), a);
    return true;
}

/* An attribute of #selfcheck as a number (fails the case when absent). */
static int selfcheck_num(const char *dom, const char *attr)
{
    char v[32];
    if (!selfcheck_attr(dom, attr, v, sizeof v))
        test__fail(__FILE__, __LINE__, "#selfcheck has no %s", attr);
    return atoi(v);
}

/* Copies `dir`/index.html ALONE into a new empty directory (its path into
 * copy[]): the page must show everything without plots/ or data/. */
static void copy_page_alone(const char *dir, char *copy, size_t cap)
{
    test_mkdtemp(copy, cap, "alone");
    char from[4400], to[4400];
    snprintf(from, sizeof from, "%s/index.html", dir);
    snprintf(to, sizeof to, "%s/index.html", copy);
    size_t len = 0;
    char *page = slurp(from, &len);
    ASSERT_TRUE(page != NULL);
    FILE *f = fopen(to, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ_U(fwrite(page, 1, len, f), len);
    ASSERT_EQ(fclose(f), 0);
    free(page);
}

/* Opens a copy of the report's index.html, alone in an empty directory, in
 * headless Chromium at 1280 px: every plot is drawn (as many inline SVG
 * figures with a non-empty box as the report made plots), nothing is
 * broken, no page error, nothing wider than the page, and a screenshot
 * lands in the build directory. Each Chromium run gets at most 40 s and
 * what is left of the case's budget. */
static void browser_check(const char *dir, size_t plots, const char *shot,
                          const struct budget *b)
{
    const char *chromium = find_chromium();
    if (!chromium)
        SKIP("chromium is not installed (scripts/deps.sh installs it as "
             "root: apt-get install chromium)");
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    char profile[96];
    test_mkdtemp(profile, sizeof profile, "chromium");
    char alone[96];
    copy_page_alone(dir, alone, sizeof alone);
    char url[4400], udd[128], shot_arg[4400];
    snprintf(url, sizeof url, "file://%s/index.html", alone);
    snprintf(udd, sizeof udd, "--user-data-dir=%s", profile);
    snprintf(shot_arg, sizeof shot_arg, "--screenshot=%s", shot);
    const char *common[] = {
        chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", udd,
        "--virtual-time-budget=5000"};
    size_t nc = sizeof common / sizeof common[0];
    const char *argv[24];
    memcpy(argv, common, sizeof common);
    argv[nc] = "--window-size=1280,2200";
    argv[nc + 1] = "--dump-dom";
    argv[nc + 2] = url;
    argv[nc + 3] = NULL;
    static char dom[1 << 22];
    static char err[1 << 16];
    int lim = budget_left_ms(b) < 40000 ? budget_left_ms(b) : 40000;
    int st = test_run(argv, dom, sizeof dom, err, sizeof err, lim);
    reap_orphans();
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "chromium failed (status %d): %.2000s",
                   st, err);
    char status[32];
    if (!selfcheck_attr(dom, "data-status", status, sizeof status))
        test__fail(__FILE__, __LINE__, "no #selfcheck in the DOM: %.500s",
                   dom);
    ASSERT_EQ(selfcheck_num(dom, "data-plots"), (int)plots);
    ASSERT_EQ(selfcheck_num(dom, "data-figures"), (int)plots);
    ASSERT_EQ(selfcheck_num(dom, "data-broken"), 0);
    ASSERT_EQ(selfcheck_num(dom, "data-errors"), 0);
    ASSERT_EQ(selfcheck_num(dom, "data-overflow"), 0);
    ASSERT_STR_EQ(status, "ok");
    /* The screenshot of the copy, for humans (and the README). */
    unlink(shot);
    argv[nc + 1] = shot_arg;
    lim = budget_left_ms(b) < 40000 ? budget_left_ms(b) : 40000;
    st = test_run(argv, NULL, 0, err, sizeof err, lim);
    reap_orphans();
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct stat sb;
    ASSERT_TRUE(stat(shot, &sb) == 0 && sb.st_size > 1000);
}

/* The fast end-to-end: one experiment (fraud), its plot, the browser. */
TEST(report_fraud_only_files_json_and_browser)
{
    struct budget b = budget_start(110000);
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    size_t plots = 0, killed = 0;
    /* fraud gets 25 s (about 3 s on an idle machine), the report 50 s. */
    struct json *j = run_report(dir, "fraud", 25, &plots, &killed, 50000);
    ASSERT_EQ(plots, killed ? 0 : 2);
    json_free(j);
    size_t len = 0;
    char path[4400];
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = slurp(path, &len);
    ASSERT_TRUE(md != NULL);
    ASSERT_TRUE(strstr(md, "## The lecture's claims, measured") != NULL);
    ASSERT_TRUE(strstr(md, "| 10 |") != NULL);
    ASSERT_TRUE(strstr(md, "Not run") != NULL); /* the others */
    if (killed) {
        ASSERT_TRUE(strstr(md, "**Failed**") != NULL &&
                    strstr(md, "No data") != NULL);
    } else {
        /* Its section opens with sentences from the run and a labelled
         * table; no JSON key names. */
        ASSERT_TRUE(strstr(md, "detectors (velocity") != NULL);
        ASSERT_TRUE(strstr(md, "Every run's verdicts equal") != NULL);
        ASSERT_TRUE(strstr(md, "| check every K look-ups | transactions "
                               "per second |") != NULL);
        static const char *const raw[] = {
            "wasted_estimated", "tx_per_s", "latency_p50_ns",
            "stop_latency_mean_ns", "check_every", "wasted_per_claim",
            "verdicts_match_reference", "wall_ns"};
        for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
            if (strstr(md, raw[i]))
                test__fail(__FILE__, __LINE__, "raw key %s in report.md",
                           raw[i]);
    }
    free(md);
    browser_check(dir, plots, COORD_BINARY_DIR "/report-fraud-screenshot.png",
                  &b);
}

/* The whole quick report, every experiment: under a minute on 2 cores. */
TEST(report_quick_all_experiments_slow)
{
    struct budget b = budget_start(112000);
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    size_t plots = 0, killed = 0;
    uint64_t t0 = coord_clock_ns();
    /* Six experiments of at most 14 s each (three take under a second,
     * interval and fraud about 3 s, queue up to 15 s on a loaded machine),
     * and the report's own work. */
    struct json *j = run_report(dir, NULL, 14, &plots, &killed, 85000);
    double secs = (double)(coord_clock_ns() - t0) / 1e9;
    fprintf(stderr, "coord report --quick took %.1f s, %zu plots, %zu of 6 "
                    "experiments killed at the time limit\n", secs, plots,
            killed);
    json_free(j);
    browser_check(dir, plots, COORD_BINARY_DIR "/report-screenshot.png", &b);
}

/* An experiment that outlives --timeout is killed with its workers and
 * reported as failed; the report is still written, and nothing is left
 * running (the harness fails a case that leaves processes behind). */
TEST(report_experiment_timeout_is_reported)
{
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    static char out[65536];
    char err[8192];
    const char *argv[] = {cli_path, "report", "--only", "interval",
                          "--timeout", "1", "--out", dir, "--json", NULL};
    /* Not --quick: the default interval run takes tens of seconds. */
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    struct json *j = parse_ok(out);
    const struct json *e = json_path(j, "experiments[2]");
    ASSERT_STR_EQ(json_str(json_get(e, "name")), "interval");
    ASSERT_STR_EQ(json_str(json_get(e, "status")), "failed");
    ASSERT_TRUE(strstr(json_str(json_get(e, "why")), "killed after 1 s") !=
                NULL);
    /* Its JSON was never written: not listed (its log is). */
    const struct json *files = json_get(j, "files");
    bool log = false;
    for (size_t i = 0; files && i < files->n; i++) {
        const char *f = json_str(files->items[i]);
        ASSERT_TRUE(strcmp(f, "data/interval.json") != 0);
        log |= !strcmp(f, "data/interval.log");
    }
    ASSERT_TRUE(log);
    json_free(j);
    char path[4400];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = slurp(path, &len);
    ASSERT_TRUE(md && strstr(md, "**Failed**") != NULL);
    ASSERT_TRUE(strstr(md, "No data") != NULL);
    free(md);
}

/* Under mpirun (a launcher's variables saying this is one of several
 * ranks) each rank's report runs its experiments as standalone programs:
 * a rank's `coord primes` without --mpi is refused as a usage error, so
 * before the report forgot the launcher's variables primes "failed, exit
 * status 2" in every rank's report. The variables are set here, without
 * mpirun: coord primes reads nothing else before MPI. */
TEST(report_under_mpirun_runs_its_experiments_standalone)
{
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
    setenv("OMPI_COMM_WORLD_RANK", "0", 1);
    setenv("OMPI_NUM_APP_CTX", "1", 1);
    static char out[65536];
    char err[8192];
    const char *argv[] = {cli_path, "report",  "--quick", "--only",
                          "primes", "--no-python", "--out", dir,
                          "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 120000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    struct json *j = parse_ok(out);
    const struct json *e = json_path(j, "experiments[0]");
    ASSERT_STR_EQ(json_str(json_get(e, "name")), "primes");
    const char *status = json_str(json_get(e, "status"));
    if (!status || strcmp(status, "ok") != 0)
        test__fail(__FILE__, __LINE__, "primes %s: %s", status ? status : "?",
                   json_str(json_get(e, "why")) ? json_str(json_get(e, "why"))
                                                 : "");
    json_free(j);
}

/* Without python3, Python's rows and probes are skipped: they count
 * neither as passed nor as failed, so slide 2 must not say "does not hold"
 * and Python's probe tally is 0 of 0. */
TEST(report_without_python_counts_skips_as_not_run)
{
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    char *saved = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", "/nonexistent", 1); /* this forked case only */
    static char out[65536];
    char err[8192];
    const char *argv[] = {cli_path, "report", "--quick", "--only", "queue",
                          "--out", dir, NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 90000);
    setenv("PATH", saved, 1);
    free(saved);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    char path[4400];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = slurp(path, &len);
    ASSERT_TRUE(md != NULL);
    const char *row = strstr(md, "| 2 |");
    ASSERT_TRUE(row != NULL);
    const char *eol = strchr(row, '\n');
    ASSERT_TRUE(eol != NULL);
    char line[2048];
    size_t n = (size_t)(eol - row) < sizeof line - 1 ? (size_t)(eol - row)
                                                     : sizeof line - 1;
    memcpy(line, row, n);
    line[n] = '\0';
    if (strstr(line, "does not hold") || !strstr(line, "Python 0 of 0"))
        test__fail(__FILE__, __LINE__, "slide 2 without python3: %s", line);
    /* The options at the top say so too (they said "Python's side run"). */
    if (strstr(md, "Python's side run") ||
        !strstr(md, "Python's side **skipped** (no python3 on PATH)"))
        test__fail(__FILE__, __LINE__, "the options claim Python ran: %.300s",
                   strstr(md, "Options:") ? strstr(md, "Options:") : md);
    free(md);
}

/* The regular files under `dir` (recursively), as paths relative to it,
 * into names[] (at most cap); returns how many. */
static size_t list_files(const char *dir, const char *rel, char (*names)[256],
                         size_t n, size_t cap)
{
    char path[4400];
    snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    ASSERT_TRUE(d != NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[600], full[4700];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", dir, sub);
        struct stat sb;
        ASSERT_EQ(lstat(full, &sb), 0);
        if (S_ISDIR(sb.st_mode)) {
            n = list_files(dir, sub, names, n, cap);
        } else {
            ASSERT_LT(n, cap);
            ASSERT_LT(strlen(sub), 256);
            memcpy(names[n++], sub, strlen(sub) + 1);
        }
    }
    closedir(d);
    return n;
}

/* Is `name` one of the strings of JSON array `a`? */
static bool in_array(const struct json *a, const char *name)
{
    for (size_t i = 0; a && i < a->n; i++)
        if (!strcmp(json_str(a->items[i]), name))
            return true;
    return false;
}

static void write_text(const char *dir, const char *rel, const char *text,
                       const char *mode)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, mode);
    ASSERT_TRUE(f != NULL);
    fputs(text, f);
    ASSERT_EQ(fclose(f), 0);
}

/* A report into a DIR an earlier one wrote, with fewer experiments: the
 * earlier report's files that the new one does not write are removed (DIR
 * held both reports' files, the new index describing only some of them),
 * and nothing else is: files put there by someone else, and a file of the
 * earlier report changed since, stay. */
TEST(report_reused_out_dir_holds_only_the_new_report)
{
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    size_t plots = 0, killed = 0;
    /* fraud gets 25 s (about 3 s on an idle machine), waste 0.1 s. */
    struct json *j1 = run_report(dir, "waste,fraud", 25, &plots, &killed,
                                 50000);
    const struct json *f1 = json_get(j1, "files");
    ASSERT_TRUE(in_array(f1, "data/fraud.log"));
    ASSERT_EQ(plots, killed ? 0 : 2);
    /* Someone's files, one with the name of a file coord may write. */
    static const char *const theirs[] = {"notes.txt", "data/mine.csv",
                                         "plots/queue-throughput.svg",
                                         "data/fraud.log"};
    write_text(dir, "notes.txt", "mine\n", "w");
    write_text(dir, "data/mine.csv", "a,b\n", "w");
    write_text(dir, "plots/queue-throughput.svg", "<svg/>\n", "w");
    write_text(dir, "data/fraud.log", "my note\n", "a"); /* changed */
    size_t plots2 = 0, killed2 = 0;
    struct json *j2 = run_report(dir, "waste", 25, &plots2, &killed2, 30000);
    const struct json *f2 = json_get(j2, "files");
    const struct json *removed = json_get(j2, "removed");
    /* The directory holds exactly the new report's files, the manifest
     * and the lock, and someone else's files. */
    static char names[128][256];
    size_t n = list_files(dir, "", names, 0, 128);
    for (size_t i = 0; i < n; i++) {
        bool known = in_array(f2, names[i]) ||
                     !strcmp(names[i], ".coord-report-files") ||
                     !strcmp(names[i], ".coord-report.lock");
        for (size_t t = 0; t < sizeof theirs / sizeof theirs[0]; t++)
            known |= !strcmp(names[i], theirs[t]);
        if (!known)
            test__fail(__FILE__, __LINE__, "%s/%s: of the earlier report",
                       dir, names[i]);
        ASSERT_FALSE(in_array(removed, names[i]));
    }
    ASSERT_EQ_U(n, f2->n + 2 + sizeof theirs / sizeof theirs[0]);
    /* What went is what the first report wrote and the second did not
     * (--json lists it). */
    ASSERT_TRUE(removed && removed->type == JSON_ARRAY);
    for (size_t i = 0; i < f1->n; i++) {
        const char *f = json_str(f1->items[i]);
        bool gone = !in_array(f2, f) && strcmp(f, "data/fraud.log") != 0;
        ASSERT_EQ(in_array(removed, f), gone);
    }
    if (!killed) {
        ASSERT_TRUE(in_array(removed, "data/fraud.json"));
        ASSERT_TRUE(in_array(removed, "plots/fraud-latency.svg"));
    }
    /* The new index says what it was made with. */
    char path[4400];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = slurp(path, &len);
    ASSERT_TRUE(md != NULL && strstr(md, "\n## ") != NULL);
    *strstr(md, "\n## ") = '\0';
    ASSERT_TRUE(strstr(md, "`coord report --quick --only waste --timeout "
                           "25`") != NULL);
    ASSERT_TRUE(strstr(md, "**quick** mode") != NULL);
    free(md);
    json_free(j1);
    json_free(j2);
}

/* A manifest is a file in a directory anyone may write: a line naming a
 * path outside index.html, report.md, data/ and plots/ removes nothing,
 * even with the identity of a real file; a line that is no manifest's
 * removes nothing either. */
/* Planted by another user in a report directory it can write: a data/
 * that is a link to a directory of ours, and a manifest naming one of our
 * files with its true identity. The link is refused (exit 2, nothing
 * written or removed there); the other user's manifest removes nothing. */
TEST(report_planted_dirs_and_manifest_remove_nothing)
{
    if (geteuid() != 0)
        SKIP("needs root to give a file to another user (uid 65534)");
    char dir[96], other[96], path[4400], link[4400];
    test_mkdtemp(dir, sizeof dir, "report");
    test_mkdtemp(other, sizeof other, "other");
    write_text(other, "precious.json", "{}\n", "w");
    snprintf(link, sizeof link, "%s/data", dir);
    ASSERT_OK(symlink(other, link));
    static char out[65536];
    char err[8192];
    const char *argv[] = {cli_path, "report", "--quick", "--only", "waste",
                          "--out", dir, "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    ASSERT_TRUE(strstr(err, "symbolic link") != NULL);
    struct stat sb;
    snprintf(path, sizeof path, "%s/precious.json", other);
    ASSERT_EQ(lstat(path, &sb), 0);
    snprintf(path, sizeof path, "%s/waste.json", other);
    ASSERT_TRUE(lstat(path, &sb) != 0); /* nothing written through it */
    /* data/ another user's directory: refused the same way. */
    ASSERT_OK(unlink(link));
    ASSERT_OK(mkdir(link, 0777));
    ASSERT_OK(chown(link, 65534, 65534));
    st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    ASSERT_TRUE(strstr(err, "another user's") != NULL);
    /* Our own data/, and another user's manifest naming a file in it. */
    ASSERT_OK(rmdir(link));
    ASSERT_OK(mkdir(link, 0755));
    write_text(dir, "data/old.json", "{}\n", "w");
    snprintf(path, sizeof path, "%s/data/old.json", dir);
    ASSERT_EQ(lstat(path, &sb), 0);
    char manifest[4400];
    snprintf(manifest, sizeof manifest, "%s/.coord-report-files", dir);
    FILE *m = fopen(manifest, "w");
    ASSERT_TRUE(m != NULL);
    fprintf(m, "coord-report-files 1\n%llu %llu %llu %lld data/old.json\n",
            (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino,
            (unsigned long long)sb.st_size,
            (long long)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec);
    ASSERT_EQ(fclose(m), 0);
    ASSERT_OK(chown(manifest, 65534, 65534));
    st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord report failed: %s", err);
    ASSERT_EQ(lstat(path, &sb), 0);
    ASSERT_TRUE(strstr(err, "not a list this user wrote") != NULL);

    /* Directories others could change under the report (an audit swapped
     * data/ for a link mid-run in a directory of its own, and planted a
     * link in a plots/ of mode 1777 for gnuplot's PNG): refused before
     * anything runs. */
    static const struct {
        const char *sub; /* "" for the report's directory itself */
        mode_t mode;
        uid_t owner;
        const char *says;
    } bad[] = {{"", 0755, 65534, "another user's"},
               {"", 0777, 0, "writable by other users"},
               {"plots", 01777, 0, "writable by other users"},
               {"data", 0775, 0, "writable by other users"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "%s%s%s", dir, *bad[i].sub ? "/" : "",
                 bad[i].sub);
        ASSERT_OK(chown(path, bad[i].owner, bad[i].owner));
        ASSERT_OK(chmod(path, bad[i].mode));
        st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 ||
            !strstr(err, bad[i].says))
            test__fail(__FILE__, __LINE__, "%s mode %o uid %u: status %d, %s",
                       path, (unsigned)bad[i].mode, (unsigned)bad[i].owner,
                       st, err);
        ASSERT_OK(chown(path, 0, 0));
        ASSERT_OK(chmod(path, 0755));
    }
    /* Ours and sticky, as /tmp is: written into; a FIFO another user
     * planted at the manifest's name neither hangs the report nor counts
     * as a list (bounded by test_run's limit). */
    ASSERT_OK(chmod(dir, 01777));
    ASSERT_OK(unlink(manifest));
    ASSERT_OK(mkfifo(manifest, 0666));
    ASSERT_OK(chown(manifest, 65534, 65534));
    st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "sticky directory: %d, %s", st, err);
    ASSERT_TRUE(lstat(manifest, &sb) == 0 && S_ISREG(sb.st_mode));
}

/* The report's directory moved away mid-run, and another directory put at
 * its name, by someone who may write its parent (an audit's hole: the
 * report wrote its files by name, through each path walked afresh, so a
 * directory swapped between the walk at the start and a later write took
 * the plots, the documents and the manifest). The swap is made at a fixed
 * point: the report asks `python3 --version` after its experiments and
 * before the plots, documents and manifest are written, and the python3
 * it finds first on PATH is this case's script, which swaps the directory
 * and answers. Every file still goes into the directory that was checked
 * (now DIR.moved, through its descriptors), nothing into the new one. */
TEST(report_writes_into_its_directory_when_it_is_moved)
{
    char parent[96], dir[160], moved[176], bin[160], script[200];
    test_mkdtemp(parent, sizeof parent, "parent");
    snprintf(dir, sizeof dir, "%s/rep", parent);
    snprintf(moved, sizeof moved, "%s.moved", dir);
    snprintf(bin, sizeof bin, "%s/bin", parent);
    ASSERT_OK(mkdir(bin, 0755));
    snprintf(script, sizeof script, "%s/python3", bin);
    FILE *f = fopen(script, "w");
    ASSERT_TRUE(f != NULL);
    fprintf(f, "#!/bin/sh\n[ \"$1\" = --version ] || exit 1\n"
               "mv '%s' '%s' && mkdir '%s' '%s/data' '%s/plots' || exit 1\n"
               "echo 'Python 3 (the swapping one)'\n",
            dir, moved, dir, dir, dir);
    ASSERT_EQ(fclose(f), 0);
    ASSERT_OK(chmod(script, 0755));
    char *saved = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    char path[4400];
    snprintf(path, sizeof path, "%s:%s", bin, saved);
    setenv("PATH", path, 1); /* this forked case only */
    static char out[65536];
    char err[8192];
    const char *argv[] = {cli_path, "report", "--quick", "--only", "fraud",
                          "--no-python", "--timeout", "60", "--out", dir,
                          "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 100000);
    setenv("PATH", saved, 1);
    free(saved);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord report: %d, %s", st, err);
    struct stat sb;
    ASSERT_OK(lstat(moved, &sb)); /* the swap was made */
    /* Nothing in the directory put at the name. */
    static char names[128][256];
    size_t n = list_files(dir, "", names, 0, 128);
    if (n)
        test__fail(__FILE__, __LINE__, "%s got %s (and %zu more)", dir,
                   names[0], n - 1);
    /* The documents were written after the swap: they name its python3. */
    size_t len = 0;
    snprintf(path, sizeof path, "%s/report.md", moved);
    char *md = slurp(path, &len);
    ASSERT_TRUE(md != NULL && strstr(md, "the swapping one") != NULL);
    free(md);
    /* Every file the report lists is in the one it checked, and so is its
     * manifest, which lists them. */
    struct json *j = parse_ok(out);
    const struct json *files = json_get(j, "files");
    ASSERT_TRUE(files && files->n >= 3);
    snprintf(path, sizeof path, "%s/.coord-report-files", moved);
    char *manifest = slurp(path, &len);
    ASSERT_TRUE(manifest != NULL);
    bool plotted = false;
    for (size_t i = 0; i < files->n; i++) {
        const char *rel = json_str(files->items[i]);
        snprintf(path, sizeof path, "%s/%s", moved, rel);
        if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            test__fail(__FILE__, __LINE__, "%s is not there", path);
        ASSERT_TRUE(strstr(manifest, rel) != NULL);
        plotted |= !strncmp(rel, "plots/", 6);
    }
    /* The plots are drawn after the swap (unless fraud ran out of time). */
    ASSERT_EQ(plotted, json_num(json_get(j, "plots"), -1) > 0);
    ASSERT_TRUE(in_array(files, "index.html") && in_array(files, "report.md"));
    free(manifest);
    json_free(j);
}

/* `bin`/gnuplot, first on PATH: a script that answers --version and
 * otherwise runs `body` (sh). */
static void fake_gnuplot(const char *bin, const char *body)
{
    char text[1024];
    snprintf(text, sizeof text, "[ \"$1\" = --version ] && exit 0\n%s", body);
    test_fake_program(bin, "gnuplot", text);
}

/* gnuplot is given no file name to open (it wrote plots/NAME.png by name
 * in a directory it was started in by name): its program comes on stdin,
 * the data in it as a datablock, and its stdout is the PNG, opened through
 * plots/'s descriptor. Here gnuplot is a script run with no argument that
 * copies its program to its stdout: NAME.png holds the program. When
 * gnuplot fails, its complaint is kept in NAME.log and no picture stays. */
TEST(report_plot_gnuplot_opens_no_file)
{
    char dir[96], bin[120], path[4400];
    test_mkdtemp(dir, sizeof dir, "report");
    snprintf(bin, sizeof bin, "%s/bin", dir);
    ASSERT_OK(mkdir(bin, 0755));
    fake_gnuplot(bin, "[ $# -eq 0 ] || exit 3\ncat");
    struct report r = {.out = dir};
    char why[256];
    ASSERT_OK(report_dirs_open(&r, why, sizeof why));
    static struct rplot p = {.name = "fake", .title = "a fake plot"};
    struct rplot_series *s = rplot_series(&p, "one");
    rplot_point(s, 1, 2, "x");
    rplot_point(s, 2, 3, "y");
    bool png = false;
    ASSERT_OK(rplot_draw(&p, r.plots, "plots", &png, why, sizeof why));
    if (!png)
        test__fail(__FILE__, __LINE__, "not drawn: %s", why);
    size_t len = 0;
    snprintf(path, sizeof path, "%s/plots/fake.png", dir);
    char *prog = slurp(path, &len);
    ASSERT_TRUE(prog != NULL);
    ASSERT_TRUE(strstr(prog, "$coord_data << EOD\n# a fake plot\n") != NULL);
    ASSERT_TRUE(strstr(prog, "\nset output\nplot $coord_data index 0") !=
                NULL);
    ASSERT_TRUE(strstr(prog, "fake.dat") == NULL);
    ASSERT_TRUE(strstr(prog, "set output '") == NULL);
    free(prog);
    /* The saved script, for redrawing by hand, names its files. */
    snprintf(path, sizeof path, "%s/plots/fake.gp", dir);
    prog = slurp(path, &len);
    ASSERT_TRUE(prog && strstr(prog, "set output 'fake.png'\nplot "
                                     "'fake.dat' index 0") != NULL);
    free(prog);
    fake_gnuplot(bin, "cat >/dev/null\necho 'line 9: bad plot' >&2\nexit 1");
    ASSERT_OK(rplot_draw(&p, r.plots, "plots", &png, why, sizeof why));
    ASSERT_FALSE(png);
    ASSERT_TRUE(strstr(why, "gnuplot failed (see plots/fake.log)") != NULL);
    snprintf(path, sizeof path, "%s/plots/fake.log", dir);
    prog = slurp(path, &len);
    ASSERT_TRUE(prog != NULL);
    ASSERT_STR_EQ(prog, "line 9: bad plot\n");
    free(prog);
    struct stat sb;
    snprintf(path, sizeof path, "%s/plots/fake.png", dir);
    ASSERT_TRUE(lstat(path, &sb) != 0);
    report_dirs_close(&r);
}

TEST(report_manifest_names_only_report_files)
{
    char dir[96], other[96], path[4400];
    test_mkdtemp(dir, sizeof dir, "report");
    test_mkdtemp(other, sizeof other, "other");
    snprintf(path, sizeof path, "%s/data", dir);
    ASSERT_EQ(mkdir(path, 0755), 0);
    write_text(other, "precious.txt", "keep me\n", "w");
    write_text(dir, "notes.txt", "mine\n", "w");
    write_text(dir, "data/.hidden", "mine\n", "w");
    write_text(dir, "data/old.json", "{}\n", "w");
    /* Each line's path, and the file it reaches from dir. */
    char line[6][4400], target[6][4400];
    snprintf(line[0], sizeof line[0], "../%s/precious.txt",
             strrchr(other, '/') + 1); /* both are in one directory */
    snprintf(line[1], sizeof line[1], "%s/precious.txt", other);
    snprintf(target[0], sizeof target[0], "%s/precious.txt", other);
    snprintf(target[1], sizeof target[1], "%s/precious.txt", other);
    static const char *const inside[][2] = {{"notes.txt", "notes.txt"},
                                            {"data/.hidden", "data/.hidden"},
                                            {"data/../notes.txt", "notes.txt"},
                                            {"data/old.json", "data/old.json"}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(line[i + 2], sizeof line[0], "%s", inside[i][0]);
        snprintf(target[i + 2], sizeof target[0], "%s/%s", dir, inside[i][1]);
    }
    snprintf(path, sizeof path, "%s/.coord-report-files", dir);
    FILE *m = fopen(path, "w");
    ASSERT_TRUE(m != NULL);
    fputs("coord-report-files 1\n", m);
    for (size_t i = 0; i < 6; i++) {
        struct stat sb; /* the file's identity: only the path can refuse */
        ASSERT_EQ(lstat(target[i], &sb), 0);
        fprintf(m, "%llu %llu %llu %lld %s\n", (unsigned long long)sb.st_dev,
                (unsigned long long)sb.st_ino, (unsigned long long)sb.st_size,
                (long long)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
                line[i]);
    }
    fputs("not a line of a manifest\n", m);
    ASSERT_EQ(fclose(m), 0);
    static char out[65536];
    char err[8192];
    const char *argv[] = {cli_path, "report", "--quick", "--only", "waste",
                          "--out", dir, "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord report failed: %s", err);
    struct stat sb;
    for (size_t i = 0; i < 5; i++)
        if (lstat(target[i], &sb) != 0)
            test__fail(__FILE__, __LINE__, "%s was removed (line '%s')",
                       target[i], line[i]);
    /* The one line that names a report's file, still that file: gone. */
    ASSERT_TRUE(lstat(target[5], &sb) != 0);
    struct json *j = parse_ok(out);
    const struct json *removed = json_get(j, "removed");
    ASSERT_TRUE(removed && removed->n == 1);
    ASSERT_STR_EQ(json_str(removed->items[0]), "data/old.json");
    json_free(j);
}

/* The report's top (report.md, index.html) and its JSON say the options
 * it was made with: --only (a partial report), the mode, Python's side,
 * the time limit. */
TEST(report_header_states_its_options)
{
    char dir[96];
    test_mkdtemp(dir, sizeof dir, "report");
    static char out[65536];
    char err[8192];
    /* waste alone takes 0.1 s, full or quick. */
    const char *argv[] = {cli_path, "report", "--only", "waste",
                          "--no-python", "--timeout", "30", "--out", dir,
                          "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord report failed: %s", err);
    static const struct {
        const char *file, *end, *want[4];
    } tops[] = {
        {"report.md", "\n## ",
         {"`coord report --only waste --no-python --timeout 30`",
          "**only waste** (`--only waste`; not run: primes, interval, "
          "spectrum, queue and fraud)",
          "This report is **partial**", "full mode"}},
        {"index.html", "<h2",
         {"<code>coord report --only waste --no-python --timeout 30</code>",
          "<strong>only waste</strong> (<code>--only waste</code>",
          "This report is <strong>partial</strong>", "full mode"}},
    };
    for (size_t i = 0; i < 2; i++) {
        char path[4400];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, tops[i].file);
        char *text = slurp(path, &len);
        ASSERT_TRUE(text != NULL);
        char *end = strstr(text, tops[i].end); /* the top: before it */
        ASSERT_TRUE(end != NULL);
        *end = '\0';
        for (size_t k = 0; k < 4; k++)
            if (!strstr(text, tops[i].want[k]))
                test__fail(__FILE__, __LINE__, "%s: no '%s' at its top",
                           tops[i].file, tops[i].want[k]);
        free(text);
    }
    struct json *j = parse_ok(out);
    const struct json *o = json_get(j, "options");
    ASSERT_TRUE(o != NULL);
    ASSERT_STR_EQ(json_str(json_get(o, "mode")), "full");
    const struct json *only = json_get(o, "only");
    ASSERT_TRUE(only && only->type == JSON_ARRAY && only->n == 1);
    ASSERT_STR_EQ(json_str(only->items[0]), "waste");
    ASSERT_EQ(json_num(json_get(o, "timeout_s"), 0), 30);
    ASSERT_STR_EQ(json_str(json_get(o, "command_line")),
                  "coord report --only waste --no-python --timeout 30");
    json_free(j);
}

/* --no-python left the queue's Python side in (an audit): `coord report
 * --no-python` said "Python's side left out" above a queue section and a
 * claims row measured with multiprocessing.Queue and its fault probes. */
TEST(report_no_python_reaches_the_queue)
{
    char dir[96], path[4400];
    test_mkdtemp(dir, sizeof dir, "report");
    static char out[65536];
    char err[8192];
    const char *argv[] = {cli_path, "report", "--quick", "--only", "queue",
                          "--no-python", "--timeout", "60", "--out", dir,
                          "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 100000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "coord report failed: %s", err);
    if (!strstr(err, "coord queue --json --quick --no-python"))
        test__fail(__FILE__, __LINE__, "queue not run without Python: %s", err);
    size_t len = 0;
    snprintf(path, sizeof path, "%s/data/queue.json", dir);
    char *q = slurp(path, &len);
    ASSERT_TRUE(q != NULL);
    /* Python's rows are there, each saying why it was not run. */
    if (!strstr(q, "\"skipped\":\"--no-python\""))
        test__fail(__FILE__, __LINE__, "data/queue.json: Python was run");
    free(q);
}

TEST(report_usage_errors)
{
    static const char *const bad[][3] = {
        {"--only", "nosuch", NULL},
        {"--only", "", NULL},
        {"--only", ",", NULL},
        {"--only", ",,", NULL},
        {"--timeout", "0", NULL},
        {"--out", "", NULL},
        {"--bogus", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[1024];
        test_cli_usage_error(cli_path, "report", bad[i], err, sizeof err,
                             30000);
    }
    /* An output directory that cannot be created there is the
     * argument's, as every output path that fails for the path
     * (docs/cli.md, Paths): one line, exit 2. */
    const char *argv[] = {"--only", "fraud", "--out",
                          "/proc/coord-cannot-be-here", NULL};
    char err[1024];
    test_cli_usage_error(cli_path, "report", argv, err, sizeof err, 30000);
}

/* The fraud section's share of fraud is the screened transactions' (55 of
 * 3,000: 1.8 %), not the generator's --rate (it read "55 of them
 * fraudulent (2 %)"); a labelled CSV, whose fraud_rate is null, has one
 * too (it read "(— %)"). */
/* The stop-latency figure's caption promised latency growing with K in
 * the heavy loop ("up to K x iteration") where the curve was flat: a
 * worker stops at the end of its share at the latest, and the quick run's
 * shares are shorter than the large K. The caption says so. */
TEST(report_stop_latency_caption_names_the_share)
{
    use_result("interval", NULL);
    char *md = render_md(false, "interval");
    ASSERT_TRUE(strstr(md, "Stop latency, the median time from the claim") !=
                NULL);
    if (!strstr(md, "a worker stops at the end of its share at the latest"))
        test__fail(__FILE__, __LINE__, "the caption leaves out the share's "
                   "end: %s", strstr(md, "Stop latency, the median"));
    free(md);
}

TEST(report_fraud_share_is_of_the_screened_transactions)
{
    use_result("fraud", NULL);
    char *md = render_md(false, "fraud");
    ASSERT_TRUE(strstr(md, "3,000 transactions, 55 of them fraudulent "
                           "(1.8 %)") != NULL);
    free(md);
    use_result("fraud", "{\"transactions\": 400, \"injected\": 12,"
                        " \"fraud_rate\": null, \"workers\": 4,"
                        " \"detectors\": [\"velocity\"], \"rows\": []}");
    md = render_md(false, "fraud");
    ASSERT_TRUE(strstr(md, "400 transactions, 12 of them fraudulent "
                           "(3.0 %)") != NULL);
    free(md);
}

/* The captions state what this run measured, not a fixed expectation: the
 * spectrum's said everything that crosses to another process "costs
 * microseconds" beside coord's queue round trip at 155 ns and its manager
 * get at 382 ns in the same table; the fraud throughput's said frequent
 * checks "should cost little throughput" beside a claims row that found
 * K = 1 over 15 % slower. */
TEST(report_captions_follow_the_measurement)
{
    use_result("spectrum",
               "{\"schema\": \"coord.spectrum/2\", \"runs\": 7, "
               "\"python\": \"ran\", \"rows\": ["
               "{\"mechanism\": \"flag_check\", \"impl\": \"coord\","
               " \"per_op_p50_ps\": 217, \"per_op_p99_ps\": 226},"
               "{\"mechanism\": \"queue_roundtrip\", \"impl\": \"coord\","
               " \"per_op_p50_ps\": 155263, \"per_op_p99_ps\": 489948},"
               "{\"mechanism\": \"queue_roundtrip\", \"impl\": \"python\","
               " \"per_op_p50_ps\": 161625430, \"per_op_p99_ps\": 228865120},"
               "{\"mechanism\": \"manager_get\", \"impl\": \"coord\","
               " \"per_op_p50_ps\": 382337, \"per_op_p99_ps\": 4779102}]}");
    char *md = render_md(false, "spectrum");
    if (strstr(md, "costs microseconds"))
        test__fail(__FILE__, __LINE__, "the caption says microseconds "
                   "beside a 155 ns round trip: %s", strstr(md, "costs"));
    ASSERT_TRUE(strstr(md, "here from 155 ns (coord's queue round trip) to "
                           "162 µs (Python's queue round trip)") != NULL);
    free(md);
    use_result("fraud", NULL); /* K = 1: 8,258/s, K = 1,000: 14,322/s */
    md = render_md(false, "fraud");
    if (strstr(md, "should cost little throughput"))
        test__fail(__FILE__, __LINE__, "the caption expects little cost "
                   "beside K = 1 at 58 %% of K = 1,000's rate");
    ASSERT_TRUE(strstr(md, "Here K = 1 ran at 58 % of the rate of "
                           "K = 1,000.") != NULL);
    free(md);
}

#define TEST_LIST(X)                                                           \
    X(json_values)                                                             \
    X(json_errors_have_positions)                                              \
    X(json_mutations_never_crash)                                             \
    X(report_fraud_only_files_json_and_browser)                               \
    X(report_quick_all_experiments_slow)                                      \
    X(report_experiment_timeout_is_reported)                                  \
    X(report_under_mpirun_runs_its_experiments_standalone)                    \
    X(report_without_python_counts_skips_as_not_run) X(report_usage_errors) \
    X(report_no_python_reaches_the_queue)                                     \
    X(report_queue_without_python_names_what_ran)                             \
    X(report_queue_ratio_below_one_is_not_rounded_away)                       \
    X(report_claims_say_why_python_is_not_measured)                           \
    X(report_spectrum_names_the_unlocked_value_read)                          \
    X(report_spectrum_without_python_names_no_python)                         \
    X(report_exit_status_one_with_its_json_is_a_result)                       \
    X(report_queue_coord_probe_failure_does_not_hold)                         \
    X(report_verdict_one_rule) X(report_one_verdict_per_measurement)          \
    X(report_sections_read_as_sentences_and_tables) X(report_human_units)    \
    X(report_load_banner_names_loaded_experiments)                            \
    X(report_reused_out_dir_holds_only_the_new_report)                        \
    X(report_writes_into_its_directory_when_it_is_moved)                      \
    X(report_plot_gnuplot_opens_no_file)                                      \
    X(report_manifest_names_only_report_files)                                \
    X(report_planted_dirs_and_manifest_remove_nothing)                        \
    X(report_header_states_its_options)                                       \
    X(report_stop_latency_caption_names_the_share)                             \
    X(report_fraud_share_is_of_the_screened_transactions)                     \
    X(report_captions_follow_the_measurement)
#define HELPER_LIST(X)
TEST_MAIN()
