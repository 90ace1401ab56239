/* SPDX-License-Identifier: MIT */
/* test-fraud.c: the transaction generator, CSV, detectors and parallel screening. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#include "fraud.h"
#include "harness.h"

static struct fraud_txn *gen(uint64_t seed, size_t count, double rate)
{
    struct fraud_gen_opts o;
    fraud_gen_defaults(&o);
    o.seed = seed;
    o.count = count;
    o.fraud_rate = rate;
    struct fraud_txn *t = NULL;
    ASSERT_OK(fraud_generate(&o, &t));
    ASSERT_TRUE(t != NULL);
    return t;
}

static void assert_same_txn(const struct fraud_txn *a, const struct fraud_txn *b)
{
    ASSERT_EQ_U(a->id, b->id);
    ASSERT_EQ(a->ts_ms, b->ts_ms);
    ASSERT_EQ_U(a->account, b->account);
    ASSERT_EQ_U(a->merchant, b->merchant);
    ASSERT_EQ(a->cents, b->cents);
    ASSERT_EQ(a->lat_e5, b->lat_e5);
    ASSERT_EQ(a->lon_e5, b->lon_e5);
    ASSERT_EQ_U(a->device, b->device);
    ASSERT_EQ(a->label, b->label);
}

TEST(gen_same_seed_same_stream)
{
    struct fraud_txn *a = gen(7, 3000, 0.05), *b = gen(7, 3000, 0.05);
    struct fraud_txn *c = gen(8, 3000, 0.05);
    size_t differ = 0;
    for (size_t i = 0; i < 3000; i++) {
        assert_same_txn(&a[i], &b[i]);
        differ += a[i].account != c[i].account || a[i].cents != c[i].cents;
    }
    ASSERT_GT(differ, 1000); /* another seed: another stream */
    free(a);
    free(b);
    free(c);
}

TEST(gen_injected_count_matches_rate)
{
    static const double rates[] = {0, 0.001, 0.02, 0.1, 0.333, 0.5};
    static const size_t counts[] = {1, 999, 5000};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            struct fraud_txn *t = gen(r * 10 + c, counts[c], rates[r]);
            size_t fraud = 0, kinds[FRAUD_KIND_COUNT] = {0};
            for (size_t i = 0; i < counts[c]; i++) {
                ASSERT_LT(t[i].label, FRAUD_OTHER);
                fraud += t[i].label != FRAUD_NONE;
                kinds[t[i].label]++;
            }
            ASSERT_EQ_U(fraud, (size_t)llround(counts[c] * rates[r]));
            if (counts[c] == 5000 && rates[r] >= 0.1)
                for (int k = FRAUD_VELOCITY; k <= FRAUD_CARD_TESTING; k++)
                    ASSERT_GT(kinds[k], 0); /* every pattern is injected */
            free(t);
        }
    }
}

TEST(gen_stream_is_well_formed)
{
    struct fraud_txn *t = gen(3, 4000, 0.02);
    for (size_t i = 0; i < 4000; i++) {
        ASSERT_EQ_U(t[i].id, i + 1);
        if (i > 0)
            ASSERT_GE(t[i].ts_ms, t[i - 1].ts_ms);
        ASSERT_GT(t[i].cents, 0);
        ASSERT_LE(t[i].lat_e5, 9000000);
        ASSERT_GE(t[i].lat_e5, -9000000);
        ASSERT_LT(t[i].account, 100);
        ASSERT_LT(t[i].merchant, 120);
    }
    free(t);
    struct fraud_gen_opts o;
    fraud_gen_defaults(&o);
    o.fraud_rate = 0.6;
    ASSERT_EQ(fraud_generate(&o, &t), -EINVAL);
    fraud_gen_defaults(&o);
    o.count = 0;
    ASSERT_EQ(fraud_generate(&o, &t), -EINVAL);
    fraud_gen_defaults(&o);
    o.accounts = 0;
    ASSERT_EQ(fraud_generate(&o, &t), -EINVAL);
}

TEST(csv_round_trip)
{
    struct fraud_txn *t = gen(11, 2500, 0.04);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(fraud_csv_write(f, t, 2500));
    fclose(f);
    ASSERT_TRUE(strncmp(buf, FRAUD_CSV_HEADER "\n", strlen(FRAUD_CSV_HEADER) + 1) == 0);
    f = fmemopen(buf, len, "r");
    struct fraud_csv_result r;
    ASSERT_OK(fraud_csv_read(f, true, &r));
    fclose(f);
    ASSERT_EQ_U(r.n, 2500);
    ASSERT_EQ_U(r.bad, 0);
    ASSERT_EQ_U(r.lines, 2501);
    ASSERT_TRUE(r.labelled);
    for (size_t i = 0; i < 2500; i++)
        assert_same_txn(&r.txns[i], &t[i]);
    /* Written again, the text is byte for byte the same. */
    char *buf2 = NULL;
    size_t len2 = 0;
    f = open_memstream(&buf2, &len2);
    ASSERT_OK(fraud_csv_write(f, r.txns, r.n));
    fclose(f);
    ASSERT_EQ_U(len2, len);
    ASSERT_TRUE(memcmp(buf, buf2, len) == 0);
    fraud_csv_free(&r);
    free(buf);
    free(buf2);
    free(t);
}

static int read_text(const char *text, bool strict, struct fraud_csv_result *r)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    ASSERT_TRUE(f != NULL);
    int rc = fraud_csv_read(f, strict, r);
    fclose(f);
    return rc;
}

/* What --csv reads, --write-csv writes readably: a millisecond time past
 * year 9999 was read, then written as "10000-01-01T..." (or a year of 9
 * digits), which --csv refused. It is a malformed line now. */
