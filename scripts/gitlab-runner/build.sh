#!/usr/bin/env bash
# Builds the real GitLab runner (a third-party peer for Conveyor's compatibility tests) from the
# Go module proxy into .cache/peers/bin/gitlab-runner. Nothing it fetches or builds is committed:
# .cache/ is ignored by git.
#
# usage: scripts/gitlab-runner/build.sh        (prints the binary's path on its last line)
#
# The pin lives in scripts/gitlab-runner/VERSION. The runner's go.mod replaces its nested module
# gitlab.com/gitlab-org/gitlab-runner/helpers/runner_wrapper/api with a local folder, which a
# module zip leaves out, and the proxy here does not serve that module's own zip either. So the
# build runs from a generated wrapper module (.cache/peers/gitlab-runner-build/) that requires the
# runner at the pinned version and points the nested module at a small stand-in written below.
# The stand-in only backs the runner's `wrapper` sub-command (a gRPC supervisor the tests never
# use); `register`, `run`, `run-single`, `unregister` and the executors are the runner's own code.
#
# Exit status 3: the proxy refused (HTTP 403) modules the runner needs; they are listed on stderr.
# That is so on this workplace today for the pinned version (see PROTOCOL-NOTES.md).
#
# Idempotent: when the binary exists and reports the pinned version, nothing is rebuilt.
# Needs Go (PATH or /usr/local/go/bin) and the Go module proxy; no other network.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
peers="$root/.cache/peers"
bin="$peers/bin/gitlab-runner"
work="$peers/gitlab-runner-build"

pin() { sed -n "s/^$1=//p" "$here/VERSION"; }
module_version=$(pin module)
runner_version=$(pin version)
runner_revision=$(pin revision)
if [ -z "$module_version" ] || [ -z "$runner_version" ] || [ -z "$runner_revision" ]; then
	echo "gitlab-runner/build.sh: $here/VERSION lacks module=, version= or revision=" >&2
	exit 1
fi

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qxF "Version:      $runner_version"; then
	echo "gitlab-runner/build.sh: $bin is already $runner_version" >&2
	echo "$bin"
	exit 0
fi

command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || {
	echo "gitlab-runner/build.sh: no go in PATH or /usr/local/go/bin" >&2
	exit 1
}
# Use the Go that is installed; the pinned runner needs go >= 1.26.5.
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"

rm -rf "$work"
mkdir -p "$work/wrapper-api/server" "$peers/bin"

# --- the stand-in for the nested runner_wrapper/api module (our own code, not the runner's) ---
cat >"$work/wrapper-api/go.mod" <<'EOF'
module gitlab.com/gitlab-org/gitlab-runner/helpers/runner_wrapper/api

go 1.23
EOF
cat >"$work/wrapper-api/api.go" <<'EOF'
// Package api is Conveyor's stand-in for the runner's nested runner_wrapper/api module, which the
// Go module proxy does not serve. It declares only what the runner's wrapper package uses.
package api

import (
	"context"
	"errors"
)

type Status int

const (
	StatusUnknown Status = iota
	StatusRunning
	StatusStopped
	StatusInShutdown
)

func (s Status) String() string {
	switch s {
	case StatusRunning:
		return "running"
	case StatusStopped:
		return "stopped"
	case StatusInShutdown:
		return "in_shutdown"
	default:
		return "unknown"
	}
}

var ErrProcessNotInitialized = errors.New("process not initialized")

type ShutdownCallbackDef interface {
	URL() string
	Method() string
}

type InitGracefulShutdownRequest interface {
	ShutdownCallbackDef() ShutdownCallbackDef
}

type ShutdownCallback interface {
	Run(ctx context.Context)
}

type noCallback struct{}

func (noCallback) Run(context.Context) {}

// NewShutdownCallback returns a callback that does nothing: this build has no wrapper gRPC API.
func NewShutdownCallback(_ any, _ ShutdownCallbackDef) ShutdownCallback { return noCallback{} }
EOF
cat >"$work/wrapper-api/server/server.go" <<'EOF'
// Package server is Conveyor's stand-in for the runner wrapper's gRPC server: it serves nothing.
package server

import "net"

type Server struct{}

func New(_ any, _ any) *Server { return &Server{} }

// Listen closes the listener at once: this build of the runner has no wrapper gRPC API.
func (*Server) Listen(l net.Listener) { _ = l.Close() }

func (*Server) Stop() {}
EOF

# --- the wrapper module whose build list holds the runner at the pinned version ---
cat >"$work/go.mod" <<EOF
module conveyor.invalid/gitlab-runner-peer

go 1.26.5

require (
	gitlab.com/gitlab-org/gitlab-runner $module_version
	gitlab.com/gitlab-org/gitlab-runner/helpers/runner_wrapper/api v0.1.1
)

replace gitlab.com/gitlab-org/gitlab-runner/helpers/runner_wrapper/api => ./wrapper-api

// The runner's own go.mod excludes this version; a dependency's excludes do not carry over.
exclude github.com/moby/moby v28.5.2+incompatible
EOF

ns=gitlab.com/gitlab-org/gitlab-runner/common
ldflags="-X $ns.NAME=gitlab-runner -X $ns.VERSION=$runner_version -X $ns.REVISION=$runner_revision"
ldflags="$ldflags -X $ns.BRANCH=main -X $ns.BUILT=$(date -u +%Y-%m-%dT%H:%M:%S%z) -s -w"

start=$(date +%s)
echo "gitlab-runner/build.sh: building gitlab-runner $runner_version ($module_version)" >&2
if ! (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" gitlab.com/gitlab-org/gitlab-runner) \
	2> >(tee "$work/build.log" >&2); then
	wait # for tee to finish writing build.log
	refused=$(sed -n 's#.*reading https://[^/]*/\(.*\)/@v/\([^/]*\)\.\(zip\|info\|mod\): 403.*#\1@\2#p' \
		"$work/build.log" | sort -u)
	if [ -n "$refused" ]; then
		echo "gitlab-runner/build.sh: the Go module proxy refused (403) these dependencies of the runner:" >&2
		printf '  %s\n' $refused >&2
		echo "gitlab-runner/build.sh: the runner cannot be built here until they are served" >&2
		exit 3
	fi
	echo "gitlab-runner/build.sh: go build failed; see $work/build.log" >&2
	exit 1
fi
mv "$bin.tmp" "$bin"
echo "gitlab-runner/build.sh: built in $(($(date +%s) - start)) s" >&2
"$bin" --version >&2
echo "$bin"
