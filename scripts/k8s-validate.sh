#!/usr/bin/env bash
# Validates the Kubernetes manifests of deploy/kubernetes/ with kubeconform (-strict: unknown fields
# are errors) against the JSON schemas of Kubernetes 1.30, offline once cached:
#   - kubeconform is built with `go install` from the Go module proxy (pinned version);
#   - the schemas come from the PyPI package kubernetes-validate (pinned version and SHA-256),
#     whose schemas refer to a shared _definitions.json; the kinds used here are made standalone
#     (definitions inlined), which is what kubeconform reads.
# The ServiceMonitor (a Prometheus Operator CRD, no schema in that package) is skipped, and said so.
# Everything is cached in $KB_CACHE_DIR (default ~/.cache/kafka-backup).
set -euo pipefail
cd "$(dirname "$0")/.."

kubeconform_version=v0.7.0
schemas_package=kubernetes-validate==1.37.0
schemas_sha256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
k8s_version=v1.30.0
# Top-level kinds of the manifests (file names of kubernetes-validate: <kind>[-<group>]-<version>).
kinds=(configmap-v1 secret-v1 service-v1 statefulset-apps-v1 job-batch-v1 cronjob-batch-v1)

: "${KB_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/kafka-backup}"
log() { printf '[k8s-validate] %s\n' "$*" >&2; }

kubeconform="$KB_CACHE_DIR/bin/kubeconform-$kubeconform_version"
if [[ ! -x "$kubeconform" ]]; then
  log "building kubeconform $kubeconform_version (go install)"
  gobin=$(mktemp -d)
  GOBIN="$gobin" go install "github.com/yannh/kubeconform/cmd/kubeconform@$kubeconform_version"
  mkdir -p "$KB_CACHE_DIR/bin"
  mv "$gobin/kubeconform" "$kubeconform"
  rmdir "$gobin"
fi

schemas="$KB_CACHE_DIR/k8s-schemas/$k8s_version-$schemas_sha256"
if [[ ! -f "$schemas/.complete" ]]; then
  log "fetching the Kubernetes $k8s_version schemas ($schemas_package from PyPI)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: "$schemas_package" -d "$tmp"
  wheel=("$tmp"/kubernetes_validate-*.whl)
  echo "$schemas_sha256  ${wheel[0]}" | sha256sum -c --quiet
  mkdir -p "$schemas"
  python3 - "${wheel[0]}" "$k8s_version" "$schemas" "${kinds[@]}" <<'PY'
import json, sys, zipfile
wheel, version, out, kinds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
z = zipfile.ZipFile(wheel)
base = f"kubernetes_validate/kubernetes-json-schema/{version}-local-strict/"
defs = json.loads(z.read(base + "_definitions.json"))["$defs"]
for kind in kinds:
    text = z.read(f"{base}{kind}.json").decode().replace('"/api/_definitions.json#', '"#')
    schema = json.loads(text)
    schema["$defs"] = defs
    with open(f"{out}/{kind}.json", "w") as f:
        json.dump(schema, f)
PY
  touch "$schemas/.complete"
fi

mapfile -t manifests < <(find deploy/kubernetes -name '*.yaml' | sort)
log "validating ${#manifests[@]} files against Kubernetes $k8s_version (strict; ServiceMonitor skipped: CRD)"
"$kubeconform" -strict -summary -verbose -skip ServiceMonitor \
  -schema-location "$schemas/{{.ResourceKind}}{{.KindSuffix}}.json" "${manifests[@]}"
