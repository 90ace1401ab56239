/* SPDX-License-Identifier: MIT */
/* pool_death.c: pool workers that end, dead or retired: one poll() over their pidfds, each task of an ended worker's chunk settled exactly once, replacement. */
#include <sys/wait.h>
#include <time.h>

#include "pool_internal.h"

/* Dead workers are looked for (one poll() over every pidfd) at most this
 * often while the pool is busy. */
#define POOL_DEATH_POLL_NS 1000000ull
/* A replacement that could not be forked is tried again after
 * POOL_REFILL_MIN_NS, the gap doubling after each try that fails, up to
 * POOL_REFILL_MAX_NS. */
#define POOL_REFILL_MIN_NS 1000000ull
#define POOL_REFILL_MAX_NS 10000000ull
/* With no live worker and a slot whose fork failed, how long the forks
 * are tried again before the outstanding tasks fail ("no live worker"),
 * and before a submit or map that waits for a worker gives up. */
#define POOL_STARVE_NS 1000000000ull
/* The longest the parent waits for the task queue's consumer lock after a
 * death (a get holds it for a copy; see settle_dead). */
#define POOL_HOLD_MS 2000

struct fail_arg {
    coord_pool *p;
    int status;
    const char *cause;
};

static void fail_entry(const struct task_ent *e, const unsigned char *ent,
                       size_t len, void *arg)
{
    (void)ent;
    (void)len;
    struct fail_arg *f = arg;
    coord__pool_fail_task(f->p, e->id, f->status, e->attempt - 1, -1, 0,
                          f->cause);
}

/* Nobody is left to run tasks: report every outstanding one as failed
 * with `status`. */
