/* SPDX-License-Identifier: MIT */
/* mpi-net.h: the state coord_mpi_search caches on a communicator, and its release at MPI_Finalize (private to coord_mpi). */
#ifndef COORD_MPI_NET_H
#define COORD_MPI_NET_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <coord.h>
#include <coord/mpi.h>

#define COORD__MPI_LINE 64u

/* COORD_MPI_NODE: one node per shared-memory domain, or every rank its
 * own node. */
enum coord__mpi_node_mode { COORD__MPI_NODE_SHARED = 0, COORD__MPI_NODE_RANK };

/* After the node's flag, on a line of its own: how many of the node's
 * ranks are still in their loop (the leader relays stops until 0). */
struct coord__mpi_node_ctl {
    alignas(COORD__MPI_LINE) _Atomic uint32_t running;
};

/*
 * What the calls on one communicator share, built by the first call and
 * cached on the communicator (an MPI attribute): the private duplicate,
 * the node split, the leaders, the windows and the flag. It is freed when
 * the communicator is freed, or at MPI_Finalize (mpi-net.c), in the order
 * of `order`, a key that every member rank agreed on.
 */
typedef struct coord__mpi_net coord__mpi_net;
struct coord__mpi_net {
    MPI_Comm user;           /* the caller's communicator (the key) */
    MPI_Comm comm, node;     /* our duplicate of it; this rank's node */
    int rank, n, node_rank, node_size, nodes, mode;
    bool built;              /* node split and windows exist (for mode) */
    int *leader_of;          /* rank -> its node's leader (lowest rank) */
    MPI_Request *sends;      /* the winner's stops, one per other leader */
    int64_t *rows;           /* n rows of the caller's row_len values */
    MPI_Win swin, gwin;      /* node window (node_size > 1); claim word at
                                rank 0 (nodes > 1) */
    void *own_seg;           /* the flag's memory when node_size == 1 */
    int32_t *claim_word;     /* rank 0's local claim word */
    coord_flag *flag;        /* this node's stop flag */
    struct coord__mpi_node_ctl *nctl;
    uint32_t won;            /* the claim word's value: searches won,
                                modulo 2^32 (mpi-claim.h) */
    int64_t seq;             /* this process's count of nets, at this one */
    int64_t order[3];        /* the agreed key: see net_order */
    coord__mpi_net *next;     /* the live nets (for MPI_Finalize) */
};

/*
 * coord__mpi_net_get: the net cached on `comm`, or a new one. A new one
 * (*fresh) has its duplicate of `comm` and its memory (`rows`: n rows of
 * row_len values), but no node split or windows yet, and is neither
 * cached nor listed: the caller first agrees with the other ranks, then
 * calls coord__mpi_net_keep, or coord__mpi_net_free. Collective on `comm`
 * when the net is new (every rank duplicates it, so that the ranks can
 * agree on the duplicate even where memory ran out). Returns the net, or
 * NULL when memory ran out: then *orphan is the duplicate, for the caller
 * to agree on and free (MPI_Comm_free). MPI must be initialised and not
 * finalised, `comm` an intracommunicator.
 */
coord__mpi_net *coord__mpi_net_get(MPI_Comm comm, size_t row_len,
                                   bool *fresh, MPI_Comm *orphan);

/* coord__mpi_net_keep: a fresh net's key, agreed by its ranks (collective
 * on its duplicate), then cached on the caller's communicator and listed
 * for MPI_Finalize. */
void coord__mpi_net_keep(coord__mpi_net *m);

/* coord__mpi_net_ready: the node split (by `mode`, a
 * coord__mpi_node_mode), the leaders, the node's flag and the claim word,
 * built unless they already are, for this mode (rebuilt when the mode
 * changed: every rank agreed on it). Collective on the net's duplicate. */
void coord__mpi_net_ready(coord__mpi_net *m, int mode);

/* coord__mpi_net_free: free a fresh net the ranks agreed not to keep
 * (collective: it frees the duplicate). */
void coord__mpi_net_free(coord__mpi_net *m);

#endif
