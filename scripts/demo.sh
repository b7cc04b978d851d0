#!/usr/bin/env bash
# The demo, from a fresh machine: installs dependencies, builds kafka-backup (Release), starts a
# local Apache Kafka broker (KRaft, loopback), and runs the main job end to end.
#
# The main job: create a topic, produce records, let a consumer group read some of them, back the
# topic up, delete it (the accident), restore it from the backup, and show the records and the
# consumer group's position back in place.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
step() { printf '\n==> %s\n' "$*" >&2; }

step "installing dependencies"
scripts/install-deps.sh

step "building kafka-backup (Release)"
cmake --preset release >/dev/null
cmake --build --preset release --target kafka-backup
bin="$root/build/release/src/cli/kafka-backup"
"$bin" --version

export KB_RUN_DIR="$root/build/demo-services"
trap 'test/services/kafka.sh stop --name demo' EXIT INT TERM
step "starting a local Kafka broker"
bootstrap=$(test/services/kafka.sh start --name demo)
# shellcheck disable=SC1091
. "$KB_RUN_DIR/kafka-demo/env"
echo "broker at $bootstrap"

topic=demo-orders
step "creating topic $topic (3 partitions)"
java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
  --create --topic "$topic" --partitions 3 --replication-factor 1

step "producing 6 records"
for i in 1 2 3 4 5 6; do echo "order-$i:{\"id\":$i,\"amount\":$((i * 10))}"; done |
  kcat -b "$bootstrap" -t "$topic" -P -K: -X enable.idempotence=true

step "reading them back"
kcat -b "$bootstrap" -t "$topic" -C -e -q -f 'partition %p offset %o key %k value %s\n' | sort

step "consumer group demo-app reads the records (and commits its offsets)"
kcat -b "$bootstrap" -G demo-app -e -q -X auto.offset.reset=earliest -f '%p/%o ' "$topic"
echo

step "producing 3 more records (demo-app has not read them)"
for i in 7 8 9; do echo "order-$i:{\"id\":$i,\"amount\":$((i * 10))}"; done |
  kcat -b "$bootstrap" -t "$topic" -P -K: -X enable.idempotence=true

cfg="$KB_RUN_DIR/demo.yaml"
rm -rf "$KB_RUN_DIR/store"
cat >"$cfg" <<YAML
kafka:
  bootstrap.servers: \${DEMO_BOOTSTRAP}
storage:
  prefix: demo
  local:
    path: $KB_RUN_DIR/store
backup:
  topics: ["^demo-.*"]
YAML
export DEMO_BOOTSTRAP="$bootstrap"
kb() { "$bin" --config "$cfg" "$@"; }

step "backing up every topic matching ^demo-.* (snapshot mode)"
kb backup --once

step "what the store holds"
(cd "$KB_RUN_DIR/store" && find . -type f | sort)

step "backup status: nothing left to back up"
kb status

step "the accident: deleting topic $topic"
java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
  --delete --topic "$topic"
sleep 2

step "status after the accident: the backup is still there"
kb status

step "restore plan (--dry-run writes nothing)"
kb restore --topic "$topic" --dry-run

step "restoring $topic from the backup"
kb restore --topic "$topic"

step "the restored records"
kcat -b "$bootstrap" -t "$topic" -C -e -q -f 'partition %p offset %o key %k value %s\n' | sort

step "consumer group demo-app is back where it was: the 3 unread records are its lag"
java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
  --bootstrap-server "$bootstrap" --describe --group demo-app 2>/dev/null | sort

step "where the offsets went (the restore's offset map)"
kb offsets translate --topic "$topic" --partition 0 --offset 0
echo
echo "demo finished: topic backed up, deleted, restored with its records and consumer group in place"
