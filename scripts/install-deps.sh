#!/usr/bin/env bash
# Installs every system dependency of Kafka Backup from Debian packages (bookworm), and builds
# librdkafka from the source package of Debian's current stable release (scripts/librdkafka.pin):
# bookworm's librdkafka 2.0.2 has bugs the product cannot work around (docs/architecture.md).
# Idempotent: when everything is present it only runs dpkg-query and exits in well under a second.
#
#   scripts/install-deps.sh               everything: build, tests, test services
#   scripts/install-deps.sh --build-only  only what the Release build and the package need (the
#                                         Dockerfile's build stage)
#
# Toolchains the test services need (Java 17 + Maven for the Kafka broker, Go for the S3 server,
# Node.js + npm for the Azure emulator) are
# installed from Debian too when missing; a Go older than the S3 server needs upgrades itself through
# the Go module proxy (GOTOOLCHAIN=auto).
set -euo pipefail

build_only=false
case "${1:-}" in
  "") ;;
  --build-only) build_only=true ;;
  *) echo "install-deps: unknown argument '$1' (only --build-only)" >&2; exit 2 ;;
esac

packages=(
  # build
  build-essential cmake ninja-build pkg-config git python3 curl ca-certificates
  # libraries
  libcurl4-openssl-dev libssl-dev libzstd-dev liblz4-dev libxxhash-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libre2-dev
  prometheus-cpp-dev libcivetweb-dev libpugixml-dev libmimalloc-dev
  # what librdkafka is built with (SSL, SASL/SCRAM and GSSAPI, zstd, lz4, zlib) and dpkg-source
  libsasl2-dev zlib1g-dev dpkg-dev
  # the man page (cmake/Packaging.cmake); the package's Depends (dpkg-shlibdeps, from dpkg-dev)
  help2man
)
if ! $build_only; then
  packages+=(
    # tests, fuzzing, benchmarks, formatting
    libgtest-dev libgmock-dev libbenchmark-dev kcat clang clang-format libclang-rt-14-dev
    # test certificates (secured broker, HTTPS S3 server)
    openssl
    # the completion scripts' syntax and behaviour (src/cli/completion_test.cc); systemd-analyze
    # verify of the unit (scripts/package-test.sh); pip fetches the Kubernetes schemas
    # (scripts/k8s-validate.sh)
    zsh fish systemd python3-pip
    # promtool, which checks deploy/monitoring/alerts.yaml (the daemon is not started:
    # --no-install-recommends, and nothing here enables it)
    prometheus
  )
  command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || packages+=(maven)
  command -v go >/dev/null 2>&1 || packages+=(golang-go)
  # The Azure Blob Storage emulator (test/services/azurite.sh) is installed with npm.
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present" >&2
else
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

"$(dirname "$0")/build-librdkafka.sh"
