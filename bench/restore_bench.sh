#!/usr/bin/env bash
# Restore benchmark (issue 5): `kafka-backup restore` throughput as a ratio of raw idempotent
# produce throughput of the same records on the same broker, in one run; then the bytes a 1-hour
# window restore reads out of a 24-hour backup (bench/restore_window_bench.cc).
#
#   bench/restore_bench.sh                                  500k records of 1 KiB, 8 partitions
#   KB_BENCH_RECORDS=100000 bench/restore_bench.sh          quick run
#
# Steps:
#  1. broker: KB_TEST_KAFKA_BOOTSTRAP when set (an existing test broker), else its own instance
#     "restore-bench" (test/services/kafka.sh, KB_RUN_DIR=build/bench-services), stopped on exit;
#  2. topic src (KB_BENCH_PARTITIONS partitions) loaded with ProducerPerformance: KB_BENCH_RECORDS
#     values of KB_BENCH_RECORD_BYTES random letters, no keys; then `kafka-backup backup --once`
#     into a local store (zstd level 3, the defaults);
#  3. the values are dumped with kcat (one per line); then KB_BENCH_RUNS times, alternating:
#     a. raw baseline: kcat produces them into a fresh topic with the restore's producer settings
#        (enable.idempotence=true, acks=all, linger.ms=20, batch.size=1000000, compression
#        KB_BENCH_KCAT_CODEC, default none: set it to the restore's codec for the fair comparison;
#        a 256 MiB queue; restore defaults to 64 MiB, which is faster for it: docs/benchmarks.md);
#     b. `kafka-backup restore --topic src --rename src=dst-N --no-groups` into a fresh topic
#        (which restore creates: its time is included); it must exit 0 and restore every record;
#     best of each kept; each run's ratio is printed (the spread) with the load average;
#  4. restore_window_bench: bytes read for hour 12 of a synthetic 24-hour backup.
# Prints Markdown tables. Targets (restore >= 0.9 x raw produce; window blocks <= 2x its
# payload + one footer per segment) are reported, not asserted.
#
# Knobs: KB_BENCH_RECORDS (500000), KB_BENCH_RECORD_BYTES (1024), KB_BENCH_PARTITIONS (8),
# KB_BENCH_RUNS (5: the spread on a shared 2-core VM is large), KB_BENCH_BIN (kafka-backup binary; default build/release/src/cli/kafka-backup),
# KB_BENCH_GNU_TIME (default /usr/bin/time: each run's CPU seconds and max RSS; empty: not measured),
# KB_BENCH_RESTORE_CODEC (kafka.compression.type of the restore's producer, e.g. none; default:
# the target's compression.type, else lz4), KB_BENCH_KCAT_CODEC (the baseline kcat's
# compression.type, default none), KB_BENCH_WINDOW_BIN (default
# build/release/bench/restore_window_bench), KB_BENCH_PARALLEL
# (restore --parallel; default the partition count), KB_BENCH_KEEP=1 (keep the work directory:
# store, kb.yaml, logs). Needs java 17+, kcat, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kcat_env.sh
. bench/kcat_env.sh
kb_bench_kcat_env
REPO=$PWD
RECORDS=${KB_BENCH_RECORDS:-500000}
RECORD_BYTES=${KB_BENCH_RECORD_BYTES:-1024}
PARTITIONS=${KB_BENCH_PARTITIONS:-8}
RUNS=${KB_BENCH_RUNS:-5}
PARALLEL=${KB_BENCH_PARALLEL:-$PARTITIONS}
BIN=${KB_BENCH_BIN:-$REPO/build/release/src/cli/kafka-backup}
WINDOW_BIN=${KB_BENCH_WINDOW_BIN:-$REPO/build/release/bench/restore_window_bench}
export KB_RUN_DIR=${KB_RUN_DIR:-$REPO/build/bench-services}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kb-restore-bench.XXXXXX")
STARTED_BROKER=0
cleanup() {
  if [[ ${KB_BENCH_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  if [[ $STARTED_BROKER == 1 ]]; then test/services/kafka.sh stop --name restore-bench || true; fi
}
trap cleanup EXIT
log() { printf '[restore_bench] %s\n' "$*" >&2; }
[[ -x "$BIN" ]] || { log "no kafka-backup binary at $BIN (set KB_BENCH_BIN)"; exit 1; }

if [[ -z "${KB_TEST_KAFKA_BOOTSTRAP:-}" ]]; then
  test/services/kafka.sh start --name restore-bench >/dev/null
  STARTED_BROKER=1
  # shellcheck disable=SC1091
  source "$KB_RUN_DIR/kafka-restore-bench/env"
fi
: "${KB_KAFKA_LIBS:?KB_KAFKA_LIBS must point at the Kafka jars (test/services/kafka.sh env)}"
BOOT=$KB_TEST_KAFKA_BOOTSTRAP
kjava() { java -cp "$KB_KAFKA_LIBS/*" "$@"; }
create_topic() {
  kjava org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create --topic "$1" \
    --partitions "$PARTITIONS" --replication-factor 1 --config retention.ms=-1 >/dev/null
}
now() { date +%s.%N; }
# Runs "$@" under GNU time (KB_BENCH_GNU_TIME, default /usr/bin/time) when there is one, writing
# its report to $1; read_time then sets T_CPU (user + system seconds) and T_RSS (max RSS, MiB),
# or "?" for both without GNU time.
gnu_time=${KB_BENCH_GNU_TIME-/usr/bin/time}
[[ -n "$gnu_time" && -x "$gnu_time" ]] || { gnu_time=''; log "no GNU time: CPU and RSS not measured"; }
timed() {
  local report=$1
  shift
  if [[ -n "$gnu_time" ]]; then "$gnu_time" -v -o "$report" "$@"; else "$@"; fi
}
read_time() {
  T_CPU='?' T_RSS='?'
  [[ -n "$gnu_time" ]] || return 0
  T_CPU=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2 }
                      END { printf "%.2f", s }' "$1")
  T_RSS=$(awk -F': ' '/Maximum resident set size/ { printf "%d", $2 / 1024 }' "$1")
}
# The lesser of two CPU figures; "" and "?" lose.
least() {
  if [[ -z "$1" || "$1" == "?" ]] || awk -v a="$2" -v b="$1" 'BEGIN { exit !(a < b) }'; then
    echo "$2"
  else
    echo "$1"
  fi
}
mbps() { python3 -c "print(f'{$1 / 1e6 / $2:.1f}')"; }

ID=$(date +%s)
SRC=rbench-src-$ID
log "loading $RECORDS records of $RECORD_BYTES bytes into $SRC ($PARTITIONS partitions)"
create_topic "$SRC"
kjava org.apache.kafka.tools.ProducerPerformance --topic "$SRC" --num-records "$RECORDS" \
  --record-size "$RECORD_BYTES" --throughput -1 --producer-props bootstrap.servers="$BOOT" \
  acks=1 linger.ms=20 batch.size=524288 compression.type=none >/dev/null
cat >"$WORK/kb.yaml" <<EOF
kafka:
  bootstrap.servers: $BOOT
${KB_BENCH_RESTORE_CODEC:+  compression.type: $KB_BENCH_RESTORE_CODEC}
storage:
  prefix: bench
  local:
    path: $WORK/store
backup:
  group_id: rbench-$ID
  topics: [$SRC]
EOF
"$BIN" --config "$WORK/kb.yaml" backup --once 2>"$WORK/backup.log" || {
  tail "$WORK/backup.log"
  exit 1
}
BYTES=$((RECORDS * RECORD_BYTES))

log "dumping the values for the raw baseline"
kcat -C -b "$BOOT" -t "$SRC" -e -q -f '%s\n' >"$WORK/values.txt"
[[ $(wc -l <"$WORK/values.txt") == "$RECORDS" ]] || { log "dump incomplete"; exit 1; }

# Raw and restore runs alternate (raw 1, restore 1, raw 2, ...) so that load from other processes
# on the machine hits both alike; the best of each is compared, and every run's ratio to the raw
# run before it is printed as the spread.
best_raw=""
best_restore=""
cpu_raw="" cpu_restore="" rss_raw=0 rss_restore=0
ratios=()
for run in $(seq 1 "$RUNS"); do
  create_topic "rbench-raw-$ID-$run"
  t0=$(now)
  timed "$WORK/raw-$run.time" kcat -P -b "$BOOT" -t "rbench-raw-$ID-$run" \
    -X enable.idempotence=true -X acks=all -X linger.ms=20 -X batch.size=1000000 \
    -X compression.type="${KB_BENCH_KCAT_CODEC:-none}" -X queue.buffering.max.kbytes=262144 \
    -l "$WORK/values.txt"
  t_raw=$(python3 -c "print($(now) - $t0)")
  read_time "$WORK/raw-$run.time"
  cpu_raw=$(least "$cpu_raw" "$T_CPU")
  if [[ "$T_RSS" != "?" ]] && ((T_RSS > rss_raw)); then rss_raw=$T_RSS; fi
  log "raw idempotent produce run $run: ${t_raw}s ($(mbps $BYTES "$t_raw") MB/s), CPU ${T_CPU}s, max RSS ${T_RSS} MiB"
  if [[ -z $best_raw ]] || python3 -c "import sys; sys.exit(0 if $t_raw < $best_raw else 1)"; then
    best_raw=$t_raw
  fi

  dst=rbench-dst-$ID-$run
  t0=$(now)
  timed "$WORK/restore-$run.time" "$BIN" --config "$WORK/kb.yaml" restore --topic "$SRC" \
    --rename "$SRC=$dst" --no-groups --parallel "$PARALLEL" \
    >"$WORK/restore-$run.out" 2>"$WORK/restore-$run.log" || {
    tail "$WORK/restore-$run.log"
    exit 1
  }
  t=$(python3 -c "print($(now) - $t0)")
  grep -q "restore: $RECORDS records" "$WORK/restore-$run.out" || {
    cat "$WORK/restore-$run.out"
    exit 1
  }
  read_time "$WORK/restore-$run.time"
  cpu_restore=$(least "$cpu_restore" "$T_CPU")
  if [[ "$T_RSS" != "?" ]] && ((T_RSS > rss_restore)); then rss_restore=$T_RSS; fi
  ratio=$(python3 -c "print(f'{$t_raw / $t:.2f}')")
  ratios+=("$ratio")
  log "restore run $run: ${t}s ($(mbps $BYTES "$t") MB/s), ratio to raw run $run: ${ratio}x," \
    "CPU ${T_CPU}s, max RSS ${T_RSS} MiB"
  if [[ -z $best_restore ]] || python3 -c "import sys; sys.exit(0 if $t < $best_restore else 1)"; then
    best_restore=$t
  fi
done
log "per-run ratios: ${ratios[*]}; load: $(cut -d' ' -f1-3 /proc/loadavg)"

per_gb() { [[ "$1" == "?" ]] && echo "?" || awk -v c="$1" -v b="$BYTES" 'BEGIN { printf "%.2f", c / (b / 1e9) }'; }
echo "| records | record bytes | partitions | kcat codec | restore codec | raw idempotent produce (kcat) | kafka-backup restore | ratio | CPU-s per GB: kcat / restore (least of the runs) | max RSS MiB: kcat / restore |"
echo "|---|---|---|---|---|---|---|---|---|---|"
echo "| $RECORDS | $RECORD_BYTES | $PARTITIONS | ${KB_BENCH_KCAT_CODEC:-none} | ${KB_BENCH_RESTORE_CODEC:-default} | $(mbps $BYTES "$best_raw") MB/s | $(mbps $BYTES "$best_restore") MB/s | $(python3 -c "print(f'{$best_raw / $best_restore:.2f}x')") | $(per_gb "$cpu_raw") / $(per_gb "$cpu_restore") | $rss_raw / $rss_restore |"
echo
if [[ -x "$WINDOW_BIN" ]]; then
  "$WINDOW_BIN" --records 2000000 --value-bytes 512 --segment-mib 64 --dir "$WORK/window"
else
  log "no restore_window_bench at $WINDOW_BIN (set KB_BENCH_WINDOW_BIN); window row skipped"
fi
