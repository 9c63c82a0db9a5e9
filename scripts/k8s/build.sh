#!/usr/bin/env bash
# Builds what Conveyor's single-node Kubernetes test rig (scripts/k8s/up) runs, into the ignored
# .cache/k8s/ (nothing fetched or built here is committed):
#   .cache/k8s/bin/     kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
#                       kube-proxy and kubectl (k8s.io/kubernetes at $K8S_VERSION), etcd
#                       ($ETCD_VERSION), and pause (scripts/k8s/pause), all from source through the
#                       Go module proxy, static (CGO_ENABLED=0)
#   .cache/k8s/build/   the generated wrapper modules they are built from
#   .cache/k8s/cni/bin  Debian's containernetworking-plugins, unpacked (dpkg-deb -x), not installed
#   .cache/k8s/images/  pause.tar (local/pause:latest) and busybox.tar (local/busybox:latest), made
#                       by scripts/k8s/mkimage.py: no image registry is reachable here
# Installs with apt-get only the host tools that are missing (containerd and runc normally come
# with docker.io; openssl, iptables, iproute2, curl, python3, busybox-static).
#
# usage: scripts/k8s/build.sh        (as root, or with passwordless sudo for apt-get; prints the
#                                     bin directory on its last line)
# Idempotent: each part is skipped when it is already there at the pinned version.
#
# Why these versions (scripts/k8s/NOTES.md has the probe's evidence):
# - k8s.io/kubernetes v1.33.13: the module proxy here serves all its staging modules (k8s.io/*
#   v0.33.13; 1.31.14 and 1.32.13 lack some: HTTP 403), its kubelet still defaults to
#   failCgroupV1=false (1.35 turns it on), and it works with Debian's containerd 1.6. The
#   machines this runs on only offer cgroup v1 for cpu/memory/pids (docker holds those
#   hierarchies), so cgroup v1 with the cgroupfs driver it is.
#   k8s.io/kubernetes cannot be built with `go install`: its go.mod points the k8s.io/* staging
#   modules at ./staging/..., which a module zip leaves out. The wrapper module below requires it
#   and replaces each staging module by its published v0.33.13.
# - etcd v3.5.21: the version Kubernetes 1.33 is tested with; server/v3 has relative replaces too,
#   so it is built from a wrapper module as well (its dependencies are all served, no replaces).
set -euo pipefail

K8S_VERSION=v1.33.13
ETCD_VERSION=v3.5.21
K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.cache/k8s"
bin="$cache/bin"
build="$cache/build"
cni="$cache/cni"
images="$cache/images"

