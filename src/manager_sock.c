/* SPDX-License-Identifier: MIT */
/* manager_sock.c: the manager's socket: a private directory, a stale socket cleared, bound and listened on, removed by inode. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manager_server.h"
#include "manager_spin.h"

int coord__merrno(int e)
{
    switch (e) {
    case ENOENT:
        return COORD_ENOENT;
    case EACCES:
    case EPERM:
        return COORD_EACCES;
    case ENOTDIR:
        return COORD_ENOTDIR;
    case ENAMETOOLONG:
        return COORD_ENAMETOOLONG;
    case EEXIST:
    case EADDRINUSE:
        return COORD_EEXIST;
    case ENOMEM:
    case ENOBUFS:
        return COORD_ENOMEM;
    case EMFILE:
    case ENFILE:
        return COORD_EMFILE;
    case ECONNREFUSED:
        return COORD_ECONNREFUSED;
    case EAGAIN:
        return COORD_EAGAIN;
    default:
        return COORD_EIO;
    }
}

/* The directory we just made gets 0700 whatever the umask; removed again
 * when that fails. Through a descriptor opened without following a link,
 * and only when it is still a directory of ours: in a parent that others
 * may write (a TMPDIR or a --socket directory without the sticky bit)
 * the directory could be swapped for a link between mkdir and a chmod by
 * name, which a manager of root's then applied to the link's target.
 * Returns 0 or a COORD_E* code. */
static int chmod_made_dir(struct coord__mpath *p)
{
    int r = 0;
    bool ours = false;
    int fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        r = errno == ELOOP || errno == ENOTDIR ? COORD_EACCES
                                               : coord__merrno(errno);
    else if (fstat(fd, &st) != 0)
        r = coord__merrno(errno);
    else if (st.st_uid != geteuid())
        r = COORD_EACCES;
    else if ((ours = true, fchmod(fd, 0700) != 0))
        r = coord__merrno(errno);
    if (fd >= 0)
        close(fd);
    if (r == 0)
        return 0;
    if (ours) /* a link, or another's directory, is refused and kept */
        rmdir(p->dir);
    p->made_dir = false;
    return r;
}

/* Can every user rename entries of the directory `dir` (it is world-
 * writable without the sticky bit)? Then a directory of ours in it can be
 * swapped for a link between our checks and the bind, and the socket of a
 * manager of root's served wherever the link leads. */
static bool others_may_swap(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) &&
           !(st.st_mode & S_ISVTX);
}

/* Fill p->dir and make sure it is private (or create it). */
static int prepare_dir(struct coord__mpath *p, const char *path)
{
    if (path) {
        /* A path ending in '/' names a directory, not a socket (and its
         * dirname would be the directory above, checked instead). */
        if (!*path || path[strlen(path) - 1] == '/')
            return COORD_EINVAL;
        if (strlen(path) >= sizeof p->path)
            return COORD_ENAMETOOLONG;
        strcpy(p->path, path);
        char tmp[sizeof p->path];
        strcpy(tmp, path);
        strcpy(p->dir, dirname(tmp));
        char up[sizeof p->path];
        strcpy(up, p->dir);
        if (others_may_swap(dirname(up)))
            return COORD_EACCES;
        struct stat st;
        if (lstat(p->dir, &st) != 0) {
            if (errno != ENOENT)
                return coord__merrno(errno);
            if (mkdir(p->dir, 0700) != 0)
                return coord__merrno(errno);
            p->made_dir = true;
            /* 0700 whatever the umask (0777 made it 0000: the bind that
             * follows failed, COORD_EACCES, in a directory we made). */
            return chmod_made_dir(p);
        }
        if (!S_ISDIR(st.st_mode))
            return COORD_ENOTDIR;
        /* Somebody else's directory, or one that others can enter, would
         * let them reach (or replace) the socket. */
        if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
            return COORD_EACCES;
        return 0;
    }
    /* $TMPDIR as Python's tempfile takes it: only when it is an absolute
     * path to a directory we can make ours in, else /tmp. A TMPDIR left
     * naming a removed directory made every start without a path fail,
     * COORD_ENOENT (coord spectrum: "setup failed: no such object"), and
     * one naming a directory this user may not write (TMPDIR=/ for a
     * user, a read-only mount, /proc) failed the same way, COORD_EACCES
     * or COORD_ENOENT, where multiprocessing.Manager() works; a relative
     * one gave a socket path that no longer led to the socket once the
     * process or a client changed directory. */
    const char *t = getenv("TMPDIR");
    struct stat tst;
    /* t + "/coord-mgr-XXXXXX/manager.sock" (30 bytes) must fit a socket
     * address: a TMPDIR of up to 77 bytes (sizeof - 31) is used. */
    if (!t || t[0] != '/' || strlen(t) > sizeof p->path - 31 ||
        stat(t, &tst) != 0 || !S_ISDIR(tst.st_mode) || others_may_swap(t))
        t = "/tmp";
    snprintf(p->dir, sizeof p->dir, "%s/coord-mgr-XXXXXX", t);
    if (!mkdtemp(p->dir)) { /* mode 0700, less the umask: */
        if (strcmp(t, "/tmp") == 0)
            return coord__merrno(errno);
        snprintf(p->dir, sizeof p->dir, "/tmp/coord-mgr-XXXXXX");
        if (!mkdtemp(p->dir))
            return coord__merrno(errno);
    }
    p->made_dir = true;
    size_t dl = strlen(p->dir);
    memcpy(p->path, p->dir, dl);
    memcpy(p->path + dl, "/manager.sock", sizeof "/manager.sock");
    return chmod_made_dir(p);
}

