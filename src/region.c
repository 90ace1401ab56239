/* SPDX-License-Identifier: MIT */
/* region.c: raw shared bytes in an anonymous or named segment. */
#include <stdalign.h>

#include "internal.h"

#define REGION_MAGIC 0x5245474eu /* "REGN" */
#define REGION_MAX ((size_t)1 << 40)

struct coord_region {
    uint32_t magic;
    uint32_t pad;
    uint64_t len;
    alignas(COORD__CACHE_LINE) unsigned char data[];
};

static int create(coord_region **out, size_t size, const char *name)
{
    if (!out || size == 0 || size > REGION_MAX)
        return COORD_EINVAL;
    void *mem;
    int r = coord__seg_create(name, COORD__KIND_REGION,
                              sizeof(struct coord_region) + size, &mem);
    if (r)
        return r;
    struct coord_region *g = mem;
    g->magic = REGION_MAGIC;
    g->len = size;
    coord__seg_publish(mem);
    *out = g;
    return 0;
}

int coord_region_create(coord_region **out, size_t size)
{
    return create(out, size, NULL);
}

int coord_region_create_named(coord_region **out, size_t size,
                              const char *name)
{
    if (!name)
        return COORD_EINVAL;
    return create(out, size, name);
}

int coord_region_open(coord_region **out, const char *name)
{
    void *mem;
    size_t size;
    if (!out)
        return COORD_EINVAL;
    int r = coord__seg_open(name, COORD__KIND_REGION, &mem, &size);
    if (r)
        return r;
    struct coord_region *g = mem;
    if (size < sizeof *g || g->magic != REGION_MAGIC ||
        g->len > size - sizeof *g) {
        coord__seg_release(mem, false);
        return COORD_EPROTO;
    }
    *out = g;
    return 0;
}

void coord_region_destroy(coord_region *r)
{
    if (r)
        coord__seg_release(r, true);
}

void *coord_region_data(coord_region *r)
{
    return r ? r->data : NULL;
}

size_t coord_region_len(const coord_region *r)
{
    return r ? r->len : 0;
}
