/* SPDX-License-Identifier: MIT */
/* manager_ops.c: a manager client's operations: requests checked and encoded, replies decoded, one call per operation and the batch. */
#include <stdlib.h>
#include <string.h>

#include "manager_client.h"

static bool user_op(int op)
{
    return op >= COORD_MOP_GET && op <= COORD_MOP_LIST_POP;
}

static bool keyed(int op)
{
    return op == COORD_MOP_GET || op == COORD_MOP_SET ||
           op == COORD_MOP_DELETE || op == COORD_MOP_INCR ||
           op == COORD_MOP_CAS;
}

static int check_val(const coord_mval *v, bool allow_none)
{
    switch (v->type) {
    case COORD_MNONE:
        return allow_none ? 0 : COORD_EINVAL;
    case COORD_MI64:
    case COORD_MF64:
        return 0;
    case COORD_MBYTES:
    case COORD_MSTR:
        if (v->len && !v->data)
            return COORD_EINVAL;
        if (v->len > UINT32_MAX / 2)
            return COORD_EMSGSIZE;
        if (v->type == COORD_MSTR && v->len && memchr(v->data, 0, v->len))
            return COORD_EINVAL;
        return 0;
    default:
        return COORD_EINVAL;
    }
}

static void put_val(struct coord__wbuf *b, const coord_mval *v)
{
    coord__wb_val(b, (uint8_t)v->type, v->i, v->f, v->data, v->len);
}

/* Validate and encode one request. Returns 0 or a code for its status. */
static int encode_op(struct coord__wbuf *b, const coord_mreq *q, bool internal)
{
    int op = (int)q->op;
    if (!internal && !user_op(op))
        return COORD_EINVAL;
    size_t nl = 0, kl = 0;
    if (op != COORD__WOP_STATS) {
        if (!q->name || !*q->name)
            return COORD_EINVAL;
        nl = strlen(q->name);
        if (keyed(op)) {
            if (!q->key)
                return COORD_EINVAL;
            kl = strlen(q->key);
        }
        if (nl > UINT16_MAX || kl > UINT16_MAX)
            return COORD_ENAMETOOLONG;
    }
    int r = 0;
    if (op == COORD_MOP_SET || op == COORD_MOP_LIST_APPEND)
        r = check_val(&q->value, false);
    else if (op == COORD_MOP_CAS) {
        r = check_val(&q->expected, true);
        if (r == 0)
            r = check_val(&q->value, false);
    }
    if (r)
        return r;
    /* The op's head, name and key: one room check. */
    uint8_t *w = coord__wb_room(b, 6 + nl + kl);
    if (!w)
        return 0; /* `oom` is set: the caller reports it */
    w[0] = (uint8_t)op;
    w[1] = 0;
    coord__le16(w + 2, (uint16_t)nl);
    coord__le16(w + 4, (uint16_t)kl);
    if (nl)
        memcpy(w + 6, q->name, nl);
    if (kl)
        memcpy(w + 6 + nl, q->key, kl);
    b->len += 6 + nl + kl;
    switch (op) {
    case COORD_MOP_SET:
    case COORD_MOP_LIST_APPEND:
        put_val(b, &q->value);
        break;
    case COORD_MOP_CAS:
        put_val(b, &q->expected);
        put_val(b, &q->value);
        break;
    case COORD_MOP_INCR:
    case COORD_MOP_LIST_GET:
    case COORD_MOP_LIST_POP:
        coord__wb_i64(b, q->arg);
        break;
    default:
        break;
    }
    return 0;
}

/* May the server answer `op` with status `st`? A count (>= 0) for the
 * counting operations, a new length (>= 1) for list_append, 1 or 0 for
 * cas, 0 for the others, or a negative code coord_strerror knows. Anything
 * else is garbage: handed out, a positive status of get or list_pop read
 * as success with *out never set (the binding copied an uninitialized
 * value), and an unknown negative one is no documented code. */
