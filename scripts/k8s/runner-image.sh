#!/usr/bin/env bash
# Builds the image that runs `conveyor runner run` in a Kubernetes pod, local/conveyor-runner:TAG,
# from this host's Node.js, git, tar and dash (with the shared libraries `ldd` lists) and the
# CLI bundle of `npm run build` (scripts/k8s/runner-image.py says what goes in and why; NOTES.md
# says why this way and not debootstrap), then imports it into the test rig's containerd
# (namespace k8s.io) so pods can use it with imagePullPolicy: Never. No registry is involved.
#
# usage: scripts/k8s/runner-image.sh [--tag TAG] [--no-import]
#   --tag TAG    the image tag (default: dev); the rig overlay deploy/kubernetes/runner/overlays/rig
#                uses local/conveyor-runner:dev
#   --no-import  only build the archive (no running rig needed)
# Prints "local/conveyor-runner:TAG <archive>" on its last line.
#
# Needs `npm run build` first (packages/cli/dist). The archive is cached in
# .cache/k8s-runner-image/ under a digest of every input; the import is skipped when containerd
# already holds that exact image under the tag. Runs as root (ctr talks to the rig's socket).
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

tag=dev
import=1
while [ $# -gt 0 ]; do
  case $1 in
    --tag)
      tag=${2:?--tag takes a value}
      shift 2
      ;;
    --no-import)
      import=""
      shift
      ;;
    -h | --help)
      sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "runner-image.sh: unknown argument '$1' (see --help)" >&2
      exit 2
      ;;
  esac
done
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || {
  echo "runner-image.sh: '$tag' is not a valid image tag" >&2
  exit 2
}
image="local/conveyor-runner:$tag"
cache="$k8s_repo/.cache/k8s-runner-image"
mkdir -p "$cache"

# One build at a time (tests may call this in parallel).
exec 8>"$cache/.lock"
flock 8

started=$(date +%s%3N)
read -r archive config_digest < <(python3 "$k8s_here/runner-image.py" --repo "$k8s_repo" \
  --tag "$image" --cache "$cache" 2> >(sed 's/^/== runner-image: /' >&2) | tail -n 1)
[ -n "${config_digest:-}" ] || {
  echo "runner-image.sh: building the image failed" >&2
  exit 1
}

if [ -n "$import" ]; then
  [ -S "$K8S_CONTAINERD_SOCK" ] || {
    echo "runner-image.sh: no rig containerd at $K8S_CONTAINERD_SOCK (scripts/k8s/up)" >&2
    exit 1
  }
  # containerd names the image docker.io/local/conveyor-runner:TAG; its config digest tells
  # whether it is this build.
  ref="docker.io/$image"
  current=$(k8s_ctr images ls "name==$ref" 2>/dev/null | awk 'NR > 1 { print $3 }')
  current_config=""
  if [ -n "$current" ]; then
    current_config=$(k8s_ctr content get "$current" 2>/dev/null | python3 -c \
      'import json, sys; print(json.load(sys.stdin)["config"]["digest"])' 2>/dev/null || true)
  fi
  if [ "$current_config" = "$config_digest" ]; then
    k8s_say "$image is already in the rig's containerd"
  else
    k8s_ctr images import "$archive" >/dev/null
    k8s_say "$image imported into the rig's containerd"
  fi
fi
elapsed=$(($(date +%s%3N) - started))
seconds="$((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000)))"
k8s_say "$image ($(du -h "$archive" | cut -f1) archive) ready in ${seconds}s"
echo "$image $archive"
