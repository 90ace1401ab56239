# SPDX-License-Identifier: MIT
"""coord._cpus: how many worker processes Pool and search start by default."""

from . import _coord


def usable_cpus():
    """The CPUs this process may use, as the C library's default worker
    counts take them: its affinity, which taskset or a container's cpuset
    narrows (what os.process_cpu_count() gives from Python 3.13 on), at
    most the online CPUs and the CPU quota of its cgroup rounded up
    (Docker's --cpus=1.5 or a Kubernetes limit of 1500m: 2), which
    os.process_cpu_count() does not see; at least 1."""
    return _coord.default_workers()
