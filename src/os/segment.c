/* SPDX-License-Identifier: MIT */
/* segment.c: anonymous and named shared mappings with a validated header. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int coord__name_check(const char *name)
{
    if (!name)
        return COORD_EINVAL;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok || n >= COORD__NAME_MAX)
            return COORD_EINVAL;
    }
    /* "." and ".." alone would be odd file names; refuse a leading dot. */
    if (n == 0 || name[0] == '.')
        return COORD_EINVAL;
    return 0;
}

void coord__name_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "/%s%s", COORD__NAME_PREFIX, name);
}

coord__seg_hdr *coord__seg_of(void *obj)
{
    return (coord__seg_hdr *)((char *)obj - COORD__SEG_HDR);
}

static size_t seg_total(size_t obj_size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t total = COORD__SEG_HDR + obj_size;
    return (total + page - 1) / page * page;
}

int coord__seg_create(const char *name, uint32_t kind, size_t obj_size,
                      void **obj_out)
{
    if (!obj_out || obj_size == 0 || obj_size > ((size_t)1 << 46))
        return COORD_EINVAL;
    size_t total = seg_total(obj_size);
    void *base;
    int fd = -1;
    char path[COORD__SEG_HDR + 16];
    if (name) {
        int r = coord__name_check(name);
        if (r)
            return r;
        coord__name_path(path, sizeof path, name);
        /* O_EXCL: never adopt somebody else's file; 0600: only our user. */
        fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return -errno;
        if (ftruncate(fd, (off_t)total) != 0) {
            int e = errno;
            close(fd);
            shm_unlink(path);
            return e == EFBIG || e == EINVAL ? COORD_ENOMEM : -e;
        }
        base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        int e = errno;
        close(fd);
        if (base == MAP_FAILED) {
            shm_unlink(path);
            return -e;
        }
    } else {
        base = mmap(NULL, total, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED)
            return COORD_ENOMEM;
    }
    coord__seg_hdr *h = base;
    h->abi = COORD_ABI_VERSION;
    h->kind = kind;
    h->size = total;
    h->creator_pid = (int32_t)getpid();
    h->named = name != NULL;
    h->creator_start = coord__proc_start_time(getpid());
    if (name)
        snprintf(h->name, sizeof h->name, "%s", name);
    *obj_out = (char *)base + COORD__SEG_HDR;
    return 0;
}

void coord__seg_publish(void *obj)
{
    /* Release: an opener that sees the magic also sees the initialised
     * object behind it. */
    atomic_store_explicit(&coord__seg_of(obj)->magic, COORD__SEG_MAGIC,
                          memory_order_release);
}

int coord__seg_open(const char *name, uint32_t kind, void **obj_out,
                    size_t *obj_size)
{
    if (!obj_out)
        return COORD_EINVAL;
    int r = coord__name_check(name);
    if (r)
        return r;
    char path[COORD__SEG_HDR + 16];
    coord__name_path(path, sizeof path, name);
    int fd = shm_open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if ((size_t)st.st_size < COORD__SEG_HDR) {
        close(fd);
        /* An empty file may be a creator between shm_open and ftruncate. */
        return st.st_size == 0 ? COORD_EAGAIN : COORD_EPROTO;
    }
    size_t total = (size_t)st.st_size;
    void *base =
        mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (base == MAP_FAILED)
        return -e;
    coord__seg_hdr *h = base;
    uint64_t magic = atomic_load_explicit(&h->magic, memory_order_acquire);
    r = 0;
    if (magic == 0)
        r = COORD_EAGAIN;
    else if (magic != COORD__SEG_MAGIC)
        r = COORD_EPROTO;
    else if (h->abi != COORD_ABI_VERSION)
        r = COORD_EVERSION;
    else if (h->kind != kind || h->size != total)
        r = COORD_EPROTO;
    if (r) {
        munmap(base, total);
        return r;
    }
    *obj_out = (char *)base + COORD__SEG_HDR;
    if (obj_size)
        *obj_size = total - COORD__SEG_HDR;
    return 0;
}

void coord__seg_release(void *obj, bool unlink_name)
{
    coord__seg_hdr *h = coord__seg_of(obj);
    size_t total = h->size;
    if (unlink_name && h->named && h->creator_pid == (int32_t)getpid()) {
        char path[COORD__SEG_HDR + 16];
        coord__name_path(path, sizeof path, h->name);
        shm_unlink(path);
    }
    munmap(h, total);
}
