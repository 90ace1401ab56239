/* SPDX-License-Identifier: MIT */
/* queue.c: the queue object: its layout, create, init, open by name, destroy, close, and what it reports. */
#include <errno.h>
#include <limits.h>

#include "queue_shm.h"

static uint32_t ring_size_for(size_t capacity)
{
    /* At least 2: with one slot, "filled for p" (p + 1) would read as
     * "free for the next lap" (p + ring). */
    uint32_t r = 2;
    while (r < capacity)
        r <<= 1;
    return r;
}

static uint64_t layout(size_t capacity, size_t max_msg, uint32_t *ring,
                       uint32_t *slot_size)
{
    if (capacity == 0 || max_msg == 0 || capacity > COORD_QUEUE_MAX_CAPACITY ||
        max_msg > COORD_QUEUE_MAX_MSG)
        return 0;
    /* Whole cache lines per slot: a put filling slot t + 1 then never
     * shares a line with the get copying out and freeing slot t, nor with
     * the gets spinning on slot t + 1's word while the put writes the
     * payload of t + 2 (with 24-byte slots for 8-byte messages, 2.7 slots
     * shared each line, and each message moved it between the cores
     * several times). */
    uint64_t ss = (SLOT_HDR + (uint64_t)max_msg + COORD__CACHE_LINE - 1) &
                  ~(uint64_t)(COORD__CACHE_LINE - 1);
    uint64_t rs = ring_size_for(capacity);
    uint64_t bytes = sizeof(struct qshm) + rs * ss;
    /* Both factors are below 2^31, so the product fits in 64 bits; refuse
     * what cannot be mapped anyway. */
    if (bytes > ((uint64_t)SIZE_MAX >> 1) || ss > UINT32_MAX)
        return 0;
    bytes = (bytes + COORD__CACHE_LINE - 1) & ~(uint64_t)(COORD__CACHE_LINE - 1);
    if (ring)
        *ring = (uint32_t)rs;
    if (slot_size)
        *slot_size = (uint32_t)ss;
    return bytes;
}

size_t coord_queue_size(size_t capacity, size_t max_msg)
{
    return (size_t)layout(capacity, max_msg, NULL, NULL);
}

/* A new handle on shared queue `s` with the given (checked) limits. */
static coord_queue *handle_new(struct qshm *s, uint32_t capacity,
                               uint32_t max_msg, uint32_t ring,
                               uint32_t slot_size, int owned)
{
    struct coord_queue *q = malloc(sizeof *q);
    if (!q)
        return NULL;
    q->s = s;
    q->slots = (unsigned char *)s + sizeof *s;
    atomic_init(&q->streak, 0);
    q->capacity = capacity;
    q->max_msg = max_msg;
    q->ring_mask = ring - 1;
    q->slot_size = slot_size;
    q->ring = ring;
    atomic_init(&q->head_cache, 0);
    atomic_init(&q->stuck_at, 0);
    atomic_init(&q->stuck, 0);
    q->owned = owned;
    q->ns_known = false;
    q->ns_dev = q->ns_ino = 0;
    atomic_init(&q->owner_cache, 0);
    return q;
}

/* The handle's pid namespace: the one the segment header records (the
 * creator's), or (`hdr` NULL: caller memory) this process's. */
static void handle_ns(struct coord_queue *q, const coord__seg_hdr *hdr)
{
    uint64_t dev = 0, ino = 0;
    if (hdr) {
        dev = hdr->pidns_dev;
        ino = hdr->pidns_ino;
    } else if (coord__pidns_id(&dev, &ino) != 0) {
        dev = ino = 0;
    }
    q->ns_known = dev != 0 || ino != 0;
    q->ns_dev = dev;
    q->ns_ino = ino;
}

uint32_t coord__queue_owner_slow(struct coord_queue *q, uint32_t pid)
{
    uint64_t dev, ino;
    bool same = q->ns_known && coord__pidns_id(&dev, &ino) == 0 &&
                dev == q->ns_dev && ino == q->ns_ino;
    uint32_t owner = same ? pid : (pid | OWNER_FOREIGN);
    atomic_store_explicit(&q->owner_cache, (uint64_t)owner << 32 | pid,
                          memory_order_relaxed);
    return owner;
}

