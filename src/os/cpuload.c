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

int coord__cpus_usable(void)
{
    return affinity_cpus();
}

/*
 * A CPU quota (cgroup cpu.max, v1's cfs_quota_us: Docker's --cpus, a
 * Kubernetes CPU limit) bounds the CPU time a container gets per period
 * whatever its affinity. It caps the manager's member slots (wait.h, 2.
 * and 5.), not the load gate: on a 64-CPU host under 2 CPUs of quota, 16
 * clients could otherwise spin on 63 slots beside the server, burn the
 * period's quota in a few ms and leave the cgroup throttled for the rest
 * of it, where one spinning member and the server fit it and the rest
 * take turns. Never below 2 (the server and one member): spinning through
 * the throttling still beat sleeping at once here, 0.94-1.09 M gets/s
 * against 15-278k under 1 CPU of quota and 97-257k against 35-100k under
 * 0.25 (mgrlat --clients 1,4,16 under scripts/quota-demo.sh on 2 CPUs;
 * docs/results.md "Session 11"), because a wake-up costs tens of µs on a
 * VM. The gate keeps the affinity: it asks whether a CPU is free, and
 * the host's runnable count (a container's /proc/loadavg is its host's)
 * measured against a quota's few CPUs would close it on any busy host.
 */
int coord__cpus_spin_cap(int cpus, const struct coord__cpuquota *q)
{
    if (cpus <= 2 || !q)
        return cpus;
    uint64_t f = q->floor < 2 ? 2 : q->floor;
    return f < (uint64_t)cpus ? (int)f : cpus;
}

int coord__cpus_slots(int cpus)
{
    struct coord__cpuquota q;
    if (cpus <= 2 || coord__cpuquota_self(&q) != COORD__QUOTA_SET)
        return cpus;
    return coord__cpus_spin_cap(cpus, &q);
}

/* Default worker counts round the quota up: under 1.5 CPUs of quota two
 * workers use it all, where one would leave half a CPU unused; the
 * throttling that costs a spinner its CPU only delays a worker's task. */
uint32_t coord__cpus_workers(uint32_t max)
{
    uint64_t n = (uint64_t)affinity_cpus(); /* at least 1 */
    struct coord__cpuquota q;
    if (n > 1 && coord__cpuquota_self(&q) == COORD__QUOTA_SET)
        n = q.ceil < 1 ? 1 : q.ceil < n ? q.ceil : n;
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
