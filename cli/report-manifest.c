/* SPDX-License-Identifier: MIT */
/* report-manifest.c: which files of a report directory coord wrote, so that a new report removes the earlier one's files it does not write again. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "report-parts.h"

/*
 * DIR/.coord-report-files lists every file a report wrote into DIR, one a
 * line after a first line that names the format:
 *
 *     coord-report-files 1
 *     DEV INO SIZE MTIME_NS PATH
 *
 * PATH is relative to DIR, and what the file was when coord had written it
 * (device, inode, size, modification time in ns) comes before it: a later
 * report removes a listed file only while it is still that file, so a file
 * someone changed or put in its place since is kept. While a report runs,
 * each file it writes is appended as it is listed (report_add_file), so the
 * files of a report that was stopped half-way are known to the next one.
 */
#define MANIFEST ".coord-report-files"
#define MANIFEST_TMP ".coord-report-files.tmp"
#define MAGIC "coord-report-files 1\n"

/* Is `p` a path a report writes: index.html, report.md, or a name in
 * data/ or plots/ (no '/', not hidden, no control character)? A manifest
 * is a file in a directory anyone may have written: what it names is
 * checked before coord removes anything by it. */
static bool report_path(const char *p)
{
    if (!strcmp(p, "index.html") || !strcmp(p, "report.md"))
        return true;
    const char *name = !strncmp(p, "data/", 5)    ? p + 5
                       : !strncmp(p, "plots/", 6) ? p + 6
                                                  : NULL;
    if (!name || !*name || *name == '.' || strlen(p) >= REPORT_PATH_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if (*c == '/' || (unsigned char)*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

/* The identity of r->out/rel (through the report's directory
 * descriptors) into *f; false when it is no regular file. */
static bool identify(const struct report *r, const char *rel,
                     struct report_file *f)
{
    const char *name;
    int dir = report_dir_of(r, rel, &name, NULL, 0);
    struct stat sb;
    if (fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(sb.st_mode))
        return false;
    snprintf(f->path, sizeof f->path, "%s", rel);
    f->dev = (uint64_t)sb.st_dev;
    f->ino = (uint64_t)sb.st_ino;
    f->size = (uint64_t)sb.st_size;
    f->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    return true;
}

static void put(FILE *f, const struct report_file *e)
{
    fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %s\n", e->dev,
            e->ino, e->size, e->mtime_ns, e->path);
}

/* Reads the earlier reports' files from r->out's manifest into r->old
 * (lines that do not parse, or name no path a report writes, are
 * dropped). Returns 0 (also when there is none) or -errno. */
static int read_old(struct report *r)
{
    char path[4400]; /* for the messages only: shown as cli_error shows it */
    snprintf(path, sizeof path, "%s/%s", r->out, MANIFEST);
    cli_printable(path);
    /* O_NONBLOCK: a FIFO planted at the name must not hang us here. */
    int fd = openat(r->dir, MANIFEST,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    /* Only a list we wrote ourselves says what we may remove: one written
     * by another user (into a directory it can write) could name a file of
     * ours in its place. */
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid()) {
        fprintf(stderr, "report: %s is not a list this user wrote; no "
                        "earlier file is removed\n", path);
        close(fd);
        return 0;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        int e = errno;
        close(fd);
        return -e;
    }
    char line[512];
    int rc = 0;
    if (!fgets(line, sizeof line, f) || strcmp(line, MAGIC) != 0) {
        fprintf(stderr, "report: %s is not a list of coord's files; no "
                        "earlier file is removed\n", path);
        fclose(f);
        return 0;
    }
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        struct report_file e;
        int at = -1;
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n')
            continue; /* cut short, or longer than any path of a report */
        line[n - 1] = '\0';
        if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %n",
                   &e.dev, &e.ino, &e.size, &e.mtime_ns, &at) != 4 ||
            at < 0 || !report_path(line + at))
            continue;
        snprintf(e.path, sizeof e.path, "%s", line + at);
        if (r->n_old == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct report_file *no = realloc(r->old, nc * sizeof *no);
            if (!no) {
                rc = -ENOMEM;
                break;
            }
            r->old = no;
            cap = nc;
        }
        r->old[r->n_old++] = e;
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    fclose(f);
    return rc;
}

