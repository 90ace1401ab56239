/* SPDX-License-Identifier: MIT */
/* queue_wait.c: how a queue side waits: its side locks, the spin, the sliced futex sleep and the wake-up. */
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "queue_shm.h"
#include "wait.h"

/* The spin before a wait sleeps: wait.h's one policy, in its form for
 * streams (coord__spin_stream: a brief poll whatever the load, then the
 * gated spin of up to SPIN_NS). The spinner is per thread and per side:
 * its backoff state is private (wait.h), and a process that both puts and
 * gets keeps one for each. The queue joins no spinset: a process spinning
 * on a queue side is load, since with more spinners than CPUs one of them
 * takes the CPU the other side needs (1 -> 2 on 2 cores). */
#define SPIN_NS COORD__SPIN_DEFAULT_NS
static _Thread_local struct coord__spinner side_spinner[2];

/* Polls of a side lock held by another process before blocking on it in
 * the kernel (see side_lock_wait). This is not a wait for the other side
 * (that is wait_side), only for a critical section of a few dozen
 * nanoseconds, as glibc's adaptive mutexes poll (robust ones do not). */
#define LOCK_POLLS 128

/*
 * How long a call with timeout 0 waits for a side lock that another thread
 * holds, after the polls, before it gives up with COORD_EAGAIN (a call
 * that would block: common.h). A side lock is held for a copy and a
 * store; the pool holds the consumer lock a little longer, while it looks
 * into the queue after a worker's death (coord__queue_hold_get). Only a
 * holder that lost its CPU inside keeps it for long, until it runs again:
 * within a few of the scheduler's slices (3 ms each by default on 8 CPUs
 * or more, less on fewer) unless the machine is far overloaded. 10 ms
 * covers that, so a legitimate holder makes a timeout-0 call wait, as it
 * always did, and almost never fail; a holder that keeps the lock longer
 * is stopped, or is no holder at all: a robust mutex's owner word naming
 * a live thread (a queue passed by descriptor holds whatever its sender
 * wrote there), which glibc waits for as for a real holder. Without the
 * bound such a word made a call with timeout 0 wait for ever. A call
 * with a timeout > 0 waits until its deadline, one with -1 without limit
 * (a live owner word cannot be told from a holder). The waits that follow
 * a caller's operation or sleep (the wake-up after a commit, a sleeper
 * taking itself off) are bounded by LOCK_TRY_NS too, but for a sleeper
 * without a deadline (see wake_slow and wait_side).
 */
#define LOCK_TRY_NS 10000000ull

/* Does the lock word look free? Reads glibc's lock word (0 when free) so
 * that a poll does not take the cache line away from the holder. */
static inline bool lock_looks_free(coord__mutex *m)
{
#ifdef __GLIBC__
    return __atomic_load_n(&m->m.__data.__lock, __ATOMIC_RELAXED) == 0;
#else
    (void)m;
    return true;
#endif
}


/*
 * glibc said EDEADLK: the lock's owner word holds this thread's id. No
 * queue call takes a side lock it holds, so the holder is another thread
 * with the same number: one of another pid namespace that shares the
 * queue (two containers' first processes are both pid 1), since a robust
 * mutex names its holder by its thread id as its own namespace counts it.
 * That holder is as real as any: wait for it, polling (a blocking lock
 * answers EDEADLK at once), every millisecond, until the lock is free or
 * the call's time is up. Until session 19 the EDEADLK marked the queue
 * broken for every process. Returns pthread_mutex_trylock's 0 or
 * EOWNERDEAD, ETIMEDOUT at the deadline, COORD_EAGAIN (timeout 0, budget
 * spent), or another error of trylock.
 */
static int same_tid_wait(coord__mutex *m, int timeout_ms, uint64_t *d)
{
    uint64_t end = 0;
    if (timeout_ms == 0)
        end = *d ? *d : (*d = coord_clock_ns() + LOCK_TRY_NS);
    else if (timeout_ms > 0)
        end = deadline_of(timeout_ms, d);
    int r = coord__mutex_poll_until(m, end);
    return r == ETIMEDOUT && timeout_ms == 0 ? COORD_EAGAIN : r;
}

