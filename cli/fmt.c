/* SPDX-License-Identifier: MIT */
/* fmt.c: numbers for people: thousands separators, significant digits with k/M suffixes, durations in the unit their size calls for. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

const char *fmt_commas(uint64_t v, char *buf, size_t cap)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *fmt_count(double v, char *buf, size_t cap)
{
    if (!isfinite(v) || v < 0 || v >= 1.8e19) {
        snprintf(buf, cap, "-");
        return buf;
    }
    return fmt_commas((uint64_t)llround(v), buf, cap);
}

const char *fmt_dur(double ns, char *buf, size_t cap)
{
    if (!isfinite(ns) || ns < 0)
        snprintf(buf, cap, "-");
    /* Each unit up to where its rounding would print 1000 of it: 999.6 ns
     * is "1.0 us", not "1000 ns". */
    else if (ns < 999.5)
        snprintf(buf, cap, "%.0f ns", ns);
    else if (ns < 999.95e3)
        snprintf(buf, cap, "%.1f us", ns / 1e3);
    else if (ns < 999.995e6)
        snprintf(buf, cap, "%.2f ms", ns / 1e6);
    else
        snprintf(buf, cap, "%.2f s", ns / 1e9);
    return buf;
}

/* "1,000" from "1000": thousands separators in the integer part. */
static void group_thousands(char *b, size_t cap)
{
    char *s = b + (*b == '-');
    size_t digits = strspn(s, "0123456789");
    if (digits <= 3 || s[digits] == 'e')
        return;
    size_t commas = (digits - 1) / 3;
    if (strlen(b) + commas + 1 > cap)
        return;
    memmove(s + digits + commas, s + digits, strlen(s + digits) + 1);
    for (size_t i = digits, out = digits + commas; i > 0;) {
        for (int k = 0; k < 3 && i > 0; k++)
            s[--out] = s[--i];
        if (i > 0)
            s[--out] = ',';
    }
}

/* v rounded to `sig` significant digits (so that 999.96 is chosen as 1,000
 * before the unit is). */
static double round_sig(double v, int sig)
{
    if (v == 0 || !isfinite(v))
        return v;
    double e = floor(log10(fabs(v))) - (sig - 1);
    double s = pow(10, e);
    return round(v / s) * s;
}

const char *fmt_sig(double v, int sig, char *b, size_t cap)
{
    static const char *const suffix[] = {"k", "M", "G", "T"};
    v = round_sig(v, sig);
    double a = fabs(v);
    if (a >= 1e4 && a < 1e15) {
        int k = 0;
        double s = 1e3;
        while (a >= s * 1e3 && k < 3) {
            s *= 1e3;
            k++;
        }
        snprintf(b, cap, "%.*g%s", sig, v / s, suffix[k]);
        return b;
    }
    snprintf(b, cap, "%.*g", a >= 1 && a < 1e4 ? 6 : sig, v);
    group_thousands(b, cap);
    return b;
}

const char *fmt_sig_ns(double ns, int sig, char *b, size_t cap)
{
    static const struct {
        double scale;
        const char *name;
    } u[] = {{1, "ns"}, {1e3, "µs"}, {1e6, "ms"}, {1e9, "s"}};
    char num[40];
    ns = round_sig(ns, sig);
    double a = fabs(ns);
    size_t k = 0;
    while (k < 3 && a >= u[k + 1].scale)
        k++;
    fmt_sig(ns / u[k].scale, sig, num, sizeof num);
    snprintf(b, cap, "%s %s", num, u[k].name);
    return b;
}
