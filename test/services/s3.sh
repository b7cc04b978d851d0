#!/usr/bin/env bash
# Runs a real S3-compatible server for tests: Versity S3 Gateway (versitygw), posix backend.
# It verifies AWS SigV4 signatures (wrong secret -> 403 SignatureDoesNotMatch), payload hashes
# (x-amz-content-sha256 mismatch -> 400 XAmzContentSHA256Mismatch) and request time skew.
#
# Usage
#   s3.sh install                Builds versitygw $VGW_VERSION with `go install` into
#                                $KB_CACHE_DIR/bin/versitygw-<version>/ (a stamp makes reruns
#                                instant). Cold build on 2 cores: ~1.5-2.5 min incl. downloads.
#   s3.sh start  [--name NAME]   NAME defaults to "default". Installs if needed, starts the server
#                                on a free 127.0.0.1 port with a fresh (wiped) data dir, creates
#                                bucket kb-test, self-checks (signed PUT+GET works; a request
#                                signed with a wrong secret gets 403 SignatureDoesNotMatch), then
#                                prints exactly one line on stdout: http://127.0.0.1:PORT
#                                Fails if instance NAME is already running.
#   s3.sh start --tls [--name NAME]
#                                The same over HTTPS: a throw-away CA and a server certificate for
#                                127.0.0.1/localhost are made with openssl in the instance dir;
#                                prints https://127.0.0.1:PORT and the env file also has
#                                KB_TEST_S3_CA=<instance dir>/tls/ca.pem (for storage.s3.ca_bundle)
#                                and KB_TEST_S3_OTHER_CA=<a CA that signed nothing of this server>.
#   s3.sh stop   [--name NAME]   SIGTERM, SIGKILL after a grace period; checks the process is gone
#                                and the port is free. Not running is not an error.
#   s3.sh status [--name NAME]   Exit 0 if running, 1 if not.
#
# Instance dir $KB_RUN_DIR/s3-NAME/: data/ (buckets = directories), meta/ (only when the file
# system lacks user xattrs), server.log, access.log (one line per request), pid, env:
#   KB_TEST_S3_ENDPOINT=http://127.0.0.1:PORT   KB_TEST_S3_BUCKET=kb-test
#   KB_TEST_S3_REGION=us-east-1   KB_TEST_S3_ACCESS_KEY=...   KB_TEST_S3_SECRET_KEY=...
# The env file is removed by `stop`; logs and data are kept until the next `start`.
#
# Server quirks (versitygw v1.8.0, checked with curl 7.88 --aws-sigv4), relevant to the client:
#  - x-amz-content-sha256 is REQUIRED on every request, GET/HEAD/DELETE too (400 InvalidRequest
#    without it). Hex SHA-256 of the body is verified; UNSIGNED-PAYLOAD is accepted.
#  - Path-style addressing only (http://127.0.0.1:PORT/bucket/key). Signed path is the URI-encoded
#    key; keys with space, UTF-8, + = & ; , : @ $ ! ' ( ) * % ? # round-trip fine when every byte
#    outside A-Za-z0-9-_.~/ is %XX-encoded.
#  - Keys are file paths: "a//b", "a/./b", "/a" are normalised ("a/b", "a/b", "a"); "a/../b"
#    becomes "b"; a key ending in "/" must have an empty body (else 400
#    DirectoryObjectContainsData) and is a directory marker. "a" and "a/b" cannot both exist
#    (409 ObjectParentIsFile / ExistingObjectIsDirectory). Each "/"-separated segment is at most
#    255 bytes (400 KeyTooLongError); the total length is not limited to 1024.
#  - Multipart: POST ?uploads= ; PUT ?partNumber=N&uploadId=ID ; POST ?uploadId=ID with
#    CompleteMultipartUpload XML (ETags quoted or not); DELETE ?uploadId=ID aborts (204).
#    Non-last parts must be >= 5 MiB (Complete -> 400 EntityTooSmall), as on AWS.
#  - ListObjectsV2 (list-type=2, max-keys (capped at 1000), prefix, delimiter, start-after,
#    continuation-token) works; NextContinuationToken is just the last key. The response has an
#    empty <EncodingType></EncodingType> element.
#  - DeleteObjects (POST ?delete=) needs Content-MD5 or an x-amz-checksum-* header (400
#    InvalidRequest otherwise; wrong MD5 -> 400 BadDigest). Missing keys are reported as
#    <Deleted>; <Quiet>true</Quiet> is ignored (Deleted entries still listed); <DeleteResult>
#    has no xmlns. Single DELETE of a missing key -> 204.
#  - Ranged GET -> 206 with Content-Range; unsatisfiable range (also any range on an empty
#    object) -> 416. PUT without Content-Length (Transfer-Encoding: chunked) -> 411.
#  - curl 7.88's own sigv4 (CURLOPT_AWS_SIGV4) neither adds x-amz-content-sha256 nor sorts or
#    normalises the query string: write query parameters already sorted and encoded, and write
#    valueless ones as "uploads=" / "delete=" (a bare "?uploads" fails with 403).
#  - A 403 SignatureDoesNotMatch body contains the server's CanonicalRequest and StringToSign:
#    handy for debugging a signer.
#  - The server is started with --keep-alive (connection reuse works; versitygw's default is
#    "Connection: close" after every response).
set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VGW_MODULE=github.com/versity/versitygw
VGW_VERSION=v1.8.0
VGW_BIN_DIR="$KB_CACHE_DIR/bin/versitygw-$VGW_VERSION"
VGW_BIN="$VGW_BIN_DIR/versitygw"
VGW_STAMP="$VGW_BIN_DIR/.installed"
VGW_STAMP_CONTENT="$VGW_MODULE/cmd/versitygw@$VGW_VERSION"

