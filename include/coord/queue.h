/* SPDX-License-Identifier: MIT */
/* queue.h: bounded multi-producer multi-consumer queue of byte messages, with pills and close. */
#ifndef COORD_QUEUE_H
#define COORD_QUEUE_H

#include "common.h"

COORD_BEGIN_DECLS

/*
 * A coord_queue is a bounded FIFO of byte messages in shared memory, used by
 * any number of producer and consumer processes at once. Capacity (in
 * messages) and the maximum message size are fixed at creation; each
 * message is copied into a fixed slot. A put that returns 0 has copied the
 * message into shared memory: there is no feeder thread, so a producer that
 * exits right after put loses nothing.
 *
 * Order: each put claims the next position in one ring and gets take
 * positions strictly in order, so the queue is FIFO in claim order, and in
 * particular FIFO per producer. coord_queue_put_many / coord_queue_get_many
 * move several messages with one commit.
 *
 * Pills: coord_queue_put_pill() enqueues a message of its own kind; get
 * reports it with COORD_PILL. A pill is never confused with data, whatever
 * the data's bytes.
 *
 * Close: coord_queue_close() wakes every waiter. After it, put fails with
 * COORD_ECLOSED; get still returns what is queued and then COORD_ECLOSED.
 * A put that returns 0 while racing with close is delivered too: before
 * reporting COORD_ECLOSED, get waits out a put that has already claimed
 * its slot.
 *
 * Crash safety (the guarantee, and why it holds). A process may be killed
 * (SIGKILL) at any instruction inside put, put_pill or get:
 *  - The queue is never wedged. put and get take no lock on their common
 *    path: a put claims a slot with one CAS that records its pid in the
 *    slot, a get takes a message with one CAS of the head index. A put
 *    killed after its claim and before its commit leaves a claimed slot; a
 *    get waiting on it finds (within one wait turn, at most 100 ms, or on
 *    its second try with timeout 0) that the pid is gone and turns the slot
 *    into a skip under a robust process-shared mutex (EOWNERDEAD hands it
 *    on); a get killed after its commit leaves a slot that the next put
 *    needing it frees. A dead sleeper holds nothing. (A claimer's pid
 *    reused by a new process before the repair delays it until that
 *    process exits. Pids are the queue creator's pid namespace's: a claim
 *    made outside it, and any claim seen by a get outside it, is never
 *    judged by its pid, only waited for, so a dead claimer there holds its
 *    slot; see docs/queue.md.)
 *  - Nothing fully put is lost or duplicated. A put writes the slot's
 *    payload first and commits with one store of the slot's word (filled
 *    for its position), which is what gets look at. A get copies the slot
 *    out first and commits with one CAS of the head index. Killed before
 *    its commit, an operation has no effect (a put is as if never called,
 *    a get leaves the message queued for the next get); killed after it,
 *    the operation is complete. A put_many commits all its messages with
 *    one store (its first slot's word, written after the others', which
 *    stay marked with its pid and are skipped with it if it dies first), a
 *    get_many all it takes with one CAS of head. A message is thus removed
 *    exactly once, by the one get whose commit ran. (When a killed getter
 *    had already committed, it took the message with it: that is delivery
 *    to a process that died, which no queue can undo; coord_pool closes
 *    that gap for tasks.)
 *  - The cost of a death is small and short: sleepers sleep in slices of
 *    at most 100 ms and register for one slice at a time, so a process
 *    killed in its sleep makes the other side issue needless futex wakes
 *    for at most 100 ms (then its registration is dropped), and even a
 *    process killed inside coord_queue_close() delays the others by at
 *    most that. A get woken for a message and killed before it takes it
 *    leaves the message to the next wake-up or to another sleeper's slice
 *    (at most 100 ms later).
 *
 * Speed: when the queue is neither empty nor full, put and get make no
 * system call and take no lock: a put is a CAS (claim), a copy and a
 * store (freeing the slot's message of the lap before); a get is a copy
 * and a CAS of head. A get never reads the producers' counter (it looks at
 * the slot itself). A caller that finds the queue full or empty spins
 * briefly, then sleeps on a futex. A put of k messages wakes at most k
 * sleeping gets, and a get of k messages at most k sleeping puts (not
 * every sleeper: 16 gets asleep on an empty queue cost a message about
 * one context switch, not 30); coord_queue_close() wakes them all.
 *
 * Side locks: two short robust locks, one per side, guard the sleepers'
 * registrations and the repairs (a dead put's claim, the pool's look into
 * the queue); each is held for a copy and a store. A call that finds one
 * taken waits as its timeout says: -1 as long as the holder keeps it, > 0
 * until its deadline (COORD_ETIMEDOUT), 0 at most about 10 ms in all
 * (COORD_EAGAIN: the holder lost its CPU for that long, is stopped, or is
 * an owner word naming a live thread that never lets go, which a queue
 * passed by descriptor may hold: docs/queue.md, Trust). After its commit a
 * call wakes the other side's sleepers under that side's lock, and waits
 * for it at most about 10 ms whatever its timeout: then it wakes them all
 * without it, and returns as it would have; a thread whose wake-up found
 * the lock held that long then tries it once, without waiting, until
 * 10 ms pass without a wake-up that failed (a get wakes the puts after
 * each skip it passes: a run of skips behind a forged owner word costs
 * about 10 ms, not 10 ms a skip).
 */
