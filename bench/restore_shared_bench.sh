#!/usr/bin/env bash
# A restore shared by 1, 2 and 3 processes (`restore --restore-id`, issue 13 item 4): one topic of
# KB_BENCH_PARTITIONS partitions with KB_BENCH_RECORDS JSON-like records of KB_BENCH_RECORD_BYTES
# bytes, backed up with `backup --once` into a local store, then restored KB_BENCH_RUNS times by
# N = 1, 2, 3 processes started together with one restore id per run (each into its own target
# prefix). Prints a Markdown table: processes, wall time from the first start to the last exit,
# MB/s of payload, the speed-up over one process, and the CPU seconds of all processes.
# On one machine the processes share its cores (and the broker's): the speed-up measures the
# protocol's overhead and what one process leaves idle, not what N machines would give.
#
#   bench/restore_shared_bench.sh
#   KB_BENCH_RECORDS=50000 bench/restore_shared_bench.sh     quick run
#
# Broker: KB_TEST_KAFKA_BOOTSTRAP when set, else its own instance "restore-shared"
# (test/services/kafka.sh, KB_RUN_DIR=build/bench-services) with
# group.initial.rebalance.delay.ms=KB_BENCH_REBALANCE_DELAY_MS (default 0, as the test broker;
# Kafka's default is 3000). Knobs: KB_BENCH_PARTITIONS (12),
# KB_BENCH_RECORDS (200000), KB_BENCH_RECORD_BYTES (1024), KB_BENCH_RUNS (2), KB_BENCH_BIN
# (default build/release/src/cli/kafka-backup), KB_BENCH_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PARTITIONS=${KB_BENCH_PARTITIONS:-12}
RECORDS=${KB_BENCH_RECORDS:-200000}
RECORD_BYTES=${KB_BENCH_RECORD_BYTES:-1024}
RUNS=${KB_BENCH_RUNS:-2}
BIN=${KB_BENCH_BIN:-$REPO/build/release/src/cli/kafka-backup}
export KB_RUN_DIR=${KB_RUN_DIR:-$REPO/build/bench-services}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kb-restore-shared.XXXXXX")
STARTED_BROKER=0
log() { printf '[restore_shared_bench] %s\n' "$*" >&2; }
cleanup() {
  if [[ ${KB_BENCH_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  if [[ $STARTED_BROKER == 1 ]]; then test/services/kafka.sh stop --name restore-shared || true; fi
}
trap cleanup EXIT
[[ -x "$BIN" ]] || { log "no kafka-backup binary at $BIN (set KB_BENCH_BIN)"; exit 1; }
if [[ -z "${KB_TEST_KAFKA_BOOTSTRAP:-}" ]]; then
  # group.initial.rebalance.delay.ms: 0 as on the test broker (the first process takes every
  # partition, the others get theirs in the next rounds); Kafka's default is 3000 (all processes
  # started together join the first round, and every shared restore waits those 3 s).
  test/services/kafka.sh start --name restore-shared \
    --set "group.initial.rebalance.delay.ms=${KB_BENCH_REBALANCE_DELAY_MS:-0}" >/dev/null
  STARTED_BROKER=1
  # shellcheck disable=SC1091
  source "$KB_RUN_DIR/kafka-restore-shared/env"
fi
: "${KB_KAFKA_LIBS:?KB_KAFKA_LIBS must point at the Kafka jars (test/services/kafka.sh env)}"
BOOT=$KB_TEST_KAFKA_BOOTSTRAP
now() { date +%s.%N; }
py() { python3 -c "$1"; }

ID=$(date +%s)
SRC=rshared-$ID
py "
import random, string
random.seed(7)
words = ['click', 'view', 'purchase', 'login', 'logout', 'search', 'add_to_cart']
with open('$WORK/values.txt', 'w') as f:
    for i in range($RECORDS):
        head = '{\"id\":%d,\"user\":\"user-%05d\",\"event\":\"%s\",\"tags\":[' % (
            i, random.randrange(100000), random.choice(words))
        body = ''
        while len(head) + len(body) < $RECORD_BYTES - 40:
            body += '\"%s\",' % random.choice(words) + ''.join(random.choices(string.ascii_lowercase, k=8)) + ','
        f.write((head + body)[:$RECORD_BYTES - 2] + ']}\n')
"
java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" \
  --create --topic "$SRC" --partitions "$PARTITIONS" --replication-factor 1 \
  --config retention.ms=-1 >/dev/null
kcat -P -b "$BOOT" -t "$SRC" -X linger.ms=20 -l "$WORK/values.txt"
cat >"$WORK/kb.yaml" <<EOF
kafka:
  bootstrap.servers: $BOOT
storage:
  prefix: bench
  local:
    path: $WORK/store
backup:
  group_id: rshared-$ID
  topics: [$SRC]
EOF
"$BIN" --config "$WORK/kb.yaml" backup --once 2>"$WORK/backup.log" || { tail "$WORK/backup.log"; exit 1; }
BYTES=$((RECORDS * RECORD_BYTES))
log "backed up $RECORDS records ($((BYTES / 1048576)) MiB) in $PARTITIONS partitions"

# restore N RUN: N processes, one restore id; prints "wall cpu".
restore() {
  local n=$1 run=$2 prefix="s$1r$2-" pids=() i
  local t0
  t0=$(now)
  for i in $(seq 1 "$n"); do
    /usr/bin/env time -f '%U %S' -o "$WORK/cpu-$n-$run-$i" \
      "$BIN" --config "$WORK/kb.yaml" restore --topic "$SRC" --target-prefix "$prefix" \
      --restore-id "bench-$ID-$n-$run" --no-groups >"$WORK/restore-$n-$run-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { log "process $((i + 1)) of $n failed:"; tail "$WORK/restore-$n-$run-$((i + 1)).log" >&2; exit 1; }
  done
  local t1 cpu got
  t1=$(now)
  cpu=$(cat "$WORK"/cpu-"$n-$run"-* | awk '{s += $1 + $2} END {print s}')
  got=$(java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$BOOT" \
    --topic "$prefix$SRC" 2>/dev/null | awk -F: '{s += $3} END {print s + 0}')
  [[ "$got" == "$RECORDS" ]] || { log "$prefix$SRC holds $got records, not $RECORDS"; exit 1; }
  py "print(f'{$t1 - $t0:.2f} $cpu')"
}

declare -A best
for run in $(seq 1 "$RUNS"); do
  for n in 1 2 3; do
    read -r wall cpu < <(restore "$n" "$run")
    log "run $run, $n process(es): ${wall}s, CPU ${cpu}s, load $(cut -d' ' -f1 /proc/loadavg)"
    if [[ -z "${best[$n]:-}" ]] || py "import sys; sys.exit(0 if $wall < ${best[$n]%% *} else 1)"; then
      best[$n]="$wall $cpu"
    fi
  done
done
echo "| processes | wall s (best of $RUNS) | MB/s | speed-up | CPU s (all processes) |"
echo "|---|---|---|---|---|"
one=${best[1]%% *}
for n in 1 2 3; do
  wall=${best[$n]%% *}
  cpu=${best[$n]##* }
  py "print(f'| $n | {$wall:.2f} | {$BYTES / 1e6 / $wall:.1f} | {$one / $wall:.2f}x | {$cpu:.1f} |')"
done
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $RECORDS records of $RECORD_BYTES bytes in $PARTITIONS partitions"
