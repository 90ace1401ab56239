/* SPDX-License-Identifier: MIT */
/* pool_worker.c: the pool's worker process: take a chunk into its record, run the callback on each task, send the results back. */
#include <sched.h>

#include "pool_internal.h"
#include "wait.h"

/* The poll of the one polling worker (see struct pool_ctl): as the queue's
 * own wait, polls with a pause between them, then a few yields (a stream
 * needs the handover a yield gives when the machine has more runnable
 * processes than CPUs; docs/queue.md, "Waiting"). */
#define POOL_SPIN_POLLS 200
#define POOL_SPIN_YIELDS 4
/* The longest an idle worker sleeps before it looks at the queue itself:
 * bounds how long a chunk waits when nobody calls into the pool, for a
 * worker that died after the parent chose it, or for a poller whose
 * chunk, short by the measured cost, turned out long (as the queue's own
 * sleep slice). */
#define POOL_NAP_NS 100000000ull
/* A chunk of at most this much work (by the measured task cost) may wait
 * for the poller to finish the chunk it runs: less than a sleeping
 * worker takes to wake up. */
#define POOL_SHORT_NS 10000.0
/* Beyond this much queued work a worker is woken however busy the
 * machine is. */
#define POOL_BACKLOG_NS 100000.0
/* What a chunk costs the poller beyond its tasks (a get, a put, cache
 * misses; a generous bound, as it errs towards waking a worker). */
#define POOL_CHUNK_HANDOFF_NS 2000.0

/* Poll the task queue for a chunk (the polling worker). True: one is
 * there (or the queue is closed or broken: the get will say). */
static bool poll_for_chunk(coord_pool *p)
{
    for (int i = 0; i < POOL_SPIN_POLLS; i++) {
        if (!coord_queue_is_empty(p->tasks) || coord_queue_is_closed(p->tasks))
            return true;
        coord__cpu_relax();
    }
    for (int i = 0; i < POOL_SPIN_YIELDS; i++) {
        sched_yield();
        if (!coord_queue_is_empty(p->tasks) || coord_queue_is_closed(p->tasks))
            return true;
    }
    return false;
}

/* One try of the task queue into the record; a chunk or pill taken is
 * counted in ctl->taken (what the parent's dispatch reads). */
static int try_take(coord_pool *p, struct wrec *w, unsigned char *msg)
{
    int r = coord_queue_get(p->tasks, msg, p->tchunk_cap, &w->msg_len, 0);
    if (r == 0 || r == COORD_PILL)
        atomic_fetch_add_explicit(&p->ctl->taken, 1, memory_order_relaxed);
    return r;
}

/* Worker `me` waits for its next chunk (see struct pool_ctl). Returns the
 * get's code: 0 (a chunk in the record), COORD_PILL, COORD_ECLOSED, or an
 * error. */
