#!/usr/bin/env bash
# Runs a real Azure Blob Storage emulator for tests: Azurite (Microsoft's), blob service only.
# It verifies Shared Key signatures (wrong key -> 403 AuthenticationFailed) and SAS tokens.
#
# Usage
#   azurite.sh install              `npm install azurite@$AZURITE_VERSION` into
#                                   $KB_CACHE_DIR/azurite-<version>/ (a stamp makes reruns
#                                   instant). Needs node and npm (Debian: nodejs, npm).
#   azurite.sh start [--name NAME]  NAME defaults to "default". Installs if needed, starts the blob
#                                   service on a free 127.0.0.1 port, in memory (--inMemoryPersistence,
#                                   --loose, --skipApiVersionCheck), creates container kb-test,
#                                   self-checks (a Shared Key PUT+GET works; a request signed with a
#                                   wrong key gets 403), prints one line: http://127.0.0.1:PORT/ACCOUNT
#                                   Fails if instance NAME is already running.
#   azurite.sh stop   [--name NAME] SIGTERM, SIGKILL after a grace period. Not running is no error.
#   azurite.sh status [--name NAME] Exit 0 if running, 1 if not.
#
# Instance dir $KB_RUN_DIR/azurite-NAME/: server.log, pid, env:
#   KB_TEST_AZURE_ENDPOINT=http://127.0.0.1:PORT/devstoreaccount1
#   KB_TEST_AZURE_ACCOUNT=devstoreaccount1   KB_TEST_AZURE_CONTAINER=kb-test
#   KB_TEST_AZURE_KEY=<Azurite's well-known development key (public, documented by Microsoft)>
# The env file is removed by `stop`.
#
# Server notes (Azurite 3.37.0, as the client sees it): path-style URLs
# http://host:port/<account>/<container>/<blob>; Put Block / Put Block List, ranged Get Blob with
# x-ms-range (416 at or past the end), List Blobs with marker and maxresults work; a '\' in a blob
# name is read as '/' (as on Azure); a wrong Shared Key signature is 403 AuthorizationFailure
# (Azure says AuthenticationFailed); Azure AD tokens are accepted over https only (not used here).
# Azurite 3.37.0 declares node >= 22 but runs the blob service on node 20 (checked here).
set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

AZURITE_VERSION=3.37.0
AZ_DIR="$KB_CACHE_DIR/azurite-$AZURITE_VERSION"
AZ_BIN="$AZ_DIR/node_modules/.bin/azurite-blob"
AZ_STAMP="$AZ_DIR/.installed"
AZ_ACCOUNT=devstoreaccount1
# Azurite's well-known development account key (published in Azurite's README; not a secret).
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
AZ_CONTAINER=kb-test
AZ_VERSION_HDR=2021-08-06
STOP_GRACE=${KB_AZURITE_STOP_GRACE:-10}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd_install() {
  if [[ -x "$AZ_BIN" && -f "$AZ_STAMP" && "$(cat "$AZ_STAMP")" == "azurite@$AZURITE_VERSION" ]]; then
    return 0
  fi
  command -v npm >/dev/null || kb_die "npm not found (scripts/install-deps.sh installs Debian's nodejs and npm)"
  mkdir -p "$KB_CACHE_DIR"
  exec 8>"$KB_CACHE_DIR/azurite-$AZURITE_VERSION.lock"
  flock 8
  if [[ -x "$AZ_BIN" && -f "$AZ_STAMP" && "$(cat "$AZ_STAMP")" == "azurite@$AZURITE_VERSION" ]]; then
    exec 8>&-
    return 0
  fi
  local tmp="$AZ_DIR.tmp.$$" t0
  rm -rf "$tmp" "$AZ_DIR"
  mkdir -p "$tmp"
  t0=$(date +%s)
  kb_log "installing azurite $AZURITE_VERSION with npm"
  if ! (cd "$tmp" && npm install --no-audit --no-fund --silent --prefix "$tmp" \
    "azurite@$AZURITE_VERSION" >&2); then
    rm -rf "$tmp"
    kb_die "npm install azurite@$AZURITE_VERSION failed"
  fi
  printf '%s\n' "azurite@$AZURITE_VERSION" >"$tmp/.installed"
  mv "$tmp" "$AZ_DIR"
  exec 8>&-
  kb_log "installed azurite $AZURITE_VERSION in $(($(date +%s) - t0))s -> $AZ_DIR"
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
  INST_DIR="$KB_RUN_DIR/azurite-$NAME"
  PID_FILE="$INST_DIR/pid"
  ENV_FILE="$INST_DIR/env"
}

