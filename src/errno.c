/* SPDX-License-Identifier: MIT */
/* errno.c: names and descriptions of the error codes, from COORD_ERRNO_MAP. */
#include "internal.h"

const char *coord_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case COORD_PILL:
        return "poison pill received";
    case COORD_RECOVERED:
        return "lock recovered from a dead holder";
#define COORD__ERRNO_TEXT(name, value, text)                                   \
    case (value):                                                              \
        return text;
        COORD_ERRNO_MAP(COORD__ERRNO_TEXT)
#undef COORD__ERRNO_TEXT
    default:
        return "unknown error";
    }
}

const char *coord_err_name(int err)
{
    switch (err) {
    case 0:
        return "COORD_OK";
    case COORD_PILL:
        return "COORD_PILL";
    case COORD_RECOVERED:
        return "COORD_RECOVERED";
#define COORD__ERRNO_NAME(name, value, text)                                   \
    case (value):                                                              \
        return "COORD_" #name;
        COORD_ERRNO_MAP(COORD__ERRNO_NAME)
#undef COORD__ERRNO_NAME
    default:
        return "COORD_EUNKNOWN";
    }
}
