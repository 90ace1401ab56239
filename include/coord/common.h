/* SPDX-License-Identifier: MIT */
/* common.h: export macro, scalar types and timeout conventions shared by every component. */
#ifndef COORD_COMMON_H
#define COORD_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every public header wraps its declarations in COORD_BEGIN_DECLS ...
 * COORD_END_DECLS, so that C++ sees them with C linkage.
 */
#ifdef __cplusplus
#define COORD_BEGIN_DECLS extern "C" {
#define COORD_END_DECLS }
#else
#define COORD_BEGIN_DECLS
#define COORD_END_DECLS
#endif

#if defined(COORD_BUILDING)
#define COORD_EXTERN __attribute__((visibility("default")))
#else
#define COORD_EXTERN
#endif

COORD_BEGIN_DECLS

/*
 * Timeouts: every blocking call takes `int timeout_ms`.
 *   COORD_FOREVER (-1): wait without limit.
 *   0: try once; a call that would block returns COORD_EAGAIN.
 *   > 0: wait at most that long; on expiry the call returns COORD_ETIMEDOUT.
 * Any other negative value is COORD_EINVAL.
 */
#define COORD_FOREVER (-1)

/* Element types of coord_value and coord_array. */
typedef enum coord_type {
    COORD_I8 = 1,
    COORD_U8,
    COORD_I16,
    COORD_U16,
    COORD_I32,
    COORD_U32,
    COORD_I64,
    COORD_U64,
    COORD_F64,
    COORD_BOOL,
    /* A byte of text (C's char, Python's typecode 'c'): stored, compared
     * and added as COORD_U8 is; a type of its own so that a process that
     * opens a named value or array knows its creator meant characters. */
    COORD_CHAR
} coord_type;

/*
 * A scalar of any coord_type. Signed integer types use `i`, unsigned ones
 * and COORD_CHAR `u`, COORD_F64 uses `f`, COORD_BOOL uses `b`. Narrow
 * types wrap on store (an i8 holding 127 plus 1 is -128), as C's
 * conversions do.
 */
typedef union coord_scalar {
    int64_t i;
    uint64_t u;
    double f;
    bool b;
} coord_scalar;

/*
 * coord_type_size: bytes one element of `type` occupies in a coord_array.
 * Concurrency: pure function. Returns the size (1, 2, 4 or 8), or 0 when
 * `type` is not a coord_type.
 */
COORD_EXTERN size_t coord_type_size(coord_type type);

/*
 * coord_type_name: "i8", "u8", ... "f64", "bool", "char", or NULL for an
 * unknown type.
 * Concurrency: pure function; the string is static.
 */
COORD_EXTERN const char *coord_type_name(coord_type type);

COORD_END_DECLS

#endif