/*
 * Lock one side. Returns 0, 1 when the previous holder died holding it
 * (EOWNERDEAD; the mutex is consistent again and we hold it), or a
 * negative error (COORD_EAGAIN with timeout 0 at *d, which the first wait
 * sets LOCK_TRY_NS ahead, COORD_ETIMEDOUT at the deadline, COORD_EPROTO
 * for a lock word no correct queue holds). *d is the caller's: with
 * timeout 0 every wait of one call passes the same, so that the call waits
 * LOCK_TRY_NS in all, not that long for each lock it meets (a get passes a
 * run of skips, waking the puts after each).
 *
 * A side lock is held for a copy and a store, tens of nanoseconds, so a
 * caller that finds it taken polls it (reading only) up to LOCK_POLLS
 * times before blocking in the kernel. Without that, a consumer that loses
 * the race sleeps in futex_wait, and the holder's unlock must enter the
 * kernel to wake it: two system calls per message when four consumers
 * share the lock.
 */
static int side_lock_wait(struct coord_queue *q, coord__mutex *m,
                          int timeout_ms, uint64_t *d, int r)
{
    if (r == EBUSY) {
        /* A call with timeout 0 whose budget is spent tries once. */
        if (timeout_ms == 0 && *d && coord_clock_ns() >= *d)
            return COORD_EAGAIN;
        for (int i = 0; i < LOCK_POLLS && r == EBUSY; i++) {
            coord__cpu_relax();
            if (lock_looks_free(m))
                r = pthread_mutex_trylock(&m->m);
        }
        if (r == EBUSY) {
            if (timeout_ms < 0) {
                r = pthread_mutex_lock(&m->m);
            } else if (timeout_ms == 0) {
                /* One budget for all the waits of a call (*d: its end,
                 * set by the first), however many locks it meets. */
                if (!*d)
                    *d = coord_clock_ns() + LOCK_TRY_NS;
                r = coord__mutex_lock_until(m, *d);
                if (r == ETIMEDOUT)
                    return COORD_EAGAIN;
            } else {
                r = coord__mutex_lock_until(m, deadline_of(timeout_ms, d));
            }
        }
    }
    if (r == EDEADLK) {
        r = same_tid_wait(m, timeout_ms, d);
        if (r == COORD_EAGAIN)
            return r;
    }
    if (__builtin_expect(r == 0, 1))
        return 0;
    if (r == EOWNERDEAD) {
        pthread_mutex_consistent(&m->m);
        return 1;
    }
    if (r == ETIMEDOUT)
        return COORD_ETIMEDOUT;
    return coord__queue_broken(q);
}

/* The fast path of side_lock_wait, inlined into every caller: one trylock.
 * The kind word first: glibc trusts it, and one rewritten in shared memory
 * (a queue passed by descriptor holds what its sender wrote) can make
 * pthread_mutex_trylock fail an assertion and abort (os/mutex.c). The
 * side locks are off the put and get fast path, so the check costs them
 * nothing. */
INLINE int side_lock(struct coord_queue *q, coord__mutex *m, int timeout_ms,
                     uint64_t *d)
{
    if (!coord__mutex_kind_ok(m))
        return coord__queue_broken(q);
    int r = pthread_mutex_trylock(&m->m);
    if (__builtin_expect(r == 0, 1))
        return 0;
    return side_lock_wait(q, m, timeout_ms, d, r);
}

/* Take the consumer lock. Nobody freezes head without holding it (see
 * coord__queue_hold_get), so a frozen head seen here was left by a holder
 * that died: thaw it. */
int coord__queue_get_lock(struct coord_queue *q, int timeout_ms, uint64_t *d)
{
    int r = side_lock(q, &q->s->clock, timeout_ms, d);
    if (r < 0)
        return r;
    if (atomic_load_explicit(&q->s->head, memory_order_relaxed) & HEAD_FROZEN)
        atomic_fetch_and_explicit(&q->s->head, ~HEAD_FROZEN,
                                  memory_order_seq_cst);
    return 0;
}

/* Take the producer lock (sleep registrations of gets, and repairs). A
 * dead holder needs nothing undone: everything under it is idempotent. */
