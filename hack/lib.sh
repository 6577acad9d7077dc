# shellcheck shell=bash
# Functions shared by the hack/*.sh scripts and .ci/run (source it). Callers set:
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

# build_home: a HOME of its own under $BUILD (absolute), so that nothing outside the checkout
# and $BUILD changes: ansible-test keeps its sanity venvs and get-pip script in ~/.ansible/test,
# ansible its temporary files in ~/.ansible/tmp, pip and ansible-lint their caches in
# ~/.cache, rustup (which builds of Python packages may probe) its settings in ~/.rustup.
# What is only read from the real home stays in reach: pip's configuration (indexes,
# certificates) and pyenv's interpreters (REAL_HOME, for find_python).
build_home() {
  local conf
  export REAL_HOME="${REAL_HOME:-$HOME}"
  if [ -z "${PIP_CONFIG_FILE:-}" ]; then
    for conf in "${XDG_CONFIG_HOME:-$REAL_HOME/.config}/pip/pip.conf" "$REAL_HOME/.pip/pip.conf"; do
      [ ! -f "$conf" ] || { export PIP_CONFIG_FILE="$conf"; break; }
    done
  fi
  [ -n "${PYENV_ROOT:-}" ] || [ ! -d "$REAL_HOME/.pyenv" ] || export PYENV_ROOT="$REAL_HOME/.pyenv"
  export HOME="$BUILD/home"
  mkdir -p "$HOME"
}

# fresh_venv DIR PYTHON PIP-ARGS...: a virtualenv of test tools in DIR, made with PYTHON, with
# PIP-ARGS installed; made anew (under a lock) only when DIR/.stamp records another PYTHON or
# other PIP-ARGS. The install's output is in DIR.log.
fresh_venv() {
  local dir="$1" py="$2" want
  shift 2
  want="$("$py" -c 'import sys; print(sys.executable, sys.version.split()[0])') $*"
  mkdir -p "$(dirname "$dir")"
  (
    flock 9
    if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$want" ]; then
      echo "creating $dir: $want"
      { rm -rf "$dir" && "$py" -m venv "$dir" && "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"; } \
        >"$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
      printf '%s\n' "$want" > "$dir/.stamp"
    fi
  ) 9>"$dir.lock" || die "cannot install $* into $dir"
}

# export_tree DEST: the files a clone of this git tree would hold (tracked, and untracked but
# not ignored, as they are in the working tree) copied into DEST.
export_tree() {
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$1"
}

# start_emulator DIR LIFETIME [EMULATOR ARGS...]: the Catapult emulator in the background through
# its own launcher (tests/emulator/catapult_emulator.py --detach), pid file and output in DIR
# (emulator.pid, emulator.log); it exits by itself after LIFETIME seconds (0: never), a safety
# net should the caller be killed without running its trap. Sets API_URL (ending in /v1) and
# CONTROL (its /_emulator). stop_emulator DIR (e.g. from an EXIT trap) stops it.
EMULATOR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/emulator/catapult_emulator.py"
start_emulator() {
  local dir="$1" lifetime="$2"
  shift 2
  mkdir -p "$dir"
  API_URL="$("$PY" "$EMULATOR" --detach --pid-file "$dir/emulator.pid" --url-file "$dir/emulator.url" --output "$dir/emulator.log" --lifetime "$lifetime" "$@")" \
    || { tail -n 5 "$dir/emulator.log" >&2; die "the emulator did not start (is the port in use?); see $dir/emulator.log"; }
  # shellcheck disable=SC2034  # CONTROL is for the callers
  CONTROL="${API_URL%/v1}/_emulator"
}

stop_emulator() {
  [ ! -s "$1/emulator.pid" ] || "$PY" "$EMULATOR" --stop --pid-file "$1/emulator.pid"
}

# getpip_standin PYTHON: ansible-test (the one installed for PYTHON) bootstraps pip in every
# new sanity venv with a get-pip script it downloads from a host that is unreachable
# offline, unless ~/.ansible/test/cache/get_pip_<ver>.py exists, <ver> being the pip
# version it pins (24.2 in 2.16 and 2.19, 25.2 in 2.21). Write a stand-in there that
# installs pip from the bundled wheel and then the pinned version from the package index.
getpip_standin() {
  local pipv standin
  pipv="$("$1" - <<'PYEOF'
import os, re, ansible_test
src = open(os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')).read()
m = re.search(r"pip='([0-9.]+)'", src)
print(m.group(1) if m else '')
PYEOF
)" || die "cannot import ansible_test with $1"
  [ -n "$pipv" ] || die "cannot find the pip version that ansible-test under $1 pins"
  mkdir -p "$HOME/.ansible/test/cache"
  standin="$HOME/.ansible/test/cache/get_pip_${pipv//./_}.py"
  cat > "$standin.tmp.$$" <<'PYEOF'
"""Offline stand-in for ansible-test's get-pip script: run as `python get_pip_X_Y.py [pip args] pkgs`."""
import subprocess
import sys

# bundled pip first (no network), in a subprocess so /etc/pip.conf (certs, indexes) stays in force
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'pip', 'install', *args])
PYEOF
  mv -f "$standin.tmp.$$" "$standin"
}

# find_python MIN MAX: the newest CPython 3.MIN .. 3.MAX on this machine that can make a
# virtualenv: python3.N on PATH, then pyenv's versions ($PYENV_ROOT, ~/.pyenv of $REAL_HOME or $HOME, /root/.pyenv,
# where pyenv keeps interpreters it does not put on PATH), /usr/local/bin and /usr/bin.
# Prints its path; prints nothing and returns 1 when there is none.
find_python() {
  local minor cand roots=() root
  [ -z "${PYENV_ROOT:-}" ] || roots+=("$PYENV_ROOT")
  roots+=("${REAL_HOME:-$HOME}/.pyenv" /root/.pyenv /opt/pyenv)
  for ((minor = $2; minor >= $1; minor--)); do
    local cands=()
    cand="$(command -v "python3.$minor" 2>/dev/null || true)"
    [ -z "$cand" ] || cands+=("$cand")
    for root in "${roots[@]}"; do
      while IFS= read -r cand; do cands+=("$cand"); done \
        < <(printf '%s\n' "$root"/versions/3."$minor".*/bin/python3."$minor" | sort -rV)
    done
    cands+=("/usr/local/bin/python3.$minor" "/usr/bin/python3.$minor")
    for cand in "${cands[@]}"; do
      [ -x "$cand" ] || continue
      # a pyenv shim answers for versions it does not select with an error, so ask the interpreter
      if "$cand" -c "import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, $minor))" >/dev/null 2>&1; then
        "$cand" -c 'import sys; print(sys.executable)'
        return 0
      fi
    done
  done
  return 1
}
