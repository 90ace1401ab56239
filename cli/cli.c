/* SPDX-License-Identifier: MIT */
/* cli.c: shared helpers of the subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    /* One line whatever the arguments hold: a newline or an escape
     * sequence in a word the message quotes (an unknown command or
     * option, a bad value, a path) is shown as '?', as cli_printable
     * shows the input's (it split the line, or reached the terminal). */
    char small[1024], *msg = small;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL)
        vsnprintf(msg, (size_t)n + 1, fmt, again);
    va_end(again);
    if (!msg)
        msg = small; /* cut short rather than not said */
    if (n < 0)
        small[0] = '\0';
    cli_printable(msg);
    fprintf(stderr, "coord%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    if (msg != small)
        free(msg);
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

/* The length of the well-formed UTF-8 sequence at s (2..4) that starts
 * with a byte of 0x80 or more, or 0 when it is none. Well-formed as
 * Unicode's table 3-7 says: the second byte's range shuts out overlong
 * forms (E0 80..9F, F0 80..8F: E0 82 9B is CSI, U+009B, in three bytes),
 * surrogates (ED A0..BF) and code points past U+10FFFF (F4 90..BF). */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (n && (s[1] < lo || s[1] > hi))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

void cli_printable(char *s)
{
    /* C0 controls and DEL; the C1 controls too (U+0080..U+009F: CSI is
     * U+009B), which a terminal may obey as the escape sequences they
     * stand for, whether written as UTF-8 (0xC2 0x80..0x9F) or as the
     * bare byte, which is no UTF-8 at all; so is any other byte that is
     * not part of well-formed UTF-8. Each byte of them shows as '?', so
     * the text keeps its length. */
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f) {
            *p++ = '?';
            continue;
        }
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_seq(p);
        if (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f) {
            p[0] = p[1] = '?';
            p += 2;
        } else if (n) {
            p += n;
        } else {
            *p++ = '?';
        }
    }
}

/* May a symlink, or an existing file in a directory others can write,
 * owned by `owner` be followed or written into? Only when the caller or
 * root owns it: anyone else may have planted it (in /tmp, or any directory
 * they may write) to make the caller write over a file they cannot write
 * themselves, or to read what the caller writes. The kernel's
 * fs.protected_symlinks and fs.protected_regular ask much the same in
 * sticky world-writable directories, but only when they are switched on. */
static bool owner_trusted(uid_t owner)
{
    return owner == geteuid() || owner == 0;
}

/* The one line for a symlink another user owns: `link` says where it is
 * ("it is a symlink", "it leads to a symlink", "a symlink on its way
 * is"). */
static void refusal(char *why, size_t cap, const char *path, const char *link,
                    uid_t owner)
{
    snprintf(why, cap,
             "refusing to write %s: %s owned by uid %u, neither you nor root",
             path, link, (unsigned)owner);
}

/* Linux's null device (character device 1, 3), whatever its name: writing
 * there loses nothing that was asked to be kept, never blocks and has no
 * other effect, so `--write-csv /dev/null` is allowed (any other device is
 * refused, and never opened for writing). */
static bool is_dev_null(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 &&
           minor(st->st_rdev) == 3;
}

/* May others (neither the caller nor root) add or replace names in the
 * directory `ds` describes? Its owner, when that is another user, and its
 * group or the world, when its mode lets them write it. */
static bool others_may_write(const struct stat *ds)
{
    return !owner_trusted(ds->st_uid) || (ds->st_mode & (S_IWGRP | S_IWOTH));
}

/* May the existing file `st` in directory `dir` (an O_PATH descriptor) be
 * written as `path`? 0, or a refusal in why[cap]: -EINVAL for anything but
 * a regular file or the null device; -EPERM for a file of another user
 * (neither the caller nor root) in a sticky directory that others may
 * write (group or world): they may have made it in advance to read, or
 * later swap, what we write (the rule of fs.protected_regular=2, applied
 * whatever that setting says); -EPERM too for a file with more than one
 * link in a directory others may write (others_may_write, sticky or
 * not): its other name may be a file of ours elsewhere (~/.bashrc, linked
 * into /tmp by someone who may not write it: the case of
 * fs.protected_hardlinks, applied whatever that setting says), which the
 * write would cut. A file of another user elsewhere, in a directory they
 * could not plant it in without our leave, is written; so is a file with
 * several links in a directory only we (or root) may change: only we
 * could have made that name, so the other names are ours to keep in step
 * (as the shell's `>` does). */
