#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: the quick report of the lecture's experiments on this machine.
set -eu
build=${1:-build}
out=${COORD_REPORT_DIR:-report}
if "$build/coord" --help | grep -q '^  report'; then
  "$build/coord" report --quick --out "$out"
  dir=$(cd "$out" && pwd)
  echo
  echo "demo: the report is $dir/index.html (open it in a browser)"
  echo "demo: the same in Markdown: $dir/report.md; plots in $dir/plots, raw JSON in $dir/data"
else
  "$build/example-flag-hello"
  "$build/coord_bench" flag --seconds 1
fi
