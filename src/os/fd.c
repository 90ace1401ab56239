/* SPDX-License-Identifier: MIT */
/* fd.c: descriptors coord keeps beyond a call stay off 0, 1 and 2. */
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

int coord__fd_above_stdio(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
        return fd;
    close(fd);
    return moved;
}
