#!/usr/bin/env bash
# Runs the compiled test suite again under each current Node LTS line (22, 24), with Node
# binaries from the npm registry's platform packages (node-linux-<arch>), cached under .cache/.
# Usage: scripts/test-node-lines.sh [MAJOR...]   (default: 22 24); run after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "test-node-lines: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
for major in "${majors[@]}"; do
  dir=".cache/node-lines/$major"
  bin="$dir/node_modules/node-linux-$arch/bin/node"
  if [ ! -x "$bin" ]; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund "node-linux-$arch@$major" >/dev/null
  fi
  echo "== tests on node $("$bin" --version)"
  "$bin" scripts/run-tests.mjs
done
