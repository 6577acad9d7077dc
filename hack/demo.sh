#!/usr/bin/env bash
# make demo: build and install the collection into a private collections path, start
# the Catapult emulator, run playbooks/demo.yml (the bandwidth.catapult.phone_numbers
# role with playbooks/inventory) twice (the second run must change nothing), print the
# numbers on the demo account as a table, add a number by hand and show that a --check run
# reports it as drift, and stop the emulator, also on Ctrl-C or failure.
#
# Environment: VENV (.venv, must exist: `make venv`), BUILD (.build).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
VENV="$(realpath -m "${VENV:-.venv}")"
BUILD="$(realpath -m "${BUILD:-.build}")"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"

USER_ID=u-demo
API_TOKEN=demo-token
API_SECRET=demo-secret

# shellcheck source=hack/lib.sh
. "$REPO/hack/lib.sh"

[ -x "$VENV/bin/ansible-playbook" ] || die "no ansible-playbook in $VENV (run: make venv)"
[ -f tests/emulator/catapult_emulator.py ] || die "tests/emulator/catapult_emulator.py is missing"

mkdir -p "$BUILD"
WORK="$(mktemp -d "$BUILD/demo.XXXXXX")"   # per run: two demos at once do not collide
cleanup() {
  local rc=$?
  stop_emulator
  if [ "$rc" -ne 0 ] && [ -s "$WORK/emulator.log" ]; then
    echo "demo: last lines of the emulator's output:" >&2
    tail -n 20 "$WORK/emulator.log" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "build and install bandwidth.catapult"
install_collection .

step "start the Catapult emulator"
start_emulator tests/emulator/catapult_emulator.py

export CATAPULT_USER_ID="$USER_ID" CATAPULT_API_TOKEN="$API_TOKEN" \
  CATAPULT_API_SECRET="$API_SECRET" CATAPULT_API_URL="$API_URL"

# Runs the demo playbook, prints its output, and sets $changed from the play recap.
run_demo() {
  local log="$WORK/run$1.log" rc=0
  ansible-playbook -i playbooks/inventory playbooks/demo.yml 2>&1 | tee "$log" || rc=$?
  [ "$rc" -ne 99 ] || { echo "demo: interrupted" >&2; exit 130; }   # ansible-playbook's Ctrl-C status
  [ "$rc" -eq 0 ] || die "run $1 of playbooks/demo.yml failed (exit status $rc)"
  changed="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n 's/^localhost *:.* changed=\([0-9]*\).*/\1/p' | tail -n 1)"
  [ -n "$changed" ] || die "no play recap for localhost in run $1"
}

step "demo playbook, run 1"
run_demo 1
first_changed=$changed

step "demo playbook, run 2 (must change nothing)"
run_demo 2
[ "$changed" -eq 0 ] || die "the second run changed $changed task(s); it must change nothing"

step "numbers on account $USER_ID"
# The account as the emulator holds it; the inventory says which names are pools.
ansible-inventory -i playbooks/inventory --host localhost >"$WORK/hostvars.json" \
  || die "cannot read playbooks/inventory"
"$PY" - "$CONTROL/numbers?user_id=$USER_ID" "$WORK/hostvars.json" "$USER_ID" <<'PYEOF'
import json
import sys
import urllib.request

url, hostvars_file, user_id = sys.argv[1:4]
with urllib.request.urlopen(url, timeout=10) as resp:
    data = json.load(resp)
if isinstance(data, dict):
    data = data.get('numbers', data.get('phone_numbers', []))
numbers = sorted((n for n in data if n.get('numberState') == 'enabled'), key=lambda n: n.get('number', ''))
with open(hostvars_file) as f:
    hostvars = json.load(f)
pools = [p.get('name') for p in hostvars.get('catapult_number_pools') or []]


def kind(n):
    return 'pool' if n.get('name') in pools else 'number'


def location(n):
    if not n.get('city') and n.get('number', '')[:5] in ('+1800', '+1833', '+1844', '+1855', '+1866', '+1877', '+1888'):
        return 'toll-free'
    return ', '.join(part for part in (n.get('city'), n.get('state')) if part)


cols = [('number', lambda n: n.get('number')), ('name', lambda n: n.get('name')), ('kind', kind),
        ('application', lambda n: n.get('applicationId')), ('fallback', lambda n: n.get('fallbackNumber')),
        ('location', location)]
# specific numbers first, then each pool in inventory order
numbers.sort(key=lambda n: (pools.index(n['name']) + 1 if n.get('name') in pools else 0))
rows = [[str(get(n) or '-') for _, get in cols] for n in numbers]
widths = [max([len(title)] + [len(r[i]) for r in rows]) for i, (title, _) in enumerate(cols)]
for row in [[title for title, _ in cols], ['-' * w for w in widths]] + rows:
    print('  '.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
in_pools = sum(1 for n in numbers if kind(n) == 'pool')
print('\n%d numbers on account %s: %d specific, %d in %d pools'
      % (len(numbers), user_id, len(numbers) - in_pools, in_pools, len(pools)))
PYEOF

step "someone adds a number by hand; a --check run reports the drift"
"$PY" - "$API_URL" "$USER_ID" "$API_TOKEN" "$API_SECRET" <<'PYEOF'
import base64
import json
import sys
import urllib.request

api_url, user_id, token, secret = sys.argv[1:5]
body = json.dumps({'number': '+19195552599', 'name': 'Added by hand'}).encode()
request = urllib.request.Request('%s/users/%s/phoneNumbers' % (api_url, user_id), data=body, method='POST',
                                 headers={'Content-Type': 'application/json', 'Authorization': 'Basic '
                                          + base64.b64encode(('%s:%s' % (token, secret)).encode()).decode()})
with urllib.request.urlopen(request, timeout=10) as resp:
    print('POST %s/users/%s/phoneNumbers +19195552599 (Added by hand): HTTP %d' % (api_url, user_id, resp.status))
PYEOF
log="$WORK/check.log"
rc=0
ansible-playbook -i playbooks/inventory playbooks/demo.yml --check 2>&1 | tee "$log" || rc=$?
[ "$rc" -eq 0 ] || die "the --check run of playbooks/demo.yml failed (exit status $rc)"
grep -q 'drift: 1 number on the account that nothing claims.*+19195552599' "$log" \
  || die "the --check run did not report the number added by hand as drift"

echo
echo "demo: ok (run 1 changed $first_changed task(s), run 2 changed nothing, --check reported the drift)"
