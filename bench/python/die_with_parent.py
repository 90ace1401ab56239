# SPDX-License-Identifier: MIT
"""die_with_parent.py: each process forked after this import dies with its parent.

The scripts `coord` runs import it first. `coord` runs each script in its
own process group and kills that group at its deadline, when the script
ends, and when `coord` is ended by Ctrl-C or SIGTERM (cli/launch.c). A
SIGKILL of `coord` runs none of that: Linux sends the script's main
process the SIGKILL it asked for (PR_SET_PDEATHSIG), and nothing else, so
the multiprocessing workers it forked ran on as orphans, some for ever
(a consumer waiting for a pill). Here every forked child asks the kernel
for SIGKILL when its parent dies, so the whole tree goes, top down.

Linux ties that signal to the thread that forked: a child forked by a
thread that ends before it gets the signal then. multiprocessing forks its
processes from the thread that starts them (the main thread here) and
Pool's replacement workers from its handler thread, which lives until the
pool is closed, so only workers that are ending anyway can meet it.

Without ctypes (a Python built without it) nothing changes: the workers
behave as they did before.
"""
import os
import signal

_PR_SET_PDEATHSIG = 1
_parent = 0

try:
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl
    _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                       ctypes.c_ulong, ctypes.c_ulong]
    _prctl.restype = ctypes.c_int
except (ImportError, OSError, AttributeError):
    _prctl = None


def _before_fork():
    global _parent
    _parent = os.getpid()


def _in_child():
    if _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    # The parent may have died before the request: then no signal comes.
    if os.getppid() != _parent:
        os.kill(os.getpid(), signal.SIGKILL)


if _prctl is not None:
    os.register_at_fork(before=_before_fork, after_in_child=_in_child)
