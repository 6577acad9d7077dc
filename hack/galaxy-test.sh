#!/usr/bin/env bash
# The galaxy suite of `make test`: what Galaxy and Automation Hub check when the collection
# is uploaded, offline, on the tarball that `make build` makes.
#   1. licences (the REUSE layout): every licence named by an SPDX-License-Identifier in a
#      file, in REUSE.toml or in galaxy.yml has its text in LICENSES/<id>.txt, every text
#      there is used, the GPL text is the real one, and `reuse lint` passes;
#   2. galaxy.yml build_ignore names only paths that exist in the repository or that git
#      ignores (tool output), so no entry is stale;
#   3. the tarball holds each licence text byte for byte, a README for every role, and no
#      file that git would not track (caches, local output);
#   4. no file cites a document the repository does not hold (notes kept outside it, issue
#      numbers of a tracker a clone does not come with);
#   5. galaxy-importer (the importer Galaxy runs) on the tarball, with ansible-doc,
#      ansible-lint and flake8 on and ansible-test off: any ERROR or WARNING fails.
# The tools live in a virtualenv of their own ($BUILD/venv-galaxy): they are test tools,
# never requirements of the collection. Run from the collection root (run-tests.sh runs it
# in its copy, a git repository).
#
# Environment: PYTHON (python3), BUILD (.build).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
BUILD="$(realpath -m "${BUILD:-.build}")"
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

venv="$BUILD/venv-galaxy"
fresh_venv "$venv" "$PYTHON" galaxy-importer reuse
PY="$venv/bin/python"

WORK="$(mktemp -d "$BUILD/galaxy.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

step "build the tarball"
# From the files a clone of this tree holds (tracked, and untracked but not ignored), as
# a user's `make build` in a fresh checkout would: output the test suites left in this
# copy (.hypothesis, tests/output, ...) is not what Galaxy would get.
export_dir="$WORK/src/collection"
export_tree "$export_dir"
"$venv/bin/ansible-galaxy" collection build --force --output-path "$WORK/dist" "$export_dir" >/dev/null \
  || die "collection build failed"
tarball="$(ls "$WORK"/dist/*.tar.gz)"
echo "built $tarball"

step "licences, build_ignore, the tarball's contents, citations"
"$PY" hack/galaxy_check.py "$tarball"
"$venv/bin/reuse" lint >"$WORK/reuse.txt" 2>&1 || { cat "$WORK/reuse.txt"; die "reuse lint failed"; }
echo "ok: reuse lint ($(grep -m1 'compliant' "$WORK/reuse.txt" | sed 's/^ *//'))"

step "galaxy-importer on the tarball (ansible-test off; ansible-doc, ansible-lint, flake8 on)"
cat >"$WORK/galaxy-importer.cfg" <<EOF
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_FLAKE8 = True
CHECK_CHANGELOG = True
ANSIBLE_LOCAL_TMP = $WORK/ansible-tmp
TMP_ROOT_DIR = $WORK
LOG_LEVEL_MAIN = INFO
EOF
mkdir -p "$WORK/ansible-tmp" "$WORK/out"
rc=0
(
  cd "$WORK/out"
  # the importer finds ansible-doc, ansible-lint and flake8 on PATH: only its own venv's
  GALAXY_IMPORTER_CONFIG="$WORK/galaxy-importer.cfg" PATH="$venv/bin:$PATH" \
    ANSIBLE_COLLECTIONS_PATH="$WORK/none" "$PY" -m galaxy_importer.main "$tarball"
) >"$WORK/importer.log" 2>&1 || rc=$?
cat "$WORK/importer.log"
version="$("$PY" -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))')"
problems="$(grep -E '^(WARNING|ERROR|CRITICAL)|Traceback' "$WORK/importer.log" || true)"
if [ "$rc" -ne 0 ] || [ -n "$problems" ]; then
  echo "FAIL: galaxy-importer $version (exit status $rc) reported:"
  printf '%s\n' "${problems:-(no WARNING/ERROR line; see the log above)}"
  exit 1
fi
grep -q 'Importing with galaxy-importer' "$WORK/importer.log" || die "galaxy-importer printed nothing recognisable"
echo "ok: galaxy-importer $version accepts $(basename "$tarball") with no error and no warning"