S3_ACCESS_KEY=kbtestaccess
S3_SECRET_KEY=kbtestsecret-0123456789
S3_REGION=us-east-1
S3_BUCKET=kb-test
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
STOP_GRACE=${KB_S3_STOP_GRACE:-20} # seconds between SIGTERM and SIGKILL

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

find_go() {
  if [[ -n "${KB_GO:-}" ]]; then printf '%s\n' "$KB_GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [[ -x /usr/local/go/bin/go ]]; then printf '%s\n' /usr/local/go/bin/go; return; fi
  kb_die "no Go toolchain found (put go on PATH or set KB_GO)"
}

cmd_install() {
  if [[ -x "$VGW_BIN" && -f "$VGW_STAMP" && "$(cat "$VGW_STAMP")" == "$VGW_STAMP_CONTENT" ]]; then
    return 0
  fi
  mkdir -p "$KB_CACHE_DIR/bin"
  # Serialise concurrent installs (e.g. two `start`s at once); the lock fd is closed afterwards.
  exec 8>"$KB_CACHE_DIR/bin/versitygw-$VGW_VERSION.lock"
  flock 8
  if [[ -x "$VGW_BIN" && -f "$VGW_STAMP" && "$(cat "$VGW_STAMP")" == "$VGW_STAMP_CONTENT" ]]; then
    exec 8>&-
    return 0
  fi
  local go tmp t0 t1
  go=$(find_go)
  tmp="$VGW_BIN_DIR.tmp.$$"
  rm -rf "$tmp" "$VGW_BIN_DIR"
  mkdir -p "$tmp"
  kb_log "building versitygw $VGW_VERSION with $("$go" version) (cold build takes a few minutes)"
  t0=$(date +%s)
  if ! (cd "$tmp" && GOBIN="$tmp" GO111MODULE=on GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 \
    "$go" install -ldflags "-s -w -X main.Version=$VGW_VERSION" \
    "$VGW_MODULE/cmd/versitygw@$VGW_VERSION" >&2); then
    rm -rf "$tmp"
    kb_die "go install $VGW_MODULE/cmd/versitygw@$VGW_VERSION failed"
  fi
  t1=$(date +%s)
  [[ -x "$tmp/versitygw" ]] || kb_die "go install produced no versitygw binary"
  printf '%s\n' "$VGW_STAMP_CONTENT" >"$tmp/.installed"
  mv "$tmp" "$VGW_BIN_DIR"
  exec 8>&-
  kb_log "built versitygw $VGW_VERSION in $((t1 - t0))s -> $VGW_BIN"
}

