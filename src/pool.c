/* SPDX-License-Identifier: MIT */
/* pool.c: task mode of coord_pool: start, submit, result, shutdown, destroy, and the parent's pump that serves them while they wait. */
#include <limits.h>
#include <poll.h>

#include "pool_internal.h"

#define POOL_MAX_BYTES COORD_POOL_MAX_BYTES /* per task and per result */
/* How long a waiting pool call sleeps before it looks for dead workers
 * again: the bound on death detection while results are awaited. */
#define POOL_SLICE_MS 5
/* An automatic chunk holds as many tasks as fit this many bytes of task
 * or result message (at least one task). */
#define POOL_CHUNK_BYTES 4096u
#define POOL_MAX_CHUNK 1024u

void coord_pool_opts_init(coord_pool_opts *o)
{
    if (!o)
        return;
    o->workers = 4;
    o->max_task = 256;
    o->max_result = 256;
    o->queue_capacity = 1024;
    o->retries = 0;
    o->no_replace = false;
    o->chunk = 0;
    o->retire_after = 0;
}

/* The options with every zero field replaced by its default. */
static coord_pool_opts opts_resolved(const coord_pool_opts *in)
{
    coord_pool_opts d, o = *in;
    coord_pool_opts_init(&d);
    if (o.workers == 0)
        o.workers = d.workers;
    if (o.max_task == 0)
        o.max_task = d.max_task;
    if (o.max_result == 0)
        o.max_result = d.max_result;
    if (o.queue_capacity == 0)
        o.queue_capacity = d.queue_capacity;
    return o;
}

