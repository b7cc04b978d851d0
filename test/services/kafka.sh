#!/usr/bin/env bash
# Runs real Apache Kafka for tests (KRaft: broker + controller in one JVM per node): one node, or a
# cluster of several on loopback; optionally with TLS and SASL listeners next to PLAINTEXT.
# The jars come from Maven Central through Maven (test/services/kafka/pom.xml pins the version).
#
# Usage
#   kafka.sh install
#       Resolves the broker, clients, tools and logging jars into
#       $KB_CACHE_DIR/kafka-<version>/libs. Idempotent: a stamp file (hash of the pom) makes a
#       second call instant, without running Maven.
#   kafka.sh start [--name NAME] [--set key=value]... [--security plaintext|secured]
#                  [--nodes N] [--proxied-listener HOST:PORT]
#       Installs if needed, then starts instance NAME (default "default") on free 127.0.0.1
#       ports with a fresh, empty data directory $KB_RUN_DIR/kafka-NAME/ (any data left by an
#       earlier, stopped run of NAME is wiped). Waits until the broker answers Kafka metadata
#       requests (via kcat/librdkafka when installed, else a Java admin call), then prints exactly
#       one line on stdout, the bootstrap address 127.0.0.1:PORT, and writes
#       $KB_RUN_DIR/kafka-NAME/env with
#         KB_TEST_KAFKA_BOOTSTRAP=127.0.0.1:PORT
#         KB_KAFKA_LIBS=<dir of jars>   (java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.…)
#       --set key=value (repeatable) appends broker properties (last one wins; every node).
#       If NAME is already running this fails (exit 1): stop it first.
#       --proxied-listener HOST:PORT adds a second PLAINTEXT listener, PROXIED, on a free port
#       that advertises HOST:PORT: clients that bootstrap through a TCP proxy listening on
#       HOST:PORT (toxiproxy, test/services/faults.sh) keep going through it, while clients of
#       the main listener reach the broker directly. The env file then also has
#         KB_TEST_KAFKA_PROXIED_UPSTREAM=127.0.0.1:PORT (the listener the proxy forwards to)
#       (single node only).
#       --security secured adds, next to the PLAINTEXT listener (kept for the test harness), a
#       SASL_SSL listener (SCRAM-SHA-512 and SCRAM-SHA-256; users created at format time with
#       `kafka-storage format --add-scram`, passwords generated per instance) and a mutual-TLS
#       listener MTLS (SSL, ssl.client.auth=required). A throw-away CA, the broker certificate
#       (SAN IP:127.0.0.1, DNS:localhost) and client certificates are made with openssl in
#       $KB_RUN_DIR/kafka-NAME/tls/. The KRaft authorizer (StandardAuthorizer) is on, with
#       allow.everyone.if.no.acl.found=false; super users: User:ANONYMOUS (the PLAINTEXT and
#       CONTROLLER listeners: the harness, inter-broker and controller traffic), kb-admin,
#       kb-backup, kb-backup256 and the mTLS client principal, so all of these may do anything.
#       Two more SCRAM users (both mechanisms) start with no ACL at all, for least-privilege
#       tests: kb-backup-min and kb-restore-min (grant their ACLs through the PLAINTEXT listener,
#       e.g. with org.apache.kafka.tools.AclCommand or the Admin API).
#       (`--security sasl_ssl`, the name this option was reserved under, means the same.)
#       The env file then also has (all paths are PEM files):
#         KB_TEST_KAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:PORT[,…]   SASL_SSL listener(s)
#         KB_TEST_KAFKA_MTLS_BOOTSTRAP=127.0.0.1:PORT[,…]       SSL listener(s), client cert required
#         KB_TEST_KAFKA_CA=…/ca.pem                   the CA that signed the broker and client certs
#         KB_TEST_KAFKA_SCRAM_MECHANISM=SCRAM-SHA-512
#         KB_TEST_KAFKA_SCRAM_USER=kb-backup          KB_TEST_KAFKA_SCRAM_PASSWORD=…   (SCRAM-SHA-512 only)
#         KB_TEST_KAFKA_SCRAM_256_USER=kb-backup256   KB_TEST_KAFKA_SCRAM_256_PASSWORD=… (SCRAM-SHA-256 only)
#         KB_TEST_KAFKA_SCRAM_ADMIN_USER=kb-admin     KB_TEST_KAFKA_SCRAM_ADMIN_PASSWORD=… (both)
#         KB_TEST_KAFKA_BACKUP_MIN_USER=kb-backup-min   KB_TEST_KAFKA_BACKUP_MIN_PASSWORD=…  (both;
#         KB_TEST_KAFKA_RESTORE_MIN_USER=kb-restore-min KB_TEST_KAFKA_RESTORE_MIN_PASSWORD=… no ACLs)
#         KB_TEST_KAFKA_CLIENT_CERT=…/client.pem      KB_TEST_KAFKA_CLIENT_KEY=…/client.key
#         KB_TEST_KAFKA_CLIENT_KEY_ENCRYPTED=…/client-encrypted.key (the same key, PKCS#8, AES-256)
#         KB_TEST_KAFKA_CLIENT_KEY_PASSWORD=…         (password of the encrypted key)
#         KB_TEST_KAFKA_CLIENT_PRINCIPAL=CN=kb-client,O=kafka-backup-tests   (mTLS principal)
#         KB_TEST_KAFKA_EXPIRED_CLIENT_CERT=…  KB_TEST_KAFKA_EXPIRED_CLIENT_KEY=…  (CA-signed, expired
#                                                     2020-01-02: the broker rejects the handshake)
#         KB_TEST_KAFKA_OTHER_CA=…/other-ca.pem       a CA that signed neither the broker's nor
#                                                     the client's certificate (as ssl.ca.location:
#                                                     the client cannot verify the broker)
#         KB_TEST_KAFKA_OTHER_CA_CLIENT_CERT=…  KB_TEST_KAFKA_OTHER_CA_CLIENT_KEY=…  (a client
#                                                     certificate signed by that other CA)
#       librdkafka client settings: security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512,
#       sasl.username/sasl.password, ssl.ca.location=$KB_TEST_KAFKA_CA; or security.protocol=SSL,
#       ssl.ca.location, ssl.certificate.location, ssl.key.location[, ssl.key.password].
#       --nodes N (1..9, default 1) starts a cluster of N combined broker+controller nodes, node
#       ids 1..N, one KRaft controller quorum of all N (formatted with --initial-controllers),
#       default.replication.factor=N, min.insync.replicas=2 (1 when N<3), offsets and transaction
#       topics with replication factor N. Each node has its own ports and directory
#       $KB_RUN_DIR/kafka-NAME/node-K/; the env file lists all nodes, comma-separated, in
#       KB_TEST_KAFKA_BOOTSTRAP (and the _SASL_SSL_/_MTLS_ variables), and also has
#         KB_TEST_KAFKA_NODES=N   KB_TEST_KAFKA_NODE_<K>=127.0.0.1:PORT (PLAINTEXT of node K)
#       Ready = a metadata request lists all N brokers. Combines with --security secured and
#       --set. Heap per node defaults to "-Xmx384m -Xms192m" when N>1. Kafka's default broker
#       session timeout (9 s) applies: after `kill --node K` the partitions K led get new
#       leaders ~9-11 s later. test/services/kafka_secured_smoke.sh exercises all of this.
#   kafka.sh kill [--name NAME] [--node K]
#       SIGKILL (no controlled shutdown), keeping data, ports and env: `restart` brings it back.
#       On a cluster: node K only, or every node without --node.
#   kafka.sh restart [--name NAME] [--node K]
#       Starts a stopped or killed instance again on its data directory and its ports (fails if
#       it runs); waits until it answers, like start. On a cluster: node K (fails if it runs;
#       ready when its own listener lists it as broker K), or without --node every node that is
#       not running (ready when all N brokers are listed).
#   kafka.sh stop [--name NAME] [--node K]
#       SIGTERM (controlled shutdown), SIGKILL after a grace period; checks that the JVM is gone
#       and the ports are free; removes the pid and env files (logs are kept for post-mortem).
#       Stopping an instance that is not running is not an error. On a cluster, --node K stops
#       node K only and keeps the env file (`restart --node K` brings it back); without --node
#       all nodes get SIGTERM at once.
#   kafka.sh status [--name NAME] [--node K]
#       Exit 0 if NAME (on a cluster: every node, or node K) is running (prints its bootstrap
#       address), 1 otherwise.
#   kafka.sh kcat ARGS...
#       Runs kcat on the librdkafka the product builds with (scripts/librdkafka.pin, from
#       $KB_CACHE_DIR, made a shared library once). Use it for SCRAM: the system kcat's
#       librdkafka 2.0.2 cannot log in with SCRAM to Kafka 4 (librdkafka < 2.6.1, see
#       kcat_lib_dir). Falls back to the plain kcat, with a warning, when that library is missing.
#
# Files of an instance ($KB_RUN_DIR/kafka-NAME/; on a cluster per node in node-K/):
# server.properties, data/ (log.dirs and KRaft metadata), server.log (broker log4j2 log),
# kafka.out (JVM stdout/stderr), pid, ports; and env, tls/ (secured), nodes (cluster).
#
# Environment knobs: KB_KAFKA_VERSION (override the pom's version), KB_KAFKA_HEAP_OPTS
# (default "-Xmx512m -Xms256m", per node), KB_KAFKA_JVM_OPTS (extra broker JVM flags),
# KB_KAFKA_START_TIMEOUT (seconds, default 90; 180 for a cluster). Needs java 17+, mvn (install
# only), python3, openssl (secured); kcat is used for the readiness check when installed (and
# gcc + pkg-config + the cached static librdkafka for `kafka.sh kcat` and the secured self-check).
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
NODES=        # --nodes (start); for other commands read from the instance's `nodes` file
NODE=         # --node K (stop, kill, restart, status)

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
      --nodes) [[ $# -ge 2 ]] || kb_die "--nodes needs a number"; NODES=$2; shift 2 ;;
      --nodes=*) NODES=${1#--nodes=}; shift ;;
      --node) [[ $# -ge 2 ]] || kb_die "--node needs a number"; NODE=$2; shift 2 ;;
      --node=*) NODE=${1#--node=}; shift ;;
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
  [[ -z "$NODES" || "$NODES" =~ ^[1-9]$ ]] || kb_die "--nodes expects 1..9, got '$NODES'"
  [[ -z "$NODE" || "$NODE" =~ ^[1-9]$ ]] || kb_die "--node expects a node number, got '$NODE'"
  INST_DIR="$KB_RUN_DIR/kafka-$NAME"
  TLS_DIR="$INST_DIR/tls"
}

# The instance's node count: 1 for a single node (the layout of old: everything in INST_DIR),
# N for a cluster (INST_DIR/nodes holds N, node K lives in INST_DIR/node-K).
instance_nodes() {
  if [[ -f "$INST_DIR/nodes" ]]; then cat "$INST_DIR/nodes"; else echo 1; fi
}

# node_dir K: the directory of node K of a cluster of $NODES nodes (INST_DIR for a single node).
node_dir() {
  if ((NODES == 1)); then echo "$INST_DIR"; else echo "$INST_DIR/node-$1"; fi
}

# Selects node K: sets NODE_DIR and PID_FILE, which the functions below work on.
select_node() {
  NODE_ID=$1
  NODE_DIR=$(node_dir "$1")
  PID_FILE="$NODE_DIR/pid"
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

# stop_pids GRACE_SECONDS PID...: SIGTERM to all (Kafka then does a controlled shutdown), SIGKILL
# to those left after GRACE_SECONDS; fails if any still runs after that.
stop_pids() {
  local grace=$1 pid i left
  shift
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < grace * 10; i++)); do
    left=0
    for pid in "$@"; do pid_alive "$pid" && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for pid in "$@"; do
    if pid_alive "$pid"; then
      kb_log "pid $pid did not stop in ${grace}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "$@"; do
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    ! pid_alive "$pid" || return 1
  done
}

# True when the selected node's pid file names a live JVM running this node's broker (guards
# against a stale pid file whose pid has been reused by another process).
node_running() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $NODE_DIR/server.properties"
}

