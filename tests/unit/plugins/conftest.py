# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared harness: run a module's main() with arguments and capture exit_json/fail_json; the emulated Catapult.

The proof that the fault tests test their fault: ``CATAPULT_EMULATOR_FAULTS_OFF=1`` (read here
and by the emulator) makes the emulator's fault rules never fire; every test that adds a rule
must then go red, in its own assertions (FAILED) or at the latest at teardown, where the
``catapult`` fixture refuses a rule that never fired (ERROR)::

    CATAPULT_EMULATOR_FAULTS_OFF=1 python -m pytest -q -rfE tests/unit/plugins
"""

from __future__ import annotations

import itertools
import json
import os
import time
import types

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.bandwidth.catapult.tests.emulator import catapult_emulator
from ansible_collections.bandwidth.catapult.tests.unit.plugins import emulated as emulated_module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import Catapult, created_time
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import AUTH, calls


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


class Waits(list):
    """The waits asked for (never really slept); they move the emulator's clock on."""

    def __init__(self):
        super().__init__()
        self.start = time.monotonic()

    def sleep(self, seconds):
        self.append(seconds)

    def advance(self, seconds):
        """Time passes without a wait of the code under test (e.g. a slow answer)."""
        self.start += seconds

    def monotonic(self):
        return self.start + sum(self)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """Retries never really sleep in unit tests; the waits asked for are recorded (a list)."""
    waits = Waits()
    monkeypatch.setattr(time, 'sleep', waits.sleep)
    # the emulator's latency, delay faults and list lag run on the same clock
    monkeypatch.setattr(catapult_emulator, 'time', types.SimpleNamespace(sleep=lambda seconds: None, monotonic=waits.monotonic,
                                                                         time=time.time))
    # every number the emulator allocates is a second newer than the one before (createdTime orders surplus)
    ticks = itertools.count(1000)
    monkeypatch.setattr(catapult_emulator, 'iso_now', lambda: created_time(next(ticks)))
    if os.environ.get('CATAPULT_EMULATOR_FAULTS_OFF', '') not in ('', '0'):
        monkeypatch.setattr(catapult_emulator, 'FAULTS_OFF', True)
    return waits


@pytest.fixture
def rejected(expect):
    """``rejected(module, args, *texts)``: the module fails, its message holds every text, and no request was sent."""
    return lambda module, args, *texts: expect(module, args, [], failed=True, texts=texts)


@pytest.fixture
def controller(monkeypatch):
    """The Ansible controller dies after ``alive_writes`` writes (default 1): the client then raises CatapultAborted
    before each write; ``checks`` counts the checks."""
    from ansible_collections.bandwidth.catapult.plugins.module_utils import _common as common
    state = {'alive_writes': 1, 'checks': 0}

    def gone(dummy_self):
        state['checks'] += 1
        if state['checks'] <= state['alive_writes']:
            return None
        return 'the Ansible controller that started this task is gone (test)'

    monkeypatch.setattr(common.ControllerWatch, '__call__', gone)
    return state


@pytest.fixture
def catapult(request, requests_mock, no_sleep):
    """The emulator answering every request to the unit tests' API (see emulated.py); the account owns the
    applications the test module's ``APPLICATIONS`` lists (default: emulated.APPLICATIONS).

    Every fault rule a test adds must fire: a rule that never did means the test did not test its fault.
    """
    emulated = Catapult(requests_mock, applications=getattr(request.module, 'APPLICATIONS', emulated_module.APPLICATIONS))
    yield emulated
    unfired = [rule.to_json() for rule in emulated.emulator.faults if rule.hits == 0]
    assert not unfired, 'fault rules that never fired: %r' % unfired


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


def _must(run_module, failed):
    def run(module, args, **options):
        result, did_fail = run_module(module, args, **options)
        assert did_fail is failed, result
        return result
    return run


@pytest.fixture
def run_ok(run_module):
    """``run_ok(module, args, check_mode=False, diff=False)`` -> the result of a module run that must succeed."""
    return _must(run_module, False)


@pytest.fixture
def run_failed(run_module):
    """``run_failed(module, args, check_mode=False, diff=False)`` -> the result of a module run that must fail."""
    return _must(run_module, True)


@pytest.fixture
def rerun(expect, requests_mock):
    """``rerun(module, args, sent, **options)``: the same task again, for real and in check mode: unchanged both times,
    and exactly the requests ``sent`` each time (so no write). Returns the two results."""
    def run(module, args, sent, **options):
        results = []
        for check_mode in (False, True):
            requests_mock.reset_mock()
            results.append(expect(module, args, sent, check_mode=check_mode, changed=False, **options))
        return results
    return run


@pytest.fixture
def expect(run_module, requests_mock):
    """``expect(module, args, sent, failed=False, texts=(), check_mode=False, diff=False, **fields)`` -> the result: the task sent
    exactly the requests ``sent`` (as calls() shows them), failed or not, its msg holds every text, and each of ``fields``
    (``a__0__b`` for result['a'][0]['b']) has exactly that value."""
    def run(module, args, sent, failed=False, texts=(), check_mode=False, diff=False, **fields):
        result = _must(run_module, failed)(module, args, check_mode=check_mode, diff=diff)
        assert calls(requests_mock) == sent
        for text in texts:
            assert text in result['msg'], (text, result['msg'])
        for path, value in fields.items():
            found = result
            for key in path.split('__'):
                found = found[int(key) if isinstance(found, list) else key]
            assert found == value, (path, found)
        return result
    return run
