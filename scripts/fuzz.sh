#!/usr/bin/env bash
# Builds and runs every libFuzzer target of kafka-backup (the *_fuzz.cc files; the list is below).
#
#   scripts/fuzz.sh [SECONDS]      every target for SECONDS each (default 15; CI: scripts/test.sh)
#   scripts/fuzz.sh --runs N       campaign: every target for N executions (e.g. 10000000)
#
# Environment: KB_FUZZ_TARGETS="config_fuzz layout_fuzz" runs only those; KB_FUZZ_MAX_SECONDS caps
# each target of a campaign (default: no cap).
#
# Configures build/fuzz with clang (CC=clang CXX=clang++, -DKB_BUILD_FUZZ=ON: everything built with
# libFuzzer coverage + ASan + UBSan), builds the targets, lets each write its seed corpus into
# build/fuzz/corpus/<target> (kept between runs, so the corpora grow) and fuzzes. At the end it
# prints, per target, the executions done, the exec/s, the corpus size and the time. Exits non-zero
# when any target finds a crash, a sanitizer report, an uncaught exception, a leak, a timeout or an
# out-of-memory; the input is saved under build/fuzz/artifacts/<target>/ and can be replayed with
#   build/fuzz/<dir>/<target> build/fuzz/artifacts/<target>/<file>
# libFuzzer's output of each target is in build/fuzz/logs/<target>.log.
set -euo pipefail

usage() {
  echo "usage: $0 [SECONDS] | $0 --runs N" >&2
  exit 2
}

seconds=15
runs=
if [[ "${1:-}" == "--runs" ]]; then
  runs=${2:-}
  [[ "$runs" =~ ^[0-9]+$ ]] && ((runs >= 1)) || usage
elif [[ $# -ge 1 ]]; then
  seconds=$1
  [[ "$seconds" =~ ^[0-9]+$ ]] && ((seconds >= 1)) || usage
fi
max_seconds=${KB_FUZZ_MAX_SECONDS:-0}
[[ "$max_seconds" =~ ^[0-9]+$ ]] || usage

# target  directory under build/fuzz  -max_len
all_targets=(
  "segment_fuzz src/format 65536"
  "config_fuzz src/config 4096"
  "layout_fuzz src/layout 4096"
  "restore_json_fuzz src/restore 4096"
  "s3_response_fuzz src/storage/s3 8192"
  "azure_response_fuzz src/storage/azure 8192"
  "cli_args_fuzz src/cli 1024"
)
selected=()
for t in "${all_targets[@]}"; do
  name=${t%% *}
  if [[ -z "${KB_FUZZ_TARGETS:-}" || " $KB_FUZZ_TARGETS " == *" $name "* ]]; then
    selected+=("$t")
  fi
done
((${#selected[@]})) || { echo "fuzz: no target matches KB_FUZZ_TARGETS=$KB_FUZZ_TARGETS" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/fuzz"
mkdir -p "$build/logs"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKB_BUILD_FUZZ=ON -DKB_BUILD_TESTS=OFF -DKB_SANITIZE=OFF \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
names=()
for t in "${selected[@]}"; do names+=("${t%% *}"); done
cmake --build "$build" --parallel 2 --target "${names[@]}"

# The corpus of the single-target days lived in corpus/segment.
if [[ -d "$build/corpus/segment" && ! -e "$build/corpus/segment_fuzz" ]]; then
  mv "$build/corpus/segment" "$build/corpus/segment_fuzz"
fi

failed=()
summary=()
for t in "${selected[@]}"; do
  read -r name dir max_len <<<"$t"
  fuzzer="$build/$dir/$name"
  corpus="$build/corpus/$name"
  artifacts="$build/artifacts/$name"
  log="$build/logs/$name.log"
  mkdir -p "$corpus" "$artifacts"
  KB_FUZZ_WRITE_SEEDS="$corpus" "$fuzzer" 2>/dev/null
  if [[ -n "$runs" ]]; then
    limit=(-runs="$runs" -max_total_time="$max_seconds")
    cap=""
    ((max_seconds > 0)) && cap=" (at most ${max_seconds}s)"
    echo "fuzz: $name for $runs executions$cap" >&2
  else
    limit=(-max_total_time="$seconds")
    echo "fuzz: $name for ${seconds}s" >&2
  fi
  start=$(date +%s)
  rc=0
  # -rss_limit_mb: the segment decoder's worst case is a few hundred MiB (docs/format.md, "Limits").
  # ASan's quarantine of freed memory (256 MiB by default) was most of config_fuzz's RSS (a corpus
  # replay: 564 MiB, with an 8 MiB quarantine 94 MiB); 64 MiB still catches use-after-free of
  # recent frees. ASan also records the 30-frame stack of every allocation in a depot that only
  # grows: yaml-cpp's recursion gives endless distinct stacks, and after 4.5 M executions the depot
  # took half of config_fuzz's time (1,200 exec/s, down from 5,700, RSS 750 MiB). Five frames
  # keep the depot small and still name the allocating function; a finding is replayed with full
  # stacks (the command above).
  ASAN_OPTIONS="quarantine_size_mb=64:malloc_context_size=5${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  "$fuzzer" "$corpus" "${limit[@]}" \
    -rss_limit_mb=2048 \
    -timeout=25 \
    -max_len="$max_len" \
    -artifact_prefix="$artifacts/" \
    -print_final_stats=1 >"$log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  result=ok
  if ((rc != 0)); then
    result="FINDING (exit $rc)"
    failed+=("$name")
    echo "fuzz: $name failed; the end of $log:" >&2
    tail -n 60 "$log" >&2
  fi
  summary+=("$(printf '%-18s %12s %8s %7s %10s %7s  %s' "$name" "${execs:-?}" "${rate:-?}" \
    "$files" "$bytes" "${elapsed}s" "$result")")
done

printf '\nfuzz: %-18s %12s %8s %7s %10s %7s  %s\n' target executions exec/s inputs bytes time \
  result >&2
for line in "${summary[@]}"; do echo "fuzz: $line" >&2; done
if ((${#failed[@]})); then
  echo "fuzz: findings in: ${failed[*]} (inputs under $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz: no findings" >&2
