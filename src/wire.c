/* SPDX-License-Identifier: MIT */
/* wire.c: bounded encoding and decoding of manager frames (server, client, fuzzer). */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* The wire is little endian; bytes are assembled explicitly (see the
 * inline readers and writers in wire.h). */

int coord__wire_header(const uint8_t *buf, size_t avail, size_t max_frame,
                       struct coord__whdr *h)
{
    if (avail < 4)
        return COORD_EAGAIN;
    uint32_t len = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
                   (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
    /* Refuse an oversized frame on its first four bytes, before reading
     * (and buffering) its body. */
    if (len > max_frame)
        return COORD_EMSGSIZE;
    if (len < COORD__WIRE_HDR - 4)
        return COORD_EBADMSG;
    if (avail < 5)
        return COORD_EAGAIN;
    if (buf[4] != COORD__WIRE_VERSION)
        return COORD_EVERSION;
    if (avail < COORD__WIRE_HDR)
        return COORD_EAGAIN;
    h->len = len;
    h->version = buf[4];
    h->kind = buf[5];
    h->count = (uint16_t)(buf[6] | buf[7] << 8);
    h->seq = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 |
             (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
    if (h->kind < COORD__W_HELLO || h->kind > COORD__W_NOP)
        return COORD_EBADMSG;
    return 0;
}

int coord__wire_val_decode(struct coord__rd *r, struct coord__wval *v,
                           bool allow_none)
{
    memset(v, 0, sizeof *v);
    v->type = coord__rd_u8(r);
    switch (v->type) {
    case COORD_MNONE:
        if (!allow_none)
            return COORD_EBADMSG;
        break;
    case COORD_MI64:
        v->i = coord__rd_i64(r);
        break;
    case COORD_MF64: {
        uint64_t bits = (uint64_t)coord__rd_i64(r);
        memcpy(&v->f, &bits, sizeof bits);
        break;
    }
    case COORD_MBYTES:
    case COORD_MSTR:
        v->len = coord__rd_u32(r);
        /* The length is checked against what is left before any use, so
         * a huge length in a short frame is just "truncated". */
        v->p = coord__rd_bytes(r, v->len);
        if (coord__rd_u8(r) != 0)
            return COORD_EBADMSG;
        if (v->p && v->type == COORD_MSTR && coord__has_nul(v->p, v->len))
            return COORD_EBADMSG;
        break;
    default:
        return COORD_EBADMSG;
    }
    return r->bad ? COORD_EBADMSG : 0;
}

int coord__wire_op_decode(struct coord__rd *r, struct coord__wop *op)
{
    /* Only what the operation reads is set: op, name, key, and the
     * value, expected value or argument of the kinds that carry one. */
    op->v.type = op->exp.type = COORD_MNONE;
    op->arg = 0;
    /* op, a reserved 0, the name's and the key's lengths: one check. */
    const uint8_t *h = coord__rd_bytes(r, 6);
    if (!h || h[1] != 0)
        return COORD_EBADMSG;
    op->op = h[0];
    op->name_len = (uint16_t)(h[2] | h[3] << 8);
    op->key_len = (uint16_t)(h[4] | h[5] << 8);
    op->name = coord__rd_bytes(r, op->name_len);
    op->key = coord__rd_bytes(r, op->key_len);
    if (r->bad)
        return COORD_EBADMSG;
    if (coord__has_nul(op->name, op->name_len) ||
        coord__has_nul(op->key, op->key_len))
        return COORD_EBADMSG;
    bool keyed = false;
    int rc = 0;
    switch (op->op) {
    case COORD_MOP_GET:
    case COORD_MOP_DELETE:
        keyed = true;
        break;
    case COORD_MOP_SET:
        keyed = true;
        rc = coord__wire_val_decode(r, &op->v, false);
        break;
    case COORD_MOP_INCR:
        keyed = true;
        op->arg = coord__rd_i64(r);
        break;
    case COORD_MOP_CAS:
        keyed = true;
        rc = coord__wire_val_decode(r, &op->exp, true);
        if (rc == 0)
            rc = coord__wire_val_decode(r, &op->v, false);
        break;
    case COORD_MOP_LIST_APPEND:
        rc = coord__wire_val_decode(r, &op->v, false);
        break;
    case COORD_MOP_LIST_GET:
    case COORD_MOP_LIST_POP:
        op->arg = coord__rd_i64(r);
        break;
    case COORD_MOP_DICT_LEN:
    case COORD_MOP_LIST_LEN:
    case COORD__WOP_DICT_KEYS:
        break;
    case COORD__WOP_STATS:
        if (op->name_len != 0 || op->key_len != 0)
            return COORD_EBADMSG;
        return r->bad ? COORD_EBADMSG : 0;
    default:
        return COORD_EBADMSG;
    }
    if (rc)
        return rc;
    /* Every container operation names its container; only keyed ones
     * carry a key (it may be empty, as in a Python dict). */
    if (op->name_len == 0 || (!keyed && op->key_len != 0))
        return COORD_EBADMSG;
    return r->bad ? COORD_EBADMSG : 0;
}

void coord__wbuf_init(struct coord__wbuf *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void coord__wbuf_free(struct coord__wbuf *b)
{
    free(b->p);
    coord__wbuf_init(b);
}

bool coord__wbuf_reserve(struct coord__wbuf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->cap - b->len >= n)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

size_t coord__wb_frame_begin(struct coord__wbuf *b, uint8_t kind,
                             uint16_t count, uint32_t seq)
{
    size_t at = b->len;
    coord__wb_u32(b, 0);
    coord__wb_u8(b, COORD__WIRE_VERSION);
    coord__wb_u8(b, kind);
    coord__wb_u16(b, count);
    coord__wb_u32(b, seq);
    return at;
}

void coord__wb_frame_end(struct coord__wbuf *b, size_t at, uint16_t count)
{
    if (b->oom || b->len < at + COORD__WIRE_HDR)
        return;
    size_t len = b->len - at - 4;
    uint8_t *p = b->p + at;
    p[0] = (uint8_t)len;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)(len >> 16);
    p[3] = (uint8_t)(len >> 24);
    p[6] = (uint8_t)count;
    p[7] = (uint8_t)(count >> 8);
}

void coord__wb_blob(struct coord__wbuf *b, uint8_t type, const void *p,
                    size_t len)
{
    uint8_t *w;
    if (len > SIZE_MAX - 6) {
        b->oom = true;
        return;
    }
    if (!(w = coord__wb_room(b, 1 + 4 + len + 1)))
        return;
    w[0] = type;
    coord__le32(w + 1, (uint32_t)len);
    if (len)
        memcpy(w + 5, p, len);
    w[5 + len] = 0;
    b->len += 1 + 4 + len + 1;
}
