#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No binary or shared library of the build tree has an empty or relative
# entry in its RUNPATH or RPATH: the loader reads an empty entry as the
# current directory and a relative one from it, so build/coord, run in a
# directory holding a libc.so.6 or libmpi.so.40, loaded that (its RUNPATH
# was "/usr/lib/x86_64-linux-gnu/openmpi/lib:", CMake's padding of a
# RUNPATH that install rewrites). Only absolute directories and $ORIGIN
# (or ${ORIGIN}) are allowed. Needs readelf (binutils); skipped without.
# Usage: rpath-test.sh SRC BUILD.
set -u
build=$(cd "$2" && pwd)
command -v readelf >/dev/null || { echo "SKIP: no readelf (binutils): the RUNPATHs are not checked"; exit 77; }
out=$(mktemp "${TMPDIR:-/tmp}/coord-rpath-test.XXXXXX")
trap 'rm -f "$out"' EXIT
fail=0 n=0
list=$build/coord-elf-files.txt # every executable and shared library (CMakeLists.txt)
[ -s "$list" ] || { echo "FAIL: no $list (configure again)"; exit 1; }
while IFS= read -r f; do
  [ -n "$f" ] && [ -f "$f" ] || continue # a target not built (EXCLUDE_FROM_ALL)
  n=$((n + 1))
  readelf -d "$f" 2>/dev/null | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]$/\1 \2/p' |
    while read -r kind path; do
      # Each entry, the empty ones too (a leading, doubled or trailing ':').
      rest=$path:
      while [ -n "$rest" ]; do
        e=${rest%%:*}
        rest=${rest#*:}
        case $e in
          /*|'$ORIGIN'|'$ORIGIN/'*|'${ORIGIN}'|'${ORIGIN}/'*) ;;
          '') echo "FAIL: ${f#"$build"/}: $kind [$path] has an empty entry (the current directory)" ;;
          *) echo "FAIL: ${f#"$build"/}: $kind [$path] has a relative entry '$e'" ;;
        esac
      done
    done >>"$out"
done <"$list"
if [ -s "$out" ]; then
  cat "$out"; fail=1
fi
[ "$n" -gt 0 ] || { echo "FAIL: none of the files $list names is built"; fail=1; }
[ $fail = 0 ] && echo "$n executables and libraries of the build tree: no empty or relative RUNPATH or RPATH entry"
exit $fail
