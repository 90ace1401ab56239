#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: the quick report of the lecture's experiments on this machine.
set -eu
build=${1:-build}
out=${COORD_REPORT_DIR:-report}
if "$build/coord" --help | grep -q '^  report'; then
  "$build/coord" report --quick --out "$out"
  echo "demo: report written to $out/index.html (and $out/report.md)"
else
  "$build/example-flag-hello"
  "$build/coord_bench" flag --seconds 1
fi
