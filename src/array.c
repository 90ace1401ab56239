/* SPDX-License-Identifier: MIT */
/* array.c: typed shared array with native element storage and a robust lock. */
#include <stdalign.h>
#include <string.h>

#include "internal.h"

#define ARRAY_MAGIC 0x41525259u  /* "ARRY" */
#define ARRAY_BROKEN 0x42524b4eu /* "BRKN": a check failed; never valid */

struct coord_array {
    uint32_t magic;
    uint32_t type;
    uint64_t length;
    uint32_t owned;
    alignas(COORD__CACHE_LINE) coord__mutex lock;
    /* The elements start on a fresh cache line after the header, so that
     * slice writers do not share a line with the lock. */
    alignas(COORD__CACHE_LINE) unsigned char data[];
};

size_t coord_array_size(coord_type type, size_t length)
{
    size_t es = coord_type_size(type);
    if (es == 0 || length == 0 || length > COORD_ARRAY_MAX_BYTES / es)
        return 0;
    return sizeof(struct coord_array) + length * es;
}

/* What an access may trust: the type and length as read once from shared
 * memory, checked against this process's own record of how many bytes
 * it mapped (any process that maps the array can rewrite the words). */
struct view {
    coord_type type;
    size_t es;
    size_t length;
};

/* log2 of each type's element size (all are powers of two), by coord_type;
 * 0xff for the values that are no type. A table and a shift: the check runs
 * on every access, and a division or two calls would cost more than the
 * access itself. */
static const unsigned char elem_shift[] = {0xff, 0, 0, 1, 1, 2, 2, 3, 3, 3, 0, 0};
_Static_assert(COORD_I8 == 1 && COORD_BOOL == 10 && COORD_I16 == 3 &&
                   COORD_I32 == 5 && COORD_I64 == 7 && COORD_F64 == 9 &&
                   COORD_CHAR == 11 && COORD__TYPE_LAST == COORD_CHAR,
               "elem_shift follows coord_type");

/* The last (array, type, length) this thread found valid, in generation
 * `gen` of the segment records: the same words again need no new look-up
 * of the mapping's size. */
static _Thread_local struct {
    const void *a;
    uint64_t gen;
    uint64_t length;
    uint32_t type;
} seen;

/* Validate `a` for one access. A violation marks the array broken for
 * every process (the magic is replaced) and gives COORD_EPROTO. */
static int view_of(const struct coord_array *a, struct view *v)
{
    struct coord_array *w = (struct coord_array *)a;
    /* Relaxed: these words are written once by the creator before the
     * segment is published (acquire on open); a later change is a
     * corruption that the checks below catch whatever order it has. */
    uint32_t magic = __atomic_load_n(&w->magic, __ATOMIC_RELAXED);
    uint32_t type = __atomic_load_n(&w->type, __ATOMIC_RELAXED);
    uint64_t length = __atomic_load_n(&w->length, __ATOMIC_RELAXED);
    if (magic != ARRAY_MAGIC)
        return COORD_EPROTO;
    /* Acquire: pairs with the release increment when a record is freed,
     * so a match means the record checked against is still this one. */
    uint64_t gen = atomic_load_explicit(&coord__seg_gen, memory_order_acquire);
    if (seen.a == a && seen.gen == gen && seen.type == type &&
        seen.length == length) {
        v->type = (coord_type)type;
        v->es = (size_t)1 << elem_shift[type];
        v->length = (size_t)length;
        return 0;
    }
    size_t limit = coord__seg_limit(a);
    unsigned shift = type < sizeof elem_shift ? elem_shift[type] : 0xff;
    /* length elements must fit in the bytes this process mapped after
     * the array's own words (which also keeps them under
     * COORD_ARRAY_MAX_BYTES for a mapping that size). */
    if (shift == 0xff || length == 0 || limit <= sizeof *a ||
        length > (uint64_t)((limit - sizeof *a) >> shift)) {
        __atomic_store_n(&w->magic, ARRAY_BROKEN, __ATOMIC_RELAXED);
        return COORD_EPROTO;
    }
    v->type = (coord_type)type;
    v->es = (size_t)1 << shift;
    v->length = (size_t)length;
    seen.a = a;
    seen.gen = gen;
    seen.type = type;
    seen.length = length;
    return 0;
}

