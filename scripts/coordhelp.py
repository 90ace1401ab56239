# SPDX-License-Identifier: MIT
"""What the coord tool says about itself: every command's option table,
as `coord help --options-json` dumps it (cli/opts.c; fields in docs/cli.md),
and the tool's own `coord --help`. The man page and the bash completion are
generated from these at build time, so neither can drift from the tool
(scripts/gen-man.py, scripts/gen-completion.py)."""
import json
import subprocess


def run(coord, *args):
    """stdout of `coord ARGS`; fails loudly when the tool fails."""
    out = subprocess.run([coord, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=True, text=True)
    return out.stdout


def tables(coord):
    """[command] in the order `coord --help` lists them; each a dict with
    name, summary, synopsis, about, epilog and options (each with long,
    short, kind, arg, help, default, group, choices, ...)."""
    dump = json.loads(run(coord, "help", "--options-json"))
    if dump.get("schema") != "coord.options/1" or not dump.get("commands"):
        raise SystemExit("coordhelp: `coord help --options-json` has no "
                         "coord.options/1 commands")
    return dump["commands"]


def term(opt):
    """An option as its help shows it: "-h, --help", "--runs R",
    "--claim cas|lock"."""
    t = (opt["short"] + ", " if opt["short"] else "") + opt["long"]
    if opt["kind"] == "flag":
        return t
    if opt["kind"] == "choice" and opt["arg"] in (None, "VALUE"):
        return t + " " + "|".join(opt["choices"])
    return t + " " + opt["arg"]


def description(opt):
    """An option's help line with what the table adds: the choices, the
    range of a number, the default."""
    text = opt["help"]
    if opt["kind"] == "choice":
        text += "; one of: " + ", ".join(opt["choices"])
    if opt["kind"] in ("uint", "uints") and opt["max"] < 2**64 - 1:
        text += "; %s from %d to %d" % (
            "numbers" if opt["kind"] == "uints" else "a number",
            opt["min"], opt["max"])
        if opt.get("word"):
            text += " or " + opt["word"]
    if opt["default"]:
        text += " (default " + opt["default"] + ")"
    if opt["repeatable"]:
        text += " (may be repeated)"
    if opt["required"]:
        text += " (required)"
    return text
