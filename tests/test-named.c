/* SPDX-License-Identifier: MIT */
/* test-named.c: named objects between unrelated processes, validation, gc. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "internal.h"

static void shm_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "/dev/shm/coord.%s", name);
}

/* Helper: opens flag NAME, waits until it is set, claims nothing; opens
 * value NAME-v, adds 5, exits 0. Runs as an unrelated program (exec). */
HELPER(named_peer)
{
    if (argc < 1)
        return 2;
    char vname[256];
    snprintf(vname, sizeof vname, "%s-v", argv[0]);
    coord_flag *f;
    coord_value *v;
    if (coord_flag_open(&f, argv[0]) != 0)
        return 3;
    if (coord_value_open(&v, vname) != 0)
        return 4;
    if (coord_value_add_i64(v, 5, NULL) != 0)
        return 5;
    if (coord_flag_wait(f, 20000) != 0)
        return 6;
    coord_value_destroy(v); /* not the creator: must not unlink */
    coord_flag_destroy(f);
    return 0;
}

TEST(named_flag_and_value_between_unrelated_processes)
{
    char name[64], vname[80], path[128];
    test_shm_name(name, sizeof name, "flag");
    snprintf(vname, sizeof vname, "%s-v", name);
    coord_flag *f;
    coord_value *v;
    ASSERT_OK(coord_flag_create_named(&f, name));
    ASSERT_OK(coord_value_create_named(&v, COORD_I64, vname));
    shm_path(path, sizeof path, name);
    struct stat st;
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_mode & 0777, 0600);
    const char *args[] = {name, NULL};
    pid_t p = test_spawn_helper("named_peer", args);
    int64_t x = 0;
    WAIT_FOR(coord_value_get_i64(v, &x) == 0 && x == 5, 20000);
    coord_flag_set(f);
    test_join_ok(p, 20000);
    /* The peer's destroy did not remove our names. */
    ASSERT_OK(stat(path, &st));
    coord_value_destroy(v);
    coord_flag_destroy(f);
    ASSERT_CODE(stat(path, &st), -1);
}

TEST(named_second_handle_in_creator_process_keeps_the_name)
{
    /* Only the creator's own handle removes the name: a second handle
     * opened in the same process (the creator's pid) does not. */
    char name[64], path[128];
    test_shm_name(name, sizeof name, "twice");
    coord_value *v, *w;
    ASSERT_OK(coord_value_create_named(&v, COORD_I64, name));
    ASSERT_OK(coord_value_open(&w, name));
    coord_value_destroy(w);
    shm_path(path, sizeof path, name);
    struct stat st;
    ASSERT_OK(stat(path, &st));
    ASSERT_OK(coord_value_open(&w, name));
    coord_value_destroy(w);
    coord_value_destroy(v);
    ASSERT_CODE(stat(path, &st), -1);
}

/* The creator's destroy removes the file it created, not one made under
 * the same name after its own was removed (coord gc, rm): it used to unlink
 * by name, taking another process's new object with it. */
static int create_and_leave(void *name)
{
    coord_value *v;
    return coord_value_create_named(&v, COORD_I64, name) == 0 ? 0 : 1;
}

TEST(named_destroy_removes_only_the_file_it_created)
{
    char name[64], path[128];
    test_shm_name(name, sizeof name, "reborn");
    shm_path(path, sizeof path, name);
    coord_value *v;
    ASSERT_OK(coord_value_create_named(&v, COORD_I64, name));
    ASSERT_OK(unlink(path));
    test_join_ok(test_fork(create_and_leave, name), 20000);
    struct stat st;
    ASSERT_OK(stat(path, &st));
    coord_value_destroy(v);
    ASSERT_OK(stat(path, &st)); /* the other process's object stays */
    ASSERT_OK(unlink(path));
}

TEST(named_destroy_out_of_descriptors_still_removes_the_name)
{
    /* The creator's destroy removes the name even when the process has no
     * descriptor free (the release opens none then). */
    char name[64], path[128];
    test_shm_name(name, sizeof name, "nofd");
    shm_path(path, sizeof path, name);
    coord_flag *f;
    ASSERT_OK(coord_flag_create_named(&f, name));
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    struct rlimit old, low;
    ASSERT_OK(getrlimit(RLIMIT_NOFILE, &old));
    /* fd is the lowest free number: with the limit there, none is left. */
    low = (struct rlimit){(rlim_t)fd, old.rlim_max};
    close(fd);
    ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
    errno = 0;
    int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int e = errno;
    coord_flag_destroy(f);
    ASSERT_OK(setrlimit(RLIMIT_NOFILE, &old));
    ASSERT_EQ(probe, -1);
    ASSERT_EQ(e, EMFILE);
    struct stat st;
    ASSERT_EQ(stat(path, &st), -1); /* not left behind for coord gc */
    ASSERT_EQ(errno, ENOENT);
}

