#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first program: its listing is exactly examples/flag-hello.c,
# and the built example prints its result through a pipe (the worker
# flushes before _exit). Usage: readme-test.sh SRC BUILD.
set -eu
src=$1
build=$2
listing=$(awk '/^## A first program/ { on = 1; next }
               on && /^```c$/ { code = 1; next }
               code && /^```$/ { exit }
               code { print }' "$src/README.md")
[ -n "$listing" ] || { echo "FAIL: no C listing under '## A first program' in README.md"; exit 1; }
if ! diff -u "$src/examples/flag-hello.c" <(printf '%s\n' "$listing"); then
  echo "FAIL: README.md's listing differs from examples/flag-hello.c (diff above)"
  exit 1
fi
out=$(timeout 60 "$build/example-flag-hello" | cat)
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -qx 'worker 2 found 4242' ||
  { echo "FAIL: the worker's line was lost in the pipe"; exit 1; }
printf '%s\n' "$out" | grep -qx 'flag set: yes' || { echo "FAIL: no 'flag set: yes'"; exit 1; }
echo "README listing and pipe output ok"