static int setup(struct coord_array *a, coord_type type, size_t length,
                 uint32_t owned)
{
    memset(a, 0, sizeof *a);
    int r = coord__mutex_init(&a->lock);
    if (r)
        return r;
    a->magic = ARRAY_MAGIC;
    a->type = (uint32_t)type;
    a->length = length;
    a->owned = owned;
    return 0;
}

int coord_array_init(void *mem, size_t size, coord_type type, size_t length,
                     coord_array **out)
{
    size_t need = coord_array_size(type, length);
    if (!mem || !out || need == 0 || size < need ||
        (uintptr_t)mem % COORD__CACHE_LINE)
        return COORD_EINVAL;
    memset((char *)mem + sizeof(struct coord_array), 0,
           need - sizeof(struct coord_array));
    /* Remember the caller's size: accesses are bounded by it, not by the
     * length word in shared memory. */
    int r = coord__seg_track(mem, size);
    if (!r)
        r = setup(mem, type, length, 0);
    if (r) {
        coord__seg_release(mem, false);
        return r;
    }
    *out = mem;
    return 0;
}

/* A new array: named (`name`), in a memfd whose descriptor goes to *fd
 * (`fd` non-NULL), or in an anonymous mapping. */
static int create(coord_array **out, coord_type type, size_t length,
                  const char *name, int *fd)
{
    size_t need = coord_array_size(type, length);
    if (!out || need == 0)
        return COORD_EINVAL;
    void *mem;
    int r = fd ? coord__seg_create_fd(COORD__KIND_ARRAY, need, &mem)
               : coord__seg_create(name, COORD__KIND_ARRAY, need, &mem);
    if (r)
        return r;
    /* Fresh mappings are zero-filled: the elements need no memset. */
    r = setup(mem, type, length, 1);
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

int coord_array_create(coord_array **out, coord_type type, size_t length)
{
    return create(out, type, length, NULL, NULL);
}

int coord_array_create_named(coord_array **out, coord_type type,
                             size_t length, const char *name)
{
    if (!name)
        return COORD_EINVAL;
    return create(out, type, length, name, NULL);
}

int coord_array_create_fd(coord_array **out, coord_type type, size_t length,
                          int *fd)
{
    if (!fd)
        return COORD_EINVAL;
    return create(out, type, length, NULL, fd);
}

/* Map the array named `name`, or (name NULL) the one behind `fd`. */
static int open_seg(coord_array **out, const char *name, int fd)
{
    void *mem;
    size_t size;
    if (!out)
        return COORD_EINVAL;
    int r = name ? coord__seg_open(name, COORD__KIND_ARRAY, &mem, &size)
                 : coord__seg_open_fd(fd, COORD__KIND_ARRAY, &mem, &size);
    if (r)
        return r;
    struct view v;
    if (size < sizeof(struct coord_array) || view_of(mem, &v) != 0) {
        coord__seg_release(mem, false);
        return COORD_EPROTO;
    }
    *out = mem;
    return 0;
}

int coord_array_open(coord_array **out, const char *name)
{
    return name ? open_seg(out, name, -1) : COORD_EINVAL;
}

int coord_array_open_fd(coord_array **out, int fd)
{
    return open_seg(out, NULL, fd);
}

void coord_array_destroy(coord_array *a)
{
    /* The private record decides what to release (a mapping, or nothing
     * for caller memory); the shared `owned` word could be rewritten. */
    if (a)
        coord__seg_release(a, true);
}

size_t coord_array_length(const coord_array *a)
{
    struct view v;
    return a && view_of(a, &v) == 0 ? v.length : 0;
}

coord_type coord_array_type(const coord_array *a)
{
    struct view v;
    return a && view_of(a, &v) == 0 ? v.type : (coord_type)0;
}

void *coord_array_data(coord_array *a)
{
    struct view v;
    return a && view_of(a, &v) == 0 ? a->data : NULL;
}

int coord_array_get(const coord_array *a, size_t index, coord_scalar *out)
{
    struct view v;
    if (!a || !out)
        return COORD_EINVAL;
    int r = view_of(a, &v);
    if (r)
        return r;
    if (index >= v.length)
        return COORD_ERANGE;
    coord_scalar s;
    memset(&s, 0, sizeof s);
    const void *p = a->data + index * v.es;
    /* __atomic builtins on the native width: the elements are plain typed
     * storage (for zero-copy use), yet each access is one untorn load. */
    switch (v.type) {
    case COORD_I8:
        s.i = (int8_t)__atomic_load_n((const uint8_t *)p, __ATOMIC_ACQUIRE);
        break;
    case COORD_U8:
    case COORD_CHAR:
        s.u = __atomic_load_n((const uint8_t *)p, __ATOMIC_ACQUIRE);
        break;
    case COORD_BOOL:
        s.b = __atomic_load_n((const uint8_t *)p, __ATOMIC_ACQUIRE) != 0;
        break;
    case COORD_I16:
        s.i = (int16_t)__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
        break;
    case COORD_U16:
        s.u = __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
        break;
    case COORD_I32:
        s.i = (int32_t)__atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
        break;
    case COORD_U32:
        s.u = __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
        break;
    case COORD_I64:
    case COORD_U64:
    case COORD_F64:
        s.u = __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
        break;
    }
    *out = s;
    return 0;
}

int coord_array_set(coord_array *a, size_t index, coord_scalar in)
{
    struct view v;
    if (!a)
        return COORD_EINVAL;
    int r = view_of(a, &v);
    if (r)
        return r;
    if (index >= v.length)
        return COORD_ERANGE;
    coord_type t = v.type;
    void *p = a->data + index * v.es;
    in = coord__scalar_norm(t, in);
    switch (t) {
    case COORD_I8:
    case COORD_U8:
    case COORD_CHAR:
        __atomic_store_n((uint8_t *)p, (uint8_t)in.u, __ATOMIC_RELEASE);
        break;
    case COORD_BOOL:
        __atomic_store_n((uint8_t *)p, (uint8_t)in.b, __ATOMIC_RELEASE);
        break;
    case COORD_I16:
    case COORD_U16:
        __atomic_store_n((uint16_t *)p, (uint16_t)in.u, __ATOMIC_RELEASE);
        break;
    case COORD_I32:
    case COORD_U32:
        __atomic_store_n((uint32_t *)p, (uint32_t)in.u, __ATOMIC_RELEASE);
        break;
    case COORD_I64:
    case COORD_U64:
    case COORD_F64:
        __atomic_store_n((uint64_t *)p, in.u, __ATOMIC_RELEASE);
        break;
    }
    return 0;
}

int coord_array_slice(const coord_array *a, unsigned worker, unsigned workers,
                      size_t *begin, size_t *end)
{
    struct view v;
    if (!a || !begin || !end || workers == 0 || worker >= workers)
        return COORD_EINVAL;
    int r = view_of(a, &v);
    if (r)
        return r;
    size_t n = v.length, q = n / workers, rem = n % workers;
    /* The first `rem` workers take one extra element each. */
    *begin = worker * q + (worker < rem ? worker : rem);
    *end = *begin + q + (worker < rem ? 1 : 0);
    return 0;
}

int coord_array_lock(coord_array *a, int timeout_ms)
{
    struct view v;
    if (!a)
        return COORD_EINVAL;
    int r = view_of(a, &v);
    if (r)
        return r;
    return coord__mutex_lock(&a->lock, timeout_ms);
}

int coord_array_unlock(coord_array *a)
{
    if (!a)
        return COORD_EINVAL;
    return coord__mutex_unlock(&a->lock);
}
