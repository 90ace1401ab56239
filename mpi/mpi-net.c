/* SPDX-License-Identifier: MIT */
/* mpi-net.c: what coord_mpi_search caches on a communicator (duplicate, node split, windows, flag), and its release in one agreed order at MPI_Finalize. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpi-net.h"

#define LINE COORD__MPI_LINE

/* The node segment: a line of slack, the flag, the node_ctl line. */
static size_t own_seg_size(void)
{
    return LINE + (coord_flag_size() + LINE - 1) / LINE * LINE +
           sizeof(struct coord__mpi_node_ctl);
}

/* Split the ranks into nodes (by `mode`), find the leaders, place the
 * node's flag (in a shared window when the node has several ranks) and,
 * with several nodes, the claim word at rank 0. */
static void net_build(coord__mpi_net *m, int mode)
{
    if (mode == COORD__MPI_NODE_RANK)
        MPI_Comm_split(m->comm, m->rank, 0, &m->node);
    else
        MPI_Comm_split_type(m->comm, MPI_COMM_TYPE_SHARED, m->rank,
                            MPI_INFO_NULL, &m->node);
    MPI_Comm_rank(m->node, &m->node_rank);
    MPI_Comm_size(m->node, &m->node_size);
    int leader = m->rank; /* key = rank: node rank 0 is the lowest rank */
    MPI_Bcast(&leader, 1, MPI_INT, 0, m->node);
    MPI_Allgather(&leader, 1, MPI_INT, m->leader_of, 1, MPI_INT, m->comm);
    m->nodes = 0;
    for (int r = 0; r < m->n; r++)
        m->nodes += m->leader_of[r] == r;

    /* One line of slack: we align the flag ourselves. Every process maps
     * a shared segment page-aligned, so the offset is the same in all. */
    size_t flag_bytes = (coord_flag_size() + LINE - 1) / LINE * LINE;
    void *base = m->own_seg; /* a node of one: private memory serves */
    if (m->node_size > 1) {
        void *mine;
        MPI_Aint qsize;
        int qdisp;
        MPI_Win_allocate_shared(m->node_rank == 0 ? (MPI_Aint)own_seg_size()
                                                  : 0,
                                1, MPI_INFO_NULL, m->node, &mine, &m->swin);
        MPI_Win_shared_query(m->swin, 0, &qsize, &qdisp, &base);
    }
    uintptr_t p = ((uintptr_t)base + LINE - 1) & ~(uintptr_t)(LINE - 1);
    m->nctl = (struct coord__mpi_node_ctl *)(p + flag_bytes);
    if (m->node_rank == 0 &&
        coord_flag_init((void *)p, flag_bytes, &m->flag) != 0)
        /* Cannot happen: the memory is aligned and large enough, and a
         * process-shared mutex init does not fail on Linux. */
        MPI_Abort(m->comm, 70);
    if (m->node_size > 1) {
        /* MPI-3's idiom for shared windows: sync, barrier, sync orders the
         * initialiser's stores before the others' loads. */
        MPI_Win_lock_all(MPI_MODE_NOCHECK, m->swin);
        MPI_Win_sync(m->swin);
        MPI_Barrier(m->node);
        MPI_Win_sync(m->swin);
        if (m->node_rank != 0 &&
            coord_flag_attach((void *)p, flag_bytes, &m->flag) != 0)
            MPI_Abort(m->comm, 70); /* the same broken invariant */
    }
    if (m->nodes > 1) {
        void *word;
        MPI_Win_allocate(m->rank == 0 ? (MPI_Aint)sizeof(int32_t) : 0,
                         sizeof(int32_t), MPI_INFO_NULL, m->comm, &word,
                         &m->gwin);
        m->claim_word = word;
        if (m->rank == 0)
            *m->claim_word = 0;
        m->won = 0;
        MPI_Win_lock_all(MPI_MODE_NOCHECK, m->gwin);
        MPI_Win_sync(m->gwin); /* the 0 before any CAS (after the start) */
    }
    m->mode = mode;
    m->built = true;
}

static void net_unbuild(coord__mpi_net *m)
{
    if (!m->built)
        return;
    if (m->nodes > 1) {
        MPI_Win_unlock_all(m->gwin);
        MPI_Win_free(&m->gwin);
    }
    if (m->node_size > 1) {
        MPI_Win_unlock_all(m->swin);
        MPI_Win_free(&m->swin);
    }
    MPI_Comm_free(&m->node);
    m->built = false;
}

