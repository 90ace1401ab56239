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
 * file, a crash, a sanitizer report, a hang (-timeout), queue calls that
 * take more than QUEUE_SLOW_NS, a robust mutex left locked or a
 * descriptor left open is a failure. tests/test-segfuzz.c runs the same
 * checks over fixed inputs without clang (the time's excepted);
 * tests/fuzz/run.sh builds and runs this.
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

/* A queue's calls wait at most 20 ms each for side locks (10 ms before
 * the operation, 10 ms for the wake-ups), and fdx_use_queue makes about a
 * dozen: an input whose queue calls took longer than this in all is run
 * again, SLOW_RUNS times in all, and fails only if they do each time (a
 * descheduled moment is not a finding). */
#define QUEUE_SLOW_NS 1000000000ull
#define SLOW_RUNS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fds0 = fd_count(false);
    int e = fdx_run(data, size);
    for (int k = 1; !e && fdx_queue_ns > QUEUE_SLOW_NS; k++) {
        if (k == SLOW_RUNS) {
            fprintf(stderr, "fuzz-fd: the queue's calls took %.1f ms in "
                    "all, in each of %d runs\n",
                    (double)fdx_queue_ns / 1e6, SLOW_RUNS);
            abort();
        }
        e = fdx_run(data, size);
    }
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
