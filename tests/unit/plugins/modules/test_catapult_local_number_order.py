# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What only catapult_local_number_order does: its search criteria, adoption by location, and the order and labelling faults
(the pool engine both pool modules share: test_pool_orders.py)."""

from __future__ import annotations

import pytest
import requests
import requests_mock as requests_mock_module

from ansible.module_utils import basic

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_available_number_info as available_info
from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import intercept
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import (
    APPS, LIST, NUMBERS, POOLS, USER, app_call, calls, label_bodies, number_call, order_writes, search, update, writes,
)

LOCAL = POOLS['local']
module, POOL, STOCK, LIST_POOL, ORDER_PATH, labelled = LOCAL.module, LOCAL.name, LOCAL.stock, LOCAL.list_pool, LOCAL.order_path, LOCAL.labelled
UPDATE_PATH = '^/users/%s/phoneNumbers/[^/]+$' % USER
LIST_PATH = '^/users/%s/phoneNumbers$' % USER


def args(**overrides):
    return LOCAL.args(**dict(dict(quantity=3), **overrides))


def order_call(quantity, **query):
    return LOCAL.order_call(quantity, **query)


def on_order(requests_mock, action):
    """``action(request)`` runs on every order sent, before the emulator answers it."""
    def match(request):
        if request.method == 'POST' and 'availableNumbers' in request.url:
            action(request)

    intercept(requests_mock, match)


# -- validation and the query (the rules both pool modules share: test_pool_orders.py) ------------------------------------------------

# the search criteria catapult_available_number_info takes too, and checks by the same rules
@pytest.mark.parametrize('searcher', ['order', 'available_info'])
@pytest.mark.parametrize('criteria, texts', [
    ({}, ('exactly one of state, zip and area_code is required; none was set',)),
    (dict(state='NC', zip='27601'), ('exactly one of state, zip and area_code is required; got state and zip',)),
    (dict(zip='27601', area_code='919'), ('exactly one of state, zip and area_code', 'zip and area_code')),
    (dict(city='RALEIGH', area_code='919'), ('city requires state', 'within a state')),
    (dict(state='NC', city='RALEIGH', zip='27601'), ('city cannot be combined with zip',)),
    (dict(city='RALEIGH', areaCode='919'), ('city cannot be combined', 'area_code')),
    (dict(city='RALEIGH', area_code='919', local_number='555'), ('city cannot be combined', 'local_number')),
    (dict(state='North Carolina'), ('state must be the two-letter code', 'North Carolina')),
    (dict(state='XX'), ('state must be the two-letter code', 'XX')),
    (dict(zip='2760'), ('zip must be 5 digits', '2760')),
    (dict(zip='27a01'), ('zip must be 5 digits', '27a01')),
    (dict(area_code='91'), ('area_code must be 3 digits', '91')),
    (dict(area_code='9190'), ('area_code must be 3 digits', '9190')),
    (dict(area_code='919', local_number='55'), ('local_number must be 3 or 4 digits', '55')),
    (dict(area_code='919', localNumber='55555'), ('local_number must be 3 or 4 digits', '55555')),
    (dict(state='NC', local_number='555'), ('local_number requires area_code',)),
    (dict(area_code='919', in_local_calling_area=True), ('in_local_calling_area can only be used with local_number',)),
    (dict(state='NC', inLocalCallingArea=True), ('in_local_calling_area can only be used with local_number',)),
    (dict(state='nc x', zip='1', quantity=0), ('state must be', 'zip must be', 'quantity must be', 'exactly one of')),  # all at once
])
def test_every_search_rule_fails_before_any_request(rejected, searcher, criteria, texts):
    rejected(*((module, args(**dict(dict(state=None), **criteria))) if searcher == 'order' else (available_info, criteria)), *texts)


@pytest.mark.parametrize('options, query', [
    (dict(state='nc'), dict(state='NC')),
    (dict(state='NC', city=' raleigh '), dict(city='raleigh', state='NC')),
    (dict(state=None, zip='27601'), dict(zip='27601')),
    (dict(state=None, area_code='919'), dict(areaCode='919')),
    (dict(state=None, area_code='919', local_number='5551'), dict(areaCode='919', localNumber='5551')),
    (dict(pattern='*55?1*'), dict(state='NC', pattern='%2A55%3F1%2A')),
    (dict(in_local_calling_area=False, state='NC'), dict(state='NC')),
    (dict(state=None, areaCode='919', localNumber='555', inLocalCallingArea=True), dict(areaCode='919', localNumber='555', inLocalCallingArea='true')),
])
def test_search_options_and_their_aliases_become_the_documented_query(run_ok, catapult, requests_mock, options, query):
    run_ok(module, args(quantity=1, **options))
    assert calls(requests_mock)[2] == order_call(1, **query)


# -- the pool ------------------------------------------------------------------------------------------------------------------------

def test_name_filter_is_exact_on_our_side(run_ok, catapult, requests_mock):
    labelled(catapult, 3)
    requests_mock.get(NUMBERS, json=lambda request, context: [dict(n, name=POOL + '-other') for n in catapult.numbers()])
    assert run_ok(module, args(quantity=1))['shortfall'] == 1


def test_reconciles_application_and_fallback_of_existing_members(expect, catapult, requests_mock):
    good, wrong = labelled(catapult, 2, application_id='a-ivr')
    catapult.record(wrong['id'])['applicationId'] = 'a-old'
    expect(module, args(quantity=2, application_id='a-ivr', fallback_number='+19195550000'),
           [LIST_POOL, app_call('a-ivr'), update(good['id']), update(wrong['id']), LIST_POOL], changed=True, shortfall=0)
    assert label_bodies(requests_mock) == [(good['id'], {'fallbackNumber': '+19195550000'}),
                                           (wrong['id'], {'applicationId': 'a-ivr', 'fallbackNumber': '+19195550000'})]


def test_a_larger_pool_is_left_alone_and_reported(expect, catapult):
    labelled(catapult, 5)
    result = expect(module, args(quantity=3), [LIST_POOL], texts=['nothing was released'], changed=False, surplus=2)
    assert len(result['phone_numbers']) == 5


def test_pattern_refused_on_order_fails_naming_pattern(run_failed, catapult, requests_mock):
    catapult.configure(pattern_on_order='reject')
    result = run_failed(module, args(pattern='555*'))
    assert result['msg'].startswith('pattern:') and 'cannot contain pattern' in result['msg']
    assert writes(requests_mock) == [order_call(3, state='NC', pattern='555%2A')] and catapult.numbers() == []


# -- nothing lost, nothing doubled ---------------------------------------------------------------------------------------------------

SETTLE = [LIST] * 6  # read at once, then after 0.5, 1, 2, 4 and 2.5 s: 10 s in all
WAITS = [0.5, 1.0, 2.0, 4.0, 2.5]


def drop_then_read_fails(**read_fault):  # the pool and the account listing before the order are fine
    return [dict(action='drop_after'), dict(read_fault, path=LIST_PATH, method='GET', skip=2, count=0)]


# (emulator config, fault rules (on the order unless a path is given), quantity, texts of the failure (None: the task succeeds),
#  the requests after the first order (then, on success, a label each and the re-count), the waits, numbers named / on the account)
ORDER_FAULTS = {
    'not-applied-is-sent-again-after-the-settle': ({}, [dict(action='status', status=503)], 3, None, SETTLE + [order_call(3)], WAITS, (3, 3)),
    'answered-201-with-a-hostile-body-that-ordered-nothing-is-sent-again-after-the-settle': (
        {}, [dict(action='raw', status=201, body='<html>Gateway</html>', content_type='text/html')], 3, None, SETTLE + [order_call(3)], WAITS, (3, 3)),
    'gives-up-after-3-lost-answers-that-ordered-nothing': (
        {}, [dict(action='status', status=503, count=0)], 3, ['lost 3 times'], (SETTLE + [order_call(3)]) * 2 + SETTLE + [LIST], WAITS * 3, (0, 0)),
    'answered-201-with-an-empty-list-that-ordered-nothing-fails-without-resending': (
        {}, [dict(action='raw', status=201, body='[]', content_type='application/json', count=0)], 3,
        ['HTTP 201 but listed no numbers', 'nothing was ordered again'], SETTLE + [LIST], WAITS, (0, 0)),
    'stale-read-after-an-applied-order-waits-and-never-orders-again': (
        {'list_lag_ms': 1000}, [dict(action='status_after', status=503)], 5, None, [LIST] * 3, [0.5, 1.0], (5, 5)),  # the first two reads are stale
    'read-back-failing-401-after-a-lost-answer-never-resends': (
        {}, drop_then_read_fails(action='status', status=401), 3, ['reading the account back failed', 'HTTP 401'], [LIST, LIST], [], (0, 3)),
    'read-back-failing-html-after-a-lost-answer-never-resends': (
        {}, drop_then_read_fails(action='raw', body='<html>maintenance</html>'), 3, ['reading the account back failed', 'not the JSON expected'],
        [LIST, LIST], [], (0, 3)),
}


@pytest.mark.parametrize('case', list(ORDER_FAULTS))
def test_a_faulted_order_is_read_back_and_never_doubled(expect, catapult, no_sleep, case):
    config, faults, quantity, texts, after_order, waits, counts = ORDER_FAULTS[case]
    if config:
        catapult.configure(**config)
    for fault in faults:
        fault = dict(fault)
        catapult.fault(fault.pop('action'), fault.pop('path', ORDER_PATH), fault.pop('method', 'POST'), **fault)
    labels = [] if texts else [update(i) for i in catapult.next_ids(quantity)] + [LIST]
    result = expect(module, args(quantity=quantity), [LIST_POOL, LIST, order_call(quantity)] + after_order + labels, failed=bool(texts), texts=texts or ())
    assert no_sleep == waits
    assert (len(catapult.named(POOL)), len(catapult.numbers())) == counts
    assert texts or (len(result['phone_numbers']) == quantity and 'unlabelled' not in result)


def test_partly_applied_lost_order_orders_only_the_rest(run_ok, catapult, requests_mock):
    def allocate_one_then_drop(request):  # the server allocated 1 of 3, then the connection dropped
        if not catapult.numbers():
            catapult.add(STOCK[0])
            raise requests.exceptions.ConnectionError('Connection aborted')

    on_order(requests_mock, allocate_one_then_drop)
    run_ok(module, args())
    assert order_writes(requests_mock) == [order_call(3), order_call(2)]
    assert len(catapult.named(POOL)) == 3 and len(catapult.numbers()) == 3


def test_timeout_with_nothing_visible_yet_fails_without_resending(expect, catapult, requests_mock, no_sleep):
    def order_times_out(request):
        raise requests.exceptions.ReadTimeout('read timed out')

    on_order(requests_mock, order_times_out)
    # reads after 0, 0.5, 1.5 and 2 s (the timeout bounds the wait), then one listing for what it left behind
    expect(module, args(timeout=2), [LIST_POOL, LIST, order_call(3)] + [LIST] * 4 + [LIST], failed=True,
           texts=['timed out', 'nothing was ordered again', 'rerun', 'over 2s'])
    assert no_sleep == [0.5, 1.0, 0.5]
    # the order lands later: the rerun adopts it and orders nothing
    landed = [catapult.add(number) for number in STOCK[:3]]
    requests_mock.reset_mock()
    result = expect(module, args(), [LIST_POOL, LIST] + [update(n['id']) for n in landed] + [LIST_POOL], ordered=[])
    assert [n['id'] for n in result['adopted']] == [n['id'] for n in landed]


def test_not_enough_numbers_fails_saying_none_were_ordered(expect, catapult):
    catapult.keep_stock(*STOCK[:4])
    # one read (a refusal is an answer: no waiting), then the re-count of the whole account
    expect(module, args(quantity=5), [LIST_POOL, LIST, order_call(5), LIST, LIST], failed=True, texts=['asked for 5 numbers', 'none were ordered'], ordered=[])
    assert catapult.numbers() == []


# -- labelling -----------------------------------------------------------------------------------------------------------------------

def test_transient_labelling_failure_is_retried_in_the_same_run(run_ok, catapult, requests_mock, no_sleep):
    second = update(catapult.next_ids(2)[1])
    catapult.fault('status', second[1], 'POST', status=500, count=2)
    run_ok(module, args())
    assert [c for c in writes(requests_mock) if c == second] == [second] * 3
    assert len(catapult.named(POOL)) == 3


def test_labelling_failure_lists_every_ordered_number_and_the_rerun_adopts(expect, run_failed, rerun, catapult, requests_mock):
    catapult.fault('status', '/' + catapult.next_ids(2)[1], 'POST', status=500, count=3)
    result = run_failed(module, args(application_id='a-ivr'))
    first, second = catapult.numbers()[:2]
    for resource in catapult.numbers():
        assert resource['number'] in result['msg'] and resource['id'] in result['msg']
    for text in ('%s, ordered, NOT labelled' % second['id'], '%s, ordered, labelled' % first['id'], 'rerun'):
        assert text in result['msg']
    assert result['unlabelled'] == [{'id': second['id'], 'number': second['number'], 'error': result['unlabelled'][0]['error']}]
    assert len(result['ordered']) == 3 and result['changed'] is True
    assert len(order_writes(requests_mock)) == 1
    requests_mock.reset_mock()
    result = expect(module, args(application_id='a-ivr'), [LIST_POOL, app_call('a-ivr'), LIST, update(second['id']), LIST_POOL], ordered=[], shortfall=1)
    assert [n['id'] for n in result['adopted']] == [second['id']]
    assert len(catapult.named(POOL)) == 3 and catapult.unnamed() == []
    rerun(module, args(application_id='a-ivr'), [LIST_POOL])


def test_label_errors_are_read_back_before_reporting(run_ok, catapult, requests_mock):
    catapult.fault('status_after', UPDATE_PATH, 'POST', status=500, count=0)  # applied, then a gateway error
    result = run_ok(module, args())
    assert calls(requests_mock)[-2:] == [LIST, LIST_POOL]  # the read-back, then the re-count
    assert len(writes(requests_mock)) == 1 + 3 * 3
    assert all(n['name'] == POOL for n in result['ordered'])


# -- adoption takes only numbers shown to match ----------------------------------------------------------------------------------------

def test_check_mode_counts_adoptable_numbers(run_ok, catapult, requests_mock):
    catapult.add('+19195550104')
    result = run_ok(module, args(quantity=3), check_mode=True)
    assert calls(requests_mock)[-1] == search(2, state='NC')
    assert [n['number'] for n in result['adopted']] == ['+19195550104']
    assert result['available'][0]['rate_center'] == 'RALEIGH' and result['shortfall'] == 3
    assert catapult.unnamed()


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
@pytest.mark.parametrize('present, options, adopted', [
    # toll-free (even when the resource says NC), another state, a local number without state: none shown to be in NC
    ([('+18008260000', {}), ('+18772270000', dict(state='NC', city='RALEIGH')), ('+12122260000', {}), ('+19195550150', dict(city=None)),
      ('+19195550151', {})], dict(quantity=2), '+19195550151'),
    ([('+19195550150', dict(city=None)), ('+19196800000', {}), ('+19195550151', dict(city=' raleigh '))], dict(city='Raleigh', quantity=1),
     '+19195550151'),  # the city must be on the resource; Cary is not Raleigh
    ([('+19195551234', {}), ('+19195552999', {}), ('+19195552998', {})],  # 919-555 is not 5552; 5552 but not *29?8
     dict(state=None, area_code='919', local_number='5552', pattern='*29?8', quantity=1), '+19195552998'),
    ([('+19195550104', {}), ('+19842190104', {})], dict(state=None, area_code='984', quantity=1), '+19842190104'),
    ([('+19195550104', {})], dict(quantity=1, adopt_unlabelled=False), None),
    # criteria a resource cannot show: an unlabelled Raleigh number may or may not match; never taken on a guess
    ([('+19195550150', {})], dict(state=None, zip='27601', quantity=1), None),
    ([('+19195550150', {})], dict(state=None, area_code='919', local_number='555', in_local_calling_area=True, quantity=1), None),
], ids=['state', 'city', 'local-number-and-pattern', 'area-code', 'adoption-off', 'zip-unknown', 'calling-area-unknown'])
def test_adopts_only_numbers_shown_to_match(run_ok, catapult, requests_mock, check_mode, present, options, adopted):
    for number, fields in present:
        catapult.add(number, **fields)
    result = run_ok(module, args(**options), check_mode=check_mode)
    assert [n['number'] for n in result['adopted']] == ([adopted] if adopted else [])
    assert len(result.get('available' if check_mode else 'ordered', [])) == options['quantity'] - bool(adopted)
    assert sorted(n['number'] for n in catapult.unnamed()) == sorted(n for n, dummy in present if check_mode or n != adopted)


def test_lost_order_of_a_zip_pool_recovers_only_its_own_new_numbers(run_ok, catapult, requests_mock, no_sleep):
    old = catapult.add('+19195550150')              # unlabelled before the order: never attributed to it
    catapult.add('+18008260000')
    catapult.fault('status_after', ORDER_PATH, 'POST', status=503)
    result = run_ok(module, args(state=None, zip='27601', quantity=2))
    assert order_writes(requests_mock) == [order_call(2, zip='27601')]
    assert calls(requests_mock)[3] == LIST  # the read-back
    assert [n['id'] for n in result['ordered']] == catapult.ids()[2:]
    assert sorted(n['number'] for n in catapult.unnamed()) == ['+18008260000', old['number']]
    assert len(catapult.named(POOL)) == 2


def test_lost_order_attributes_at_most_the_quantity_ordered(run_failed, catapult, requests_mock, no_sleep):
    def others_order_meanwhile(request):  # the order lands along with numbers someone else ordered meanwhile
        catapult.add(STOCK[-1])
        catapult.add(STOCK[-2])

    on_order(requests_mock, others_order_meanwhile)
    catapult.fault('drop_after', ORDER_PATH, 'POST')
    result = run_failed(module, args(quantity=3))  # two unlabelled numbers appeared that this run cannot attribute: reported, not taken
    assert len(result['ordered']) == 3 and len(catapult.named(POOL)) == 3
    assert len(result['unlabelled']) == 2 and len(catapult.unnamed()) == 2
    assert sorted(u['number'] for u in result['unlabelled']) == sorted(n['number'] for n in catapult.unnamed())


# -- the application is checked before any write, once ------------------------------------------------------------------------------

def test_unknown_application_fails_before_reconciling_a_full_pool(expect, catapult):
    labelled(catapult, 3, application_id='a-ivr')
    expect(module, args(application_id='a-nope'), [LIST_POOL, app_call('a-nope')], failed=True, texts=['application_id a-nope does not exist'])
    assert all(n['applicationId'] == 'a-ivr' for n in catapult.numbers())


def test_application_already_set_everywhere_is_not_read_again(expect, catapult):
    labelled(catapult, 3, application_id='a-gone')  # nothing to send: the pool is left as it is, with one request
    expect(module, args(application_id='a-gone'), [LIST_POOL])


def test_application_check_that_errors_fails_before_any_write(run_failed, catapult, requests_mock):
    catapult.fault('raw', '^/users/%s/applications/a-ivr$' % USER, 'GET', body='<html>proxy</html>', content_type='text/html')
    result = run_failed(module, args(application_id='a-ivr'))
    assert 'checking application_id a-ivr before any write failed' in result['msg']
    assert writes(requests_mock) == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_application_by_name_is_resolved_once_before_any_write(run_ok, catapult, requests_mock, check_mode):
    catapult.name_applications(('a-other', 'Other'), ('a-ivr', 'Support IVR'))
    run_ok(module, args(application='Support IVR'), check_mode=check_mode)
    ids = catapult.ids()
    # the listing proved the application exists: no GET of it by ID
    writes_sent = [order_call(3)] + [update(i) for i in ids] + [LIST_POOL]
    assert calls(requests_mock) == [APPS, LIST_POOL, LIST] + ([search(3, state='NC')] if check_mode else writes_sent)
    assert label_bodies(requests_mock) == [(i, {'name': POOL, 'applicationId': 'a-ivr'}) for i in ids]
    requests_mock.reset_mock()
    assert run_ok(module, args(application='Support IVR'))['changed'] is (check_mode is True)


# -- a dead controller stops the run at once -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('concurrency', [1, 4])
def test_dead_controller_stops_labelling_at_once_and_lists_what_was_ordered(expect, catapult, no_sleep, controller, concurrency):
    # the one write; no read-back, no re-count, no second labelling round
    result = expect(module, args(quantity=3, concurrency=concurrency), [LIST_POOL, LIST, order_call(3)], failed=True)
    assert result['msg'].startswith('stopped: Stopped before POST /users/%s/phoneNumbers/' % USER) and no_sleep == []
    for resource in catapult.numbers():
        assert '%s (%s, ordered, NOT labelled)' % (resource['number'], resource['id']) in result['msg']
    assert sorted(u['id'] for u in result['unlabelled']) == sorted(catapult.ids())
    assert controller['checks'] <= 1 + concurrency  # workers that had not started never tried


def test_dead_controller_stops_before_the_next_chunk(run_failed, catapult, requests_mock, controller):
    catapult.configure(order_cap=10)
    controller['alive_writes'] = 1 + 1 + 10  # the refused order, the first chunk and its ten labels
    result = run_failed(module, args(quantity=25, concurrency=4))
    assert 'Stopped before POST /availableNumbers/local' in result['msg']
    assert len(writes(requests_mock)) == 12
    assert len(result['ordered']) == 10 and len(catapult.named(POOL)) == 10
    assert result['msg'].count('ordered, labelled') == 10


def test_dead_controller_stops_waiting_for_a_lost_order(expect, catapult, no_sleep, controller):
    catapult.configure(list_lag_ms=60000)  # the lost order's numbers would not show during the whole wait
    catapult.fault('status_after', ORDER_PATH, 'POST', status=503)
    result = expect(module, args(quantity=2), [LIST_POOL, LIST, order_call(2), LIST], failed=True, texts=['The answer to an order of this run was lost'])
    assert result['msg'].startswith('stopped: Stopped before GET /users/%s/phoneNumbers' % USER) and no_sleep == []


# -- the result is what the account holds after the task -------------------------------------------------------------------------------

def test_another_run_of_the_same_pool_shows_as_surplus(run_ok, catapult, requests_mock, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text: warnings.append(text))
    on_order(requests_mock, lambda request: labelled(catapult, 3))  # another run of this pool orders and labels its own three meanwhile
    result = run_ok(module, args(quantity=3))
    assert len(catapult.named(POOL)) == 6
    assert sorted(n['id'] for n in result['phone_numbers']) == sorted(n['id'] for n in catapult.named(POOL))
    assert result['surplus'] == 3
    assert 'holds 6 numbers, 3 more than quantity 3; nothing was released' in result['msg']
    assert warnings == [result['msg']]
    assert not [c for c in calls(requests_mock) if c[0] == 'DELETE']
    assert calls(requests_mock)[-1] == LIST_POOL


def test_numbers_another_task_renamed_meanwhile_are_not_reported(run_failed, catapult, requests_mock):
    def relabel_the_first(request):  # an overlapping pool relabels the first number right after this run did
        answer = catapult.answer(request)
        ids = catapult.ids()
        if request.method == 'POST' and ids and request.url.endswith('/' + ids[0]):
            catapult.record(ids[0])['name'] = 'other-pool'
        return answer

    intercept(requests_mock, relabel_the_first)
    result = run_failed(module, args(quantity=3))
    first = catapult.numbers()[0]
    assert 'holds 2 of 3 numbers' in result['msg']
    assert "%s (%s, now named 'other-pool')" % (first['number'], first['id']) in result['msg']
    assert sorted(n['id'] for n in result['phone_numbers']) == sorted(catapult.ids()[1:])
    assert calls(requests_mock)[-2:] == [LIST_POOL, number_call(first['id'])]


def test_a_lagging_listing_after_the_writes_is_completed_by_reading_each_number(run_ok, catapult, requests_mock):
    catapult.configure(list_lag_ms=60000)
    result, ids = run_ok(module, args(quantity=2)), catapult.ids()
    assert sorted(n['id'] for n in result['phone_numbers']) == sorted(ids) and 'surplus' not in result
    assert calls(requests_mock)[-3:] == [LIST_POOL] + [number_call(i) for i in ids]


def test_numbers_that_show_only_after_the_settle_are_reported_unlabelled(run_failed, catapult, requests_mock, no_sleep):
    catapult.configure(list_lag_ms=10500)  # every read of the 10 s settle is stale
    on_order(requests_mock, lambda request: catapult.numbers() and no_sleep.advance(1.0))  # the second order takes a second: the first shows
    catapult.fault('status_after', ORDER_PATH, 'POST', status=503)
    result = run_failed(module, args(quantity=5))
    assert sum(no_sleep) == 10.0
    first = catapult.unnamed()
    assert len(first) == 5 and len(catapult.named(POOL)) == 5  # the order was sent again after the settle
    assert sorted(u['id'] for u in result['unlabelled']) == sorted(n['id'] for n in first)
    for resource in first:
        assert '%s (%s)' % (resource['number'], resource['id']) in result['msg']
    assert 'left 5 unlabelled numbers' in result['msg']
    assert not [c for c in calls(requests_mock) if c[0] == 'DELETE']


# -- order items without location ------------------------------------------------------------------------------------------------------

def test_order_items_without_location_are_looked_up_by_number(run_ok, catapult, requests_mock):
    catapult.configure(order_item_location=False)
    run_ok(module, args(quantity=3))
    assert not [c for c in calls(requests_mock) if c[1].endswith('/None')]
    assert calls(requests_mock)[3:6] == [number_call(n.replace('+', '%2B')) for n in STOCK[:3]]
    assert writes(requests_mock)[1:] == [update(i) for i in catapult.ids()]
    assert len(catapult.named(POOL)) == 3 and catapult.unnamed() == []


def test_order_item_without_location_that_cannot_be_found_is_reported_never_guessed(run_failed, catapult, requests_mock):
    def unknown_second_item(request):
        answer = catapult.answer(request)
        if request.method == 'POST' and 'availableNumbers' in request.url:
            items = answer.json()
            del items[1]['location']
            items[1]['number'] = '+19999999999'  # no such number on the account
            answer = requests_mock_module.create_response(request, status_code=answer.status_code, json=items)
        return answer

    intercept(requests_mock, unknown_second_item)
    result = run_failed(module, args(quantity=3))
    assert not [c for c in calls(requests_mock) if c[1].endswith('/None')]
    assert '+19999999999 (None, ordered, NOT labelled)' in result['msg']
    assert [u['number'] for u in result['unlabelled']] == ['+19999999999']
