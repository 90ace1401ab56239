# SPDX-License-Identifier: MIT
"""What the coord tool says about itself: its commands (`coord --help`) and
each command's usage, text and options (`coord CMD --help`). The man page
and the bash completion are generated from this at build time, so neither
can drift from the tool (scripts/gen-man.py, scripts/gen-completion.py)."""
import re
import subprocess

OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def run(coord, *args):
    """stdout of `coord ARGS`; fails loudly when the tool fails."""
    out = subprocess.run([coord, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=True, text=True)
    return out.stdout


def commands(coord):
    """[(name, summary)] in the order `coord --help` lists them."""
    found, inside = [], False
    for line in run(coord, "--help").splitlines():
        if line.strip() == "commands:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            name, _, summary = line.strip().partition(" ")
            found.append((name, summary.strip()))
    if not found:
        raise SystemExit("coordhelp: no commands in `coord --help`")
    return found


def options(text):
    """Every --option named in a help text, in order, once each."""
    seen = []
    for opt in OPTION.findall(text):
        if opt not in seen:
            seen.append(opt)
    return seen


def values(text):
    """{option: [words]} for options documented with a choice of lowercase
    words, such as `--claim cas|lock` or `--interval N|auto`."""
    found = {}
    for opt, choice in re.findall(r"(--[a-z][a-z0-9-]*)[ =]([A-Za-z]+(?:\|[A-Za-z]+)+)", text):
        words = [w for w in choice.split("|") if w.islower()]
        if words:
            found.setdefault(opt, words)
    return found


def with_value(text):
    """Options followed by an argument name (`--out DIR`, `--runs N`)."""
    return sorted(set(re.findall(r"(--[a-z][a-z0-9-]*)[ =](?:[A-Z][A-Z0-9]*\b|[a-z]+\|)", text)))
