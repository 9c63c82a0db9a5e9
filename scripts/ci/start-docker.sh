#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the Docker executor's tests:
# installs Debian's docker.io and busybox-static when missing (busybox builds the local test
# images: no registry is reachable), then starts dockerd in the background when no engine
# answers, and waits (bounded) until it does. Fails with dockerd's log when it does not come up.
# Usage: scripts/ci/start-docker.sh   (as root, or with passwordless sudo)
# Env: CONVEYOR_DOCKERD_LOG (default /tmp/conveyor-dockerd.log), CONVEYOR_DOCKERD_WAIT (seconds,
# default 60), CONVEYOR_DOCKERD_ARGS (extra dockerd arguments; with DOCKER_HOST for another socket).
set -euo pipefail

log_file="${CONVEYOR_DOCKERD_LOG:-/tmp/conveyor-dockerd.log}"
wait_seconds="${CONVEYOR_DOCKERD_WAIT:-60}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

engine_answers() {
  timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} (apt-get)"
  # Package scripts must not try to start services on a machine without an init system.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  [ -z "$created_policy" ] || as_root rm -f /usr/sbin/policy-rc.d
fi

if engine_answers; then
  echo "== docker engine $(docker version --format '{{.Server.Version}}') already answers"
  exit 0
fi

# A pid file left by a dockerd that was killed stops a new one from starting.
pid_file=/var/run/docker.pid
if [ -f "$pid_file" ] && ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  as_root rm -f "$pid_file"
fi

echo "== starting dockerd (log: $log_file)"
as_root sh -c "nohup dockerd ${CONVEYOR_DOCKERD_ARGS:-} >'$log_file' 2>&1 </dev/null &"

for _ in $(seq "$wait_seconds"); do
  if engine_answers; then
    echo "== docker engine $(docker version --format '{{.Server.Version}}') answers"
    exit 0
  fi
  sleep 1
done

echo "start-docker: no Docker engine answered within ${wait_seconds}s; dockerd's log:" >&2
tail -n 100 "$log_file" >&2 || true
exit 1
