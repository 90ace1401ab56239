#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The path from `make install` to a running program, as a user meets it:
# install into a temporary prefix, build examples/flag-hello.c with plain
# pkg-config (only PKG_CONFIG_PATH set) and run it without LD_LIBRARY_PATH
# through a pipe; the same after moving the install tree elsewhere
# (coord.pc derives its prefix from ${pcfiledir}); the same through a
# throw-away CMake project with find_package(coord 0.4) + coord::coord;
# find_package(coord 0.3) and (coord 0.5) must reject 0.4, and README's
# patch-level request takes it (the next patch is refused); the installed
# tools run with an empty environment; ldconfig runs only for a library
# directory the dynamic linker searches; with the MPI backend, coord_mpi.pc,
# mpicc and coord::coord_mpi build a program that runs (part 6). Usage:
# install-test.sh SRC BUILD. Env: CC, EXTRA_CFLAGS (the build's sanitizer
# flags), COORD_HAVE_MPI (ON when the build has the MPI backend),
# COORD_HAVE_BENCH (ON when it has coord_bench). Exit 77 =
# skipped.
src=$1
build=$2
. "$src/tests/install-lib.sh"
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not installed (scripts/deps.sh installs it)"; exit 77; }
unset LD_LIBRARY_PATH PKG_CONFIG_LIBDIR
cc=${CC:-cc}

# A fake ldconfig: `-v -N` names $fake_sysdir as a searched directory; a
# plain call (the cache refresh) is recorded.
mkdir -p "$scratch/fake"
cat >"$scratch/fake/ldconfig" <<FAKE
#!/usr/bin/env bash
if [ "\$*" = "-v -N" ]; then echo "\$(cat "$scratch/fake/sysdir"): (from test)"; else echo "\$*" >>"$scratch/fake/called"; fi
FAKE
chmod +x "$scratch/fake/ldconfig"
export COORD_LDCONFIG="$scratch/fake/ldconfig"

# 1. A non-system prefix: no ldconfig.
echo /nonexistent/lib >"$scratch/fake/sysdir"
coord_install "$scratch/a"
[ ! -e "$scratch/fake/called" ] || { echo "FAIL: ldconfig ran for a non-system prefix"; exit 1; }

build_hello() { # PREFIX EXE
  local pc
  pc=$(dirname "$(find "$1" -name coord.pc | head -n1)")
  [ -n "$pc" ] || { echo "FAIL: coord.pc was not installed under $1"; exit 1; }
  local cflags libs
  cflags=$(PKG_CONFIG_PATH="$pc" pkg-config --cflags coord)
  libs=$(PKG_CONFIG_PATH="$pc" pkg-config --libs coord)
  echo "pkg-config ($1): $cflags $libs"
  # shellcheck disable=SC2086
  "$cc" -std=c11 -Wall -Wextra -Werror ${EXTRA_CFLAGS:-} $cflags \
    "$src/examples/flag-hello.c" -o "$2" $libs
}
build_hello "$scratch/a" "$scratch/hello-a"
expect_hello "$("$scratch/hello-a" | cat)"

# 2. The install tree moved: coord.pc follows it.
mv "$scratch/a" "$scratch/b"
build_hello "$scratch/b" "$scratch/hello-b"
expect_hello "$("$scratch/hello-b" | cat)"

# 3. The installed tools need nothing from the environment (they link
# libcoord statically: no NEEDED libcoord, nothing to find).
# coord_bench only where the build has it (COORD_HAVE_BENCH, from CMake:
# -DCOORD_BUILD_BENCH=OFF builds and installs none).
tools=coord
if [ "${COORD_HAVE_BENCH:-ON}" = ON ]; then
  tools="coord coord_bench"
elif [ -e "$scratch/b/bin/coord_bench" ]; then
  echo "FAIL: bin/coord_bench installed by a build without it"; exit 1
fi
for t in $tools; do
  [ -x "$scratch/b/bin/$t" ] || { echo "FAIL: bin/$t not installed"; exit 1; }
  if readelf -d "$scratch/b/bin/$t" | grep -q 'NEEDED.*libcoord'; then
    echo "FAIL: bin/$t needs libcoord.so"; exit 1
  fi
