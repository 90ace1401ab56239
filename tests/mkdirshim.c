/* SPDX-License-Identifier: MIT */
/* mkdirshim.c: LD_PRELOAD'ed by test-manager into a helper of its own: a
 * mkdir that succeeds is at once undone by "another user": the new
 * directory is renamed aside and a symbolic link to
 * $COORD_TEST_MKDIR_SWAP put in its place (the race a parent that others
 * may write allows between a mkdir and a chmod by name). Without that
 * variable, mkdir passes through. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int mkdir(const char *path, mode_t mode)
{
    int (*real)(const char *, mode_t) =
        (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int r = real(path, mode);
    const char *to = getenv("COORD_TEST_MKDIR_SWAP");
    if (r == 0 && to) {
        char aside[4096];
        snprintf(aside, sizeof aside, "%s.aside", path);
        if (rename(path, aside) != 0 || symlink(to, path) != 0)
            abort(); /* the test cannot stage its race */
    }
    return r;
}
