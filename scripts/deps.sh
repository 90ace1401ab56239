#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what `make demo` and `make test` use beyond gcc, cmake, make and
# python3: gnuplot (plots), pkg-config (install test), chromium (the report's
# browser test), Open MPI (the MPI backend and its tests). As root it uses
# apt-get; otherwise it names the packages.
# Nothing here is required to build: what is missing is skipped with a reason.
set -u
want=()
command -v gnuplot >/dev/null 2>&1 || want+=(gnuplot-nox)
command -v pkg-config >/dev/null 2>&1 || want+=(pkg-config)
if [ "${COORD_NO_BROWSER:-0}" != 1 ]; then
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
fi
# MPI: coord_mpi, its tests and `coord primes --mpi` (CMake option
# COORD_MPI=AUTO builds them when MPI is found; COORD_NO_MPI=1 skips this).
if [ "${COORD_NO_MPI:-0}" != 1 ]; then
  { command -v mpirun && command -v mpicc; } >/dev/null 2>&1 ||
    want+=(openmpi-bin libopenmpi-dev)
fi
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing ${want[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${want[@]}" >/tmp/coord-deps.log 2>&1; then
    apt-get update -qq >>/tmp/coord-deps.log 2>&1
    apt-get install -y -qq --no-install-recommends "${want[@]}" >>/tmp/coord-deps.log 2>&1 ||
      echo "deps: could not install ${want[*]} (see /tmp/coord-deps.log); the steps that need them are skipped" >&2
  fi
else
  echo "deps: missing ${want[*]}; install them with: sudo apt-get install ${want[*]} (the steps that need them are skipped meanwhile)" >&2
fi
exit 0
