#!/usr/bin/env bash
# Runs a Google Cloud Storage emulator for tests: fake-gcs-server (JSON API, plain http, no auth).
#
# Usage
#   gcs.sh install                Builds fake-gcs-server $FGS_VERSION with `go install` into
#                                 $KB_CACHE_DIR/bin/fake-gcs-server-<version>/ (a stamp makes reruns
#                                 instant). The module needs Go >= 1.26: an older local Go fetches
#                                 that toolchain through the module proxy when GOTOOLCHAIN allows
#                                 (Go's default, auto; as for versitygw, which needs 1.25). Cold
#                                 build measured with Go 1.26.8 on 2 busy shared cores and an
#                                 empty module and build cache: 5 min 27 s wall (mostly downloads;
#                                 1 min 28 s CPU); a toolchain download would come on top.
#   gcs.sh start  [--name NAME]   NAME defaults to "default". Installs if needed, starts the server
#                                 on a free 127.0.0.1 port (-scheme http, -backend memory,
#                                 -external-url and -public-host set to that address; GOMEMLIMIT
#                                 256MiB so that its heap is given back), creates bucket kb-test, self-checks (a multipart upload
#                                 and its download round-trip; a missing object is 404), then prints
#                                 exactly one line on stdout: http://127.0.0.1:PORT
#                                 Fails if instance NAME is already running.
#   gcs.sh stop   [--name NAME]   SIGTERM, SIGKILL after a grace period; checks the process is gone
#                                 and the port is free. Not running is not an error.
#   gcs.sh status [--name NAME]   Exit 0 if running, 1 if not.
#
# Instance dir $KB_RUN_DIR/gcs-NAME/: server.log, pid, env (objects live in the server's memory):
#   KB_TEST_GCS_ENDPOINT=http://127.0.0.1:PORT   KB_TEST_GCS_BUCKET=kb-test
# The env file is removed by `stop`, with every object; the log is kept until the next `start`.
#
# Server quirks (fake-gcs-server v1.56.1), relevant to the client (storage/gcs):
#  - No authentication at all: any Authorization header is accepted and ignored, so the token
#    paths of storage/gcs/gcs_auth.h are tested against a stand-in server instead.
#  - The resumable upload session URI (Location) is built from -external-url: it must be the
#    address the client uses, or chunk PUTs go to the wrong place.
#  - Batch requests (POST /batch/storage/v1, multipart/mixed of application/http parts) work; the
#    answer parts carry Content-ID <response-N>, a missing object's part is 404.
#  - `fields=` is ignored (whole resources come back); DELETE answers 200 with body "null"
#    (Google: 204, empty).
#  - Errors of the download path (alt=media) are S3-style XML (<Error><Code>InvalidRange</Code>),
#    not the JSON API's {"error": {...}}; a Range on an empty object, or starting at or past the
#    end, is 416.
#  - Resumable uploads: intermediate chunks get 308 with "Range: bytes=0-N" (all of it persisted),
#    the last 200 with the object; chunk sizes are not checked against 256 KiB multiples.
#  - The memory backend is used: its namespace is flat as on Google ("a" and "a/b" can both
#    exist). The filesystem backend is not: it keeps objects as files, so "a/b" next to "a" is a
#    500, and it lists 3 to 4 times slower. Memory: ~240 MB RSS after the conformance suite (~700
#    MB without GOMEMLIMIT).
QUIRKS_END=1
set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FGS_MODULE=github.com/fsouza/fake-gcs-server
FGS_VERSION=v1.56.1
FGS_BIN_DIR="$KB_CACHE_DIR/bin/fake-gcs-server-$FGS_VERSION"
FGS_BIN="$FGS_BIN_DIR/fake-gcs-server"
FGS_STAMP="$FGS_BIN_DIR/.installed"
FGS_STAMP_CONTENT="$FGS_MODULE@$FGS_VERSION"
GCS_BUCKET=kb-test
STOP_GRACE=${KB_GCS_STOP_GRACE:-20} # seconds between SIGTERM and SIGKILL

