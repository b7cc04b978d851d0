#!/usr/bin/env bash
# Runs the fault-injection proxies of the fault campaign (test/chaos): toxiproxy (TCP faults:
# latency, bandwidth, resets, timeouts, half-open connections) and httpfaults (HTTP: 503 SlowDown /
# 500 InternalError answers for a fraction of requests, in front of the S3 server).
#
# Usage
#   faults.sh install
#       Builds toxiproxy-server $TOXIPROXY_VERSION with `go install` into
#       $KB_CACHE_DIR/bin/toxiproxy-<version>/ and httpfaults (test/services/httpfaults, no
#       dependencies) with `go build` into $KB_CACHE_DIR/bin/httpfaults-<source hash>/. Stamps
#       make a second call instant.
#   faults.sh start [--name NAME] [--http-upstream URL] [--seed N]
#       Starts toxiproxy-server on a free 127.0.0.1 port (no proxies yet: tests create them with
#       its HTTP API) and, with --http-upstream, httpfaults in front of URL (error rate 0 until a
#       test sets it through PUT /__faults/config). Prints the toxiproxy API URL on stdout and
#       writes $KB_RUN_DIR/faults-NAME/env:
#         KB_TEST_TOXIPROXY_API=http://127.0.0.1:PORT
#         KB_TEST_HTTP_FAULTS=http://127.0.0.1:PORT     (with --http-upstream)
#   faults.sh stop [--name NAME]      Stops both. Not running is not an error.
#   faults.sh status [--name NAME]    Exit 0 if toxiproxy of NAME runs.
set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TOXIPROXY_MODULE=github.com/Shopify/toxiproxy/v2
TOXIPROXY_VERSION=v2.12.0
TOXI_DIR="$KB_CACHE_DIR/bin/toxiproxy-$TOXIPROXY_VERSION"
TOXI_BIN="$TOXI_DIR/toxiproxy-server"
HF_SRC="$KB_REPO_ROOT/test/services/httpfaults"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

find_go() {
  if [[ -n "${KB_GO:-}" ]]; then printf '%s\n' "$KB_GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [[ -x /usr/local/go/bin/go ]]; then printf '%s\n' /usr/local/go/bin/go; return; fi
  kb_die "no Go toolchain found (put go on PATH or set KB_GO)"
}

