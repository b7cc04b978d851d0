#!/usr/bin/env bash
# Backup daemon benchmark (issue 4): `kafka-backup backup --once` throughput as a ratio of raw
# consume throughput on the same broker, and the daemon's peak memory (max RSS).
#
#   bench/backup_bench.sh                                   full run: 2 GiB, 8 partitions
#   KB_BENCH_BYTES=256MiB KB_BENCH_RUNS=1 bench/backup_bench.sh       quick run (~2 minutes)
#
# What it does, from the repository root:
#  1. builds the Release binary (cmake --preset release; target kafka-backup; incremental, so a
#     no-op when up to date) unless KB_BENCH_BIN names a binary to use, and copies the binary
#     aside so that a concurrent rebuild cannot swap it mid-run;
#  2. starts its own Kafka broker (test/services/kafka.sh, instance "bench") and S3 server
#     (test/services/s3.sh, versitygw, instance "bench") under KB_RUN_DIR=build/bench-services,
#     and stops both on exit, whatever happens;
#  3. creates topic kb-bench (KB_BENCH_PARTITIONS partitions) and loads >= KB_BENCH_BYTES of
#     KB_BENCH_RECORD_BYTES-byte values with ProducerPerformance: no keys, no headers, producer
#     compression none (batches stored uncompressed, so no consumer decompresses anything),
#     acks=1, linger.ms=20, batch.size=512KiB. Payload (KB_BENCH_PAYLOAD):
#       json    (default) values drawn at random from a file of 16384 distinct JSON-like event
#               lines (ids, an event name, a timestamp, an amount, a URL, a hex session id, then
#               words from a 24-word vocabulary and numbers), each exactly KB_BENCH_RECORD_BYTES
#               long, generated with a fixed seed; zstd compresses it ~4x (like
#               docs/benchmarks.md's format benchmark data);
#       letters ProducerPerformance --record-size: every value fresh random letters A-Z, which
#               zstd only entropy-codes (~1.6x) - the slow, worst case for compression;
#  4. raw consume: kcat (librdkafka, no consumer group, -e), KB_BENCH_RUNS times with librdkafka
#     defaults and KB_BENCH_RUNS times with larger fetches; the best of all is the baseline.
#     ConsumerPerformance (Java client, consumer group) once, for reference;
#  5. kafka-backup --config <generated yaml> backup --once, for each variant in KB_BENCH_VARIANTS
#     (store: a local directory under the run dir or the S3 server; codec / zstd level; optional config
#     overrides), KB_BENCH_RUNS times; each run has a fresh backup.group_id and a fresh
#     storage.prefix, and its data is deleted afterwards. Every run is checked: exit 0, and the
#     "backup stopped: N records" log line must match the topic. Wall time, max RSS and CPU come
#     from /usr/bin/time -v (when missing: VmHWM sampled from /proc every 50 ms);
#  6. prints a Markdown table on stdout (also saved to build/bench-services/results.md):
#     MB/s (10^6 record-value bytes per wall-clock second, process start to exit), ratio to the
#     kcat baseline, max RSS, CPU seconds. Targets (backup >= 0.9 x raw consume, RSS <= 256 MiB)
#     are reported, not asserted: the exit code is non-zero only when something failed.
#
# Environment knobs (sizes take B, KiB, MiB, GiB, KB, MB, GB):
#   KB_BENCH_BYTES         data to load                        (default 2GiB)
#   KB_BENCH_PARTITIONS    partitions of the topic             (default 8)
#   KB_BENCH_RECORD_BYTES  value size of every record          (default 1024)
#   KB_BENCH_PAYLOAD       json | letters                      (default json)
#   KB_BENCH_RUNS          repetitions per measured row; best wall time is reported (default 2)
#   KB_BENCH_VARIANTS      kafka-backup rows, space-separated STORE:LEVEL[:KEY=VALUE[,KEY=VALUE]]
#                          STORE local|s3, LEVEL backup.segment.zstd_level (3 is the default;
#                          -7..-1 are zstd's fast levels) or a codec: lz4 | none
#                          (backup.segment.codec, then without zstd_level), e.g. local:lz4 s3:-3,
#                          KEY kafka.<librdkafka property>, backup.<key> or backup.segment.<key>,
#                          or storage.encryption=on (AES-256-GCM with a key drawn for the run)
#                          (default: local and s3 at levels 3, 1, 0, then local:3 compressing
#                          on the consume thread (backup.compression_threads=0) and local:3 with
#                          twice the default memory budget (backup.buffer_memory=256MiB), then
#                          local at zstd's fast levels -1 and -3 and with codec lz4)
#   KB_BENCH_CONSUMER_PERF 0 skips ConsumerPerformance         (default 1)
#   KB_BENCH_BIN           use this kafka-backup binary, do not build
#   KB_BENCH_BIN_B         a second kafka-backup binary to compare with the first (A/B): each
#                          variant's runs alternate A, B, A, B ... (KB_BENCH_RUNS even, >= 2), so
#                          both meet the same broker, data and machine noise; the tables above use
#                          A's runs, and an A/B table lists every run's CPU seconds with the ratio
#                          of the medians
#   KB_BENCH_GNU_TIME      GNU time binary (default /usr/bin/time; empty: sample /proc instead)
#   KB_BENCH_KEEP          1 keeps broker and S3 data and the logs of every run (default 0)
#   KB_KAFKA_HEAP_OPTS     broker heap (test/services/kafka.sh; default -Xmx512m -Xms256m)
# Needs: cmake + ninja + the build dependencies (scripts/install-deps.sh), java 17+, kcat, python3,
# and the test services' own needs (mvn, go on first use). Disk: about 2.5 x KB_BENCH_BYTES.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*" >&2; }
log() { printf '    %s\n' "$*" >&2; }
die() { printf 'backup_bench.sh: error: %s\n' "$*" >&2; exit 1; }

