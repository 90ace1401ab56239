#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what `make demo` and `make test` use beyond gcc, cmake, make and
# python3. Each line of the list below: a Debian package, the command that
# shows it is there, why coord wants it and, optionally, a variable that
# leaves it out when set to 1. Nothing here is required to build: a step
# whose tool is missing is skipped with a reason. It says what it will
# install, and why, before running apt-get (as root; otherwise it prints
# the command to run). COORD_NO_DEPS=1 skips all of it; COORD_NO_BROWSER=1
# leaves out chromium, COORD_NO_MPI=1 Open MPI. A variable written +NAME
# takes a package in only when NAME is 1: COORD_DEPS_CI=1 (.ci/run sets
# it) adds what only CI uses. The "command" may be one of the checks
# below, a function, which is run instead of looked for.
set -u
# gcc -m32 links a program (gcc-multilib): .ci/m32, the 32-bit stage.
m32_links() {
  local out
  out=$(mktemp "${TMPDIR:-/tmp}/coord-m32.XXXXXX" 2>/dev/null) || return 1
  printf 'int main(void) { return 0; }\n' | gcc -m32 -x c - -o "$out" >/dev/null 2>&1
  local rc=$?
  rm -f "$out"
  return $rc
}
deps=(
  "gnuplot-nox|gnuplot|the PNG copies of the report's plots (its page draws them itself)"
  "pkg-config|pkg-config|the install test builds a program as a user would"
  "scdoc|scdoc|the man pages coord(1) and libcoord(3)"
  "clang|clang++|the C++ header test also tries clang++"
  "chromium|chromium|the report's browser self-check|COORD_NO_BROWSER"
  "openmpi-bin|mpirun|the MPI backend coord_mpi, its tests and coord primes --mpi|COORD_NO_MPI"
  "libopenmpi-dev|mpicc|the MPI backend coord_mpi (headers and compiler wrapper)|COORD_NO_MPI"
  "gcc-multilib|m32_links|CI's 32-bit stage, .ci/m32 (gcc -m32)|+COORD_DEPS_CI"
)
if [ "${COORD_NO_DEPS:-0}" = 1 ]; then
  echo "deps: skipped (COORD_NO_DEPS=1)" >&2
  exit 0
fi
want=()
for d in "${deps[@]}"; do
  IFS='|' read -r pkg cmd why skip <<<"$d"
  if [ "${skip#+}" != "$skip" ]; then
    skip=${skip#+}
    [ "${!skip:-0}" = 1 ] || continue
  elif [ -n "$skip" ] && [ "${!skip:-0}" = 1 ]; then
    continue
  fi
  if declare -F "$cmd" >/dev/null; then
    "$cmd" && continue
    what="its check $cmd failed"
  else
    command -v "$cmd" >/dev/null 2>&1 && continue
    what="no '$cmd'"
  fi
  want+=("$pkg")
  echo "deps: $pkg is missing ($what): $why" >&2
done
[ ${#want[@]} -eq 0 ] && exit 0
apt=apt-get
if [ "$(id -u)" = 0 ] && command -v "$apt" >/dev/null 2>&1; then
  # apt-get's log is a new file of our own (mktemp), never a fixed name:
  # root wrote through a link planted at /tmp/coord-deps.log into any file,
  # and a TMPDIR naming no directory kept apt-get from running at all while
  # the message said it had failed. Removed when apt-get succeeds; where no
  # log can be made, apt-get writes to stderr.
  log=$(mktemp "${TMPDIR:-/tmp}/coord-deps.XXXXXX" 2>/dev/null) ||
    log=$(mktemp /tmp/coord-deps.XXXXXX 2>/dev/null) || log=
  apt_run() {
    if [ -n "$log" ]; then "$apt" "$@" >>"$log" 2>&1; else "$apt" "$@" >&2; fi
  }
  echo "deps: installing ${want[*]} with $apt (log: ${log:-stderr}; COORD_NO_DEPS=1 skips this)" >&2
  export DEBIAN_FRONTEND=noninteractive
  failed=()
  if ! apt_run install -y -qq --no-install-recommends "${want[@]}"; then
    apt_run update -qq
    if ! apt_run install -y -qq --no-install-recommends "${want[@]}"; then
      # One package this distribution does not have (chromium is not a
      # Debian package everywhere) makes apt-get install none of them:
      # try them one at a time, so the others still come.
      for pkg in "${want[@]}"; do
        apt_run install -y -qq --no-install-recommends "$pkg" || failed+=("$pkg")
      done
      [ ${#failed[@]} -eq 0 ] ||
        echo "deps: could not install ${failed[*]} (see ${log:-the messages above}); the steps that need them are skipped" >&2
    fi
  fi
  # The log is kept only when it tells of a failure.
  [ -z "$log" ] || [ ${#failed[@]} -ne 0 ] || rm -f "$log"
else
  echo "deps: install them with: sudo apt-get install ${want[*]} (the steps that need them are skipped meanwhile)" >&2
fi
exit 0