TEST(named_exclusive_create)
{
    char name[64];
    test_shm_name(name, sizeof name, "excl");
    coord_flag *f, *g;
    coord_array *a;
    ASSERT_OK(coord_flag_create_named(&f, name));
    ASSERT_CODE(coord_flag_create_named(&g, name), COORD_EEXIST);
    ASSERT_CODE(coord_array_create_named(&a, COORD_U8, 4, name),
                COORD_EEXIST);
    /* Another kind under that name is refused on open. */
    ASSERT_CODE(coord_array_open(&a, name), COORD_EPROTO);
    coord_flag_destroy(f);
    ASSERT_CODE(coord_flag_open(&g, name), COORD_ENOENT);
}

static void write_file(const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "/coord.%s", name);
    int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, data, len), (int64_t)len);
    close(fd);
}

static void remove_file(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/coord.%s", name);
    shm_unlink(path);
}

TEST(named_bad_magic_and_version_rejected)
{
    char name[64];
    coord_flag *f;
    char junk[4096];
    memset(junk, 0x5a, sizeof junk);
    test_shm_name(name, sizeof name, "junk");
    write_file(name, junk, sizeof junk);
    ASSERT_CODE(coord_flag_open(&f, name), COORD_EPROTO);
    remove_file(name);

    write_file(name, junk, 10); /* shorter than a header */
    ASSERT_CODE(coord_flag_open(&f, name), COORD_EPROTO);
    remove_file(name);

    write_file(name, junk, 0); /* a creator between open and truncate */
    ASSERT_CODE(coord_flag_open(&f, name), COORD_EAGAIN);
    /* ... but not for ever: left so for longer than gc's grace period, it
     * is no segment (a retry loop on EAGAIN ended only when gc removed it). */
    char path0[128];
    shm_path(path0, sizeof path0, name);
    struct timespec old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    ASSERT_OK(utimensat(AT_FDCWD, path0, old, 0));
    ASSERT_CODE(coord_flag_open(&f, name), COORD_EPROTO);
    remove_file(name);

    /* A file of zeros (no magic) planted at the name: the same. */
    char zeros[8192] = {0};
    write_file(name, zeros, sizeof zeros);
    coord_value *v;
    ASSERT_CODE(coord_value_open(&v, name), COORD_EAGAIN);
    ASSERT_OK(utimensat(AT_FDCWD, path0, old, 0));
    ASSERT_CODE(coord_value_open(&v, name), COORD_EPROTO);
    remove_file(name);

    /* A real flag's header with another ABI version. */
    ASSERT_OK(coord_flag_create_named(&f, name));
    char path[128];
    shm_path(path, sizeof path, name);
    int fd = open(path, O_RDWR);
    ASSERT_TRUE(fd >= 0);
    coord__seg_hdr h;
    ASSERT_EQ(pread(fd, &h, sizeof h, 0), (int64_t)sizeof h);
    uint32_t abi = h.abi + 1;
    ASSERT_EQ(pwrite(fd, &abi, sizeof abi, offsetof(coord__seg_hdr, abi)), 4);
    coord_flag *g;
    ASSERT_CODE(coord_flag_open(&g, name), COORD_EVERSION);
    /* The same ABI version from a process of the other word size (a
     * 32-bit process on a 64-bit kernel): its mutexes, and every field
     * after one, are elsewhere. An i386 build opened a 64-bit build's
     * queue and took one message twice. */
    ASSERT_EQ(h.abi, (uint32_t)COORD_ABI_VERSION |
                         (sizeof(void *) == 8
                              ? 0u
                              : (uint32_t)sizeof(pthread_mutex_t) << 16));
    abi = sizeof(void *) == 8 ? (uint32_t)COORD_ABI_VERSION | 24u << 16
                              : (uint32_t)COORD_ABI_VERSION;
    ASSERT_EQ(pwrite(fd, &abi, sizeof abi, offsetof(coord__seg_hdr, abi)), 4);
    ASSERT_CODE(coord_flag_open(&g, name), COORD_EVERSION);
    /* A size field that lies about the file is a layout error. */
    abi = h.abi;
    uint64_t size = h.size * 2;
    ASSERT_EQ(pwrite(fd, &abi, sizeof abi, offsetof(coord__seg_hdr, abi)), 4);
    ASSERT_EQ(pwrite(fd, &size, 8, offsetof(coord__seg_hdr, size)), 8);
    ASSERT_CODE(coord_flag_open(&g, name), COORD_EPROTO);
    /* Put the size back: destroy unmaps what the header says. */
    ASSERT_EQ(pwrite(fd, &h.size, 8, offsetof(coord__seg_hdr, size)), 8);
    close(fd);
    coord_flag_destroy(f);
}

