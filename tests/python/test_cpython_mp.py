# SPDX-License-Identifier: MIT
"""CPython's own multiprocessing tests for Value, Array and Queue, run
against coord's classes.

The test classes are imported from the interpreter's own test package
(test/_test_multiprocessing.py, shipped with CPython; nothing of it is
copied here) and combined with a mixin that supplies coord's constructors
where the tests say self.Value, self.Array, self.RawValue, self.RawArray
and self.Queue. Processes, events and locks stay multiprocessing's (fork
start method, so coord's anonymous objects are inherited). Tests that
cannot pass because coord deliberately differs are skipped by name with
the reason (docs/python.md lists them); every other one must pass. When
the interpreter has no test package, the whole module is skipped and says
so.
"""

import multiprocessing
import unittest

import coord

try:
    from test import _test_multiprocessing as mpt
    MISSING = None
except (ImportError, unittest.SkipTest) as e:  # no test package installed
    mpt = None
    MISSING = "this python3 has no test._test_multiprocessing (%s)" % e

# Deliberate differences: test name -> why it cannot pass against coord.
SKIPS = {
    "_TestValue": {
        "test_getobj_getlock":
            "coord keeps the lock beside the value in shared memory: lock= takes "
            "True or False, not a lock object, and there is no ctypes get_obj()",
    },
    "_TestArray": {
        "test_getobj_getlock_obj":
            "coord keeps the lock beside the array in shared memory: lock= takes "
            "True or False, not a lock object, and there is no ctypes get_obj()",
    },
    "_TestQueue": {
        "test_task_done":
            "coord has no JoinableQueue (task_done/join); use pills or a Value",
        "test_queue_feeder_donot_stop_onexc":
            "coord has no feeder thread: put() pickles in the caller, so an "
            "unpicklable object raises from put() instead of being dropped by a thread",
    },
}

if mpt is not None:
    _fork = multiprocessing.get_context("fork")

    class CoordMixin(mpt.BaseMixin):
        """multiprocessing's processes and events; coord's shared objects."""
        TYPE = "processes"
        Process = _fork.Process
        current_process = staticmethod(multiprocessing.current_process)
        active_children = staticmethod(multiprocessing.active_children)
        Event = staticmethod(_fork.Event)
        Lock = staticmethod(_fork.Lock)
        RLock = staticmethod(_fork.RLock)
        Value = staticmethod(coord.Value)
        Array = staticmethod(coord.Array)
        RawValue = staticmethod(coord.RawValue)
        RawArray = staticmethod(coord.RawArray)
        Queue = staticmethod(coord.Queue)

    def _coord_case(base_name):
        base = getattr(mpt, base_name)
        attrs = {"__module__": __name__}
        for test, reason in SKIPS.get(base_name, {}).items():
            attrs[test] = unittest.skip(reason)(getattr(base, test))
        return type("Coord" + base_name.lstrip("_"), (base, CoordMixin, unittest.TestCase),
                    attrs)

    CoordTestValue = _coord_case("_TestValue")
    CoordTestArray = _coord_case("_TestArray")
    CoordTestQueue = _coord_case("_TestQueue")
else:
    @unittest.skip(MISSING)
    class CoordTestCPythonMultiprocessing(unittest.TestCase):
        def test_cpython_suite_available(self):
            pass


if __name__ == "__main__":
    unittest.main()
