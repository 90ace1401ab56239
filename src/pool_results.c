/* SPDX-License-Identifier: MIT */
/* pool_results.c: results in the pool's parent: reserved records, one arena for their bytes, a running map's arrays, and reading result chunks off the shared queue. */
#include "pool_internal.h"

int coord__pool_reserve_id(coord_pool *p, uint64_t id)
{
    if (id / 8 < p->completed_bytes)
        return 0;
    /* More ids than any memory tracks (16 TiB of bits): refused before a
     * request that would only fail (or, under ASan, abort). */
    if (id / 8 >= COORD__SIZE_CAP(44))
        return COORD_ENOMEM;
    size_t n = p->completed_bytes ? p->completed_bytes * 2 : 4096;
    while (n <= id / 8)
        n *= 2;
    uint8_t *c = realloc(p->completed, n);
    if (!c)
        return COORD_ENOMEM;
    memset(c + p->completed_bytes, 0, n - p->completed_bytes);
    p->completed = c;
    p->completed_bytes = n;
    return 0;
}

/* Make room in the local result list for `extra` more results beyond the
 * unread ones and those of every task not yet completed: submit calls it
 * (extra 1), so that storing a result later never needs memory for its
 * record, and a result taken off the shared queue is never lost. */
int coord__pool_reserve_results(coord_pool *p, size_t extra)
{
    size_t have = (p->res_n - p->res_head) + (size_t)pending(p);
    /* A count no memory holds (a map of (size_t)-1 tasks): the doubling
     * below would overflow to 0 and spin for ever. */
    size_t most = COORD__SIZE_CAP(40) / sizeof(struct local_result);
    if (have > most || extra > most - have)
        return COORD_ENOMEM;
    size_t need = have + extra;
    if (need <= p->res_cap)
        return 0;
    size_t n = p->res_cap ? p->res_cap * 2 : 64;
    while (n < need)
        n *= 2;
    struct local_result *v = realloc(p->res, n * sizeof *v);
    if (!v)
        return COORD_ENOMEM;
    p->res = v;
    p->res_cap = n;
    return 0;
}

/* Room for `len` more result bytes in the arena: compacts the unread
 * results' bytes to the front, grows it (doubling) only when they fill it.
 * Returns the offset, or SIZE_MAX when memory is short. */
static size_t arena_take(coord_pool *p, size_t len)
{
    if (p->res_head == p->res_n)
        p->arena_n = 0; /* everything read */
    if (p->arena_cap - p->arena_n < len) {
        /* Unread results lie in the arena in list order (appended so, and
         * map_take keeps the order): pack them to the front. */
        size_t n = 0;
        for (size_t i = p->res_head; i < p->res_n; i++) {
            struct local_result *lr = &p->res[i];
            if (lr->r.len == 0)
                continue;
            memmove(p->arena + n, p->arena + lr->off, lr->r.len);
            lr->off = n;
            n += lr->r.len;
        }
        p->arena_n = n;
        /* Still short, or more than half full after packing (every result
         * would pack it again): double it. */
        if (p->arena_cap - p->arena_n < len || p->arena_n > p->arena_cap / 2) {
            size_t c = p->arena_cap ? p->arena_cap * 2 : 65536;
            while (c - p->arena_n < len)
                c *= 2;
            unsigned char *a = realloc(p->arena, c);
            if (a) {
                p->arena = a;
                p->arena_cap = c;
            } else if (p->arena_cap - p->arena_n < len) {
                return SIZE_MAX;
            }
        }
    }
    size_t off = p->arena_n;
    p->arena_n += len;
    return off;
}

/* Store a final result for `id` (copying `data`), unless it has one. The
 * record's room was reserved at submit; when the arena cannot grow for its
 * bytes, the task's result says so (COORD_ENOMEM, no data) rather than
 * vanish, so nobody waits for it forever. */
static void add_result(coord_pool *p, const coord_task_result *r,
                       const void *data)
{
    if (r->id >= p->next_id || is_completed(p, r->id))
        return; /* a stale or repeated report: the task already has one */
    p->completed[r->id / 8] |= (uint8_t)(1u << (r->id % 8));
    if (r->status == 0)
        p->st.succeeded++;
    else
        p->st.failed++;
    if (p->map.on && r->id - p->map.first < p->map.n) {
        /* A result of the running map: into its arrays. */
        size_t k = (size_t)(r->id - p->map.first);
        int status = r->status;
        if (status == 0 && r->len > p->map.size)
            status = COORD_ENOBUFS; /* never truncated silently */
        /* A failed task's bytes too (its reason, pool.h), when they fit. */
        if (r->len && r->len <= p->map.size)
            memcpy(p->map.out + k * p->map.size, data, r->len);
        if (p->map.info) {
            p->map.info[k] = *r;
            p->map.info[k].status = status;
        }
        p->map.failed += status != 0;
        p->map.got++;
        return;
    }
    if (p->res_n == p->res_cap) {
        /* Unread results plus pending tasks fit
         * (coord__pool_reserve_results): the read ones at the front make
         * the room. */
        memmove(p->res, p->res + p->res_head,
                (p->res_n - p->res_head) * sizeof *p->res);
        p->res_n -= p->res_head;
        p->res_head = 0;
        if (p->res_n == p->res_cap)
            COORD__DIE("pool: no room reserved for a result");
    }
    struct local_result *lr = &p->res[p->res_n];
    lr->r = *r;
    lr->off = 0;
    if (r->len) {
        size_t off = arena_take(p, r->len);
        if (off != SIZE_MAX) {
            memcpy(p->arena + off, data, r->len);
            lr->off = off;
        } else {
            lr->r.status = COORD_ENOMEM;
            lr->r.len = 0;
            snprintf(lr->r.cause, sizeof lr->r.cause,
                     "out of memory for its %zu-byte result", r->len);
            if (r->status == 0) {
                p->st.succeeded--;
                p->st.failed++;
            }
        }
    }
    p->res_n++;
}

