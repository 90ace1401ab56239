/* SPDX-License-Identifier: MIT */
/* fuzz-fd.c: libFuzzer harness: any bytes in a sealed memfd of any size, opened with every kind's _open_fd and used. */
#include <dirent.h>

#include "fd-exercise.h"

/*
 * Each input describes one file (the format is in fd-exercise.h): a copy
 * of a fresh object of some kind, zeros or the input's own bytes, patched,
 * of any size from empty to 64 GiB, sealed as coord seals its memfds or
 * otherwise, maybe read-only. It is opened with the open_fd of all five
 * kinds; each object that opens is used (reads, non-blocking locks, queue
 * calls with timeout 0). A code the header does not document for that
 * file, a crash, a sanitizer report, a hang (-timeout) or a descriptor
 * left open is a failure. tests/test-segfuzz.c runs the same checks over
 * fixed inputs without clang; tests/fuzz/run.sh builds and runs this.
 */

/* Open descriptors of this process; `say`: list them on stderr. */
static int fd_count(bool say)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        abort();
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[300], to[300];
        if (e->d_name[0] == '.')
            continue;
        n++;
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t k = say ? readlink(path, to, sizeof to - 1) : -1;
        if (k >= 0)
            fprintf(stderr, "  %s -> %.*s\n", e->d_name, (int)k, to);
    }
    closedir(d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fds0 = fd_count(false);
    int e = fdx_run(data, size);
    if (e) {
        fprintf(stderr,
                "fuzz-fd: a check failed at line %d of fd-exercise.h or "
                "seg-use.h\n",
                e);
        abort();
    }
    if (fd_count(false) != fds0) {
        fprintf(stderr, "fuzz-fd: %d descriptors before, now:\n", fds0);
        fd_count(true);
        abort();
    }
    return 0;
}
