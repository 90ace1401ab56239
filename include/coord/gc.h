/* SPDX-License-Identifier: MIT */
/* gc.h: find and remove shared-memory files left by crashed coord processes. */
#ifndef COORD_GC_H
#define COORD_GC_H

#include "common.h"

COORD_BEGIN_DECLS

/*
 * The rules (docs/segments.md has the header layout behind them):
 *
 * - gc removes a file only when its creator is PROVABLY gone: the header
 *   records the creator's pid, start time and pid namespace; the file is
 *   DEAD when the caller lives in that same pid namespace and kill(pid, 0)
 *   says ESRCH, or /proc shows another start time under that pid (the pid
 *   was reused), or the creator is a finished zombie.
 * - Anything that cannot be proven is UNKNOWN and kept: another pid
 *   namespace (unshare --pid), no /proc or a /proc of another namespace,
 *   no pid namespace recorded, a header of another ABI version, a start
 *   time that differs while the pid's process is in another time
 *   namespace than the caller (/proc shifts start times by the reader's
 *   boottime offset, so the two cannot be compared).
 * - gc never touches another user's file, whoever runs it (root included):
 *   OTHER_USER.
 * - A file whose creator never wrote its header (killed between shm_open
 *   and its first write: empty or all zero, so no header matches its size)
 *   is ABANDONED, and removable, once its last change is older than the
 *   grace period (coord_gc_opts.grace_ms, 10 s by default); younger, it is
 *   BUSY (a creator may be at work).
 * - A name no coord call takes (coord__name_check's rules: a leading dot,
 *   characters outside [A-Za-z0-9._-], too long) or a file with group or
 *   other permission bits (coord creates 0600 and opens nothing else) is
 *   FOREIGN and kept, whatever it holds. Nothing is opened before its
 *   type, owner and mode are known (opening a device node can do things).
 * - A removal moves the file aside under a private name first (an atomic
 *   rename), checks that what it moved is the file it judged (same device
 *   and inode) and only then unlinks it; anything else goes back under
 *   its name. (A look at the name and an unlink by name left a window: a
 *   live file renamed over a dead one there was removed.)
 */

/* What coord_gc found about one /dev/shm/coord.* file. */
typedef enum coord_gc_state {
    COORD_GC_LIVE = 0,       /* its creator process still runs: kept */
    COORD_GC_DEAD = 1,       /* its creator is provably gone: removable */
    COORD_GC_FOREIGN = 2,    /* not a coord segment (bad magic, not a
                                regular file, a name or mode coord never
                                makes): kept */
    COORD_GC_BUSY = 3,       /* being created (header not yet published, or
                                no header yet and younger than the grace
                                period): kept */
    COORD_GC_UNKNOWN = 4,    /* the creator's fate cannot be proven (other
                                pid namespace, no usable /proc, other ABI):
                                kept */
    COORD_GC_ABANDONED = 5,  /* no header was ever written, older than the
                                grace period: removable */
    COORD_GC_OTHER_USER = 6  /* owned by another user: kept, even by root */
} coord_gc_state;

/*
 * coord_gc_state_name: the state's name as the tool and the Python binding
 * print it ("live", "dead", "foreign", "busy", "unknown", "abandoned",
 * "other-user"), or "?" for a value outside the enum.
 * Concurrency: any thread or process; wait-free. Ownership: a static
 * string, never freed. Returns: never NULL.
 */
COORD_EXTERN const char *coord_gc_state_name(coord_gc_state s);

typedef struct coord_gc_entry {
    char name[256];      /* the name given at create (file minus "coord.") */
    int creator_pid;     /* 0 when unknown */
    uint64_t size;       /* file size in bytes */
    const char *kind;    /* "flag", "value", "array", "region", "queue", ... */
    coord_gc_state state;
    bool removed;        /* true when this call removed it */
} coord_gc_entry;

/* Called once per file; a non-zero return stops the scan and is returned. */
typedef int (*coord_gc_fn)(const coord_gc_entry *e, void *arg);

/* Default grace period for files without a header (coord_gc_opts). */
#define COORD_GC_GRACE_MS 10000

/*
 * Options of coord_gc_run. The zero value (or NULL) means: every name, list
 * only, the default grace period.
 */
typedef struct coord_gc_opts {
    const char *prefix; /* only names starting with it; NULL or "": all */
    bool remove;        /* unlink the DEAD and ABANDONED files found */
    int grace_ms;       /* age (since the file's last change) after which a
                           file without a header is ABANDONED; 0: the
                           default COORD_GC_GRACE_MS; negative: EINVAL */
} coord_gc_opts;

/*
 * coord_gc_run: scan /dev/shm for coord segments, report each one to `fn`
 * (may be NULL) and, when opts->remove is set, unlink the DEAD and
 * ABANDONED ones, by the rules above.
 * Concurrency: any process; races with creators are safe (a file being
 * created is BUSY or LIVE; a name re-created between judging and
 * unlinking is seen and kept). Blocking: file-system calls only.
 * Returns the number of removable (DEAD + ABANDONED) files found, removed
 * or not; `fn`'s non-zero return; COORD_EINVAL (negative grace_ms); or a
 * negative error opening /dev/shm (COORD_ENOENT, COORD_EACCES, ...).
 */
COORD_EXTERN int coord_gc_run(const coord_gc_opts *opts, coord_gc_fn fn,
                              void *arg);

/*
 * coord_gc: coord_gc_run over every name with the default grace period.
 * Concurrency, blocking and returns: as coord_gc_run.
 */
COORD_EXTERN int coord_gc(bool remove, coord_gc_fn fn, void *arg);

/*
 * coord_gc_prefix: coord_gc restricted to the names that start with
 * `prefix` (NULL or "": all of them, as coord_gc). Lets an application (or
 * a test) clean up its own names without touching anyone else's, even dead
 * ones that another party may still be about to inspect.
 * Concurrency, blocking and returns: as coord_gc_run.
 */
COORD_EXTERN int coord_gc_prefix(const char *prefix, bool remove,
                                 coord_gc_fn fn, void *arg);

COORD_END_DECLS

#endif
