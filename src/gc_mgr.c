/* SPDX-License-Identifier: MIT */
/* gc_mgr.c: gc's look at manager socket directories ($TMPDIR and /tmp coord-mgr-XXXXXX) left by killed servers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "manager_spin.h"

const char *coord__gc_mgr_tmp = "/tmp";

#define MGR_PREFIX "coord-mgr-"
#define MGR_SOCK "manager.sock"

/* Exactly "coord-mgr-" and the six letters or digits mkdtemp puts for its
 * XXXXXX (glibc: [A-Za-z0-9]; musl: letters). */
static bool mgr_dir_name(const char *n)
{
    size_t pl = strlen(MGR_PREFIX);
    if (strncmp(n, MGR_PREFIX, pl) != 0)
        return false;
    for (size_t i = pl; i < pl + 6; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return false;
    }
    return n[pl + 6] == '\0';
}

/* 1 to 10 digits at *p, no sign, no leading space; advances *p. */
static bool digits(const char **p, long long *v)
{
    const char *s = *p;
    long long x = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9' && n < 10) {
        x = x * 10 + (*s++ - '0');
        n++;
    }
    if (n == 0 || (*s >= '0' && *s <= '9'))
        return false;
    *p = s;
    *v = x;
    return true;
}

/* What the manager names in its directory: its socket "manager.sock"
 * (*pid 0), or the private name ".coord-<pid>-<n>.sock" a start binds
 * before it links the socket at manager.sock (*pid its pid). False for
 * anything else. */
static bool mgr_sock_name(const char *n, pid_t *pid)
{
    *pid = 0;
    if (strcmp(n, MGR_SOCK) == 0)
        return true;
    const char *p = n;
    long long a, b;
    if (strncmp(p, ".coord-", 7) != 0)
        return false;
    p += 7;
    if (!digits(&p, &a) || *p++ != '-' || !digits(&p, &b) ||
        strcmp(p, ".sock") != 0 || a <= 0 || a > 0x7fffffff ||
        b > 0xffffffffLL)
        return false;
    *pid = (pid_t)a;
    return true;
}

/* Does anybody listen on socket `name` in the directory open as dfd? The
 * address goes through /proc/self/fd/<dfd> (the directory judged, not
 * whatever its name leads to by now), or the full path where /proc is
 * missing. 1: it accepts (or its backlog is full: EAGAIN), 0: refused
 * (nobody listens), -1: gone meanwhile, -2: cannot tell. A live server
 * accepts the connection and sees it close before any byte: a client gone
 * before its HELLO, dropped without a word or a count but `accepted`
 * (`refused_full` at max_clients), as the connect of a start's
 * clear_stale. */
static int listens(int dfd, const char *full_dir, const char *name)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int n = snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s",
                     dfd, name);
    struct stat pst;
    if (stat("/proc/self/fd", &pst) != 0)
        n = snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", full_dir, name);
    if (n < 0 || (size_t)n >= sizeof a.sun_path)
        return -2;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -2;
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    if (r == 0 || e == EAGAIN || e == EINPROGRESS)
        return 1;
    if (e == ECONNREFUSED)
        return 0;
    return e == ENOENT ? -1 : -2;
}


/* One socket of a manager directory:
 * - accepted: LIVE;
 * - manager.sock refused: DEAD once its last change (its bind) is older
 *   than the grace period; younger, BUSY (a start that binds at the path
 *   itself, where the private name would not fit a socket address, is
 *   bound and not yet listening for a moment);
 * - a private name refused: BUSY while its pid runs (it binds and then
 *   listens); once that pid is gone here, DEAD when the name is older than
 *   the grace period (that start died between its bind and its link),
 *   BUSY before: the pid may be another pid namespace's (a container
 *   sharing /tmp) whose start holds the name for a moment;
 * - gone meanwhile: BUSY (its server is removing it); cannot tell:
 *   UNKNOWN. */