/* What the creator does while the opener of the next test sits between
 * its fstat and its mapping: grow the file and publish (the bytes of a
 * published segment of the same kind and size). */
static const char *grow_bytes;
static size_t grow_len;
static void finish_creation(int fd)
{
    ASSERT_EQ(pwrite(fd, grow_bytes, grow_len, 0), (int64_t)grow_len);
}

TEST(named_open_racing_a_creator_that_grows_its_file)
{
    char name[64], model[80], path[128];
    test_shm_name(name, sizeof name, "grow");
    snprintf(model, sizeof model, "%s-m", name);
    coord_value *m, *v;
    ASSERT_OK(coord_value_create_named(&m, COORD_I64, model));
    ASSERT_OK(coord_value_set_i64(m, 42));
    shm_path(path, sizeof path, model);
    int fd = open(path, O_RDONLY);
    ASSERT_TRUE(fd >= 0);
    struct stat st;
    ASSERT_OK(fstat(fd, &st));
    char *bytes = malloc((size_t)st.st_size);
    ASSERT_TRUE(bytes != NULL);
    ASSERT_EQ(pread(fd, bytes, (size_t)st.st_size, 0), (int64_t)st.st_size);
    close(fd);
    /* The creator of `name` between its header's pwrite and its ftruncate:
     * a header-sized file, no magic yet. The opener sees that size; the
     * creator publishes before the opener reads the magic. */
    coord__seg_hdr h;
    memcpy(&h, bytes, sizeof h);
    h.magic = 0;
    write_file(name, &h, sizeof h);
    grow_bytes = bytes;
    grow_len = (size_t)st.st_size;
    coord__open_hook = finish_creation;
    int r = coord_value_open(&v, name);
    coord__open_hook = NULL;
    ASSERT_OK(r); /* was COORD_EPROTO: a healthy value called malformed */
    int64_t x = 0;
    ASSERT_OK(coord_value_get_i64(v, &x));
    ASSERT_EQ(x, 42);
    coord_value_destroy(v);
    remove_file(name);
    free(bytes);
    coord_value_destroy(m);
}

/* The child of the next test (not root: the owner's bits bind it). */
static int open_mode_0400_file(void *arg)
{
    const char *name = arg;
    if (geteuid() == 0 && (setresgid(65534, 65534, 65534) != 0 ||
                           setresuid(65534, 65534, 65534) != 0))
        return 10;
    char path[128], full[160];
    snprintf(path, sizeof path, "/coord.%s", name);
    snprintf(full, sizeof full, "/dev/shm/coord.%s", name);
    /* A creator between shm_open and its fchmod under umask 0277. */
    mode_t old_mask = umask(0277);
    int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    umask(old_mask);
    if (fd < 0)
        return 11;
    close(fd);
    coord_value *v;
    int rc = 0;
    if (coord_value_open(&v, name) != COORD_EAGAIN) /* was COORD_EACCES */
        rc = 12;
    /* Left so for longer than the grace period: no creator is at work. */
    struct timespec old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    if (!rc && (utimensat(AT_FDCWD, full, old, 0) != 0 ||
                coord_value_open(&v, name) != COORD_EPROTO))
        rc = 13;
    /* Another user's 0400 file stays COORD_EACCES (checked as root by
     * named_open_refuses_another_users_file); a non-empty one of ours
     * that we may not open is no creator at work either. */
    if (!rc && (chmod(full, 0600) != 0 || truncate(full, 4096) != 0 ||
                chmod(full, 0400) != 0 ||
                coord_value_open(&v, name) != COORD_EACCES))
        rc = 14;
    shm_unlink(path);
    return rc;
}

TEST(named_open_racing_a_creator_under_umask_0277)
{
    char name[64];
    test_shm_name(name, sizeof name, "umask");
    test_join_ok(test_fork(open_mode_0400_file, name), 10000);
}

