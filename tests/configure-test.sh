#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The configure switches that take a word (COORD_PYTHON, COORD_MPI: AUTO,
# ON or OFF) take CMake's spellings of a boolean as ON or OFF and refuse
# anything else with a message naming the switch: -DCOORD_PYTHON=off (or
# 0, FALSE, yes) used to be taken as AUTO in silence, so the package the
# user turned off was built and installed. Each configure is of the
# library alone (no tests, tool or bench), in a scratch build directory; a
# build without the tool configures and builds no tests, saying so.
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
  # A multiarch libdir (Debian's with prefix /usr): the package still goes
  # to Python's <platlibdir>/python3.X/site-packages, where README's
  # PYTHONPATH points, not lib/x86_64-linux-gnu/python3.X/site-packages.
  b="$scratch/b-multiarch"
  want=$(python3 -c 'import sys; print("%s/python%d.%d/site-packages" % ((getattr(sys, "platlibdir", "lib"),) + sys.version_info[:2]))')
  if ! cmake -S "$src" -B "$b" "${small[@]}" -DCOORD_PYTHON=ON -DCOORD_MPI=OFF \
      -DCMAKE_INSTALL_LIBDIR=lib/x86_64-linux-gnu >"$scratch/log" 2>&1; then
    tail -5 "$scratch/log"; echo "FAIL: configure with CMAKE_INSTALL_LIBDIR=lib/x86_64-linux-gnu"; fail=1
  else
    got=$(sed -n 's/^COORD_PYTHON_INSTALL_DIR:STRING=//p' "$b/CMakeCache.txt")
    [ "$got" = "$want" ] ||
      { echo "FAIL: with a multiarch libdir the package installs to '$got', not '$want'"; fail=1; }
  fi
else
  echo "python3 has no headers here: ON in another spelling not checked"
fi
# A cross build (CMAKE_SYSTEM_NAME given: CMake's cross-compiling): the
# generated man pages and completion run the built tool, which does not run
# here, so they are skipped, saying why (an aarch64 build stopped at the
# completion with "Exec format error").
b="$scratch/b-cross"
if ! cmake -S "$src" -B "$b" -DCMAKE_SYSTEM_NAME=Linux -DCOORD_BUILD_TESTS=OFF \
    -DCOORD_BUILD_BENCH=OFF -DCOORD_PYTHON=OFF -DCOORD_MPI=OFF >"$scratch/log" 2>&1; then
  tail -5 "$scratch/log"; echo "FAIL: a cross-compiling configure failed"; fail=1
elif ! grep -q "man pages and bash completion skipped: cross-compiling" "$scratch/log"; then
  echo "FAIL: a cross build would run the built tool to generate its man pages"; fail=1
fi
# A python3 on PATH that does not run (a pyenv shim with no version
# selected): the Python package and the generated man pages and completion
# are skipped at configure, each saying so (it was said to lack Python.h,
# and the build then ran it and failed at the completion).
mkdir "$scratch/badpy" "$scratch/oldpy" "$scratch/oldpy/include"
printf '#!/bin/sh\necho "pyenv: python3: command not found" >&2\nexit 127\n' >"$scratch/badpy/python3"
# A CPython older than the extension's API (3.9, with its headers): its
# sysconfig answer, and 0 for the generators' version check.
: >"$scratch/oldpy/include/Python.h"
cat >"$scratch/oldpy/python3" <<EOF3
#!/bin/sh
case "\$2" in *sysconfig*) printf '%s\n' "$scratch/oldpy/include" .cpython-39-x86_64-linux-gnu.so 3.9;; esac
exit 0
EOF3
chmod +x "$scratch/badpy/python3" "$scratch/oldpy/python3"
b="$scratch/b-badpy"
if ! PATH="$scratch/badpy:$PATH" cmake -S "$src" -B "$b" -DCOORD_BUILD_TESTS=ON -DCOORD_BUILD_BENCH=OFF \
    -DCOORD_MPI=OFF >"$scratch/log" 2>&1; then
  tail -5 "$scratch/log"; echo "FAIL: a python3 that does not run failed the configure"; fail=1
else
  grep -q 'Python package not built: .*python3 does not run' "$scratch/log" ||
    { grep coord: "$scratch/log"; echo "FAIL: the Python package's skip does not say python3 does not run"; fail=1; }
  grep -q 'man pages and bash completion skipped: .*python3 does not run' "$scratch/log" ||
    { grep coord: "$scratch/log"; echo "FAIL: the man pages' skip does not say python3 does not run"; fail=1; }
  if grep -rqs gen-completion.py "$b/CMakeFiles"; then
    echo "FAIL: the build would run a python3 that does not run"; fail=1
  fi
  # Nor do the json tests run it (json.validator and json.every_command
  # were added, and failed at every make test).
  if grep -qs 'json\.validator\|json\.every_command' "$b/tests/CTestTestfile.cmake"; then
    echo "FAIL: the json tests would run a python3 that does not run"; fail=1
  fi
  grep -q 'json tests skipped: .*python3 does not run' "$scratch/log" ||
    { grep coord: "$scratch/log"; echo "FAIL: the json tests' skip does not say python3 does not run"; fail=1; }
fi
b="$scratch/b-oldpy"
if ! PATH="$scratch/oldpy:$PATH" cmake -S "$src" -B "$b" "${small[@]}" -DCOORD_MPI=OFF >"$scratch/log" 2>&1; then
  tail -5 "$scratch/log"; echo "FAIL: python3 3.9 failed the configure"; fail=1
else
  [ ! -e "$b/python/CMakeFiles/coord_python.dir" ] || { echo "FAIL: the Python package was configured for python3 3.9"; fail=1; }
  grep -q 'Python package not built: python3 on PATH is 3.9; the package needs CPython 3.10 or later' "$scratch/log" ||
    { grep coord: "$scratch/log"; echo "FAIL: the skip for python3 3.9 does not name the version needed"; fail=1; }
fi
# The tool off with the tests left at their default (ON): the configure
# works, builds no tests (they run the tool) and says so; it stopped at
# generate with "No target coord_cli".
b="$scratch/b-nocli"
if ! cmake -S "$src" -B "$b" -DCOORD_BUILD_CLI=OFF -DCOORD_BUILD_BENCH=OFF -DCOORD_MPI=OFF \
    -DCOORD_PYTHON=OFF >"$scratch/log" 2>&1; then
  grep -m3 -A3 "CMake Error" "$scratch/log"; echo "FAIL: -DCOORD_BUILD_CLI=OFF failed the configure"; fail=1
else
  grep -q 'coord: tests not built: they run the coord tool, and COORD_BUILD_CLI is OFF' "$scratch/log" ||
    { grep coord: "$scratch/log"; echo "FAIL: -DCOORD_BUILD_CLI=OFF does not say the tests are not built"; fail=1; }
  [ ! -e "$b/tests" ] || { echo "FAIL: -DCOORD_BUILD_CLI=OFF configured the tests"; fail=1; }
fi
[ $fail = 0 ] && echo "COORD_PYTHON and COORD_MPI take AUTO, ON, OFF and CMake's booleans only"
exit $fail
