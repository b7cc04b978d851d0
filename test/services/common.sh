# Shared helpers for the test service scripts (kafka.sh, s3.sh). Source it; do not run it.
#
# Conventions
#   KB_CACHE_DIR  downloaded/built artefacts kept between runs (default ~/.cache/kafka-backup)
#   KB_RUN_DIR    per-run state: data dirs, logs, pid files, env files (default <repo>/build/services)
# Every service instance has a directory $KB_RUN_DIR/<service>-<name>/ holding pid, log and an
# `env` file of KEY=VALUE lines that the test runner sources.
# Logs and progress go to stderr; stdout carries only what a caller may parse.

KB_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${KB_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/kafka-backup}"
: "${KB_RUN_DIR:=$KB_REPO_ROOT/build/services}"
export KB_CACHE_DIR KB_RUN_DIR

kb_log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
kb_die() { kb_log "error: $*"; exit 1; }

# Prints a TCP port on 127.0.0.1 that is free right now.
kb_free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# kb_wait_port HOST PORT TIMEOUT_SECONDS [PID]: waits until HOST:PORT accepts TCP connections.
# Fails early if PID (when given) has exited.
kb_wait_port() {
  local host=$1 port=$2 timeout=$3 pid=${4:-} i
  for ((i = 0; i < timeout * 10; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# kb_port_free PORT: true when nothing listens on 127.0.0.1:PORT.
kb_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# kb_alive PID: true while PID is a live process. A zombie counts as dead: on some machines
# process 1 never reaps orphans, so `kill -0` alone would report a stopped server as running.
kb_alive() {
  local pid=$1 state
  [[ -n "$pid" ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# kb_stop_pid PIDFILE GRACE_SECONDS: SIGTERM the process, wait, SIGKILL if needed.
kb_stop_pid() {
  local pidfile=$1 grace=${2:-20} pid i
  [[ -f "$pidfile" ]] || return 0
  pid=$(cat "$pidfile")
  if kb_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      kb_alive "$pid" || break
      sleep 0.1
    done
    if kb_alive "$pid"; then
      kb_log "pid $pid did not stop in ${grace}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kb_alive "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$pidfile"
}