TEST(named_region_and_array)
{
    char name[64], aname[80];
    test_shm_name(name, sizeof name, "region");
    snprintf(aname, sizeof aname, "%s-a", name);
    coord_region *r, *r2;
    coord_array *a, *a2;
    ASSERT_OK(coord_region_create_named(&r, 1000, name));
    ASSERT_EQ(coord_region_len(r), 1000);
    ASSERT_EQ((uintptr_t)coord_region_data(r) % 64, 0);
    memcpy(coord_region_data(r), "hello", 6);
    ASSERT_OK(coord_region_open(&r2, name));
    ASSERT_STR_EQ(coord_region_data(r2), "hello");
    ASSERT_OK(coord_array_create_named(&a, COORD_F64, 5, aname));
    ASSERT_OK(coord_array_open(&a2, aname));
    ((double *)coord_array_data(a))[4] = 9.5;
    ASSERT_EQ_F(((double *)coord_array_data(a2))[4], 9.5);
    ASSERT_EQ(coord_array_length(a2), 5);
    coord_array_destroy(a2);
    coord_array_destroy(a);
    coord_region_destroy(r2);
    coord_region_destroy(r);
    ASSERT_CODE(coord_region_create(&r, 0), COORD_EINVAL);
    ASSERT_CODE(coord_region_create(NULL, 10), COORD_EINVAL);
    ASSERT_CODE(coord_region_create_named(&r, 10, NULL), COORD_EINVAL);
    ASSERT_TRUE(coord_region_data(NULL) == NULL);
}

/* Open `name` as every kind and expect `want` from each. */
static void open_all_kinds(const char *name, int want)
{
    coord_flag *f;
    coord_value *v;
    coord_array *a;
    coord_region *r;
    coord_queue *q;
    ASSERT_CODE(coord_flag_open(&f, name), want);
    ASSERT_CODE(coord_value_open(&v, name), want);
    ASSERT_CODE(coord_array_open(&a, name), want);
    ASSERT_CODE(coord_region_open(&r, name), want);
    ASSERT_CODE(coord_queue_open(&q, name), want);
}

TEST(named_open_refuses_another_users_file)
{
    if (geteuid() != 0)
        SKIP("needs root to give a file to another user (uid 65534)");
    char name[64], path[128];
    test_shm_name(name, sizeof name, "owner");
    coord_value *v, *v2;
    ASSERT_OK(coord_value_create_named(&v, COORD_I64, name));
    shm_path(path, sizeof path, name);
    /* Planted by nobody (a 0600 file of uid 65534): never trusted. */
    ASSERT_OK(chown(path, 65534, 65534));
    ASSERT_CODE(coord_value_open(&v2, name), COORD_EACCES);
    open_all_kinds(name, COORD_EACCES);
    ASSERT_OK(chown(path, 0, 0));
    ASSERT_OK(coord_value_open(&v2, name));
    coord_value_destroy(v2);
    coord_value_destroy(v);
}

TEST(named_open_refuses_group_or_other_permission_bits)
{
    char name[64], path[128];
    test_shm_name(name, sizeof name, "mode");
    coord_flag *f, *g;
    ASSERT_OK(coord_flag_create_named(&f, name));
    shm_path(path, sizeof path, name);
    static const mode_t loose[] = {0644, 0660, 0606, 0610, 0601, 0666};
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
        ASSERT_OK(chmod(path, loose[i]));
        ASSERT_CODE(coord_flag_open(&g, name), COORD_EACCES);
    }
    ASSERT_OK(chmod(path, 0600));
    ASSERT_OK(coord_flag_open(&g, name));
    coord_flag_destroy(g);
    coord_flag_destroy(f);
}

TEST(named_open_refuses_symlink_directory_and_fifo)
{
    char target[64], link[64], path[128], tpath[128];
    test_shm_name(target, sizeof target, "target");
    test_shm_name(link, sizeof link, "link");
    coord_flag *f, *g;
    ASSERT_OK(coord_flag_create_named(&f, target));
    shm_path(path, sizeof path, link);
    shm_path(tpath, sizeof tpath, target);
    ASSERT_OK(symlink(tpath, path));
    int r = coord_flag_open(&g, link);
    unlink(path);
    /* Not ELOOP (-40), which no code names: a documented code. */
    ASSERT_CODE(r, COORD_EACCES);
    ASSERT_STR_EQ(coord_err_name(r), "COORD_EACCES");
    ASSERT_OK(mkdir(path, 0700));
    r = coord_flag_open(&g, link);
    rmdir(path);
    ASSERT_CODE(r, COORD_EACCES);
    ASSERT_OK(mkfifo(path, 0600));
    r = coord_flag_open(&g, link);
    unlink(path);
    ASSERT_CODE(r, COORD_EACCES);
    coord_flag_destroy(f);
}

