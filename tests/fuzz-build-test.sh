#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh builds its libFuzzer targets from whatever files the
# library and the CLI are made of (CMake's COORD_FUZZ build), not from a
# list of source files of its own: CI's fuzz stage broke when segment.c's
# memfd half moved to src/os/memfd.c and run.sh still named the old files.
# Here a copy of the source tree has a file the targets link renamed, and
# run.sh must still build every target (SECONDS 0: build only, run none).
# Needs clang with its libFuzzer runtime (skipped without).
# Usage: fuzz-build-test.sh SRC BUILD.
# It builds the whole library again with clang (1-2 minutes on 2 cores), so
# like the torture suite it runs only when asked: COORD_FUZZ_BUILD=1 (CI's
# fuzz stage sets it); otherwise it says so and skips (77).
set -u
[ "${COORD_FUZZ_BUILD:-0}" = 1 ] ||
  { echo "SKIP: set COORD_FUZZ_BUILD=1 to build the fuzz targets from a tree with two files moved (.ci/run does)"; exit 77; }
src=$(cd "$1" && pwd)
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null || { echo "SKIP: no $cc"; exit 77; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/coord-fuzz-build-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n){(void)d;(void)n;return 0;}\n' \
  >"$scratch/probe.c"
"$cc" -fsanitize=fuzzer "$scratch/probe.c" -o "$scratch/probe" >/dev/null 2>&1 ||
  { echo "SKIP: $cc has no libFuzzer runtime"; exit 77; }
# The source tree's parts (not its build directories).
mkdir -p "$scratch/tree"
for e in CMakeLists.txt coord.pc.in cmake include src cli mpi tests examples bench python docs; do
  [ -e "$src/$e" ] && cp -r "$src/$e" "$scratch/tree/"
done
t=$scratch/tree
[ -f "$t/src/os/memfd.c" ] && [ -f "$t/src/wire.c" ] ||
  { echo "FAIL: src/os/memfd.c or src/wire.c is gone: rename another file the fuzz targets link"; exit 1; }
# Two files every segment, descriptor and manager target needs, moved.
mv "$t/src/os/memfd.c" "$t/src/os/memfd-moved.c"
mv "$t/src/wire.c" "$t/src/frame-wire.c"
if ! timeout 900 bash "$t/tests/fuzz/run.sh" "$scratch/build" 0 >"$scratch/out" 2>&1; then
  cat "$scratch/out"; echo "FAIL: tests/fuzz/run.sh did not build the targets after a source file moved"
  exit 1
fi
fail=0
for f in "$src"/tests/fuzz/fuzz-*.c; do
  name=$(basename "$f" .c)
  [ -x "$scratch/build/fuzz/$name" ] || { echo "FAIL: $name not built"; fail=1; }
done
[ $fail = 0 ] && echo "run.sh builds every fuzz target from the files the library is made of"
exit $fail
