/* SPDX-License-Identifier: MIT */
/* manager_hmap.c: the manager's hash maps: growing, shrinking, new entries (lookups: manager_hmap.h). */
#include "manager_hmap.h"

bool coord__hmap_rehash(struct coord__hmap *m, size_t nb)
{
    struct coord__hent **b = calloc(nb, sizeof *b);
    if (!b)
        return false;
    for (size_t i = 0; i < m->nb; i++) {
        struct coord__hent *x = m->b[i], *next;
        for (; x; x = next) {
            next = x->next;
            x->next = b[x->hash & (nb - 1)];
            b[x->hash & (nb - 1)] = x;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
    return true;
}

int coord__hmap_insert(struct coord__hmap *m, struct coord__hent *e)
{
    if (m->n + 1 > m->nb &&
        !coord__hmap_rehash(m, m->nb ? m->nb * 2 : 8) && m->nb == 0)
        return COORD_ENOMEM;
    struct coord__hent **head = &m->b[e->hash & (m->nb - 1)];
    e->next = *head;
    *head = e;
    m->n++;
    return 0;
}

/* After a removal: halve the buckets once a quarter of them is used. The
 * tables never shrank, so a client that filled a dict and emptied it but
 * for one key, then did the same with another, kept 8 MB per dict of a
 * million keys while the limits counted one entry each: memory grew
 * without bound. A failed allocation keeps the bigger table. */
void coord__hmap_shrink(struct coord__hmap *m)
{
    if (m->nb > 8 && m->n <= m->nb / 4)
        (void)coord__hmap_rehash(m, m->nb / 2);
}

struct coord__hent *coord__hent_new(const uint8_t *k, size_t n, uint64_t h)
{
    struct coord__hent *e = malloc(sizeof *e + n + 1);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->klen = (uint32_t)n;
    if (n)
        memcpy(e->key, k, n);
    e->key[n] = '\0';
    return e;
}
