#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang (+ ASan, UBSan) and runs each for
# a quarter of a bounded time: tests/fuzz/fuzz-frame.c (the manager's frame
# parser), tests/fuzz/fuzz-segment.c (corrupted named flag, value, array
# and region segments read by this process and a racing reader),
# tests/fuzz/fuzz-fd.c (any bytes in a memfd of any size and seals, opened
# with each kind's _open_fd and used) and tests/fuzz/fuzz-queue.c (a live
# queue's bytes, its mutexes' words included, overwritten between calls
# with timeout 0 or 1 ms, from positions near 2^32 and 2^63 too); then, a twelfth of SECONDS each, the parsers of
# untrusted input that need no shared state: tests/fuzz/fuzz-mclient.c (a
# manager client reading a hostile server's frames), fuzz-json.c (the
# report's JSON reader), fuzz-csv.c (the fraud CSV reader, and what it
# read written and read back) and fuzz-opts.c (the CLI's option parser
# over any argument vector). Skips (exit 0, with a message) when
# clang or its fuzzer runtime is missing; tests/test-segfuzz.c runs the
# segment and descriptor checks with fixed seeds without clang.
# The targets are built by CMake (COORD_FUZZ, tests/fuzz/CMakeLists.txt)
# in BUILD_DIR/fuzz/cmake; SECONDS 0 builds them and runs none.
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
# The targets are CMake's (option COORD_FUZZ, tests/fuzz/CMakeLists.txt):
# a build of their own in $out/cmake, the library and the CLI's modules
# compiled with -fsanitize=fuzzer-no-link,address,undefined, each
# tests/fuzz/fuzz-*.c linked against them; no source file is named here.
cmake -S "$src" -B "$out/cmake" -DCMAKE_C_COMPILER="$cc" -DCOORD_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
  -DCOORD_BUILD_TESTS=OFF -DCOORD_BUILD_BENCH=OFF -DCOORD_PYTHON=OFF -DCOORD_MPI=OFF \
  -DCOORD_FUZZ_BIN_DIR="$out" >"$out/cmake.log" 2>&1 ||
  { tail -30 "$out/cmake.log"; echo "fuzz: FAILED: configuring the fuzz build ($out/cmake.log)"; exit 1; }
cmake --build "$out/cmake" --target coord_fuzz -j"$(nproc 2>/dev/null || echo 2)" \
  >"$out/build.log" 2>&1 ||
  { grep -E "error|undefined reference" "$out/build.log" | head -30
    echo "fuzz: FAILED: building the targets ($out/build.log)"; exit 1; }
# SECONDS 0: build only (tests/fuzz-build-test.sh).
if [ "$secs" = 0 ]; then
  echo "fuzz: built"; exit 0
fi
parse_secs=$(( (secs + 11) / 12 ))
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
f64 = lambda x: bytes([2]) + struct.pack("<d", x)
s = lambda b: bytes([4]) + struct.pack("<I", len(b)) + b + b"\0"
by = lambda b: bytes([3]) + struct.pack("<I", len(b)) + b + b"\0"
seeds = {
  "hello": frame(1, [], 0),
  "set_get": frame(3, [op(2, b"d", b"k", i64(5))], 1) + frame(3, [op(1, b"d", b"k")], 1),
  "list": frame(3, [op(7, b"l", b"", s(b"hi")), op(8, b"l", b"", struct.pack("<q", -1)),
                    op(10, b"l", b"", struct.pack("<q", 0)), op(9, b"l")], 4),
  "incr_cas": frame(3, [op(4, b"d", b"n", struct.pack("<q", 3)),
                        op(5, b"d", b"n", i64(3) + i64(9)), op(5, b"d", b"m", b"\0" + s(b"x")),
                        op(6, b"d"), op(32, b"d"), op(3, b"d", b"n"), op(33, b"")], 7),
  # Paths 4.3 M inputs from the seeds above never reached (llvm-cov): the
  # entry and byte limits, names past max_key, replies past max_frame, a
  # pop from a list's middle and its shrink, CAS of a NaN and of bytes.
  "limits": frame(3, [op(2, b"d", b"k%02d" % i, s(b"v" * 40)) for i in range(64)], 64)
            + frame(3, [op(2, b"n" * 40, b"k", i64(1)), op(1, b"d", b"k" * 33),
                        op(2, b"e" * 30, b"k", i64(1))], 3),
  "list_mid": frame(3, [op(7, b"l", b"", s(b"a")), op(7, b"l", b"", i64(2)),
                        op(7, b"l", b"", f64(1.5)), op(7, b"l", b"", by(b"z")),
                        op(10, b"l", b"", struct.pack("<q", 1)),
                        op(10, b"l", b"", struct.pack("<q", -2)), op(9, b"l")], 7)
              + frame(3, [op(7, b"m", b"", i64(i)) for i in range(20)]
                      + [op(10, b"m", b"", struct.pack("<q", 0))] * 18, 38),
  "cas_types": frame(3, [op(2, b"d", b"f", f64(float("nan"))),
                         op(5, b"d", b"f", f64(float("nan")) + f64(2.0)),
                         op(2, b"d", b"s", s(b"abc")), op(5, b"d", b"s", s(b"abc") + by(b"q")),
                         op(5, b"d", b"s", by(b"q") + i64(1))], 5),
  "reply_full": frame(3, [op(2, b"d", b"k", s(b"v" * 250)), op(7, b"l", b"", s(b"w" * 250))], 2)
                + frame(3, [op(1, b"d", b"k")] * 17 + [op(8, b"l", b"", struct.pack("<q", 0))] * 2
                        + [op(5, b"d", b"k", s(b"v" * 250) + i64(1)),
                           op(10, b"l", b"", struct.pack("<q", 0)), op(32, b"d")], 22),
}
for name, data in seeds.items():
    open(os.path.join(d, name), "wb").write(data)
