# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_available_number_info as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, SECRET, calls

LOCAL = API + '/availableNumbers/local'
TOLL_FREE = API + '/availableNumbers/tollFree'
RALEIGH = {'number': '+19195550100', 'nationalNumber': '(919) 555-0100', 'city': 'RALEIGH', 'state': 'NC', 'lata': '426',
           'rateCenter': 'RALEIGH', 'price': '0.35'}
FLOWER = {'number': '+18003569377', 'nationalNumber': '(800) 356-9377', 'patternMatch': '        9377', 'price': '2.00'}


@pytest.mark.parametrize('options, query', [
    (dict(state='nc'), 'state=NC&quantity=10'),
    (dict(city=' raleigh ', state='NC', quantity=2), 'city=raleigh&state=NC&quantity=2'),
    (dict(zip='27601'), 'zip=27601&quantity=10'),
    (dict(area_code='919'), 'areaCode=919&quantity=10'),
    (dict(areaCode='919', localNumber='5551'), 'areaCode=919&localNumber=5551&quantity=10'),
    (dict(area_code='919', local_number='555', in_local_calling_area=True),
     'areaCode=919&localNumber=555&inLocalCallingArea=true&quantity=10'),
    (dict(area_code='919', local_number='555', inLocalCallingArea=False), 'areaCode=919&localNumber=555&quantity=10'),
    (dict(state='NC', pattern='*2?9*'), 'state=NC&pattern=%2A2%3F9%2A&quantity=10'),
])
def test_local_criteria_become_the_documented_query(run_ok, requests_mock, options, query):
    requests_mock.get(LOCAL, json=[RALEIGH])
    result = run_ok(module, options)
    assert calls(requests_mock) == [('GET', '/availableNumbers/local?' + query)]
    assert result['changed'] is False
    assert result['available_numbers'] == [{
        'number': '+19195550100', 'national_number': '(919) 555-0100', 'pattern_match': None, 'city': 'RALEIGH',
        'lata': '426', 'rate_center': 'RALEIGH', 'state': 'NC', 'price': '0.35'}]


def test_toll_free_with_pattern(run_ok, requests_mock):
    requests_mock.get(TOLL_FREE, json=[FLOWER])
    result = run_ok(module, dict(type='toll_free', pattern='*FLOWER', quantity=3))
    assert calls(requests_mock) == [('GET', '/availableNumbers/tollFree?pattern=%2AFLOWER&quantity=3')]
    assert result['changed'] is False
    assert result['available_numbers'] == [{
        'number': '+18003569377', 'national_number': '(800) 356-9377', 'pattern_match': '        9377', 'city': None,
        'lata': None, 'rate_center': None, 'state': None, 'price': '2.00'}]


def test_toll_free_without_pattern_sends_only_quantity(run_ok, requests_mock):
    requests_mock.get(TOLL_FREE, json=[])
    result = run_ok(module, dict(type='toll_free'))
    assert calls(requests_mock) == [('GET', '/availableNumbers/tollFree?quantity=10')]
    assert result['available_numbers'] == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_never_changes_and_runs_the_same_in_check_mode(run_ok, requests_mock, check_mode):
    requests_mock.get(LOCAL, json=[RALEIGH, RALEIGH])
    result = run_ok(module, dict(state='NC', quantity=2), check_mode=check_mode, diff=True)
    assert result['changed'] is False
    assert len(result['available_numbers']) == 2
    assert 'diff' not in result
    assert [c[0] for c in calls(requests_mock)] == ['GET']


@pytest.mark.parametrize('options, expected', [
    (dict(), 'exactly one of state, zip and area_code is required; none was set'),
    (dict(state='NC', zip='27601'), 'exactly one of state, zip and area_code is required; got state and zip'),
    (dict(city='RALEIGH', area_code='919'), 'city requires state'),
    (dict(city='RALEIGH', state='NC', zip='27601'), 'city cannot be combined with zip'),
    (dict(state='XX'), 'state must be the two-letter code'),
    (dict(zip='2760'), 'zip must be 5 digits'),
    (dict(area_code='91'), 'area_code must be 3 digits'),
    (dict(area_code='919', local_number='55'), 'local_number must be 3 or 4 digits'),
    (dict(state='NC', local_number='555'), 'local_number requires area_code'),
    (dict(area_code='919', in_local_calling_area=True), 'in_local_calling_area can only be used with local_number'),
    (dict(state='NC', pattern='919-55*'), 'pattern may contain only letters, digits'),
    (dict(state='NC', quantity=0), 'quantity must be between 1 and 5000; got 0'),
    (dict(state='NC', quantity=5001), 'quantity must be between 1 and 5000; got 5001'),
    (dict(type='toll_free', pattern='8#8'), 'pattern may contain only letters, digits'),
    (dict(type='toll_free', quantity=5001), 'quantity must be between 1 and 5000'),
    (dict(type='toll_free', state='NC', area_code='800'), 'state, area_code can only be used with type=local'),
])
def test_validation_names_the_option_before_any_request(rejected, options, expected):
    rejected(module, options, expected)


def test_api_error_names_the_call_and_never_the_secret(run_failed, catapult):
    # the emulator answers a city it does not know with the documented 403 invalid-rate-center
    result = run_failed(module, dict(city='X', state='NC'))
    assert 'GET /availableNumbers/local' in result['msg'] and '403' in result['msg'] and 'invalid-rate-center' in result['msg']
    assert result['error']['status'] == 403
    assert SECRET not in json.dumps(result)