# to_bytes SIZE: "2GiB" -> 2147483648 (powers of 1024 for KiB/MiB/GiB, of 1000 for KB/MB/GB).
to_bytes() {
  local s=$1 n unit
  [[ "$s" =~ ^([0-9]+)[[:space:]]*([KMG]i?B|B)?$ ]] || die "bad size '$s' (e.g. 2GiB, 500MB, 1048576)"
  n=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]:-B}
  case "$unit" in
    B) echo "$n" ;;
    KB) echo $((n * 1000)) ;;     KiB) echo $((n << 10)) ;;
    MB) echo $((n * 1000000)) ;;  MiB) echo $((n << 20)) ;;
    GB) echo $((n * 1000000000)) ;; GiB) echo $((n << 30)) ;;
  esac
}

bytes_total=$(to_bytes "${KB_BENCH_BYTES:-2GiB}")
partitions=${KB_BENCH_PARTITIONS:-8}
record_bytes=${KB_BENCH_RECORD_BYTES:-1024}
payload_kind=${KB_BENCH_PAYLOAD:-json}
runs=${KB_BENCH_RUNS:-2}
default_variants="local:3 s3:3 local:1 s3:1 local:0 s3:0
  local:3:backup.compression_threads=0 local:3:backup.buffer_memory=256MiB
  local:-1 local:-3 local:lz4"
variants=${KB_BENCH_VARIANTS:-$default_variants}  # whitespace-separated
consumer_perf=${KB_BENCH_CONSUMER_PERF:-1}
keep=${KB_BENCH_KEEP:-0}
[[ "$partitions" =~ ^[1-9][0-9]*$ ]] || die "KB_BENCH_PARTITIONS must be a positive integer"
[[ "$record_bytes" =~ ^[1-9][0-9]*$ && "$record_bytes" -ge 64 ]] || die "KB_BENCH_RECORD_BYTES must be >= 64"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "KB_BENCH_RUNS must be a positive integer"
[[ "$payload_kind" == json || "$payload_kind" == letters ]] || die "KB_BENCH_PAYLOAD must be json or letters"
override='((kafka|backup)\.[A-Za-z0-9_.]+|storage\.encryption)=[^,:]+'
for v in $variants; do
  [[ "$v" =~ ^(local|s3):(-?[0-9]+|lz4|none)(:$override(,$override)*)?$ ]] ||
    die "KB_BENCH_VARIANTS: bad variant '$v' (STORE:LEVEL|lz4|none[:kafka.KEY=VALUE,...])"
done
num_records=$(((bytes_total + record_bytes - 1) / record_bytes))
total_bytes=$((num_records * record_bytes))  # record-value bytes in the topic (no keys/headers)
topic=kb-bench

