/* SPDX-License-Identifier: MIT */
/* value.c: typed shared scalar with lock-free reads and robust locked updates. */
#include <stdalign.h>
#include <string.h>

#include "internal.h"

#define VALUE_MAGIC 0x56414c55u  /* "VALU" */
#define VALUE_BROKEN 0x42524b4eu /* "BRKN": a check failed; never valid */

struct coord_value {
    /* The word readers load has its own line; the lock traffic of writers
     * stays on line 1 and does not evict it more than the store itself. */
    alignas(COORD__CACHE_LINE) _Atomic uint64_t bits;
    uint32_t magic;
    uint32_t type;
    uint32_t owned;
    alignas(COORD__CACHE_LINE) coord__mutex lock;
};

static coord_scalar from_bits(uint64_t b)
{
    coord_scalar s;
    memcpy(&s, &b, sizeof s);
    return s;
}

static uint64_t to_bits(coord_type t, coord_scalar s)
{
    s = coord__scalar_norm(t, s);
    uint64_t b = 0;
    if (t == COORD_BOOL)
        b = s.b ? 1 : 0; /* a bool fills one byte of the union only */
    else
        memcpy(&b, &s, sizeof b);
    return b;
}

/* The value's type, as read once from shared memory and checked: any
 * process that maps the value can rewrite the words. A bad magic or type
 * marks the value broken for every process and gives COORD_EPROTO. */
static int type_of(const struct coord_value *v, coord_type *t)
{
    struct coord_value *w = (struct coord_value *)v;
    /* Relaxed: written once before publication (acquire on open); a later
     * change is a corruption, caught whatever its order. */
    uint32_t magic = __atomic_load_n(&w->magic, __ATOMIC_RELAXED);
    *t = (coord_type)__atomic_load_n(&w->type, __ATOMIC_RELAXED);
    if (magic != VALUE_MAGIC)
        return COORD_EPROTO;
    /* The range test of coord__type_valid, inline: this runs on every get. */
    if ((uint32_t)*t - COORD_I8 > (uint32_t)(COORD__TYPE_LAST - COORD_I8)) {
        __atomic_store_n(&w->magic, VALUE_BROKEN, __ATOMIC_RELAXED);
        return COORD_EPROTO;
    }
    return 0;
}

static coord_scalar load(const struct coord_value *v, coord_type t)
{
    uint64_t b = atomic_load_explicit(&v->bits, memory_order_acquire);
    if (t == COORD_BOOL) {
        coord_scalar s;
        memset(&s, 0, sizeof s);
        s.b = b != 0;
        return s;
    }
    return from_bits(b);
}

size_t coord_value_size(void)
{
    return sizeof(struct coord_value);
}

static int setup(struct coord_value *v, coord_type type, uint32_t owned)
{
    memset(v, 0, sizeof *v);
    int r = coord__mutex_init(&v->lock);
    if (r)
        return r;
    v->magic = VALUE_MAGIC;
    v->type = (uint32_t)type;
    v->owned = owned;
    return 0;
}

int coord_value_init(void *mem, size_t size, coord_type type,
                     coord_value **out)
{
    if (!mem || !out || size < sizeof(struct coord_value) ||
        (uintptr_t)mem % COORD__CACHE_LINE || !coord__type_valid(type))
        return COORD_EINVAL;
    int r = setup(mem, type, 0);
    if (!r)
        *out = mem;
    return r;
}

/* A new value: named (`name`), in a memfd whose descriptor goes to *fd
 * (`fd` non-NULL), or in an anonymous mapping. */
static int create(coord_value **out, coord_type type, const char *name,
                  int *fd)
{
    if (!out || !coord__type_valid(type))
        return COORD_EINVAL;
    void *mem;
    size_t size = sizeof(struct coord_value);
    int r = fd ? coord__seg_create_fd(COORD__KIND_VALUE, size, &mem)
               : coord__seg_create(name, COORD__KIND_VALUE, size, &mem);
    if (r)
        return r;
    r = setup(mem, type, 1);
    if (r) {
        coord__seg_release(mem, true);
        return r;
    }
    int d = coord__seg_publish(mem);
    if (fd)
        *fd = d;
    *out = mem;
    return 0;
}

int coord_value_create(coord_value **out, coord_type type)
{
    return create(out, type, NULL, NULL);
}

int coord_value_create_named(coord_value **out, coord_type type,
                             const char *name)
{
    if (!name)
        return COORD_EINVAL;
    return create(out, type, name, NULL);
}

int coord_value_create_fd(coord_value **out, coord_type type, int *fd)
{
    if (!fd)
        return COORD_EINVAL;
    return create(out, type, NULL, fd);
}

/* Map the value named `name`, or (name NULL) the one behind `fd`. */
static int open_seg(coord_value **out, const char *name, int fd)
{
    void *mem;
    size_t size;
    if (!out)
        return COORD_EINVAL;
    int r = name ? coord__seg_open(name, COORD__KIND_VALUE, &mem, &size)
                 : coord__seg_open_fd(fd, COORD__KIND_VALUE, &mem, &size);
    if (r)
        return r;
    coord_type t;
    if (size < sizeof(struct coord_value) || type_of(mem, &t) != 0) {
        coord__seg_release(mem, false);
        return COORD_EPROTO;
    }
    *out = mem;
    return 0;
}

int coord_value_open(coord_value **out, const char *name)
{
    return name ? open_seg(out, name, -1) : COORD_EINVAL;
}

int coord_value_open_fd(coord_value **out, int fd)
{
    return open_seg(out, NULL, fd);
}