pid_alive() {
  local state
  [[ -r "/proc/$1/stat" ]] || return 1
  state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# is_our_server PID: alive and a node process running azurite-blob (guards against pid reuse).
is_our_server() {
  pid_alive "$1" || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "azurite"
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
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# az_curl KEY METHOD PATH(after the account, e.g. /kb-test/blob) QUERY_CANON(lines "name:value"
# sorted, "\n"-joined, may be empty) QUERY_STRING [curl args...]: a Shared Key signed request
# (content length and type given as extra args are signed via $AZ_LEN / $AZ_TYPE); prints the status.
az_curl() {
  local key=$1 method=$2 path=$3 qcanon=$4 qstring=$5
  shift 5
  local date sts sig
  date=$(LC_ALL=C TZ=GMT date '+%a, %d %b %Y %H:%M:%S GMT')
  sts="$method"$'\n\n\n'"${AZ_LEN:-}"$'\n\n'"${AZ_TYPE:-}"$'\n\n\n\n\n\n\n'
  sts+="${AZ_XMS:+$AZ_XMS$'\n'}x-ms-date:$date"$'\n'"x-ms-version:$AZ_VERSION_HDR"$'\n'
  sts+="/$AZ_ACCOUNT/$AZ_ACCOUNT$path${qcanon:+$'\n'$qcanon}"
  sig=$(printf '%s' "$sts" | openssl dgst -sha256 -mac HMAC \
    -macopt "hexkey:$(printf '%s' "$key" | base64 -d | od -An -v -tx1 | tr -d ' \n')" -binary | base64)
  curl -sS --max-time 20 -X "$method" -o "$AZ_OUT" -w '%{http_code}' \
    -H "x-ms-date: $date" -H "x-ms-version: $AZ_VERSION_HDR" \
    -H "Authorization: SharedKey $AZ_ACCOUNT:$sig" "$@" \
    "$ENDPOINT$path${qstring:+?$qstring}"
}

cmd_start() {
  parse_name "$@"
  lock_instance
  local pid
  if pid=$(running_pid); then
    kb_die "azurite instance '$NAME' is already running (pid $pid)"
  fi
  cmd_install
  command -v openssl >/dev/null || kb_die "openssl not found (needed for the self-check)"
  local t0 port attempt code
  t0=$(date +%s%3N)
  rm -rf "$INST_DIR/tmp"
  rm -f "$PID_FILE" "$ENV_FILE"
  mkdir -p "$INST_DIR/tmp"
  START_PID=
  trap 'if [[ -n "$START_PID" ]]; then stop_pid "$START_PID" >/dev/null 2>&1 || true; rm -f "$PID_FILE" "$ENV_FILE"; fi' EXIT
  for attempt in 1 2 3 4 5; do
    port=$(kb_free_port)
    # exec: the pid is node's own (setsid does not fork in a non-interactive shell).
    setsid node "$AZ_DIR/node_modules/azurite/dist/src/blob/main.js" \
      --blobHost 127.0.0.1 --blobPort "$port" \
      --inMemoryPersistence --loose --skipApiVersionCheck --disableProductStyleUrl \
      </dev/null >"$INST_DIR/server.log" 2>&1 8>&- 9>&- &
    pid=$!
    START_PID=$pid
    printf '%s\n' "$pid" >"$PID_FILE"
    if kb_wait_port 127.0.0.1 "$port" 60 "$pid"; then break; fi
    if pid_alive "$pid"; then
      kb_die "azurite (pid $pid) did not listen on 127.0.0.1:$port within 60s; see $INST_DIR/server.log"
    fi
    pid='' START_PID=''
    if grep -qi 'EADDRINUSE' "$INST_DIR/server.log" && ((attempt < 5)); then continue; fi
    sed 's/^/  server.log: /' "$INST_DIR/server.log" >&2 || true
    kb_die "azurite exited during startup; see $INST_DIR/server.log"
  done
  ENDPOINT="http://127.0.0.1:$port/$AZ_ACCOUNT"
  AZ_OUT="$INST_DIR/tmp/resp"

  code=$(az_curl "$AZ_KEY" PUT "/$AZ_CONTAINER" "restype:container" "restype=container" -H 'Content-Length: 0') || true
  [[ "$code" == 201 ]] || kb_die "creating container $AZ_CONTAINER failed: HTTP $code $(cat "$AZ_OUT" 2>/dev/null)"

  local key="kb-selfcheck-$$.txt" body
  body="kafka-backup azurite self-check $NAME $$ $(date +%s%N)"
  printf '%s' "$body" >"$INST_DIR/tmp/body"
  code=$(AZ_LEN=${#body} AZ_TYPE=application/octet-stream AZ_XMS="x-ms-blob-type:BlockBlob" \
    az_curl "$AZ_KEY" PUT "/$AZ_CONTAINER/$key" "" "" -H 'x-ms-blob-type: BlockBlob' \
    -H 'Content-Type: application/octet-stream' --data-binary "@$INST_DIR/tmp/body") || true
  [[ "$code" == 201 ]] || kb_die "self-check Put Blob failed: HTTP $code $(cat "$AZ_OUT" 2>/dev/null)"
  code=$(az_curl "$AZ_KEY" GET "/$AZ_CONTAINER/$key" "" "") || true
  [[ "$code" == 200 ]] || kb_die "self-check Get Blob failed: HTTP $code $(cat "$AZ_OUT" 2>/dev/null)"
  cmp -s "$AZ_OUT" "$INST_DIR/tmp/body" || kb_die "self-check Get Blob returned different content"
  local wrong
  wrong=$(printf 'not-the-key-%s' "$$" | base64)
  code=$(az_curl "$wrong" GET "/$AZ_CONTAINER/$key" "" "") || true
  [[ "$code" == 403 ]] || kb_die "SELF-CHECK FAILED: a request signed with a WRONG key got HTTP $code (want 403)"
  code=$(az_curl "$AZ_KEY" DELETE "/$AZ_CONTAINER/$key" "" "") || true
  [[ "$code" == 202 ]] || kb_die "self-check Delete Blob failed: HTTP $code $(cat "$AZ_OUT" 2>/dev/null)"
  rm -rf "$INST_DIR/tmp"

  cat >"$ENV_FILE.tmp" <<EOF
KB_TEST_AZURE_ENDPOINT=$ENDPOINT
KB_TEST_AZURE_ACCOUNT=$AZ_ACCOUNT
KB_TEST_AZURE_CONTAINER=$AZ_CONTAINER
KB_TEST_AZURE_KEY=$AZ_KEY
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  trap - EXIT
  local ms=$(($(date +%s%3N) - t0))
  kb_log "azurite '$NAME' ($AZURITE_VERSION, pid $pid) ready at $ENDPOINT in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s; env: $ENV_FILE"
  printf '%s\n' "$ENDPOINT"
}

cmd_stop() {
  parse_name "$@"
  [[ -d "$INST_DIR" ]] || { kb_log "azurite '$NAME' is not running"; return 0; }
  lock_instance
  local pid
  if [[ -f "$PID_FILE" ]]; then
    pid=$(cat "$PID_FILE" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && is_our_server "$pid"; then
      stop_pid "$pid" || kb_die "azurite pid $pid is still alive after SIGKILL"
      kb_log "azurite '$NAME' stopped (pid $pid)"
    else
      kb_log "azurite '$NAME' is not running (stale pid file)"
    fi
  else
    kb_log "azurite '$NAME' is not running"
  fi
  rm -f "$PID_FILE" "$ENV_FILE"
}

cmd_status() {
  parse_name "$@"
  local pid
  if pid=$(running_pid); then
    kb_log "azurite '$NAME' is running (pid $pid, $(grep -s '^KB_TEST_AZURE_ENDPOINT=' "$ENV_FILE" | cut -d= -f2-))"
    return 0
  fi
  kb_log "azurite '$NAME' is not running"
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