parse_name() {
  NAME=default
  TLS=0
  while (($#)); do
    case "$1" in
      --tls) TLS=1; shift ;;
      --name) [[ $# -ge 2 ]] || kb_die "--name needs a value"; NAME=$2; shift 2 ;;
      --name=*) NAME=${1#--name=}; shift ;;
      -h | --help) usage ;;
      *) kb_die "unknown argument: $1" ;;
    esac
  done
  [[ "$NAME" =~ ^[A-Za-z0-9_.-]+$ ]] || kb_die "invalid --name '$NAME' (use letters, digits, . _ -)"
  INST_DIR="$KB_RUN_DIR/s3-$NAME"
  PID_FILE="$INST_DIR/pid"
  ENV_FILE="$INST_DIR/env"
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
  local state
  [[ -r "/proc/$1/stat" ]] || return 1
  state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# is_our_server PID: alive and running a versitygw binary (guards against pid reuse).
is_our_server() {
  pid_alive "$1" || return 1
  local exe
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  [[ "$(basename "${exe% (deleted)}")" == versitygw ]]
}

running_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && is_our_server "$pid" || return 1
  printf '%s\n' "$pid"
}

# Per-instance lock so start/stop of one NAME do not race each other.
lock_instance() {
  mkdir -p "$INST_DIR"
  exec 9>"$INST_DIR/.lock"
  flock -w 120 9 || kb_die "timed out waiting for the lock on $INST_DIR"
}

# s3_curl SECRET METHOD URL [curl args...]: a SigV4-signed request; prints the body to the file
# named by $S3_OUT and the HTTP status code on stdout. The payload hash header is added here
# because curl 7.88's --aws-sigv4 does not add it.
s3_curl() {
  local secret=$1 method=$2 url=$3
  shift 3
  curl -sS --max-time 20 --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$secret" \
    ${CURL_TLS[@]+"${CURL_TLS[@]}"} -X "$method" -o "$S3_OUT" -w '%{http_code}' "$@" "$url"
}

# make_certs DIR: a CA (ca.pem), a server certificate for 127.0.0.1 and localhost signed by it
# (server.pem, server.key), and another CA (other-ca.pem) that signed nothing here.
make_certs() {
  local dir=$1
  mkdir -p "$dir"
  command -v openssl >/dev/null || kb_die "openssl not found (needed for --tls)"
  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 7 \
      -subj "/CN=kafka-backup test CA $NAME" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 7 \
      -subj "/CN=kafka-backup other test CA $NAME" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
      -subj "/CN=127.0.0.1" 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
      -days 7 -extfile server.ext 2>/dev/null
  ) || kb_die "openssl failed to make the test certificates in $dir"
}

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_GRACE * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  kb_log "pid $pid did not stop in ${STOP_GRACE}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