static int check_existing(const struct stat *st, int dir, const char *path,
                          int hops, char *why, size_t cap)
{
    if (is_dev_null(st))
        return 0;
    if (!S_ISREG(st->st_mode)) {
        snprintf(why, cap, "cannot write %s: not a regular file (%s)", path,
                 S_ISFIFO(st->st_mode)  ? "a FIFO"
                 : S_ISDIR(st->st_mode) ? "a directory"
                 : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)
                     ? "a device"
                     : "a socket");
        return -EINVAL;
    }
    if (owner_trusted(st->st_uid) && st->st_nlink <= 1)
        return 0;
    struct stat ds;
    if (fstat(dir, &ds) != 0) {
        int e = errno;
        snprintf(why, cap, "cannot write %s: %s", path, strerror(e));
        return -e;
    }
    const char *is = hops ? "it leads to" : "it is";
    if (!owner_trusted(st->st_uid) && (ds.st_mode & S_ISVTX) &&
        (ds.st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(why, cap,
                 "refusing to write %s: %s a file owned by uid %u, neither "
                 "you nor root, in a sticky directory others can write",
                 path, is, (unsigned)st->st_uid);
        return -EPERM;
    }
    if (st->st_nlink > 1 && others_may_write(&ds)) {
        snprintf(why, cap,
                 "refusing to write %s: %s a file with %ju hard links, in a "
                 "directory others can write (another name of it may be a "
                 "file of yours)",
                 path, is, (uintmax_t)st->st_nlink);
        return -EPERM;
    }
    return 0;
}

/* Most links one path may pass through (the kernel's own limit). */
#define PATH_LINKS 40

/*
 * Opens, O_PATH, the directory `dirpath` names (relative to dfd; "/" and
 * absolute paths from the root), one component at a time and following a
 * link only by owner_trusted's rule, its owner and target read from the
 * link itself: a directory on the way that another user made a link (in a
 * directory they may write) would otherwise take our file, or a report's
 * files, into a directory of theirs or of a victim's. Returns the
 * descriptor, or -errno: -EPERM with *owner set for a refused link,
 * -ENOTDIR, -ELOOP (more than PATH_LINKS links), -ENAMETOOLONG, or the
 * error of an open. With `make`, a missing component is made (`mode`,
 * mkdirat in the directory the walk holds) and then walked as any other:
 * mkdir -p by name would follow the links this walk refuses.
 */
