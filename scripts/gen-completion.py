#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the bash completion of coord, at build time, from the tool's own
option tables (`coord help --options-json`, cli/opts.c): its commands, each
command's options, the words of choice options (`--shape <TAB>`) and of
numbers that take a word (`--interval <TAB>`: auto), directories after a
directory option, file names after a file option, nothing after other
values. `coord help <TAB>` offers the commands.
Usage: gen-completion.py COORD OUTPUT"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coordhelp  # noqa: E402


def value_case(opt):
    """The `case $prev` arm for an option that takes a value, or ''."""
    names = "|".join(n for n in (opt["long"], opt["short"]) if n)
    kind = opt["kind"]
    if kind == "flag":
        return ""
    if kind == "choice":
        return "            %s) vals='%s' ;;\n" % (names, " ".join(opt["choices"]))
    if kind in ("uint", "uints") and opt.get("word"):
        return "            %s) vals='%s' ;;\n" % (names, opt["word"])
    if kind == "dir":
        return "            %s) mapfile -t COMPREPLY < <(compgen -d -- \"$cur\"); return ;;\n" % names
    if kind == "path":
        return "            %s) mapfile -t COMPREPLY < <(compgen -f -- \"$cur\"); return ;;\n" % names
    # A number or a text: nothing to offer, not even file names.
    return "            %s) compopt +o default 2>/dev/null; return ;;\n" % names


def main():
    coord, output = sys.argv[1], sys.argv[2]
    cmds = coordhelp.tables(coord)
    cases = []
    for c in cmds:
        opts = [o["long"] for o in c["options"]]
        prev = "".join(value_case(o) for o in c["options"])
        cases.append("        %s)\n            opts='%s'\n            case $prev in\n%s"
                     "            esac ;;\n" % (c["name"], " ".join(opts), prev))
    names = " ".join(c["name"] for c in cmds)
    words = names + " help --help --version"
    script = f"""# bash completion for coord(1)
# Generated at build time by scripts/gen-completion.py from the tool's option
# tables (`coord help --options-json`): do not edit; change the tables in
# cli/cmd-*.c instead.
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
        help)
            [[ $COMP_CWORD -eq 2 ]] &&
                mapfile -t COMPREPLY < <(compgen -W '{names}' -- "$cur")
            return ;;
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
