/* SPDX-License-Identifier: MIT */
/* wire.h: the manager's frame format, shared by the server, the client and the fuzzer. */
#ifndef COORD_WIRE_H
#define COORD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "coord.h"

/*
 * Every frame: a 12-byte header, then the payload. Little endian.
 *   u32 len      bytes after this field (8 + payload), 8 <= len <= max_frame
 *   u8  version  COORD__WIRE_VERSION
 *   u8  kind     enum coord__wkind
 *   u16 count    operations (REQ) or results (REP); 0 otherwise
 *   u32 seq      request number, echoed by the reply
 * See docs/spectrum.md for the payload of each kind.
 */
#define COORD__WIRE_VERSION 1
#define COORD__WIRE_HDR 12
#define COORD__WIRE_MIN_FRAME 4096 /* no limit may go below this */

enum coord__wkind {
    COORD__W_HELLO = 1,   /* client -> server, no payload */
    COORD__W_WELCOME = 2, /* server -> client: u32 max_key, max_value,
                             max_frame, max_batch, flags */
    COORD__W_REQ = 3,     /* count operations */
    COORD__W_REP = 4,     /* count results */
    COORD__W_ERR = 5,     /* i32 code; the server closes the connection */
    COORD__W_NOP = 6      /* no payload: a doorbell of the mailbox
                             (manager_fast.h), skipped by both ends */
};

/* WELCOME flags: the server took the pipes sent with HELLO (SCM_RIGHTS)
 * and serves this connection over them from now on. */
#define COORD__WELCOME_PIPES 1u
/* ... and mapped the mailbox sent with them (manager_fast.h). */
#define COORD__WELCOME_FAST 2u

/* Internal opcodes besides coord_mop (1..10). */
#define COORD__WOP_DICT_KEYS 32
#define COORD__WOP_STATS 33
/* Value type of a KEYS result (never stored). */
#define COORD__WT_KEYS 16
#define COORD__STATS_WORDS 11

struct coord__whdr {
    uint32_t len; /* as on the wire */
    uint8_t version, kind;
    uint16_t count;
    uint32_t seq;
};

/* A decoded value; bytes point into the frame. */
struct coord__wval {
    uint8_t type; /* coord_mtype */
    int64_t i;
    double f;
    const uint8_t *p;
    uint32_t len;
};

/* A decoded request operation; strings point into the frame (not NUL
 * terminated). */
struct coord__wop {
    uint8_t op;
    uint16_t name_len, key_len;
    const uint8_t *name, *key;
    struct coord__wval v, exp;
    int64_t arg;
};

/* Bounded reader over a frame: any read past the end sets `bad`. */
struct coord__rd {
    const uint8_t *p, *end;
    bool bad;
};

/* Growable output buffer; a failed allocation sets `oom`. */
struct coord__wbuf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
};

/*
 * Parse and check the header at buf[0..avail). Returns 0 (*h filled, the
 * whole frame is 4 + h->len bytes), COORD_EAGAIN (fewer than 12 bytes yet),
 * COORD_EMSGSIZE (len above max_frame), COORD_EVERSION, COORD_EBADMSG (len
 * below 8 or an unknown kind). Checks as soon as the bytes are there, so an
 * oversized or bad frame is refused before its body arrives.
 */
int coord__wire_header(const uint8_t *buf, size_t avail, size_t max_frame,
                       struct coord__whdr *h);

/* The readers and writers below are inline: a batch of 100 gets runs
 * them several hundred times per round trip on each side. The wire is
 * little endian; bytes are assembled explicitly (8-byte fields with one
 * unaligned memcpy on a little-endian host), so the code does not depend
 * on the host's byte order or on alignment. */

/* n bytes at the read position, or NULL (and `bad`) when fewer are left. */
static inline const uint8_t *coord__rd_bytes(struct coord__rd *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        r->p = r->end;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

/* Little-endian loads of 4 and 8 bytes at p (the caller checked them). */
static inline uint32_t coord__ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t coord__ld64(const uint8_t *p)
{
    uint64_t x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&x, p, 8);
#else
    for (int i = 7; i >= 0; i--)
        x = x << 8 | p[i];
#endif
    return x;
}

static inline uint8_t coord__rd_u8(struct coord__rd *r)
{
    const uint8_t *p = coord__rd_bytes(r, 1);
    return p ? p[0] : 0;
}

static inline uint16_t coord__rd_u16(struct coord__rd *r)
{
    const uint8_t *p = coord__rd_bytes(r, 2);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

static inline uint32_t coord__rd_u32(struct coord__rd *r)
{
    const uint8_t *p = coord__rd_bytes(r, 4);
    return p ? coord__ld32(p) : 0;
}

static inline int64_t coord__rd_i64(struct coord__rd *r)
{
    const uint8_t *p = coord__rd_bytes(r, 8);
    return p ? (int64_t)coord__ld64(p) : 0;
}

/* Does p[0..n) hold a NUL byte? (Keys are short: a loop beats a call.) */
static inline bool coord__has_nul(const uint8_t *p, size_t n)
{
    if (n > 32)
        return memchr(p, 0, n) != NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i] == 0)
            return true;
    return false;
}