static int open_dir_walk(int dfd, const char *dirpath, bool make,
                         mode_t mode, uid_t *owner)
{
    char rest[PATH_MAX], comp[NAME_MAX + 1];
    size_t len = strlen(dirpath);
    if (len >= sizeof rest)
        return -ENAMETOOLONG;
    memcpy(rest, dirpath, len + 1);
    int cur = openat(rest[0] == '/' ? AT_FDCWD : dfd,
                     rest[0] == '/' ? "/" : ".",
                     O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return -errno;
    int links = 0, rc = 0;
    const char *p = rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, "/");
        if (n >= sizeof comp) {
            rc = -ENAMETOOLONG;
            break;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        p += n;
        int next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && make &&
            (mkdirat(cur, comp, mode) == 0 || errno == EEXIST))
            next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (next < 0 || fstat(next, &st) != 0) {
            rc = -errno;
            if (next >= 0)
                close(next);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            close(cur);
            cur = next;
            continue;
        }
        if (!S_ISLNK(st.st_mode)) {
            close(next);
            rc = -ENOTDIR;
            break;
        }
        /* A link: its target, then what was left, from here on. */
        char target[PATH_MAX];
        ssize_t t = -1;
        if (!owner_trusted(st.st_uid)) {
            *owner = st.st_uid;
            rc = -EPERM;
        } else if (++links > PATH_LINKS)
            rc = -ELOOP;
        else if ((t = readlinkat(next, "", target, sizeof target)) < 0)
            rc = -errno;
        else if ((size_t)t + 1 + strlen(p) >= sizeof target)
            rc = -ENAMETOOLONG;
        close(next);
        if (!rc && t < 0)
            rc = -EIO; /* cannot happen; says so to the compiler too */
        if (rc)
            break;
        target[t] = '\0';
        memcpy(target + t, p, strlen(p) + 1); /* p starts at '/' or is "" */
        memcpy(rest, target, strlen(target) + 1);
        p = rest;
        if (rest[0] == '/') {
            close(cur);
            if ((cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                return -errno;
        }
    }
    if (rc) {
        close(cur);
        return rc;
    }
    return cur;
}

/* Opens, O_PATH, the directory that the last component of `name` is in
 * (relative to dfd, through open_dir_walk) and leaves only that component
 * in `name` ("." for a name ending in '/', which then names the directory
 * itself). Returns the descriptor or -errno (-EPERM with *owner: a link
 * on the way refused). */
static int open_parent(int dfd, char *name, uid_t *owner)
{
    char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    if (!*base)
        base = ".";
    if (slash)
        *slash = '\0';
    int dir = open_dir_walk(dfd, !slash ? "." : slash == name ? "/" : name,
                            false, 0, owner);
    memmove(name, base, strlen(base) + 1);
    return dir;
}

int cli_dir_open_mode(const char *path, bool make, mode_t mode, char *why,
                      size_t cap)
{
    uid_t owner = (uid_t)-1;
    int fd = open_dir_walk(AT_FDCWD, path, make, mode, &owner);
    if (fd >= 0)
        return fd;
    if (fd == -EPERM && owner != (uid_t)-1)
        refusal(why, cap, path, "a symlink on its way is", owner);
    else
        snprintf(why, cap, "cannot %s %s: %s", make ? "create" : "write into",
                 path, strerror(-fd));
    return fd;
}

int cli_dir_open(const char *path, bool make, char *why, size_t cap)
{
    return cli_dir_open_mode(path, make, 0755, why, cap);
}

void (*cli__output_hook)(int dir, const char *name);
void (*cli__opened_hook)(int dir, const char *name);

/* How often a name that changed between the look and the open (created,
 * replaced by a link or a FIFO, removed), or between the open and the
 * check of its links, is looked at again. */
#define OUTPUT_TRIES 4

/* Is the file open at `fd` (st: its fstat) still the one `name` names in
 * `dir`? Its link count is then read from that name (*now): a file whose
 * other name was removed between the open and this look reads 1 link on
 * the descriptor but is not at `name` any more, so it is not ours to
 * write. */
static bool still_named(int dir, const char *name, const struct stat *st,
                        struct stat *now)
{
    return fstatat(dir, name, now, AT_SYMLINK_NOFOLLOW) == 0 &&
           now->st_dev == st->st_dev && now->st_ino == st->st_ino;
}

/* cli_create_file_at's work; with `create` false, only its checks: 0 when
 * `rel` (relative to `base`, shown as `path`) may be created or written
 * (nothing is opened for writing, made or truncated). Each step stands on
 * a descriptor: the last component is looked at through an O_PATH
 * descriptor of its directory, without following a link (a link is
 * followed by owner_trusted's rule: its owner and target read from the
 * link itself, its target starting in the link's directory); what is
 * there is checked (check_existing) before it is opened for writing, so a
 * FIFO or a device is never opened, and again on the descriptor that was
 * opened, its links counted at its name (still_named), before anything is
 * truncated. */
/* A temporary name beside `name` in `dir` for a replacement of it (into
 * o->tmp), created empty with the mode of the file it replaces (`was`,
 * NULL: none, 0644 less the umask) and, as far as the system lets us,
 * its owner and group. Returns the descriptor or -errno. */
static int make_temp(int dir, const char *name, const struct stat *was,
                     struct cli_output *o)
{
    static _Atomic unsigned serial;
    int fd = -1, tries = 0;
    do {
        unsigned n = atomic_fetch_add(&serial, 1);
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20) ^
                     ((uint64_t)n * 0x9e3779b97f4a7c15ull);
        snprintf(o->tmp, sizeof o->tmp, ".%.200s.%06llx~", name,
                 (unsigned long long)(t & 0xffffff) ^ (unsigned long long)n);
        fd = openat(dir, o->tmp,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0644);
    } while (fd < 0 && errno == EEXIST && ++tries < 100);
    if (fd < 0)
        return -errno;
    if (was) {
        /* Best effort: a file of root's or another user's we may write
         * (owner_trusted) stays theirs where we may give it back. */
        if (fchmod(fd, was->st_mode & 0777) != 0 ||
            ((was->st_uid != geteuid() || was->st_gid != getegid()) &&
             fchown(fd, was->st_uid, was->st_gid) != 0)) {
            /* kept as made: ours, 0644 less the umask */
        }
    }
    return fd;
}

