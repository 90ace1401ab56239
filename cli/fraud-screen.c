/* SPDX-License-Identifier: MIT */
/* fraud-screen.c: screening transactions in rounds: four detectors race, the first flag wins. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coord.h>

#include "cli.h"
#include "fraud.h"

/*
 * One round per transaction. The round's range is [0, 4H): worker w (the
 * blocks partition gives it [wH, (w+1)H)) runs detector w, one history
 * look-up per index; its last index, wH + H - 1, gives the verdict. H is 1
 * + the most look-ups any detector needs for this transaction, so every
 * detector has room for its scan and a final verdict step; a detector
 * that needs fewer look-ups spreads them over its slots and idles in the
 * others (one compare per index).
 * The dispatcher knows each account's and merchant's history length
 * without holding the history: it counts transactions.
 */
struct round_input {
    uint64_t seq; /* index of the transaction in the stream */
    uint64_t h;   /* H of this round */
    struct fraud_txn txn;
};

struct round_result {
    uint64_t seq;
    int32_t detector;
};

/* A worker's state. Each forked worker writes only its own copy (fork
 * duplicates it), so the history needs no sharing and no locks. */
struct worker_state {
    const struct fraud_txn *t;
    struct fraud_history h; /* starts as the caller's warm history */
    size_t next;            /* t[0..next) are in h */
    uint64_t cur;           /* seq + 1 of the transaction being scanned */
    uint32_t done;          /* look-ups of it made so far */
    struct fraud_scan scan;
};

static bool round_fn(uint64_t i, const void *input, size_t len, void *result,
                     uint32_t worker, void *arg)
{
    struct worker_state *w = arg;
    const struct round_input *in = input;
    (void)len;
    if (w->cur != in->seq + 1) {
        /* A new transaction: first add the ones before it (including any
         * round this worker was not needed in) to the history. */
        while (w->next < in->seq) {
            if (fraud_history_add(&w->h, &w->t[w->next]) != 0)
                _exit(70); /* out of memory: the pool reports a dead peer */
            w->next++;
        }
        fraud_scan_begin(&w->scan, (int)worker, &w->h, &in->txn);
        w->cur = in->seq + 1;
        w->done = 0;
    }
    uint64_t j = i - (uint64_t)worker * in->h;
    /* Spread this detector's look-ups evenly over the H - 1 slots before
     * the verdict (at most one per slot, in order): every block of K
     * iterations then costs about the same, which is what the automatic
     * interval assumes, instead of a run of look-ups and then a run of
     * empty slots. */
    uint64_t slots = in->h - 1;
    if (slots > 0 && w->done < w->scan.steps &&
        (j + 1) * w->scan.steps / slots > w->done)
        fraud_scan_step(&w->scan, w->done++);
    if (j + 1 == in->h && fraud_scan_end(&w->scan) == FRAUD_FLAGGED) {
        struct round_result *r = result;
        r->seq = in->seq;
        r->detector = (int32_t)worker;
        return true;
    }
    return false;
}

int fraud_screen_rounds(const struct fraud_txn *t, size_t n, size_t first,
                        const struct fraud_history *warm,
                        const struct fraud_screen_opts *o, uint8_t *flagged,
                        struct fraud_screen_stats *st, char *why, size_t cap)
{
    memset(st, 0, sizeof *st);
    if (first > n || !warm || warm->depth == 0) {
        snprintf(why, cap, "bad arguments");
        return COORD_EINVAL;
    }
    size_t m = n - first;
    uint32_t *acc = calloc(warm->n_accounts ? warm->n_accounts : 1, 4);
    uint32_t *mer = calloc(warm->n_merchants ? warm->n_merchants : 1, 4);
    double *lat = malloc((m ? m : 1) * sizeof *lat);
    double *rnd = malloc((m ? m : 1) * sizeof *rnd);
    double *stop = malloc((m ? m : 1) * sizeof *stop);
    int rc = acc && mer && lat && rnd && stop ? 0 : COORD_ENOMEM;
    if (rc) {
        snprintf(why, cap, "out of memory");
        goto out;
    }
    for (uint32_t a = 0; a < warm->n_accounts; a++)
        acc[a] = warm->accounts[a].len;
    for (uint32_t x = 0; x < warm->n_merchants; x++)
        mer[x] = warm->merchants[x].len;

