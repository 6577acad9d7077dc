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
than the requests that were in flight (a module that goes on keeps ordering and labelling).
Then the play is rerun until it succeeds, every orphan is waited for, and the account is
checked exactly: the pool holds exactly its quantity, every number labelled and pointed at
its application, no other number on the account, nothing ever allocated beyond that (no
surplus, no duplicate order); for the bulk job, exactly the desired numbers with their names.
The two jobs run at the same time, each against an emulator of its own.
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
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'setup_catapult_emulator', 'files'))

from catapult_harness import account_problems, call, emulator, local_inventory  # pylint: disable=wrong-import-position

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
    for pid in filter(str.isdigit, os.listdir('/proc')):
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


def job(name, delays, args, workdir, inventory, lines):
    """The rounds of one job (pool or bulk) against an emulator of its own; appends a line per round, returns the failures."""
    entries = [{'number': '+1919555%04d' % (100 + i), 'name': 'Kill %03d' % i} for i in range(args.specific)]
    failures, out = 0, args.output or workdir
    emu = emulator(USER, TOKEN, SECRET, lifetime=900, who='kill_controller', url_file=os.path.join(workdir, name + '.url'))
    try:
        vars_file = os.path.join(workdir, name + '_vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump({'kill_user_id': USER, 'kill_api_token': TOKEN, 'kill_api_secret': SECRET, 'kill_api_url': emu.url,
                       'kill_pool_name': POOL, 'kill_quantity': args.quantity, 'kill_numbers': entries, 'kill_job': name}, handle)

        def start(log_name):
            log = open(os.path.join(out, 'kill_%s.log' % log_name), 'w', encoding='utf-8')  # pylint: disable=consider-using-with
            command = ['ansible-playbook', '-i', inventory, os.path.join(HERE, 'kill_controller.yml'), '-e', '@' + vars_file]
            # its own session: the orphans it leaves are found and cleaned up by group, and
            # never hold this script's output open
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True), log

        def summary():
            return call(emu.control + '/requests?summary_only=true')['summary']

        for index, delay in enumerate(delays):
            watch = index % 2 == 1
            call(emu.control + '/reset', 'POST', {})
            call(emu.control + '/config', 'POST', {'latency_ms': args.latency_ms, 'order_cap': 10})
            round_name = '%s%d' % (name, index + 1)
            proc, log = start(round_name)
            began = time.time()
            while time.time() - began < 60 and proc.poll() is None and not summary()['total']:
                time.sleep(0.05)
            time.sleep(delay)
            killed = proc.poll() is None
            if killed:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            log.close()
            at_kill = summary()['writes']
            note = ''
            if watch and killed:
                time.sleep(QUIET_SECONDS / 2)
                settled = summary()['writes']
                time.sleep(QUIET_SECONDS)
                later = summary()['writes']
                note = '; writes at kill %d, +%.1fs %d, +%.1fs %d' % (at_kill, QUIET_SECONDS / 2, settled, QUIET_SECONDS * 1.5, later)
                if later - at_kill > CONCURRENCY:
                    note += ' (the orphan went on writing: more than the %d requests in flight at the kill)' % CONCURRENCY
                    failures += 1
            runs, code = 0, 1
            while code != 0 and runs < 3:
                runs += 1
                rerun, rerun_log = start('%s_rerun%d' % (round_name, runs))
                code = rerun.wait(300)
                rerun_log.close()
            deadline = time.time() + ORPHAN_WAIT
            while module_processes(proc.pid) and time.time() < deadline:
                time.sleep(0.2)
            left = module_processes(proc.pid)
            numbers = call(emu.control + '/numbers?user_id=' + USER)['numbers']
            if name == 'pool':
                problems = account_problems(numbers, {}, [{'name': POOL, 'count': args.quantity, 'applicationId': APP}], args.quantity)
            else:
                problems = account_problems(numbers, dict((e['number'], {'name': e['name']}) for e in entries), (), len(entries))
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
                         % (round_name, 'killed' if killed else 'finished before the kill', delay, runs, note, '; '.join(problems) or 'exact'))
            print(lines[-1], flush=True)
    finally:
        emu.stop()
    return failures


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
    delays = dict((name, [rng.uniform(0.0, 2.0) for dummy in range(args.rounds)]) for name in ('pool', 'bulk'))
    workdir = tempfile.mkdtemp(prefix='kill-')
    inventory = local_inventory(workdir)
    lines = {'pool': [], 'bulk': []}
    failures = {}

    def run(name):
        try:
            failures[name] = job(name, delays[name], args, workdir, inventory, lines[name])
        except BaseException as exc:  # pylint: disable=broad-except
            lines[name].append('%s: %s: %s' % (name, type(exc).__name__, exc))
            failures[name] = 1

    threads = [threading.Thread(target=run, args=(name,)) for name in lines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = '\n'.join(['Killed controller: seed %d, %d rounds per job, pool of %d (order cap 10), %d specific numbers, %d ms latency'
                      % (args.seed, args.rounds, args.quantity, args.specific, args.latency_ms)] + lines['pool'] + lines['bulk']
                     + ['all rounds exact' if not sum(failures.values()) else '%d round(s) FAILED' % sum(failures.values())])
    print(text)
    with open(os.path.join(args.output or workdir, 'kill_controller.txt'), 'w', encoding='utf-8') as handle:
        handle.write(text + '\n')
    return 1 if sum(failures.values()) else 0


if __name__ == '__main__':
    sys.exit(main())
