#!/usr/bin/env bash
# Fuzzes the backup segment decoder (src/format/segment_fuzz.cc) with libFuzzer.
#
#   scripts/fuzz.sh [SECONDS]    default 60
#
# Configures build/fuzz with clang (CC=clang CXX=clang++, -DKB_BUILD_FUZZ=ON), builds segment_fuzz
# (libFuzzer + ASan + UBSan), writes a seed corpus of valid segments into build/fuzz/corpus/segment
# (kept between runs, so the corpus grows) and fuzzes for SECONDS. Exits non-zero when the fuzzer
# finds a crash, a sanitizer report, a leak, a timeout or an out-of-memory; the input that triggered
# it is saved under build/fuzz/artifacts/ and can be replayed with
#   build/fuzz/src/format/segment_fuzz build/fuzz/artifacts/<file>
set -euo pipefail

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/fuzz"
corpus="$build/corpus/segment"
artifacts="$build/artifacts"

mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKB_BUILD_FUZZ=ON -DKB_BUILD_TESTS=OFF -DKB_SANITIZE=OFF \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target segment_fuzz

fuzzer="$build/src/format/segment_fuzz"
mkdir -p "$corpus" "$artifacts"
KB_FUZZ_WRITE_SEEDS="$corpus" "$fuzzer"

echo "fuzz: running segment_fuzz for ${seconds}s" >&2
# -rss_limit_mb: the decoder's worst case is a few hundred MiB (docs/format.md, "Limits").
"$fuzzer" "$corpus" \
  -max_total_time="$seconds" \
  -rss_limit_mb=2048 \
  -timeout=25 \
  -max_len=65536 \
  -artifact_prefix="$artifacts/" \
  -print_final_stats=1
echo "fuzz: no crash in ${seconds}s; corpus: $(find "$corpus" -type f | wc -l) inputs" >&2
