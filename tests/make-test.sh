#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Makefile's output: its `build` step (what `make test` and `make demo`
# run first) prints no "Entering directory" lines, although `cmake --build`
# runs make below make; scripts/deps.sh says which packages it will install
# and why before it calls apt-get, and COORD_NO_DEPS=1 skips it. The build
# step runs on a one-file CMake project (the Makefile is used with -f, so
# the real build tree is left alone); apt-get and id are stand-ins: nothing
# is installed. Usage: make-test.sh SRC BUILD.
set -eu
src=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
unset MAKEFLAGS MAKELEVEL MFLAGS
# deps.sh is checked as a fresh machine runs it: whoever runs the suite with
# COORD_NO_DEPS=1 (or COORD_NO_MPI=1) set, to keep their own machine as it is,
# must not make this test see a skip it did not ask for.
unset COORD_NO_DEPS COORD_NO_MPI
mkdir "$scratch/proj"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(t C)\nadd_executable(t t.c)\n' >"$scratch/proj/CMakeLists.txt"
printf 'int main(void) { return 0; }\n' >"$scratch/proj/t.c"
out=$(cd "$scratch/proj" && make -f "$src/Makefile" build BUILD=b JOBS=1 2>&1) ||
  { printf '%s\n' "$out"; echo "FAIL: make build"; exit 1; }
printf '%s\n' "$out" | grep -q 'Built target t' || { printf '%s\n' "$out"; echo "FAIL: nothing was built"; exit 1; }
if printf '%s\n' "$out" | grep -q 'Entering directory'; then
  echo "FAIL: make build prints 'Entering directory':"; printf '%s\n' "$out" | grep 'directory' | head -5
  fail=1
fi
# deps.sh with nothing installed (PATH holds only the stand-ins), as root.
mkdir "$scratch/bin"
printf '#!/bin/sh\necho 0\n' >"$scratch/bin/id"
# The stand-in apt-get appends to the same trace file as deps.sh's messages,
# so the trace shows what came first.
printf '#!/bin/sh\necho "APT-GET $*" >>"%s/trace"\n' "$scratch" >"$scratch/bin/apt-get"
chmod +x "$scratch/bin/id" "$scratch/bin/apt-get"
TMPDIR="$scratch" PATH="$scratch/bin" COORD_NO_BROWSER=0 \
  /bin/bash "$src/scripts/deps.sh" 2>>"$scratch/trace"
deps_out=$(cat "$scratch/trace")
printf '%s\n' "$deps_out"
first_apt=$(printf '%s\n' "$deps_out" | grep -n '^APT-GET install' | head -n1 | cut -d: -f1)
[ -n "$first_apt" ] || { echo "FAIL: deps.sh did not call apt-get install"; exit 1; }
for pkg in gnuplot-nox pkg-config scdoc; do
  line=$(printf '%s\n' "$deps_out" | grep -n "^deps: $pkg is missing.*: ." | head -n1 | cut -d: -f1)
  if [ -z "$line" ] || [ "$line" -ge "$first_apt" ]; then
    echo "FAIL: deps.sh did not say why it installs $pkg before calling apt-get"; fail=1
  fi
  printf '%s\n' "$deps_out" | grep -q "^APT-GET install .*\b$pkg\b" ||
    { echo "FAIL: $pkg not passed to apt-get"; fail=1; }
done
# A distribution without one of the packages (no chromium): apt-get refuses
# a list that names it, and takes the rest when asked one by one. The others
# must still be installed, and the message must name only the missing one.
mkdir "$scratch/bin2"
cp "$scratch/bin/id" "$scratch/bin2/id"
cat >"$scratch/bin2/apt-get" <<EOF2
#!/bin/sh
[ "\$1" = update ] && exit 0
for a in "\$@"; do [ "\$a" = chromium ] && exit 100; done
for a in "\$@"; do case "\$a" in -*|install) ;; *) echo "\$a" >>"$scratch/installed";; esac; done
EOF2
chmod +x "$scratch/bin2/apt-get"
partial=$(TMPDIR="$scratch" PATH="$scratch/bin2" COORD_NO_BROWSER=0 /bin/bash "$src/scripts/deps.sh" 2>&1)
for pkg in gnuplot-nox pkg-config scdoc clang; do
  grep -qx "$pkg" "$scratch/installed" 2>/dev/null ||
    { printf '%s\n' "$partial"; echo "FAIL: deps.sh did not install $pkg when chromium was unavailable"; fail=1; }
done
printf '%s\n' "$partial" | grep -q '^deps: could not install chromium (' ||
  { printf '%s\n' "$partial"; echo "FAIL: deps.sh did not name chromium alone as not installed"; fail=1; }
# apt-get's log, which root writes: a link planted in TMPDIR at the name
# the log used to have (coord-deps.log) must not be written through (the
# target was truncated and filled with apt-get's output); a TMPDIR naming
# no directory must not keep apt-get from running (it was never run, and
# the message said it could not install anything); a log of a run that
# installed everything is not left behind. mktemp and rm are there as on
# any machine.
mkdir "$scratch/bin3" "$scratch/tmp3"
cp "$scratch/bin/id" "$scratch/bin3/id"
ln -s "$(command -v mktemp)" "$scratch/bin3/mktemp"
ln -s "$(command -v rm)" "$scratch/bin3/rm"
printf '#!/bin/sh\necho "APT-GET $*"\necho "APT-GET $*" >>"%s/trace3"\n' "$scratch" >"$scratch/bin3/apt-get"
chmod +x "$scratch/bin3/apt-get"
echo precious >"$scratch/victim"
ln -s "$scratch/victim" "$scratch/tmp3/coord-deps.log"
TMPDIR="$scratch/tmp3" PATH="$scratch/bin3" COORD_NO_BROWSER=0 \
  /bin/bash "$src/scripts/deps.sh" 2>/dev/null
[ "$(cat "$scratch/victim")" = precious ] ||
  { echo "FAIL: deps.sh wrote its log through a link at TMPDIR/coord-deps.log"; fail=1; }
left=$(ls -A "$scratch/tmp3" | grep -vx 'coord-deps.log' || true)
[ -z "$left" ] || { echo "FAIL: deps.sh left its log of a run that succeeded: $left"; fail=1; }
rm -f "$scratch/trace3"
TMPDIR="$scratch/missing" PATH="$scratch/bin3" COORD_NO_BROWSER=0 \
  /bin/bash "$src/scripts/deps.sh" 2>"$scratch/err3"
grep -q '^APT-GET install' "$scratch/trace3" 2>/dev/null ||
  { cat "$scratch/err3"; echo "FAIL: with TMPDIR naming no directory, deps.sh did not run apt-get"; fail=1; }
skip_out=$(COORD_NO_DEPS=1 PATH="$scratch/bin" /bin/bash "$src/scripts/deps.sh" 2>&1)
if [ "$skip_out" != "deps: skipped (COORD_NO_DEPS=1)" ]; then
  echo "FAIL: COORD_NO_DEPS=1 printed: $skip_out"; fail=1
fi
exit $fail
