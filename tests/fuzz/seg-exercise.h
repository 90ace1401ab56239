/* SPDX-License-Identifier: MIT */
/* seg-exercise.h: mutate named flag/value/array/region files and read them back (fuzz and test). */
#ifndef COORD_SEG_EXERCISE_H
#define COORD_SEG_EXERCISE_H

/*
 * Shared by tests/fuzz/fuzz-segment.c (libFuzzer) and tests/test-segfuzz.c
 * (a fixed-seed CTest run that needs no clang). One named object of each
 * kind is created; segx_mutate overwrites bytes of their files (header and
 * object) as a corrupting process that maps them would; segx_read opens
 * each name afresh and drives every non-blocking call on it, and
 * segx_read_handles does the same through handles opened before the
 * mutation. A reader must never crash or hang and may only get documented
 * codes: segx_read returns 0, or the source line of the first call that
 * returned something else.
 *
 * Not exercised, on purpose: calls that wait on the object's robust lock
 * without a timeout (value set/add/cas, flag claim_locked). A corrupted
 * lock word can claim a holder that never releases, and they then block
 * as they would behind a live holder; lock(0) is exercised instead. Nor is
 * the file ever shortened: every process that maps a segment gets SIGBUS
 * when its file shrinks under it, which no check in shared memory can
 * prevent (docs/segments.md).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coord.h"
#include "seg-use.h"

enum { SEGX_FLAG, SEGX_VALUE, SEGX_ARRAY, SEGX_REGION, SEGX_N };

struct segx {
    char names[SEGX_N][128];
    coord_flag *flag;
    coord_value *value;
    coord_array *array;
    coord_region *region;
    /* handles of a second opener, made before any mutation */
    coord_flag *o_flag;
    coord_value *o_value;
    coord_array *o_array;
    coord_region *o_region;
    unsigned char *pristine[SEGX_N];
    size_t size[SEGX_N];
};

static void segx_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "/dev/shm/coord.%s", name);
}

/* Create the four objects under names "<prefix>flag" ..., open them a
 * second time and keep a copy of each file. Returns 0 or a coord code. */
static int segx_create(struct segx *x, const char *prefix)
{
    static const char *const kind[SEGX_N] = {"flag", "value", "array",
                                             "region"};
    memset(x, 0, sizeof *x);
    for (int i = 0; i < SEGX_N; i++)
        snprintf(x->names[i], sizeof x->names[i], "%s%s", prefix, kind[i]);
    int r = coord_flag_create_named(&x->flag, x->names[SEGX_FLAG]);
    if (!r)
        r = coord_value_create_named(&x->value, COORD_I64,
                                     x->names[SEGX_VALUE]);
    if (!r)
        r = coord_array_create_named(&x->array, COORD_U32, 100,
                                     x->names[SEGX_ARRAY]);
    if (!r)
        r = coord_region_create_named(&x->region, 300, x->names[SEGX_REGION]);
    if (!r)
        r = coord_flag_open(&x->o_flag, x->names[SEGX_FLAG]);
    if (!r)
        r = coord_value_open(&x->o_value, x->names[SEGX_VALUE]);
    if (!r)
        r = coord_array_open(&x->o_array, x->names[SEGX_ARRAY]);
    if (!r)
        r = coord_region_open(&x->o_region, x->names[SEGX_REGION]);
    for (int i = 0; !r && i < SEGX_N; i++) {
        char path[200];
        segx_path(path, sizeof path, x->names[i]);
        int fd = open(path, O_RDONLY);
        off_t n = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
        x->size[i] = n > 0 ? (size_t)n : 0;
        x->pristine[i] = x->size[i] ? malloc(x->size[i]) : NULL;
        if (!x->pristine[i] ||
            pread(fd, x->pristine[i], x->size[i], 0) != (ssize_t)x->size[i])
            r = COORD_EIO;
        if (fd >= 0)
            close(fd);
    }
    return r;
}

static void segx_write(const struct segx *x, int which, size_t off,
                       const void *p, size_t len)
{
    char path[200];
    segx_path(path, sizeof path, x->names[which]);
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return;
    if (off < x->size[which]) {
        if (len > x->size[which] - off)
            len = x->size[which] - off;
        if (pwrite(fd, p, len, (off_t)off) < 0)
            len = 0;
    }
    close(fd);
}

/* Put every file back as it was created (objects become valid again). */
static void segx_restore(const struct segx *x)
{
    for (int i = 0; i < SEGX_N; i++)
        if (x->pristine[i])
            segx_write(x, i, 0, x->pristine[i], x->size[i]);
}

/* One mutation, chosen by two random words: which file, where (mostly the
 * segment header and the object's first words, where the lengths, types
 * and magics live; offsets as in docs/segments.md), and what (a random byte, or an interesting word of 1,
 * 2, 4 or 8 bytes). */