for tool in java kcat python3; do command -v "$tool" >/dev/null || die "$tool not found"; done
# shellcheck source=bench/kcat_env.sh
. bench/kcat_env.sh
kb_bench_kcat_env
gnu_time=${KB_BENCH_GNU_TIME-/usr/bin/time}
[[ -n "$gnu_time" && -x "$gnu_time" ]] || { gnu_time=''; log "no GNU time: sampling VmHWM from /proc instead"; }

export KB_RUN_DIR="$root/build/bench-services"
work="$KB_RUN_DIR/work"
# The key of storage.encryption=on variants: random for each benchmark run, never written to disk.
KB_BENCH_ENCRYPTION_KEY=$(openssl rand -base64 32)
export KB_BENCH_ENCRYPTION_KEY
mkdir -p "$KB_RUN_DIR"
rm -rf "$work"
mkdir -p "$work"

# ------------------------------------------------------------------------------------ 1. build
if [[ -n "${KB_BENCH_BIN:-}" ]]; then
  [[ -x "$KB_BENCH_BIN" ]] || die "KB_BENCH_BIN=$KB_BENCH_BIN is not an executable"
  built_bin=$KB_BENCH_BIN
else
  step "building kafka-backup (Release)"
  [[ -f build/release/build.ninja ]] || cmake --preset release >/dev/null
  cmake --build --preset release --target kafka-backup >&2
  built_bin="$root/build/release/src/cli/kafka-backup"
fi
bin="$work/kafka-backup"
cp "$built_bin" "$bin"
kb_version="$("$bin" --version) (${KB_BENCH_BIN:+$KB_BENCH_BIN; repository at }git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
git diff --quiet HEAD -- src CMakeLists.txt 2>/dev/null || kb_version+=", uncommitted changes in src/"
kb_version+=")"
bin_b=""
if [[ -n "${KB_BENCH_BIN_B:-}" ]]; then
  [[ -x "$KB_BENCH_BIN_B" ]] || die "KB_BENCH_BIN_B=$KB_BENCH_BIN_B is not an executable"
  ((runs >= 2 && runs % 2 == 0)) || die "KB_BENCH_BIN_B needs an even KB_BENCH_RUNS (A and B alternate)"
  bin_b="$work/kafka-backup-b"
  cp "$KB_BENCH_BIN_B" "$bin_b"
  kb_version_b="$("$bin_b" --version) ($KB_BENCH_BIN_B)"
fi