TEST(csv_times_past_year_9999_are_malformed)
{
    static const char text[] =
        "id,timestamp,account,merchant,amount,lat,lon,device\n"
        "1,253402300799999,1,2,3.00,0,0,4\n"  /* 9999-12-31T23:59:59.999Z */
        "2,253402300800000,1,2,3.00,0,0,4\n"  /* 10000-01-01T00:00:00Z */
        "3,9223372036854775807,1,2,3.00,0,0,4\n";
    struct fraud_csv_result r;
    ASSERT_OK(read_text(text, false, &r));
    ASSERT_EQ_U(r.n, 1);
    ASSERT_EQ_U(r.bad, 2);
    ASSERT_EQ_U(r.errors[0].line, 3);
    ASSERT_EQ_U(r.errors[1].line, 4);
    ASSERT_TRUE(strstr(r.errors[0].why, "timestamp") != NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(fraud_csv_write(f, r.txns, r.n));
    fclose(f);
    ASSERT_TRUE(strstr(buf, "9999-12-31T23:59:59.999Z") != NULL);
    struct fraud_csv_result back;
    ASSERT_OK(read_text(buf, true, &back));
    ASSERT_EQ_U(back.n, 1);
    ASSERT_EQ(back.txns[0].ts_ms, r.txns[0].ts_ms);
    fraud_csv_free(&back);
    fraud_csv_free(&r);
    free(buf);
}

/* Dates past 2038 on every build: --write-csv wrote them with gmtime_r
 * and --csv read them with timegm, so a build whose time_t has 32 bits
 * (-m32 without _TIME_BITS=64) wrote 2040 as a date of 1904 and refused
 * "2040-..." as malformed. The dates are counted without time_t now. */
TEST(csv_dates_past_2038_on_every_build)
{
    static const struct {
        int64_t ms;
        const char *iso;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {951825600000, "2000-02-29T12:00:00.000Z"},
        {2147483647000, "2038-01-19T03:14:07.000Z"},
        {2147483648001, "2038-01-19T03:14:08.001Z"},
        {2214172799999, "2040-02-29T23:59:59.999Z"},
        {4107542399500, "2100-02-28T23:59:59.500Z"},
        {4107542400000, "2100-03-01T00:00:00.000Z"},
        {4294967296000, "2106-02-07T06:28:16.000Z"},
        {253402300799999, "9999-12-31T23:59:59.999Z"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    struct fraud_txn t[N];
    memset(t, 0, sizeof t);
    for (size_t i = 0; i < N; i++) {
        t[i].id = i + 1;
        t[i].ts_ms = cases[i].ms;
        t[i].cents = 100;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(fraud_csv_write(f, t, N));
    fclose(f);
    for (size_t i = 0; i < N; i++)
        if (!strstr(buf, cases[i].iso))
            test__fail(__FILE__, __LINE__, "%s not written:\n%s",
                       cases[i].iso, buf);
    /* Read back, the ISO dates give the same milliseconds. */
    struct fraud_csv_result r;
    ASSERT_OK(read_text(buf, true, &r));
    ASSERT_EQ_U(r.n, N);
    for (size_t i = 0; i < N; i++)
        ASSERT_EQ(r.txns[i].ts_ms, cases[i].ms);
    fraud_csv_free(&r);
    free(buf);

    /* Where time_t holds them, gmtime_r agrees on a sweep of every
     * 997th hour (all weekdays, months and leap rules) to year 9999. */
    if (sizeof(time_t) < 8)
        return;
    const size_t n = (size_t)((253402300799999 - 3600000) / (997 * 3600000ll)) + 1;
    struct fraud_txn *w = calloc(n, sizeof *w);
    ASSERT_TRUE(w != NULL);
    for (size_t i = 0; i < n; i++) {
        w[i].id = i + 1;
        w[i].cents = 100;
        w[i].ts_ms = (int64_t)i * 997 * 3600000ll + (int64_t)(i * 7919 % 3600000);
    }
    f = open_memstream(&buf, &len);
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(fraud_csv_write(f, w, n));
    fclose(f);
    const char *line = strchr(buf, '\n') + 1;
    for (size_t i = 0; i < n; i++) {
        time_t s = (time_t)(w[i].ts_ms / 1000);
        struct tm tm;
        ASSERT_TRUE(gmtime_r(&s, &tm) != NULL);
        char want[64];
        snprintf(want, sizeof want, ",%04d-%02d-%02dT%02d:%02d:%02d.%03dZ,",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int)(w[i].ts_ms % 1000));
        const char *end = strchr(line, '\n');
        ASSERT_TRUE(end != NULL);
        if (!memmem(line, (size_t)(end - line), want, strlen(want)))
            test__fail(__FILE__, __LINE__, "ms %lld: want %s in %.*s",
                       (long long)w[i].ts_ms, want, (int)(end - line), line);
        line = end + 1;
    }
    f = fmemopen(buf, len, "r");
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(fraud_csv_read(f, true, &r));
    fclose(f);
    ASSERT_EQ_U(r.n, n);
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(r.txns[i].ts_ms, w[i].ts_ms);
    fraud_csv_free(&r);
    free(buf);
    free(w);
}

static const char malformed[] =
    "id,timestamp,account,merchant,amount,lat,lon,device,label\n" /* 1 */
    "1,2026-01-01T00:00:00Z,5,7,12.50,48.85,2.35,100,none\n"      /* 2 ok */
    "2,2026-01-01T00:01:00Z,5,7,12.50,48.85,2.35,100\n"           /* 3 fields */
    "3,yesterday,5,7,12.50,48.85,2.35,100,none\n"                 /* 4 time */
    "\n"                                                          /* 5 blank */
    "# a comment\n"                                               /* 6 */
    "4,1767225720000,5,7,-3.00,48.85,2.35,100,none\n"             /* 7 amount */
    "5,1767225780000,5,7,3.00,91.0,2.35,100,none\n"               /* 8 lat */
    "6,1767225840000,5,7,3.00,48.85,2.35,100,robbery\n"           /* 9 label */
    "7,1767225900000,x,7,3.00,48.85,2.35,100,none\n"              /* 10 acct */
    "1,1767225960000,5,7,3.00,48.85,2.35,100,none\n"              /* 11 dup */
    "8,\"2026-01-01T00:07:00.250Z\",5,7,\"1,000.00\",48.85,2.35,100,amount\n"
    "9,2026-01-01T00:08:00Z,5,7,0.99,48.85,2.35,101,card_testing\n"/* 13 ok */
    "10,\"unterminated,5,7,1,1,1,1,none\n";                       /* 14 */

TEST(csv_malformed_lines_are_skipped_with_line_numbers)
{
    struct fraud_csv_result r;
    ASSERT_OK(read_text(malformed, false, &r));
    ASSERT_EQ_U(r.n, 2);
    ASSERT_EQ_U(r.lines, 14);
    /* Line 12 is bad too: "1,000.00" is one quoted field, not an amount. */
    static const size_t want[] = {3, 4, 7, 8, 9, 10, 11, 12, 14};
    ASSERT_EQ_U(r.bad, 9);
    ASSERT_EQ_U(r.n_errors, 9);
    for (size_t i = 0; i < r.n_errors; i++) {
        ASSERT_EQ_U(r.errors[i].line, want[i]);
        ASSERT_TRUE(r.errors[i].why[0] != '\0');
    }
    ASSERT_TRUE(strstr(r.errors[6].why, "duplicate id 1") != NULL);
    ASSERT_TRUE(strstr(r.errors[0].why, "fields") != NULL);
    ASSERT_EQ_U(r.txns[0].id, 1);
    ASSERT_EQ_U(r.txns[1].id, 9);
    ASSERT_EQ(r.txns[1].cents, 99);
    ASSERT_EQ(r.txns[1].label, FRAUD_CARD_TESTING);
    fraud_csv_free(&r);
}

TEST(csv_strict_rejects_at_first_malformed_line)
{
    struct fraud_csv_result r;
    ASSERT_EQ(read_text(malformed, true, &r), -EINVAL);
    ASSERT_EQ_U(r.n, 0);
    ASSERT_TRUE(r.txns == NULL);
    ASSERT_EQ_U(r.n_errors, 1);
    ASSERT_EQ_U(r.errors[0].line, 3);
}

/* Found by fuzzing the parser (session 8): impossible dates were moved by
 * timegm (February 31 became March 3), a month of " 1" or "+1" was read
 * as 1; --strict named a later line while a duplicate id came first; the
 * header message was cut at 96 bytes; a 65,536-byte line ending in CRLF
 * counted its CR; control characters reached the terminal; a BOM made
 * the header unreadable. */
TEST(csv_dates_first_bad_line_and_line_ends)
{
    static const char *const bad_times[] = {
        "2026-02-31T00:00:00Z", "2026- 1-01T00:00:00Z", "2026-+1-01T00:00:00Z",
        "2026-04-31T23:59:59Z", "2026-04-30T23:59:60Z", "2026-13-01T00:00:00Z",
        "2025-02-29T00:00:00Z", "2026-01-01X00:00:00Z"};
    char text[512];
    struct fraud_csv_result r;
    for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
        snprintf(text, sizeof text, "id,timestamp,account,merchant,amount,lat,lon,device\n"
                                    "1,%s,5,7,1.00,0,0,1\n", bad_times[i]);
        ASSERT_CODE(read_text(text, true, &r), -EINVAL);
        ASSERT_EQ(r.errors[0].line, 2);
        fraud_csv_free(&r);
    }
    /* A leap day and the space the parser takes for 'T' are dates. */
    ASSERT_OK(read_text("id,timestamp,account,merchant,amount,lat,lon,device\n"
                        "1,2024-02-29 23:59:59.5Z,5,7,1.00,0,0,1\n", true, &r));
    ASSERT_EQ(r.n, 1);
    ASSERT_EQ(r.txns[0].ts_ms, 1709251199500);
    fraud_csv_free(&r);
    /* --strict: the duplicate id on line 3 is the first malformed line. */
    ASSERT_CODE(read_text("id,timestamp,account,merchant,amount,lat,lon,device\n"
                          "1,1000,1,1,1,0,0,1\n1,2000,1,1,1,0,0,1\n"
                          "3,3000,1,1,x,0,0,1\n", true, &r), -EINVAL);
    ASSERT_EQ(r.errors[0].line, 3);
    ASSERT_TRUE(strstr(r.errors[0].why, "duplicate id 1") != NULL);
    /* That line alone: not line 4's error after it too. */
    ASSERT_EQ_U(r.n_errors, 1);
    ASSERT_EQ_U(r.bad, 1);
    fraud_csv_free(&r);
    /* The header's message whole; control characters shown as '?'. */
    ASSERT_CODE(read_text("id,when\n", false, &r), -EINVAL);
    ASSERT_TRUE(strstr(r.errors[0].why, "label optional)") != NULL);
    fraud_csv_free(&r);
    ASSERT_OK(read_text("\xEF\xBB\xBFid,timestamp,account,merchant,amount,lat,lon,device\n"
                        "1,1000,1,1,1\x1b[2J,0,0,1\n2,2000,1,1,1,0,0,1\n", false, &r));
    ASSERT_EQ(r.n, 1);
    ASSERT_TRUE(strchr(r.errors[0].why, 0x1b) == NULL);
    ASSERT_TRUE(strstr(r.errors[0].why, "1?[2J") != NULL);
    fraud_csv_free(&r);
    /* A line of exactly the limit, CRLF-ended, is read. */
    size_t max = FRAUD_CSV_MAX_LINE;
    char *big = malloc(max + 200);
    ASSERT_TRUE(big != NULL);
    int h = snprintf(big, 200, "id,timestamp,account,merchant,amount,lat,lon,device,note\r\n");
    int row = snprintf(big + h, 200, "1,1000,1,1,1,0,0,1,");
    memset(big + h + row, 'x', max - (size_t)row);
    memcpy(big + h + max, "\r\n", 3);
    ASSERT_OK(read_text(big, true, &r));
    ASSERT_EQ(r.n, 1);
    fraud_csv_free(&r);
    free(big);
}

TEST(csv_header_columns_and_formats)
{
    struct fraud_csv_result r;
    /* Any column order, extra columns ignored, no label, ms or ISO times,
     * CRLF line ends, an id appearing before its time order. */
    ASSERT_OK(read_text(
        "device,lon,lat,amount,merchant,account,timestamp,id,note\r\n"
        "100,2.35,48.85,5,7,5,1767225600500,2,x\r\n"
        "100,2.35,48.856614,5.005,7,5,2026-01-01T00:00:00.25Z,1,y\r\n",
        false, &r));
    ASSERT_EQ_U(r.n, 2);
    ASSERT_EQ_U(r.bad, 0);
    ASSERT_FALSE(r.labelled);
    ASSERT_EQ_U(r.txns[0].id, 1); /* sorted by time */
    ASSERT_EQ(r.txns[0].ts_ms, 1767225600250ll);
    ASSERT_EQ(r.txns[0].cents, 501); /* 5.005 rounds to 5.01 */
    ASSERT_EQ(r.txns[0].lat_e5, 4885661);
    ASSERT_EQ(r.txns[0].label, FRAUD_UNLABELED);
    ASSERT_EQ(r.txns[1].ts_ms, 1767225600500ll);
    fraud_csv_free(&r);
    /* Missing column, empty input: rejected, with the line. */
    ASSERT_EQ(read_text("id,timestamp,account\n1,2,3\n", false, &r), -EINVAL);
    ASSERT_EQ_U(r.errors[0].line, 1);
    ASSERT_TRUE(strstr(r.errors[0].why, "merchant") != NULL);
    ASSERT_EQ(read_text("", false, &r), -EINVAL);
    ASSERT_EQ_U(r.n_errors, 1);
}

TEST(csv_garbage_never_crashes)
{
    /* Deterministic garbage: every line is reported, nothing is kept, no
     * crash, no hang. */
    char *buf = malloc(1 << 20);
    size_t len = (size_t)sprintf(buf, "%s\n", FRAUD_CSV_HEADER);
    uint64_t x = 12345;
    for (int line = 0; line < 2000; line++) {
        int n = (int)(x % 120);
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            char c = (char)(x >> 56);
            buf[len++] = c == '\n' || c == '\0' ? ',' : c;
        }
        buf[len++] = '\n';
        x = x * 6364136223846793005ull + 1;
    }
    buf[len] = '\0';
    struct fraud_csv_result r;
    FILE *f = fmemopen(buf, len, "r");
    ASSERT_OK(fraud_csv_read(f, false, &r));
    fclose(f);
    ASSERT_EQ_U(r.n, 0);
    ASSERT_GT(r.bad, 1000);
    fraud_csv_free(&r);
    free(buf);
}

/* The detectors find the patterns the generator injects, and rarely flag a
 * legitimate purchase (the numbers are stable: the stream is seeded). */
TEST(detect_quality_on_generated_stream)
{
    struct fraud_txn *t = gen(1, 20000, 0.02);
    uint32_t na, nm;
    ASSERT_OK(fraud_index(t, 20000, &na, &nm));
    uint8_t *flagged = malloc(20000);
    ASSERT_OK(fraud_screen_serial(t, 20000, 0, na, nm, 512, flagged, NULL));
    struct fraud_quality q;
    fraud_quality_of(t, 20000, flagged, &q);
    ASSERT_EQ_U(q.tp + q.fn, 400);
    ASSERT_GE(q.recall, 0.7);
    ASSERT_GE(q.precision, 0.9);
    for (int k = FRAUD_VELOCITY; k <= FRAUD_CARD_TESTING; k++)
        ASSERT_GT(q.caught[k], 0);
    free(flagged);
    free(t);
}

/* An abandon stops the detector at the end of the current block: with a
 * block of 1 after exactly one look-up, with a block larger than the
 * history only at the end. */
static bool stop_always(void *arg, uint64_t done)
{
    (void)done;
    (*(int *)arg)++;
    return true;
}

TEST(detect_abandons_at_the_next_check)
{
    struct fraud_txn *t = gen(5, 3000, 0.02);
    uint32_t na, nm;
    ASSERT_OK(fraud_index(t, 3000, &na, &nm));
    struct fraud_history h;
    ASSERT_OK(fraud_history_init(&h, na, nm, 256));
    for (size_t i = 0; i < 2999; i++)
        ASSERT_OK(fraud_history_add(&h, &t[i]));
    const struct fraud_txn *x = &t[2999];
    uint32_t hist = h.accounts[x->acct_ix].len;
    ASSERT_GT(hist, 2);
    for (int d = FRAUD_DET_VELOCITY; d <= FRAUD_DET_AMOUNT; d++) {
        int calls = 0;
        struct fraud_check c = {stop_always, &calls, 1, 0, 0};
        ASSERT_EQ(fraud_detect(d, &h, x, &c), FRAUD_ABANDONED);
        ASSERT_EQ(calls, 1);
        ASSERT_EQ_U(c.lookups, 1);
        calls = 0;
        struct fraud_check big = {stop_always, &calls, 1u << 20, 0, 0};
        ASSERT_EQ(fraud_detect(d, &h, x, &big), FRAUD_ABANDONED);
        ASSERT_EQ_U(big.lookups,
                    fraud_scan_steps(d, x, hist,
                                     h.merchants[x->merch_ix].len));
        ASSERT_GE(big.lookups, hist);
        struct fraud_check none = {NULL, NULL, 3, 0, 0};
        ASSERT_TRUE(fraud_detect(d, &h, x, &none) != FRAUD_ABANDONED);
        ASSERT_EQ_U(none.checks, 0);
    }
    fraud_history_free(&h);
    free(t);
}

/* Verdicts do not depend on early exit or on the check interval: the
 * parallel screening flags exactly what the one-process reference flags. */
TEST(screen_verdicts_identical_across_intervals_and_early_exit)
{
    struct fraud_gen_opts o;
    fraud_gen_defaults(&o);
    o.seed = 21;
    o.count = 6000 + 1200;
    o.fraud_rate = 0.05;
    struct fraud_txn *t = NULL;
    ASSERT_OK(fraud_generate(&o, &t));
    size_t n = o.count, first = 6000;
    uint32_t na, nm;
    ASSERT_OK(fraud_index(t, n, &na, &nm));
    uint8_t *ref = malloc(n), *got = malloc(n);
    ASSERT_OK(fraud_screen_serial(t, n, first, na, nm, 256, ref, NULL));
    size_t ref_flagged = 0;
    for (size_t i = first; i < n; i++)
        ref_flagged += ref[i];
    ASSERT_GT(ref_flagged, 10);
    struct fraud_history h;
    ASSERT_OK(fraud_history_init(&h, na, nm, 256));
    for (size_t i = 0; i < first; i++)
        ASSERT_OK(fraud_history_add(&h, &t[i]));
    static const struct {
        uint64_t every;
        bool early;
    } cfg[] = {{1, true},    {7, true},    {1000, true},
               {COORD_CHECK_AUTO, true}, {COORD_CHECK_AUTO, false},
               {1, false}};
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        struct fraud_screen_opts so = {cfg[c].every, cfg[c].early, 20000, 0,
                                       c % 2 == 1};
        struct fraud_screen_stats st;
        char why[256] = "";
        memset(got, 0, n);
        int rc = fraud_screen_rounds(t, n, first, &h, &so, got, &st, why,
                                     sizeof why);
        if (rc != 0)
            test__fail(__FILE__, __LINE__, "config %zu: %s", c, why);
        for (size_t i = first; i < n; i++)
            if (got[i] != ref[i])
                test__fail(__FILE__, __LINE__,
                           "config %zu: transaction %zu: %d, reference %d", c,
                           i, got[i], ref[i]);
        ASSERT_EQ_U(st.claims, ref_flagged);
        ASSERT_EQ_U(st.screened, n - first);
        uint64_t wins = 0;
        for (int d = 0; d < FRAUD_DET_COUNT; d++)
            wins += st.wins[d];
        ASSERT_EQ_U(wins, st.claims);
        ASSERT_GT(st.iterations, 0);
    }
    fraud_history_free(&h);
    free(ref);
    free(got);
    free(t);
}

