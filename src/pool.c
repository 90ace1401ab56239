/* SPDX-License-Identifier: MIT */
/* pool.c: task mode of coord_pool: reused forked workers, a task and a result queue, death handling. */
#include <signal.h>
#include <stdalign.h>
#include <string.h>
#include <sys/wait.h>

#include "internal.h"
#include "queue_internal.h"

#define POOL_MAX_WORKERS 1024u
#define POOL_MAX_BYTES (1u << 24) /* per task and per result */
/* How long a waiting pool call sleeps before it looks for dead workers
 * again: the bound on death detection while results are awaited. */
#define POOL_SLICE_MS 5

/* Worker record states (shared). */
enum { W_NEW = 0, W_TAKING = 1, W_BUSY = 2, W_EXITED = 3 };

/* Every task message starts with this header; attempt >= 1 (a zeroed
 * record has attempt 0, which no task carries). */
struct task_hdr {
    uint64_t id;
    uint32_t attempt;
    uint32_t reserved;
};

struct result_hdr {
    uint64_t id;
    int32_t status;
    uint32_t attempt;
    int32_t worker;
    uint32_t len;
};

/* One per worker slot, in shared memory. `msg` receives the task straight
 * from coord_queue_get (bytes and msg_len are written before the get's
 * commit), which is what makes the in-flight task findable after a death. */
struct wrec {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t state;
    _Atomic uint64_t done;
    size_t msg_len;
    alignas(COORD__CACHE_LINE) unsigned char msg[];
};

struct local_result {
    coord_task_result r;
    unsigned char *data;
};

struct coord_pool {
    coord_pool_opts o;
    coord_task_fn fn;
    void *arg;
    void *shm;
    coord_queue *tasks, *results;
    unsigned char *recs;
    size_t rec_size, task_msg, result_msg;
    coord__child *kids;
    uint64_t *slot_restarts;
    unsigned live;
    unsigned spawn_index; /* read by a freshly forked worker */
    uint64_t next_id;
    uint8_t *completed; /* bitmap by task id */
    size_t completed_bytes;
    struct local_result *res; /* results not yet read: [res_head, res_n) */
    size_t res_head, res_n, res_cap;
    unsigned char **retry; /* task messages to queue again */
    size_t *retry_len;
    size_t retry_n, retry_cap;
    /* submit, result drain, dead-task drain, worker result buffers */
    unsigned char *sbuf, *rbuf, *dbuf, *wbuf;
    bool closed;   /* no more submits; pills go out */
    bool joined;   /* every worker reaped after shutdown */
    uint64_t pills_put, pill_exits;
    coord_pool_stats st;
};

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

static struct wrec *rec_of(const coord_pool *p, unsigned i)
{
    return (struct wrec *)(p->recs + (size_t)i * p->rec_size);
}

static size_t round64(size_t n)
{
    return (n + COORD__CACHE_LINE - 1) & ~(size_t)(COORD__CACHE_LINE - 1);
}

/* ---- the worker ------------------------------------------------------- */

static int worker_main(void *arg)
{
    coord_pool *p = arg;
    unsigned me = p->spawn_index;
    struct wrec *w = rec_of(p, me);
    struct result_hdr *rh = (struct result_hdr *)p->wbuf;
    for (;;) {
        atomic_store_explicit(&w->state, W_TAKING, memory_order_release);
        int r = coord_queue_get(p->tasks, w->msg, p->task_msg, &w->msg_len,
                                COORD_FOREVER);
        if (r == COORD_PILL || r == COORD_ECLOSED) {
            atomic_store_explicit(&w->state, W_EXITED, memory_order_release);
            return 0;
        }
        if (r < 0 || w->msg_len < sizeof(struct task_hdr))
            return 120;
        atomic_store_explicit(&w->state, W_BUSY, memory_order_release);
        const struct task_hdr *th = (const struct task_hdr *)w->msg;
        size_t out = 0;
        int st = p->fn(w->msg + sizeof *th, w->msg_len - sizeof *th,
                       p->wbuf + sizeof *rh, p->o.max_result, &out, p->arg);
        if (st == 0 && out > p->o.max_result)
            st = COORD_EOVERFLOW;
        if (st != 0)
            out = 0;
        rh->id = th->id;
        rh->status = st;
        rh->attempt = th->attempt;
        rh->worker = (int32_t)me;
        rh->len = (uint32_t)out;
        r = coord_queue_put(p->results, p->wbuf, sizeof *rh + out,
                            COORD_FOREVER);
        if (r < 0)
            return 121;
        atomic_fetch_add_explicit(&w->done, 1, memory_order_relaxed);
    }
}

