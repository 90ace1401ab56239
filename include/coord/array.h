/* SPDX-License-Identifier: MIT */
/* array.h: a typed fixed-size shared array (multiprocessing.Array). */
#ifndef COORD_ARRAY_H
#define COORD_ARRAY_H

#include "common.h"

COORD_BEGIN_DECLS

/*
 * A coord_array holds `length` elements of one coord_type, stored natively
 * (an f64 array is a real double[]), so coord_array_data gives zero-copy
 * access. Element get/set are single atomic loads/stores (lock-free, never
 * torn). A robust lock serves compound updates across elements. The lecture's
 * "each worker writes its own slice, no lock needed" is coord_array_slice:
 * disjoint index ranges, written without the lock.
 */
typedef struct coord_array coord_array;

/* Largest array: 2^40 bytes of elements (beyond that: COORD_EINVAL); on a
 * system whose size_t is 32-bit, SIZE_MAX / 4 (1 GiB less one byte), as
 * (size_t)1 << 40 does not fit there. */
#define COORD_ARRAY_MAX_BYTES                                                 \
    ((size_t)(((uint64_t)1 << 40) < SIZE_MAX / 4 ? ((uint64_t)1 << 40)       \
                                                  : SIZE_MAX / 4))

/*
 * coord_array_size: bytes for coord_array_init of `length` elements of
 * `type`, or 0 when the arguments are invalid or too large. Pure.
 */
COORD_EXTERN size_t coord_array_size(coord_type type, size_t length);

/*
 * coord_array_init: place a zeroed array in caller memory (64-byte aligned,
 * >= coord_array_size() bytes, shared). The caller keeps `mem`.
 * coord_array_create: the same in a new anonymous shared mapping.
 * coord_array_create_named / coord_array_open: named variants (see flag.h;
 * open trusts only a file of the caller's euid with mode 0600 or less).
 * Returns 0, COORD_EINVAL (NULL, zero length, unknown type, larger than
 * COORD_ARRAY_MAX_BYTES, misaligned or small `mem`), COORD_ENOMEM,
 * COORD_EMFILE, COORD_EIO, COORD_EACCES, COORD_EEXIST, COORD_ENOENT,
 * COORD_EPROTO, COORD_EVERSION, COORD_EAGAIN.
 *
 * Trust: the type and length words live in shared memory, where any
 * process that maps the array can rewrite them. Every access reads them
 * once and checks them against the bytes this process itself mapped (for
 * init: `size`); a length that does not fit, or an unknown type, marks the
 * array broken (for every process) and the call returns COORD_EPROTO
 * (length, type and data give 0 / 0 / NULL). So use an array only through
 * the handle that init, create or open returned in this process or in a
 * parent it was forked from.
 */
COORD_EXTERN int coord_array_init(void *mem, size_t size, coord_type type,
                                  size_t length, coord_array **out);
COORD_EXTERN int coord_array_create(coord_array **out, coord_type type,
                                    size_t length);
COORD_EXTERN int coord_array_create_named(coord_array **out, coord_type type,
                                          size_t length, const char *name);
COORD_EXTERN int coord_array_open(coord_array **out, const char *name);

/*
 * coord_array_create_fd: coord_array_create backed by a sealed memfd, its
 * descriptor in *fd (the caller's, close-on-exec; the array keeps none).
 * coord_array_open_fd: map the array behind such a descriptor, given to
 * this process by inheritance or SCM_RIGHTS (`fd` borrowed; checked as a
 * named file is, then as coord_array_open checks the array).
 * Ownership, concurrency and every return code: as coord_flag_create_fd
 * and coord_flag_open_fd (flag.h); create_fd also COORD_EINVAL for what
 * coord_array_create refuses.
 */
COORD_EXTERN int coord_array_create_fd(coord_array **out, coord_type type,
                                       size_t length, int *fd);
COORD_EXTERN int coord_array_open_fd(coord_array **out, int fd);

/* coord_array_destroy: release this process's handle (the creator of a
 * named array also removes the name; an array placed by init releases
 * nothing but this process's record of its size). NULL is ignored. Not
 * while a thread of this process holds the array's lock
 * (coord_array_lock): as coord_value_destroy says, that thread's next
 * robust lock or unlock would fault. Unlock first. */
COORD_EXTERN void coord_array_destroy(coord_array *a);

/* coord_array_length / coord_array_type: as created (0 for NULL or a
 * broken array). */
COORD_EXTERN size_t coord_array_length(const coord_array *a);
COORD_EXTERN coord_type coord_array_type(const coord_array *a);

/*
 * coord_array_data: the elements, zero-copy (cast to the element type).
 * Valid until coord_array_destroy in this process. Concurrent plain writes
 * to one element from two processes race: use slices, get/set or the lock.
 * Returns NULL for NULL or a broken array.
 */
COORD_EXTERN void *coord_array_data(coord_array *a);

/*
 * coord_array_get / coord_array_set: one element, as one atomic load
 * (acquire) / store (release). Any process, any time. Wait-free.
 * Returns 0, COORD_EINVAL (NULL), COORD_ERANGE (index >= length),
 * COORD_EPROTO (broken).
 */
COORD_EXTERN int coord_array_get(const coord_array *a, size_t index,
                                 coord_scalar *out);
COORD_EXTERN int coord_array_set(coord_array *a, size_t index,
                                 coord_scalar in);

/*
 * coord_array_slice: the half-open index range [*begin, *end) that worker
 * `worker` of `workers` owns when the array is split into contiguous,
 * near-equal slices (sizes differ by at most one). Writers that stay in
 * their own slice need no lock. Pure.
 * Returns 0, COORD_EINVAL (NULL, workers 0, worker >= workers),
 * COORD_EPROTO (broken).
 */
COORD_EXTERN int coord_array_slice(const coord_array *a, unsigned worker,
                                   unsigned workers, size_t *begin,
                                   size_t *end);

/*
 * coord_array_lock / coord_array_unlock: the array's robust lock, as
 * coord_value_lock / coord_value_unlock (COORD_RECOVERED when the previous
 * holder died: elements are never torn, but a multi-element update it was
 * making may be half done); lock also returns COORD_EPROTO for a broken
 * array. unlock releases the lock of a broken array too; both return
 * COORD_EPROTO when the lock's own memory was overwritten by another
 * process.
 */
COORD_EXTERN int coord_array_lock(coord_array *a, int timeout_ms);
COORD_EXTERN int coord_array_unlock(coord_array *a);

COORD_END_DECLS

#endif
