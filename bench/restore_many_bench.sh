#!/usr/bin/env bash
# Restore of many small partitions (issue 13, items 5-7): `kafka-backup restore` of
# KB_BENCH_TOPICS topics x KB_BENCH_PARTITIONS partitions at the default parallelism, against one
# kcat producing the same bytes (raw idempotent produce, same run), and the broker bytes on disk
# per restored GB for each producer codec.
#
#   bench/restore_many_bench.sh                      20 x 100 partitions, 100,000 records of 1 KiB
#   KB_BENCH_TOPICS=2 bench/restore_many_bench.sh    quick run
#
# Steps:
#  1. broker: KB_TEST_KAFKA_BOOTSTRAP with KB_BENCH_DATA_DIR (its log.dirs) when set, else its own
#     instance "restore-many" (test/services/kafka.sh, KB_RUN_DIR=build/bench-services);
#  2. KB_BENCH_TOPICS topics of KB_BENCH_PARTITIONS partitions, each loaded by kcat with
#     KB_BENCH_RECORDS / KB_BENCH_TOPICS JSON-like values of KB_BENCH_RECORD_BYTES bytes (no keys:
#     spread over the partitions), compressed by the producer with zstd (topic compression.type
#     producer); `kafka-backup backup --once` into a local store;
#  3. KB_BENCH_RUNS times, alternating: a. one kcat producing every value (idempotent, acks=all,
#     linger.ms=20, batch.size=1000000, no compression) into a pre-created topic with
#     TOPICS x PARTITIONS partitions; b. `kafka-backup restore --target-prefix rN-` (creates the
#     topics: included in its time), default parallelism and codec; must exit 0 and restore
#     every record. Best of each compared, per-run ratios printed with the load average;
#  4. one restore per codec (kafka.compression.type none, lz4, zstd, zstd with compression.level
#     1 ("zstd1"); and the default: the target's codec, else lz4) and the
#     broker's bytes on disk of the restored topics (du of their log dirs) per GB of payload.
# Prints Markdown tables. Knobs: KB_BENCH_TOPICS (20), KB_BENCH_PARTITIONS (100),
# KB_BENCH_RECORDS (100000), KB_BENCH_RECORD_BYTES (1024), KB_BENCH_RUNS (3), KB_BENCH_BIN
# (default build/release/src/cli/kafka-backup), KB_BENCH_RESTORE_ARGS (extra restore flags, e.g.
# "--parallel 4"), KB_BENCH_CODECS ("none lz4 zstd zstd1 default"), KB_BENCH_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kcat_env.sh
. bench/kcat_env.sh
kb_bench_kcat_env
REPO=$PWD
TOPICS=${KB_BENCH_TOPICS:-20}
PARTITIONS=${KB_BENCH_PARTITIONS:-100}
RECORDS=${KB_BENCH_RECORDS:-100000}
RECORD_BYTES=${KB_BENCH_RECORD_BYTES:-1024}
RUNS=${KB_BENCH_RUNS:-3}
CODECS=${KB_BENCH_CODECS:-none lz4 zstd zstd1 default}
BIN=${KB_BENCH_BIN:-$REPO/build/release/src/cli/kafka-backup}
export KB_RUN_DIR=${KB_RUN_DIR:-$REPO/build/bench-services}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kb-restore-many.XXXXXX")
STARTED_BROKER=0
log() { printf '[restore_many_bench] %s\n' "$*" >&2; }
cleanup() {
  if [[ ${KB_BENCH_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  if [[ $STARTED_BROKER == 1 ]]; then test/services/kafka.sh stop --name restore-many || true; fi
}
trap cleanup EXIT
[[ -x "$BIN" ]] || { log "no kafka-backup binary at $BIN (set KB_BENCH_BIN)"; exit 1; }

if [[ -z "${KB_TEST_KAFKA_BOOTSTRAP:-}" ]]; then
  test/services/kafka.sh start --name restore-many >/dev/null
  STARTED_BROKER=1
  # shellcheck disable=SC1091
  source "$KB_RUN_DIR/kafka-restore-many/env"
  DATA_DIR=$KB_RUN_DIR/kafka-restore-many/data
else
  DATA_DIR=${KB_BENCH_DATA_DIR:?KB_BENCH_DATA_DIR: the broker\'s log.dirs}
fi
: "${KB_KAFKA_LIBS:?KB_KAFKA_LIBS must point at the Kafka jars (test/services/kafka.sh env)}"
BOOT=$KB_TEST_KAFKA_BOOTSTRAP
kjava() { java -cp "$KB_KAFKA_LIBS/*" "$@"; }
create_topic() {  # name partitions
  kjava org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create --topic "$1" \
    --partitions "$2" --replication-factor 1 --config retention.ms=-1 >/dev/null
}
now() { date +%s.%N; }
py() { python3 -c "$1"; }
# Bytes of the log segments (*.log, not the preallocated sparse indexes) on the broker's disk of
# the topics whose names start with $1.
disk_bytes() {
  find "$DATA_DIR" -path "$DATA_DIR/$1*-[0-9]*/*.log" -printf '%s\n' | awk '{s += $1} END {print s + 0}'
}

ID=$(date +%s)
PER_TOPIC=$((RECORDS / TOPICS))
RECORDS=$((PER_TOPIC * TOPICS))
BYTES=$((RECORDS * RECORD_BYTES))
log "values: $PER_TOPIC JSON-like records of $RECORD_BYTES bytes per topic"
py "
import random, string
random.seed(7)
words = ['click', 'view', 'purchase', 'login', 'logout', 'search', 'add_to_cart']
with open('$WORK/values.txt', 'w') as f:
    for i in range($PER_TOPIC):
        head = '{\"id\":%d,\"user\":\"user-%05d\",\"event\":\"%s\",\"ts\":%d,\"tags\":[' % (
            i, random.randrange(100000), random.choice(words), 1700000000000 + i * 37)
        body = ''
        while len(head) + len(body) < $RECORD_BYTES - 40:
            body += '\"%s\",' % random.choice(words) + ''.join(random.choices(string.ascii_lowercase, k=8)) + ','
        rec = (head + body)[:$RECORD_BYTES - 2] + ']}'
        f.write(rec + '\n')
"
SRC=rmany-$ID
log "loading $TOPICS topics x $PARTITIONS partitions ($RECORDS records, zstd by the producer)"
for i in $(seq 1 "$TOPICS"); do
  create_topic "$SRC-$i" "$PARTITIONS"
  kcat -P -b "$BOOT" -t "$SRC-$i" -X compression.type=zstd -X linger.ms=20 -l "$WORK/values.txt"
done
SRC_DISK=$(disk_bytes "$SRC-")
cat >"$WORK/kb.yaml" <<EOF
kafka:
  bootstrap.servers: $BOOT
storage:
  prefix: bench
  local:
    path: $WORK/store
backup:
  group_id: rmany-$ID
  topics: ["^$SRC-.*"]
EOF
t0=$(now)
"$BIN" --config "$WORK/kb.yaml" backup --once 2>"$WORK/backup.log" || { tail "$WORK/backup.log"; exit 1; }
log "backup --once: $(py "print(f'{$(now) - $t0:.1f}')") s"
for i in $(seq 1 "$TOPICS"); do cat "$WORK/values.txt"; done >"$WORK/all.txt"
# The first idempotent producer on a fresh broker waits for the coordinator to load (seconds):
# not part of either measurement.
create_topic "rmany-warm-$ID" 1
echo warm | kcat -P -b "$BOOT" -t "rmany-warm-$ID" -X enable.idempotence=true

restore() {  # prefix extra-args... ; prints the seconds
  local prefix=$1
  shift
  local t0 t
  t0=$(now)
  # shellcheck disable=SC2086
  /usr/bin/time -f '%M' -o "$WORK/rss-$prefix" "$BIN" --config "$WORK/kb.yaml" restore \
    --topic "^$SRC-.*" --target-prefix "$prefix" --no-groups ${KB_BENCH_RESTORE_ARGS:-} "$@" \
    >"$WORK/restore-$prefix.out" 2>"$WORK/restore-$prefix.log" || {
    tail "$WORK/restore-$prefix.log" >&2
    exit 1
  }
  t=$(py "print($(now) - $t0)")
  grep -q "restore: $RECORDS records" "$WORK/restore-$prefix.out" || {
    cat "$WORK/restore-$prefix.out" >&2
    exit 1
  }
  echo "$t"
}

best_raw=""
best_restore=""
ratios=()
for run in $(seq 1 "$RUNS"); do
  raw=rmany-raw-$ID-$run
  create_topic "$raw" $((TOPICS * PARTITIONS))
  t0=$(now)
  kcat -P -b "$BOOT" -t "$raw" -X enable.idempotence=true -X acks=all -X linger.ms=20 \
    -X batch.size=1000000 -X compression.type=none -l "$WORK/all.txt"
  t_raw=$(py "print($(now) - $t0)")
  t=$(restore "r$run-")
  ratio=$(py "print(f'{$t_raw / $t:.2f}')")
  ratios+=("$ratio")
  log "run $run: raw kcat ${t_raw}s, restore ${t}s (max RSS $(cat "$WORK/rss-r$run-") KiB): ${ratio}x"
  if [[ -z $best_raw ]] || py "import sys; sys.exit(0 if $t_raw < $best_raw else 1)"; then best_raw=$t_raw; fi
  if [[ -z $best_restore ]] || py "import sys; sys.exit(0 if $t < $best_restore else 1)"; then best_restore=$t; fi
done
log "per-run ratios: ${ratios[*]}; load: $(cut -d' ' -f1-3 /proc/loadavg)"
mbps() { py "print(f'{$BYTES / 1e6 / $1:.1f}')"; }
echo "| topics x partitions | records | raw kcat produce, best | restore (default parallelism), best | ratio | per-run ratios |"
echo "|---|---|---|---|---|---|"
echo "| $TOPICS x $PARTITIONS | $RECORDS x $RECORD_BYTES B | $(py "print(f'{$best_raw:.2f}')") s ($(mbps "$best_raw") MB/s) | $(py "print(f'{$best_restore:.2f}')") s ($(mbps "$best_restore") MB/s) | $(py "print(f'{$best_raw / $best_restore:.2f}x')") | ${ratios[*]} |"
echo

echo "| producer codec | restore time | broker bytes on disk | per restored GB of payload |"
echo "|---|---|---|---|"
echo "| source topics (zstd by their producers) | - | $SRC_DISK | $(py "print(f'{$SRC_DISK / $BYTES:.2f} GB')") |"
for codec in $CODECS; do
  prefix=c-$codec-
  if [[ $codec == zstd1 ]]; then
    sed "s/^kafka:/kafka:\n  compression.type: zstd\n  compression.level: 1/" "$WORK/kb.yaml" >"$WORK/kb-$codec.yaml"
  elif [[ $codec != default ]]; then
    # kafka.compression.type through a copy of the config
    sed "s/^kafka:/kafka:\n  compression.type: $codec/" "$WORK/kb.yaml" >"$WORK/kb-$codec.yaml"
  else
    cp "$WORK/kb.yaml" "$WORK/kb-$codec.yaml"
  fi
  t0=$(now)
  "$BIN" --config "$WORK/kb-$codec.yaml" restore --topic "^$SRC-.*" --target-prefix "$prefix" \
    --no-groups >"$WORK/restore-$prefix.out" 2>"$WORK/restore-$prefix.log" || {
    tail "$WORK/restore-$prefix.log" >&2
    exit 1
  }
  t=$(py "print(f'{$(now) - $t0:.2f}')")
  grep -q "restore: $RECORDS records" "$WORK/restore-$prefix.out" || exit 1
  d=$(disk_bytes "$prefix$SRC-")
  echo "| $codec | $t s | $d | $(py "print(f'{$d / $BYTES:.2f} GB')") |"
done