static int spawn_worker(coord_pool *p, unsigned i)
{
    struct wrec *w = rec_of(p, i);
    /* A clean record: attempt 0 in the header marks "no task". */
    memset(w->msg, 0, sizeof(struct task_hdr));
    w->msg_len = 0;
    atomic_store_explicit(&w->state, W_NEW, memory_order_release);
    p->spawn_index = i;
    int r = coord__spawn(&p->kids[i], worker_main, p);
    if (r == 0)
        p->live++;
    return r;
}

/* ---- parent bookkeeping ------------------------------------------------ */

static bool is_completed(const coord_pool *p, uint64_t id)
{
    return id / 8 < p->completed_bytes &&
           (p->completed[id / 8] >> (id % 8) & 1u) != 0;
}

static int reserve_id(coord_pool *p, uint64_t id)
{
    if (id / 8 < p->completed_bytes)
        return 0;
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

static uint64_t pending(const coord_pool *p);

/* Make room in the local result list for `extra` more results beyond the
 * unread ones and those of every task not yet completed: submit calls it
 * (extra 1), so that storing a result later never needs memory for its
 * record, and a result taken off the shared queue is never lost. */
static int reserve_results(coord_pool *p, size_t extra)
{
    size_t need = (p->res_n - p->res_head) + (size_t)pending(p) + extra;
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

/* Store a final result for `id` (copying `data`), unless it has one. The
 * record's room was reserved at submit; when the copy of the data cannot
 * be allocated, the task's result says so (COORD_ENOMEM, no data) rather
 * than vanish, so nobody waits for it forever. */
static void add_result(coord_pool *p, const coord_task_result *r,
                       const void *data)
{
    if (r->id >= p->next_id || is_completed(p, r->id))
        return; /* a stale or repeated report: the task already has one */
    if (p->res_n == p->res_cap) {
        /* Unread results plus pending tasks fit (reserve_results): the
         * read ones at the front make the room. */
        memmove(p->res, p->res + p->res_head,
                (p->res_n - p->res_head) * sizeof *p->res);
        p->res_n -= p->res_head;
        p->res_head = 0;
        if (p->res_n == p->res_cap)
            COORD__DIE("pool: no room reserved for a result");
    }
    struct local_result *lr = &p->res[p->res_n];
    lr->r = *r;
    lr->data = NULL;
    if (r->len) {
        lr->data = malloc(r->len);
        if (lr->data) {
            memcpy(lr->data, data, r->len);
        } else {
            lr->r.status = COORD_ENOMEM;
            lr->r.len = 0;
            snprintf(lr->r.cause, sizeof lr->r.cause,
                     "out of memory for its %zu-byte result", r->len);
        }
    }
    p->res_n++;
    p->completed[r->id / 8] |= (uint8_t)(1u << (r->id % 8));
    if (lr->r.status == 0)
        p->st.succeeded++;
    else
        p->st.failed++;
}

static int fail_task(coord_pool *p, uint64_t id, unsigned attempts,
                     int worker, int wait_status, const char *cause)
{
    coord_task_result r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.status = COORD_EPEERDIED;
    r.worker = worker;
    r.attempts = attempts;
    r.wait_status = wait_status;
    snprintf(r.cause, sizeof r.cause, "%s", cause);
    add_result(p, &r, NULL);
    return 0;
}

/* Take one result from the shared queue (waiting up to timeout_ms) into
 * the parent's memory. Returns 0 or the queue's code. */
static int take_result(coord_pool *p, int timeout_ms)
{
    size_t len;
    int r = coord_queue_get(p->results, p->rbuf, p->result_msg, &len,
                            timeout_ms);
    if (r != 0)
        return r;
    const struct result_hdr *h = (const struct result_hdr *)p->rbuf;
    if (len < sizeof *h || h->len != len - sizeof *h)
        return 0; /* cannot happen: only our workers write here */
    coord_task_result res;
    memset(&res, 0, sizeof res);
    res.id = h->id;
    res.status = h->status;
    res.worker = h->worker;
    res.attempts = h->attempt;
    res.len = h->len;
    add_result(p, &res, p->rbuf + sizeof *h);
    return 0;
}

/* Move every queued result into the parent's memory. Returns how many. */
static int drain_results(coord_pool *p)
{
    int n = 0;
    while (take_result(p, 0) == 0)
        n++;
    return n;
}

static int push_retry(coord_pool *p, const unsigned char *msg, size_t len)
{
    if (p->retry_n == p->retry_cap) {
        size_t n = p->retry_cap ? p->retry_cap * 2 : 8;
        unsigned char **v = realloc(p->retry, n * sizeof *v);
        if (!v)
            return COORD_ENOMEM;
        p->retry = v;
        size_t *l = realloc(p->retry_len, n * sizeof *l);
        if (!l)
            return COORD_ENOMEM;
        p->retry_len = l;
        p->retry_cap = n;
    }
    unsigned char *copy = malloc(len);
    if (!copy)
        return COORD_ENOMEM;
    memcpy(copy, msg, len);
    p->retry[p->retry_n] = copy;
    p->retry_len[p->retry_n] = len;
    p->retry_n++;
    return 0;
}

/* Queue pending retries without waiting. Returns how many went out. */
static int flush_retries(coord_pool *p)
{
    size_t sent = 0;
    while (sent < p->retry_n &&
           coord_queue_put(p->tasks, p->retry[sent], p->retry_len[sent], 0) ==
               0) {
        free(p->retry[sent]);
        sent++;
    }
    if (sent) {
        memmove(p->retry, p->retry + sent,
                (p->retry_n - sent) * sizeof *p->retry);
        memmove(p->retry_len, p->retry_len + sent,
                (p->retry_n - sent) * sizeof *p->retry_len);
        p->retry_n -= sent;
    }
    return (int)sent;
}

/* Nobody is left to run tasks: report every outstanding one as failed. */
static void fail_outstanding(coord_pool *p, const char *cause)
{
    for (size_t i = 0; i < p->retry_n; i++) {
        const struct task_hdr *h = (const struct task_hdr *)p->retry[i];
        fail_task(p, h->id, h->attempt - 1, -1, 0, cause);
        free(p->retry[i]);
    }
    p->retry_n = 0;
    for (;;) {
        size_t len;
        /* Its own buffer: this can run inside submit, whose message is
         * waiting in sbuf. */
        int r = coord_queue_get(p->tasks, p->dbuf, p->task_msg, &len, 0);
        if (r == COORD_PILL)
            continue;
        if (r != 0)
            break;
        const struct task_hdr *h = (const struct task_hdr *)p->dbuf;
        fail_task(p, h->id, h->attempt - 1, -1, 0, cause);
    }
    /* Anything else without a result was lost with a worker whose record
     * could not show it; it must not stay pending forever. */
    for (uint64_t id = 0; id < p->next_id; id++)
        if (!is_completed(p, id))
            fail_task(p, id, 0, -1, 0, cause);
}

struct find_arg {
    uint64_t id;
    uint32_t attempt;
};

static bool same_task(const void *msg, size_t len, bool pill, void *arg)
{
    const struct find_arg *f = arg;
    struct task_hdr h;
    if (pill || len < sizeof h)
        return false;
    memcpy(&h, msg, sizeof h);
    return h.id == f->id && h.attempt == f->attempt;
}

/* Worker i has been reaped: account for it, find its in-flight task. */
static void handle_exit(coord_pool *p, unsigned i)
{
    int status = p->kids[i].status;
    struct wrec *w = rec_of(p, i);
    uint32_t state = atomic_load_explicit(&w->state, memory_order_acquire);
    p->live--;
    /* A clean exit after a pill. Reaped elsewhere (SIGCHLD ignored), its
     * status is unknown; having said W_EXITED, it had finished its work. */
    if (state == W_EXITED &&
        (status == COORD__STATUS_UNKNOWN ||
         (WIFEXITED(status) && WEXITSTATUS(status) == 0))) {
        p->pill_exits++;
        return;
    }
    p->st.deaths++;
    /* Results the dead worker committed are in the queue: read them all
     * first, so that "no result" below really means none. */
    drain_results(p);
    struct task_hdr th;
    memcpy(&th, w->msg, sizeof th);
    bool inflight = false;
    if (state != W_EXITED && th.attempt != 0 && th.id < p->next_id &&
        !is_completed(p, th.id) && coord__queue_hold_get(p->tasks) == 0) {
        /* Holding the consumer lock: no get commits while we look. The
         * dead worker may have copied this task and died before its get
         * committed; a live worker then took it, and may have finished it
         * and taken another since the drain above. Drain again now that no
         * record can change: a result put before this point is read here,
         * and a worker that has not put one still shows the task. */
        drain_results(p);
        struct find_arg f = {th.id, th.attempt};
        inflight = !is_completed(p, th.id) &&
                   coord__queue_scan_held(p->tasks, same_task, &f) == 0;
        for (unsigned j = 0; inflight && j < p->o.workers; j++) {
            if (j == i)
                continue;
            struct wrec *o = rec_of(p, j);
            uint32_t os = atomic_load_explicit(&o->state, memory_order_acquire);
            if ((os == W_TAKING || os == W_BUSY) &&
                same_task(o->msg, o->msg_len, false, &f))
                inflight = false;
        }
        coord__queue_release_get(p->tasks);
    }
    if (inflight) {
        bool requeued = false;
        if (th.attempt <= p->o.retries) {
            /* Queue it again as the next attempt (the record is about to
             * be reused, so push_retry copies it). */
            struct task_hdr *h = (struct task_hdr *)w->msg;
            h->attempt++;
            requeued = push_retry(p, w->msg, w->msg_len) == 0;
            if (requeued)
                p->st.retried++;
        }
        if (!requeued) {
            char cause[64];
            coord__status_text(status, cause, sizeof cause);
            fail_task(p, th.id, th.attempt, (int)i, status, cause);
        }
    }
    /* Clear the record so a stale copy is never matched again. */
    memset(w->msg, 0, sizeof th);
    if (!p->o.no_replace && !p->closed && spawn_worker(p, i) == 0) {
        p->st.restarts++;
        p->slot_restarts[i]++;
    }
    /* No worker left (replacement off, shut down, or fork failing): the
     * outstanding tasks can never run; say so rather than wait. */
    if (p->live == 0)
        fail_outstanding(p, "no live worker");
}

/* Reap every worker that has ended. Returns how many. */
static int reap_some(coord_pool *p, int timeout_ms)
{
    int n = 0;
    for (;;) {
        size_t which;
        int r = coord__child_wait_any(p->kids, p->o.workers, timeout_ms,
                                      &which);
        if (r != 0)
            return n;
        handle_exit(p, (unsigned)which);
        n++;
        timeout_ms = 0;
    }
}

static uint64_t pending(const coord_pool *p)
{
    return p->next_id - p->st.succeeded - p->st.failed;
}

/*
 * One round of the parent's duties: queue retries, collect results, reap
 * dead workers. When none of that made progress, wait up to `wait_ms`
 * (<= POOL_SLICE_MS) for a result, or for a death when nothing is pending.
 */
static void pump(coord_pool *p, int wait_ms)
{
    int did = flush_retries(p) + drain_results(p) + reap_some(p, 0);
    if (did || wait_ms <= 0)
        return;
    if (wait_ms > POOL_SLICE_MS)
        wait_ms = POOL_SLICE_MS;
    if (pending(p) == 0 || p->live == 0) {
        reap_some(p, wait_ms);
        return;
    }
    take_result(p, wait_ms);
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
static int left_ms(uint64_t deadline)
{
    int ms = ms_until(deadline);
    return ms < 0 || ms > POOL_SLICE_MS ? POOL_SLICE_MS : ms;
}

/* ---- public ----------------------------------------------------------- */

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
    for (size_t i = p->res_head; i < p->res_n; i++)
        free(p->res[i].data);
    for (size_t i = 0; i < p->retry_n; i++)
        free(p->retry[i]);
    free(p->res);
    free(p->retry);
    free(p->retry_len);
    free(p->completed);
    free(p->kids);
    free(p->slot_restarts);
    free(p->sbuf);
    free(p->rbuf);
    free(p->dbuf);
    free(p->wbuf);
    free(p);
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
        o->queue_capacity > COORD_QUEUE_MAX_CAPACITY)
        return COORD_EINVAL;
    coord_pool *p = calloc(1, sizeof *p);
    if (!p)
        return COORD_ENOMEM;
    p->o = *o;
    p->fn = fn;
    p->arg = arg;
    p->task_msg = sizeof(struct task_hdr) + o->max_task;
    p->result_msg = sizeof(struct result_hdr) + o->max_result;
    p->rec_size = round64(sizeof(struct wrec) + p->task_msg);
    size_t tq = coord_queue_size(o->queue_capacity, p->task_msg);
    size_t rq = coord_queue_size(o->queue_capacity, p->result_msg);
    if (tq == 0 || rq == 0) {
        free(p);
        return COORD_EINVAL;
    }
    size_t total = tq + rq + (size_t)o->workers * p->rec_size;
    int r = coord__seg_create(NULL, COORD__KIND_POOL, total, &p->shm);
    if (r) {
        free(p);
        return r;
    }
    unsigned char *base = p->shm;
    r = coord_queue_init(base, tq, o->queue_capacity, p->task_msg, &p->tasks);
    if (!r)
        r = coord_queue_init(base + tq, rq, o->queue_capacity, p->result_msg,
                             &p->results);
    p->recs = base + tq + rq;
    p->kids = calloc(o->workers, sizeof *p->kids);
    p->slot_restarts = calloc(o->workers, sizeof *p->slot_restarts);
    p->sbuf = malloc(p->task_msg);
    p->rbuf = malloc(p->result_msg);
    p->dbuf = malloc(p->task_msg);
    p->wbuf = malloc(p->result_msg);
    if (!r && (!p->kids || !p->slot_restarts || !p->sbuf || !p->rbuf ||
               !p->dbuf || !p->wbuf || reserve_id(p, 0) < 0))
        r = COORD_ENOMEM;
    if (r) {
        pool_free(p);
        return r;
    }
    coord__seg_publish(p->shm);
    for (unsigned i = 0; i < o->workers; i++) {
        r = spawn_worker(p, i);
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
    if (p->closed)
        return COORD_ECLOSED;
    if (len > p->o.max_task)
        return COORD_EMSGSIZE;
    int r = reserve_id(p, p->next_id);
    if (r == 0)
        r = reserve_results(p, 1);
    if (r)
        return r;
    struct task_hdr h = {p->next_id, 1, 0};
    memcpy(p->sbuf, &h, sizeof h);
    if (len)
        memcpy(p->sbuf + sizeof h, task, len);
    uint64_t deadline = coord__deadline(timeout_ms);
    bool last = false;
    for (;;) {
        if (p->live == 0)
            return COORD_EPEERDIED;
        r = coord_queue_put(p->tasks, p->sbuf, sizeof h + len, 0);
        if (r == 0)
            break;
        if (r != COORD_EAGAIN)
            return r;
        if (last)
            return timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
        /* Full: do the parent's duties (collect results, so that workers
         * blocked on the result queue go on; handle deaths), try again;
         * once more after the deadline. */
        int ms = left_ms(deadline);
        pump(p, ms);
        last = ms == 0;
    }
    if (id)
        *id = p->next_id;
    p->next_id++;
    p->st.submitted++;
    return 0;
}

int coord_pool_result(coord_pool *p, coord_task_result *res, void *buf,
                      size_t cap, int timeout_ms)
{
    if (!p || !res || (!buf && cap) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    uint64_t deadline = coord__deadline(timeout_ms);
    for (;;) {
        if (p->res_head < p->res_n) {
            struct local_result *lr = &p->res[p->res_head];
            *res = lr->r;
            if (lr->r.len > cap)
                return COORD_ENOBUFS;
            if (lr->r.len)
                memcpy(buf, lr->data, lr->r.len);
            free(lr->data);
            p->res_head++;
            return 0;
        }
        if (pending(p) == 0)
            return COORD_ENODATA;
        int ms = left_ms(deadline);
        pump(p, ms);
        if (ms == 0 && p->res_head == p->res_n)
            return timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
    }
}

/* Move the results of tasks [first, first + n) out of the local list into
 * the map's arrays; others stay, in order. Returns how many moved. */
static size_t map_take(coord_pool *p, uint64_t first, size_t n, void *results,
                       size_t result_size, coord_task_result *info,
                       size_t *failed)
{
    size_t moved = 0, keep = p->res_head;
    for (size_t i = p->res_head; i < p->res_n; i++) {
        struct local_result *lr = &p->res[i];
        if (lr->r.id < first || lr->r.id - first >= n) {
            p->res[keep++] = *lr;
            continue;
        }
        size_t k = (size_t)(lr->r.id - first);
        coord_task_result r = lr->r;
        if (r.status == 0 && r.len > result_size)
            r.status = COORD_ENOBUFS; /* never truncated silently */
        if (r.status == 0 && r.len)
            memcpy((unsigned char *)results + k * result_size, lr->data,
                   r.len);
        if (r.status != 0)
            (*failed)++;
        if (info)
            info[k] = r;
        free(lr->data);
        moved++;
    }
    p->res_n = keep;
    return moved;
}

int coord_pool_map(coord_pool *p, const void *tasks, size_t n,
                   size_t task_size, void *results, size_t result_size,
                   coord_task_result *info, int timeout_ms)
{
    if (!p || (n && task_size && !tasks) || (n && result_size && !results) ||
        coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (task_size > p->o.max_task)
        return COORD_EMSGSIZE;
    uint64_t deadline = coord__deadline(timeout_ms);
    uint64_t first = p->next_id;
    size_t got = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        int r = coord_pool_submit(
            p, (const unsigned char *)tasks + i * task_size, task_size, NULL,
            ms_until(deadline));
        if (r == COORD_EAGAIN && timeout_ms != 0)
            r = COORD_ETIMEDOUT; /* the map's deadline, not a try-once */
        if (r < 0)
            return r; /* tasks already submitted keep their results */
    }
    for (;;) {
        got += map_take(p, first, n, results, result_size, info, &failed);
        if (got == n)
            return (int)(failed > INT32_MAX ? INT32_MAX : failed);
        int ms = left_ms(deadline);
        pump(p, ms);
        if (ms == 0) {
            got += map_take(p, first, n, results, result_size, info, &failed);
            if (got == n)
                return (int)failed;
            return timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
        }
    }
}

int coord_pool_shutdown(coord_pool *p, int timeout_ms)
{
    if (!p || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (p->joined)
        return 0;
    int expired = timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
    uint64_t deadline = coord__deadline(timeout_ms);
    /* 1. Every task gets its result (retries and replacements go on). */
    while (pending(p) > 0) {
        int ms = left_ms(deadline);
        pump(p, ms);
        if (ms == 0 && pending(p) > 0)
            return expired;
    }
    /* 2. One pill per live worker that has none coming. */
    p->closed = true;
    for (;;) {
        pump(p, 0);
        uint64_t owed = p->pills_put - p->pill_exits;
        if (p->live <= owed)
            break;
        int r = coord_queue_put_pill(p->tasks, 0);
        if (r == 0) {
            p->pills_put++;
            continue;
        }
        int ms = left_ms(deadline);
        if (ms == 0)
            return expired;
        reap_some(p, ms);
    }
    /* 3. Join every worker. A worker killed after its get took a pill but
     * before its clean exit took that pill with it while not counting as
     * a pill exit, so `owed` above can overstate the pills still queued:
     * keep at least one queued per live worker (a spare pill is harmless,
     * a missing one leaves a worker waiting forever). */
    while (p->live > 0) {
        if (coord_queue_count(p->tasks) < (long)p->live)
            (void)coord_queue_put_pill(p->tasks, 0);
        int ms = left_ms(deadline);
        if (ms == 0)
            return expired;
        reap_some(p, ms);
        drain_results(p);
    }
    p->joined = true;
    return 0;
}

void coord_pool_destroy(coord_pool *p)
{
    if (!p)
        return;
    if (p->tasks)
        coord_queue_close(p->tasks);
    pool_free(p);
}

int coord_pool_get_stats(const coord_pool *p, coord_pool_stats *st)
{
    if (!p || !st)
        return COORD_EINVAL;
    *st = p->st;
    st->live = p->live;
    st->pending = pending(p);
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
