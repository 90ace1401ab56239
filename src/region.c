/* SPDX-License-Identifier: MIT */
/* region.c: raw shared bytes in an anonymous or named segment. */
#include <stdalign.h>

#include "internal.h"

#define REGION_MAGIC 0x5245474eu  /* "REGN" */
#define REGION_BROKEN 0x42524b4eu /* "BRKN": a check failed; never valid */
#define REGION_MAX COORD__SIZE_CAP(40)

struct coord_region {
    uint32_t magic;
    uint32_t pad;
    uint64_t len;
    alignas(COORD__CACHE_LINE) unsigned char data[];
};

/* The region's length as read once from shared memory, checked against
 * this process's own record of the bytes it mapped (any process that maps
 * the region can rewrite the word). 0 when the region is broken; a
 * length beyond the mapping marks it broken for every process. */
static size_t region_len(const struct coord_region *g)
{
    struct coord_region *w = (struct coord_region *)g;
    size_t limit = coord__seg_limit(g);
    /* Relaxed: written once before publication (acquire on open). */
    uint32_t magic = __atomic_load_n(&w->magic, __ATOMIC_RELAXED);
    uint64_t len = __atomic_load_n(&w->len, __ATOMIC_RELAXED);
    if (magic != REGION_MAGIC)
        return 0;
    if (len == 0 || len > REGION_MAX || limit < sizeof *g ||
        len > limit - sizeof *g) {
        __atomic_store_n(&w->magic, REGION_BROKEN, __ATOMIC_RELAXED);
        return 0;
    }
    return (size_t)len;
}

/* A new region: named (`name`), in a memfd whose descriptor goes to *fd
 * (`fd` non-NULL), or in an anonymous mapping. */
static int create(coord_region **out, size_t size, const char *name, int *fd)
{
    if (!out || size == 0 || size > REGION_MAX)
        return COORD_EINVAL;
    void *mem;
    size_t need = sizeof(struct coord_region) + size;
    int r = fd ? coord__seg_create_fd(COORD__KIND_REGION, need, &mem)
               : coord__seg_create(name, COORD__KIND_REGION, need, &mem);
    if (r)
        return r;
    struct coord_region *g = mem;
    g->magic = REGION_MAGIC;
    g->len = size;
    int d = coord__seg_publish(mem);
    if (fd)
        *fd = d;
    *out = g;
    return 0;
}

int coord_region_create(coord_region **out, size_t size)
{
    return create(out, size, NULL, NULL);
}

int coord_region_create_named(coord_region **out, size_t size,
                              const char *name)
{
    if (!name)
        return COORD_EINVAL;
    return create(out, size, name, NULL);
}

int coord_region_create_fd(coord_region **out, size_t size, int *fd)
{
    if (!fd)
        return COORD_EINVAL;
    return create(out, size, NULL, fd);
}

/* Map the region named `name`, or (name NULL) the one behind `fd`. */
static int open_seg(coord_region **out, const char *name, int fd)
{
    void *mem;
    size_t size;
    if (!out)
        return COORD_EINVAL;
    int r = name ? coord__seg_open(name, COORD__KIND_REGION, &mem, &size)
                 : coord__seg_open_fd(fd, COORD__KIND_REGION, &mem, &size);
    if (r)
        return r;
    if (size < sizeof(struct coord_region) || region_len(mem) == 0) {
        coord__seg_release(mem, false);
        return COORD_EPROTO;
    }
    *out = mem;
    return 0;
}

int coord_region_open(coord_region **out, const char *name)
{
    return name ? open_seg(out, name, -1) : COORD_EINVAL;
}

int coord_region_open_fd(coord_region **out, int fd)
{
    return open_seg(out, NULL, fd);
}

void coord_region_destroy(coord_region *r)
{
    if (r)
        coord__seg_release(r, true);
}

void *coord_region_data(coord_region *r)
{
    return r && region_len(r) ? r->data : NULL;
}

size_t coord_region_len(const coord_region *r)
{
    return r ? region_len(r) : 0;
}