static int take_chunk(coord_pool *p, unsigned me, struct wrec *w,
                      unsigned char *msg)
{
    struct pool_ctl *c = p->ctl;
    _Atomic uint64_t *word = &c->idle[me / 64];
    const uint64_t bit = 1ull << (me % 64);
    for (;;) {
        int r = try_take(p, w, msg);
        if (r != COORD_EAGAIN)
            return r;
        /* Empty: poll, if we are the poller (we keep the role while we
         * run what we took) or nobody is. */
        uint32_t who = atomic_load_explicit(&c->spinner, memory_order_relaxed);
        if (who == me + 1 ||
            (who == 0 && atomic_compare_exchange_strong_explicit(
                             &c->spinner, &who, me + 1, memory_order_seq_cst,
                             memory_order_relaxed))) {
            if (poll_for_chunk(p))
                continue;
            /* Nothing came: give the role up before sleeping (seq_cst:
             * a parent that still saw us as the poller put its chunk
             * before this, and the last look below finds it). */
            uint32_t mine = me + 1;
            atomic_compare_exchange_strong_explicit(
                &c->spinner, &mine, 0, memory_order_seq_cst,
                memory_order_relaxed);
        }
        /* Sleep until the parent wakes us. The wake word is read before
         * the bit is set, so a wake-up after that is never slept through;
         * the fence orders the bit before the last look at the queue. */
        uint32_t v = atomic_load_explicit(&w->wake, memory_order_acquire);
        atomic_fetch_or_explicit(word, bit, memory_order_seq_cst);
        atomic_thread_fence(memory_order_seq_cst);
        r = try_take(p, w, msg);
        if (r == COORD_EAGAIN)
            (void)coord__futex_wait(&w->wake, v,
                                    coord_clock_ns() + POOL_NAP_NS);
        /* Awake (or not asleep after all): off the idle set, if the
         * parent has not taken us off already. */
        atomic_fetch_and_explicit(word, ~bit, memory_order_relaxed);
        if (r != COORD_EAGAIN)
            return r;
    }
}

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
    /* Tasks this worker may still run (opts.retire_after), counted down
     * per chunk; without the option more than any worker runs, so the one
     * compare per chunk below never retires it. */
    uint64_t left = p->o.retire_after ? p->o.retire_after : UINT64_MAX;
    /* This worker's pid (cached, forgotten in a fork's child): a fork the
     * callback made that returns from it is no worker (pool.h). */
    const uint32_t self = coord__self_pid();
    for (;;) {
        /* Forget the last chunk's results before the record can hold a
         * new chunk: entries below nres always belong to the chunk in msg. */
        atomic_store_explicit(&w->nres, 0, memory_order_release);
        atomic_store_explicit(&w->state, W_TAKING, memory_order_release);
        int r = take_chunk(p, me, w, msg);
        if (r == COORD_PILL || r == COORD_ECLOSED) {
            atomic_store_explicit(&w->state, W_EXITED, memory_order_release);
            return 0;
        }
        uint32_t count =
            r < 0 ? 0 : coord__pool_chunk_entries(msg, w->msg_len, NULL, NULL);
        if (count == 0 || count > p->chunk_max) {
            /* The queue failed (broken), or handed over bytes the parent
             * did not write: the pool cannot go on (see handle_exit). */
            atomic_store_explicit(&w->qerr, r < 0 ? r : COORD_EPROTO,
                                  memory_order_release);
            return POOL_EXIT_QUEUE;
        }
        atomic_store_explicit(&w->state, W_BUSY, memory_order_release);
        /* A chunk holds at most opts.retire_after tasks, but fewer may be
         * left: those run, the parent queues the rest again (pool.h). */
        uint32_t run = left < count ? (uint32_t)left : count;
        uint64_t t0 = coord_clock_ns();
        size_t in = sizeof(struct chunk_hdr), out = sizeof(struct rchunk_hdr);
        for (uint32_t i = 0; i < run; i++) {
            struct task_ent e;
            memcpy(&e, msg + in, sizeof e);
            unsigned char *rbytes = res + out + sizeof(struct result_ent);
            size_t rlen = 0;
            int st = fn(msg + in + sizeof e, e.len, rbytes, max_result,
                        &rlen, fn_arg);
            /* A fork the callback made returned: it leaves now, writing
             * nothing more, rather than run on as a second worker in this
             * slot that the parent does not watch (the tasks it took and
             * died with were never settled; a pill it took left a worker
             * running). */
            if (!coord__self_pid_is(self))
                _exit(0);
            /* The bytes the callback wrote are its result whatever it
             * returned: a failing task may say why (pool.h). A length
             * beyond the buffer is never sent. */
            if (rlen > max_result) {
                if (st == 0)
                    st = COORD_EOVERFLOW;
                rlen = 0;
            }
            struct result_ent re = {e.id, st, e.attempt, (uint32_t)rlen, 0};
            memcpy(res + out, &re, sizeof re);
            out += round8(sizeof re + rlen);
            in += round8(sizeof e + e.len);
            atomic_store_explicit(&w->nres, i + 1, memory_order_release);
        }
        struct rchunk_hdr rh = {coord_clock_ns() - t0, run, (int32_t)me};
        memcpy(res, &rh, sizeof rh);
        left -= run;
        if (left == 0)
            /* Retiring: said before the put (release: after the last
             * nres), so that a parent that finds us ended from here on
             * knows no task was running, whether or not the put
             * committed (pool_death.c, settle_retired). */
            atomic_store_explicit(&w->state, W_RETIRING, memory_order_release);
        r = coord_queue_put(p->results, res, out, COORD_FOREVER);
        if (r < 0) {
            atomic_store_explicit(&w->qerr, r, memory_order_release);
            return POOL_EXIT_QUEUE;
        }
        atomic_fetch_add_explicit(&w->done, run, memory_order_relaxed);
        if (left == 0) {
            /* Leave the poller's role now rather than when the parent
             * reaps us: a chunk queued meanwhile must not wait for a
             * poller that is gone (seq_cst, as take_chunk gives it up). */
            uint32_t mine = me + 1;
            atomic_compare_exchange_strong_explicit(
                &p->ctl->spinner, &mine, 0, memory_order_seq_cst,
                memory_order_relaxed);
            return 0;
        }
    }
}