# --------------------------------------------------------------------------------- 2. services
services_started=()
cleanup() {
  local rc=$? svc
  trap - EXIT INT TERM
  for svc in ${services_started[@]+"${services_started[@]}"}; do
    test/services/"$svc".sh stop --name bench >/dev/null || rc=1
  done
  if [[ "$keep" != 1 ]]; then
    rm -rf "$work" "$KB_RUN_DIR/kafka-bench/data" "$KB_RUN_DIR/s3-bench/data"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # runs cleanup through the EXIT trap

step "starting the Kafka broker and the S3 server (instance 'bench', $KB_RUN_DIR)"
test/services/kafka.sh start --name bench >/dev/null
services_started+=(kafka)
test/services/s3.sh start --name bench >/dev/null
services_started+=(s3)
# shellcheck disable=SC1091
. "$KB_RUN_DIR/kafka-bench/env"
# shellcheck disable=SC1091
. "$KB_RUN_DIR/s3-bench/env"
bootstrap=$KB_TEST_KAFKA_BOOTSTRAP
s3_data="$KB_RUN_DIR/s3-bench/data/$KB_TEST_S3_BUCKET"  # versitygw posix backend: key = file path
kafka_tool() { java -cp "$KB_KAFKA_LIBS/*" "org.apache.kafka.tools.$1" "${@:2}"; }

# ------------------------------------------------------------------------------------- 3. load
step "creating topic $topic ($partitions partitions), loading $num_records records of" \
  "$record_bytes B ($payload_kind)"
kafka_tool TopicCommand --bootstrap-server "$bootstrap" --create --topic "$topic" \
  --partitions "$partitions" --replication-factor 1 >/dev/null

payload_args=(--record-size "$record_bytes")
if [[ "$payload_kind" == json ]]; then
  python3 - "$record_bytes" 16384 >"$work/payload.txt" <<'PY'
# JSON-like event lines, each exactly SIZE bytes, no newline inside; fixed seed.
import random, sys
size, count = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(42)
events = ["page_view", "add_to_cart", "checkout", "search", "login", "logout", "refund", "rating"]
words = ["the", "quick", "order", "shipped", "customer", "payment", "failed", "retry", "warehouse",
         "stock", "delivery", "address", "invoice", "discount", "premium", "account", "session",
         "mobile", "desktop", "region", "europe", "promo", "cart", "item"]
ts = 1_700_000_000_000
out = sys.stdout.buffer
for _ in range(count):
    ts += rng.randrange(5)
    head = ('{"id":%d,"user":"user-%011d","event":"%s","ts":%d,"amount":%d.%02d,'
            '"url":"/products/%d?ref=campaign_%d","session":"%016x","text":"' % (
                rng.getrandbits(48), rng.randrange(100_000_000), rng.choice(events), ts,
                rng.randrange(100000), rng.randrange(100), rng.randrange(50000),
                rng.randrange(40), rng.getrandbits(64)))
    parts, length = [head], len(head)
    while length + 2 < size:
        w = ("%d " % rng.randrange(1000000)) if rng.randrange(10) == 0 else rng.choice(words) + " "
        parts.append(w)
        length += len(w)
    line = ("".join(parts)[: size - 2] + '"}').encode()
    assert len(line) == size
    out.write(line + b"\n")
PY
  payload_args=(--payload-file "$work/payload.txt")
fi
load_t0=$(date +%s%N)
kafka_tool ProducerPerformance --bootstrap-server "$bootstrap" --topic "$topic" \
  --num-records "$num_records" --throughput -1 "${payload_args[@]}" \
  --command-property acks=1 linger.ms=20 batch.size=524288 compression.type=none \
  max.request.size=8388608 buffer.memory=268435456 >"$work/produce.log" 2>&1 ||
  { tail -n 20 "$work/produce.log" >&2; die "ProducerPerformance failed"; }
load_s=$(awk -v a="$load_t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
log "loaded in ${load_s}s: $(tail -n 1 "$work/produce.log" | cut -d, -f1-2)"

# Warm-up, unmeasured: the first consumer group creates __consumer_offsets; no row should pay that.
timeout 60 kcat -b "$bootstrap" -G "kb-bench-warmup-$$" -o beginning -c 1 -q -f '' "$topic" >/dev/null ||
  die "warm-up consumer group failed"

# The topic must hold exactly what was produced (sum of the partitions' end offsets).
end_offsets=$(kafka_tool GetOffsetShell --bootstrap-server "$bootstrap" --topic "$topic" --time -1)
in_topic=$(awk -F: '{ s += $NF } END { print s + 0 }' <<<"$end_offsets")
((in_topic == num_records)) || die "the topic holds $in_topic records, expected $num_records"

# --------------------------------------------------------------------------- measuring helpers
# measure NAME CMD...: runs CMD (stdout -> $work/NAME.out, stderr -> $work/NAME.log) and sets
# M_RC, M_WALL (s), M_RSS (KiB, peak resident set), M_CPU (user + system s).
measure() {
  local name=$1 t0 t1
  shift
  M_RC=0
  t0=$(date +%s%N)
  if [[ -n "$gnu_time" ]]; then
    "$gnu_time" -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.log" || M_RC=$?
    t1=$(date +%s%N)
    M_RSS=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$work/$name.time")
    M_CPU=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2 }
                        END { printf "%.2f", s }' "$work/$name.time")
  else
    # Fallback: sample the peak (VmHWM) and CPU ticks from /proc until the process is a zombie.
    local pid state hwm=0 v ticks=0 tk clk
    clk=$(getconf CLK_TCK)
    "$@" >"$work/$name.out" 2>"$work/$name.log" &
    pid=$!
    while state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) && [[ "$state" != Z ]]; do
      v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || v=0
      ((${v:-0} > hwm)) && hwm=$v
      tk=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || tk=0
      ((${tk:-0} > ticks)) && ticks=$tk
      sleep 0.05
    done
    wait "$pid" || M_RC=$?
    t1=$(date +%s%N)
    M_RSS=$hwm
    M_CPU=$(awk -v t="$ticks" -v c="$clk" 'BEGIN { printf "%.2f", t / c }')
  fi
  M_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}

