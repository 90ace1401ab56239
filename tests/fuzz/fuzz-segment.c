/* SPDX-License-Identifier: MIT */
/* fuzz-segment.c: libFuzzer harness: corrupt named flag/value/array/region segments, then open and read them. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "seg-exercise.h"

/*
 * One set of named objects lives for the whole run. Each input is a list of
 * 12-byte mutations (4 bytes: which file and where; 8 bytes: what) applied
 * to the pristine files; then this process opens every name afresh and
 * reads it, and reads through handles opened before. Meanwhile a forked
 * reader process opens and reads the same names in a loop, racing the
 * mutations. An undocumented code, a crash or a hang in either process is
 * a failure: the reader's is reported by the next input (abort), and a
 * reader stuck in a call stops making progress, which is caught too.
 */

static struct segx segs;
static pid_t reader = -1;
/* Shared with the reader: its loop count and the line of a failure. */
static volatile uint64_t *reader_state;

static void cleanup(void)
{
    if (reader > 0) {
        kill(reader, SIGKILL);
        waitpid(reader, NULL, 0);
        reader = -1;
    }
    segx_destroy(&segs);
}

static void start(void)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "fz%d-", (int)getpid());
    if (segx_create(&segs, prefix) != 0) {
        fprintf(stderr, "fuzz-segment: cannot create the segments\n");
        abort();
    }
    atexit(cleanup);
    reader_state = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (reader_state == MAP_FAILED)
        abort();
    reader = fork();
    if (reader < 0)
        abort();
    if (reader == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) {
            int e = segx_read(&segs, 0);
            if (!e)
                e = segx_read_handles(&segs, 0);
            if (e) {
                reader_state[1] = (uint64_t)e;
                _exit(1);
            }
            __atomic_add_fetch(&reader_state[0], 1, __ATOMIC_RELAXED);
        }
    }
}

static void check_reader(void)
{
    int st;
    if (waitpid(reader, &st, WNOHANG) == reader) {
        fprintf(stderr,
                "fuzz-segment: the concurrent reader %s (line %llu of "
                "seg-exercise.h or seg-use.h)\n",
                WIFSIGNALED(st) ? "crashed" : "got an undocumented code",
                (unsigned long long)reader_state[1]);
        reader = -1;
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (reader < 0 && !segs.flag)
        start();
    check_reader();
    segx_restore(&segs);
    for (size_t i = 0; i + 12 <= size; i += 12) {
        uint32_t a;
        uint64_t b;
        memcpy(&a, data + i, 4);
        memcpy(&b, data + i + 4, 8);
        segx_mutate(&segs, a, b);
    }
    int e = segx_read(&segs, 1);
    if (!e)
        e = segx_read_handles(&segs, 1);
    if (e) {
        fprintf(stderr,
                "fuzz-segment: undocumented result at line %d of "
                "seg-exercise.h or seg-use.h\n",
                e);
        abort();
    }
    return 0;
}
