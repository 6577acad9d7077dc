#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Chaos run: random faults while the phone_numbers role provisions a few hundred numbers.

The account starts with numbers to rename and numbers to release. The emulator then
injects a random fault (429, 500, 502, 503, 504, dropped connection, dropped answer after
the write, 502 after the write) into ``--fault-rate`` of all API requests, seeded. The
role (specific numbers in bulk, and number pools) is run again and again until a run
succeeds (at most ``--max-runs``). Then, with faults off, the account is checked exactly:
every specific number present with its name and application, the released ones released,
every pool holding exactly its quantity with its application, no other number on the
account (none unlabelled), and no number ever allocated beyond the desired ones (no
duplicate order). A last run without faults must change nothing and send no write.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'setup_catapult_emulator', 'files'))

from catapult_harness import account_problems, call, emulator, local_inventory  # pylint: disable=wrong-import-position

USER, TOKEN, SECRET = 'u-chaos', 'chaos-token', 'chaos-secret-value'
APPS = ('a-demo-support', 'a-demo-ivr', 'a-demo-sales')


def desired_state(specific):
    numbers = ['+1919555%04d' % (100 + i) for i in range(specific)]
    entries = [{'number': n, 'name': 'Chaos %03d' % i, 'application_id': APPS[i % len(APPS)]} for i, n in enumerate(numbers)]
    retire = ['+1919555%04d' % (2000 + i) for i in range(20)]
    entries += [{'number': n, 'state': 'absent'} for n in retire]
    pools = [
        {'name': 'Chaos pool NYC', 'area_code': '212', 'quantity': 40, 'application_id': 'a-demo-sales'},
        {'name': 'Chaos pool TX', 'state': 'TX', 'quantity': 30},
        {'name': 'Chaos pool SEA', 'zip': '98101', 'quantity': 30, 'application_id': 'a-demo-ivr'},
    ]
    # on the account before the run: 20 to rename and re-point, 20 to release
    seed = [{'number': n, 'name': 'Stale'} for n in numbers[:20]] + [{'number': n, 'name': 'Retire'} for n in retire]
    return entries, pools, seed


def check_account(numbers, entries, pools):
    """Every difference between the account and the desired state (see catapult_harness.account_problems)."""
    expect = dict((e['number'], {'name': e['name'], 'applicationId': e['application_id']}) for e in entries if e.get('state') != 'absent')
    want = [dict(((key, p[key]) for key in ('name', 'area_code', 'state') if key in p), count=p['quantity'],
                 **({'applicationId': p['application_id']} if 'application_id' in p else {})) for p in pools]
    return account_problems(numbers, expect, want, allocations=len(entries) + sum(p['quantity'] for p in pools))