cmd_start() {
  parse_name "$@"
  lock_instance
  local pid
  if pid=$(running_pid); then
    kb_die "s3 instance '$NAME' is already running (pid $pid, $(grep -s '^KB_TEST_S3_ENDPOINT=' "$ENV_FILE" | cut -d= -f2-))"
  fi
  cmd_install

  local t0 data meta_args=() port attempt endpoint code
  t0=$(date +%s%3N)
  rm -rf "$INST_DIR/data" "$INST_DIR/meta" "$INST_DIR/tmp" "$INST_DIR/tls"
  rm -f "$PID_FILE" "$ENV_FILE"
  data="$INST_DIR/data"
  mkdir -p "$data" "$INST_DIR/tmp"
  # The posix backend keeps metadata (etag, content-type, x-amz-meta-*) in user xattrs; use a
  # sidecar directory instead when this file system does not support them.
  if ! python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.kbtest", b"1")' "$data" 2>/dev/null; then
    kb_log "no user xattrs on $data; using sidecar metadata dir"
    mkdir -p "$INST_DIR/meta"
    meta_args=(--sidecar "$INST_DIR/meta")
  else
    python3 -c 'import os,sys; os.removexattr(sys.argv[1], "user.kbtest")' "$data" 2>/dev/null || true
  fi

  local tls_args=()
  CURL_TLS=()
  if ((TLS)); then
    make_certs "$INST_DIR/tls"
    tls_args=(--cert "$INST_DIR/tls/server.pem" --key "$INST_DIR/tls/server.key")
    CURL_TLS=(--cacert "$INST_DIR/tls/ca.pem")
  fi

  # If start fails after launching the server, do not leave it behind.
  START_PID=
  trap 'if [[ -n "$START_PID" ]]; then stop_pid "$START_PID" >/dev/null 2>&1 || true; rm -f "$PID_FILE" "$ENV_FILE"; fi' EXIT

  # A free port can be taken by someone else before the server binds it: retry a few times.
  for attempt in 1 2 3 4 5; do
    port=$(kb_free_port)
    # setsid: own session, so the caller's terminal signals and process group kills miss it.
    # In a non-interactive shell the background child is not a group leader, so setsid does not
    # fork and $! is the versitygw process itself. Lock fds 8/9 are closed for the server.
    setsid "$VGW_BIN" \
      --port "127.0.0.1:$port" \
      --access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" --region "$S3_REGION" \
      --keep-alive --quiet --access-log "$INST_DIR/access.log" ${tls_args[@]+"${tls_args[@]}"} \
      posix "${meta_args[@]}" "$data" \
      </dev/null >"$INST_DIR/server.log" 2>&1 8>&- 9>&- &
    pid=$!
    START_PID=$pid
    printf '%s\n' "$pid" >"$PID_FILE"
    if kb_wait_port 127.0.0.1 "$port" 30 "$pid"; then break; fi
    if pid_alive "$pid"; then
      kb_die "versitygw (pid $pid) did not listen on 127.0.0.1:$port within 30s; see $INST_DIR/server.log"
    fi
    pid='' START_PID=''
    if grep -qi 'address already in use' "$INST_DIR/server.log" && ((attempt < 5)); then
      kb_log "port $port was taken; retrying"
      continue
    fi
    sed 's/^/  server.log: /' "$INST_DIR/server.log" >&2 || true
    kb_die "versitygw exited during startup; see $INST_DIR/server.log"
  done
  sleep 0.05
  is_our_server "$pid" || kb_die "pid $pid is not the versitygw process (got $(readlink "/proc/$pid/exe" 2>/dev/null || echo gone))"
  endpoint="http://127.0.0.1:$port"
  ((TLS)) && endpoint="https://127.0.0.1:$port"

  # Wait until it answers HTTP (an unsigned request gets an S3 error with some HTTP status).
  local i
  for ((i = 0; i < 100; i++)); do
    code=$(curl -s ${CURL_TLS[@]+"${CURL_TLS[@]}"} -o /dev/null --max-time 2 -w '%{http_code}' "$endpoint/" || true)
    [[ "$code" != 000 && -n "$code" ]] && break
    sleep 0.1
  done
  [[ "$code" != 000 && -n "$code" ]] || kb_die "versitygw at $endpoint does not answer HTTP"

  S3_OUT="$INST_DIR/tmp/resp"
  # Create the test bucket (path-style).
  code=$(s3_curl "$S3_SECRET_KEY" PUT "$endpoint/$S3_BUCKET" -H "x-amz-content-sha256: $EMPTY_SHA256") || true
  [[ "$code" == 200 ]] || kb_die "creating bucket $S3_BUCKET failed: HTTP $code $(cat "$S3_OUT" 2>/dev/null)"

  # Self-check (a): signed PUT + GET of a small object round-trips.
  local key="kb-selfcheck-$$.txt" body sha
  body="kafka-backup s3 self-check $NAME $$ $(date +%s%N)"
  printf '%s' "$body" >"$INST_DIR/tmp/body"
  sha=$(sha256sum "$INST_DIR/tmp/body" | cut -d' ' -f1)
  code=$(s3_curl "$S3_SECRET_KEY" PUT "$endpoint/$S3_BUCKET/$key" \
    -H "x-amz-content-sha256: $sha" -H 'Content-Type: application/octet-stream' \
    --data-binary "@$INST_DIR/tmp/body") || true
  [[ "$code" == 200 ]] || kb_die "self-check PUT failed: HTTP $code $(cat "$S3_OUT" 2>/dev/null)"
  code=$(s3_curl "$S3_SECRET_KEY" GET "$endpoint/$S3_BUCKET/$key" -H "x-amz-content-sha256: $EMPTY_SHA256") || true
  [[ "$code" == 200 ]] || kb_die "self-check GET failed: HTTP $code $(cat "$S3_OUT" 2>/dev/null)"
  cmp -s "$S3_OUT" "$INST_DIR/tmp/body" || kb_die "self-check GET returned different content"

  # Self-check (b): the same GET signed with a wrong secret must be rejected.
  code=$(s3_curl "${S3_SECRET_KEY}-WRONG" GET "$endpoint/$S3_BUCKET/$key" -H "x-amz-content-sha256: $EMPTY_SHA256") || true
  if [[ "$code" != 403 ]] || ! grep -q '<Code>SignatureDoesNotMatch</Code>' "$S3_OUT"; then
    kb_die "SELF-CHECK FAILED: a request signed with a WRONG secret got HTTP $code (want 403 SignatureDoesNotMatch): the server does not verify signatures. Body: $(head -c 400 "$S3_OUT")"
  fi
  # ... and an unsigned request too.
  code=$(curl -sS ${CURL_TLS[@]+"${CURL_TLS[@]}"} --max-time 20 -o "$S3_OUT" -w '%{http_code}' "$endpoint/$S3_BUCKET/$key") || true
  [[ "$code" == 403 ]] || kb_die "SELF-CHECK FAILED: an unsigned GET got HTTP $code (want 403)"

  code=$(s3_curl "$S3_SECRET_KEY" DELETE "$endpoint/$S3_BUCKET/$key" -H "x-amz-content-sha256: $EMPTY_SHA256") || true
  [[ "$code" == 204 || "$code" == 200 ]] || kb_die "self-check DELETE failed: HTTP $code $(cat "$S3_OUT" 2>/dev/null)"
  rm -rf "$INST_DIR/tmp"

  cat >"$ENV_FILE.tmp" <<EOF
KB_TEST_S3_ENDPOINT=$endpoint
KB_TEST_S3_BUCKET=$S3_BUCKET
KB_TEST_S3_REGION=$S3_REGION
KB_TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY
KB_TEST_S3_SECRET_KEY=$S3_SECRET_KEY
EOF
  if ((TLS)); then
    printf '%s\n' "KB_TEST_S3_CA=$INST_DIR/tls/ca.pem" "KB_TEST_S3_OTHER_CA=$INST_DIR/tls/other-ca.pem" \
      >>"$ENV_FILE.tmp"
  fi
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  trap - EXIT
  local ms=$(($(date +%s%3N) - t0))
  kb_log "s3 '$NAME' (versitygw $VGW_VERSION, pid $pid) ready at $endpoint in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s; env: $ENV_FILE"
  printf '%s\n' "$endpoint"
}