static const char *const cli_path = COORD_CLI_PATH;

TEST(cli_csv_malformed_lines_reported_and_skipped)
{
    char path[] = "/tmp/coord-fraud-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(malformed, f);
    fclose(f);
    char out[8192], err[8192];
    const char *argv[] = {cli_path, "fraud", "--csv", path, "--intervals",
                          "1,auto", "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    char want[128];
    snprintf(want, sizeof want, "%s:3: 8 fields, the header has 9 (line "
             "skipped)", path);
    ASSERT_TRUE(strstr(err, want) != NULL);
    snprintf(want, sizeof want, "%s:11: duplicate id 1", path);
    ASSERT_TRUE(strstr(err, want) != NULL);
    ASSERT_TRUE(strstr(out, "\"malformed_lines\":9") != NULL);
    ASSERT_TRUE(strstr(out, "\"transactions\":2") != NULL);
    ASSERT_TRUE(strstr(out, "\"verdicts_identical\":true") != NULL);
    /* --strict: rejected, exit 2, the first bad line named. */
    const char *strict[] = {cli_path, "fraud", "--csv", path, "--strict",
                            NULL};
    st = test_run(strict, out, sizeof out, err, sizeof err, 60000);
    ASSERT_EQ(WEXITSTATUS(st), 2);
    snprintf(want, sizeof want, "%s:3: 8 fields", path);
    ASSERT_TRUE(strstr(err, want) != NULL);
    ASSERT_TRUE(strstr(err, "rejected") != NULL);
    unlink(path);
}

/* A CSV without the label column: screened, no precision or recall. */
TEST(cli_csv_unlabelled)
{
    struct fraud_txn *t = gen(4, 800, 0.05);
    char path[] = "/tmp/coord-fraud-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("id,timestamp,account,merchant,amount,lat,lon,device\n", f);
    for (size_t i = 0; i < 800; i++)
        fprintf(f, "%llu,%lld,%u,%u,%lld.%02lld,%d.%05d,%d.%05d,%u\n",
                (unsigned long long)t[i].id, (long long)t[i].ts_ms,
                t[i].account, t[i].merchant, (long long)(t[i].cents / 100),
                (long long)(t[i].cents % 100), t[i].lat_e5 / 100000,
                abs(t[i].lat_e5 % 100000), t[i].lon_e5 / 100000,
                abs(t[i].lon_e5 % 100000), t[i].device);
    fclose(f);
    free(t);
    static char out[16384];
    char err[4096];
    const char *argv[] = {cli_path, "fraud", "--csv", path, "--warmup", "500",
                          "--intervals", "10", "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "\"labelled\":false") != NULL);
    ASSERT_TRUE(strstr(out, "\"injected\":null") != NULL);
    ASSERT_TRUE(strstr(out, "\"precision\":null") != NULL);
    ASSERT_TRUE(strstr(out, "\"transactions\":300") != NULL);
    ASSERT_TRUE(strstr(out, "\"verdicts_identical\":true") != NULL);
    unlink(path);
    /* Partly labelled: not labelled, so no precision or recall anywhere
     * (they were numbers over the labelled rows alone). */
    fd = mkstemp(strcpy(path, "/tmp/coord-fraud-test-XXXXXX"));
    ASSERT_TRUE(fd >= 0);
    static const char partial[] =
        "id,timestamp,account,merchant,amount,lat,lon,device,label\n"
        "1,1000,1,1,1,0,0,1,none\n2,2000,1,1,1,0,0,1,\n3,3000,2,1,5000,0,0,1,amount\n";
    ASSERT_EQ(write(fd, partial, sizeof partial - 1), (int64_t)(sizeof partial - 1));
    close(fd);
    const char *argv2[] = {cli_path, "fraud", "--csv", path, "--json", NULL};
    st = test_run(argv2, out, sizeof out, err, sizeof err, 60000);
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "\"labelled\":false") != NULL);
    ASSERT_TRUE(strstr(out, "\"precision\":0") == NULL);
    ASSERT_TRUE(strstr(out, "\"precision\":1") == NULL);
    ASSERT_TRUE(strstr(out, "\"recall\":null") != NULL);
    unlink(path);
}