PY
fi
# fuzz TARGET SECONDS CORPUS MAX_LEN [libFuzzer options...]: runs $out/TARGET
# for SECONDS over CORPUS (made if missing), its log in $out/TARGET.log and
# a failing input saved as $out/TARGET-*; returns its status, and sets
# fuzz_pid to the fuzzer's process id (the subshell's, which it replaces).
fuzz() {
  local target=$1 seconds=$2 corp=$3 len=$4 rc=0
  shift 4
  mkdir -p "$corp"
  (
    echo "$BASHPID" >"$out/$target.pid"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=64}"
    exec "$out/$target" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len="$len" \
      -artifact_prefix="$out/$target-" -print_final_stats=1 "$@" "$corp" \
      2>"$out/$target.log"
  ) || rc=$?
  fuzz_pid=$(cat "$out/$target.pid")
  return "$rc"
}
# passed TARGET STATUS: the run's figures, or its log's end and exit 1.
passed() {
  if [ "$2" -ne 0 ]; then
    tail -40 "$out/$1.log"; echo "fuzz: FAILED (the input is saved in $out/)"; exit 1
  fi
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$out/$1.log" || true
}
# fuzz_passed TARGET SECONDS CORPUS MAX_LEN [options...]: fuzz, then passed.
fuzz_passed() {
  local st=0
  fuzz "$@" || st=$?
  passed "$1" "$st"
}

echo "fuzz: running the frame parser for $frame_secs s"
status=0
fuzz fuzz-frame "$frame_secs" "$corpus" 8192 || status=$?
passed fuzz-frame "$status"

# Segments: inputs are lists of 12-byte mutations; -timeout catches a hang
# (a reader stuck in a call). The names are coord.fz<pid>-*, removed at
# exit; a crashed run's files are removed here, and only its own: another
# run's (CI's and a developer's at once, as one user) are live, and
# removing them failed that run ("undocumented result at line 202": a
# name gone).
echo "fuzz: corrupting named segments for $seg_secs s"
status=0
fuzz fuzz-segment "$seg_secs" "$out/segcorpus" 240 -timeout=10 || status=$?
find /dev/shm -maxdepth 1 -name "coord.fz$fuzz_pid-*" -user "$(id -u)" -delete 2>/dev/null || true
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
# whose first byte is odd: fuzz-queue.c) and calls with timeout 0 (1 ms
# where bit 6 of that byte is set; bits 3-5 start the queue near 2^32 or
# 2^63): only documented codes, lengths that fit, no bad read, no call
# slower than 60 ms in 3 runs, no robust mutex left locked; -timeout
# catches a call that spins. Seeds: no writes, and a consumer lock that names another thread
# with a put asleep (a get's wake-up gives up on it after 10 ms).
echo "fuzz: overwriting a live queue for $queue_secs s"
qcorpus="$out/qcorpus"
mkdir -p "$qcorpus"
printf '\x00\xff\x00\x02\x01\x03\x04\x05' >"$qcorpus/calls"
printf '\x01\x81\x00\x10\xc4\x00\x01\xd7\x00\x7f\xff\x00\x00\x01\x02' >"$qcorpus/owner"
# The same calls from each start position of mode bits 3-5 (fuzz-queue.c:
# near 2^32, k * 2^32, 2^62, 2^63), with 1 ms waits and an idle handle's
# cached head (bits 6 and 7) in every other one.
for b in 1 2 3 4 5 6 7; do
  printf "\\x$(printf %02x $(( b << 3 | (b & 1) * 0xc0 )))\\xff\\x00\\x02\\x01\\x03\\x04\\x05\\x00\\x00\\x01\\x02\\x02\\x02\\x02\\x05" \
    >"$qcorpus/start$b"
