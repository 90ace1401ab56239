/* SPDX-License-Identifier: MIT */
/* fmt.c: thousands separators and durations by magnitude for the commands' tables. */
#include <math.h>
#include <stdio.h>

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

const char *fmt_dur(double ns, char *buf, size_t cap)
{
    if (!isfinite(ns) || ns < 0)
        snprintf(buf, cap, "-");
    else if (ns < 1000)
        snprintf(buf, cap, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, cap, "%.1f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, cap, "%.2f ms", ns / 1e6);
    else
        snprintf(buf, cap, "%.2f s", ns / 1e9);
    return buf;
}
