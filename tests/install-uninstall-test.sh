#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make uninstall` removes exactly what `make install` put in: a prefix that
# already holds other files (in the same lib/, include/, bin/, share/man/
# folders) is listed, coord is installed and uninstalled through the
# Makefile, and the listing must be the same as before, byte for byte.
# Usage: install-uninstall-test.sh SRC BUILD.
src=$1
build=$2
. "$src/tests/install-lib.sh"
p="$scratch/prefix"
mkdir -p "$p/bin" "$p/lib/pkgconfig" "$p/include" "$p/share/man/man1" "$p/share/doc/other"
for f in bin/other lib/libother.so lib/pkgconfig/other.pc include/other.h \
         share/man/man1/other.1 share/doc/other/README; do
  echo other >"$p/$f"
done
list() { (cd "$p" && find . -print | LC_ALL=C sort); }
list >"$scratch/before"
unset MAKEFLAGS MAKELEVEL MFLAGS
if ! make -s --no-print-directory -C "$src" install BUILD="$build" PREFIX="$p" >"$scratch/make.log" 2>&1; then
  cat "$scratch/make.log"; echo "FAIL: make install"; exit 1
fi
n=$(wc -l <"$build/install_manifest.txt")
[ "$n" -gt 20 ] || { echo "FAIL: the manifest lists only $n files"; exit 1; }
for f in bin/coord include/coord.h lib/pkgconfig/coord.pc share/coord/python/spectrum.py; do
  [ -e "$p/$f" ] || { echo "FAIL: $f was not installed"; exit 1; }
