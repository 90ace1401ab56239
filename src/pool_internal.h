/* SPDX-License-Identifier: MIT */
/* pool_internal.h: what the pool's files share: limits, the chunk and record layouts, struct coord_pool, and the functions each file gives the others. */
#ifndef COORD_POOL_INTERNAL_H
#define COORD_POOL_INTERNAL_H

#include <stdalign.h>
#include <string.h>

#include "internal.h"
#include "queue_internal.h"

/*
 * The pool is split by concept: pool.c (start, submit, result, shutdown,
 * the parent's pump), pool_map.c (coord_pool_map), pool_dispatch.c (chunks:
 * their layout, the automatic chunk size, sending chunks and retries),
 * pool_worker.c (the worker process), pool_results.c (results in the
 * parent's memory), pool_death.c (workers that end, by death or
 * retirement: reaping, settling their chunk, replacing them).
 */

#define POOL_MAX_WORKERS COORD_POOL_MAX_WORKERS
/* How many settled chunks a pool remembers (pool_death.c). */
#define POOL_SETTLED_MEMORY 64u

/* Worker record states (shared). W_RETIRING: the worker ran its last
 * task (opts.retire_after) and is sending its results, then exits; the
 * chunk in its record is its own, and none of its tasks is running. */
enum { W_NEW = 0, W_TAKING = 1, W_BUSY = 2, W_EXITED = 3, W_RETIRING = 4 };

/* A worker's exit status when a queue operation failed (qerr says which):
 * not a task's doing, and a replacement would fail the same way. */
#define POOL_EXIT_QUEUE 120

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
    /* Set by the worker before it exits with POOL_EXIT_QUEUE: the code its
     * queue operation failed with (COORD_EPROTO for a malformed chunk). */
    _Atomic int32_t qerr;
    /* The futex word an idle worker sleeps on; the parent adds 1 to wake
     * it (see struct pool_ctl). */
    _Atomic uint32_t wake;
    alignas(COORD__CACHE_LINE) unsigned char data[]; /* msg, then res */
};

/*
 * How workers wait for the next chunk (pool_worker.c), in shared memory
 * after the queues. Workers never sleep inside the task queue: its put
 * once woke every sleeper (with 15 idle workers, 15 wake-ups and 14 futile
 * gets per task), and even waking one per chunk would let several workers
 * poll its lines at once. Instead: a worker that finds the queue empty polls it
 * only when no other worker does (`spinner`, the poller's index + 1);
 * otherwise, or once its poll runs out, it sets its bit in `idle` and
 * sleeps on its record's `wake`. After each put the parent wakes one idle
 * worker (clears its bit, bumps its wake word), and only when nobody is
 * polling or more chunks wait than the poller takes (`taken`, counted by
 * the workers, against the parent's private count of chunks sent). So a
 * stream of small tasks is served by one polling worker however many
 * sleep, and a backlog wakes one more worker per chunk.
 *
 * No wake-up is lost: a worker sets its bit (seq_cst), fences, then tries
 * the queue once more before it sleeps; the parent's put comes before a
 * seq_cst fence and its reads of `idle` and `spinner`. Either the worker
 * finds the chunk, or the parent sees the bit (and, if it saw a poller,
 * that poller ends its poll by the same steps). The values are untrusted:
 * a wrong one costs a futile wake-up or a sleep until the worker's nap
 * ends (POOL_NAP_NS), never a lost task. A worker that dies while idle or
 * polling is struck off both when it is reaped.
 */
struct pool_ctl {
    /* Lines apart: `taken` changes with every chunk, while `spinner` and
     * `idle` stay put in a steady stream, so the parent's reads of them
     * after each put find them in its cache. */
    alignas(COORD__CACHE_LINE) _Atomic uint32_t spinner;
    alignas(COORD__CACHE_LINE) _Atomic uint64_t taken; /* chunks and pills
                                                          taken off the
                                                          task queue */
    alignas(COORD__CACHE_LINE) _Atomic uint64_t idle[POOL_MAX_WORKERS / 64];
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
    pid_t owner; /* the process that started it (see coord__pool_ours) */
    coord_task_fn fn;
    void *arg;
    void *shm;
    coord_queue *tasks, *results;
    struct pool_ctl *ctl;
    uint64_t sent; /* chunks and pills put on the task queue */
    uint64_t rchunks; /* result chunks read off the result queue */
    uint64_t stall_taken; /* ctl->taken at the pump's last wait */
    unsigned char *recs;
    size_t rec_size, task_ent_max, result_ent_max, tchunk_cap, rchunk_cap;
    unsigned chunk_max; /* tasks per chunk at most */
    coord__child *kids;
    struct pollfd *pfd; /* scratch for coord__child_poll */
    size_t *ended;
    uint64_t *slot_restarts;
    /* With opts.retire_after: the tasks whose results came from each
     * slot's current worker, and how many slots have a worker whose last
     * result is in (it is exiting: pool_death.c reaps it at once). */
    uint64_t *slot_ran;
    unsigned leaving;
    unsigned live;
    /* Slots whose replacement could not be forked (EAGAIN: a process
     * limit or a cgroup's pids.max reached; ENOMEM): forked again by the
     * pool's calls (pool_death.c, coord__pool_refill), the next try at
     * refill_at, the gap between tries doubling up to POOL_REFILL_MAX_NS.
     * starve_ns: when the pool found itself with no live worker and a
     * vacant slot (0: it has a worker, or gave up): its outstanding tasks
     * wait for a fork that works until POOL_STARVE_NS after it. */
    unsigned char *vacant;
    unsigned nvacant;
    uint64_t refill_at, refill_gap_ns, starve_ns;
    unsigned spawn_index; /* read by a freshly forked worker */
    /* coord_pool_set_fork_hooks: called around each replacement's fork */
    void (*before_fork)(void *arg);
    void (*after_fork)(void *arg);
    void *fork_arg;
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
    /* Tasks queued again after a death, with how many times (pool_death.c,
     * requeue_ok): the parent's own count, a bound that no worker's record
     * (a task may write over it) can lift. Only tasks deaths touched. */
    struct requeue { uint64_t id; uint32_t n; } *requeued;
    size_t requeued_n, requeued_cap;
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
    double last_cost_ns; /* the same in the last result chunk alone */
    uint64_t cost_samples;
    unsigned auto_k;  /* the automatic chunk now */
    bool closed;      /* no more submits; pills go out */
    int broken;       /* 0, or COORD_EPROTO: a shared queue was found
                         broken, every worker is gone, calls fail */
    bool joined;      /* every worker reaped after shutdown */
    uint64_t pills_put, pill_exits;
    /* The last chunks a death settled (pool_death.c); 0: none (no chunk
     * has seq 0). */
    uint64_t settled[POOL_SETTLED_MEMORY];
    unsigned settled_at;
    coord_pool_stats st;
};

