/* SPDX-License-Identifier: MIT */
/* pool.c: task mode of coord_pool: reused forked workers, tasks and results in chunks, death handling. */
#include <poll.h>
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
/* Dead workers are looked for (one poll() over every pidfd) at most this
 * often while the pool is busy. */
#define POOL_DEATH_POLL_NS 1000000ull
/* An automatic chunk holds as many tasks as fit this many bytes of task
 * or result message (at least one task). */
#define POOL_CHUNK_BYTES 4096u
#define POOL_MAX_CHUNK 1024u
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

/* Worker record states (shared). */
enum { W_NEW = 0, W_TAKING = 1, W_BUSY = 2, W_EXITED = 3 };

/*
 * A task message is a chunk: a chunk header, then `count` entries, each an
 * entry header and the task's bytes, padded to 8. `seq` names the chunk
 * (1, 2, ...; a zeroed record has 0, which no chunk carries). A result
 * message is a result chunk in the same layout.
 */
struct chunk_hdr {
    uint64_t seq;
    uint32_t count;
    uint32_t bytes; /* the whole message */
};

struct task_ent {
    uint64_t id;
    uint32_t attempt; /* >= 1 */
    uint32_t len;
};

struct rchunk_hdr {
    uint64_t ns; /* time the worker spent running the chunk's tasks */
    uint32_t count;
    int32_t worker;
};

struct result_ent {
    uint64_t id;
    int32_t status;
    uint32_t attempt;
    uint32_t len;
    uint32_t reserved;
};

/*
 * One per worker slot, in shared memory. `msg` receives the task chunk
 * straight from coord_queue_get (bytes and msg_len are written before the
 * get's commit), which is what makes the in-flight chunk findable after a
 * death. `res` is the result chunk being built: entry i is complete once
 * `nres` > i, so a dead worker's finished results are not lost.
 */
struct wrec {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t state;
    _Atomic uint32_t nres;
    _Atomic uint64_t done;
    size_t msg_len;
    alignas(COORD__CACHE_LINE) unsigned char data[]; /* msg, then res */
};

/* A result not yet read: its record, and its bytes at `off` in the arena. */
struct local_result {
    coord_task_result r;
    size_t off;
};

/* A task to queue again after a death: its entry (header and bytes). */
struct retry_ent {
    unsigned char *ent;
    size_t len;
};

