/* SPDX-License-Identifier: MIT */
/* scalar.c: the coord_type table and wrapping arithmetic on coord_scalar. */
#include <string.h>

#include "internal.h"

bool coord__type_valid(coord_type type)
{
    return type >= COORD_I8 && type <= COORD__TYPE_LAST;
}

size_t coord_type_size(coord_type type)
{
    switch (type) {
    case COORD_I8:
    case COORD_U8:
    case COORD_BOOL:
    case COORD_CHAR:
        return 1;
    case COORD_I16:
    case COORD_U16:
        return 2;
    case COORD_I32:
    case COORD_U32:
        return 4;
    case COORD_I64:
    case COORD_U64:
    case COORD_F64:
        return 8;
    }
    return 0;
}

const char *coord_type_name(coord_type type)
{
    static const char *const names[] = {NULL,  "i8",  "u8",  "i16",
                                        "u16", "i32", "u32", "i64",
                                        "u64", "f64", "bool", "char"};
    return coord__type_valid(type) ? names[type] : NULL;
}

/* The bool member of `v` as a byte: a scalar filled through another member
 * (an integer stored in a value whose type is now bool) may hold any byte
 * there, and loading that as _Bool is undefined. .b is the union's first
 * byte whatever the byte order. */
static bool bool_of(coord_scalar v)
{
    unsigned char c;
    memcpy(&c, &v, 1);
    return c != 0;
}

coord_scalar coord__scalar_norm(coord_type type, coord_scalar v)
{
    coord_scalar r;
    memset(&r, 0, sizeof r);
    switch (type) {
    case COORD_I8:
        r.i = (int8_t)(uint8_t)v.u; /* two's complement wrap */
        break;
    case COORD_U8:
    case COORD_CHAR:
        r.u = (uint8_t)v.u;
        break;
    case COORD_I16:
        r.i = (int16_t)(uint16_t)v.u;
        break;
    case COORD_U16:
        r.u = (uint16_t)v.u;
        break;
    case COORD_I32:
        r.i = (int32_t)(uint32_t)v.u;
        break;
    case COORD_U32:
        r.u = (uint32_t)v.u;
        break;
    case COORD_I64:
        r.i = v.i;
        break;
    case COORD_U64:
        r.u = v.u;
        break;
    case COORD_F64:
        r.f = v.f;
        break;
    case COORD_BOOL:
        r.b = bool_of(v);
        break;
    }
    return r;
}

coord_scalar coord__scalar_add(coord_type type, coord_scalar v, coord_scalar d)
{
    coord_scalar r;
    memset(&r, 0, sizeof r);
    switch (type) {
    case COORD_F64:
        r.f = v.f + d.f;
        return r;
    case COORD_BOOL:
        r.b = bool_of(v) != bool_of(d); /* addition modulo 2 */
        return r;
    default:
        /* Unsigned addition wraps without undefined behaviour; norm then
         * narrows to the type. Signed types share the bits. */
        r.u = v.u + d.u;
        return coord__scalar_norm(type, r);
    }
}

bool coord__scalar_eq(coord_type type, coord_scalar a, coord_scalar b)
{
    a = coord__scalar_norm(type, a);
    b = coord__scalar_norm(type, b);
    switch (type) {
    case COORD_F64:
        return a.f == b.f;
    case COORD_BOOL:
        return a.b == b.b;
    default:
        return a.u == b.u;
    }
}