def recap(text):
    match = re.search(r'testhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', text)
    return dict(zip(('ok', 'changed', 'unreachable', 'failed'), map(int, match.groups()))) if match else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--fault-rate', type=float, default=0.2)
    parser.add_argument('--seed', type=int, default=20261123)
    # The client spaces requests to an endpoint by the reset interval of the last 429 for
    # the rest of a task (right for real buckets); random 429s with the emulator's default
    # 1 s reset would pace this run to about one write per second, so use a short one.
    parser.add_argument('--chaos-reset-ms', type=int, default=100, help='X-RateLimit-Reset of the injected 429s')
    parser.add_argument('--specific', type=int, default=200, help='how many specific numbers (pools add 100)')
    parser.add_argument('--max-runs', type=int, default=10)
    parser.add_argument('--output', default=os.environ.get('OUTPUT_DIR'))
    args = parser.parse_args()

    entries, pools, seed = desired_state(args.specific)
    workdir = tempfile.mkdtemp(prefix='chaos-')
    out = args.output or workdir
    started = time.time()
    emu = emulator(USER, TOKEN, SECRET, lifetime=900, who='chaos', url_file=os.path.join(workdir, 'emulator.url'))
    try:
        for item in seed:
            call(emu.url + '/users/%s/phoneNumbers' % USER, 'POST', item, auth=(TOKEN, SECRET))
        vars_file = os.path.join(workdir, 'chaos_vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump({'catapult_phone_numbers': entries, 'catapult_number_pools': pools, 'catapult_user_id': USER,
                       'catapult_api_token': TOKEN, 'catapult_api_secret': SECRET, 'catapult_api_url': emu.url,
                       'catapult_timeout': 10, 'catapult_concurrency': 8}, handle)
        command = ['ansible-playbook', '-i', local_inventory(workdir), os.path.join(HERE, 'chaos.yml'), '-e', '@' + vars_file]

        def run(name):
            """(exit status, output, seconds, request summary) of one run; clears the request log."""
            began = time.time()
            with open(os.path.join(out, 'chaos_%s.log' % name), 'w+', encoding='utf-8') as log:
                code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
                log.seek(0)
                text = log.read()
            summary = call(emu.control + '/requests?summary_only=true')['summary']
            call(emu.control + '/requests', 'DELETE')
            return code, text, time.time() - began, summary

        call(emu.control + '/requests', 'DELETE')
        call(emu.control + '/config', 'POST', {'fault_rate': args.fault_rate, 'seed': args.seed, 'chaos_reset_ms': args.chaos_reset_ms})
        runs, injected, converged = [], 0, False
        while not converged and len(runs) < args.max_runs:
            code, text, took, summary = run('run%d' % (len(runs) + 1))
            failed = re.findall(r'"msg": "(\d+ of \d+ numbers failed)', text)
            runs.append('run %d: %s in %.0fs, %d requests, %d faults injected%s'
                        % (len(runs) + 1, 'succeeded' if code == 0 else 'failed (rc %d)' % code, took, summary['total'],
                           summary['faults'], ('; ' + ', '.join(failed)) if failed else ''))
            print(runs[-1], flush=True)
            injected += summary['faults']
            converged = code == 0
        call(emu.control + '/config', 'POST', {'fault_rate': 0})
        numbers = call(emu.control + '/numbers?user_id=' + USER)['numbers']
        problems = [] if injected else ['no fault was injected: a run without chaos proves nothing']
        problems += check_account(numbers, entries, pools)
        code, text, took, summary = run('final')
        final = recap(text)
        if code != 0 or not final or final['changed'] != 0:
            problems.append('the run without faults was not a no-op: rc %d, recap %s' % (code, final))
        if summary['writes']:
            problems.append('the run without faults sent %d writes' % summary['writes'])
    finally:
        emu.stop()

    enabled = sum(1 for n in numbers if n['numberState'] == 'enabled')
    lines = ['Chaos run: fault rate %g, seed %d (429s reset after %d ms); desired: %d specific numbers (%d released), %d pools of %s numbers'
             % (args.fault_rate, args.seed, args.chaos_reset_ms, sum(1 for e in entries if e.get('state') != 'absent'),
                sum(1 for e in entries if e.get('state') == 'absent'), len(pools), '/'.join(str(p['quantity']) for p in pools))]
    lines += runs + ['converged after %d run(s)' % len(runs) if converged else 'did NOT converge in %d runs' % len(runs)]
    lines.append('account: %d enabled, %d released, %d ever allocated; final run without faults: %s'
                 % (enabled, len(numbers) - enabled, len(numbers), final))
    lines.append('account exactly as desired' if not problems else 'PROBLEMS:\n  ' + '\n  '.join(problems[:40]))
    lines.append('(%.0fs)' % (time.time() - started))
    text = '\n'.join(lines)
    print(text)
    with open(os.path.join(out, 'chaos.txt'), 'w', encoding='utf-8') as handle:
        handle.write(text + '\n')
    return 0 if converged and not problems else 1


if __name__ == '__main__':
    sys.exit(main())
