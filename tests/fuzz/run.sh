#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang (+ ASan, UBSan) and runs each for
# a quarter of a bounded time: tests/fuzz/fuzz-frame.c (the manager's frame
# parser), tests/fuzz/fuzz-segment.c (corrupted named flag, value, array
# and region segments read by this process and a racing reader),
# tests/fuzz/fuzz-fd.c (any bytes in a memfd of any size and seals, opened
# with each kind's _open_fd and used) and tests/fuzz/fuzz-queue.c (a live
# queue's bytes, its mutexes' words included, overwritten between calls
# with timeout 0). Skips (exit 0, with a message) when
# clang or its fuzzer runtime is missing; tests/test-segfuzz.c runs the
# segment and descriptor checks with fixed seeds without clang.
# Usage: run.sh [BUILD_DIR] [SECONDS (total)]
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-build}"
secs="${2:-60}"
case "$build" in /*) ;; *) build="$src/$build" ;; esac
out="$build/fuzz"
cc="${FUZZ_CC:-clang}"

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz: skipped: no $cc"; exit 0
fi
mkdir -p "$out"
probe="$out/probe.c"
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n){(void)d;(void)n;return 0;}\n' >"$probe"
if ! "$cc" -fsanitize=fuzzer "$probe" -o "$out/probe" >/dev/null 2>&1; then
  echo "fuzz: skipped: $cc has no libFuzzer runtime (install libclang-rt-dev)"; exit 0
fi
if [ ! -f "$build/coord_config.h" ]; then
  cmake -S "$src" -B "$build" >/dev/null
fi
cflags=(-g -O1 -std=c11 -D_GNU_SOURCE -D_DEFAULT_SOURCE -DCOORD_BUILDING
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -I"$src/include" -I"$src/src" -I"$build")
"$cc" "${cflags[@]}" "$src/tests/fuzz/fuzz-frame.c" \
  "$src"/src/{wire,manager_store,manager_hmap}.c -o "$out/fuzz-frame"
# The segment target links the shared-state layer and the platform below it.
"$cc" "${cflags[@]}" "$src/tests/fuzz/fuzz-segment.c" \
  "$src"/src/{flag,value,array,region,scalar,errno}.c \
  "$src"/src/os/{segment,proc,mutex,futex,clock}.c \
  -lpthread -lm -o "$out/fuzz-segment"
# The descriptor target adds the queue (and the waits it spins in).
"$cc" "${cflags[@]}" "$src/tests/fuzz/fuzz-fd.c" \
  "$src"/src/{flag,value,array,region,scalar,errno,queue,queue_ring,queue_wait,queue_repair,wait}.c \
  "$src"/src/os/{segment,proc,mutex,futex,clock,cpuload,cpuquota,prefetch}.c \
  -lpthread -lm -o "$out/fuzz-fd"
# The queue target: the queue's code over a queue in this process's memory.
"$cc" "${cflags[@]}" "$src/tests/fuzz/fuzz-queue.c" \
  "$src"/src/{queue,queue_ring,queue_wait,queue_repair,wait,scalar,errno}.c \
  "$src"/src/os/{segment,proc,mutex,futex,clock,cpuload,cpuquota,prefetch}.c \
  -lpthread -lm -o "$out/fuzz-queue"
frame_secs=$(( (secs + 3) / 4 ))
seg_secs=$(( (secs - frame_secs + 2) / 3 ))
fd_secs=$(( (secs - frame_secs - seg_secs + 1) / 2 ))
queue_secs=$(( secs - frame_secs - seg_secs - fd_secs ))
[ "$seg_secs" -ge 1 ] || seg_secs=1
[ "$fd_secs" -ge 1 ] || fd_secs=1
[ "$queue_secs" -ge 1 ] || queue_secs=1

# Seeds: a few valid frames (HELLO, a SET, a GET, a batch, STATS) so that
# the fuzzer starts from the grammar instead of from nothing.
corpus="$out/corpus"
mkdir -p "$corpus"
if command -v python3 >/dev/null 2>&1; then
  python3 - "$corpus" <<'PY'
import struct, sys, os
d = sys.argv[1]
def frame(kind, ops, count):
    body = b"".join(ops)
    return struct.pack("<IBBHI", 8 + len(body), 1, kind, count, 7) + body
def op(code, name, key=b"", tail=b""):
    return struct.pack("<BBHH", code, 0, len(name), len(key)) + name + key + tail
i64 = lambda x: bytes([1]) + struct.pack("<q", x)
s = lambda b: bytes([4]) + struct.pack("<I", len(b)) + b + b"\0"
seeds = {
  "hello": frame(1, [], 0),
  "set_get": frame(3, [op(2, b"d", b"k", i64(5))], 1) + frame(3, [op(1, b"d", b"k")], 1),
  "list": frame(3, [op(7, b"l", b"", s(b"hi")), op(8, b"l", b"", struct.pack("<q", -1)),
                    op(10, b"l", b"", struct.pack("<q", 0)), op(9, b"l")], 4),
  "incr_cas": frame(3, [op(4, b"d", b"n", struct.pack("<q", 3)),
                        op(5, b"d", b"n", i64(3) + i64(9)), op(5, b"d", b"m", b"\0" + s(b"x")),
                        op(6, b"d"), op(32, b"d"), op(3, b"d", b"n"), op(33, b"")], 7),
}
for name, data in seeds.items():
    open(os.path.join(d, name), "wb").write(data)
PY
fi
# fuzz TARGET SECONDS CORPUS MAX_LEN [libFuzzer options...]: runs $out/TARGET
# for SECONDS over CORPUS (made if missing), its log in $out/TARGET.log and
# a failing input saved as $out/TARGET-*; returns its status.
fuzz() {
  local target=$1 seconds=$2 corp=$3 len=$4
  shift 4
  mkdir -p "$corp"
  ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=64}" \
    "$out/$target" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len="$len" \
    -artifact_prefix="$out/$target-" -print_final_stats=1 "$@" "$corp" \
    2>"$out/$target.log"
}
# passed TARGET STATUS: the run's figures, or its log's end and exit 1.
passed() {
  if [ "$2" -ne 0 ]; then
    tail -40 "$out/$1.log"; echo "fuzz: FAILED (the input is saved in $out/)"; exit 1
  fi
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$out/$1.log" || true
}

echo "fuzz: running the frame parser for $frame_secs s"
status=0
fuzz fuzz-frame "$frame_secs" "$corpus" 8192 || status=$?
passed fuzz-frame "$status"

# Segments: inputs are lists of 12-byte mutations; -timeout catches a hang
# (a reader stuck in a call). The names are coord.fz<pid>-*, removed at
# exit; a crashed run's files are removed here.
echo "fuzz: corrupting named segments for $seg_secs s"
status=0
fuzz fuzz-segment "$seg_secs" "$out/segcorpus" 240 -timeout=10 || status=$?
find /dev/shm -maxdepth 1 -name 'coord.fz[0-9]*-*' -user "$(id -u)" -delete 2>/dev/null || true
passed fuzz-segment "$status"

# Descriptors: seeds of each kind's own segment (fd-exercise.h: byte 0
# the base, byte 1 its parameter, 4 bytes of size: its own), a queue that
# keeps its mutexes' words as the file has them (FDX_OWNERS), raw zeros,
# and the inputs found before (a queue whose tail lies behind head: a put
# with timeout 0 spun for ever; one whose lock names a live owner). Each
# input makes its own memfd: nothing is left behind.
echo "fuzz: opening descriptors for $fd_secs s"
fdcorpus="$out/fdcorpus"
mkdir -p "$fdcorpus"
for k in 0 1 2 3 4; do printf "\\x0$k\\x05\\x00\\x00\\x00\\x00" >"$fdcorpus/kind$k"; done
printf '\x04\x05\x00\x00\x00\x20' >"$fdcorpus/queue-owners"
printf '\x07\x00\x00\x00\x00\x00' >"$fdcorpus/raw"
printf '\x64\xbb\xa1\x44\x09\x2c\x9d\x2e\x01\x9d\x09\x64\x44\xa1\xbb\x01\x2c\x2e\x01' \
  >"$fdcorpus/queue-stale-tail"
printf '\x44\x02\xb1\xb1\xb1\x10\x00\x78\x00\x00\x00\x04\x02\x2c\x9d\x2e\x01\x33\xd3\xff\x8e' \
  >"$fdcorpus/queue-lock-owner"
status=0
fuzz fuzz-fd "$fd_secs" "$fdcorpus" 512 -timeout=10 || status=$?
passed fuzz-fd "$status"

# A live queue's bytes overwritten (its mutexes' words too, in the inputs
# whose first byte is odd: fuzz-queue.c) and calls with timeout 0: only
# documented codes, lengths that fit, no bad read, no call slower than
# 60 ms in 3 runs, no robust mutex left locked; -timeout catches a call that
# spins. Seeds: no writes, and a consumer lock that names another thread
# with a put asleep (a get's wake-up gives up on it after 10 ms).
echo "fuzz: overwriting a live queue for $queue_secs s"
qcorpus="$out/qcorpus"
mkdir -p "$qcorpus"
printf '\x00\xff\x00\x02\x01\x03\x04\x05' >"$qcorpus/calls"
printf '\x01\x81\x00\x10\xc4\x00\x01\xd7\x00\x7f\xff\x00\x00\x01\x02' >"$qcorpus/owner"
status=0
fuzz fuzz-queue "$queue_secs" "$qcorpus" 512 -timeout=10 || status=$?
passed fuzz-queue "$status"
echo "fuzz: ok"
