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
 *   no pid namespace recorded, a header of an ABI version whose header
 *   layout is not ours (before 2 or after this release's; an earlier
 *   release's segment since ABI 2 is judged by its creator), a start
 *   time that differs while the pid's process is in another time
 *   namespace than the caller (/proc shifts start times by the reader's
 *   boottime offset, so the two cannot be compared), or while its time
 *   namespace cannot be read (/proc/<pid>/ns/time of another user's
 *   process, for a caller that is not root: a pid reused by another
 *   user's process keeps the file until that process ends).
 * - gc never touches another user's file, whoever runs it (root included):
 *   OTHER_USER. One race is the exception, for a gc run by root: another
 *   user re-creates the name between root's judgement of its own dead file
 *   and the rename that claims it (the sticky /dev/shm stops any other
 *   caller's rename). The new file is then moved aside and back at once
 *   (RECREATED), or, were the name taken once more meanwhile, left under
 *   the private name (STRANDED), whence that user's next gc restores it:
 *   moved, never removed.
 * - A file whose creator never wrote its header (killed between shm_open
 *   and its first write: empty or all zero, so no header matches its size)
 *   is ABANDONED, and removable, once its last change is older than the
 *   grace period (coord_gc_opts.grace_ms, 10 s by default, at least
 *   COORD_GC_GRACE_MIN_MS); younger, it is BUSY (a creator may be at work).
 *   Its last change is its mtime, unless that lies more than the grace
 *   period in the future (set by hand, or the clock went back): then its
 *   ctime, which no call can set; when that too lies more than the grace
 *   period in the future (the clock went back since), its age cannot be
 *   told and it is UNKNOWN, kept.
 * - A name no coord call takes (coord__name_check's rules: a leading dot,
 *   characters outside [A-Za-z0-9._-], too long) or a file with group or
 *   other permission bits (coord creates 0600 and opens nothing else) is
 *   FOREIGN and kept, whatever it holds. Nothing is opened before its
 *   type, owner and mode are known (opening a device node can do things).
 * - A removal moves the file aside under a private name first (an atomic
 *   rename), checks that what it moved is the file it judged (same device
 *   and inode) and only then unlinks it; anything else goes back under
 *   its name. (A look at the name and an unlink by name left a window: a
 *   live file renamed over a dead one there was removed.) What happened is
 *   the entry's `outcome`: a name that holds another file by then (created
 *   anew since it was judged) is COORD_GC_RECREATED and kept.
 * - A gc (or a creator's release, which removes the same way) killed
 *   between its rename aside and the unlink or the way back leaves the
 *   file under its private name, /dev/shm/.coord-gc-<its pid>-<n>. gc
 *   recovers those files: one whose mover no longer runs (kill(pid, 0)
 *   says ESRCH) and that is the caller's (another user's is OTHER_USER,
 *   never opened) is judged by its header like any file, under the name
 *   its header records (checked as coord__name_check checks a create's;
 *   an invalid one: FOREIGN). With opts.remove, a DEAD or ABANDONED one
 *   is removed; any other with a name is renamed back to coord.<name>
 *   when that name is free (COORD_GC_RESTORED), and kept where it is when
 *   it is taken (COORD_GC_NAME_TAKEN). A private name whose pid runs is
 *   left alone and not listed: its gc may be at work on it; a pid reused
 *   since keeps the file there until that process ends. The entry's
 *   found_aside names where such a file was found; with a prefix, only
 *   files whose recorded name starts with it are looked at (a file
 *   without a readable name, another user's or headerless, only by a gc
 *   without one).
 * - Without a prefix, gc also looks at the socket directories that
 *   coord_manager_start makes (manager.h) and a killed server leaves
 *   for good: exactly "coord-mgr-" and 6 letters or digits (mkdtemp's),
 *   directly under $TMPDIR (taken as the manager takes it: absolute, at
 *   most 77 bytes, a directory not writable by all without the sticky
 *   bit) and under /tmp, once when they are one directory. Each is an
 *   entry of kind "manager-dir" whose name is its path (creator_pid: the
 *   pid of a start's private socket name in it, else 0; size 0). A link
 *   (never followed), anything but a directory, a mode other than 0700,
 *   or a directory holding anything but the manager's sockets
 *   ("manager.sock", ".coord-<pid>-<n>.sock") is FOREIGN; another user's
 *   is OTHER_USER: kept. Of ours, each socket is asked with a connect()
 *   through the opened directory (/proc/self/fd/<fd>/<socket>): one that
 *   accepts (a server takes the connection, closed before any byte, as a
 *   client gone before its HELLO: counted `accepted` (or `refused_full`
 *   at max_clients), nothing logged, nothing malformed) makes
 *   the directory LIVE. It is DEAD when every socket refuses
 *   (ECONNREFUSED: nobody listens): manager.sock once its last change
 *   (its bind) is older than the grace period (a start that binds at
 *   the path itself, where the private name does not fit a socket
 *   address, is bound before it listens: BUSY until then), a private
 *   name once its pid is gone and its last change is older than the
 *   grace period too (BUSY while its pid runs, and before: the pid may
 *   be another pid namespace's, a container's sharing /tmp). With no socket (a
 *   start between mkdtemp and its bind, or killed there) it is ABANDONED
 *   or BUSY by its age, as a file without a header; one that cannot be
 *   read (out of descriptors) is UNKNOWN. With opts.remove a
 *   DEAD or ABANDONED one is removed relative to the opened directories
 *   (unlinkat of each socket, judged again just before, then of the
 *   directory if it is still the one judged): COORD_GC_REMOVED;
 *   COORD_GC_RECREATED when a socket came or came alive meanwhile (kept,
 *   the dead sockets before it gone), COORD_GC_GONE when the directory
 *   left its name, COORD_GC_FAILED otherwise.
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
                                pid namespace, no usable /proc, a header
                                layout before ABI 2 or after ours;
                                no header and a last change more than the
                                grace period in the future): kept */
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

/* What a removal did to one DEAD or ABANDONED file, or to a file found
 * aside (coord_gc_entry). For a file found aside, the names below are its
 * private name's: "re-created" says that name held another file by then. */
typedef enum coord_gc_outcome {
    COORD_GC_NOT_TRIED = 0, /* not removable, or opts.remove not set */
    COORD_GC_REMOVED = 1,   /* this call unlinked the very file it judged */
    COORD_GC_RECREATED = 2, /* the name held another file by the time of the
                               removal (created, or renamed there, since the
                               file was judged): that file was put back
                               under the name and kept; the judged one had
                               left the name already */
    COORD_GC_GONE = 3,      /* the name was gone by the time of the removal
                               (its owner, or another gc, removed it) */
    COORD_GC_STRANDED = 4,  /* the name held another file, and was taken
                               once more before that file could be put
                               back: it is kept under the private name
                               the entry's `aside` gives (/dev/shm/
                               .coord-gc-<gc's pid>-<n>) */
    COORD_GC_FAILED = 5,    /* the rename aside or the unlink failed (a
                               read-only or busy file system): kept */
    COORD_GC_RESTORED = 6,  /* found aside (found_aside) and not removable:
                               renamed back to coord.<name> */
    COORD_GC_NAME_TAKEN = 7 /* found aside and not removable, but
                               coord.<name> holds another file: kept under
                               its private name (aside) */
} coord_gc_outcome;

/*
 * coord_gc_outcome_name: the outcome's name as the tool and its --json
 * print it ("not-tried", "removed", "re-created", "gone", "stranded",
 * "failed", "restored", "name-taken"), or "?" for a value outside the
 * enum.
 * Concurrency: any thread or process; wait-free. Ownership: a static
 * string, never freed. Returns: never NULL.
 */
COORD_EXTERN const char *coord_gc_outcome_name(coord_gc_outcome o);

typedef struct coord_gc_entry {
    char name[256];      /* the name given at create (file minus "coord.");
                            for kind "manager-dir", the directory's path */
    int creator_pid;     /* 0 when unknown */
    uint64_t size;       /* file size in bytes */
    const char *kind;    /* "flag", "value", "array", "region", "queue", ...,
                            or "manager-dir" (a manager's socket
                            directory, the rules above) */
    coord_gc_state state;   /* the verdict on the file as it was judged */
    bool removed;        /* true when this call removed it (outcome is
                            COORD_GC_REMOVED) */
    coord_gc_outcome outcome; /* what --remove did (COORD_GC_NOT_TRIED
                                 unless opts.remove is set and state is
                                 DEAD or ABANDONED, or the file was found
                                 aside with a name to go back to) */
    char found_aside[64]; /* the private name (.coord-gc-<pid>-<n>) the file
                             was found under, left by a gc killed in a
                             removal; "" for a file under coord.<name>.
                             name is then the one its header records ("" if
                             none could be read) */
    char aside[64];      /* the private name under which a file stays after
                            this call: the one a COORD_GC_STRANDED file
                            keeps (or a COORD_GC_FAILED one that could not
                            go back); for a file found aside and neither
                            removed nor restored, where it is kept
                            (usually found_aside); "" otherwise */
} coord_gc_entry;

/* Called once per file; a non-zero return stops the scan and is returned. */
typedef int (*coord_gc_fn)(const coord_gc_entry *e, void *arg);

/* Default grace period for files without a header (coord_gc_opts). */
#define COORD_GC_GRACE_MS 10000
/* The shortest grace period coord_gc_run accepts. A creator writes its
 * header microseconds after shm_open, unless it is preempted, swapped out
 * or stopped there: on a loaded machine that can last whole scheduler
 * periods, or seconds under memory pressure. A grace below a few seconds
 * would remove such a creator's file under it; 5 s is over a thousand
 * times the scheduling delay of a busy machine, and short enough for a
 * test or a clean-up script to wait. */
#define COORD_GC_GRACE_MIN_MS 5000

/*
 * Options of coord_gc_run. The zero value (or NULL) means: every name, list
 * only, the default grace period.
 */
typedef struct coord_gc_opts {
    const char *prefix; /* only names starting with it; NULL or "": all */
    bool remove;        /* unlink the DEAD and ABANDONED files found */
    int grace_ms;       /* age (since the file's last change) after which a
                           file without a header is ABANDONED; 0: the
                           default COORD_GC_GRACE_MS; negative or below
                           COORD_GC_GRACE_MIN_MS: COORD_EINVAL */
} coord_gc_opts;

/*
 * coord_gc_run: scan /dev/shm for coord segments (and, without a prefix,
 * $TMPDIR and /tmp for manager directories), report each one to `fn`
 * (may be NULL) and, when opts->remove is set, unlink the DEAD and
 * ABANDONED ones, by the rules above.
 * Concurrency: any process; races with creators are safe (a file being
 * created is BUSY or LIVE; a name re-created between judging and
 * unlinking is seen and kept). Blocking: file-system calls only.
 * Each entry's `outcome` says what the removal did (a DEAD file whose
 * name was re-created meanwhile is reported DEAD with COORD_GC_RECREATED,
 * not removed).
 * Files found aside (the rules above) are reported too, with found_aside
 * set; with opts.remove the live ones go back under their names.
 * Returns the number of removable (DEAD + ABANDONED) files found (those
 * found aside and manager directories included), removed or not; `fn`'s non-zero return; COORD_EINVAL (grace_ms negative, or
 * from 1 to COORD_GC_GRACE_MIN_MS - 1), before anything is read; or a
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