int coord__pool_spawn_worker(coord_pool *p, unsigned i)
{
    struct wrec *w = rec_of(p, i);
    /* A clean record: seq 0 marks "no chunk". */
    memset(rec_msg(p, w), 0, sizeof(struct chunk_hdr));
    w->msg_len = 0;
    atomic_store_explicit(&w->qerr, 0, memory_order_release);
    atomic_store_explicit(&w->nres, 0, memory_order_release);
    atomic_store_explicit(&w->state, W_NEW, memory_order_release);
    p->spawn_index = i;
    p->slot_ran[i] = 0;
    /* Unset while coord_pool_start forks the first workers (see
     * coord_pool_set_fork_hooks). */
    if (p->before_fork)
        p->before_fork(p->fork_arg);
    int r = coord__spawn(&p->kids[i], worker_main, p);
    if (p->after_fork)
        p->after_fork(p->fork_arg);
    if (r == 0)
        p->live++;
    return r;
}

/* Do the chunks queued need a sleeping worker (`tasks`: in the chunk
 * just put)? Not when none is queued, nor when there is a poller and the
 * chunks queued are short work: the poller takes them, now or when it
 * has finished the short chunk it runs, sooner than a sleeper would wake.
 * Nor, up to POOL_BACKLOG_NS of work, while every CPU is taken (sampled
 * as wait.h's spin gate does): a woken worker would only take turns with
 * the poller and the parent. */
static bool need_worker(const coord_pool *p, uint32_t tasks)
{
    uint32_t s = atomic_load_explicit(&p->ctl->spinner, memory_order_relaxed);
    bool poller = s != 0 && s <= p->o.workers;
    /* Short: by the average and by the last chunk, each chunk with its
     * hand-off (a cost not yet measured is not short). */
    double cost = p->cost_ns > p->last_cost_ns ? p->cost_ns : p->last_cost_ns;
    double chunk = cost * (tasks ? tasks : 1) + POOL_CHUNK_HANDOFF_NS;
    /* The chunks sent whose results have not come back bound the queued
     * ones from above, from the parent's own counts: when even they are
     * short work for the poller, no shared counter need be read. */
    if (poller && cost > 0 &&
        (double)(p->sent - p->rchunks) * chunk <= POOL_SHORT_NS)
        return false;
    /* `taken` lags (a worker counts after its get), so this errs towards
     * a wake-up; 0 means every chunk sent has been taken. */
    uint64_t taken = atomic_load_explicit(&p->ctl->taken, memory_order_relaxed);
    uint64_t queued = p->sent - taken;
    if (queued == 0)
        return false;
    if (!poller || cost <= 0)
        return true;
    double work = (double)queued * chunk;
    if (work <= POOL_SHORT_NS)
        return false;
    if (work > POOL_BACKLOG_NS)
        return true;
    int cpus;
    int run = coord__load_sample(coord_clock_ns(), &cpus);
    return run < 0 || run < cpus;
}

/*
 * The parent's half of the protocol in struct pool_ctl: after a put of a
 * chunk of `tasks` tasks (or with 0 whenever chunks may wait), wake one
 * idle worker if the queued chunks need one (`always`: whenever one
 * sleeps, as pills do).
 */
void coord__pool_wake_if_needed(coord_pool *p, bool always, uint32_t tasks)
{
    struct pool_ctl *c = p->ctl;
    /* The put's commit before the reads of idle, spinner and taken: pairs
     * with the worker's fence between setting its bit and its last look. */
    atomic_thread_fence(memory_order_seq_cst);
    unsigned words = (p->o.workers + 63) / 64;
    for (unsigned k = 0; k < words; k++) {
        uint64_t m = atomic_load_explicit(&c->idle[k], memory_order_relaxed);
        if (m == 0)
            continue;
        if (!always && !need_worker(p, tasks))
            return;
        while (m) {
            unsigned b = (unsigned)__builtin_ctzll(m);
            uint64_t bit = 1ull << b;
            uint64_t old = atomic_fetch_and_explicit(&c->idle[k], ~bit,
                                                     memory_order_relaxed);
            unsigned i = k * 64 + b;
            if ((old & bit) && i < p->o.workers) {
                /* Ours to wake: it cleared no bit of its own meanwhile. */
                struct wrec *w = rec_of(p, i);
                atomic_fetch_add_explicit(&w->wake, 1, memory_order_release);
                coord__futex_wake(&w->wake, 1);
                return;
            }
            m = old & ~bit;
        }
    }
}

/* Worker i is dead: off the idle set and the poller's role, so that no
 * chunk waits for it; then another is woken if chunks wait. */
void coord__pool_forget_worker(coord_pool *p, unsigned i)
{
    struct pool_ctl *c = p->ctl;
    atomic_fetch_and_explicit(&c->idle[i / 64], ~(1ull << (i % 64)),
                              memory_order_relaxed);
    uint32_t mine = i + 1;
    atomic_compare_exchange_strong_explicit(&c->spinner, &mine, 0,
                                            memory_order_seq_cst,
                                            memory_order_relaxed);
    coord__pool_wake_if_needed(p, false, 0);
}

