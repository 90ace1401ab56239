#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The configure switches that take a word (COORD_PYTHON, COORD_MPI: AUTO,
# ON or OFF) take CMake's spellings of a boolean as ON or OFF and refuse
# anything else with a message naming the switch: -DCOORD_PYTHON=off (or
# 0, FALSE, yes) used to be taken as AUTO in silence, so the package the
# user turned off was built and installed. Each configure is of the
# library alone (no tests, tool or bench), in a scratch build directory.
# Usage: configure-test.sh SRC BUILD.
set -eu
src=$1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/coord-configure-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
small=(-DCOORD_BUILD_TESTS=OFF -DCOORD_BUILD_CLI=OFF -DCOORD_BUILD_BENCH=OFF)
fail=0
# Refused, naming the switch and the value.
for sw in COORD_PYTHON COORD_MPI; do
  for v in of 2 bogus ''; do
    b="$scratch/b-$sw-${v:-empty}"
    if cmake -S "$src" -B "$b" "${small[@]}" -D"$sw=$v" >"$scratch/log" 2>&1; then
      echo "FAIL: -D$sw='$v' was taken"; fail=1
    elif ! grep -q "$sw must be AUTO, ON or OFF, not '$v'" "$scratch/log"; then
      echo "FAIL: -D$sw='$v' was refused without naming the switch:"; tail -5 "$scratch/log"
      fail=1
    fi
  done
done
# OFF in every spelling: nothing of it configured.
for v in off OFF 0 FALSE no n; do
  b="$scratch/b-off-$v"
  if ! cmake -S "$src" -B "$b" "${small[@]}" -DCOORD_PYTHON="$v" -DCOORD_MPI="$v" >"$scratch/log" 2>&1; then
    tail -5 "$scratch/log"; echo "FAIL: -DCOORD_PYTHON=$v -DCOORD_MPI=$v refused"; fail=1; continue
  fi
  [ ! -e "$b/python" ] || { echo "FAIL: -DCOORD_PYTHON=$v configured the Python package"; fail=1; }
  [ ! -e "$b/coord_mpi.pc" ] || { echo "FAIL: -DCOORD_MPI=$v configured the MPI library"; fail=1; }
done
# ON in another spelling, where this python3 has its headers: the package.
if command -v python3-config >/dev/null && python3-config --includes >/dev/null 2>&1; then
  b="$scratch/b-on"
  if ! cmake -S "$src" -B "$b" "${small[@]}" -DCOORD_PYTHON=yes -DCOORD_MPI=OFF >"$scratch/log" 2>&1; then
    tail -5 "$scratch/log"; echo "FAIL: -DCOORD_PYTHON=yes refused"; fail=1
  elif [ ! -e "$b/python" ]; then
    echo "FAIL: -DCOORD_PYTHON=yes configured no Python package"; fail=1
  fi
else
  echo "python3 has no headers here: ON in another spelling not checked"
fi
[ $fail = 0 ] && echo "COORD_PYTHON and COORD_MPI take AUTO, ON, OFF and CMake's booleans only"
exit $fail
