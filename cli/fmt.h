/* SPDX-License-Identifier: MIT */
/* fmt.h: numbers for people (thousands separators, significant digits, durations by magnitude): the commands' tables, the advisor, the report and its plots. */
#ifndef COORD_CLI_FMT_H
#define COORD_CLI_FMT_H

#include <stddef.h>
#include <stdint.h>

/* fmt_commas: "1,234,567" into buf[cap]; returns buf. */
const char *fmt_commas(uint64_t v, char *buf, size_t cap);

/* fmt_count: a count held as a double (a median of an even number of runs
 * may end in .5) rounded to the nearest whole, as the JSON writes it
 * (llround), with commas; "-" for a negative or non-finite value. Returns
 * buf. */
const char *fmt_count(double v, char *buf, size_t cap);
/* fmt_dur: for the commands' column-aligned terminal tables (fixed
 * decimals, ASCII "us"): a duration in ns as "850 ns", "12.3 us", "4.56 ms", "1.23 s"
 * ("-" when negative or not finite) into buf[cap]; returns buf. */
const char *fmt_dur(double ns, char *buf, size_t cap);
/* fmt_sig: v rounded to `sig` significant digits, for prose and plots:
 * "0.25", "7", "1,000", "25k", "1.5M" into buf[cap]; returns buf. */
const char *fmt_sig(double v, int sig, char *buf, size_t cap);
/* fmt_sig_ns: a duration in ns with `sig` significant digits, in the unit
 * its rounded value calls for: "0.25 ns", "999 ns", "1 µs", "1.23 ms",
 * "10k s" into buf[cap]; returns buf. The caller handles values that are
 * not finite. */
const char *fmt_sig_ns(double ns, int sig, char *buf, size_t cap);

#endif
