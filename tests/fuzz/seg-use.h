/* SPDX-License-Identifier: MIT */
/* seg-use.h: drive a flag's, value's, array's or region's non-blocking calls and accept only documented codes (fuzz and test). */
#ifndef COORD_SEG_USE_H
#define COORD_SEG_USE_H

/*
 * The uses that tests/fuzz/seg-exercise.h (named segments mutated under
 * their readers) and tests/fuzz/fd-exercise.h (any file passed by
 * descriptor) make of an object they opened. Each returns 0, or the
 * source line of the first call whose result its header does not
 * document (SEGX_CHECK).
 */
#include <string.h>

#include "coord.h"

/* Is `r` a code coord names? */
static int segx_named(int r)
{
    return r >= 0 || strcmp(coord_err_name(r), "COORD_EUNKNOWN") != 0;
}

#define SEGX_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            return __LINE__;                                                   \
    } while (0)

/* A sum of the bytes, so that the reads cannot be optimised away. */
static volatile unsigned segx_sink;

/* The most bytes of an object's data a use walks (its ends are read
 * besides): a segment passed by descriptor may be gigabytes of file that
 * no page was ever written to, and each page read would be allocated. */
#define SEGX_WALK 65536

static int segx_use_flag(coord_flag *f)
{
    segx_sink += coord_flag_is_set(f);
    uint32_t e = coord_flag_epoch(f);
    int r = coord_flag_claim_epoch(f, e, COORD_CLAIM_CAS);
    SEGX_CHECK(r == 0 || r == 1);
    r = coord_flag_wait(f, 0);
    SEGX_CHECK(r == 0 || r == COORD_EAGAIN);
    segx_sink += coord_flag_claim(f);
    coord_flag_set(f);
    return 0;
}

static int segx_use_value(coord_value *v, int locks)
{
    coord_scalar s;
    int64_t i;
    int r = coord_value_get(v, &s);
    SEGX_CHECK(r == 0 || r == COORD_EPROTO);
    r = coord_value_get_i64(v, &i);
    SEGX_CHECK(r == 0 || r == COORD_EPROTO);
    segx_sink += (unsigned)coord_value_type(v);
    memset(&s, 0, sizeof s);
    s.i = 42;
    r = coord_value_store(v, s);
    SEGX_CHECK(r == 0 || r == COORD_EPROTO);
    if (locks) {
        r = coord_value_lock(v, 0);
        SEGX_CHECK(segx_named(r));
        if (r == 0 || r == COORD_RECOVERED)
            SEGX_CHECK(segx_named(coord_value_unlock(v)));
    }
    return 0;
}

static int segx_use_array(coord_array *a, int locks)
{
    size_t n = coord_array_length(a);
    coord_scalar s;
    /* The far end first: a length that lies sends it outside the mapping
     * (and past the mappings next to it, which a walk from 0 would hit). */
    size_t probe[3] = {n - 1, n / 2, n - n / 4};
    for (size_t i = 0; n && i < 3; i++) {
        int r = coord_array_get(a, probe[i], &s);
        SEGX_CHECK(r == 0 || r == COORD_ERANGE || r == COORD_EPROTO);
    }
    for (size_t i = 0; i < n && i < 4096; i++) {
        int r = coord_array_get(a, i, &s);
        SEGX_CHECK(r == 0 || r == COORD_ERANGE || r == COORD_EPROTO);
    }
    /* Index n is out of range, unless a racing writer grew the length
     * since (or put a corrupted one back) and nobody is quiet (`locks`). */
    int r = coord_array_get(a, n, &s);
    SEGX_CHECK(r == COORD_ERANGE || r == COORD_EPROTO || (!locks && r == 0));
    memset(&s, 0, sizeof s);
    s.u = 7;
    if (n) {
        r = coord_array_set(a, n - 1, s);
        SEGX_CHECK(r == 0 || r == COORD_ERANGE || r == COORD_EPROTO);
    }
    size_t lo, hi;
    r = coord_array_slice(a, 1, 3, &lo, &hi);
    SEGX_CHECK(r == 0 || r == COORD_EPROTO);
    if (locks) {
        /* Length and type from one process's view, with nobody changing
         * them in between: the zero-copy pointer covers n elements. */
        const unsigned char *d = coord_array_data(a);
        size_t bytes = n * coord_type_size(coord_array_type(a));
        if (d && bytes)
            segx_sink += d[bytes - 1];
        for (size_t i = 0; d && i < bytes && i < SEGX_WALK; i++)
            segx_sink += d[i];
        r = coord_array_lock(a, 0);
        SEGX_CHECK(segx_named(r));
        if (r == 0 || r == COORD_RECOVERED)
            SEGX_CHECK(segx_named(coord_array_unlock(a)));
    }
    return 0;
}

static int segx_use_region(coord_region *g)
{
    /* The length is checked against this process's mapping on each call,
     * so reading that many bytes stays inside it whatever happens next. */
    size_t n = coord_region_len(g);
    const unsigned char *d = coord_region_data(g);
    if (d && n)
        segx_sink += d[n - 1] + d[n / 2];
    for (size_t i = 0; d && i < n && i < SEGX_WALK; i++)
        segx_sink += d[i];
    return 0;
}

#endif