void coord_value_destroy(coord_value *v)
{
    /* The private record decides what to release (a mapping, or nothing
     * for caller memory); the shared `owned` word could be rewritten. */
    if (v)
        coord__seg_release(v, true);
}

coord_type coord_value_type(const coord_value *v)
{
    coord_type t;
    return v && type_of(v, &t) == 0 ? t : (coord_type)0;
}

/* The checked read behind coord_value_get and coord_value_get_i64. */
static int load_checked(const coord_value *v, coord_type *t, coord_scalar *s)
{
    if (!v)
        return COORD_EINVAL;
    int r = type_of(v, t);
    if (r)
        return r;
    *s = load(v, *t);
    return 0;
}

int coord_value_get(const coord_value *v, coord_scalar *out)
{
    coord_type t;
    return out ? load_checked(v, &t, out) : COORD_EINVAL;
}

static void store(coord_value *v, coord_type t, coord_scalar in)
{
    /* Release: a reader that loads the new bits sees what the writer did
     * before. The whole scalar is one 64-bit store, so a writer killed here
     * leaves the old or the new value, never a torn one. */
    atomic_store_explicit(&v->bits, to_bits(t, in), memory_order_release);
}

int coord_value_store(coord_value *v, coord_scalar in)
{
    coord_type t;
    if (!v)
        return COORD_EINVAL;
    int r = type_of(v, &t);
    if (r)
        return r;
    store(v, t, in);
    return 0;
}

static int lock_quiet(struct coord_value *v, coord_type *t)
{
    int r = type_of(v, t);
    if (r)
        return r;
    r = coord__mutex_lock(&v->lock, COORD_FOREVER);
    /* Recovery is silent for our own single-store updates. */
    return r == COORD_RECOVERED ? 0 : r;
}

int coord_value_set(coord_value *v, coord_scalar in)
{
    coord_type t;
    if (!v)
        return COORD_EINVAL;
    int r = lock_quiet(v, &t);
    if (r)
        return r;
    store(v, t, in);
    coord__mutex_unlock(&v->lock);
    return 0;
}

int coord_value_add(coord_value *v, coord_scalar delta, coord_scalar *old)
{
    coord_type t;
    if (!v)
        return COORD_EINVAL;
    int r = lock_quiet(v, &t);
    if (r)
        return r;
    coord_scalar cur = load(v, t);
    store(v, t, coord__scalar_add(t, cur, delta));
    coord__mutex_unlock(&v->lock);
    if (old)
        *old = cur;
    return 0;
}

int coord_value_cas(coord_value *v, coord_scalar expected,
                    coord_scalar desired, coord_scalar *actual)
{
    coord_type t;
    if (!v)
        return COORD_EINVAL;
    int r = lock_quiet(v, &t);
    if (r)
        return r;
    coord_scalar cur = load(v, t);
    int swapped = coord__scalar_eq(t, cur, expected);
    if (swapped)
        store(v, t, desired);
    coord__mutex_unlock(&v->lock);
    if (actual)
        *actual = cur;
    return swapped;
}

/* One type for the whole conversion: read once by the caller. */
static int64_t to_i64(coord_type t, coord_scalar s)
{
    switch (t) {
    case COORD_F64:
        /* Toward zero, saturating; NaN gives 0. A plain cast of NaN or of
         * a double beyond int64 is undefined behaviour (the segment fuzzer
         * planted one). */
        if (!(s.f == s.f))
            return 0;
        if (s.f >= 9223372036854775808.0)
            return INT64_MAX;
        if (s.f <= -9223372036854775808.0)
            return INT64_MIN;
        return (int64_t)s.f;
    case COORD_BOOL:
        return s.b;
    default:
        return s.i;
    }
}

static coord_scalar from_i64(coord_type t, int64_t x)
{
    coord_scalar s;
    memset(&s, 0, sizeof s);
    if (t == COORD_F64)
        s.f = (double)x;
    else if (t == COORD_BOOL)
        s.b = x != 0;
    else
        s.i = x;
    return s;
}

int coord_value_get_i64(const coord_value *v, int64_t *out)
{
    coord_type t;
    coord_scalar s;
    if (!out)
        return COORD_EINVAL;
    int r = load_checked(v, &t, &s);
    if (r)
        return r;
    *out = to_i64(t, s);
    return 0;
}

int coord_value_set_i64(coord_value *v, int64_t in)
{
    coord_type t;
    if (!v)
        return COORD_EINVAL;
    int r = type_of(v, &t);
    /* Should the type word change before set reads it again, set narrows
     * these bytes to that type: a wrong number, never undefined behaviour
     * (see bool_of in scalar.c). */
    return r ? r : coord_value_set(v, from_i64(t, in));
}

int coord_value_add_i64(coord_value *v, int64_t delta, int64_t *old)
{
    coord_type t;
    if (!v)
        return COORD_EINVAL;
    int r = lock_quiet(v, &t);
    if (r)
        return r;
    coord_scalar cur = load(v, t);
    store(v, t, coord__scalar_add(t, cur, from_i64(t, delta)));
    coord__mutex_unlock(&v->lock);
    if (old)
        *old = to_i64(t, cur);
    return 0;
}

int coord_value_lock(coord_value *v, int timeout_ms)
{
    coord_type t;
    if (!v)
        return COORD_EINVAL;
    int r = type_of(v, &t);
    return r ? r : coord__mutex_lock(&v->lock, timeout_ms);
}

int coord_value_unlock(coord_value *v)
{
    if (!v)
        return COORD_EINVAL;
    return coord__mutex_unlock(&v->lock);
}
