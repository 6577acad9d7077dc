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

from catapult_harness import call, emulator, local_inventory  # pylint: disable=wrong-import-position

USER = 'u-leak'


def basic(token, secret):
    return base64.b64encode(('%s:%s' % (token, secret)).encode('latin-1')).decode('ascii')


def forms(token, secret, wrong):
    """name -> text that must never be printed."""
    return {'api_token': token, 'api_secret': secret, 'wrong api_secret': wrong, 'token:secret': '%s:%s' % (token, secret),
            'URL-encoded api_secret': quote(secret, safe=''), 'Basic auth value': basic(token, secret),
            'Basic auth value without padding': basic(token, secret).rstrip('='), 'Basic auth value (wrong secret)': basic(token, wrong),
            'Basic auth value (wrong secret) without padding': basic(token, wrong).rstrip('=')}


def masked(text, found):
    for other in sorted(found.values(), key=len, reverse=True):
        text = text.replace(other, '<LEAKED>')
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--output', default=os.environ.get('OUTPUT_DIR'), help='where the captured output is kept')
    workdir = tempfile.mkdtemp(prefix='secret-leak-')
    os.chmod(workdir, 0o700)
    out = parser.parse_args().output or workdir
    # '/' and '+' in the secret so that URL-encoded forms differ from the raw one
    token, secret, wrong = 'tok-%s' % secrets.token_hex(10), 'sec-%s/+Zq' % secrets.token_hex(12), 'wrong-%s' % secrets.token_hex(12)
    found = forms(token, secret, wrong)
    emu = emulator(USER, token, secret, lifetime=600, who='secret_leak', url_file=os.path.join(workdir, 'emulator.url'))
    logs = []
    try:
        vars_file = os.path.join(workdir, 'leak_vars.json')
        with os.fdopen(os.open(vars_file, os.O_WRONLY | os.O_CREAT, 0o600), 'w', encoding='utf-8') as handle:
            json.dump({'catapult_user_id': USER, 'catapult_api_token': token, 'catapult_api_secret': secret, 'catapult_api_url': emu.url,
                       'leak_wrong_secret': wrong}, handle)
        env = dict(os.environ, CATAPULT_USER_ID=USER, CATAPULT_API_TOKEN=token, CATAPULT_API_SECRET=secret, CATAPULT_API_URL=emu.url)
        echo = {'method': '*', 'path': '', 'action': 'echo', 'status': 400, 'count': 0,
                'message': 'Bad request. Authorization: Basic %s; token=%s; secret=%s; pair=%s:%s; quoted=%s; nopad=%s'
                           % (basic(token, secret), token, secret, token, secret, quote(secret, safe=''), basic(token, secret).rstrip('='))}
        for name, run_env, expect_ok in (('ok', None, True), ('env', env, True), ('fail', None, False)):
            if name == 'fail':
                call(emu.control + '/faults', 'POST', {'faults': [echo]})
            logs.append(os.path.join(out, 'secret_leak_%s.log' % name))
            with open(logs[-1], 'w+', encoding='utf-8', errors='replace') as log:
                code = subprocess.call(['ansible-playbook', '-vvvv', '-i', local_inventory(workdir), os.path.join(HERE, name + '.yml'),
                                        '-e', '@' + vars_file], stdout=log, stderr=subprocess.STDOUT, env=run_env)
                log.seek(0)
                text = log.read()
            if (code == 0) != expect_ok:
                sys.stdout.write(masked(text[-6000:], found))  # the tail is masked too before it is shown
                raise SystemExit('secret_leak: %s.yml exited with %d, expected %s' % (name, code, 'success' if expect_ok else 'failure'))
            if '<testhost> EXEC' not in text and 'ESTABLISH LOCAL CONNECTION' not in text:
                raise SystemExit('secret_leak: %s.yml did not run at -vvvv' % name)
        if 'HTTP 400' not in text or '********' not in text:
            raise SystemExit('secret_leak: the echoing errors did not reach the output; the test did not test anything')
    finally:
        emu.stop()

    problems, sizes = [], []
    for path in logs:
        with open(path, encoding='utf-8', errors='replace') as handle:
            lines = handle.readlines()
        sizes.append('%s %d lines' % (os.path.basename(path), len(lines)))
        problems += ['%s:%d: %s found: %s' % (os.path.basename(path), number, name, masked(line.strip(), found)[:300])
                     for number, line in enumerate(lines, 1) for name, text in found.items() if text in line]
    if problems:
        print('secret_leak: credentials found in the -vvvv output:\n' + '\n'.join(problems[:50]))
        return 1
    print('secret_leak: no credential form (%d searched) in the -vvvv output of %s' % (len(found), ', '.join(sizes)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
