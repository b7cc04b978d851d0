#!/usr/bin/env bash
# The Debian package end to end, as root on Debian 12 (CI) or with sudo: builds
# kafka-backup_<version>_<arch>.deb from the Release build (cpack, cmake/Packaging.cmake), installs
# it with apt-get, checks what it installed (binary, man page, completions, systemd unit, docs,
# examples) and that every library the binary needs is there, checks the unit with
# `systemd-analyze verify` and `systemd-analyze security --offline`, then runs the installed
# /usr/bin/kafka-backup with the installed example configs: --version, `backup --once` of a fresh
# topic into a local directory store, `verify`, and `restore` into a new topic whose records are
# compared with the source's; finally `apt-get remove` (also when a step fails).
#
# Needs the test broker: KB_TEST_KAFKA_BOOTSTRAP and KB_KAFKA_LIBS (the env file of
# test/services/kafka.sh; scripts/test.sh runs this script with them set). Refuses to run where
# another version of kafka-backup is installed: it is not this script's to remove.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

step() { printf '\n==> package-test: %s\n' "$*" >&2; }
die() {
  printf 'package-test: FAILED: %s\n' "$*" >&2
  exit 1
}
: "${KB_TEST_KAFKA_BOOTSTRAP:?package-test: set KB_TEST_KAFKA_BOOTSTRAP (test/services/kafka.sh env)}"
: "${KB_KAFKA_LIBS:?package-test: set KB_KAFKA_LIBS (test/services/kafka.sh env)}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

