/* SPDX-License-Identifier: MIT */
/* report-data.c: reading the experiments' JSON for the report, and numbers written for people. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advise-model.h"
#include "fmt.h"
#include "report-parts.h"

/* "12.3", "1,234", "0.0123": a number for a table, 3-4 significant digits. */
const char *report_fmt_num(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        snprintf(buf, cap, "—");
    else if (v == floor(v) && fabs(v) < 1e15) {
        /* Integers with thousands separators (below 10^15 a double
         * holds them exactly, so the uint64_t conversion is exact). */
        size_t k = 0;
        if (v < 0 && cap > 1)
            buf[k++] = '-';
        fmt_commas((uint64_t)fabs(v), buf + k, cap - k);
    } else if (fabs(v) >= 100)
        snprintf(buf, cap, "%.0f", v);
    else if (fabs(v) >= 10)
        snprintf(buf, cap, "%.1f", v);
    else if (fabs(v) >= 1)
        snprintf(buf, cap, "%.2f", v);
    else
        snprintf(buf, cap, "%.3g", v);
    return buf;
}

/* A duration in ns as "85 ns", "12.3 µs", "4.56 ms", "1.23 s" (the
 * advisor's formatter), or "—" when there is no figure. */
const char *report_fmt_ns(char *buf, size_t cap, double ns)
{
    if (!isfinite(ns)) {
        snprintf(buf, cap, "—");
        return buf;
    }
    return adv_fmt_ns(buf, cap, ns);
}

const char *report_fmt_ns_spread(char *buf, size_t cap, double p50,
                                 double p99)
{
    char a[32], b[32];
    if (!isfinite(p99))
        return report_fmt_ns(buf, cap, p50);
    snprintf(buf, cap, "%s (p99 %s)", report_fmt_ns(a, sizeof a, p50),
             report_fmt_ns(b, sizeof b, p99));
    return buf;
}

const char *report_fmt_pct(char *buf, size_t cap, double pct)
{
    if (!isfinite(pct))
        snprintf(buf, cap, "—");
    else
        snprintf(buf, cap, fabs(pct) >= 9.95 ? "%.0f %%" : "%.1f %%", pct);
    return buf;
}

const char *report_fmt_rate(char *buf, size_t cap, double per_s)
{
    if (!isfinite(per_s) || per_s < 0)
        snprintf(buf, cap, "—");
    else if (per_s >= 999.5e3)
        snprintf(buf, cap, "%.3g M/s", per_s / 1e6);
    else if (per_s >= 999.5)
        snprintf(buf, cap, "%.3g k/s", per_s / 1e3);
    else
        snprintf(buf, cap, "%.3g /s", per_s);
    return buf;
}

/* First member named `key` anywhere under `j` (depth first). */
const struct json *report_jfind(const struct json *j, const char *key)
{
    if (!j)
        return NULL;
    if (j->type == JSON_OBJECT) {
        const struct json *v = json_get(j, key);
        if (v)
            return v;
    }
    if (j->type == JSON_OBJECT || j->type == JSON_ARRAY)
        for (size_t i = 0; i < j->n; i++) {
            const struct json *v = report_jfind(j->items[i], key);
            if (v)
                return v;
        }
    return NULL;
}

double report_jnum(const struct json *j, const char *key)
{
    return json_num(report_jfind(j, key), NAN);
}

bool report_array_of_objects(const struct json *v)
{
    if (v->type != JSON_ARRAY || v->n == 0)
        return false;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->type != JSON_OBJECT)
            return false;
    return true;
}

/* The label of a row's check interval: "auto", "1", "1000"... */
const char *report_interval_label(const struct json *row, char *buf,
                                  size_t cap)
{
    /* fraud's rows say "check_every": null with "check_mode": "auto". */
    static const char *const keys[] = {"check_every", "interval", "every", "k",
                                       "check_mode"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const struct json *v = json_get(row, keys[i]);
        if (!v)
            continue;
        if (v->type == JSON_STRING)
            return v->str;
        if (v->type == JSON_NUMBER) {
            snprintf(buf, cap, "%.0f", v->num);
            return buf;
        }
    }
    return NULL;
}

/* X position of an interval on a log axis; "auto" is drawn at the interval
 * it settled on when the row says so, else not at all. */
double report_interval_x(const struct json *row, const char *label)
{
    if (strcmp(label, "auto") != 0)
        return atof(label);
    static const char *const keys[] = {"auto_k", "auto_every", "every_used",
                                       "check_every_used", "every_max"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double v = json_num(json_get(row, keys[i]), NAN);
        if (isfinite(v) && v > 0)
            return v;
    }
    return NAN;
}

