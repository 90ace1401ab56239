/* SPDX-License-Identifier: MIT */
/* manager_store.c: the manager's dicts and lists, and the execution of one request frame. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "manager_hmap.h"

/* ---- values ------------------------------------------------------------ */

static bool is_blob(uint8_t t)
{
    return t == COORD_MBYTES || t == COORD_MSTR;
}

static size_t sval_bytes(const struct coord__sval *v)
{
    return is_blob(v->type) ? v->len : 0;
}

static void sval_free(struct coord__sval *v)
{
    if (is_blob(v->type))
        free(v->u.p);
    v->type = COORD_MNONE;
}

/* Copy a wire value into storage. Returns 0 or COORD_ENOMEM. */
static int sval_from_wire(struct coord__sval *dst, const struct coord__wval *w)
{
    struct coord__sval v = {.type = w->type, .len = 0};
    switch (w->type) {
    case COORD_MI64:
        v.u.i = w->i;
        break;
    case COORD_MF64:
        v.u.f = w->f;
        break;
    default:
        v.len = w->len;
        v.u.p = malloc(w->len + 1u);
        if (!v.u.p)
            return COORD_ENOMEM;
        if (w->len)
            memcpy(v.u.p, w->p, w->len);
        v.u.p[w->len] = 0;
        break;
    }
    *dst = v;
    return 0;
}

static bool sval_eq_wire(const struct coord__sval *s, const struct coord__wval *w)
{
    if (s->type != w->type)
        return false;
    switch (s->type) {
    case COORD_MI64:
        return s->u.i == w->i;
    case COORD_MF64:
        /* Bitwise, so that a NaN can be compared-and-swapped too. */
        return memcmp(&s->u.f, &w->f, sizeof(double)) == 0;
    default:
        return s->len == w->len && (w->len == 0 || !memcmp(s->u.p, w->p, w->len));
    }
}

static inline void put_sval(struct coord__wbuf *b, const struct coord__sval *v)
{
    coord__wb_val(b, v->type, v->u.i, v->u.f, is_blob(v->type) ? v->u.p : NULL,
                  v->len);
}

static size_t sval_wire_size(const struct coord__sval *v)
{
    return coord__wire_val_size(v->type, v->len);
}

/* ---- containers -------------------------------------------------------- */

static void cont_free(struct coord__mstore *s, struct coord__cont *c)
{
    if (c->kind == COORD__CONT_DICT) {
        for (size_t i = 0; i < c->d.nb; i++) {
            struct coord__hent *e = c->d.b[i], *next;
            for (; e; e = next) {
                next = e->next;
                s->bytes -= e->klen + sval_bytes(&e->v);
                s->entries--;
                sval_free(&e->v);
                free(e);
            }
        }
        free(c->d.b);
    } else {
        for (size_t i = 0; i < c->l.n; i++) {
            struct coord__sval *v = &c->l.a[(c->l.head + i) & (c->l.cap - 1)];
            s->bytes -= sval_bytes(v);
            s->entries--;
            sval_free(v);
        }
        free(c->l.a);
    }
    free(c);
}

static void store_drop_cont(struct coord__mstore *s, const struct coord__wop *op,
                            uint64_t h)
{
    struct coord__hent **pp = coord__hmap_slot(&s->conts, op->name, op->name_len, h);
    if (!pp)
        return;
    struct coord__hent *e = *pp;
    *pp = e->next;
    if (s->last == e)
        s->last = NULL;
    s->conts.n--;
    s->bytes -= e->klen;
    cont_free(s, e->obj);
    free(e);
    coord__hmap_shrink(&s->conts);
}

/* Find the container `op` names; with `create`, make it (of `kind`) when
 * missing. Sets *h to the name's hash. Returns 0 and *out (NULL when
 * missing and not created), COORD_EINVAL (the name holds the other kind),
 * COORD_ENOSPC, COORD_ENOMEM. The container found or made last is tried
 * first: a batch mostly names one. */
