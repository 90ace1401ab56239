# SPDX-License-Identifier: MIT
"""The Python listings the documentation shows run as shown: README.md's
"Python" example and docs/python.md's Example 27.1, each taken from the
Markdown as it stands and run by a fresh interpreter (bounded), its output
checked against what the listing prints (a prime of the searched range,
the winning worker, the wasted iterations)."""

import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN_TIMEOUT = 120.0  # seconds: the search is about a second when idle


def listing(doc, heading):
    """The first ```python block after the line `heading` in doc."""
    with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
        text = f.read()
    at = text.find("\n" + heading + "\n")
    if at < 0:
        raise AssertionError("%s has no heading %r" % (doc, heading))
    m = re.compile(r"^```python\n(.*?)^```$", re.S | re.M).search(text, at)
    if not m:
        raise AssertionError("%s has no python listing after %r" % (doc, heading))
    return m.group(1)


def run(code):
    """Run `code` in a new interpreter with this one's environment (the
    build's PYTHONPATH); its stdout."""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=RUN_TIMEOUT, env=os.environ.copy())
    if p.returncode != 0:
        raise AssertionError("the listing exited %d:\n%s" % (p.returncode, p.stderr))
    return p.stdout


def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


class DocExamplesTest(unittest.TestCase):
    def check_listing(self, doc, heading, printed):
        """Run doc's listing under heading; its one output line must match
        `printed` (groups: the value found, the winning worker)."""
        code = listing(doc, heading)
        self.assertIn("coord.search(", code)
        out = run(code)
        m = re.fullmatch(printed + r"\n", out)
        self.assertIsNotNone(m, "%s's example printed %r" % (doc, out))
        value, winner = int(m.group(1)), int(m.group(2))
        self.assertTrue(10**12 <= value < 10**12 + 10**6, value)
        self.assertTrue(is_prime(value), value)
        self.assertLess(winner, 4)  # workers=4

    def test_readme_python_example(self):
        self.check_listing("README.md", "## Python: `import coord`",
                           r"(\d+) found by worker (\d+) - wasted iterations: \d+")

    def test_python_md_example(self):
        self.check_listing("docs/python.md",
                           "## Example: the lecture's Example 27.1 with coord",
                           r"(\d+) (\d+) \d+ \d+")


if __name__ == "__main__":
    unittest.main()
