#!/usr/bin/env bash
# Smoke test of the secured and the three-node test beds of kafka.sh (issue 11, item 1).
#
#   test/services/kafka_secured_smoke.sh
#
# 1. `kafka.sh start --security secured` (instance kb-smoke-secured), then with kcat (on librdkafka
#    2.8 through `kafka.sh kcat`): metadata over SASL_SSL with a SCRAM-SHA-512 user, a SCRAM-SHA-256
#    user and the admin user; over the mutual-TLS listener with the client certificate (plain and
#    encrypted key). Must fail, for the right reason: a wrong SCRAM password, an unknown user, the
#    expired client certificate, a client certificate of another CA, no client certificate at all,
#    and trusting another CA than the broker's.
# 2. `kafka.sh start --nodes 3` (instance kb-smoke-cluster): 3 brokers listed, 3 controller voters,
#    a topic of replication factor 3 (min.insync.replicas=2); `kill --node 2`: metadata still
#    answers and 100 records produced with acks=all all arrive; `restart --node 2`: 3 brokers
#    listed again and every partition back to 3 in-sync replicas; `stop --node 3` +
#    `restart --node 3`; `stop`.
# Start-up times are printed. Whatever happens, the instances it started are stopped (trap).
# Exit 0 when every check passed. Uses $KB_RUN_DIR like kafka.sh (default <repo>/build/services).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_SH="$HERE/kafka.sh"
# shellcheck source=common.sh
source "$HERE/common.sh"

SECURED=kb-smoke-secured
CLUSTER=kb-smoke-cluster
STARTED=()
PASSED=0
FAILED=0
T_START=$SECONDS

