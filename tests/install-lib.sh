# SPDX-License-Identifier: MIT
# Sourced by the install tests (tests/install-*.sh): a private scratch
# directory removed on exit, and `coord_install PREFIX` which installs the
# build there. Every install writes BUILD/install_manifest.txt,
# BUILD/install_dirs.txt and BUILD/install_destdir.txt; the tests keep the user's copies (what
# `make uninstall` reads) as they were.
# The install tests share the CTest resource lock coord_install_manifest.
# Expects $src and $build to be set.
set -eu
scratch=$(mktemp -d "${TMPDIR:-/tmp}/coord-install-test.XXXXXX")
records="install_manifest.txt install_dirs.txt install_destdir.txt"
for r in $records; do
  if [ -e "$build/$r" ]; then
    cp -p "$build/$r" "$scratch/$r.saved"
  fi
done
coord_install_cleanup() {
  for r in $records; do
    if [ -e "$scratch/$r.saved" ]; then
      cp -p "$scratch/$r.saved" "$build/$r"
    else
      rm -f "$build/$r"
    fi
  done
  rm -rf "$scratch"
}
trap coord_install_cleanup EXIT

# coord_install PREFIX: install the build into PREFIX (quietly; the log is
# printed when it fails).
coord_install() {
  if ! cmake --install "$build" --prefix "$1" >"$scratch/install.log" 2>&1; then
    cat "$scratch/install.log"
    echo "FAIL: cmake --install into $1"
    exit 1
  fi
}

# expect_hello OUTPUT: the lines examples/flag-hello.c must print.
expect_hello() {
  if ! printf '%s\n' "$1" | grep -qx 'worker 2 found 4242' ||
     ! printf '%s\n' "$1" | grep -qx 'flag set: yes'; then
    echo "FAIL: flag-hello printed:"
    printf '%s\n' "$1"
    exit 1
  fi
}