cmd_stop() {
  parse_name "$@"
  [[ -d "$INST_DIR" ]] || { kb_log "s3 '$NAME' is not running"; return 0; }
  lock_instance
  local pid port=
  port=$(grep -s '^KB_TEST_S3_ENDPOINT=' "$ENV_FILE" | sed 's/.*://') || true
  if [[ -f "$PID_FILE" ]]; then
    pid=$(cat "$PID_FILE" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && is_our_server "$pid"; then
      if [[ -z "$port" ]]; then
        port=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -1) || true
      fi
      stop_pid "$pid" || kb_die "versitygw pid $pid is still alive after SIGKILL"
      kb_log "s3 '$NAME' stopped (pid $pid)"
    else
      kb_log "s3 '$NAME' is not running (stale pid file)"
    fi
  else
    kb_log "s3 '$NAME' is not running"
  fi
  if [[ -n "$port" ]]; then
    local i
    for ((i = 0; i < 50; i++)); do kb_port_free "$port" && break; sleep 0.1; done
    kb_port_free "$port" || kb_die "port $port is still in use after stopping s3 '$NAME'"
  fi
  rm -f "$PID_FILE" "$ENV_FILE"
}

cmd_status() {
  parse_name "$@"
  local pid
  if pid=$(running_pid); then
    kb_log "s3 '$NAME' is running (pid $pid, $(grep -s '^KB_TEST_S3_ENDPOINT=' "$ENV_FILE" | cut -d= -f2-))"
    return 0
  fi
  kb_log "s3 '$NAME' is not running"
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
