#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/beside-busy.sh: the command runs beside N processes that never
# sleep (the runnable count it sees has them), its exit status comes back,
# bad arguments are one line and exit 2, a time limit gives 124, and no
# loop is left running afterwards, whichever way the command ended.
# Usage: beside-busy-test.sh SRC BUILD.
set -u
src=$1
script=$src/scripts/beside-busy.sh
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# A marker in the command line finds the script's loops (subshells of it).
mark="beside-busy-test-$$"
left() { pgrep -f -- "$mark" | grep -v "^$$\$" | wc -l; }

# The runnable tasks (/proc/loadavg's fourth field) the command sees: the
# two loops and itself at least, however busy the machine is otherwise.
out=$(bash "$script" 2 sh -c ": $mark; cat /proc/loadavg") || bad "exit status $? for a command that succeeded"
run=$(printf '%s\n' "$out" | awk '{split($4, a, "/"); print a[1]}')
[ -n "$run" ] && [ "$run" -ge 3 ] || bad "2 loops, but the command saw $run runnable tasks: $out"
sleep 0.2
[ "$(left)" -eq 0 ] || bad "loops left after the command ended: $(left)"

bash "$script" 1 sh -c ": $mark; exit 7"
rc=$?
[ $rc -eq 7 ] || bad "the command's exit status 7 came back as $rc"
bash "$script" -t 1 1 sh -c ": $mark; sleep 30"
rc=$?
[ $rc -eq 124 ] || bad "a command past -t 1 gave $rc, not 124"
sleep 0.2
[ "$(left)" -eq 0 ] || bad "loops left after a timeout: $(left)"

for args in "x true" "-t y 1 true" "1" "2000 true"; do
  # shellcheck disable=SC2086
  err=$(bash "$script" $args 2>&1 >/dev/null)
  rc=$?
  [ $rc -eq 2 ] || bad "'$args' gave exit $rc, not 2"
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || bad "'$args' said more than one line: $err"
done
[ $fail -eq 0 ] && echo "ok: beside-busy.sh"
exit $fail
