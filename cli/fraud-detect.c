/* SPDX-License-Identifier: MIT */
/* fraud-detect.c: the four detectors, the serial reference screening and its quality. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fraud.h"

#define MINUTE_MS (60 * 1000ll)
#define HOUR_MS (60 * MINUTE_MS)

static const char *const det_names[FRAUD_DET_COUNT] = {
    "velocity", "travel", "amount", "card_testing"};

const char *fraud_detector_name(int det)
{
    return det >= 0 && det < FRAUD_DET_COUNT ? det_names[det] : "?";
}

/*
 * Every detector walks a history ring newest first, in blocks of
 * chk->block events; after each block it asks chk->stop whether another
 * detector has claimed the transaction. A block is a plain inner loop with
 * no modulus: the check costs one call per block, nothing per event.
 */
static uint32_t block_end(const struct fraud_check *c, uint32_t i, uint32_t n)
{
    uint64_t b = c->block ? c->block : 1;
    return (uint64_t)(n - i) > b ? i + (uint32_t)b : n;
}

/* After a block of `done` look-ups: true when the detector must abandon. */
static bool checkpoint(struct fraud_check *c, uint64_t done)
{
    c->lookups += done;
    if (!c->stop)
        return false;
    c->checks++;
    return c->stop(c->arg, done);
}

/* Great-circle distance in km (haversine) between two fixed-point points. */
static double distance_km(int32_t lat1, int32_t lon1, int32_t lat2,
                          int32_t lon2)
{
    const double rad = M_PI / 180.0 * 1e-5;
    double p1 = lat1 * rad, p2 = lat2 * rad;
    double dp = p2 - p1, dl = (double)(lon2 - lon1) * rad;
    double a = sin(dp / 2) * sin(dp / 2) +
               cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    return 2 * 6371.0 * asin(sqrt(a < 1 ? a : 1));
}

/*
 * Velocity: at least 3 purchases in 10 minutes (this one included) from a
 * device the account has not used before the last 30 minutes, or at least
 * 6 in 10 minutes when that is 10 times the account's usual rate.
 */
static enum fraud_verdict velocity(const struct fraud_ring *r,
                                   const struct fraud_txn *t,
                                   struct fraud_check *c)
{
    uint32_t n = r->len, i = 0, recent = 1;
    int64_t dev_oldest = -1, oldest = t->ts_ms;
    while (i < n) {
        uint32_t end = block_end(c, i, n), from = i;
        for (; i < end; i++) {
            const struct fraud_event *e = fraud_ring_recent(r, i);
            if (t->ts_ms - e->ts_ms <= 10 * MINUTE_MS)
                recent++;
            if (e->device == t->device)
                dev_oldest = e->ts_ms;
            oldest = e->ts_ms;
        }
        if (checkpoint(c, i - from))
            return FRAUD_ABANDONED;
    }
    bool new_device = dev_oldest < 0 || t->ts_ms - dev_oldest <= 30 * MINUTE_MS;
    if (recent >= 3 && new_device)
        return FRAUD_FLAGGED;
    double span_min = (double)(t->ts_ms - oldest) / (double)MINUTE_MS;
    double usual = span_min > 60 ? (double)n / span_min * 10.0 : 0.0;
    if (recent >= 6 && (double)recent > 10.0 * usual)
        return FRAUD_FLAGGED;
    return FRAUD_CLEAN;
}

/*
 * Impossible travel: a purchase of the last 6 hours more than 300 km away
 * that would need more than 900 km/h to reach this one, unless this place
 * is familiar (two or more earlier purchases within 100 km): then the odd
 * one was the earlier purchase, not this one.
 */
static enum fraud_verdict travel(const struct fraud_ring *r,
                                 const struct fraud_txn *t,
                                 struct fraud_check *c)
{
    uint32_t n = r->len, i = 0, familiar = 0;
    bool impossible = false;
    while (i < n) {
        uint32_t end = block_end(c, i, n), from = i;
        for (; i < end; i++) {
            const struct fraud_event *e = fraud_ring_recent(r, i);
            double d = distance_km(e->lat_e5, e->lon_e5, t->lat_e5, t->lon_e5);
            if (d <= 100)
                familiar++;
            int64_t dt = t->ts_ms - e->ts_ms;
            if (dt <= 6 * HOUR_MS && d > 300) {
                double hours = (double)(dt > MINUTE_MS ? dt : MINUTE_MS) /
                               (double)HOUR_MS;
                if (d / hours > 900)
                    impossible = true;
            }
        }
        if (checkpoint(c, i - from))
            return FRAUD_ABANDONED;
    }
    return impossible && familiar < 2 ? FRAUD_FLAGGED : FRAUD_CLEAN;
}

/*
 * Amount anomaly: with five or more earlier purchases, at least $100, more
 * than 8 times the account's typical (geometric mean) amount and 1.5 times
 * its largest; or, at a merchant with 20 or more purchases, more than 25
 * times the merchant's typical amount and 8 times the account's.
 */
