/* SPDX-License-Identifier: MIT */
/* fraud-gen.c: the seeded generator of card transactions with injected fraud. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fraud.h"

/* xoshiro256** seeded through splitmix64: the same seed gives the same
 * stream on every machine (only integer arithmetic feeds the choices;
 * log/exp shape the amounts and are IEEE-exact enough to be stable). */
struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi]. */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Standard normal (Box-Muller; one of the pair is dropped for simplicity). */
static double rng_normal(struct rng *r)
{
    double u = rng_unit(r), v = rng_unit(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

/* Cities the accounts live in and the merchants trade in (degrees). */
static const struct {
    double lat, lon;
} cities[] = {
    {48.8566, 2.3522},    {51.5074, -0.1278},   {52.5200, 13.4050},
    {40.4168, -3.7038},   {41.9028, 12.4964},   {59.3293, 18.0686},
    {40.7128, -74.0060},  {41.8781, -87.6298},  {34.0522, -118.2437},
    {29.7604, -95.3698},  {43.6532, -79.3832},  {19.4326, -99.1332},
    {-23.5505, -46.6333}, {-34.6037, -58.3816}, {35.6762, 139.6503},
    {37.5665, 126.9780},  {1.3521, 103.8198},   {-33.8688, 151.2093},
    {28.6139, 77.2090},   {-26.2041, 28.0473},  {30.0444, 31.2357},
    {55.7558, 37.6173},   {25.2048, 55.2708},   {22.3193, 114.1694},
};
#define N_CITIES (sizeof cities / sizeof cities[0])

struct account {
    uint32_t home, city;   /* home city, city it is in now */
    int64_t last_ms;       /* its last legitimate transaction, or -1 */
    double log_median;     /* ln of its median amount in cents */
    uint32_t device[2], n_devices;
};

struct merchant {
    uint32_t city;
    int32_t lat_e5, lon_e5;
    double log_factor; /* price level against the account's median */
};

struct gen {
    struct rng r;
    const struct fraud_gen_opts *o;
    struct account *acc;
    struct merchant *mer;
    double *acc_cum;      /* cumulative activity weights */
    uint32_t *by_city;    /* merchants grouped by city */
    uint32_t city_start[N_CITIES + 1];
    uint32_t n_cities;    /* cities in use: min(N_CITIES, merchants) */
    uint32_t next_device; /* fraudsters' fresh devices */
};

static int32_t jitter_e5(struct rng *r, double deg, double spread)
{
    return (int32_t)lround((deg + (rng_unit(r) * 2 - 1) * spread) * 1e5);
}

static uint32_t pick_account(struct gen *g)
{
    double x = rng_unit(&g->r) * g->acc_cum[g->o->accounts - 1];
    uint32_t lo = 0, hi = g->o->accounts - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->acc_cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static uint32_t pick_merchant_in(struct gen *g, uint32_t city)
{
    uint32_t a = g->city_start[city], b = g->city_start[city + 1];
    return g->by_city[a + (uint32_t)rng_range(&g->r, 0, b - a - 1)];
}

static int64_t amount(struct gen *g, const struct account *a,
                      const struct merchant *m, double mult)
{
    double c = exp(a->log_median + m->log_factor + 0.5 * rng_normal(&g->r));
    c *= mult;
    if (c < 50)
        c = 50;
    if (c > 5e8)
        c = 5e8;
    return (int64_t)llround(c);
}

static void fill(struct fraud_txn *t, int64_t ts, uint32_t acct, uint32_t m,
                 const struct merchant *mer, int64_t cents, uint32_t device,
                 uint8_t label)
{
    memset(t, 0, sizeof *t);
    t->ts_ms = ts;
    t->account = acct;
    t->merchant = m;
    t->cents = cents;
    t->lat_e5 = mer->lat_e5;
    t->lon_e5 = mer->lon_e5;
    t->device = device;
    t->label = label;
}

static int setup(struct gen *g)
{
    const struct fraud_gen_opts *o = g->o;
    g->acc = calloc(o->accounts, sizeof *g->acc);
    g->acc_cum = calloc(o->accounts, sizeof *g->acc_cum);
    g->mer = calloc(o->merchants, sizeof *g->mer);
    g->by_city = calloc(o->merchants, sizeof *g->by_city);
    if (!g->acc || !g->acc_cum || !g->mer || !g->by_city)
        return -ENOMEM;
    g->n_cities = o->merchants < N_CITIES ? o->merchants : (uint32_t)N_CITIES;
    /* Merchant m trades in city m % n_cities: every city in use has one. */
    uint32_t per_city[N_CITIES] = {0};
    for (uint32_t m = 0; m < o->merchants; m++) {
        struct merchant *x = &g->mer[m];
        x->city = m % g->n_cities;
        x->lat_e5 = jitter_e5(&g->r, cities[x->city].lat, 0.15);
        x->lon_e5 = jitter_e5(&g->r, cities[x->city].lon, 0.15);
        x->log_factor = (rng_unit(&g->r) * 2 - 1) * 0.6;
        per_city[x->city]++;
    }
    g->city_start[0] = 0;
    for (uint32_t c = 0; c < N_CITIES; c++)
        g->city_start[c + 1] = g->city_start[c] + per_city[c];
    uint32_t fillp[N_CITIES];
    memcpy(fillp, g->city_start, sizeof fillp);
    for (uint32_t m = 0; m < o->merchants; m++)
        g->by_city[fillp[g->mer[m].city]++] = m;
    double cum = 0;
    for (uint32_t a = 0; a < o->accounts; a++) {
        struct account *x = &g->acc[a];
        x->home = x->city = (uint32_t)rng_range(&g->r, 0, g->n_cities - 1);
        x->last_ms = -1;
        x->log_median = log(1500.0) + rng_unit(&g->r) * log(8.0);
        x->n_devices = rng_range(&g->r, 0, 2) == 0 ? 2 : 1;
        x->device[0] = 1000 + a * 2;
        x->device[1] = 1001 + a * 2;
        /* A few accounts are much busier than most (weights 1..10). */
        double u = rng_unit(&g->r);
        cum += 1.0 + 9.0 * u * u * u;
        g->acc_cum[a] = cum;
    }
    g->next_device = 1000 + o->accounts * 2 + 1000000;
    return 0;
}

static void legit(struct gen *g, struct fraud_txn *t, int64_t ts)
{
    uint32_t a = pick_account(g);
    struct account *x = &g->acc[a];
    /* A move to another city (or back home) only after a quiet half day,
     * so that legitimate travel never looks impossible. */
    if (x->last_ms < 0 || ts - x->last_ms >= 12 * 3600 * 1000ll) {
        if (g->n_cities > 1 && rng_unit(&g->r) < 0.05) {
            uint32_t c = (uint32_t)rng_range(&g->r, 0, g->n_cities - 2);
            x->city = c >= x->home ? c + 1 : c;
        } else {
            x->city = x->home;
        }
    }
    x->last_ms = ts;
    uint32_t m = pick_merchant_in(g, x->city);
    uint32_t dev = x->device[rng_range(&g->r, 0, x->n_devices - 1)];
    fill(t, ts, a, m, &g->mer[m], amount(g, x, &g->mer[m], 1.0), dev,
         FRAUD_NONE);
}

/* A city at least ~1500 km from `city` (or the farthest one). */
static uint32_t far_city(struct gen *g, uint32_t city)
{
    for (int tries = 0; tries < 32; tries++) {
        uint32_t c = (uint32_t)rng_range(&g->r, 0, g->n_cities - 1);
        double dl = cities[c].lat - cities[city].lat;
        double dn = cities[c].lon - cities[city].lon;
        if (dl * dl + dn * dn > 15.0 * 15.0)
            return c;
    }
    uint32_t best = city;
    double bd = -1;
    for (uint32_t c = 0; c < g->n_cities; c++) {
        double dl = cities[c].lat - cities[city].lat;
        double dn = cities[c].lon - cities[city].lon;
        if (dl * dl + dn * dn > bd)
            bd = dl * dl + dn * dn, best = c;
    }
    return best;
}

/* Appends one fraud episode of `kind` (at most `room` transactions) around
 * the legitimate transaction `anchor`; returns how many it appended. */
static size_t episode(struct gen *g, int kind, const struct fraud_txn *anchor,
                      struct fraud_txn *out, size_t room)
{
    uint32_t a = anchor->account;
    struct account *x = &g->acc[a];
    uint32_t city = g->mer[anchor->merchant].city;
    uint32_t dev = g->next_device++;
    int64_t ts = anchor->ts_ms;
    size_t n = 0;
    switch (kind) {
    case FRAUD_VELOCITY: {
        size_t k = (size_t)rng_range(&g->r, 5, 8);
        ts += rng_range(&g->r, 20, 120) * 60000;
        for (; n < k && n < room; n++) {
            uint32_t m = pick_merchant_in(g, city);
            fill(&out[n], ts, a, m, &g->mer[m],
                 amount(g, x, &g->mer[m], 1.0 + 2.0 * rng_unit(&g->r)), dev,
                 FRAUD_VELOCITY);
            ts += rng_range(&g->r, 15, 60) * 1000;
        }
        break;
    }
    case FRAUD_TRAVEL: {
        uint32_t c = far_city(g, city);
        uint32_t m = pick_merchant_in(g, c);
        ts += rng_range(&g->r, 10, 90) * 60000;
        fill(&out[n++], ts, a, m, &g->mer[m],
             amount(g, x, &g->mer[m], 1.0 + rng_unit(&g->r)), dev,
             FRAUD_TRAVEL);
        break;
    }
    case FRAUD_AMOUNT: {
        uint32_t m = pick_merchant_in(g, city);
        ts += rng_range(&g->r, 30, 300) * 60000;
        int64_t c = amount(g, x, &g->mer[m], 12.0 + 28.0 * rng_unit(&g->r));
        if (c < 30000)
            c = 30000;
        /* Half are account take-overs from the owner's own device. */
        uint32_t d = rng_range(&g->r, 0, 1) ? x->device[0] : dev;
        fill(&out[n++], ts, a, m, &g->mer[m], c, d, FRAUD_AMOUNT);
        break;
    }
    default: { /* FRAUD_CARD_TESTING */
        size_t k = (size_t)rng_range(&g->r, 3, 6);
        uint32_t m = pick_merchant_in(g, city);
        ts += rng_range(&g->r, 60, 360) * 60000;
        for (; n < k && n < room; n++) {
            fill(&out[n], ts, a, m, &g->mer[m], rng_range(&g->r, 50, 299),
                 dev, FRAUD_CARD_TESTING);
            ts += rng_range(&g->r, 20, 90) * 1000;
        }
        break;
    }
    }
    return n;
}

static int by_time(const void *pa, const void *pb)
{
    const struct fraud_txn *a = pa, *b = pb;
    if (a->ts_ms != b->ts_ms)
        return a->ts_ms < b->ts_ms ? -1 : 1;
    /* `id` holds the generation order until ids are assigned: stable. */
    return (a->id > b->id) - (a->id < b->id);
}

void fraud_gen_defaults(struct fraud_gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->count = 20000;
    o->accounts = 100;
    o->merchants = 120;
    o->fraud_rate = 0.02;
    o->start_ms = 1767225600000ll; /* 2026-01-01T00:00:00Z */
    o->mean_gap_ms = 0;
}

size_t fraud_expected(const struct fraud_gen_opts *o)
{
    return (size_t)llround((double)o->count * o->fraud_rate);
}

/* More than 2^32 transactions (a test of its own: with a 32-bit size_t
 * an inline comparison is always false, and -Wextra says so). */
static bool too_many(uint64_t count)
{
    return count > ((uint64_t)1 << 32);
}

int fraud_generate(const struct fraud_gen_opts *o, struct fraud_txn **out)
{
    if (!o || !out || o->count == 0 || too_many(o->count) ||
        o->accounts == 0 || o->merchants == 0 || !(o->fraud_rate >= 0) ||
        o->fraud_rate > 0.5 || o->mean_gap_ms < 0)
        return -EINVAL;
    /* Automatic gap: four purchases a day per account on average. */
    int64_t gap_ms = o->mean_gap_ms ? o->mean_gap_ms
                                    : 86400000ll / (4ll * o->accounts);
    if (gap_ms < 1)
        gap_ms = 1;
    size_t nf = fraud_expected(o), nl = o->count - nf;
    struct gen g;
    memset(&g, 0, sizeof g);
    g.o = o;
    rng_seed(&g.r, o->seed);
    struct fraud_txn *t = calloc(o->count, sizeof *t);
    int rc = t ? setup(&g) : -ENOMEM;
    if (rc == 0) {
        int64_t ts = o->start_ms;
        for (size_t i = 0; i < nl; i++) {
            /* Exponential gaps: a Poisson stream of purchases. */
            double gap = -log(1.0 - rng_unit(&g.r)) * (double)gap_ms;
            ts += 1 + (int64_t)gap;
            legit(&g, &t[i], ts);
        }
        size_t made = 0;
        while (made < nf) {
            int kind = (int)rng_range(&g.r, FRAUD_VELOCITY, FRAUD_CARD_TESTING);
            struct fraud_txn base;
            const struct fraud_txn *anchor;
            if (nl > 0) {
                anchor = &t[rng_range(&g.r, 0, (int64_t)nl - 1)];
            } else {
                uint32_t a = pick_account(&g);
                uint32_t m = pick_merchant_in(&g, g.acc[a].home);
                fill(&base, o->start_ms, a, m, &g.mer[m], 1000,
                     g.acc[a].device[0], FRAUD_NONE);
                anchor = &base;
            }
            made += episode(&g, kind, anchor, &t[nl + made], nf - made);
        }
        for (size_t i = 0; i < o->count; i++)
            t[i].id = i;
        qsort(t, o->count, sizeof *t, by_time);
        for (size_t i = 0; i < o->count; i++)
            t[i].id = i + 1;
    }
    free(g.acc);
    free(g.acc_cum);
    free(g.mer);
    free(g.by_city);
    if (rc != 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}