usage() { sed -n '2,/^QUIRKS_END=1/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

find_go() {
  if [[ -n "${KB_GO:-}" ]]; then printf '%s\n' "$KB_GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [[ -x /usr/local/go/bin/go ]]; then printf '%s\n' /usr/local/go/bin/go; return; fi
  kb_die "no Go toolchain found (put go on PATH or set KB_GO)"
}

cmd_install() {
  if [[ -x "$FGS_BIN" && -f "$FGS_STAMP" && "$(cat "$FGS_STAMP")" == "$FGS_STAMP_CONTENT" ]]; then
    return 0
  fi
  mkdir -p "$KB_CACHE_DIR/bin"
  # Serialise concurrent installs; the lock fd is closed afterwards.
  exec 8>"$KB_CACHE_DIR/bin/fake-gcs-server-$FGS_VERSION.lock"
  flock 8
  if [[ -x "$FGS_BIN" && -f "$FGS_STAMP" && "$(cat "$FGS_STAMP")" == "$FGS_STAMP_CONTENT" ]]; then
    exec 8>&-
    return 0
  fi
  local go tmp t0 t1
  go=$(find_go)
  tmp="$FGS_BIN_DIR.tmp.$$"
  rm -rf "$tmp" "$FGS_BIN_DIR"
  mkdir -p "$tmp"
  kb_log "building fake-gcs-server $FGS_VERSION with $("$go" version) (cold build takes a few minutes)"
  t0=$(date +%s)
  # As s3.sh: Go's own toolchain selection applies (GOTOOLCHAIN; with Go's default, auto, a Go
  # older than the module's `go 1.26` line fetches that toolchain through the module proxy).
  if ! (cd "$tmp" && GOBIN="$tmp" GO111MODULE=on GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 \
    "$go" install -ldflags "-s -w" "$FGS_MODULE@$FGS_VERSION" >&2); then
    rm -rf "$tmp"
    kb_die "go install $FGS_MODULE@$FGS_VERSION failed"
  fi
  t1=$(date +%s)
  [[ -x "$tmp/fake-gcs-server" ]] || kb_die "go install produced no fake-gcs-server binary"
  printf '%s\n' "$FGS_STAMP_CONTENT" >"$tmp/.installed"
  mv "$tmp" "$FGS_BIN_DIR"
  exec 8>&-
  kb_log "built fake-gcs-server $FGS_VERSION in $((t1 - t0))s -> $FGS_BIN"
}

parse_name() {
  NAME=default
  while (($#)); do
    case "$1" in
      --name) [[ $# -ge 2 ]] || kb_die "--name needs a value"; NAME=$2; shift 2 ;;
      --name=*) NAME=${1#--name=}; shift ;;
      -h | --help) usage ;;
      *) kb_die "unknown argument: $1" ;;
    esac
  done
  [[ "$NAME" =~ ^[A-Za-z0-9_.-]+$ ]] || kb_die "invalid --name '$NAME' (use letters, digits, . _ -)"
  INST_DIR="$KB_RUN_DIR/gcs-$NAME"
  PID_FILE="$INST_DIR/pid"
  ENV_FILE="$INST_DIR/env"
}

# is_our_server PID: alive and running a fake-gcs-server binary (guards against pid reuse).
is_our_server() {
  kb_alive "$1" || return 1
  local exe
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  [[ "$(basename "${exe% (deleted)}")" == fake-gcs-server ]]
}

running_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && is_our_server "$pid" || return 1
  printf '%s\n' "$pid"
}

lock_instance() {
  mkdir -p "$INST_DIR"
  exec 9>"$INST_DIR/.lock"
  flock -w 120 9 || kb_die "timed out waiting for the lock on $INST_DIR"
}

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_GRACE * 10; i++)); do
    kb_alive "$pid" || return 0
    sleep 0.1
  done
  kb_log "pid $pid did not stop in ${STOP_GRACE}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kb_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# gcs_curl METHOD URL [curl args...]: body to $GCS_OUT, HTTP status on stdout.
gcs_curl() {
  local method=$1 url=$2
  shift 2
  curl -sS --max-time 20 -X "$method" -o "$GCS_OUT" -w '%{http_code}' "$@" "$url"
}

