#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A controller killed at random moments never leaves a module buying on its own.

For each round (a fixed seed picks the moments): reset the emulator, start
``ansible-playbook`` on a pool order (or a bulk allocation of specific numbers), wait until
the module's first request reached the emulator, then SIGKILL the ``ansible-playbook``
process after a random delay, as a killed terminal, CI job or AWX node would. The module
process lives on, orphaned. Half of the rounds rerun at once (the rerun races the orphan);
the other half first watch the emulator for a while and allow no more writes after the kill
than the requests that were in flight (a module that goes on keeps ordering and labelling). Then the play is rerun
until it succeeds, every orphan is waited for, and the account is checked exactly: the
pool holds exactly its quantity, every number labelled and pointed at its application, no
other number on the account, nothing ever allocated beyond that (no surplus, no duplicate
order); for the bulk job, exactly the desired numbers with their names.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'setup_catapult_emulator', 'files'))

from catapult_harness import Emulator, call, local_inventory  # pylint: disable=wrong-import-position

USER, TOKEN, SECRET = 'u-kill', 'kill-token', 'kill-secret-value'
POOL = 'Kill pool'
APP = 'a-demo-ivr'
QUIET_SECONDS = 2.0   # how long a "watch" round watches the orphan
CONCURRENCY = 4       # the play's concurrency: at most this many writes can be in flight at the kill
ORPHAN_WAIT = 30.0    # how long orphaned module processes may take to exit


def module_processes(session):
    """Pids of this collection's module processes (AnsiballZ wrappers) in the session of one killed run.

    The run was started in a session of its own, whose id is its pid; orphaned children keep
    it, so other runs on the machine are never counted or touched.
    """
    found = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as handle:
                cmdline = handle.read().replace(b'\0', b' ')
            with open('/proc/%s/stat' % pid, encoding='utf-8', errors='replace') as handle:
                sid = int(handle.read().rsplit(')', 1)[-1].split()[3])
        except (OSError, ValueError, IndexError):
            continue
        if sid == session and b'AnsiballZ_catapult_' in cmdline:
            found.append(int(pid))
    return found


def check_pool(numbers, quantity):
    problems = []
    enabled = [n for n in numbers if n['numberState'] == 'enabled']
    members = [n for n in enabled if n.get('name') == POOL]
    if len(members) != quantity:
        problems.append('the pool holds %d numbers, expected exactly %d' % (len(members), quantity))
    wrong_app = [n['number'] for n in members if n.get('applicationId') != APP]
    if wrong_app:
        problems.append('pool numbers not pointed at %s: %s' % (APP, ', '.join(wrong_app)))
    others = [n['number'] for n in enabled if n.get('name') != POOL]
    if others:
        problems.append('%d numbers on the account outside the pool (unlabelled or surplus): %s' % (len(others), ', '.join(others)))
    if len(numbers) != quantity:
        problems.append('%d numbers were ever allocated, expected exactly %d' % (len(numbers), quantity))
    return problems


