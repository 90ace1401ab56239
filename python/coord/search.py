# SPDX-License-Identifier: MIT
"""coord.search: the lecture's cooperative early-exit search with the loop,
the block-wise flag check and the claim in C (coord_search)."""

from . import _coord
from ._cpus import usable_cpus

_AUTO = (1 << 64) - 1  # COORD_CHECK_AUTO


class SearchResult:
    """What coord.search returns.

    found        a probe returned something other than None
    index        the winning index (None when not found)
    value        what the winning probe returned
    winner       the worker that won (-1 when not found)
    iterations   probe calls, all workers
    wasted       iterations run after the winning claim (each other
                 worker's iterations after its last check that saw the
                 flag clear): with early exit and a fixed check_every at
                 most (workers - 1) * check_every (with "auto" that product
                 is its size, not a bound); without early exit the other
                 workers' whole rest of their shares
    stop_latency_ns  claim to the last other worker leaving its loop
    check_every  the check interval K (for "auto", the workers' mean)
    workers, checks, wall_ns, run_ns, iteration_ns, per_worker: details
    """

    __slots__ = ("found", "index", "value", "winner", "iterations", "wasted",
                 "wasted_estimated", "stop_latency_ns", "check_every", "checks",
                 "wall_ns", "run_ns", "workers", "iteration_ns", "per_worker")

    def __init__(self, d):
        for k in self.__slots__:
            setattr(self, k, d[k])

    def __bool__(self):
        return self.found

    def __repr__(self):
        return ("SearchResult(found=%r, index=%r, value=%r, winner=%r, iterations=%r, "
                "wasted=%r, stop_latency_ns=%r, check_every=%r)" % (
                    self.found, self.index, self.value, self.winner, self.iterations,
                    self.wasted, self.stop_latency_ns, self.check_every))


def search(probe, start, stop, *, workers=None, check_every="auto", early_exit=True,
           claim="cas", partition="interleaved", timeout=None, max_result=65536):
    """Call probe(i) for i in range(start, stop) in `workers` forked
    processes (default: the CPUs this process may run on, its affinity,
    at most its cgroup's CPU quota rounded up) until one returns something
    other than None; that value comes back (pickled) in the result, and
    the other workers stop at their next flag check.

    check_every: "auto" (keep the check cost under 1 % and the stop
    latency under 100 us) or a fixed K. early_exit=False runs every worker
    to its end (the lecture's baseline). claim: "cas" (one compare-and-
    swap) or "lock" (the lecture's lock, check, set). partition:
    "interleaved" (chunks dealt round robin: the hit nearest `start` is
    found first) or "blocks" (the lecture's contiguous block per worker).
    An exception in the probe stops the search and is raised here; a
    worker that dies raises coord.EPEERDIED (coord.ECHILD when SIGCHLD is
    set to SIG_IGN, or a waitpid(-1) elsewhere reaped it: how it ended is
    then unknown); timeout (seconds) raises
    coord.ETIMEDOUT (a TimeoutError).

    The probe runs in forked children: what it changes in their memory is
    lost; only the winner's return value comes back. The calling thread
    holds the GIL while it forks the workers and lets it go while it waits
    for them (its other threads run), taking it back every 10 ms to run
    signal handlers: KeyboardInterrupt (Ctrl-C), or any exception a
    handler raises, kills and reaps the workers and is raised here.
    """
    if workers is None:
        workers = usable_cpus()
    if check_every == "auto":
        every = _AUTO
    elif isinstance(check_every, int) and not isinstance(check_every, bool) and check_every > 0:
        every = check_every
    else:
        raise ValueError("check_every must be 'auto' or a positive int")
    if claim not in ("cas", "lock"):
        raise ValueError("claim must be 'cas' or 'lock'")
    if partition not in ("interleaved", "blocks"):
        raise ValueError("partition must be 'interleaved' or 'blocks'")
    if not 0 <= start < stop:
        raise ValueError("need 0 <= start < stop")
    # As Queue.get's timeout (ValueError when negative or NaN); 0 expires
    # at once (a millisecond: coord_search takes no 0).
    timeout_ms = _coord.timeout_ms(timeout) or 1
    d = _coord._search(probe, start, stop, workers=workers, check_every=every,
                       early_exit=bool(early_exit), claim_lock=claim == "lock",
                       blocks=partition == "blocks", timeout_ms=timeout_ms,
                       max_result=max_result)
    return SearchResult(d)
