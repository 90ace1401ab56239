/* SPDX-License-Identifier: MIT */
/* manager_hmap.h: the manager's chained hash maps (its containers by name, a dict's entries by key): lookups inline for the batch's hot path, changes in manager_hmap.c. */
#ifndef COORD_MANAGER_HMAP_H
#define COORD_MANAGER_HMAP_H

#include <stdlib.h>
#include <string.h>

#include "manager_internal.h"

/* FNV-1a of p[0..n): short keys, no adversary beyond our own user (the
 * server refuses other users' connections). */
static inline uint64_t coord__hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Are x[0..n) and y[0..n) equal? (Names and keys are short: a loop beats
 * a call.) */
static inline bool coord__bytes_eq(const void *x, const void *y, size_t n)
{
    const uint8_t *a = x, *b = y;
    if (n > 16)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The link that points at the entry of key k[0..n) with hash h, or NULL. */
static inline struct coord__hent **coord__hmap_slot(struct coord__hmap *m,
                                                    const uint8_t *k,
                                                    size_t n, uint64_t h)
{
    if (m->nb == 0)
        return NULL;
    struct coord__hent **pp = &m->b[h & (m->nb - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && (*pp)->klen == n &&
            coord__bytes_eq((*pp)->key, k, n))
            return pp;
    return NULL;
}

/* The entry of key k[0..n) with hash h, or NULL. */
static inline struct coord__hent *coord__hmap_find(struct coord__hmap *m,
                                                   const uint8_t *k, size_t n,
                                                   uint64_t h)
{
    struct coord__hent **pp = coord__hmap_slot(m, k, n, h);
    return pp ? *pp : NULL;
}

/* Move m's entries into a table of `nb` buckets (a power of 2). Returns
 * false, the table as it was, when it cannot be allocated. */
bool coord__hmap_rehash(struct coord__hmap *m, size_t nb);
/* Insert `e` (not present). Grows to keep chains short; a failed growth
 * only makes chains longer, it never fails the insert (COORD_ENOMEM only
 * for the first table). */
int coord__hmap_insert(struct coord__hmap *m, struct coord__hent *e);
/* After a removal: halve the buckets once a quarter of them is used. */
void coord__hmap_shrink(struct coord__hmap *m);
/* A new entry for key k[0..n) with hash h (zeroed, the key NUL-terminated),
 * or NULL when out of memory. */
struct coord__hent *coord__hent_new(const uint8_t *k, size_t n, uint64_t h);

#endif
