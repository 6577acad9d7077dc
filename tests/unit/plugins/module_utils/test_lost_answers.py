# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Writes whose answer was lost after the server applied them (found by the fault matrix)."""

from __future__ import annotations

import pytest

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_number as module
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_numbers
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import NUMBERS, calls

NUM = '+19195550100'
ENC = '/users/u-unit/phoneNumbers/%2B19195550100'
RESOURCE = {'id': 'n-0100', 'number': NUM, 'name': 'Gone', 'numberState': 'enabled'}
GONE = {'status_code': 404, 'json': {'code': 'number-not-found', 'message': 'The number n-0100 could not be found'}}


@pytest.mark.parametrize('lost', [
    {'status_code': 502, 'json': {'code': 'bad-gateway', 'message': 'applied, then a gateway error'}},
    {'status_code': 504, 'json': {'code': 'gateway-timeout', 'message': 'applied, then a gateway timeout'}},
])
def test_release_whose_answer_was_lost_reports_changed(requests_mock, run_module, lost):
    # GET shows the number; the DELETE is applied but answered 502/504; the retry gets 404
    requests_mock.get(NUMBERS + '/%2B19195550100', json=RESOURCE)
    requests_mock.delete(NUMBERS + '/n-0100', [lost, GONE])
    result, failed = run_module(module, {'number': NUM, 'state': 'absent'})
    assert not failed
    assert result['changed'], 'the task released the number, so it changed something'
    assert result['phone_number']['number_state'] == 'released'
    assert calls(requests_mock) == [('GET', ENC), ('DELETE', '/users/u-unit/phoneNumbers/n-0100'),
                                    ('DELETE', '/users/u-unit/phoneNumbers/n-0100')]


def test_bulk_release_whose_answer_was_lost_reports_changed(requests_mock, run_module):
    requests_mock.get(NUMBERS, json=[RESOURCE])
    requests_mock.delete(NUMBERS + '/n-0100', [{'status_code': 503, 'json': {'message': 'x'}}, GONE])
    result, failed = run_module(catapult_phone_numbers, {'numbers': [{'number': NUM, 'state': 'absent'}]})
    assert not failed and result['changed']
    assert result['phone_numbers'][0]['changed'] and result['phone_numbers'][0]['action'] == 'release'
