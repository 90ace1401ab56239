/* SPDX-License-Identifier: MIT */
/* gc.c: classify /dev/shm/coord.* files by their creator's liveness. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define SHM_DIR "/dev/shm"

static const char *kind_name(uint32_t k)
{
    switch (k) {
    case COORD__KIND_FLAG:
        return "flag";
    case COORD__KIND_VALUE:
        return "value";
    case COORD__KIND_ARRAY:
        return "array";
    case COORD__KIND_REGION:
        return "region";
    case COORD__KIND_QUEUE:
        return "queue";
    case COORD__KIND_POOL:
        return "pool";
    case COORD__KIND_SEARCH:
        return "search";
    default:
        return "other";
    }
}

/* Read the header of one file without mapping it (a pread cannot fault). */
static void classify(int dfd, const char *file, coord_gc_entry *e)
{
    e->state = COORD_GC_FOREIGN;
    e->kind = "unknown";
    int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    struct stat st;
    coord__seg_hdr h;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    e->size = (uint64_t)st.st_size;
    if (st.st_uid != geteuid() && geteuid() != 0) {
        close(fd);
        return; /* another user's file: not ours to judge */
    }
    if (st.st_size == 0) {
        e->state = COORD_GC_BUSY; /* between shm_open and ftruncate */
        close(fd);
        return;
    }
    ssize_t n = pread(fd, &h, sizeof h, 0);
    close(fd);
    if (n != (ssize_t)sizeof h)
        return;
    uint64_t magic = atomic_load_explicit(&h.magic, memory_order_relaxed);
    if (magic != COORD__SEG_MAGIC && magic != 0)
        return;
    if (h.creator_pid <= 0) {
        e->state = magic == 0 ? COORD_GC_BUSY : COORD_GC_FOREIGN;
        return;
    }
    e->creator_pid = h.creator_pid;
    e->kind = kind_name(h.kind);
    h.name[sizeof h.name - 1] = '\0';
    /* A creator that died before publishing the magic can never publish
     * it, so an unpublished file of a dead creator is garbage too. */
    e->state = coord__proc_alive(h.creator_pid, h.creator_start)
                   ? (magic == 0 ? COORD_GC_BUSY : COORD_GC_LIVE)
                   : COORD_GC_DEAD;
}

int coord_gc(bool remove, coord_gc_fn fn, void *arg)
{
    return coord_gc_prefix(NULL, remove, fn, arg);
}

int coord_gc_prefix(const char *prefix, bool remove, coord_gc_fn fn,
                    void *arg)
{
    size_t want = prefix ? strlen(prefix) : 0;
    DIR *d = opendir(SHM_DIR);
    if (!d)
        return -errno;
    int dead = 0, stop = 0;
    size_t plen = strlen(COORD__NAME_PREFIX);
    struct dirent *de;
    while (!stop && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, COORD__NAME_PREFIX, plen) != 0 ||
            strncmp(de->d_name + plen, prefix ? prefix : "", want) != 0)
            continue;
        coord_gc_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.name, sizeof e.name, "%s", de->d_name + plen);
        classify(dirfd(d), de->d_name, &e);
        if (e.state == COORD_GC_DEAD) {
            dead++;
            if (remove) {
                char path[300];
                snprintf(path, sizeof path, "/%s", de->d_name);
                e.removed = shm_unlink(path) == 0;
            }
        }
        if (fn)
            stop = fn(&e, arg);
    }
    closedir(d);
    return stop ? stop : dead;
}