static int output_open(int base, const char *rel, const char *path,
                       bool create, struct cli_output *o, char *why,
                       size_t cap)
{
    char name[PATH_MAX];
    size_t len = strlen(rel);
    int dfd = base, fd = -1, rc = 0, hops = 0, tries = 0;
    if (o)
        *o = (struct cli_output){.fd = -1, .dir = -1};
    bool said = false;
    struct stat st, now;
    if (len >= sizeof name)
        rc = -ENAMETOOLONG;
    else
        memcpy(name, rel, len + 1);
    while (rc == 0) {
        uid_t owner = (uid_t)-1;
        int dir = open_parent(dfd, name, &owner);
        if (dfd != base)
            close(dfd);
        dfd = dir;
        if (dir < 0) {
            rc = dir;
            if (rc == -EPERM && owner != (uid_t)-1) {
                refusal(why, cap, path, "a symlink on its way is", owner);
                said = true;
            }
            break;
        }
        int pfd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0) {
            rc = -errno;
            if (rc != -ENOENT || !create) {
                /* Nothing there yet: fine where the directory takes a
                 * new name from us (said now, not after the work). */
                if (rc == -ENOENT)
                    rc = faccessat(dir, ".", W_OK | X_OK, AT_EACCESS) == 0
                             ? 0
                             : -errno;
                break;
            }
            if (o) {
                fd = make_temp(dir, name, NULL, o);
                rc = fd >= 0 ? 0 : fd;
                break;
            }
            fd = openat(dir, name,
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0644);
            rc = fd >= 0 ? 0 : -errno;
            if (rc == -EEXIST && ++tries < OUTPUT_TRIES)
                rc = 0; /* made meanwhile: look at it */
            else
                break;
            continue;
        }
        if (fstat(pfd, &st) != 0) {
            rc = -errno;
        } else if (S_ISLNK(st.st_mode)) {
            ssize_t n = -1;
            if (!owner_trusted(st.st_uid)) {
                refusal(why, cap, path,
                        hops ? "it leads to a symlink" : "it is a symlink",
                        st.st_uid);
                said = true;
                rc = -EPERM;
            } else if (hops == CLI_OUTPUT_LINKS) {
                rc = -ELOOP;
            } else if ((n = readlinkat(pfd, "", name, sizeof name)) < 0) {
                rc = -errno;
            } else if ((size_t)n >= sizeof name) {
                rc = -ENAMETOOLONG;
            } else {
                name[n] = '\0';
                hops++;
            }
            close(pfd);
            continue; /* the target, from the link's directory */
        } else {
            rc = check_existing(&st, dir, path, hops, why, cap);
            said = rc != 0;
        }
        close(pfd);
        /* The check alone: an existing file must be one we may write
         * (cli_output_begin replaces it through its directory, or writes
         * it in place where the directory refuses us, but never one we
         * could not have written). */
        if (rc == 0 && !create && S_ISREG(st.st_mode) &&
            faccessat(dir, name, W_OK, AT_EACCESS) != 0)
            rc = -errno;
        if (rc != 0 || !create)
            break;
        /* A file we may not write (read-only, another user's) is not
         * ours to replace either: refused as the open for writing
         * refused it (EACCES) before outputs were replaced whole. */
        if (o && !is_dev_null(&st) &&
            faccessat(dir, name, W_OK, AT_EACCESS) != 0) {
            rc = -errno;
            break;
        }
        struct stat ds;
        if (o && !is_dev_null(&st) &&
            !(geteuid() != 0 && st.st_uid != geteuid() &&
              fstat(dir, &ds) == 0 && (ds.st_mode & S_ISVTX) &&
              ds.st_uid != geteuid())) {
            /* Never opened: written beside it, renamed over it. Unless
             * the directory takes no new name from us (a file we may
             * write in a directory we may not): then in place, below.
             * So is a file of root's we may write in a sticky directory
             * that is not ours (/tmp): only the file's owner, the
             * directory's or root may rename over its name there (the
             * rename failed, EPERM, once the run was over). */
            fd = make_temp(dir, name, &st, o);
            rc = fd >= 0 ? 0 : fd;
            if (rc != -EACCES && rc != -EPERM)
                break;
            o->tmp[0] = '\0';
            fd = -1;
            rc = 0;
        }
        if (cli__output_hook)
            cli__output_hook(dir, name);
        /* Non-blocking: a FIFO put there since the look fails (ENXIO)
         * instead of waiting for a reader. No O_TRUNC: a file put there
         * since the look is checked before anything is cut. */
        fd = openat(dir, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            if ((rc == -ELOOP || rc == -ENXIO || rc == -ENOENT) &&
                ++tries < OUTPUT_TRIES)
                rc = 0; /* replaced since the look: look again */
            else
                break;
            continue;
        }
        if (cli__opened_hook)
            cli__opened_hook(dir, name);
        /* What was opened decides, not what was looked at; a regular file
         * is judged as it is at its name now, which must still be it. */
        if (fstat(fd, &st) != 0) {
            rc = -errno;
        } else if (S_ISREG(st.st_mode) && !still_named(dir, name, &st, &now)) {
            close(fd);
            fd = -1;
            rc = ++tries < OUTPUT_TRIES ? 0 : -EAGAIN;
            if (rc == 0)
                continue; /* moved or removed since the open: look again */
        } else {
            rc = check_existing(S_ISREG(st.st_mode) ? &now : &st, dir, path,
                                hops, why, cap);
            said = rc != 0;
        }
        if (rc == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
            rc = -errno;
            said = false;
        }
        if (rc == 0)
            fcntl(fd, F_SETFL, 0);
        break;
    }
    if (rc == 0 && o) {
        /* The directory stays open until cli_output_end: the rename
         * happens where the temporary was made, whatever moved since. */
        /* A name that was looked up in dir fits NAME_MAX. */
        size_t nl = strnlen(name, sizeof o->name);
        if (nl == sizeof o->name) {
            rc = -ENAMETOOLONG;
            if (o->tmp[0])
                unlinkat(dfd, o->tmp, 0);
        } else {
            memcpy(o->name, name, nl + 1);
            o->fd = fd;
            o->dir = dfd; /* open_parent's: never `base` */
            dfd = -1;
        }
    }
    if (dfd != base && dfd >= 0)
        close(dfd);
    if (rc < 0) {
        if (fd >= 0)
            close(fd);
        if (o)
            *o = (struct cli_output){.fd = -1, .dir = -1};
        if (!said)
            snprintf(why, cap, "cannot create %s: %s", path, strerror(-rc));
        return rc;
    }
    return create ? fd : 0;
}