TEST(cli_usage_errors)
{
    static const char *const bad[][4] = {
        {"--rate", "0.7", NULL},
        {"--intervals", "0", NULL},
        {"--intervals", "", NULL},
        {"--transactions", "x", NULL},
        {"--strict", NULL},
        {"--csv", "/nonexistent/file.csv", NULL},
        {"--bogus", NULL},
        {"--claim", "mutex", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[1024];
        test_cli_usage_error(cli_path, "fraud", bad[i], err, sizeof err,
                             30000);
        /* The message is one line. */
        ASSERT_TRUE(strchr(err, '\n') == err + strlen(err) - 1);
    }
}

/* With --csv nothing is generated: --write-csv wrote the rows it read
 * (sorted, the skipped lines and those past --transactions dropped) over
 * its FILE, the --csv file itself when named twice, and --seed, --rate,
 * --accounts and --merchants were silently ignored. Usage errors now, the
 * file left as it was. */
TEST(cli_csv_with_generator_options_is_a_usage_error)
{
    char path[] = "/tmp/coord-fraud-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    static const char rows[] =
        "# notes\n"
        "id,timestamp,account,merchant,amount,lat,lon,device,label\n"
        "1,1000,1,1,1,0,0,1,none\n2,2000,1,1,1,0,0,1,none\n"
        "3,3000,1,1,1,0,0,1,none\n4,oops\n";
    ASSERT_EQ(write(fd, rows, sizeof rows - 1), (int64_t)(sizeof rows - 1));
    close(fd);
    static const char *const gen_opts[][2] = {
        {"--write-csv", NULL}, {"--seed", "3"}, {"--rate", "0.1"},
        {"--accounts", "5"}, {"--merchants", "5"},
    };
    for (size_t i = 0; i < sizeof gen_opts / sizeof gen_opts[0]; i++) {
        const char *args[] = {"--csv", path, "--transactions", "1",
                              gen_opts[i][0],
                              gen_opts[i][1] ? gen_opts[i][1] : path, NULL};
        char err[1024];
        test_cli_usage_error(cli_path, "fraud", args, err, sizeof err, 30000);
        ASSERT_TRUE(strchr(err, '\n') == err + strlen(err) - 1);
        ASSERT_TRUE(strstr(err, "not with --csv") != NULL);
    }
    char back[sizeof rows + 16];
    fd = open(path, O_RDONLY);
    ASSERT_TRUE(fd >= 0);
    ssize_t got = read(fd, back, sizeof back);
    close(fd);
    unlink(path);
    ASSERT_EQ(got, (int64_t)(sizeof rows - 1));
    ASSERT_TRUE(memcmp(back, rows, sizeof rows - 1) == 0);
}

TEST(cli_json_quick_run)
{
    static char out[65536];
    char err[4096];
    const char *argv[] = {cli_path, "fraud", "--transactions", "400",
                          "--warmup", "3000", "--rate", "0.05", "--json",
                          NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(out[0] == '{');
    ASSERT_TRUE(strstr(out, "\"check_mode\":\"auto\",\"check_every\":null") !=
                NULL);
    ASSERT_TRUE(strstr(out, "\"check_mode\":\"off\",\"check_every\":null,"
                            "\"early_exit\":false") != NULL);
    ASSERT_TRUE(strstr(out, "\"schema\":\"coord.fraud/2\"") != NULL);
    /* Durations in integer nanoseconds (coord.fraud/2). */
    ASSERT_TRUE(strstr(out, "\"latency_p50_ns\":") != NULL);
    ASSERT_TRUE(strstr(out, "_us\"") == NULL);
    ASSERT_TRUE(strstr(out, "\"verdicts_identical\":true") != NULL);
    ASSERT_TRUE(strchr(out, '\n') == out + strlen(out) - 1); /* one object */
}

/* A run without any claim measured no stop: its stop latencies are null
 * in the JSON (docs/json.md: null when not measured) and "-" in the table,
 * not 0 ns (they read "stop_latency_mean_ns":0,"stop_latency_p99_ns":0). */
TEST(cli_no_claim_no_stop_latency)
{
    static char out[65536];
    char err[4096];
    const char *argv[] = {cli_path, "fraud", "--transactions", "200",
                          "--warmup", "500", "--rate", "0", "--intervals",
                          "10", "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "\"flagged\":0,") != NULL); /* no claim to make */
    size_t rows = 0;
    for (const char *p = out; (p = strstr(p, "\"claims\":")) != NULL; p++) {
        rows++;
        ASSERT_TRUE(strncmp(p, "\"claims\":0,\"stop_latency_mean_ns\":null,"
                               "\"stop_latency_p99_ns\":null,", 66) == 0);
    }
    ASSERT_EQ_U(rows, 2); /* K = 10 and no early exit */
    argv[10] = NULL; /* the table */
    st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "nan") == NULL);
    ASSERT_TRUE(strstr(out, "       0.0        0.0") == NULL);
}

