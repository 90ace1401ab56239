/* SPDX-License-Identifier: MIT */
/* pool_dispatch.c: the pool's chunks: their layout, the automatic chunk size from the measured task cost, and sending chunks and retries to the task queue. */
#include "pool_internal.h"

/* The automatic chunk: what coord_interval_choose() gives for the measured
 * task cost, a hand-off cost (one put and one get of a chunk, each way) of
 * HANDOFF_NS, an overhead budget of BUDGET, and at most TARGET_NS of work
 * per chunk (a chunk is what one worker holds back from the others, and
 * what a streaming caller waits for). */
#define POOL_HANDOFF_NS 2000.0
#define POOL_BUDGET 0.02
#define POOL_TARGET_NS 100000.0
/* The cost average, as the check interval's: a slower sample is believed
 * faster than a faster one, and one sample moves it by at most CLAMP. */
#define UP_WEIGHT 0.25
#define DOWN_WEIGHT 0.125
#define CLAMP 4.0
#define GROWTH 4u

/*
 * Walk the entries of a task chunk of `len` bytes (untrusted: a worker's
 * record or a queue slot). Returns the number of entries when every one
 * lies inside `len`, else 0. With `fn`, calls it for each.
 */
uint32_t coord__pool_chunk_entries(const unsigned char *msg, size_t len,
                                   void (*fn)(const struct task_ent *e,
                                              const unsigned char *ent,
                                              size_t ent_len, void *arg),
                                   void *arg)
{
    struct chunk_hdr h;
    if (len < sizeof h)
        return 0;
    memcpy(&h, msg, sizeof h);
    if (h.seq == 0 || h.count == 0 || h.bytes != len)
        return 0;
    size_t off = sizeof h;
    for (uint32_t i = 0; i < h.count; i++) {
        struct task_ent e;
        if (len - off < sizeof e)
            return 0;
        memcpy(&e, msg + off, sizeof e);
        size_t n = round8(sizeof e + (size_t)e.len);
        if (e.len > len || n > len - off || e.attempt == 0)
            return 0;
        off += n;
    }
    if (!fn)
        return h.count;
    off = sizeof h;
    for (uint32_t i = 0; i < h.count; i++) {
        struct task_ent e;
        memcpy(&e, msg + off, sizeof e);
        size_t n = round8(sizeof e + (size_t)e.len);
        fn(&e, msg + off, sizeof e + e.len, arg);
        off += n;
    }
    return h.count;
}

/* Start an empty chunk numbered `seq` in buf. */
size_t coord__pool_chunk_begin(unsigned char *buf, uint64_t seq)
{
    struct chunk_hdr h = {seq, 0, sizeof h};
    memcpy(buf, &h, sizeof h);
    return sizeof h;
}

/* Append one entry (`ent_len` bytes: header and task bytes) to the chunk
 * in buf of *len bytes; the caller checked the room. */
static void chunk_add(unsigned char *buf, size_t *len, const void *ent,
                      size_t ent_len)
{
    struct chunk_hdr h;
    memcpy(&h, buf, sizeof h);
    memcpy(buf + *len, ent, ent_len);
    size_t n = round8(ent_len);
    if (n > ent_len)
        memset(buf + *len + ent_len, 0, n - ent_len);
    *len += n;
    h.count++;
    h.bytes = (uint32_t)*len;
    memcpy(buf, &h, sizeof h);
}

/* Fold a worker's measurement (ns for count tasks) into the cost average
 * and, unless the caller set opts.chunk, choose the automatic chunk from
 * it. (The average also tells the dispatch whether a chunk can wait for
 * the worker that polls the queue: see coord__pool_wake_if_needed.) */
void coord__pool_learn_cost(coord_pool *p, uint64_t ns, uint32_t count)
{
    if (count == 0)
        return;
    double c = (double)ns / count;
    p->last_cost_ns = c;
    if (c < 0.5)
        c = 0.5; /* below the clock's resolution: "nearly free" */
    if (p->cost_ns <= 0) {
        p->cost_ns = c;
    } else {
        if (c > p->cost_ns * CLAMP)
            c = p->cost_ns * CLAMP;
        else if (c < p->cost_ns / CLAMP)
            c = p->cost_ns / CLAMP;
        double wgt = c > p->cost_ns ? UP_WEIGHT : DOWN_WEIGHT;
        p->cost_ns += wgt * (c - p->cost_ns);
    }
    if (p->o.chunk)
        return;
    /* Choosing k again costs more than the average: at the largest chunk
     * with a cost that still allows it, keep it; otherwise choose again
     * at every 8th sample once past the first chunk size. */
    if (p->auto_k == p->chunk_max && p->cost_ns * p->chunk_max < POOL_TARGET_NS)
        return;
    if (++p->cost_samples % 8 != 0 && p->auto_k > 1)
        return;
    uint64_t k = 1;
    coord_interval_choose(p->cost_ns, POOL_HANDOFF_NS, POOL_BUDGET,
                          POOL_TARGET_NS, &k);
    unsigned grow = p->auto_k * GROWTH;
    if (k > grow)
        k = grow;
    if (k > p->chunk_max)
        k = p->chunk_max;
    p->auto_k = k < 1 ? 1 : (unsigned)k;
}

