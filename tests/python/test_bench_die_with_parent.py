# SPDX-License-Identifier: MIT
"""bench/python/die_with_parent.py: the workers of a script `coord` runs die
with it. A SIGKILLed `coord` takes the script's main process with it
(PR_SET_PDEATHSIG, cli/launch.c), and the multiprocessing workers that
process had forked ran on as orphans, some for ever."""

import glob
import os
import re
import select
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BENCH = os.path.join(ROOT, "bench", "python")

SCRIPT = r"""
import multiprocessing as mp
import os
import sys
import time
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "1":
    import die_with_parent  # noqa: F401


def worker(depth):
    if depth:  # a worker's own worker: the chain goes down
        p = mp.get_context("fork").Process(target=worker, args=(0,))
        p.start()
        os.write(1, b"%d\n" % p.pid)  # one write: lines never interleave
    time.sleep(120)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    ps = [ctx.Process(target=worker, args=(d,)) for d in (0, 1)]
    for p in ps:
        p.start()
    os.write(1, b"%d %d\n" % (ps[0].pid, ps[1].pid))
    time.sleep(120)
"""


def dead(pid):
    """Gone, or a zombie (dead; its reaper is not this process)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


def read_pids(fd, want, seconds):
    """The pids the tree prints (whitespace-separated), reading the pipe
    itself (no buffer between select and the reads) until `want` came or
    `seconds` passed."""
    data = b""
    deadline = time.monotonic() + seconds
    while len(data.split()) < want or not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return [int(x) for x in data.split()]


class DieWithParentTest(unittest.TestCase):
    def run_tree(self, with_module):
        """Starts the script, returns (main process, its workers' pids)."""
        p = subprocess.Popen([sys.executable, "-c", SCRIPT, BENCH,
                              "1" if with_module else "0"],
                             stdout=subprocess.PIPE, start_new_session=True)
        self.addCleanup(self.kill_group, p)
        pids = read_pids(p.stdout.fileno(), 3, 30)
        self.assertEqual(len(pids), 3, "the workers did not start")
        return p, pids

    def kill_group(self, p):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait(timeout=30)
        p.stdout.close()

    def all_dead_within(self, pids, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if all(dead(x) for x in pids):
                return True
            time.sleep(0.01)
        return False

    def test_workers_die_with_a_killed_main_process(self):
        p, pids = self.run_tree(True)
        os.kill(p.pid, signal.SIGKILL)
        self.assertTrue(self.all_dead_within(pids, 20),
                        [x for x in pids if not dead(x)])

    def test_without_it_they_outlive_it(self):
        # The control: this is what happened before (and what the test
        # above would see without the module).
        p, pids = self.run_tree(False)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        time.sleep(0.2)
        self.assertFalse(all(dead(x) for x in pids))

    def test_a_pool_whose_worker_died_still_terminates(self):
        # Pool's handler thread forks the replacement worker. Had that
        # worker asked for the signal, the handler thread's end at
        # terminate() would kill it, perhaps holding the task queue's lock,
        # which terminate() then waits for: the probe hung for ever.
        for _ in range(3):
            p = subprocess.run([sys.executable, os.path.join(
                BENCH, "queue_probe_pool_kill.py"), "--timeout", "0.5"],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn('"probe": "pool_map_sigkilled_worker"', p.stdout)

    def test_every_script_the_cli_runs_imports_it(self):
        names = set()
        for src in glob.glob(os.path.join(ROOT, "cli", "*.c")):
            with open(src) as f:
                names |= set(re.findall(r'"([a-z_]+\.py)"', f.read()))
        self.assertGreaterEqual(len(names), 7, names)
        for name in sorted(names):
            with open(os.path.join(BENCH, name)) as f:
                self.assertRegex(f.read(), r"(?m)^import die_with_parent\b",
                                 name)


if __name__ == "__main__":
    unittest.main()