done
v=$(env -i "$scratch/b/bin/coord" --version)
[ "$v" = "coord $(sed -n 's/^project(coord VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")" ] ||
  { echo "FAIL: installed coord --version printed '$v'"; exit 1; }
if [ "${COORD_HAVE_BENCH:-ON}" = ON ]; then
  env -i "$scratch/b/bin/coord_bench" --help >/dev/null 2>&1 ||
    [ $? -eq 2 ] || { echo "FAIL: installed coord_bench does not run"; exit 1; }
fi

# 4. CMake: find_package(coord 0.4) + coord::coord; 0.3 and 0.5 rejected.
mkdir -p "$scratch/proj"
cp "$src/examples/flag-hello.c" "$scratch/proj/"
cat >"$scratch/proj/CMakeLists.txt" <<'PROJ'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
foreach(v 0.3 0.5)
  find_package(coord ${v} QUIET)
  if(coord_FOUND)
    message(FATAL_ERROR "find_package(coord ${v}) accepted ${coord_VERSION}")
  endif()
  unset(coord_DIR CACHE)
endforeach()
find_package(coord 0.4 REQUIRED)
message(STATUS "found coord ${coord_VERSION}")
add_executable(hello flag-hello.c)
target_link_libraries(hello PRIVATE coord::coord)
PROJ
if ! cmake -S "$scratch/proj" -B "$scratch/proj/build" -DCMAKE_PREFIX_PATH="$scratch/b" \
    -DCMAKE_C_COMPILER="$cc" "-DCMAKE_C_FLAGS=${EXTRA_CFLAGS:-}" \
    "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_CFLAGS:-}" >"$scratch/proj.log" 2>&1 ||
   ! cmake --build "$scratch/proj/build" >>"$scratch/proj.log" 2>&1; then
  cat "$scratch/proj.log"; echo "FAIL: the find_package(coord) project"; exit 1
fi
grep 'found coord' "$scratch/proj.log"
expect_hello "$("$scratch/proj/build/hello" | cat)"

