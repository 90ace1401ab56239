# SPDX-License-Identifier: MIT
"""coord._cpus: how many worker processes Pool and search start by default."""

import os


def usable_cpus():
    """The CPUs this process may run on: its affinity, which taskset or a
    container's cpuset narrows (what os.process_cpu_count() gives from
    Python 3.13 on, and what the C library's defaults count); os.cpu_count()
    where the affinity cannot be read; at least 1."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = 0
    return n or os.cpu_count() or 1
