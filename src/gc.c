/* SPDX-License-Identifier: MIT */
/* gc.c: classify /dev/shm/coord.* files; remove those of provably dead creators. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"


static const char *kind_name(uint32_t k)
{
    switch (k) {
    case COORD__KIND_FLAG:
        return "flag";
    case COORD__KIND_VALUE:
        return "value";
    case COORD__KIND_ARRAY:
        return "array";
    case COORD__KIND_REGION:
        return "region";
    case COORD__KIND_QUEUE:
        return "queue";
    case COORD__KIND_POOL:
        return "pool";
    case COORD__KIND_SEARCH:
        return "search";
    default:
        return "other";
    }
}

/* What one scan knows about itself. */
struct scan {
    uint64_t grace_ns;
    bool ns_known; /* our pid namespace could be read */
    uint64_t ns_dev, ns_ino;
};

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* A file with no header yet: BUSY while a creator may still be writing
 * it, ABANDONED once its last change is older than the grace period. An
 * mtime more than the grace ahead is not believed (its ctime decides, see
 * coord__change_age_ns); when the ctime is that far ahead too, the clock
 * went back since and the age cannot be told: UNKNOWN, kept (as BUSY it
 * stayed "being created" for as long as the clock took to catch up, for
 * ever with a planted mtime). */
coord_gc_state coord__gc_by_age(const struct stat *st, uint64_t grace_ns)
{
    int64_t age = coord__change_age_ns(st, grace_ns);
    if (age < 0)
        return COORD_GC_UNKNOWN;
    return (uint64_t)age >= grace_ns ? COORD_GC_ABANDONED : COORD_GC_BUSY;
}

/* Judge a header that names its creator. */
static coord_gc_state by_creator(const struct scan *s, const coord__seg_hdr *h,
                                 bool published)
{
    /* Another header layout: its words cannot be read as ours. The
     * header is the same since ABI 2 (3, 4 and 5 changed what segments
     * hold, not their header), so an earlier release's files are judged too:
     * after an upgrade its dead creators' files are removed, not kept for
     * ever as UNKNOWN. */
    uint32_t abi = h->abi & COORD__ABI_VERSION_MASK; /* any word size's */
    if (abi < COORD__SEG_HDR_SINCE_ABI || abi > COORD_ABI_VERSION)
        return COORD_GC_UNKNOWN;
    /* A pid means something only in the namespace that counted it. */
    if (!s->ns_known || (h->pidns_dev == 0 && h->pidns_ino == 0) ||
        h->pidns_dev != s->ns_dev || h->pidns_ino != s->ns_ino)
        return COORD_GC_UNKNOWN;
    switch (coord__proc_fate(h->creator_pid, h->creator_start)) {
    case COORD__PROC_GONE:
        /* A creator that died before publishing the magic can never
         * publish it: an unpublished file of a dead creator is garbage. */
        return COORD_GC_DEAD;
    case COORD__PROC_ALIVE:
        return published ? COORD_GC_LIVE : COORD_GC_BUSY;
    default:
        return COORD_GC_UNKNOWN;
    }
}

/* Read the header of one file without mapping it (a pread cannot fault).
 * `aside`: the file is under a private name (found_aside), so its name is
 * the one its header records, checked by create's rules. Returns the open
 * file (for the identity check before an unlink) or -1, with *st filled
 * when it returns a descriptor. */
