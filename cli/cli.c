/* SPDX-License-Identifier: MIT */
/* cli.c: shared helpers of the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "coord%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool cli_parse_u64(const char *cmd, const char *opt, const char *text,
                   uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    int r = text ? opt_parse_u64(text, &v) : -1;
    if (r < 0) {
        cli_error(cmd, "%s needs a whole number (k, M, G: 10^3, 10^6, 10^9), "
                  "got '%s'%s", opt, text ? text : "",
                  r == -2 ? ", too large" : "");
        return false;
    }
    if (v < min || v > max) {
        cli_error(cmd, "%s must be in [%llu, %llu], got %llu", opt,
                  (unsigned long long)min, (unsigned long long)max,
                  (unsigned long long)v);
        return false;
    }
    *out = v;
    return true;
}

int cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
            const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        cli_error(cmd, "option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

bool cli_progress_enabled(void)
{
    return isatty(STDERR_FILENO) == 1;
}

void cli_progress(const char *cmd, const char *fmt, ...)
{
    if (!cli_progress_enabled())
        return;
    va_list ap;
    fprintf(stderr, "\r\033[K%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

void cli_progress_done(void)
{
    if (cli_progress_enabled())
        fputs("\r\033[K", stderr);
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cli_percentile(double *v, size_t n, double pct)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    double pos = pct / 100.0 * (double)(n - 1);
    size_t lo = (size_t)pos;
    if (lo + 1 >= n)
        return v[n - 1];
    double frac = pos - (double)lo;
    return v[lo] + (v[lo + 1] - v[lo]) * frac;
}
