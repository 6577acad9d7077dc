"""Benchmark of bandwidth.catapult against the local Catapult emulator (``make bench``).

Starts the emulator with an injected latency (50 ms per API request by default) and, for
each N of ``--sizes``, times real ``ansible-playbook`` runs of:

  bulk      N specific labelled numbers with the bulk form of catapult_phone_number, from scratch
  rerun     the same playbook again: nothing to change
  pool      a pool of N numbers through catapult_local_number_order
  task-loop baseline: a task loop over catapult_phone_number (one module run per number)
  uri-loop  baseline: an ansible.builtin.uri loop POSTing each number

and, for each N of ``--account-sizes``, the account as code: the phone_numbers role with N
specific numbers and ``--pools`` pools of ``--pool-size`` numbers, cold, rerun and
``--check`` (each rerun and check must stay within ceil((N + P*S)/1000) + 1 requests and send
no write; the cold time must grow linearly with N, shown over the sizes);

and, with ``--rate-limits``, a bulk run of 1000 numbers with the emulator's documented
rate-limit buckets switched on. Requests, writes and 429s come from the emulator's request
log. The table shows the wall time of each run, the physical floor (requests x latency /
concurrency) and the ratio of each run to the bulk form; the results are also written to
tests/bench/results/<timestamp>.json and compared with the previous results file.

Every figure printed by default is measured: each loop runs all N iterations. Only with
``--baseline-sample K`` are baseline loops longer than K iterations timed on their first K
iterations and scaled linearly to N; such figures are labelled "extrapolated" wherever
they appear (the run's line, the table, the targets, the results file), never shown as
measured.

``--save-as FILE`` also writes the results to FILE; ``--readme-figures FILE`` prints the
Markdown block the README's Performance section quotes from such a file (the docs suite
of ``make test`` checks that the README holds exactly that block for
tests/bench/README-figures.json).

Python 3.11 standard library only; ansible-playbook is taken from the virtualenv
(``make venv``). Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'emulator'))
import catapult_emulator  # noqa: E402 pylint: disable=wrong-import-position
BENCH_DIR = REPO / 'tests' / 'bench'
PLAYBOOKS = BENCH_DIR / 'playbooks'
RESULTS_DIR = BENCH_DIR / 'results'

USER_ID, API_TOKEN, API_SECRET = 'u-bench', 'bench-token', 'bench-secret'
NUMBERS_STATE = 'NY'   # where the specific numbers come from (the emulator seeds 5000 there)
POOL_STATE = 'TX'      # where the pool is ordered (2500 available)
POOL_NAME = 'bench-pool'

# What the bulk form must achieve (the "Targets" printed at the end)
TARGET_SPEEDUP = 50.0          # bulk vs uri loop at N = 1000
TARGET_OVER_FLOOR = 3.0        # seconds above requests x latency / concurrency, playbook start included
TARGET_RERUN_SECONDS = 3.0
TARGET_RATE_SLACK = 0.10       # within 10 % of the time the buckets allow
TARGET_ACCOUNT_COLD = 8.0      # the account scenario at N = 1000, 10 pools of 20
TARGET_ACCOUNT_RERUN = 3.0     # its rerun and its --check
# Where the account scenario's pools search: one pool per place, none overlapping the
# specific numbers (NUMBERS_STATE), the last one toll-free.
ACCOUNT_POOL_PLACES = [{'state': 'NC', 'city': 'RALEIGH'}, {'state': 'NC', 'city': 'CARY'}, {'state': 'NC', 'city': 'DURHAM'},
                       {'state': 'CA', 'city': 'SAN FRANCISCO'}, {'state': 'CA', 'city': 'LOS ANGELES'},
                       {'state': 'TX', 'city': 'AUSTIN'}, {'state': 'IL', 'city': 'CHICAGO'},
                       {'state': 'WA', 'city': 'SEATTLE'}, {'state': 'CO', 'city': 'DENVER'}, {'type': 'toll_free'}]
WRITE_METHODS = frozenset(('POST', 'PUT', 'PATCH', 'DELETE'))


# --------------------------------------------------------------------------- emulator

class Emulator(object):
    """The emulator as a process of its own (catapult_emulator.launch), and its control API."""

    def __init__(self, python, latency_ms, workdir):
        self.log_path = workdir / 'emulator.log'
        args = ['--host', '127.0.0.1', '--port', '0', '--user-id', USER_ID, '--api-token', API_TOKEN, '--api-secret', API_SECRET,
                '--latency-ms', latency_ms, '--lifetime', 14400]
        try:
            self.launched = catapult_emulator.launch(args, python=python, url_file=str(workdir / 'emulator.url'), output=str(self.log_path))
        except catapult_emulator.LaunchError as exc:
            raise SystemExit('bench: %s' % exc)
        self.api_url = self.launched.url
        self.control_url = self.launched.control

    def call(self, method, name, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control_url + '/' + name, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.load(resp)

    def reset(self, **config):
        self.call('POST', 'reset')
        if config:
            self.call('POST', 'config', config)

    def stop(self):
        self.launched.stop(10)


def parse_time(entry):
    """Start and end (epoch seconds) of one logged request; the log stamps the end with ms resolution."""
    end = datetime.datetime.strptime(entry['time'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()
    return end - entry.get('duration_ms', 0.0) / 1000.0, end


def call_name(method, path):
    """'GET list', 'POST collection', 'POST one', 'POST local' ... for the profile."""
    parts = path.strip('/').split('/')
    if parts[0] == 'availableNumbers':
        return '%s %s' % (method, parts[-1])
    if parts[-1] == 'phoneNumbers':
        return '%s %s' % (method, 'list' if method == 'GET' else 'collection')
    return '%s one' % method


def analyse(entries, started, ended):
    """Counts and a time profile of one run from the emulator's request log."""
    out = {
        'requests': len(entries),
        'writes': sum(1 for e in entries if e['method'] in WRITE_METHODS),
        'status_429': sum(1 for e in entries if e['status'] == 429),
        'by_status': {},
        'by_call': {},
    }
    for e in entries:
        out['by_status'][str(e['status'])] = out['by_status'].get(str(e['status']), 0) + 1
        call = call_name(e['method'], e['path'])
        out['by_call'][call] = out['by_call'].get(call, 0) + 1
    if entries:
        spans = [parse_time(e) for e in entries]
        first = min(span[0] for span in spans)
        last = max(span[1] for span in spans)
        busy = sum(e.get('duration_ms', 0.0) for e in entries) / 1000.0
        window = max(last - first, 1e-6)
        out['profile'] = {
            'before_first_request': round(first - started, 3),
            'api_window': round(window, 3),
            'after_last_request': round(ended - last, 3),
            'mean_request_ms': round(busy * 1000.0 / len(entries), 1),
            'avg_in_flight': round(busy / window, 2),
        }
    return out


