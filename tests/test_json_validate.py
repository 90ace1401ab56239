# SPDX-License-Identifier: MIT
"""Unit tests of tests/json_validate.py: it must reject what docs/json.md
forbids, and accept a document that follows it."""

import copy
import json
import os
import unittest

import json_validate as jv

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = jv.load_schema(os.path.join(HERE, "data", "json-schema.json"))

# A minimal valid `coord gc --json` and `coord queue --json`.
GC = {
    "schema": "coord.gc/1", "command": "gc", "coord_version": "0.2.0",
    "machine": {"cpus": 2, "loadavg_1m": 0.5, "kernel": "6.1",
                "cpu_model": "x", "boot_time_s": 1700000000},
    "files": [{"name": "coord.x", "kind": "flag", "creator_pid": 1,
               "size": 64, "state": "live", "removed": False}], "removable": 0, "removed": False,
}
QUEUE = dict(copy.deepcopy(GC), schema="coord.queue/1", command="queue")
del QUEUE["files"]
QUEUE.update({
    "queue_capacity": 1024,
    "rows": [{"case": "1p1c", "impl": "coord", "msg_bytes": 8,
              "producers": 1, "consumers": 1, "messages": 10, "runs": 1,
              "msgs_per_s": 1e6, "exactly_once": True}],
    "probes": [],
})


class ValidatorTest(unittest.TestCase):
    def errors(self, doc, command):
        return jv.validate(doc, SCHEMA, command)

    def test_valid_documents_pass(self):
        self.assertEqual(self.errors(GC, "gc"), [])
        self.assertEqual(self.errors(QUEUE, "queue"), [])

    def test_gc_file_found_aside(self):
        d = copy.deepcopy(GC)
        d["files"][0].update(outcome="restored", found_aside=".coord-gc-7-0",
                             aside=None)
        self.assertEqual(self.errors(d, "gc"), [])
        d["files"][0]["aside"] = 0  # a string or null
        self.assertTrue(self.errors(d, "gc"))

    def test_wrong_type_fails(self):
        d = copy.deepcopy(QUEUE)
        d["rows"][0]["messages"] = "10"
        e = self.errors(d, "queue")
        self.assertTrue(any("messages" in x and "integer" in x for x in e), e)
        d = copy.deepcopy(GC)
        d["machine"]["cpus"] = True  # a boolean is not an integer
        self.assertTrue(self.errors(d, "gc"))
        d = copy.deepcopy(QUEUE)
        d["rows"][0]["exactly_once"] = 1  # an integer is not a boolean
        self.assertTrue(self.errors(d, "queue"))

    def test_missing_required_field_fails(self):
        for key in ("schema", "command", "coord_version", "machine"):
            d = copy.deepcopy(GC)
            del d[key]
            e = self.errors(d, "gc")
            self.assertTrue(any(repr(key) in x for x in e), (key, e))
        d = copy.deepcopy(QUEUE)
        del d["rows"][0]["impl"]
        self.assertTrue(any("'impl'" in x for x in self.errors(d, "queue")))

    def test_unknown_impl_fails(self):
        d = copy.deepcopy(QUEUE)
        d["rows"][0]["impl"] = "c"
        e = self.errors(d, "queue")
        self.assertTrue(any("unknown impl" in x for x in e), e)

    def test_impl_checked_in_any_object(self):
        d = copy.deepcopy(GC)
        d["files"][0]["impl"] = "rust"
        self.assertTrue(any("unknown impl" in x for x in self.errors(d, "gc")))

    def test_non_integer_ns_fails(self):
        d = copy.deepcopy(GC)
        d["files"][0]["age_ns"] = 1.5
        e = self.errors(d, "gc")
        self.assertTrue(any("age_ns" in x and "nanoseconds" in x for x in e), e)
        d["files"][0]["age_ns"] = "15"
        self.assertTrue(self.errors(d, "gc"))
        d["files"][0]["age_ns"] = None  # null: not measured
        self.assertEqual(self.errors(d, "gc"), [])
        d["files"][0]["age_ns"] = 15
        self.assertEqual(self.errors(d, "gc"), [])

    def test_non_integer_ps_fails(self):
        d = copy.deepcopy(GC)
        d["files"][0]["cost_ps"] = 0.5
        e = self.errors(d, "gc")
        self.assertTrue(any("cost_ps" in x and "picoseconds" in x for x in e), e)
        d["files"][0]["cost_ps"] = 500
        self.assertEqual(self.errors(d, "gc"), [])

    def test_runs_must_be_an_integer(self):
        d = copy.deepcopy(QUEUE)
        d["rows"][0]["runs"] = [{"x": 1}]
        e = self.errors(d, "queue")
        self.assertTrue(any("runs must be an integer" in x for x in e), e)

    def test_schema_and_command_must_match(self):
        d = copy.deepcopy(GC)
        d["schema"] = "coord.gc/2"
        self.assertTrue(self.errors(d, "gc"))
        d = copy.deepcopy(GC)
        d["command"] = "queue"
        self.assertTrue(self.errors(d, "gc"))
        self.assertTrue(self.errors(GC, "nosuch"))

    def test_unknown_machine_field_fails(self):
        d = copy.deepcopy(GC)
        d["machine"]["hostname"] = "box"  # the envelope is hostname-free
        e = self.errors(d, "gc")
        self.assertTrue(any("unknown field 'hostname'" in x for x in e), e)

    def test_enum_and_nullable(self):
        doc = {"a": None, "b": "x"}
        schema = {"type": "object", "properties": {
            "a": {"type": ["integer", "null"]},
            "b": {"type": "string", "enum": ["x", "y"]}}}
        errs = []
        jv._check(doc, schema, "$", errs)
        self.assertEqual(errs, [])
        jv._check({"a": "1", "b": "z"}, schema, "$", errs)
        self.assertEqual(len(errs), 2, errs)

    def test_every_command_has_a_run(self):
        run = {c for c, _ in jv.RUNS}
        self.assertEqual(set(SCHEMA["commands"]) - {"report"}, run)

    def test_schema_file_is_json(self):
        with open(os.path.join(HERE, "data", "json-schema.json")) as f:
            self.assertIn("envelope", json.load(f))


if __name__ == "__main__":
    unittest.main()
