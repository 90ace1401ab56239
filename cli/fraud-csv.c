/* SPDX-License-Identifier: MIT */
/* fraud-csv.c: transactions to and from CSV, with malformed lines reported by number. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "fraud.h"

static const char *const kind_names[FRAUD_KIND_COUNT] = {
    "none", "velocity", "travel", "amount", "card_testing", "fraud"};

const char *fraud_kind_name(int kind)
{
    if (kind >= 0 && kind < FRAUD_KIND_COUNT)
        return kind_names[kind];
    return "";
}

int fraud_kind_parse(const char *name)
{
    if (!strcmp(name, "0"))
        return FRAUD_NONE;
    if (!strcmp(name, "1"))
        return FRAUD_OTHER;
    for (int k = 0; k < FRAUD_KIND_COUNT; k++)
        if (!strcasecmp(name, kind_names[k]))
            return k;
    return -1;
}

/* ---- writing ------------------------------------------------------------ */

/* "-12.34567" from a fixed-point value with `dec` decimals. */
static void put_fixed(FILE *f, int64_t v, int dec)
{
    int64_t scale = 1;
    for (int i = 0; i < dec; i++)
        scale *= 10;
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    fprintf(f, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", a / scale, dec,
            a % (uint64_t)scale);
}

/* ---- dates without time_t ---------------------------------------------- */

/* Days are counted here, not by gmtime_r and timegm: a time_t of 32 bits
 * (a 32-bit build without _TIME_BITS=64) ends in 2038, and put_time wrote
 * a millisecond time past it, which --csv takes up to year 9999, as a
 * date of 1901 or so; timegm refused such dates. */

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years from year 1 to year y (y >= 0) of the Gregorian calendar. */
static int64_t leaps_to(int64_t y)
{
    return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to January 1st of year y (y >= 1). */
static int64_t days_to_year(int64_t y)
{
    return 365 * (y - 1970) + leaps_to(y - 1) - leaps_to(1969);
}

/* Days in month mo (1-12) of year y (Gregorian). */
static int days_in(int64_t y, int mo)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return mo == 2 && leap_year(y) ? 29 : days[mo - 1];
}

/* The date of day `day` (0: 1970-01-01; negative before it). */
static void date_of(int64_t day, int64_t *y, int *mo, int *d)
{
    /* 400 Gregorian years are 146097 days: move to the cycle from 1970
     * on, then find the year in it (the estimate is at most one off). */
    int64_t cycles = day >= 0 ? day / 146097 : (day - 146096) / 146097;
    day -= cycles * 146097;
    int64_t yy = 1970 + day * 400 / 146097;
    while (days_to_year(yy + 1) <= day)
        yy++;
    while (days_to_year(yy) > day)
        yy--;
    day -= days_to_year(yy);
    int m = 1;
    while (day >= days_in(yy, m))
        day -= days_in(yy, m++);
    *y = yy + cycles * 400;
    *mo = m;
    *d = (int)day + 1;
}

static void put_time(FILE *f, int64_t ms)
{
    int64_t day = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
    int64_t in_day = ms - day * 86400000, y;
    int mo, d;
    date_of(day, &y, &mo, &d);
    int s = (int)(in_day / 1000);
    fprintf(f, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d,
            s / 3600, s / 60 % 60, s % 60, (int)(in_day % 1000));
}

int fraud_csv_write(FILE *f, const struct fraud_txn *t, size_t n)
{
    fprintf(f, "%s\n", FRAUD_CSV_HEADER);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%" PRIu64 ",", t[i].id);
        put_time(f, t[i].ts_ms);
        fprintf(f, ",%" PRIu32 ",%" PRIu32 ",", t[i].account, t[i].merchant);
        put_fixed(f, t[i].cents, 2);
        fputc(',', f);
        put_fixed(f, t[i].lat_e5, 5);
        fputc(',', f);
        put_fixed(f, t[i].lon_e5, 5);
        fprintf(f, ",%" PRIu32 ",%s\n", t[i].device,
                fraud_kind_name(t[i].label));
    }
    return ferror(f) ? -EIO : 0;
}

/* ---- parsing fields ----------------------------------------------------- */

enum col {
    C_ID,
    C_TS,
    C_ACCOUNT,
    C_MERCHANT,
    C_AMOUNT,
    C_LAT,
    C_LON,
    C_DEVICE,
    C_LABEL,
    C_COUNT
};
static const char *const col_names[C_COUNT] = {
    "id", "timestamp", "account", "merchant", "amount",
    "lat", "lon", "device", "label"};
