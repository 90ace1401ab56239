/* SPDX-License-Identifier: MIT */
/* fd-exercise.h: any bytes in a sealed memfd of any size, opened with every kind's _open_fd and used (fuzz and test). */
#ifndef COORD_FD_EXERCISE_H
#define COORD_FD_EXERCISE_H

/*
 * Shared by tests/fuzz/fuzz-fd.c (libFuzzer) and tests/test-segfuzz.c
 * (fixed seeds, no clang needed). One input describes one file, made as a
 * process that sends a descriptor could make it; fdx_run builds it, opens
 * it with the open_fd of all five kinds and uses each object that opens
 * (seg-use.h's uses, and a queue's calls with timeout 0). A call must
 * never crash or hang and may only return what its header documents;
 * fdx_run returns 0, or the source line of the first check that failed.
 *
 * The input:
 *   byte 0: bits 0-2, the base image: 0..4 a fresh flag, value, array,
 *     region or queue made by coord_x_create_fd (its bytes copied; the
 *     queue holds a message and a pill), 5 and 6 zeros, 7 the input's
 *     remaining bytes as they are; bits 3-5, the descriptor: 0..4 a memfd
 *     with coord's three seals, 5 with none, 6 with F_SEAL_SHRINK |
 *     F_SEAL_GROW only, 7 with the three and F_SEAL_WRITE; bit 6, the
 *     header's size word is made the file's size (after the patches);
 *     bit 7, the descriptor is reopened read-only.
 *   byte 1: the base object's parameter (type, length, size, capacity).
 *   bytes 2-5, a little-endian word w, the file's size: by w >> 30,
 *     0: the base's own size (a page for zeros and raw bytes), 1: w & 0xffff
 *     bytes, 2: (w & 0xfff) + 1 pages, 3: ((w & 0x3ff) + 1) << 26 bytes (up
 *     to 64 GiB, of which only the pages written or read are allocated);
 *     and bit 29 (FDX_OWNERS), which no size uses: a queue that opens keeps
 *     its two robust mutexes' lock, owner and list words as the file has
 *     them, else they are put back as coord_queue_init leaves them.
 *   the rest (bases 0..6): patches, each a control byte c, a 16-bit
 *     little-endian offset o and (c & 31) + 1 bytes written there; bit 5
 *     counts o back from the file's end, bit 6 counts it in pages, bit 7
 *     writes the patch's first byte 8 times as often instead. What falls
 *     outside the file is dropped.
 *
 * Not covered, on purpose (tests/fuzz/seg-exercise.h says why for the
 * others): calls that wait for a lock without a timeout. A queue's mutex
 * words are the file's only in the inputs with FDX_OWNERS: a lock word
 * naming another thread, which glibc waits for as for a holder, costs each
 * queue call up to 20 ms (10 before its operation, 10 for its wake-ups:
 * docs/queue.md, Waiting for a side lock), so the other inputs keep the
 * fuzzer's rate. Their kind words are always the file's. The time the
 * queue's calls took, in all, is left in fdx_queue_ns for the fuzzer to
 * bound. After every use no robust mutex may be left on this thread's
 * robust list (robust-list.h).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "queue_internal.h"
#include "robust-list.h"
#include "seg-use.h"

enum { FDX_FLAG, FDX_VALUE, FDX_ARRAY, FDX_REGION, FDX_QUEUE, FDX_KINDS };

#define FDX_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define FDX_OWNERS (1u << 29)

/* Nanoseconds the last input's queue calls took, in all (fdx_use_queue). */
static uint64_t fdx_queue_ns;

/* How many opens of each kind succeeded (a test that opened none of a kind
 * tested its uses not at all). */
static unsigned long fdx_opened[FDX_KINDS];

/* The base image: a fresh object of `kind` (parameter p) made by its
 * create_fd, copied into *bytes (malloc'd, *len bytes). Returns 0 or a
 * line. */
