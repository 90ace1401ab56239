/* SPDX-License-Identifier: MIT */
/* report-dirs.c: the report's directories (--out, data/, plots/), made, checked and opened once; every file of the report is reached through them. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "report-parts.h"

/* Why a directory of the report, as `sb` describes it, is not one only we
 * can change; NULL when it is. `shared_ok` (the report's own directory):
 * root's will do, and so will one that others may write when it is ours
 * and sticky, as /tmp is (nobody else may rename or remove our entries
 * there). data/ and plots/ must be ours, and only ours to write: nobody
 * else may add a name there for a report file to be opened through. */
static const char *not_ours(const struct stat *sb, bool shared_ok)
{
    bool mine = sb->st_uid == geteuid();
    if (S_ISLNK(sb->st_mode))
        return "a symbolic link";
    if (!S_ISDIR(sb->st_mode))
        return "no directory";
    if (!mine && !(shared_ok && sb->st_uid == 0))
        return "another user's";
    if ((sb->st_mode & (S_IWGRP | S_IWOTH)) &&
        !(shared_ok && mine && (sb->st_mode & S_ISVTX)))
        return "writable by other users";
    return NULL;
}

/* Opens (O_PATH) r->out's subdirectory `sub`, made (0755) when missing,
 * and checks it as not_ours says: the descriptor, or -errno with why. */
static int open_sub(const struct report *r, const char *sub, char *why,
                    size_t cap)
{
    if (mkdirat(r->dir, sub, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        snprintf(why, cap, "cannot create %s/%s: %s", r->out, sub,
                 strerror(e));
        return -e;
    }
    /* The name itself, not what a link there leads to. */
    int fd = openat(r->dir, sub, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    const char *bad = fd < 0 || fstat(fd, &sb) != 0 ? strerror(errno)
                                                    : not_ours(&sb, false);
    if (bad) {
        snprintf(why, cap, "%s/%s is %s: a report writes only into its own "
                           "directories", r->out, sub, bad);
        if (fd >= 0)
            close(fd);
        return -EPERM;
    }
    return fd;
}

int report_dirs_open(struct report *r, char *why, size_t cap)
{
    r->dir = r->data = r->plots = -1;
    int fd = cli_dir_open(r->out, true, why, cap);
    if (fd < 0)
        return fd;
    /* What the descriptor is decides: the name may change meanwhile, the
     * directory it holds does not. */
    struct stat sb;
    const char *bad = fstat(fd, &sb) != 0 ? strerror(errno)
                                          : not_ours(&sb, true);
    if (bad) {
        snprintf(why, cap, "%s is %s: a report is written only into a "
                           "directory no other user can change", r->out, bad);
        close(fd);
        return -EPERM;
    }
    r->dir = fd;
    if ((r->data = open_sub(r, "data", why, cap)) < 0 ||
        (r->plots = open_sub(r, "plots", why, cap)) < 0) {
        int rc = r->data < 0 ? r->data : r->plots;
        report_dirs_close(r);
        return rc;
    }
    return 0;
}

void report_dirs_close(struct report *r)
{
    int *fds[] = {&r->dir, &r->data, &r->plots};
    for (size_t i = 0; i < 3; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

int report_dir_of(const struct report *r, const char *rel, const char **name,
                  char *shown, size_t cap)
{
    static const char *const subs[] = {"data/", "plots/"};
    const int fds[] = {r->data, r->plots};
    *name = rel;
    int dir = r->dir;
    for (size_t i = 0; i < 2; i++)
        if (!strncmp(rel, subs[i], strlen(subs[i]))) {
            *name = rel + strlen(subs[i]);
            dir = fds[i];
        }
    if (shown)
        snprintf(shown, cap, "%s%s%.*s", r->out, *name > rel ? "/" : "",
                 (int)(*name > rel ? *name - rel - 1 : 0), rel);
    return dir;
}