TEST(named_every_errno_maps_to_a_documented_code)
{
    /* Whatever a system call on the open/create paths fails with, the
     * caller gets a code that coord_err_name knows. */
    for (int e = 1; e < 200; e++) {
        int c = coord__seg_errno(e);
        ASSERT_TRUE(c < 0);
        if (strcmp(coord_err_name(c), "COORD_EUNKNOWN") == 0)
            test__fail(__FILE__, __LINE__, "errno %d maps to unnamed %d", e,
                       c);
    }
    static const int codes[] = {COORD_EINVAL,  COORD_EEXIST, COORD_EACCES,
                                COORD_EMFILE,  COORD_ENOMEM, COORD_EIO,
                                COORD_ENOENT,  COORD_EPROTO, COORD_EVERSION,
                                COORD_EAGAIN};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        ASSERT_TRUE(strcmp(coord_err_name(codes[i]), "COORD_EUNKNOWN") != 0);
    ASSERT_CODE(coord__seg_errno(ELOOP), COORD_EACCES);
    ASSERT_CODE(coord__seg_errno(ENFILE), COORD_EMFILE);
    ASSERT_CODE(coord__seg_errno(ENOSPC), COORD_ENOMEM);
}

/* Overwrite `len` bytes at `off` of the object in named segment `name`
 * (offsets count from the object, after the segment header), as a
 * corrupting process that maps it would. */
static void poke(const char *name, size_t off, const void *p, size_t len)
{
    char path[128];
    shm_path(path, sizeof path, name);
    int fd = open(path, O_RDWR);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(pwrite(fd, p, len, (off_t)(COORD__SEG_HDR + off)),
              (int64_t)len);
    close(fd);
}

/* Object layouts (src/array.c, src/value.c, src/region.c): the words a
 * corrupting process would rewrite. */
#define ARRAY_TYPE_OFF 4
#define ARRAY_LENGTH_OFF 8
#define VALUE_TYPE_OFF 12
#define REGION_LEN_OFF 8

TEST(named_array_corrupt_length_or_type_is_eproto_never_a_crash)
{
    char name[64];
    test_shm_name(name, sizeof name, "arr");
    coord_array *a, *b;
    coord_scalar s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(coord_array_create_named(&a, COORD_U8, 16, name));
    ASSERT_OK(coord_array_open(&b, name));
    ASSERT_OK(coord_array_get(b, 15, &s));
    /* A length far beyond the mapping: an index below it would read
     * outside the mapping. Both handles refuse, the array is broken. */
    uint64_t huge = (uint64_t)1 << 40;
    poke(name, ARRAY_LENGTH_OFF, &huge, 8);
    ASSERT_CODE(coord_array_get(b, (size_t)1 << 30, &s), COORD_EPROTO);
    ASSERT_CODE(coord_array_set(b, (size_t)1 << 30, s), COORD_EPROTO);
    ASSERT_CODE(coord_array_get(a, 3, &s), COORD_EPROTO);
    ASSERT_EQ(coord_array_length(b), 0);
    ASSERT_TRUE(coord_array_data(b) == NULL);
    size_t lo, hi;
    ASSERT_CODE(coord_array_slice(b, 0, 2, &lo, &hi), COORD_EPROTO);
    ASSERT_CODE(coord_array_lock(b, 0), COORD_EPROTO);
    /* Broken stays broken even when the length is put back. */
    uint64_t len = 16;
    poke(name, ARRAY_LENGTH_OFF, &len, 8);
    ASSERT_CODE(coord_array_get(b, 0, &s), COORD_EPROTO);
    coord_array_destroy(b);
    ASSERT_CODE(coord_array_open(&b, name), COORD_EPROTO);
    coord_array_destroy(a);

    /* An unknown type (element size 0) is refused the same way. */
    ASSERT_OK(coord_array_create_named(&a, COORD_U8, 16, name));
    ASSERT_OK(coord_array_open(&b, name));
    uint32_t bad = 200;
    poke(name, ARRAY_TYPE_OFF, &bad, 4);
    ASSERT_CODE(coord_array_get(b, 0, &s), COORD_EPROTO);
    ASSERT_EQ(coord_array_type(b), 0);
    coord_array_destroy(b);
    coord_array_destroy(a);
}

TEST(named_value_corrupt_type_is_eproto)
{
    char name[64];
    test_shm_name(name, sizeof name, "val");
    coord_value *v, *w;
    coord_scalar s;
    int64_t x;
    ASSERT_OK(coord_value_create_named(&v, COORD_I64, name));
    ASSERT_OK(coord_value_open(&w, name));
    ASSERT_OK(coord_value_set_i64(v, 7));
    uint32_t bad = 99;
    poke(name, VALUE_TYPE_OFF, &bad, 4);
    ASSERT_CODE(coord_value_get(w, &s), COORD_EPROTO);
    ASSERT_CODE(coord_value_get_i64(v, &x), COORD_EPROTO);
    ASSERT_CODE(coord_value_set_i64(w, 1), COORD_EPROTO);
    ASSERT_CODE(coord_value_add_i64(w, 1, NULL), COORD_EPROTO);
    ASSERT_CODE(coord_value_lock(w, 0), COORD_EPROTO);
    ASSERT_EQ(coord_value_type(w), 0);
    coord_value_destroy(w);
    coord_value_destroy(v);
}

