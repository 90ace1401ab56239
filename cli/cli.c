/* SPDX-License-Identifier: MIT */
/* cli.c: shared helpers of the subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "coord%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_cpus_usable(void)
{
    /* The library's own count (what its wait policy and default worker
     * counts use), through its public API: coord_search_opts_init sets
     * the workers to it (at most COORD_SEARCH_MAX_WORKERS). */
    coord_search_opts o;
    coord_search_opts_init(&o, 0, 1);
    return o.workers > 0 ? (int)o.workers : 1;
}

void cli_printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

int cli_create_file(const char *path, char *why, size_t cap)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK,
                  0644);
    if (fd < 0) {
        int e = errno;
        snprintf(why, cap, "cannot create %s: %s", path,
                 e == ENXIO ? "a FIFO nobody reads" : strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, cap, "cannot write %s: not a regular file", path);
        close(fd);
        return -EINVAL;
    }
    fcntl(fd, F_SETFL, 0);
    return fd;
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
