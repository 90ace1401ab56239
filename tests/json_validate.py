# SPDX-License-Identifier: MIT
"""json_validate.py: checks `coord <command> --json` output against
tests/data/json-schema.json, in the JSON-Schema subset docs/json.md defines.

Usage:
  python3 json_validate.py SCHEMA COMMAND FILE      validate one document
  python3 json_validate.py --run COORD SCHEMA [DIR] run every command with
                                                   its smallest settings and
                                                   validate each output

Exit status 0 when every document is valid, 1 with one line per problem.
Standard library only.
"""

import json
import os
import subprocess
import sys
import tempfile

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _check(value, schema, path, errors):
    """Appends to errors every way `value` departs from `schema`."""
    want = schema.get("type")
    if want is not None:
        kinds = want if isinstance(want, list) else [want]
        for k in kinds:
            if k not in _TYPES:
                raise ValueError("%s: unknown type %r in the schema" % (path, k))
        if not any(_TYPES[k](value) for k in kinds):
            errors.append("%s: %s is not of type %s"
                          % (path, json.dumps(value)[:60], "|".join(kinds)))
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %s is not one of %s"
                      % (path, json.dumps(value)[:60], schema["enum"]))
    if "const" in schema and value != schema["const"]:
        errors.append("%s: %s is not %s"
                      % (path, json.dumps(value)[:60],
                         json.dumps(schema["const"])))
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: missing required field %r" % (path, key))
        props = schema.get("properties", {})
        for key, sub in props.items():
            if key in value:
                _check(value[key], sub, "%s.%s" % (path, key), errors)
        if schema.get("additionalProperties") is False:
            for key in value:
                if key not in props:
                    errors.append("%s: unknown field %r" % (path, key))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(item, schema["items"], "%s[%d]" % (path, i), errors)


def _vocabulary(value, rules, path, errors):
    """The rules that hold for every field of every command: an `impl` is
    one of the known implementations, a field named *_ns (nanoseconds) or
    *_ps (picoseconds) is an integer (or null), a field named `runs` is an
    integer."""
    if isinstance(value, dict):
        for key, v in value.items():
            p = "%s.%s" % (path, key)
            if key == "impl" and v not in rules["impl"]:
                errors.append("%s: unknown impl %s (known: %s)"
                              % (p, json.dumps(v)[:60],
                                 ", ".join(rules["impl"])))
            unit = {"_ns": "nanoseconds", "_ps": "picoseconds"}.get(key[-3:])
            if unit and v is not None and not _TYPES["integer"](v):
                errors.append("%s: %s is not an integer number of %s"
                              % (p, json.dumps(v)[:60], unit))
            if key == "runs" and not _TYPES["integer"](v):
                errors.append("%s: runs must be an integer (the number of "
                              "runs), got %s" % (p, json.dumps(v)[:60]))
            _vocabulary(v, rules, p, errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _vocabulary(item, rules, "%s[%d]" % (path, i), errors)


def validate(doc, schema, command):
    """The list of problems of `doc` as the output of `coord <command>
    --json` (empty when valid)."""
    errors = []
    if command not in schema["commands"]:
        return ["no schema for command %r" % command]
    _check(doc, schema["envelope"], "$", errors)
    if errors:
        return errors
    if doc.get("command") != command:
        errors.append("$.command: %s, expected %s"
                      % (json.dumps(doc.get("command")), json.dumps(command)))
    cmd = schema["commands"][command]
    want = "coord.%s/%d" % (command, cmd["version"])
    if doc.get("schema") != want:
        errors.append("$.schema: %s, expected %s"
                      % (json.dumps(doc.get("schema")), json.dumps(want)))
    _check(doc, cmd["schema"], "$", errors)
    _vocabulary(doc, schema["rules"], "$", errors)
    return errors


def load_schema(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# The smallest settings of every command that has --json (docs/json.md).
# {data} is the source tree's tests/data.
RUNS = [
    ("primes", ["primes", "--quick", "--json"]),
    ("waste", ["waste", "--quick", "--json"]),
    ("interval", ["interval", "--quick", "--json"]),
    ("spectrum", ["spectrum", "--quick", "--json"]),
    # Python's rows have fields of their own (docs/json.md).
    ("spectrum", ["spectrum", "--quick", "--vs-python", "--json"]),
    ("queue", ["queue", "--quick", "--json"]),
    # Skipped Python probes: ok null, a `skipped` reason, no detail.
    ("queue", ["queue", "--quick", "--no-python", "--json"]),
    ("fraud", ["fraud", "--quick", "--json"]),
    # A CSV without labels: no fraud_rate, no injected count (both null).
    ("fraud", ["fraud", "--csv", "{data}/fraud-unlabelled.csv",
               "--intervals", "1", "--json"]),
    ("gc", ["gc", "--prefix", "coord.json-validate-none-", "--json"]),
    ("advise", ["advise", "--shape", "counter", "--processes", "4",
                "--per-task", "1000", "--calibration",
                "{data}/advise-calibration.json", "--json"]),
]


def run_all(coord, schema_path, data_dir):
    schema = load_schema(schema_path)
    failed = 0
    missing = set(schema["commands"]) - {c for c, _ in RUNS} - {"report"}
    for c in sorted(missing):
        print("json_validate: %s has a schema but is not run" % c)
        failed += 1
    with tempfile.TemporaryDirectory(prefix="coord-json-") as home:
        env = dict(os.environ, HOME=home, XDG_CACHE_HOME=home)
        for command, args in RUNS:
            argv = [coord] + [a.replace("{data}", data_dir) for a in args]
            try:
                p = subprocess.run(argv, capture_output=True, text=True,
                                   timeout=300, env=env)
            except subprocess.TimeoutExpired:
                print("json_validate: %s timed out" % " ".join(argv))
                failed += 1
                continue
            if p.returncode != 0:
                print("json_validate: %s exited %d: %s"
                      % (" ".join(argv), p.returncode, p.stderr.strip()[-300:]))
                failed += 1
                continue
            try:
                doc = json.loads(p.stdout)
            except ValueError as e:
                print("json_validate: %s: not JSON: %s" % (command, e))
                failed += 1
                continue
            errs = validate(doc, schema, command)
            for e in errs:
                print("json_validate: %s: %s" % (command, e))
            failed += bool(errs)
            print("json_validate: %s %s" % (command, "FAIL" if errs else "ok"))
    return 1 if failed else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "--run":
        data = argv[4] if len(argv) > 4 else os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "data")
        return run_all(argv[2], argv[3], data)
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[3], encoding="utf-8") as f:
        doc = json.load(f)
    errs = validate(doc, load_schema(argv[1]), argv[2])
    for e in errs:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
