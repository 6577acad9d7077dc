# shellcheck shell=bash
# Functions shared by the hack/*.sh scripts (source it). Callers set:
#   PY    the virtualenv's python       WORK  a scratch directory of their own
# and get die/step, collection install into $WORK/collections, and the emulator.

die() { echo "${0##*/}: $*" >&2; exit 1; }
step() { printf '\n=== %s ===\n' "$*"; }

# role_docs PREFIX DIR: ansible-doc -t role PREFIX.<name> renders for every role under DIR/roles.
role_docs() {
  local role name
  for role in "$2"/roles/*/; do
    [ -d "$role" ] || continue
    name="$1.$(basename "$role")"
    ansible-doc -t role "$name" >"$WORK/role-doc.txt" 2>&1 || { cat "$WORK/role-doc.txt"; die "ansible-doc -t role $name failed"; }
    echo "ok: ansible-doc -t role $name"
  done
}

# install_collection SRC: build SRC into a tarball and install it into $WORK/collections;
# only that copy is visible to ansible afterwards.
install_collection() {
  local tarball
  export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
  export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
  ansible-galaxy collection build --force --output-path "$WORK/dist" "$1" >/dev/null || die "collection build failed"
  tarball="$(ls "$WORK"/dist/*.tar.gz)"
  ansible-galaxy collection install --offline --force -p "$WORK/collections" "$tarball" >/dev/null \
    || die "install of $tarball failed"
  echo "installed $tarball into $WORK/collections"
}

# start_emulator SCRIPT [EXTRA ARGS...]: start the Catapult emulator in the background for
# the account $USER_ID/$API_TOKEN/$API_SECRET; sets API_URL, CONTROL and emulator_pid.
# Call stop_emulator (e.g. from an EXIT trap) to stop it.
emulator_pid=
start_emulator() {
  local script="$1"
  shift
  # --lifetime: a safety net should the caller be killed without running its trap
  "$PY" "$script" --host 127.0.0.1 --port 0 \
    --user-id "$USER_ID" --api-token "$API_TOKEN" --api-secret "$API_SECRET" \
    --url-file "$WORK/emulator.url" --lifetime 900 "$@" >"$WORK/emulator.log" 2>&1 &
  emulator_pid=$!
  for _ in $(seq 300); do
    [ -s "$WORK/emulator.url" ] && break
    kill -0 "$emulator_pid" 2>/dev/null || die "the emulator exited before it was ready"
    sleep 0.1
  done
  [ -s "$WORK/emulator.url" ] || die "the emulator did not publish its URL within 30 s"
  API_URL="$(head -n 1 "$WORK/emulator.url")"
  # shellcheck disable=SC2034  # CONTROL is for the callers
  CONTROL="${API_URL%/v1}/_emulator"
  echo "emulator: $API_URL (user $USER_ID, pid $emulator_pid)"
}

stop_emulator() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
    echo "emulator stopped"
  fi
  emulator_pid=
}
