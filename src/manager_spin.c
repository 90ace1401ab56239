/* SPDX-License-Identifier: MIT */
/* manager_spin.c: the manager's shared spinset, named after the socket file's inode. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "manager_spin.h"

static void name_of(dev_t dev, ino_t ino, char *name, size_t cap)
{
    snprintf(name, cap, "mspin-%llx-%llx", (unsigned long long)dev,
             (unsigned long long)ino);
}

static bool spin_name(const char *path, char *name, size_t cap)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return false;
    name_of(st.st_dev, st.st_ino, name, cap);
    return true;
}

/* Removes the spinset name of the socket (dev, ino), if there is one and
 * it is a file of ours: a regular file of our euid, as coord__seg_open
 * would take it. The name is predictable and /dev/shm is anybody's: a
 * file another user put there (or anything but a regular file) is not a
 * spinset of ours, and root's shm_unlink by name removed it. Removed by
 * identity (coord__shm_remove_same), so a file put at the name after the
 * look is not the one removed. */
static void unlink_name(dev_t dev, ino_t ino)
{
    char name[64], file[80];
    name_of(dev, ino, name, sizeof name);
    snprintf(file, sizeof file, COORD__NAME_PREFIX "%s", name);
    int dfd = open(COORD__SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return; /* best effort, as the spinset is */
    struct stat st;
    /* ENOENT (already gone) is the usual case. */
    if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && st.st_uid == geteuid())
        coord__shm_remove_same(dfd, file, st.st_dev, st.st_ino, NULL, 0);
    close(dfd);
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

struct coord__spinset *coord__mspin_serve(dev_t dev, ino_t ino)
{
    char name[64];
    name_of(dev, ino, name, sizeof name);
    void *obj;
    int r = coord__seg_create(name, COORD__KIND_OTHER,
                              sizeof(struct coord__spinset), &obj);
    if (r == COORD_EEXIST) {
        /* Left by a server SIGKILLed on a socket whose inode number is ours
         * now. That server is gone: a live socket keeps its inode, so no
         * two live sockets share (dev, ino). Replace the file rather than
         * adopt it, so that this server's stop removes the name. */
        unlink_name(dev, ino);
        r = coord__seg_create(name, COORD__KIND_OTHER,
                              sizeof(struct coord__spinset), &obj);
    }
    if (r != 0)
        return NULL;
    coord__seg_publish(obj);
    return obj;
}

void coord__mspin_forget(dev_t dev, ino_t ino)
{
    unlink_name(dev, ino);
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