static void fail_outstanding(coord_pool *p, int status, const char *cause)
{
    struct fail_arg f = {p, status, cause};
    for (size_t i = 0; i < p->retry_n; i++) {
        struct task_ent e;
        memcpy(&e, p->retry[i].ent, sizeof e);
        coord__pool_fail_task(p, e.id, status, e.attempt - 1, -1, 0, cause);
        free(p->retry[i].ent);
    }
    p->retry_n = 0;
    coord__pool_chunk_entries(p->sbuf, p->open_len, fail_entry, &f);
    p->open_count = 0;
    p->open_len = coord__pool_chunk_begin(p->sbuf, p->next_seq);
    for (;;) {
        size_t len;
        /* Its own buffer: this can run inside submit, whose chunk is
         * waiting in sbuf. */
        int r = coord_queue_get(p->tasks, p->dbuf, p->tchunk_cap, &len, 0);
        if (r == COORD_PILL)
            continue;
        if (r != 0)
            break;
        coord__pool_chunk_entries(p->dbuf, len, fail_entry, &f);
    }
    /* Anything else without a result was lost with a worker whose record
     * could not show it; it must not stay pending forever. */
    for (uint64_t id = 0; id < p->next_id; id++)
        if (!is_completed(p, id))
            coord__pool_fail_task(p, id, status, 0, -1, 0, cause);
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

/* The chunks whose tasks a death has settled (queued again or reported):
 * another dead worker's record may show the same chunk (a stale copy, or
 * the holder that took it while the first death was handled), and its
 * tasks must not be queued a second time. Chunk numbers are never reused
 * (tasks queued again travel in new chunks), and the records that show a
 * chunk (its taker's, and those of gets that lost it) die within a few
 * deaths of each other, so the last POOL_SETTLED_MEMORY settled are
 * enough: a later duplicate only runs tasks twice, and the first result
 * of each is kept. */
static bool was_settled(const coord_pool *p, uint64_t seq)
{
    for (unsigned k = 0; k < POOL_SETTLED_MEMORY; k++)
        if (p->settled[k] == seq)
            return true;
    return false;
}

static void remember_settled(coord_pool *p, uint64_t seq)
{
    p->settled[p->settled_at++ % POOL_SETTLED_MEMORY] = seq;
}

/* What happens to each task of a dead worker's chunk that has no result. */
struct dead_arg {
    coord_pool *p;
    unsigned worker;
    int status;
    uint32_t index, running; /* entry being walked; the one that ran */
    bool busy;               /* the worker had started the chunk */
    bool charged;            /* the death was counted to the one that ran */
};

/* Deaths a task may outlive beyond its opts.retries, queued again as "not
 * started" (a chunk's later tasks, each time an earlier one kills its
 * worker). */
#define POOL_REQUEUE_SLACK 32u

/* May task `id` go again after a death? The parent counts it: the attempt
 * in the worker's record, and its state, are the worker's to write (a
 * task that reset its attempt, or said its worker had not started, was
 * queued again at every death, for ever). False past opts.retries + 1 +
 * POOL_REQUEUE_SLACK, or without memory for the count. */
static bool requeue_ok(coord_pool *p, uint64_t id)
{
    for (size_t k = 0; k < p->requeued_n; k++)
        if (p->requeued[k].id == id)
            return ++p->requeued[k].n <=
                   (uint64_t)p->o.retries + 1 + POOL_REQUEUE_SLACK;
    if (p->requeued_n == p->requeued_cap) {
        /* Forget the tasks that have their outcome since. */
        size_t kept = 0;
        for (size_t k = 0; k < p->requeued_n; k++)
            if (!is_completed(p, p->requeued[k].id))
                p->requeued[kept++] = p->requeued[k];
        p->requeued_n = kept;
    }
    if (p->requeued_n == p->requeued_cap) {
        size_t cap = p->requeued_cap ? 2 * p->requeued_cap : 16;
        struct requeue *v = realloc(p->requeued, cap * sizeof *v);
        if (!v)
            return false;
        p->requeued = v;
        p->requeued_cap = cap;
    }
    p->requeued[p->requeued_n++] = (struct requeue){id, 1};
    return true;
}

static void settle_entry(const struct task_ent *e, const unsigned char *ent,
                         size_t len, void *arg)
{
    struct dead_arg *d = arg;
    coord_pool *p = d->p;
    uint32_t i = d->index++;
    if (e->id >= p->next_id || is_completed(p, e->id))
        return;
    bool ran = d->busy && i == d->running;
    /* A task after the one that ran did not start: this death is that
     * one's, counted to it, and not this one's (a chunk of 34 or more
     * tasks after a run of tasks that each killed their worker failed
     * them all, unrun). Counted when nothing was: the record may lie. */
    bool count = ran || !d->charged;
    if (ran)
        d->charged = true;
    if (count && !requeue_ok(p, e->id)) {
        char cause[64];
        snprintf(cause, sizeof cause, "its worker died %u times with it",
                 p->o.retries + 2 + POOL_REQUEUE_SLACK);
        coord__pool_fail_task(p, e->id, COORD_EPEERDIED, e->attempt,
                              (int)d->worker, d->status, cause);
        return;
    }
    if (!ran) {
        /* Never started: queued again as the same attempt. */
        if (coord__pool_push_retry(p, ent, len) == 0)
            return;
        coord__pool_fail_task(p, e->id, COORD_EPEERDIED, e->attempt - 1,
                              (int)d->worker, 0,
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
        if (coord__pool_push_retry(p, ent, len) == 0) {
            p->st.retried++;
            return;
        }
    }
    char cause[64];
    coord__status_text(d->status, cause, sizeof cause);
    coord__pool_fail_task(p, e->id, COORD_EPEERDIED, e->attempt,
                          (int)d->worker, d->status, cause);
}

/* Worker i is dead (its record no longer changes): the results it
 * finished of the chunk in its record but had not sent go to the parent.
 * Returns the number of tasks of that chunk (0: none, or malformed);
 * *nres gets how many of them have their result there. */
static uint32_t keep_record_results(coord_pool *p, unsigned i, uint32_t *nres)
{
    struct wrec *w = rec_of(p, i);
    uint32_t n = atomic_load_explicit(&w->nres, memory_order_acquire);
    size_t mlen = w->msg_len;
    uint32_t count =
        mlen <= p->tchunk_cap
            ? coord__pool_chunk_entries(rec_msg(p, w), mlen, NULL, NULL)
            : 0;
    if (n > count)
        n = count;
    if (n > 0)
        coord__pool_add_results(p, rec_res(p, w), p->rchunk_cap,
                                sizeof(struct rchunk_hdr), n, (int)i);
    *nres = n;
    return count;
}

/* The ids found somewhere (fail_orphans): one bit per id, as
 * `completed`; ids from untrusted bytes beyond it are no task's. */
struct seen_set {
    uint8_t *bits;
    size_t bytes;
};

static void mark_id(struct seen_set *s, uint64_t id)
{
    if (id / 8 < s->bytes)
        s->bits[id / 8] |= (uint8_t)(1u << (id % 8));
}

static void mark_entry(const struct task_ent *e, const unsigned char *ent,
                       size_t len, void *arg)
{
    (void)ent;
    (void)len;
    mark_id(arg, e->id);
}

/* Mark the ids of a task chunk (untrusted: a malformed one marks none). */
static void mark_chunk(const coord_pool *p, const unsigned char *msg,
                       size_t len, struct seen_set *s)
{
    if (len <= p->tchunk_cap)
        coord__pool_chunk_entries(msg, len, mark_entry, s);
}

struct mark_arg {
    const coord_pool *p;
    struct seen_set *s;
};

static bool mark_queued(const void *msg, size_t len, bool pill, void *arg)
{
    struct mark_arg *m = arg;
    if (!pill)
        mark_chunk(m->p, msg, len, m->s);
    return false;
}

/*
 * Worker i ended and its record shows no chunk it could have run: none
 * (killed before its first), or one it scribbled on (a task may write
 * any shared page it reaches: the state, the header, an entry). Its chunk
 * cannot be told from its record, so find what no longer is anywhere:
 * with the consumer lock held (no get commits), every task without a
 * result that is neither queued, nor in a record (any other worker's,
 * whatever its state: it may run it), nor waiting in the parent (retries,
 * the open chunk) was the dead worker's, and is reported failed: never
 * left pending for ever. Records are read before the results are drained:
 * a chunk gone from a record was put before.
 */
static void fail_orphans(coord_pool *p, unsigned i, int status)
{
    if (pending(p) == 0 || p->broken)
        return;
    struct seen_set s = {calloc(p->completed_bytes, 1), p->completed_bytes};
    if (!s.bits)
        return;
    if (coord__queue_hold_get_for(p->tasks, POOL_HOLD_MS) != 0) {
        free(s.bits);
        coord__pool_break(p, "its task queue's lock is stuck");
        return;
    }
    struct mark_arg m = {p, &s};
    (void)coord__queue_scan_held(p->tasks, mark_queued, &m);
    for (unsigned j = 0; j < p->o.workers; j++) {
        if (j == i)
            continue;
        struct wrec *o = rec_of(p, j);
        mark_chunk(p, rec_msg(p, o), o->msg_len, &s);
    }
    coord__pool_drain_all(p);
    coord__queue_release_get(p->tasks);
    for (size_t k = 0; k < p->retry_n; k++) {
        struct task_ent e;
        memcpy(&e, p->retry[k].ent, sizeof e);
        mark_id(&s, e.id);
    }
    if (p->open_count)
        mark_chunk(p, p->sbuf, p->open_len, &s);
    char cause[64];
    coord__status_text(status, cause, sizeof cause);
    for (uint64_t id = 0; id < p->next_id; id++)
        if (!is_completed(p, id) && !(s.bits[id / 8] >> (id % 8) & 1u))
            coord__pool_fail_task(p, id, COORD_EPEERDIED, 1, (int)i, status,
                                  cause);
    free(s.bits);
}

/*
 * With opts.retire_after: `n` more results came from worker slot `worker`
 * (a result chunk's word, untrusted). Once its worker has sent its last
 * one it is exiting, and the pump reaps it at once instead of at the next
 * death poll (a burst in which every worker retires would otherwise wait
 * a slice for each generation). A wrong count only costs such a poll.
 * Results read while the slot has no worker (its worker reaped before
 * they were: the exit handler reads them, before the replacement starts)
 * are an ended worker's, and count for nobody.
 */
void coord__pool_note_ran(coord_pool *p, int worker, uint32_t n)
{
    if (worker < 0 || (unsigned)worker >= p->o.workers ||
        p->kids[worker].pid <= 0)
        return;
    uint64_t *ran = &p->slot_ran[worker];
    if (*ran < p->o.retire_after && *ran + n >= p->o.retire_after)
        p->leaving++;
    *ran += n;
}

/*
 * Worker i said W_RETIRING: it ran its last task, and its results are in
 * the result queue or, when it ended before its put committed (killed),
 * in its record; no task of its chunk was running. The chunk in its
 * record is its own (its get returned it, it ran it). Read every result
 * (each is kept once: a repeat is dropped), then queue the tasks it left
 * for lack of tasks to run (pool.h, "Retirement") again as they were.
 */
static void settle_retired(coord_pool *p, unsigned i, int status)
{
    struct wrec *w = rec_of(p, i);
    unsigned char *msg = rec_msg(p, w);
    /* The queue first: no result of this worker may be read after its
     * slot's count starts again for the replacement. */
    coord__pool_drain_all(p);
    uint32_t nres;
    uint32_t count = keep_record_results(p, i, &nres);
    if (count == 0) {
        fail_orphans(p, i, status); /* its record was scribbled on */
        return;
    }
    struct chunk_hdr ch;
    memcpy(&ch, msg, sizeof ch);
    if (nres < count && ch.seq < p->next_seq && !was_settled(p, ch.seq)) {
        remember_settled(p, ch.seq);
        /* Not busy: every task without a result goes again unchanged. */
        struct dead_arg d = {p, i, 0, 0, 0, false};
        coord__pool_chunk_entries(msg, w->msg_len, settle_entry, &d);
    }
}

/* Worker i died (its record says `state`, its wait status `status`):
 * settle its chunk. */
static void settle_dead(coord_pool *p, unsigned i, uint32_t state, int status)
{
    struct wrec *w = rec_of(p, i);
    unsigned char *msg = rec_msg(p, w);
    /* Results the dead worker committed are in the queue, and those of
     * its chunk it finished but had not sent are in its record: read them
     * all first, so that "no result" below really means none. */
    coord__pool_drain_all(p);
    size_t mlen = w->msg_len;
    uint32_t nres;
    uint32_t count = keep_record_results(p, i, &nres);
    if (count == 0) {
        /* No chunk in its record: none yet, or one it scribbled on. */
        fail_orphans(p, i, status);
        return;
    }
    bool inflight = false;
    struct chunk_hdr ch;
    memcpy(&ch, msg, sizeof ch);
    bool look = state != W_EXITED && count > 0 && ch.seq < p->next_seq &&
                !was_settled(p, ch.seq);
    int held = look ? coord__queue_hold_get_for(p->tasks, POOL_HOLD_MS) : -1;
    if (look && held != 0) {
        /* The consumer lock is held by a live process that does not let
         * go (a worker stuck or scribbling on the queue: it is held for a
         * copy otherwise), or is broken: the chunk cannot be found, and
         * waiting without bound would hang the caller whatever its
         * timeout. The pool stops as for a broken queue (pool.h). */
        coord__pool_break(p, "its task queue's lock is stuck");
        return;
    }
    if (look) {
        /* Holding the consumer lock: no get commits while we look. The
         * dead worker may have copied this chunk and died before its get
         * committed; a live worker then took it, and may have finished it
         * and taken another since the drain above. Drain again now that no
         * record can change: a result put before this point is read here,
         * and a worker that has not put one still shows the chunk.
         *
         * Only a worker that says W_BUSY (or W_RETIRING, which follows
         * it) holds the chunk in its record: it set that after its get of
         * the chunk returned. One that says W_TAKING may show a copy left
         * by a get that lost the chunk to another (a get copies before its
         * commit, and a loser's copy stays until its next one: the copy of
         * the dead worker's own chunk, which then was never run). Its get
         * may also have just committed (the moment before W_BUSY): then
         * the chunk's tasks run twice, and the first result of each is
         * kept. */
        coord__pool_drain_all(p);
        inflight = coord__queue_scan_held(p->tasks, same_chunk, &ch.seq) == 0;
        for (unsigned j = 0; inflight && j < p->o.workers; j++) {
            if (j == i)
                continue;
            struct wrec *o = rec_of(p, j);
            uint32_t os = atomic_load_explicit(&o->state, memory_order_acquire);
            if ((os == W_BUSY || os == W_RETIRING) &&
                same_chunk(rec_msg(p, o), o->msg_len, false, &ch.seq))
                inflight = false;
        }
        coord__queue_release_get(p->tasks);
    }
    if (inflight) {
        remember_settled(p, ch.seq);
        /* Every task of the chunk without a result: the one running is
         * retried (as attempt + 1) or reported with the cause; the ones
         * not started are queued again as they were. */
        struct dead_arg d = {p, i, status, 0, nres, state == W_BUSY};
        coord__pool_chunk_entries(msg, mlen, settle_entry, &d);
    }
}

/* Slot i's replacement could not be forked: the pool's calls fork it
 * again (coord__pool_refill), the first try POOL_REFILL_MIN_NS from now
 * unless a gap is already running. */
static void mark_vacant(coord_pool *p, unsigned i)
{
    if (!p->vacant[i])
        p->nvacant++;
    p->vacant[i] = 1;
    if (p->refill_gap_ns == 0)
        p->refill_gap_ns = POOL_REFILL_MIN_NS;
    p->refill_at = coord_clock_ns() + p->refill_gap_ns;
}

/* Worker i has been reaped: account for it, settle its chunk, replace it. */
static void handle_exit(coord_pool *p, unsigned i)
{
    int status = p->kids[i].status;
    struct wrec *w = rec_of(p, i);
    uint32_t state = atomic_load_explicit(&w->state, memory_order_acquire);
    /* The record is the worker's, and its task may have written any value
     * there: a state is believed only where it can be true. A pill exit
     * needs pills out (after shutdown has every result), a retirement
     * opts.retire_after; anything else, or a value no worker writes, is a
     * worker that was running a task. */
    if ((state == W_EXITED && !p->closed) ||
        (state == W_RETIRING && !p->o.retire_after) || state > W_RETIRING)
        state = W_BUSY;
    p->live--;
    if (p->o.retire_after && p->slot_ran[i] >= p->o.retire_after)
        p->leaving--;
    p->slot_ran[i] = 0;
    /* Reaped elsewhere (SIGCHLD ignored), its status is unknown; having
     * said W_EXITED or W_RETIRING, it had finished its work. */
    bool clean = status == COORD__STATUS_UNKNOWN ||
                 (WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* A clean exit after a pill. */
    if (state == W_EXITED && clean) {
        p->pill_exits++;
        return;
    }
    /* Retired: exited after its last task; one killed while it retired is
     * a death, but no task of it was running either. */
    bool retired = state == W_RETIRING && clean;
    if (retired)
        p->st.retired++;
    else
        p->st.deaths++;
    if (state == W_RETIRING)
        settle_retired(p, i, status);
    else
        settle_dead(p, i, state, status);
    /* Clear the record so a stale copy is never matched again. */
    memset(rec_msg(p, w), 0, sizeof(struct chunk_hdr));
    coord__pool_forget_worker(p, i);
    /* It left because a queue failed, not because of a task: every
     * replacement would fail the same way (and be replaced, forever). */
    if (atomic_load_explicit(&w->qerr, memory_order_acquire) != 0)
        coord__pool_break(p, "a worker's queue operation failed");
    /* A retired worker is replaced whatever no_replace says: that option
     * is about deaths, and without replacements the pool would dwindle. */
    if ((retired || !p->o.no_replace) && !p->closed && !p->broken) {
        if (coord__pool_spawn_worker(p, i) == 0) {
            p->st.restarts++;
            p->slot_restarts[i]++;
        } else {
            /* A fork that failed (a process limit reached for a moment)
             * used to leave the slot empty for good: the pool shrank at
             * each such failure, and with opts.retire_after every worker
             * in turn retired into an empty slot until tasks failed with
             * "no live worker". The slot is forked again later. */
            mark_vacant(p, i);
        }
    }
    /* No worker left (replacement off, shut down, or fork failing): the
     * outstanding tasks can never run; say so rather than wait. When a
     * slot is only vacant, they wait for its fork, POOL_STARVE_NS at most
     * (coord__pool_refill): the last worker retiring while the process
     * limit is reached for a moment must not fail them, nor end the pool. */
    if (p->live == 0) {
        if (p->nvacant && !p->closed && !p->broken) {
            if (!p->starve_ns)
                p->starve_ns = coord_clock_ns();
        } else {
            fail_outstanding(p, COORD_EPEERDIED, "no live worker");
        }
    }
}

/*
 * Fork again the slots whose replacement failed (with `force`, now;
 * otherwise once the gap since the last try has passed), while the pool
 * takes work. Then, with still no live worker POOL_STARVE_NS after the
 * pool lost its last one, the outstanding tasks fail ("no live worker"):
 * nothing waits for ever on a process limit that stays. The slots stay
 * vacant, and the next submit or map tries them again.
 */
void coord__pool_refill(coord_pool *p, bool force)
{
    if (!p->nvacant || p->broken)
        return;
    uint64_t now = coord_clock_ns();
    if (!p->closed && (force || now >= p->refill_at)) {
        for (unsigned i = 0; i < p->o.workers && p->nvacant; i++) {
            if (!p->vacant[i])
                continue;
            if (coord__pool_spawn_worker(p, i) != 0) {
                /* Still failing: back off. */
                p->refill_gap_ns *= 2;
                if (p->refill_gap_ns > POOL_REFILL_MAX_NS)
                    p->refill_gap_ns = POOL_REFILL_MAX_NS;
                p->refill_at = now + p->refill_gap_ns;
                break;
            }
            p->vacant[i] = 0;
            p->nvacant--;
            p->st.restarts++;
            p->slot_restarts[i]++;
            p->refill_gap_ns = POOL_REFILL_MIN_NS;
            p->starve_ns = 0;
        }
    }
    if (p->live == 0 && p->starve_ns && now - p->starve_ns >= POOL_STARVE_NS) {
        p->starve_ns = 0;
        fail_outstanding(p, COORD_EPEERDIED, "no live worker");
    }
}

/*
 * Submit and map, finding no live worker: fork the vacant slots now, and
 * while that fails wait for one (the pump tries again, backing off) until
 * `deadline` or until the pool gives up (POOL_STARVE_NS after it lost its
 * last worker, or after this call began when it had already given up).
 * Returns 0 (a worker lives), COORD_EAGAIN / COORD_ETIMEDOUT (the
 * deadline: timeout_ms 0 / other), COORD_EPEERDIED (no worker can come:
 * replacement off, shut down, or the forks failed all that time),
 * COORD_EPROTO (broken).
 */
int coord__pool_await_worker(coord_pool *p, uint64_t deadline, int timeout_ms)
{
    if (p->live > 0)
        return 0;
    if (p->broken)
        return p->broken;
    if (!p->nvacant || p->closed)
        return COORD_EPEERDIED;
    bool waited = p->starve_ns != 0;
    coord__pool_refill(p, true);
    if (p->live > 0)
        return 0;
    if (waited && !p->starve_ns)
        return COORD_EPEERDIED; /* it gave up just now */
    if (!p->starve_ns)
        p->starve_ns = coord_clock_ns(); /* it had given up: wait anew */
    for (;;) {
        if (p->broken)
            return p->broken;
        if (p->live > 0)
            return 0;
        if (!p->starve_ns || !p->nvacant)
            return COORD_EPEERDIED;
        int ms = coord__pool_left_ms(deadline);
        if (ms == 0)
            return timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
        coord__pool_pump(p, ms);
    }
}

/* The pump, with no live worker while a slot waits for its fork: nothing
 * can come but that fork. Sleep until its next try or the end of the
 * wait (at least a millisecond, at most wait_ms). */
void coord__pool_starve_nap(coord_pool *p, int wait_ms)
{
    uint64_t now = coord_clock_ns();
    uint64_t ns = (uint64_t)wait_ms * 1000000ull;
    if (!p->closed && p->refill_at > now && p->refill_at - now < ns)
        ns = p->refill_at - now;
    if (p->starve_ns && p->starve_ns + POOL_STARVE_NS > now &&
        p->starve_ns + POOL_STARVE_NS - now < ns)
        ns = p->starve_ns + POOL_STARVE_NS - now;
    if (ns < 1000000ull)
        ns = 1000000ull;
    struct timespec ts = {(time_t)(ns / 1000000000ull),
                          (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL);
}

/* Reap every worker that has ended within timeout_ms (one poll() over all
 * pidfds). Returns how many. */
int coord__pool_reap_some(coord_pool *p, int timeout_ms)
{
    p->last_poll_ns = coord_clock_ns();
    int n = coord__child_poll(p->kids, p->o.workers, p->pfd, p->ended,
                              timeout_ms);
    /* After a break every worker is accounted for (see coord__pool_break). */
    for (int k = 0; k < n && !p->broken; k++)
        handle_exit(p, (unsigned)p->ended[k]);
    return n < 0 ? 0 : n;
}

/* Look for dead workers, at most once per POOL_DEATH_POLL_NS. */
int coord__pool_reap_due(coord_pool *p)
{
    if (coord_clock_ns() - p->last_poll_ns < POOL_DEATH_POLL_NS)
        return 0;
    if (p->nvacant)
        coord__pool_refill(p, false);
    return coord__pool_reap_some(p, 0);
}

/*
 * A shared queue of the pool was found broken (by the parent's own put or
 * get, or by a worker that exited with POOL_EXIT_QUEUE): nothing more can
 * go through it, and a replacement worker would fail at its first get. So
 * the pool stops: every worker is killed and reaped, the results already
 * in their records are kept, every other outstanding task is reported
 * with COORD_EPROTO and the cause, and the pool's calls return
 * COORD_EPROTO from now on (results stay readable, shutdown joins).
 */
void coord__pool_break(coord_pool *p, const char *cause)
{
    if (p->broken)
        return;
    p->broken = COORD_EPROTO;
    for (unsigned j = 0; j < p->o.workers; j++) {
        if (p->kids[j].pid <= 0)
            continue;
        coord__child_kill(&p->kids[j]);
        uint32_t nres;
        (void)keep_record_results(p, j, &nres);
    }
    /* Those reaped by a poll but not yet handled are gone too. */
    p->live = 0;
    p->leaving = 0;
    char text[64];
    snprintf(text, sizeof text, "pool broken: %s", cause);
    fail_outstanding(p, COORD_EPROTO, text);
}

