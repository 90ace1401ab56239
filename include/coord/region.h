/* SPDX-License-Identifier: MIT */
/* region.h: raw shared bytes (multiprocessing.shared_memory). */
#ifndef COORD_REGION_H
#define COORD_REGION_H

#include "common.h"

COORD_BEGIN_DECLS

/*
 * A coord_region is `size` bytes of shared memory with no structure and no
 * lock: the caller owns the layout and the synchronisation (use a flag,
 * value or array for that). The bytes start 64-byte aligned. Memory the
 * caller already shares needs no region object: it is a region already.
 */
typedef struct coord_region coord_region;

/*
 * coord_region_create: `size` zeroed bytes in anonymous shared memory,
 * shared with children forked afterwards.
 * coord_region_create_named / coord_region_open: named variants (see
 * flag.h for the name rules; open trusts only a file of the caller's euid
 * with mode 0600 or less).
 * Returns 0, COORD_EINVAL (NULL, size 0 or > 2^40; on a 32-bit build
 * > SIZE_MAX / 4), COORD_ENOMEM,
 * COORD_EMFILE, COORD_EIO, COORD_EACCES, COORD_EEXIST, COORD_ENOENT,
 * COORD_EPROTO, COORD_EVERSION, COORD_EAGAIN.
 */
COORD_EXTERN int coord_region_create(coord_region **out, size_t size);
COORD_EXTERN int coord_region_create_named(coord_region **out, size_t size,
                                           const char *name);
COORD_EXTERN int coord_region_open(coord_region **out, const char *name);

/*
 * coord_region_create_fd: coord_region_create backed by a sealed memfd,
 * its descriptor in *fd (the caller's, close-on-exec; the region keeps
 * none). coord_region_open_fd: map the region behind such a descriptor
 * (`fd` borrowed; checked as a named file is).
 * Ownership, concurrency and every return code: as coord_flag_create_fd
 * and coord_flag_open_fd (flag.h); create_fd also COORD_EINVAL for size 0
 * or > 2^40 (on a 32-bit build > SIZE_MAX / 4).
 */
COORD_EXTERN int coord_region_create_fd(coord_region **out, size_t size,
                                        int *fd);
COORD_EXTERN int coord_region_open_fd(coord_region **out, int fd);

/* coord_region_destroy: release this process's handle (the creator of a
 * named region also removes the name). NULL is ignored. */
COORD_EXTERN void coord_region_destroy(coord_region *r);

/* coord_region_data / coord_region_len: the bytes and their count (NULL/0
 * for NULL). Valid until coord_region_destroy in this process. The length
 * word lives in shared memory: each call checks it against the bytes this
 * process mapped, and a length beyond them marks the region broken (for
 * every process): NULL and 0 from then on. Wait-free. */
COORD_EXTERN void *coord_region_data(coord_region *r);
COORD_EXTERN size_t coord_region_len(const coord_region *r);

COORD_END_DECLS

#endif