/* A line longer than FRAUD_CSV_MAX_LINE stops the read at once, named by
 * its number, skipped or not: an endless line (/dev/zero) must not grow
 * the memory. A read error is reported with its errno. */
TEST(csv_overlong_line_and_read_errors)
{
    size_t big = FRAUD_CSV_MAX_LINE + 10;
    char *text = malloc(big + 200);
    ASSERT_TRUE(text != NULL);
    int k = snprintf(text, 200, "%s\n1,2026-01-01T00:00:00Z,5,7,12.50,"
                                "48.85,2.35,100,none\n", FRAUD_CSV_HEADER);
    memset(text + k, 'x', big);
    strcpy(text + k + big, "\n");
    struct fraud_csv_result r;
    ASSERT_EQ(read_text(text, false, &r), -EINVAL);
    ASSERT_EQ_U(r.n_errors, 1);
    ASSERT_EQ_U(r.errors[0].line, 3);
    ASSERT_TRUE(strstr(r.errors[0].why, "longer than") != NULL);
    free(text);
    /* Endless input: stops at the first line's bound. */
    FILE *f = fopen("/dev/zero", "r");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fraud_csv_read(f, false, &r), -EINVAL);
    fclose(f);
    ASSERT_EQ_U(r.errors[0].line, 1);
    /* A directory: the read fails with EISDIR, not "bad header". */
    f = fopen("/tmp", "r");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fraud_csv_read(f, false, &r), -EISDIR);
    fclose(f);
    ASSERT_TRUE(strstr(r.errors[0].why, strerror(EISDIR)) != NULL);
}

