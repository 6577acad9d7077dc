#!/usr/bin/env bash
# Unit tests on the lowest ansible-core this collection supports (meta/runtime.yml:
# requires_ansible >=2.16.0), in a virtualenv of its own. The newest supported
# ansible-core is what `make test` runs everything else on. Run from the collection
# root inside ansible_collections/<ns>/<name> (run-tests.sh runs it in its copy).
#
# Environment: PYTHON (python3), BUILD (.build), COMPAT_CORE (ansible-core>=2.16,<2.17).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
BUILD="$(realpath -m "${BUILD:-.build}")"
COMPAT_CORE="${COMPAT_CORE:-ansible-core>=2.16,<2.17}"
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

grep -q "requires_ansible: '>=2.16.0'" meta/runtime.yml || die "meta/runtime.yml no longer says >=2.16.0: update COMPAT_CORE"
venv="$BUILD/venv-compat"
stamp="$venv/.stamp"
if [ "$(cat "$stamp" 2>/dev/null)" != "$COMPAT_CORE" ]; then
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$COMPAT_CORE" requests || die "cannot install $COMPAT_CORE"
  printf '%s\n' "$COMPAT_CORE" > "$stamp"
fi
PYV="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
step "units on $("$venv/bin/ansible" --version | head -n 1)"
PATH="$venv/bin:$PATH" ansible-test units --local --python "$PYV" --requirements