/* The robust mutex of a value, an array and a flag sits at offset 64 of
 * the object (its own cache line: value.c, array.c, flag.c), after the
 * segment header. glibc's owner word set to its "not recoverable" mark
 * (by any process that maps the file) makes every lock fail with
 * ENOTRECOVERABLE, for ever: the calls returned COORD_ENOTRECOVERABLE,
 * which no header documents for them, where a rewritten lock is
 * COORD_EPROTO (as the queue's are). */
#ifdef __GLIBC__
TEST(named_lock_marked_not_recoverable_is_eproto)
{
    char vn[64], an[64], fn[64];
    test_shm_name(vn, sizeof vn, "nrv");
    test_shm_name(an, sizeof an, "nra");
    test_shm_name(fn, sizeof fn, "nrf");
    coord_value *v;
    coord_array *a;
    coord_flag *f;
    ASSERT_OK(coord_value_create_named(&v, COORD_I64, vn));
    ASSERT_OK(coord_array_create_named(&a, COORD_I64, 4, an));
    ASSERT_OK(coord_flag_create_named(&f, fn));
    int32_t mark = 0x7ffffffe; /* glibc's PTHREAD_MUTEX_NOTRECOVERABLE */
    size_t off = 64 + offsetof(pthread_mutex_t, __data.__owner);
    poke(vn, off, &mark, sizeof mark);
    poke(an, off, &mark, sizeof mark);
    poke(fn, off, &mark, sizeof mark);
    coord_scalar s = {.i = 1};
    ASSERT_CODE(coord_value_set(v, s), COORD_EPROTO);
    ASSERT_CODE(coord_value_add_i64(v, 1, NULL), COORD_EPROTO);
    ASSERT_CODE(coord_value_lock(v, 100), COORD_EPROTO);
    ASSERT_CODE(coord_array_lock(a, -1), COORD_EPROTO);
    ASSERT_CODE(coord_flag_claim_epoch(f, 0, COORD_CLAIM_LOCK), COORD_EPROTO);
    ASSERT_CODE(coord_value_lock(v, 0), COORD_EPROTO);
    coord_flag_destroy(f);
    coord_array_destroy(a);
    coord_value_destroy(v);
}
#endif

/* A char value or array opens as char (Python's 'c' reads bytes there,
 * where the u8 it was stored as read ints) and behaves as a u8. */
TEST(named_char_value_and_array_open_as_char)
{
    coord_value *v, *w;
    coord_array *a, *b;
    coord_scalar s;
    memset(&s, 0, sizeof s);
    char name[64], aname[80];
    test_shm_name(name, sizeof name, "chr");
    ASSERT_OK(coord_value_create_named(&v, COORD_CHAR, name));
    snprintf(aname, sizeof aname, "%s-a", name);
    ASSERT_OK(coord_array_create_named(&a, COORD_CHAR, 3, aname));
    ASSERT_OK(coord_value_open(&w, name));
    ASSERT_OK(coord_array_open(&b, aname));
    ASSERT_EQ(coord_value_type(w), COORD_CHAR);
    ASSERT_EQ(coord_array_type(b), COORD_CHAR);
    s.u = 'x';
    ASSERT_OK(coord_value_set(v, s));
    s.u = 1;
    coord_scalar old;
    ASSERT_OK(coord_value_add(w, s, &old));
    ASSERT_EQ_U(old.u, 'x');
    ASSERT_OK(coord_value_get(v, &s));
    ASSERT_EQ_U(s.u, 'y');
    s.u = 0x1ff; /* wraps to one byte, as a u8 does */
    ASSERT_OK(coord_array_set(a, 2, s));
    ASSERT_OK(coord_array_get(b, 2, &s));
    ASSERT_EQ_U(s.u, 0xff);
    ASSERT_EQ(((unsigned char *)coord_array_data(b))[2], 0xff);
    coord_array_destroy(b);
    coord_array_destroy(a);
    coord_value_destroy(w);
    coord_value_destroy(v);
}

TEST(named_region_corrupt_length_reads_as_broken)
{
    char name[64];
    test_shm_name(name, sizeof name, "reg");
    coord_region *r, *o;
    ASSERT_OK(coord_region_create_named(&r, 100, name));
    ASSERT_OK(coord_region_open(&o, name));
    ASSERT_EQ(coord_region_len(o), 100);
    uint64_t huge = (uint64_t)1 << 39;
    poke(name, REGION_LEN_OFF, &huge, 8);
    /* A caller that trusted the length would read far past the mapping. */
    ASSERT_EQ(coord_region_len(o), 0);
    ASSERT_TRUE(coord_region_data(o) == NULL);
    ASSERT_EQ(coord_region_len(r), 0);
    coord_region_destroy(o);
    coord_region_destroy(r);
}