/* Place a new queue in `mem` and make a handle for it. */
static int queue_setup(void *mem, size_t capacity, size_t max_msg, int owned,
                       coord_queue **out)
{
    uint32_t ring = 1, ss = SLOT_HDR;
    uint64_t total = layout(capacity, max_msg, &ring, &ss);
    struct qshm *s = mem;
    memset(s, 0, sizeof *s);
    int r = coord__mutex_init(&s->plock);
    if (!r)
        r = coord__mutex_init(&s->clock);
    if (r)
        return r;
    struct coord_queue *q = handle_new(s, (uint32_t)capacity,
                                       (uint32_t)max_msg, ring, ss, owned);
    if (!q)
        return COORD_ENOMEM;
    handle_ns(q, owned ? coord__seg_of(s) : NULL);
    s->capacity = (uint32_t)capacity;
    s->max_msg = (uint32_t)max_msg;
    s->ring_mask = ring - 1;
    s->slot_size = ss;
    s->slots_off = sizeof *s;
    s->total = total;
    /* Slot i starts free for position i. Caller memory may hold
     * anything: write every header. */
    for (uint32_t i = 0; i < ring; i++) {
        atomic_store_explicit(&slot_at(q, i)->word, FREE_WORD(i),
                              memory_order_relaxed);
        atomic_store_explicit(&slot_at(q, i)->info, 0, memory_order_relaxed);
    }
    /* Release: a process that sees the magic sees the fields above. */
    atomic_thread_fence(memory_order_release);
    s->magic = QUEUE_MAGIC;
    *out = q;
    return 0;
}

int coord_queue_init(void *mem, size_t size, size_t capacity, size_t max_msg,
                     coord_queue **out)
{
    size_t need = coord_queue_size(capacity, max_msg);
    if (!mem || !out || need == 0 || size < need ||
        ((uintptr_t)mem % COORD__CACHE_LINE) != 0)
        return COORD_EINVAL;
    return queue_setup(mem, capacity, max_msg, 0, out);
}

/* A new queue: named (`name`), in a memfd whose descriptor goes to *fd
 * (`fd` non-NULL), or in an anonymous mapping. */
static int queue_create(coord_queue **out, const char *name, int *fd,
                        size_t capacity, size_t max_msg)
{
    if (!out || capacity == 0 || max_msg == 0 ||
        capacity > COORD_QUEUE_MAX_CAPACITY || max_msg > COORD_QUEUE_MAX_MSG)
        return COORD_EINVAL;
    /* Within the limits, no size says that no mapping of this address
     * space could hold it (a 32-bit size_t): COORD_ENOMEM, as queue.h
     * promises for what is too big to map, not EINVAL. */
    size_t need = coord_queue_size(capacity, max_msg);
    if (need == 0)
        return COORD_ENOMEM;
    void *mem;
    int r = fd ? coord__seg_create_fd(COORD__KIND_QUEUE, need, &mem)
               : coord__seg_create(name, COORD__KIND_QUEUE, need, &mem);
    if (r)
        return r;
    r = queue_setup(mem, capacity, max_msg, 1, out);
    if (r) {
        coord__seg_release(mem, true);
        return r;
    }
    int d = coord__seg_publish(mem);
    if (fd)
        *fd = d;
    return 0;
}

int coord_queue_create(coord_queue **out, size_t capacity, size_t max_msg)
{
    return queue_create(out, NULL, NULL, capacity, max_msg);
}

int coord_queue_create_named(coord_queue **out, const char *name,
                             size_t capacity, size_t max_msg)
{
    if (!name)
        return COORD_EINVAL;
    return queue_create(out, name, NULL, capacity, max_msg);
}

int coord_queue_create_fd(coord_queue **out, size_t capacity, size_t max_msg,
                          int *fd)
{
    if (!fd)
        return COORD_EINVAL;
    return queue_create(out, NULL, fd, capacity, max_msg);
}

/* Map the queue named `name`, or (name NULL) the one behind `fd`. */
static int queue_open(coord_queue **out, const char *name, int fd)
{
    if (!out)
        return COORD_EINVAL;
    void *mem;
    size_t size;
    int r = name ? coord__seg_open(name, COORD__KIND_QUEUE, &mem, &size)
                 : coord__seg_open_fd(fd, COORD__KIND_QUEUE, &mem, &size);
    if (r)
        return r;
    struct qshm *s = mem;
    /* Read each limit once (another process may be writing them), then
     * re-derive the layout: a segment whose fields disagree with its size
     * is not a queue we can trust. */
    uint32_t cap = 0, max = 0, ring = 0, ss = 0;
    uint64_t total = 0;
    if (size >= sizeof *s) {
        cap = *(volatile uint32_t *)&s->capacity;
        max = *(volatile uint32_t *)&s->max_msg;
        total = layout(cap, max, &ring, &ss);
    }
    if (total == 0 || s->magic != QUEUE_MAGIC || total > size ||
        s->total != total || s->ring_mask != ring - 1 || s->slot_size != ss ||
        s->slots_off != sizeof *s) {
        coord__seg_release(mem, false);
        return COORD_EPROTO;
    }
    *out = handle_new(s, cap, max, ring, ss, 1);
    if (!*out) {
        coord__seg_release(mem, false);
        return COORD_ENOMEM;
    }
    handle_ns(*out, coord__seg_of(mem));
    return 0;
}