typedef struct coord_queue coord_queue;

#define COORD_QUEUE_MAX_CAPACITY (1u << 30)
#define COORD_QUEUE_MAX_MSG (1u << 30)

/*
 * coord_queue_size: bytes coord_queue_init() needs for a queue of
 * `capacity` messages of at most `max_msg` bytes.
 * Concurrency: pure. Returns the size (a multiple of 64), or 0 when the
 * parameters are out of range (0, above the limits, or overflowing).
 */
COORD_EXTERN size_t coord_queue_size(size_t capacity, size_t max_msg);

/*
 * coord_queue_init: place a new empty queue in caller memory `mem` of
 * `size` bytes (at least coord_queue_size(), 64-byte aligned, shared with
 * the processes that will use it, e.g. MAP_SHARED before fork).
 * Concurrency: nobody may use `mem` during the call. Ownership: the caller
 * keeps `mem`; *out is a small private handle (malloc) that
 * coord_queue_destroy() frees (it leaves `mem` alone); children forked
 * afterwards share the queue through their copy of the handle.
 * Returns 0 and *out, COORD_EINVAL (NULL, misaligned, too small, capacity
 * or max_msg 0 or above the limits), COORD_ENOMEM (the handle) or a mutex
 * initialisation error.
 */
COORD_EXTERN int coord_queue_init(void *mem, size_t size, size_t capacity,
                                  size_t max_msg, coord_queue **out);

/*
 * coord_queue_create: map a new empty queue in anonymous shared memory;
 * every child forked after this call shares it.
 * Returns 0 and *out, COORD_EINVAL (out NULL, capacity or max_msg 0 or
 * above the limits) or COORD_ENOMEM.
 */
COORD_EXTERN int coord_queue_create(coord_queue **out, size_t capacity,
                                    size_t max_msg);

/*
 * coord_queue_create_named: like coord_queue_create, backed by the file
 * /dev/shm/coord.<name> (mode 0600, O_EXCL) so that unrelated processes can
 * coord_queue_open() it; `name` is 1..200 characters of [A-Za-z0-9._-].
 * The creator's destroy removes the name; `coord gc` removes it after a
 * crash. Returns 0, COORD_EINVAL, COORD_EEXIST (name taken), COORD_EACCES,
 * COORD_ENOENT (no /dev/shm), COORD_EMFILE (out of file descriptors),
 * COORD_ENOMEM or COORD_EIO (any other system error), as
 * coord_flag_create_named.
 */
COORD_EXTERN int coord_queue_create_named(coord_queue **out, const char *name,
                                          size_t capacity, size_t max_msg);

/*
 * coord_queue_open: map the queue another process created with `name`.
 * Returns 0, COORD_EINVAL, COORD_ENOENT (no such name), COORD_EPROTO (not a
 * coord queue: bad magic, kind or size, or limits that disagree with the
 * file's size; also a file left unfinished longer than COORD_GC_GRACE_MS),
 * COORD_EVERSION (other ABI), COORD_EAGAIN (its creator has not finished
 * initialising it: try again), COORD_EACCES, COORD_EMFILE (out of file
 * descriptors), COORD_ENOMEM or COORD_EIO (any other system error), as
 * coord_flag_open.
 */
COORD_EXTERN int coord_queue_open(coord_queue **out, const char *name);

/*
 * coord_queue_create_fd: coord_queue_create backed by a sealed memfd, its
 * descriptor in *fd (the caller's, close-on-exec; the queue keeps none).
 * coord_queue_open_fd: map the queue behind such a descriptor, given to
 * this process by inheritance or SCM_RIGHTS (`fd` borrowed; checked as a
 * named file is, then its limits as coord_queue_open checks them).
 * Ownership, concurrency and every return code: as coord_flag_create_fd
 * and coord_flag_open_fd (flag.h); create_fd also COORD_EINVAL for the
 * capacity or max_msg coord_queue_create refuses.
 */
COORD_EXTERN int coord_queue_create_fd(coord_queue **out, size_t capacity,
                                       size_t max_msg, int *fd);
COORD_EXTERN int coord_queue_open_fd(coord_queue **out, int fd);