struct coord_pool {
    coord_pool_opts o;
    coord_task_fn fn;
    void *arg;
    void *shm;
    coord_queue *tasks, *results;
    unsigned char *recs;
    size_t rec_size, task_ent_max, result_ent_max, tchunk_cap, rchunk_cap;
    unsigned chunk_max; /* tasks per chunk at most */
    coord__child *kids;
    struct pollfd *pfd; /* scratch for coord__child_poll */
    size_t *ended;
    uint64_t *slot_restarts;
    unsigned live;
    unsigned spawn_index; /* read by a freshly forked worker */
    uint64_t next_id, next_seq;
    uint64_t last_poll_ns;
    uint8_t *completed; /* bitmap by task id */
    size_t completed_bytes;
    struct local_result *res; /* results not yet read: [res_head, res_n) */
    size_t res_head, res_n, res_cap;
    unsigned char *arena; /* result bytes: [0, arena_n) */
    size_t arena_n, arena_cap;
    struct retry_ent *retry;
    size_t retry_n, retry_cap;
    /* the chunk being filled by submit (sbuf: open_count entries, open_len
     * bytes; it holds at most open_k); the result chunk drain buffer; the
     * dead-task drain buffer */
    unsigned char *sbuf, *rbuf, *dbuf;
    size_t open_len;
    unsigned open_count, open_k;
    size_t map_left;  /* tasks a running map has still to submit, else 0 */
    /* A running map: the results of tasks [first, first + n) go straight
     * to its arrays (not to the local list). */
    struct {
        bool on;
        uint64_t first;
        size_t n, size, got, failed;
        unsigned char *out;
        coord_task_result *info;
    } map;
    double cost_ns;   /* moving average of one task's run time, 0: none */
    uint64_t cost_samples;
    unsigned auto_k;  /* the automatic chunk now */
    bool closed;      /* no more submits; pills go out */
    bool joined;      /* every worker reaped after shutdown */
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
    o->chunk = 0;
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

static unsigned char *rec_msg(const coord_pool *p, struct wrec *w)
{
    (void)p;
    return w->data;
}

static unsigned char *rec_res(const coord_pool *p, struct wrec *w)
{
    return w->data + p->tchunk_cap;
}

static size_t round64(size_t n)
{
    return (n + COORD__CACHE_LINE - 1) & ~(size_t)(COORD__CACHE_LINE - 1);
}

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/*
 * Walk the entries of a task chunk of `len` bytes (untrusted: a worker's
 * record or a queue slot). Returns the number of entries when every one
 * lies inside `len`, else 0. With `fn`, calls it for each.
 */
static uint32_t chunk_entries(const unsigned char *msg, size_t len,
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
static size_t chunk_begin(unsigned char *buf, uint64_t seq)
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

/* ---- the worker ------------------------------------------------------- */

static int worker_main(void *arg)
{
    coord_pool *p = arg;
    unsigned me = p->spawn_index;
    struct wrec *w = rec_of(p, me);
    unsigned char *msg = rec_msg(p, w), *res = rec_res(p, w);
    /* Locals: the callback writes through pointers, so fields of *p would
     * be loaded again for every task. */
    const coord_task_fn fn = p->fn;
    void *const fn_arg = p->arg;
    const size_t max_result = p->o.max_result;
    for (;;) {
        /* Forget the last chunk's results before the record can hold a
         * new chunk: entries below nres always belong to the chunk in msg. */
        atomic_store_explicit(&w->nres, 0, memory_order_release);
        atomic_store_explicit(&w->state, W_TAKING, memory_order_release);
        int r = coord_queue_get(p->tasks, msg, p->tchunk_cap, &w->msg_len,
                                COORD_FOREVER);
        if (r == COORD_PILL || r == COORD_ECLOSED) {
            atomic_store_explicit(&w->state, W_EXITED, memory_order_release);
            return 0;
        }
        uint32_t count = r < 0 ? 0 : chunk_entries(msg, w->msg_len, NULL, NULL);
        if (count == 0 || count > p->chunk_max)
            return 120;
        atomic_store_explicit(&w->state, W_BUSY, memory_order_release);
        uint64_t t0 = coord_clock_ns();
        size_t in = sizeof(struct chunk_hdr), out = sizeof(struct rchunk_hdr);
        for (uint32_t i = 0; i < count; i++) {
            struct task_ent e;
            memcpy(&e, msg + in, sizeof e);
            unsigned char *rbytes = res + out + sizeof(struct result_ent);
            size_t rlen = 0;
            int st = fn(msg + in + sizeof e, e.len, rbytes, max_result,
                        &rlen, fn_arg);
            if (st == 0 && rlen > max_result)
                st = COORD_EOVERFLOW;
            if (st != 0)
                rlen = 0;
            struct result_ent re = {e.id, st, e.attempt, (uint32_t)rlen, 0};
            memcpy(res + out, &re, sizeof re);
            out += round8(sizeof re + rlen);
            in += round8(sizeof e + e.len);
            atomic_store_explicit(&w->nres, i + 1, memory_order_release);
        }
        struct rchunk_hdr rh = {coord_clock_ns() - t0, count, (int32_t)me};
        memcpy(res, &rh, sizeof rh);
        r = coord_queue_put(p->results, res, out, COORD_FOREVER);
        if (r < 0)
            return 121;
        atomic_fetch_add_explicit(&w->done, count, memory_order_relaxed);
    }
}

static int spawn_worker(coord_pool *p, unsigned i)
{
    struct wrec *w = rec_of(p, i);
    /* A clean record: seq 0 marks "no chunk". */
    memset(rec_msg(p, w), 0, sizeof(struct chunk_hdr));
    w->msg_len = 0;
    atomic_store_explicit(&w->nres, 0, memory_order_release);
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

static uint64_t pending(const coord_pool *p)
{
    return p->next_id - p->st.succeeded - p->st.failed;
}

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
        if (status == 0 && r->len)
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

static void fail_task(coord_pool *p, uint64_t id, unsigned attempts,
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
}

/* Store the results of a result chunk (`count` entries after `off` in
 * `msg` of `len` bytes, untrusted) from worker `worker`. Returns how many
 * were well formed. */
static uint32_t add_results(coord_pool *p, const unsigned char *msg,
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

/* Fold a worker's measurement (ns for count tasks) into the cost average
 * and choose the automatic chunk from it. */
static void learn_cost(coord_pool *p, uint64_t ns, uint32_t count)
{
    if (p->o.chunk || count == 0)
        return;
    double c = (double)ns / count;
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

/* Take one result chunk from the shared queue (waiting up to timeout_ms)
 * into the parent's memory. Returns 0 or the queue's code. */
static int take_results(coord_pool *p, int timeout_ms)
{
    size_t len;
    int r = coord_queue_get(p->results, p->rbuf, p->rchunk_cap, &len,
                            timeout_ms);
    if (r != 0)
        return r;
    struct rchunk_hdr h;
    if (len < sizeof h)
        return 0; /* cannot happen: only our workers write here */
    memcpy(&h, p->rbuf, sizeof h);
    uint32_t n = add_results(p, p->rbuf, len, sizeof h, h.count, h.worker);
    learn_cost(p, h.ns, n);
    return 0;
}

/* Move every queued result into the parent's memory, trying gets until
 * one finds the queue empty (what a death needs: every committed result,
 * whatever a count says). Returns how many chunks. */
static int drain_all(coord_pool *p)
{
    int n = 0;
    while (take_results(p, 0) == 0)
        n++;
    return n;
}

/* The same on the hot path: gets only while the queue's count says a
 * result is there. */
static int drain_results(coord_pool *p)
{
    int n = 0;
    /* The count is wait-free: an empty queue costs no locked get. */
    while (coord_queue_count(p->results) > 0 && take_results(p, 0) == 0)
        n++;
    return n;
}

static int push_retry(coord_pool *p, const void *ent, size_t len)
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
static int flush_retries(coord_pool *p)
{
    size_t sent = 0;
    int chunks = 0;
    while (sent < p->retry_n) {
        size_t len = chunk_begin(p->dbuf, p->next_seq);
        size_t k = sent;
        while (k < p->retry_n && k - sent < p->chunk_max &&
               p->tchunk_cap - len >= round8(p->retry[k].len)) {
            chunk_add(p->dbuf, &len, p->retry[k].ent, p->retry[k].len);
            k++;
        }
        if (coord_queue_put(p->tasks, p->dbuf, len, 0) != 0)
            break;
        p->next_seq++;
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
static int flush_open(coord_pool *p)
{
    if (p->open_count == 0)
        return 1;
    if (coord_queue_put(p->tasks, p->sbuf, p->open_len, 0) != 0)
        return 0;
    p->next_seq++;
    p->open_count = 0;
    p->open_len = chunk_begin(p->sbuf, p->next_seq);
    return 1;
}

struct fail_arg {
    coord_pool *p;
    const char *cause;
};

static void fail_entry(const struct task_ent *e, const unsigned char *ent,
                       size_t len, void *arg)
{
    (void)ent;
    (void)len;
    struct fail_arg *f = arg;
    fail_task(f->p, e->id, e->attempt - 1, -1, 0, f->cause);
}

/* Nobody is left to run tasks: report every outstanding one as failed. */
static void fail_outstanding(coord_pool *p, const char *cause)
{
    struct fail_arg f = {p, cause};
    for (size_t i = 0; i < p->retry_n; i++) {
        struct task_ent e;
        memcpy(&e, p->retry[i].ent, sizeof e);
        fail_task(p, e.id, e.attempt - 1, -1, 0, cause);
        free(p->retry[i].ent);
    }
    p->retry_n = 0;
    chunk_entries(p->sbuf, p->open_len, fail_entry, &f);
    p->open_count = 0;
    p->open_len = chunk_begin(p->sbuf, p->next_seq);
    for (;;) {
        size_t len;
        /* Its own buffer: this can run inside submit, whose chunk is
         * waiting in sbuf. */
        int r = coord_queue_get(p->tasks, p->dbuf, p->tchunk_cap, &len, 0);
        if (r == COORD_PILL)
            continue;
        if (r != 0)
            break;
        chunk_entries(p->dbuf, len, fail_entry, &f);
    }
    /* Anything else without a result was lost with a worker whose record
     * could not show it; it must not stay pending forever. */
    for (uint64_t id = 0; id < p->next_id; id++)
        if (!is_completed(p, id))
            fail_task(p, id, 0, -1, 0, cause);
}

static bool same_chunk(const void *msg, size_t len, bool pill, void *arg)
{
    const uint64_t *seq = arg;
    struct chunk_hdr h;
    if (pill || len < sizeof h)
        return false;
    memcpy(&h, msg, sizeof h);
    return h.seq == *seq;
}

/* What happens to each task of a dead worker's chunk that has no result. */
struct dead_arg {
    coord_pool *p;
    unsigned worker;
    int status;
    uint32_t index, running; /* entry being walked; the one that ran */
    bool busy;               /* the worker had started the chunk */
};

static void settle_entry(const struct task_ent *e, const unsigned char *ent,
                         size_t len, void *arg)
{
    struct dead_arg *d = arg;
    coord_pool *p = d->p;
    uint32_t i = d->index++;
    if (e->id >= p->next_id || is_completed(p, e->id))
        return;
    if (!d->busy || i != d->running) {
        /* Never started: queued again as the same attempt. */
        if (push_retry(p, ent, len) == 0)
            return;
        fail_task(p, e->id, e->attempt - 1, (int)d->worker, 0,
                  "out of memory to queue it again");
        return;
    }
    /* It was running when its worker died: queued again as the next
     * attempt (its header rewritten in the record, which is about to be
     * cleared anyway), or reported. */
    if (e->attempt <= p->o.retries) {
        struct task_ent next = *e;
        next.attempt++;
        memcpy((unsigned char *)ent, &next, sizeof next);
        if (push_retry(p, ent, len) == 0) {
            p->st.retried++;
            return;
        }
    }
    char cause[64];
    coord__status_text(d->status, cause, sizeof cause);
    fail_task(p, e->id, e->attempt, (int)d->worker, d->status, cause);
}

/* Worker i has been reaped: account for it, settle its chunk. */
static void handle_exit(coord_pool *p, unsigned i)
{
    int status = p->kids[i].status;
    struct wrec *w = rec_of(p, i);
    unsigned char *msg = rec_msg(p, w);
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
    /* Results the dead worker committed are in the queue, and those of
     * its chunk it finished but had not sent are in its record: read them
     * all first, so that "no result" below really means none. */
    drain_all(p);
    uint32_t nres = atomic_load_explicit(&w->nres, memory_order_acquire);
    size_t mlen = w->msg_len;
    uint32_t count =
        mlen <= p->tchunk_cap ? chunk_entries(msg, mlen, NULL, NULL) : 0;
    if (nres > count)
        nres = count;
    if (nres > 0)
        add_results(p, rec_res(p, w), p->rchunk_cap,
                    sizeof(struct rchunk_hdr), nres, (int)i);
    bool inflight = false;
    struct chunk_hdr ch;
    memcpy(&ch, msg, sizeof ch);
    if (state != W_EXITED && count > 0 && ch.seq < p->next_seq &&
        coord__queue_hold_get(p->tasks) == 0) {
        /* Holding the consumer lock: no get commits while we look. The
         * dead worker may have copied this chunk and died before its get
         * committed; a live worker then took it, and may have finished it
         * and taken another since the drain above. Drain again now that no
         * record can change: a result put before this point is read here,
         * and a worker that has not put one still shows the chunk. */
        drain_all(p);
        inflight = coord__queue_scan_held(p->tasks, same_chunk, &ch.seq) == 0;
        for (unsigned j = 0; inflight && j < p->o.workers; j++) {
            if (j == i)
                continue;
            struct wrec *o = rec_of(p, j);
            uint32_t os = atomic_load_explicit(&o->state, memory_order_acquire);
            if ((os == W_TAKING || os == W_BUSY) &&
                same_chunk(rec_msg(p, o), o->msg_len, false, &ch.seq))
                inflight = false;
        }
        coord__queue_release_get(p->tasks);
    }
    if (inflight) {
        /* Every task of the chunk without a result: the one running is
         * retried (as attempt + 1) or reported with the cause; the ones
         * not started are queued again as they were. */
        struct dead_arg d = {p, i, status, 0, nres, state == W_BUSY};
        chunk_entries(msg, mlen, settle_entry, &d);
    }
    /* Clear the record so a stale copy is never matched again. */
    memset(msg, 0, sizeof ch);
    if (!p->o.no_replace && !p->closed && spawn_worker(p, i) == 0) {
        p->st.restarts++;
        p->slot_restarts[i]++;
    }
    /* No worker left (replacement off, shut down, or fork failing): the
     * outstanding tasks can never run; say so rather than wait. */
    if (p->live == 0)
        fail_outstanding(p, "no live worker");
}

/* Reap every worker that has ended within timeout_ms (one poll() over all
 * pidfds). Returns how many. */
static int reap_some(coord_pool *p, int timeout_ms)
{
    p->last_poll_ns = coord_clock_ns();
    int n = coord__child_poll(p->kids, p->o.workers, p->pfd, p->ended,
                              timeout_ms);
    for (int k = 0; k < n; k++)
        handle_exit(p, (unsigned)p->ended[k]);
    return n < 0 ? 0 : n;
}

/* Look for dead workers, at most once per POOL_DEATH_POLL_NS. */
static int reap_due(coord_pool *p)
{
    if (coord_clock_ns() - p->last_poll_ns < POOL_DEATH_POLL_NS)
        return 0;
    return reap_some(p, 0);
}

/*
 * One round of the parent's duties: queue retries, collect results, reap
 * dead workers. When none of that made progress, send the chunk being
 * filled and wait up to `wait_ms` (<= POOL_SLICE_MS) for a result, or for
 * a death when nothing is pending. With wait_ms 0, the chunk being filled
 * goes out only when the task queue has run low (a worker may be idle).
 */
static void pump(coord_pool *p, int wait_ms)
{
    int did = flush_retries(p) + drain_results(p) + reap_due(p);
    if (p->open_count &&
        (wait_ms > 0 || coord_queue_count(p->tasks) < (long)p->live))
        (void)flush_open(p);
    if (did || wait_ms <= 0)
        return;
    if (wait_ms > POOL_SLICE_MS)
        wait_ms = POOL_SLICE_MS;
    if (pending(p) == 0 || p->live == 0) {
        reap_some(p, wait_ms);
        return;
    }
    if (take_results(p, wait_ms) != 0)
        reap_some(p, 0); /* a slice without results: any deaths? */
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

/* The chunk size for the chunk submit starts now: the caller's, else the
 * automatic one inside a map, else one task (a streaming submit sends its
 * task at once). */
static unsigned choose_k(const coord_pool *p)
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
    for (size_t i = 0; i < p->retry_n; i++)
        free(p->retry[i].ent);
    free(p->res);
    free(p->arena);
    free(p->retry);
    free(p->completed);
    free(p->kids);
    free(p->pfd);
    free(p->ended);
    free(p->slot_restarts);
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
        o->queue_capacity > COORD_QUEUE_MAX_CAPACITY)
        return COORD_EINVAL;
    coord_pool *p = calloc(1, sizeof *p);
    if (!p)
        return COORD_ENOMEM;
    p->o = *o;
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
    size_t total = tq + rq + (size_t)o->workers * p->rec_size;
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
    p->recs = base + tq + rq;
    p->kids = calloc(o->workers, sizeof *p->kids);
    p->pfd = calloc(o->workers, sizeof *p->pfd);
    p->ended = calloc(o->workers, sizeof *p->ended);
    p->slot_restarts = calloc(o->workers, sizeof *p->slot_restarts);
    p->sbuf = malloc(p->tchunk_cap);
    p->rbuf = malloc(p->rchunk_cap);
    p->dbuf = malloc(p->tchunk_cap);
    if (!r && (!p->kids || !p->pfd || !p->ended || !p->slot_restarts ||
               !p->sbuf || !p->rbuf || !p->dbuf || reserve_id(p, 0) < 0))
        r = COORD_ENOMEM;
    if (r) {
        pool_free(p);
        return r;
    }
    p->open_len = chunk_begin(p->sbuf, p->next_seq);
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
    uint64_t deadline = coord__deadline(timeout_ms);
    bool last = false;
    /* The task that completes a chunk is accepted only when the queue has
     * room for the chunk (the parent is the queue's only producer, so the
     * room stays): a task is never left behind in the parent by a submit
     * that returned, except in a chunk the caller asked for (opts.chunk)
     * or a map's chunk, both sent by the next call that waits. */
    for (;;) {
        if (p->live == 0)
            return COORD_EPEERDIED;
        if (p->open_count == 0)
            p->open_k = choose_k(p);
        if (p->open_count + 1 < p->open_k ||
            coord_queue_count(p->tasks) <
                (long)coord_queue_capacity(p->tasks))
            break;
        if (last)
            return timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
        /* Full: do the parent's duties (collect results, so that workers
         * blocked on the result queue go on; handle deaths), try again;
         * once more after the deadline. */
        int ms = left_ms(deadline);
        pump(p, ms);
        last = ms == 0;
    }
    struct task_ent e = {p->next_id, 1, (uint32_t)len};
    unsigned char *at = p->sbuf + p->open_len;
    memcpy(at, &e, sizeof e);
    if (len)
        memcpy(at + sizeof e, task, len);
    size_t n = round8(sizeof e + len);
    if (n > sizeof e + len)
        memset(at + sizeof e + len, 0, n - sizeof e - len);
    p->open_len += n;
    p->open_count++;
    struct chunk_hdr h = {p->next_seq, p->open_count, (uint32_t)p->open_len};
    memcpy(p->sbuf, &h, sizeof h);
    if (id)
        *id = p->next_id;
    p->next_id++;
    p->st.submitted++;
    if (p->open_count >= p->open_k)
        flush_open(p);
    return 0;
}

int coord_pool_result(coord_pool *p, coord_task_result *res, void *buf,
                      size_t cap, int timeout_ms)
{
    if (!p || !res || (!buf && cap) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
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
        int ms = timeout_ms == 0 ? 0 : left_ms(deadline);
        pump(p, ms);
        if (ms == 0 && p->res_head == p->res_n)
            return timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
    }
}

/* Queue a chunk of the map's next tasks (tasks[i..]), as many as choose_k
 * says, when the queue has room. Returns how many went, 0 when full. */
static size_t map_send(coord_pool *p, const unsigned char *tasks, size_t i,
                       size_t n, size_t task_size)
{
    /* A chunk submit was filling goes first (order of ids). */
    if (!flush_open(p))
        return 0;
    if (coord_queue_count(p->tasks) >= (long)coord_queue_capacity(p->tasks))
        return 0;
    p->map_left = n - i;
    size_t k = choose_k(p);
    if (k > n - i)
        k = n - i;
    size_t len = sizeof(struct chunk_hdr);
    size_t step = round8(sizeof(struct task_ent) + task_size);
    unsigned char *at = p->sbuf + len;
    for (size_t j = 0; j < k; j++, at += step) {
        struct task_ent e = {p->next_id + j, 1, (uint32_t)task_size};
        memcpy(at, &e, sizeof e);
        if (task_size == 8) /* inlined: the common small size */
            memcpy(at + sizeof e, tasks + (i + j) * 8, 8);
        else
            memcpy(at + sizeof e, tasks + (i + j) * task_size, task_size);
        if (step > sizeof e + task_size)
            memset(at + sizeof e + task_size, 0, step - sizeof e - task_size);
    }
    len += k * step;
    struct chunk_hdr h = {p->next_seq, (uint32_t)k, (uint32_t)len};
    memcpy(p->sbuf, &h, sizeof h);
    p->next_id += k;
    p->st.submitted += k;
    p->open_count = (unsigned)k;
    p->open_k = (unsigned)k;
    p->open_len = len;
    /* The parent is the queue's only producer: the room seen above is
     * still there. Were it not, the chunk stays open and goes out with
     * the next pump. */
    (void)flush_open(p);
    return k;
}

int coord_pool_map(coord_pool *p, const void *tasks, size_t n,
                   size_t task_size, void *results, size_t result_size,
                   coord_task_result *info, int timeout_ms)
{
    if (!p || (n && task_size && !tasks) || (n && result_size && !results) ||
        coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (p->closed)
        return COORD_ECLOSED;
    if (task_size > p->o.max_task)
        return COORD_EMSGSIZE;
    if (n == 0)
        return 0;
    /* Room for every outcome now, as submit reserves it per task. */
    int r = reserve_id(p, p->next_id + n);
    if (r == 0)
        r = reserve_results(p, n);
    if (r)
        return r;
    int expired = timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
    uint64_t deadline = coord__deadline(timeout_ms);
    p->map.on = true;
    p->map.first = p->next_id;
    p->map.n = n;
    p->map.size = result_size;
    p->map.out = results;
    p->map.info = info;
    p->map.got = p->map.failed = 0;
    size_t i = 0;
    bool last = false;
    while (i < n) {
        if (p->live == 0) {
            r = COORD_EPEERDIED;
            break;
        }
        size_t k = map_send(p, tasks, i, n, task_size);
        i += k;
        if (k)
            continue;
        if (last) {
            r = expired;
            break;
        }
        /* Full: collect results (workers may wait on the result queue)
         * and handle deaths; once more after the deadline. */
        int ms = left_ms(deadline);
        pump(p, ms);
        last = ms == 0;
    }
    p->map_left = 0;
    /* The tasks submitted are the map's: n of them from here on. */
    p->map.n = i;
    while (r == 0 && p->map.got < p->map.n) {
        int ms = left_ms(deadline);
        pump(p, ms);
        if (ms == 0 && p->map.got < p->map.n)
            r = expired;
    }
    p->map.on = false;
    if (r)
        return r; /* tasks submitted keep their results: see pool.h */
    return (int)(p->map.failed > INT32_MAX ? INT32_MAX : p->map.failed);
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
        if (ms == 0)
            flush_open(p); /* a try-once call still sends what it holds */
        pump(p, ms);
        if (ms == 0 && pending(p) > 0)
            return expired;
    }
    /* 2. One pill per live worker that has none coming. */
    p->closed = true;
    for (;;) {
        pump(p, 0);
        reap_some(p, 0);
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