    struct worker_state ws = {.t = t, .h = *warm, .next = first, .cur = 0};
    coord_rounds_opts ro;
    coord_rounds_opts_init(&ro);
    ro.workers = FRAUD_DET_COUNT;
    ro.check_every = o->check_every;
    ro.early_exit = o->early_exit;
    ro.latency_target_ns = o->target_ns;
    ro.claim = o->claim_locked ? COORD_CLAIM_LOCK : COORD_CLAIM_CAS;
    ro.partition = COORD_PARTITION_BLOCKS;
    ro.max_input = sizeof(struct round_input);
    ro.result_size = sizeof(struct round_result);
    coord_rounds *r = NULL;
    rc = coord_rounds_create(&r, &ro, round_fn, &ws);
    if (rc) {
        snprintf(why, cap, "cannot start the workers: %s", coord_strerror(rc));
        goto out;
    }
    size_t n_stop = 0;
    uint64_t t0 = coord_clock_ns();
    for (size_t k = first; k < n; k++) {
        const struct fraud_txn *x = &t[k];
        struct round_input in = {.seq = k, .txn = *x};
        uint32_t al = acc[x->acct_ix], ml = mer[x->merch_ix], most = 0;
        for (int d = 0; d < FRAUD_DET_COUNT; d++) {
            uint32_t s = fraud_scan_steps(d, x, al, ml);
            most = s > most ? s : most;
        }
        in.h = (uint64_t)most + 1;
        struct round_result res = {0, -1};
        coord_round_stats rs;
        rc = coord_rounds_run(r, &in, sizeof in, 0, FRAUD_DET_COUNT * in.h,
                              &res, &rs, o->round_timeout_ms);
        if (rc < 0) {
            if (rc == COORD_EPEERDIED)
                snprintf(why, cap, "transaction %zu: detector %s (worker %d) "
                         "died (status %d)", k,
                         fraud_detector_name(rs.failed_worker),
                         rs.failed_worker, rs.failed_status);
            else
                snprintf(why, cap, "transaction %zu: %s", k,
                         coord_strerror(rc));
            coord_rounds_destroy(r);
            goto out;
        }
        flagged[k] = rc == 1;
        if (rc == 1) {
            st->claims++;
            if (res.detector >= 0 && res.detector < FRAUD_DET_COUNT)
                st->wins[res.detector]++;
            stop[n_stop++] = (double)rs.stop_latency_ns / 1e3;
        }
        lat[k - first] = (double)rs.response_ns / 1e3;
        rnd[k - first] = (double)rs.round_ns / 1e3;
        st->iterations += rs.iterations;
        st->wasted += rs.wasted;
        if (acc[x->acct_ix] < warm->depth)
            acc[x->acct_ix]++;
        if (mer[x->merch_ix] < warm->depth)
            mer[x->merch_ix]++;
    }
    uint64_t t1 = coord_clock_ns();
    coord_rounds_totals tot;
    if (coord_rounds_totals_get(r, &tot) == 0) {
        st->every_min = tot.every_min;
        st->every_max = tot.every_max;
    }
    rc = coord_rounds_destroy(r);
    if (rc) {
        snprintf(why, cap, "a worker failed at the end: %s",
                 coord_strerror(rc));
        goto out;
    }
    st->screened = m;
    st->wall_s = (double)(t1 - t0) / 1e9;
    st->tx_per_s = st->wall_s > 0 ? (double)m / st->wall_s : 0;
    st->latency_p50_us = cli_percentile(lat, m, 50);
    st->latency_p99_us = cli_percentile(lat, m, 99);
    st->round_p50_us = cli_percentile(rnd, m, 50);
    st->round_p99_us = cli_percentile(rnd, m, 99);
    double sum = 0;
    for (size_t i = 0; i < n_stop; i++)
        sum += stop[i];
    /* No claim, no stop: not measured (NAN: null in the JSON, "-" in the
     * table), not a stop latency of 0. */
    st->stop_mean_us = n_stop ? sum / (double)n_stop : NAN;
    st->stop_p99_us = n_stop ? cli_percentile(stop, n_stop, 99) : NAN;
out:
    free(acc);
    free(mer);
    free(lat);
    free(rnd);
    free(stop);
    return rc;
}