/*
 * The process's nets and keyvals, shared by its threads: with
 * MPI_THREAD_MULTIPLE several threads may search at once, each on its own
 * communicator. `lock` guards the list, the count and the keyvals' one-time
 * creation; it is never held across an MPI call that waits for another
 * rank (a rank holding it there could stall a thread of its own that
 * another rank waits for).
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int net_keyval = MPI_KEYVAL_INVALID;
static int self_keyval = MPI_KEYVAL_INVALID;
static coord__mpi_net *nets; /* live nets, newest first */
static int64_t nets_made;
static int64_t proc_name[2]; /* see net_order; made with the keyvals */

static void locked(void)
{
    if (pthread_mutex_lock(&lock) != 0)
        abort(); /* a default mutex, locked by no one twice: cannot fail */
}

static void unlocked(void)
{
    pthread_mutex_unlock(&lock);
}

/* A net's memory, once its MPI objects are freed (or were never made). */
static void net_memory_free(coord__mpi_net *m)
{
    free(m->leader_of);
    free(m->sends);
    free(m->own_seg);
    free(m->rows);
    free(m);
}

static void net_free(coord__mpi_net *m)
{
    locked();
    for (coord__mpi_net **pp = &nets; *pp; pp = &(*pp)->next)
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    unlocked();
    net_unbuild(m);
    MPI_Comm_free(&m->comm);
    net_memory_free(m);
}

/* The attribute's delete callback: the user's communicator is freed (or
 * MPI is finalising, see below): free what we cached on it. Collective,
 * as freeing the communicator is. */
static int net_delete(MPI_Comm comm, int keyval, void *attr, void *extra)
{
    (void)comm, (void)keyval, (void)extra;
    net_free(attr);
    return MPI_SUCCESS;
}

/* Keys in lexicographic order. */
static bool key_less(const int64_t a[3], const int64_t b[3])
{
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i];
    return false;
}

/* The live net with the smallest key, or NULL. */
static coord__mpi_net *net_first(void)
{
    locked();
    coord__mpi_net *first = NULL;
    for (coord__mpi_net *m = nets; m; m = m->next)
        if (!first || key_less(m->order, first->order))
            first = m;
    unlocked();
    return first;
}

/*
 * MPI_Finalize deletes MPI_COMM_SELF's attributes first, while MPI still
 * works (MPI-3.1 8.7.1): we then free every net still cached, so that the
 * windows are freed (collectively) before MPI goes. Freeing a net waits
 * for its other ranks, so every rank must free the nets they share in the
 * same order: the order in which this process built them will not do
 * (threads that build theirs at once list them in different orders on
 * different ranks: MPI_Finalize hung), the agreed keys will. Each rank
 * frees its nets by increasing key; the net with the smallest key of all
 * is then the first of each of its ranks (none holds two nets with one
 * key: see net_order), so it is freed, and so on.
 * Only the thread that finalises makes MPI calls now (MPI's rule).
 */
static int net_delete_all(MPI_Comm comm, int keyval, void *attr, void *extra)
{
    (void)comm, (void)keyval, (void)attr, (void)extra;
    coord__mpi_net *m;
    while ((m = net_first()) != NULL) {
        void *cached;
        int has = 0;
        MPI_Comm_get_attr(m->user, net_keyval, &cached, &has);
        if (has)
            MPI_Comm_delete_attr(m->user, net_keyval); /* net_delete */
        else
            net_free(m); /* cannot happen: a listed net is attached */
    }
    return MPI_SUCCESS;
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* This process's name for the keys (see net_order): 128 bits from the
 * kernel's random source. Without one (getentropy fails: a kernel before
 * 3.17, or a filter that refuses the call), the pid and the clocks, mixed:
 * distinct between live processes in practice, though no longer a draw. */
static void proc_name_make(int64_t name[2])
{
    uint64_t v[2];
    if (getentropy(v, sizeof v) != 0) {
        struct timespec wall, mono;
        clock_gettime(CLOCK_REALTIME, &wall);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        v[0] = mix((uint64_t)wall.tv_sec * 1000000000u +
                   (uint64_t)wall.tv_nsec) ^ (uint64_t)getpid();
        v[1] = mix(((uint64_t)mono.tv_sec * 1000000000u +
                    (uint64_t)mono.tv_nsec) ^ (uint64_t)(uintptr_t)&wall);
    }
    memcpy(name, v, sizeof v);
}

