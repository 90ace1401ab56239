/* SPDX-License-Identifier: MIT */
/* version.c: the linked library's version. */
#include "internal.h"

#define COORD__STR2(x) #x
#define COORD__STR(x) COORD__STR2(x)

unsigned coord_version(void)
{
    return COORD_VERSION_HEX;
}

const char *coord_version_string(void)
{
    return COORD__STR(COORD_VERSION_MAJOR) "." COORD__STR(
        COORD_VERSION_MINOR) "." COORD__STR(COORD_VERSION_PATCH);
}