/* The CLI refuses what is not a regular file, with the reason, and says
 * how many rows it screened when the file has more than --transactions. */
TEST(cli_csv_bad_files_and_rows_screened)
{
    static const struct {
        const char *path, *why;
    } bad[] = {{"/tmp", "is a directory"},
               {"/dev/zero", "not a regular file"},
               {"/nonexistent/file.csv", "No such file"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[1024];
        const char *args[] = {"--csv", bad[i].path, NULL};
        test_cli_usage_error(cli_path, "fraud", args, err, sizeof err, 30000);
        if (!strstr(err, bad[i].why))
            test__fail(__FILE__, __LINE__, "--csv %s: '%s' not in %s",
                       bad[i].path, bad[i].why, err);
    }
    struct fraud_txn *t = gen(5, 700, 0.05);
    char path[] = "/tmp/coord-fraud-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    ASSERT_OK(fraud_csv_write(f, t, 700));
    fclose(f);
    free(t);
    static char out[16384];
    char err[4096];
    const char *argv[] = {cli_path, "fraud", "--csv", path, "--warmup", "500",
                          "--transactions", "50", "--intervals", "10",
                          "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    unlink(path);
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strstr(out, "\"transactions\":50") != NULL);
    if (!strstr(err, "screening 50 of its 200 transactions"))
        test__fail(__FILE__, __LINE__, "no rows-screened note in: %s", err);
}

/* A bank export with 200 columns, the ones fraud reads at the end (the
 * reader took 64 fields at most and refused every such line). Fields are
 * bounded only by the line's length: 9,000 columns read too, and a line
 * past FRAUD_CSV_MAX_LINE is refused, named by its number and the limit. */
TEST(csv_many_columns_needed_ones_last)
{
    static const char need[] =
        "id,timestamp,account,merchant,amount,lat,lon,device,label";
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    ASSERT_TRUE(text != NULL);
    for (int c = 0; c < 191; c++)
        len += (size_t)sprintf(text + len, "extra %d,", c);
    len += (size_t)sprintf(text + len, "%s\n", need);
    for (int row = 1; row <= 3; row++) {
        for (int c = 0; c < 191; c++)
            len += (size_t)sprintf(text + len, c % 50 ? "v%d," : "\"a,%d\",",
                                   c);
        len += (size_t)sprintf(text + len, "%d,%d000,%d,7,%d.25,48.5,2.25,9,%s\n",
                               row, row, 10 + row, row, row == 2 ? "amount" : "none");
    }
    struct fraud_csv_result r;
    ASSERT_OK(read_text(text, true, &r));
    ASSERT_EQ_U(r.n, 3);
    ASSERT_EQ_U(r.bad, 0);
    ASSERT_TRUE(r.labelled);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ_U(r.txns[i].id, (uint64_t)i + 1);
        ASSERT_EQ(r.txns[i].ts_ms, (i + 1) * 1000);
        ASSERT_EQ_U(r.txns[i].account, 11 + (unsigned)i);
        ASSERT_EQ(r.txns[i].cents, (i + 1) * 100 + 25);
        ASSERT_EQ(r.txns[i].lon_e5, 225000);
        ASSERT_EQ_U(r.txns[i].device, 9);
    }
    ASSERT_EQ(r.txns[1].label, FRAUD_AMOUNT);
    fraud_csv_free(&r);
    /* A row short of one field names the header's 200. */
    strcpy(text + len, "4,4000,1,7,1.00,0,0,9\n");
    ASSERT_OK(read_text(text, false, &r));
    ASSERT_EQ_U(r.n, 3);
    ASSERT_EQ_U(r.errors[0].line, 5);
    ASSERT_TRUE(strstr(r.errors[0].why, "8 fields, the header has 200"));
    fraud_csv_free(&r);
    /* 9,000 columns in a line just under the limit. */
    len = 0;
    for (int c = 0; c < 9000; c++)
        len += (size_t)sprintf(text + len, "c%d,", c);
    ASSERT_LT(len + sizeof need, FRAUD_CSV_MAX_LINE);
    len += (size_t)sprintf(text + len, "%s\n", need);
    memset(text + len, ',', 9000);
    len += 9000;
    len += (size_t)sprintf(text + len, "5,5000,1,7,1.00,0,0,9,\n");
    ASSERT_OK(read_text(text, true, &r));
    ASSERT_EQ_U(r.n, 1);
    ASSERT_EQ_U(r.txns[0].id, 5);
    fraud_csv_free(&r);
    /* Past the line limit (here 70,001 fields on line 3): the one bound
     * left, with its line and the limit. */
    memset(text + len, ',', 70000);
    strcpy(text + len + 70000, "\n6,6000,1,7,1.00,0,0,9,\n");
    ASSERT_EQ(read_text(text, false, &r), -EINVAL);
    ASSERT_EQ_U(r.n_errors, 1);
    ASSERT_EQ_U(r.errors[0].line, 3);
    char want[64];
    snprintf(want, sizeof want, "longer than %d bytes", FRAUD_CSV_MAX_LINE);
    ASSERT_TRUE(strstr(r.errors[0].why, want) != NULL);
    free(text);
}