hf_hash() { cat "$HF_SRC"/go.mod "$HF_SRC"/*.go | sha256sum | cut -c1-16; }

cmd_install() {
  mkdir -p "$KB_CACHE_DIR/bin"
  exec 8>"$KB_CACHE_DIR/bin/faults.lock"
  flock 8
  local go tmp
  if [[ ! -x "$TOXI_BIN" ]]; then
    go=$(find_go)
    tmp="$TOXI_DIR.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    kb_log "building toxiproxy $TOXIPROXY_VERSION with $("$go" version)"
    (cd "$tmp" && GOBIN="$tmp" GO111MODULE=on GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 \
      "$go" install -ldflags "-s -w" "$TOXIPROXY_MODULE/cmd/server@$TOXIPROXY_VERSION" >&2) ||
      { rm -rf "$tmp"; kb_die "go install $TOXIPROXY_MODULE/cmd/server@$TOXIPROXY_VERSION failed"; }
    mv "$tmp/server" "$tmp/toxiproxy-server"
    rm -rf "$TOXI_DIR"
    mv "$tmp" "$TOXI_DIR"
  fi
  HF_BIN="$KB_CACHE_DIR/bin/httpfaults-$(hf_hash)/httpfaults"
  if [[ ! -x "$HF_BIN" ]]; then
    go=$(find_go)
    mkdir -p "$(dirname "$HF_BIN")"
    (cd "$HF_SRC" && GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 "$go" build -o "$HF_BIN.tmp" . >&2) ||
      kb_die "go build of $HF_SRC failed"
    mv "$HF_BIN.tmp" "$HF_BIN"
  fi
  exec 8>&-
}

NAME=default
UPSTREAM=
SEED=1
parse_args() {
  while (($#)); do
    case "$1" in
      --name) [[ $# -ge 2 ]] || kb_die "--name needs a value"; NAME=$2; shift 2 ;;
      --http-upstream) [[ $# -ge 2 ]] || kb_die "--http-upstream needs a URL"; UPSTREAM=$2; shift 2 ;;
      --seed) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || kb_die "--seed needs a number"; SEED=$2; shift 2 ;;
      -h | --help) usage ;;
      *) kb_die "unknown argument: $1" ;;
    esac
  done
  [[ "$NAME" =~ ^[A-Za-z0-9_.-]+$ ]] || kb_die "invalid --name '$NAME' (use letters, digits, . _ -)"
  INST_DIR="$KB_RUN_DIR/faults-$NAME"
}

# started PIDFILE BINARY_NAME: the pid file names a live process running BINARY_NAME.
started() {
  local pid exe
  [[ -f "$1" ]] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kb_alive "$pid" || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ "$(basename "${exe% (deleted)}")" == "$2" ]]
}

cmd_start() {
  parse_args "$@"
  if started "$INST_DIR/toxiproxy.pid" toxiproxy-server; then
    kb_die "faults instance '$NAME' is already running; stop it first: $0 stop --name $NAME"
  fi
  cmd_install
  rm -rf "$INST_DIR"
  mkdir -p "$INST_DIR"
  local port attempt pid api
  for attempt in 1 2 3 4 5; do
    port=$(kb_free_port)
    setsid "$TOXI_BIN" -host 127.0.0.1 -port "$port" -seed "$SEED" \
      </dev/null >"$INST_DIR/toxiproxy.log" 2>&1 8>&- 9>&- &
    pid=$!
    echo "$pid" >"$INST_DIR/toxiproxy.pid"
    if kb_wait_port 127.0.0.1 "$port" 20 "$pid"; then break; fi
    kb_alive "$pid" && kb_die "toxiproxy did not listen on 127.0.0.1:$port; see $INST_DIR/toxiproxy.log"
    ((attempt < 5)) || kb_die "toxiproxy failed to start; see $INST_DIR/toxiproxy.log"
  done
  api="http://127.0.0.1:$port"
  curl -fsS --max-time 5 "$api/version" >/dev/null || kb_die "toxiproxy at $api does not answer"
  echo "KB_TEST_TOXIPROXY_API=$api" >"$INST_DIR/env.tmp"

  if [[ -n "$UPSTREAM" ]]; then
    setsid "$HF_BIN" -upstream "$UPSTREAM" -addr-file "$INST_DIR/httpfaults.addr" -seed "$SEED" \
      </dev/null >"$INST_DIR/httpfaults.log" 2>&1 8>&- 9>&- &
    pid=$!
    echo "$pid" >"$INST_DIR/httpfaults.pid"
    local i
    for ((i = 0; i < 100; i++)); do
      [[ -s "$INST_DIR/httpfaults.addr" ]] && break
      kb_alive "$pid" || break
      sleep 0.1
    done
    [[ -s "$INST_DIR/httpfaults.addr" ]] || kb_die "httpfaults did not start; see $INST_DIR/httpfaults.log"
    echo "KB_TEST_HTTP_FAULTS=http://$(cat "$INST_DIR/httpfaults.addr")" >>"$INST_DIR/env.tmp"
  fi
  mv "$INST_DIR/env.tmp" "$INST_DIR/env"
  kb_log "faults '$NAME' ready: toxiproxy $TOXIPROXY_VERSION at $api${UPSTREAM:+, httpfaults in front of $UPSTREAM}"
  echo "$api"
}

cmd_stop() {
  parse_args "$@"
  [[ -d "$INST_DIR" ]] || return 0
  started "$INST_DIR/toxiproxy.pid" toxiproxy-server && kb_stop_pid "$INST_DIR/toxiproxy.pid" 10
  started "$INST_DIR/httpfaults.pid" httpfaults && kb_stop_pid "$INST_DIR/httpfaults.pid" 10
  rm -f "$INST_DIR/env" "$INST_DIR/toxiproxy.pid" "$INST_DIR/httpfaults.pid"
}

cmd_status() {
  parse_args "$@"
  started "$INST_DIR/toxiproxy.pid" toxiproxy-server
}

case "${1:-}" in
  install) shift; [[ $# -eq 0 ]] || kb_die "install takes no arguments"; cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  *) usage ;;
esac
