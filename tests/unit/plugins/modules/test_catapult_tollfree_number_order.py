# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_tollfree_number_order as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import intercept
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import (
    ALLOCATE, LIST, NUMBERS, SECRET, USER, app_call, calls, listed, number_call, order, update, writes,
)

POOL = 'hotline'
LIST_POOL = listed(POOL)
ORDER_PATH = '^/availableNumbers/tollFree$'
ALLOCATE_PATH = '^/users/%s/phoneNumbers$' % USER
STOCK = ['+1800826%04d' % i for i in range(1000)]  # the emulator's first toll-free numbers, in the order it sells them


def labelled(catapult, count, name=POOL):
    free = [n for n in STOCK if catapult.emulator.inventory.is_available(n)]
    return [catapult.add(number, name=name) for number in free[:count]]


def args(**overrides):
    base = dict(name=POOL, concurrency=1)
    base.update(overrides)
    return base


def order_call(quantity):
    return order(quantity, kind='tollFree')


def allocation_bodies(requests_mock):
    return [json.loads(r.text) for r in requests_mock.request_history if r.method == 'POST' and r.url == NUMBERS]


# -- validation: local criteria are refused before any request ------------------------------------

# (the rules both pool modules share: test_pool_orders.py)

def test_local_criteria_fail_before_any_request(rejected):
    rejected(module, args(state='NC'), 'Unsupported parameters')


# -- search-and-order (no pattern) ------------------------------------------------------------------

def test_default_is_one_number_ordered_and_labelled(run_ok, catapult, requests_mock):
    result = run_ok(module, args(application_id='a-ivr'))
    number_id = catapult.named(POOL)[0]['id']
    assert calls(requests_mock) == [LIST_POOL, app_call('a-ivr'), LIST, order_call(1),
                                    update(number_id), LIST_POOL]
    assert result['changed'] and result['shortfall'] == 1
    assert [n['number'] for n in result['ordered']] == ['+18008260000']
    assert result['phone_numbers'][0]['name'] == POOL and result['phone_numbers'][0]['application_id'] == 'a-ivr'
    assert result['phone_numbers'][0]['price'] == '2.00' and result['phone_numbers'][0]['city'] is None


def test_shortfall_is_ordered_in_chunks_of_ten(run_ok, catapult, requests_mock):
    result = run_ok(module, args(quantity=23))
    assert [c for c in calls(requests_mock) if c[1].startswith('/availableNumbers')] == [order_call(10), order_call(10), order_call(3)]
    assert len(catapult.named(POOL)) == 23 and not catapult.unnamed()
    assert len(result['ordered']) == 23


def test_a_smaller_cap_named_by_the_server_is_used(run_ok, catapult, requests_mock):
    catapult.fault('status', ORDER_PATH, 'POST', status=400, code='invalid-available-number-search-order',
                   message='The maximum quantity of numbers searching and ordering is 4')
    run_ok(module, args(quantity=9))
    orders = [c for c in calls(requests_mock) if c[1].startswith('/availableNumbers')]
    assert orders == [order_call(9), order_call(4), order_call(4), order_call(1)]
    assert len(catapult.named(POOL)) == 9


# -- with a pattern: search, then order the numbers found -------------------------------------------

def test_pattern_searches_then_orders_each_number_with_its_label(run_ok, catapult, requests_mock):
    result = run_ok(module, args(quantity=2, pattern='8883*', application_id='a-ivr'))
    assert calls(requests_mock) == [LIST_POOL, app_call('a-ivr'), LIST,
                                    ('GET', '/availableNumbers/tollFree?pattern=8883%2A&quantity=2'), ALLOCATE, ALLOCATE,
                                    LIST_POOL]
    assert allocation_bodies(requests_mock) == [
        {'number': '+18883430000', 'name': POOL, 'applicationId': 'a-ivr'},
        {'number': '+18883430001', 'name': POOL, 'applicationId': 'a-ivr'},
    ]
    assert [n['number'] for n in result['ordered']] == ['+18883430000', '+18883430001']
    assert result['phone_numbers'][0]['national_number'] == '(888) 343-0000'
    assert not catapult.unnamed()


