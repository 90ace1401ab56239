/* SPDX-License-Identifier: MIT */
/* proc.c: process identity (pid plus start time) for liveness checks. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

uint64_t coord__proc_start_time(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: skip to
     * the last ')' and count fields from there. Field 3 (state) follows;
     * starttime is field 22. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    if (p[1] == ' ' && p[2] == 'Z')
        return 0; /* a zombie has finished running */
    int field = 2;
    for (; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    return strtoull(p, NULL, 10);
}

bool coord__proc_alive(pid_t pid, uint64_t start)
{
    if (pid <= 0)
        return false;
    uint64_t now = coord__proc_start_time(pid);
    if (now == 0)
        return false;
    /* A pid can be reused: the same pid with another start time is another
     * process, and the original one is gone. */
    return start == 0 || now == start;
}
