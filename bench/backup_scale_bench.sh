#!/usr/bin/env bash
# Backup at scale (issue 13, item 3): many partitions, many topics, many consumer groups.
#
#   bench/backup_scale_bench.sh          (~5-10 minutes on 2 cores)
#
# What it does, from the repository root:
#  1. builds the Release kafka-backup and bench/kafka_load (cmake --preset release) unless
#     KB_BENCH_BIN names a kafka-backup binary (kafka_load is then taken from the same build dir);
#  2. starts its own broker and S3 server (instance "scale", KB_RUN_DIR=build/bench-services) and
#     stops both on exit;
#  3. case "2000 partitions": 20 topics x 100 partitions: topics 000-009 get 20,000 records of
#     100 B each, topics 010-014 get 1,600 records of 10 KiB each (keyed, so spread over every
#     partition), topics 015-019 stay idle (about 100 MB in all);
#     case "200 topics": 200 topics x 2 partitions, 100 records of 1 KiB each per topic;
#  4. per case: `backup --once` to a local directory and to the S3 server (wall, max RSS, CPU,
#     objects written and per second, store requests by kind — the "store requests:" log line —
#     and requests per GB of payload), then the daemon's start-up: process start to the last
#     partition assigned (group join included), and a second member joining: time until it
#     has its share (the cooperative rebalance);
#  5. "10,000 groups": KB_BENCH_GROUPS groups commit offsets on the 100 partitions of topic
#     scale000; one `backup --once` of that topic then copies them (the group-offset sync): the
#     time the sync took to read them ("consumer group offsets: N group(s) read in T ms"),
#     wall and max RSS;
#  6. prints a Markdown table (also build/bench-services/scale-results.md).
# Knobs: KB_BENCH_GROUPS (default 10000), KB_BENCH_BIN, KB_BENCH_KEEP=1 keeps data and logs.
# Needs what bench/backup_bench.sh needs (java, kcat, python3, GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
step() { printf '\n==> %s\n' "$*" >&2; }
log() { printf '    %s\n' "$*" >&2; }
die() { printf 'backup_scale_bench.sh: error: %s\n' "$*" >&2; exit 1; }

groups=${KB_BENCH_GROUPS:-10000}
keep=${KB_BENCH_KEEP:-0}
[[ "$groups" =~ ^[0-9]+$ ]] || die "KB_BENCH_GROUPS must be a number"
for tool in java kcat python3 /usr/bin/time; do command -v "$tool" >/dev/null || die "$tool not found"; done
# shellcheck source=bench/kcat_env.sh
. bench/kcat_env.sh
kb_bench_kcat_env

export KB_RUN_DIR="$root/build/bench-services"
work="$KB_RUN_DIR/scale-work"
rm -rf "$work"
mkdir -p "$work"

if [[ -n "${KB_BENCH_BIN:-}" ]]; then
  built_bin=$KB_BENCH_BIN
  loader="$(dirname "$(dirname "$(dirname "$KB_BENCH_BIN")")")/bench/kafka_load"
else
  step "building kafka-backup and kafka_load (Release)"
  [[ -f build/release/build.ninja ]] || cmake --preset release >/dev/null
  cmake --build --preset release --target kafka-backup kafka_load >&2
  built_bin="$root/build/release/src/cli/kafka-backup"
  loader="$root/build/release/bench/kafka_load"
fi
[[ -x "$built_bin" && -x "$loader" ]] || die "missing $built_bin or $loader"
bin="$work/kafka-backup"
cp "$built_bin" "$bin"  # a rebuild during the run cannot swap it