static inline bool status_ok(int op, int32_t st)
{
    if (st == 0) /* the common answer first */
        return op != COORD_MOP_LIST_APPEND;
    if (st < 0)
        return coord__mcli_code_ok(st);
    switch (op) {
    case COORD_MOP_DICT_LEN:
    case COORD_MOP_LIST_LEN:
    case COORD__WOP_DICT_KEYS:
        return true;
    case COORD_MOP_LIST_APPEND:
        return st >= 1;
    case COORD_MOP_CAS:
        return st <= 1;
    default:
        return st == 0;
    }
}

static void to_mval(coord_mval *m, const struct coord__wval *w)
{
    m->type = (coord_mtype)w->type;
    m->i = w->i;
    m->f = w->f;
    m->data = w->p;
    m->len = w->len;
}

static int decode_keys(coord_mclient *c, struct coord__rd *rd, int32_t n,
                       coord_mreq *q)
{
    if (n < 0)
        return 0;
    /* Each key takes 3 bytes at least: a count the reply cannot hold is
     * garbage, not an allocation to try. */
    if ((size_t)n > (size_t)(rd->end - rd->p) / 3)
        return COORD_EPROTO;
    if ((size_t)n > c->keys_cap) {
        coord_mval *k = realloc(c->keys, (size_t)n * sizeof *k);
        if (!k)
            return COORD_ENOMEM;
        c->keys = k;
        c->keys_cap = (size_t)n;
    }
    for (int32_t i = 0; i < n; i++) {
        uint16_t len = coord__rd_u16(rd);
        const uint8_t *p = coord__rd_bytes(rd, len);
        /* A key is a string: a NUL inside is garbage, as in a value
         * (coord__wire_val_decode); the caller would read a shorter key. */
        if (coord__rd_u8(rd) != 0 || rd->bad || coord__has_nul(p, len))
            return COORD_EPROTO;
        c->keys[i] = coord_mval_none();
        c->keys[i].type = COORD_MSTR;
        c->keys[i].data = p;
        c->keys[i].len = len;
    }
    q->result = coord_mval_none();
    q->result.data = c->keys;
    return 0;
}

