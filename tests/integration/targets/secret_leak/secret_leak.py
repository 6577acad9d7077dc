#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""api_token and api_secret are never printed, not even at -vvvv.

Generates fresh credentials, starts the emulator with them and runs, each at -vvvv with
standard output and error captured:

1. ok.yml: succeeding tasks of every module, form and the role, check mode and diff, plus
   a wrong secret (401) with ignore_errors;
2. env.yml: credentials from CATAPULT_* environment variables;
3. fail.yml: while the emulator echoes every request back in its errors (the
   Authorization header, the body, and a message holding the token and secret in clear):
   failing tasks; the play fails.

Then it searches everything printed for the token, the secret, the wrong secret,
``token:secret``, their Basic-auth base64 forms (with and without padding) and URL-encoded
forms, and fails naming the form and the line (masked) when one is found.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile

from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'setup_catapult_emulator', 'files'))

from catapult_harness import Emulator, call, local_inventory  # pylint: disable=wrong-import-position

USER = 'u-leak'


def basic(token, secret):
    return base64.b64encode(('%s:%s' % (token, secret)).encode('latin-1')).decode('ascii')


def forms(creds):
    """name -> text that must never be printed."""
    token, secret, wrong = creds['leak_api_token'], creds['leak_api_secret'], creds['leak_wrong_secret']
    found = {'api_token': token, 'api_secret': secret, 'wrong api_secret': wrong,
             'token:secret': '%s:%s' % (token, secret), 'URL-encoded api_secret': quote(secret, safe=''),
             'Basic auth value': basic(token, secret), 'Basic auth value without padding': basic(token, secret).rstrip('='),
             'Basic auth value (wrong secret)': basic(token, wrong),
             'Basic auth value (wrong secret) without padding': basic(token, wrong).rstrip('=')}
    return found


def scan(paths, creds):
    problems = []
    for path in paths:
        with open(path, encoding='utf-8', errors='replace') as handle:
            for number, line in enumerate(handle, 1):
                for name, text in forms(creds).items():
                    if text in line:
                        shown = line.strip()
                        for other in sorted(forms(creds).values(), key=len, reverse=True):
                            shown = shown.replace(other, '<%s>' % 'LEAKED')
                        problems.append('%s:%d: %s found: %s' % (os.path.basename(path), number, name, shown[:300]))
    return problems


def playbook(name, inventory, vars_file, log, env=None, expect_ok=True):
    command = ['ansible-playbook', '-vvvv', '-i', inventory, os.path.join(HERE, name), '-e', '@' + vars_file]
    with open(log, 'w', encoding='utf-8') as handle:
        code = subprocess.call(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
    if (code == 0) != expect_ok:
        with open(log, encoding='utf-8', errors='replace') as handle:
            tail = handle.read()[-6000:]
        # the tail is scanned too before it is shown
        for text in forms(json.load(open(vars_file, encoding='utf-8'))).values():
            tail = tail.replace(text, '<LEAKED>')
        sys.stdout.write(tail)
        raise SystemExit('secret_leak: %s exited with %d, expected %s' % (name, code, 'success' if expect_ok else 'failure'))
    with open(log, encoding='utf-8', errors='replace') as handle:
        text = handle.read()
    if '<testhost> EXEC' not in text and 'ESTABLISH LOCAL CONNECTION' not in text:
        raise SystemExit('secret_leak: %s did not run at -vvvv' % name)
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--output', default=os.environ.get('OUTPUT_DIR'), help='where the captured output is kept')
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix='secret-leak-')
    os.chmod(workdir, 0o700)
    creds = {
        'leak_user_id': USER,
        'leak_api_token': 'tok-%s' % secrets.token_hex(10),
        # '/' and '+' so that URL-encoded forms differ from the raw secret
        'leak_api_secret': 'sec-%s/+Zq' % secrets.token_hex(12),
        'leak_wrong_secret': 'wrong-%s' % secrets.token_hex(12),
    }
    emulator = Emulator(os.path.join(workdir, 'emulator.url'), USER, creds['leak_api_token'], creds['leak_api_secret'],
                        lifetime=600, who='secret_leak')
    logs = []
    try:
        api_url = emulator.url
        creds['leak_api_url'] = api_url
        vars_file = os.path.join(workdir, 'leak_vars.json')
        with os.fdopen(os.open(vars_file, os.O_WRONLY | os.O_CREAT, 0o600), 'w', encoding='utf-8') as handle:
            json.dump(creds, handle)
        inventory = local_inventory(workdir)
        out = args.output or workdir

        logs.append(os.path.join(out, 'secret_leak_ok.log'))
        playbook('ok.yml', inventory, vars_file, logs[-1])

        env = dict(os.environ, CATAPULT_USER_ID=USER, CATAPULT_API_TOKEN=creds['leak_api_token'],
                   CATAPULT_API_SECRET=creds['leak_api_secret'], CATAPULT_API_URL=api_url)
        logs.append(os.path.join(out, 'secret_leak_env.log'))
        playbook('env.yml', inventory, vars_file, logs[-1], env=env)

        token, secret = creds['leak_api_token'], creds['leak_api_secret']
        call(emulator.control + '/faults', 'POST', {'faults': [{
            'method': '*', 'path': '', 'action': 'echo', 'status': 400, 'count': 0,
            'message': 'Bad request. Authorization: Basic %s; token=%s; secret=%s; pair=%s:%s; quoted=%s; nopad=%s'
                       % (basic(token, secret), token, secret, token, secret, quote(secret, safe=''),
                          basic(token, secret).rstrip('='))}]})
        logs.append(os.path.join(out, 'secret_leak_fail.log'))
        text = playbook('fail.yml', inventory, vars_file, logs[-1], expect_ok=False)
        if 'HTTP 400' not in text or '********' not in text:
            raise SystemExit('secret_leak: the echoing errors did not reach the output; the test did not test anything')
    finally:
        emulator.stop()

    problems = scan(logs, creds)
    sizes = ', '.join('%s %d lines' % (os.path.basename(p), sum(1 for dummy in open(p, encoding='utf-8', errors='replace')))
                      for p in logs)
    if problems:
        print('secret_leak: credentials found in the -vvvv output:')
        print('\n'.join(problems[:50]))
        return 1
    print('secret_leak: no credential form (%d searched) in the -vvvv output of %s' % (len(forms(creds)), sizes))
    return 0


if __name__ == '__main__':
    sys.exit(main())