static coord_gc_state judge_sock(int dfd, const char *full_dir,
                                 const char *name, pid_t pid,
                                 const struct stat *st, uint64_t grace_ns)
{
    int l = listens(dfd, full_dir, name);
    if (l == 1)
        return COORD_GC_LIVE;
    if (l == -1)
        return COORD_GC_BUSY;
    if (l < 0)
        return COORD_GC_UNKNOWN;
    if (pid > 0 && !(kill(pid, 0) != 0 && errno == ESRCH))
        return COORD_GC_BUSY;
    coord_gc_state s = coord__gc_by_age(st, grace_ns);
    return s == COORD_GC_ABANDONED ? COORD_GC_DEAD : s;
}

/* The worse of two verdicts on parts of one directory: any LIVE part
 * keeps it LIVE, then UNKNOWN, then BUSY; DEAD only when all are. */
static coord_gc_state worse(coord_gc_state a, coord_gc_state b)
{
    static const coord_gc_state order[] = {COORD_GC_LIVE, COORD_GC_UNKNOWN,
                                           COORD_GC_BUSY, COORD_GC_DEAD};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (a == order[i] || b == order[i])
            return order[i];
    return a;
}

/* Walk the directory open as dfd. judge (remove false): its verdict, from
 * its sockets, FOREIGN for anything else in it; -1 state when empty. With
 * remove: each socket is judged again right before unlinkat (relative to
 * dfd), and the walk stops at the first that is not DEAD any more (or not
 * a socket of ours): false. */
static bool walk(int dfd, const char *full_dir, uint64_t grace_ns,
                 bool remove, coord_gc_state *verdict, pid_t *some_pid,
                 int *nsock)
{
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        *verdict = COORD_GC_UNKNOWN;
        return false;
    }
    rewinddir(d);
    bool ok = true;
    *nsock = 0;
    coord_gc_state v = COORD_GC_DEAD;
    struct dirent *de;
    while (ok && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        pid_t pid;
        struct stat st;
        bool named = mgr_sock_name(n, &pid);
        int r = named ? fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) : -1;
        if (named && r != 0 && errno == ENOENT)
            continue; /* removed since readdir (its server stopping) */
        if (r != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
            /* Not what a manager leaves: kept, whatever else is there. */
            v = COORD_GC_FOREIGN;
            ok = false;
            break;
        }
        (*nsock)++;
        if (pid > 0 && !*some_pid)
            *some_pid = pid;
        coord_gc_state s = judge_sock(dfd, full_dir, n, pid, &st, grace_ns);
        v = worse(v, s);
        if (remove) {
            if (s != COORD_GC_DEAD)
                ok = false;
            else if (unlinkat(dfd, n, 0) != 0 && errno != ENOENT)
                ok = false;
            else /* its dead server's spinset too (a file of ours only) */
                coord__mspin_forget(st.st_dev, st.st_ino);
        } else if (v == COORD_GC_LIVE) {
            break;
        }
    }
    closedir(d);
    *verdict = v;
    return ok;
}

/* Remove the DEAD or ABANDONED directory `name` (open as dfd, whose
 * identity is *dst) from the parent open as pfd. */
