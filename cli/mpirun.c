/* SPDX-License-Identifier: MIT */
/* mpirun.c: what an MPI launcher's environment says about this process, read before MPI_Init (in every build). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpirun.h"

/* The launchers' variables these functions read: a rank, a job's size,
 * Open MPI's command lines (app contexts). */
static const char *const rank_vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK",
                                        "PMI_RANK", "MV2_COMM_WORLD_RANK"};
static const char *const size_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                        "MV2_COMM_WORLD_SIZE"};
static const char *const ctx_vars[] = {"OMPI_NUM_APP_CTX",
                                       "OMPI_APP_CTX_NUM_PROCS"};
#define NVARS(a) (sizeof(a) / sizeof(a)[0])

/* The rank a launcher gave this process, as its variable spells it, or
 * NULL when no launcher started it. */
static const char *launcher_rank(void)
{
    for (size_t i = 0; i < NVARS(rank_vars); i++) {
        const char *v = getenv(rank_vars[i]);
        if (v)
            return v;
    }
    return NULL;
}

bool cli_mpirun_launched(void)
{
    return launcher_rank() != NULL;
}

bool cli_mpirun_peers(void)
{
    if (!launcher_rank())
        return false;
    for (size_t i = 0; i < NVARS(size_vars); i++) {
        const char *v = getenv(size_vars[i]);
        if (v) {
            char *end;
            long size = strtol(v, &end, 10);
            return end != v && *end == '\0' && size > 1;
        }
    }
    return false;
}

void cli_mpirun_forget(void)
{
    for (size_t i = 0; i < NVARS(rank_vars); i++)
        unsetenv(rank_vars[i]);
    for (size_t i = 0; i < NVARS(size_vars); i++)
        unsetenv(size_vars[i]);
    for (size_t i = 0; i < NVARS(ctx_vars); i++)
        unsetenv(ctx_vars[i]);
}

bool cli_mpirun_command_lines(void)
{
    if (!cli_mpirun_peers())
        return false;
    /* Open MPI says how many command lines (app contexts) it started:
     * with one, every rank runs this process's. Other launchers do not
     * say: there may be several. */
    const char *n = getenv("OMPI_NUM_APP_CTX");
    return !n || strcmp(n, "1") != 0;
}

/* Open MPI's mpirun starts one command line per app context (mpirun -np
 * 1 coord ... : -np 2 coord ...): OMPI_NUM_APP_CTX says how many, and
 * OMPI_APP_CTX_NUM_PROCS their sizes ("1 2"), in rank order. Is `rank`
 * the first of its context? False when the launcher says none of this. */
static bool first_of_app_context(long rank)
{
    const char *n = getenv("OMPI_NUM_APP_CTX");
    const char *sizes = getenv("OMPI_APP_CTX_NUM_PROCS");
    if (!n || !sizes || strtol(n, NULL, 10) < 2)
        return false;
    long first = 0;
    for (const char *p = sizes; *p;) {
        char *end;
        long size = strtol(p, &end, 10);
        if (end == p || size < 1)
            return false;
        if (rank == first)
            return true;
        first += size;
        if (rank < first)
            return false;
        p = end;
    }
    return false;
}

bool cli_mpirun_first_rank(void)
{
    const char *v = launcher_rank();
    if (!v || !strcmp(v, "0"))
        return true;
    /* Another command line (app context) than rank 0's may hold a usage
     * error that rank 0's has not: its first rank says it (it was said by
     * nobody: mpirun's banner alone, exit 2). */
    char *end;
    long rank = strtol(v, &end, 10);
    return end != v && *end == '\0' && first_of_app_context(rank);
}

void cli_mpirun_linger(void)
{
    struct timespec ts = {CLI_MPIRUN_LINGER_MS / 1000,
                          (CLI_MPIRUN_LINGER_MS % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Save descriptor `fd` above the standard three and point it at `null`;
 * -1 (and `fd` left as it was) when it cannot be saved. */
static int silence(int fd, int null)
{
    int saved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (saved >= 0 && dup2(null, fd) < 0) {
        close(saved);
        saved = -1;
    }
    return saved;
}

static void restore(int fd, int *saved)
{
    if (*saved < 0)
        return;
    dup2(*saved, fd);
    close(*saved);
    *saved = -1;
}

void cli_mpirun_quiet(struct cli_quiet *q)
{
    q->out = q->err = -1;
    /* With peers that may run other command lines, --help (the one thing
     * said on stdout here) is said after the ranks agree that all asked
     * for it (cli_mpi_help). */
    bool out = !cli_mpirun_first_rank() || cli_mpirun_command_lines();
    bool err = !cli_mpirun_first_rank();
    if (!out && !err)
        return;
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null <= STDERR_FILENO) {
        /* None, or it took the place of a closed standard stream: every
         * rank speaks (noisy, no harm). */
        if (null >= 0)
            close(null);
        return;
    }
    fflush(stdout);
    fflush(stderr);
    if (out)
        q->out = silence(STDOUT_FILENO, null);
    if (err)
        q->err = silence(STDERR_FILENO, null);
    close(null);
}

void cli_mpirun_loud(struct cli_quiet *q)
{
    fflush(stdout);
    fflush(stderr);
    restore(STDOUT_FILENO, &q->out);
    restore(STDERR_FILENO, &q->err);
}