void coord__mpath_cleanup(struct coord__mpath *p)
{
    struct stat st;
    if (p->ino && lstat(p->path, &st) == 0 && st.st_ino == p->ino &&
        st.st_dev == p->dev)
        unlink(p->path);
    /* A server that was killed left its spinset behind; one that stopped
     * cleanly removed it already (then this finds nothing). */
    if (p->ino)
        coord__mspin_forget(p->dev, p->ino);
    p->ino = 0;
    if (p->made_dir)
        rmdir(p->dir); /* fails harmlessly if the user put files there */
    p->made_dir = false;
}

/* A socket file nobody listens on is left over from a crash: reuse it. */
static int clear_stale(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : coord__merrno(errno);
    if (!S_ISSOCK(st.st_mode))
        return COORD_EEXIST;
    /* Non-blocking: a live server whose backlog is full (it is busy or
     * stopped) says EAGAIN here instead of blocking this call. */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return coord__merrno(errno);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    if (r == 0 || e == EAGAIN)
        return COORD_EEXIST; /* a live server */
    if (e != ECONNREFUSED)
        return coord__merrno(e);
    /* The server that made it was killed (SIGKILL, OOM) before its
     * cleanup: its spinset, named after this socket's inode, is left in
     * /dev/shm too. The new socket gets another inode wherever inode
     * numbers are not reused at once (tmpfs: $XDG_RUNTIME_DIR), and
     * nobody would remove that file: each crash and restart leaked one. */
    coord__mspin_forget(st.st_dev, st.st_ino);
    return unlink(path) == 0 ? 0 : coord__merrno(errno);
}

/* A socket on fd bound at `name`, mode 0600, listening; *st its file. */
static int bind_listen(int fd, const char *name, struct stat *st)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, name);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return coord__merrno(errno);
    /* The directory is already private; 0600 on the socket is the second
     * fence (a directory that a user loosens later keeps the socket shut). */
    if (chmod(name, 0600) != 0 || lstat(name, st) != 0 || listen(fd, 128) != 0) {
        int r = coord__merrno(errno);
        unlink(name);
        return r;
    }
    return 0;
}

/* The private names (listen_then_link) that servers killed between their
 * bind and their link left in the socket's directory: one whose process
 * is gone is cleared like a stale socket at the path (when nobody listens
 * on it: clear_stale). One of a live process stays: a server starting
 * now has bound it and may not listen yet (removed there, its link
 * failed). The directory is private to us (prepare_dir), so only our
 * servers name files there. Best effort: a name that cannot be looked at
 * stays. */
static void clear_stale_private(const struct coord__mpath *p)
{
    DIR *d = opendir(p->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid, end = 0;
        unsigned n;
        if (sscanf(e->d_name, ".coord-%d-%u.sock%n", &pid, &n, &end) != 2 ||
            end == 0 || e->d_name[end] != '\0' || pid <= 0 ||
            kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        char full[sizeof p->path];
        int len = snprintf(full, sizeof full, "%s/%s", p->dir, e->d_name);
        if (len > 0 && (size_t)len < sizeof full)
            (void)clear_stale(full);
    }
    closedir(d);
}

/* The socket is bound and listened on under a name of its own beside
 * path, and its file is then linked at path (which fails if anything is
 * there): a socket appears at path only once it listens and its inode is
 * known. Bound at path itself, another server starting at the same path
 * found it not yet listening, took it for a crashed server's and removed
 * it (both starts returned 0, one server unreachable), and a file put at
 * path between the bind and the lstat was taken for this server's own (its
 * stop removed another server's live socket). Returns 1 when the private
 * name does not fit a socket address or the file system cannot link a
 * socket (then the caller binds at path itself). */
static int listen_then_link(int fd, const char *path, struct stat *st)
{
    static unsigned seq;
    char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path) + 1 : 0;
    int n = snprintf(tmp, sizeof tmp, "%.*s.coord-%d-%u.sock", dl, path,
                     (int)getpid(),
                     __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
    if (n < 0 || (size_t)n >= sizeof tmp)
        return 1;
    int r = bind_listen(fd, tmp, st);
    if (r)
        return r;
    for (int tries = 0;; tries++) {
        if (link(tmp, path) == 0) {
            unlink(tmp);
            return 0;
        }
        int e = errno;
        if (e != EEXIST || tries == 3) {
            unlink(tmp);
            if (e == EPERM || e == EOPNOTSUPP || e == EXDEV || e == EMLINK)
                return 2; /* fd is bound: the caller needs a new socket */
            return coord__merrno(e);
        }
        /* Something came at path since clear_stale: a live server's
         * socket (EEXIST), or a crashed one's (removed; link again). */
        if ((r = clear_stale(path))) {
            unlink(tmp);
            return r;
        }
    }
}

int coord__mpath_listen(struct coord__mpath *p, const char *path,
                        int *fd_out)
{
    memset(p, 0, sizeof *p);
    int r = prepare_dir(p, path);
    if (r)
        return r;
    if ((r = clear_stale(p->path))) {
        coord__mpath_cleanup(p);
        return r;
    }
    if (!p->made_dir)
        clear_stale_private(p);
    struct stat st;
    int fd = -1;
    for (int direct = 0; direct < 2; direct++) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            r = coord__merrno(errno);
            coord__mpath_cleanup(p);
            return r;
        }
        r = direct ? bind_listen(fd, p->path, &st)
                   : listen_then_link(fd, p->path, &st);
        if (r <= 0)
            break;
        close(fd); /* no private name: bind at the path itself */
    }
    if (r) {
        close(fd);
        coord__mpath_cleanup(p);
        return r;
    }
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    *fd_out = fd;
    return 0;
}
