#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed bash completion: sourced in bash and called as bash would
# (COMP_WORDS / COMP_CWORD set), `coord sp<TAB>` gives spectrum,
# `coord primes --<TAB>` exactly the options `coord primes --help` names
# (and --help), `coord primes --claim <TAB>` cas and lock, and for every
# command `coord CMD --<TAB>` every option of its --help.
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
opts() { { "$build/coord" "$1" --help | grep -oE -- '--[a-z][a-z0-9-]*'; echo --help; } | sort -u | tr '\n' ' ' | sed 's/ $//'; }
expect "$(opts primes)" coord primes --
expect "cas lock" coord primes --claim ''
for c in $("$build/coord" --help | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }'); do
  got=$(complete_words coord "$c" -- | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$(opts "$c")" ] || { echo "FAIL: coord $c --<TAB> gave '$got', want '$(opts "$c")'"; fail=1; }
done
exit $fail