say() { echo "== k8s/build: $*" >&2; }
fail() {
  echo "k8s/build.sh: $*" >&2
  exit 1
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

mkdir -p "$bin" "$build" "$cni" "$images"

# --- host packages ---------------------------------------------------------------------------
apt_updated=""
apt_update_once() {
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
}
missing=()
need() { # need <command or absolute path> <debian package>
  if [[ $1 == /* ]]; then [ -x "$1" ] || missing+=("$2"); else command -v "$1" >/dev/null 2>&1 || missing+=("$2"); fi
}
need containerd containerd
need ctr containerd
need runc runc
need iptables iptables
need ip iproute2
need openssl openssl
need curl curl
need python3 python3
need sysctl procps
need /bin/busybox busybox-static
need dpkg-deb dpkg
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  say "installing ${missing[*]} (apt-get)"
  # Package scripts must not try to start services on a machine without an init system.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  [ -z "$created_policy" ] || as_root rm -f /usr/sbin/policy-rc.d
fi

# --- Go ----------------------------------------------------------------------------------------
go_ready() {
  command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null 2>&1 || fail "no go in PATH or /usr/local/go/bin (Go >= 1.24 is needed)"
  export GOTOOLCHAIN=local CGO_ENABLED=0
  export GOFLAGS="-buildvcs=false"
}

# --- Kubernetes --------------------------------------------------------------------------------
k8s_built() {
  local command
  for command in "${K8S_COMMANDS[@]}"; do
    [ -x "$bin/$command" ] || return 1
  done
  "$bin/kubelet" --version 2>/dev/null | grep -xF "Kubernetes $K8S_VERSION" >/dev/null &&
    "$bin/kube-apiserver" --version 2>/dev/null | grep -xF "Kubernetes $K8S_VERSION" >/dev/null &&
    "$bin/kubectl" version --client 2>/dev/null | grep -xF "Client Version: $K8S_VERSION" >/dev/null
}

build_k8s() {
  local work="$build/kubernetes" staging minor packages=() command mod
  go_ready
  rm -rf "$work"
  mkdir -p "$work"
  # The release's own go.mod lists the staging modules it replaces with ./staging/... folders.
  mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$mod" ] || fail "could not download k8s.io/kubernetes@$K8S_VERSION from the module proxy"
  staging="v0.${K8S_VERSION#v1.}"
  {
    echo "// Generated by scripts/k8s/build.sh: builds k8s.io/kubernetes $K8S_VERSION, with each"
    echo "// staging module it replaces by ./staging/... taken from the module proxy at $staging."
    echo "module conveyor.local/k8s-build"
    echo
    awk '$1 == "go" { print; exit }' "$mod"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    grep -E '^\s*k8s.io/\S+ => \./staging/' "$mod" | grep -v 'k8s.io/sample-' |
      awk -v v="$staging" '{ print "\t" $1 " => " $1 " " v }'
    echo ")"
  } >"$work/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "// Package tools keeps the commands built by scripts/k8s/build.sh in the module graph."
    echo "package tools"
    echo
    echo "import ("
    for command in "${K8S_COMMANDS[@]}"; do
      echo "	_ \"k8s.io/kubernetes/cmd/$command\""
      packages+=("k8s.io/kubernetes/cmd/$command")
    done
    echo ")"
  } >"$work/tools.go"
  say "go mod tidy in $work"
  (cd "$work" && go mod tidy) || fail "go mod tidy failed for k8s.io/kubernetes $K8S_VERSION (see above)"
  minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  local ldflags="-s -w" package
  # The version the binaries report (what hack/lib/version.sh sets in a release build).
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $package.gitVersion=$K8S_VERSION -X $package.gitMajor=1 -X $package.gitMinor=$minor"
    ldflags+=" -X $package.gitTreeState=clean"
  done
  say "go build ${K8S_COMMANDS[*]} ($K8S_VERSION; several minutes with a cold Go build cache)"
  (cd "$work" && nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$bin/" "${packages[@]}") ||
    fail "go build of k8s.io/kubernetes $K8S_VERSION failed (see above)"
}

if k8s_built; then
  say "Kubernetes $K8S_VERSION is already built"
else
  build_k8s
  k8s_built || fail "the built Kubernetes binaries do not report $K8S_VERSION"
fi

# --- etcd --------------------------------------------------------------------------------------
etcd_built() {
  [ -x "$bin/etcd" ] && "$bin/etcd" --version 2>/dev/null | grep -xF "etcd Version: ${ETCD_VERSION#v}" >/dev/null
}
build_etcd() {
  local work="$build/etcd"
  go_ready
  rm -rf "$work"
  mkdir -p "$work"
  cat >"$work/go.mod" <<EOF
// Generated by scripts/k8s/build.sh: builds etcd $ETCD_VERSION (its server module has relative
// replaces, so it cannot be installed directly).
module conveyor.local/etcd-build

go 1.23.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  cat >"$work/tools.go" <<'EOF'
//go:build tools

// Package tools keeps etcd's server command in the module graph.
package tools

import _ "go.etcd.io/etcd/server/v3"
EOF
  say "go mod tidy in $work"
  (cd "$work" && go mod tidy) || fail "go mod tidy failed for etcd $ETCD_VERSION (see above)"
  say "go build etcd $ETCD_VERSION"
  (cd "$work" && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3) ||
    fail "go build of etcd $ETCD_VERSION failed (see above)"
}
if etcd_built; then
  say "etcd $ETCD_VERSION is already built"
else
  build_etcd
  etcd_built || fail "the built etcd does not report ${ETCD_VERSION#v}"
fi

# --- pause -------------------------------------------------------------------------------------
pause_src="$here/pause/main.go"
if [ -x "$bin/pause" ] && [ "$bin/pause" -nt "$pause_src" ]; then
  say "pause is already built"
else
  go_ready
  work="$build/pause"
  rm -rf "$work"
  mkdir -p "$work"
  cp "$pause_src" "$work/main.go"
  printf 'module conveyor.local/k8s-pause\n\ngo 1.22\n' >"$work/go.mod"
  say "go build pause"
  (cd "$work" && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin/pause" .) || fail "go build of pause failed"
fi

# --- CNI plugins (Debian's containernetworking-plugins, unpacked) ------------------------------
if [ -x "$cni/bin/bridge" ] && [ -x "$cni/bin/host-local" ] && [ -x "$cni/bin/loopback" ] &&
  [ -x "$cni/bin/firewall" ] && [ -f "$cni/VERSION" ]; then
  say "CNI plugins $(cat "$cni/VERSION") are already unpacked"
else
  download="$build/cni-deb"
  rm -rf "$download" "${cni:?}/bin"
  mkdir -p "$download"
  say "apt-get download containernetworking-plugins"
  if ! (cd "$download" && apt-get download -qq containernetworking-plugins 2>/dev/null); then
    apt_update_once
    (cd "$download" && apt-get download -qq containernetworking-plugins) ||
      fail "apt-get download containernetworking-plugins failed"
  fi
  deb=$(ls "$download"/containernetworking-plugins_*.deb)
  dpkg-deb -x "$deb" "$download/root"
  mkdir -p "$cni/bin"
  cp -a "$download/root/usr/lib/cni/." "$cni/bin/"
  dpkg-deb -f "$deb" Version >"$cni/VERSION"
  rm -rf "$download"
  say "CNI plugins $(cat "$cni/VERSION") unpacked into $cni/bin"
fi

# --- images ------------------------------------------------------------------------------------
# Rebuilt when an input is newer than the archive (the busybox binary, pause, or the packer).
image_fresh() { # image_fresh <archive> <inputs...>
  local archive=$1 input
  shift
  [ -f "$archive" ] || return 1
  for input in "$@"; do
    [ "$archive" -nt "$input" ] || return 1
  done
}
if image_fresh "$images/pause.tar" "$bin/pause" "$here/mkimage.py"; then
  say "image local/pause:latest is up to date"
else
  rootfs="$build/images/pause"
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  cp "$bin/pause" "$rootfs/pause"
  python3 "$here/mkimage.py" --rootfs "$rootfs" --tag local/pause:latest --out "$images/pause.tar" \
    --entrypoint '["/pause"]' >/dev/null
  say "image local/pause:latest -> $images/pause.tar"
fi
if image_fresh "$images/busybox.tar" /bin/busybox "$here/mkimage.py" "${BASH_SOURCE[0]}"; then
  say "image local/busybox:latest is up to date"
else
  rootfs="$build/images/busybox"
  rm -rf "$rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/root" "$rootfs/tmp" "$rootfs/var/www"
  chmod 1777 "$rootfs/tmp"
  chmod 0700 "$rootfs/root"
  cp /bin/busybox "$rootfs/bin/busybox"
  # One link per applet (sh, wget, httpd, ...), where busybox itself would install it.
  while read -r applet; do
    if [ -z "$applet" ] || [ "$applet" = bin/busybox ]; then continue; fi
    mkdir -p "$rootfs/$(dirname "$applet")"
    ln -sf /bin/busybox "$rootfs/$applet"
  done < <(/bin/busybox --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  python3 "$here/mkimage.py" --rootfs "$rootfs" --tag local/busybox:latest --out "$images/busybox.tar" \
    --cmd '["sh"]' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
  say "image local/busybox:latest -> $images/busybox.tar"
fi

echo "$bin"
