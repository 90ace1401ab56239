/* SPDX-License-Identifier: MIT */
/* cpuload.c: how many tasks are runnable, and how many CPUs this thread may use (from /proc/loadavg, sysconf, its affinity and its cgroup's CPU quota) */
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

/* The machine's online CPUs (at least 1). */
static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The CPUs this thread may run on: its affinity mask (which `taskset`, a
 * container's cpuset or the caller narrows), at most the online ones; the
 * online count when the mask cannot be read (a machine with more CPUs than
 * a cpu_set_t holds). Counting the whole machine instead let a manager
 * and its client pinned to one CPU both spin there, taking turns through
 * their yields, which the backoff never saw as a lost CPU: 36k gets/s,
 * against 106k sleeping at once (mgrlat under `taskset -c 0`,
 * docs/results.md "Spinning on CPUs we may not use"). The runnable count
 * stays the whole machine's, so load on CPUs we may not use counts too:
 * that errs towards sleeping. */
static int affinity_cpus(void)
{
    int online = online_cpus();
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return online;
    int n = CPU_COUNT(&set);
    return n < 1 ? online : n < online ? n : online;
}

/* The affinity's CPUs, at most `quota` (0: under one CPU, counted as 1). */
static uint64_t at_most(uint64_t cpus, uint64_t quota)
{
    return quota < 1 ? 1 : quota < cpus ? quota : cpus;
}

/* A CPU quota (cgroup cpu.max, v1's cfs_quota_us: Docker's --cpus, a
 * Kubernetes CPU limit) also bounds what we may use, whatever the
 * affinity: a container on a big host may run on all its CPUs but for 2
 * CPUs' worth of each period, and spinners on more than that burn the
 * period's quota early and leave the whole cgroup throttled for the rest
 * of it (tens of ms), which the backoff sees only afterwards. The wait
 * policy counts the whole CPUs of the quota (rounded down, at least 1):
 * 1.5 CPUs run one spinner continuously, two would be throttled. Nothing
 * is read when the affinity allows one CPU already. */
int coord__cpus_usable(void)
{
    int n = affinity_cpus();
    struct coord__cpuquota q;
    if (n > 1 && coord__cpuquota_self(&q) == COORD__QUOTA_SET)
        n = (int)at_most((uint64_t)n, q.floor);
    return n;
}

/* Default worker counts round the quota up: under 1.5 CPUs of quota two
 * workers use it all, where one would leave half a CPU unused; the
 * throttling that costs a spinner its CPU only delays a worker's task. */
uint32_t coord__cpus_workers(uint32_t max)
{
    uint64_t n = (uint64_t)affinity_cpus(); /* at least 1 */
    struct coord__cpuquota q;
    if (n > 1 && coord__cpuquota_self(&q) == COORD__QUOTA_SET)
        n = at_most(n, q.ceil);
    return n < max ? (uint32_t)n : max;
}

int coord__cpus_load(void)
{
    /* "0.52 0.58 0.59 3/211 12345": the fourth field is the number of
     * runnable tasks right now (the reader included) / all tasks. */
    char buf[128];
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
