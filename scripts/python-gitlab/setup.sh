#!/usr/bin/env bash
# Installs python-gitlab (a third-party GitLab API client, used as a peer by Conveyor's
# compatibility tests) from PyPI into a virtual environment at .cache/peers/python-gitlab/.
# Nothing it installs is committed: .cache/ is ignored by git.
#
# usage: scripts/python-gitlab/setup.sh     (prints the venv's python on its last line)
#
# PYTHON picks the interpreter (default: python3 on PATH). When that Python cannot make a venv
# (Debian's python3 without python3-venv), python3-venv is installed with apt-get (needs root).
# Idempotent: a venv that already has the pinned version is left as it is.
set -euo pipefail

# https://pypi.org/project/python-gitlab/8.6.0/
PYTHON_GITLAB_VERSION=8.6.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.cache/peers/python-gitlab"
py="$venv/bin/python"

installed_version() {
	"$py" -c 'import gitlab; print(gitlab.__version__)' 2>/dev/null || true
}

if [ -x "$py" ] && [ "$(installed_version)" = "$PYTHON_GITLAB_VERSION" ]; then
	echo "python-gitlab/setup.sh: $venv already has python-gitlab $PYTHON_GITLAB_VERSION" >&2
	echo "$py"
	exit 0
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
	echo "python-gitlab/setup.sh: $python cannot make a venv; installing python3-venv" >&2
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv >&2
fi

rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$py" -m pip install --quiet --disable-pip-version-check "python-gitlab==$PYTHON_GITLAB_VERSION" >&2

got=$(installed_version)
if [ "$got" != "$PYTHON_GITLAB_VERSION" ]; then
	echo "python-gitlab/setup.sh: expected python-gitlab $PYTHON_GITLAB_VERSION, found '$got'" >&2
	exit 1
fi
echo "python-gitlab/setup.sh: python-gitlab $got in $venv" >&2
echo "$py"