done
status=0
fuzz fuzz-queue "$queue_secs" "$qcorpus" 512 -timeout=10 || status=$?
passed fuzz-queue "$status"

# The parsers. The client's inputs: a byte of call count, a byte per call
# (fuzz-mclient.c), then what the server sends: seeds of a WELCOME and
# replies to a get (a string), a keys list, stats, an ERR, and a bell and
# a late reply before the right one. Its socket is made in a directory of
# its own, removed after the run.
echo "fuzz: a manager client reading a hostile server for $parse_secs s"
mccorpus="$out/mccorpus"
mkdir -p "$mccorpus"
if command -v python3 >/dev/null 2>&1; then
  python3 - "$mccorpus" <<'PY'
import struct, sys, os
d = sys.argv[1]
def frame(kind, body, count, seq):
    return struct.pack("<IBBHI", 8 + len(body), 1, kind, count, seq) + body
def welcome(flags=0):
    return frame(2, struct.pack("<IIIII", 64, 1024, 65536, 64, flags), 0, 0)
st = lambda x: struct.pack("<i", x)
i64 = lambda x: bytes([1]) + struct.pack("<q", x)
s = lambda b: bytes([4]) + struct.pack("<I", len(b)) + b + b"\0"
by = lambda b: bytes([3]) + struct.pack("<I", len(b)) + b + b"\0"
seeds = {
  "get": bytes([1, 0]) + welcome() + frame(4, st(0) + s(b"hello"), 1, 1),
  "pipes": bytes([2, 0, 8]) + welcome(1) + frame(4, st(0) + i64(7), 1, 1)
           + frame(4, st(0) + by(b"ab\0c"), 1, 2),
  "keys": bytes([1, 6]) + welcome() + frame(4, st(2) + bytes([16])
          + struct.pack("<H", 1) + b"a\0" + struct.pack("<H", 2) + b"bb\0", 1, 1),
  "stats": bytes([1, 11]) + welcome() + frame(4, st(0) + by(bytes(88)), 1, 1),
  "err": bytes([1, 1]) + welcome() + frame(5, st(-22), 0, 1),
  "late": bytes([2, 5, 9]) + welcome() + frame(6, b"", 0, 0)
          + frame(4, st(3) + bytes([0]), 1, 1) + frame(4, st(2) + bytes([0]), 1, 2),
}
for name, data in seeds.items():
    open(os.path.join(d, name), "wb").write(data)
PY
fi
status=0
mcdir=$(mktemp -d "${TMPDIR:-/tmp}/coord-fzmc.XXXXXX")
TMPDIR="$mcdir" fuzz fuzz-mclient "$parse_secs" "$mccorpus" 4096 -timeout=10 || status=$?
rm -rf "$mcdir" # the socket, also of a run that crashed
passed fuzz-mclient "$status"

echo "fuzz: the JSON reader for $parse_secs s"
jcorpus="$out/jsoncorpus"
mkdir -p "$jcorpus"
cp "$src"/tests/data/report/*.json "$jcorpus/" 2>/dev/null || true
printf '{"a":{"b":[1,2,{"c":"\\ud83d\\ude00\\u00e9\\n"}]},"x":-1.5e-3,"t":true,"n":null}' \
  >"$jcorpus/escapes"
fuzz_passed fuzz-json "$parse_secs" "$jcorpus" 4096

# Byte 0 of a CSV input: bit 0 is --strict.
echo "fuzz: the fraud CSV reader for $parse_secs s"
ccorpus="$out/csvcorpus"
mkdir -p "$ccorpus"
{ printf '\0'; head -5 "$src/tests/data/fraud-unlabelled.csv"; } >"$ccorpus/unlabelled"
printf '\1id,timestamp,account,merchant,amount,lat,lon,device,label\n1,2026-01-01T00:00:00.5Z,1,2,3.456,-90,180.0,4,fraud\r\n"2",1700000000000,1,2,"1,0",0,0,4,velocity\r3,2026-02-29 00:00:00,1,2,1,0,0,4,\n' \
  >"$ccorpus/labelled"
fuzz_passed fuzz-csv "$parse_secs" "$ccorpus" 2048

# Arguments separated by NUL bytes, against fuzz-opts.c's table.
echo "fuzz: the option parser for $parse_secs s"
ocorpus="$out/optscorpus"
mkdir -p "$ocorpus"
printf -- '--seed\0005\000-n\000auto\000--sizes=1,2k,3M\000--rate\0000.5\000-mfast\000--tag=1\000-t\0002,3\000--json' \
  >"$ocorpus/all"
printf -- '--seed=1\000--name\000x\000-o\000f\000--dir\000d\000--\000' >"$ocorpus/ends"
printf -- '--wokers\0003\000--help' >"$ocorpus/hint"
fuzz_passed fuzz-opts "$parse_secs" "$ocorpus" 1024
echo "fuzz: ok"