done
# A user imports the installed package (Python writes its bytecode beside
# it, in __pycache__) and runs an installed comparison script that imports
# its neighbour: uninstall must take those .pyc files too, or the package
# folder stays behind as an empty namespace package that `import coord`
# still finds.
site=$(cd "$p" && ls -d lib/python3*/site-packages 2>/dev/null | head -1)
if [ -n "$site" ] && [ -d "$p/$site/coord" ] && command -v python3 >/dev/null; then
  # An extension built with ASan or UBSan (gcc) loads only with their
  # runtimes first, as the python.* tests run it (python/CMakeLists.txt).
  pre=()
  ext=$(ls "$p/$site"/coord/_coord*.so 2>/dev/null | head -1)
  for rt in asan ubsan; do
    if [ -n "$ext" ] && readelf -d "$ext" 2>/dev/null | grep -q "lib$rt\.so"; then
      pre+=("$(${CC:-cc} -print-file-name=lib$rt.so)")
    fi
  done
  san=()
  [ ${#pre[@]} -eq 0 ] ||
    san=("LD_PRELOAD=${pre[*]}" PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0)
  if ! (cd "$scratch" && env -u PYTHONDONTWRITEBYTECODE PYTHONPATH="$p/$site" \
        "${san[@]}" python3 -c \
        'import coord, sys; sys.path.insert(0, sys.argv[1]); import primes' \
        "$p/share/coord/python"); then
    echo "FAIL: the installed package does not import"; exit 1
  fi
  [ -d "$p/$site/coord/__pycache__" ] ||
    { echo "FAIL: python3 wrote no bytecode (the test needs it)"; exit 1; }
fi
if ! make -s --no-print-directory -C "$src" uninstall BUILD="$build" >"$scratch/make.log" 2>&1; then
  cat "$scratch/make.log"; echo "FAIL: make uninstall"; exit 1
fi
list >"$scratch/after"
if ! diff -u "$scratch/before" "$scratch/after"; then
  echo "FAIL: the prefix differs after make uninstall (diff above: - missing, + left over)"
  exit 1
fi
# A prefix the install creates, with spaces in its path (the Makefile quotes
# PREFIX): uninstall removes it again, with the parent the install made.
q="$scratch/new dir/pre fix"
if ! make -s --no-print-directory -C "$src" install BUILD="$build" PREFIX="$q" >"$scratch/make.log" 2>&1 ||
   [ ! -x "$q/bin/coord" ] ||
   ! make -s --no-print-directory -C "$src" uninstall BUILD="$build" >>"$scratch/make.log" 2>&1; then
  cat "$scratch/make.log"; echo "FAIL: make install/uninstall with PREFIX='$q'"; exit 1
fi
[ ! -e "$scratch/new dir" ] || { find "$scratch/new dir"; echo "FAIL: uninstall left the folders the install made"; exit 1; }
# A relative prefix, relative to where the install ran; uninstall runs in
# BUILD and must still find what it made.
if ! (cd "$scratch" && cmake --install "$build" --prefix rel/p >"$scratch/make.log" 2>&1) ||
   [ ! -x "$scratch/rel/p/bin/coord" ] ||
   ! cmake --build "$build" --target uninstall >>"$scratch/make.log" 2>&1; then
  cat "$scratch/make.log"; echo "FAIL: install/uninstall with a relative prefix"; exit 1
fi
[ ! -e "$scratch/rel" ] || { find "$scratch/rel" | head; echo "FAIL: uninstall left the folders of a relative prefix"; exit 1; }
# A prefix that already has every folder coord installs into (an earlier
# install from another build tree, or /usr/local): the install creates no
# folder, and installing twice and uninstalling must say no CMake warning
# (CMP0007 on the record of the prefix alone) and leave the folders.
r="$scratch/all there"
(cd "$p" && find . -type d) >"$scratch/dirs"
cmake --install "$build" --prefix "$scratch/skeleton" >"$scratch/make.log" 2>&1
(cd "$scratch/skeleton" && find . -type d) >>"$scratch/dirs"
while IFS= read -r d; do mkdir -p "$r/$d"; done <"$scratch/dirs"
rm -rf "$scratch/skeleton"
listr() { (cd "$r" && find . -print | LC_ALL=C sort); }
listr >"$scratch/before-r"
: >"$scratch/make.log"
for step in install install uninstall; do
  if [ $step = install ]; then set -- PREFIX="$r"; else set --; fi
  if ! make --no-print-directory -C "$src" $step BUILD="$build" "$@" >>"$scratch/make.log" 2>&1; then
    cat "$scratch/make.log"; echo "FAIL: make $step into a prefix whose folders all exist"; exit 1
  fi
done
if grep -q 'CMake Warning' "$scratch/make.log"; then
  grep -A6 'CMake Warning' "$scratch/make.log"
  echo "FAIL: make install/uninstall into a prefix whose folders all exist warns (above)"; exit 1
fi
listr >"$scratch/after-r"
if ! diff -u "$scratch/before-r" "$scratch/after-r"; then
  echo "FAIL: a prefix whose folders all existed differs after make uninstall (diff above)"
  exit 1
fi
# A staged install (DESTDIR, here relative: relative to where the install
# runs) of a prefix that also holds a live install: uninstall, which runs in
# BUILD, removes the staged files (and the stage folders the install made),
# whether given the same DESTDIR or none, and never the live ones; another
# DESTDIR is refused.
live="$scratch/live"
coord_install "$live"
stage_install() {
  (cd "$scratch" && DESTDIR=stage cmake --install "$build" --prefix "$live" >"$scratch/make.log" 2>&1) &&
    [ -x "$scratch/stage$live/bin/coord" ] ||
    { cat "$scratch/make.log"; echo "FAIL: install with DESTDIR=stage"; exit 1; }
}
stage_install
if ! env -u DESTDIR cmake --build "$build" --target uninstall >"$scratch/make.log" 2>&1; then
  cat "$scratch/make.log"; echo "FAIL: uninstall after an install with DESTDIR=stage"; exit 1
fi
[ -x "$live/bin/coord" ] && [ -e "$live/lib/pkgconfig/coord.pc" ] ||
  { echo "FAIL: uninstall after a staged install removed the live install's files"; exit 1; }
[ ! -e "$scratch/stage" ] || { find "$scratch/stage" | head; echo "FAIL: uninstall left the staged files"; exit 1; }
stage_install
if ! (cd "$scratch" && DESTDIR=stage cmake --build "$build" --target uninstall >"$scratch/make.log" 2>&1); then
  cat "$scratch/make.log"; echo "FAIL: uninstall with DESTDIR=stage"; exit 1
fi
[ ! -e "$scratch/stage" ] || { find "$scratch/stage" | head; echo "FAIL: uninstall with DESTDIR=stage left the staged files"; exit 1; }
stage_install
if DESTDIR="$scratch/elsewhere" cmake --build "$build" --target uninstall >"$scratch/make.log" 2>&1 ||
   ! grep -q 'the last install of this build tree was' "$scratch/make.log"; then
  cat "$scratch/make.log"; echo "FAIL: uninstall with another DESTDIR than the install's was not refused"; exit 1
fi
[ -x "$scratch/stage$live/bin/coord" ] && [ -x "$live/bin/coord" ] ||
  { echo "FAIL: a refused uninstall removed files"; exit 1; }
echo "make install put $n files in; make uninstall removed them and nothing else (also for a new prefix with spaces, a relative one, one whose folders all exist, and a staged one with a relative DESTDIR)"