int coord_queue_open(coord_queue **out, const char *name)
{
    return name ? queue_open(out, name, -1) : COORD_EINVAL;
}

int coord_queue_open_fd(coord_queue **out, int fd)
{
    return queue_open(out, NULL, fd);
}

void coord_queue_destroy(coord_queue *q)
{
    if (!q)
        return;
    if (q->owned)
        coord__seg_release(q->s, true);
    free(q);
}


int coord_queue_close(coord_queue *q)
{
    if (!q)
        return COORD_EINVAL;
    struct qshm *s = q->s;
    uint32_t open = ST_OPEN;
    /* A broken queue stays broken. */
    atomic_compare_exchange_strong_explicit(&s->state, &open, ST_CLOSED,
                                            memory_order_seq_cst,
                                            memory_order_seq_cst);
    /* Bump both wake-up words unconditionally so a sleeper that read them
     * before the store cannot sleep through the close. */
    atomic_fetch_add_explicit(&s->put_sl.ev, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&s->get_sl.ev, 1, memory_order_seq_cst);
    coord__futex_wake(&s->put_sl.ev, INT_MAX);
    coord__futex_wake(&s->get_sl.ev, INT_MAX);
    return 0;
}

bool coord_queue_is_closed(const coord_queue *q)
{
    return !q || atomic_load_explicit(&q->s->state, memory_order_acquire) !=
                     ST_OPEN;
}

/* The messages (pills included) queued from head on, counting at most
 * `limit`: the filled slots (skips not counted; a claim left by a killed
 * producer may sit before filled slots and is passed over), at most
 * capacity of them. */
static long count_upto(const coord_queue *q, long limit)
{
    struct qshm *s = q->s;
    uint64_t h = HEAD_POS(atomic_load_explicit(&s->head, memory_order_acquire));
    long n = 0;
    /* Slots h .. h + capacity - 1 hold words of positions within a lap of
     * h (queue_shm.h, "The ring"): their seqs compare modulo 2^32. */
    for (uint64_t i = h; i - h < q->capacity && n < limit; i++) {
        uint64_t w = atomic_load_explicit(&slot_at(q, i)->word,
                                          memory_order_acquire);
        if (WORD_SEQ(w) == (uint32_t)(i + 1)) {
            if (WORD_OWNER(w) != OWNER_SKIP)
                n++;
        } else if (WORD_SEQ(w) != (uint32_t)i || WORD_OWNER(w) == 0) {
            break;
        }
    }
    return n;
}

long coord_queue_count(const coord_queue *q)
{
    return q ? count_upto(q, LONG_MAX) : COORD_EINVAL;
}

/* count() == 0, from one slot read when a message (or nothing) is next. */
bool coord_queue_is_empty(const coord_queue *q)
{
    return !q || count_upto(q, 1) == 0;
}

bool coord_queue_is_full(const coord_queue *q)
{
    if (!q)
        return false;
    struct qshm *s = q->s;
    uint64_t h = HEAD_POS(atomic_load_explicit(&s->head, memory_order_acquire));
    uint64_t t = atomic_load_explicit(&s->tail, memory_order_acquire);
    /* The room check of a put (claim), against a fresh head. */
    int64_t used = (int64_t)(t - h);
    return used >= (int64_t)q->capacity;
}

size_t coord_queue_capacity(const coord_queue *q)
{
    return q ? q->capacity : 0;
}

size_t coord_queue_max_msg(const coord_queue *q)
{
    return q ? q->max_msg : 0;
}

void coord__queue_sleepers(const coord_queue *q, uint32_t *puts,
                           uint32_t *gets)
{
    *puts = atomic_load_explicit(&q->s->put_sl.count, memory_order_relaxed);
    *gets = atomic_load_explicit(&q->s->get_sl.count, memory_order_relaxed);
}

void coord__queue_layout(const coord_queue *q, struct coord__queue_map *m)
{
    m->woken_off[0] = offsetof(struct qshm, put_sl) +
                      offsetof(struct sleepers, woken);
    m->woken_off[1] = offsetof(struct qshm, get_sl) +
                      offsetof(struct sleepers, woken);
    m->lock_off[0] = offsetof(struct qshm, plock);
    m->lock_off[1] = offsetof(struct qshm, clock);
    m->lock_len = sizeof(coord__mutex);
    m->state_off = offsetof(struct qshm, state);
    m->slot0 = (size_t)(q->slots - (unsigned char *)q->s);
    m->info_off = offsetof(struct slot, info);
    m->slot_size = q->slot_size;
}

