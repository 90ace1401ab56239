#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed bash completion: sourced in bash and called as bash would
# (COMP_WORDS / COMP_CWORD set), `coord sp<TAB>` gives spectrum, `coord
# help <TAB>` the commands, `coord primes --claim <TAB>` cas and lock,
# `coord advise --shape <TAB>` the seven shapes; and from the tool's option
# tables (`coord help --options-json`): for every command `coord CMD
# --<TAB>` exactly its options, and after every choice option exactly its
# choices. The options each command's --help lists are the same set.
# Usage: install-completion-test.sh SRC BUILD.
src=$1
build=$2
. "$src/tests/install-lib.sh"
coord_install "$scratch/p"
script="$scratch/p/share/bash-completion/completions/coord"
[ -s "$script" ] || { echo "FAIL: $script not installed"; exit 1; }
complete_words() { # WORD... : what completing the last word offers, sorted
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _coord
    printf "%s\n" "${COMPREPLY[@]}" | sort' complete "$script" "$@"
}
fail=0
expect() { # WANT WORD...
  local want=$1; shift
  local got
  got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
  if [ "$got" != "$want" ]; then
    echo "FAIL: '$*<TAB>' gave '$got', want '$want'"; fail=1
  else
    echo "ok: '$*<TAB>' -> $got"
  fi
}
expect spectrum coord sp
cmds=$("$build/coord" --help | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }')
expect "$(printf '%s\n' $cmds | sort | tr '\n' ' ' | sed 's/ $//')" coord help ''
expect "cas lock" coord primes --claim ''
expect "array counter dict flag list messages scalar" coord advise --shape ''
expect "auto" coord waste --interval ''
# COMMAND<TAB>--long[<TAB>choice choice...] for every option of every table.
table=$("$build/coord" help --options-json | python3 -c '
import json, sys
for c in json.load(sys.stdin)["commands"]:
    for o in c["options"]:
        print("\t".join([c["name"], o["long"], " ".join(sorted(o["choices"]))]))')
[ "$(printf '%s\n' "$table" | wc -l)" -gt 40 ] || { echo "FAIL: too few options in the tables"; fail=1; }
sorted() { tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//'; }
for c in $cmds; do
  want=$(printf '%s\n' "$table" | awk -F'\t' -v c="$c" '$1 == c { print $2 }' | sorted)
  got=$(complete_words coord "$c" -- | sorted)
  [ "$got" = "$want" ] || { echo "FAIL: coord $c --<TAB> gave '$got', want '$want'"; fail=1; }
  helped=$("$build/coord" "$c" --help | sed -n '/^options:/,$p' | grep -oE -- '^  (-[a-z], )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sorted)
  [ "$helped" = "$want" ] || { echo "FAIL: coord $c --help lists '$helped', its table '$want'"; fail=1; }
  while IFS=$'\t' read -r cmd long choices; do
    [ "$cmd" = "$c" ] && [ -n "$choices" ] || continue
    got=$(complete_words coord "$c" "$long" '' | sorted)
    [ "$got" = "$choices" ] || { echo "FAIL: coord $c $long <TAB> gave '$got', want '$choices'"; fail=1; }
  done <<< "$table"
done
[ $fail = 0 ] && echo "every command's options and every choice complete as its table says"
exit $fail