/* Helper: creates named flag NAME and exits without destroying it, as a
 * crashed process would (or SIGKILLs itself). */
HELPER(create_and_die)
{
    coord_flag *f;
    if (argc < 1 || coord_flag_create_named(&f, argv[0]) != 0)
        return 3;
    if (argc > 1)
        raise(SIGKILL);
    return 0;
}

struct gc_seen {
    const char *prefix;
    int live, dead, foreign, removed;
};

static int gc_count(const coord_gc_entry *e, void *arg)
{
    struct gc_seen *s = arg;
    if (strncmp(e->name, s->prefix, strlen(s->prefix)) != 0)
        return 0;
    s->live += e->state == COORD_GC_LIVE;
    s->dead += e->state == COORD_GC_DEAD;
    s->foreign += e->state == COORD_GC_FOREIGN;
    s->removed += e->removed;
    return 0;
}

TEST(gc_removes_only_dead_creators_files)
{
    char prefix[64], dead1[80], dead2[80], live[80], foreign[80], path[160];
    test_shm_name(prefix, sizeof prefix, "gc-");
    snprintf(dead1, sizeof dead1, "%sdead1", prefix);
    snprintf(dead2, sizeof dead2, "%sdead2", prefix);
    snprintf(live, sizeof live, "%slive", prefix);
    snprintf(foreign, sizeof foreign, "%sforeign", prefix);
    const char *a1[] = {dead1, NULL}, *a2[] = {dead2, "kill", NULL};
    test_join_ok(test_spawn_helper("create_and_die", a1), 20000);
    int st = test_wait(test_spawn_helper("create_and_die", a2), 20000);
    ASSERT_TRUE(WIFSIGNALED(st));
    coord_flag *f;
    ASSERT_OK(coord_flag_create_named(&f, live));
    char junk[512];
    memset(junk, 1, sizeof junk);
    write_file(foreign, junk, sizeof junk);

    struct gc_seen s = {prefix, 0, 0, 0, 0};
    ASSERT_EQ(coord_gc_prefix(prefix, false, gc_count, &s), 2);
    ASSERT_EQ(s.live, 1);
    ASSERT_EQ(s.dead, 2);
    ASSERT_EQ(s.foreign, 1);
    ASSERT_EQ(s.removed, 0);

    memset(&s, 0, sizeof s);
    s.prefix = prefix;
    ASSERT_EQ(coord_gc_prefix(prefix, true, gc_count, &s), 2);
    ASSERT_EQ(s.removed, 2);
    struct stat sb;
    shm_path(path, sizeof path, dead1);
    ASSERT_CODE(stat(path, &sb), -1);
    shm_path(path, sizeof path, live);
    ASSERT_OK(stat(path, &sb));
    shm_path(path, sizeof path, foreign);
    ASSERT_OK(stat(path, &sb));
    /* The live flag still works after gc. */
    ASSERT_TRUE(coord_flag_claim(f));
    coord_flag_destroy(f);
    remove_file(foreign);
}

/* A named object's file is 0600 whatever the umask: under umask 0277 or
 * 0777 it was 0400 or 0000, so the other processes of the same user
 * (anyone but root) got COORD_EACCES from every open, and the headers say
 * "mode 0600". */
TEST(named_file_is_0600_whatever_the_umask)
{
    static const mode_t masks[] = {0077, 0277, 0777};
    for (size_t k = 0; k < sizeof masks / sizeof masks[0]; k++) {
        char name[64], path[128];
        test_shm_name(name, sizeof name, "umask");
        shm_path(path, sizeof path, name);
        mode_t old = umask(masks[k]);
        coord_queue *q;
        int rc = coord_queue_create_named(&q, name, 4, 8);
        umask(old);
        ASSERT_OK(rc);
        struct stat st;
        int sr = stat(path, &st);
        coord_queue_destroy(q);
        ASSERT_OK(sr);
        ASSERT_EQ(st.st_mode & 07777, 0600);
    }
}

/* A child in a mount namespace of its own with a 64 KiB tmpfs at /dev/shm:
 * two named arrays of 40 KiB, each of which fits alone. The first is
 * created and not yet written (its file sparse: it took no room yet), so
 * the second's create found the room and both were made; writing both
 * died of SIGBUS with their files left. Now the first reserves its blocks
 * and the second is COORD_ENOMEM; the first takes every store, even with
 * the rest of the file system filled by another file after its create.
 * 77: no mount namespace here. */