mbps() { awk -v b="$total_bytes" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
load_avg() { cut -d' ' -f1 /proc/loadavg; }
faster() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }              # wall $1 < wall $2
ratio() { awk -v a="$best_raw_wall" -v b="$1" 'BEGIN { printf "%.2f", a / b }'; }  # vs baseline

rows=()  # Markdown table rows
# add_row WHAT MBPS RATIO RSS_MIB CPU_S WALL_S NOTE
add_row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); }

# ----------------------------------------------------------------------------- 4. raw consume
kcat_version=$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\) .*librdkafka \([^ ]*\) .*/kcat \1, librdkafka \2/p')
step "raw consume with $kcat_version"
# Two librdkafka configurations; the faster one is the baseline every other row is compared with.
declare -A kcat_args=(
  [default]=""
  [fetch-8MiB]="-X fetch.message.max.bytes=8388608 -X fetch.max.bytes=67108864"
)
declare -A kcat_wall kcat_rss kcat_cpu
best_raw_wall=
for variant in default fetch-8MiB; do
  read -r -a extra <<<"${kcat_args[$variant]}"
  for ((i = 1; i <= runs; i++)); do
    name="kcat-$variant-$i"
    la=$(load_avg)
    measure "$name" kcat -C -b "$bootstrap" -t "$topic" -o beginning -e -f '' ${extra[@]+"${extra[@]}"}
    ((M_RC == 0)) || { tail -n 20 "$work/$name.log" >&2; die "kcat failed (exit $M_RC)"; }
    # Without -q kcat logs "Reached end of topic T [p] at offset N" per partition: check it all.
    got=$(sed -n 's/.*Reached end of topic .* at offset \([0-9]*\).*/\1/p' "$work/$name.log" |
      awk '{ s += $1; n++ } END { print n + 0, s + 0 }')
    [[ "$got" == "$partitions $num_records" ]] ||
      die "kcat did not read the whole topic (partitions, records: $got)"
    log "kcat $variant run $i: ${M_WALL}s, $(mbps "$M_WALL") MB/s, RSS $(mib "$M_RSS") MiB," \
      "CPU ${M_CPU}s (load $la)"
    if [[ -z "${kcat_wall[$variant]:-}" ]] || faster "$M_WALL" "${kcat_wall[$variant]}"; then
      kcat_wall[$variant]=$M_WALL kcat_cpu[$variant]=$M_CPU
    fi
    ((M_RSS > ${kcat_rss[$variant]:-0})) && kcat_rss[$variant]=$M_RSS
  done
  if [[ -z "$best_raw_wall" ]] || faster "${kcat_wall[$variant]}" "$best_raw_wall"; then
    best_raw_wall=${kcat_wall[$variant]}
  fi
done
raw_mbps=$(mbps "$best_raw_wall")
for variant in default fetch-8MiB; do
  note="librdkafka defaults"
  [[ -n "${kcat_args[$variant]}" ]] && note="${kcat_args[$variant]}"
  [[ "${kcat_wall[$variant]}" == "$best_raw_wall" ]] && note="**baseline**; $note"
  add_row "kcat ($variant)" "$(mbps "${kcat_wall[$variant]}")" "$(ratio "${kcat_wall[$variant]}")" \
    "$(mib "${kcat_rss[$variant]}")" "${kcat_cpu[$variant]}" "${kcat_wall[$variant]}" "$note"
done

if [[ "$consumer_perf" == 1 ]]; then
  step "ConsumerPerformance (Java consumer, for reference)"
  la=$(load_avg)
  measure consumer-perf java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.ConsumerPerformance \
    --bootstrap-server "$bootstrap" --topic "$topic" --num-records "$num_records" \
    --group "kb-bench-cp-$$" --timeout 30000 --hide-header
  ((M_RC == 0)) || { tail -n 20 "$work/consumer-perf.log" >&2; die "ConsumerPerformance failed"; }
  # CSV: start, end, MiB, MiB/s, records, records/s, rebalance ms, fetch ms, fetch MiB/s, ...
  cp_line=$(grep -E '^[0-9]{4}-' "$work/consumer-perf.out" | tail -n 1)
  cp_records=$(cut -d, -f5 <<<"$cp_line" | tr -d ' ')
  ((cp_records >= num_records)) || die "ConsumerPerformance read $cp_records records, expected $num_records"
  cp_fetch_mbps=$(awk -F, '{ printf "%.0f", $9 * 1048576 / 1e6 }' <<<"$cp_line")
  cp_rebalance_ms=$(cut -d, -f7 <<<"$cp_line" | tr -d ' ')
  log "ConsumerPerformance: ${M_WALL}s incl. JVM start; fetch phase $cp_fetch_mbps MB/s" \
    "(after a ${cp_rebalance_ms} ms group join; load $la)"
  add_row "ConsumerPerformance (Java)" "$(mbps "$M_WALL")" "$(ratio "$M_WALL")" "$(mib "$M_RSS")" \
    "$M_CPU" "$M_WALL" "incl. JVM start; its own fetch-phase figure: $cp_fetch_mbps MB/s"
