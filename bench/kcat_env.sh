# Sourced by the benchmark scripts (from the repository root): makes `kcat` run on the librdkafka
# that kafka-backup is built with (scripts/librdkafka.pin), so that the raw consume/produce
# baselines and kafka-backup use the same client library. The system kcat links Debian's
# librdkafka (2.0.2 on bookworm); test/services/kafka.sh turns the static librdkafka of our build
# into a shared library once ($KB_CACHE_DIR/kcat-librdkafka-<version>/, see kcat_lib_dir there),
# and LD_LIBRARY_PATH points kcat at it (only kcat loads librdkafka dynamically: kafka-backup links
# it statically). Without that library the system one is used, with a warning.
kb_bench_kcat_env() {
  local version dir
  version=$(sed -n 's/^version=//p' scripts/librdkafka.pin)
  dir="${KB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-backup}/kcat-librdkafka-$version"
  test/services/kafka.sh kcat -V >/dev/null 2>&1 || true  # builds $dir on first use
  if [[ -f "$dir/librdkafka.so.1" ]]; then
    export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    printf 'warning: kcat runs on the system librdkafka, not %s (no %s)\n' "$version" "$dir" >&2
  fi
}