# --------------------------------------------------------------------------- ansible

class Runner(object):
    """ansible-playbook from the venv, with this checkout as the bandwidth.catapult collection."""

    def __init__(self, venv, workdir, emulator, timeout, collection=REPO):
        self.playbook = str(venv / 'bin' / 'ansible-playbook')
        self.workdir = workdir
        self.emulator = emulator
        self.timeout = timeout
        collections = workdir / 'collections'
        link = collections / 'ansible_collections' / 'bandwidth' / 'catapult'
        link.parent.mkdir(parents=True)
        link.symlink_to(collection, target_is_directory=True)
        self.env = dict(os.environ)
        self.env.update({
            'ANSIBLE_COLLECTIONS_PATH': str(collections),
            'ANSIBLE_HOME': str(workdir / 'ansible-home'),  # its temporary files there, not in ~/.ansible
            'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'PATH': '%s:%s' % (venv / 'bin', os.environ.get('PATH', '')),
            'CATAPULT_USER_ID': USER_ID,
            'CATAPULT_API_TOKEN': API_TOKEN,
            'CATAPULT_API_SECRET': API_SECRET,
            'CATAPULT_API_URL': emulator.api_url,
        })
        self.count = 0

    def run(self, playbook, extra_vars, label, check=False):
        """Run one playbook (``--check`` with ``check``); returns (wall seconds, exit status, log path, started, ended)."""
        self.count += 1
        stem = '%02d-%s' % (self.count, label)
        vars_file = self.workdir / (stem + '.vars.json')
        vars_file.write_text(json.dumps(extra_vars))
        log_path = self.workdir / (stem + '.log')
        self.emulator.call('DELETE', 'requests')
        cmd = [self.playbook, '-i', 'localhost,', str(PLAYBOOKS / playbook), '-e', '@' + str(vars_file)] + (['--check'] if check else [])
        with open(log_path, 'w', encoding='utf-8') as log:
            started = time.time()
            t0 = time.monotonic()
            try:
                rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=str(self.workdir),
                                    timeout=self.timeout, check=False).returncode
            except subprocess.TimeoutExpired:
                rc = 'timeout'
            wall = time.monotonic() - t0
        return wall, rc, log_path, started, started + wall


