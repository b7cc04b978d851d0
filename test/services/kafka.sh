#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft: broker + controller in one JVM) for tests.
# The jars come from Maven Central through Maven (test/services/kafka/pom.xml pins the version).
#
# Usage
#   kafka.sh install
#       Resolves the broker, clients, tools and logging jars into
#       $KB_CACHE_DIR/kafka-<version>/libs. Idempotent: a stamp file (hash of the pom) makes a
#       second call instant, without running Maven.
#   kafka.sh start [--name NAME] [--set key=value]... [--security plaintext]
#       Installs if needed, then starts instance NAME (default "default") on free 127.0.0.1
#       ports with a fresh, empty data directory $KB_RUN_DIR/kafka-NAME/ (any data left by an
#       earlier, stopped run of NAME is wiped). Waits until the broker answers Kafka metadata
#       requests (via kcat/librdkafka when installed, else a Java admin call), then prints exactly
#       one line on stdout, the bootstrap address 127.0.0.1:PORT, and writes
#       $KB_RUN_DIR/kafka-NAME/env with
#         KB_TEST_KAFKA_BOOTSTRAP=127.0.0.1:PORT
#         KB_KAFKA_LIBS=<dir of jars>   (java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.…)
#       --set key=value (repeatable) appends broker properties (last one wins).
#       If NAME is already running this fails (exit 1): stop it first.
#       --security sasl_ssl is reserved for a SASL_SSL/SCRAM listener and not implemented yet.
#       --proxied-listener HOST:PORT adds a second PLAINTEXT listener, PROXIED, on a free port
#       that advertises HOST:PORT: clients that bootstrap through a TCP proxy listening on
#       HOST:PORT (toxiproxy, test/services/faults.sh) keep going through it, while clients of
#       the main listener reach the broker directly. The env file then also has
#         KB_TEST_KAFKA_PROXIED_UPSTREAM=127.0.0.1:PORT (the listener the proxy forwards to)
#   kafka.sh kill [--name NAME]
#       SIGKILL (no controlled shutdown), keeping data, ports and env: `restart` brings it back.
#   kafka.sh restart [--name NAME]
#       Starts a stopped or killed instance again on its data directory and its ports (fails if
#       it runs); waits until it answers, like start.
#   kafka.sh stop [--name NAME]
#       SIGTERM (controlled shutdown), SIGKILL after a grace period; checks that the JVM is gone
#       and the ports are free; removes the pid and env files (logs are kept for post-mortem).
#       Stopping an instance that is not running is not an error.
#   kafka.sh status [--name NAME]
#       Exit 0 if NAME is running (prints its bootstrap address), 1 otherwise.
#
# Files of an instance ($KB_RUN_DIR/kafka-NAME/): server.properties, data/ (log.dirs and KRaft
# metadata), server.log (broker log4j2 log), kafka.out (JVM stdout/stderr), pid, ports, env.
#
# Environment knobs: KB_KAFKA_VERSION (override the pom's version), KB_KAFKA_HEAP_OPTS
# (default "-Xmx512m -Xms256m"), KB_KAFKA_JVM_OPTS (extra broker JVM flags),
# KB_KAFKA_START_TIMEOUT (seconds, default 90). Needs java 17+, mvn (install only), python3;
# kcat is used for the readiness check when installed.
#
# Creating a topic (auto.create.topics.enable=false):
#   java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
#     --bootstrap-server "$KB_TEST_KAFKA_BOOTSTRAP" --create --topic T --partitions 3 \
#     --replication-factor 1 [--config retention.ms=…]
# Kafka 4.x rejects segment.bytes < 1 MiB (KIP-1030); for tiny segments in tests use the
# topic config internal.segment.bytes (e.g. --config internal.segment.bytes=1024), which the
# 4.x broker accepts and honours (segments roll at that size, retention deletes them).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$SCRIPT_DIR/common.sh"

KAFKA_TEMPLATE_DIR="$SCRIPT_DIR/kafka"
POM="$KAFKA_TEMPLATE_DIR/pom.xml"
LOG4J2_CONFIG="$KAFKA_TEMPLATE_DIR/log4j2.xml"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

