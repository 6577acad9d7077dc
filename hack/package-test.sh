#!/usr/bin/env bash
# The collection as users get it: build the tarball, install it into an empty collections
# path, render every module's and role's docs from there, check the execution-environment
# metadata with ansible-builder, and run a playbook from the installed copy against the
# emulator. Run from the collection root (run-tests.sh runs it in its copy).
#
# Environment: VENV (.venv, must exist), BUILD (.build).
set -euo pipefail

SRC="$(pwd)"
VENV="$(realpath -m "${VENV:-.venv}")"
BUILD="$(realpath -m "${BUILD:-.build}")"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
USER_ID=u-package
API_TOKEN=package-token
API_SECRET=package-secret
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$BUILD"
WORK="$(mktemp -d "$BUILD/package.XXXXXX")"
cleanup() { stop_emulator "$WORK"; rm -rf "$WORK"; }
trap cleanup EXIT

step "build and install the tarball"
install_collection "$SRC"
installed="$WORK/collections/ansible_collections/bandwidth/catapult"
[ -f "$installed/MANIFEST.json" ] || die "no MANIFEST.json in $installed"

step "docs from the installed copy"
for module in "$installed"/plugins/modules/*.py; do
  name="bandwidth.catapult.$(basename "$module" .py)"
  ansible-doc "$name" >"$WORK/doc.txt" 2>&1 || { cat "$WORK/doc.txt"; die "ansible-doc $name failed"; }
  grep -q 'EXAMPLES' "$WORK/doc.txt" || die "ansible-doc $name shows no examples"
  echo "ok: ansible-doc $name"
done
role_docs bandwidth.catapult "$installed"

step "execution environment metadata (ansible-builder introspect)"
if [ ! -x "$VENV/bin/ansible-builder" ]; then
  "$PY" -m pip install -q --disable-pip-version-check ansible-builder || die "cannot install ansible-builder"
fi
ansible-builder introspect --sanitize "$WORK/collections" | tee "$WORK/introspect.txt"
grep -q "^- 'requests.*# from collection bandwidth.catapult'" "$WORK/introspect.txt" \
  || die "ansible-builder does not see the collection's Python requirement (requests)"

step "a playbook from the installed copy against the emulator"
start_emulator "$WORK" 900 --host 127.0.0.1 --port 0 --user-id "$USER_ID" --api-token "$API_TOKEN" --api-secret "$API_SECRET"
# Outside the source tree, so ansible cannot pick the collection up from the playbook's path.
cp "$SRC/tests/package/playbook.yml" "$WORK/playbook.yml"
export CATAPULT_USER_ID="$USER_ID" CATAPULT_API_TOKEN="$API_TOKEN" CATAPULT_API_SECRET="$API_SECRET" CATAPULT_API_URL="$API_URL"
ansible-playbook -i localhost, "$WORK/playbook.yml"
echo "package test passed"