/* `dir_path`/`name` into buf[cap] (`name` alone when dir_path is NULL):
 * the path the messages name. */
static const char *shown(char *buf, size_t cap, const char *dir_path,
                         const char *name)
{
    if (!dir_path)
        return name;
    snprintf(buf, cap, "%s/%s", dir_path, name);
    return buf;
}

int cli_create_file_at(int dir, const char *dir_path, const char *name,
                       char *why, size_t cap)
{
    char path[PATH_MAX + NAME_MAX + 2];
    return output_open(dir, name, shown(path, sizeof path, dir_path, name),
                       true, NULL, why, cap);
}

int cli_output_check_at(int dir, const char *dir_path, const char *name,
                        char *why, size_t cap)
{
    char path[PATH_MAX + NAME_MAX + 2];
    return output_open(dir, name, shown(path, sizeof path, dir_path, name),
                       false, NULL, why, cap);
}

int cli_create_file(const char *path, char *why, size_t cap)
{
    return cli_create_file_at(AT_FDCWD, NULL, path, why, cap);
}

int cli_output_check(const char *path, char *why, size_t cap)
{
    return cli_output_check_at(AT_FDCWD, NULL, path, why, cap);
}

int cli_output_status(int rc)
{
    switch (-rc) {
    case EPERM:
    case EINVAL:
    case EACCES:
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case EROFS:
    case ENXIO:
    case ETXTBSY:
        return CLI_USAGE;
    default:
        return CLI_RUNTIME;
    }
}

