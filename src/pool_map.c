/* SPDX-License-Identifier: MIT */
/* pool_map.c: coord_pool_map: a whole array of tasks in automatic chunks, results straight into the caller's arrays. */
#include "pool_internal.h"

/* Queue a chunk of the map's next tasks (tasks[i..]), as many as
 * coord__pool_choose_k says. Returns how many were taken, 0 when the queue
 * is full (or the pool broke). */
static size_t map_send(coord_pool *p, const unsigned char *tasks, size_t i,
                       size_t n, size_t task_size)
{
    /* A chunk submit was filling goes first (order of ids). */
    if (!coord__pool_flush_open(p))
        return 0;
    p->map_left = n - i;
    size_t k = coord__pool_choose_k(p);
    if (k > n - i)
        k = n - i;
    size_t len = sizeof(struct chunk_hdr);
    size_t step = round8(sizeof(struct task_ent) + task_size);
    unsigned char *at = p->sbuf + len;
    for (size_t j = 0; j < k; j++, at += step) {
        struct task_ent e = {p->next_id + j, 1, (uint32_t)task_size};
        memcpy(at, &e, sizeof e);
        if (task_size == 8) /* inlined: the common small size */
            memcpy(at + sizeof e, tasks + (i + j) * 8, 8);
        else
            memcpy(at + sizeof e, tasks + (i + j) * task_size, task_size);
        if (step > sizeof e + task_size)
            memset(at + sizeof e + task_size, 0, step - sizeof e - task_size);
    }
    len += k * step;
    struct chunk_hdr h = {p->next_seq, (uint32_t)k, (uint32_t)len};
    memcpy(p->sbuf, &h, sizeof h);
    p->next_id += k;
    p->st.submitted += k;
    p->open_count = (unsigned)k;
    p->open_k = (unsigned)k;
    p->open_len = len;
    /* A try-once put, no count of the queue first (it walks every queued
     * slot). When the queue is full the chunk stays open: the next call
     * sends it first, or the next pump. */
    (void)coord__pool_flush_open(p);
    return k;
}

int coord_pool_map(coord_pool *p, const void *tasks, size_t n,
                   size_t task_size, void *results, size_t result_size,
                   coord_task_result *info, int timeout_ms)
{
    if (!p || (n && task_size && !tasks) || (n && result_size && !results) ||
        coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (!coord__pool_ours(p))
        return COORD_ECHILD;
    if (p->closed)
        return COORD_ECLOSED;
    if (p->broken)
        return p->broken;
    if (task_size > p->o.max_task)
        return COORD_EMSGSIZE;
    if (n == 0)
        return 0;
    /* Arrays of n tasks and n results that no address space holds, or
     * ids that would wrap: a count gone negative ((size_t)-1), not work. */
    if ((task_size && n > SIZE_MAX / task_size) ||
        (result_size && n > SIZE_MAX / result_size) ||
        n > UINT64_MAX - p->next_id)
        return COORD_EINVAL;
    /* Room for every outcome now, as submit reserves it per task. */
    int r = coord__pool_reserve_id(p, p->next_id + n);
    if (r == 0)
        r = coord__pool_reserve_results(p, n);
    if (r)
        return r;
    int expired = timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
    uint64_t deadline = coord__deadline(timeout_ms);
    p->map.on = true;
    p->map.first = p->next_id;
    p->map.n = n;
    p->map.size = result_size;
    p->map.out = results;
    p->map.info = info;
    p->map.got = p->map.failed = 0;
    size_t i = 0;
    bool last = false;
    while (i < n) {
        if (p->broken) {
            r = p->broken;
            break;
        }
        /* No worker: forks failing (a process limit)? Wait for one as
         * submit does (pool_death.c), or stop. */
        r = coord__pool_await_worker(p, deadline, timeout_ms);
        if (r)
            break;
        size_t k = map_send(p, tasks, i, n, task_size);
        i += k;
        if (k)
            continue;
        if (last) {
            r = expired;
            break;
        }
        /* Full: collect results (workers may wait on the result queue)
         * and handle deaths; once more after the deadline. */
        int ms = coord__pool_left_ms(deadline);
        coord__pool_pump(p, ms);
        last = ms == 0;
    }
    p->map_left = 0;
    /* The tasks submitted are the map's: n of them from here on. */
    p->map.n = i;
    while (r == 0 && p->map.got < p->map.n) {
        int ms = coord__pool_left_ms(deadline);
        coord__pool_pump(p, ms);
        if (ms == 0 && p->map.got < p->map.n)
            r = expired;
    }
    p->map.on = false;
    if (r == 0 && p->broken)
        r = p->broken; /* every task has its outcome, see pool.h */
    if (r)
        return r; /* tasks submitted keep their results: see pool.h */
    return (int)(p->map.failed > INT32_MAX ? INT32_MAX : p->map.failed);
}