cleanup() {
  local name
  for name in ${STARTED[@]+"${STARTED[@]}"}; do
    "$KAFKA_SH" stop --name "$name" >/dev/null 2>&1 || kb_log "warning: could not stop $name"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
ok() { PASSED=$((PASSED + 1)); printf 'ok    %s\n' "$*"; }
bad() { FAILED=$((FAILED + 1)); printf 'FAIL  %s\n' "$*"; }

kc() { "$KAFKA_SH" kcat "$@"; }

# expect_ok DESC CMD...: CMD succeeds.
expect_ok() {
  local desc=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$desc"; else bad "$desc"; printf '%s\n' "$out" | tail -n 5 | sed 's/^/      /'; fi
}

# expect_fail DESC PATTERN CMD...: CMD fails and its output matches the extended regex PATTERN
# (the reason it failed).
expect_fail() {
  local desc=$1 pattern=$2 out t0
  shift 2
  t0=$(now_ms)
  if out=$("$@" 2>&1); then
    bad "$desc: succeeded"
  elif grep -qiE "$pattern" <<<"$out"; then
    ok "$desc (failed in $(($(now_ms) - t0)) ms: $(grep -oiE "$pattern" <<<"$out" | head -n1))"
  else
    bad "$desc: failed, but not with /$pattern/"
    printf '%s\n' "$out" | tail -n 5 | sed 's/^/      /'
  fi
}

# brokers_listed BOOTSTRAP: the number of brokers a PLAINTEXT metadata request lists.
brokers_listed() { kcat -b "$1" -L -m 10 2>/dev/null | grep -cE '^ +broker [0-9]+ at ' || true; }

# wait_for SECONDS CMD...: retries CMD every 0.5 s until it succeeds or SECONDS pass.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

start_instance() {   # start_instance NAME ARGS...: starts, records it for cleanup, prints the time
  local name=$1 t0
  shift
  STARTED+=("$name")
  t0=$(now_ms)
  "$KAFKA_SH" start --name "$name" "$@" >/dev/null
  printf 'time  start %s (%s): %d ms\n' "$name" "$*" "$(($(now_ms) - t0))"
}

load_env() {   # load_env NAME: exports the instance's env file
  set -a
  # shellcheck disable=SC1090
  . "$KB_RUN_DIR/kafka-$1/env"
  set +a
}

command -v kcat >/dev/null || kb_die "kcat is needed"

# ------------------------------------------------------------------------------- secured node
echo "== secured instance ($SECURED)"
start_instance "$SECURED" --security secured
load_env "$SECURED"

sasl() {   # sasl MECHANISM USER PASSWORD [CA]: metadata over SASL_SSL
  kc -b "$KB_TEST_KAFKA_SASL_SSL_BOOTSTRAP" -L -m 4 -X security.protocol=SASL_SSL \
    -X sasl.mechanisms="$1" -X sasl.username="$2" -X sasl.password="$3" \
    -X ssl.ca.location="${4:-$KB_TEST_KAFKA_CA}"
}
mtls() {   # mtls CERT KEY [KEY_PASSWORD]: metadata over the mutual-TLS listener
  local args=(-X ssl.certificate.location="$1" -X ssl.key.location="$2")
  [[ -z "${3:-}" ]] || args+=(-X ssl.key.password="$3")
  kc -b "$KB_TEST_KAFKA_MTLS_BOOTSTRAP" -L -m 4 -X security.protocol=SSL \
    -X ssl.ca.location="$KB_TEST_KAFKA_CA" "${args[@]}"
}
mtls_no_cert() {
  kc -b "$KB_TEST_KAFKA_MTLS_BOOTSTRAP" -L -m 4 -X security.protocol=SSL -X ssl.ca.location="$KB_TEST_KAFKA_CA"
}

expect_ok "SCRAM-SHA-512 ($KB_TEST_KAFKA_SCRAM_USER) over SASL_SSL lists metadata" \
  sasl SCRAM-SHA-512 "$KB_TEST_KAFKA_SCRAM_USER" "$KB_TEST_KAFKA_SCRAM_PASSWORD"
expect_ok "SCRAM-SHA-256 ($KB_TEST_KAFKA_SCRAM_256_USER) over SASL_SSL lists metadata" \
  sasl SCRAM-SHA-256 "$KB_TEST_KAFKA_SCRAM_256_USER" "$KB_TEST_KAFKA_SCRAM_256_PASSWORD"
expect_ok "SCRAM-SHA-512 ($KB_TEST_KAFKA_SCRAM_ADMIN_USER) over SASL_SSL lists metadata" \
  sasl SCRAM-SHA-512 "$KB_TEST_KAFKA_SCRAM_ADMIN_USER" "$KB_TEST_KAFKA_SCRAM_ADMIN_PASSWORD"
expect_ok "mTLS with the client certificate lists metadata" \
  mtls "$KB_TEST_KAFKA_CLIENT_CERT" "$KB_TEST_KAFKA_CLIENT_KEY"
expect_ok "mTLS with the encrypted client key and its password lists metadata" \
  mtls "$KB_TEST_KAFKA_CLIENT_CERT" "$KB_TEST_KAFKA_CLIENT_KEY_ENCRYPTED" "$KB_TEST_KAFKA_CLIENT_KEY_PASSWORD"

expect_fail "wrong SCRAM-SHA-512 password is refused" 'invalid credentials' \
  sasl SCRAM-SHA-512 "$KB_TEST_KAFKA_SCRAM_USER" "wrong-$KB_TEST_KAFKA_SCRAM_PASSWORD"
expect_fail "wrong SCRAM-SHA-256 password is refused" 'invalid credentials' \
  sasl SCRAM-SHA-256 "$KB_TEST_KAFKA_SCRAM_256_USER" "wrong-$KB_TEST_KAFKA_SCRAM_256_PASSWORD"
expect_fail "unknown SCRAM user is refused" 'invalid credentials' \
  sasl SCRAM-SHA-512 nobody "$KB_TEST_KAFKA_SCRAM_PASSWORD"
expect_fail "SCRAM-SHA-256 for a SCRAM-SHA-512-only user is refused" 'invalid credentials' \
  sasl SCRAM-SHA-256 "$KB_TEST_KAFKA_SCRAM_USER" "$KB_TEST_KAFKA_SCRAM_PASSWORD"
expect_fail "trusting another CA, the client rejects the broker's certificate" 'certificate verify failed' \
  sasl SCRAM-SHA-512 "$KB_TEST_KAFKA_SCRAM_USER" "$KB_TEST_KAFKA_SCRAM_PASSWORD" "$KB_TEST_KAFKA_OTHER_CA"
expect_fail "expired client certificate is refused" 'alert (certificate unknown|certificate expired|bad certificate)' \
  mtls "$KB_TEST_KAFKA_EXPIRED_CLIENT_CERT" "$KB_TEST_KAFKA_EXPIRED_CLIENT_KEY"
expect_fail "client certificate of another CA is refused" 'alert (bad certificate|certificate required|certificate unknown|unknown ca)' \
  mtls "$KB_TEST_KAFKA_OTHER_CA_CLIENT_CERT" "$KB_TEST_KAFKA_OTHER_CA_CLIENT_KEY"
expect_fail "no client certificate on the mTLS listener is refused" 'alert (bad certificate|certificate required|handshake failure)' \
  mtls_no_cert
expect_fail "encrypted client key with a wrong password is refused" 'password|decrypt|bad decrypt|key' \
  mtls "$KB_TEST_KAFKA_CLIENT_CERT" "$KB_TEST_KAFKA_CLIENT_KEY_ENCRYPTED" wrong-password
expect_ok "PLAINTEXT listener still answers (for the test harness)" kcat -b "$KB_TEST_KAFKA_BOOTSTRAP" -L -m 10

t0=$(now_ms)
"$KAFKA_SH" stop --name "$SECURED" >/dev/null
printf 'time  stop %s: %d ms\n' "$SECURED" "$(($(now_ms) - t0))"

# ----------------------------------------------------------------------------- 3-node cluster
echo "== three-node cluster ($CLUSTER)"
start_instance "$CLUSTER" --nodes 3
load_env "$CLUSTER"
N1=$KB_TEST_KAFKA_NODE_1 N2=$KB_TEST_KAFKA_NODE_2 N3=$KB_TEST_KAFKA_NODE_3
java_tool() { java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$KB_KAFKA_LIBS/*" "$@"; }

n=$(brokers_listed "$KB_TEST_KAFKA_BOOTSTRAP")
if ((n == 3)); then ok "3 brokers listed"; else bad "3 brokers listed: got $n"; fi
voters=$(java_tool org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server "$KB_TEST_KAFKA_BOOTSTRAP" \
  describe --status 2>/dev/null | sed -n 's/^CurrentVoters:[[:space:]]*//p' | grep -o '"id": [0-9]*' | wc -l)
if ((voters == 3)); then ok "3 controller voters"; else bad "3 controller voters: got $voters"; fi
expect_ok "create topic smoke (6 partitions, default replication factor)" \
  java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KB_TEST_KAFKA_BOOTSTRAP" \
  --create --topic smoke --partitions 6
desc=$(java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KB_TEST_KAFKA_BOOTSTRAP" \
  --describe --topic smoke 2>/dev/null || true)
if grep -q 'ReplicationFactor: 3' <<<"$desc" && grep -q 'min.insync.replicas=2' <<<"$desc"; then
  ok "topic smoke has replication factor 3 and min.insync.replicas=2"
else
  bad "topic smoke has replication factor 3 and min.insync.replicas=2"; printf '%s\n' "$desc" | head -n 3
fi

expect_ok "kill --node 2" "$KAFKA_SH" kill --name "$CLUSTER" --node 2
if "$KAFKA_SH" status --name "$CLUSTER" >/dev/null 2>&1; then bad "status of the cluster fails with node 2 down"
else ok "status of the cluster fails with node 2 down"; fi
expect_ok "metadata still answers (node 1)" kcat -b "$N1" -L -m 10
t0=$(now_ms)
if seq 1 100 | kcat -P -b "$N1,$N3" -t smoke -X acks=all -X message.timeout.ms=60000 -X linger.ms=5 2>/dev/null; then
  ok "100 records produced with acks=all with node 2 down ($(($(now_ms) - t0)) ms)"
else
  bad "100 records produced with acks=all with node 2 down"
fi
count=$(kcat -C -b "$N1,$N3" -t smoke -e -q -m 10 2>/dev/null | wc -l)
if ((count == 100)); then ok "all 100 records are in topic smoke"; else bad "all 100 records are in topic smoke: got $count"; fi

t0=$(now_ms)
expect_ok "restart --node 2" "$KAFKA_SH" restart --name "$CLUSTER" --node 2
printf 'time  restart %s node 2: %d ms\n' "$CLUSTER" "$(($(now_ms) - t0))"
three_brokers() { (($(brokers_listed "$N1") == 3)) && (($(brokers_listed "$N2") == 3)); }
if wait_for 30 three_brokers; then ok "3 brokers listed again"; else bad "3 brokers listed again"; fi
full_isr() {   # every partition of smoke has 3 in-sync replicas
  local md
  md=$(kcat -b "$N1" -L -t smoke -m 10 2>/dev/null) || return 1
  (($(grep -c 'partition ' <<<"$md") == 6)) && ! grep 'partition ' <<<"$md" | grep -vqE 'isrs: [0-9]+,[0-9]+,[0-9]+'
}
t0=$(now_ms)
if wait_for 60 full_isr; then ok "every partition back to 3 in-sync replicas ($(($(now_ms) - t0)) ms)"
else bad "every partition back to 3 in-sync replicas"; fi

expect_ok "stop --node 3 (SIGTERM)" "$KAFKA_SH" stop --name "$CLUSTER" --node 3
expect_ok "env file kept while node 3 is stopped" test -f "$KB_RUN_DIR/kafka-$CLUSTER/env"
expect_ok "restart --node 3" "$KAFKA_SH" restart --name "$CLUSTER" --node 3
if wait_for 30 three_brokers; then ok "3 brokers listed after node 3 came back"; else bad "3 brokers listed after node 3 came back"; fi

t0=$(now_ms)
expect_ok "stop (all nodes)" "$KAFKA_SH" stop --name "$CLUSTER"
printf 'time  stop %s: %d ms\n' "$CLUSTER" "$(($(now_ms) - t0))"
if pgrep -f "kafka.Kafka $KB_RUN_DIR/kafka-$CLUSTER/" >/dev/null; then bad "no JVM of $CLUSTER left"
else ok "no JVM of $CLUSTER left"; fi

echo "== $PASSED passed, $FAILED failed in $((SECONDS - T_START)) s"
((FAILED == 0))