static int fdx_base(int kind, unsigned p, unsigned char **bytes, size_t *len)
{
    void *obj = NULL;
    int fd = -1, r = COORD_EINVAL;
    coord_type t = (coord_type)(1 + p % 11);
    switch (kind) {
    case FDX_FLAG:
        r = coord_flag_create_fd((coord_flag **)&obj, &fd);
        if (!r && (p & 1))
            coord_flag_set(obj);
        break;
    case FDX_VALUE:
        r = coord_value_create_fd((coord_value **)&obj, t, &fd);
        if (!r)
            r = coord_value_store(obj, (coord_scalar){.u = p});
        break;
    case FDX_ARRAY:
        r = coord_array_create_fd((coord_array **)&obj, t, 1 + p * 3, &fd);
        if (!r)
            r = coord_array_set(obj, p * 3, (coord_scalar){.u = 1});
        break;
    case FDX_REGION:
        r = coord_region_create_fd((coord_region **)&obj, 1 + p * 17, &fd);
        if (!r)
            memset(coord_region_data(obj), (int)p, 1 + p * 17);
        break;
    default:
        r = coord_queue_create_fd((coord_queue **)&obj, 2 + (p & 7),
                                  1 + (p >> 3) * 5, &fd);
        if (!r)
            r = coord_queue_put(obj, "m", 1, 0);
        if (!r)
            r = coord_queue_put_pill(obj, 0);
    }
    struct stat st;
    if (!r && fstat(fd, &st) != 0)
        r = COORD_EIO;
    if (!r) {
        *len = (size_t)st.st_size;
        *bytes = malloc(*len);
        if (!*bytes || pread(fd, *bytes, *len, 0) != (ssize_t)*len)
            r = COORD_EIO;
    }
    if (fd >= 0)
        close(fd);
    if (obj) {
        switch (kind) {
        case FDX_FLAG: coord_flag_destroy(obj); break;
        case FDX_VALUE: coord_value_destroy(obj); break;
        case FDX_ARRAY: coord_array_destroy(obj); break;
        case FDX_REGION: coord_region_destroy(obj); break;
        default: coord_queue_destroy(obj);
        }
    }
    return r ? __LINE__ : 0;
}

/* Write `len` bytes at `off` of the file `fd` of `size` bytes, clipped to
 * it. */
static void fdx_write(int fd, size_t size, size_t off, const void *p,
                      size_t len)
{
    if (off >= size)
        return;
    if (len > size - off)
        len = size - off;
    if (pwrite(fd, p, len, (off_t)off) != (ssize_t)len)
        return; /* tmpfs out of room: the file keeps what it had */
}

/* What a file is, as the checks of fdx_run need to know it. */
struct fdx_file {
    int fd;
    size_t size;
    bool sealed;   /* coord's three seals (and maybe more) */
    bool writable; /* open for writing and not write-sealed */
    bool owners;   /* a queue keeps the file's mutex words (FDX_OWNERS) */
};

/* The patches of an input (see above) applied to the file. */
static void fdx_patch(const struct fdx_file *f, const uint8_t *d, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    while (n >= 3) {
        unsigned c = d[0];
        size_t off = (size_t)d[1] | (size_t)d[2] << 8, len = (c & 31) + 1;
        d += 3;
        n -= 3;
        if (len > n)
            len = n;
        if (c & 64)
            off *= page;
        if (c & 32)
            off = off < f->size ? f->size - 1 - off : f->size;
        if ((c & 128) && len) {
            unsigned char fill[256];
            memset(fill, d[0], sizeof fill);
            fdx_write(f->fd, f->size, off, fill, len * 8);
        } else {
            fdx_write(f->fd, f->size, off, d, len);
        }
        d += len;
        n -= len;
    }
}

/* Make the file an input (n >= 6) describes. Returns 0, or -1 when a
 * system call failed (no fault of the input's). */
