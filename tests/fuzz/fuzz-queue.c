/* SPDX-License-Identifier: MIT */
/* fuzz-queue.c: libFuzzer harness: a queue whose shared bytes the input overwrites, then used; only documented codes, no bad read. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "queue_internal.h"

/*
 * Each input is a list of (offset, byte) writes into a queue of 8 slots of
 * 24 bytes (placed with coord_queue_init in this process's memory, three
 * messages and a pill queued first), the locks excepted (glibc trusts its
 * own words: see queue.h, Trust), followed by calls with timeout 0. The
 * checks: every return code is one the header documents for that call,
 * and every length handed back fits max_msg and the buffer. A violation
 * aborts (a crash for libFuzzer); ASan reports any read outside the
 * queue's memory. The deterministic CTest form of this, across two
 * processes, is tests/test-queue-hostile.c.
 *
 * tests/fuzz/run.sh builds and runs it (a quarter of its time), with the
 * other targets.
 */
#define CAP 8
#define MSG 24

static bool documented(int r)
{
    return r == 0 || r == COORD_PILL || r == COORD_EAGAIN ||
           r == COORD_ECLOSED || r == COORD_EPROTO || r == COORD_ENOBUFS;
}

static void check(bool ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static unsigned char *mem;
    static size_t size;
    if (!mem) {
        size = coord_queue_size(CAP, MSG);
        mem = aligned_alloc(COORD__CACHE_LINE, size);
        check(mem != NULL);
    }
    coord_queue *q;
    check(coord_queue_init(mem, size, CAP, MSG, &q) == 0);
    check(coord_queue_put(q, "first", 5, 0) == 0);
    check(coord_queue_put(q, "a message of 24 bytes...", 24, 0) == 0);
    check(coord_queue_put(q, NULL, 0, 0) == 0);
    check(coord_queue_put_pill(q, 0) == 0);
    struct coord__queue_map map;
    coord__queue_layout(q, &map);

    /* The writes: 3 bytes each (a little-endian 16-bit offset, a value). */
    size_t i = 0;
    for (; i + 3 <= n && d[i] != 0xff; i += 3) {
        size_t off = ((size_t)d[i] | (size_t)d[i + 1] << 8) % size;
        bool lock = (off >= map.lock_off[0] &&
                     off < map.lock_off[0] + map.lock_len) ||
                    (off >= map.lock_off[1] &&
                     off < map.lock_off[1] + map.lock_len);
        if (!lock)
            mem[off] = d[i + 2];
    }
    /* The calls: one byte each, after an 0xff (or the writes' end). */
    unsigned char buf[4][MSG];
    size_t lens[4], got, len;
    const void *msgs[2] = {"xy", "z"};
    size_t mlens[2] = {2, 1};
    for (i++; i < n; i++) {
        int r;
        switch (d[i] % 6) {
        case 0:
            r = coord_queue_get(q, buf[0], d[i] & 0x80 ? 4 : MSG, &len, 0);
            check(documented(r) &&
                  (r != 0 || len <= (d[i] & 0x80 ? 4u : (size_t)MSG)));
            check(r != COORD_ENOBUFS || len <= MSG);
            break;
        case 1:
            r = coord_queue_get_many(q, buf, MSG, 4, lens, &got, 0);
            check(documented(r));
            for (size_t k = 0; r == 0 && k < got; k++)
                check(got <= 4 && lens[k] <= MSG);
            break;
        case 2:
            r = coord_queue_put(q, "hello", 5, 0);
            check(documented(r) && r != COORD_PILL && r != COORD_ENOBUFS);
            break;
        case 3:
            r = coord_queue_put_many(q, msgs, mlens, 2, &got, 0);
            check(documented(r) && r != COORD_PILL && r != COORD_ENOBUFS);
            check(r != 0 || (got >= 1 && got <= 2));
            break;
        case 4:
            r = coord_queue_put_pill(q, 0);
            check(documented(r) && r != COORD_PILL && r != COORD_ENOBUFS);
            break;
        default: {
            long c = coord_queue_count(q);
            check(c >= 0 && c <= CAP);
            break;
        }
        }
    }
    coord_queue_destroy(q);
    return 0;
}