/* Decode a value (type byte and payload). Returns 0 or COORD_EBADMSG
 * (unknown type, truncated, missing NUL terminator, NUL inside a string).
 * `allow_none`: whether COORD_MNONE is acceptable here. */
int coord__wire_val_decode(struct coord__rd *r, struct coord__wval *v,
                           bool allow_none);
/* Decode one request operation. Returns 0 or COORD_EBADMSG (unknown op,
 * empty name, NUL in a name or key, bad value, truncated). Semantic limits
 * (key length, value size) are the server's to check. */
int coord__wire_op_decode(struct coord__rd *r, struct coord__wop *op);

void coord__wbuf_init(struct coord__wbuf *b);
void coord__wbuf_free(struct coord__wbuf *b);
/* Make room for n more bytes; false (and oom) on failure. */
bool coord__wbuf_reserve(struct coord__wbuf *b, size_t n);

/* Little-endian stores of 2, 4 and 8 bytes at p (the compiler merges the
 * byte stores into one where the host allows). */
static inline void coord__le16(uint8_t *p, uint16_t x)
{
    p[0] = (uint8_t)x;
    p[1] = (uint8_t)(x >> 8);
}

static inline void coord__le32(uint8_t *p, uint32_t x)
{
    p[0] = (uint8_t)x;
    p[1] = (uint8_t)(x >> 8);
    p[2] = (uint8_t)(x >> 16);
    p[3] = (uint8_t)(x >> 24);
}

static inline void coord__le64(uint8_t *p, uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &x, 8); /* one store: GCC -O2 does not merge the loop */
#else
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(x >> (8 * i));
#endif
}

/* Room for n more bytes: where to write them (the caller then adds n to
 * len), or NULL once `oom` is set. One check for a whole field group. */
static inline uint8_t *coord__wb_room(struct coord__wbuf *b, size_t n)
{
    if ((b->cap - b->len < n && !coord__wbuf_reserve(b, n)) || b->oom)
        return NULL;
    return b->p + b->len;
}

/* Append n bytes (nothing once `oom` is set). */
static inline void coord__wb_bytes(struct coord__wbuf *b, const void *p,
                                   size_t n)
{
    uint8_t *w;
    if (n == 0 || !(w = coord__wb_room(b, n)))
        return;
    memcpy(w, p, n);
    b->len += n;
}

static inline void coord__wb_u8(struct coord__wbuf *b, uint8_t x)
{
    uint8_t *w = coord__wb_room(b, 1);
    if (w) {
        w[0] = x;
        b->len += 1;
    }
}

static inline void coord__wb_u16(struct coord__wbuf *b, uint16_t x)
{
    uint8_t *w = coord__wb_room(b, 2);
    if (w) {
        coord__le16(w, x);
        b->len += 2;
    }
}

static inline void coord__wb_u32(struct coord__wbuf *b, uint32_t x)
{
    uint8_t *w = coord__wb_room(b, 4);
    if (w) {
        coord__le32(w, x);
        b->len += 4;
    }
}

static inline void coord__wb_i64(struct coord__wbuf *b, int64_t v)
{
    uint8_t *w = coord__wb_room(b, 8);
    if (w) {
        coord__le64(w, (uint64_t)v);
        b->len += 8;
    }
}

/* A string or bytes value: type, u32 length, the bytes, a NUL. */
void coord__wb_blob(struct coord__wbuf *b, uint8_t type, const void *p,
                    size_t len);

/* Append a value: type byte and payload (bytes get a NUL terminator). */
static inline void coord__wb_val(struct coord__wbuf *b, uint8_t type,
                                 int64_t i, double f, const void *p,
                                 size_t len)
{
    if (type == COORD_MBYTES || type == COORD_MSTR) {
        coord__wb_blob(b, type, p, len);
        return;
    }
    bool num = type == COORD_MI64 || type == COORD_MF64;
    uint8_t *w = coord__wb_room(b, num ? 9 : 1);
    if (!w)
        return;
    w[0] = type;
    if (num) {
        uint64_t x = (uint64_t)i;
        if (type == COORD_MF64)
            memcpy(&x, &f, sizeof x);
        coord__le64(w + 1, x);
    }
    b->len += num ? 9 : 1;
}
/* Start a frame: writes the header with len 0; returns its offset. */
size_t coord__wb_frame_begin(struct coord__wbuf *b, uint8_t kind,
                             uint16_t count, uint32_t seq);
/* Patch the length (and count) of the frame that starts at `at`. */
void coord__wb_frame_end(struct coord__wbuf *b, size_t at, uint16_t count);
/* Bytes a value takes on the wire. */
static inline size_t coord__wire_val_size(uint8_t type, size_t len)
{
    if (type == COORD_MI64 || type == COORD_MF64)
        return 9;
    if (type == COORD_MBYTES || type == COORD_MSTR)
        return 1 + 4 + len + 1;
    return 1;
}

#endif
