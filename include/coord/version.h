/* SPDX-License-Identifier: MIT */
/* version.h: the library's version, at compile time and at run time. */
#ifndef COORD_VERSION_H
#define COORD_VERSION_H

#include "common.h"

COORD_BEGIN_DECLS

#define COORD_VERSION_MAJOR 0
#define COORD_VERSION_MINOR 4
#define COORD_VERSION_PATCH 3
#define COORD_VERSION_HEX                                                      \
    ((COORD_VERSION_MAJOR << 16) | (COORD_VERSION_MINOR << 8) |                \
     COORD_VERSION_PATCH)

/* ABI version stamped into every shared segment; bumped on layout changes.
 * A build with 4-byte pointers stamps its segments with this plus its
 * pthread_mutex_t size << 16 (its objects' layout differs from a 64-bit
 * build's), so that a 32-bit and a 64-bit process meet COORD_EVERSION rather
 * than misread each other's objects (docs/segments.md). */
#define COORD_ABI_VERSION 5

/*
 * coord_version: COORD_VERSION_HEX of the library actually linked.
 * coord_version_string: "major.minor.patch", static.
 * Concurrency: any thread.
 */
COORD_EXTERN unsigned coord_version(void);
COORD_EXTERN const char *coord_version_string(void);

COORD_END_DECLS

#endif