/*
 * coord_queue_destroy: release this process's handle (free it and unmap;
 * the creator of a named queue also removes the name; a queue placed with
 * coord_queue_init is left in its memory). Messages still queued are dropped
 * for this process only: others that map the queue keep using it. Call
 * coord_queue_close() first to wake and stop them. NULL is ignored.
 * Concurrency: no other thread of this process may use `q` during or after.
 */
COORD_EXTERN void coord_queue_destroy(coord_queue *q);

/*
 * coord_queue_put: copy `len` bytes of `msg` into the queue, waiting while
 * it is full (timeout_ms: -1 forever, 0 try once, > 0 deadline).
 * Concurrency: any number of threads and processes, with gets and other
 * puts. Progress: blocking (a short robust lock; sleeps on a futex when
 * full); with timeout 0 it waits for no lock before its commit, and for
 * the wake-up after it at most about 10 ms (see Side locks above). Memory
 * ordering: release; a get that returns this message sees everything the
 * producer wrote before put. Ownership: `msg` is borrowed and copied;
 * `msg` may be NULL when len is 0.
 * Returns 0 (the message is in shared memory), COORD_EMSGSIZE (len above
 * max_msg; nothing queued), COORD_EAGAIN (full, timeout 0),
 * COORD_ETIMEDOUT, COORD_ECLOSED, COORD_EPROTO (the queue is broken: see
 * Trust), COORD_EINVAL (q NULL, msg NULL with len > 0, timeout < -1).
 */
COORD_EXTERN int coord_queue_put(coord_queue *q, const void *msg, size_t len,
                                 int timeout_ms);

/*
 * coord_queue_put_many: put messages msgs[0 .. n-1] (lengths lens[i]) in
 * order, as many as there is room for, with one lock and one commit: a
 * process killed inside the call has put all of those or none. Waits (as
 * coord_queue_put) only while there is no room for even one.
 * Concurrency, progress and ordering: as coord_queue_put; the messages of
 * one call keep their order but need not be consecutive in the queue: a
 * put of another thread or process may claim a position between two of
 * them, and its message is then delivered between them (docs/queue.md,
 * Batches). Ownership: the arrays and messages are borrowed and copied;
 * msgs[i] may be NULL when lens[i] is 0.
 * Returns 0 with *done = how many were put, 1 .. n (put the rest with
 * another call), or an error with *done = 0: COORD_EMSGSIZE (some lens[i]
 * above max_msg; nothing queued), COORD_EAGAIN, COORD_ETIMEDOUT,
 * COORD_ECLOSED, COORD_EPROTO, COORD_EINVAL (q, msgs, lens or done NULL,
 * n 0, msgs[i] NULL with lens[i] > 0, timeout < -1).
 */
COORD_EXTERN int coord_queue_put_many(coord_queue *q, const void *const *msgs,
                                      const size_t *lens, size_t n,
                                      size_t *done, int timeout_ms);

/*
 * coord_queue_put_pill: enqueue one poison pill (its own message kind: the
 * get that takes it returns COORD_PILL). Put one per consumer after the
 * last task: FIFO order delivers every earlier task before any pill.
 * Concurrency, progress and ordering: as coord_queue_put.
 * Returns 0, COORD_EAGAIN, COORD_ETIMEDOUT, COORD_ECLOSED, COORD_EPROTO,
 * COORD_EINVAL.
 */
COORD_EXTERN int coord_queue_put_pill(coord_queue *q, int timeout_ms);

/*
 * coord_queue_get: take the oldest message, copying it into `buf` (`cap`
 * bytes) and its length into *len, waiting while the queue is empty.
 * Concurrency: any number of threads and processes. Progress: blocking (a
 * short robust lock, waited for as Side locks above says; sleeps on a
 * futex when empty). Memory ordering: acquire (pairs with put).
 * Ownership: `buf` belongs to the caller; `buf` may be NULL when cap is 0
 * (then only pills and empty messages fit).
 * A get copies a message out before it commits, so after any return but 0
 * the bytes of `buf` (and *len, but for COORD_ENOBUFS and COORD_PILL) are
 * unspecified: a get that lost the message to another may have left a
 * copy there. Whoever watches `buf` from another process (a crash record,
 * as coord_pool's workers keep) must not take such a copy for a message
 * taken. A get that finds a put writing the next message looks again a
 * few times over about 2 us before it waits (or, with timeout 0, before
 * it returns COORD_EAGAIN): the put is about to commit.
 * Returns 0 (a message), COORD_PILL (a pill; *len = 0), COORD_ENOBUFS (the
 * message is longer than cap: *len gets its length and the message stays
 * queued, first in line), COORD_EAGAIN (timeout 0: empty, or a side lock
 * the get needs, to pass a dead put's claim or a head the pool holds,
 * held past about 10 ms; see Side locks above), COORD_ETIMEDOUT,
 * COORD_ECLOSED (closed and empty), COORD_EPROTO (the queue is broken:
 * see Trust), COORD_EINVAL (q or len NULL, buf NULL with cap > 0,
 * timeout < -1).
 */