services=()
cleanup() {
  local rc=$? svc
  trap - EXIT INT TERM
  pkill -TERM -f "$work/kafka-backup" 2>/dev/null || true
  for svc in ${services[@]+"${services[@]}"}; do test/services/"$svc".sh stop --name scale >/dev/null || rc=1; done
  [[ "$keep" == 1 ]] || rm -rf "$work" "$KB_RUN_DIR/kafka-scale/data" "$KB_RUN_DIR/s3-scale/data"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "starting the broker and the S3 server (instance 'scale')"
test/services/kafka.sh start --name scale >/dev/null
services+=(kafka)
test/services/s3.sh start --name scale >/dev/null
services+=(s3)
# shellcheck disable=SC1091
. "$KB_RUN_DIR/kafka-scale/env"
# shellcheck disable=SC1091
. "$KB_RUN_DIR/s3-scale/env"
bootstrap=$KB_TEST_KAFKA_BOOTSTRAP

# ------------------------------------------------------------------------------------ load
# gen_lines FILE COUNT BYTES: COUNT lines "key<n>:<json-like value of BYTES bytes>".
gen_lines() {
  python3 - "$1" "$2" "$3" <<'PY'
import random, sys
path, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(13)
words = "alpha beta gamma delta order user click view cart pay ship refund".split()
with open(path, "w") as f:
    for i in range(count):
        s = '{"id":%d,"event":"%s","text":"' % (i, rnd.choice(words))
        while len(s) < size - 2:
            s += rnd.choice(words) + " " + str(rnd.randint(0, 99999)) + " "
        f.write("key%d:%s\"}\n" % (i, s[: size - 2]))
PY
}
step "case '2000 partitions': 20 topics x 100 partitions"
"$loader" "$bootstrap" topics scale 20 100 >&2
gen_lines "$work/small.txt" 20000 100
gen_lines "$work/large.txt" 1600 10240
t0=$(date +%s%N)
for t in 000 001 002 003 004 005 006 007 008 009; do
  kcat -P -b "$bootstrap" -t "scale$t" -K: -l -X linger.ms=20 "$work/small.txt" &
done
for t in 010 011 012 013 014; do
  kcat -P -b "$bootstrap" -t "scale$t" -K: -l -X linger.ms=20 -X message.max.bytes=2000000 "$work/large.txt" &
done
wait
log "loaded in $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
step "case '200 topics': 200 topics x 2 partitions"
"$loader" "$bootstrap" topics many 200 2 >&2
gen_lines "$work/many.txt" 100 1024
for ((i = 0; i < 200; i += 20)); do
  for ((j = i; j < i + 20; j++)); do
    kcat -P -b "$bootstrap" -t "$(printf 'many%03d' "$j")" -K: -l "$work/many.txt" &
  done
  wait
done

# ---------------------------------------------------------------------------- measuring
# config FILE STORE TOPICS GROUP: a config backing up TOPICS (a YAML list) to STORE (local|s3).
config() {
  local file=$1 store=$2 topics=$3 group=$4
  {
    printf 'kafka:\n  bootstrap.servers: %s\n' "$bootstrap"
    printf 'backup:\n  topics: %s\n  group_id: %s\n  instance_id: ""\n' "$topics" "$group"
    printf 'storage:\n  prefix: %s\n' "$group"
    if [[ "$store" == local ]]; then
      printf '  local:\n    path: %s\n' "$work/store"
    else
      printf '  s3:\n    bucket: %s\n    region: %s\n    endpoint: %s\n    path_style: true\n' \
        "$KB_TEST_S3_BUCKET" "$KB_TEST_S3_REGION" "$KB_TEST_S3_ENDPOINT"
      printf '    access_key_id: %s\n    secret_access_key: %s\n' \
        "$KB_TEST_S3_ACCESS_KEY" "$KB_TEST_S3_SECRET_KEY"
    fi
  } >"$file"
}
# timed NAME CMD...: runs CMD under GNU time; sets T_WALL T_RSS_MIB T_CPU; fails on non-zero exit.
timed() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M %U %S' -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1 ||
    { tail -n 20 "$work/$name.log" >&2; die "$name failed"; }
  read -r T_WALL T_RSS_MIB T_CPU < <(awk '{ printf "%s %.0f %.2f\n", $1, $2 / 1024, $3 + $4 }' "$work/$name.time")
}
rows=()
# once CASE STORE TOPICS: a `backup --once` row.
once() {
  local case=$1 store=$2 topics=$3 name="once-$1-$2" segs payload reqs total per_gb
  config "$work/$name.yaml" "$store" "$topics" "kb-scale-$name"
  timed "$name" "$bin" --config "$work/$name.yaml" backup --once
  read -r segs payload < <(sed -n 's/.*backup stopped: [0-9]* records, \([0-9]*\) payload bytes in \([0-9]*\) segments.*/\2 \1/p' "$work/$name.log")
  reqs=$(sed -n 's/.*store requests: //p' "$work/$name.log")
  total=$(awk -F', ' '{ for (i = 1; i <= NF; i++) { split($i, a, " "); s += a[2] } } END { print s }' <<<"$reqs")
  per_gb=$(awk -v r="$total" -v b="$payload" 'BEGIN { printf "%.0f", r / (b / 1e9) }')
  log "$name: ${T_WALL}s, RSS ${T_RSS_MIB} MiB, CPU ${T_CPU}s, $segs segments, requests: $reqs"
  rows+=("| $case | \`backup --once\` to $store | $T_WALL | $T_RSS_MIB | $T_CPU | $segs ($(awk -v n="$segs" -v w="$T_WALL" 'BEGIN { printf "%.0f", n / w }')/s) | $reqs ($per_gb per GB) |")
}
# startup CASE TOPICS PARTITIONS: the daemon's start-up and a second member's rebalance.
startup() {
  local case=$1 topics=$2 parts=$3 name="daemon-$1" t0 t_all t_second n
  config "$work/$name.yaml" local "$topics" "kb-scale-$name"
  t0=$(date +%s%N)
  "$bin" --config "$work/$name.yaml" backup >"$work/$name-1.log" 2>&1 &
  local pid1=$!
  until (($(grep -c 'assigned .*: starting' "$work/$name-1.log" || true) >= parts)); do
    kill -0 "$pid1" 2>/dev/null || die "the daemon exited: $(tail -n 3 "$work/$name-1.log")"
    sleep 0.05
  done
  t_all=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  t0=$(date +%s%N)
  "$bin" --config "$work/$name.yaml" backup >"$work/$name-2.log" 2>&1 &
  local pid2=$!
  until (($(grep -c 'assigned .*: starting' "$work/$name-2.log" || true) >= parts / 2 - 1)); do
    kill -0 "$pid2" 2>/dev/null || die "the second member exited: $(tail -n 3 "$work/$name-2.log")"
    sleep 0.05
  done
  t_second=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  kill -TERM "$pid1" "$pid2"
  wait "$pid1" "$pid2" || true
  n=$(grep -c 'assigned .*: starting' "$work/$name-2.log" || true)
  log "$name: all $parts partitions assigned ${t_all}s after start; a second member had $n ${t_second}s after its start"
  rows+=("| $case | daemon start-up (group join) | $t_all | | | | all $parts partitions assigned |")
  rows+=("| $case | second member joins (cooperative rebalance) | $t_second | | | | it has $n partitions |")
}