# --------------------------------------------------------------------------- the benchmark

class Bench(object):

    def __init__(self, args, emulator, runner):
        self.args = args
        self.emulator = emulator
        self.runner = runner
        self.rows = []
        self.checks = []
        self.problems = []

    def say(self, text):
        print(text, flush=True)

    def numbers(self, n):
        inv = self.emulator.call('GET', 'inventory?state=%s&limit=%d' % (NUMBERS_STATE, n))
        found = [item['number'] for item in inv['numbers']]
        if len(found) < n:
            raise SystemExit('bench: the emulator has only %d numbers in %s, %d needed' % (len(found), NUMBERS_STATE, n))
        return [{'number': number, 'name': 'bench line %04d' % i} for i, number in enumerate(found)]

    def measure(self, scenario, n, playbook, extra_vars, concurrency, items=None, sample_of=None, check=False):
        """One playbook run; appends and returns its row."""
        label = '%s-%d' % (scenario, n)
        wall, rc, log_path, started, ended = self.runner.run(playbook, extra_vars, label, check=check)
        report = self.emulator.call('GET', 'requests')
        log_path.with_suffix('.requests.json').write_text(json.dumps(report['requests']))
        stats = analyse(report['requests'], started, ended)
        row = {'scenario': scenario, 'n': n, 'wall': round(wall, 3), 'rc': rc, 'concurrency': concurrency,
               'latency_ms': self.args.latency_ms, 'log': str(log_path), 'extrapolated': False}
        row.update(stats)
        if sample_of is not None:
            # Loop timed on its first `items` iterations: startup and tail as measured, the loop
            # itself (first request to last answer) scaled linearly to `sample_of` iterations.
            per_item = stats['profile']['api_window'] / items if stats.get('profile') else wall / items
            row.update(extrapolated=True, sample=items, n=sample_of, measured_wall=row['wall'],
                       measured_requests=stats['requests'], measured_writes=stats['writes'],
                       wall=round(wall + (sample_of - items) * per_item, 3),
                       requests=int(round(stats['requests'] * sample_of / float(items))),
                       writes=int(round(stats['writes'] * sample_of / float(items))),
                       status_429=int(round(stats['status_429'] * sample_of / float(items))))
        row['floor'] = round(row['requests'] * self.args.latency_ms / 1000.0 / concurrency, 3)
        if rc != 0:
            tail = log_path.read_text(errors='replace').splitlines()[-15:]
            self.problems.append('%s N=%d: ansible-playbook exited %s; see %s' % (scenario, n, rc, log_path))
            self.say('  FAILED (exit %s), last lines of %s:\n    %s' % (rc, log_path, '\n    '.join(tail)))
        self.rows.append(row)
        note = (' EXTRAPOLATED: %d of %d iterations timed (%.2f s), scaled to %d' % (items, sample_of, row['measured_wall'], sample_of)
                if sample_of else '')
        self.say('  %-10s N=%-5d %8.2f s  %6d requests  %6d writes  %4d x 429%s'
                 % (scenario, row['n'], row['wall'], row['requests'], row['writes'], row['status_429'], note))
        return row

    def verify_numbers(self, n, row, named=None):
        """The account must hold exactly the numbers the run was to allocate, labelled."""
        numbers = self.emulator.call('GET', 'numbers?user_id=%s' % USER_ID)['numbers']
        enabled = [r for r in numbers if r.get('numberState') == 'enabled']
        labelled = [r for r in enabled if (r.get('name') == named if named else r.get('name'))]
        row['verified'] = len(enabled) == n and len(labelled) == n
        if not row['verified']:
            self.problems.append('%s N=%d: the account holds %d enabled numbers, %d labelled; expected %d'
                                 % (row['scenario'], n, len(enabled), len(labelled), n))

    def check(self, what, ok, detail):
        self.checks.append({'check': what, 'ok': bool(ok), 'detail': detail})

    def run_startup(self):
        self.say('startup: ansible-playbook with the bulk task and no numbers (no request; after one warm-up run)')
        self.emulator.reset()
        self.runner.run('bulk.yml', {'bench_numbers': [], 'bench_concurrency': 1}, 'warm-up')
        self.measure('startup', 0, 'bulk.yml', {'bench_numbers': [], 'bench_concurrency': self.args.concurrency}, 1)

    def run_size(self, n):
        args = self.args
        conc = args.concurrency
        self.say('N = %d' % n)
        self.emulator.reset()
        wanted = self.numbers(n)
        bulk_vars = {'bench_numbers': wanted, 'bench_concurrency': conc}
        bulk = self.measure('bulk', n, 'bulk.yml', bulk_vars, conc)
        self.verify_numbers(n, bulk)
        rerun = self.measure('rerun', n, 'bulk.yml', bulk_vars, conc)
        self.emulator.reset()
        pool = self.measure('pool', n, 'pool.yml', {'bench_pool_name': POOL_NAME, 'bench_quantity': n,
                                                    'bench_pool_state': POOL_STATE, 'bench_concurrency': conc}, conc)
        self.verify_numbers(n, pool, named=POOL_NAME)
        baselines = []
        if not args.skip_baselines:
            sample = args.baseline_sample if 0 < args.baseline_sample < n else None
            for scenario, playbook in (('task-loop', 'task_loop.yml'), ('uri-loop', 'uri_loop.yml')):
                self.emulator.reset()
                items = sample or n
                row = self.measure(scenario, n, playbook, {'bench_numbers': wanted[:items]}, 1,
                                   items=items, sample_of=n if sample else None)
                if not sample:
                    self.verify_numbers(n, row)
                baselines.append(row)
        for row in [rerun, pool] + baselines:
            row['x_bulk'] = round(row['wall'] / bulk['wall'], 2) if bulk['wall'] else None

        over = bulk['wall'] - bulk['floor']
        self.check('bulk N=%d within %.0f s of the floor' % (n, TARGET_OVER_FLOOR), bulk['rc'] == 0 and over <= TARGET_OVER_FLOOR,
                   '%.2f s = floor %.2f s + %.2f s' % (bulk['wall'], bulk['floor'], over))
        limit = int(math.ceil(n / 1000.0)) + 1
        self.check('rerun N=%d: <= %d requests, no write, < %.0f s' % (n, limit, TARGET_RERUN_SECONDS),
                   rerun['rc'] == 0 and rerun['requests'] <= limit and rerun['writes'] == 0 and rerun['wall'] < TARGET_RERUN_SECONDS,
                   '%d requests, %d writes, %.2f s' % (rerun['requests'], rerun['writes'], rerun['wall']))
        for row in baselines:
            if row['scenario'] == 'uri-loop' and n >= 1000:
                self.check('bulk N=%d at least %.0fx faster than the uri loop' % (n, TARGET_SPEEDUP),
                           bulk['rc'] == 0 and row['x_bulk'] >= TARGET_SPEEDUP,
                           '%.1fx (uri loop %.1f s%s, bulk %.2f s)'
                           % (row['x_bulk'], row['wall'],
                              ' EXTRAPOLATED from %d iterations' % row['sample'] if row['extrapolated'] else ' measured',
                              bulk['wall']))

    def run_account(self, n):
        """The account as code: N specific numbers and P pools of S through the role, cold, rerun and --check."""
        args = self.args
        conc = args.concurrency
        pools = []
        for index in range(args.pools):
            place = ACCOUNT_POOL_PLACES[index % len(ACCOUNT_POOL_PLACES)]
            pools.append(dict(place, name='bench pool %02d' % index, quantity=args.pool_size))
        total = n + args.pools * args.pool_size
        self.say('account: N = %d specific numbers, %d pools of %d (%d numbers)' % (n, args.pools, args.pool_size, total))
        self.emulator.reset()
        account_vars = {'bench_numbers': self.numbers(n), 'bench_pools': pools, 'bench_concurrency': conc}
        cold = self.measure('account-cold', n, 'account.yml', account_vars, conc)
        numbers = self.emulator.call('GET', 'numbers?user_id=%s' % USER_ID)['numbers']
        enabled = [r for r in numbers if r.get('numberState') == 'enabled']
        cold['verified'] = len(numbers) == total and len(enabled) == total and all(r.get('name') for r in enabled)
        if not cold['verified']:
            self.problems.append('account N=%d: %d numbers ever allocated, %d enabled; expected exactly %d, all labelled'
                                 % (n, len(numbers), len(enabled), total))
        rerun = self.measure('account-rerun', n, 'account.yml', account_vars, conc)
        check = self.measure('account-check', n, 'account.yml', account_vars, conc, check=True)
        for row in (cold, rerun, check):
            row['pools'], row['pool_size'], row['numbers_total'] = args.pools, args.pool_size, total
        limit = int(math.ceil(total / 1000.0)) + 1
        if n >= 1000 and args.pools >= 10 and args.pool_size >= 20:
            self.check('account N=%d, %d pools of %d: cold within %.0f s' % (n, args.pools, args.pool_size, TARGET_ACCOUNT_COLD),
                       cold['rc'] == 0 and cold['verified'] and cold['wall'] <= TARGET_ACCOUNT_COLD, '%.2f s' % cold['wall'])
        for row in (rerun, check):
            self.check('%s N=%d: <= %d requests, no write, within %.0f s' % (row['scenario'], n, limit, TARGET_ACCOUNT_RERUN),
                       row['rc'] == 0 and row['requests'] <= limit and row['writes'] == 0 and row['wall'] <= TARGET_ACCOUNT_RERUN,
                       '%d requests, %d writes, %.2f s' % (row['requests'], row['writes'], row['wall']))
        return cold

    def check_linear(self, colds):
        """The cold account time grows linearly with N: a least-squares line through (N, wall) and its fit."""
        points = [(row['n'], row['wall']) for row in colds if row['rc'] == 0]
        if len(points) < 3:
            return
        count = float(len(points))
        mean_n = sum(p[0] for p in points) / count
        mean_t = sum(p[1] for p in points) / count
        spread = sum((p[0] - mean_n) ** 2 for p in points)
        slope = sum((p[0] - mean_n) * (p[1] - mean_t) for p in points) / spread
        intercept = mean_t - slope * mean_n
        total = sum((p[1] - mean_t) ** 2 for p in points)
        residual = sum((p[1] - (intercept + slope * p[0])) ** 2 for p in points)
        r2 = 1.0 - residual / total if total else 1.0
        self.check('account cold time linear in N (R^2 >= 0.95 over N = %s)' % ', '.join(str(p[0]) for p in points),
                   r2 >= 0.95, '%.2f s + %.2f s per 1000 numbers, R^2 = %.3f' % (intercept, slope * 1000, r2))

    def run_rate_limits(self):
        n = self.args.rate_limit_size
        conc = self.args.concurrency
        self.say('rate limits: bulk N = %d with the documented buckets' % n)
        self.emulator.reset(rate_limits=True)
        count, per, burst = [self.emulator.call('GET', 'config')['rate_limit_buckets']['orders'][k]
                             for k in ('count', 'per_seconds', 'burst')]
        allowed = max(n - burst, 0) * per / float(count)
        wanted = self.numbers(n)
        row = self.measure('rate-limit', n, 'bulk.yml', {'bench_numbers': wanted, 'bench_concurrency': conc}, conc)
        self.verify_numbers(n, row)
        row['bucket_allowed'] = round(allowed, 3)
        row['bucket'] = {'count': count, 'per_seconds': per, 'burst': burst}
        row['x_allowed'] = round(row['wall'] / allowed, 3) if allowed else None
        self.check('rate-limited bulk N=%d within %d%% of the %.0f s the buckets allow, no failure'
                   % (n, TARGET_RATE_SLACK * 100, allowed),
                   row['rc'] == 0 and row.get('verified') and row['wall'] <= allowed * (1 + TARGET_RATE_SLACK),
                   '%.1f s (%s of allowed), %d x 429 among %d requests'
                   % (row['wall'], ('%.3fx' % row['x_allowed']) if allowed else 'n/a', row['status_429'], row['requests']))