pom_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1; }
KAFKA_VERSION="${KB_KAFKA_VERSION:-$(pom_version)}"
[[ -n "$KAFKA_VERSION" ]] || kb_die "cannot read <kafka.version> from $POM"
KAFKA_HOME="$KB_CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
HEAP_OPTS="${KB_KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
START_TIMEOUT="${KB_KAFKA_START_TIMEOUT:-90}"
STOP_GRACE=30

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------------------------------- install

install_stamp() { { sha256sum <"$POM"; echo "$KAFKA_VERSION"; } | sha256sum | cut -d' ' -f1; }

cmd_install() {
  local stamp_file="$KAFKA_HOME/installed.stamp" stamp
  stamp=$(install_stamp)
  if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" && -d "$KAFKA_LIBS" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || kb_die "mvn not found (Maven is needed to fetch the Kafka jars)"
  command -v java >/dev/null || kb_die "java not found (Kafka $KAFKA_VERSION needs Java 17+)"
  mkdir -p "$KAFKA_HOME"
  # Concurrent installs (two `start`s at once) serialise on this lock; the loser re-checks.
  exec 9>"$KAFKA_HOME/install.lock"
  flock 9
  if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" && -d "$KAFKA_LIBS" ]]; then
    exec 9>&-
    return 0
  fi
  kb_log "resolving Kafka $KAFKA_VERSION jars with Maven into $KAFKA_LIBS"
  local tmp="$KAFKA_HOME/libs.tmp.$$" mvn_log="$KAFKA_HOME/mvn.log"
  rm -rf "$tmp"
  if ! mvn -B -q -Dstyle.color=never -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
      "$DEPENDENCY_PLUGIN:copy-dependencies" -DincludeScope=runtime \
      -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    rm -rf "$tmp"
    kb_die "mvn failed to resolve Kafka $KAFKA_VERSION (full log: $mvn_log)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || kb_die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  echo "$stamp" >"$stamp_file"
  exec 9>&-
  kb_log "installed Kafka $KAFKA_VERSION ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars)"
}

# ------------------------------------------------------------------------------------- instances

NAME=default
SECURITY=plaintext
EXTRA_PROPS=()
PROXIED=