# 4b. README's patch-level request ("a program that calls the new ones asks
# for find_package(coord X.Y.Z) / pkg-config --atleast-version=X.Y.Z
# coord"): both take this install and both refuse the next patch level;
# and a patch release keeps the soname libcoord.so.MAJOR.MINOR, as README
# says programs built against the .0 release rely on.
ver=$(sed -n 's/^project(coord VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
asked=$(sed -n 's/.*asks for `find_package(coord \([0-9.]*\))` \/ `pkg-config --atleast-version=\([0-9.]*\) coord`.*/\1 \2/p' "$src/README.md")
read -r asked_cmake asked_pc <<<"$asked"
[ -n "$asked_cmake" ] && [ "$asked_cmake" = "$asked_pc" ] ||
  { echo "FAIL: README.md names no patch-level find_package / pkg-config request (found '$asked')"; exit 1; }
next=${ver%.*}.$((${ver##*.} + 1))
pcdir=$(dirname "$(find "$scratch/b" -name coord.pc | head -n1)")
PKG_CONFIG_PATH="$pcdir" pkg-config --atleast-version="$asked_pc" coord ||
  { echo "FAIL: pkg-config --atleast-version=$asked_pc coord refuses $ver"; exit 1; }
! PKG_CONFIG_PATH="$pcdir" pkg-config --atleast-version="$next" coord ||
  { echo "FAIL: pkg-config --atleast-version=$next coord accepts $ver"; exit 1; }
mkdir -p "$scratch/patch"
cat >"$scratch/patch/CMakeLists.txt" <<PROJ
cmake_minimum_required(VERSION 3.16)
project(patchlevel C)
find_package(coord $next QUIET)
if(coord_FOUND)
  message(FATAL_ERROR "find_package(coord $next) accepted \${coord_VERSION}")
endif()
unset(coord_DIR CACHE)
find_package(coord $asked_cmake REQUIRED)
PROJ
cmake -S "$scratch/patch" -B "$scratch/patch/build" -DCMAKE_PREFIX_PATH="$scratch/b" -DCMAKE_C_COMPILER="$cc" \
    >"$scratch/patch.log" 2>&1 ||
  { cat "$scratch/patch.log"; echo "FAIL: find_package(coord $asked_cmake) with $ver installed"; exit 1; }
so=$(find "$scratch/b" -name "libcoord.so.$ver" | head -n1)
[ -n "$so" ] || { echo "FAIL: no libcoord.so.$ver installed"; exit 1; }
readelf -d "$so" | grep -q "SONAME.*\[libcoord\.so\.${ver%.*}\]" ||
  { echo "FAIL: libcoord.so.$ver's soname is not libcoord.so.${ver%.*}"; readelf -d "$so" | grep SONAME; exit 1; }
echo "patch level: find_package and pkg-config take $asked_cmake, refuse $next; soname libcoord.so.${ver%.*}"

# 6. The MPI search, when the build has it (COORD_HAVE_MPI, from CMake):
# coord_mpi.pc is installed, and a program built with plain pkg-config
# (`pkg-config --cflags --libs coord_mpi`: coord and the MPI come with it)
# runs from the moved tree; libcoord_mpi.so finds the libcoord.so beside
# it ($ORIGIN), so a program that calls only coord_mpi_* runs with its own
# rpath even when the linker dropped -lcoord (as-needed); and
# find_package(coord) gives coord::coord_mpi. Without MPI, no coord_mpi.pc.
# run_mpi EXE HOW: run an MPI search program as a singleton.
run_mpi() {
  # (ASan would report Open MPI's own leaks, as in tests/test-mpi.c.)
  local out
  out=$(ASAN_OPTIONS=detect_leaks=0 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    timeout 60 "$1" 2>&1) || true
  [ "$out" = "mpi search 1 77" ] ||
    { echo "FAIL: the installed MPI search built with $2, run as a singleton, printed: $out"; exit 1; }
}
mpc=$(find "$scratch/b" -name coord_mpi.pc | head -n1)
if [ "${COORD_HAVE_MPI:-OFF}" = ON ]; then
  [ -n "$mpc" ] || { echo "FAIL: coord_mpi.pc was not installed"; exit 1; }
  mso=$(find "$scratch/b" -name libcoord_mpi.so | head -n1)
  [ -n "$mso" ] || { echo "FAIL: libcoord_mpi.so was not installed"; exit 1; }
  mlib=$(dirname "$mso")
  readelf -d "$mso" | grep -q 'R.*PATH.*\$ORIGIN' ||
    { echo "FAIL: libcoord_mpi.so has no \$ORIGIN run path"; exit 1; }
  cat >"$scratch/m.c" <<'MPIC'
#include <coord/mpi.h>
#include <stdio.h>
static bool probe(uint64_t i, void *res, void *arg)
{
    (void)arg;
    if (i != 77)
        return false;
    *(uint64_t *)res = i;
    return true;
}
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.begin = 0;
    o.end = 1000;
    uint64_t r = 0;
    int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe, NULL, &r, sizeof r, NULL);
    printf("mpi search %d %llu\n", rc, (unsigned long long)r);
    MPI_Finalize();
    return rc == 1 && r == 77 ? 0 : 1;
}
MPIC
  mflags=$(PKG_CONFIG_PATH=$(dirname "$mpc") pkg-config --cflags --libs coord_mpi) ||
    { echo "FAIL: pkg-config --cflags --libs coord_mpi"; exit 1; }
  echo "pkg-config coord_mpi: $mflags"
  # shellcheck disable=SC2086
  "$cc" -std=c11 -Wall -Wextra -Werror ${EXTRA_CFLAGS:-} "$scratch/m.c" -o "$scratch/m-pc" $mflags ||
    { echo "FAIL: an MPI program could not be built with pkg-config coord_mpi"; exit 1; }
  run_mpi "$scratch/m-pc" "pkg-config coord_mpi"
  if command -v mpicc >/dev/null; then
    # shellcheck disable=SC2086
    mpicc -std=c11 ${EXTRA_CFLAGS:-} -Wl,--as-needed -I"$scratch/b/include" "$scratch/m.c" \
      -o "$scratch/m" -L"$mlib" -Wl,-rpath,"$mlib" -lcoord_mpi -lcoord ||
      { echo "FAIL: an MPI program could not be built against the install"; exit 1; }
    run_mpi "$scratch/m" "mpicc"
    mkdir -p "$scratch/mproj"
    cp "$scratch/m.c" "$scratch/mproj/"
    cat >"$scratch/mproj/CMakeLists.txt" <<'PROJ'
cmake_minimum_required(VERSION 3.16)
project(mconsumer C)
find_package(coord 0.4 REQUIRED)
if(NOT TARGET coord::coord_mpi)
  message(FATAL_ERROR "find_package(coord) gave no coord::coord_mpi")
endif()
add_executable(m m.c)
target_link_libraries(m PRIVATE coord::coord_mpi)
PROJ
    if ! cmake -S "$scratch/mproj" -B "$scratch/mproj/build" -DCMAKE_PREFIX_PATH="$scratch/b" \
        -DCMAKE_C_COMPILER="$cc" "-DCMAKE_C_FLAGS=${EXTRA_CFLAGS:-}" \
        "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_CFLAGS:-}" >"$scratch/mproj.log" 2>&1 ||
       ! cmake --build "$scratch/mproj/build" >>"$scratch/mproj.log" 2>&1; then
      cat "$scratch/mproj.log"; echo "FAIL: the find_package(coord) + coord::coord_mpi project"; exit 1
    fi
    # A C++-only project: FindMPI gives no MPI::MPI_C there, so either
    # coord::coord_mpi is defined all the same or find_package(coord) says why
    # (it was left undefined in silence).
    mkdir -p "$scratch/mxx"
    cat >"$scratch/mxx/CMakeLists.txt" <<'PROJ'
cmake_minimum_required(VERSION 3.16)
project(mxxconsumer CXX)
find_package(coord 0.4 REQUIRED)
if(TARGET coord::coord_mpi)
  message(STATUS "mxx: coord::coord_mpi defined")
endif()
PROJ
    if ! cmake -S "$scratch/mxx" -B "$scratch/mxx/build" -DCMAKE_PREFIX_PATH="$scratch/b" \
        >"$scratch/mxx.log" 2>&1; then
      cat "$scratch/mxx.log"; echo "FAIL: find_package(coord) in a C++-only project"; exit 1
    fi
    grep -q 'mxx: coord::coord_mpi defined\|coord::coord_mpi not defined: .*C language' "$scratch/mxx.log" ||
      { cat "$scratch/mxx.log"; echo "FAIL: a C++-only project got no coord::coord_mpi, and no word why"; exit 1; }
    echo "mpi: coord_mpi.pc, \$ORIGIN run path, mpicc, coord::coord_mpi"
  else
    echo "note: no mpicc, so the MPI library was checked through pkg-config coord_mpi only"
  fi
else
  [ -z "$mpc" ] || { echo "FAIL: coord_mpi.pc installed by a build without the MPI backend"; exit 1; }
  echo "skip (MPI part): this build has no MPI backend (COORD_MPI=OFF, or CMake found no MPI)"
fi

# 5. A system library directory, as root: ldconfig refreshes the cache.
if [ "$(id -u)" = 0 ]; then
  echo "$scratch/c/lib" >"$scratch/fake/sysdir"
  mkdir -p "$scratch/c/lib"
  coord_install "$scratch/c"
  [ -e "$scratch/fake/called" ] || { echo "FAIL: no ldconfig for a system library directory"; exit 1; }
  DESTDIR="$scratch/d" coord_install "$scratch/c"
  [ "$(wc -l <"$scratch/fake/called")" = 1 ] || { echo "FAIL: ldconfig ran with DESTDIR set"; exit 1; }
  echo "ldconfig: run for a system library directory, not otherwise"
else
  echo "note: not root, so the ldconfig step (root only) was checked only for not running"
fi
echo "install test passed"
