/* SPDX-License-Identifier: MIT */
/* gc.h: find and remove shared-memory files left by crashed coord processes. */
#ifndef COORD_GC_H
#define COORD_GC_H

#include "common.h"

COORD_BEGIN_DECLS

/* What coord_gc found about one /dev/shm/coord.* file. */
typedef enum coord_gc_state {
    COORD_GC_LIVE = 0,    /* its creator process still runs: never touched */
    COORD_GC_DEAD = 1,    /* its creator is gone: garbage */
    COORD_GC_FOREIGN = 2, /* not a coord segment (bad magic): never touched */
    COORD_GC_BUSY = 3     /* being created, creator unknown: never touched */
} coord_gc_state;

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

/*
 * coord_gc: scan /dev/shm for coord segments, report each one to `fn` (may be
 * NULL), and when `remove` is true unlink those whose creator process is gone
 * (pid no longer running, or reused by a process with another start time).
 * Files of live creators, files that are not coord's and files of other
 * users are never touched.
 * Concurrency: any process; races with creators are safe (a file being
 * created is BUSY or LIVE). Blocking: file-system calls only.
 * Returns the number of DEAD files found (removed when `remove`), `fn`'s
 * non-zero return, or a negative error reading /dev/shm.
 */
COORD_EXTERN int coord_gc(bool remove, coord_gc_fn fn, void *arg);

/*
 * coord_gc_prefix: coord_gc restricted to the names that start with
 * `prefix` (NULL or "": all of them, as coord_gc). Lets an application (or
 * a test) clean up its own names without touching anyone else's, even dead
 * ones that another party may still be about to inspect.
 * Concurrency, blocking and returns: as coord_gc.
 */
COORD_EXTERN int coord_gc_prefix(const char *prefix, bool remove,
                                 coord_gc_fn fn, void *arg);

COORD_END_DECLS

#endif