static coord_gc_outcome remove_dir(int pfd, int dfd, const char *name,
                                   const char *full, const struct stat *dst,
                                   uint64_t grace_ns)
{
    coord_gc_state v;
    pid_t pid = 0;
    int nsock;
    if (!walk(dfd, full, grace_ns, true, &v, &pid, &nsock))
        return COORD_GC_RECREATED; /* something came or came alive: kept */
    struct stat now;
    if (fstatat(pfd, name, &now, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? COORD_GC_GONE : COORD_GC_FAILED;
    if (now.st_dev != dst->st_dev || now.st_ino != dst->st_ino)
        return COORD_GC_GONE; /* the judged one left the name */
    if (unlinkat(pfd, name, AT_REMOVEDIR) == 0)
        return COORD_GC_REMOVED;
    if (errno == ENOENT)
        return COORD_GC_GONE;
    return errno == ENOTEMPTY || errno == EEXIST ? COORD_GC_RECREATED
                                                 : COORD_GC_FAILED;
}

/* Judge one entry `name` of the parent directory `parent` (open as pfd);
 * false when it is no manager directory's name. */
static bool judge_dir(int pfd, const char *parent, const char *name,
                      uint64_t grace_ns, bool remove, coord_gc_entry *e)
{
    if (!mgr_dir_name(name))
        return false;
    int n = snprintf(e->name, sizeof e->name, "%s/%s", parent, name);
    if (n < 0 || (size_t)n >= sizeof e->name) /* a long TMPDIR: the name */
        snprintf(e->name, sizeof e->name, "%s", name);
    e->kind = "manager-dir";
    e->state = COORD_GC_FOREIGN;
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return false; /* gone since readdir */
    if (!S_ISDIR(st.st_mode))
        return true; /* a link (never followed) or a file: FOREIGN, kept */
    if (st.st_uid != geteuid()) {
        e->state = COORD_GC_OTHER_USER;
        return true;
    }
    if ((st.st_mode & 07777) != 0700)
        return true;
    int dfd = openat(pfd, name,
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat ost;
    if (dfd < 0)
        return true;
    if (fstat(dfd, &ost) != 0 || ost.st_dev != st.st_dev ||
        ost.st_ino != st.st_ino) {
        close(dfd); /* replaced between the look and the open */
        return true;
    }
    coord_gc_state v;
    pid_t pid = 0;
    int nsock = 0;
    walk(dfd, e->name, grace_ns, false, &v, &pid, &nsock);
    /* No socket: made and not bound yet (a start between mkdtemp and its
     * bind), or its start was killed there: by its age, as a segment
     * without a header. Only when the walk read it (DEAD, its verdict on
     * nothing): a walk that could not open it (EMFILE) saw no socket but
     * is no proof of none, UNKNOWN (a live server's was "abandoned"). */
    if (v == COORD_GC_DEAD && nsock == 0)
        v = coord__gc_by_age(&ost, grace_ns);
    e->state = v;
    e->creator_pid = pid;
    if (remove && (v == COORD_GC_DEAD || v == COORD_GC_ABANDONED))
        e->outcome = remove_dir(pfd, dfd, name, e->name, &ost, grace_ns);
    close(dfd);
    return true;
}

/* The parents a manager makes its directory in: $TMPDIR by the rule of
 * manager_sock.c's prepare_dir (absolute, at most 77 bytes, a directory,
 * not writable by all without the sticky bit), and /tmp; once when both
 * are the same directory. */
static int parents(const char *out[2])
{
    int n = 0;
    const char *t = getenv("TMPDIR");
    struct stat tst, st;
    if (t && t[0] == '/' && strlen(t) <= 77 && stat(t, &tst) == 0 &&
        S_ISDIR(tst.st_mode) &&
        !((tst.st_mode & S_IWOTH) && !(tst.st_mode & S_ISVTX)))
        out[n++] = t;
    const char *tmp = coord__gc_mgr_tmp;
    if (!n || stat(tmp, &st) != 0 || st.st_dev != tst.st_dev ||
        st.st_ino != tst.st_ino)
        out[n++] = tmp;
    return n;
}

int coord__gc_mgr_dirs(uint64_t grace_ns, bool remove, coord_gc_fn fn,
                       void *arg, int *removable)
{
    const char *dirs[2];
    int nd = parents(dirs), stop = 0;
    for (int i = 0; i < nd && !stop; i++) {
        int pfd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = pfd >= 0 ? fdopendir(pfd) : NULL;
        if (!d) {
            if (pfd >= 0)
                close(pfd);
            continue; /* no such parent: nothing of ours there */
        }
        struct dirent *de;
        while (!stop && (de = readdir(d)) != NULL) {
            coord_gc_entry e;
            memset(&e, 0, sizeof e);
            if (!judge_dir(dirfd(d), dirs[i], de->d_name, grace_ns, remove,
                           &e))
                continue;
            if (e.state == COORD_GC_DEAD || e.state == COORD_GC_ABANDONED)
                (*removable)++;
            e.removed = e.outcome == COORD_GC_REMOVED;
            if (fn)
                stop = fn(&e, arg);
        }
        closedir(d);
    }
    return stop;
}
