#!/usr/bin/env bash
# The quickstart suite of `make test`: runs the README's quick start WORD FOR WORD, as a
# newcomer would on a fresh machine, and checks that it does what the README says.
#
# The commands are the fenced block between <!-- quickstart:begin --> and
# <!-- quickstart:end --> in README.md. They run with bash -e in a fresh copy of the
# repository's files (tracked and untracked, as a clone of this tree would have them),
# with an empty HOME (so the collection is installed into a scratch ~/.ansible and the
# virtualenv is created from nothing), no virtualenv on PATH and no ANSIBLE_*, CATAPULT_*
# or make variables from the caller. The emulator gets a free port through EMULATOR_PORT,
# which the README's commands honour (8080 otherwise). Then:
#   - every command succeeded;
#   - three play recaps: the --check --diff run, the run, the rerun; the run changed
#     something and the rerun changed nothing (changed=0) and nothing failed;
#   - the playbooks used the installed tarball (~/.ansible/collections), not the checkout;
#   - the emulator the quick start started is stopped again.
# Run from the collection root (run-tests.sh runs it in its copy, a git repository).
#
# Environment: BUILD (.build).
set -euo pipefail

BUILD="$(realpath -m "${BUILD:-.build}")"
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$BUILD"
WORK="$(mktemp -d "$BUILD/quickstart.XXXXXX")"
repo="$WORK/bandwidth-catapult"
cleanup() {
  local rc=$? pid
  pid="$(cat "$repo/.build/emulator.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    [ "$rc" -ne 0 ] || { echo "FAIL: the quick start left its emulator running (pid $pid)"; rc=1; }
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

step "the quick start block of README.md"
python3 hack/readme_check.py extract README.md "$WORK/quickstart.sh"
cat "$WORK/quickstart.sh"

step "a fresh copy of the repository and a fresh HOME"
mkdir -p "$WORK/home"
export_tree "$repo"
echo "$(find "$repo" -type f | wc -l) files in $repo"

# What the caller's environment must not lend the quick start.
for var in $(compgen -e); do
  case "$var" in
    ANSIBLE_*|CATAPULT_*|VENV|BUILD|TARGETS|ARGS|BENCH_ARGS|EMULATOR_*|LANE_*|PYTHON|VIRTUAL_ENV|MAKEFLAGS|MFLAGS|MAKELEVEL|MAKEOVERRIDES)
      unset "$var" ;;
  esac
done
clean_path=
IFS=: read -ra dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  if [ -n "$d" ] && [ ! -e "$d/ansible-galaxy" ] && [ ! -e "$d/ansible-playbook" ]; then
    clean_path="${clean_path:+$clean_path:}$d"
  fi
done
! PATH="$clean_path" command -v ansible-galaxy >/dev/null || die "ansible-galaxy is still on PATH"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

step "run it (bash -e, in $repo, EMULATOR_PORT=$port)"
rc=0
(
  cd "$repo"
  export HOME="$WORK/home" PATH="$clean_path" EMULATOR_PORT="$port" EMULATOR_LIFETIME=1200
  timeout 1200 bash -e -o pipefail -x "$WORK/quickstart.sh"
) 2>&1 | tee "$WORK/quickstart.log" || rc=$?
[ "$rc" -eq 0 ] || die "the quick start failed (exit status $rc)"

step "what it did"
python3 hack/readme_check.py check "$WORK/quickstart.log" "$WORK/home"
echo "ok: the README's quick start works word for word on a fresh copy (rerun changed=0)"
