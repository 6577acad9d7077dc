#!/usr/bin/env bash
# Prove that every fault test fails when its fault does not fire: a fault test
# that asserts only the end state passes just as well without its fault, and proves nothing.
#
#   hack/prove-faults.sh [--on] [CASE...]       (not part of `make test`; about 15 minutes, 9 of them the fault matrix)
#
# It copies the working tree (as hack/run-tests.sh does, uncommitted edits included) to
# $BUILD/ansible_collections/bandwidth/catapult (BUILD: /tmp/prove-faults) and sets
# FAULTS_OFF = True in the copy's tests/emulator/catapult_emulator.py: fault rules are then
# accepted and listed but never fire. Then it runs each fault test on its own and prints
# a table, fault test -> red | GREEN; the exit status is 0 only when every one is red.
#
# One run per fault test, because a target stops at its first failed task: the targets'
# main.yml run only the case named by the variable catapult_fault_case (a loop item's label,
# or a case file's name) and everything when it is unset. ansible-test keeps the environment
# and extra variables from a target, so the playbook targets are run the way ansible-test
# runs them, with ansible-playbook: a play applying the target's role to a local testhost
# with output_dir set, and -e catapult_fault_case=CASE. The script targets (fault_matrix,
# secret_leak, chaos) run their script with CATAPULT_EMULATOR_FAULTS_OFF=1 (the same switch
# as an environment variable; fault_matrix's forwarder refuses connections only when the
# emulator's reset rule fires, so "refused" goes quiet too); fault_matrix counts each of its cells.
#
# --on   the same runs without touching the emulator: each must be green (the runs
#        themselves work, so red above means "the fault did not fire").
# CASE   run only these (target/case as in the table), e.g. catapult_phone_number/'two 429s on the read'
#
# Environment: VENV (.venv), BUILD (/tmp/prove-faults), MATRIX_ARGS (extra fault_matrix.py
# arguments, e.g. "--faults 503,drop"; default: the whole matrix on its default lanes).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$(realpath -m "${VENV:-$REPO/.venv}")"
BUILD="$(realpath -m "${BUILD:-/tmp/prove-faults}")"
read -ra matrix_args <<< "${MATRIX_ARGS:-}"
# shellcheck source=hack/lib.sh
. "$REPO/hack/lib.sh"

off=1
if [ "${1:-}" = --on ]; then off=0; shift; fi
[ -x "$VENV/bin/ansible-playbook" ] || die "no ansible-playbook in $VENV (run: make venv)"
export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV"