/* The chunk size for the chunk submit starts now: the caller's, else the
 * automatic one inside a map, else one task (a streaming submit sends its
 * task at once). */
unsigned coord__pool_choose_k(const coord_pool *p)
{
    if (p->o.chunk)
        return p->o.chunk;
    if (p->map_left == 0)
        return 1;
    unsigned k = p->auto_k;
    /* A map spreads its last tasks over the workers: a chunk holds at most
     * a quarter of each worker's share of what is left. */
    {
        size_t share = p->map_left / (4 * (size_t)(p->live ? p->live : 1));
        if (share < k)
            k = share < 1 ? 1 : (unsigned)share;
    }
    return k;
}

int coord__pool_push_retry(coord_pool *p, const void *ent, size_t len)
{
    if (p->retry_n == p->retry_cap) {
        size_t n = p->retry_cap ? p->retry_cap * 2 : 8;
        struct retry_ent *v = realloc(p->retry, n * sizeof *v);
        if (!v)
            return COORD_ENOMEM;
        p->retry = v;
        p->retry_cap = n;
    }
    unsigned char *copy = malloc(len);
    if (!copy)
        return COORD_ENOMEM;
    memcpy(copy, ent, len);
    p->retry[p->retry_n].ent = copy;
    p->retry[p->retry_n].len = len;
    p->retry_n++;
    return 0;
}

/* Queue pending retries, packed in chunks, without waiting. Returns how
 * many chunks went out. */
int coord__pool_flush_retries(coord_pool *p)
{
    size_t sent = 0;
    int chunks = 0;
    while (sent < p->retry_n) {
        size_t len = coord__pool_chunk_begin(p->dbuf, p->next_seq);
        size_t k = sent;
        while (k < p->retry_n && k - sent < p->chunk_max &&
               p->tchunk_cap - len >= round8(p->retry[k].len)) {
            chunk_add(p->dbuf, &len, p->retry[k].ent, p->retry[k].len);
            k++;
        }
        if (coord__pool_send(p, p->dbuf, len) != 0)
            break;
        for (size_t j = sent; j < k; j++)
            free(p->retry[j].ent);
        sent = k;
        chunks++;
    }
    if (sent) {
        memmove(p->retry, p->retry + sent,
                (p->retry_n - sent) * sizeof *p->retry);
        p->retry_n -= sent;
    }
    return chunks;
}

/* Queue the chunk submit is filling, without waiting. Returns 1 when it
 * went out (or was empty), 0 when the queue is full. */
int coord__pool_flush_open(coord_pool *p)
{
    if (p->open_count == 0)
        return 1;
    if (coord__pool_send(p, p->sbuf, p->open_len) != 0)
        return 0;
    p->open_count = 0;
    p->open_len = coord__pool_chunk_begin(p->sbuf, p->next_seq);
    return 1;
}

/*
 * Send one task chunk (msg, len bytes) without waiting. Its header gets the
 * next seq here, so that no two chunks sent carry the same one (a chunk
 * held open while retries went out was numbered before them). Returns 0,
 * COORD_EAGAIN (the queue is full), or, when the queue fails otherwise
 * (found broken), the pool's error after coord__pool_break.
 */
int coord__pool_send(coord_pool *p, unsigned char *msg, size_t len)
{
    struct chunk_hdr h;
    memcpy(&h, msg, sizeof h);
    h.seq = p->next_seq;
    memcpy(msg, &h, sizeof h);
    int r = coord_queue_put(p->tasks, msg, len, 0);
    if (r == 0) {
        p->next_seq++;
        p->sent++;
        coord__pool_wake_if_needed(p, false, h.count);
        return 0;
    }
    if (r == COORD_EAGAIN)
        return r;
    coord__pool_break(p, "its task queue is broken");
    return p->broken;
}