static int classify(const struct scan *s, int dfd, const char *file,
                    bool aside, coord_gc_entry *e, struct stat *st)
{
    e->state = COORD_GC_FOREIGN;
    e->kind = "unknown";
    /* What the name is, before anything is opened (opening a device node
     * can do things; a file we may not open is still somebody's). */
    if (fstatat(dfd, file, st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st->st_mode))
        return -1;
    e->size = (uint64_t)st->st_size;
    if (st->st_uid != geteuid()) {
        /* Another user's file is not ours to judge, whoever we are. */
        e->state = COORD_GC_OTHER_USER;
        return -1;
    }
    /* A name coord refuses, or group or other permission bits (coord
     * creates 0600 and refuses to open anything else): not a segment of
     * ours, whatever it holds. */
    if ((!aside && coord__name_check(file + strlen(COORD__NAME_PREFIX)) != 0) ||
        (st->st_mode & 077) != 0)
        return -1;
    int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat opened;
    if (fd >= 0 && (fstat(fd, &opened) != 0 || opened.st_dev != st->st_dev ||
                    opened.st_ino != st->st_ino)) {
        close(fd); /* replaced between the look and the open: look again later */
        fd = -1;
    }
    if (fd < 0)
        return -1;
    coord__seg_hdr h;
    memset(&h, 0, sizeof h);
    ssize_t n = pread(fd, &h, sizeof h, 0);
    if (n < 0)
        return fd;
    uint64_t magic = atomic_load_explicit(&h.magic, memory_order_relaxed);
    if (all_zero(&h, sizeof h)) {
        /* Empty, or zero-filled where the header belongs: the creator
         * never wrote its header (it writes it before growing the file),
         * so no header matches this size. */
        e->state = coord__gc_by_age(st, s->grace_ns);
        return fd;
    }
    if (n != (ssize_t)sizeof h || (magic != COORD__SEG_MAGIC && magic != 0))
        return fd;
    if (h.creator_pid <= 0)
        return fd; /* a header that names no creator is not one of ours */
    if (aside && (h.abi & COORD__ABI_VERSION_MASK) >= COORD__SEG_HDR_SINCE_ABI &&
        (h.abi & COORD__ABI_VERSION_MASK) <= COORD_ABI_VERSION) {
        /* Its name is the header's: one no create takes (or no name, an
         * anonymous segment's) makes it no segment of ours. (Another
         * layout's name cannot be read: UNKNOWN below, nameless, kept.) */
        h.name[sizeof h.name - 1] = '\0';
        if (coord__name_check(h.name) != 0)
            return fd;
        snprintf(e->name, sizeof e->name, "%s", h.name);
    }
    e->creator_pid = h.creator_pid;
    e->kind = kind_name(h.kind);
    e->state = by_creator(s, &h, magic == COORD__SEG_MAGIC);
    return fd;
}

/* DEAD and ABANDONED files are the removable ones (counted, and unlinked
 * with opts.remove). */
static bool is_removable(coord_gc_state st)
{
    return st == COORD_GC_DEAD || st == COORD_GC_ABANDONED;
}

/* A file under a private name (.coord-gc-<pid>-<n>) whose mover no longer
 * runs: a gc (or a creator's release) killed between its rename aside and
 * the unlink or the way back. It is judged like any file, by its header;
 * with opts.remove a removable one goes, any other with a name goes back
 * under it when that name is free. Fills `e` and returns true when the
 * file is to be reported; false for a name that is not a private one, one
 * whose mover may be at work, or (with a prefix) a file whose recorded
 * name does not start with it. */
static bool found_aside(const struct scan *s, int dfd, const char *file,
                        const char *prefix, const coord_gc_opts *o,
                        coord_gc_entry *e)
{
    pid_t mover = coord__aside_pid(file);
    if (mover <= 0)
        return false;
    /* Alive (EPERM too: another user's process): its gc may be between
     * the rename and the unlink right now, or the pid was reused since;
     * either way the file is not ours to take. */
    if (kill(mover, 0) == 0 || errno != ESRCH)
        return false;
    /* coord__aside_pid took at most 31 bytes. */
    snprintf(e->found_aside, sizeof e->found_aside, "%.63s", file);
    struct stat st;
    int fd = classify(s, dfd, file, true, e, &st);
    if (fd >= 0)
        close(fd);
    /* A prefix picks names: a file whose name could not be read (another
     * user's, headerless) has none to match. */
    if (strncmp(e->name, prefix, strlen(prefix)) != 0)
        return false;
    coord_gc_outcome out = COORD_GC_NOT_TRIED;
    char *left = e->aside;
    if (o->remove && is_removable(e->state)) {
        out = coord__shm_remove_same(dfd, file, st.st_dev, st.st_ino, left,
                                     sizeof e->aside);
    } else if (o->remove && e->name[0] &&
               (e->state == COORD_GC_LIVE || e->state == COORD_GC_BUSY ||
                e->state == COORD_GC_UNKNOWN)) {
        char to[sizeof e->name + 16];
        snprintf(to, sizeof to, COORD__NAME_PREFIX "%s", e->name);
        out = coord__shm_restore_same(dfd, file, st.st_dev, st.st_ino, to,
                                      left, sizeof e->aside);
    }
    e->outcome = out;
    /* Where the file stays, when it stays hidden: the private name this
     * call left it under, or where it was found. */
    if (!left[0] && (out == COORD_GC_NOT_TRIED || out == COORD_GC_FAILED ||
                     out == COORD_GC_NAME_TAKEN))
        snprintf(e->aside, sizeof e->aside, "%.63s", file);
    return true;
}