int coord__queue_put_lock(struct coord_queue *q, int timeout_ms, uint64_t *d)
{
    int r = side_lock(q, &q->s->plock, timeout_ms, d);
    return r == 1 ? 0 : r;
}

/* The lock that guards the sleepers of the getters' (or the putters')
 * side: the other side's. */
static int sleep_lock(struct coord_queue *q, bool getters, int timeout_ms,
                      uint64_t *d)
{
    return getters ? coord__queue_put_lock(q, timeout_ms, d)
                   : coord__queue_get_lock(q, timeout_ms, d);
}

static bool has_space(struct coord_queue *q)
{
    uint64_t t = atomic_load_explicit(&q->s->tail, memory_order_seq_cst);
    uint64_t h = HEAD_POS(atomic_load_explicit(&q->s->head,
                                               memory_order_seq_cst));
    return (int64_t)(t - h) < (int64_t)q->capacity;
}

/* Is the slot at head anything but free (a message, a skip, a claim: all
 * mean that a get has something to do or to look at)? */
static bool has_msg(struct coord_queue *q)
{
    uint64_t hw = atomic_load_explicit(&q->s->head, memory_order_seq_cst);
    uint64_t h = HEAD_POS(hw);
    uint64_t w = atomic_load_explicit(&slot_at(q, h)->word,
                                      memory_order_seq_cst);
    /* The slot at head holds a word within a lap of h (queue_shm.h). */
    return (hw & HEAD_FROZEN) || WORD_SEQ(w) == (uint32_t)(h + 1);
}

/* What a side polls while it spins. A get watches the word of the slot
 * at head that it found not filled (`word`, which held `seen`): one cache
 * line, written only when the put it waits for commits or another get
 * takes the slot, so spinning consumers neither read head (which other
 * consumers' CASes keep moving between cores) nor the producers' lines.
 * A put watches for room (tail and head). Both stop when the state
 * changes (close, broken). Relaxed: a hint; the caller re-reads. */
struct watch {
    struct coord_queue *q;
    _Atomic uint64_t *word; /* NULL: a put */
    uint64_t seen;
    uint32_t state; /* the state the caller saw when it chose to wait */
};

/* A change of state, not a state other than open: a get waits on a put's
 * claim in a closed queue too (the put may still commit), and "closed"
 * there made it ready at once, so that it spun on the claim at full CPU
 * for as long as the put took (a stopped put: for ever) instead of
 * sleeping. */
static bool ready_side(const void *ctx)
{
    const struct watch *w = ctx;
    if (atomic_load_explicit(&w->q->s->state, memory_order_relaxed) !=
        w->state)
        return true;
    if (w->word)
        return atomic_load_explicit(w->word, memory_order_relaxed) != w->seen;
    return has_space(w->q);
}

/*
 * Wait until `ready(q)` may hold, or the queue is closed, or the deadline.
 * Returns 0 (re-check), COORD_ETIMEDOUT, or a lock error. This is the
 * queue's one waiting function: every blocking put and get waits here.
 *
 * The spin: wait.h's policy for streams (see SPIN_NS above). The sleep: a sleeper registers for one slice at a time
 * (so that one killed in its sleep is forgotten after the slice).
 *
 * The sleep protocol (no lost wake-up): the sleeper raises its side's
 * waiter count (a seq_cst read-modify-write) and reads `ev`, holding the
 * *other* side's lock (which serialises registrations against the
 * expiry in must_wake), then re-checks its condition with seq_cst loads,
 * and sleeps only while `ev` still holds what it read. A committer's
 * commit is a seq_cst store or CAS, followed by a seq_cst load of the
 * count: either the committer reads the raised count (and wakes), or the
 * sleeper's re-check comes later in the single total order and sees the
 * commit.
 */
