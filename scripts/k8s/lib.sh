# shellcheck shell=bash disable=SC2034 # the constants are used by the scripts that source this
# Shared by scripts/k8s/up, scripts/k8s/down and scripts/k8s/smoke.sh (sourced, not run): where
# the single-node Kubernetes test rig keeps its state, the loopback ports and address ranges it
# uses, and small helpers for starting, checking and stopping its processes by their pid files.

k8s_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
k8s_repo=$(cd "$k8s_here/../.." && pwd)

# Built by scripts/k8s/build.sh; kept by `down`.
K8S_CACHE="$k8s_repo/.cache/k8s"
K8S_BIN="$K8S_CACHE/bin"
K8S_CNI_BIN="$K8S_CACHE/cni/bin"
K8S_IMAGES="$K8S_CACHE/images"

# The running rig's state (certificates, etcd data, containerd root, kubelet root, logs, pid
# files, the host values `down` restores); removed by `down`. Ignored by git.
K8S_DIR="$k8s_repo/.k8s"
K8S_KUBECONFIG="$K8S_DIR/kubeconfig"
K8S_PKI="$K8S_DIR/pki"
K8S_RUN="$K8S_DIR/run"
K8S_LOGS="$K8S_DIR/logs"
K8S_HOST_STATE="$K8S_DIR/host-state"
K8S_CONTAINERD_SOCK="$K8S_DIR/containerd/containerd.sock"

# Every server listens on 127.0.0.1 only.
K8S_ETCD_PORT=23790
K8S_ETCD_PEER_PORT=23800
K8S_APISERVER_PORT=16443
K8S_CONTROLLER_MANAGER_PORT=10357
K8S_SCHEDULER_PORT=10359
K8S_KUBELET_PORT=10450
K8S_KUBELET_HEALTHZ_PORT=10448
K8S_PROXY_HEALTHZ_PORT=10446
K8S_PROXY_METRICS_PORT=10449
K8S_APISERVER_URL="https://127.0.0.1:$K8S_APISERVER_PORT"

# The node is named after the address the API server reaches the kubelet on (logs, exec,
# port-forward): 127.0.0.1, with a serving certificate for that IP, so no name has to resolve.
K8S_NODE_NAME=127.0.0.1
K8S_SERVICE_CIDR=10.96.77.0/24
K8S_SERVICE_FIRST_IP=10.96.77.1
K8S_POD_CIDR=10.244.77.0/24
K8S_POD_GATEWAY=10.244.77.1
K8S_BRIDGE=conveyork8s0
K8S_CNI_NETWORK=conveyor-k8s
# The kubelet's cgroupRoot: pods live in <hierarchy>/conveyor-k8s/kubepods/..., apart from docker.
K8S_CGROUP_ROOT=conveyor-k8s

# The processes `up` starts, in start order (`down` stops them in reverse).
K8S_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)

k8s_say() { echo "== k8s: $*" >&2; }

k8s_lock() { # one `up` or `down` at a time (down run by up inherits up's lock)
  if [ -z "${CONVEYOR_K8S_LOCKED:-}" ]; then
    mkdir -p "$K8S_CACHE"
    exec 9>"$K8S_CACHE/.rig.lock"
    flock 9
    export CONVEYOR_K8S_LOCKED=1
  fi
}

k8s_as_root_or_reexec() { # k8s_as_root_or_reexec "$0" "$@": the rig needs root (mounts, cgroups, iptables)
  if [ "$(id -u)" -ne 0 ]; then
    exec sudo -n -E "$@"
  fi
}

k8s_pid() { # k8s_pid <component>: the pid from its pid file when that process is still ours
  local file="$K8S_RUN/$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # A pid can be reused: only a process whose command line names the rig's binaries or state
  # directory is ours.
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -F -e "$K8S_BIN/" -e "$K8S_DIR/" >/dev/null || return 1
  echo "$pid"
}

k8s_alive() { k8s_pid "$1" >/dev/null; }

k8s_stop() { # k8s_stop <component>...: SIGTERM to all, SIGKILL to those still there after 15s
  local component pid pids=() waited=0
  for component in "$@"; do
    if pid=$(k8s_pid "$component"); then
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done
  while [ ${#pids[@]} -gt 0 ] && kill -0 "${pids[@]}" 2>/dev/null && [ "$waited" -lt 150 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      k8s_say "pid $pid did not stop within 15s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    fi
  done
  # wait until they are gone (SIGKILL is not instantaneous either)
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  done
  for component in "$@"; do rm -f "$K8S_RUN/$component.pid"; done
}

k8s_kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$K8S_KUBECONFIG" --request-timeout=20s "$@"; }

k8s_ctr() { ctr --address "$K8S_CONTAINERD_SOCK" --namespace k8s.io "$@"; }

k8s_node_ready() {
  [ "$(k8s_kubectl get node "$K8S_NODE_NAME" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

k8s_show_logs() { # the tail of every component's log, for a failure message
  local log
  for log in "$K8S_LOGS"/*.log; do
    [ -f "$log" ] || continue
    echo "----- $(basename "$log") (last ${1:-40} lines) -----" >&2
    tail -n "${1:-40}" "$log" >&2
  done
}