const char *coord_gc_state_name(coord_gc_state s)
{
    switch (s) {
    case COORD_GC_LIVE:
        return "live";
    case COORD_GC_DEAD:
        return "dead";
    case COORD_GC_FOREIGN:
        return "foreign";
    case COORD_GC_BUSY:
        return "busy";
    case COORD_GC_UNKNOWN:
        return "unknown";
    case COORD_GC_ABANDONED:
        return "abandoned";
    case COORD_GC_OTHER_USER:
        return "other-user";
    }
    return "?";
}

const char *coord_gc_outcome_name(coord_gc_outcome o)
{
    switch (o) {
    case COORD_GC_NOT_TRIED:
        return "not-tried";
    case COORD_GC_REMOVED:
        return "removed";
    case COORD_GC_RECREATED:
        return "re-created";
    case COORD_GC_GONE:
        return "gone";
    case COORD_GC_STRANDED:
        return "stranded";
    case COORD_GC_FAILED:
        return "failed";
    case COORD_GC_RESTORED:
        return "restored";
    case COORD_GC_NAME_TAKEN:
        return "name-taken";
    }
    return "?";
}

int coord_gc_run(const coord_gc_opts *opts, coord_gc_fn fn, void *arg)
{
    coord_gc_opts o = {NULL, false, 0};
    if (opts)
        o = *opts;
    /* A grace shorter than the floor removes the file of a creator that
     * is merely preempted between shm_open and its header. */
    if (o.grace_ms < 0 ||
        (o.grace_ms > 0 && o.grace_ms < COORD_GC_GRACE_MIN_MS))
        return COORD_EINVAL;
    struct scan s;
    memset(&s, 0, sizeof s);
    s.grace_ns = (uint64_t)(o.grace_ms ? o.grace_ms : COORD_GC_GRACE_MS) *
                 1000000u;
    s.ns_known = coord__pidns_id(&s.ns_dev, &s.ns_ino) == 0;
    const char *prefix = o.prefix ? o.prefix : "";
    size_t want = strlen(prefix);
    DIR *d = opendir(COORD__SHM_DIR);
    if (!d)
        return coord__seg_errno(errno);
    int removable = 0, stop = 0;
    size_t plen = strlen(COORD__NAME_PREFIX);
    struct dirent *de;
    while (!stop && (de = readdir(d)) != NULL) {
        coord_gc_entry e;
        struct stat st;
        memset(&e, 0, sizeof e);
        int fd = -1;
        if (strncmp(de->d_name, COORD__NAME_PREFIX, plen) == 0) {
            if (strncmp(de->d_name + plen, prefix, want) != 0)
                continue;
            snprintf(e.name, sizeof e.name, "%s", de->d_name + plen);
            fd = classify(&s, dirfd(d), de->d_name, false, &e, &st);
            if (o.remove && is_removable(e.state))
                /* Only the file judged goes: a name re-created since is
                 * somebody's live file, kept and reported so. */
                e.outcome = coord__shm_remove_same(dirfd(d), de->d_name,
                                                   st.st_dev, st.st_ino,
                                                   e.aside, sizeof e.aside);
        } else if (!found_aside(&s, dirfd(d), de->d_name, prefix, &o, &e)) {
            continue;
        }
        if (is_removable(e.state))
            removable++;
        e.removed = e.outcome == COORD_GC_REMOVED;
        if (fd >= 0)
            close(fd);
        if (fn)
            stop = fn(&e, arg);
    }
    closedir(d);
    /* The socket directories of killed managers (gc_mgr.c): they have no
     * name a prefix could pick, so only a gc without one looks. */
    if (!stop && !want)
        stop = coord__gc_mgr_dirs(s.grace_ns, o.remove, fn, arg, &removable);
    return stop ? stop : removable;
}

int coord_gc(bool remove, coord_gc_fn fn, void *arg)
{
    coord_gc_opts o = {NULL, remove, 0};
    return coord_gc_run(&o, fn, arg);
}

int coord_gc_prefix(const char *prefix, bool remove, coord_gc_fn fn,
                    void *arg)
{
    coord_gc_opts o = {prefix, remove, 0};
    return coord_gc_run(&o, fn, arg);
}
