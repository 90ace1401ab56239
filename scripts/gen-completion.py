#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the bash completion of coord, at build time, from what the built
tool says: its commands (`coord --help`, which comes from cli/commands.def)
and each command's options (`coord CMD --help`). Options documented with a
choice of words (`--claim cas|lock`) complete those words; other options
that take a value fall back to file names.
Usage: gen-completion.py COORD OUTPUT"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coordhelp  # noqa: E402


def main():
    coord, output = sys.argv[1], sys.argv[2]
    cmds = coordhelp.commands(coord)
    cases = []
    for name, _ in cmds:
        text = coordhelp.run(coord, name, "--help")
        opts = coordhelp.options(text)
        opts += [] if "--help" in opts else ["--help"]
        vals = coordhelp.values(text)
        takes = [o for o in coordhelp.with_value(text) if o not in vals]
        prev = "".join("            %s) vals='%s' ;;\n" % (o, " ".join(w))
                       for o, w in vals.items())
        if takes:
            prev += "            %s) return ;;\n" % "|".join(takes)
        cases.append("        %s)\n            opts='%s'\n            case $prev in\n%s"
                     "            esac ;;\n" % (name, " ".join(opts), prev))
    words = " ".join(n for n, _ in cmds) + " --help --version"
    script = f"""# bash completion for coord(1)
# Generated at build time by scripts/gen-completion.py from `coord --help` and
# `coord COMMAND --help`: do not edit; change the tool's help instead.
_coord()
{{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local opts='' vals=''
    COMPREPLY=()
    if [[ $COMP_CWORD -eq 1 ]]; then
        mapfile -t COMPREPLY < <(compgen -W '{words}' -- "$cur")
        return
    fi
    case ${{COMP_WORDS[1]}} in
{"".join(cases)}        *) return ;;
    esac
    if [[ -n $vals ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")
    elif [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    fi
}}
complete -o default -F _coord coord
"""
    tmp = output + ".tmp"
    with open(tmp, "w") as f:
        f.write(script)
    os.replace(tmp, output)


if __name__ == "__main__":
    main()