def test_pattern_rerun_changes_nothing(run_module, catapult, requests_mock):
    run_module(module, args(quantity=2, pattern='8883*'))
    requests_mock.reset_mock()
    result, failed = run_module(module, args(quantity=2, pattern='8883*'))
    assert not failed and result['changed'] is False
    assert calls(requests_mock) == [LIST_POOL]


def test_pattern_number_taken_meanwhile_is_replaced_by_a_new_search(run_ok, catapult, requests_mock):
    def taken_meanwhile(request):  # someone else orders the first number found just before this run does
        if request.method == 'POST' and request.url == NUMBERS and catapult.emulator.inventory.is_available('+18883430000'):
            catapult.emulator.inventory.take('+18883430000')
        return None

    intercept(requests_mock, taken_meanwhile)
    result = run_ok(module, args(quantity=2, pattern='8883*'))
    searches = [c for c in calls(requests_mock) if c[1].startswith('/availableNumbers')]
    assert searches == [('GET', '/availableNumbers/tollFree?pattern=8883%2A&quantity=2'),
                        ('GET', '/availableNumbers/tollFree?pattern=8883%2A&quantity=3')]
    assert [n['number'] for n in result['ordered']] == ['+18883430001', '+18883430002']
    assert len(catapult.named(POOL)) == 2


def test_pattern_lost_answer_is_read_back_never_resent(run_ok, catapult, requests_mock):
    catapult.fault('drop_after', ALLOCATE_PATH, 'POST')
    result = run_ok(module, args(quantity=1, pattern='8883*'))
    assert calls(requests_mock)[-3:] == [ALLOCATE, number_call('%2B18883430000'), LIST_POOL]
    assert [n['number'] for n in catapult.named(POOL)] == ['+18883430000']
    assert [n['number'] for n in result['ordered']] == ['+18883430000']


def test_pattern_not_enough_numbers_fails_before_ordering(run_failed, catapult, requests_mock):
    result = run_failed(module, args(quantity=3, pattern='8263430'))
    assert 'needs 3 more numbers matching pattern=8263430' in result['msg'] and 'found only 0' in result['msg']
    assert writes(requests_mock) == []


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


def test_pattern_check_mode_searches_with_the_pattern(run_ok, catapult, requests_mock):
    result = run_ok(module, args(quantity=2, pattern='8883*'), check_mode=True)
    assert calls(requests_mock)[-1] == ('GET', '/availableNumbers/tollFree?pattern=8883%2A&quantity=2')
    assert writes(requests_mock) == []
    assert [n['number'] for n in result['available']] == ['+18883430000', '+18883430001']


# -- dead controllers, missing locations ---------------------------------------------------------------

def test_local_numbers_are_never_adopted_into_a_toll_free_pool(run_ok, catapult, requests_mock):
    catapult.add('+19195550150')
    result = run_ok(module, args(quantity=1))
    assert result['adopted'] == [] and len(result['ordered']) == 1
    assert [n['number'] for n in catapult.unnamed()] == ['+19195550150']


def test_pattern_order_workers_stop_once_the_controller_is_gone(run_failed, catapult, requests_mock, controller):
    first_id = catapult.next_ids(1)[0]
    result = run_failed(module, args(quantity=4, pattern='8883*'))
    assert result['msg'].startswith('stopped: Stopped before POST /users/%s/phoneNumbers' % USER)
    assert writes(requests_mock) == [ALLOCATE]
    assert controller['checks'] == 2  # the two numbers after the abort were never tried
    assert [n['number'] for n in result['ordered']] == ['+18883430000']
    assert '+18883430000 (%s, ordered, labelled)' % first_id in result['msg']


def test_pattern_order_answered_without_location_reads_the_number_back(run_ok, catapult, requests_mock):
    catapult.without_location(requests_mock)
    first_id = catapult.next_ids(1)[0]
    result = run_ok(module, args(quantity=1, pattern='8883*'))
    assert calls(requests_mock)[-3:] == [ALLOCATE, number_call('%2B18883430000'), LIST_POOL]
    assert result['ordered'][0]['id'] == first_id
    assert not [c for c in calls(requests_mock) if c[1].endswith('/None')]