/* The same lines ended by LF, CRLF, a CR alone (old Mac exports) and a
 * mix: the same rows, the same malformed lines under the same numbers (a
 * CR alone made the whole file one line; CRLF counted as one end). */
TEST(csv_line_ends_lf_crlf_cr_and_mixed)
{
    static const char *const lines[] = {
        "id,timestamp,account,merchant,amount,lat,lon,device,label", /* 1 */
        "1,1000,5,7,1.00,0,0,1,none",                                /* 2 */
        "",                                                          /* 3 */
        "2,2000,5,7,1.00,0,0",                          /* 4: 7 fields */
        "3,3000,5,7,2.00,0,0,1,velocity",                            /* 5 */
        "# a comment",                                               /* 6 */
        "4,4000,5,7,-1,0,0,1,none",                     /* 7: amount */
        "",                                                          /* 8 */
        "",                                                          /* 9 */
        "5,5000,5,7,3.00,0,0,1,none",                                /* 10 */
    };
    static const char *const ends[] = {"\n", "\r\n", "\r"};
    size_t nl = sizeof lines / sizeof lines[0];
    /* style 0-2: one line end throughout; 3 and 4: the three in turn (a
     * CR after a CRLF, a CR after an LF). Never a CR before an empty line
     * ended by LF: that is a CRLF. */
    for (int style = 0; style < 5; style++) {
        for (int last = 0; last < 2; last++) {
            char text[1024];
            size_t len = 0;
            for (size_t i = 0; i < nl; i++) {
                const char *e = style < 3    ? ends[style]
                                : style == 3 ? ends[i % 3]
                                             : ends[(2 * i + 1) % 3];
                bool end = i + 1 < nl || last;
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%s",
                                        lines[i], end ? e : "");
            }
            struct fraud_csv_result r;
            ASSERT_OK(read_text(text, false, &r));
            if (r.lines != nl || r.n != 3 || r.n_errors != 2 ||
                r.errors[0].line != 4 || r.errors[1].line != 7)
                test__fail(__FILE__, __LINE__,
                           "style %d%s: %zu lines, %zu rows, %zu errors "
                           "(first on line %zu)", style,
                           last ? " ended" : "", r.lines, r.n, r.n_errors,
                           r.n_errors ? r.errors[0].line : 0);
            ASSERT_EQ_U(r.txns[2].id, 5);
            ASSERT_EQ(r.txns[1].label, FRAUD_VELOCITY);
            fraud_csv_free(&r);
        }
    }
}

