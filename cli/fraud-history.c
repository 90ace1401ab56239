/* SPDX-License-Identifier: MIT */
/* fraud-history.c: the per-account and per-merchant history the detectors look up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fraud.h"

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

/* Sorted unique values of ids[0..n) in place; returns their count. */
static size_t uniq(uint32_t *ids, size_t n)
{
    qsort(ids, n, sizeof *ids, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || ids[m - 1] != ids[i])
            ids[m++] = ids[i];
    return m;
}

static uint32_t find(const uint32_t *ids, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

int fraud_index(struct fraud_txn *t, size_t n, uint32_t *n_accounts,
                uint32_t *n_merchants)
{
    uint32_t *a = malloc((n ? n : 1) * sizeof *a);
    uint32_t *m = malloc((n ? n : 1) * sizeof *m);
    if (!a || !m) {
        free(a);
        free(m);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        a[i] = t[i].account;
        m[i] = t[i].merchant;
    }
    size_t na = uniq(a, n), nm = uniq(m, n);
    for (size_t i = 0; i < n; i++) {
        t[i].acct_ix = find(a, na, t[i].account);
        t[i].merch_ix = find(m, nm, t[i].merchant);
    }
    free(a);
    free(m);
    *n_accounts = (uint32_t)na;
    *n_merchants = (uint32_t)nm;
    return 0;
}

int fraud_history_init(struct fraud_history *h, uint32_t n_accounts,
                       uint32_t n_merchants, uint32_t depth)
{
    memset(h, 0, sizeof *h);
    if (depth == 0)
        return -EINVAL;
    h->accounts = calloc(n_accounts ? n_accounts : 1, sizeof *h->accounts);
    h->merchants = calloc(n_merchants ? n_merchants : 1, sizeof *h->merchants);
    if (!h->accounts || !h->merchants) {
        fraud_history_free(h);
        return -ENOMEM;
    }
    h->n_accounts = n_accounts;
    h->n_merchants = n_merchants;
    h->depth = depth;
    return 0;
}

void fraud_history_free(struct fraud_history *h)
{
    for (uint32_t i = 0; h->accounts && i < h->n_accounts; i++)
        free(h->accounts[i].ev);
    for (uint32_t i = 0; h->merchants && i < h->n_merchants; i++)
        free(h->merchants[i].ev);
    free(h->accounts);
    free(h->merchants);
    memset(h, 0, sizeof *h);
}

static int ring_push(struct fraud_ring *r, uint32_t depth,
                     const struct fraud_event *e)
{
    if (r->len == r->cap_now && r->cap_now < depth) {
        /* Grow while not yet full: rings of quiet accounts stay small.
         * Until the first wrap the events sit in order at 0..len-1, so a
         * plain realloc keeps them in order. */
        uint32_t nc = r->cap_now ? r->cap_now * 2 : 8;
        if (nc > depth)
            nc = depth;
        struct fraud_event *ne = realloc(r->ev, nc * sizeof *ne);
        if (!ne)
            return -ENOMEM;
        r->ev = ne;
        r->cap_now = nc;
        r->head = r->len;
    }
    r->ev[r->head] = *e;
    r->head = (r->head + 1) % r->cap_now;
    if (r->len < r->cap_now)
        r->len++;
    return 0;
}

int fraud_history_add(struct fraud_history *h, const struct fraud_txn *t)
{
    if (t->acct_ix >= h->n_accounts || t->merch_ix >= h->n_merchants)
        return -EINVAL;
    struct fraud_event e = {t->ts_ms,  t->cents,    t->lat_e5, t->lon_e5,
                            t->merchant, t->device, t->account};
    int rc = ring_push(&h->accounts[t->acct_ix], h->depth, &e);
    if (rc == 0)
        rc = ring_push(&h->merchants[t->merch_ix], h->depth, &e);
    return rc;
}