static int wait_side(struct coord_queue *q, bool getter,
                     const struct watch *w, uint64_t deadline)
{
    struct qshm *s = q->s;
    bool (*ready)(struct coord_queue *) = getter ? has_msg : has_space;
    struct sleepers *sl = getter ? &s->get_sl : &s->put_sl;
    coord__mutex *other = getter ? &s->plock : &s->clock;
    /* The deadline first: a caller whose condition looks ready here but
     * whose operation still cannot proceed (a put that finds room counted
     * but its slot still held by a put of the lap before) comes back at
     * once, and must still time out. */
    if (deadline != UINT64_MAX && coord_clock_ns() >= deadline)
        return COORD_ETIMEDOUT;
    if (coord__spin_stream(&side_spinner[getter], SPIN_NS, ready_side, w))
        return 0;
    uint64_t now = coord_clock_ns();
    if (deadline != UINT64_MAX && now >= deadline)
        return COORD_ETIMEDOUT;
    /* Sleep in slices: the slice bounds how long a registration can
     * outlive a sleeper killed in its sleep, how long a process killed
     * inside close() (between its store and its wake) can leave the others
     * asleep, and how long a get waits before it looks whether the
     * claimer of the slot it waits on is still alive. */
    uint64_t until = now + SLEEP_SLICE_NS < deadline ? now + SLEEP_SLICE_NS
                                                     : deadline;
    uint64_t d = deadline;
    int tmo = deadline == UINT64_MAX ? -1 : 1;
    int r = sleep_lock(q, getter, tmo, &d);
    if (r < 0)
        return r;
    atomic_fetch_add_explicit(&sl->count, 1, memory_order_seq_cst);
    uint32_t gen = sl->gen;
    if (sl->until < until)
        sl->until = until;
    /* seq_cst with close(): reading close's bump of ev means we also see
     * its store to `state` below. */
    uint32_t e = atomic_load_explicit(&sl->ev, memory_order_seq_cst);
    side_unlock(other);
    if (!ready(q) &&
        atomic_load_explicit(&s->state, memory_order_seq_cst) == w->state) {
        r = coord__futex_wait(&sl->ev, e, until);
        if (r == COORD_ETIMEDOUT && until != deadline)
            r = 0; /* the end of a slice, not of the caller's wait */
    }
    /* Take ourselves off, unless a committer already dropped the count
     * as expired (then gen has moved on). A process killed before this
     * point leaves its count to expire at `until`. The lock is held only
     * for short critical sections: a caller without a deadline waits for
     * it as long as it takes; one with a deadline (which may have passed)
     * as a call with timeout 0 does, and past that leaves its count to
     * expire as a killed sleeper's does (a holder that never lets go, a
     * forged owner word, held it past its deadline without limit). */
    uint64_t off = 0; /* a budget of its own (not the deadline: see above) */
    int lr = sleep_lock(q, getter, deadline == UINT64_MAX ? -1 : 0, &off);
    if (lr == COORD_EAGAIN)
        return r;
    if (lr < 0)
        return lr;
    if (sl->gen == gen) {
        atomic_fetch_sub_explicit(&sl->count, 1, memory_order_relaxed);
        /* Answer one wake-up sent to this side, whichever sleeper it was
         * meant for (see wake_count). */
        if (sl->woken)
            sl->woken--;
    }
    side_unlock(other);
    return r;
}

/*
 * Under the lock that guards `sl` (see wait_side): how many sleepers a
 * commit of n wakes. At most n, and at most those registered that no
 * earlier wake-up went to (count - woken), which it adds to `woken`.
 *
 * Why this is enough (no sleeper is stranded while a message it could take
 * waits). Every wake-up bumps `ev` before its futex wake, so each sleeper
 * registered at that moment either is woken, or finds `ev` changed when it
 * goes to sleep, or is past its sleep already: all of them take themselves
 * off, and each one that does answers one wake-up (`woken` - 1, wait_side).
 * So `woken` never counts more wake-ups than there are registrations yet to
 * answer them, and a sleeper that registered after the last wake-up is
 * always in count - woken. Answers can only make `woken` too small (a
 * sleeper whose slice ended answers a wake-up meant for another), which
 * costs a futex wake that finds nobody, never a missed one.
 *
 * What it gives up: a sleeper woken for a message and killed before it
 * takes it leaves that message to the next commit's wake-up or to another
 * sleeper's slice (at most SLEEP_SLICE_NS later); waking all, as the queue
 * did, woke every sleeper for every commit (16 sleeping gets: 30 context
 * switches and about 200 us of their CPU per message, docs/queue.md).
 *
 * Registrations whose `until` has passed belong to sleepers that are awake
 * or dead: they are dropped (a new gen: the awake ones do not take
 * themselves off again), and nobody is woken.
 */
