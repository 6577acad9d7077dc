#!/usr/bin/env bash
# Run test suites against a copy of the working tree laid out as
# $BUILD/ansible_collections/<namespace>/<name> (ansible-test needs that layout and a
# git repository). Uncommitted and untracked files are tested as they are.
#
#   hack/run-tests.sh SUITE...      SUITE: sanity | units | integration | package | compat | docs | lint
#
# Environment: VENV (.venv, must exist: `make venv`), BUILD (.build), TARGETS and ARGS
# (extra words for ansible-test / ansible-lint). Every suite runs even if an earlier one
# failed; with more than one suite the last line is "make test: N passed, M failed",
# also written to $BUILD/test-summary.txt. Exit status: 0 only if every suite passed.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO" || exit 1
VENV="$(realpath -m "${VENV:-.venv}")"
BUILD="$(realpath -m "${BUILD:-.build}")"
read -ra targets <<< "${TARGETS:-}"
read -ra args <<< "${ARGS:-}"

die() { echo "run-tests: $*" >&2; exit 1; }
step() { printf '\n=== %s ===\n' "$*"; }

[ $# -gt 0 ] || die "usage: $0 sanity|units|integration|lint..."
[ -x "$VENV/bin/ansible-test" ] || die "no ansible-test in $VENV (run: make venv)"
export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV"
PY="$VENV/bin/python"
PYV="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

read -r NS NAME < <("$PY" -c 'import sys, yaml; g = yaml.safe_load(open(sys.argv[1])); print(g["namespace"], g["name"])' galaxy.yml) \
  || die "cannot read namespace/name from galaxy.yml"
COLL="$BUILD/ansible_collections/$NS/$NAME"

# One run per build dir at a time; concurrent runs from one checkout: pass BUILD=/tmp/x.
mkdir -p "$BUILD"
exec 9>"$BUILD/.lock"
if ! flock -n 9; then
  echo "run-tests: $BUILD is in use by another run; waiting (or pass BUILD=/some/other/dir)"
  flock 9
fi

step "collection tree: $COLL"
# Excluded: local tooling and output; the build dir and venv too when they live in the checkout.
# (paths from the top of the checkout; __pycache__ and *.pyc are dropped everywhere)
excludes=(.venv .build .ansible tests/output tests/integration/inventory '.git/*.lock')
for d in "$VENV" "$BUILD"; do
  case "$d/" in "$REPO"/*) rel="${d#"$REPO"/}"; excludes+=("$rel") ;; esac
done
mkdir -p "$COLL"
if command -v rsync >/dev/null 2>&1; then
  rsync_ex=()
  for e in "${excludes[@]}"; do rsync_ex+=(--exclude "/$e"); done
  rsync_ex+=(--exclude __pycache__ --exclude '*.pyc')
  rsync -a --delete "${rsync_ex[@]}" "$REPO/" "$COLL/" || die "rsync failed"
else
  # cp -a of each top-level entry, minus the excluded ones, into a fresh copy
  find "$COLL" -mindepth 1 -maxdepth 1 ! -name tests -exec rm -rf {} +
  find "$COLL/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} + 2>/dev/null
  shopt -s dotglob nullglob
  for entry in "$REPO"/*; do
    base="${entry##*/}"
    case " ${excludes[*]} " in *" $base "*) continue ;; esac
    cp -a "$entry" "$COLL/" || die "copy of $entry failed"
  done
  shopt -u dotglob nullglob
  rm -rf "$COLL/tests/integration/inventory" "$COLL"/.git/*.lock
  find "$COLL" -name __pycache__ -prune -exec rm -rf {} +
fi
cd "$COLL" || die "cd $COLL"
# ansible-test lists files with `git ls-files --cached --others --exclude-standard`:
# untracked files count, ignored ones do not, deleted ones are dropped.
if [ ! -d .git ]; then
  git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm snapshot >/dev/null
fi
mkdir -p .git/info
grep -qxF 'tests/output/' .git/info/exclude 2>/dev/null || printf 'tests/output/\n.ansible/\n' >> .git/info/exclude

# ansible-test bootstraps pip in every new sanity venv with a script it downloads from a
# host that is unreachable offline, unless ~/.ansible/test/cache/get_pip_<ver>.py exists.
# <ver> is the pip version ansible-test pins (24.2 for 2.19). See ../shared/toolchain.md.
PIPV="$("$PY" - <<'PYEOF'
import os, re, ansible_test
src = open(os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')).read()
m = re.search(r"pip='([0-9.]+)'", src)
print(m.group(1) if m else '24.2')
PYEOF
)"
mkdir -p "$HOME/.ansible/test/cache"
STANDIN="$HOME/.ansible/test/cache/get_pip_${PIPV//./_}.py"
cat > "$STANDIN.tmp.$$" <<'PYEOF'
"""Offline stand-in for ansible-test's get-pip script: run as `python get_pip_X_Y.py [pip args] pkgs`."""
import subprocess
import sys

# bundled pip first (no network), in a subprocess so /etc/pip.conf (certs, indexes) stays in force
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'pip', 'install', *args])
PYEOF
mv -f "$STANDIN.tmp.$$" "$STANDIN"

run_suite() {
  case "$1" in
    sanity|units|integration)
      ansible-test "$1" --local --python "$PYV" --requirements "${args[@]}" "${targets[@]}" ;;
    package)
      hack/package-test.sh ;;
    compat)
      hack/compat-test.sh ;;
    docs)
      hack/docs-test.sh ;;
    lint)
      [ -x "$VENV/bin/ansible-lint" ] || die "no ansible-lint in $VENV (run: make lint)"
      # (not --offline: ansible-lint then skips linking this collection into .ansible/,
      # and playbooks using group/bandwidth.catapult.catapult fail their syntax check)
      if [ -t 1 ]; then
        ansible-lint "${args[@]}" "${targets[@]}"
      else
        NO_COLOR=1 ansible-lint "${args[@]}" "${targets[@]}"
      fi ;;
    *)
      echo "run-tests: unknown suite $1" >&2; return 2 ;;
  esac
}

passed=() failed=()
for suite in "$@"; do
  step "$suite"
  t0=$SECONDS
  if run_suite "$suite"; then passed+=("$suite"); else failed+=("$suite"); fi
  echo "--- $suite took $((SECONDS - t0))s"
done

if [ $# -gt 1 ]; then
  step "summary"
  [ ${#passed[@]} -eq 0 ] || echo "passed: ${passed[*]}"
  [ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
  summary="make test: ${#passed[@]} passed, ${#failed[@]} failed"
  printf '%s\n' "$summary" > "$BUILD/test-summary.txt"
  echo "$summary"
fi
[ ${#failed[@]} -eq 0 ]
