/* SPDX-License-Identifier: MIT */
/* prefetch.c: whether the CPU can prefetch a cache line for writing (x86's PREFETCHW), asked once. */
#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

_Atomic int coord__prefetchw_ok;

int coord__prefetchw_probe(void)
{
    int ok = -1;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    /* CPUID 0x80000001, ECX bit 8: PRFCHW (AMD since the K6, Intel since
     * Broadwell). Without it the instruction is not used at all. */
    if (__get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 8)))
        ok = 1;
#endif
    atomic_store_explicit(&coord__prefetchw_ok, ok, memory_order_relaxed);
    return ok;
}
