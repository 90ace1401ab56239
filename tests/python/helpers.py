# SPDX-License-Identifier: MIT
"""Shared helpers of the coord Python tests: forked children joined with a
bounded wait (a bug fails the test, never hangs it) and unique names that
are cleaned up even when a test fails."""

import os
import select
import signal
import unittest

import coord

JOIN_TIMEOUT = 60.0  # seconds; generous for a loaded 2-core machine


def fork(fn, *args):
    """Run fn(*args) in a forked child; its exit code is 0 when fn returns
    a true value or None, 1 when it returns False, 2 when it raises."""
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            ok = fn(*args)
            code = 1 if ok is False else 0
        except BaseException:  # report, never run the parent's code
            import traceback
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def join(pid, timeout=JOIN_TIMEOUT):
    """Wait for child `pid` at most `timeout` seconds (pidfd + select: no
    polling); on timeout SIGKILL and reap it, then raise AssertionError.
    Returns the raw wait status."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise AssertionError("child %d did not finish in %.0f s" % (pid, timeout))
    return os.waitpid(pid, 0)[1]


def join_ok(test, pid, timeout=JOIN_TIMEOUT):
    status = join(pid, timeout)
    test.assertTrue(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
                    "child failed, wait status %#x" % status)


class NamedTestCase(unittest.TestCase):
    """Gives each test a unique name prefix and removes every /dev/shm
    segment under it afterwards, whatever happened."""

    def setUp(self):
        self.prefix = "pytest%d.%s." % (os.getpid(), self._testMethodName[:40])

    def name(self, what):
        return self.prefix + what

    def tearDown(self):
        for e in coord.gc(prefix=self.prefix):
            if e["state"] != "foreign":
                # A file found under a killed gc's private name is there.
                where = e["aside"] or "coord." + e["name"]
                try:
                    os.unlink("/dev/shm/" + where)
                except FileNotFoundError:
                    pass