static inline int store_cont(struct coord__mstore *s,
                             const struct coord__wop *op, uint8_t kind,
                             bool create, uint64_t *h,
                             struct coord__cont **out)
{
    *out = NULL;
    struct coord__hent *e = s->last;
    if (e && e->klen == op->name_len &&
        coord__bytes_eq(e->key, op->name, op->name_len)) {
        *h = e->hash;
    } else {
        *h = coord__hash_bytes(op->name, op->name_len);
        e = coord__hmap_find(&s->conts, op->name, op->name_len, *h);
    }
    if (e) {
        s->last = e;
        struct coord__cont *c = e->obj;
        if (c->kind != kind)
            return COORD_EINVAL;
        *out = c;
        return 0;
    }
    if (!create)
        return 0;
    if (s->bytes + op->name_len > s->o.max_bytes)
        return COORD_ENOSPC;
    e = coord__hent_new(op->name, op->name_len, *h);
    struct coord__cont *c = calloc(1, sizeof *c);
    if (!e || !c || coord__hmap_insert(&s->conts, e) != 0) {
        free(e);
        free(c);
        return COORD_ENOMEM;
    }
    c->kind = kind;
    e->obj = c;
    s->bytes += op->name_len;
    s->last = e;
    *out = c;
    return 0;
}

/* ---- operations -------------------------------------------------------- */

/* Can `more` bytes be added to the reply frame and still leave room for
 * the results that the operations after this one write unchecked (see
 * op_min_result)? */
static bool fits(struct coord__mstore *s, struct coord__wbuf *rep, size_t more)
{
    return rep->len - s->rep_at - 4 + more + s->reserve <= s->o.max_frame;
}

static void result(struct coord__wbuf *rep, int32_t status)
{
    coord__wb_u32(rep, (uint32_t)status);
}

static void result_none(struct coord__wbuf *rep, int32_t status)
{
    result(rep, status);
    coord__wb_u8(rep, COORD_MNONE);
}

static void result_i64(struct coord__wbuf *rep, int32_t status, int64_t x)
{
    result(rep, status);
    coord__wb_val(rep, COORD_MI64, x, 0, NULL, 0);
}

/* Limits on the names and the values (a CAS's expected one too) that an
 * operation carries. */
static int check_sizes(struct coord__mstore *s, const struct coord__wop *op)
{
    if (op->name_len > s->o.max_key || op->key_len > s->o.max_key)
        return COORD_ENAMETOOLONG;
    if ((is_blob(op->v.type) && op->v.len > s->o.max_value) ||
        (is_blob(op->exp.type) && op->exp.len > s->o.max_value))
        return COORD_EMSGSIZE;
    return 0;
}

/* Would replacing `old_bytes` by `new_bytes` (adding `new_entries`) stay
 * within the limits? */
static int check_room(struct coord__mstore *s, size_t old_bytes,
                      size_t new_bytes, size_t new_entries)
{
    if (new_entries && s->entries + new_entries > s->o.max_entries)
        return COORD_ENOSPC;
    if (new_bytes > old_bytes &&
        s->bytes + (new_bytes - old_bytes) > s->o.max_bytes)
        return COORD_ENOSPC;
    return 0;
}

/* Store `w` under op's key in dict `c` (existing entry `e` or a new one). */
static int dict_put(struct coord__mstore *s, struct coord__cont *c,
                    struct coord__hent *e, const struct coord__wop *op,
                    uint64_t kh, const struct coord__wval *w)
{
    size_t nb = is_blob(w->type) ? w->len : 0;
    int r = e ? check_room(s, sval_bytes(&e->v), nb, 0)
              : check_room(s, 0, nb + op->key_len, 1);
    if (r)
        return r;
    struct coord__sval v;
    if ((r = sval_from_wire(&v, w)))
        return r;
    if (e) {
        s->bytes -= sval_bytes(&e->v);
        sval_free(&e->v);
        e->v = v;
        s->bytes += nb;
        return 0;
    }
    e = coord__hent_new(op->key, op->key_len, kh);
    if (!e || coord__hmap_insert(&c->d, e) != 0) {
        free(e);
        sval_free(&v);
        return COORD_ENOMEM;
    }
    e->v = v;
    s->bytes += nb + op->key_len;
    s->entries++;
    c->d_klen += op->key_len;
    return 0;
}

