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
 * The rules (each detector looks its account's history up, newest first;
 * amount and card testing then the merchant's):
 *
 * velocity      at least 3 purchases in 10 minutes (this one included)
 *               from a device the account had not used before the last 30
 *               minutes; or at least 6 in 10 minutes when that is 10 times
 *               the account's usual rate.
 * travel        a purchase of the last 6 hours more than 300 km away that
 *               would need more than 900 km/h to reach this one, unless
 *               this place is familiar (two or more earlier purchases
 *               within 100 km): then the odd one was the earlier purchase.
 * amount        with five or more earlier purchases, at least $100, more
 *               than 8 times the account's typical (geometric mean) amount
 *               and 1.5 times its largest; or, at a merchant with 20 or
 *               more purchases, more than 25 times the merchant's typical
 *               amount and 8 times the account's.
 * card_testing  a purchase under $3 from a device the account had not used
 *               before the last 30 minutes, at a merchant it had not used
 *               either or with 20 or more earlier purchases on the account;
 *               or the fourth purchase under $3 at one merchant in 15
 *               minutes from three or more accounts (a ring testing cards).
 */
static bool uses_merchant(int det)
{
    return det == FRAUD_DET_AMOUNT || det == FRAUD_DET_CARD_TESTING;
}

uint32_t fraud_scan_steps(int det, const struct fraud_txn *t,
                          uint32_t acc_len, uint32_t mer_len)
{
    if (det == FRAUD_DET_CARD_TESTING && t->cents >= 300)
        return 0; /* not a small amount: nothing to look up */
    return acc_len + (uses_merchant(det) ? mer_len : 0);
}

uint32_t fraud_scan_begin(struct fraud_scan *s, int det,
                          const struct fraud_history *h,
                          const struct fraud_txn *t)
{
    memset(s, 0, sizeof *s);
    s->det = det;
    s->t = t;
    s->acc = &h->accounts[t->acct_ix];
    s->mer = &h->merchants[t->merch_ix];
    s->dev_oldest = -1;
    s->oldest = t->ts_ms;
    s->small = 1;
    s->small_acc[0] = t->account;
    s->n_small_acc = 1;
    s->steps = fraud_scan_steps(det, t, s->acc->len, s->mer->len);
    s->n_acc_steps = s->steps < s->acc->len ? s->steps : s->acc->len;
    return s->steps;
}

static void step_account(struct fraud_scan *s, const struct fraud_event *e)
{
    const struct fraud_txn *t = s->t;
    int64_t age = t->ts_ms - e->ts_ms;
    switch (s->det) {
    case FRAUD_DET_VELOCITY:
        if (age <= 10 * MINUTE_MS)
            s->recent++;
        if (e->device == t->device)
            s->dev_oldest = e->ts_ms;
        s->oldest = e->ts_ms;
        break;
    case FRAUD_DET_TRAVEL: {
        double d = distance_km(e->lat_e5, e->lon_e5, t->lat_e5, t->lon_e5);
        if (d <= 100)
            s->familiar++;
        if (age <= 6 * HOUR_MS && d > 300) {
            double hours = (double)(age > MINUTE_MS ? age : MINUTE_MS) /
                           (double)HOUR_MS;
            if (d / hours > 900)
                s->impossible = true;
        }
        break;
    }
    case FRAUD_DET_AMOUNT:
        s->sum += log((double)e->cents);
        if (e->cents > s->max)
            s->max = e->cents;
        break;
    default:
        if (age > 30 * MINUTE_MS) {
            s->known_device |= e->device == t->device;
            s->known_merchant |= e->merchant == t->merchant;
        }
        break;
    }
}

static void step_merchant(struct fraud_scan *s, const struct fraud_event *e)
{
    const struct fraud_txn *t = s->t;
    if (s->det == FRAUD_DET_AMOUNT) {
        s->msum += log((double)e->cents);
        return;
    }
    if (t->ts_ms - e->ts_ms > 15 * MINUTE_MS || e->cents >= 300)
        return;
    s->small++;
    bool seen = false;
    for (uint32_t k = 0; k < s->n_small_acc; k++)
        seen |= s->small_acc[k] == e->account;
    if (!seen && s->n_small_acc < 4)
        s->small_acc[s->n_small_acc++] = e->account;
}

void fraud_scan_step(struct fraud_scan *s, uint32_t j)
{
    if (j < s->n_acc_steps)
        step_account(s, fraud_ring_recent(s->acc, j));
    else if (j < s->steps)
        step_merchant(s, fraud_ring_recent(s->mer, j - s->n_acc_steps));
}

enum fraud_verdict fraud_scan_end(const struct fraud_scan *s)
{
    const struct fraud_txn *t = s->t;
    uint32_t n = s->acc->len, m = s->mer->len;
    switch (s->det) {
    case FRAUD_DET_VELOCITY: {
        bool new_device = s->dev_oldest < 0 ||
                          t->ts_ms - s->dev_oldest <= 30 * MINUTE_MS;
        if (s->recent + 1 >= 3 && new_device)
            return FRAUD_FLAGGED;
        double span_min = (double)(t->ts_ms - s->oldest) / (double)MINUTE_MS;
        double usual = span_min > 60 ? (double)n / span_min * 10.0 : 0.0;
        if (s->recent + 1 >= 6 && (double)(s->recent + 1) > 10.0 * usual)
            return FRAUD_FLAGGED;
        return FRAUD_CLEAN;
    }
    case FRAUD_DET_TRAVEL:
        return s->impossible && s->familiar < 2 ? FRAUD_FLAGGED : FRAUD_CLEAN;
    case FRAUD_DET_AMOUNT: {
        if (n < 5 || t->cents < 10000)
            return FRAUD_CLEAN;
        double cur = log((double)t->cents), typical = s->sum / n;
        if (cur > typical + log(8.0) && (double)t->cents > 1.5 * (double)s->max)
            return FRAUD_FLAGGED;
        if (m >= 20 && cur > s->msum / m + log(25.0) &&
            cur > typical + log(8.0))
            return FRAUD_FLAGGED;
        return FRAUD_CLEAN;
    }
    default:
        if (t->cents >= 300)
            return FRAUD_CLEAN;
        if (!s->known_device && (!s->known_merchant || n >= 20))
            return FRAUD_FLAGGED;
        return s->small >= 4 && s->n_small_acc >= 3 ? FRAUD_FLAGGED
                                                     : FRAUD_CLEAN;
    }
}

enum fraud_verdict fraud_detect(int det, const struct fraud_history *h,
                                const struct fraud_txn *t,
                                struct fraud_check *c)
{
    struct fraud_scan s;
    uint32_t n = fraud_scan_begin(&s, det, h, t), j = 0;
    uint64_t block = c->block ? c->block : 1;
    /* Blocks of look-ups, one check after each: a plain inner loop, no
     * modulus per look-up. */
    while (j < n) {
        uint32_t end = (uint64_t)(n - j) > block ? j + (uint32_t)block : n;
        uint32_t from = j;
        for (; j < end; j++)
            fraud_scan_step(&s, j);
        c->lookups += j - from;
        if (c->stop) {
            c->checks++;
            if (c->stop(c->arg, j - from))
                return FRAUD_ABANDONED;
        }
    }
    return fraud_scan_end(&s);
}

int fraud_screen_serial(const struct fraud_txn *t, size_t n, size_t first,
                        uint32_t n_accounts, uint32_t n_merchants,
                        uint32_t depth, uint8_t *flagged, uint64_t *lookups)
{
    struct fraud_history h;
    int rc = fraud_history_init(&h, n_accounts, n_merchants, depth);
    if (lookups)
        *lookups = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        flagged[i] = 0;
        for (int d = 0; i >= first && d < FRAUD_DET_COUNT; d++) {
            struct fraud_check c = {NULL, NULL, 64, 0, 0};
            if (fraud_detect(d, &h, &t[i], &c) == FRAUD_FLAGGED)
                flagged[i] = 1;
            if (lookups)
                *lookups += c.lookups;
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
