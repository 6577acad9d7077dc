#!/usr/bin/env bash
# Create (or reuse) the development virtualenv: ansible-core + requests, and with
# --lint also ansible-lint. Idempotent through stamp files; safe to run concurrently
# (a lock inside the venv serialises installs).
#
# Environment: PYTHON (python3), VENV (.venv), ANSIBLE_CORE (pip spec for ansible-core).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
ANSIBLE_CORE="${ANSIBLE_CORE:-ansible-core>=2.19,<2.20}"
want_lint=0
[ "${1:-}" = --lint ] && want_lint=1

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "venv: Python 3.11 or newer is required (PYTHON=$PYTHON: $("$PYTHON" -V 2>&1 || echo missing))" >&2
  exit 1
fi

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
  rm -f "$VENV/.stamp-lint"
fi

if [ "$want_lint" = 1 ] && [ ! -e "$VENV/.stamp-lint" ]; then
  echo "venv: installing ansible-lint into $VENV"
  # ansible-core spec repeated so ansible-lint cannot move ansible-core out of range
  pip ansible-lint "$ANSIBLE_CORE"
  touch "$VENV/.stamp-lint"
fi
