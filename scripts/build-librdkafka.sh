#!/usr/bin/env bash
# Builds librdkafka once into the cache from the source package of Debian's current stable release
# (suite, version and the upstream tarball's SHA-256 pinned in scripts/librdkafka.pin), for
# cmake/Dependencies.cmake to link statically. Called by scripts/install-deps.sh.
#
#   1. adds a deb-src entry for the pinned suite in a file of its own
#      (/etc/apt/sources.list.d/kafka-backup-src.sources), whose URI and keyring are read from the
#      machine's existing Debian entry: no host name is written here;
#   2. `apt-get source` fetches and unpacks the package (dpkg-source checks the .dsc checksums,
#      and this script the tarball's pinned SHA-256);
#   3. configure (SSL, SASL: SCRAM, OAUTHBEARER and GSSAPI, zstd, lz4, zlib) and make into
#      $KB_CACHE_DIR/librdkafka-<version>; only the static libraries are kept, so nothing can
#      link a shared librdkafka by accident.
# Idempotent: a stamp file holding the pinned SHA-256 and the recipe version makes a second run
# return at once.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
. "$here/librdkafka.pin"
: "${KB_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/kafka-backup}"
prefix="$KB_CACHE_DIR/librdkafka-$version"
stamp="$prefix/.kb-built"

log() { printf '[build-librdkafka] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Bumped whenever the build below changes, so that a cached build of an older recipe is redone.
recipe=2  # 2: frame pointers (LeakSanitizer's fast unwinder then sees librdkafka's callers)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$sha256 recipe $recipe" ]]; then
  log "librdkafka $version present in $prefix"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

# The machine's Debian archive entry: the first `deb` entry whose suites name this release's
# codename (deb822 .sources files first, then one-line lists). Prints "URI KEYRING".
debian_entry() {
  local codename f
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [[ -n "$codename" ]] || return 1
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" && "$(basename "$f")" != kafka-backup-src.sources ]] || continue
    awk -v cn="$codename" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " cn " ") && uris != "") {
          split(uris, u, " "); print u[1], (keyring == "" ? "-" : keyring); found = 1; exit
        }
        types = suites = uris = keyring = ""
      }
      /^[ \t]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      /^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); keyring = $0 }
      END { if (!found) flush() }' "$f" | head -n1 | grep . && return 0
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    awk -v cn="$codename" '$1 == "deb" {
        i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == cn) { print $i, "-"; exit } }' "$f" | head -n1 | grep . && return 0
  done
  return 1
}

src_list=/etc/apt/sources.list.d/kafka-backup-src.sources
entry=$(debian_entry) || die "found no Debian archive entry in /etc/apt to take the URI from"
read -r uri keyring <<<"$entry"
[[ "$keyring" != - ]] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
wanted="Types: deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: $keyring"
if [[ ! -f "$src_list" || "$(cat "$src_list")" != "$wanted" ]]; then
  log "adding the $suite source entry ($src_list)"
  printf '%s\n' "$wanted" | $SUDO tee "$src_list" >/dev/null
  $SUDO apt-get update -q >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
log "fetching the librdkafka source package from $suite"
# _apt cannot read a private temporary directory; the download is checked below and by dpkg-source.
chmod 755 "$work"
apt-get source -q "librdkafka/$suite" >&2 ||
  die "apt-get source librdkafka failed (suite $suite)"
tarball="librdkafka_$version.orig.tar.gz"
[[ -f "$tarball" ]] || die "the source package is not librdkafka $version: $(ls)"
got=$(sha256sum "$tarball" | cut -d' ' -f1)
[[ "$got" == "$sha256" ]] || die "$tarball: SHA-256 $got, pinned $sha256 (scripts/librdkafka.pin)"

cd "librdkafka-$version"
log "building librdkafka $version (a minute or so)"
rm -rf "$prefix.tmp"
CFLAGS="-O2 -g -fno-omit-frame-pointer" CXXFLAGS="-O2 -g -fno-omit-frame-pointer" \
  ./configure --prefix="$prefix.tmp" --enable-ssl --enable-gssapi --enable-zstd --enable-lz4-ext \
  --enable-zlib --disable-curl >"$work/configure.log" 2>&1 ||
  { tail -n 40 "$work/configure.log" >&2; die "configure failed"; }
make -j"$(nproc)" libs >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; die "make failed"; }
make install-subdirs >"$work/install.log" 2>&1 ||
  { tail -n 40 "$work/install.log" >&2; die "make install failed"; }
# Static libraries only (cmake/Dependencies.cmake links them by path).
rm -f "$prefix.tmp"/lib/*.so* "$prefix.tmp"/lib/librdkafka-static.a
grep -q '^#define WITH_SASL_SCRAM 1' config.h && grep -q '^#define WITH_SSL 1' config.h &&
  grep -q '^#define WITH_ZSTD 1' config.h && grep -q '^#define WITH_LZ4_EXT 1' config.h ||
  die "librdkafka was configured without SSL, SCRAM, zstd or lz4 (see $work/configure.log)"
echo "$sha256 recipe $recipe" >"$prefix.tmp/.kb-built"
rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
log "librdkafka $version installed in $prefix"