fi

# ---------------------------------------------------------------------------- 5. kafka-backup
# write_config FILE STORE LEVEL PREFIX GROUP OVERRIDES (comma-separated kafka.K=V / backup.K=V)
write_config() {
  local file=$1 store=$2 level=$3 prefix=$4 group=$5 overrides=$6 kv
  local -a kvs=() kafka_lines=() backup_lines=() segment_lines=()
  local encryption=0
  IFS=, read -r -a kvs <<<"$overrides"
  for kv in ${kvs[@]+"${kvs[@]}"}; do
    case "$kv" in
      kafka.*) kv=${kv#kafka.}; kafka_lines+=("  ${kv%%=*}: \"${kv#*=}\"") ;;
      backup.segment.*) kv=${kv#backup.segment.}; segment_lines+=("    ${kv%%=*}: ${kv#*=}") ;;
      backup.*) kv=${kv#backup.}; backup_lines+=("  ${kv%%=*}: ${kv#*=}") ;;
      storage.encryption=on) encryption=1 ;;
    esac
  done
  {
    printf 'kafka:\n  bootstrap.servers: "%s"\n' "$bootstrap"
    printf '%s\n' ${kafka_lines[@]+"${kafka_lines[@]}"}
    printf 'storage:\n  prefix: "%s"\n' "$prefix"
    if [[ "$store" == local ]]; then
      printf '  local:\n    path: "%s"\n' "$work/store"
    else
      printf '  s3:\n    bucket: "%s"\n    region: "%s"\n    endpoint: "%s"\n    path_style: true\n' \
        "$KB_TEST_S3_BUCKET" "$KB_TEST_S3_REGION" "$KB_TEST_S3_ENDPOINT"
      printf '    access_key_id: "%s"\n    secret_access_key: "%s"\n' \
        "$KB_TEST_S3_ACCESS_KEY" "$KB_TEST_S3_SECRET_KEY"
    fi
    # Client-side encryption (AES-256-GCM) with a key drawn for this benchmark run.
    if ((encryption)); then
      printf '  encryption:\n    keys:\n      bench: env:KB_BENCH_ENCRYPTION_KEY\n'
    fi
    printf 'backup:\n  group_id: "%s"\n  topics: ["%s"]\n' "$group" "$topic"
    printf '%s\n' ${backup_lines[@]+"${backup_lines[@]}"}
    if [[ "$level" == lz4 || "$level" == none ]]; then
      printf '  segment:\n    codec: %s\n' "$level"
    else
      printf '  segment:\n    zstd_level: %s\n' "$level"
    fi
    printf '%s\n' ${segment_lines[@]+"${segment_lines[@]}"}
  } | grep -v '^$' >"$file"
}

# The median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Log timestamps ("[2026-01-02 03:04:05.678] ...", local time) -> epoch milliseconds.
log_ms() { date -d "$(sed -n "$1" | head -n 1 | sed 's/^\[\([^]]*\)\].*/\1/')" +%s%3N; }