static int tiny_shm_child(void *arg)
{
    (void)arg;
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64k") != 0)
        return 77;
    coord_array *a, *b;
    if (coord_array_create_named(&a, COORD_U8, 40 << 10, "tiny-a") != 0)
        return 3;
    int r = coord_array_create_named(&b, COORD_U8, 40 << 10, "tiny-b");
    if (r == 0)
        coord_array_destroy(b);
    if (r != COORD_ENOMEM)
        return 4;
    if (access("/dev/shm/coord.tiny-b", F_OK) == 0)
        return 5;
    /* Another file takes whatever room is left. */
    int fd = open("/dev/shm/filler", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    char page[4096] = {1};
    while (fd >= 0 && write(fd, page, sizeof page) == (ssize_t)sizeof page)
        ;
    if (fd >= 0)
        close(fd);
    memset(coord_array_data(a), 7, 40 << 10);
    coord_array_destroy(a);
    return access("/dev/shm/coord.tiny-a", F_OK) == 0 ? 6 : 0;
}

TEST(named_create_reserves_its_room_in_dev_shm)
{
    int st = test_wait(test_fork(tiny_shm_child, NULL), 30000);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
        SKIP("no mount namespace here (needs root or CAP_SYS_ADMIN)");
    if (WIFSIGNALED(st))
        test__fail(__FILE__, __LINE__, "the child died of signal %d",
                   WTERMSIG(st));
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
}

/* A child under ulimit -f 64 (RLIMIT_FSIZE 64 KiB, SIGXFSZ at its default
 * action): a named or memfd region of 1 MiB was killed by SIGXFSZ at the
 * ftruncate (the named one leaving its file); now it is COORD_ENOMEM with
 * no file, and objects that fit are made as before. */
static int fsize_child(void *arg)
{
    (void)arg;
    signal(SIGXFSZ, SIG_DFL);
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 2;
    rl.rlim_cur = 64 << 10;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
        rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 2;
    char name[64], path[128];
    test_shm_name(name, sizeof name, "fsize");
    shm_path(path, sizeof path, name);
    coord_region *r;
    int fd = -1;
    if (coord_region_create_named(&r, 1 << 20, name) != COORD_ENOMEM)
        return 3;
    if (access(path, F_OK) == 0)
        return 4;
    if (coord_region_create_fd(&r, 1 << 20, &fd) != COORD_ENOMEM)
        return 5;
    if (coord_region_create_named(&r, 4096, name) != 0)
        return 6;
    coord_region_destroy(r);
    if (coord_region_create_fd(&r, 4096, &fd) != 0)
        return 7;
    coord_region_destroy(r);
    close(fd);
    return access(path, F_OK) == 0 ? 8 : 0;
}

TEST(named_and_fd_create_beyond_rlimit_fsize_is_enomem_not_sigxfsz)
{
    int st = test_wait(test_fork(fsize_child, NULL), 30000);
    if (WIFSIGNALED(st))
        test__fail(__FILE__, __LINE__, "the child died of signal %d",
                   WTERMSIG(st));
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
}

#define TEST_LIST(X)                                                           \
    X(named_flag_and_value_between_unrelated_processes)                        \
    X(named_file_is_0600_whatever_the_umask)                                   \
    X(named_second_handle_in_creator_process_keeps_the_name)                   \
    X(named_destroy_removes_only_the_file_it_created)                          \
    X(named_destroy_out_of_descriptors_still_removes_the_name)                 \
    X(named_exclusive_create)                                                  \
    X(named_bad_magic_and_version_rejected)                                    \
    X(named_open_racing_a_creator_that_grows_its_file)                         \
    X(named_open_racing_a_creator_under_umask_0277)                            \
    X(named_region_and_array)                                                  \
    X(gc_removes_only_dead_creators_files)                                     \
    X(named_open_refuses_another_users_file)                                   \
    X(named_open_refuses_group_or_other_permission_bits)                       \
    X(named_open_refuses_symlink_directory_and_fifo)                           \
    X(named_every_errno_maps_to_a_documented_code)                             \
    X(named_array_corrupt_length_or_type_is_eproto_never_a_crash)              \
    X(named_value_corrupt_type_is_eproto)                                      \
    X(named_char_value_and_array_open_as_char)                                 \
    X(named_region_corrupt_length_reads_as_broken)                             \
    X(named_create_reserves_its_room_in_dev_shm)                               \
    X(named_and_fd_create_beyond_rlimit_fsize_is_enomem_not_sigxfsz)           \
    NR_TEST(X)
#ifdef __GLIBC__
#define NR_TEST(X) X(named_lock_marked_not_recoverable_is_eproto)
#else
#define NR_TEST(X)
#endif
#define HELPER_LIST(X) X(named_peer) X(create_and_die)
TEST_MAIN()
