/* SPDX-License-Identifier: MIT */
/* proc.c: process identity (pid, start time, pid namespace) and provable death. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

_Atomic uint32_t coord__pid_cache;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void pid_forget(void)
{
    atomic_store_explicit(&coord__pid_cache, 0, memory_order_relaxed);
}

static void pid_register(void)
{
    pthread_atfork(NULL, NULL, pid_forget);
}

uint32_t coord__self_pid_slow(void)
{
    pthread_once(&pid_once, pid_register);
    uint32_t p = (uint32_t)getpid();
    atomic_store_explicit(&coord__pid_cache, p, memory_order_relaxed);
    return p;
}

/* What /proc/PID/stat says about one process. */
struct proc_stat {
    char state;           /* field 3: R, S, D, Z, X, ... */
    long threads;         /* field 20 */
    uint64_t start;       /* field 22: clock ticks since boot */
};

/* Read /proc/PID/stat. Returns 0, or -1 when it cannot be read or parsed
 * (no such process in this /proc, /proc unmounted, hidepid, ...). */
static int read_stat(pid_t pid, struct proc_stat *ps)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: skip to
     * the last ')' and count fields from there. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || p[2] == '\0')
        return -1;
    ps->state = p[2];
    ps->threads = 0;
    ps->start = 0;
    int field = 2;
    for (p++; *p && field < 22; p++) {
        if (*p != ' ')
            continue;
        field++;
        if (field == 20)
            ps->threads = strtol(p + 1, NULL, 10);
    }
    if (field != 22)
        return -1;
    ps->start = strtoull(p, NULL, 10);
    return 0;
}

/* Does this /proc show the pid namespace we live in? A /proc mounted by
 * another namespace (unshare --pid without --mount-proc) names other
 * processes with our pid numbers: its start times would belong to
 * strangers. /proc/self resolves to our pid as that /proc counts it. */
static bool proc_view_ours(void)
{
    char buf[32];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return strtol(buf, NULL, 10) == (long)getpid();
}

uint64_t coord__proc_start_time(pid_t pid)
{
    struct proc_stat ps;
    if (!proc_view_ours() || read_stat(pid, &ps) != 0)
        return 0;
    return ps.start;
}

int coord__pidns_id(uint64_t *dev, uint64_t *ino)
{
    struct stat st;
    if (stat("/proc/self/ns/pid", &st) != 0)
        return COORD_ENOENT;
    *dev = (uint64_t)st.st_dev;
    *ino = (uint64_t)st.st_ino;
    /* Both zero is how a header says "not recorded": never a real id. */
    return *dev == 0 && *ino == 0 ? COORD_ENOENT : 0;
}

/* Do we and `pid` see boot time alike? /proc/PID/stat's start time is
 * shifted by the *reader's* time namespace (its boottime offset), so a
 * creator in another time namespace than its reader recorded a start time
 * the reader never sees, alive or not (gc judged such a live creator gone
 * and removed its file). No time namespaces (a kernel before 5.6): alike.
 * Unreadable: not alike (the caller then cannot tell). */
static bool same_time_ns(pid_t pid)
{
    struct stat self, other;
    char path[64];
    if (stat("/proc/self/ns/time", &self) != 0)
        return errno == ENOENT;
    snprintf(path, sizeof path, "/proc/%d/ns/time", (int)pid);
    return stat(path, &other) == 0 && other.st_dev == self.st_dev &&
           other.st_ino == self.st_ino;
}

int coord__proc_fate(pid_t pid, uint64_t start)
{
    if (pid <= 0)
        return COORD__PROC_UNKNOWN;
    /* ESRCH is the kernel's own word that no process (not even a zombie)
     * has this pid in our namespace: the only proof that needs no /proc.
     * EPERM means it exists (another user's process). */
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return COORD__PROC_GONE;
    struct proc_stat ps;
    if (!proc_view_ours() || read_stat(pid, &ps) != 0)
        return COORD__PROC_UNKNOWN;
    /* A pid can be reused: the same pid with another start time is another
     * process, and the original one is gone. (No start recorded: it cannot
     * be told apart, so the pid's owner counts as the creator.) */
    if (start != 0 && ps.start != start)
        return same_time_ns(pid) ? COORD__PROC_GONE : COORD__PROC_UNKNOWN;
    /* A zombie has finished running, unless only its main thread ended and
     * other threads still run (the leader then shows Z with threads > 1). */
    if ((ps.state == 'Z' || ps.state == 'X') && ps.threads <= 1)
        return COORD__PROC_GONE;
    return COORD__PROC_ALIVE;
}