run_no=0
declare -A variant_cpu variant_stored ab_cpu_a ab_cpu_b
for variant in $variants; do
  IFS=: read -r store level overrides <<<"$variant"
  best_wall='' best_rss=0 best_cpu='' best_join='' stored='' min_cpu=''
  step "kafka-backup backup --once -> $store, codec/zstd_level $level${overrides:+, $overrides}"
  for ((i = 1; i <= runs; i++)); do
    run_no=$((run_no + 1))
    name="backup-$run_no-$store-z$level"
    prefix="bench-$run_no-$(date +%s)"
    write_config "$work/$name.yaml" "$store" "$level" "$prefix" "kb-bench-$$-$run_no" "$overrides"
    la=$(load_avg)
    start_ms=$(date +%s%3N)
    run_bin=$bin tag=""
    if [[ -n "$bin_b" ]]; then
      tag=" [A]"
      ((i % 2 == 0)) && run_bin=$bin_b tag=" [B]"
    fi
    measure "$name" "$run_bin" --config "$work/$name.yaml" backup --once
    if ((M_RC != 0)); then
      tail -n 20 "$work/$name.log" >&2
      die "kafka-backup failed (exit $M_RC); config $work/$name.yaml, log $work/$name.log"
    fi
    n='\([0-9]*\)'
    summary=$(sed -n "s/.*backup stopped: $n records, $n payload bytes in $n segments.*/\1 \2 \3/p" \
      "$work/$name.log")
    read -r got_records got_bytes got_segments <<<"${summary:-0 0 0}"
    ((got_records == num_records && got_bytes == total_bytes)) ||
      die "kafka-backup backed up $got_records records / $got_bytes bytes, expected" \
        "$num_records / $total_bytes (log $work/$name.log)"
    # Startup: process start until the group assigned the first partition.
    join_s=$(awk -v a="$start_ms" -v b="$(log_ms '/\] assigned /p' <"$work/$name.log")" \
      'BEGIN { printf "%.2f", (b - a) / 1e3 }')
    if [[ "$store" == local ]]; then dir="$work/store/$prefix"; else dir="$s3_data/$prefix"; fi
    size=$(du -sb "$dir" | cut -f1)
    log "run $i$tag: ${M_WALL}s ($(mbps "$M_WALL") MB/s; assigned after ${join_s}s), RSS $(mib "$M_RSS") MiB," \
      "CPU ${M_CPU}s, $got_segments segments, stored $((size / 1048576)) MiB (load $la)"
    rm -rf "$dir"  # each run starts from an empty store prefix; keep the disk free
    if [[ "$tag" == " [B]" ]]; then
      ab_cpu_b[$variant]+="$M_CPU "
      continue  # the tables above are A's
    fi
    [[ -n "$tag" ]] && ab_cpu_a[$variant]+="$M_CPU "
    if [[ -z "$best_wall" ]] || faster "$M_WALL" "$best_wall"; then
      best_wall=$M_WALL best_cpu=$M_CPU best_join=$join_s
    fi
    # CPU per GB uses the least CPU of the runs (steadier than the fastest run's on a shared VM).
    if [[ -z "$min_cpu" ]] || faster "$M_CPU" "$min_cpu"; then
      min_cpu=$M_CPU
    fi
    ((M_RSS > best_rss)) && best_rss=$M_RSS
    stored=$size
  done
  level_name="zstd $level"
  [[ "$level" == 3 ]] && level_name="zstd 3 (default)"
  [[ "$level" == 0 ]] && level_name="zstd 0 (none)"
  [[ "$level" == -* ]] && level_name="zstd $level (fast)"
  [[ "$level" == lz4 || "$level" == none ]] && level_name="codec $level"
  variant_cpu[$variant]=$min_cpu variant_stored[$variant]=$stored
  add_row "kafka-backup -> $store, $level_name${overrides:+, ${overrides//,/, }}" \
    "$(mbps "$best_wall")" "$(ratio "$best_wall")" "$(mib "$best_rss")" "$best_cpu" "$best_wall" \
    "assigned after ${best_join}s; data/stored $(awk -v t="$total_bytes" -v s="$stored" \
      'BEGIN { printf "%.2f", t / s }')"
done

