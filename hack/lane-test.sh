#!/usr/bin/env bash
# One ansible-core lane of `make test`: ansible-core SERIES in a virtualenv of its own, and
# ansible-test SUITE run with it in the collection copy (run-tests.sh runs this there).
#
#   hack/lane-test.sh SERIES SUITE      SERIES: 2.16 | 2.21 (2.19 is the default lane,
#                                       the .venv); SUITE: sanity | units | integration
#
# The controller Python of a lane:
#   2.21  the newest Python the machine has that ansible-core 2.21 supports (3.12 to 3.14);
#         found on PATH or among pyenv's versions (hack/lib.sh: find_python)
#   2.16  the Python that runs make ($PYTHON, python3), the oldest the collection supports
#         (3.11); else the newest of 3.10 to 3.12 found
# A lane whose interpreter is missing FAILS, naming what it looked for; it never skips.
# Integration runs a representative subset: $LANE_TARGETS, default below.
#
# Environment: PYTHON (python3), BUILD (.build), ARGS (more ansible-test words),
# LANE_TARGETS, LANE_PYTHON_2_21 / LANE_PYTHON_2_16 (force an interpreter).
set -euo pipefail

SERIES="${1:?usage: $0 SERIES SUITE}"
SUITE="${2:?usage: $0 SERIES SUITE}"
PYTHON="${PYTHON:-python3}"
BUILD="$(realpath -m "${BUILD:-.build}")"
# The role (the bulk form of catapult_phone_number, local and toll-free pools, check mode,
# idempotence, its error handling) and catapult_phone_number_info: every module but
# catapult_available_number_info, in about a minute and a half each on 2 cores.
LANE_TARGETS="${LANE_TARGETS:-role_phone_numbers catapult_phone_number_info}"
read -ra args <<< "${ARGS:-}"
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "$SERIES" in
  2.21) spec='ansible-core>=2.21,<2.22'; lo=12; hi=14; forced="${LANE_PYTHON_2_21:-}" ;;
  2.16) spec='ansible-core>=2.16,<2.17'; lo=10; hi=12; forced="${LANE_PYTHON_2_16:-}" ;;
  *) die "unknown lane $SERIES (2.16 or 2.21)" ;;
esac
# The lanes are the ends of the range meta/runtime.yml promises: keep them in step.
grep -qx "requires_ansible: '>=2.16.0,<2.22.0'" meta/runtime.yml \
  || die "meta/runtime.yml's requires_ansible is no longer '>=2.16.0,<2.22.0' (the lanes 2.16 and 2.21): update the lanes, the README and this check together"
case "$SUITE" in sanity|units|integration) ;; *) die "unknown suite $SUITE" ;; esac

py=
if [ -n "$forced" ]; then
  py="$forced"
elif [ "$SERIES" = 2.16 ] && "$PYTHON" -c "import sys; sys.exit(not (3, $lo) <= sys.version_info[:2] <= (3, $hi))" 2>/dev/null; then
  py="$(command -v "$PYTHON")"
else
  py="$(find_python "$lo" "$hi")" || true
fi
if [ -n "$forced" ] && ! "$py" -c "import sys; sys.exit(not (3, $lo) <= sys.version_info[:2] <= (3, $hi))" 2>/dev/null; then
  die "FAILED: LANE_PYTHON_${SERIES//./_}=$forced is not a Python 3.$lo to 3.$hi, which ansible-core $SERIES needs. This lane is not skipped."
fi
if [ -z "$py" ] || ! "$py" -c "import sys; sys.exit(not (3, $lo) <= sys.version_info[:2] <= (3, $hi))" 2>/dev/null; then
  die "FAILED: ansible-core $SERIES needs Python 3.$lo to 3.$hi as controller and none was found (looked for python3.N on PATH, in pyenv's versions under \$PYENV_ROOT, ~/.pyenv and /root/.pyenv, in /usr/local/bin and /usr/bin; LANE_PYTHON_${SERIES//./_}=/path/to/python forces one). This lane is not skipped."
fi
PYV="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# One virtualenv per lane, made anew when the spec or the interpreter changes.
venv="$BUILD/venv-$SERIES"
fresh_venv "$venv" "$py" "$spec" requests

export PATH="$venv/bin:$PATH"
unset VIRTUAL_ENV
getpip_standin "$venv/bin/python"
step "$SUITE on $(ansible --version | head -n 1 | sed 's/^ansible //'), Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())') ($py)"
targets=()
# (integration: every target runs even after one fails, and a failed one once more, as in run-tests.sh)
[ "$SUITE" != integration ] || { read -ra targets <<< "$LANE_TARGETS"; args+=(--continue-on-error --retry-on-error); }
ansible-test "$SUITE" --local --python "$PYV" --requirements "${args[@]}" "${targets[@]}"
