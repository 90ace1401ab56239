#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs coord into a temporary prefix and builds examples/flag-hello.c
# against it through pkg-config; runs the result. Exit 77 = skipped.
set -eu
src=$1
build=$2
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not installed"; exit 77; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name coord.pc | head -n1)
[ -n "$pc" ] || { echo "coord.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
# The installed coord.pc must point into the prefix, whatever it was built for.
cflags=$(pkg-config --define-variable=prefix="$prefix" --cflags coord)
libs=$(pkg-config --define-variable=prefix="$prefix" --libs --static coord)
${CC:-cc} -std=c11 -Wall -Werror ${EXTRA_CFLAGS:-} $cflags "$src/examples/flag-hello.c" -o "$prefix/flag-hello" $libs
libdir=$(dirname "$(dirname "$pc")")
LD_LIBRARY_PATH="$libdir" "$prefix/flag-hello"
echo "1 passed, 0 failed"
