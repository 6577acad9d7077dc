#!/usr/bin/env bash
# The Catapult emulator in the background, for trying the collection by hand:
#
#   hack/emulator.sh start [EMULATOR ARGS...]   (make emulator-start)
#   hack/emulator.sh stop                       (make emulator-stop)
#
# start runs tests/emulator/catapult_emulator.py with the given arguments (the Makefile
# passes --host 127.0.0.1 --port $EMULATOR_PORT and the demo account), waits until it
# listens, and prints its URL and the account's credentials; its pid, URL and log are in
# $BUILD (emulator.pid, emulator.url, emulator.log). stop ends it.
#
# Environment: VENV (.venv), BUILD (.build), EMULATOR_LIFETIME (seconds after which it
# exits by itself; 0, the default, means never).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
VENV="$(realpath -m "${VENV:-.venv}")"
BUILD="$(realpath -m "${BUILD:-.build}")"
PY="$VENV/bin/python"
# shellcheck source=hack/lib.sh
. "$REPO/hack/lib.sh"

pid_file="$BUILD/emulator.pid"
url_file="$BUILD/emulator.url"
log_file="$BUILD/emulator.log"

running() { [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

# the value following OPTION in the emulator's arguments
arg() {
  local want="$1" prev=
  shift
  for word in "$@"; do
    [ "$prev" != "$want" ] || { printf '%s' "$word"; return; }
    prev="$word"
  done
}

case "${1:-}" in
  start)
    shift
    if running; then
      echo "emulator: already running at $(cat "$url_file" 2>/dev/null) (pid $(cat "$pid_file")); make emulator-stop ends it"
      exit 0
    fi
    [ -x "$PY" ] || die "no python in $VENV (run: make venv)"
    mkdir -p "$BUILD"
    rm -f "$url_file" "$pid_file"
    nohup "$PY" tests/emulator/catapult_emulator.py "$@" --url-file "$url_file" --pid-file "$pid_file" \
      --lifetime "${EMULATOR_LIFETIME:-0}" >"$log_file" 2>&1 </dev/null &
    pid=$!
    for _ in $(seq 100); do
      [ -s "$url_file" ] && break
      kill -0 "$pid" 2>/dev/null || { tail -n 5 "$log_file" >&2; die "the emulator exited (is the port in use? EMULATOR_PORT=... picks another)"; }
      sleep 0.1
    done
    [ -s "$url_file" ] || { kill "$pid" 2>/dev/null || true; die "the emulator did not start listening within 10 s; see $log_file"; }
    echo "emulator: $(cat "$url_file") in the background (pid $pid, log $log_file)"
    echo "  account: user id $(arg --user-id "$@"), API token $(arg --api-token "$@"), API secret $(arg --api-secret "$@")"
    echo "  stop it with: make emulator-stop"
    ;;
  stop)
    if running; then
      pid="$(cat "$pid_file")"
      kill "$pid"
      for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      ! kill -0 "$pid" 2>/dev/null || kill -9 "$pid"
      echo "emulator: stopped (pid $pid)"
    else
      echo "emulator: not running"
    fi
    rm -f "$pid_file" "$url_file"
    ;;
  *)
    die "usage: $0 start [EMULATOR ARGS...] | stop"
    ;;
esac