static void dict_remove(struct coord__mstore *s, struct coord__cont *c,
                        const struct coord__wop *op, uint64_t h, uint64_t kh)
{
    struct coord__hent **pp = coord__hmap_slot(&c->d, op->key, op->key_len, kh);
    if (!pp)
        return;
    struct coord__hent *e = *pp;
    *pp = e->next;
    c->d.n--;
    c->d_klen -= e->klen;
    s->bytes -= e->klen + sval_bytes(&e->v);
    s->entries--;
    sval_free(&e->v);
    free(e);
    if (c->d.n == 0)
        store_drop_cont(s, op, h);
    else
        coord__hmap_shrink(&c->d);
}

/* Move the list's items into a ring of `cap` slots (a power of 2, at
 * least its length), oldest first. Returns false, the ring as it was,
 * when it cannot be allocated. */
static bool list_resize(struct coord__list *l, size_t cap)
{
    struct coord__sval *a = malloc(cap * sizeof *a);
    if (!a)
        return false;
    for (size_t i = 0; i < l->n; i++)
        a[i] = l->a[(l->head + i) & (l->cap - 1)];
    free(l->a);
    l->a = a;
    l->cap = cap;
    l->head = 0;
    return true;
}

static int list_grow(struct coord__list *l)
{
    if (l->n < l->cap || list_resize(l, l->cap ? l->cap * 2 : 8))
        return 0;
    return COORD_ENOMEM;
}

/* After a pop: halve the ring once a quarter of it is used (the same
 * unbounded growth as the dicts': 16 MB kept per list of a million items
 * popped down to one). A failed allocation keeps the bigger ring. */
static void list_shrink(struct coord__list *l)
{
    if (l->cap > 8 && l->n <= l->cap / 4)
        (void)list_resize(l, l->cap / 2);
}

static struct coord__sval *list_at(struct coord__list *l, size_t i)
{
    return &l->a[(l->head + i) & (l->cap - 1)];
}

/* Python-style index: negative counts from the end. */
static bool list_index(const struct coord__list *l, int64_t idx, size_t *out)
{
    if (idx < 0) {
        if ((uint64_t)(-(idx + 1)) >= l->n)
            return false;
        *out = l->n - (size_t)(-(idx + 1)) - 1;
        return true;
    }
    if ((uint64_t)idx >= l->n)
        return false;
    *out = (size_t)idx;
    return true;
}