/* The first array of row objects under `j` that has member `key`. */
const struct json *report_rows_with(const struct json *j, const char *key)
{
    if (!j)
        return NULL;
    if (report_array_of_objects(j) && json_get(j->items[0], key))
        return j;
    if (j->type == JSON_OBJECT || j->type == JSON_ARRAY)
        for (size_t i = 0; i < j->n; i++) {
            const struct json *v = report_rows_with(j->items[i], key);
            if (v)
                return v;
        }
    return NULL;
}

/* The workload column of interval rows ("work": cheap / heavy). */
const char *report_work_key(const struct json *rows)
{
    return json_get(rows->items[0], "work") ? "work" : "workload";
}

/* (report-parts.h) */
double report_us(const struct json *row, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "%s_ns", name);
    double v = json_num(json_get(row, key), NAN) / 1e3;
    if (isfinite(v))
        return v;
    snprintf(key, sizeof key, "%s_us", name);
    return json_num(json_get(row, key), NAN);
}

/* A spectrum row's cost per operation in ns, quantile `q` ("p50",
 * "p99"): adv_row_ns, else (p50) the oldest files' ns_per_op. */
static double row_ns_q(const struct json *row, const char *q)
{
    double v = adv_row_ns(row, q);
    return isfinite(v) || strcmp(q, "p50")
               ? v
               : json_num(json_get(row, "ns_per_op"), NAN);
}

static double row_ns(const struct json *row)
{
    return row_ns_q(row, "p50");
}

size_t report_spectrum_rows(const struct json *j, struct spec_row *out,
                            size_t cap)
{
    size_t n = 0;
    const struct json *now = report_rows_with(j, "per_op_p50_ps");
    const struct json *srcs[3] = {now ? now
                                      : report_rows_with(j, "ns_per_op_p50"),
                                  report_rows_with(j, "ns_per_op"),
                                  json_path(j, "python.rows")};
    for (int k = 0; k < 3; k++) {
        const struct json *rows = srcs[k];
        if (!rows || !report_array_of_objects(rows) ||
            (k == 1 && rows == srcs[0]))
            continue;
        for (size_t i = 0; i < rows->n && n < cap; i++) {
            const struct json *row = rows->items[i];
            const char *mech = json_str(json_get(row, "mechanism"));
            const char *impl = json_str(json_get(row, "impl"));
            double v = row_ns(row);
            if (!mech || !isfinite(v) || v <= 0)
                continue;
            bool py = k == 2 || (impl && !strcmp(impl, "python"));
            bool dup = false;
            for (size_t d = 0; d < n; d++)
                dup |= out[d].python == py && !strcmp(out[d].mech, mech);
            if (!dup)
                out[n++] = (struct spec_row){
                    mech, py, v, row_ns_q(row, "p99")};
        }
    }
    return n;
}

/* A spectrum mechanism's ns: the row named exactly `name` (else the first
 * whose name contains it), of Python or of C. */
double report_spectrum_value(const struct json *j, const char *name,
                             bool python)
{
    struct spec_row rows[128];
    size_t n = report_spectrum_rows(j, rows, 128);
    for (size_t i = 0; i < n; i++)
        if (rows[i].python == python && !strcmp(rows[i].mech, name))
            return rows[i].ns;
    for (size_t i = 0; i < n; i++)
        if (rows[i].python == python && strstr(rows[i].mech, name))
            return rows[i].ns;
    return NAN;
}

/* The spectrum's mechanisms as a reader calls them (under 32 bytes: they
 * label a plot's bars too). */
static const char *const mech_labels[][2] = {
    {"flag_check", "flag check (read)"},
    /* lock-free in every column (Python's is Value(lock=False)); the
     * synchronized Value read is the flag check's row */
    {"value_get", "Value read (no lock)"},
    {"value_set", "Value write"},
    {"array_read", "Array element read"},
    {"array_write", "Array element write"},
    {"region_read", "shared-memory read"},
    {"flag_claim_cas", "claim the flag (CAS)"},
    {"flag_claim_lock", "claim the flag (lock)"},
    {"queue_roundtrip", "queue round trip"},
    {"pipe_roundtrip", "pipe round trip"},
    {"unix_socket_roundtrip", "Unix socket round trip"},
    {"manager_get", "Manager dict get"},
    {"manager_get_block", "Manager get, blocking client"},
    {"manager_set", "Manager dict set"},
    {"manager_incr", "Manager increment"},
    {"manager_batch100_get", "Manager batched get (per item)"},
    {NULL, NULL}};

const char *report_label(const char *const (*names)[2], const char *name,
                         char *buf, size_t cap)
{
    for (size_t i = 0; name && names && names[i][0]; i++)
        if (!strcmp(names[i][0], name))
            return names[i][1];
    snprintf(buf, cap, "%s", name ? name : "?");
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = ' ';
    return buf;
}

const char *report_mech_label(const char *mech, char *buf, size_t cap)
{
    return report_label(mech_labels, mech, buf, cap);
}