# Every fault test: target/case. The playbook targets' cases are the labels of their fault
# loops (or never_do's case files); "script" marks a script target.
CASES=(
  "catapult_phone_number/lost answer to the allocation"
  "catapult_phone_number/503 before the allocation"
  "catapult_phone_number/two 429s on the read"
  "catapult_local_number_order/dropped answer after the order"
  "catapult_local_number_order/503 after the order"
  "catapult_local_number_order/503 before the order"
  "catapult_local_number_order/dropped before the order"
  "catapult_local_number_order/slow order times out"
  "catapult_local_number_order/one 500"
  "catapult_local_number_order/five 500s"
  "catapult_local_number_order/eight 500s"
  "catapult_local_number_order/every update 500"
  "catapult_local_number_order/every update applied then 500"
  "catapult_tollfree_number_order/dropped answer after search-and-order"
  "catapult_tollfree_number_order/503 after search-and-order"
  "catapult_tollfree_number_order/dropped answer after ordering a found number"
  "catapult_application/lost answer to a create"
  "never_do/case_01_hostile_body_lookup"
  "never_do/case_01b_pool_hostile_body"
  "never_do/case_05_unknown_route"
  "never_do/case_06_foreign_origin"
  "never_do/case_08_recount"
  "never_do/case_09_stale_read"
  "secret_leak/script"
  "chaos/script"
  "fault_matrix/script"
)
[ $# -eq 0 ] || CASES=("$@")

COLL="$BUILD/ansible_collections/bandwidth/catapult"
step "copy of the tree: $COLL"
mkdir -p "$COLL"
rm -rf "$COLL" && mkdir -p "$COLL"
tar -C "$REPO" --exclude ./.venv --exclude ./.build --exclude ./.git --exclude ./tests/output \
  --exclude ./tests/integration/inventory --exclude __pycache__ --exclude '*.pyc' -cf - . | tar -C "$COLL" -xf - \
  || die "copy failed"
EMU="$COLL/tests/emulator/catapult_emulator.py"
if [ $off = 1 ]; then
  sed -i 's/^FAULTS_OFF = .*/FAULTS_OFF = True/' "$EMU"
  grep -qx 'FAULTS_OFF = True' "$EMU" || die "could not set FAULTS_OFF = True in $EMU"
  export CATAPULT_EMULATOR_FAULTS_OFF=1
  echo "FAULTS_OFF = True in the copy: every fault test below must be red"
else
  unset CATAPULT_EMULATOR_FAULTS_OFF
  echo "faults on (--on): every fault test below must be green"
fi
TARGETS="$COLL/tests/integration/targets"
WORK="$BUILD/work"
rm -rf "$WORK" && mkdir -p "$WORK"
printf 'testhost ansible_connection=local ansible_python_interpreter=%s\n' "$VENV/bin/python" > "$WORK/inventory"
export ANSIBLE_COLLECTIONS_PATH="$BUILD" ANSIBLE_ROLES_PATH="$TARGETS" ANSIBLE_NOCOLOR=1
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false

results=() statuses=()
n=0
for case in "${CASES[@]}"; do
  target="${case%%/*}" name="${case#*/}"
  n=$((n + 1))
  out="$WORK/$n"
  mkdir -p "$out"
  step "$case"
  t0=$SECONDS
  if [ "$name" = script ]; then
    case "$target" in
      fault_matrix) set -- "$TARGETS/fault_matrix/fault_matrix.py" --output "$out" "${matrix_args[@]}" ;;
      *) set -- "$TARGETS/$target/$target.py" --output "$out" ;;
    esac
    (cd "$TARGETS/$target" && OUTPUT_DIR="$out" "$VENV/bin/python" "$@") >"$out/log" 2>&1
    rc=$?
  else
    printf -- '- name: %s\n  hosts: testhost\n  gather_facts: true\n  roles: [%s]\n' "$target" "$target" > "$out/play.yml"
    ansible-playbook -i "$WORK/inventory" "$out/play.yml" -e "output_dir=$out" \
      -e "{\"catapult_fault_case\": \"$name\"}" >"$out/log" 2>&1
    rc=$?
  fi
  took=$((SECONDS - t0))
  if [ $rc -ne 0 ]; then colour=red; else colour=GREEN; fi
  detail=""
  if [ "$target" = fault_matrix ]; then
    # one cell per row x fault; a cell with a problem prints as run/rerun with a "!"
    cells="$(grep -oE '^\(([0-9]+) cells' "$out/log" | grep -oE '[0-9]+')"
    redcells="$(grep -oE '(^|[[:space:]])[A-Za-z-]+/[A-Za-z-]+!' "$out/log" | wc -l)"
    detail="$redcells of ${cells:-?} cells red"
    if [ $off = 1 ] && [ "$redcells" != "${cells:-x}" ]; then colour=MIXED; fi
  elif [ "$name" = script ]; then
    # chaos lists its problems under PROBLEMS:, secret_leak says why on its last line
    [ $rc -eq 0 ] || detail="$({ grep -A1 '^PROBLEMS' "$out/log" | tail -1; tail -1 "$out/log"; } | grep -m1 . | sed 's/^ *//' | cut -c1-110)"
  elif [ $rc -ne 0 ]; then
    # the task that failed (not one whose error was ignored)
    detail="$(awk '/^TASK \[/ { t = $0 } /^fatal:/ { f = t; next } /\.\.\.ignoring/ { f = "" } /^PLAY RECAP/ { print f; exit }' "$out/log" | sed 's/^TASK \[//; s/\] \**$//' | cut -c1-110)"
  elif ! grep -q 'testhost.*ok=' "$out/log"; then
    colour=EMPTY detail="nothing ran"
  fi
  echo "$colour (${took}s) $detail  [log: $out/log]"
  statuses+=("$colour")
  results+=("$(printf '%-75s %-5s %4ss  %s' "$case" "$colour" "$took" "$detail")")
done

step "fault test -> result with FAULTS_OFF=$([ $off = 1 ] && echo True || echo False)"
printf '%s\n' "${results[@]}"
want=red; [ $off = 1 ] || want=GREEN
bad=0
for colour in "${statuses[@]}"; do [ "$colour" = "$want" ] || bad=$((bad + 1)); done
echo "$((${#results[@]} - bad)) of ${#results[@]} $want"
[ "$bad" -eq 0 ]
