/* SPDX-License-Identifier: MIT */
/* fraud.h: transactions, their generator, CSV, history and detectors (coord fraud). */
#ifndef COORD_CLI_FRAUD_H
#define COORD_CLI_FRAUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The lecture's slide 10 as a working system: a stream of card transactions
 * (generated with a seed, or read from CSV), each screened by four detectors
 * that look the account's (or the merchant's) history up. The files:
 *   fraud-gen.c      the seeded generator with injected fraud patterns
 *   fraud-csv.c      CSV reader and writer (columns in docs/fraud.md)
 *   fraud-history.c  per-account and per-merchant history rings
 *   fraud-detect.c   the four detectors and the serial reference screening
 * Everything here is plain single-process code; the parallel screening is
 * in cmd-fraud.c.
 */

/* The truth label of a transaction: which pattern was injected. */
enum fraud_kind {
    FRAUD_NONE = 0,     /* legitimate */
    FRAUD_VELOCITY,     /* a burst of purchases within minutes */
    FRAUD_TRAVEL,       /* impossible travel: far away, too soon */
    FRAUD_AMOUNT,       /* amount far above the account's history */
    FRAUD_CARD_TESTING, /* tiny amounts at one merchant from a new device */
    FRAUD_OTHER,        /* CSV: fraud of a kind not named here ("fraud", 1) */
    FRAUD_KIND_COUNT,
    FRAUD_UNLABELED = 255 /* CSV row without a label */
};

/* "none", "velocity", "travel", "amount", "card_testing", "fraud" (other),
 * "" (unlabeled). */
const char *fraud_kind_name(int kind);
/* The kind named `name` (as above; also "0" for none, "1" for fraud), or
 * -1. */
int fraud_kind_parse(const char *name);

/* One card transaction. Amounts and coordinates are fixed point, so that a
 * CSV round trip is exact. */
struct fraud_txn {
    uint64_t id;        /* unique, as given (CSV) or 1.. (generator) */
    int64_t ts_ms;      /* milliseconds since 1970-01-01 UTC */
    uint32_t account;   /* account (card) id */
    uint32_t merchant;  /* merchant id */
    int64_t cents;      /* amount in cents, > 0 */
    int32_t lat_e5;     /* latitude in 1e-5 degrees, [-9000000, 9000000] */
    int32_t lon_e5;     /* longitude in 1e-5 degrees, [-18000000, 18000000] */
    uint32_t device;    /* device (or terminal) fingerprint id */
    uint8_t label;      /* enum fraud_kind */
    uint32_t acct_ix;   /* dense account index (fraud_index) */
    uint32_t merch_ix;  /* dense merchant index (fraud_index) */
};

/* ---- fraud-gen.c ------------------------------------------------------ */

struct fraud_gen_opts {
    uint64_t seed;      /* same seed and options: the same stream */
    size_t count;       /* transactions in total (fraud included), >= 1 */
    uint32_t accounts;  /* >= 1 */
    uint32_t merchants; /* >= 1 */
    double fraud_rate;  /* fraction of transactions that are fraud, [0, 0.5] */
    int64_t start_ms;   /* timestamp of the stream's start */
    int64_t mean_gap_ms; /* mean time between transactions; 0: automatic,
                            four purchases a day per account */
};

/* Defaults: seed 1, 20000 transactions, 100 accounts, 120 merchants, 2 %
 * fraud, from 2026-01-01T00:00Z, automatic gap. */
void fraud_gen_defaults(struct fraud_gen_opts *o);

/*
 * fraud_generate: a deterministic stream of o->count transactions sorted by
 * time, ids 1.., with exactly fraud_expected(o) of them labelled fraud
 * (patterns of every kind, the last one cut short if needed). *out is
 * malloc'ed; the caller frees it. Returns 0, -EINVAL (bad options) or
 * -ENOMEM.
 */
int fraud_generate(const struct fraud_gen_opts *o, struct fraud_txn **out);

/* The number of fraud transactions fraud_generate injects:
 * round(count * fraud_rate). */
size_t fraud_expected(const struct fraud_gen_opts *o);

/* ---- fraud-csv.c ------------------------------------------------------ */

/* The header line fraud_csv_write writes. fraud_csv_read takes these
 * columns in any order, the label column optional, other columns ignored
 * (as many as a line of FRAUD_CSV_MAX_LINE bytes holds). */
#define FRAUD_CSV_HEADER                                                       \
    "id,timestamp,account,merchant,amount,lat,lon,device,label"

/* Writes the header and one line per transaction. Returns 0 or -EIO. */
int fraud_csv_write(FILE *f, const struct fraud_txn *t, size_t n);

/* The longest line fraud_csv_read takes, in bytes (its line end
 * excluded). It bounds the memory a line takes (an endless line, a binary
 * file) and the number of fields, which is otherwise free. */