static int fdx_make(const uint8_t *d, size_t n, struct fdx_file *f)
{
    unsigned base = d[0] & 7, how = (d[0] >> 3) & 7;
    unsigned char *img = NULL;
    size_t img_len = 0;
    if (base < FDX_KINDS && fdx_base((int)base, d[1], &img, &img_len) != 0) {
        free(img);
        return -1;
    }
    uint32_t w = (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 |
                 (uint32_t)d[5] << 24;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    f->owners = (w & FDX_OWNERS) != 0;
    switch (w >> 30) {
    case 0: f->size = img ? img_len : page; break;
    case 1: f->size = w & 0xffff; break;
    case 2: f->size = ((w & 0xfff) + 1) * page; break;
    default: f->size = (size_t)((w & 0x3ff) + 1) << 26;
    }
    f->fd = memfd_create("fdx", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (f->fd < 0 || ftruncate(f->fd, (off_t)f->size) != 0) {
        free(img);
        if (f->fd >= 0)
            close(f->fd);
        return -1;
    }
    if (img)
        fdx_write(f->fd, f->size, 0, img, img_len);
    free(img);
    if (base == 7)
        fdx_write(f->fd, f->size, 0, d + 6, n - 6);
    else
        fdx_patch(f, d + 6, n - 6);
    if (d[0] & 64) {
        uint64_t total = f->size;
        fdx_write(f->fd, f->size, 16, &total, sizeof total);
    }
    int seals = how < 5 ? FDX_SEALS
                : how == 5 ? 0
                : how == 6 ? F_SEAL_SHRINK | F_SEAL_GROW
                           : FDX_SEALS | F_SEAL_WRITE;
    if (seals && fcntl(f->fd, F_ADD_SEALS, seals) != 0) {
        close(f->fd);
        return -1;
    }
    f->sealed = (seals & FDX_SEALS) == FDX_SEALS;
    f->writable = !(seals & F_SEAL_WRITE) && !(d[0] & 128);
    if (d[0] & 128) {
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", f->fd);
        int ro = open(self, O_RDONLY | O_CLOEXEC);
        close(f->fd);
        f->fd = ro;
        if (ro < 0)
            return -1;
    }
    return 0;
}

static bool fdx_get_code(int r)
{
    return r == 0 || r == COORD_PILL || r == COORD_ENOBUFS ||
           r == COORD_EAGAIN || r == COORD_ECLOSED || r == COORD_EPROTO;
}

static bool fdx_put_code(int r)
{
    return r == 0 || r == COORD_EAGAIN || r == COORD_ECLOSED ||
           r == COORD_EPROTO || r == COORD_EMSGSIZE;
}

/* One get with timeout 0, and what it hands back fits. */
static int fdx_get(coord_queue *q, size_t max)
{
    unsigned char buf[64];
    size_t len = SIZE_MAX;
    int r = coord_queue_get(q, buf, sizeof buf, &len, 0);
    SEGX_CHECK(fdx_get_code(r));
    SEGX_CHECK(r != 0 || len <= sizeof buf);
    SEGX_CHECK(r != COORD_PILL || len == 0);
    SEGX_CHECK(r != COORD_ENOBUFS || (len > sizeof buf && len <= max));
    return 0;
}

/* A queue's calls, each with timeout 0. */
static int fdx_use_queue(coord_queue *q)
{
    size_t cap = coord_queue_capacity(q), max = coord_queue_max_msg(q);
    SEGX_CHECK(cap >= 1 && cap <= COORD_QUEUE_MAX_CAPACITY);
    SEGX_CHECK(max >= 1 && max <= COORD_QUEUE_MAX_MSG);
    segx_sink += coord_queue_is_empty(q) + coord_queue_is_full(q) +
                 coord_queue_is_closed(q);
    if (cap <= 4096) { /* it reads a word of every slot */
        long c = coord_queue_count(q);
        SEGX_CHECK(c >= 0 && (size_t)c <= cap);
    }
    int e = fdx_get(q, max);
    if (e)
        return e;
    unsigned char buf[4][64];
    size_t lens[4], got = SIZE_MAX;
    int r = coord_queue_get_many(q, buf, sizeof buf[0], 4, lens, &got, 0);
    SEGX_CHECK(fdx_get_code(r));
    SEGX_CHECK(r == 0 ? got >= 1 && got <= 4 : got == 0);
    for (size_t i = 0; r == 0 && i < got; i++)
        SEGX_CHECK(lens[i] <= sizeof buf[0]);
    SEGX_CHECK(r != COORD_ENOBUFS || (lens[0] > sizeof buf[0] && lens[0] <= max));
    r = coord_queue_put(q, "abc", 3, 0);
    SEGX_CHECK(fdx_put_code(r) && (r == COORD_EMSGSIZE) == (max < 3));
    const void *msgs[2] = {"xy", "z"};
    size_t mlens[2] = {2, 1};
    got = SIZE_MAX;
    r = coord_queue_put_many(q, msgs, mlens, 2, &got, 0);
    SEGX_CHECK(fdx_put_code(r) && (r == COORD_EMSGSIZE) == (max < 2));
    SEGX_CHECK(r == 0 ? got >= 1 && got <= 2 : got == 0);
    r = coord_queue_put_pill(q, 0);
    SEGX_CHECK(fdx_put_code(r) && r != COORD_EMSGSIZE);
    for (int i = 0; i < 3 && !e; i++)
        e = fdx_get(q, max);
    if (e)
        return e;
    SEGX_CHECK(coord_queue_close(q) == 0);
    r = coord_queue_put(q, "", 0, 0);
    SEGX_CHECK(r == COORD_ECLOSED || r == COORD_EPROTO);
    return fdx_get(q, max);
}

/* The queue's two robust mutexes as coord_queue_init leaves them but for
 * their kind words, which stay as the file has them (the inputs without
 * FDX_OWNERS: see above). Written through the file, which the open
 * mapped shared. */
static void fdx_queue_fresh_locks(const struct fdx_file *f, coord_queue *q)
{
    struct coord__queue_map map;
    coord__queue_layout(q, &map);
    coord__mutex fresh;
    if (coord__mutex_init(&fresh) != 0)
        abort();
    for (int i = 0; i < 2; i++) {
        size_t off = COORD__SEG_HDR + map.lock_off[i];
        coord__mutex m;
        if (pread(f->fd, &m, sizeof m, (off_t)off) != (ssize_t)sizeof m)
            abort(); /* the open found the locks inside the file */
#ifdef __GLIBC__
        int kind = m.m.__data.__kind;
        m = fresh;
        m.m.__data.__kind = kind;
#else
        m = fresh;
#endif
        fdx_write(f->fd, f->size, off, &m, sizeof m);
    }
}

/* Open the file as kind k (0..4): the code must be the one its bytes and
 * seals call for; an object that opens is used, then destroyed. */
static int fdx_open_use(const struct fdx_file *f, int k,
                        const coord__seg_hdr *h)
{
    void *obj = NULL;
    int r;
    switch (k) {
    case FDX_FLAG: r = coord_flag_open_fd((coord_flag **)&obj, f->fd); break;
    case FDX_VALUE: r = coord_value_open_fd((coord_value **)&obj, f->fd); break;
    case FDX_ARRAY: r = coord_array_open_fd((coord_array **)&obj, f->fd); break;
    case FDX_REGION:
        r = coord_region_open_fd((coord_region **)&obj, f->fd);
        break;
    default: r = coord_queue_open_fd((coord_queue **)&obj, f->fd);
    }
    /* What the descriptor and the header call for, in the order of
     * docs/segments.md's checks; the object's own words are the open's
     * to judge (EPROTO), and mmap may fail for want of memory. */
    int want;
    if (!f->sealed || f->size < COORD__SEG_HDR)
        want = COORD_EPROTO;
    else if (!f->writable)
        want = COORD_EACCES;
    else if (h->magic != COORD__SEG_MAGIC)
        want = COORD_EPROTO;
    else if (h->abi != COORD__SEG_ABI)
        want = COORD_EVERSION;
    else if (h->kind != (uint32_t)k + 1 || h->size != f->size)
        want = COORD_EPROTO;
    else
        want = 0;
    SEGX_CHECK(r == want || (want == 0 && r == COORD_EPROTO) ||
               (r == COORD_ENOMEM && f->sealed && f->size >= COORD__SEG_HDR));
    if (r)
        return 0;
    fdx_opened[k]++;
    int e;
    switch (k) {
    case FDX_FLAG:
        e = segx_use_flag(obj);
        coord_flag_destroy(obj);
        break;
    case FDX_VALUE:
        e = segx_use_value(obj, 1);
        coord_value_destroy(obj);
        break;
    case FDX_ARRAY:
        e = segx_use_array(obj, 1);
        coord_array_destroy(obj);
        break;
    case FDX_REGION:
        e = segx_use_region(obj);
        coord_region_destroy(obj);
        break;
    default: {
        if (!f->owners)
            fdx_queue_fresh_locks(f, obj);
        uint64_t t0 = coord_clock_ns();
        e = fdx_use_queue(obj);
        fdx_queue_ns = coord_clock_ns() - t0;
        coord_queue_destroy(obj);
    }
    }
    SEGX_CHECK(e || robust_list_empty());
    return e;
}

/* Build the file an input describes, open it as every kind, use what
 * opens, close it. Returns 0 or the line of the first failed check. */
static int fdx_run(const uint8_t *d, size_t n)
{
    if (n < 6)
        return 0;
    struct fdx_file f;
    if (fdx_make(d, n, &f) != 0)
        return 0;
    /* The header as the opens will find it (nobody changes the file
     * between the opens but the uses, which never touch the header). */
    coord__seg_hdr h;
    memset(&h, 0, sizeof h);
    if (pread(f.fd, &h, sizeof h, 0) < 0)
        memset(&h, 0, sizeof h);
    int e = 0;
    fdx_queue_ns = 0;
    for (int k = 0; k < FDX_KINDS && !e; k++)
        e = fdx_open_use(&f, k, &h);
    close(f.fd);
    return e;
}

#endif
