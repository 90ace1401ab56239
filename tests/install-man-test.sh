#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed man pages: coord(1) and libcoord(3) land in share/man,
# `man -l` renders them with every groff warning on and prints none (in the
# C locale and in UTF-8), and they say everything the sources say: coord(1)
# names every command of `coord --help` and, in that command's section,
# every option of its option table (`coord help --options-json`) with its
# help text and every choice; libcoord(3) every function the public headers
# declare, and in ERRORS every code of errno.h's table with its text.
# Usage: install-man-test.sh SRC BUILD. Exit 77 = skipped (no scdoc).
src=$1
build=$2
. "$src/tests/install-lib.sh"
command -v man >/dev/null || { echo "SKIP: man is not installed"; exit 77; }
coord_install "$scratch/p"
man1="$scratch/p/share/man/man1/coord.1"
man3="$scratch/p/share/man/man3/libcoord.3"
if [ ! -e "$man1" ] && ! command -v scdoc >/dev/null; then
  echo "SKIP: scdoc was not installed at build time, so no man pages (scripts/deps.sh installs it)"
  exit 77
fi
fail=0
for page in "$man1" "$man3"; do
  [ -s "$page" ] || { echo "FAIL: $page not installed"; exit 1; }
  for loc in C C.UTF-8; do
    w=$(LC_ALL=$loc MANWIDTH=80 man -l --warnings=all "$page" 2>&1 >/dev/null)
    if [ -n "$w" ]; then
      echo "FAIL: man -l $(basename "$page") (LC_ALL=$loc) warns:"; printf '%s\n' "$w" | head -20
      fail=1
    fi
  done
done
# Wide enough that no word is broken (hyphenated) at a line end.
text1=$(LC_ALL=C MANWIDTH=5000 man -l "$man1" 2>/dev/null)
text3=$(LC_ALL=C MANWIDTH=5000 man -l "$man3" 2>/dev/null)
has() { printf '%s\n' "$1" | grep -qF -- "$2"; }
cmds=$("$build/coord" --help | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }')
[ -n "$cmds" ] || { echo "FAIL: no commands in coord --help"; exit 1; }
# One line per option: COMMAND<TAB>--long<TAB>help<TAB>choice choice...
table=$("$build/coord" help --options-json | python3 -c '
import json, sys
for c in json.load(sys.stdin)["commands"]:
    for o in c["options"]:
        print("\t".join([c["name"], o["long"], o["help"], " ".join(o["choices"])]))')
n=0
for c in $cmds; do
  has "$text1" "coord $c" || { echo "FAIL: coord(1) lacks the command $c"; fail=1; }
  # The command's section: from its heading to the next one.
  section=$(printf '%s\n' "$text1" | awk -v h="coord $c" '$0 ~ /^   [^ ]/ { on = ($0 == "   " h) } on')
  [ -n "$section" ] || { echo "FAIL: coord(1) has no section 'coord $c'"; fail=1; continue; }
  while IFS=$'\t' read -r cmd long help choices; do
    [ "$cmd" = "$c" ] || continue
    has "$section" "$long" || { echo "FAIL: coord(1) 'coord $c' lacks $long"; fail=1; }
    has "$section" "$(printf '%s' "$help" | LC_ALL=C sed 's/\xc2\xb5/u/g')" || { echo "FAIL: coord(1) 'coord $c' lacks the help of $long: $help"; fail=1; }
    for w in $choices; do
      has "$section" "$w" || { echo "FAIL: coord(1) 'coord $c' lacks $long's choice $w"; fail=1; }
    done
    n=$((n + 1))
  done <<< "$table"
done
[ "$n" -gt 40 ] || { echo "FAIL: found only $n options in the option tables"; fail=1; }
m=0
for f in $(sed -n 's/^\(COORD_EXTERN\|static inline\) .*\b\(coord_[a-z0-9_]*\)(.*/\2/p' "$src"/include/coord/*.h); do
  has "$text3" "$f" || { echo "FAIL: libcoord(3) lacks $f"; fail=1; }
  m=$((m + 1))
done
[ "$m" -gt 50 ] || { echo "FAIL: found only $m functions in the headers"; fail=1; }
# A function without a comment of its own says "See the function above.":
# there must be one above it, in its own header's section (the first
# functions of <coord/manager.h>, coord_mval_*, pointed at
# coord_queue_max_msg of queue.h, the section before).
orphans=$(printf '%s\n' "$text3" | awk '
  /^   <coord\/.*>$/ { section = $1; n = 0; next }
  /^       [^ ].*coord_[a-z0-9_]+\(.*\)$/ { n++; name = $0; next }
  /^           See the function above\.$/ && n < 2 { sub(/^ +/, "", name); print section ": " name }')
[ -z "$orphans" ] ||
  { echo "FAIL: libcoord(3) says 'See the function above.' with no function above in the header:"; printf '%s\n' "$orphans"; fail=1; }
# libcoord(3)'s ERRORS: every code of errno.h's COORD_ERRNO_MAP with its
# text, so each code a contract names is explained in the page.
errors=$(printf '%s\n' "$text3" | awk '/^[A-Z]/ { on = ($0 == "ERRORS") } on')
[ -n "$errors" ] || { echo "FAIL: libcoord(3) has no ERRORS section"; fail=1; }
e=0
while IFS=$'\t' read -r code what; do
  printf '%s\n' "$errors" | grep -qE "^ +COORD_$code \(" ||
    { echo "FAIL: libcoord(3)'s ERRORS lacks COORD_$code"; fail=1; }
  has "$errors" "$what" || { echo "FAIL: libcoord(3)'s ERRORS lacks the text of COORD_$code: $what"; fail=1; }
  e=$((e + 1))
done < <(sed -n 's/^ *X(\([A-Z0-9]*\), *[-A-Z0-9]*, *"\([^"]*\)").*/\1\t\2/p' "$src/include/coord/errno.h")
[ "$e" -gt 30 ] || { echo "FAIL: found only $e codes in errno.h's table"; fail=1; }
[ $fail = 0 ] && echo "man pages render without warnings; coord(1) has the $(echo $cmds | wc -w) commands and their $n options, libcoord(3) the $m functions and the $e error codes"
exit $fail