static size_t wake_count(struct sleepers *sl, size_t n)
{
    uint32_t c = atomic_load_explicit(&sl->count, memory_order_relaxed);
    if (c == 0)
        return 0;
    if (coord_clock_ns() >= sl->until) {
        atomic_store_explicit(&sl->count, 0, memory_order_relaxed);
        sl->woken = 0;
        sl->gen++;
        sl->until = 0;
        return 0;
    }
    uint32_t w = sl->woken;
    if (w >= c)
        return 0;
    size_t k = c - w < n ? c - w : n;
    sl->woken = w + (uint32_t)k;
    return k;
}

/*
 * After a commit (a seq_cst store or CAS) of n: wake up to n sleepers of
 * one side (wake_count). The caller's operation is done, so whatever its
 * timeout this waits for the lock only as a call with timeout 0 does
 * (LOCK_TRY_NS): past that it wakes every sleeper of the side without the
 * lock, as close() does. That loses no wake-up (each sleeper registered
 * before the bump of `ev` is woken or finds `ev` changed), and costs only
 * the sleepers' needless wakes and a `woken` that counts too few (see
 * wake_count: futex wakes that find nobody later, never a missed one).
 *
 * A wait that ran out sours the thread's next ones: until LOCK_TRY_NS
 * after its last lock that would not come, a wake-up tries the lock once
 * and does not wait. A get with timeout 0 wakes the puts after each skip
 * it passes, and with 10 ms a wake-up it waited 10 ms a skip for a holder
 * that never lets go (a forged owner word: 4,095 skips took 41 s, a
 * forged ring of 2^30 skips for ever). Kept per thread, not per call, so
 * that a put or get pays nothing for it until a wake-up meets a held lock
 * (a budget passed down from each call cost the get 2 instructions:
 * callgrind, 260 against 258 per put + get).
 */
static _Thread_local uint64_t wake_sour_until;

void coord__queue_wake_slow(struct coord_queue *q, bool getters, size_t n)
{
    struct qshm *s = q->s;
    struct sleepers *sl = getters ? &s->get_sl : &s->put_sl;
    size_t k = INT_MAX;
    /* In a queue that is no longer open every sleeping get waits on a put's
     * claim (ready_side), and every one of them has an answer once that
     * put commits or gives its slot up: a message, or COORD_ECLOSED. Woken
     * only n of them, the rest slept to the end of their slice (100 ms)
     * and one with a shorter timeout said COORD_ETIMEDOUT in a closed,
     * empty queue. Read after the commit (seq_cst): a close that this
     * load does not see comes later and wakes them all itself. */
    if (getters &&
        atomic_load_explicit(&s->state, memory_order_seq_cst) != ST_OPEN)
        n = SIZE_MAX;
    /* A deadline long past (1): the lock is tried once (side_lock_wait). */
    uint64_t budget = wake_sour_until && coord_clock_ns() < wake_sour_until;
    int r = sleep_lock(q, getters, 0, &budget);
    if (r == COORD_EAGAIN)
        wake_sour_until = coord_clock_ns() + LOCK_TRY_NS;
    if (r < 0 && r != COORD_EAGAIN)
        return; /* broken: every sleeper was woken */
    if (r == 0) {
        k = wake_count(sl, n);
        side_unlock(getters ? &s->plock : &s->clock);
    }
    if (k) {
        atomic_fetch_add_explicit(&sl->ev, 1, memory_order_seq_cst);
        coord__futex_wake(&sl->ev, k < INT_MAX ? (int)k : INT_MAX);
    }
}


/* What a blocking call does when it cannot go on: give up (timeout 0), or
 * wait on its side (the deadline is computed on the first wait only).
 * Returns 0 to try again, or the code to return. */
int coord__queue_wait_turn(struct coord_queue *q, _Atomic uint64_t *word,
                           uint64_t seen, uint32_t state, int timeout_ms,
                           uint64_t *deadline)
{
    if (timeout_ms == 0)
        return COORD_EAGAIN;
    struct watch w = {q, word, seen, state};
    return wait_side(q, word != NULL, &w, deadline_of(timeout_ms, deadline));
}
