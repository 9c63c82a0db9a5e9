#!/usr/bin/env bash
# Smoke test of the running Kubernetes test rig (start it with scripts/k8s/up). Through the API
# only, with the rig's kubectl and admin kubeconfig, in a namespace of its own:
#   1. a Pod "web" from local/busybox:latest (imagePullPolicy: Never) running busybox httpd;
#   2. a ClusterIP Service in front of it, and a Pod "client" that fetches the page with wget
#      through the Service's ClusterIP (kube-proxy's rules) and through the web pod's IP;
#   3. pod logs (the API server asks the kubelet: proves the apiserver -> kubelet path);
#   4. exec: output, exit status, stdin, and the ServiceAccount token volume in the container;
#   5. deletes the namespace and waits until it and its pods are gone.
# Exits non-zero with a message (and the pods' state and the components' logs) on any failure.
# usage: scripts/k8s/smoke.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

[ -f "$K8S_KUBECONFIG" ] || {
  echo "k8s/smoke.sh: no $K8S_KUBECONFIG: run scripts/k8s/up first" >&2
  exit 1
}
namespace="conveyor-smoke-$(date +%s)-$RANDOM"
body="conveyor-smoke-body-$RANDOM"
kc() { k8s_kubectl --namespace "$namespace" "$@"; }
step() { echo "== smoke: $*" >&2; }

fail() {
  set +e
  trap - ERR EXIT
  echo "k8s/smoke.sh: FAILED: $*" >&2
  kc get pods,services,endpointslices -o wide >&2 2>&1
  kc describe pods 2>&1 | tail -n 60 >&2
  k8s_show_logs 20
  k8s_kubectl delete namespace "$namespace" --wait=false >/dev/null 2>&1
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR
trap 'k8s_kubectl delete namespace "$namespace" --wait=false >/dev/null 2>&1 || true' EXIT

poll() { # poll <seconds> <description> <command...>
  local seconds=$1 description=$2 deadline
  shift 2
  deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$description within ${seconds}s"
    sleep 0.25
  done
}
expect_equal() { # expect_equal <what> <expected> <actual>
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

step "namespace $namespace"
k8s_kubectl create namespace "$namespace" >/dev/null
poll 30 "the namespace's default ServiceAccount" kc get serviceaccount default

step "pod web (busybox httpd) and service web"
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: httpd
      image: local/busybox:latest
      imagePullPolicy: Never
      command:
        - sh
        - -c
        - mkdir -p /var/www && echo $body >/var/www/index.html && echo httpd-starting && exec httpd -f -v -p 8080 -h /var/www
      ports:
        - containerPort: 8080
      readinessProbe:
        tcpSocket:
          port: 8080
        periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
EOF
kc wait --for=condition=Ready pod/web --timeout=90s >/dev/null || fail "pod web did not become Ready"
cluster_ip=$(kc get service web -o 'jsonpath={.spec.clusterIP}')
pod_ip=$(kc get pod web -o 'jsonpath={.status.podIP}')
step "web is Ready: pod IP $pod_ip, service ClusterIP $cluster_ip"
service_has_endpoint() {
  [ -n "$(kc get endpointslices -l kubernetes.io/service-name=web \
    -o 'jsonpath={.items[*].endpoints[?(@.conditions.ready==true)].addresses[*]}')" ]
}
poll 30 "the service's EndpointSlice lists the ready pod" service_has_endpoint

step "pod client: wget through the ClusterIP and the pod IP"
# kube-proxy applies the service's rules within its minSyncPeriod (1s): the client retries a while.
# (busybox-static 1.35's `wget -T` crashes with SIGSEGV on this machine; `timeout` bounds it.)
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - name: wget
      image: local/busybox:latest
      imagePullPolicy: Never
      command:
        - sh
        - -c
        - |
          fetch() { for i in \$(seq 40); do timeout 3 wget -q -O - "\$1" 2>/dev/null && return 0; echo "retry \$1" >&2; sleep 0.5; done; return 1; }
          page=\$(fetch http://$cluster_ip/) || exit 1
          echo "via-service: \$page"
          page=\$(fetch http://$pod_ip:8080/) || exit 1
          echo "via-pod-ip: \$page"
EOF
client_done() {
  local phase
  phase=$(kc get pod client -o 'jsonpath={.status.phase}')
  [ "$phase" = Succeeded ] || [ "$phase" = Failed ]
}
poll 90 "pod client finished" client_done
client_log=$(kc logs client)
client_phase=$(kc get pod client -o 'jsonpath={.status.phase}')
[ "$client_phase" = Succeeded ] || fail "pod client ended $client_phase; its log: $client_log"
for via in service pod-ip; do
  grep -qxF "via-$via: $body" <<<"$client_log" || fail "client's log lacks 'via-$via: $body': $client_log"
done

step "logs of web through the API"
web_log=$(kc logs web)
grep -qx httpd-starting <<<"$web_log" || fail "the log of pod web lacks 'httpd-starting': $web_log"

step "exec in web through the API"
expect_equal "exec cat" "$body" "$(kc exec web -- cat /var/www/index.html)"
exec_status=0
exec_out=$(kc exec web -- sh -c 'echo out; echo err >&2; exit 7' 2>/dev/null) || exec_status=$?
expect_equal "exec exit status" 7 "$exec_status"
expect_equal "exec stdout" out "$exec_out"
expect_equal "exec stdin" "from-stdin" "$(echo from-stdin | kc exec -i web -- cat)"
expect_equal "ServiceAccount namespace file" "$namespace" \
  "$(kc exec web -- cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)"
kc exec web -- test -s /var/run/secrets/kubernetes.io/serviceaccount/token || fail "no ServiceAccount token in the pod"

step "delete namespace $namespace"
k8s_kubectl delete namespace "$namespace" --timeout=90s >/dev/null || fail "namespace $namespace was not deleted"
trap - EXIT
step "passed"