static int batch(coord_mclient *c, coord_mreq *reqs, size_t n, int timeout_ms,
                 bool internal)
{
    if (!c || (!reqs && n) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (c->broken)
        return COORD_ENOTCONN;
    coord__mcli_release(c);
    if (n > c->max_batch || n > UINT16_MAX)
        return COORD_E2BIG;
    c->out.len = 0;
    c->out.oom = false;
    uint32_t seq = c->seq + 1;
    size_t f = coord__wb_frame_begin(&c->out, COORD__W_REQ, (uint16_t)n, seq);
    for (size_t i = 0; i < n; i++) {
        reqs[i].status = 0;
        reqs[i].result = coord_mval_none();
        int r = encode_op(&c->out, &reqs[i], internal);
        if (r) {
            reqs[i].status = r;
            return r;
        }
        /* Out of memory first: the buffer may then hold less than the
         * 4-byte length word (its first reserve failed), and len - 4
         * would wrap to a "too long" frame. */
        if (c->out.oom)
            return COORD_ENOMEM;
        if (c->out.len - 4 > c->max_frame)
            return COORD_EMSGSIZE;
    }
    coord__wb_frame_end(&c->out, f, (uint16_t)n);
    if (c->out.oom)
        return COORD_ENOMEM;
    c->seq = seq;
    struct coord__whdr h;
    int r = coord__mcli_roundtrip(c, timeout_ms, &h);
    if (r)
        return r;
    if (h.kind != COORD__W_REP || h.count != n) {
        coord__mcli_broken(c);
        return COORD_EPROTO;
    }
    struct coord__rd rd = {c->in + COORD__WIRE_HDR, c->in + c->consumed, false};
    for (size_t i = 0; i < n; i++) {
        /* The common result first: a status and an i64. */
        if (rd.end - rd.p >= 13 && rd.p[4] == COORD_MI64 &&
            reqs[i].op != (coord_mop)COORD__WOP_DICT_KEYS) {
            int32_t st = (int32_t)coord__ld32(rd.p);
            if (!status_ok(reqs[i].op, st)) {
                rd.bad = true;
                break;
            }
            reqs[i].result.type = COORD_MI64;
            reqs[i].result.i = (int64_t)coord__ld64(rd.p + 5);
            reqs[i].status = st;
            rd.p += 13;
            continue;
        }
        int32_t st = (int32_t)coord__rd_u32(&rd);
        struct coord__wval w;
        if (rd.bad || !status_ok(reqs[i].op, st)) {
            rd.bad = true;
            break;
        }
        if (rd.p < rd.end && *rd.p == COORD__WT_KEYS &&
            reqs[i].op == (coord_mop)COORD__WOP_DICT_KEYS) {
            rd.p++;
            if ((r = decode_keys(c, &rd, st, &reqs[i])))
                break;
        } else if (reqs[i].op == (coord_mop)COORD__WOP_DICT_KEYS && st >= 0) {
            /* A count without its keys: dict_keys would hand out c->keys
             * (NULL, or a shorter array of an earlier call) as `st` keys. */
            rd.bad = true;
            break;
        } else if (coord__wire_val_decode(&rd, &w, true) == 0) {
            to_mval(&reqs[i].result, &w);
        } else {
            rd.bad = true;
            break;
        }
        reqs[i].status = st;
    }
    if (r == COORD_ENOMEM)
        return r;
    if (r || rd.bad || rd.p != rd.end) {
        coord__mcli_broken(c);
        return COORD_EPROTO;
    }
    return 0;
}

/* batch, for one call at a time: a client carries one request at a time,
 * and its buffers are the call's. A call that finds another under way
 * (another thread's, against the rule of one thread at a time, or one
 * made from the interrupt function) is refused before it touches
 * anything: sent into the middle of the other, it would take that call's
 * reply for its own and leave its own for the next call. */
static int batch_alone(coord_mclient *c, coord_mreq *reqs, size_t n,
                       int timeout_ms, bool internal)
{
    if (!c)
        return COORD_EINVAL;
    if (atomic_exchange_explicit(&c->busy, true, memory_order_acquire))
        return COORD_EBUSY;
    int r = batch(c, reqs, n, timeout_ms, internal);
    atomic_store_explicit(&c->busy, false, memory_order_release);
    return r;
}

int coord_mclient_batch(coord_mclient *c, coord_mreq *reqs, size_t n,
                        int timeout_ms)
{
    return batch_alone(c, reqs, n, timeout_ms, false);
}

/* One operation: the status of the request, or the transport code. */
static int one(coord_mclient *c, coord_mreq *q, int timeout_ms)
{
    int r = batch_alone(c, q, 1, timeout_ms, q->op > COORD_MOP_LIST_POP);
    return r ? r : q->status;
}

int coord_mclient_get(coord_mclient *c, const char *dict, const char *key,
                      coord_mval *out, int timeout_ms)
{
    coord_mreq q = {.op = COORD_MOP_GET, .name = dict, .key = key};
    if (!out)
        return COORD_EINVAL;
    int r = one(c, &q, timeout_ms);
    if (r == 0)
        *out = q.result;
    return r;
}

int coord_mclient_set(coord_mclient *c, const char *dict, const char *key,
                      const coord_mval *v, int timeout_ms)
{
    if (!v)
        return COORD_EINVAL;
    coord_mreq q = {.op = COORD_MOP_SET, .name = dict, .key = key, .value = *v};
    return one(c, &q, timeout_ms);
}

int coord_mclient_delete(coord_mclient *c, const char *dict, const char *key,
                         int timeout_ms)
{
    coord_mreq q = {.op = COORD_MOP_DELETE, .name = dict, .key = key};
    return one(c, &q, timeout_ms);
}

int coord_mclient_incr(coord_mclient *c, const char *dict, const char *key,
                       int64_t delta, int64_t *out_new, int timeout_ms)
{
    coord_mreq q = {.op = COORD_MOP_INCR, .name = dict, .key = key,
                    .arg = delta};
    int r = one(c, &q, timeout_ms);
    if (r == 0 && out_new)
        *out_new = q.result.i;
    return r;
}

int coord_mclient_cas(coord_mclient *c, const char *dict, const char *key,
                      const coord_mval *expected, const coord_mval *desired,
                      coord_mval *actual, int timeout_ms)
{
    if (!expected || !desired)
        return COORD_EINVAL;
    coord_mreq q = {.op = COORD_MOP_CAS, .name = dict, .key = key,
                    .value = *desired, .expected = *expected};
    int r = one(c, &q, timeout_ms);
    if (r >= 0 && actual)
        *actual = q.result;
    return r;
}

int coord_mclient_dict_len(coord_mclient *c, const char *dict, int timeout_ms)
{
    coord_mreq q = {.op = COORD_MOP_DICT_LEN, .name = dict};
    return one(c, &q, timeout_ms);
}

int coord_mclient_dict_keys(coord_mclient *c, const char *dict,
                            const coord_mval **keys, int timeout_ms)
{
    if (!keys)
        return COORD_EINVAL;
    coord_mreq q = {.op = (coord_mop)COORD__WOP_DICT_KEYS, .name = dict};
    int r = one(c, &q, timeout_ms);
    *keys = r >= 0 ? c->keys : NULL;
    return r;
}

int coord_mclient_list_append(coord_mclient *c, const char *list,
                              const coord_mval *v, int timeout_ms)
{
    if (!v)
        return COORD_EINVAL;
    coord_mreq q = {.op = COORD_MOP_LIST_APPEND, .name = list, .value = *v};
    return one(c, &q, timeout_ms);
}

int coord_mclient_list_get(coord_mclient *c, const char *list, int64_t index,
                           coord_mval *out, int timeout_ms)
{
    if (!out)
        return COORD_EINVAL;
    coord_mreq q = {.op = COORD_MOP_LIST_GET, .name = list, .arg = index};
    int r = one(c, &q, timeout_ms);
    if (r == 0)
        *out = q.result;
    return r;
}

int coord_mclient_list_len(coord_mclient *c, const char *list, int timeout_ms)
{
    coord_mreq q = {.op = COORD_MOP_LIST_LEN, .name = list};
    return one(c, &q, timeout_ms);
}

int coord_mclient_list_pop(coord_mclient *c, const char *list, int64_t index,
                           coord_mval *out, int timeout_ms)
{
    if (!out)
        return COORD_EINVAL;
    coord_mreq q = {.op = COORD_MOP_LIST_POP, .name = list, .arg = index};
    int r = one(c, &q, timeout_ms);
    if (r == 0)
        *out = q.result;
    return r;
}

int coord_mclient_stats(coord_mclient *c, coord_manager_stats *out,
                        int timeout_ms)
{
    if (!out)
        return COORD_EINVAL;
    coord_mreq q = {.op = (coord_mop)COORD__WOP_STATS};
    int r = one(c, &q, timeout_ms);
    if (r)
        return r;
    if (q.result.type != COORD_MBYTES ||
        q.result.len != COORD__STATS_WORDS * 8)
        return COORD_EPROTO;
    uint64_t w[COORD__STATS_WORDS];
    struct coord__rd rd = {q.result.data,
                           (const uint8_t *)q.result.data + q.result.len,
                           false};
    for (int i = 0; i < COORD__STATS_WORDS; i++)
        w[i] = (uint64_t)coord__rd_i64(&rd);
    out->clients = w[0];
    out->accepted = w[1];
    out->refused_uid = w[2];
    out->refused_full = w[3];
    out->frames = w[4];
    out->ops = w[5];
    out->malformed = w[6];
    out->limit_errors = w[7];
    out->entries = w[8];
    out->bytes = w[9];
    out->containers = w[10];
    return 0;
}
