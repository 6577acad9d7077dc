# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers shared by the script targets (chaos, secret_leak, fault_matrix).

A script target imports this file by path, relative to itself, and needs
``needs/target/setup_catapult_emulator`` in its aliases so that ansible-test copies it::

    HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(HERE, '..', 'setup_catapult_emulator', 'files'))
    from catapult_harness import Emulator, call, collection_file

- ``collection_file(*parts)``: a file of this collection, or None;
- ``call(url, method, body, auth)``: one JSON request, no proxy, optional Basic auth;
- ``Emulator(url_file, user_id, api_token, api_secret, lifetime, who)``: the emulator
  (tests/emulator/catapult_emulator.py) started in the background, ``.url`` (ending in
  ``/v1``), ``.control`` (``/_emulator``), ``.stop()``;
- ``local_inventory(workdir)``: ansible-test's inventory, or a local ``testhost`` one.
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
    """The path of a file of this collection, or None.

    ansible-test runs targets from a temporary copy holding only tests/integration, so
    look relative to this file (<collection>/tests/integration/targets/<target>/files)
    and in the collection found through ANSIBLE_COLLECTIONS_PATH.
    """
    roots = [os.path.join(HERE, '..', '..', '..', '..', '..')]
    roots += [os.path.join(root, 'ansible_collections', 'bandwidth', 'catapult')
              for root in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if root]
    for root in roots:
        path = os.path.join(root, *parts)
        if os.path.exists(path):
            return os.path.abspath(path)
    return None


def call(url, method='GET', body=None, auth=None):
    """One JSON request (no proxy); returns the decoded body (None when empty).

    ``auth`` is an ``(api_token, api_secret)`` tuple for Basic auth, or None.
    """
    data = None if body is None else json.dumps(body).encode('utf-8')
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header('Content-Type', 'application/json')
    if auth:
        request.add_header('Authorization', 'Basic ' + base64.b64encode(('%s:%s' % tuple(auth)).encode('utf-8')).decode('ascii'))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw.decode('utf-8')) if raw.strip() else None


class Emulator(object):
    """The Catapult emulator in the background, on a free port of 127.0.0.1, started with the
    emulator's own launcher (catapult_emulator.launch).

    It publishes its base URL in ``url_file``; this waits for it (at most 30 s) and exits
    (SystemExit, the message starting with ``who``) when the emulator cannot be found,
    exits or does not start. It serves at most ``lifetime`` seconds; call ``stop()``.
    """

    def __init__(self, url_file, user_id, api_token, api_secret, lifetime=600, who='harness'):
        script = collection_file('tests', 'emulator', 'catapult_emulator.py')
        if script is None:
            raise SystemExit('%s: tests/emulator/catapult_emulator.py not found' % who)
        spec = importlib.util.spec_from_file_location('catapult_emulator', script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        args = ['--host', '127.0.0.1', '--port', '0', '--user-id', user_id, '--api-token', api_token, '--api-secret', api_secret,
                '--lifetime', lifetime]
        try:
            self.launched = module.launch(args, url_file=url_file)
        except module.LaunchError as exc:
            raise SystemExit('%s: %s' % (who, exc))
        self.proc = self.launched.proc
        self.url = self.launched.url
        self.control = self.launched.control

    def stop(self):
        self.launched.stop()


def local_inventory(workdir):
    """The inventory ansible-test gives (INVENTORY_PATH), or a written one with ``testhost``."""
    inventory = os.environ.get('INVENTORY_PATH')
    if not inventory:
        inventory = os.path.join(workdir, 'inventory')
        with open(inventory, 'w', encoding='utf-8') as handle:
            handle.write('testhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    return inventory