static void segx_mutate(const struct segx *x, uint64_t a, uint64_t b)
{
    static const uint64_t words[] = {0,
                                     1,
                                     2,
                                     0xff,
                                     0x7fffffff,
                                     0xffffffff,
                                     (uint64_t)1 << 32,
                                     (uint64_t)1 << 40,
                                     UINT64_MAX,
                                     (uint64_t)INT64_MAX,
                                     0x474553444f4f43ull,
                                     4096,
                                     8192,
                                     100,
                                     11};
    int which = (int)(a % SEGX_N);
    size_t size = x->size[which];
    if (size == 0)
        return;
    a /= SEGX_N;
    size_t off;
    switch (a & 3) {
    case 0: /* anywhere */
        off = (size_t)((a >> 2) % size);
        break;
    case 1: /* a word of the segment header */
        off = (size_t)((a >> 2) % 32) * 8;
        break;
    case 2: /* a word of the object's first line (magic, type, length) */
        off = 256 + (size_t)((a >> 2) % 16) * 4;
        break;
    default: /* any byte of the header or the object's start */
        off = (size_t)((a >> 2) % 512);
    }
    unsigned char buf[8];
    size_t len;
    if (b & 1) {
        buf[0] = (unsigned char)(b >> 8);
        len = 1;
    } else {
        uint64_t w = words[(b >> 1) % (sizeof words / sizeof words[0])];
        if ((b >> 8) & 1)
            w = (uint64_t)size - (b >> 9) % 3; /* near the file size */
        len = (size_t)1 << ((b >> 16) % 4);
        memcpy(buf, &w, len); /* little-endian: the low bytes */
    }
    segx_write(x, which, off, buf, len);
}

static int segx_open_code(int r)
{
    return r == 0 || r == COORD_EINVAL || r == COORD_ENOENT ||
           r == COORD_EACCES || r == COORD_EPROTO || r == COORD_EVERSION ||
           r == COORD_EAGAIN || r == COORD_EMFILE || r == COORD_ENOMEM ||
           r == COORD_EIO;
}

/* Open each name afresh and use it (`locks`: also the non-blocking lock
 * calls and the zero-copy array data, for a reader that no one mutates
 * under). Returns 0 or the line of the first undocumented result. */
static int segx_read(const struct segx *x, int locks)
{
    coord_flag *f;
    coord_value *v;
    coord_array *a;
    coord_region *g;
    /* Every name is still there: a reader's destroy (even in the
     * creator's own process) never removes the creator's name, and a
     * mutation that found no file would test nothing. */
    for (int i = 0; i < SEGX_N; i++) {
        char path[200];
        segx_path(path, sizeof path, x->names[i]);
        SEGX_CHECK(access(path, F_OK) == 0);
    }
    int r = coord_flag_open(&f, x->names[SEGX_FLAG]), e = 0;
    SEGX_CHECK(segx_open_code(r));
    if (!r) {
        e = segx_use_flag(f);
        coord_flag_destroy(f);
        if (e)
            return e;
    }
    r = coord_value_open(&v, x->names[SEGX_VALUE]);
    SEGX_CHECK(segx_open_code(r));
    if (!r) {
        e = segx_use_value(v, locks);
        coord_value_destroy(v);
        if (e)
            return e;
    }
    r = coord_array_open(&a, x->names[SEGX_ARRAY]);
    SEGX_CHECK(segx_open_code(r));
    if (!r) {
        e = segx_use_array(a, locks);
        coord_array_destroy(a);
        if (e)
            return e;
    }
    r = coord_region_open(&g, x->names[SEGX_REGION]);
    SEGX_CHECK(segx_open_code(r));
    if (!r) {
        e = segx_use_region(g);
        coord_region_destroy(g);
        if (e)
            return e;
    }
    /* The other kinds' opens on these names: all refused, documented. */
    r = coord_array_open(&a, x->names[SEGX_VALUE]);
    SEGX_CHECK(r != 0 && segx_open_code(r));
    r = coord_value_open(&v, x->names[SEGX_REGION]);
    SEGX_CHECK(r != 0 && segx_open_code(r));
    return 0;
}

/* The same calls through the handles opened before any mutation (they
 * must notice the corruption on their own). */
static int segx_read_handles(const struct segx *x, int locks)
{
    int e = segx_use_flag(x->o_flag);
    if (!e)
        e = segx_use_value(x->o_value, locks);
    if (!e)
        e = segx_use_array(x->o_array, locks);
    if (!e)
        e = segx_use_region(x->o_region);
    if (!e)
        e = segx_use_value(x->value, locks);
    if (!e)
        e = segx_use_array(x->array, locks);
    if (!e)
        e = segx_use_region(x->region);
    return e;
}

/* Release everything and remove the names (restored first, so that the
 * creators' handles are valid when they are destroyed). */
static void segx_destroy(struct segx *x)
{
    segx_restore(x);
    coord_region_destroy(x->o_region);
    coord_array_destroy(x->o_array);
    coord_value_destroy(x->o_value);
    coord_flag_destroy(x->o_flag);
    coord_region_destroy(x->region);
    coord_array_destroy(x->array);
    coord_value_destroy(x->value);
    coord_flag_destroy(x->flag);
    for (int i = 0; i < SEGX_N; i++) {
        char path[200];
        snprintf(path, sizeof path, "/coord.%s", x->names[i]);
        shm_unlink(path); /* in case a creator did not get to it */
        free(x->pristine[i]);
        x->pristine[i] = NULL;
    }
}

#endif
