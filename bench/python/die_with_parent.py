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

Linux ties that signal to the thread that forked, not the process: a child
forked by a thread that ends before it would get the signal then. Pool's
handler thread forks the replacement for a dead worker and ends at
terminate(), while that worker may hold the task queue's lock, which
terminate() then waits for: the pool would hang. So only children forked by
the main thread (which ends with the process) ask for the signal; a child
forked by another thread behaves as before.

Without ctypes (a Python built without it) nothing changes: the workers
behave as they did before.
"""
import os
import signal
import threading

_PR_SET_PDEATHSIG = 1
_parent = 0
_from_main_thread = False

try:
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl
    _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                       ctypes.c_ulong, ctypes.c_ulong]
    _prctl.restype = ctypes.c_int
except (ImportError, OSError, AttributeError):
    _prctl = None


def _before_fork():
    global _parent, _from_main_thread
    _parent = os.getpid()
    _from_main_thread = threading.current_thread() is threading.main_thread()


def _in_child():
    if not _from_main_thread:
        return
    if _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    # The parent may have died before the request: then no signal comes.
    if os.getppid() != _parent:
        os.kill(os.getpid(), signal.SIGKILL)


if _prctl is not None:
    os.register_at_fork(before=_before_fork, after_in_child=_in_child)