version=$(sed -n 's/^project(kafka_backup VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
if [[ "$(dpkg-query -W -f='${db:Status-Status}' kafka-backup 2>/dev/null || true)" == installed ]]; then
  # The same version is what an interrupted run of this test left behind; another one is not ours.
  [[ "$(dpkg-query -W -f='${Version}' kafka-backup)" == "$version" ]] ||
    die "kafka-backup $(dpkg-query -W -f='${Version}' kafka-backup) is installed here; remove it first"
  echo "package-test: removing kafka-backup $version left by an interrupted run" >&2
  $SUDO apt-get remove -y -q kafka-backup >/dev/null
fi

step "building the package from the Release build"
cmake --preset release >/dev/null
cmake --build --preset release --target kafka-backup kb_install_files
rm -f build/release/package/kafka-backup_*.deb
(cd build/release && cpack -G DEB >/dev/null)
debs=(build/release/package/kafka-backup_*.deb)
[[ -f "${debs[0]}" && ${#debs[@]} -eq 1 ]] || die "cpack made no single package: ${debs[*]}"
deb=${debs[0]}
[[ "$(dpkg-deb -f "$deb" Package)" == kafka-backup ]] || die "package name"
[[ "$(dpkg-deb -f "$deb" Version)" == "$version" ]] || die "version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1); Depends: $depends"
for lib in libc6 libstdc++6 libcurl4 libssl3 libzstd1 liblz4-1 libsasl2-2 libmimalloc2.0 ca-certificates; do
  [[ "$depends" == *"$lib"* ]] || die "Depends lacks $lib"
done
[[ "$depends" != *rdkafka* ]] || die "Depends names librdkafka, which is linked statically"

work=$(mktemp -d)
installed=false
cleanup() {
  local rc=$?
  if $installed; then
    step "removing the package"
    $SUDO apt-get remove -y -q kafka-backup >/dev/null || rc=1
    [[ ! -e /usr/bin/kafka-backup ]] || { echo "package-test: /usr/bin/kafka-backup left behind" >&2; rc=1; }
    # Removed, the package stays known to dpkg (its postrm would run on purge): purge it too, so
    # that the machine is as before (it has no conffiles and keeps no data).
    $SUDO dpkg --purge kafka-backup >/dev/null || rc=1
  fi
  rm -rf "$work"
  echo "package-test: $([[ $rc == 0 ]] && echo passed || echo FAILED) in $((SECONDS - started)) s" >&2
  exit $rc
}
trap cleanup EXIT

step "installing it: apt-get install ./$(basename "$deb")"
installed=true
$SUDO apt-get install -y -q "./$deb" >"$work/apt.log" || { cat "$work/apt.log"; die "apt-get install"; }
for f in /usr/bin/kafka-backup /usr/share/man/man1/kafka-backup.1.gz \
  /usr/share/bash-completion/completions/kafka-backup /usr/share/zsh/vendor-completions/_kafka-backup \
  /usr/share/fish/vendor_completions.d/kafka-backup.fish /usr/lib/systemd/system/kafka-backup@.service \
  /usr/share/doc/kafka-backup/README.md /usr/share/doc/kafka-backup/operations.md \
  /usr/share/doc/kafka-backup/examples/backup.yaml /usr/share/doc/kafka-backup/examples/restore.yaml; do
  [[ -s "$f" ]] || die "$f is not installed"
done
if ldd /usr/bin/kafka-backup | grep -E 'not found|rdkafka'; then die "ldd /usr/bin/kafka-backup"; fi
/usr/bin/kafka-backup --version
/usr/bin/kafka-backup --version | grep -q "^kafka-backup $version " || die "--version is not $version"
# The binary runs on mimalloc (src/common/allocator.h), so the backup and restore below do too.
/usr/bin/kafka-backup --version | grep -q ", mimalloc 2\." || die "--version does not name mimalloc"
# The man page holds every command's --help; the completion the binary's own.
zcat /usr/share/man/man1/kafka-backup.1.gz | grep -q '^\.SS "kafka\\-backup offsets translate"' ||
  die "the man page lacks the COMMANDS section"
cmp <(/usr/bin/kafka-backup completion bash) /usr/share/bash-completion/completions/kafka-backup ||
  die "the installed bash completion is not the binary's"
bash -c '. /usr/share/bash-completion/completions/kafka-backup && complete -p kafka-backup' >/dev/null ||
  die "the bash completion does not load"

step "the systemd unit: systemd-analyze verify and security"
unit=/usr/lib/systemd/system/kafka-backup@.service
systemd-analyze verify "$unit" || die "systemd-analyze verify $unit"
# The exposure score of systemd's own checklist, 0 (locked down) to 10: kept at most 2.0 ("OK").
systemd-analyze security --offline=yes --threshold=20 "$unit" >"$work/security.txt" || {
  cat "$work/security.txt"
  die "systemd-analyze security: exposure above 2.0"
}
grep 'Overall exposure level' "$work/security.txt" || die "no exposure level in systemd-analyze security"

step "backup --once and restore with the installed binary and example configs"
topic="pkg-test-$$-$RANDOM"
java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server \
  "$KB_TEST_KAFKA_BOOTSTRAP" --create --topic "$topic" --partitions 3 --replication-factor 1 >/dev/null
for i in $(seq 1 300); do echo "key-$i:value-$i"; done |
  kcat -b "$KB_TEST_KAFKA_BOOTSTRAP" -t "$topic" -P -K: -X enable.idempotence=true
examples=/usr/share/doc/kafka-backup/examples
export KAFKA_BOOTSTRAP="$KB_TEST_KAFKA_BOOTSTRAP" KAFKA_BACKUP_PREFIX=package-test
export KAFKA_BACKUP_TOPICS="$topic" STATE_DIRECTORY="$work/store" KAFKA_BACKUP_DIR="$work/store"
(cd "$work" && /usr/bin/kafka-backup --config "$examples/backup.yaml" backup --once) ||
  die "backup --once"
(cd "$work" && /usr/bin/kafka-backup --config "$examples/backup.yaml" verify --topic "$topic") ||
  die "verify"
(cd "$work" && /usr/bin/kafka-backup --config "$examples/restore.yaml" restore --topic "$topic" \
  --rename "$topic=$topic-restored" --no-groups) || die "restore"
consume() {
  kcat -b "$KB_TEST_KAFKA_BOOTSTRAP" -t "$1" -C -e -q -f '%p %o %k %s\n' | sort
}
consume "$topic" >"$work/source.txt"
consume "$topic-restored" >"$work/restored.txt"
[[ $(wc -l <"$work/source.txt") -eq 300 ]] || die "the source topic does not hold 300 records"
cmp "$work/source.txt" "$work/restored.txt" || die "the restored topic differs from the source"
echo "300 records backed up, verified and restored (same partitions, offsets, keys and values)"
java -cp "$KB_KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server \
  "$KB_TEST_KAFKA_BOOTSTRAP" --delete --topic "$topic.*" >/dev/null 2>&1 || true
