# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pool engine (module_utils/_pool.py) through both pool modules: catapult_local_number_order and
catapult_tollfree_number_order differ here only in the module, its search criteria and its stock.
What only one of them does is tested in its own file."""

from __future__ import annotations

import json

import pytest

from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import (
    APPS, LIST, POOLS, SECRET, USER, app_call, calls, label_bodies, order_writes, update, writes,
)

SEARCH_AND_ORDER = ['local', 'toll-free']


def pools(*names):
    return pytest.mark.parametrize('pool', [POOLS[name] for name in names], ids=names)


# -- validation shared by both modules -----------------------------------------------------------------

@pools(*SEARCH_AND_ORDER)
@pytest.mark.parametrize('overrides, texts', [
    (dict(name=''), ['name must not be empty']),
    (dict(name='   '), ['name must not be empty']),
    (dict(pattern='9#9'), ['pattern may contain only letters, digits, ?', '9#9']),
    (dict(pattern='800-FLOWER'), ['pattern may contain only letters, digits, ?']),
    (dict(quantity=0), ['quantity must be between 1 and 5000; got 0']),
    (dict(quantity=5001), ['quantity must be between 1 and 5000; got 5001']),
    (dict(fallback_number='919-555'), ['fallback_number must be an E.164 phone number', '919-555']),
    (dict(concurrency=0), ['concurrency must be between 1 and 64; got 0']),
    (dict(concurrency=65), ['concurrency must be between 1 and 64; got 65']),
    (dict(application='Hotline IVR', application_id='a-ivr'), ['parameters are mutually exclusive: application|application_id']),
    (dict(application=' '), ["application must be the name of an application; got ' '"]),
], ids=['empty-name', 'blank-name', 'pattern-hash', 'pattern-dash', 'quantity-0', 'quantity-5001', 'fallback', 'concurrency-0',
        'concurrency-65', 'application-and-id', 'blank-application'])
def test_every_shared_rule_fails_before_any_request(rejected, pool, overrides, texts):
    rejected(pool.module, pool.args(**overrides), *texts)


# -- the pool ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('pool, quantity', [(POOLS['local'], 3), (POOLS['toll-free'], None)], ids=['local', 'toll-free-default-1'])
def test_orders_the_pool_and_labels_every_new_number(run_ok, catapult, requests_mock, pool, quantity):
    result = run_ok(pool.module, pool.args(application_id='a-ivr', fallback_number='+1 919 555 0000', **({'quantity': quantity} if quantity else {})),
                    diff=True)
    ids, count = catapult.ids(), quantity or 1
    assert calls(requests_mock) == [pool.list_pool, app_call('a-ivr'), LIST, pool.order_call(count)] + [update(i) for i in ids] + [pool.list_pool]
    assert label_bodies(requests_mock) == [(i, {'name': pool.name, 'applicationId': 'a-ivr', 'fallbackNumber': '+19195550000'}) for i in ids]
    assert result['changed'] is True and result['shortfall'] == count and result['adopted'] == []
    assert [n['id'] for n in result['ordered']] == ids
    assert [n['number'] for n in result['phone_numbers']] == pool.stock[:count]
    assert all((n['name'], n['application_id'], n['price'], n['city']) == (pool.name, 'a-ivr', pool.price, pool.city)
               for n in result['ordered'] + result['phone_numbers'])
    assert result['diff'] == {'before': {'name': pool.name, 'phone_numbers': []}, 'after': {'name': pool.name, 'phone_numbers': [
        {'number': n, 'state': 'present', 'name': pool.name, 'application_id': 'a-ivr', 'fallback_number': '+19195550000'} for n in pool.stock[:count]]}}
    assert len(catapult.named(pool.name)) == count


@pools(*SEARCH_AND_ORDER)
@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
def test_second_run_reads_once_and_writes_nothing(expect, catapult, pool, check_mode):
    pool.labelled(catapult, 3, application_id='a-ivr')
    result = expect(pool.module, pool.args(quantity=3, application_id='a-ivr'), [pool.list_pool], check_mode=check_mode, diff=True, changed=False,
                    shortfall=0, ordered=[])
    assert 'available' not in result and len(result['phone_numbers']) == 3 and result['diff']['before'] == result['diff']['after']


@pools(*SEARCH_AND_ORDER)
def test_grows_the_pool_by_the_shortfall_only_and_reconciles_the_members(run_ok, catapult, requests_mock, pool):
    old = pool.labelled(catapult, 2)
    result = run_ok(pool.module, pool.args(quantity=5, fallback_number='+19195550000'))
    # the members get the fallback first, then the shortfall alone is ordered
    assert calls(requests_mock)[:5] == [pool.list_pool] + [update(n['id']) for n in old] + [LIST, pool.order_call(3)]
    assert result['shortfall'] == 3 and len(result['ordered']) == 3
    assert len(result['phone_numbers']) == 5 and set(n['id'] for n in old) < set(n['id'] for n in result['phone_numbers'])
    assert len(catapult.named(pool.name)) == 5
    assert all(n.get('fallbackNumber') == '+19195550000' for n in catapult.named(pool.name))


@pools(*SEARCH_AND_ORDER)
def test_check_mode_searches_and_predicts_without_writing(expect, catapult, pool):
    pool.labelled(catapult, 1)
    result = expect(pool.module, pool.args(quantity=4, application_id='a-ivr'), [pool.list_pool, app_call('a-ivr'), LIST, pool.search_call(3)],
                    check_mode=True, diff=True, changed=True, shortfall=3, ordered=[])
    assert [a['number'] for a in result['available']] == pool.stock[1:4]
    after = result['diff']['after']['phone_numbers']
    assert len(after) == 4 and all(v['name'] == pool.name and v['application_id'] == 'a-ivr' for v in after)
    assert len(result['diff']['before']['phone_numbers']) == 1
    assert len(catapult.numbers()) == 1


@pools(*SEARCH_AND_ORDER)
def test_partial_fulfilment_kept_by_the_server_is_adopted_and_reported(run_failed, catapult, requests_mock, pool):
    catapult.configure(partial_fulfilment='keep')
    catapult.keep_stock(*pool.stock[:2])
    result = run_failed(pool.module, pool.args(quantity=5))
    assert 'could only fulfil 2' in result['msg'] and 'The pool holds 2 of 5' in result['msg']
    assert [n['number'] for n in result['ordered']] == pool.stock[:2]
    assert all(n['name'] == pool.name for n in result['ordered'])
    assert len(catapult.named(pool.name)) == 2 and catapult.unnamed() == []
    assert [c for c in writes(requests_mock) if c[1].startswith('/availableNumbers')] == [pool.order_call(5)]


@pools(*SEARCH_AND_ORDER)
def test_adoption_only_takes_unassigned_matching_numbers_before_ordering(run_ok, catapult, requests_mock, pool):
    catapult.add(pool.foreign)
    catapult.add(pool.stock[-1], application_id='a-other')
    catapult.add(pool.stock[-2], fallback='+19195550000')
    catapult.add(pool.stock[-3], name='other-pool')
    orphan = catapult.add(pool.stock[-4])
    result = run_ok(pool.module, pool.args(quantity=2))
    assert [n['id'] for n in result['adopted']] == [orphan['id']]
    assert calls(requests_mock)[:4] == [pool.list_pool, LIST, update(orphan['id']), pool.order_call(1)]
    assert len(catapult.named(pool.name)) == 2 and pool.foreign in [n['number'] for n in catapult.unnamed()]


@pools('local', 'toll-free', 'toll-free-pattern')
def test_check_mode_fails_when_the_search_cannot_cover_the_shortfall(run_failed, catapult, requests_mock, pool):
    catapult.keep_stock(pool.stock[0])
    result = run_failed(pool.module, pool.args(quantity=3), check_mode=True)
    assert 'would need 3 more' in result['msg'] and 'found only 1' in result['msg']
    assert writes(requests_mock) == [] and catapult.numbers() == []


# -- chunking: the order cap is learned from the refusal -----------------------------------------------

@pytest.mark.parametrize('pool, refusal, quantity, orders', [
    (POOLS['local'], 10, 25, [25, 10, 10, 5]),  # the cap the emulator names in its refusal is used
    (POOLS['local'], 7, 15, [15, 7, 7, 1]),
    (POOLS['local'], 'The maximum quantity of numbers searching and ordering is ...', 25, [25, 10, 10, 5]),  # no cap named: 10
    (POOLS['toll-free'], None, 23, [10, 10, 3]),  # toll-free starts at the documented cap of 10
    (POOLS['toll-free'], 'The maximum quantity of numbers searching and ordering is 4', 9, [9, 4, 4, 1]),
], ids=['local-cap-10', 'local-cap-7', 'local-cap-unnamed', 'toll-free-10', 'toll-free-cap-4'])
def test_order_cap_is_learned_and_the_rest_ordered_in_chunks(run_ok, catapult, requests_mock, pool, refusal, quantity, orders):
    if isinstance(refusal, int):
        catapult.configure(order_cap=refusal)
    elif refusal:
        catapult.fault('status', pool.order_path, 'POST', status=400, code='invalid-available-number-search-order', message=refusal)
    result = run_ok(pool.module, pool.args(quantity=quantity, concurrency=4))
    assert order_writes(requests_mock) == [pool.order_call(n) for n in orders]
    assert len(result['ordered']) == quantity
    assert len(catapult.named(pool.name)) == quantity and catapult.unnamed() == []


@pools(*SEARCH_AND_ORDER)
def test_other_order_errors_fail_with_the_api_error_and_never_the_secret(run_failed, catapult, requests_mock, pool):
    catapult.fault('status', pool.order_path, 'POST', status=403, code='insufficient-available-balance', message='available balance 0 is insufficient')
    result = run_failed(pool.module, pool.args(quantity=3))
    assert 'HTTP 403' in result['msg'] and 'insufficient-available-balance' in result['msg']
    assert result['error']['status'] == 403
    assert writes(requests_mock) == [pool.order_call(3)]
    assert SECRET not in json.dumps(result)


# -- nothing lost, nothing doubled -------------------------------------------------------------------

@pools(*SEARCH_AND_ORDER)
@pytest.mark.parametrize('fault', [dict(action='drop_after'), dict(action='status_after', status=503),
                                   dict(action='status_after', status=500), dict(action='delay', seconds=3600)],
                         ids=['dropped', '503', '500', 'timeout'])
def test_lost_order_answer_is_read_back_and_adopted_never_resent(run_ok, catapult, requests_mock, no_sleep, pool, fault):
    pool.labelled(catapult, 1)
    foreign = catapult.add(pool.foreign)                                 # unlabelled, but of the other kind
    used = catapult.add(pool.stock[-1], application_id='a-other')        # unnamed but there before the order: not ours
    catapult.add(pool.stock[-2], name='other')                           # another pool's
    catapult.fault(path=pool.order_path, method='POST', **fault)
    result = run_ok(pool.module, pool.args(quantity=3))
    new = catapult.numbers()[4:]
    # the re-count lists the whole account after a lost answer
    assert calls(requests_mock) == [pool.list_pool, LIST, pool.order_call(2), LIST] + [update(n['id']) for n in new] + [LIST]
    assert [n['id'] for n in result['ordered']] == [n['id'] for n in new]
    assert len(catapult.named(pool.name)) == 3
    assert sorted(n['number'] for n in catapult.unnamed()) == sorted([foreign['number'], used['number']])
    assert 'unlabelled' not in result
    assert no_sleep == []  # the first read showed the whole order: no waiting


# -- a success answer whose body is not the JSON expected ----------------------------------------------

@pools(*SEARCH_AND_ORDER)
@pytest.mark.parametrize('body, content_type', [
    ('<html><body><h1>Down for maintenance</h1></body></html>', 'text/html'),
    ('null', 'application/json'),
    ('', 'application/json'),
    ('"ok"', 'application/json'),
], ids=['html', 'null', 'empty', 'string'])
@pytest.mark.parametrize('skip, message', [(0, 'not the JSON expected'), (1, 'listing the account before ordering failed')],
                         ids=['pool-listing', 'account-listing'])
def test_hostile_listing_before_ordering_fails_and_orders_nothing(run_failed, catapult, requests_mock, pool, body, content_type, skip, message):
    catapult.fault('raw', '^/users/%s/phoneNumbers$' % USER, 'GET', skip=skip, body=body, content_type=content_type)
    result = run_failed(pool.module, pool.args(quantity=3))
    assert message in result['msg'] and 'not the JSON expected' in result['msg']
    assert writes(requests_mock) == []
    assert catapult.numbers() == []


@pools(*SEARCH_AND_ORDER)
@pytest.mark.parametrize('body, content_type', [
    ('<html><body>Accepted</body></html>', 'text/html'),
    ('null', 'text/html'),
    ('', 'text/html'),
    ('{"status": "ok"}', 'text/html'),
    ('[]', 'application/json'),
], ids=['html', 'null', 'empty', 'object', 'empty-list'])
def test_applied_order_answered_201_with_a_hostile_body_is_read_back_and_labelled(run_ok, catapult, requests_mock, no_sleep, pool, body, content_type):
    catapult.fault('raw_after', pool.order_path, 'POST', body=body, content_type=content_type)
    result = run_ok(pool.module, pool.args(quantity=3))
    assert [c for c in writes(requests_mock) if c[1].startswith('/availableNumbers')] == [pool.order_call(3)]  # never ordered again
    assert calls(requests_mock)[3] == LIST  # the read-back
    assert len(catapult.named(pool.name)) == 3 and catapult.unnamed() == []
    assert [n['id'] for n in result['ordered']] == catapult.ids()
    assert 'nothing was ordered' not in str(result)
    assert no_sleep == []


# -- the application is checked before any write ------------------------------------------------------

@pools('local', 'toll-free', 'toll-free-pattern')
@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
def test_unknown_application_fails_before_any_order(expect, catapult, pool, check_mode):
    expect(pool.module, pool.args(quantity=2, application_id='a-nope'), [pool.list_pool, app_call('a-nope')], failed=True, check_mode=check_mode,
           changed=False, msg=('application_id a-nope does not exist on account %s (GET /users/%s/applications/a-nope answered 404 application-not-found); '
                               'nothing was ordered or changed.' % (USER, USER)))
    assert catapult.numbers() == []


APP_NAME_FAILURES = {
    'unknown': ([('a-ivr', 'Support IVR')], 'support ivr', None, (
        "application 'support ivr': no application of that name on account %s (GET /users/%s/applications lists the account's applications; "
        'names match exactly). Create it first, for example with bandwidth.catapult.catapult_application; nothing was ordered or changed.' % (USER, USER))),
    'ambiguous': ([('a-one', 'Sales'), ('a-ivr', 'Support IVR'), ('a-two', 'Sales')], 'Sales', None, (
        "application 'Sales' matches 2 applications on account %s (a-one, a-two), so it does not say which one is meant; set application_id to choose "
        'one, or rename or delete the others; nothing was ordered or changed.' % USER)),
    'listing-fails': ([('a-ivr', 'Support IVR')], 'Support IVR', 401, (
        "listing the applications to find application 'Support IVR' failed: Catapult API error: GET /users/%s/applications returned HTTP 401 "
        '(unauthorized): Bad credentials. Check user_id, api_token and api_secret (or CATAPULT_USER_ID, CATAPULT_API_TOKEN, CATAPULT_API_SECRET); '
        'nothing was ordered or changed.' % USER)),
}


@pools('local', 'toll-free', 'toll-free-pattern')
@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
@pytest.mark.parametrize('case', list(APP_NAME_FAILURES))
def test_an_application_name_that_does_not_say_one_application_fails_before_any_order(expect, catapult, pool, check_mode, case):
    apps, name, listing_status, message = APP_NAME_FAILURES[case]
    catapult.name_applications(*apps)
    if listing_status:
        catapult.fault('status', '^/users/%s/applications$' % USER, 'GET', status=listing_status, message='Bad credentials')
    result = expect(pool.module, pool.args(quantity=2, application=name), [APPS], failed=True, check_mode=check_mode, changed=False, msg=message)
    assert case != 'ambiguous' or result['error']['application_ids'] == ['a-one', 'a-two']
    assert catapult.numbers() == []


@pools('local', 'toll-free', 'toll-free-pattern')
def test_application_by_name_labels_every_new_number_with_one_listing(run_ok, catapult, requests_mock, pool):
    catapult.name_applications(('a-other', 'Other'), ('a-ivr', 'Support IVR'))
    run_ok(pool.module, pool.args(quantity=2, application='Support IVR'))
    assert calls(requests_mock)[:2] == [APPS, pool.list_pool]
    assert calls(requests_mock).count(APPS) == 1
    assert app_call('a-ivr') not in calls(requests_mock)  # the listing proved the application exists
    assert [n['applicationId'] for n in catapult.named(pool.name)] == ['a-ivr', 'a-ivr']
