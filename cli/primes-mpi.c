/* SPDX-License-Identifier: MIT */
/* primes-mpi.c: `coord primes --mpi`: Example 27.1 over the ranks of mpirun (coord_mpi_search). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coord/mpi.h>

#include "cli-mpi.h"
#include "cli.h"
#include "mpirun.h"
#include "node-mpi.h"

static int ranks, nodes, rank;
static uint64_t init_ns;

static void finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
}

int primes_mpi_begin(uint32_t *workers, bool vs_python)
{
    if (vs_python) {
        /* Said before MPI starts (a usage error needs no MPI), once. */
        if (cli_mpirun_first_rank())
            cli_error("primes", "--mpi and --vs-python do not go together");
        return CLI_USAGE;
    }
    if (!cli_mpirun_launched()) {
        /* One process: there is no other rank to keep quiet. */
        cli_error("primes", "--mpi runs under an MPI launcher, one worker "
                            "per rank: mpirun -np N coord primes --mpi "
                            "(no launcher started this process)");
        return CLI_USAGE;
    }
    if (cli_mpi_node_check("primes") != 0)
        return CLI_USAGE;
    uint64_t t0 = coord_clock_ns();
    MPI_Init(NULL, NULL);
    init_ns = coord_clock_ns() - t0;
    atexit(finalize);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    /* First, before any other collective: a rank with --help, or one
     * running coord spectrum, is in cli_mpi_agree too. */
    if (cli_mpi_agree("primes", false) != 0)
        return CLI_USAGE;
    /* Every rank runs the whole command; only rank 0 reports. (Were
     * /dev/null missing, the others would print too: no harm.) */
    if (rank != 0) {
        /* Onto the descriptors, not freopen: stdout is a stream of the
         * tool's own (main.c, stdout_past_eintr), which freopen cannot
         * reopen (glibc crashes on a fopencookie stream). */
        fflush(stdout);
        fflush(stderr);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null > STDERR_FILENO) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            close(null);
        } else if (null >= 0) {
            close(null); /* it took a closed standard stream's place */
        }
    }
    /* The nodes as coord_mpi_search will see them (for the report). */
    MPI_Comm node;
    if (cli_mpi_node("primes", &node) != 0)
        return CLI_USAGE;
    int node_rank, leaders;
    MPI_Comm_rank(node, &node_rank);
    int leader = node_rank == 0;
    MPI_Allreduce(&leader, &leaders, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Comm_free(&node);
    nodes = leaders;
    *workers = (uint32_t)ranks;
    return CLI_OK;
}

bool primes_mpi_built(void)
{
    return true;
}

bool primes_mpi_same(const int64_t *v, int n)
{
    return cli_mpi_same(v, n);
}

int primes_mpi_search(const coord_search_opts *o, coord_probe_fn probe,
                      void *arg, void *result, size_t result_size,
                      coord_search_stats *st)
{
    return coord_mpi_search(MPI_COMM_WORLD, o, probe, arg, result,
                            result_size, st);
}

void primes_mpi_describe(FILE *f, struct jw *w)
{
    const char *mode = getenv("COORD_MPI_NODE");
    if (!mode || !*mode)
        mode = "shared";
    if (w) {
        jw_kobject(w, "mpi");
        jw_kint(w, "ranks", ranks);
        jw_kint(w, "nodes", nodes);
        jw_kstr(w, "node_mode", mode);
        jw_kns(w, "init_ns", (double)init_ns);
        jw_object_end(w);
        return;
    }
    fprintf(f,
            "over MPI: %d ranks (the workers) on %d node(s), COORD_MPI_NODE=%s;"
            " MPI_Init took %.1f ms (not in the wall times)\n",
            ranks, nodes, mode, (double)init_ns / 1e6);
}
