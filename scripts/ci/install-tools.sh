#!/usr/bin/env bash
# Installs the command-line tools the test suite meets as real parts, when missing: git (job
# checkouts), zip and unzip (artifact archives are checked against Info-ZIP, as users open them),
# openssl (the certificates of the HTTPS servers remote-include tests fetch from).
# Usage: scripts/ci/install-tools.sh   (as root, or with passwordless sudo)
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

missing=()
for tool in git zip unzip openssl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "== installing ${missing[*]} (apt-get)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