/* A row of `len` bytes with id `id`, its note column padded with 'x', and
 * the line end `end` at text + at. Returns the bytes written. */
static size_t padded_row(char *at, size_t len, int id, const char *end)
{
    int k = sprintf(at, "%d,%d,1,1,1.00,0,0,1,", id, id * 1000);
    memset(at + k, 'x', len - (size_t)k);
    strcpy(at + len, end);
    return len + strlen(end);
}

/* CRLF pairs that straddle stdio's read buffer: every row's CR is the last
 * byte of a 4,096-byte block (glibc reads a regular file in blocks of
 * st_blksize, 4,096 here, at most BUFSIZ), then again under buffers of 1 to
 * 4,097 bytes set with setvbuf. Each pair is one line end, and a
 * malformed line after them (ended by a CR alone) has its own number. */
TEST(csv_crlf_across_the_read_buffer)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/straddle.csv", test_tmpdir());
    size_t blocks = 24, len = 0;
    char *text = malloc(4096 * (blocks + 2));
    ASSERT_TRUE(text != NULL);
    len += (size_t)sprintf(text, "id,timestamp,account,merchant,amount,lat,"
                                 "lon,device,note\r\n");
    for (size_t b = 1; b <= blocks; b++) /* the CR at 4096 * b - 1 */
        len += padded_row(text + len, 4096 * b - 1 - len, (int)b, "\r\n");
    len += (size_t)sprintf(text + len, "bad\r");          /* line 26 */
    len += padded_row(text + len, 100, 99, "\r\n");       /* line 27 */
    ASSERT_GT(len, 64 * 1024);
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ_U(fwrite(text, 1, len, f), len);
    ASSERT_EQ(fclose(f), 0);
    for (size_t i = 1; i < len; i++)
        if (i % 4096 == 4095 && i < 4096 * blocks)
            ASSERT_TRUE(text[i] == '\r' && text[i + 1] == '\n');
    free(text);
    static const size_t bufs[] = {0, 1, 2, 3, 7, 4095, 4096, 4097};
    static char vbuf[4097];
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        f = fopen(path, "r");
        ASSERT_TRUE(f != NULL);
        if (bufs[i])
            ASSERT_EQ(setvbuf(f, vbuf, _IOFBF, bufs[i]), 0);
        struct fraud_csv_result r;
        ASSERT_OK(fraud_csv_read(f, false, &r));
        fclose(f);
        if (r.lines != 27 || r.n != blocks + 1 || r.n_errors != 1 ||
            r.errors[0].line != 26)
            test__fail(__FILE__, __LINE__,
                       "buffer %zu: %zu lines, %zu rows, %zu errors (first "
                       "on line %zu)", bufs[i], r.lines, r.n, r.n_errors,
                       r.n_errors ? r.errors[0].line : 0);
        ASSERT_EQ_U(r.txns[blocks].id, 99);
        fraud_csv_free(&r);
    }
    unlink(path);
}

/* The CLI: a 200-column CSV, its columns at the end, is screened; a line
 * past the limit is one line naming the file, the line and the limit. */
TEST(cli_csv_many_columns_and_line_limit)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/wide.csv", test_tmpdir());
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    for (int c = 0; c < 191; c++)
        fprintf(f, "extra %d,", c);
    fputs(FRAUD_CSV_HEADER "\r", f);
    for (int row = 1; row <= 40; row++) {
        for (int c = 0; c < 191; c++)
            fprintf(f, "%d,", c);
        fprintf(f, "%d,%d000,%d,7,1.50,0,0,1,none\r", row, row, row % 4);
    }
    ASSERT_EQ(fclose(f), 0);
    static char out[16384];
    char err[4096];
    const char *argv[] = {cli_path, "fraud", "--csv", path, "--strict",
                          "--intervals", "10", "--json", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %d: %s", st, err);
    ASSERT_TRUE(strstr(out, "\"transactions\":40") != NULL);
    ASSERT_TRUE(strstr(out, "\"malformed_lines\":0") != NULL);
    f = fopen(path, "a");
    ASSERT_TRUE(f != NULL);
    for (int i = 0; i <= FRAUD_CSV_MAX_LINE; i++)
        fputc(',', f);
    fputs("\r", f);
    ASSERT_EQ(fclose(f), 0);
    const char *again[] = {cli_path, "fraud", "--csv", path, NULL};
    test_cli_usage_error(cli_path, "fraud", again + 2, err, sizeof err,
                         60000);
    char want[4400];
    snprintf(want, sizeof want, "coord fraud: %s:42: longer than %d bytes",
             path, FRAUD_CSV_MAX_LINE);
    if (!strstr(err, want))
        test__fail(__FILE__, __LINE__, "'%s' not in: %s", want, err);
    unlink(path);
}

#define TEST_LIST(X)                                                           \
    X(gen_same_seed_same_stream)                                               \
    X(gen_injected_count_matches_rate)                                         \
    X(gen_stream_is_well_formed)                                               \
    X(csv_round_trip)                                                          \
    X(csv_times_past_year_9999_are_malformed)                                  \
    X(csv_dates_past_2038_on_every_build)                                      \
    X(csv_malformed_lines_are_skipped_with_line_numbers)                       \
    X(csv_strict_rejects_at_first_malformed_line)                              \
    X(csv_dates_first_bad_line_and_line_ends)                                  \
    X(csv_header_columns_and_formats)                                          \
    X(csv_garbage_never_crashes)                                               \
    X(detect_quality_on_generated_stream)                                      \
    X(detect_abandons_at_the_next_check)                                       \
    X(screen_verdicts_identical_across_intervals_and_early_exit)              \
    X(cli_csv_malformed_lines_reported_and_skipped)                           \
    X(cli_csv_unlabelled)                                                     \
    X(cli_usage_errors)                                                       \
    X(cli_csv_with_generator_options_is_a_usage_error)                        \
    X(cli_json_quick_run)                                                      \
    X(cli_no_claim_no_stop_latency)                                            \
    X(csv_overlong_line_and_read_errors)                                      \
    X(cli_csv_bad_files_and_rows_screened)                                     \
    X(csv_many_columns_needed_ones_last)                                       \
    X(csv_line_ends_lf_crlf_cr_and_mixed)                                      \
    X(csv_crlf_across_the_read_buffer)                                         \
    X(cli_csv_many_columns_and_line_limit)
#define HELPER_LIST(X)
TEST_MAIN()
