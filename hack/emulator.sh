#!/usr/bin/env bash
# The Catapult emulator for trying the collection by hand, and the demo:
#
#   hack/emulator.sh start [EMULATOR ARGS...]   (make emulator-start)
#   hack/emulator.sh stop                       (make emulator-stop)
#   hack/emulator.sh demo                       (make demo)
#
# start runs tests/emulator/catapult_emulator.py --detach with the given arguments (the
# Makefile passes --host 127.0.0.1 --port $EMULATOR_PORT and the demo account): it returns
# once the emulator serves, and this prints its URL and the account's credentials; its pid
# file and output are in $BUILD (emulator.pid, emulator.log). stop ends it.
#
# demo builds and installs the collection into a private collections path, starts an
# emulator of its own, runs playbooks/demo.yml (the bandwidth.catapult.phone_numbers role
# with playbooks/inventory) twice (the second run must change nothing), prints the numbers
# on the demo account as a table, adds a number by hand and shows that a --check run
# reports it as drift, and stops the emulator, also on Ctrl-C or failure.
#
# Environment: VENV (.venv, must exist: `make venv`), BUILD (.build), EMULATOR_LIFETIME
# (start: seconds after which it exits by itself; 0, the default, means never).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
VENV="$(realpath -m "${VENV:-.venv}")"
BUILD="$(realpath -m "${BUILD:-.build}")"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
# shellcheck source=hack/lib.sh
. "$REPO/hack/lib.sh"
[ -x "$PY" ] || die "no python in $VENV (run: make venv)"

# the value following OPTION in the emulator's arguments
arg() {
  local want="$1" prev='' word
  shift
  for word in "$@"; do
    [ "$prev" != "$want" ] || { printf '%s' "$word"; return; }
    prev="$word"
  done
}

start() {
  local pid_file="$BUILD/emulator.pid"
  if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    echo "emulator: already running at $(cat "$BUILD/emulator.url" 2>/dev/null) (pid $(cat "$pid_file")); make emulator-stop ends it"
    exit 0
  fi
  rm -f "$BUILD/emulator.log"
  start_emulator "$BUILD" "${EMULATOR_LIFETIME:-0}" "$@"
  echo "emulator: $API_URL in the background (pid $(cat "$pid_file"), log $BUILD/emulator.log)"
  echo "  account: user id $(arg --user-id "$@"), API token $(arg --api-token "$@"), API secret $(arg --api-secret "$@")"
  echo "  stop it with: make emulator-stop"
}

# run_demo N: runs the demo playbook, prints its output, and sets $changed from the play recap.
run_demo() {
  local log="$WORK/run$1.log" rc=0
  ansible-playbook -i playbooks/inventory playbooks/demo.yml 2>&1 | tee "$log" || rc=$?
  [ "$rc" -ne 99 ] || { echo "demo: interrupted" >&2; exit 130; }   # ansible-playbook's Ctrl-C status
  [ "$rc" -eq 0 ] || die "run $1 of playbooks/demo.yml failed (exit status $rc)"
  changed="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n 's/^localhost *:.* changed=\([0-9]*\).*/\1/p' | tail -n 1)"
  [ -n "$changed" ] || die "no play recap for localhost in run $1"
}

demo() {
  local user_id=u-demo token=demo-token secret=demo-secret first_changed rc=0
  [ -x "$VENV/bin/ansible-playbook" ] || die "no ansible-playbook in $VENV (run: make venv)"
  mkdir -p "$BUILD"
  WORK="$(mktemp -d "$BUILD/demo.XXXXXX")"   # per run: two demos at once do not collide
  export ANSIBLE_HOME="$WORK/ansible-home"    # ansible's caches and temporary files there, not in ~/.ansible
  trap demo_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  step "build and install bandwidth.catapult"
  install_collection .

  step "start the Catapult emulator"
  start_emulator "$WORK" 900 --host 127.0.0.1 --port 0 --user-id "$user_id" --api-token "$token" --api-secret "$secret"
  echo "emulator: $API_URL (user $user_id)"
  export CATAPULT_USER_ID="$user_id" CATAPULT_API_TOKEN="$token" CATAPULT_API_SECRET="$secret" CATAPULT_API_URL="$API_URL"

  step "demo playbook, run 1"
  run_demo 1
  first_changed=$changed

  step "demo playbook, run 2 (must change nothing)"
  run_demo 2
  [ "$changed" -eq 0 ] || die "the second run changed $changed task(s); it must change nothing"

  step "numbers on account $user_id"
  # The account as the emulator holds it; the inventory says which names are pools.
  ansible-inventory -i playbooks/inventory --host localhost >"$WORK/hostvars.json" || die "cannot read playbooks/inventory"
  "$PY" hack/demo_account.py table "$CONTROL" "$WORK/hostvars.json" "$user_id"

  step "someone adds a number by hand; a --check run reports the drift"
  "$PY" hack/demo_account.py add "$API_URL" "$user_id" "$token" "$secret"
  ansible-playbook -i playbooks/inventory playbooks/demo.yml --check 2>&1 | tee "$WORK/check.log" || rc=$?
  [ "$rc" -eq 0 ] || die "the --check run of playbooks/demo.yml failed (exit status $rc)"
  grep -q 'drift: 1 number on the account that nothing claims.*+19195552599' "$WORK/check.log" \
    || die "the --check run did not report the number added by hand as drift"

  echo
  echo "demo: ok (run 1 changed $first_changed task(s), run 2 changed nothing, --check reported the drift)"
}

demo_cleanup() {
  local rc=$?
  stop_emulator "$WORK" >/dev/null
  if [ "$rc" -ne 0 ] && [ -s "$WORK/emulator.log" ]; then
    echo "demo: last lines of the emulator's output:" >&2
    tail -n 20 "$WORK/emulator.log" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop_emulator "$BUILD" | grep . || echo "emulator: not running" ;;
  demo) demo ;;
  *) die "usage: $0 start [EMULATOR ARGS...] | stop | demo" ;;
esac
