/* SPDX-License-Identifier: MIT */
/* pool_worker.c: the pool's worker process: take a chunk into its record, run the callback on each task, send the results back. */
#include "pool_internal.h"

static int worker_main(void *arg)
{
    coord_pool *p = arg;
    unsigned me = p->spawn_index;
    struct wrec *w = rec_of(p, me);
    unsigned char *msg = rec_msg(p, w), *res = rec_res(p, w);
    /* Locals: the callback writes through pointers, so fields of *p would
     * be loaded again for every task. */
    const coord_task_fn fn = p->fn;
    void *const fn_arg = p->arg;
    const size_t max_result = p->o.max_result;
    for (;;) {
        /* Forget the last chunk's results before the record can hold a
         * new chunk: entries below nres always belong to the chunk in msg. */
        atomic_store_explicit(&w->nres, 0, memory_order_release);
        atomic_store_explicit(&w->state, W_TAKING, memory_order_release);
        int r = coord_queue_get(p->tasks, msg, p->tchunk_cap, &w->msg_len,
                                COORD_FOREVER);
        if (r == COORD_PILL || r == COORD_ECLOSED) {
            atomic_store_explicit(&w->state, W_EXITED, memory_order_release);
            return 0;
        }
        uint32_t count =
            r < 0 ? 0 : coord__pool_chunk_entries(msg, w->msg_len, NULL, NULL);
        if (count == 0 || count > p->chunk_max) {
            /* The queue failed (broken), or handed over bytes the parent
             * did not write: the pool cannot go on (see handle_exit). */
            atomic_store_explicit(&w->qerr, r < 0 ? r : COORD_EPROTO,
                                  memory_order_release);
            return POOL_EXIT_QUEUE;
        }
        atomic_store_explicit(&w->state, W_BUSY, memory_order_release);
        uint64_t t0 = coord_clock_ns();
        size_t in = sizeof(struct chunk_hdr), out = sizeof(struct rchunk_hdr);
        for (uint32_t i = 0; i < count; i++) {
            struct task_ent e;
            memcpy(&e, msg + in, sizeof e);
            unsigned char *rbytes = res + out + sizeof(struct result_ent);
            size_t rlen = 0;
            int st = fn(msg + in + sizeof e, e.len, rbytes, max_result,
                        &rlen, fn_arg);
            /* The bytes the callback wrote are its result whatever it
             * returned: a failing task may say why (pool.h). A length
             * beyond the buffer is never sent. */
            if (rlen > max_result) {
                if (st == 0)
                    st = COORD_EOVERFLOW;
                rlen = 0;
            }
            struct result_ent re = {e.id, st, e.attempt, (uint32_t)rlen, 0};
            memcpy(res + out, &re, sizeof re);
            out += round8(sizeof re + rlen);
            in += round8(sizeof e + e.len);
            atomic_store_explicit(&w->nres, i + 1, memory_order_release);
        }
        struct rchunk_hdr rh = {coord_clock_ns() - t0, count, (int32_t)me};
        memcpy(res, &rh, sizeof rh);
        r = coord_queue_put(p->results, res, out, COORD_FOREVER);
        if (r < 0) {
            atomic_store_explicit(&w->qerr, r, memory_order_release);
            return POOL_EXIT_QUEUE;
        }
        atomic_fetch_add_explicit(&w->done, count, memory_order_relaxed);
    }
}

int coord__pool_spawn_worker(coord_pool *p, unsigned i)
{
    struct wrec *w = rec_of(p, i);
    /* A clean record: seq 0 marks "no chunk". */
    memset(rec_msg(p, w), 0, sizeof(struct chunk_hdr));
    w->msg_len = 0;
    atomic_store_explicit(&w->qerr, 0, memory_order_release);
    atomic_store_explicit(&w->nres, 0, memory_order_release);
    atomic_store_explicit(&w->state, W_NEW, memory_order_release);
    p->spawn_index = i;
    int r = coord__spawn(&p->kids[i], worker_main, p);
    if (r == 0)
        p->live++;
    return r;
}
