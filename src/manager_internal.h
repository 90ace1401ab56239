/* SPDX-License-Identifier: MIT */
/* manager_internal.h: the manager's store, shared by the server loop and the fuzzer. */
#ifndef COORD_MANAGER_INTERNAL_H
#define COORD_MANAGER_INTERNAL_H

#include "internal.h"
#include "wire.h"

/* A stored value: blobs own a malloc'd copy with a NUL after `len`. */
struct coord__sval {
    uint8_t type;
    uint32_t len;
    union {
        int64_t i;
        double f;
        uint8_t *p;
    } u;
};

struct coord__hent {
    struct coord__hent *next;
    uint64_t hash;
    uint32_t klen;
    struct coord__sval v; /* dict entries */
    void *obj;            /* container table: the coord__cont */
    char key[];           /* klen bytes and a NUL */
};

struct coord__hmap {
    struct coord__hent **b;
    size_t nb, n; /* nb: a power of two (or 0) */
};

/* A list is a ring of values (pop from the front is O(1)). */
struct coord__list {
    struct coord__sval *a;
    size_t cap, head, n; /* cap: a power of two (or 0) */
};

enum { COORD__CONT_DICT = 1, COORD__CONT_LIST = 2 };

struct coord__cont {
    uint8_t kind;
    struct coord__hmap d;
    size_t d_klen; /* the dict's key bytes: a KEYS reply's size at once */
    struct coord__list l;
};

struct coord__mstore {
    coord_manager_opts o;
    struct coord__hmap conts;
    struct coord__hent *last; /* the container found or made last */
    uint64_t entries, bytes;
    uint64_t trim_peak;     /* the most store_footprint since the last trim */
    /* The process is the server's alone (the forked server): store_trim
     * may trim. False (coord_manager_run): it trims only when its thread
     * is the process's only one at that moment. */
    bool own_heap;
    coord_manager_stats st; /* counters; entries/bytes/containers unused */
    size_t rep_at;          /* offset of the reply frame being built */
    size_t reserve;         /* bytes kept for the results still to come */
    uint32_t welcome_flags; /* set by the server loop for a HELLO */
    struct coord__wop *ops; /* the frame's operations, decoded once */
    size_t ops_cap;
};

void coord__mstore_init(struct coord__mstore *s, const coord_manager_opts *o);
void coord__mstore_free(struct coord__mstore *s);

/*
 * Run one whole frame (4 + len bytes, as announced by its header) and
 * append the reply frame to `rep`. Returns 0, or a negative code when the
 * frame was refused (malformed, oversized, too many operations, out of
 * memory): an ERR frame carrying the code was appended instead and the
 * connection must be closed once it is sent. Never reads outside
 * frame[0..len).
 */
int coord__mstore_exec(struct coord__mstore *s, const uint8_t *frame,
                       size_t len, struct coord__wbuf *rep);

/* The longest handshake_ms and stall_ms accepted: one hour. */
#define COORD__MGR_MAX_MS 3600000

/* Check and complete options (0 fields take defaults). Returns 0 or
 * COORD_EINVAL. */
int coord__mopts_fix(const coord_manager_opts *in, coord_manager_opts *out);

#endif
