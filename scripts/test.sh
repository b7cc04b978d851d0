#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs dependencies, builds the Debug+ASan/UBSan
# configuration, checks formatting, starts a real Kafka broker (KRaft), a real S3 server
# (versitygw, SigV4-verifying), a GCS emulator (fake-gcs-server) and an Azure Blob Storage
# emulator (Azurite) on loopback ports, runs the fuzzers briefly and every CTest test (unit +
# integration), then the Debian package test (scripts/package-test.sh: build, apt-get install,
# run against the broker, remove) and the Kubernetes manifests' validation
# (scripts/k8s-validate.sh), and stops the services whatever happens.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         extra arguments go to ctest (here: unit tests only)
#
# Environment: KB_FUZZ_SECONDS (seconds per fuzz target, default 15; 0 skips fuzzing),
# KB_CACHE_DIR (see
# test/services/common.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*" >&2; }

step "installing dependencies"
scripts/install-deps.sh

# The GCS emulator's cold `go install` is mostly downloads (5.5 min wall, 1.5 min CPU on 2 cores):
# run it while the code builds.
mkdir -p build
test/services/gcs.sh install >build/gcs-install.log 2>&1 &
gcs_install_pid=$!

step "checking formatting (clang-format)"
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find src bench -name '*.cc' -o -name '*.h')
if ((${#sources[@]})); then
  clang-format --dry-run -Werror "${sources[@]}"
fi

step "checking the Prometheus alerting rules (promtool)"
promtool check rules deploy/monitoring/alerts.yaml
python3 -m json.tool deploy/monitoring/grafana-dashboard.json >/dev/null

step "building the Release configuration (the demo's binary and the benchmarks)"
cmake --preset release >/dev/null
cmake --build --preset release

step "building (Debug + ASan/UBSan)"
cmake --preset asan >/dev/null
cmake --build --preset asan

export KB_RUN_DIR="$root/build/test-services"
services_started=()
cleanup() {
  local rc=$?
  local svc name
  for svc in "${services_started[@]}"; do
    name=test
    [[ "$svc" == *:* ]] && name=${svc#*:} svc=${svc%%:*}
    test/services/"$svc".sh stop --name "$name" || rc=1
  done
  # The fault bed of a chaos test (and the three-node cluster of the failover scenario) stops its
  # services itself, unless the test was killed.
  local dir
  for dir in "$KB_RUN_DIR"/kafka-chaosbed-* "$KB_RUN_DIR"/s3-chaosbed-* "$KB_RUN_DIR"/faults-chaosbed-* \
    "$KB_RUN_DIR"/kafka-failover-*; do
    [[ -d "$dir" ]] || continue
    dir=$(basename "$dir")
    test/services/"${dir%%-*}".sh stop --name "${dir#*-}" >/dev/null 2>&1 || true
  done
  exit $rc
}
trap cleanup EXIT INT TERM

step "starting the S3 server, the GCS emulator and the Kafka broker"
test/services/s3.sh start --name test >/dev/null
services_started+=(s3)
test/services/s3.sh start --name test-tls --tls >/dev/null
services_started+=(s3:test-tls)
# The GCS emulator (fake-gcs-server) for storage.gcs (src/storage/gcs, src/cli/gcs_cli_test.cc).
wait "$gcs_install_pid" || { cat build/gcs-install.log >&2; echo "test.sh: building fake-gcs-server failed" >&2; exit 1; }
test/services/gcs.sh start --name test >/dev/null
services_started+=(gcs)
# Azure Blob Storage emulator (Azurite, npm), for storage.azure.
test/services/azurite.sh start --name test >/dev/null
services_started+=(azurite)
# A secured broker (SASL_SSL and mutual-TLS listeners, src/cli/secured_cli_test.cc), started
# alongside the plain one.
test/services/kafka.sh start --name test-secured --security secured >/dev/null &
secured_pid=$!
services_started+=(kafka:test-secured)
# Retention checks every second, so that tests whose topics have a short retention.ms see Kafka
# delete data within seconds (src/cli/retention_daemon_test.cc).
test/services/kafka.sh start --name test --set log.retention.check.interval.ms=1000 >/dev/null
services_started+=(kafka)
wait "$secured_pid" || { echo "test.sh: the secured Kafka broker did not start" >&2; exit 1; }
# The fault proxies of the network-fault scenarios (test/chaos): built once here, started by the
# scenarios themselves.
test/services/faults.sh install
set -a
# shellcheck disable=SC1091
. "$KB_RUN_DIR/s3-test/env"
# shellcheck disable=SC1091
. "$KB_RUN_DIR/kafka-test/env"
# shellcheck disable=SC1091
. "$KB_RUN_DIR/gcs-test/env"
. "$KB_RUN_DIR/azurite-test/env"
set +a
# The HTTPS twin of the S3 server (same bucket and credentials).
KB_TEST_S3_TLS_ENDPOINT=$(sed -n 's/^KB_TEST_S3_ENDPOINT=//p' "$KB_RUN_DIR/s3-test-tls/env")
KB_TEST_S3_TLS_CA=$(sed -n 's/^KB_TEST_S3_CA=//p' "$KB_RUN_DIR/s3-test-tls/env")
KB_TEST_S3_TLS_OTHER_CA=$(sed -n 's/^KB_TEST_S3_OTHER_CA=//p' "$KB_RUN_DIR/s3-test-tls/env")
export KB_TEST_S3_TLS_ENDPOINT KB_TEST_S3_TLS_CA KB_TEST_S3_TLS_OTHER_CA
# The secured broker's variables as KB_TEST_SECURED_* (its PLAINTEXT listener for the harness:
# KB_TEST_SECURED_PLAIN_BOOTSTRAP).
while IFS='=' read -r key value; do
  case "$key" in
    KB_TEST_KAFKA_BOOTSTRAP) export KB_TEST_SECURED_PLAIN_BOOTSTRAP="$value" ;;
    KB_TEST_KAFKA_*) export "KB_TEST_SECURED_${key#KB_TEST_KAFKA_}=$value" ;;
  esac
done <"$KB_RUN_DIR/kafka-test-secured/env"

if [[ -x scripts/fuzz.sh && "${KB_FUZZ_SECONDS:-15}" != 0 ]]; then
  step "fuzzing: every target for ${KB_FUZZ_SECONDS:-15}s"
  scripts/fuzz.sh "${KB_FUZZ_SECONDS:-15}"
fi

step "running tests"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --preset asan -j2 "$@"

step "the Debian package: build, install, back up and restore with it, remove"
scripts/package-test.sh

step "validating the Kubernetes manifests (kubeconform)"
scripts/k8s-validate.sh