#define FRAUD_CSV_MAX_LINE 65536

/* A malformed line: its number (1 = the header line) and why. */
struct fraud_csv_error {
    size_t line;
    char why[192]; /* room for the longest message (the header one) */
};

struct fraud_csv_result {
    struct fraud_txn *txns; /* malloc'ed, sorted by time (stable) */
    size_t n;
    size_t lines;              /* lines read, header included */
    size_t bad;                /* malformed lines (skipped, or rejected) */
    struct fraud_csv_error errors[16]; /* those of the lowest line numbers */
    size_t n_errors;           /* min(bad, 16) */
    bool labelled;             /* every kept row had a label */
};

/*
 * fraud_csv_read: reads transactions from `f`. A malformed line (wrong
 * number of fields, a field that does not parse, a value out of range, a
 * duplicate id) is recorded in r->errors with its line number. With
 * `strict` false it is skipped and reading goes on; with `strict` true the
 * whole file is rejected (-EINVAL) after the first one. A missing or wrong
 * header, and a line longer than FRAUD_CSV_MAX_LINE, are always -EINVAL
 * (r->errors says why, with the line number). A read error stops it with
 * -errno (EISDIR for a directory, EIO, ...; also in r->errors). A line
 * ends at "\n", "\r\n" or a "\r" alone, in any mix: each is one line end,
 * so line numbers count the same in every style. Blank lines and lines
 * starting with '#' are ignored. It holds f's stdio lock while it reads
 * (another thread's use of `f` waits) and blocks while `f` does. Returns
 * 0 (r->txns owned
 * by the caller, freed with fraud_csv_free), -EINVAL, -ENOMEM or -errno.
 */
int fraud_csv_read(FILE *f, bool strict, struct fraud_csv_result *r);
void fraud_csv_free(struct fraud_csv_result *r);

/* Sets acct_ix and merch_ix to dense indexes (0..); *n_accounts and
 * *n_merchants get their counts. Returns 0 or -ENOMEM. */
int fraud_index(struct fraud_txn *t, size_t n, uint32_t *n_accounts,
                uint32_t *n_merchants);

/* ---- fraud-history.c -------------------------------------------------- */

/* What a detector may look up about one past transaction. */
struct fraud_event {
    int64_t ts_ms;
    int64_t cents;
    int32_t lat_e5, lon_e5;
    uint32_t merchant, device, account;
};

/* A ring of the last `cap` events of one account or merchant (oldest
 * first when read with fraud_ring_at). Grows on demand up to `cap`. */
struct fraud_ring {
    struct fraud_event *ev;
    uint32_t len, cap_now, head;
};

struct fraud_history {
    struct fraud_ring *accounts, *merchants;
    uint32_t n_accounts, n_merchants, depth;
};

/* depth: events kept per account and per merchant (>= 1). Returns 0,
 * -EINVAL or -ENOMEM. */
int fraud_history_init(struct fraud_history *h, uint32_t n_accounts,
                       uint32_t n_merchants, uint32_t depth);
void fraud_history_free(struct fraud_history *h);
/* Appends `t` to its account's and merchant's rings. 0 or -ENOMEM. */
int fraud_history_add(struct fraud_history *h, const struct fraud_txn *t);
/* The i-th most recent event of a ring (0: the newest); i < ring->len. */
static inline const struct fraud_event *fraud_ring_recent(
    const struct fraud_ring *r, uint32_t i)
{
    uint32_t pos = (r->head + r->cap_now - 1 - i) % r->cap_now;
    return &r->ev[pos];
}

/* ---- fraud-detect.c --------------------------------------------------- */

/* The four detectors, one per worker (or a share of them per worker). */
enum fraud_detector {
    FRAUD_DET_VELOCITY = 0,
    FRAUD_DET_TRAVEL,
    FRAUD_DET_AMOUNT,
    FRAUD_DET_CARD_TESTING,
    FRAUD_DET_COUNT
};
const char *fraud_detector_name(int det);

/*
 * One detector's analysis of one transaction, as a sequence of history
 * look-ups: fraud_scan_begin says how many (the account's ring, then, for
 * the detectors that need it, the merchant's), fraud_scan_step(j) does
 * look-up j (in order, 0 .. steps-1), fraud_scan_end gives the verdict.
 * This shape lets a pool run the look-ups as the iterations of a round,
 * with a flag check every K of them (cmd-fraud.c), and lets the serial
 * reference run the very same arithmetic.
 */
struct fraud_scan {
    int det;
    const struct fraud_txn *t;
    const struct fraud_ring *acc, *mer;
    uint32_t steps, n_acc_steps;
    /* accumulators */
    uint32_t recent, familiar, small, n_small_acc, small_acc[4];
    int64_t dev_oldest, oldest, max;
    double sum, msum;
    bool impossible, known_device, known_merchant;
};

