/* SPDX-License-Identifier: MIT */
/* clock.h: the monotonic clock every measurement and deadline in coord uses. */
#ifndef COORD_CLOCK_H
#define COORD_CLOCK_H

#include "common.h"

COORD_BEGIN_DECLS

/*
 * coord_clock_ns: nanoseconds of CLOCK_MONOTONIC (since an arbitrary start).
 * Concurrency: any thread or process; values are comparable across the
 * processes of one machine. Progress: wait-free, no system call on Linux
 * (vDSO), about 20 ns.
 */
COORD_EXTERN uint64_t coord_clock_ns(void);

COORD_END_DECLS

#endif