int cli_output_begin_at(struct cli_output *o, int dir, const char *dir_path,
                        const char *name, char *why, size_t cap)
{
    char buf[PATH_MAX + NAME_MAX + 2];
    /* shown() fills buf only with a dir_path: its result is the path. */
    const char *path = shown(buf, sizeof buf, dir_path, name);
    int fd = output_open(dir, name, path, true, o, why, cap);
    snprintf(o->shown, sizeof o->shown, "%s", path);
    return fd;
}

int cli_output_begin(struct cli_output *o, const char *path, char *why,
                     size_t cap)
{
    return cli_output_begin_at(o, AT_FDCWD, NULL, path, why, cap);
}

FILE *cli_output_stream_at(struct cli_output *o, int dir,
                           const char *dir_path, const char *name, int *err,
                           char *why, size_t cap)
{
    int fd = cli_output_begin_at(o, dir, dir_path, name, why, cap);
    if (fd < 0) {
        *err = fd;
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        *err = -errno;
        snprintf(why, cap, "cannot write %s: %s", o->shown, strerror(-*err));
        o->fd = -1;
        close(fd);
        cli_output_end(o, NULL, *err, why, cap);
        return NULL;
    }
    return f;
}

FILE *cli_output_stream(struct cli_output *o, const char *path, int *err,
                        char *why, size_t cap)
{
    return cli_output_stream_at(o, AT_FDCWD, NULL, path, err, why, cap);
}

int cli_output_end(struct cli_output *o, FILE *f, int rc, char *why,
                   size_t cap)
{
    if (o->dir < 0)
        return rc; /* never begun, or ended already */
    /* The flush says why a write failed (ENOSPC), where the stream's
     * error flag says only that one did (EIO). */
    if (f && fflush(f) != 0 && (rc == 0 || rc == -EIO) && errno)
        rc = -errno;
    else if (f && rc == 0 && ferror(f))
        rc = -EIO;
    /* Written in place (no temporary): a failed write leaves the file
     * empty, not its first part that would read as a shorter one. */
    int wfd = f ? fileno(f) : o->fd;
    if (!o->tmp[0] && rc != 0 && wfd >= 0 && ftruncate(wfd, 0) != 0) {
        /* the null device: nothing to cut */
    }
    if (f) {
        if (fclose(f) != 0 && rc == 0)
            rc = -errno;
    } else if (o->fd >= 0 && close(o->fd) != 0 && rc == 0) {
        rc = -errno;
    }
    o->fd = -1;
    if (o->tmp[0]) {
        if (rc == 0 && renameat(o->dir, o->tmp, o->dir, o->name) != 0)
            rc = -errno;
        if (rc != 0)
            unlinkat(o->dir, o->tmp, 0);
    }
    if (rc != 0)
        snprintf(why, cap, "cannot write %s: %s", o->shown, strerror(-rc));
    close(o->dir);
    o->dir = -1;
    return rc;
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
