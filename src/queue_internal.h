/* SPDX-License-Identifier: MIT */
/* queue_internal.h: queue operations that only other coord components (the pool) use. */
#ifndef COORD_QUEUE_INTERNAL_H
#define COORD_QUEUE_INTERNAL_H

#include "coord.h"

/* Call fn on each queued message, oldest first, under the consumer lock (so
 * no get commits meanwhile), until fn returns true. Returns 1 when fn
 * returned true, 0 when it never did, or a lock error. */
int coord__queue_scan(coord_queue *q,
                      bool (*fn)(const void *msg, size_t len, bool pill,
                                 void *arg),
                      void *arg);

/* Take the consumer lock and freeze head (no get can commit until
 * release), and scan while holding it. hold returns 0 or a lock error. */
int coord__queue_hold_get(coord_queue *q);
/* The same, waiting for the lock at most timeout_ms (COORD_ETIMEDOUT, or
 * COORD_EAGAIN with 0): its holder may be a process that never lets go. */
int coord__queue_hold_get_for(coord_queue *q, int timeout_ms);
void coord__queue_release_get(coord_queue *q);
int coord__queue_scan_held(coord_queue *q,
                           bool (*fn)(const void *msg, size_t len, bool pill,
                                      void *arg),
                           void *arg);

/* The registered sleeper counts of each side (for tests). */
void coord__queue_sleepers(const coord_queue *q, uint32_t *puts,
                           uint32_t *gets);

/* Where the queue's parts lie in its memory (byte offsets from its
 * start), for tests that write it: the producer and consumer locks, the
 * state word (0 open, 1 closed, 2 broken), slot 0 (an 8-byte word: seq
 * and owner; a 4-byte length at info_off; the payload), the size of a
 * slot, and the 4-byte count of wake-ups not yet answered of the sleeping
 * puts (woken_off[0]) and gets (woken_off[1]). */
struct coord__queue_map {
    size_t lock_off[2], lock_len, state_off, slot0, slot_size, info_off;
    size_t woken_off[2];
};
void coord__queue_layout(const coord_queue *q, struct coord__queue_map *m);

#endif