# --------------------------------------------------------------------------- output

def fmt(value, spec='%.2f'):
    return '-' if value is None else spec % value


def render(head, lines, left):
    """A text table: the head, a rule, the lines; the columns numbered in ``left`` flush left, the others right."""
    widths = [max([len(head[i])] + [len(line[i]) for line in lines]) for i in range(len(head))]
    return '\n'.join('  '.join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
                     for cells in [head, ['-' * w for w in widths]] + lines)


def table(rows, previous):
    prev = dict(((r['scenario'], r['n']), r) for r in (previous or {}).get('rows', []))
    head = ['scenario', 'N', 'wall s', 'requests', 'writes', '429s', 'floor s', 'over floor s', 'x bulk', 'previous s', 'note']
    lines = []
    for r in rows:
        notes = []
        if r['extrapolated']:
            notes.append('EXTRAPOLATED from %d of %d iterations (%.1f s measured)' % (r['sample'], r['n'], r['measured_wall']))
        if r.get('bucket_allowed') is not None:
            notes.append('buckets allow %.1f s (%.3fx)' % (r['bucket_allowed'], r['x_allowed'] or 0))
        if r['rc'] != 0:
            notes.append('FAILED (exit %s)' % r['rc'])
        if r.get('verified') is False:
            notes.append('account check failed')
        if r['concurrency'] > 1:
            notes.append('concurrency %d' % r['concurrency'])
        old = prev.get((r['scenario'], r['n']))
        old_text = '-'
        if old:
            old_text = '%s%.2f (%+.0f%%)' % ('~' if old.get('extrapolated') else '', old['wall'],
                                             (r['wall'] / old['wall'] - 1) * 100 if old['wall'] else 0)
        tilde = '~' if r['extrapolated'] else ''
        lines.append([r['scenario'], str(r['n']), tilde + '%.2f' % r['wall'], tilde + str(r['requests']),
                      tilde + str(r['writes']), tilde + str(r['status_429']), tilde + '%.2f' % r['floor'],
                      tilde + '%+.2f' % (r['wall'] - r['floor']), tilde + fmt(r.get('x_bulk'), '%.1fx'), old_text,
                      ', '.join(notes)])
    return render(head, lines, (0, 10))


