# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What only catapult_tollfree_number_order does: refuse local criteria, and with a pattern search, then order each number found
(the pool engine both pool modules share: test_pool_orders.py)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import intercept
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import (
    ALLOCATE, LIST, NUMBERS, POOLS, SECRET, USER, app_call, calls, number_call, search, update, writes,
)

PATTERN = POOLS['toll-free-pattern']
module, POOL, LIST_POOL = PATTERN.module, PATTERN.name, PATTERN.list_pool
ALLOCATE_PATH = '^/users/%s/phoneNumbers$' % USER


def args(**overrides):
    return PATTERN.args(**dict(dict(quantity=2), **overrides))


def test_local_criteria_fail_before_any_request(rejected):
    rejected(module, args(pattern=None, state='NC'), 'Unsupported parameters')


def test_pattern_searches_then_orders_each_number_with_its_label_and_a_rerun_changes_nothing(run_ok, rerun, catapult, requests_mock):
    result = run_ok(module, args(application_id='a-ivr'))
    assert calls(requests_mock) == [LIST_POOL, app_call('a-ivr'), LIST, search(2, kind='tollFree', pattern='8883%2A'), ALLOCATE, ALLOCATE, LIST_POOL]
    assert [r.json() for r in requests_mock.request_history if r.method == 'POST' and r.url == NUMBERS] == [
        {'number': '+18883430000', 'name': POOL, 'applicationId': 'a-ivr'}, {'number': '+18883430001', 'name': POOL, 'applicationId': 'a-ivr'}]
    assert [n['number'] for n in result['ordered']] == ['+18883430000', '+18883430001']
    assert result['phone_numbers'][0]['national_number'] == '(888) 343-0000'
    assert not catapult.unnamed()
    rerun(module, args(application_id='a-ivr'), [LIST_POOL])


def test_pattern_number_taken_meanwhile_is_replaced_by_a_new_search(run_ok, catapult, requests_mock):
    def taken_meanwhile(request):  # someone else orders the first number found just before this run does
        if request.method == 'POST' and request.url == NUMBERS and catapult.in_stock('+18883430000'):
            catapult.take_from_stock('+18883430000')

    intercept(requests_mock, taken_meanwhile)
    result = run_ok(module, args())
    assert [c for c in calls(requests_mock) if c[1].startswith('/availableNumbers')] == [
        search(2, kind='tollFree', pattern='8883%2A'), search(3, kind='tollFree', pattern='8883%2A')]
    assert [n['number'] for n in result['ordered']] == ['+18883430001', '+18883430002']
    assert len(catapult.named(POOL)) == 2


def test_pattern_not_enough_numbers_fails_before_ordering(expect, catapult):
    expect(module, args(quantity=3, pattern='8263430'), [LIST_POOL, LIST, search(3, kind='tollFree', pattern='8263430')], failed=True,
           texts=['needs 3 more numbers matching pattern=8263430', 'found only 0'])


def test_pattern_other_order_errors_fail_listing_the_number(run_failed, catapult, requests_mock):
    catapult.fault('status', ALLOCATE_PATH, 'POST', status=403, code='insufficient-available-balance', message='no money')
    result = run_failed(module, args(quantity=1, pattern='800*'))
    assert '+18008260000' in result['msg'] and 'insufficient-available-balance' in result['msg']
    assert SECRET not in json.dumps(result)


def test_pattern_adoption_takes_only_matching_numbers(run_ok, catapult, requests_mock):
    catapult.add('+18002220000')
    match = catapult.add('+18772253569')  # 877-22-FLOWX: *FLOW matches 3569
    result = run_ok(module, args(quantity=1, pattern='*FLOW'))
    assert [n['number'] for n in result['adopted']] == [match['number']]
    assert writes(requests_mock) == [update(match['id'])]


def test_pattern_check_mode_searches_with_the_pattern(expect, catapult):
    result = expect(module, args(), [LIST_POOL, LIST, search(2, kind='tollFree', pattern='8883%2A')], check_mode=True)
    assert [n['number'] for n in result['available']] == ['+18883430000', '+18883430001']


def test_pattern_order_workers_stop_once_the_controller_is_gone(run_failed, catapult, requests_mock, controller):
    first_id = catapult.next_ids(1)[0]
    result = run_failed(module, args(quantity=4))
    assert result['msg'].startswith('stopped: Stopped before POST /users/%s/phoneNumbers' % USER)
    assert writes(requests_mock) == [ALLOCATE]
    assert controller['checks'] == 2  # the two numbers after the abort were never tried
    assert [n['number'] for n in result['ordered']] == ['+18883430000']
    assert '+18883430000 (%s, ordered, labelled)' % first_id in result['msg']


@pytest.mark.parametrize('lost', ['answer', 'location'])
def test_pattern_order_whose_answer_or_location_was_lost_reads_the_number_back_never_resends(expect, catapult, requests_mock, lost):
    if lost == 'answer':
        catapult.fault('drop_after', ALLOCATE_PATH, 'POST')
    else:
        catapult.without_location(requests_mock)
    first_id = catapult.next_ids(1)[0]
    expect(module, args(quantity=1), [LIST_POOL, LIST, search(1, kind='tollFree', pattern='8883%2A'), ALLOCATE, number_call('%2B18883430000'), LIST_POOL],
           ordered__0__id=first_id, ordered__0__number='+18883430000')
    assert [n['number'] for n in catapult.named(POOL)] == ['+18883430000']