/* Is this the process that started the pool? A fork of it inherits the
 * handle, but the workers, the queues and the results are the starter's:
 * there submit, result, map and shutdown return COORD_ECHILD (a child's
 * shutdown used to put pills that ended the starter's workers, and its
 * results took the starter's), and destroy frees the copy only. */
static inline bool coord__pool_ours(const coord_pool *p)
{
    return p->owner == (pid_t)coord__self_pid();
}

static inline struct wrec *rec_of(const coord_pool *p, unsigned i)
{
    return (struct wrec *)(p->recs + (size_t)i * p->rec_size);
}

static inline unsigned char *rec_msg(const coord_pool *p, struct wrec *w)
{
    (void)p;
    return w->data;
}

static inline unsigned char *rec_res(const coord_pool *p, struct wrec *w)
{
    return w->data + p->tchunk_cap;
}

static inline size_t round64(size_t n)
{
    return (n + COORD__CACHE_LINE - 1) & ~(size_t)(COORD__CACHE_LINE - 1);
}

static inline size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}


static inline bool is_completed(const coord_pool *p, uint64_t id)
{
    return id / 8 < p->completed_bytes &&
           (p->completed[id / 8] >> (id % 8) & 1u) != 0;
}

static inline uint64_t pending(const coord_pool *p)
{
    return p->next_id - p->st.succeeded - p->st.failed;
}

/* pool.c: the parent's pump */
int coord__pool_left_ms(uint64_t deadline);
void coord__pool_pump(coord_pool *p, int wait_ms);

/* pool_dispatch.c: chunks */
uint32_t coord__pool_chunk_entries(const unsigned char *msg, size_t len,
                                   void (*fn)(const struct task_ent *e,
                                              const unsigned char *ent,
                                              size_t ent_len, void *arg),
                                   void *arg);
size_t coord__pool_chunk_begin(unsigned char *buf, uint64_t seq);
void coord__pool_learn_cost(coord_pool *p, uint64_t ns, uint32_t count);
unsigned coord__pool_choose_k(const coord_pool *p);
int coord__pool_push_retry(coord_pool *p, const void *ent, size_t len);
int coord__pool_flush_retries(coord_pool *p);
int coord__pool_flush_open(coord_pool *p);
int coord__pool_send(coord_pool *p, unsigned char *msg, size_t len);

/* pool_worker.c: the worker */
int coord__pool_spawn_worker(coord_pool *p, unsigned i);
void coord__pool_wake_if_needed(coord_pool *p, bool always, uint32_t tasks);
void coord__pool_forget_worker(coord_pool *p, unsigned i);

/* pool_results.c: results in the parent */
int coord__pool_reserve_id(coord_pool *p, uint64_t id);
int coord__pool_reserve_results(coord_pool *p, size_t extra);
void coord__pool_fail_task(coord_pool *p, uint64_t id, int status,
                           unsigned attempts, int worker, int wait_status,
                           const char *cause);
uint32_t coord__pool_add_results(coord_pool *p, const unsigned char *msg,
                                 size_t len, size_t off, uint32_t count,
                                 int worker);
int coord__pool_take_results(coord_pool *p, int timeout_ms);
int coord__pool_drain_all(coord_pool *p);
int coord__pool_drain_results(coord_pool *p);

/* pool_death.c: workers that end (deaths, retirements) */
int coord__pool_reap_some(coord_pool *p, int timeout_ms);
int coord__pool_reap_due(coord_pool *p);
void coord__pool_refill(coord_pool *p, bool force);
int coord__pool_await_worker(coord_pool *p, uint64_t deadline, int timeout_ms);
void coord__pool_starve_nap(coord_pool *p, int wait_ms);
void coord__pool_note_ran(coord_pool *p, int worker, uint32_t n);
void coord__pool_break(coord_pool *p, const char *cause);

#endif
