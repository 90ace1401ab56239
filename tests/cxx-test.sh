#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# C++ users: every public header declares its functions with C linkage
# (COORD_BEGIN_DECLS ... COORD_END_DECLS), <coord.h> compiles as C++11, C++17
# and C++20 (the options macros too) with -Wall -Wextra -pedantic -Werror, and examples/flag-hello.c built
# as C++ links against libcoord and runs (the inline coord_flag_is_set takes
# the C++ path). Usage: cxx-test.sh SRC BUILD. Env: COORD_CXX (compilers to
# try, default "g++ clang++"), EXTRA_CFLAGS (the build's sanitizer flags).
# Exit 77 = skipped (no C++ compiler at all).
set -eu
src=$1
build=$2
fail=0
for h in "$src"/include/coord/*.h; do
  case $h in */common.h) continue ;; esac
  if ! grep -q '^COORD_BEGIN_DECLS$' "$h" || ! grep -q '^COORD_END_DECLS$' "$h"; then
    echo "FAIL: $h lacks COORD_BEGIN_DECLS / COORD_END_DECLS (C++ would mangle its names)"
    fail=1
  fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lib=$(find "$build" -maxdepth 1 -name 'libcoord.so.*' | head -n1)
[ -n "$lib" ] || { echo "FAIL: no libcoord.so in $build"; exit 1; }
# The options macros of search.h and rounds.h are designated initialisers
# in C; C++ gets the same values from an inline function (C++11 has no
# designators, C++20 warns about the members they leave out).
cat > "$tmp/opts.cc" <<'EOF_CC'
#include <coord.h>
#include <cstdio>
int main()
{
    coord_search_opts s = COORD_SEARCH_OPTS_INIT;
    coord_rounds_opts r = COORD_ROUNDS_OPTS_INIT;
    bool ok = s.workers == 1 && s.check_every == COORD_CHECK_AUTO && s.early_exit &&
              s.timeout_ms == -1 && s.begin == 0 && s.end == 0 && s.chunk == 0 &&
              r.workers == 1 && r.check_every == COORD_CHECK_AUTO && r.early_exit &&
              r.max_input == 0;
    std::printf("%s\n", ok ? "opts ok" : "opts WRONG");
    return ok ? 0 : 1;
}
EOF_CC
ran=0
for cxx in ${COORD_CXX:-g++ clang++}; do
  if ! command -v "$cxx" >/dev/null 2>&1; then
    echo "note: $cxx not installed, not tried (scripts/deps.sh installs clang)"
    continue
  fi
  for std in c++11 c++17 c++20; do
    if ! "$cxx" -std=$std -Wall -Wextra -pedantic -Werror ${EXTRA_CFLAGS:-} \
        -I"$src/include" "$tmp/opts.cc" -o "$tmp/opts-$cxx-$std" \
        -L"$build" -lcoord -Wl,-rpath,"$build" -lpthread ||
       ! timeout 60 "$tmp/opts-$cxx-$std" | grep -qx 'opts ok'; then
      echo "FAIL: $cxx -std=$std: COORD_SEARCH_OPTS_INIT / COORD_ROUNDS_OPTS_INIT"
      fail=1
    fi
    [ "$std" = c++11 ] && continue # flag-hello.c below needs C++17
    exe="$tmp/hello-$cxx-$std"
    if ! "$cxx" -std=$std -Wall -Wextra -pedantic -Werror ${EXTRA_CFLAGS:-} \
        -I"$src/include" -x c++ "$src/examples/flag-hello.c" -x none \
        -o "$exe" -L"$build" -lcoord -Wl,-rpath,"$build" -lpthread; then
      echo "FAIL: $cxx -std=$std could not build examples/flag-hello.c as C++"
      fail=1
      continue
    fi
    # C linkage: the calls are to coord_flag_create, not a mangled _Z... name.
    if nm -u "$exe" | grep -q '_Z.*coord_'; then
      echo "FAIL: $cxx -std=$std: mangled coord symbols: $(nm -u "$exe" | grep '_Z.*coord_')"
      fail=1
    fi
    out=$(timeout 60 "$exe" | cat)
    if ! printf '%s\n' "$out" | grep -qx 'worker 2 found 4242' ||
       ! printf '%s\n' "$out" | grep -qx 'flag set: yes'; then
      echo "FAIL: $cxx -std=$std: flag-hello printed:"; printf '%s\n' "$out"
      fail=1
    else
      echo "ok: $cxx -std=$std"
    fi
    ran=$((ran + 1))
  done
done
[ "$ran" -gt 0 ] || { echo "SKIP: no C++ compiler (g++ or clang++)"; exit 77; }
exit $fail
