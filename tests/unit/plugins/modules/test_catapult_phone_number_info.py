# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_number_info as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import NUMBERS, calls

A = {'id': 'n-a', 'number': '+19195550101', 'name': 'IVR', 'applicationId': 'a-ivr', 'numberState': 'enabled', 'city': 'RALEIGH'}
B = {'id': 'n-b', 'number': '+19195550100', 'numberState': 'enabled', 'fallbackNumber': '+19195550199'}
GONE = {'id': 'n-c', 'number': '+19195550102', 'numberState': 'released'}


def test_lists_every_page_and_gives_the_role_format(requests_mock, run_module):
    requests_mock.get(NUMBERS, [
        {'json': [A], 'headers': {'Link': '<%s?page=1&size=1000>; rel="next"' % NUMBERS}},
        {'json': [B, GONE]},
    ])
    result, failed = run_module(module, {}, check_mode=True)
    assert not failed and not result['changed']
    assert [r['id'] for r in result['phone_numbers']] == ['n-a', 'n-b']
    assert result['phone_numbers'][0]['application_id'] == 'a-ivr'
    assert result['catapult_phone_numbers'] == [
        {'number': '+19195550100', 'fallback_number': '+19195550199'},
        {'number': '+19195550101', 'name': 'IVR', 'application_id': 'a-ivr'},
    ]
    assert [c[0] for c in calls(requests_mock)] == ['GET', 'GET']


def test_filters_use_the_api_names(requests_mock, run_module):
    requests_mock.get(NUMBERS, json=[GONE])
    result, dummy = run_module(module, {'name': 'IVR', 'state': 'nc', 'application_id': 'a-ivr', 'city': 'RALEIGH',
                                        'number_state': 'released'})
    assert requests_mock.last_request.qs == {'name': ['ivr'], 'state': ['nc'], 'applicationid': ['a-ivr'],
                                             'city': ['raleigh'], 'numberstate': ['released'], 'size': ['1000']}
    assert requests_mock.last_request.url.count('state=NC') == 1
    assert result['phone_numbers'][0]['number_state'] == 'released'
    assert result['catapult_phone_numbers'] == []


@pytest.mark.parametrize('args, path', [
    ({'number': '+1 919 555 0101'}, '/%2B19195550101'),
    ({'id': 'n-a'}, '/n-a'),
])
def test_one_number(requests_mock, run_module, args, path):
    requests_mock.get(NUMBERS + path, json=A)
    result, dummy = run_module(module, args)
    assert [r['number'] for r in result['phone_numbers']] == ['+19195550101']


def test_one_missing_number_is_an_empty_list(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550101', status_code=404, json={'code': 'number-not-found', 'message': 'x'})
    result, failed = run_module(module, {'number': '+19195550101'})
    assert not failed and result['phone_numbers'] == [] and result['catapult_phone_numbers'] == []


@pytest.mark.parametrize('args, text', [
    ({'number': 'front desk'}, 'number must be an E.164 phone number'),
    ({'number': '+19195550101', 'name': 'IVR'}, 'mutually exclusive'),
], ids=['bad_number', 'number_and_filters_are_exclusive'])
def test_bad_options_fail_before_any_request(rejected, args, text):
    rejected(module, args, text)


@pytest.mark.parametrize('value', ['', '   ', 'n-a/b'])
def test_empty_or_bad_id_fails_naming_the_option_before_any_request(rejected, value):
    result = rejected(module, {'id': value}, repr(value))
    assert result['msg'].startswith('id must be the ID of a number')


def test_id_is_read_without_surrounding_blanks(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/n-a', json=A)
    result, failed = run_module(module, {'id': ' n-a '})
    assert not failed and [r['id'] for r in result['phone_numbers']] == ['n-a']
