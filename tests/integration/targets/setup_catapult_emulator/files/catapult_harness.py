# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers shared by the script targets (chaos, fault_matrix, kill_controller, secret_leak).

A script target imports this file by path, relative to itself, and needs
``needs/target/setup_catapult_emulator`` in its aliases so that ansible-test copies it::

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'setup_catapult_emulator', 'files'))
    from catapult_harness import account_problems, call, emulator, local_inventory
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def collection_file(*parts):
    """A file of this collection, or None: ansible-test runs targets from a copy holding only
    tests/integration, so look relative to this file and on ANSIBLE_COLLECTIONS_PATH."""
    roots = [os.path.join(HERE, '..', '..', '..', '..', '..')]
    roots += [os.path.join(root, 'ansible_collections', 'bandwidth', 'catapult')
              for root in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if root]
    for root in roots:
        path = os.path.join(root, *parts)
        if os.path.exists(path):
            return os.path.abspath(path)
    return None


def call(url, method='GET', body=None, auth=None):
    """One JSON request (no proxy); the decoded body (None when empty). ``auth``: (api_token, api_secret)."""
    data = None if body is None else json.dumps(body).encode('utf-8')
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header('Content-Type', 'application/json')
    if auth:
        request.add_header('Authorization', 'Basic ' + base64.b64encode(('%s:%s' % tuple(auth)).encode('utf-8')).decode('ascii'))
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw.decode('utf-8')) if raw.strip() else None


def emulator(user_id, api_token, api_secret, lifetime=600, who='harness', url_file=None):
    """The emulator with one account, started in the background; exits (SystemExit naming ``who``)
    when it cannot be found or does not start. It serves at most ``lifetime`` seconds; its URL is
    published in ``url_file`` (default: a temporary file)."""
    script = collection_file('tests', 'emulator', 'catapult_emulator.py')
    if script is None:
        raise SystemExit('%s: tests/emulator/catapult_emulator.py not found' % who)
    spec = importlib.util.spec_from_file_location('catapult_emulator', script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        return module.launch(['--host', '127.0.0.1', '--port', '0', '--user-id', user_id, '--api-token', api_token,
                              '--api-secret', api_secret, '--lifetime', lifetime], url_file=url_file)
    except module.LaunchError as exc:
        raise SystemExit('%s: %s' % (who, exc))


def account_problems(numbers, expect, pools=(), allocations=None, at_most=False):
    """Every difference between an account and the exact desired state.

    ``numbers``: the emulator's ``/_emulator/numbers`` of the account (released ones included);
    ``expect``: each number that must be enabled -> the fields it must have; each of ``pools``
    (``name``, ``count``, optional ``applicationId``, ``area_code``, ``state``) holds exactly
    ``count`` enabled numbers of that name, with those; no other number is enabled (so none
    unlabelled); and exactly (``at_most``: at most) ``allocations`` numbers were ever allocated,
    released ones counted, so a number ordered twice or a surplus order shows.
    """
    problems = []
    enabled = dict((n['number'], n) for n in numbers if n.get('numberState') == 'enabled')
    if allocations is not None and (len(numbers) > allocations if at_most else len(numbers) != allocations):
        problems.append('%d numbers were ever allocated on the account, %s %d expected (duplicate order?)'
                        % (len(numbers), 'at most' if at_most else 'exactly', allocations))
    claimed = set(expect)
    for pool in pools:
        members = [n for n in enabled.values() if n.get('name') == pool['name']]
        claimed.update(n['number'] for n in members)
        if len(members) != pool['count']:
            problems.append('the pool %s holds %d numbers, expected exactly %d' % (pool['name'], len(members), pool['count']))
        for member in members:
            wrong = [key for key in ('applicationId', 'state') if key in pool and member.get(key) != pool[key]]
            if pool.get('area_code') and not member['number'].startswith('+1' + pool['area_code']):
                wrong.append('area code')
            if wrong:
                shown = ', '.join(str(member.get(key)) for key in wrong)
                problems.append('pool %s: %s has the wrong %s (%s)' % (pool['name'], member['number'], ', '.join(wrong), shown))
    for number, fields in sorted(expect.items()):
        have = enabled.get(number)
        if have is None:
            released = any(n['number'] == number for n in numbers)
            problems.append('%s is missing (%s)' % (number, 'released!' if released else 'never ordered'))
            continue
        problems.extend('%s %s is %r, expected %r' % (number, key, have.get(key), value)
                        for key, value in sorted(fields.items()) if have.get(key) != value)
    extra = sorted(set(enabled) - claimed)
    if extra:
        problems.append('%d numbers on the account that nothing asked for (%d unlabelled): %s'
                        % (len(extra), sum(1 for n in extra if not enabled[n].get('name')), ', '.join(extra[:20])))
    return problems


def local_inventory(workdir):
    """The inventory ansible-test gives (INVENTORY_PATH), or a written one with ``testhost``."""
    inventory = os.environ.get('INVENTORY_PATH')
    if not inventory:
        inventory = os.path.join(workdir, 'inventory')
        with open(inventory, 'w', encoding='utf-8') as handle:
            handle.write('testhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    return inventory
