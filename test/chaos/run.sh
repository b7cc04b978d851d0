#!/usr/bin/env bash
# The fault campaign (docs/reliability.md): runs every scenario of test/chaos against a real Kafka
# broker on loopback, checks its invariant after every fault, and prints the results table.
#
#   test/chaos/run.sh            the full campaign: 100 backup kills (25 per record mix), 50
#                                restore runs killed 1-3 times each, corruption of every object
#                                kind 3 times, every network fault kind 5 times under backup and
#                                under restore plus the permanent faults, the broker stopped for
#                                30 s and killed -9 under backup and under restore, 5 rounds of
#                                a full and a read-only local store (a tmpfs: needs root, else
#                                that scenario is skipped), and the failover scenario on a
#                                three-node cluster (failover_test.cc: the busiest leader killed
#                                -9 and a rolling restart under the backup daemon, a leader
#                                killed -9 under a restore; the same in --short)
#   test/chaos/run.sh --short    what CI runs (a few iterations per scenario; ctest does too)
#   test/chaos/run.sh --seed N   another seed (default 1); the same seed injects the same faults
#
# Bounded: each scenario has a fixed count and the whole run a time limit (KB_CHAOS_TIMEOUT,
# default 3600 s). Uses the broker named by KB_TEST_KAFKA_BOOTSTRAP when set; otherwise starts one
# of its own (test/services/kafka.sh, name "chaos") and stops it at the end. Expects the ASan
# build (cmake --preset asan && cmake --build --preset asan, or scripts/test.sh). The table is
# also written to build/chaos-report.md. The network-fault and broker-loss scenarios start a
# broker, an S3 server and the fault proxies of their own (test/services/faults.sh); the failover
# scenario a three-node cluster of its own (test/services/kafka.sh start --nodes 3, three JVMs
# of 384 MiB heap each).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

seed=1
short=0
while (($#)); do
  case "$1" in
    --short) short=1 ;;
    --seed) seed=${2:?--seed needs a number}; shift ;;
    *) echo "usage: $0 [--short] [--seed N]" >&2; exit 2 ;;
  esac
  shift
done
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "$0: --seed must be a number" >&2; exit 2; }

binary="$root/build/asan/test/chaos/chaos_test"
if [[ ! -x "$binary" ]]; then
  echo "$0: $binary is missing: run cmake --preset asan && cmake --build --preset asan" >&2
  exit 2
fi

started_kafka=0
cleanup() {
  local rc=$?
  if ((started_kafka)); then test/services/kafka.sh stop --name chaos || rc=1; fi
  exit $rc
}
trap cleanup EXIT INT TERM
if [[ -z "${KB_TEST_KAFKA_BOOTSTRAP:-}" ]]; then
  export KB_RUN_DIR="$root/build/chaos-services"
  test/services/kafka.sh start --name chaos >/dev/null
  started_kafka=1
  set -a
  # shellcheck disable=SC1091
  . "$KB_RUN_DIR/kafka-chaos/env"
  set +a
fi

export KB_CHAOS_SEED="$seed"
if ((short)); then
  export KB_CHAOS_BACKUP_KILLS=3 KB_CHAOS_RESTORE_KILLS=2 KB_CHAOS_CORRUPTION_ROUNDS=1
  export KB_CHAOS_NETWORK_ROUNDS=1 KB_CHAOS_DISK_FULL_ROUNDS=1
else
  export KB_CHAOS_BACKUP_KILLS=25 KB_CHAOS_RESTORE_KILLS=50 KB_CHAOS_CORRUPTION_ROUNDS=3
  export KB_CHAOS_NETWORK_ROUNDS=5 KB_CHAOS_DISK_FULL_ROUNDS=5
fi
export KB_CHAOS_BROKER_DOWN_SECONDS="${KB_CHAOS_BROKER_DOWN_SECONDS:-30}"
report="$root/build/chaos-report.md"
: >"$report"
export KB_CHAOS_REPORT="$report"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/test/lsan.supp}"
echo "chaos: seed $seed, $KB_CHAOS_BACKUP_KILLS backup kills per record mix," \
  "$KB_CHAOS_RESTORE_KILLS restore runs, $KB_CHAOS_CORRUPTION_ROUNDS corruption round(s)," \
  "$KB_CHAOS_NETWORK_ROUNDS network fault round(s), broker down ${KB_CHAOS_BROKER_DOWN_SECONDS}s," \
  "$KB_CHAOS_DISK_FULL_ROUNDS disk-full/read-only round(s)" >&2
log="$root/build/chaos.log"
set +e
timeout "${KB_CHAOS_TIMEOUT:-3600}" "$binary" --gtest_brief=1 >"$log" 2>&1
rc=$?
set -e
grep -E '^\||FAILED|PASSED|Failure' "$log" || true
((rc == 0)) || echo "chaos: failed (exit $rc); the whole output is in $log" >&2
echo "results: $report (table), $log (output)" >&2
exit "$rc"
