/* SPDX-License-Identifier: MIT */
/* cli.c: shared helpers of the subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* May a symlink owned by `owner` be followed to an output file? Only when
 * the caller or root owns it: anyone else may have planted it (in /tmp, or
 * any directory they may write) to make the caller write over a file they
 * cannot write themselves. The kernel's fs.protected_symlinks asks the
 * same of links in sticky world-writable directories, but only there. */
static bool link_trusted(uid_t owner)
{
    return owner == geteuid() || owner == 0;
}

/* `hops`: how many trusted links led to the refused one. */
static void refusal(char *why, size_t cap, const char *path, int hops,
                    uid_t owner)
{
    snprintf(why, cap,
             "refusing to write %s: %s a symlink owned by uid %u, neither "
             "you nor root",
             path, hops ? "it leads to" : "it is", (unsigned)owner);
}

bool cli_output_link_ok(const char *path, char *why, size_t cap)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode) ||
        link_trusted(st.st_uid))
        return true;
    refusal(why, cap, path, 0, st.st_uid);
    return false;
}

/* The last component of `name` (relative to *dfd) is a symlink (an open
 * with O_NOFOLLOW said ELOOP): if the caller or root owns it, put its
 * target in `name` and the link's directory, where a relative target
 * starts, in *dfd. The link itself is opened (O_PATH) and its owner and
 * target are read from that descriptor, so both are that one link's even
 * if the name is replaced meanwhile. Returns 0 or an errno: EPERM with
 * *owner when the link is refused, ELOOP when the last component is no
 * link (a loop on the way). */
static int follow_link(int *dfd, char *name, size_t cap, uid_t *owner)
{
    char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    if (slash)
        *slash = '\0';
    int dir = openat(*dfd, !slash ? "." : slash == name ? "/" : name,
                     O_PATH | O_DIRECTORY | O_CLOEXEC);
    int lfd = dir >= 0 && *base
                  ? openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC)
                  : -1;
    struct stat st;
    ssize_t n = -1;
    int e = 0;
    if (lfd < 0 || fstat(lfd, &st) != 0 || !S_ISLNK(st.st_mode))
        e = ELOOP;
    else if (!link_trusted(st.st_uid)) {
        *owner = st.st_uid;
        e = EPERM;
    } else if ((n = readlinkat(lfd, "", name, cap)) < 0)
        e = errno;
    else if ((size_t)n >= cap)
        e = ENAMETOOLONG;
    if (lfd >= 0)
        close(lfd);
    if (e) {
        if (dir >= 0)
            close(dir);
        return e;
    }
    name[n] = '\0';
    if (*dfd != AT_FDCWD)
        close(*dfd);
    *dfd = dir;
    return 0;
}

int cli_create_file(const char *path, char *why, size_t cap)
{
    /* O_NOFOLLOW: a symlink at the last component is followed only by
     * follow_link's rule, never by the open itself. */
    const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK |
                      O_NOFOLLOW;
    char name[PATH_MAX];
    const char *at = path;
    int dfd = AT_FDCWD, fd, e = 0;
    uid_t owner = (uid_t)-1;
    int links;
    for (links = 0;; links++) {
        fd = openat(dfd, at, flags, 0644);
        if (fd >= 0)
            break;
        e = errno;
        if (e != ELOOP || links == CLI_OUTPUT_LINKS)
            break;
        if (at == path) {
            size_t len = strlen(path);
            if (len >= sizeof name) {
                e = ENAMETOOLONG;
                break;
            }
            memcpy(name, path, len + 1);
            at = name;
        }
        if ((e = follow_link(&dfd, name, sizeof name, &owner)) != 0)
            break;
    }
    if (dfd != AT_FDCWD)
        close(dfd);
    if (fd < 0) {
        if (owner != (uid_t)-1)
            refusal(why, cap, path, links, owner);
        else
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

FILE *cli_create_stream(const char *path, int *err, char *why, size_t cap)
{
    int fd = cli_create_file(path, why, cap);
    if (fd < 0) {
        *err = fd;
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        *err = -errno;
        snprintf(why, cap, "cannot write %s: %s", path, strerror(-*err));
        close(fd);
    }
    return f;
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