#define NO_COL SIZE_MAX /* a column the header does not have */

/* The fields of one line, grown as a line needs them: a CSV export may
 * have any number of columns (bank exports have 80 to 150), and the only
 * bound is the line's length (FRAUD_CSV_MAX_LINE bytes hold at most
 * FRAUD_CSV_MAX_LINE + 1 fields). */
struct fields {
    char **f;
    size_t n, cap;
};

/* Splits `line` in place into fs (RFC 4180 quotes: "a,b" and "" for a
 * quote). Returns 0, -EINVAL (an unterminated quote, or text after a
 * closing quote) or -ENOMEM. */
static int split(char *line, struct fields *fs)
{
    fs->n = 0;
    char *p = line;
    for (;;) {
        if (fs->n == fs->cap) {
            size_t nc = fs->cap ? fs->cap * 2 : 64;
            char **nf = realloc(fs->f, nc * sizeof *nf);
            if (!nf)
                return -ENOMEM;
            fs->f = nf;
            fs->cap = nc;
        }
        char *out = p;
        fs->f[fs->n++] = p;
        if (*p == '"') {
            char *q = p + 1;
            for (;;) {
                if (*q == '\0')
                    return -EINVAL;
                if (*q == '"' && q[1] == '"') {
                    *out++ = '"';
                    q += 2;
                } else if (*q == '"') {
                    q++;
                    break;
                } else {
                    *out++ = *q++;
                }
            }
            if (*q != ',' && *q != '\0')
                return -EINVAL;
            char end = *q;
            *out = '\0';
            if (end == '\0')
                return 0;
            p = q + 1;
        } else {
            char *c = strchr(p, ',');
            if (!c)
                return 0;
            *c = '\0';
            p = c + 1;
        }
    }
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* A decimal with optional sign to fixed point with `dec` decimals; extra
 * decimals are rounded half away from zero. */
static int parse_fixed(const char *s, int dec, int64_t *out)
{
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))
        return -1;
    int64_t v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        if (v > (INT64_MAX / 10 - 10) / 1000000)
            return -1;
        v = v * 10 + (*s - '0');
    }
    int got = 0;
    bool round_up = false;
    if (*s == '.') {
        s++;
        for (; isdigit((unsigned char)*s); s++, got++) {
            if (got < dec)
                v = v * 10 + (*s - '0');
            else if (got == dec)
                round_up = *s >= '5';
        }
    }
    if (*s != '\0')
        return -1;
    for (; got < dec; got++)
        v *= 10;
    if (round_up)
        v++;
    *out = neg ? -v : v;
    return 0;
}