# True when any node of instance NAME runs, whatever its layout (single node or cluster).
any_node_running() {
  local d
  for d in "$INST_DIR" "$INST_DIR"/node-*; do
    [[ -d "$d" ]] || continue
    NODE_DIR=$d PID_FILE=$d/pid
    if node_running; then return 0; fi
  done
  return 1
}

# pick_ports N: prints N distinct free loopback ports, one per line.
pick_ports() {
  local want=$1 p
  local -A seen=()
  local out=()
  while ((${#out[@]} < want)); do
    p=$(kb_free_port)
    [[ -z "${seen[$p]:-}" ]] || continue
    seen[$p]=1
    out+=("$p")
  done
  printf '%s\n' "${out[@]}"
}

# Prints a new Kafka Uuid exactly as `kafka.tools.StorageTool random-uuid` would (Kafka's
# Uuid.randomUuid: a random v4 UUID, URL-safe base64 without padding, never starting with '-'),
# without paying ~1.5 s for one more JVM per start. Used for cluster and directory ids.
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

# ---------------------------------------------------------------------------------------- kcat

# kcat that can log in with SCRAM to Kafka 4.x. The system kcat links Debian bookworm's
# librdkafka 2.0.2, whose SCRAM client-final-message Kafka 4 rejects (librdkafka before 2.6.1 puts
# the client nonce in twice; confluentinc/librdkafka#4895): every SCRAM login fails with
# "invalid credentials" while the Java client, with the same password, gets in. So kcat runs on
# the librdkafka the product is built with (scripts/build-librdkafka.sh keeps only its static
# library), turned once into a shared library in $KB_CACHE_DIR/kcat-librdkafka-<version>/ (kcat
# uses librdkafka's stable C ABI). Prints that directory; fails if it cannot be had (no static
# librdkafka in the cache, no gcc or pkg-config).
kcat_lib_dir() {
  local version=${KB_LIBRDKAFKA_VERSION:-} archive out
  if [[ -z "$version" && -f "$KB_REPO_ROOT/scripts/librdkafka.pin" ]]; then
    version=$(sed -n 's/^version=//p' "$KB_REPO_ROOT/scripts/librdkafka.pin")
  fi
  [[ -n "$version" ]] || return 1
  archive="$KB_CACHE_DIR/librdkafka-$version/lib/librdkafka.a"
  out="$KB_CACHE_DIR/kcat-librdkafka-$version"
  [[ -f "$archive" ]] || return 1
  if [[ ! -f "$out/librdkafka.so.1" || "$out/librdkafka.so.1" -ot "$archive" ]]; then
    command -v gcc >/dev/null && command -v pkg-config >/dev/null || return 1
    mkdir -p "$out"
    (
      flock 8
      [[ -f "$out/librdkafka.so.1" && ! "$out/librdkafka.so.1" -ot "$archive" ]] && exit 0
      # shellcheck disable=SC2046
      gcc -shared -o "$out/librdkafka.so.1.tmp" -Wl,-soname,librdkafka.so.1 \
        -Wl,--whole-archive "$archive" -Wl,--no-whole-archive \
        $(pkg-config --libs zlib libcrypto libssl libsasl2 libzstd liblz4) -lm -ldl -lpthread -lrt &&
        mv "$out/librdkafka.so.1.tmp" "$out/librdkafka.so.1"
    ) 8>"$out/.lock" >&2 || return 1
  fi
  echo "$out"
}

# kb_kcat ARGS...: kcat on librdkafka $version when kcat_lib_dir works, else the system kcat.
kb_kcat() {
  local dir
  if dir=$(kcat_lib_dir); then
    LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" command kcat "$@"
  else
    kb_log "warning: no librdkafka >= 2.6.1 for kcat; the system kcat cannot log in with SCRAM to Kafka 4"
    command kcat "$@"
  fi
}

# ------------------------------------------------------------------------------ TLS and SASL

SCRAM_ADMIN_USER=kb-admin       # SCRAM-SHA-512 and SCRAM-SHA-256
SCRAM_USER=kb-backup            # SCRAM-SHA-512 only
SCRAM_256_USER=kb-backup256     # SCRAM-SHA-256 only
BACKUP_MIN_USER=kb-backup-min   # both; not a super user, no ACLs at start
RESTORE_MIN_USER=kb-restore-min # both; not a super user, no ACLs at start
CLIENT_SUBJECT="/O=kafka-backup-tests/CN=kb-client"
CLIENT_PRINCIPAL="CN=kb-client,O=kafka-backup-tests"

# make_tls DIR: a throw-away CA; the broker's certificate (SAN IP:127.0.0.1, DNS:localhost) and
# key in one PEM file for ssl.keystore.location; a client certificate and key (also encrypted
# with a password); an expired client certificate; another CA and a client certificate signed by
# it; the SCRAM passwords. All valid for 7 days, RSA 2048, SHA-256.
make_tls() {
  local dir=$1
  command -v openssl >/dev/null || { kb_log "error: openssl not found (needed for --security secured)"; return 1; }
  mkdir -p "$dir"
  (
    set -e
    cd "$dir"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 7 -sha256 \
      -subj "/O=kafka-backup-tests/CN=test CA of $NAME" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 7 -sha256 \
      -subj "/O=kafka-backup-tests/CN=other test CA of $NAME" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

    # Broker: key + certificate (+ CA) in one file, as Kafka's PEM keystore reads it.
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr \
      -subj "/O=kafka-backup-tests/CN=localhost" 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth,clientAuth" >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.pem \
      -days 7 -sha256 -extfile broker.ext 2>/dev/null
    cat broker.key broker.pem ca.pem >broker-keystore.pem

    # Client: certificate signed by the CA; the same key encrypted (PKCS#8, AES-256).
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
      -subj "$CLIENT_SUBJECT" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem \
      -days 7 -sha256 -extfile client.ext 2>/dev/null
    openssl rand -hex 12 >client-key.password
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in client.key -out client-encrypted.key \
      -passout "file:client-key.password"

    # Expired client certificate (same key), signed by the CA: `openssl ca` sets past dates.
    mkdir -p expired-ca.db
    : >expired-ca.db/index.txt
    cat >expired-ca.cnf <<CNF
[ca]
default_ca = expired
[expired]
database = $dir/expired-ca.db/index.txt
new_certs_dir = $dir/expired-ca.db
certificate = $dir/ca.pem
private_key = $dir/ca.key
rand_serial = yes
default_md = sha256
policy = any
unique_subject = no
[any]
organizationName = optional
commonName = supplied
CNF
    openssl ca -batch -config expired-ca.cnf -in client.csr -out client-expired.pem -notext \
      -startdate 20200101000000Z -enddate 20200102000000Z -extfile client.ext 2>/dev/null

    # A client certificate signed by the other CA (same key).
    openssl x509 -req -in client.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial \
      -out other-ca-client.pem -days 7 -sha256 -extfile client.ext 2>/dev/null

    openssl rand -hex 16 >scram-admin.password
    openssl rand -hex 16 >scram.password
    openssl rand -hex 16 >scram-256.password
    openssl rand -hex 16 >scram-backup-min.password
    openssl rand -hex 16 >scram-restore-min.password
    chmod 644 ./*.pem   # certificates are public; keys and passwords stay 0600
    rm -f ./*.csr ./*.srl
  ) || { kb_log "error: openssl failed to make the test certificates in $dir"; return 1; }
}

# Arguments for StorageTool format that create the SCRAM users.
scram_format_args() {
  local admin pw pw256 backup_min restore_min
  admin=$(cat "$TLS_DIR/scram-admin.password")
  pw=$(cat "$TLS_DIR/scram.password")
  pw256=$(cat "$TLS_DIR/scram-256.password")
  backup_min=$(cat "$TLS_DIR/scram-backup-min.password")
  restore_min=$(cat "$TLS_DIR/scram-restore-min.password")
  # Values in double quotes: unquoted, the parser takes them as JSON-ish tokens (a password
  # of hex digits would not survive).
  printf '%s\n' --add-scram "SCRAM-SHA-512=[name=\"$SCRAM_ADMIN_USER\",password=\"$admin\"]" \
    --add-scram "SCRAM-SHA-256=[name=\"$SCRAM_ADMIN_USER\",password=\"$admin\"]" \
    --add-scram "SCRAM-SHA-512=[name=\"$SCRAM_USER\",password=\"$pw\"]" \
    --add-scram "SCRAM-SHA-256=[name=\"$SCRAM_256_USER\",password=\"$pw256\"]" \
    --add-scram "SCRAM-SHA-512=[name=\"$BACKUP_MIN_USER\",password=\"$backup_min\"]" \
    --add-scram "SCRAM-SHA-256=[name=\"$BACKUP_MIN_USER\",password=\"$backup_min\"]" \
    --add-scram "SCRAM-SHA-512=[name=\"$RESTORE_MIN_USER\",password=\"$restore_min\"]" \
    --add-scram "SCRAM-SHA-256=[name=\"$RESTORE_MIN_USER\",password=\"$restore_min\"]"
}

# Prints the env lines of a secured instance; $1, $2: comma-separated SASL_SSL and MTLS lists.
secured_env() {
  cat <<ENV
KB_TEST_KAFKA_SASL_SSL_BOOTSTRAP=$1
KB_TEST_KAFKA_MTLS_BOOTSTRAP=$2
KB_TEST_KAFKA_CA=$TLS_DIR/ca.pem
KB_TEST_KAFKA_SCRAM_MECHANISM=SCRAM-SHA-512
KB_TEST_KAFKA_SCRAM_USER=$SCRAM_USER
KB_TEST_KAFKA_SCRAM_PASSWORD=$(cat "$TLS_DIR/scram.password")
KB_TEST_KAFKA_SCRAM_256_USER=$SCRAM_256_USER
KB_TEST_KAFKA_SCRAM_256_PASSWORD=$(cat "$TLS_DIR/scram-256.password")
KB_TEST_KAFKA_SCRAM_ADMIN_USER=$SCRAM_ADMIN_USER
KB_TEST_KAFKA_SCRAM_ADMIN_PASSWORD=$(cat "$TLS_DIR/scram-admin.password")
KB_TEST_KAFKA_BACKUP_MIN_USER=$BACKUP_MIN_USER
KB_TEST_KAFKA_BACKUP_MIN_PASSWORD=$(cat "$TLS_DIR/scram-backup-min.password")
KB_TEST_KAFKA_RESTORE_MIN_USER=$RESTORE_MIN_USER
KB_TEST_KAFKA_RESTORE_MIN_PASSWORD=$(cat "$TLS_DIR/scram-restore-min.password")
KB_TEST_KAFKA_CLIENT_CERT=$TLS_DIR/client.pem
KB_TEST_KAFKA_CLIENT_KEY=$TLS_DIR/client.key
KB_TEST_KAFKA_CLIENT_KEY_ENCRYPTED=$TLS_DIR/client-encrypted.key
KB_TEST_KAFKA_CLIENT_KEY_PASSWORD=$(cat "$TLS_DIR/client-key.password")
KB_TEST_KAFKA_CLIENT_PRINCIPAL=$CLIENT_PRINCIPAL
KB_TEST_KAFKA_EXPIRED_CLIENT_CERT=$TLS_DIR/client-expired.pem
KB_TEST_KAFKA_EXPIRED_CLIENT_KEY=$TLS_DIR/client.key
KB_TEST_KAFKA_OTHER_CA=$TLS_DIR/other-ca.pem
KB_TEST_KAFKA_OTHER_CA_CLIENT_CERT=$TLS_DIR/other-ca-client.pem
KB_TEST_KAFKA_OTHER_CA_CLIENT_KEY=$TLS_DIR/client.key
ENV
}

# ------------------------------------------------------------------------------- configuration

# The ports of the selected node are in its `ports` file, one line of NAME=PORT words: broker
# (PLAINTEXT), controller, and when present proxied, sasl_ssl, mtls. (A file of bare numbers,
# "BROKER CONTROLLER [PROXIED]", from an instance started by an older kafka.sh, is read too.)
node_port() {   # node_port NAME: prints the port NAME, fails if the node has none
  local w words i=0
  read -r -a words <"$NODE_DIR/ports"
  for w in "${words[@]}"; do
    if [[ "$w" == *=* ]]; then
      [[ "${w%%=*}" == "$1" ]] && { echo "${w#*=}"; return 0; }
    else
      local legacy=(broker controller proxied)
      [[ "${legacy[i]:-}" == "$1" ]] && { echo "$w"; return 0; }
      i=$((i + 1))
    fi
  done
  return 1
}
node_all_ports() { local w; for w in $(cat "$NODE_DIR/ports"); do echo "${w#*=}"; done; }  # all of them

# write_server_properties: server.properties of the selected node, from its ports file and
# QUORUM_BOOTSTRAP (the controller addresses of all nodes).
write_server_properties() {
  local file="$NODE_DIR/server.properties" broker_port controller_port proxied_port sasl_port mtls_port
  broker_port=$(node_port broker)
  controller_port=$(node_port controller)
  proxied_port=$(node_port proxied || true)
  local listeners=("PLAINTEXT://127.0.0.1:$broker_port" "CONTROLLER://127.0.0.1:$controller_port")
  local protocol_map=("PLAINTEXT:PLAINTEXT" "CONTROLLER:PLAINTEXT")
  local advertised=("PLAINTEXT://127.0.0.1:$broker_port")
  if [[ -n "$proxied_port" ]]; then
    listeners+=("PROXIED://127.0.0.1:$proxied_port")
    protocol_map+=("PROXIED:PLAINTEXT")
    advertised+=("PROXIED://$PROXIED")
  fi
  if [[ "$SECURITY" == secured ]]; then
    sasl_port=$(node_port sasl_ssl)
    mtls_port=$(node_port mtls)
    listeners+=("SASL_SSL://127.0.0.1:$sasl_port" "MTLS://127.0.0.1:$mtls_port")
    protocol_map+=("SASL_SSL:SASL_SSL" "MTLS:SSL")
    advertised+=("SASL_SSL://127.0.0.1:$sasl_port" "MTLS://127.0.0.1:$mtls_port")
  fi
  local rf=$NODES min_isr=1
  ((NODES >= 3)) && min_isr=2
  local IFS=,
  cat >"$file" <<EOF
# Generated by test/services/kafka.sh for instance '$NAME' (Kafka $KAFKA_VERSION). Do not edit.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.bootstrap.servers=$QUORUM_BOOTSTRAP
controller.listener.names=CONTROLLER
listeners=${listeners[*]}
advertised.listeners=${advertised[*]}
listener.security.protocol.map=${protocol_map[*]}
inter.broker.listener.name=PLAINTEXT

log.dirs=$NODE_DIR/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
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
num.replica.fetchers=1
EOF
  if [[ "$SECURITY" == secured ]]; then
    cat >>"$file" <<EOF

# --security secured: SASL_SSL (SCRAM) and MTLS (SSL, client certificate required) listeners.
# PEM files made by make_tls; the same broker certificate on both listeners.
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.mtls.ssl.client.auth=required

# The KRaft authorizer. Super users: ANONYMOUS (PLAINTEXT and CONTROLLER listeners: the harness,
# inter-broker and controller traffic), the existing test users and the mTLS client; the
# *-min users get only the ACLs a test grants them. No ACL found = denied.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS;User:$SCRAM_ADMIN_USER;User:$SCRAM_USER;User:$SCRAM_256_USER;User:$CLIENT_PRINCIPAL
EOF
  fi
  if ((${#EXTRA_PROPS[@]})); then
    printf '\n# --set\n' >>"$file"
    printf '%s\n' "${EXTRA_PROPS[@]}" >>"$file"
  fi
}

# ----------------------------------------------------------------------------------- readiness

# kcat_brokers BOOTSTRAP: prints the "broker K at HOST:PORT" lines of a metadata request.
kcat_brokers() {
  kcat -b "$1" -L -m 2 2>/dev/null | grep -oE 'broker [0-9]+ at [^ ]+' || true
}

# broker_ready: the selected node answers a metadata request on its PLAINTEXT listener listing
# itself, and, when WANT_BROKERS is set, listing that many brokers.
broker_ready() {
  local boot="127.0.0.1:$(node_port broker)" out
  if command -v kcat >/dev/null; then
    out=$(kcat_brokers "$boot")
    grep -qx "broker $NODE_ID at $boot" <<<"$out" || return 1
    [[ -z "${WANT_BROKERS:-}" ]] || (($(grep -c . <<<"$out") >= WANT_BROKERS))
  elif [[ -z "${WANT_BROKERS:-}" || "$WANT_BROKERS" == 1 ]]; then
    java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$boot" --list >/dev/null 2>&1
  else
    out=$(java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.BrokerApiVersionsCommand \
      --bootstrap-server "$boot" 2>/dev/null | grep -c '(id: [0-9]* rack' || true)
    ((out >= WANT_BROKERS))
  fi
}

show_broker_logs() {
  local f
  for f in "$NODE_DIR/kafka.out" "$NODE_DIR/server.log"; do
    [[ -s "$f" ]] || continue
    echo "----- tail of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

# spawn_jvm: starts the selected node's broker JVM in the background (no waiting); writes its pid.
spawn_jvm() {
  local pid i
  # setsid: own session, so a Ctrl-C of the caller's process group does not hit the broker, and
  # (the shell's background child not being a group leader) setsid execs java in place, so $!
  # is the JVM's pid. All fds are redirected so that $(kafka.sh start) does not wait for the JVM.
  # JVM flags as Kafka's own kafka-run-class.sh uses them, plus KB_KAFKA_JVM_OPTS.
  # shellcheck disable=SC2086
  setsid java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true ${KB_KAFKA_JVM_OPTS:-} \
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$NODE_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$NODE_DIR/server.properties" \
    </dev/null >>"$NODE_DIR/kafka.out" 2>&1 &
  pid=$!
  disown "$pid" 2>/dev/null || true   # no "Killed" notice from this shell when it is killed
  echo "$pid" >"$PID_FILE"
  for ((i = 0; i < 40; i++)); do   # let setsid exec java
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == setsid ]] || break
    sleep 0.05
  done
}

# wait_ready READY_NODE K...: waits until every node K has a live JVM with a bound PLAINTEXT
# port and READY_NODE's broker_ready holds (WANT_BROKERS as set by the caller). Returns 0 when
# ready, 3 when a node could not bind its ports (a race with another process; the caller
# retries), 1 on any other failure (the failed node's logs are shown; the JVMs are left running).
wait_ready() {
  local ready_node=$1 k pid
  shift
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    local bound=1
    for k in "$@"; do
      select_node "$k"
      pid=$(cat "$PID_FILE" 2>/dev/null || true)
      if [[ -z "$pid" ]] || ! pid_alive "$pid"; then
        rm -f "$PID_FILE"
        if grep -qs "Address already in use" "$NODE_DIR/kafka.out" "$NODE_DIR/server.log"; then
          return 3
        fi
        show_broker_logs
        kb_log "error: Kafka '$NAME'$( ((NODES == 1)) || echo " node $k") exited during startup"
        return 1
      fi
      kb_port_free "$(node_port broker)" && bound=0
    done
    select_node "$ready_node"
    if ((bound)) && broker_ready; then return 0; fi
    sleep 0.3
  done
  for k in "$@"; do select_node "$k"; show_broker_logs; done
  kb_log "error: Kafka '$NAME' not ready within ${START_TIMEOUT}s"
  return 1
}

# kill_nodes K...: SIGKILL the given nodes (those running) and wait until they are gone.
kill_nodes() {
  local k pids=()
  for k in "$@"; do
    select_node "$k"
    if node_running; then pids+=("$(cat "$PID_FILE")"); kill -KILL "${pids[-1]}" 2>/dev/null || true; fi
    rm -f "$PID_FILE"
  done
  ((${#pids[@]})) || return 0
  stop_pids 10 "${pids[@]}"
}

# ------------------------------------------------------------------------------------- start

# format_node K: formats node K's storage (the caller may run it in the background).
format_node() {
  select_node "$1"
  # Short-lived tool JVM: C1 only and serial GC start about twice as fast on 2 cores.
  local java_tool=(java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$KAFKA_LIBS/*"
                   -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$NODE_DIR")
  local quorum=(--standalone) extra=()
  ((NODES == 1)) || quorum=(--initial-controllers "$INITIAL_CONTROLLERS")
  if [[ "$SECURITY" == secured ]]; then mapfile -t extra < <(scram_format_args); fi
  "${java_tool[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" \
    -c "$NODE_DIR/server.properties" "${quorum[@]}" ${extra[@]+"${extra[@]}"} \
    >>"$NODE_DIR/kafka.out" 2>&1
}

# launch_once: fresh directories, ports, configs, format, start every node, wait until ready.
# Returns 0 when ready, 3 on a port race (the caller retries), 1 on any other failure. On
# failure the JVMs it started are killed.
launch_once() {
  local k ports=() per_node=2 i=0
  [[ -z "$PROXIED" ]] || per_node=$((per_node + 1))
  [[ "$SECURITY" != secured ]] || per_node=$((per_node + 2))
  # Everything but tls/ (made once per start) is fresh for each attempt.
  find "$INST_DIR" -mindepth 1 -maxdepth 1 ! -name tls -exec rm -rf {} +
  mapfile -t ports < <(pick_ports $((NODES * per_node)))
  CLUSTER_ID=$(new_cluster_id) || { kb_log "error: could not generate a cluster id"; return 1; }
  local voters=() quorum=()
  for ((k = 1; k <= NODES; k++)); do
    select_node "$k"
    mkdir -p "$NODE_DIR/data"
    local words=("broker=${ports[i]}" "controller=${ports[i + 1]}")
    i=$((i + 2))
    if [[ -n "$PROXIED" ]]; then words+=("proxied=${ports[i]}"); i=$((i + 1)); fi
    if [[ "$SECURITY" == secured ]]; then
      words+=("sasl_ssl=${ports[i]}" "mtls=${ports[i + 1]}"); i=$((i + 2))
    fi
    echo "${words[*]}" >"$NODE_DIR/ports"
    quorum+=("127.0.0.1:$(node_port controller)")
    voters+=("$k@127.0.0.1:$(node_port controller):$(new_cluster_id)")
  done
  QUORUM_BOOTSTRAP=$(IFS=,; echo "${quorum[*]}")
  INITIAL_CONTROLLERS=$(IFS=,; echo "${voters[*]}")
  ((NODES == 1)) || echo "$NODES" >"$INST_DIR/nodes"

  local pids=() failed=0
  for ((k = 1; k <= NODES; k++)); do
    select_node "$k"
    write_server_properties
    format_node "$k" &
    pids+=($!)
  done
  for ((k = 1; k <= NODES; k++)); do
    if ! wait "${pids[k - 1]}"; then
      select_node "$k"; show_broker_logs
      kb_log "error: formatting the storage of '$NAME'$( ((NODES == 1)) || echo " node $k") failed"
      failed=1
    fi
  done
  ((failed == 0)) || return 1

  for ((k = 1; k <= NODES; k++)); do select_node "$k"; spawn_jvm; done
  local rc=0
  # shellcheck disable=SC2046
  WANT_BROKERS=$NODES wait_ready 1 $(seq 1 "$NODES") || rc=$?
  if ((rc != 0)); then
    # shellcheck disable=SC2046
    kill_nodes $(seq 1 "$NODES") || true
  fi
  return $rc
}

# join_addresses PORTNAME: "127.0.0.1:PORT" of that port of every node, comma-separated.
join_addresses() {
  local k out=()
  for ((k = 1; k <= NODES; k++)); do select_node "$k"; out+=("127.0.0.1:$(node_port "$1")"); done
  (IFS=,; echo "${out[*]}")
}

# Self-check of a secured instance (with kcat; skipped without it): SCRAM-SHA-512 over SASL_SSL
# and a client certificate over MTLS both get metadata.
secured_self_check() {
  command -v kcat >/dev/null || return 0
  if ! kcat_lib_dir >/dev/null; then
    kb_log "warning: no librdkafka >= 2.6.1 for kcat (see kcat_lib_dir); secured listeners not self-checked"
    return 0
  fi
  kcat() { kb_kcat "$@"; }
  (
    set -a
    # shellcheck disable=SC1091
    . "$INST_DIR/env.tmp"
    set +a
    kcat -b "$KB_TEST_KAFKA_SASL_SSL_BOOTSTRAP" -L -m 10 -X security.protocol=SASL_SSL \
      -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username="$KB_TEST_KAFKA_SCRAM_USER" \
      -X sasl.password="$KB_TEST_KAFKA_SCRAM_PASSWORD" -X ssl.ca.location="$KB_TEST_KAFKA_CA" \
      >/dev/null 2>&1 || { kb_log "SELF-CHECK FAILED: SCRAM-SHA-512 over SASL_SSL"; exit 1; }
    kcat -b "$KB_TEST_KAFKA_MTLS_BOOTSTRAP" -L -m 10 -X security.protocol=SSL \
      -X ssl.ca.location="$KB_TEST_KAFKA_CA" -X ssl.certificate.location="$KB_TEST_KAFKA_CLIENT_CERT" \
      -X ssl.key.location="$KB_TEST_KAFKA_CLIENT_KEY" \
      >/dev/null 2>&1 || { kb_log "SELF-CHECK FAILED: client certificate over MTLS"; exit 1; }
  )
}

cmd_start() {
  parse_instance_args "$@"
  [[ -z "$NODE" ]] || kb_die "start takes no --node (use --nodes N for a cluster)"
  case "$SECURITY" in
    plaintext|secured) ;;
    sasl_ssl) SECURITY=secured ;;   # the name this option was reserved under
    *) kb_die "unknown --security '$SECURITY' (plaintext or secured)" ;;
  esac
  NODES=${NODES:-1}
  [[ -z "$PROXIED" || "$NODES" == 1 ]] || kb_die "--proxied-listener works with a single node only"
  if ((NODES > 1)); then
    HEAP_OPTS="${KB_KAFKA_HEAP_OPTS:--Xmx384m -Xms192m}"
    START_TIMEOUT="${KB_KAFKA_START_TIMEOUT:-180}"
  fi
  if any_node_running; then
    kb_die "Kafka instance '$NAME' is already running; stop it first: $0 stop --name $NAME"
  fi
  cmd_install
  command -v kcat >/dev/null || kb_log "kcat not found; checking readiness with a Java admin call"

  local t0=$SECONDS
  rm -rf "$INST_DIR"
  mkdir -p "$INST_DIR"
  if [[ "$SECURITY" == secured ]]; then make_tls "$TLS_DIR" || exit 1; fi

  local attempt rc
  for attempt in 1 2 3; do
    rc=0
    launch_once || rc=$?
    case $rc in
      0) break ;;
      3) kb_log "ports were taken meanwhile; retrying ($attempt/3)" ;;
      *) exit 1 ;;
    esac
  done
  ((rc == 0)) || kb_die "could not bind free ports for Kafka '$NAME'"

  local boot k
  boot=$(join_addresses broker)
  {
    echo "KB_TEST_KAFKA_BOOTSTRAP=$boot"
    echo "KB_KAFKA_LIBS=$KAFKA_LIBS"
    select_node 1
    if node_port proxied >/dev/null; then
      echo "KB_TEST_KAFKA_PROXIED_UPSTREAM=127.0.0.1:$(node_port proxied)"
    fi
    if ((NODES > 1)); then
      echo "KB_TEST_KAFKA_NODES=$NODES"
      for ((k = 1; k <= NODES; k++)); do
        select_node "$k"; echo "KB_TEST_KAFKA_NODE_$k=127.0.0.1:$(node_port broker)"
      done
    fi
    if [[ "$SECURITY" == secured ]]; then
      secured_env "$(join_addresses sasl_ssl)" "$(join_addresses mtls)"
    fi
  } >"$INST_DIR/env.tmp"
  if [[ "$SECURITY" == secured ]] && ! secured_self_check; then
    # shellcheck disable=SC2046
    kill_nodes $(seq 1 "$NODES") || true
    kb_die "Kafka '$NAME' started but its secured listeners do not work (logs in $INST_DIR)"
  fi
  mv "$INST_DIR/env.tmp" "$INST_DIR/env"
  local what="Kafka $KAFKA_VERSION '$NAME'"
  ((NODES == 1)) || what+=" ($NODES nodes)"
  [[ "$SECURITY" == plaintext ]] || what+=" ($SECURITY)"
  select_node 1
  kb_log "$what ready at $boot in $((SECONDS - t0))s (pid $(cat "$PID_FILE")$( ((NODES == 1)) || echo " …"), dir $INST_DIR)"
  echo "$boot"
}

# ------------------------------------------------------------------------ stop, kill, restart

# Reads the instance's layout: sets NODES, SECURITY and TARGETS (node --node K, or all nodes).
load_instance() {
  NODES=$(instance_nodes)
  if [[ -n "$NODE" ]]; then
    ((NODE <= NODES)) || kb_die "Kafka instance '$NAME' has no node $NODE (it has $NODES)"
    TARGETS=("$NODE")
  else
    mapfile -t TARGETS < <(seq 1 "$NODES")
  fi
  if ((NODES > 1)); then
    HEAP_OPTS="${KB_KAFKA_HEAP_OPTS:--Xmx384m -Xms192m}"
    START_TIMEOUT="${KB_KAFKA_START_TIMEOUT:-180}"
  fi
  if grep -qs '^listener.name.mtls' "$(node_dir 1)/server.properties"; then SECURITY=secured; fi
  return 0
}

# " node(s) K…" for messages about a cluster, nothing for a single node.
nodes_label() { ((NODES == 1)) || echo " node(s) $*"; }

cmd_stop() {
  parse_instance_args "$@"
  [[ "$SECURITY" == plaintext && ${#EXTRA_PROPS[@]} -eq 0 && -z "$NODES" && -z "$PROXIED" ]] ||
    kb_die "stop takes only --name and --node"
  load_instance
  local k pids=() stopped=()
  for k in "${TARGETS[@]}"; do
    select_node "$k"
    [[ -f "$PID_FILE" ]] || continue
    if node_running; then
      pids+=("$(cat "$PID_FILE")")
      stopped+=("$k")
    else
      rm -f "$PID_FILE"   # stale: the process is gone (or the pid now belongs to another)
    fi
  done
  if ((${#pids[@]})); then
    kb_log "stopping Kafka '$NAME'$(nodes_label "${stopped[@]}") (pid ${pids[*]})"
    stop_pids "$STOP_GRACE" "${pids[@]}" ||
      kb_die "Kafka '$NAME' (pid ${pids[*]}) is still alive after SIGKILL"
    for k in "${stopped[@]}"; do select_node "$k"; rm -f "$PID_FILE"; done
  fi
  # One node of a cluster stopped: the cluster and its env stay.
  [[ -n "$NODE" && NODES -gt 1 ]] || rm -f "$INST_DIR/env"
  local port i
  for k in ${stopped[@]+"${stopped[@]}"}; do
    select_node "$k"
    [[ -f "$NODE_DIR/ports" ]] || continue
    for port in $(node_all_ports); do
      for ((i = 0; i < 50; i++)); do kb_port_free "$port" && break; sleep 0.1; done
      kb_port_free "$port" || kb_die "port $port of Kafka '$NAME'$(nodes_label "$k") is still in use after stop"
    done
  done
  return 0
}

cmd_kill() {
  parse_instance_args "$@"
  load_instance
  local k pids=()
  for k in "${TARGETS[@]}"; do
    select_node "$k"
    node_running || kb_die "Kafka instance '$NAME'$(nodes_label "$k") is not running"
    pids+=("$(cat "$PID_FILE")")
  done
  kill_nodes "${TARGETS[@]}" || kb_die "Kafka '$NAME' (pid ${pids[*]}) is still alive after SIGKILL"
  kb_log "killed Kafka '$NAME'$(nodes_label "${TARGETS[@]}") (pid ${pids[*]}); data kept for restart"
}

cmd_restart() {
  parse_instance_args "$@"
  [[ ${#EXTRA_PROPS[@]} -eq 0 && -z "$PROXIED" && -z "$NODES" ]] ||
    kb_die "restart takes only --name and --node"
  [[ -d "$INST_DIR" ]] || kb_die "Kafka instance '$NAME' was never started in $INST_DIR"
  load_instance
  local k todo=() port i
  for k in "${TARGETS[@]}"; do
    select_node "$k"
    [[ -f "$NODE_DIR/ports" && -f "$NODE_DIR/server.properties" ]] ||
      kb_die "Kafka instance '$NAME' was never started in $INST_DIR"
    if node_running; then
      [[ -z "$NODE" && NODES -gt 1 ]] && continue   # a whole cluster: bring back what is down
      kb_die "Kafka instance '$NAME'$(nodes_label "$k") is running; stop or kill it first"
    fi
    todo+=("$k")
  done
  ((${#todo[@]})) || kb_die "every node of Kafka instance '$NAME' is running"
  local t0=$SECONDS
  for k in "${todo[@]}"; do
    select_node "$k"
    for port in $(node_all_ports); do
      for ((i = 0; i < 100; i++)); do kb_port_free "$port" && break; sleep 0.1; done
    done
    spawn_jvm
  done
  local rc=0
  if [[ -n "$NODE" ]] || ((NODES == 1)); then
    wait_ready "${todo[0]}" "${todo[@]}" || rc=$?
  else
    WANT_BROKERS=$NODES wait_ready "${todo[0]}" "${todo[@]}" || rc=$?
  fi
  if ((rc != 0)); then
    kill_nodes "${todo[@]}" || true
    kb_die "Kafka '$NAME'$(nodes_label "${todo[@]}") did not come back"
  fi
  select_node "${todo[0]}"
  local boot
  boot="127.0.0.1:$(node_port broker)"
  kb_log "Kafka '$NAME'$(nodes_label "${todo[@]}") restarted at $boot in $((SECONDS - t0))s (pid $(cat "$PID_FILE"))"
  echo "$boot"
}

cmd_status() {
  parse_instance_args "$@"
  load_instance
  local k
  for k in "${TARGETS[@]}"; do
    select_node "$k"
    node_running || return 1
  done
  if [[ -n "$NODE" ]]; then
    echo "127.0.0.1:$(node_port broker)"
  elif [[ -f "$INST_DIR/env" ]]; then
    sed -n 's/^KB_TEST_KAFKA_BOOTSTRAP=//p' "$INST_DIR/env"
  fi
  return 0
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
  kcat) command -v kcat >/dev/null || kb_die "kcat not found"; kb_kcat "$@" ;;
  -h|--help|help) usage ;;
  *) kb_die "unknown command '$cmd' (install|start|stop|kill|restart|status|kcat)" ;;
esac
