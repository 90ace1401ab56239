#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# peer-link.sh [PEER_BENCH_DIR]: link the peer-bench programs statically against this checkout,
# into build-peer/ (an ignored folder), for a machine that cannot build them itself.
#
# scripts/scaling.sh builds peer-bench where its sources and Concurrency Kit's headers are at hand;
# the device machine has neither (only the checkout and the ignored paths a run carries), so it
# uses these copies: `carry: ["build-peer"]`. Builds coord Release in build-scaling/, links
# mgrlat, poolbench, searchscale and (where libck-dev is installed) qpeer with -static, and writes
# the commit they were linked at (with -dirty for uncommitted changes) into build-peer/COMMIT,
# which scaling.sh names in run.log. Exit 0 when every program but qpeer linked; qpeer missing
# is said, not fatal (`apt-get install libck-dev`: make test needs none of it, so scripts/deps.sh leaves it out).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
pb=${1:-}
if [ -z "$pb" ]; then
  for d in "$root/shared/peer-bench" "$root/../shared/peer-bench" /work/shared/peer-bench; do
    [ -f "$d/mgrlat.c" ] && { pb=$d; break; }
  done
fi
if [ -z "$pb" ] || [ ! -f "$pb/mgrlat.c" ]; then
  echo "peer-link.sh: no peer-bench sources (give their folder as the argument)" >&2
  exit 2
fi
bd=$root/build-scaling
out=$root/build-peer
cmake -S "$root" -B "$bd" -DCMAKE_BUILD_TYPE=Release > /dev/null &&
  cmake --build "$bd" --target coord_static -j"$(nproc 2>/dev/null || echo 2)" > /dev/null ||
  { echo "peer-link.sh: building coord (Release) in $bd failed" >&2; exit 1; }
mkdir -p "$out" || exit 1
rc=0
for p in mgrlat poolbench searchscale qpeer; do
  extra=
  if [ "$p" = qpeer ]; then
    if ! printf '#include <ck_ring.h>\n' | gcc -E -x c - > /dev/null 2>&1; then
      echo "peer-link.sh: qpeer skipped: no Concurrency Kit headers (apt-get install libck-dev)" >&2
      rm -f "$out/qpeer"
      continue
    fi
    extra=-lck
  fi
  if gcc -static -std=gnu11 -O2 -pthread -Wno-unused-function -I "$root/include" -I "$bd" \
       -o "$out/$p" "$pb/$p.c" "$bd/libcoord.a" $extra -lrt -lm -pthread; then
    echo "peer-link.sh: $out/$p"
  else
    echo "peer-link.sh: linking $p failed" >&2
    rm -f "$out/$p"
    rc=1
  fi
done
# coord's own checkout's commit, or unknown (scripts/git-commit.sh); dirty
# here means src/ or include/ differ, untracked files there included.
commit=$(bash "$root/scripts/git-commit.sh" "$root")
commit=${commit%-dirty}
[ "$commit" != unknown ] && [ -n "$(git -C "$root" status --porcelain -- src include 2>/dev/null)" ] &&
  commit=$commit-dirty
echo "$commit" > "$out/COMMIT"
exit $rc
