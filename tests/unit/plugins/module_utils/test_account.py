# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The account engine (``AccountRun(client, DesiredState(...)).run()``) against a scripted Catapult.

HTTP is faked at the requests layer (requests_mock): a real ``CatapultClient`` talks to the
Catapult emulator in-process (the ``catapult`` fixture, tests/unit/plugins/emulated.py), which
keeps the account, its applications and the inventory. Every test compares the exact list of
requests sent, so a missing or an extra call fails.
"""

from __future__ import annotations

import pytest
import requests

from ansible_collections.bandwidth.catapult.plugins.module_utils._account import (
    AccountError,
    AccountRun,
    DesiredState,
    predicted_id,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultClient
from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import intercept
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import (
    ALLOCATE, API, APPS, CREATE_APP, LIST, SECRET, TOKEN, USER, app_call, calls, listed, order, page, release, search, update, writes,
)

# the applications on the account (the catapult fixture); numbers come from the emulator's inventory
APPLICATIONS = ('a-ivr', 'a-sms')


@pytest.fixture
def client(no_sleep):
    return CatapultClient(USER, TOKEN, SECRET, API, retries=2, sleep=no_sleep.append)


def state(numbers=None, pools=None, **options):
    options.setdefault('concurrency', 1)
    return DesiredState(numbers or [], pools or [], **options)


def run(client, check_mode=False, diff=False, **options):
    return AccountRun(client, state(**options), check_mode=check_mode, diff=diff).run()


def refused(client, check_mode=False, diff=False, **options):
    with pytest.raises(AccountError) as caught:
        run(client, check_mode=check_mode, diff=diff, **options)
    return caught.value


# -- 1. validation: every kind of mistake, all at once, before any request -----------------------

E164 = 'must be an E.164 phone number'
MISTAKES = [
    ('bad number', dict(numbers=[{'number': '919-555-0100'}]), ["numbers[0].number %s" % E164, "got '919-555-0100'"]),
    ('unquoted number', dict(numbers=[{'number': 19195550100}]),
     ['numbers[0].number %s' % E164, 'It has no leading +', 'quote it: number: "+19195550100"']),
    ('number missing', dict(numbers=[{'name': 'x'}]), ['numbers[0].number %s' % E164]),
    ('bad fallback', dict(numbers=[{'number': '+19195550100', 'fallback_number': '555'}]),
     ['numbers[0].fallback_number %s' % E164]),
    ('bad default fallback', dict(default_fallback_number='nope'), ['default_fallback_number %s' % E164]),
    ('bad entry state', dict(numbers=[{'number': '+19195550100', 'state': 'gone'}]),
     ["numbers[0].state must be present or absent; got 'gone'"]),
    ('repeated number', dict(numbers=[{'number': '+19195550100'}, {'number': '+1 (919) 555-0100'}]),
     ['numbers[1].number +19195550100 repeats numbers[0]; list each number once']),
    ('repeated pool', dict(pools=[{'name': 'ivr', 'state': 'NC'}, {'name': 'ivr', 'area_code': '919'}]),
     ['pools[1] (ivr): pool names must be unique; ivr repeats pools[0]']),
    ('entry named like a pool', dict(numbers=[{'number': '+19195550100', 'name': 'ivr'}],
                                     pools=[{'name': 'ivr', 'state': 'NC'}]),
     ["pools[0] (ivr): a pool counts every number named 'ivr', so numbers[0] may not carry that name"]),
    ('empty pool name', dict(pools=[{'name': ' ', 'state': 'NC'}]),
     ['pools[0].name must not be empty: it is the label that identifies the pool']),
    ('bad pool type', dict(pools=[{'name': 'ivr', 'type': 'mobile', 'state': 'NC'}]),
     ["pools[0] (ivr).type must be local or toll_free; got 'mobile'"]),
    ('toll-free with local criteria', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'state': 'NC', 'area_code': '919'}]),
     ['pools[0] (hot): a toll-free pool searches by pattern only; remove state, area_code']),
    ('toll-free bad pattern', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'pattern': '8#0'}]),
     ['pools[0] (hot): pattern may contain only letters']),
    ('no criterion', dict(pools=[{'name': 'ivr'}]),
     ['pools[0] (ivr): exactly one of state, zip and area_code is required; none was set']),
    ('zip and area code', dict(pools=[{'name': 'ivr', 'zip': '27601', 'area_code': '919'}]),
     ['pools[0] (ivr): exactly one of state, zip and area_code is required; got zip and area_code']),
    ('city without state', dict(pools=[{'name': 'ivr', 'city': 'RALEIGH', 'zip': '27601'}]),
     ['pools[0] (ivr): city requires state', 'pools[0] (ivr): city cannot be combined with zip']),
    ('bad state', dict(pools=[{'name': 'ivr', 'state': 'XX'}]), ['pools[0] (ivr): state must be the two-letter code']),
    ('local number alone', dict(pools=[{'name': 'ivr', 'state': 'NC', 'local_number': '555'}]),
     ['pools[0] (ivr): local_number requires area_code']),
    ('calling area alone', dict(pools=[{'name': 'ivr', 'area_code': '919', 'in_local_calling_area': True}]),
     ['pools[0] (ivr): in_local_calling_area can only be used with local_number']),
    ('quantity 0', dict(pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 0}]),
     ['pools[0] (ivr): quantity must be between 1 and 5000; got 0']),
    ('quantity 5001', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'quantity': 5001}]),
     ['pools[0] (hot): quantity must be between 1 and 5000; got 5001']),
    ('bad pool fallback', dict(pools=[{'name': 'ivr', 'state': 'NC', 'fallback_number': '12'}]),
     ['pools[0] (ivr).fallback_number %s' % E164]),
    ('prune_limit -1', dict(prune=True, prune_limit=-1), ['prune_limit must be between 0 and 5000; got -1']),
    ('prune_limit 5001', dict(prune_limit=5001), ['prune_limit must be between 0 and 5000; got 5001']),
    ('empty protect', dict(prune_protect=['ok', '', None]),
     ["prune_protect[1] must be a number name or an E.164 number; got ''",
      'prune_protect[2] must be a number name or an E.164 number; got None']),
    ('bad protected number', dict(prune_protect=['+1 919']),
     ["prune_protect[0] starts with + but is not an E.164 number: '+1 919'"]),
    ('unquoted protected number', dict(prune_protect=[19195550100]),
     ['prune_protect[0] is 19195550100, an E.164 number without its +', 'which would protect nothing; quote it: - "+19195550100"']),
    ('concurrency 0', dict(concurrency=0), ['concurrency must be between 1 and 64; got 0']),
    ('concurrency 65', dict(concurrency=65), ['concurrency must be between 1 and 64; got 65']),
]


def refused_unread(client, requests_mock, options, texts):
    """Refused, real and in check mode, naming every text, with nothing planned and not one request."""
    for check_mode in (False, True):
        exc = refused(client, check_mode=check_mode, **options)
        for text in texts:
            assert text in str(exc)
        assert exc.result['changed'] is False
        assert exc.result['plan'] == []
        assert exc.result['summary'][-2 if check_mode else -1] == 'drift: not known (the account was not read)'
    assert requests_mock.request_history == []


@pytest.mark.parametrize('label, options, texts', MISTAKES, ids=[m[0] for m in MISTAKES])
def test_every_mistake_fails_before_any_request(client, catapult, requests_mock, label, options, texts):
    refused_unread(client, requests_mock, options, texts)


def test_all_mistakes_are_reported_together(client, catapult, requests_mock):
    refused_unread(client, requests_mock, dict(
        numbers=[{'number': 'x'}, {'number': '+19195550100', 'name': 'ivr'}, {'number': '+19195550100'}],
        pools=[{'name': 'ivr', 'quantity': 0}, {'name': 'ivr', 'type': 'toll_free', 'zip': '27601'}],
        prune_limit=-3, prune_protect=[''], concurrency=100), [
        'numbers[0].number', 'numbers[2].number +19195550100 repeats numbers[1]', 'repeats pools[0]',
        'so numbers[1] may not carry that name', 'none was set', 'quantity must be', 'remove zip', 'prune_limit must be',
        'prune_protect[0]', 'concurrency must be'])


def test_messages_name_the_variables_the_caller_maps(client, catapult, requests_mock):
    names = dict(numbers='catapult_phone_numbers', pools='catapult_number_pools', prune_limit='catapult_prune_limit',
                 prune_protect='catapult_prune_protect', concurrency='catapult_concurrency',
                 default_fallback_number='catapult_default_fallback_number')
    refused_unread(client, requests_mock, dict(numbers=[{'number': '1'}], pools=[{'name': 'p'}], prune_limit=-1, prune_protect=[''],
                                               concurrency=0, default_fallback_number='x', names=names), [
        'catapult_phone_numbers[0].number', 'catapult_number_pools[0] (p)', 'catapult_prune_limit must be',
        'catapult_prune_protect[0]', 'catapult_concurrency must be', 'catapult_default_fallback_number must'])


def test_a_valid_state_normalises_numbers_and_applies_defaults():
    desired = state(numbers=[{'number': '+1 (919) 555-0100', 'name': 'Main'},
                             {'number': '+19195550101', 'application_id': 'a-sms', 'fallback_number': ''}],
                    pools=[{'name': 'ivr', 'state': 'nc'}, {'name': 'hot', 'type': 'toll_free'},
                           {'name': 'own', 'area_code': '984', 'quantity': 2, 'application_id': 'a-sms', 'adopt_unlabelled': False}],
                    default_application_id='a-ivr', default_fallback_number='+1 919 555 0000',
                    prune_protect=['Emergency', ' +1 919 555 0199 '])
    assert desired.errors == []
    assert [e['number'] for e in desired.entries] == ['+19195550100', '+19195550101']
    assert desired.entries[0]['application_id'] == 'a-ivr' and desired.entries[0]['fallback_number'] == '+19195550000'
    assert desired.entries[1]['application_id'] == 'a-sms' and desired.entries[1]['fallback_number'] == ''
    assert [(p['name'], p['quantity'], p['adopt_unlabelled']) for p in desired.pools] == [
        ('ivr', 10, True), ('hot', 1, True), ('own', 2, False)]
    assert desired.pools[0]['crit']['state'] == 'NC'
    assert desired.pools[2]['labels'] == {'name': 'own', 'application_id': 'a-sms', 'fallback_number': '+19195550000'}
    assert desired.protect_names == {'Emergency'} and desired.protect_numbers == {'+19195550199'}
    assert desired.application_ids() == ['a-ivr', 'a-sms']


# -- 2. applications: one listing, before any write -----------------------------------------------

@pytest.mark.parametrize('check_mode', [False, True])
def test_an_unknown_application_fails_before_any_write_with_one_listing(client, catapult, requests_mock, check_mode):
    catapult.add('+19195550150', name='old')
    exc = refused(client, check_mode=check_mode,
                  numbers=[{'number': '+19195550100', 'application_id': 'a-nope'},
                           {'number': '+19195550101', 'application_id': 'a-ivr'},
                           {'number': '+19195550102', 'application_id': 'a-nope'}],
                  pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2, 'application_id': 'a-gone'}], prune=True)
    assert str(exc) == ('application_id a-nope, a-gone do not exist on account %s (GET /users/%s/applications lists the '
                        "account's applications); nothing was written" % (USER, USER))
    assert calls(requests_mock) == [APPS]
    assert exc.result['changed'] is False
    assert catapult.names() == {'+19195550150': 'old'}


def test_a_default_application_is_checked_once_for_entries_and_pools(client, catapult, requests_mock):
    exc = refused(client, numbers=[{'number': '+19195550100'}], pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 1}],
                  default_application_id='a-nope')
    assert str(exc).startswith('application_id a-nope does not exist on account %s' % USER)
    assert calls(requests_mock) == [APPS]


def test_an_application_only_absent_entries_name_is_not_checked(client, catapult, requests_mock):
    gone = catapult.add('+19195550100', name='old', application_id='a-old')
    result = run(client, numbers=[{'number': '+19195550100', 'state': 'absent', 'application_id': 'a-nope'}],
                 default_application_id='a-nope')
    assert calls(requests_mock) == [LIST, release(gone['id']), LIST]
    assert result['released'] == ['+19195550100']


def test_no_application_named_means_no_listing(client, catapult, requests_mock):
    run(client, numbers=[{'number': '+19195550100'}])
    assert calls(requests_mock)[0] == LIST


def test_the_applications_listing_follows_every_page(client, catapult, requests_mock):
    catapult.set_applications(['a-%04d' % i for i in range(1500)])
    run(client, numbers=[{'number': '+19195550100', 'application_id': 'a-1499'}])
    assert calls(requests_mock)[:3] == [APPS, ('GET', '/users/%s/applications?page=1&size=1000' % USER), LIST]


# -- 3. the plan: allocate, update, release, adopt, order ---------------------------------------------

def test_a_cold_run_allocates_orders_labels_and_reads_the_account_again(client, catapult, requests_mock):
    result = run(client, numbers=[{'number': '+19195550100', 'name': 'Main', 'application_id': 'a-ivr'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2, 'application_id': 'a-ivr'}])
    dummy, first, second = [n['id'] for n in catapult.numbers()]
    assert calls(requests_mock) == [APPS, LIST, ALLOCATE, order(2, areaCode='984'), update(first), update(second),
                                    listed('ivr'), LIST]
    assert requests_mock.request_history[2].json() == {'number': '+19195550100', 'name': 'Main', 'applicationId': 'a-ivr'}
    assert requests_mock.request_history[4].json() == {'name': 'ivr', 'applicationId': 'a-ivr'}
    assert catapult.names() == {'+19195550100': 'Main', '+19842190000': 'ivr', '+19842190001': 'ivr'}
    assert result['changed'] is True
    assert result['allocated'] == ['+19195550100']
    assert result['unmanaged'] == []
    assert result['plan'] == [{'action': 'allocate', 'number': '+19195550100'},
                              {'action': 'order', 'pool': 'ivr', 'quantity': 2}]
    assert result['pools'] == [{'name': 'ivr', 'type': 'local', 'quantity': 2, 'size': 2, 'shortfall': 2, 'surplus': 0,
                                'ordered': ['+19842190000', '+19842190001'], 'adopted': [], 'released': [],
                                'numbers': ['+19842190000', '+19842190001'], 'changed': True}]
    assert result['summary'] == ['numbers: 1 allocated, 0 updated, 0 released, 0 unchanged, 0 failed',
                                 'pool ivr: 2 of 2, 2 ordered', 'drift: none']


def test_entries_update_only_what_differs_and_release_what_is_absent(client, catapult, requests_mock):
    same = catapult.add('+19195550100', name='Main', application_id='a-ivr')
    renamed = catapult.add('+19195550101', name='Old name', application_id='a-ivr')
    gone = catapult.add('+19195550102', name='Fax')
    result = run(client, numbers=[{'number': '+19195550100', 'name': 'Main'},
                                  {'number': '+19195550101', 'name': 'New name', 'application_id': 'a-ivr'},
                                  {'number': '+19195550102', 'state': 'absent'},
                                  {'number': '+19195550103', 'state': 'absent'}])
    assert calls(requests_mock) == [APPS, LIST, update(renamed['id']), release(gone['id']), LIST]
    assert requests_mock.request_history[2].json() == {'name': 'New name'}
    assert (result['allocated'], result['updated'], result['released'], result['unchanged']) == (
        [], ['+19195550101'], ['+19195550102'], ['+19195550100', '+19195550103'])
    assert result['plan'] == [{'action': 'update', 'number': '+19195550101', 'fields': ['name']},
                              {'action': 'release', 'number': '+19195550102'}]
    assert result['summary'][0] == 'numbers: 0 allocated, 1 updated, 1 released, 2 unchanged, 0 failed'
    assert same['id'] not in str(writes(requests_mock))


def test_a_pool_adopts_matching_unlabelled_numbers_before_ordering(client, catapult, requests_mock):
    stray = catapult.add('+19842190040')
    other = catapult.add('+12122260000')          # unlabelled, but not of the pool's area code
    labelled = catapult.add('+19842190041', application_id='a-sms')   # not unlabelled: it has an application
    result = run(client, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2}])
    new = catapult.by_number('+19842190000')
    assert calls(requests_mock) == [LIST, update(stray['id']), order(1, areaCode='984'), update(new['id']),
                                    listed('ivr'), LIST]
    assert result['pools'][0]['adopted'] == ['+19842190040']
    assert result['pools'][0]['ordered'] == ['+19842190000']
    assert result['plan'] == [{'action': 'adopt', 'number': '+19842190040', 'pool': 'ivr'},
                              {'action': 'order', 'pool': 'ivr', 'quantity': 1}]
    assert result['unmanaged'] == [other['number'], labelled['number']]
    assert 'pool ivr: 2 of 2, 1 ordered, 1 adopted' in result['summary']


def test_a_pool_never_adopts_a_number_an_entry_claims(client, catapult, requests_mock):
    claimed = catapult.add('+19842190040')
    absent = catapult.add('+19842190041')
    result = run(client, numbers=[{'number': '+19842190040'}, {'number': '+19842190041', 'state': 'absent'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])
    new = catapult.by_number('+19842190000')
    assert calls(requests_mock) == [LIST, release(absent['id']), order(1, areaCode='984'), update(new['id']),
                                    listed('ivr'), LIST]
    assert result['pools'][0]['adopted'] == []
    assert catapult.names() == {claimed['number']: None, new['number']: 'ivr'}


def test_a_pool_never_adopts_a_number_another_pool_took(client, catapult, requests_mock):
    stray = catapult.add('+19842190040')
    result = run(client, pools=[{'name': 'first', 'area_code': '984', 'quantity': 1},
                                {'name': 'second', 'state': 'NC', 'quantity': 1}])
    new = catapult.by_number('+19195550100')
    assert calls(requests_mock) == [LIST, update(stray['id']), listed('first'), order(1, state='NC'), update(new['id']),
                                    listed('second'), LIST]
    assert [(p['adopted'], p['ordered']) for p in result['pools']] == [(['+19842190040'], []), ([], ['+19195550100'])]


def test_a_pool_claims_numbers_carrying_its_name_unless_an_entry_claims_them(client, catapult, requests_mock):
    member = catapult.add('+19842190001', name='ivr', application_id='a-sms')
    entry = catapult.add('+19842190002', name='ivr')
    result = run(client, numbers=[{'number': '+19842190002'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}])
    assert calls(requests_mock) == [APPS, LIST, update(member['id']), listed('ivr'), LIST]
    assert requests_mock.request_history[2].json() == {'applicationId': 'a-ivr'}
    assert result['plan'] == [{'action': 'update', 'number': '+19842190001', 'pool': 'ivr', 'fields': ['applicationId']}]
    # the entry's number carries the name but is the entry's: not counted in the pool, not drift
    assert result['pools'][0]['numbers'] == ['+19842190001']
    assert result['pools'][0]['size'] == 1
    assert result['unmanaged'] == []
    assert entry['number'] in result['unchanged']


def test_a_number_an_entry_claims_is_no_surplus_after_the_pool_wrote(client, catapult, requests_mock):
    catapult.add('+19842190001', name='ivr', application_id='a-sms')
    catapult.add('+19842190002', name='ivr')
    account = AccountRun(client, state(numbers=[{'number': '+19842190002'}],
                                       pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}]))
    account.run()
    assert account.warnings == []


def test_adopt_unlabelled_false_orders_instead(client, catapult, requests_mock):
    stray = catapult.add('+19842190040')
    result = run(client, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'adopt_unlabelled': False}])
    new = catapult.by_number('+19842190000')
    assert calls(requests_mock) == [LIST, order(1, areaCode='984'), update(new['id']), listed('ivr'), LIST]
    assert result['unmanaged'] == [stray['number']]


def test_a_failed_entry_is_named_and_the_rest_still_runs(client, catapult, requests_mock):
    result_exc = refused(client, numbers=[{'number': '+19195559999'}, {'number': '+19195550100'}])
    assert calls(requests_mock) == [LIST, ALLOCATE, ALLOCATE, LIST]
    assert str(result_exc).startswith('+19195559999: ')
    assert 'number-not-found' in str(result_exc)
    assert result_exc.result['failed_numbers'] == ['+19195559999']
    assert result_exc.result['allocated'] == ['+19195550100']
    assert 'numbers: 1 allocated, 0 updated, 0 released, 0 unchanged, 1 failed' in result_exc.result['summary']


def test_concurrency_reaches_every_entry(client, catapult, requests_mock):
    numbers = ['+1919555%04d' % i for i in range(100, 140)]
    result = run(client, numbers=[{'number': n, 'name': 'n'} for n in numbers], concurrency=8)
    assert sorted(result['allocated']) == numbers
    assert calls(requests_mock) == [LIST] + [ALLOCATE] * 40 + [LIST]


# -- 4. check mode: previews never collide -----------------------------------------------------------

def test_check_mode_previews_never_collide_and_the_real_run_orders_them(client, catapult, requests_mock):
    desired = dict(numbers=[{'number': '+19195550101', 'name': 'Main'}],
                   pools=[{'name': 'a', 'state': 'NC', 'quantity': 3}, {'name': 'b', 'area_code': '919', 'quantity': 2}])
    preview = run(client, check_mode=True, **desired)
    assert calls(requests_mock) == [LIST, search(4, state='NC'), search(6, areaCode='919')]
    assert catapult.numbers() == []
    previews = [p['ordered'] for p in preview['pools']]
    assert previews == [['+19195550100', '+19195550102', '+19195550103'], ['+19195550104', '+19195550105']]
    assert preview['plan'] == [{'action': 'allocate', 'number': '+19195550101'},
                               {'action': 'order', 'pool': 'a', 'quantity': 3, 'numbers': previews[0]},
                               {'action': 'order', 'pool': 'b', 'quantity': 2, 'numbers': previews[1]}]
    assert preview['changed'] is True and preview['check_mode'] is True
    assert preview['summary'] == ['numbers: 1 allocated, 0 updated, 0 released, 0 unchanged, 0 failed',
                                  'pool a: 3 of 3, 3 would be ordered', 'pool b: 2 of 2, 2 would be ordered',
                                  'drift: none', 'check mode: nothing was written']
    requests_mock.reset_mock()
    real = run(client, **desired)
    assert [p['ordered'] for p in real['pools']] == previews
    assert catapult.names() == {'+19195550101': 'Main', '+19195550100': 'a', '+19195550102': 'a', '+19195550103': 'a',
                                '+19195550104': 'b', '+19195550105': 'b'}


def test_check_mode_previews_skip_adopted_and_member_numbers(client, catapult, requests_mock):
    catapult.add('+19195550100', name='a')
    stray = catapult.add('+19195550101')
    result = run(client, check_mode=True, pools=[{'name': 'a', 'state': 'NC', 'quantity': 3},
                                                 {'name': 'b', 'area_code': '919', 'quantity': 1}])
    assert calls(requests_mock) == [LIST, search(1, state='NC'), search(2, areaCode='919')]
    assert [(p['adopted'], p['ordered'], p['numbers']) for p in result['pools']] == [
        ([stray['number']], ['+19195550102'], ['+19195550100', '+19195550101', '+19195550102']),
        ([], ['+19195550103'], ['+19195550103'])]
    assert writes(requests_mock) == []


def test_check_mode_reports_a_search_that_finds_too_few(client, catapult, requests_mock):
    catapult.keep_stock(*['+1800826%04d' % i for i in range(20)])
    exc = refused(client, check_mode=True, pools=[{'name': 'hot', 'type': 'toll_free', 'quantity': 25}])
    assert calls(requests_mock) == [LIST, search(25, kind='tollFree')]
    assert 'found only 20 available' in str(exc)
    assert str(exc).count('found only') == 1


def test_check_mode_diff_covers_the_whole_plan(client, catapult, requests_mock):
    catapult.add('+19195550150', name='old')
    result = run(client, check_mode=True, diff=True, prune=True,
                 numbers=[{'number': '+19195550100', 'name': 'Main'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])
    assert result['diff'] == {
        'before': {'phone_numbers': [
            {'number': '+19195550100', 'state': 'absent'},
            {'number': '+19195550150', 'state': 'present', 'name': 'old', 'application_id': '', 'fallback_number': ''},
            {'number': '+19842190000', 'state': 'absent'}]},
        'after': {'phone_numbers': [
            {'number': '+19195550100', 'state': 'present', 'name': 'Main', 'application_id': '', 'fallback_number': ''},
            {'number': '+19195550150', 'state': 'absent'},
            {'number': '+19842190000', 'state': 'present', 'name': 'ivr', 'application_id': '', 'fallback_number': ''}]}}
    assert writes(requests_mock) == []


# -- 5. prune: exactly the unclaimed numbers and the surplus, under guards -----------------------------

def seed_drift(catapult):
    """Main (an entry), pool ivr with 3 members (created 5, 9, 7: the newest is 0001), two numbers nothing claims."""
    seeded = {
        'old': catapult.add('+12122260000', created=1, name='old'),
        'bare': catapult.add('+12122260001', created=2),
        'main': catapult.add('+19195550100', created=3, name='Main'),
        'ivr0': catapult.add('+19842190000', created=5, name='ivr'),
        'ivr1': catapult.add('+19842190001', created=9, name='ivr'),
        'ivr2': catapult.add('+19842190002', created=7, name='ivr'),
    }
    return seeded


DRIFT_STATE = dict(numbers=[{'number': '+19195550100', 'name': 'Main'}],
                   pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])


def test_without_prune_drift_is_reported_and_nothing_is_released(client, catapult, requests_mock):
    seed_drift(catapult)
    result = run(client, **DRIFT_STATE)
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False
    assert result['unmanaged'] == ['+12122260000', '+12122260001']
    assert result['released'] == []
    assert result['plan'] == []
    assert result['pools'][0]['surplus'] == 2 and result['pools'][0]['released'] == []
    assert result['summary'] == [
        'numbers: 0 allocated, 0 updated, 0 released, 1 unchanged, 0 failed',
        'pool ivr: 3 of 1, 2 surplus kept (prune releases it)',
        'drift: 2 numbers on the account that nothing claims (kept; prune releases them): +12122260000, +12122260001']


def test_prune_releases_exactly_the_unclaimed_numbers_and_the_newest_surplus(client, catapult, requests_mock):
    seeded = seed_drift(catapult)
    result = run(client, prune=True, **DRIFT_STATE)
    ids = dict((k, v['id']) for k, v in seeded.items())
    assert calls(requests_mock) == [LIST, release(ids['old']), release(ids['bare']), release(ids['ivr1']),
                                    release(ids['ivr2']), LIST]
    assert catapult.names() == {'+19195550100': 'Main', '+19842190000': 'ivr'}
    assert result['released'] == ['+12122260000', '+12122260001', '+19842190001', '+19842190002']
    assert result['unmanaged'] == []
    assert result['plan'] == [
        {'action': 'prune', 'number': '+12122260000', 'reason': 'claimed by no entry or pool'},
        {'action': 'prune', 'number': '+12122260001', 'reason': 'claimed by no entry or pool'},
        {'action': 'prune', 'number': '+19842190001', 'reason': 'surplus of pool ivr'},
        {'action': 'prune', 'number': '+19842190002', 'reason': 'surplus of pool ivr'}]
    assert result['pools'][0]['numbers'] == ['+19842190000']
    assert result['pools'][0]['released'] == ['+19842190001', '+19842190002']
    assert result['summary'] == [
        'numbers: 0 allocated, 0 updated, 0 released, 1 unchanged, 0 failed',
        'pool ivr: 1 of 1, 2 released (surplus)',
        'prune: 4 released: +12122260000, +12122260001, +19842190001, +19842190002']


def test_prune_in_check_mode_shows_exactly_what_would_go(client, catapult, requests_mock):
    seed_drift(catapult)
    result = run(client, check_mode=True, prune=True, **DRIFT_STATE)
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is True
    assert result['released'] == ['+12122260000', '+12122260001', '+19842190001', '+19842190002']
    assert result['unmanaged'] == []
    assert result['pools'][0]['numbers'] == ['+19842190000']
    assert result['summary'][1:] == ['pool ivr: 1 of 1, 2 would be released (surplus)',
                                     'prune: 4 would be released: +12122260000, +12122260001, +19842190001, +19842190002',
                                     'check mode: nothing was written']


@pytest.mark.parametrize('check_mode', [False, True])
def test_the_guard_refuses_before_any_write_and_says_how_to_raise_the_limit(client, catapult, requests_mock, check_mode):
    seed_drift(catapult)
    exc = refused(client, check_mode=check_mode, prune=True, prune_limit=3,
                  numbers=DRIFT_STATE['numbers'] + [{'number': '+19195550101'}], pools=DRIFT_STATE['pools'])
    assert calls(requests_mock) == [LIST]
    assert str(exc) == (
        'prune would release 4 numbers, more than prune_limit (3): +12122260000 (old), +12122260001, '
        '+19842190001 (ivr), +19842190002 (ivr). Nothing was written. Raise prune_limit to at least 4 if that is '
        'what you want, or protect numbers with prune_protect (by name or E.164 number).')
    assert exc.result['changed'] is False
    assert exc.result['released'] == []
    assert exc.result['allocated'] == []
    assert exc.result['unmanaged'] == ['+12122260000', '+12122260001']
    assert [step['action'] for step in exc.result['plan']] == ['prune'] * 4
    assert exc.result['summary'][0] == 'numbers: 0 allocated, 0 updated, 0 released, 0 unchanged, 0 failed'
    assert [line for line in exc.result['summary'] if line.startswith('prune')] == [
        'prune: refused: 4 releases exceed prune_limit (3); nothing was released']
    assert len(catapult.numbers()) == 6


def test_the_diff_of_a_refused_prune_releases_nothing(client, catapult, requests_mock):
    seed_drift(catapult)
    exc = refused(client, check_mode=True, diff=True, prune=True, prune_limit=3, **DRIFT_STATE)
    assert [view for view in exc.result['diff']['after']['phone_numbers'] if view['state'] == 'absent'] == []
    assert calls(requests_mock) == [LIST]


def test_the_guard_counts_only_prune_releases_and_allows_the_limit(client, catapult, requests_mock):
    seeded = seed_drift(catapult)
    result = run(client, prune=True, prune_limit=4,
                 numbers=DRIFT_STATE['numbers'] + [{'number': '+19842190000', 'state': 'absent'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])
    # ivr0 is the entry's (absent): the pool holds ivr1 and ivr2, one of them surplus (ivr1, the newest)
    assert calls(requests_mock) == [LIST, release(seeded['ivr0']['id']), release(seeded['old']['id']),
                                    release(seeded['bare']['id']), release(seeded['ivr1']['id']), LIST]
    assert result['released'] == ['+19842190000', '+12122260000', '+12122260001', '+19842190001']


def test_prune_limit_zero_allows_a_run_with_nothing_to_release(client, catapult, requests_mock):
    catapult.add('+19195550100', name='Main')
    result = run(client, prune=True, prune_limit=0, numbers=[{'number': '+19195550100', 'name': 'Main'}])
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False
    assert result['summary'] == ['numbers: 0 allocated, 0 updated, 0 released, 1 unchanged, 0 failed', 'drift: none']


def test_protected_numbers_are_kept_by_name_and_by_number(client, catapult, requests_mock):
    seeded = seed_drift(catapult)
    result = run(client, prune=True, prune_protect=['old', '+1 984 219 0001'], **DRIFT_STATE)
    # ivr1 (the newest) is protected: the surplus is the newest two of the others, ivr2 and ivr0
    assert calls(requests_mock) == [LIST, release(seeded['bare']['id']), release(seeded['ivr2']['id']),
                                    release(seeded['ivr0']['id']), LIST]
    assert catapult.names() == {'+12122260000': 'old', '+19195550100': 'Main', '+19842190001': 'ivr'}
    assert result['unmanaged'] == ['+12122260000']
    assert result['pools'][0]['numbers'] == ['+19842190001']


def test_a_protected_surplus_is_kept_and_said_so(client, catapult, requests_mock):
    seed_drift(catapult)
    result = run(client, prune=True, prune_protect=['ivr', 'old', '+12122260001'], **DRIFT_STATE)
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False
    assert result['pools'][0]['surplus'] == 2
    assert 'pool ivr: 3 of 1, 2 surplus kept (protected by prune_protect)' in result['summary']
    assert result['unmanaged'] == ['+12122260000', '+12122260001']


def test_a_pool_shrinks_only_with_prune(client, catapult, requests_mock):
    run(client, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 3, 'application_id': 'a-ivr'}])
    smaller = dict(pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}])
    requests_mock.reset_mock()
    kept = run(client, **smaller)
    assert calls(requests_mock) == [APPS, LIST]
    assert kept['changed'] is False and len(catapult.numbers()) == 3
    assert kept['pools'][0]['surplus'] == 2
    requests_mock.reset_mock()
    shrunk = run(client, prune=True, **smaller)
    newest = [n['id'] for n in catapult.released()[::-1]]
    assert calls(requests_mock) == [APPS, LIST] + [release(i) for i in newest] + [LIST]
    assert shrunk['pools'][0]['numbers'] == ['+19842190000']
    assert shrunk['pools'][0]['surplus'] == 0
    assert [n['number'] for n in catapult.numbers()] == ['+19842190000']


def test_prune_with_a_changed_pool_label_does_not_relabel_the_surplus(client, catapult, requests_mock):
    seeded = seed_drift(catapult)
    result = run(client, prune=True, numbers=DRIFT_STATE['numbers'],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}])
    ids = dict((k, v['id']) for k, v in seeded.items())
    assert calls(requests_mock) == [APPS, LIST, release(ids['old']), release(ids['bare']), release(ids['ivr1']),
                                    release(ids['ivr2']), update(ids['ivr0']), listed('ivr'), LIST]
    assert [step for step in result['plan'] if step['action'] == 'update'] == [
        {'action': 'update', 'number': '+19842190000', 'pool': 'ivr', 'fields': ['applicationId']}]
    assert result['pools'][0]['surplus'] == 0
    assert catapult.names() == {'+19195550100': 'Main', '+19842190000': 'ivr'}


# -- 6. a rerun with nothing to change ------------------------------------------------------------------

def test_a_rerun_with_nothing_to_change_makes_two_requests_and_no_write(client, catapult, requests_mock):
    desired = dict(numbers=[{'number': '+19195550100', 'name': 'Main', 'application_id': 'a-ivr'},
                            {'number': '+19195550101', 'state': 'absent'}],
                   pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2, 'application_id': 'a-sms'},
                          {'name': 'hot', 'type': 'toll_free'}], prune=True)
    run(client, **desired)
    for check_mode in (False, True):
        requests_mock.reset_mock()
        result = run(client, check_mode=check_mode, **desired)
        assert calls(requests_mock) == [APPS, LIST]
        assert result['changed'] is False
        assert result['plan'] == []
        assert result['summary'][:3] == ['numbers: 0 allocated, 0 updated, 0 released, 2 unchanged, 0 failed',
                                         'pool ivr: 2 of 2', 'pool hot: 1 of 1']
        assert result['summary'][3] == 'drift: none'


def test_a_rerun_without_applications_makes_one_request(client, catapult, requests_mock):
    desired = dict(numbers=[{'number': '+19195550100', 'name': 'Main'}], pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2}])
    run(client, **desired)
    requests_mock.reset_mock()
    result = run(client, **desired)
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False


def test_a_rerun_of_a_large_account_reads_one_page_per_thousand_numbers(client, catapult, requests_mock):
    entries = [{'number': '+1919600%04d' % i, 'name': 'n%d' % i, 'application_id': 'a-ivr'} for i in range(1100)]
    for entry in entries:
        catapult.add(entry['number'], name=entry['name'], application_id='a-ivr')
    for i in range(20):
        catapult.add('+1984219%04d' % i, name='ivr')
    result = run(client, numbers=entries, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 20}], concurrency=16)
    # ceil((N + P*S) / 1000) + 1 = ceil(1120 / 1000) + 1 = 3
    assert calls(requests_mock) == [APPS, LIST, page(1)]
    assert result['changed'] is False
    assert len(result['unchanged']) == 1100


# -- 7. the controller goes away ---------------------------------------------------------------------------

def test_nothing_is_sent_once_the_controller_is_gone(catapult, requests_mock, no_sleep):
    client = CatapultClient(USER, TOKEN, SECRET, API, retries=2, sleep=no_sleep.append,
                            controller_gone=lambda: 'the Ansible controller that started this task is gone')
    catapult.add('+12122260000', name='old')
    with pytest.raises(AccountError) as caught:
        AccountRun(client, state(numbers=[{'number': '+19195550100'}, {'number': '+19195550101'}],
                                 pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2}], prune=True, concurrency=4)).run()
    assert calls(requests_mock) == [LIST]
    assert 'controller that started this task is gone' in str(caught.value)
    assert caught.value.result['allocated'] == []


# -- 8. applications by name, and applications as part of the desired state --------------------------------

CALLS = 'https://ivr.example.com/calls'
SMS = 'https://sms.example.com/messages'


def app_body(requests_mock, request):
    """The JSON body of one request sent, found by (method, path)."""
    for sent, seen in zip(calls(requests_mock), requests_mock.request_history):
        if sent == request:
            return seen.json()
    raise AssertionError('%s %s was not sent' % request)


@pytest.mark.parametrize('check_mode', [False, True])
def test_names_resolve_to_ids_with_one_listing_before_any_write(client, catapult, requests_mock, check_mode):
    ivr = catapult.add_application('Support IVR')
    sales = catapult.add_application('Sales')
    old = catapult.add('+19195550101', name='Fax', application_id=ivr['id'])
    result = run(client, check_mode=check_mode,
                 numbers=[{'number': '+19195550100', 'name': 'Main'},
                          {'number': '+19195550101', 'name': 'Fax', 'application': 'Sales'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}], default_application='Support IVR')
    if check_mode:
        # the search asks for one more: the entry to allocate may be among what it finds
        assert calls(requests_mock) == [APPS, LIST, search(2, areaCode='984')]
        assert writes(requests_mock) == []
    else:
        new = catapult.by_number('+19842190000')
        assert calls(requests_mock) == [APPS, LIST, ALLOCATE, update(old['id']), order(1, areaCode='984'),
                                        update(new['id']), listed('ivr'), LIST]
        assert app_body(requests_mock, ALLOCATE) == {'number': '+19195550100', 'name': 'Main', 'applicationId': ivr['id']}
        assert app_body(requests_mock, update(old['id'])) == {'applicationId': sales['id']}
        assert app_body(requests_mock, update(new['id'])) == {'name': 'ivr', 'applicationId': ivr['id']}
        assert dict((n['number'], n['applicationId']) for n in catapult.numbers()) == {
            '+19195550100': ivr['id'], '+19195550101': sales['id'], '+19842190000': ivr['id']}
    assert [step for step in result['plan'] if step['action'] != 'order'] == [
        {'action': 'allocate', 'number': '+19195550100', 'application': 'Support IVR', 'application_id': ivr['id']},
        {'action': 'update', 'number': '+19195550101', 'fields': ['application_id'], 'application': 'Sales',
         'application_id': sales['id']}]
    assert result['applications'] == [] and result['unmanaged_applications'] == []
    assert result['summary'][0].startswith('numbers: ')


def test_an_items_own_application_wins_over_either_default(client, catapult, requests_mock):
    ivr = catapult.add_application('Support IVR')
    sales = catapult.add_application('Sales')
    run(client, numbers=[{'number': '+19195550100', 'application_id': 'a-sms'},
                         {'number': '+19195550101', 'application': 'Sales'},
                         {'number': '+19195550102'},
                         {'number': '+19195550103', 'application_id': ''}],
        pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}],
        default_application='Support IVR')
    assert dict((n['number'], n.get('applicationId')) for n in catapult.numbers()) == {
        '+19195550100': 'a-sms', '+19195550101': sales['id'], '+19195550102': ivr['id'], '+19195550103': None,
        '+19842190000': 'a-ivr'}
    assert calls(requests_mock).count(APPS) == 1
    requests_mock.reset_mock()
    run(client, numbers=[{'number': '+19195550100', 'application': 'Support IVR'}], default_application_id='a-sms')
    assert catapult.by_number('+19195550100')['applicationId'] == ivr['id']


NAME_MISTAKES = [
    ('entry by name and id', dict(numbers=[{'number': '+19195550100', 'application': 'Sales', 'application_id': 'a-sms'}]),
     "numbers[0].application and numbers[0].application_id are mutually exclusive: name the application or give its ID, "
     "not both; got 'Sales' and 'a-sms'"),
    ('pool by name and id', dict(pools=[{'name': 'ivr', 'state': 'NC', 'application': 'Sales', 'application_id': ''}]),
     'pools[0] (ivr).application and pools[0] (ivr).application_id are mutually exclusive'),
    ('defaults by name and id', dict(default_application='Sales', default_application_id='a-sms'),
     'default_application and default_application_id are mutually exclusive'),
    ('empty name', dict(numbers=[{'number': '+19195550100', 'application': ' '}]),
     "numbers[0].application must be the name of an application; got ' ' (to remove the association, set "
     'numbers[0].application_id to "")'),
    ('pointing at an application the state deletes',
     dict(applications=[{'name': 'Old', 'state': 'absent'}], numbers=[{'number': '+19195550100', 'application': 'Old'}],
          pools=[{'name': 'ivr', 'state': 'NC', 'application': 'Old'}]),
     "numbers[0].application, pools[0] (ivr).application names application 'Old', which applications[0] deletes "
     '(state absent)'),
    ('application without a name', dict(applications=[{'incoming_call_url': CALLS}]),
     'applications[0].name is required and must not be empty'),
    ('application listed twice', dict(applications=[{'name': 'IVR', 'incoming_call_url': CALLS},
                                                    {'name': 'IVR', 'incomingMessageUrl': SMS}]),
     "applications[1].name 'IVR' repeats applications[0]; list each application once"),
    ('application without an incoming URL', dict(applications=[{'name': 'IVR', 'auto_answer': False}]),
     'applications[0].incoming_call_url or applications[0].incoming_message_url is required'),
    ('application with a bad URL', dict(applications=[{'name': 'IVR', 'incoming_call_url': 'ftp://x'}]),
     'applications[0].incoming_call_url must be an absolute http or https URL'),
    ('application timeout out of range', dict(applications=[{'name': 'IVR', 'incomingCallUrl': CALLS,
                                                             'incomingCallUrlCallbackTimeout': 20000}]),
     'applications[0].incoming_call_url_callback_timeout must be a whole number of milliseconds from 1 to 10000'),
    ('application method', dict(applications=[{'name': 'IVR', 'incoming_call_url': CALLS, 'callback_http_method': 'put'}]),
     "applications[0].callback_http_method must be one of get, post; got 'put'"),
    ('application state', dict(applications=[{'name': 'IVR', 'incoming_call_url': CALLS, 'state': 'gone'}]),
     "applications[0].state must be present or absent; got 'gone'"),
    ('application option unknown', dict(applications=[{'name': 'IVR', 'incoming_call_url': CALLS, 'id': 'a-1'}]),
     'applications[0] has unknown option id; an application takes name, incoming_call_url'),
]


@pytest.mark.parametrize('label, options, text', NAME_MISTAKES, ids=[m[0] for m in NAME_MISTAKES])
def test_application_mistakes_fail_before_any_request(client, catapult, requests_mock, label, options, text):
    refused_unread(client, requests_mock, options, [text])


def test_the_application_options_take_the_api_names_too():
    desired = state(applications=[{'name': 'IVR', 'incomingCallUrl': CALLS, 'incomingCallUrlCallbackTimeout': '3000',
                                   'callbackHttpMethod': 'GET', 'autoAnswer': False}])
    assert desired.errors == []
    assert desired.applications == [{'name': 'IVR', 'incoming_call_url': CALLS, 'incoming_call_url_callback_timeout': 3000,
                                     'callback_http_method': 'get', 'auto_answer': False, 'state': 'present'}]


@pytest.mark.parametrize('check_mode', [False, True])
def test_an_unknown_name_fails_before_anything_is_bought(client, catapult, requests_mock, check_mode):
    catapult.add_application('Support IVR')
    exc = refused(client, check_mode=check_mode, prune=True,
                  numbers=[{'number': '+19195550100', 'application': 'Support ivr'}],
                  pools=[{'name': 'ivr', 'state': 'NC', 'application': 'Nope'}, {'name': 'b', 'state': 'NC'}],
                  default_application='Nope')
    assert str(exc) == (
        "application 'Support ivr' (numbers[0].application) does not exist on account %s (GET /users/%s/applications "
        "lists the account's applications); list it in applications to create it, or fix the name (names match "
        "exactly); application 'Nope' (pools[0] (ivr).application, default_application) does not exist on account %s "
        "(GET /users/%s/applications lists the account's applications); list it in applications to create it, or fix "
        'the name (names match exactly); nothing was written' % (USER, USER, USER, USER))
    assert calls(requests_mock) == [APPS]
    assert exc.result['changed'] is False
    assert catapult.numbers() == []


def test_a_name_on_several_applications_fails_listing_their_ids(client, catapult, requests_mock):
    first = catapult.add_application('Sales')
    second = catapult.add_application('Sales')
    exc = refused(client, numbers=[{'number': '+19195550100', 'application': 'Sales'}])
    assert str(exc) == ("numbers[0].application: application name 'Sales' matches 2 applications on account %s (%s, %s), "
                        'so it does not say which one is meant; use application_id to choose one, or rename or delete '
                        'the others; nothing was written' % (USER, first['id'], second['id']))
    assert calls(requests_mock) == [APPS]
    exc = refused(client, applications=[{'name': 'Sales', 'incoming_call_url': CALLS}])
    assert str(exc).startswith("applications[0]: application name 'Sales' matches 2 applications")
    assert writes(requests_mock) == []


def test_ids_names_and_listed_applications_share_one_listing(client, catapult, requests_mock):
    ivr = catapult.add_application('Support IVR', incomingCallUrl=CALLS)
    catapult.add('+19195550100', application_id='a-sms')
    result = run(client, applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS}],
                 numbers=[{'number': '+19195550100', 'application_id': 'a-sms'},
                          {'number': '+19195550101', 'application': 'Support IVR'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}])
    assert calls(requests_mock)[:2] == [APPS, LIST]
    assert calls(requests_mock).count(APPS) == 1
    assert result['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'none'}]


def test_applications_are_created_first_then_the_numbers_point_at_them(client, catapult, requests_mock):
    result = run(client, applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS, 'auto_answer': False},
                                       {'name': 'Sales', 'incomingMessageUrl': SMS}],
                 numbers=[{'number': '+19195550100', 'name': 'Main', 'application': 'Sales'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application': 'Support IVR'}])
    ivr, sales = catapult.applications_named('Support IVR')[0], catapult.applications_named('Sales')[0]
    new = catapult.by_number('+19842190000')
    assert calls(requests_mock) == [APPS, LIST, CREATE_APP, app_call(ivr['id']), CREATE_APP, app_call(sales['id']),
                                    ALLOCATE, order(1, areaCode='984'), update(new['id']), listed('ivr'), LIST]
    assert requests_mock.request_history[2].json() == {'name': 'Support IVR', 'incomingCallUrl': CALLS, 'autoAnswer': False}
    assert requests_mock.request_history[4].json() == {'name': 'Sales', 'incomingMessageUrl': SMS}
    assert app_body(requests_mock, ALLOCATE) == {'number': '+19195550100', 'name': 'Main', 'applicationId': sales['id']}
    assert app_body(requests_mock, update(new['id'])) == {'name': 'ivr', 'applicationId': ivr['id']}
    assert result['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'create'},
                                      {'name': 'Sales', 'id': sales['id'], 'action': 'create'}]
    assert result['plan'][:2] == [{'action': 'create_application', 'application': 'Support IVR'},
                                  {'action': 'create_application', 'application': 'Sales'}]
    assert result['plan'][2] == {'action': 'allocate', 'number': '+19195550100', 'application': 'Sales',
                                 'application_id': sales['id']}
    assert result['plan'][3] == {'action': 'order', 'pool': 'ivr', 'quantity': 1, 'application': 'Support IVR',
                                 'application_id': ivr['id']}
    assert result['summary'][0] == 'applications: 2 created, 0 updated, 0 deleted, 0 unchanged'
    assert result['changed'] is True


def test_an_application_is_updated_only_where_it_differs(client, catapult, requests_mock):
    ivr = catapult.add_application('Support IVR', incomingCallUrl=CALLS, callbackHttpMethod='post')
    same = catapult.add_application('Sales', incomingMessageUrl=SMS)
    result = run(client, applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS, 'callback_http_method': 'get',
                                        'incoming_call_url_callback_timeout': 10000},
                                       {'name': 'Sales', 'incoming_message_url': SMS, 'auto_answer': True}])
    assert calls(requests_mock) == [APPS, LIST, app_call(ivr['id'], 'POST')]
    assert requests_mock.request_history[2].json() == {'callbackHttpMethod': 'get'}
    assert result['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'update'},
                                      {'name': 'Sales', 'id': same['id'], 'action': 'none'}]
    assert result['plan'] == [{'action': 'update_application', 'application': 'Support IVR', 'id': ivr['id'],
                               'fields': ['callback_http_method']}]
    assert result['summary'][0] == 'applications: 0 created, 1 updated, 0 deleted, 1 unchanged'
    assert catapult.apps()[ivr['id']]['callbackHttpMethod'] == 'get'


APP_STATE = dict(applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS}, {'name': 'Sales', 'incoming_message_url': SMS}],
                 numbers=[{'number': '+19195550100', 'name': 'Main', 'application': 'Support IVR'},
                          {'number': '+19195550101', 'name': 'Sales line', 'application': 'Sales'}],
                 pools=[{'name': 'sales', 'area_code': '984', 'quantity': 2, 'application': 'Sales'}])


def test_check_mode_predicts_the_id_of_an_application_it_would_create(client, catapult, requests_mock):
    ivr = catapult.add_application('Support IVR', incomingCallUrl=CALLS)
    moved = catapult.add('+19195550101', name='Sales line', application_id=ivr['id'])
    member = catapult.add('+19842190005', name='sales', application_id=ivr['id'])
    result = run(client, check_mode=True, diff=True, **APP_STATE)
    assert calls(requests_mock) == [APPS, LIST, search(2, areaCode='984')]
    coming = predicted_id('Sales')
    assert coming == '(id of the application Sales, created by this task)'
    assert result['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'none'},
                                      {'name': 'Sales', 'id': None, 'action': 'create'}]
    assert result['plan'] == [
        {'action': 'create_application', 'application': 'Sales'},
        {'action': 'allocate', 'number': '+19195550100', 'application': 'Support IVR', 'application_id': ivr['id']},
        {'action': 'update', 'number': moved['number'], 'fields': ['application_id'], 'application': 'Sales',
         'application_id': coming},
        {'action': 'order', 'pool': 'sales', 'quantity': 1, 'numbers': ['+19842190000'], 'application': 'Sales',
         'application_id': coming},
        {'action': 'update', 'number': member['number'], 'pool': 'sales', 'fields': ['applicationId'],
         'application': 'Sales', 'application_id': coming}]
    after = dict((view['number'], view) for view in result['diff']['after']['phone_numbers'])
    assert after[moved['number']]['application_id'] == coming
    assert after['+19842190000']['application_id'] == coming
    assert [view['state'] for view in result['diff']['before']['applications']] == ['present', 'absent']
    assert result['diff']['after']['applications'][1]['incoming_message_url'] == SMS
    assert result['summary'][0] == 'applications: 1 created, 0 updated, 0 deleted, 1 unchanged'
    assert result['summary'][-1] == 'check mode: nothing was written'
    assert len(catapult.apps()) == 3 and catapult.applications_named('Sales') == []
    # the real run does what check mode said, with the ID the application gets
    requests_mock.reset_mock()
    real = run(client, **APP_STATE)
    sales = catapult.applications_named('Sales')[0]
    assert [(s['action'], s.get('application_id')) for s in real['plan']] == [
        ('create_application', None), ('allocate', ivr['id']), ('update', sales['id']), ('order', sales['id']),
        ('update', sales['id'])]
    assert [n.get('applicationId') for n in catapult.numbers()] == [sales['id'], sales['id'], ivr['id'], sales['id']]
    # an identical rerun, real and in check mode: two requests, no write
    for check_mode in (False, True):
        requests_mock.reset_mock()
        again = run(client, check_mode=check_mode, **APP_STATE)
        assert calls(requests_mock) == [APPS, LIST]
        assert again['changed'] is False and again['plan'] == []
        assert again['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'none'},
                                         {'name': 'Sales', 'id': sales['id'], 'action': 'none'}]


def test_a_failed_application_write_stops_the_run_before_any_number(client, catapult, requests_mock):
    catapult.fault('status', '/applications$', 'POST', status=400, code='invalid-application',
                   message='The incoming call URL is not reachable')
    exc = refused(client, **APP_STATE)
    assert calls(requests_mock) == [APPS, LIST, CREATE_APP]
    assert str(exc).startswith('applications[0] (Support IVR): Catapult API error: POST /users/%s/applications returned '
                               'HTTP 400' % USER)
    assert str(exc).endswith('nothing else was written (no number or pool was touched)')
    assert exc.result['applications'][0]['failed'] is True
    assert catapult.numbers() == []


def slow_create(catapult):
    """The create times out; the server applies it only by the listing after the next one (still working on it)."""
    held = []

    def matcher(request):
        create = request.method == 'POST' and request.path.endswith('/applications')
        if create and not held:
            held.append(request)
            raise requests.exceptions.ReadTimeout('read timed out')
        if request.method == 'GET' and request.path.endswith('/applications') and held:
            held.append(request)
            if len(held) == 3:
                catapult.answer(held[0])
        return None

    return matcher


@pytest.mark.parametrize('fault', ['status_after', 'timeout'])
def test_a_lost_create_answer_is_read_back_by_name_never_created_twice(client, catapult, requests_mock, fault):
    if fault == 'status_after':
        catapult.fault('status_after', '/applications$', 'POST', status=502)
    else:
        intercept(requests_mock, slow_create(catapult))
    result = run(client, applications=[{'name': 'Sales', 'incoming_message_url': SMS}],
                 numbers=[{'number': '+19195550100', 'application': 'Sales'}])
    sales = catapult.applications_named('Sales')
    assert len(sales) == 1
    # after a timeout the listing is read again until the application shows (the server was still working on it)
    lists = [APPS] if fault == 'status_after' else [APPS, APPS]
    assert calls(requests_mock) == [APPS, LIST, CREATE_APP] + lists + [ALLOCATE, LIST]
    assert calls(requests_mock).count(CREATE_APP) == 1
    assert catapult.by_number('+19195550100')['applicationId'] == sales[0]['id']
    assert result['applications'] == [{'name': 'Sales', 'id': sales[0]['id'], 'action': 'create'}]


# -- 9. prune deletes the applications the state does not list, when no number points at them ---------------

def seed_applications(catapult):
    """Support IVR (listed), Old (unlisted, unused), Legacy (unlisted, a number nothing claims points at it),
    Kept (unlisted, an entry moves its number away), Busy (unlisted, a number an entry keeps points at it)."""
    catapult.set_applications([])
    apps = dict((name, catapult.add_application(name)) for name in ('Support IVR', 'Old', 'Legacy', 'Kept', 'Busy'))
    catapult.add('+12122260000', name='stray', application_id=apps['Legacy']['id'])
    catapult.add('+19195550100', name='Main', application_id=apps['Kept']['id'])
    catapult.add('+19195550101', name='Busy line', application_id=apps['Busy']['id'])
    return apps


PRUNE_APPS = dict(applications=[{'name': 'Support IVR', 'incoming_call_url': 'https://a-001.example.com/calls'}],
                  numbers=[{'number': '+19195550100', 'name': 'Main', 'application': 'Support IVR'},
                           {'number': '+19195550101', 'name': 'Busy line'}])


def test_prune_deletes_unlisted_applications_no_number_points_at_after_the_plan(client, catapult, requests_mock):
    apps = seed_applications(catapult)
    ids = dict((name, app['id']) for name, app in apps.items())
    stray, main = catapult.by_number('+12122260000'), catapult.by_number('+19195550100')
    result = run(client, prune=True, **PRUNE_APPS)
    # the numbers first (the entry moves Main off Kept, prune releases the stray off Legacy), the account read again,
    # then the applications that nothing points at any more; Busy stays (a number the state keeps points at it)
    assert calls(requests_mock) == [APPS, LIST, update(main['id']), release(stray['id']), LIST, app_call(ids['Old'], 'DELETE'),
                                    app_call(ids['Legacy'], 'DELETE'), app_call(ids['Kept'], 'DELETE')]
    assert sorted(app['name'] for app in catapult.apps().values()) == ['Busy', 'Support IVR']
    assert result['applications'] == [{'name': 'Support IVR', 'id': ids['Support IVR'], 'action': 'none'},
                                      {'name': 'Old', 'id': ids['Old'], 'action': 'prune'},
                                      {'name': 'Legacy', 'id': ids['Legacy'], 'action': 'prune'},
                                      {'name': 'Kept', 'id': ids['Kept'], 'action': 'prune'}]
    assert result['unmanaged_applications'] == [{'name': 'Busy', 'id': ids['Busy']}]
    reason = 'not in applications; no number points at it after the plan'
    assert [s for s in result['plan'] if s['action'] == 'prune_application'] == [
        {'action': 'prune_application', 'application': name, 'id': ids[name], 'reason': reason}
        for name in ('Old', 'Legacy', 'Kept')]
    assert result['summary'] == [
        'applications: 0 created, 0 updated, 0 deleted, 1 unchanged',
        'numbers: 0 allocated, 1 updated, 0 released, 1 unchanged, 0 failed',
        'prune: 1 released: +12122260000',
        'prune: 3 applications deleted: Old (%s), Legacy (%s), Kept (%s)' % (ids['Old'], ids['Legacy'], ids['Kept']),
        'applications drift: 1 application on the account that applications does not list (kept: numbers point at them '
        'or prune_protect protects them): Busy (%s)' % ids['Busy']]
    requests_mock.reset_mock()
    again = run(client, prune=True, **PRUNE_APPS)
    assert calls(requests_mock) == [APPS, LIST]
    assert again['changed'] is False


def test_prune_of_applications_in_check_mode_shows_exactly_what_would_go(client, catapult, requests_mock):
    apps = seed_applications(catapult)
    result = run(client, check_mode=True, diff=True, prune=True, **PRUNE_APPS)
    assert calls(requests_mock) == [APPS, LIST]
    assert [a['name'] for a in result['applications'] if a['action'] == 'prune'] == ['Old', 'Legacy', 'Kept']
    assert [a['name'] for a in result['diff']['after']['applications'] if a['state'] == 'absent'] == ['Old', 'Legacy', 'Kept']
    assert result['summary'][3] == 'prune: 3 applications would be deleted: Old (%s), Legacy (%s), Kept (%s)' % (
        apps['Old']['id'], apps['Legacy']['id'], apps['Kept']['id'])
    assert len(catapult.apps()) == 5


@pytest.mark.parametrize('check_mode', [False, True])
def test_the_guard_counts_application_deletions_and_lists_them(client, catapult, requests_mock, check_mode):
    apps = seed_applications(catapult)
    exc = refused(client, check_mode=check_mode, prune=True, prune_limit=3, **PRUNE_APPS)
    assert calls(requests_mock) == [APPS, LIST]
    assert str(exc) == (
        'prune would release 1 numbers and delete 3 applications, more than prune_limit (3): +12122260000 (stray), '
        'application %s (Old), application %s (Legacy), application %s (Kept). Nothing was written. Raise prune_limit '
        'to at least 4 if that is what you want, or protect numbers and applications with prune_protect (numbers by '
        'name or E.164 number, applications by name).' % (apps['Old']['id'], apps['Legacy']['id'], apps['Kept']['id']))
    assert [step['action'] for step in exc.result['plan']] == ['prune'] + ['prune_application'] * 3
    assert 'prune: refused: 1 releases and 3 application deletions exceed prune_limit (3); nothing was released or ' \
        'deleted' in exc.result['summary']
    assert exc.result['changed'] is False
    assert len(catapult.apps()) == 5 and len(catapult.numbers()) == 3


def test_prune_protect_keeps_applications_by_name(client, catapult, requests_mock):
    apps = seed_applications(catapult)
    result = run(client, prune=True, prune_protect=['Old', 'stray'], **PRUNE_APPS)
    main = catapult.by_number('+19195550100')
    assert calls(requests_mock) == [APPS, LIST, update(main['id']), LIST, app_call(apps['Kept']['id'], 'DELETE')]
    assert sorted(a['name'] for a in catapult.apps().values()) == ['Busy', 'Legacy', 'Old', 'Support IVR']
    assert [a['name'] for a in result['unmanaged_applications']] == ['Old', 'Legacy', 'Busy']


@pytest.mark.parametrize('applications', [None, []])
def test_a_state_without_applications_never_deletes_applications(client, catapult, requests_mock, applications):
    seed_applications(catapult)
    options = {'applications': applications,
               'numbers': [{'number': '+19195550100', 'name': 'Main', 'application_id': 'a-001'},
                           {'number': '+19195550101', 'name': 'Busy line'}]}
    for check_mode in (True, False):
        result = run(client, check_mode=check_mode, prune=True, **options)
        assert [s['action'] for s in result['plan'] if 'application' in s['action']] == []
        assert result['applications'] == [] and result['unmanaged_applications'] == []
    assert [c for c in calls(requests_mock) if '/applications/' in c[1]] == []
    assert len(catapult.apps()) == 5


def test_an_absent_application_is_deleted_after_the_numbers_left_it(client, catapult, requests_mock):
    old = catapult.add_application('Old IVR')
    ivr = catapult.add_application('Support IVR', incomingCallUrl=CALLS)
    main = catapult.add('+19195550100', name='Main', application_id=old['id'])
    desired = dict(applications=[{'name': 'Old IVR', 'state': 'absent'}, {'name': 'Support IVR', 'incoming_call_url': CALLS}],
                   numbers=[{'number': '+19195550100', 'name': 'Main', 'application': 'Support IVR'}])
    result = run(client, **desired)
    assert calls(requests_mock) == [APPS, LIST, update(main['id']), LIST, app_call(old['id'], 'DELETE')]
    assert result['applications'] == [{'name': 'Old IVR', 'id': old['id'], 'action': 'delete'},
                                      {'name': 'Support IVR', 'id': ivr['id'], 'action': 'none'}]
    assert result['plan'][-1] == {'action': 'delete_application', 'application': 'Old IVR', 'id': old['id']}
    assert result['summary'][0] == 'applications: 0 created, 0 updated, 1 deleted, 1 unchanged'
    requests_mock.reset_mock()
    again = run(client, **desired)
    assert calls(requests_mock) == [APPS, LIST] and again['changed'] is False


@pytest.mark.parametrize('check_mode', [False, True])
def test_an_absent_application_still_in_use_is_refused_before_any_write(client, catapult, requests_mock, check_mode):
    old = catapult.add_application('Old IVR')
    catapult.add('+19195550100', name='Main', application_id=old['id'])
    catapult.add('+19195550101', name='Fax', application_id=old['id'])
    exc = refused(client, check_mode=check_mode, applications=[{'name': 'Old IVR', 'state': 'absent'}],
                  numbers=[{'number': '+19195550101', 'state': 'absent'}, {'number': '+19195550102', 'name': 'New'}])
    assert str(exc) == ("applications[0] (Old IVR) is state absent, but after this plan 1 number still point at application "
                        '%s (Old IVR): +19195550100; point it at another application first (numbers or pools), or keep '
                        'the application; nothing was written' % old['id'])
    assert calls(requests_mock) == [APPS, LIST]


def test_an_application_a_number_points_at_after_a_failed_move_is_not_deleted(client, catapult, requests_mock):
    apps = seed_applications(catapult)
    main = catapult.by_number('+19195550100')
    catapult.fault('status', '/phoneNumbers/' + main['id'], 'POST', status=400, code='invalid-number', message='no')
    exc = refused(client, prune=True, **PRUNE_APPS)
    stray = catapult.released()[0]
    # Kept was to be deleted once Main left it; Main did not move, so Kept stays and the run says why
    assert calls(requests_mock) == [APPS, LIST, update(main['id']), release(stray['id']), LIST,
                                    app_call(apps['Old']['id'], 'DELETE'), app_call(apps['Legacy']['id'], 'DELETE')]
    assert 'application %s (Kept) was not deleted: 1 number still point at it after the run (+19195550100)' % (
        apps['Kept']['id']) in str(exc)
    assert 'Kept' in [a['name'] for a in catapult.apps().values()]


def test_a_rerun_with_applications_stays_within_the_request_ceiling(client, catapult, requests_mock):
    entries = [{'number': '+1919600%04d' % i, 'name': 'n%d' % i, 'application': 'Support IVR'} for i in range(1100)]
    desired = dict(applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS}], numbers=entries,
                   pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 20, 'application': 'Support IVR'}],
                   concurrency=16, prune=True)
    catapult.set_applications([])
    ivr = catapult.add_application('Support IVR', incomingCallUrl=CALLS)
    for entry in entries:
        catapult.add(entry['number'], name=entry['name'], application_id=ivr['id'])
    for i in range(20):
        catapult.add('+1984219%04d' % i, name='ivr', application_id=ivr['id'])
    for check_mode in (False, True):
        requests_mock.reset_mock()
        result = run(client, check_mode=check_mode, **desired)
        # ceil((N + P*S) / 1000) + 1 = ceil(1120 / 1000) + 1 = 3: the applications and two pages of numbers
        assert calls(requests_mock) == [APPS, LIST, page(1)]
        assert result['changed'] is False
