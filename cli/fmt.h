/* SPDX-License-Identifier: MIT */
/* fmt.h: numbers for people in the tables commands print (thousands separators, durations by magnitude). */
#ifndef COORD_CLI_FMT_H
#define COORD_CLI_FMT_H

#include <stddef.h>
#include <stdint.h>

/* fmt_commas: "1,234,567" into buf[cap]; returns buf. */
const char *fmt_commas(uint64_t v, char *buf, size_t cap);
/* fmt_dur: a duration in ns as "850 ns", "12.3 us", "4.56 ms", "1.23 s"
 * ("-" when negative or not finite) into buf[cap]; returns buf. */
const char *fmt_dur(double ns, char *buf, size_t cap);

#endif