/* Milliseconds left before `deadline` (COORD_FOREVER for none). */
static int ms_until(uint64_t deadline)
{
    if (deadline == UINT64_MAX)
        return COORD_FOREVER;
    uint64_t now = coord_clock_ns();
    if (now >= deadline)
        return 0;
    uint64_t ms = (deadline - now + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Milliseconds for the next pump: at most POOL_SLICE_MS (0: expired). */
int coord__pool_left_ms(uint64_t deadline)
{
    int ms = ms_until(deadline);
    return ms < 0 || ms > POOL_SLICE_MS ? POOL_SLICE_MS : ms;
}

/*
 * One round of the parent's duties: queue retries, collect results, reap
 * dead workers. When none of that made progress, send the chunk being
 * filled and wait up to `wait_ms` (<= POOL_SLICE_MS) for a result, or for
 * a death when nothing is pending. With wait_ms 0, the chunk being filled
 * goes out only when the task queue has run low (a worker may be idle).
 */
void coord__pool_pump(coord_pool *p, int wait_ms)
{
    int did = coord__pool_flush_retries(p) + coord__pool_drain_results(p) +
              coord__pool_reap_due(p);
    /* A worker whose last result is in (opts.retire_after) is exiting:
     * reap it now, so that its replacement comes at once. */
    if (p->leaving)
        did += coord__pool_reap_some(p, 0);
    /* Chunks still queued (the workers' count lags: errs high), without
     * walking the queue. */
    uint64_t queued =
        p->sent - atomic_load_explicit(&p->ctl->taken, memory_order_relaxed);
    if (p->open_count && (wait_ms > 0 || queued < p->live))
        (void)coord__pool_flush_open(p);
    if (did || wait_ms <= 0)
        return;
    if (wait_ms > POOL_SLICE_MS)
        wait_ms = POOL_SLICE_MS;
    /* About to sleep: make sure queued chunks have a worker coming. When
     * none was taken since the last such look (the poller's chunk, short
     * by the measured cost, turned out long, or a chosen worker died),
     * wake one whatever the rule says: a task never waits behind another
     * more than a slice while the caller is in a pool call. */
    uint64_t taken = atomic_load_explicit(&p->ctl->taken, memory_order_relaxed);
    bool stalled = p->sent != taken && taken == p->stall_taken;
    p->stall_taken = taken;
    coord__pool_wake_if_needed(p, stalled, 0);
    /* No worker, a slot waiting for its fork: wait for that (pool_death.c,
     * coord__pool_refill). */
    if (p->live == 0 && p->nvacant && !p->broken) {
        coord__pool_starve_nap(p, wait_ms);
        return;
    }
    /* Wait for a death, or for an exit when every live worker is
     * retiring (no result can come before a replacement does). */
    if (pending(p) == 0 || p->live == 0 || p->leaving >= p->live) {
        coord__pool_reap_some(p, wait_ms);
        return;
    }
    if (coord__pool_take_results(p, wait_ms) != 0)
        coord__pool_reap_some(p, 0); /* a slice without results: any deaths? */
}

static void pool_free(coord_pool *p)
{
    if (p->kids) {
        for (unsigned i = 0; i < p->o.workers; i++)
            coord__child_kill(&p->kids[i]);
    }
    coord_queue_destroy(p->tasks);
    coord_queue_destroy(p->results);
    if (p->shm)
        coord__seg_release(p->shm, true);
    for (size_t i = 0; i < p->retry_n; i++)
        free(p->retry[i].ent);
    free(p->res);
    free(p->arena);
    free(p->retry);
    free(p->requeued);
    free(p->completed);
    free(p->kids);
    free(p->pfd);
    free(p->ended);
    free(p->slot_restarts);
    free(p->slot_ran);
    free(p->vacant);
    free(p->sbuf);
    free(p->rbuf);
    free(p->dbuf);
    free(p);
}

/* Chunk sizes for the options: the most tasks a chunk holds, and the
 * message capacities that fit them. Returns 0 or COORD_EINVAL. */
static int size_chunks(coord_pool *p)
{
    const coord_pool_opts *o = &p->o;
    p->task_ent_max = round8(sizeof(struct task_ent) + o->max_task);
    p->result_ent_max = round8(sizeof(struct result_ent) + o->max_result);
    size_t ent = p->task_ent_max > p->result_ent_max ? p->task_ent_max
                                                     : p->result_ent_max;
    size_t k = o->chunk;
    if (k == 0) {
        k = (POOL_CHUNK_BYTES - sizeof(struct chunk_hdr)) / ent;
        if (k < 1)
            k = 1;
        if (k > POOL_MAX_CHUNK)
            k = POOL_MAX_CHUNK;
    }
    if (k > POOL_MAX_CHUNK || k * ent > (size_t)4 * POOL_MAX_BYTES)
        return COORD_EINVAL;
    /* No chunk holds more tasks than a worker runs in its life: the
     * tasks beyond would only be queued again (pool.h, "Retirement"). */
    if (o->retire_after && k > o->retire_after) {
        k = o->retire_after;
        if (p->o.chunk)
            p->o.chunk = o->retire_after;
    }
    p->chunk_max = (unsigned)k;
    p->tchunk_cap = round64(sizeof(struct chunk_hdr) + k * p->task_ent_max);
    p->rchunk_cap = round64(sizeof(struct rchunk_hdr) + k * p->result_ent_max);
    return 0;
}

int coord_pool_start(coord_pool **out, const coord_pool_opts *opts,
                     coord_task_fn fn, void *arg)
{
    if (!out || !opts || !fn)
        return COORD_EINVAL;
    coord_pool_opts ro = opts_resolved(opts);
    const coord_pool_opts *o = &ro;
    if (o->workers > POOL_MAX_WORKERS || o->max_task > POOL_MAX_BYTES ||
        o->max_result > POOL_MAX_BYTES ||
        o->queue_capacity > COORD_QUEUE_MAX_CAPACITY ||
        o->retire_after > INT_MAX)
        return COORD_EINVAL;
    coord_pool *p = calloc(1, sizeof *p);
    if (!p)
        return COORD_ENOMEM;
    p->o = *o;
    p->owner = (pid_t)coord__self_pid();
    p->fn = fn;
    p->arg = arg;
    if (size_chunks(p) != 0) {
        free(p);
        return COORD_EINVAL;
    }
    p->auto_k = 1;
    p->next_seq = 1;
    p->rec_size = round64(sizeof(struct wrec) + p->tchunk_cap + p->rchunk_cap);
    size_t tq = coord_queue_size(o->queue_capacity, p->tchunk_cap);
    size_t rq = coord_queue_size(o->queue_capacity, p->rchunk_cap);
    if (tq == 0 || rq == 0) {
        free(p);
        return COORD_EINVAL;
    }
    size_t ctl = round64(sizeof(struct pool_ctl));
    size_t total = tq + rq + ctl + (size_t)o->workers * p->rec_size;
    int r = coord__seg_create(NULL, COORD__KIND_POOL, total, &p->shm);
    if (r) {
        free(p);
        return r;
    }
    unsigned char *base = p->shm;
    r = coord_queue_init(base, tq, o->queue_capacity, p->tchunk_cap, &p->tasks);
    if (!r)
        r = coord_queue_init(base + tq, rq, o->queue_capacity, p->rchunk_cap,
                             &p->results);
    p->ctl = (struct pool_ctl *)(base + tq + rq);
    p->recs = base + tq + rq + ctl;
    p->kids = calloc(o->workers, sizeof *p->kids);
    p->pfd = calloc(o->workers, sizeof *p->pfd);
    p->ended = calloc(o->workers, sizeof *p->ended);
    p->slot_restarts = calloc(o->workers, sizeof *p->slot_restarts);
    p->slot_ran = calloc(o->workers, sizeof *p->slot_ran);
    p->vacant = calloc(o->workers, sizeof *p->vacant);
    p->sbuf = malloc(p->tchunk_cap);
    p->rbuf = malloc(p->rchunk_cap);
    p->dbuf = malloc(p->tchunk_cap);
    if (!r && (!p->kids || !p->pfd || !p->ended || !p->slot_restarts ||
               !p->slot_ran || !p->vacant ||
               !p->sbuf || !p->rbuf || !p->dbuf ||
               coord__pool_reserve_id(p, 0) < 0))
        r = COORD_ENOMEM;
    if (r) {
        pool_free(p);
        return r;
    }
    p->open_len = coord__pool_chunk_begin(p->sbuf, p->next_seq);
    coord__seg_publish(p->shm);
    for (unsigned i = 0; i < o->workers; i++) {
        r = coord__pool_spawn_worker(p, i);
        if (r) {
            pool_free(p);
            return r;
        }
    }
    p->st.workers = o->workers;
    *out = p;
    return 0;
}

int coord_pool_submit(coord_pool *p, const void *task, size_t len,
                      uint64_t *id, int timeout_ms)
{
    if (!p || (!task && len) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (!coord__pool_ours(p))
        return COORD_ECHILD;
    if (p->closed)
        return COORD_ECLOSED;
    if (p->broken)
        return p->broken;
    if (len > p->o.max_task)
        return COORD_EMSGSIZE;
    int r = coord__pool_reserve_id(p, p->next_id);
    if (r == 0)
        r = coord__pool_reserve_results(p, 1);
    if (r)
        return r;
    uint64_t deadline = coord__deadline(timeout_ms);
    bool last = false;
    /* The task that completes a chunk is accepted only when the chunk goes
     * out: a task is never left behind in the parent by a submit that
     * returned, except in a chunk the caller asked for (opts.chunk) or a
     * map's chunk, both sent by the next call that waits. */
    for (;;) {
        if (p->broken)
            return p->broken;
        if (p->live == 0) {
            /* Forks failing (a process limit): fork again, and wait for a
             * worker until the deadline, 1 s at most (pool_death.c). */
            r = coord__pool_await_worker(p, deadline, timeout_ms);
            if (r)
                return r;
        }
        if (p->open_count == 0)
            p->open_k = coord__pool_choose_k(p);
        /* The entry goes after the open chunk's, counted only once
         * accepted (a pump below may send or fail the chunk as it is). */
        struct task_ent e = {p->next_id, 1, (uint32_t)len};
        unsigned char *at = p->sbuf + p->open_len;
        memcpy(at, &e, sizeof e);
        if (len)
            memcpy(at + sizeof e, task, len);
        size_t n = round8(sizeof e + len);
        if (n > sizeof e + len)
            memset(at + sizeof e + len, 0, n - sizeof e - len);
        struct chunk_hdr h = {p->next_seq, p->open_count + 1,
                              (uint32_t)(p->open_len + n)};
        memcpy(p->sbuf, &h, sizeof h);
        bool full = p->open_count + 1 >= p->open_k;
        /* A try-once put: no count of the queue first (it walks every
         * queued slot). */
        int r = full ? coord__pool_send(p, p->sbuf, p->open_len + n) : 0;
        if (r == 0) {
            if (full) {
                p->open_count = 0;
                p->open_len = coord__pool_chunk_begin(p->sbuf, p->next_seq);
            } else {
                p->open_len += n;
                p->open_count++;
            }
            if (id)
                *id = p->next_id;
            p->next_id++;
            p->st.submitted++;
            return 0;
        }
        h.count = p->open_count;
        h.bytes = (uint32_t)p->open_len;
        memcpy(p->sbuf, &h, sizeof h);
        if (r != COORD_EAGAIN)
            continue; /* broken: said above */
        if (last)
            return timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
        /* Full: do the parent's duties (collect results, so that workers
         * blocked on the result queue go on; handle deaths), try again;
         * once more after the deadline. */
        int ms = coord__pool_left_ms(deadline);
        coord__pool_pump(p, ms);
        last = ms == 0;
    }
}

int coord_pool_result(coord_pool *p, coord_task_result *res, void *buf,
                      size_t cap, int timeout_ms)
{
    if (!p || !res || (!buf && cap) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (!coord__pool_ours(p))
        return COORD_ECHILD;
    /* A try-once call (the streaming caller's poll) reads no clock. */
    uint64_t deadline = timeout_ms == 0 ? 0 : coord__deadline(timeout_ms);
    for (;;) {
        if (p->res_head < p->res_n) {
            struct local_result *lr = &p->res[p->res_head];
            *res = lr->r;
            if (lr->r.len > cap)
                return COORD_ENOBUFS;
            if (lr->r.len)
                memcpy(buf, p->arena + lr->off, lr->r.len);
            p->res_head++;
            return 0;
        }
        if (pending(p) == 0)
            return COORD_ENODATA;
        int ms = timeout_ms == 0 ? 0 : coord__pool_left_ms(deadline);
        coord__pool_pump(p, ms);
        if (ms == 0 && p->res_head == p->res_n)
            return timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
    }
}

int coord_pool_shutdown(coord_pool *p, int timeout_ms)
{
    if (!p || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (!coord__pool_ours(p))
        return COORD_ECHILD;
    if (p->joined)
        return 0;
    int expired = timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
    uint64_t deadline = coord__deadline(timeout_ms);
    /* 1. Every task gets its result (retries and replacements go on). */
    while (pending(p) > 0) {
        int ms = coord__pool_left_ms(deadline);
        if (ms == 0)
            /* a try-once call still sends what it holds */
            coord__pool_flush_open(p);
        coord__pool_pump(p, ms);
        if (ms == 0 && pending(p) > 0)
            return expired;
    }
    /* 2. One pill per live worker that has none coming. */
    p->closed = true;
    for (;;) {
        coord__pool_pump(p, 0);
        coord__pool_reap_some(p, 0);
        uint64_t owed = p->pills_put - p->pill_exits;
        if (p->live <= owed)
            break;
        int r = coord_queue_put_pill(p->tasks, 0);
        if (r == 0) {
            p->pills_put++;
            p->sent++;
            coord__pool_wake_if_needed(p, true, 0);
            continue;
        }
        if (r != COORD_EAGAIN) {
            /* Broken: every worker is killed and reaped (live is 0). */
            coord__pool_break(p, "its task queue is broken");
            continue;
        }
        int ms = coord__pool_left_ms(deadline);
        if (ms == 0)
            return expired;
        coord__pool_reap_some(p, ms);
    }
    /* 3. Join every worker. A worker killed after its get took a pill but
     * before its clean exit took that pill with it while not counting as
     * a pill exit, so `owed` above can overstate the pills still queued:
     * keep at least one queued per live worker (a spare pill is harmless,
     * a missing one leaves a worker waiting forever). */
    while (p->live > 0) {
        if (coord_queue_count(p->tasks) < (long)p->live &&
            coord_queue_put_pill(p->tasks, 0) == 0)
            p->sent++;
        coord__pool_wake_if_needed(p, true, 0);
        int ms = coord__pool_left_ms(deadline);
        if (ms == 0)
            return expired;
        coord__pool_reap_some(p, ms);
        coord__pool_drain_results(p);
    }
    p->joined = true;
    return 0;
}

void coord_pool_destroy(coord_pool *p)
{
    if (!p)
        return;
    /* In a fork of the owner the queues and the workers are the owner's:
     * closing the task queue would stop its pool (and pool_free's kills
     * only forget the workers there, see coord__child). */
    if (p->tasks && coord__pool_ours(p))
        coord_queue_close(p->tasks);
    pool_free(p);
}

int coord_pool_set_fork_hooks(coord_pool *p, void (*before)(void *arg),
                              void (*after)(void *arg), void *arg)
{
    if (!p || !before != !after)
        return COORD_EINVAL;
    if (!coord__pool_ours(p))
        return COORD_ECHILD;
    p->before_fork = before;
    p->after_fork = after;
    p->fork_arg = arg;
    return 0;
}

int coord_pool_get_stats(const coord_pool *p, coord_pool_stats *st)
{
    if (!p || !st)
        return COORD_EINVAL;
    *st = p->st;
    st->live = p->live;
    st->pending = pending(p);
    st->chunk = p->o.chunk ? p->o.chunk : p->auto_k;
    st->task_ns = p->cost_ns;
    return 0;
}

int coord_pool_get_worker_stats(const coord_pool *p, unsigned index,
                            coord_pool_worker_stats *ws)
{
    if (!p || !ws || index >= p->o.workers)
        return COORD_EINVAL;
    ws->pid = p->kids[index].pid;
    ws->alive = p->kids[index].pid > 0;
    ws->done = atomic_load_explicit(&rec_of(p, index)->done,
                                    memory_order_relaxed);
    ws->restarts = p->slot_restarts[index];
    return 0;
}