# ---------------------------------------------------------------- compressor alone, per codec
# The compressor's own cost on this data, at each codec/level of the variants, with its CLI's
# benchmark mode on the payload file, in the writer's 256 KiB blocks: the floor the backup's CPU per
# GB is compared with (issue 13: backup CPU-s/GB <= kcat's + the compressor's, + 15%).
declare -A codec_cpu_gb  # LEVEL -> CPU-s per GB (10^9 payload bytes), one core
codec_note=""
if [[ "$payload_kind" == json ]]; then
  step "compressor alone (zstd -b / lz4 -b on the payload file, 256 KiB blocks)"
  for variant in $variants; do
    IFS=: read -r _ level _ <<<"$variant"
    [[ -n "${codec_cpu_gb[$level]:-}" ]] && continue
    case "$level" in
      0 | none) codec_cpu_gb[$level]=0; continue ;;
      lz4) cmd=(lz4 -b1 -i3 -B262144) ;;
      -*) cmd=(zstd -b --fast="${level#-}" -i3 -B262144) ;;
      *) cmd=(zstd -b"$level" -i3 -B262144) ;;
    esac
    speed=$("${cmd[@]}" "$work/payload.txt" 2>&1 | tr '\r' '\n' | grep 'MB/s' | tail -n 1 |
      sed -n 's/.*), *\([0-9.]*\) MB\/s.*/\1/p')
    [[ -n "$speed" ]] || die "${cmd[*]} printed no speed"
    codec_cpu_gb[$level]=$(awk -v s="$speed" 'BEGIN { printf "%.2f", 1000 / s }')
    log "${cmd[*]}: $speed MB/s = ${codec_cpu_gb[$level]} CPU-s per GB"
  done
else
  codec_note="(payload $payload_kind: no payload file, compressor-alone figures not measured)"
fi

# -------------------------------------------------------------------------------------- 6. table
{
  kafka_version=$(basename "$(dirname "$KB_KAFKA_LIBS")" | sed 's/kafka-//')
  echo "kafka-backup: $kb_version; Kafka broker $kafka_version (KRaft, 1 node); $kcat_version"
  echo "data: $num_records records x $record_bytes B = $((total_bytes / 1048576)) MiB" \
    "($payload_kind payload), $partitions partitions; best of $runs run(s) per row"
  echo
  echo "| run | MB/s | x raw | max RSS MiB | CPU s | wall s | notes |"
  echo "|---|--:|--:|--:|--:|--:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  # CPU per GB against kcat's raw consume plus the compressor alone (+15%).
  raw_cpu=${kcat_cpu[default]}
  for v in fetch-8MiB; do faster "${kcat_cpu[$v]}" "$raw_cpu" && raw_cpu=${kcat_cpu[$v]}; done
  gb=$(awk -v b="$total_bytes" 'BEGIN { print b / 1e9 }')
  echo "CPU-s per GB of record values $codec_note: kcat raw consume" \
    "$(awk -v c="$raw_cpu" -v g="$gb" 'BEGIN { printf "%.2f", c / g }') (its cheaper configuration)"
  echo
  echo "| kafka-backup run | CPU-s/GB (least of the runs) | compressor alone CPU-s/GB | target: (kcat + compressor) x 1.15 | stored bytes (data/stored) |"
  echo "|---|--:|--:|--:|---|"
  for variant in $variants; do
    IFS=: read -r _ level _ <<<"$variant"
    awk -v c="${variant_cpu[$variant]}" -v g="$gb" -v r="$raw_cpu" -v z="${codec_cpu_gb[$level]:-}" \
      -v s="${variant_stored[$variant]}" -v t="$total_bytes" -v name="$variant" 'BEGIN {
        per = c / g; raw = r / g
        if (z == "") { printf "| %s | %.2f | - | - | %d (%.2f) |\n", name, per, s, t / s; exit }
        target = (raw + z) * 1.15
        printf "| %s | %.2f | %.2f | %.2f (%s) | %d (%.2f) |\n", name, per, z, target,
          per <= target ? "met" : "NOT met", s, t / s }'
  done
  if [[ -n "$bin_b" ]]; then
    echo
    echo "A/B, runs alternated: A = $kb_version; B = $kb_version_b. CPU seconds of each run:"
    echo
    echo "| variant | A | B | B / A (medians) |"
    echo "|---|---|---|--:|"
    for variant in $variants; do
      a=${ab_cpu_a[$variant]} b=${ab_cpu_b[$variant]}
      printf '| %s | %s | %s | %s |\n' "$variant" "${a% }" "${b% }" \
        "$(awk -v a="$(median $a)" -v b="$(median $b)" 'BEGIN { printf "%.3f", b / a }')"
    done
  fi
  echo
  target=$(awk -v r="$raw_mbps" 'BEGIN { printf "%.0f", 0.9 * r }')
  echo "Targets (reported, not asserted): kafka-backup >= 0.9 x raw ($target MB/s)," \
    "max RSS <= 256 MiB."
} | tee "$KB_RUN_DIR/results.md"