static enum fraud_verdict amount(const struct fraud_ring *acc,
                                 const struct fraud_ring *mer,
                                 const struct fraud_txn *t,
                                 struct fraud_check *c)
{
    double sum = 0, msum = 0;
    int64_t max = 0;
    uint32_t n = acc->len, i = 0;
    while (i < n) {
        uint32_t end = block_end(c, i, n), from = i;
        for (; i < end; i++) {
            const struct fraud_event *e = fraud_ring_recent(acc, i);
            sum += log((double)e->cents);
            if (e->cents > max)
                max = e->cents;
        }
        if (checkpoint(c, i - from))
            return FRAUD_ABANDONED;
    }
    uint32_t m = mer->len;
    i = 0;
    while (i < m) {
        uint32_t end = block_end(c, i, m), from = i;
        for (; i < end; i++)
            msum += log((double)fraud_ring_recent(mer, i)->cents);
        if (checkpoint(c, i - from))
            return FRAUD_ABANDONED;
    }
    if (n < 5 || t->cents < 10000)
        return FRAUD_CLEAN;
    double cur = log((double)t->cents), typical = sum / n;
    if (cur > typical + log(8.0) && (double)t->cents > 1.5 * (double)max)
        return FRAUD_FLAGGED;
    if (m >= 20 && cur > msum / m + log(25.0) && cur > typical + log(8.0))
        return FRAUD_FLAGGED;
    return FRAUD_CLEAN;
}

/*
 * Card testing: a purchase under $3 from a device and at a merchant that
 * the account had not used before the last 30 minutes; or the fourth
 * purchase under $3 at one merchant in 15 minutes from three or more
 * accounts (a ring testing many cards).
 */
static enum fraud_verdict card_testing(const struct fraud_ring *acc,
                                       const struct fraud_ring *mer,
                                       const struct fraud_txn *t,
                                       struct fraud_check *c)
{
    if (t->cents >= 300) {
        checkpoint(c, 0);
        return FRAUD_CLEAN;
    }
    bool known_device = false, known_merchant = false;
    uint32_t n = acc->len, i = 0;
    while (i < n) {
        uint32_t end = block_end(c, i, n), from = i;
        for (; i < end; i++) {
            const struct fraud_event *e = fraud_ring_recent(acc, i);
            if (t->ts_ms - e->ts_ms > 30 * MINUTE_MS) {
                known_device |= e->device == t->device;
                known_merchant |= e->merchant == t->merchant;
            }
        }
        if (checkpoint(c, i - from))
            return FRAUD_ABANDONED;
    }
    if (!known_device && !known_merchant)
        return FRAUD_FLAGGED;
    if (!known_device && n >= 20)
        return FRAUD_FLAGGED;
    uint32_t small = 1, accounts[4] = {t->account}, n_acc = 1;
    uint32_t m = mer->len;
    i = 0;
    while (i < m) {
        uint32_t end = block_end(c, i, m), from = i;
        for (; i < end; i++) {
            const struct fraud_event *e = fraud_ring_recent(mer, i);
            if (t->ts_ms - e->ts_ms > 15 * MINUTE_MS || e->cents >= 300)
                continue;
            small++;
            bool seen = false;
            for (uint32_t k = 0; k < n_acc; k++)
                seen |= accounts[k] == e->account;
            if (!seen && n_acc < 4)
                accounts[n_acc++] = e->account;
        }
        if (checkpoint(c, i - from))
            return FRAUD_ABANDONED;
    }
    return small >= 4 && n_acc >= 3 ? FRAUD_FLAGGED : FRAUD_CLEAN;
}

enum fraud_verdict fraud_detect(int det, const struct fraud_history *h,
                                const struct fraud_txn *t,
                                struct fraud_check *chk)
{
    const struct fraud_ring *acc = &h->accounts[t->acct_ix];
    const struct fraud_ring *mer = &h->merchants[t->merch_ix];
    switch (det) {
    case FRAUD_DET_VELOCITY:
        return velocity(acc, t, chk);
    case FRAUD_DET_TRAVEL:
        return travel(acc, t, chk);
    case FRAUD_DET_AMOUNT:
        return amount(acc, mer, t, chk);
    default:
        return card_testing(acc, mer, t, chk);
    }
}

int fraud_screen_serial(const struct fraud_txn *t, size_t n,
                        uint32_t n_accounts, uint32_t n_merchants,
                        uint32_t depth, uint8_t *flagged)
{
    struct fraud_history h;
    int rc = fraud_history_init(&h, n_accounts, n_merchants, depth);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        flagged[i] = 0;
        for (int d = 0; d < FRAUD_DET_COUNT; d++) {
            struct fraud_check c = {NULL, NULL, 64, 0, 0};
            if (fraud_detect(d, &h, &t[i], &c) == FRAUD_FLAGGED)
                flagged[i] = 1;
        }
        rc = fraud_history_add(&h, &t[i]);
    }
    fraud_history_free(&h);
    return rc;
}

void fraud_quality_of(const struct fraud_txn *t, size_t n,
                      const uint8_t *flagged, struct fraud_quality *q)
{
    memset(q, 0, sizeof *q);
    for (size_t i = 0; i < n; i++) {
        if (t[i].label == FRAUD_UNLABELED)
            continue;
        bool fraud = t[i].label != FRAUD_NONE;
        if (fraud) {
            q->injected[t[i].label]++;
            if (flagged[i])
                q->caught[t[i].label]++;
        }
        if (fraud && flagged[i])
            q->tp++;
        else if (fraud)
            q->fn++;
        else if (flagged[i])
            q->fp++;
        else
            q->tn++;
    }
    q->precision = q->tp + q->fp ? (double)q->tp / (double)(q->tp + q->fp) : -1;
    q->recall = q->tp + q->fn ? (double)q->tp / (double)(q->tp + q->fn) : -1;
}