COORD_EXTERN int coord_queue_get(coord_queue *q, void *buf, size_t cap,
                                 size_t *len, int timeout_ms);

/*
 * coord_queue_get_many: take up to `max` of the oldest messages with one
 * lock and one commit, message i copied to buf + i * stride (at most
 * `stride` bytes each) with its length in lens[i]. Takes those already
 * queued; waits (as coord_queue_get) only while the queue is empty. A pill
 * is taken only alone: first in line, it is returned as COORD_PILL; after
 * data, it ends the batch and stays queued. So does a message longer than
 * `stride`. Concurrency, progress, ordering and what a failed get leaves
 * in the buffer: as coord_queue_get.
 * Ownership: buf (max * stride bytes) and lens (max entries) belong to the
 * caller; buf may be NULL when stride is 0.
 * Returns 0 with *got = how many messages were taken, 1 .. max, or with
 * *got = 0: COORD_PILL (lens[0] = 0), COORD_ENOBUFS (the first message is
 * longer than stride: lens[0] gets its length and it stays queued),
 * COORD_EAGAIN, COORD_ETIMEDOUT, COORD_ECLOSED, COORD_EPROTO, COORD_EINVAL
 * (q, lens or got NULL, max 0, buf NULL with stride > 0, max * stride
 * overflowing, timeout < -1).
 */
COORD_EXTERN int coord_queue_get_many(coord_queue *q, void *buf, size_t stride,
                                      size_t max, size_t *lens, size_t *got,
                                      int timeout_ms);

/*
 * coord_queue_close: close the queue for every process that maps it and
 * wake all waiters. Later puts fail with COORD_ECLOSED; gets drain what is
 * queued, then fail with COORD_ECLOSED. Closing twice does nothing; a
 * broken queue stays broken.
 * Concurrency: any thread or process. Progress: lock-free (a store and two
 * futex wakes). Returns 0 or COORD_EINVAL (NULL).
 */
COORD_EXTERN int coord_queue_close(coord_queue *q);

/*
 * coord_queue_is_closed: has the queue been closed (or found broken)?
 * Wait-free; NULL gives true.
 */
COORD_EXTERN bool coord_queue_is_closed(const coord_queue *q);

/*
 * coord_queue_count: messages (pills included) queued at this instant.
 * It reads the slot of every queued message (at most capacity slots): to
 * ask whether there is any, use coord_queue_is_empty. A claim (a put in
 * progress, live or killed) is passed over, not waited for, and a
 * put_many in progress is counted from its second message on before it
 * commits: until then a get finds none of them (COORD_EAGAIN with
 * timeout 0), and if its process dies first they are never delivered.
 * Concurrency: any; wait-free; the answer may be stale by the time it is
 * read. Returns the count, or COORD_EINVAL for NULL.
 */
COORD_EXTERN long coord_queue_count(const coord_queue *q);

/*
 * coord_queue_is_empty: is no message (nor pill) queued at this instant?
 * The same answer as coord_queue_count() == 0, but it stops at the first
 * message: it reads one slot when the queue is empty or a message is next,
 * where coord_queue_count reads every queued one (a loop that drains a
 * queue while checking coord_queue_count would cost O(n^2)). A claim at
 * the front, a live put's or a killed one's, is passed over, as
 * coord_queue_count says (so is a put_many in progress counted).
 * Concurrency: any; wait-free; the answer may be stale by the time it is
 * read. NULL gives true.
 */
COORD_EXTERN bool coord_queue_is_empty(const coord_queue *q);

/*
 * coord_queue_is_full: would a put find no room at this instant (capacity
 * positions taken from the oldest queued one on, by messages, pills or
 * puts in progress)? One read of each of the two counters. A hint: right
 * after a producer was killed between taking its position and moving the
 * producers' counter it may say false for a full queue, until the next
 * put moves the counter on (that put then waits for room as usual).
 * Concurrency: any; wait-free; the answer may be stale by the time it is
 * read. NULL gives false.
 */
COORD_EXTERN bool coord_queue_is_full(const coord_queue *q);

/*
 * coord_queue_capacity / coord_queue_max_msg: the creation parameters
 * (0 for NULL). Wait-free.
 */
COORD_EXTERN size_t coord_queue_capacity(const coord_queue *q);
COORD_EXTERN size_t coord_queue_max_msg(const coord_queue *q);

COORD_END_DECLS

#endif
