/* SPDX-License-Identifier: MIT */
/* spectrum-rows.c: the mechanisms `coord spectrum` measures, what each does, slide 8's claim for it, and the verdict against it. */
#include <math.h>
#include <stdio.h>

#include "spectrum.h"

const struct row_def rows_def[SPECTRUM_NROWS] = {
    {"flag_check", "coord_flag_is_set (one acquire load)", 100, 100,
     "~100 ns (Value)", true},
    {"value_get", "coord_value_get (lock-free read)", 100, 100,
     "~100 ns (Value)", true},
    {"value_set", "coord_value_set (under its robust lock)", 100, 100,
     "~100 ns (Value)", false},
    {"array_read", "coord_array_get of element i", 100, 100,
     "~100 ns/element (Array)", true},
    {"array_write", "coord_array_set of element i", 100, 100,
     "~100 ns/element (Array)", false},
    {"region_read", "load from coord_region_data (raw shared bytes)", 100, 100,
     "~100 ns (shared_memory)", true},
    {"flag_claim_cas", "coord_flag_claim: one CAS (reset excluded)", 0, 0, "-",
     false},
    {"flag_claim_lock", "coord_flag_claim_locked: lock, check, set", 0, 0,
     "-", false},
    {"queue_roundtrip", "coord_queue put + get via an echo process", 0, 0,
     "-", false},
    {"pipe_roundtrip", "pipe write + read, 8 bytes, echo process", 0, 0, "-",
     false},
    {"unix_socket_roundtrip", "socketpair send + recv, 24 bytes, echo process",
     0, 0, "-", false},
    {"manager_get", "coord_mclient_get, server in another process", 1e6, 5e6,
     "1-5 ms (Manager)", false},
    {"manager_get_block", "coord_mclient_get, no spinning at either end", 1e6,
     5e6, "1-5 ms (Manager)", false},
    {"manager_set", "coord_mclient_set", 1e6, 5e6, "1-5 ms (Manager)", false},
    {"manager_incr", "coord_mclient_incr (atomic on the server)", 1e6, 5e6,
     "1-5 ms (Manager)", false},
    {"manager_batch100_get", "coord_mclient_batch of 100 gets, per get", 1e6,
     5e6, "1-5 ms/access (Manager)", false},
};
_Static_assert(sizeof rows_def / sizeof rows_def[0] == SPECTRUM_NROWS,
               "SPECTRUM_NROWS matches the table");

const char *spectrum_verdict(const struct row_def *d, double ns, char *buf,
                             size_t cap)
{
    if (d->hi == 0) {
        snprintf(buf, cap, "no claim");
    } else if (ns >= d->lo / 3 && ns <= d->hi * 3) {
        snprintf(buf, cap, "agrees");
    } else {
        /* Beyond the 3x that agrees: one decimal below 10x, so that 3.07x
         * does not read "3x", which would have agreed; just past 3x two
         * decimals, rounded up, so that 3.01x does not read "3.0x". */
        bool fast = ns < d->lo / 3;
        double x = fast ? d->lo / ns : ns / d->hi;
        const char *fmt = x < 10 ? "%.1fx %s" : "%.0fx %s";
        if (x < 3.05) {
            x = ceil(x * 100) / 100;
            fmt = "%.2fx %s";
        }
        snprintf(buf, cap, fmt, x, fast ? "faster" : "slower");
    }
    return buf;
}