parse_instance_args() {
  while (($#)); do
    case "$1" in
      --name) [[ $# -ge 2 ]] || kb_die "--name needs a value"; NAME=$2; shift 2 ;;
      --name=*) NAME=${1#--name=}; shift ;;
      --set) [[ $# -ge 2 ]] || kb_die "--set needs key=value"; EXTRA_PROPS+=("$2"); shift 2 ;;
      --set=*) EXTRA_PROPS+=("${1#--set=}"); shift ;;
      --security) [[ $# -ge 2 ]] || kb_die "--security needs a value"; SECURITY=$2; shift 2 ;;
      --security=*) SECURITY=${1#--security=}; shift ;;
      --proxied-listener) [[ $# -ge 2 ]] || kb_die "--proxied-listener needs HOST:PORT"; PROXIED=$2; shift 2 ;;
      -h|--help) usage ;;
      *) kb_die "unknown argument: $1" ;;
    esac
  done
  [[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || kb_die "bad instance name: '$NAME'"
  local kv
  for kv in ${EXTRA_PROPS[@]+"${EXTRA_PROPS[@]}"}; do
    [[ "$kv" =~ ^[A-Za-z0-9_.-]+=.*$ ]] || kb_die "--set expects key=value, got '$kv'"
  done
  [[ -z "$PROXIED" || "$PROXIED" =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] ||
    kb_die "--proxied-listener expects HOST:PORT, got '$PROXIED'"
  INST_DIR="$KB_RUN_DIR/kafka-$NAME"
  PID_FILE="$INST_DIR/pid"
}

# True while PID runs. A zombie counts as gone: the broker is orphaned once `start` returns, and
# after it exits it stays a zombie until PID 1 reaps it, which can take a while (kill -0 still
# succeeds on a zombie, so kill -0 alone would make stop wait for nothing).
pid_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# stop_jvm PID GRACE_SECONDS: SIGTERM (Kafka then does a controlled shutdown), SIGKILL after
# GRACE_SECONDS; fails if the process still runs after that. Removes the pid file.
stop_jvm() {
  local pid=$1 grace=$2 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    kb_log "pid $pid did not stop in ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  ! pid_alive "$pid"
}

# True when the pid file names a live JVM running this instance's broker (guards against a
# stale pid file whose pid has been reused by another process).
instance_running() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $INST_DIR/server.properties"
}

# Prints two distinct free loopback ports.
pick_ports() {
  local a b
  a=$(kb_free_port)
  b=$(kb_free_port)
  while [[ "$b" == "$a" ]]; do b=$(kb_free_port); done
  echo "$a $b"
}

# write_server_properties FILE BROKER_PORT CONTROLLER_PORT [PROXIED_PORT]
# Listeners are assembled from lists so that a SASL_SSL listener can be added next to PLAINTEXT.
write_server_properties() {
  local file=$1 broker_port=$2 controller_port=$3 proxied_port=${4:-}
  local listeners=("PLAINTEXT://127.0.0.1:$broker_port" "CONTROLLER://127.0.0.1:$controller_port")
  local protocol_map=("PLAINTEXT:PLAINTEXT" "CONTROLLER:PLAINTEXT")
  local advertised=("PLAINTEXT://127.0.0.1:$broker_port")
  if [[ -n "$proxied_port" ]]; then
    listeners+=("PROXIED://127.0.0.1:$proxied_port")
    protocol_map+=("PROXIED:PLAINTEXT")
    advertised+=("PROXIED://$PROXIED")
  fi
  # (--security sasl_ssl will add e.g. SASL_SSL://127.0.0.1:$sasl_port here, plus its
  #  ssl.* / sasl.enabled.mechanisms / listener.name.sasl_ssl.scram-sha-512.* properties.)
  local IFS=,
  cat >"$file" <<EOF
# Generated by test/services/kafka.sh for instance '$NAME' (Kafka $KAFKA_VERSION). Do not edit.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
controller.listener.names=CONTROLLER
listeners=${listeners[*]}
advertised.listeners=${advertised[*]}
listener.security.protocol.map=${protocol_map[*]}
inter.broker.listener.name=PLAINTEXT

log.dirs=$INST_DIR/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true

# Tests use tiny retention/segments per topic: check retention often, allow small segments.
log.retention.check.interval.ms=5000
log.segment.delete.delay.ms=1000
log.initial.task.delay.ms=1000
file.delete.delay.ms=1000
log.segment.bytes=1073741824

# Small machine: few threads.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  if ((${#EXTRA_PROPS[@]})); then
    printf '\n# --set\n' >>"$file"
    printf '%s\n' "${EXTRA_PROPS[@]}" >>"$file"
  fi
}

# Prints a new cluster id exactly as `kafka.tools.StorageTool random-uuid` would (Kafka's
# Uuid.randomUuid: a random v4 UUID, URL-safe base64 without padding, never starting with '-'),
# without paying ~1.5 s for one more JVM per start.
new_cluster_id() {
  python3 -c '
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break
'
}

# Succeeds once the broker answers a metadata request listing itself.
broker_ready() {
  local boot=$1
  if command -v kcat >/dev/null; then
    kcat -b "$boot" -L -m 1 2>/dev/null | grep -q "broker 1 at $boot"
  else
    java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$boot" --list >/dev/null 2>&1
  fi
}

show_broker_logs() {
  local f
  for f in "$INST_DIR/kafka.out" "$INST_DIR/server.log"; do
    [[ -s "$f" ]] || continue
    echo "----- tail of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

# Launches the JVM and waits for readiness. Returns 0 when ready, 3 when the broker could not
# bind its ports (a race with another process; the caller retries), 1 on any other failure.
launch_once() {
  local broker_port=$1 controller_port=$2 proxied_port=${3:-} cluster_id
  rm -rf "$INST_DIR"
  mkdir -p "$INST_DIR/data"
  write_server_properties "$INST_DIR/server.properties" "$broker_port" "$controller_port" \
    "$proxied_port"
  echo "$broker_port $controller_port${proxied_port:+ $proxied_port}" >"$INST_DIR/ports"

  # Short-lived tool JVM: C1 only and serial GC start about twice as fast on 2 cores.
  local java_tool=(java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$KAFKA_LIBS/*"
                   -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$INST_DIR")
  cluster_id=$(new_cluster_id) || { kb_log "error: could not generate a cluster id"; return 1; }
  if ! "${java_tool[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$INST_DIR/server.properties" --standalone >>"$INST_DIR/kafka.out" 2>&1; then
    show_broker_logs; kb_log "error: formatting the storage of instance '$NAME' failed"; return 1
  fi
  launch_jvm "$broker_port"
}

# launch_jvm BROKER_PORT: starts the broker JVM on the instance's server.properties and data and
# waits for readiness. Returns like launch_once.
launch_jvm() {
  local broker_port=$1 boot="127.0.0.1:$1" pid i
  # setsid: own session, so a Ctrl-C of the caller's process group does not hit the broker, and
  # (the shell's background child not being a group leader) setsid execs java in place, so $!
  # is the JVM's pid. All fds are redirected so that $(kafka.sh start) does not wait for the JVM.
  # JVM flags as Kafka's own kafka-run-class.sh uses them, plus KB_KAFKA_JVM_OPTS.
  # shellcheck disable=SC2086
  setsid java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true ${KB_KAFKA_JVM_OPTS:-} \
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$INST_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$INST_DIR/server.properties" \
    </dev/null >>"$INST_DIR/kafka.out" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  for ((i = 0; i < 40; i++)); do   # let setsid exec java
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == setsid ]] || break
    sleep 0.05
  done

  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! pid_alive "$pid"; then
      rm -f "$PID_FILE"
      if grep -qs "Address already in use" "$INST_DIR/kafka.out" "$INST_DIR/server.log"; then
        return 3
      fi
      show_broker_logs
      kb_log "error: Kafka broker '$NAME' exited during startup"
      return 1
    fi
    if kb_port_free "$broker_port"; then sleep 0.2; continue; fi
    if broker_ready "$boot"; then return 0; fi
    sleep 0.3
  done
  show_broker_logs
  kb_log "error: Kafka broker '$NAME' not ready within ${START_TIMEOUT}s; stopping it"
  stop_jvm "$pid" 5 || true
  return 1
}

cmd_start() {
  parse_instance_args "$@"
  case "$SECURITY" in
    plaintext) ;;
    sasl_ssl) kb_die "--security sasl_ssl: not implemented yet" ;;
    *) kb_die "unknown --security '$SECURITY' (plaintext; sasl_ssl is planned)" ;;
  esac
  if instance_running; then
    kb_die "Kafka instance '$NAME' is already running (pid $(cat "$PID_FILE")); stop it first: $0 stop --name $NAME"
  fi
  cmd_install
  command -v kcat >/dev/null || kb_log "kcat not found; checking readiness with a Java admin call"

  local attempt rc ports broker_port controller_port proxied_port=
  for attempt in 1 2 3; do
    ports=$(pick_ports)
    read -r broker_port controller_port <<<"$ports"
    if [[ -n "$PROXIED" ]]; then
      proxied_port=$(kb_free_port)
      while [[ "$proxied_port" == "$broker_port" || "$proxied_port" == "$controller_port" ]]; do
        proxied_port=$(kb_free_port)
      done
    fi
    rc=0
    launch_once "$broker_port" "$controller_port" "$proxied_port" || rc=$?
    case $rc in
      0) break ;;
      3) kb_log "ports $broker_port/$controller_port were taken meanwhile; retrying ($attempt/3)" ;;
      *) exit 1 ;;
    esac
  done
  ((rc == 0)) || { show_broker_logs; kb_die "could not bind free ports for Kafka broker '$NAME'"; }

  local boot="127.0.0.1:$broker_port"
  cat >"$INST_DIR/env" <<EOF
KB_TEST_KAFKA_BOOTSTRAP=$boot
KB_KAFKA_LIBS=$KAFKA_LIBS
EOF
  [[ -z "$proxied_port" ]] || echo "KB_TEST_KAFKA_PROXIED_UPSTREAM=127.0.0.1:$proxied_port" >>"$INST_DIR/env"
  kb_log "Kafka $KAFKA_VERSION '$NAME' ready at $boot (pid $(cat "$PID_FILE"), dir $INST_DIR)"
  echo "$boot"
}

cmd_stop() {
  parse_instance_args "$@"
  [[ "$SECURITY" == plaintext && ${#EXTRA_PROPS[@]} -eq 0 ]] || kb_die "stop takes only --name"
  local pid="" port i
  if [[ -f "$PID_FILE" ]]; then
    if instance_running; then
      pid=$(cat "$PID_FILE")
      kb_log "stopping Kafka '$NAME' (pid $pid)"
      stop_jvm "$pid" "$STOP_GRACE" || kb_die "Kafka '$NAME' (pid $pid) is still alive after SIGKILL"
    else
      rm -f "$PID_FILE"   # stale: the process is gone (or the pid now belongs to another)
    fi
  fi
  rm -f "$INST_DIR/env"
  if [[ -n "$pid" && -f "$INST_DIR/ports" ]]; then
    local ports
    read -r -a ports <"$INST_DIR/ports"
    for port in "${ports[@]}"; do
      for ((i = 0; i < 50; i++)); do kb_port_free "$port" && break; sleep 0.1; done
      kb_port_free "$port" || kb_die "port $port of Kafka '$NAME' is still in use after stop"
    done
  fi
  return 0
}

cmd_kill() {
  parse_instance_args "$@"
  instance_running || kb_die "Kafka instance '$NAME' is not running"
  local pid i
  pid=$(cat "$PID_FILE")
  kill -KILL "$pid"
  for ((i = 0; i < 100; i++)); do pid_alive "$pid" || break; sleep 0.1; done
  ! pid_alive "$pid" || kb_die "Kafka '$NAME' (pid $pid) is still alive after SIGKILL"
  rm -f "$PID_FILE"
  kb_log "killed Kafka '$NAME' (pid $pid); data kept for restart"
}

cmd_restart() {
  parse_instance_args "$@"
  [[ ${#EXTRA_PROPS[@]} -eq 0 && -z "$PROXIED" ]] || kb_die "restart takes only --name"
  ! instance_running || kb_die "Kafka instance '$NAME' is running; stop or kill it first"
  [[ -f "$INST_DIR/ports" && -f "$INST_DIR/server.properties" ]] ||
    kb_die "Kafka instance '$NAME' was never started in $INST_DIR"
  local ports rc=0 port i
  read -r -a ports <"$INST_DIR/ports"
  for port in "${ports[@]}"; do
    for ((i = 0; i < 100; i++)); do kb_port_free "$port" && break; sleep 0.1; done
  done
  launch_jvm "${ports[0]}" || rc=$?
  ((rc == 0)) || { show_broker_logs; kb_die "Kafka '$NAME' did not come back (ports ${ports[*]})"; }
  kb_log "Kafka '$NAME' restarted at 127.0.0.1:${ports[0]} (pid $(cat "$PID_FILE"))"
  echo "127.0.0.1:${ports[0]}"
}

cmd_status() {
  parse_instance_args "$@"
  if instance_running; then
    if [[ -f "$INST_DIR/env" ]]; then
      sed -n 's/^KB_TEST_KAFKA_BOOTSTRAP=//p' "$INST_DIR/env"
    fi
    return 0
  fi
  return 1
}

(($#)) || usage
cmd=$1
shift
case "$cmd" in
  install) (($# == 0)) || kb_die "install takes no arguments"; cmd_install ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  kill) cmd_kill "$@" ;;
  restart) cmd_restart "$@" ;;
  status) cmd_status "$@" ;;
  -h|--help|help) usage ;;
  *) kb_die "unknown command '$cmd' (install|start|stop|status)" ;;
esac
