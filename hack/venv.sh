#!/usr/bin/env bash
# Create (or reuse) the development virtualenv: ansible-core + requests; with --lint also
# ansible-lint, with --docs also antsibull-docs, antsibull-changelog and the Sphinx theme
# (test tools, not requirements of the collection). Idempotent through stamp files; safe
# to run concurrently (a lock inside the venv serialises installs). pip runs with a HOME
# in $BUILD (hack/lib.sh: build_home), so its cache is not written to ~.
#
# Environment: PYTHON (python3), VENV (.venv), BUILD (.build), ANSIBLE_CORE (pip spec for ansible-core).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
ANSIBLE_CORE="${ANSIBLE_CORE:-ansible-core>=2.19,<2.20}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "venv: Python 3.11 or newer is required (PYTHON=$PYTHON: $("$PYTHON" -V 2>&1 || echo missing))" >&2
  exit 1
fi

BUILD="$(realpath -m "${BUILD:-.build}")"
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_home   # pip's cache (and whatever a package build writes to ~) in $BUILD/home

mkdir -p "$VENV"
exec 9>"$VENV/.lock"
flock 9

pip() { "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@"; }

# The stamp records the ansible-core spec, so changing ANSIBLE_CORE reinstalls.
stamp="$VENV/.stamp-core"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$ANSIBLE_CORE" ]; then
  echo "venv: installing $ANSIBLE_CORE and requests into $VENV"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  pip "$ANSIBLE_CORE" requests
  printf '%s\n' "$ANSIBLE_CORE" > "$stamp"
  rm -f "$VENV/.stamp-lint" "$VENV/.stamp-docs"
fi

# extra NAME PACKAGE...: the test tools NAME, installed once (stamp .stamp-NAME); the
# ansible-core spec is repeated so that they cannot move ansible-core out of range
extra() {
  local name="$1"
  shift
  [ ! -e "$VENV/.stamp-$name" ] || return 0
  echo "venv: installing $* into $VENV"
  pip "$@" "$ANSIBLE_CORE"
  touch "$VENV/.stamp-$name"
}
for arg in "$@"; do
  case "$arg" in
    --lint) extra lint ansible-lint ;;
    --docs) extra docs antsibull-docs antsibull-changelog 'sphinx-ansible-theme>=0.9.0' ;;
    *) echo "usage: $0 [--lint] [--docs]" >&2; exit 2 ;;
  esac
done