cmd_start() {
  parse_name "$@"
  lock_instance
  local pid
  if pid=$(running_pid); then
    kb_die "gcs instance '$NAME' is already running (pid $pid, $(grep -s '^KB_TEST_GCS_ENDPOINT=' "$ENV_FILE" | cut -d= -f2-))"
  fi
  cmd_install

  local t0 port attempt endpoint code
  t0=$(date +%s%3N)
  rm -rf "$INST_DIR/data" "$INST_DIR/tmp"
  rm -f "$PID_FILE" "$ENV_FILE"
  mkdir -p "$INST_DIR/tmp"

  START_PID=
  trap 'if [[ -n "$START_PID" ]]; then stop_pid "$START_PID" >/dev/null 2>&1 || true; rm -f "$PID_FILE" "$ENV_FILE"; fi' EXIT

  for attempt in 1 2 3 4 5; do
    port=$(kb_free_port)
    endpoint="http://127.0.0.1:$port"
    # setsid: own session, so terminal signals and process group kills of the caller miss it.
    GOMEMLIMIT=256MiB setsid "$FGS_BIN" -scheme http -host 127.0.0.1 -port "$port" \
      -backend memory \
      -external-url "$endpoint" -public-host "127.0.0.1:$port" -log-level warn \
      </dev/null >"$INST_DIR/server.log" 2>&1 8>&- 9>&- &
    pid=$!
    START_PID=$pid
    printf '%s\n' "$pid" >"$PID_FILE"
    if kb_wait_port 127.0.0.1 "$port" 30 "$pid"; then break; fi
    if kb_alive "$pid"; then
      kb_die "fake-gcs-server (pid $pid) did not listen on 127.0.0.1:$port within 30s; see $INST_DIR/server.log"
    fi
    pid='' START_PID=''
    if grep -qi 'address already in use' "$INST_DIR/server.log" && ((attempt < 5)); then
      kb_log "port $port was taken; retrying"
      continue
    fi
    sed 's/^/  server.log: /' "$INST_DIR/server.log" >&2 || true
    kb_die "fake-gcs-server exited during startup; see $INST_DIR/server.log"
  done
  sleep 0.05
  is_our_server "$pid" || kb_die "pid $pid is not the fake-gcs-server process"

  GCS_OUT="$INST_DIR/tmp/resp"
  code=$(gcs_curl POST "$endpoint/storage/v1/b?project=kb-test" -H 'Content-Type: application/json' \
    --data-binary "{\"name\":\"$GCS_BUCKET\"}") || true
  [[ "$code" == 200 ]] || kb_die "creating bucket $GCS_BUCKET failed: HTTP $code $(cat "$GCS_OUT" 2>/dev/null)"

  # Self-check: a media upload and its download round-trip; a missing object is 404.
  local key="kb-selfcheck-$$/a b.txt" enc body
  enc="kb-selfcheck-$$%2Fa%20b.txt"
  body="kafka-backup gcs self-check $NAME $$ $(date +%s%N)"
  printf '%s' "$body" >"$INST_DIR/tmp/body"
  code=$(gcs_curl POST "$endpoint/upload/storage/v1/b/$GCS_BUCKET/o?uploadType=media&name=$enc" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$INST_DIR/tmp/body") || true
  [[ "$code" == 200 ]] || kb_die "self-check upload failed: HTTP $code $(cat "$GCS_OUT" 2>/dev/null)"
  code=$(gcs_curl GET "$endpoint/storage/v1/b/$GCS_BUCKET/o/$enc?alt=media") || true
  [[ "$code" == 200 ]] || kb_die "self-check download failed: HTTP $code $(cat "$GCS_OUT" 2>/dev/null)"
  cmp -s "$GCS_OUT" "$INST_DIR/tmp/body" || kb_die "self-check download returned different content (key '$key')"
  code=$(gcs_curl DELETE "$endpoint/storage/v1/b/$GCS_BUCKET/o/$enc") || true
  [[ "$code" == 204 || "$code" == 200 ]] || kb_die "self-check delete failed: HTTP $code"
  code=$(gcs_curl GET "$endpoint/storage/v1/b/$GCS_BUCKET/o/$enc?alt=media") || true
  [[ "$code" == 404 ]] || kb_die "self-check: a deleted object got HTTP $code (want 404)"
  rm -rf "$INST_DIR/tmp"

  printf '%s\n' "KB_TEST_GCS_ENDPOINT=$endpoint" "KB_TEST_GCS_BUCKET=$GCS_BUCKET" >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  trap - EXIT
  local ms=$(($(date +%s%3N) - t0))
  kb_log "gcs '$NAME' (fake-gcs-server $FGS_VERSION, pid $pid) ready at $endpoint in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s; env: $ENV_FILE"
  printf '%s\n' "$endpoint"
}

cmd_stop() {
  parse_name "$@"
  [[ -d "$INST_DIR" ]] || { kb_log "gcs '$NAME' is not running"; return 0; }
  lock_instance
  local pid port=
  port=$(grep -s '^KB_TEST_GCS_ENDPOINT=' "$ENV_FILE" | sed 's/.*://') || true
  if [[ -f "$PID_FILE" ]]; then
    pid=$(cat "$PID_FILE" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && is_our_server "$pid"; then
      if [[ -z "$port" ]]; then
        port=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -A1 -x -- '-port' | tail -1) || true
      fi
      stop_pid "$pid" || kb_die "fake-gcs-server pid $pid is still alive after SIGKILL"
      kb_log "gcs '$NAME' stopped (pid $pid)"
    else
      kb_log "gcs '$NAME' is not running (stale pid file)"
    fi
  else
    kb_log "gcs '$NAME' is not running"
  fi
  if [[ -n "$port" ]]; then
    local i
    for ((i = 0; i < 50; i++)); do kb_port_free "$port" && break; sleep 0.1; done
    kb_port_free "$port" || kb_die "port $port is still in use after stopping gcs '$NAME'"
  fi
  rm -f "$PID_FILE" "$ENV_FILE"
}

cmd_status() {
  parse_name "$@"
  local pid
  if pid=$(running_pid); then
    kb_log "gcs '$NAME' is running (pid $pid, $(grep -s '^KB_TEST_GCS_ENDPOINT=' "$ENV_FILE" | cut -d= -f2-))"
    return 0
  fi
  kb_log "gcs '$NAME' is not running"
  return 1
}

case "${1:-}" in
  install) shift; [[ $# -eq 0 ]] || kb_die "install takes no arguments"; cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
