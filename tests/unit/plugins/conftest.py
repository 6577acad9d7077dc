# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared harness: run a module's main() with arguments and capture exit_json/fail_json."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import AUTH


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture(autouse=True)
def patch_exit(monkeypatch):
    def exit_json(self, **kwargs):
        kwargs.setdefault('changed', False)
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        kwargs['failed'] = True
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """Retries never really sleep in unit tests; the waits asked for are recorded."""
    from ansible_collections.bandwidth.catapult.plugins.module_utils import _client as client
    waits = []
    monkeypatch.setattr(client.time, 'sleep', waits.append)
    return waits


@pytest.fixture
def run_module(monkeypatch):
    """``run_module(module, args, check_mode=False, diff=False)`` -> (result dict, failed bool)."""
    def run(module, args, check_mode=False, diff=False):
        payload = dict(AUTH, **args)
        payload['_ansible_check_mode'] = check_mode
        payload['_ansible_diff'] = diff
        monkeypatch.setattr(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': payload})))
        monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy', raising=False)
        # no syslog in unit tests: ansible-core 2.21 refuses to log arguments holding a NUL
        # character, which the property tests generate on purpose
        monkeypatch.setattr(basic.AnsibleModule, '_log_invocation', lambda self: None)
        with pytest.raises((ExitJson, FailJson)) as caught:
            module.main()
        return caught.value.args[0], isinstance(caught.value, FailJson)
    return run