def check_bulk(numbers, entries):
    problems = []
    enabled = dict((n['number'], n) for n in numbers if n['numberState'] == 'enabled')
    for entry in entries:
        have = enabled.pop(entry['number'], None)
        if have is None or have.get('name') != entry['name']:
            problems.append('%s is %s, expected the name %r' % (entry['number'], have and have.get('name'), entry['name']))
    if enabled:
        problems.append('numbers nothing asked for: %s' % ', '.join(sorted(enabled)))
    if len(numbers) != len(entries):
        problems.append('%d numbers were ever allocated, expected exactly %d' % (len(numbers), len(entries)))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--seed', type=int, default=20261202)
    parser.add_argument('--rounds', type=int, default=4, help='rounds per job (pool, bulk)')
    parser.add_argument('--quantity', type=int, default=50)
    parser.add_argument('--specific', type=int, default=60)
    parser.add_argument('--latency-ms', type=int, default=60)
    parser.add_argument('--output', default=os.environ.get('OUTPUT_DIR'))
    args = parser.parse_args()

    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix='kill-')
    out = args.output or workdir
    entries = [{'number': '+1919555%04d' % (100 + i), 'name': 'Kill %03d' % i} for i in range(args.specific)]
    lines = ['Killed controller: seed %d, %d rounds per job, pool of %d (order cap 10), %d specific numbers, %d ms latency'
             % (args.seed, args.rounds, args.quantity, args.specific, args.latency_ms)]
    failures = 0
    emulator = Emulator(os.path.join(workdir, 'emulator.url'), USER, TOKEN, SECRET, lifetime=900, who='kill_controller')
    try:
        inventory = local_inventory(workdir)
        vars_file = os.path.join(workdir, 'kill_vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump({'kill_user_id': USER, 'kill_api_token': TOKEN, 'kill_api_secret': SECRET, 'kill_api_url': emulator.url,
                       'kill_pool_name': POOL, 'kill_quantity': args.quantity, 'kill_numbers': entries}, handle)
        control = emulator.control

        def start(job, name):
            log = open(os.path.join(out, 'kill_%s.log' % name), 'w', encoding='utf-8')  # pylint: disable=consider-using-with
            command = ['ansible-playbook', '-i', inventory, os.path.join(HERE, 'kill_controller.yml'), '-e', '@' + vars_file,
                       '-e', 'kill_job=' + job]
            # its own session: the orphans it leaves are found and cleaned up by group, and
            # never hold this script's output open
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True), log

        def writes():
            return call(control + '/requests?summary_only=true')['summary']['writes']

        for job in ('pool', 'bulk'):
            for index in range(args.rounds):
                watch = index % 2 == 1
                delay = rng.uniform(0.0, 2.0)
                call(control + '/reset', 'POST', {})
                call(control + '/config', 'POST', {'latency_ms': args.latency_ms, 'order_cap': 10})
                name = '%s%d' % (job, index + 1)
                proc, log = start(job, name)
                began = time.time()
                while time.time() - began < 60 and proc.poll() is None:
                    if call(control + '/requests?summary_only=true')['summary']['total']:
                        break
                    time.sleep(0.05)
                time.sleep(delay)
                killed = proc.poll() is None
                if killed:
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                log.close()
                at_kill = writes()
                note = ''
                if watch and killed:
                    time.sleep(QUIET_SECONDS / 2)
                    settled = writes()
                    time.sleep(QUIET_SECONDS)
                    later = writes()
                    note = '; writes at kill %d, +%.1fs %d, +%.1fs %d' % (at_kill, QUIET_SECONDS / 2, settled,
                                                                          QUIET_SECONDS * 1.5, later)
                    if later - at_kill > CONCURRENCY:
                        note += ' (the orphan went on writing: more than the %d requests in flight at the kill)' % CONCURRENCY
                        failures += 1
                runs = 0
                code = 1
                while code != 0 and runs < 3:
                    runs += 1
                    rerun, rerun_log = start(job, '%s_rerun%d' % (name, runs))
                    code = rerun.wait(300)
                    rerun_log.close()
                deadline = time.time() + ORPHAN_WAIT
                while module_processes(proc.pid) and time.time() < deadline:
                    time.sleep(0.2)
                left = module_processes(proc.pid)
                numbers = call(control + '/numbers?user_id=' + USER)['numbers']
                problems = check_pool(numbers, args.quantity) if job == 'pool' else check_bulk(numbers, entries)
                if code != 0:
                    problems.append('the rerun did not succeed in %d runs' % runs)
                if left:
                    problems.append('orphaned module processes still running after %gs: %s' % (ORPHAN_WAIT, left))
                    for pid in left:
                        os.kill(pid, signal.SIGKILL)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # anything else the killed run left behind
                except OSError:
                    pass
                failures += 1 if problems else 0
                lines.append('%s: %s after %.2fs, %s rerun(s)%s -> %s'
                             % (name, 'killed' if killed else 'finished before the kill', delay,
                                runs, note, 'exact' if not problems else '; '.join(problems)))
                print(lines[-1], flush=True)
    finally:
        emulator.stop()
    lines.append('all rounds exact' if not failures else '%d round(s) FAILED' % failures)
    text = '\n'.join(lines)
    print(text)
    with open(os.path.join(out, 'kill_controller.txt'), 'w', encoding='utf-8') as handle:
        handle.write(text + '\n')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