static int keys_cmp(const void *a, const void *b)
{
    const struct coord__hent *x = *(const struct coord__hent *const *)a;
    const struct coord__hent *y = *(const struct coord__hent *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static void op_keys(struct coord__mstore *s, const struct coord__wop *op,
                    struct coord__wbuf *rep)
{
    struct coord__cont *c;
    uint64_t h;
    int r = store_cont(s, op, COORD__CONT_DICT, false, &h, &c);
    if (r) {
        result_none(rep, r);
        return;
    }
    size_t n = c ? c->d.n : 0;
    /* Refused on its size before any work: listing and sorting the keys
     * of a big dict only to find that they do not fit cost 0.3 s per
     * operation, and a batch of 4096 of them held the server for 20
     * minutes. The work done is now bounded by the reply's size. */
    size_t total = n ? 3 * n + c->d_klen : 0;
    if (n > INT32_MAX || !fits(s, rep, 5 + total)) {
        result_none(rep, COORD_EMSGSIZE);
        return;
    }
    struct coord__hent **v = NULL;
    if (n) {
        v = malloc(n * sizeof *v);
        if (!v) {
            result_none(rep, COORD_ENOMEM);
            return;
        }
        size_t k = 0;
        for (size_t i = 0; i < c->d.nb; i++)
            for (struct coord__hent *e = c->d.b[i]; e; e = e->next)
                v[k++] = e;
        qsort(v, n, sizeof *v, keys_cmp);
    }
    result(rep, (int32_t)n);
    coord__wb_u8(rep, COORD__WT_KEYS);
    for (size_t i = 0; i < n; i++) {
        coord__wb_u16(rep, (uint16_t)v[i]->klen);
        coord__wb_bytes(rep, v[i]->key, v[i]->klen);
        coord__wb_u8(rep, 0);
    }
    free(v);
}

static void op_stats(struct coord__mstore *s, struct coord__wbuf *rep)
{
    uint64_t w[COORD__STATS_WORDS] = {
        s->st.clients, s->st.accepted, s->st.refused_uid, s->st.refused_full,
        s->st.frames, s->st.ops, s->st.malformed, s->st.limit_errors,
        s->entries, s->bytes, s->conts.n};
    result(rep, 0);
    coord__wb_u8(rep, COORD_MBYTES);
    coord__wb_u32(rep, (uint32_t)sizeof w);
    for (int i = 0; i < COORD__STATS_WORDS; i++)
        coord__wb_i64(rep, (int64_t)w[i]);
    coord__wb_u8(rep, 0);
}

/* Bytes of the result that `op` may write without asking fits(): a status
 * and NONE (5), an INCR's status and i64 (13), the STATS blob. Every other
 * result is written only after fits() allowed it. */
static size_t op_min_result(const struct coord__wop *op)
{
    if (op->op == COORD_MOP_INCR)
        return 4 + 9;
    if (op->op == COORD__WOP_STATS)
        return 4 + coord__wire_val_size(COORD_MBYTES, 8 * COORD__STATS_WORDS);
    return 5;
}

/* Run one decoded operation, appending its result to `rep`. */
static void exec_op(struct coord__mstore *s, const struct coord__wop *op,
                    struct coord__wbuf *rep)
{
    if (op->op == COORD__WOP_STATS) {
        op_stats(s, rep);
        return;
    }
    int r = check_sizes(s, op);
    if (r) {
        s->st.limit_errors++;
        result_none(rep, r);
        return;
    }
    uint64_t h;
    uint64_t kh = coord__hash_bytes(op->key, op->key_len);
    struct coord__cont *c = NULL;
    struct coord__hent *e = NULL;
    bool writes = op->op == COORD_MOP_SET || op->op == COORD_MOP_INCR ||
                  op->op == COORD_MOP_CAS || op->op == COORD_MOP_LIST_APPEND;
    uint8_t kind = (op->op >= COORD_MOP_LIST_APPEND &&
                    op->op <= COORD_MOP_LIST_POP)
                       ? COORD__CONT_LIST
                       : COORD__CONT_DICT;
    r = store_cont(s, op, kind, writes, &h, &c);
    if (r) {
        if (r == COORD_ENOSPC)
            s->st.limit_errors++;
        result_none(rep, r);
        return;
    }
    if (c && kind == COORD__CONT_DICT)
        e = coord__hmap_find(&c->d, op->key, op->key_len, kh);
    switch (op->op) {
    case COORD_MOP_GET:
        if (!e) {
            result_none(rep, COORD_ENOTFOUND);
        } else if (!fits(s, rep, 4 + sval_wire_size(&e->v))) {
            result_none(rep, COORD_EMSGSIZE);
        } else {
            result(rep, 0);
            put_sval(rep, &e->v);
        }
        break;
    case COORD_MOP_SET:
        r = dict_put(s, c, e, op, kh, &op->v);
        break;
    case COORD_MOP_DELETE:
        if (!e) {
            result_none(rep, COORD_ENOTFOUND);
        } else {
            dict_remove(s, c, op, h, kh);
            result_none(rep, 0);
        }
        break;
    case COORD_MOP_INCR: {
        int64_t now;
        if (e && e->v.type != COORD_MI64) {
            r = COORD_EINVAL;
        } else if (e && __builtin_add_overflow(e->v.u.i, op->arg, &now)) {
            r = COORD_EOVERFLOW;
        } else if (e) {
            e->v.u.i = now;
            result_i64(rep, 0, now);
        } else {
            struct coord__wval w = {.type = COORD_MI64, .i = op->arg};
            r = dict_put(s, c, NULL, op, kh, &w);
            if (r == 0)
                result_i64(rep, 0, op->arg);
        }
        break;
    }
    case COORD_MOP_CAS: {
        bool match = e ? sval_eq_wire(&e->v, &op->exp)
                       : op->exp.type == COORD_MNONE;
        size_t need = 4 + (e ? sval_wire_size(&e->v) : 1);
        if (!fits(s, rep, need)) {
            r = COORD_EMSGSIZE;
            break;
        }
        if (match && (r = (e ? check_room(s, sval_bytes(&e->v),
                                          is_blob(op->v.type) ? op->v.len : 0,
                                          0)
                             : check_room(s, 0,
                                          (is_blob(op->v.type) ? op->v.len : 0) +
                                              op->key_len,
                                          1))))
            break;
        /* Report what was there before changing it (the old bytes are
         * freed by the swap). */
        result(rep, match ? 1 : 0);
        if (e)
            put_sval(rep, &e->v);
        else
            coord__wb_u8(rep, COORD_MNONE);
        if (match && dict_put(s, c, e, op, kh, &op->v) != 0) {
            /* Out of memory after the room check: undo the reply. */
            rep->len -= need;
            r = COORD_ENOMEM;
        }
        break;
    }
    case COORD_MOP_DICT_LEN:
        result_none(rep, c ? (int32_t)c->d.n : 0);
        break;
    case COORD__WOP_DICT_KEYS:
        op_keys(s, op, rep);
        break;
    case COORD_MOP_LIST_APPEND:
        if (c->l.n >= INT32_MAX - 1) {
            r = COORD_ENOSPC;
        } else if (!(r = check_room(s, 0,
                                    is_blob(op->v.type) ? op->v.len : 0, 1)) &&
                   !(r = list_grow(&c->l))) {
            struct coord__sval v;
            if (!(r = sval_from_wire(&v, &op->v))) {
                *list_at(&c->l, c->l.n) = v;
                c->l.n++;
                s->entries++;
                s->bytes += sval_bytes(&v);
                result_none(rep, (int32_t)c->l.n);
            }
        }
        if (r && c->l.n == 0)
            store_drop_cont(s, op, h);
        break;
    case COORD_MOP_LIST_GET: {
        size_t i;
        if (!c || !list_index(&c->l, op->arg, &i)) {
            result_none(rep, COORD_ERANGE);
        } else if (!fits(s, rep, 4 + sval_wire_size(list_at(&c->l, i)))) {
            result_none(rep, COORD_EMSGSIZE);
        } else {
            result(rep, 0);
            put_sval(rep, list_at(&c->l, i));
        }
        break;
    }
    case COORD_MOP_LIST_LEN:
        result_none(rep, c ? (int32_t)c->l.n : 0);
        break;
    case COORD_MOP_LIST_POP: {
        size_t i;
        if (!c || c->l.n == 0) {
            result_none(rep, COORD_ENODATA);
        } else if (!list_index(&c->l, op->arg, &i)) {
            result_none(rep, COORD_ERANGE);
        } else if (!fits(s, rep, 4 + sval_wire_size(list_at(&c->l, i)))) {
            result_none(rep, COORD_EMSGSIZE);
        } else {
            struct coord__list *l = &c->l;
            struct coord__sval v = *list_at(l, i);
            result(rep, 0);
            put_sval(rep, &v);
            s->entries--;
            s->bytes -= sval_bytes(&v);
            sval_free(&v);
            if (i == 0) {
                l->head = (l->head + 1) & (l->cap - 1);
            } else {
                for (size_t j = i; j + 1 < l->n; j++)
                    *list_at(l, j) = *list_at(l, j + 1);
            }
            l->n--;
            if (l->n == 0)
                store_drop_cont(s, op, h);
            else
                list_shrink(l);
        }
        break;
    }
    default:
        result_none(rep, COORD_EINVAL);
        break;
    }
    /* A write that failed, or a CAS that did not swap, may have created
     * an empty dict: drop it. (DELETE and LIST_POP may have freed `c`.) */
    if (writes && c && kind == COORD__CONT_DICT && c->d.n == 0)
        store_drop_cont(s, op, h);
    if (r) {
        if (r == COORD_ENOSPC || r == COORD_EMSGSIZE)
            s->st.limit_errors++;
        result_none(rep, r);
    } else if (op->op == COORD_MOP_SET) {
        result_none(rep, 0);
    }
}

/* ---- store ------------------------------------------------------------- */

void coord__mstore_init(struct coord__mstore *s, const coord_manager_opts *o)
{
    memset(s, 0, sizeof *s);
    s->o = *o;
}

void coord__mstore_free(struct coord__mstore *s)
{
    for (size_t i = 0; i < s->conts.nb; i++) {
        struct coord__hent *e = s->conts.b[i], *next;
        for (; e; e = next) {
            next = e->next;
            cont_free(s, e->obj);
            free(e);
        }
    }
    free(s->conts.b);
    memset(&s->conts, 0, sizeof s->conts);
    s->last = NULL;
    s->bytes = 0;
    free(s->ops);
    s->ops = NULL;
    s->ops_cap = 0;
}

/* The heap the stored entries hold, about: their keys and values, and
 * per entry its own block (an entry or a list slot, with malloc's header). */
static uint64_t store_footprint(const struct coord__mstore *s)
{
    return s->bytes + s->entries * 64;
}

/* True when the calling thread is its process's only one (/proc/self/task
 * has one entry); no other can appear while it runs a trim, since only a
 * thread starts threads. False when it cannot tell. */
#if defined(__GLIBC__)
static bool alone_in_process(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return false;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n == 1;
}
#endif

/* After a frame: give the heap back to the system once what is stored has
 * fallen to a quarter of its peak (of at least 8 MiB) since the last time.
 * glibc keeps the blocks freed below its heap's top for reuse, so a server
 * that once held 100 MB of entries kept 100 MB resident after they were
 * all deleted, for the rest of its life (malloc_trim(0) there: 1.8 MB).
 * The trim walks the heap, so it runs only after 3/4 of a peak went. */
static void store_trim(struct coord__mstore *s)
{
    /* malloc_trim(0) walks (and locks, one after another) every arena of
     * the process: beside an application's heap (coord_manager_run in a
     * thread of a program holding 2 million blocks among 6 million freed)
     * each trim stalled the frame that set it off 130-220 ms instead of
     * 1 ms, and the application's threads on its arenas' locks. Only a
     * process that is the server's alone trims: the forked server, or a
     * thread that is its process's only one when the trim is due (looked
     * at then, not at the start: a ready callback, or anything before,
     * may have started an application's threads since). */
    uint64_t now = store_footprint(s);
    if (now > s->trim_peak) {
        s->trim_peak = now;
        return;
    }
    if (s->trim_peak < ((uint64_t)8 << 20) || now > s->trim_peak / 4)
        return;
#if defined(__GLIBC__)
    if (s->own_heap || alone_in_process())
        (void)malloc_trim(0);
#endif
    s->trim_peak = now;
}

static int frame_error(struct coord__mstore *s, struct coord__wbuf *rep,
                       size_t at, uint32_t seq, int code)
{
    rep->len = at;
    rep->oom = false;
    s->st.malformed++;
    size_t f = coord__wb_frame_begin(rep, COORD__W_ERR, 0, seq);
    coord__wb_u32(rep, (uint32_t)code);
    coord__wb_frame_end(rep, f, 0);
    return code;
}

int coord__mstore_exec(struct coord__mstore *s, const uint8_t *frame,
                       size_t len, struct coord__wbuf *rep)
{
    size_t at = rep->len;
    struct coord__whdr h;
    int r = coord__wire_header(frame, len, s->o.max_frame, &h);
    if (r == COORD_EAGAIN)
        r = COORD_EBADMSG;
    if (r == 0 && (size_t)h.len + 4 != len)
        r = COORD_EBADMSG;
    if (r)
        return frame_error(s, rep, at, 0, r);
    struct coord__rd rd = {frame + COORD__WIRE_HDR, frame + len, false};
    if (h.kind == COORD__W_HELLO) {
        if (h.count != 0 || len != COORD__WIRE_HDR)
            return frame_error(s, rep, at, h.seq, COORD_EBADMSG);
        size_t f = coord__wb_frame_begin(rep, COORD__W_WELCOME, 0, h.seq);
        coord__wb_u32(rep, (uint32_t)s->o.max_key);
        coord__wb_u32(rep, (uint32_t)s->o.max_value);
        coord__wb_u32(rep, (uint32_t)s->o.max_frame);
        coord__wb_u32(rep, (uint32_t)s->o.max_batch);
        coord__wb_u32(rep, s->welcome_flags);
        coord__wb_frame_end(rep, f, 0);
        return rep->oom ? frame_error(s, rep, at, h.seq, COORD_ENOMEM) : 0;
    }
    if (h.kind != COORD__W_REQ)
        return frame_error(s, rep, at, h.seq, COORD_EBADMSG);
    if (h.count > s->o.max_batch)
        return frame_error(s, rep, at, h.seq, COORD_E2BIG);
    /* Decode and validate the whole frame before running any of it: a
     * malformed frame changes nothing. */
    if (h.count > s->ops_cap) {
        size_t cap = s->ops_cap ? s->ops_cap : 16;
        while (cap < h.count)
            cap *= 2;
        struct coord__wop *ops = realloc(s->ops, cap * sizeof *ops);
        if (!ops)
            return frame_error(s, rep, at, h.seq, COORD_ENOMEM);
        s->ops = ops;
        s->ops_cap = cap;
    }
    size_t left = 0; /* the results every operation writes unchecked */
    for (uint16_t i = 0; i < h.count; i++) {
        if (coord__wire_op_decode(&rd, &s->ops[i]) != 0)
            return frame_error(s, rep, at, h.seq, COORD_EBADMSG);
        left += op_min_result(&s->ops[i]);
    }
    if (rd.p != rd.end)
        return frame_error(s, rep, at, h.seq, COORD_EBADMSG);
    /* Only possible with many STATS operations: the others' smallest
     * results are no longer than their requests. */
    if (COORD__WIRE_HDR - 4 + left > s->o.max_frame)
        return frame_error(s, rep, at, h.seq, COORD_EMSGSIZE);
    size_t f = coord__wb_frame_begin(rep, COORD__W_REP, h.count, h.seq);
    s->rep_at = f;
    for (uint16_t i = 0; i < h.count; i++) {
        left -= op_min_result(&s->ops[i]);
        s->reserve = left;
        exec_op(s, &s->ops[i], rep);
        if (rep->oom)
            return frame_error(s, rep, at, h.seq, COORD_ENOMEM);
    }
    coord__wb_frame_end(rep, f, h.count);
    s->st.frames++;
    s->st.ops += h.count;
    store_trim(s);
    return 0;
}