/* The keyvals, made once per process (MPI cannot be initialised twice),
 * and the process's name. */
static void keyvals_make(void)
{
    locked();
    if (net_keyval == MPI_KEYVAL_INVALID) {
        MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, net_delete,
                               &net_keyval, NULL);
        MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, net_delete_all,
                               &self_keyval, NULL);
        MPI_Comm_set_attr(MPI_COMM_SELF, self_keyval, NULL);
        proc_name_make(proc_name);
    }
    unlocked();
}

coord__mpi_net *coord__mpi_net_get(MPI_Comm comm, size_t row_len,
                                   bool *fresh, MPI_Comm *orphan)
{
    *fresh = false;
    *orphan = MPI_COMM_NULL;
    keyvals_make();
    void *attr;
    int has = 0;
    MPI_Comm_get_attr(comm, net_keyval, &attr, &has);
    if (has)
        return attr;
    *fresh = true;
    coord__mpi_net *m = calloc(1, sizeof *m);
    MPI_Comm c;
    /* Every rank duplicates, whether or not its memory ran out, so that
     * they can agree on the outcome on the duplicate. */
    MPI_Comm_dup(comm, &c);
    MPI_Comm_set_errhandler(c, MPI_ERRORS_ARE_FATAL);
    if (m) {
        m->user = comm;
        m->comm = c;
        MPI_Comm_rank(c, &m->rank);
        MPI_Comm_size(c, &m->n);
        m->leader_of = malloc((size_t)m->n * sizeof *m->leader_of);
        m->sends = malloc((size_t)m->n * sizeof *m->sends);
        m->own_seg = malloc(own_seg_size());
        m->rows = malloc((size_t)m->n * row_len * sizeof *m->rows);
        if (!m->leader_of || !m->sends || !m->own_seg || !m->rows) {
            net_memory_free(m);
            m = NULL;
        }
    }
    if (!m) {
        *orphan = c;
        return NULL;
    }
    locked();
    m->seq = ++nets_made;
    unlocked();
    return m;
}

/*
 * A new net's key: the name of the process that is its rank 0 and that
 * process's count of nets at this one, which rank 0 broadcasts (collective
 * on the net's duplicate); then the net is listed for MPI_Finalize.
 *
 * What the key must do (see net_delete_all): every rank of the net holds
 * the same key, and no two nets that a process holds have the same one.
 * Both hold: the key is rank 0's, sent to all; two nets with one key have
 * the same process as rank 0 (the same name) and that process counted
 * them the same, so they are one net.
 *
 * The name is a 128-bit random draw, unique among the processes of a job
 * unless two draws collide (about n^2 / 2^129 for n processes). The rank
 * in MPI_COMM_WORLD (the key was the largest over the ranks of it and the
 * count) is no name once MPI_Comm_spawn (or MPI_Comm_connect) brings
 * several worlds into one communicator: each has its rank 0, and a parent
 * and its spawned child that searched from threads got one key for two
 * nets, which they freed in opposite orders (MPI_Finalize hung; test
 * mpi.spawn_finalize). A
 * number the ranks agree on without names cannot do it either: threads
 * that agree on several nets at once (the largest of the ranks' counts,
 * say) can get one number for two nets from two other processes; and
 * three single-process worlds joined in a ring by three nets that they
 * build at once are the dining philosophers, whom no deterministic
 * symmetric rule serves (Lehmann and Rabin, 1981): a random draw breaks
 * the symmetry.
 */
static void net_order(coord__mpi_net *m)
{
    int64_t key[3] = {proc_name[0], proc_name[1], m->seq};
    MPI_Bcast(key, 3, MPI_INT64_T, 0, m->comm);
    memcpy(m->order, key, sizeof key);
    locked();
    m->next = nets;
    nets = m;
    unlocked();
}

void coord__mpi_net_keep(coord__mpi_net *m)
{
    net_order(m);
    MPI_Comm_set_attr(m->user, net_keyval, m);
}

void coord__mpi_net_ready(coord__mpi_net *m, int mode)
{
    if (m->built && m->mode != mode)
        net_unbuild(m);
    if (!m->built)
        net_build(m, mode);
}

void coord__mpi_net_free(coord__mpi_net *m)
{
    net_free(m);
}