/* Starts detector `det` on `t` against the history of earlier transactions
 * (`t` is not in it yet); returns the number of look-ups it needs. */
uint32_t fraud_scan_begin(struct fraud_scan *s, int det,
                          const struct fraud_history *h,
                          const struct fraud_txn *t);
void fraud_scan_step(struct fraud_scan *s, uint32_t j);

/* Results of one detector on one transaction. */
enum fraud_verdict {
    FRAUD_CLEAN = 0,
    FRAUD_FLAGGED = 1,
    FRAUD_ABANDONED = 2 /* another detector claimed first */
};

/* The verdict once every step ran (FRAUD_CLEAN or FRAUD_FLAGGED); it
 * depends only on the history and the transaction. */
enum fraud_verdict fraud_scan_end(const struct fraud_scan *s);

/* The look-ups fraud_scan_begin would ask for, from ring lengths alone (no
 * history needed): lets a dispatcher size a round. */
uint32_t fraud_scan_steps(int det, const struct fraud_txn *t,
                          uint32_t acc_len, uint32_t mer_len);

/*
 * A whole detector run in one process: look-ups in blocks of `block`, with
 * stop(arg, done) after each block (`done`: look-ups in that block); true
 * abandons. stop == NULL: never abandon.
 */
struct fraud_check {
    bool (*stop)(void *arg, uint64_t done);
    void *arg;
    uint64_t block;   /* >= 1 */
    uint64_t lookups; /* out: history events examined, in total */
    uint64_t checks;  /* out: stop() calls made */
};

enum fraud_verdict fraud_detect(int det, const struct fraud_history *h,
                                const struct fraud_txn *t,
                                struct fraud_check *chk);

/* The reference: every detector on every transaction from `first` on, one
 * process, in order (t[0..first) only fill the history); flagged[i] gets 1
 * when any detector flags transaction i (0 before `first`); *lookups (may
 * be NULL) the history events examined. Returns 0 or -ENOMEM. */
int fraud_screen_serial(const struct fraud_txn *t, size_t n, size_t first,
                        uint32_t n_accounts, uint32_t n_merchants,
                        uint32_t depth, uint8_t *flagged, uint64_t *lookups);

/* Detection quality of verdicts against the labels (unlabelled rows are
 * not counted). */
struct fraud_quality {
    size_t tp, fp, fn, tn;
    size_t caught[FRAUD_KIND_COUNT], injected[FRAUD_KIND_COUNT];
    double precision, recall; /* -1 when undefined (nothing to count) */
};
void fraud_quality_of(const struct fraud_txn *t, size_t n,
                      const uint8_t *flagged, struct fraud_quality *q);

/* ---- fraud-screen.c ---------------------------------------------------- */

/* How the four workers screen (see fraud-screen.c). */
struct fraud_screen_opts {
    uint64_t check_every; /* look-ups between flag checks, or
                             COORD_CHECK_AUTO */
    bool early_exit;      /* false: every detector finishes every
                             transaction (the baseline) */
    int round_timeout_ms; /* one transaction's limit (-1: none) */
    uint64_t target_ns;   /* auto interval: stop-latency target (0: the
                             library's default) */
    bool claim_locked;    /* claim with the lecture's lock, check, set
                             (else one compare-and-swap) */
};

struct fraud_screen_stats {
    size_t screened;           /* transactions screened */
    double wall_s, tx_per_s;   /* screening only (not fork and join) */
    double latency_p50_us, latency_p99_us; /* dispatch to verdict */
    double round_p50_us, round_p99_us;     /* dispatch to all back */
    uint64_t claims;           /* transactions flagged */
    double stop_mean_us, stop_p99_us; /* claim to the last loser out
                                         (NAN when there was no claim) */
    uint64_t iterations;       /* look-ups, all workers */
    uint64_t wasted;           /* look-ups by losers after a claim */
    uint64_t wins[FRAUD_DET_COUNT]; /* claims per detector */
    uint64_t every_min, every_max;  /* the workers' K at the end */
};

/*
 * fraud_screen_rounds: screens t[first..n) with four persistent workers
 * (one per detector) on a coord_rounds pool: one round per transaction;
 * a detector's look-ups are the round's iterations (a flag check every K
 * of them); a flagging detector claims the round, the others abandon it at
 * their next check. Each worker keeps its own copy of the history, starting
 * from `warm` (the history of t[0..first), built by the caller) and adding
 * every transaction after its round. flagged[first..n) get the verdicts.
 * Returns 0, or a negative coord code (the pool failed; *why says so).
 */
int fraud_screen_rounds(const struct fraud_txn *t, size_t n, size_t first,
                        const struct fraud_history *warm,
                        const struct fraud_screen_opts *o, uint8_t *flagged,
                        struct fraud_screen_stats *st, char *why, size_t cap);

#endif