/* Give task `id` a failed outcome with no result bytes (status
 * COORD_EPEERDIED: its worker died, or COORD_EPROTO: the pool broke),
 * unless it has one. */
void coord__pool_fail_task(coord_pool *p, uint64_t id, int status,
                           unsigned attempts, int worker, int wait_status,
                           const char *cause)
{
    coord_task_result r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.status = status;
    r.worker = worker;
    r.attempts = attempts;
    r.wait_status = wait_status;
    snprintf(r.cause, sizeof r.cause, "%s", cause);
    add_result(p, &r, NULL);
}

/* Store the results of a result chunk (`count` entries after `off` in
 * `msg` of `len` bytes, untrusted) from worker `worker`. Returns how many
 * were well formed. */
uint32_t coord__pool_add_results(coord_pool *p, const unsigned char *msg,
                                 size_t len, size_t off, uint32_t count,
                                 int worker)
{
    coord_task_result res;
    memset(&res, 0, sizeof res);
    res.worker = worker;
    uint32_t i = 0;
    for (; i < count; i++) {
        struct result_ent e;
        if (len - off < sizeof e)
            break;
        memcpy(&e, msg + off, sizeof e);
        if (e.len > p->o.max_result || e.len > len - off - sizeof e)
            break;
        const unsigned char *data = msg + off + sizeof e;
        off += round8(sizeof e + e.len);
        if (off > len)
            off = len;
        uint64_t k = e.id - p->map.first;
        if (p->map.on && k < p->map.n && e.status == 0 && !p->map.info &&
            e.len <= p->map.size && !is_completed(p, e.id)) {
            /* The common case of a map: a good result into its array. */
            p->completed[e.id / 8] |= (uint8_t)(1u << (e.id % 8));
            p->st.succeeded++;
            p->map.got++;
            unsigned char *to = p->map.out + k * p->map.size;
            if (e.len == 8)
                memcpy(to, data, 8); /* inlined: the common small size */
            else
                memcpy(to, data, e.len);
            continue;
        }
        res.id = e.id;
        res.status = e.status;
        res.attempts = e.attempt;
        res.len = e.len;
        add_result(p, &res, data);
    }
    return i;
}

/* Take one result chunk from the shared queue (waiting up to timeout_ms)
 * into the parent's memory. Returns 0 or the queue's code. */
int coord__pool_take_results(coord_pool *p, int timeout_ms)
{
    size_t len;
    int r = coord_queue_get(p->results, p->rbuf, p->rchunk_cap, &len,
                            timeout_ms);
    if (r != 0) {
        if (r != COORD_EAGAIN && r != COORD_ETIMEDOUT)
            coord__pool_break(p, "its result queue is broken");
        return r;
    }
    struct rchunk_hdr h;
    if (len < sizeof h) {
        coord__pool_break(p, "a worker's result chunk was malformed");
        return COORD_EPROTO;
    }
    memcpy(&h, p->rbuf, sizeof h);
    uint32_t n =
        coord__pool_add_results(p, p->rbuf, len, sizeof h, h.count, h.worker);
    if (n < h.count) {
        /* Only our workers write here, whole chunks: a short one was
         * written over (a task may scribble on any shared page it
         * reaches). Its missing tasks cannot be named from it, and its
         * worker lives on: the pool stops as for a broken queue, and those
         * tasks get an outcome (they were left pending for ever). */
        coord__pool_break(p, "a worker's result chunk was malformed");
        return COORD_EPROTO;
    }
    if (p->o.retire_after)
        coord__pool_note_ran(p, h.worker, n);
    coord__pool_learn_cost(p, h.ns, n);
    p->rchunks++;
    return 0;
}

/* Move every queued result into the parent's memory, trying gets until
 * one finds the queue empty (what a death needs: every committed result,
 * whatever a count says). Returns how many chunks. */
int coord__pool_drain_all(coord_pool *p)
{
    int n = 0;
    while (coord__pool_take_results(p, 0) == 0)
        n++;
    return n;
}

/* The same on the hot path: gets only while the queue's count says a
 * result is there. */
int coord__pool_drain_results(coord_pool *p)
{
    int n = 0;
    /* A try-once get of an empty queue is a few loads and no lock; the
     * queue's count would walk every queued slot (per result: quadratic
     * when many are queued). */
    while (coord__pool_take_results(p, 0) == 0)
        n++;
    return n;
}