step "measuring"
all_scale='["^scale[0-9]+$"]'
all_many='["^many[0-9]+$"]'
once "20 topics x 100 partitions" local "$all_scale"
once "20 topics x 100 partitions" s3 "$all_scale"
startup "20 topics x 100 partitions" "$all_scale" 2000
once "200 topics x 2 partitions" local "$all_many"
once "200 topics x 2 partitions" s3 "$all_many"
startup "200 topics x 2 partitions" "$all_many" 400

if ((groups > 0)); then
  step "$groups consumer groups on scale000 (100 partitions)"
  "$loader" "$bootstrap" groups scale000 100 "$groups" kb-scale-app- >&2
  name=groups
  config "$work/$name.yaml" local '[scale000]' "kb-scale-groups"
  timed "$name" "$bin" --config "$work/$name.yaml" --log-level debug backup --once
  read_ms=$(sed -n 's/.*consumer group offsets: \([0-9]*\) group(s) read in \([0-9]*\) ms.*/\1 groups in \2 ms/p' "$work/$name.log" | tail -n 1)
  log "groups: $read_ms; ${T_WALL}s, RSS ${T_RSS_MIB} MiB"
  rows+=("| $groups groups x 100 partitions | group-offset sync (\`backup --once\` of scale000) | $T_WALL | $T_RSS_MIB | $T_CPU | | read $read_ms |")
fi

{
  echo "kafka-backup $("$bin" --version) (git $(git rev-parse --short HEAD)); $(nproc) vCPU, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| case | what | wall s | max RSS MiB | CPU s | segments (per s) | store requests |"
  echo "|---|---|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$KB_RUN_DIR/scale-results.md"
