#!/usr/bin/env bash
# Run test suites against a copy of the working tree laid out as
# $BUILD/ansible_collections/<namespace>/<name> (ansible-test needs that layout and a
# git repository). Uncommitted and untracked (not ignored) files are tested as they are.
#
#   hack/run-tests.sh SUITE...
#
# SUITE: sanity | units | integration   ansible-test on the default lane (.venv: ansible-core 2.19)
#        sanity-2.21 | units-2.21 | integration-2.21
#        sanity-2.16 | units-2.16 | integration-2.16
#                                       the same on another ansible-core (hack/lane-test.sh)
#        package | docs | lint | galaxy | quickstart
#                                       hack/package-test.sh, docs-test.sh, ansible-lint,
#                                       galaxy-test.sh, quickstart-test.sh
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
export VENV BUILD   # absolute, for the suite scripts that run from the copy
read -ra targets <<< "${TARGETS:-}"
read -ra args <<< "${ARGS:-}"

# shellcheck source=hack/lib.sh
. "$REPO/hack/lib.sh"

[ $# -gt 0 ] || die "usage: $0 SUITE... (see the top of this file)"
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
# A fresh copy of what a clone would hold (tracked files, and untracked ones git does not
# ignore, as they are in the working tree), committed to a git repository of its own:
# ansible-test lists files with `git ls-files`.
rm -rf "$COLL"
export_tree "$COLL"
cd "$COLL" || die "cd $COLL"
{ git init -q && git add -A --force && git -c user.name=ci -c user.email=ci@localhost commit -qm snapshot; } >/dev/null \
  || die "cannot make a git repository of $COLL"
printf 'tests/output/\n.ansible/\n' >> .git/info/exclude

# A HOME of the run's own in $BUILD (hack/lib.sh: build_home).
build_home

# ansible-test bootstraps pip in every new sanity venv with a script it downloads from a
# host that is unreachable offline; hack/lib.sh writes a stand-in where it looks first
# (in the HOME above).
getpip_standin "$PY"

run_suite() {
  case "$1" in
    sanity|units)
      ansible-test "$1" --local --python "$PYV" --requirements "${args[@]}" "${targets[@]}" ;;
    integration)
      # every target runs even after one fails, so one run shows every failure; a failed
      # target runs once more at full verbosity, and the summary names it (see below)
      ansible-test integration --local --python "$PYV" --requirements --continue-on-error --retry-on-error "${args[@]}" "${targets[@]}" ;;
    package)
      hack/package-test.sh ;;
    sanity-2.*|units-2.*|integration-2.*)
      hack/lane-test.sh "${1##*-}" "${1%-*}" ;;
    galaxy)
      hack/galaxy-test.sh ;;
    quickstart)
      hack/quickstart-test.sh ;;
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

# Each suite's output is also kept in $BUILD/logs/<suite>.log, so that the summary can
# repeat why a suite failed: CI often shows only the tail of a long run.
mkdir -p "$BUILD/logs"
passed=() failed=()
for suite in "$@"; do
  step "$suite"
  t0=$SECONDS
  touch "$BUILD/logs/.start"
  if run_suite "$suite" 2>&1 | tee "$BUILD/logs/$suite.log"; then passed+=("$suite"); else failed+=("$suite"); fi
  echo "--- $suite took $((SECONDS - t0))s"
  # how long each integration target took, slowest first (ansible-test's own record of this run)
  for times in tests/output/data/integration-*.json; do
    [ "$times" -nt "$BUILD/logs/.start" ] || continue
    "$PY" -c 'import json, sys
t = sorted(json.load(open(sys.argv[1]))["targets"].values(), key=lambda t: -t["run_time_seconds"])
print("--- targets: " + ", ".join("%s %ds" % (x["name"], x["run_time_seconds"]) for x in t))' "$times"
  done
done

if [ $# -gt 1 ]; then
  step "summary"
  # why LOG: the failures in a suite's log that made it fail (or made a target run again).
  why() {
    # A play's real failure is the last failed task before a recap that counts failed=N
    # (earlier "fatal:" lines belong to tasks whose error was rescued or ignored); each
    # ansible-test target starts with "Running <target> integration test".
    awk 'function keep(line) { if (length(line) > 600) line = substr(line, 1, 600) "..."; return line }
         /^Running .* integration test/ { target = $2 }
         /^PLAY \[/ { last = "" }
         /^(TASK|RUNNING HANDLER) \[/ { task = $0; nfail = 0 }
         more > 0 && !/^(TASK|PLAY|RUNNING HANDLER) / { last = last "\n    " keep($0); more-- }
         /^(fatal|failed): / { if (!nfail) last = "[" target "] " task; if (nfail < 2) last = last "\n  " keep($0); nfail++; more = /\{$/ ? 8 : 0 }
         /^\.\.\.ignoring/ && nfail { last = "" }
         /failed=[1-9]/ && last != "" { print last; last = "" }
         /^(Traceback|E  |FAILED |ERROR: )/ && !/ERROR: (Command|The [0-9]+ integration)|^FAILED - RETRYING/ { print "[" target "] " keep($0) }' \
      "$1" | tail -n 30
  }
  for suite in "${failed[@]}"; do
    echo "why $suite failed (from $BUILD/logs/$suite.log):"
    reasons="$(why "$BUILD/logs/$suite.log")"
    # (a suite that is not a playbook run, e.g. lint: the end of its log says why)
    if [ -n "$reasons" ]; then echo "$reasons"; else tail -n 15 "$BUILD/logs/$suite.log" | cut -c1-300; fi
    sed -n '/listed below (out of/,$p' "$BUILD/logs/$suite.log" | head -n 20
  done
  # A target that failed, then passed when run again, passes; its first failure is named
  # here all the same (a flaky test, or a race in the code it tests: look at both).
  for suite in "${passed[@]}"; do
    if grep -q 'Retrying test target' "$BUILD/logs/$suite.log" 2>/dev/null; then
      echo "$suite passed, but a target failed once and passed on retry:"
      why "$BUILD/logs/$suite.log"
    fi
  done
  [ ${#passed[@]} -eq 0 ] || echo "passed: ${passed[*]}"
  [ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
  summary="make test: ${#passed[@]} passed, ${#failed[@]} failed"
  printf '%s\n' "$summary" > "$BUILD/test-summary.txt"
  echo "$summary"
fi
[ ${#failed[@]} -eq 0 ]
