/* SPDX-License-Identifier: MIT */
/* value.h: a typed shared scalar with a robust lock (multiprocessing.Value). */
#ifndef COORD_VALUE_H
#define COORD_VALUE_H

#include "common.h"

COORD_BEGIN_DECLS

/*
 * A coord_value holds one scalar of a coord_type in shared memory, on its
 * own cache line, next to a robust process-shared mutex (on another line).
 * coord_value_get is a lock-free atomic load. set, add and cas take the lock,
 * so they are serialised with compound updates made between coord_value_lock
 * and coord_value_unlock (the lecture's `with v.get_lock():`). While holding
 * the lock, use coord_value_get and coord_value_store to read and write.
 *
 * A holder killed while holding the lock does not wedge the others: the
 * next locker gets COORD_RECOVERED from coord_value_lock (set/add/cas
 * recover silently: their own updates are single stores, never half done).
 */
typedef struct coord_value coord_value;

/* coord_value_size: bytes for coord_value_init (a multiple of 64). Pure. */
COORD_EXTERN size_t coord_value_size(void);

/*
 * coord_value_init: place a value of `type`, set to zero, in caller memory
 * (64-byte aligned, >= coord_value_size() bytes, shared with the users).
 * The caller keeps `mem`; destroy releases nothing for such a value.
 * Returns 0, COORD_EINVAL (NULL, misaligned, too small, unknown type).
 */
COORD_EXTERN int coord_value_init(void *mem, size_t size, coord_type type,
                                  coord_value **out);

/*
 * coord_value_create: a new zero value of `type` in anonymous shared
 * memory, shared with children forked afterwards.
 * coord_value_create_named: the same, backed by /dev/shm/coord.<name>
 * (0600, O_EXCL; name rules as coord_flag_create_named).
 * coord_value_open: map a named value created by another process (only a
 * file of the caller's euid with mode 0600 or less: see coord_flag_open).
 * Returns 0, COORD_EINVAL, COORD_ENOMEM, COORD_EMFILE, COORD_EIO,
 * COORD_EACCES, COORD_EEXIST (named), COORD_ENOENT, COORD_EPROTO,
 * COORD_EVERSION, COORD_EAGAIN (open).
 *
 * Trust: the type word lives in shared memory, where any process that maps
 * the value can rewrite it. Every call below reads it once and checks it;
 * a bad magic or type marks the value broken (for every process) and the
 * call returns COORD_EPROTO (coord_value_type gives 0).
 */
COORD_EXTERN int coord_value_create(coord_value **out, coord_type type);
COORD_EXTERN int coord_value_create_named(coord_value **out, coord_type type,
                                          const char *name);
COORD_EXTERN int coord_value_open(coord_value **out, const char *name);

/*
 * coord_value_create_fd: coord_value_create backed by a sealed memfd, its
 * descriptor in *fd (the caller's, close-on-exec; the value keeps none).
 * coord_value_open_fd: map the value behind such a descriptor, given to
 * this process by inheritance or SCM_RIGHTS (`fd` borrowed; checked as a
 * named file is, then as coord_value_open checks the value).
 * Ownership, concurrency and every return code: as coord_flag_create_fd
 * and coord_flag_open_fd (flag.h); create_fd also COORD_EINVAL for an
 * unknown type.
 */
COORD_EXTERN int coord_value_create_fd(coord_value **out, coord_type type,
                                       int *fd);
COORD_EXTERN int coord_value_open_fd(coord_value **out, int fd);

/*
 * coord_value_destroy: release this process's handle (the creator of a
 * named value also removes the name). NULL is ignored. Not while a thread
 * of this process holds the value's lock (coord_value_lock): glibc links
 * a held robust mutex into its thread's robust list, in the mutex's own
 * memory, so after the unmapping that thread's next robust lock or unlock
 * (any coord lock, a queue's wait) walks unmapped memory and faults.
 * Unlock first. (The Python binding does so for the thread that drops the
 * object, and keeps the mapping while another thread holds the lock.)
 */
COORD_EXTERN void coord_value_destroy(coord_value *v);

/* coord_value_type: the value's type (0 for NULL). Wait-free. */
COORD_EXTERN coord_type coord_value_type(const coord_value *v);

/*
 * coord_value_get: read the value. Concurrency: any process, any time,
 * locked or not. Progress: wait-free (one atomic load, acquire).
 * Returns 0 and *out, COORD_EINVAL (NULL), COORD_EPROTO (broken).
 */
COORD_EXTERN int coord_value_get(const coord_value *v, coord_scalar *out);

/*
 * coord_value_set / coord_value_add / coord_value_cas: locked updates.
 * add stores value+delta (wrapping in the type) and gives the old value in
 * *old (may be NULL). cas stores `desired` only if the value equals
 * `expected`; it returns 1 when it did, 0 when not (and *actual, may be
 * NULL, gets the value seen). Progress: blocking (robust mutex), bounded by
 * nothing but the holder; never call them while holding the lock yourself
 * (COORD_EDEADLK). Returns 0 (1/0 for cas), COORD_EINVAL, COORD_EDEADLK,
 * COORD_EPROTO (broken).
 */
COORD_EXTERN int coord_value_set(coord_value *v, coord_scalar in);
COORD_EXTERN int coord_value_add(coord_value *v, coord_scalar delta,
                                 coord_scalar *old);
COORD_EXTERN int coord_value_cas(coord_value *v, coord_scalar expected,
                                 coord_scalar desired, coord_scalar *actual);

/* Conveniences for the common types: convert through coord_scalar. An
 * F64 value reads as an int64 rounded toward zero, saturating at INT64_MIN
 * and INT64_MAX; NaN reads as 0.
 * Returns: as coord_value_get / coord_value_set / coord_value_add. */
COORD_EXTERN int coord_value_get_i64(const coord_value *v, int64_t *out);
COORD_EXTERN int coord_value_set_i64(coord_value *v, int64_t in);
COORD_EXTERN int coord_value_add_i64(coord_value *v, int64_t delta,
                                     int64_t *old);

/*
 * coord_value_lock: take the value's robust lock for a compound update.
 * Blocking, bounded by `timeout_ms` (see common.h).
 * Returns 0, COORD_RECOVERED (locked; the previous holder died holding it:
 * the value is intact, since stores are atomic, but the caller's compound
 * invariant may not be), COORD_EAGAIN, COORD_ETIMEDOUT, COORD_EDEADLK,
 * COORD_EINVAL, COORD_EPROTO (broken).
 * coord_value_unlock: release it; only the holder may call it. Returns 0,
 * COORD_EPERM (the caller does not hold it), COORD_EINVAL (NULL) or
 * COORD_EPROTO (the lock's memory was overwritten by another process).
 * coord_value_store: write while holding the lock (no locking inside).
 * Returns 0, COORD_EINVAL or COORD_EPROTO (broken).
 */
COORD_EXTERN int coord_value_lock(coord_value *v, int timeout_ms);
COORD_EXTERN int coord_value_unlock(coord_value *v);
COORD_EXTERN int coord_value_store(coord_value *v, coord_scalar in);

COORD_END_DECLS

#endif