def profile_table(rows):
    head = ['scenario', 'N', 'wall s', 'to 1st request s', 'API window s', 'after last s', 'mean request ms', 'in flight',
            'requests by call']
    lines = []
    for r in rows:
        p = r.get('profile')
        if not p or r['extrapolated']:
            continue
        calls = ', '.join('%s %d' % kv for kv in sorted(r['by_call'].items()))
        lines.append([r['scenario'], str(r['n']), '%.2f' % r['wall'], '%.2f' % p['before_first_request'], '%.2f' % p['api_window'],
                      '%.2f' % p['after_last_request'], '%.1f' % p['mean_request_ms'], '%.1f' % p['avg_in_flight'], calls])
    return render(head, lines, (0, 8)) if lines else ''


def previous_results(exclude=None):
    files = sorted(p for p in RESULTS_DIR.glob('*.json') if p != exclude)
    if not files:
        return None, None
    try:
        return files[-1], json.loads(files[-1].read_text())
    except (OSError, ValueError):
        return files[-1], None


def git_info():
    def git(*cmd):
        try:
            return subprocess.run(['git', '-C', str(REPO)] + list(cmd), capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ''
    return {'commit': git('rev-parse', '--short', 'HEAD'), 'dirty': git('status', '--porcelain', '--', 'plugins').splitlines()}


# --------------------------------------------------------------------------- main

def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    add = parser.add_argument
    add('--sizes', default='100,1000', help='comma-separated N (default: 100,1000)')
    add('--latency-ms', type=float, default=50.0, help='latency the emulator adds to every API request (default: 50)')
    add('--concurrency', type=int, default=16, help='concurrency of the bulk form and the pool (default: 16)')
    add('--skip-baselines', action='store_true', help='skip the task loop and uri loop baselines')
    add('--baseline-sample', type=int, default=0,
        help='time baseline loops longer than this on their first iterations and scale the result to N; such figures '
             'are labelled EXTRAPOLATED everywhere (default: 0, every loop runs in full and every figure is measured)')
    add('--account-sizes', default='250,500,1000',
        help='comma-separated N of the account scenario (default: 250,500,1000; empty to skip it)')
    add('--pools', type=int, default=10, help='pools of the account scenario (default: 10)')
    add('--pool-size', type=int, default=20, help='numbers per pool of the account scenario (default: 20)')
    add('--account-only', action='store_true', help='run only the account scenario')
    add('--rate-limits', action='store_true',
        help='also run the bucket scenario: --rate-limit-size allocations with the documented rate limits switched on')
    add('--rate-limits-only', action='store_true', help='run only the bucket scenario')
    add('--rate-limit-size', type=int, default=1000, help='N of the bucket scenario (default: 1000)')
    add('--quick', action='store_true', help='N=100 only, no baselines (a smoke test of the benchmark itself)')
    add('--venv', default=os.environ.get('VENV', str(REPO / '.venv')), help='virtualenv with ansible-core and requests')
    add('--collection', default=str(REPO),
        help='the bandwidth.catapult tree to benchmark (default: this checkout), e.g. a worktree with a change')
    add('--work-dir', default=None, help='where playbook logs go (default: a fresh dir under $BUILD or .build)')
    add('--timeout', type=float, default=3600.0, help='seconds one playbook run may take (default: 3600)')
    add('--no-save', action='store_true', help='do not write a results file')
    add('--save-as', default=None, help='also write the results to this file (e.g. tests/bench/README-figures.json)')
    add('--readme-figures', default=None, metavar='RESULTS_FILE',
        help='print the Markdown block the README quotes from RESULTS_FILE, run nothing')
    return parser


def readme_figures(path):
    """The README's Performance figures: a Markdown block made only of what the results file says."""
    data = json.loads(Path(path).read_text())
    opts = data['options']
    stamp = datetime.datetime.strptime(data['timestamp'], '%Y%m%dT%H%M%SZ')
    rows = data['rows']
    rel = os.path.relpath(os.path.abspath(path), str(REPO))
    commit = (data['git']['commit'] or '-') + (' plus uncommitted changes to plugins/' if data['git'].get('dirty') else '')
    loads = ' / '.join('%.1f' % x for x in data['host']['loadavg_after'])
    if data['host'].get('loadavg_before'):
        loads = '%s before the run, %s after it' % (' / '.join('%.1f' % x for x in data['host']['loadavg_before']), loads)
    else:
        loads += ' after the run'
    out = ['Measured on %s UTC (commit %s) on a %d-CPU machine (load average %s): latency %g ms per '
           'request, concurrency %d for the bulk form and the pool, N = %s.'
           % (stamp.strftime('%Y-%m-%d %H:%M'), commit, data['host']['cpus'],
              loads, opts['latency_ms'], opts['concurrency'],
              ', '.join(str(n) for n in opts['sizes']) or '-'),
           '',
           '| scenario | N | wall time | requests | writes | HTTP 429 | floor | x bulk | how |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---|']
    for r in rows:
        if r['scenario'] == 'startup':
            how = 'measured: ansible-playbook with the bulk task and no numbers'
        elif r['extrapolated']:
            how = 'EXTRAPOLATED from %d of %d iterations (%.1f s measured)' % (r['sample'], r['n'], r['measured_wall'])
        else:
            how = 'measured'
        if r.get('bucket_allowed') is not None:
            how += '; the buckets allow %.1f s' % r['bucket_allowed']
        if r.get('rc') != 0:
            how += '; FAILED (exit %s)' % r['rc']
        tilde = '~' if r['extrapolated'] else ''
        out.append('| %s | %d | %s%.2f s | %s%d | %s%d | %s%d | %.2f s | %s | %s |'
                   % (r['scenario'], r['n'], tilde, r['wall'], tilde, r['requests'], tilde, r['writes'], tilde,
                      r['status_429'], r['floor'], (tilde + '%.1fx' % r['x_bulk']) if r.get('x_bulk') else '-', how))
    out.append('')
    out.append('Source: [`%s`](%s) (`tests/bench/bench.py --readme-figures %s` prints this block).' % (rel, rel, rel))
    return '\n'.join(out)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.readme_figures:
        print(readme_figures(args.readme_figures))
        return 0
    if args.quick:
        args.sizes, args.skip_baselines = '100', True
    try:
        sizes = [int(s) for s in args.sizes.split(',') if s.strip()]
    except ValueError:
        raise SystemExit('bench: --sizes must be comma-separated integers, got %r' % args.sizes)
    try:
        account_sizes = [int(s) for s in args.account_sizes.split(',') if s.strip()]
    except ValueError:
        raise SystemExit('bench: --account-sizes must be comma-separated integers, got %r' % args.account_sizes)
    if args.quick:
        account_sizes = [100]
    if args.rate_limits_only:
        sizes, account_sizes, args.rate_limits = [], [], True
    if args.account_only:
        sizes = []
    if any(n < 1 or n > 2500 for n in account_sizes) or not 1 <= args.pool_size <= 200 or not 0 <= args.pools <= 50:
        raise SystemExit('bench: account sizes must be 1..2500, --pool-size 1..200 and --pools 0..50')
    if any(n < 1 or n > 2500 for n in sizes) or not 1 <= args.concurrency <= 64:
        raise SystemExit('bench: sizes must be 1..2500 (the emulator inventory) and concurrency 1..64')
    venv = Path(args.venv).resolve()
    python = venv / 'bin' / 'python'
    if not (venv / 'bin' / 'ansible-playbook').exists():
        raise SystemExit('bench: no ansible-playbook in %s (run: make venv)' % venv)

    base = Path(args.work_dir or os.path.join(os.environ.get('BUILD', str(REPO / '.build')), 'bench')).resolve()
    base.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=time.strftime('%Y%m%d-%H%M%S-'), dir=str(base)))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    print('bench: latency %g ms, concurrency %d, sizes %s%s; logs in %s'
          % (args.latency_ms, args.concurrency, ','.join(map(str, sizes)) or '-',
             ', rate-limit scenario N=%d' % args.rate_limit_size if args.rate_limits else '', workdir), flush=True)

    load_before = list(os.getloadavg())
    emulator = Emulator(str(python), args.latency_ms, workdir)
    bench = None
    t0 = time.monotonic()
    try:
        print('bench: emulator at %s' % emulator.api_url, flush=True)
        runner = Runner(venv, workdir, emulator, args.timeout, Path(args.collection).resolve())
        bench = Bench(args, emulator, runner)
        if sizes:
            bench.run_startup()
        for n in sizes:
            bench.run_size(n)
        bench.check_linear([bench.run_account(n) for n in account_sizes])
        if args.rate_limits:
            bench.run_rate_limits()
    except KeyboardInterrupt:
        print('bench: interrupted', file=sys.stderr)
        return 130
    finally:
        emulator.stop()
    elapsed = time.monotonic() - t0

    prev_path, previous = previous_results()
    print('\nResults (latency %g ms; floor = requests x latency / concurrency; x bulk = wall / wall of the bulk run of '
          'the same N; ~ = extrapolated)' % args.latency_ms)
    print(table(bench.rows, previous))
    print('\nWhere the time goes (from the emulator log; "to 1st request" includes ansible-playbook start):')
    print(profile_table(bench.rows))
    print('\nTargets:')
    for c in bench.checks:
        print('  [%s] %s: %s' % ('PASS' if c['ok'] else 'FAIL', c['check'], c['detail']))
    for p in bench.problems:
        print('  [PROBLEM] %s' % p)
    if prev_path:
        print('\ncompared with %s' % prev_path.relative_to(REPO))

    result = {
        'timestamp': stamp,
        'git': git_info(),
        'collection': str(Path(args.collection).resolve()),
        'host': {'cpus': os.cpu_count(), 'loadavg_before': load_before, 'loadavg_after': list(os.getloadavg()),
                 'python': platform.python_version()},
        'options': {'sizes': sizes, 'account_sizes': account_sizes, 'pools': args.pools, 'pool_size': args.pool_size,
                    'latency_ms': args.latency_ms, 'concurrency': args.concurrency,
                    'skip_baselines': args.skip_baselines, 'baseline_sample': args.baseline_sample,
                    'rate_limits': args.rate_limits, 'rate_limit_size': args.rate_limit_size},
        'elapsed': round(elapsed, 1),
        'rows': bench.rows,
        'checks': bench.checks,
        'problems': bench.problems,
    }
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / (stamp + '.json')
        path.write_text(json.dumps(result, indent=1, sort_keys=True) + '\n')
        print('results: %s' % path.relative_to(REPO))
    if args.save_as:
        # without the paths of this machine's scratch files
        kept = dict(result, collection=os.path.relpath(result['collection'], str(REPO)),
                    rows=[dict((k, v) for k, v in row.items() if k != 'log') for row in result['rows']])
        Path(args.save_as).write_text(json.dumps(kept, indent=1, sort_keys=True) + '\n')
        print('results: %s' % args.save_as)
    print('bench: %.0f s in all' % elapsed)
    return 0 if all(c['ok'] for c in bench.checks) and not bench.problems else 1


if __name__ == '__main__':
    sys.exit(main())
