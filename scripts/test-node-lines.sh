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
  # better-sqlite3 is a native addon built by npm ci for this machine's Node: build it once per
  # line, with npm's node-gyp run by that line's node against its headers (the platform package
  # ships include/node).
  addon="$dir/better-sqlite3/build/Release/better_sqlite3.node"
  if [ ! -f "$addon" ]; then
    gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
    headers="$(realpath "$dir/node_modules/node-linux-$arch")"
    node_bin="$(realpath "$bin")"
    rm -rf "$dir/better-sqlite3"
    cp -r node_modules/better-sqlite3 "$dir/better-sqlite3"
    rm -rf "$dir/better-sqlite3/build"
    (cd "$dir/better-sqlite3" && "$node_bin" "$gyp" rebuild --release --nodedir="$headers" >/dev/null 2>&1) ||
      { echo "test-node-lines: building better-sqlite3 for node $major failed" >&2; exit 1; }
  fi
  echo "== tests on node $("$bin" --version)"
  CONVEYOR_SQLITE_BINDING="$(realpath "$addon")" "$bin" scripts/run-tests.mjs
done
