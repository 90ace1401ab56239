/* SPDX-License-Identifier: MIT */
/* manager_spin.c: the manager's shared spinset, named after the socket file's inode. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "manager_spin.h"

static bool spin_name(const char *path, char *name, size_t cap)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return false;
    snprintf(name, cap, "mspin-%llx-%llx", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    return true;
}

static struct coord__spinset *open_named(const char *name)
{
    void *obj;
    size_t size;
    if (coord__seg_open(name, COORD__KIND_OTHER, &obj, &size) != 0)
        return NULL;
    if (size < sizeof(struct coord__spinset)) {
        coord__seg_release(obj, false);
        return NULL;
    }
    return obj;
}

struct coord__spinset *coord__mspin_serve(int lfd)
{
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    if (getsockname(lfd, (struct sockaddr *)&a, &len) != 0 ||
        a.sun_family != AF_UNIX || !a.sun_path[0])
        return NULL;
    a.sun_path[sizeof a.sun_path - 1] = '\0';
    char name[64];
    if (!spin_name(a.sun_path, name, sizeof name))
        return NULL;
    void *obj;
    int r = coord__seg_create(name, COORD__KIND_OTHER,
                              sizeof(struct coord__spinset), &obj);
    if (r == 0) {
        coord__seg_publish(obj);
        return obj;
    }
    /* Left by a server killed on an inode that is ours now: its slots
     * expire by themselves, so it serves as it is. */
    return r == COORD_EEXIST ? open_named(name) : NULL;
}

struct coord__spinset *coord__mspin_open(const char *path)
{
    char name[64];
    return spin_name(path, name, sizeof name) ? open_named(name) : NULL;
}

void coord__mspin_close(struct coord__spinset *set, bool unlink)
{
    if (set)
        coord__seg_release(set, unlink);
}