/* The number in the n decimal digits at s (checked by the caller). */
static int field_of(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* 9999-12-31T23:59:59.999Z: the last time the ISO form (four digits of
 * year) can say, and so the last that fraud_csv_write writes readably. */
#define TIME_MAX_MS 253402300799999ull

static int parse_time(const char *s, int64_t *ms)
{
    uint64_t u;
    if (parse_u64(s, TIME_MAX_MS, &u) == 0) {
        *ms = (int64_t)u; /* milliseconds since the epoch */
        return 0;
    }
    if (parse_u64(s, UINT64_MAX, &u) == 0)
        return -1; /* later than any ISO date: --write-csv could not
                      write it back */
    /* ISO 8601 UTC: YYYY-MM-DD[T ]HH:MM:SS[.fff][Z], every field its
     * exact digits (sscanf's %d took " 1" and "+1" for a month), and a day
     * the month has (timegm, used here once, moved February 31 to March 3
     * without a word; the day count below would too). */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        char c = s[i];
        bool ok = shape[i] == 'd'   ? isdigit((unsigned char)c)
                  : shape[i] == 'T' ? c == 'T' || c == ' '
                                    : c == shape[i];
        if (!ok)
            return -1;
    }
    int y = field_of(s, 4), mo = field_of(s + 5, 2), d = field_of(s + 8, 2);
    int h = field_of(s + 11, 2), mi = field_of(s + 14, 2),
        sec = field_of(s + 17, 2);
    /* Seconds up to 59: a leap second (60) has no epoch time of its own. */
    if (mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h > 23 ||
        mi > 59 || sec > 59 || y < 1970)
        return -1;
    const char *p = s + sizeof shape - 1;
    int frac = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        for (; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    if (*p == 'Z')
        p++;
    if (*p != '\0')
        return -1;
    int64_t day = days_to_year(y);
    for (int m = 1; m < mo; m++)
        day += days_in(y, m);
    day += d - 1;
    *ms = ((day * 24 + h) * 60 + mi) * 60000 + sec * 1000 + frac;
    return 0;
}

static int why_set(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int why_set(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Parses one data line with the column positions `pos` (-1: absent) into
 * *t, its fields in fs. Returns 0, -EINVAL (`why` says why) or -ENOMEM. */
static int parse_line(char *line, struct fields *fs, const size_t *pos,
                      size_t ncols, struct fraud_txn *t, char *why,
                      size_t cap)
{
    int rc = split(line, fs);
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0)
        return why_set(why, cap, "unterminated quote");
    if (fs->n != ncols)
        return why_set(why, cap, "%zu fields, the header has %zu", fs->n,
                       ncols);
    char **f = fs->f;
    for (size_t i = 0; i < fs->n; i++)
        f[i] = trim(f[i]);
    memset(t, 0, sizeof *t);
    uint64_t u;
    int64_t v;
    if (parse_u64(f[pos[C_ID]], UINT64_MAX, &t->id))
        return why_set(why, cap, "id '%.32s' is not an unsigned integer",
                       f[pos[C_ID]]);
    if (parse_time(f[pos[C_TS]], &t->ts_ms))
        return why_set(why, cap,
                       "timestamp '%.32s' is neither milliseconds (up to "
                       "year 9999) nor YYYY-MM-DDTHH:MM:SS[.fff]Z",
                       f[pos[C_TS]]);
    if (parse_u64(f[pos[C_ACCOUNT]], UINT32_MAX, &u))
        return why_set(why, cap, "account '%.32s' is not a 32-bit id",
                       f[pos[C_ACCOUNT]]);
    t->account = (uint32_t)u;
    if (parse_u64(f[pos[C_MERCHANT]], UINT32_MAX, &u))
        return why_set(why, cap, "merchant '%.32s' is not a 32-bit id",
                       f[pos[C_MERCHANT]]);
    t->merchant = (uint32_t)u;
    if (parse_fixed(f[pos[C_AMOUNT]], 2, &t->cents) || t->cents <= 0)
        return why_set(why, cap, "amount '%.32s' is not a positive amount",
                       f[pos[C_AMOUNT]]);
    if (parse_fixed(f[pos[C_LAT]], 5, &v) || v < -9000000 || v > 9000000)
        return why_set(why, cap, "lat '%.32s' is not in [-90, 90]",
                       f[pos[C_LAT]]);
    t->lat_e5 = (int32_t)v;
    if (parse_fixed(f[pos[C_LON]], 5, &v) || v < -18000000 || v > 18000000)
        return why_set(why, cap, "lon '%.32s' is not in [-180, 180]",
                       f[pos[C_LON]]);
    t->lon_e5 = (int32_t)v;
    if (parse_u64(f[pos[C_DEVICE]], UINT32_MAX, &u))
        return why_set(why, cap, "device '%.32s' is not a 32-bit id",
                       f[pos[C_DEVICE]]);
    t->device = (uint32_t)u;
    t->label = FRAUD_UNLABELED;
    if (pos[C_LABEL] != NO_COL && *f[pos[C_LABEL]]) {
        int k = fraud_kind_parse(f[pos[C_LABEL]]);
        if (k < 0)
            return why_set(why, cap, "label '%.32s' is not a known kind",
                           f[pos[C_LABEL]]);
        t->label = (uint8_t)k;
    }
    return 0;
}

/* ---- reading a file ----------------------------------------------------- */

/* Keeps the errors of the lowest line numbers (duplicate ids are found
 * after the whole file is read, and one on line 3 must not be crowded out
 * by parse errors after it). Control characters of the input (a CR, an
 * escape sequence in a field) are shown as '?': the message goes to a
 * terminal. */
static void add_error(struct fraud_csv_result *r, size_t line, const char *why)
{
    r->bad++;
    size_t cap = sizeof r->errors / sizeof r->errors[0], at = r->n_errors;
    if (at == cap) {
        size_t worst = 0;
        for (size_t i = 1; i < cap; i++)
            if (r->errors[i].line > r->errors[worst].line)
                worst = i;
        if (r->errors[worst].line <= line)
            return;
        at = worst;
    } else {
        r->n_errors++;
    }
    r->errors[at].line = line;
    snprintf(r->errors[at].why, sizeof r->errors[0].why, "%s", why);
    cli_printable(r->errors[at].why);
}

struct keyed {
    uint64_t key; /* sort key */
    size_t seq;   /* then the input order */
};

static int by_key(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int by_line(const void *pa, const void *pb)
{
    const struct fraud_csv_error *a = pa, *b = pb;
    return (a->line > b->line) - (a->line < b->line);
}

/* Reads the header line into the column positions `pos` and the field
 * count *ncols (fs is scratch). Returns 0, -EINVAL (`why` says why) or
 * -ENOMEM. */
static int read_header(char *line, struct fields *fs, size_t *pos,
                       size_t *ncols, char *why, size_t cap)
{
    int rc = split(line, fs);
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0)
        return why_set(why, cap, "header: unterminated quote");
    for (int c = 0; c < C_COUNT; c++)
        pos[c] = NO_COL;
    for (size_t i = 0; i < fs->n; i++) {
        char *name = trim(fs->f[i]);
        for (int c = 0; c < C_COUNT; c++) {
            if (strcasecmp(name, col_names[c]))
                continue;
            if (pos[c] != NO_COL)
                return why_set(why, cap, "header: column '%s' twice",
                               col_names[c]);
            pos[c] = i;
        }
    }
    for (int c = 0; c < C_LABEL; c++)
        if (pos[c] == NO_COL)
            return why_set(why, cap,
                           "header: no '%s' column (need " FRAUD_CSV_HEADER
                           ", label optional)",
                           col_names[c]);
    *ncols = fs->n;
    return 0;
}

/* Reads one line into `line` (at most FRAUD_CSV_MAX_LINE bytes and a NUL).
 * A line ends at '\n' (Unix), "\r\n" (Windows) or a '\r' alone (old Mac
 * exports, some spreadsheets), or at the end of the input; the line end is
 * dropped and is not part of the limit. Returns the line's length (NUL
 * bytes inside count), -1 at the end of the input, -2 for a longer line
 * (what was read of it is lost), or -3 for a read error (errno says why).
 * The bound keeps an endless line (/dev/zero, a binary file) from growing
 * the memory. */
static ssize_t read_line(FILE *f, char *line)
{
    size_t n = 0;
    int c;
    while ((c = getc_unlocked(f)) != EOF) {
        if (c == '\n')
            break;
        if (c == '\r') {
            /* A '\n' right after is the same line end. The byte after
             * the '\r' may lie past stdio's buffer: getc refills it, and
             * the one byte of push-back stdio guarantees returns a byte
             * that begins the next line. */
            int d = getc_unlocked(f);
            if (d == EOF && ferror(f))
                return -3;
            if (d != '\n' && d != EOF && ungetc(d, f) == EOF)
                return -3;
            break;
        }
        if (n == FRAUD_CSV_MAX_LINE)
            return -2;
        line[n++] = (char)c;
    }
    if (c == EOF && ferror(f))
        return -3;
    if (c == EOF && n == 0)
        return -1;
    line[n] = '\0';
    return (ssize_t)n;
}

int fraud_csv_read(FILE *f, bool strict, struct fraud_csv_result *r)
{
    memset(r, 0, sizeof *r);
    char why[sizeof r->errors[0].why];
    size_t cap = 0;
    ssize_t len;
    char *line = malloc(FRAUD_CSV_MAX_LINE + 1);
    if (!line)
        return -ENOMEM;
    struct fields fs = {0};
    size_t pos[C_COUNT] = {0}, ncols = 0;
    int rc = 0;
    bool header = false;
    bool strict_stop = false; /* --strict stopped at a malformed line */
    size_t *lines = NULL; /* line number of each kept row */
    r->labelled = true;
    flockfile(f);
    while ((len = read_line(f, line)) != -1) {
        r->lines++;
        if (len == -3) {
            rc = -(errno ? errno : EIO);
            snprintf(why, sizeof why, "cannot read: %s", strerror(-rc));
            add_error(r, r->lines, why);
            break;
        }
        if (len == -2) {
            snprintf(why, sizeof why, "longer than %d bytes (not a CSV line)",
                     FRAUD_CSV_MAX_LINE);
            add_error(r, r->lines, why);
            rc = -EINVAL;
            break;
        }
        if ((size_t)len != strlen(line)) {
            add_error(r, r->lines, "NUL byte in the line");
            if (strict || !header) {
                rc = -EINVAL;
                break;
            }
            continue;
        }
        char *s = line;
        /* The UTF-8 byte order mark that Excel's "CSV UTF-8" writes. */
        if (!header && r->lines == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
            s += 3;
        s = trim(s);
        if (*s == '\0' || *s == '#')
            continue;
        if (!header) {
            rc = read_header(s, &fs, pos, &ncols, why, sizeof why);
            if (rc == -EINVAL)
                add_error(r, r->lines, why);
            if (rc != 0)
                break;
            header = true;
            continue;
        }
        struct fraud_txn t;
        int prc = parse_line(s, &fs, pos, ncols, &t, why, sizeof why);
        if (prc == -ENOMEM) {
            rc = prc;
            break;
        }
        if (prc != 0) {
            add_error(r, r->lines, why);
            if (strict) {
                rc = -EINVAL;
                strict_stop = true;
                break;
            }
            continue;
        }
        if (r->n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            struct fraud_txn *nt = realloc(r->txns, nc * sizeof *nt);
            size_t *nl = realloc(lines, nc * sizeof *nl);
            if (nt)
                r->txns = nt;
            if (nl)
                lines = nl;
            if (!nt || !nl) {
                rc = -ENOMEM;
                break;
            }
            cap = nc;
        }
        lines[r->n] = r->lines;
        r->txns[r->n++] = t;
    }
    funlockfile(f);
    free(line);
    free(fs.f);
    if (rc == 0 && !header) {
        add_error(r, r->lines + 1, "no header line (empty input)");
        rc = -EINVAL;
    }
    struct keyed *k = NULL;
    bool *drop = NULL;
    struct fraud_txn *sorted = NULL;
    /* Duplicate ids are looked for also when --strict stopped at a bad
     * line: one before it is the first malformed line. */
    bool dups = (rc == 0 || strict_stop) && r->n > 0;
    if (dups &&
        (!(k = malloc(r->n * sizeof *k)) || !(drop = calloc(r->n, 1)) ||
         !(sorted = malloc(r->n * sizeof *sorted)))) {
        rc = -ENOMEM;
        dups = false;
    }
    if (dups) {
        /* Duplicate ids: the first line keeps the id, later ones are the
         * malformed lines. */
        for (size_t i = 0; i < r->n; i++)
            k[i] = (struct keyed){r->txns[i].id, i};
        qsort(k, r->n, sizeof *k, by_key);
        size_t first = 0;
        for (size_t i = 1; i < r->n; i++) {
            if (k[i].key != k[first].key) {
                first = i;
                continue;
            }
            snprintf(why, sizeof why, "duplicate id %" PRIu64
                     " (first on line %zu)", k[i].key, lines[k[first].seq]);
            add_error(r, lines[k[i].seq], why);
            drop[k[i].seq] = true;
            if (strict)
                rc = -EINVAL;
        }
    }
    if (rc == 0 && r->n > 0) {
        /* Sort by time, stable: equal timestamps keep the file's order. */
        size_t m = 0;
        for (size_t i = 0; i < r->n; i++)
            if (!drop[i])
                k[m] = (struct keyed){(uint64_t)r->txns[i].ts_ms, i}, m++;
        qsort(k, m, sizeof *k, by_key);
        for (size_t i = 0; i < m; i++) {
            sorted[i] = r->txns[k[i].seq];
            if (sorted[i].label == FRAUD_UNLABELED)
                r->labelled = false;
        }
        free(r->txns);
        r->txns = sorted;
        sorted = NULL;
        r->n = m;
    }
    if (r->n == 0)
        r->labelled = false;
    free(k);
    free(drop);
    free(sorted);
    free(lines);
    if (rc != 0) {
        free(r->txns);
        r->txns = NULL;
        r->n = 0;
    }
    qsort(r->errors, r->n_errors, sizeof r->errors[0], by_line);
    if (strict && rc == -EINVAL && r->n_errors > 1) {
        /* --strict rejects the file at its first malformed line, and
         * names that line alone: the duplicate ids found after the
         * reading stopped (every later copy of an id) listed up to 16
         * lines and "N more malformed lines" for one refusal. */
        r->n_errors = 1;
        r->bad = 1;
    }
    return rc;
}

void fraud_csv_free(struct fraud_csv_result *r)
{
    free(r->txns);
    r->txns = NULL;
    r->n = 0;
}
