/* SPDX-License-Identifier: MIT */
/* cpuload.c: how many tasks are runnable, and how many CPUs are online (from /proc/loadavg and sysconf) */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

/* The machine's online CPUs (at least 1): the runnable count read below
 * is the whole machine's, so it is compared with the whole machine. A
 * process confined to fewer CPUs (affinity, cpuset) may find its own
 * taken while this says no, and CPU quotas are not seen at all: the
 * spinner's slow-step backoff covers those cases. */
static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int coord__cpus_runnable(int *cpus)
{
    /* "0.52 0.58 0.59 3/211 12345": the fourth field is the number of
     * runnable tasks right now (the reader included) / all tasks. */
    char buf[128];
    *cpus = online_cpus(); /* also when the load cannot be read */
    int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = buf;
    for (int field = 0; field < 3; field++) {
        while (*p && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
    }
    char *end;
    long running = strtol(p, &end, 10);
    if (end == p || *end != '/' || running < 1)
        return -1;
    return running > INT32_MAX ? INT32_MAX : (int)running;
}