/* Writes r->out's manifest anew (through a file renamed over it, so that
 * it is never half-written): `keep` entries of r->old, then each of
 * r->files that is a regular file. With `keep_open`, the file stays open
 * in *kept, positioned at its end, for report_manifest_note's lines (the
 * file renamed into place, never one opened again by name). Returns 0 or
 * -errno. */
static int write_manifest(const struct report *r, size_t keep,
                          FILE **kept)
{
    /* A new file of ours, never one found at the name (a FIFO there would
     * block the open, another user's file would take our list): an old
     * one of ours (a report killed between this open and the rename) goes
     * first; what we cannot remove (another user's, in a sticky
     * directory) fails the report. */
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(r->dir, MANIFEST_TMP, flags, 0644);
    if (fd < 0 && errno == EEXIST && unlinkat(r->dir, MANIFEST_TMP, 0) == 0)
        fd = openat(r->dir, MANIFEST_TMP, flags, 0644);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlinkat(r->dir, MANIFEST_TMP, 0);
        return -e;
    }
    fputs(MAGIC, f);
    for (size_t i = 0; i < keep; i++)
        put(f, &r->old[i]);
    for (size_t i = 0; i < r->n_files; i++) {
        struct report_file e;
        if (identify(r, r->files[i], &e))
            put(f, &e);
    }
    int rc = fflush(f) != 0 || ferror(f) ? -EIO : 0;
    if (rc == 0 && renameat(r->dir, MANIFEST_TMP, r->dir, MANIFEST) != 0)
        rc = -errno;
    if (rc != 0)
        unlinkat(r->dir, MANIFEST_TMP, 0);
    if (rc == 0 && kept) {
        *kept = f;
        return 0;
    }
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

int report_manifest_begin(struct report *r, char *why, size_t cap)
{
    int rc = read_old(r);
    if (rc == 0)
        rc = write_manifest(r, r->n_old, &r->notes);
    if (rc != 0)
        snprintf(why, cap, "%s/%s: %s", r->out, MANIFEST, strerror(-rc));
    return rc;
}

void report_manifest_note(struct report *r, const char *rel)
{
    struct report_file e;
    if (r->notes && identify(r, rel, &e)) {
        put(r->notes, &e);
        fflush(r->notes);
    }
}

/* Does r->files list `rel`? */
static bool listed(const struct report *r, const char *rel)
{
    for (size_t i = 0; i < r->n_files; i++)
        if (!strcmp(r->files[i], rel))
            return true;
    return false;
}

int report_manifest_finish(struct report *r, char *why, size_t cap)
{
    if (r->notes)
        fclose(r->notes);
    r->notes = NULL;
    for (size_t i = 0; i < r->n_old; i++) {
        const char *rel = r->old[i].path;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(r->old[k].path, rel);
        if (seen || listed(r, rel))
            continue;
        struct report_file now;
        if (!identify(r, rel, &now))
            continue; /* gone, or no regular file: not coord's */
        bool same = false; /* any entry of the path: an earlier version */
        for (size_t k = i; k < r->n_old && !same; k++)
            same = !strcmp(r->old[k].path, rel) &&
                   r->old[k].dev == now.dev && r->old[k].ino == now.ino &&
                   r->old[k].size == now.size &&
                   r->old[k].mtime_ns == now.mtime_ns;
        char path[4400]; /* for the messages only, as cli_error shows it:
                          * a newline in --out split the line, an escape
                          * sequence reached the terminal */
        snprintf(path, sizeof path, "%s/%s", r->out, rel);
        cli_printable(path);
        if (!same) {
            fprintf(stderr, "report: kept %s: changed since a coord report "
                            "wrote it\n", path);
            continue;
        }
        const char *name;
        int dir = report_dir_of(r, rel, &name, NULL, 0);
        if (unlinkat(dir, name, 0) != 0) {
            fprintf(stderr, "report: cannot remove %s (of an earlier "
                            "report): %s\n", path, strerror(errno));
            continue;
        }
        if (r->n_removed < sizeof r->removed / sizeof r->removed[0])
            snprintf(r->removed[r->n_removed++], sizeof r->removed[0], "%s",
                     rel);
    }
    int rc = write_manifest(r, 0, NULL);
    if (rc != 0)
        snprintf(why, cap, "%s/%s: %s", r->out, MANIFEST, strerror(-rc));
    free(r->old);
    r->old = NULL;
    r->n_old = 0;
    return rc;
}
