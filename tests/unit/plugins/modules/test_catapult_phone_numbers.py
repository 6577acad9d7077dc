# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""catapult_phone_numbers, the module glue: arguments (suboptions, aliases, defaults), validation
before any request, check mode, diff, warnings, and failures that keep the structured result.
The engine itself is tested in tests/unit/plugins/module_utils/test_account.py; the same
emulated Catapult (the catapult fixture) answers here, and every test asserts the exact requests."""

from __future__ import annotations

import pytest

from ansible.module_utils import basic

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_numbers as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import (
    ALLOCATE, APPS, CREATE_APP, LIST, NUMBERS, SECRET, TOKEN, USER, app_call, calls, listed, number_call, order, release, search, update, writes,
)

APPLICATIONS = ('a-ivr', 'a-sms')
RESULT_KEYS = {'changed', 'check_mode', 'allocated', 'updated', 'released', 'unchanged', 'failed_numbers', 'pools',
               'unmanaged', 'plan', 'phone_numbers', 'summary', 'applications', 'unmanaged_applications'}


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text: seen.append(text))
    return seen


def args(**options):
    options.setdefault('concurrency', 1)
    return options


def rerun_changes_nothing(run_ok, requests_mock, state):
    """An identical rerun, real and in check mode: the applications and the account read, no write, no change."""
    for check_mode in (False, True):
        requests_mock.reset_mock()
        again = run_ok(module, args(**state), check_mode=check_mode)
        assert again['changed'] is False and again['plan'] == []
        assert calls(requests_mock) == [APPS, LIST]


STATE = dict(numbers=[{'number': '+1 919 555 0100', 'name': 'Main'}],
             pools=[{'name': 'ivr', 'areaCode': '984', 'quantity': 2, 'application_id': 'a-ivr'}])


def test_check_mode_then_real_then_an_identical_rerun(run_ok, catapult, requests_mock):
    preview = run_ok(module, args(**STATE), check_mode=True)
    assert set(preview) >= RESULT_KEYS
    assert preview['check_mode'] is True and preview['changed'] is True
    assert calls(requests_mock) == [APPS, LIST, search(3, areaCode='984')]
    assert preview['pools'][0]['ordered'] == ['+19842190000', '+19842190001']
    requests_mock.reset_mock()

    result = run_ok(module, args(**STATE))
    ids = [n['id'] for n in catapult.numbers()]
    assert calls(requests_mock) == [APPS, LIST, ALLOCATE, order(2, areaCode='984'), update(ids[1]), update(ids[2]),
                                    listed('ivr'), LIST]
    assert result['pools'][0]['ordered'] == preview['pools'][0]['ordered']
    assert result['summary'] == ['numbers: 1 allocated, 0 updated, 0 released, 0 unchanged, 0 failed',
                                 'pool ivr: 2 of 2, 2 ordered', 'drift: none']
    rerun_changes_nothing(run_ok, requests_mock, STATE)


def test_diff_covers_the_plan(run_ok, catapult, requests_mock):
    result = run_ok(module, args(**STATE), check_mode=True, diff=True)
    after = dict((view['number'], view) for view in result['diff']['after']['phone_numbers'])
    assert sorted(after) == ['+19195550100', '+19842190000', '+19842190001']
    assert after['+19842190000']['application_id'] == 'a-ivr'
    assert all(view['state'] == 'absent' for view in result['diff']['before']['phone_numbers'])


@pytest.mark.parametrize('options, text', [
    (dict(numbers=[{'number': '9195550100'}]), 'numbers[0].number must be an E.164 phone number'),
    (dict(numbers=[{'number': '+19195550100'}, {'number': '+19195550100'}]), 'numbers[1].number +19195550100 repeats'),
    (dict(pools=[{'name': 'a', 'state': 'NC'}, {'name': 'a', 'state': 'NC'}]), 'pool names must be unique'),
    (dict(numbers=[{'number': '+19195550100', 'name': 'a'}], pools=[{'name': 'a', 'state': 'NC'}]),
     'so numbers[0] may not carry that name'),
    (dict(pools=[{'name': 'hot', 'type': 'toll_free', 'zip': '27601'}]), 'searches by pattern only; remove zip'),
    (dict(pools=[{'name': 'a', 'state': 'NC', 'area_code': '919'}]), 'got state and area_code'),
    (dict(pools=[{'name': 'a', 'state': 'NC', 'quantity': 5001}]), 'quantity must be between 1 and 5000'),
    (dict(prune_limit=-1), 'prune_limit must be between 0 and 5000'),
    (dict(prune_protect=['']), 'prune_protect[0] must be a number name or an E.164 number'),
    (dict(prune_protect=[19195550100]), 'prune_protect[0] is 19195550100, an E.164 number without its +'),
    (dict(concurrency=65), 'concurrency must be between 1 and 64'),
    (dict(numbers=[{'number': '+19195550100', 'application': 'Sales', 'application_id': 'a-sms'}]),
     'numbers[0].application and numbers[0].application_id are mutually exclusive'),
    (dict(pools=[{'name': 'a', 'state': 'NC', 'application': 'Sales', 'application_id': 'a-sms'}]),
     'pools[0] (a).application and pools[0] (a).application_id are mutually exclusive'),
    (dict(default_application='Sales', default_application_id='a-sms'),
     'default_application and default_application_id are mutually exclusive'),
    (dict(applications=[{'name': 'IVR'}]), 'applications[0].incoming_call_url or applications[0].incoming_message_url is '
     'required'),
    (dict(applications=[{'name': 'IVR', 'incomingCallUrl': 'https://a.example.com', 'incomingCallUrlCallbackTimeout': 0}]),
     'applications[0].incoming_call_url_callback_timeout must be a whole number of milliseconds from 1 to 10000'),
])
def test_mistakes_fail_before_any_request_with_the_result_keys(rejected, options, text):
    result = rejected(module, args(**options), text)
    assert set(result) >= RESULT_KEYS
    assert result['changed'] is False
    assert result['summary'][-1] == 'drift: not known (the account was not read)'


@pytest.mark.parametrize('options, text', [
    (dict(pools=[{'state': 'NC'}]), 'missing required arguments: name'),
    (dict(pools=[{'name': 'a', 'type': 'mobile'}]), 'value of type must be one of: local, toll_free'),
    (dict(numbers=[{'number': '+19195550100', 'state': 'gone'}]), 'value of state must be one of: present, absent'),
    (dict(numbers=[{'number': '+19195550100', 'label': 'x'}]), 'Unsupported parameters'),
    (dict(applications=[{'incoming_call_url': 'https://a.example.com'}]), 'missing required arguments: name'),
    (dict(applications=[{'name': 'IVR', 'id': 'a-1'}]), 'Unsupported parameters'),
    (dict(applications=[{'name': 'IVR', 'incoming_call_url': 'https://a.example.com', 'state': 'gone'}]),
     'value of state must be one of: present, absent'),
    (dict(applications=[{'name': 'IVR', 'incoming_call_url': 'https://a.example.com', 'callback_http_method': 'put'}]),
     'value of callback_http_method must be one of: get, post'),
])
def test_the_argument_spec_refuses_before_any_request(rejected, options, text):
    rejected(module, args(**options), text)


@pytest.mark.parametrize('entry, text', [
    ({'application_id': 'a-nope'}, 'application_id a-nope does not exist on account %s' % USER),
    ({'application': 'Nope'}, "application 'Nope' (numbers[0].application) does not exist on account %s" % USER),
], ids=['by-id', 'by-name'])
def test_an_unknown_application_fails_with_one_listing_and_no_write(run_failed, catapult, requests_mock, entry, text):
    result = run_failed(module, args(numbers=[dict(entry, number='+19195550100')],
                                     pools=[{'name': 'a', 'state': 'NC', 'quantity': 1}]))
    assert result['msg'].startswith(text) and result['msg'].endswith('nothing was written')
    assert calls(requests_mock) == [APPS]
    assert result['changed'] is False


def test_the_prune_guard_fails_before_any_write_and_keeps_the_result(run_failed, catapult, requests_mock):
    for number in ('+12122260000', '+12122260001', '+12122260002'):
        catapult.add(number, name='old')
    result = run_failed(module, args(numbers=[{'number': '+19195550100'}], prune=True, prune_limit=2))
    assert 'prune would release 3 numbers, more than prune_limit (2)' in result['msg']
    assert 'Raise prune_limit to at least 3' in result['msg']
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False
    assert result['unmanaged'] == ['+12122260000', '+12122260001', '+12122260002']
    assert 'prune: refused: 3 releases exceed prune_limit (2); nothing was released' in result['summary']


def test_prune_with_protection_releases_the_rest(run_ok, catapult, requests_mock):
    keep = catapult.add('+12122260000', name='Emergency')
    kept = catapult.add('+12122260001')
    gone = catapult.add('+12122260002', name='old')
    result = run_ok(module, args(prune=True, prune_protect=['Emergency', '+1 212 226 0001']))
    assert calls(requests_mock) == [LIST, release(gone['id']), LIST]
    assert result['released'] == [gone['number']]
    assert result['unmanaged'] == [keep['number'], kept['number']]


def test_an_api_error_fails_with_the_error_and_the_result_keys(run_failed, catapult, requests_mock):
    requests_mock.get(NUMBERS, status_code=401,
                      json={'category': 'authentication', 'code': 'unauthorized', 'message': 'Bad credentials'})
    result = run_failed(module, args(numbers=[{'number': '+19195550100'}]))
    assert result['error']['status'] == 401
    assert set(result) >= RESULT_KEYS
    assert result['summary'][-1] == 'drift: not known (the account was not read)'
    assert TOKEN not in str(result) and SECRET not in str(result)


def test_a_pool_surplus_without_prune_is_a_warning(run_ok, catapult, requests_mock, warnings):
    for number in ('+19842190000', '+19842190001'):
        catapult.add(number, name='ivr')
    result = run_ok(module, args(pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}]))
    assert calls(requests_mock) == [LIST]
    assert result['pools'][0]['surplus'] == 1
    assert warnings == ['The pool ivr holds 2 numbers, 1 more than quantity 1; nothing was released.']


def test_the_pool_surplus_released_by_prune_is_no_warning(run_ok, catapult, requests_mock, warnings):
    first = catapult.add('+19842190000', name='ivr')
    second = catapult.add('+19842190001', name='ivr')
    result = run_ok(module, args(pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}], prune=True))
    assert calls(requests_mock) == [LIST, release(second['id']), LIST]
    assert warnings == []
    assert result['pools'][0]['numbers'] == [first['number']]


def test_defaults_reach_entries_and_pools(run_ok, catapult, requests_mock):
    result = run_ok(module, args(numbers=[{'number': '+19195550100'}],
                                 pools=[{'name': 'hot', 'type': 'toll_free'}],
                                 default_application_id='a-sms', default_fallback_number='+1 919 555 0000'))
    new = catapult.by_number('+18008260000')
    assert calls(requests_mock) == [APPS, LIST, ALLOCATE, order(1, kind='tollFree'), update(new['id']), listed('hot'), LIST]
    assert result['pools'][0]['type'] == 'toll_free' and result['pools'][0]['quantity'] == 1  # a toll-free pool's default
    assert requests_mock.request_history[2].json() == {'number': '+19195550100', 'applicationId': 'a-sms',
                                                       'fallbackNumber': '+19195550000'}
    assert requests_mock.request_history[4].json() == {'name': 'hot', 'applicationId': 'a-sms',
                                                       'fallbackNumber': '+19195550000'}


# -- applications by name, and applications in the desired state ------------------------------------------------

APP_STATE = dict(applications=[{'name': 'Support IVR', 'incomingCallUrl': 'https://ivr.example.com/calls',
                                'callbackHttpMethod': 'get', 'incomingCallUrlCallbackTimeout': '3000'}],
                 numbers=[{'number': '+19195550100', 'name': 'Main'}],
                 pools=[{'name': 'hot', 'type': 'toll_free', 'application': 'Support IVR'}],
                 default_application='Support IVR')


def test_applications_check_mode_then_real_then_an_identical_rerun(run_ok, catapult, requests_mock):
    preview = run_ok(module, args(**APP_STATE), check_mode=True, diff=True)
    assert calls(requests_mock) == [APPS, LIST, search(2, kind='tollFree')]
    assert preview['applications'] == [{'name': 'Support IVR', 'id': None, 'action': 'create'}]
    assert preview['plan'][0] == {'action': 'create_application', 'application': 'Support IVR'}
    assert preview['phone_numbers'][0]['phone_number']['application_id'] == (
        '(id of the application Support IVR, created by this task)')
    assert preview['diff']['after']['applications'][0]['callback_http_method'] == 'get'
    requests_mock.reset_mock()

    result = run_ok(module, args(**APP_STATE))
    app = catapult.applications_named('Support IVR')[0]
    new = catapult.by_number('+18008260000')
    assert calls(requests_mock) == [APPS, LIST, CREATE_APP, app_call(app['id']), ALLOCATE, order(1, kind='tollFree'),
                                    update(new['id']), listed('hot'), LIST]
    assert requests_mock.request_history[2].json() == {'name': 'Support IVR', 'incomingCallUrl': 'https://ivr.example.com/calls',
                                                       'callbackHttpMethod': 'get', 'incomingCallUrlCallbackTimeout': 3000}
    assert [n['applicationId'] for n in catapult.numbers()] == [app['id'], app['id']]
    assert result['applications'] == [{'name': 'Support IVR', 'id': app['id'], 'action': 'create'}]
    assert result['summary'][0] == 'applications: 1 created, 0 updated, 0 deleted, 0 unchanged'
    rerun_changes_nothing(run_ok, requests_mock, APP_STATE)


def test_prune_deletes_an_unlisted_application_only_with_applications_listed(run_ok, catapult, requests_mock):
    catapult.set_applications([])
    ivr = catapult.add_application('Support IVR', incomingCallUrl='https://ivr.example.com/calls')
    old = catapult.add_application('Old')
    result = run_ok(module, args(prune=True))
    assert calls(requests_mock) == [LIST]
    requests_mock.reset_mock()
    result = run_ok(module, args(prune=True, applications=[
        {'name': 'Support IVR', 'incoming_call_url': 'https://ivr.example.com/calls'}]))
    assert calls(requests_mock) == [APPS, LIST, app_call(old['id'], 'DELETE')]
    assert result['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'none'},
                                      {'name': 'Old', 'id': old['id'], 'action': 'prune'}]
    assert list(catapult.apps()) == [ivr['id']]


def test_a_release_whose_answer_was_lost_reports_changed(run_module, catapult, requests_mock):
    gone = catapult.add('+19195550100', name='Gone')
    catapult.fault('status_after', '/phoneNumbers/' + gone['id'], 'DELETE', status=503)  # applied; the retry gets 404
    result, failed = run_module(module, {'numbers': [{'number': '+19195550100', 'state': 'absent'}]})
    assert not failed and result['changed']
    assert result['phone_numbers'][0]['changed'] and result['phone_numbers'][0]['action'] == 'release'
    assert writes(requests_mock) == [release(gone['id'])] * 2 and catapult.numbers() == []


# -- many specific numbers in one task (the former bulk form of catapult_phone_number) ---------------------

def test_lists_once_and_writes_only_what_differs(run_module, catapult, requests_mock):
    catapult.add('+19195550100', name='Same')
    other = catapult.add('+19195550101', name='Old')
    gone = catapult.add('+19195550102')
    fresh_id = catapult.next_ids(1)[0]
    entries = [{'number': '+19195550100', 'name': 'Same'}, {'number': other['number'], 'name': 'New'},
               {'number': gone['number'], 'state': 'absent'}, {'number': '+19195550103', 'name': 'Fresh'}]
    result, failed = run_module(module, {'numbers': entries, 'concurrency': 4}, diff=True)
    assert not failed and result['changed']
    # one listing, the three writes, and the listing that reports what the account holds afterwards
    sent = calls(requests_mock)
    assert sent[0] == sent[-1] == LIST
    assert sorted(sent[1:-1]) == sorted([update(other['id']), release(gone['id']), ALLOCATE])
    assert [(r['number'], r['action'], r['changed']) for r in result['phone_numbers']] == [
        ('+19195550100', 'none', False), (other['number'], 'update', True), (gone['number'], 'release', True),
        ('+19195550103', 'allocate', True)]
    assert result['phone_numbers'][3]['phone_number']['id'] == fresh_id
    before = dict((view['number'], view) for view in result['diff']['before']['phone_numbers'])
    after = dict((view['number'], view) for view in result['diff']['after']['phone_numbers'])
    assert before[gone['number']]['state'] == 'present' and after[gone['number']]['state'] == 'absent'
    assert result['failed_numbers'] == []
    assert catapult.names() == {'+19195550100': 'Same', other['number']: 'New', '+19195550103': 'Fresh'}


def test_one_failure_does_not_hide_the_others(run_module, catapult, requests_mock):
    catapult.keep_stock('+19195550100')  # +19195550101 cannot be had
    new_id = catapult.next_ids(1)[0]
    result, failed = run_module(module, {'numbers': [{'number': '+19195550100'}, {'number': '+19195550101'}]})
    assert failed is True and result['failed'] is True
    assert result['failed_numbers'] == ['+19195550101'] and result['allocated'] == ['+19195550100']
    assert result['msg'].startswith('+19195550101: Catapult API error: POST /users/%s/phoneNumbers returned HTTP 404' % USER)
    assert result['phone_numbers'][0]['changed'] and result['phone_numbers'][0]['phone_number']['id'] == new_id
    assert result['changed']


def test_order_answered_without_location_is_read_back_by_number(run_ok, catapult, requests_mock):
    catapult.without_location(requests_mock)
    new_id = catapult.next_ids(1)[0]
    result = run_ok(module, {'numbers': [{'number': '+19195550100', 'name': 'A'}]})
    assert calls(requests_mock) == [LIST, ALLOCATE, number_call('%2B19195550100'), LIST]
    assert result['phone_numbers'][0]['phone_number']['id'] == new_id


def test_stops_every_worker_once_the_controller_is_gone(run_failed, catapult, requests_mock, controller):
    entries = [{'number': '+1919555%04d' % i} for i in range(100, 106)]
    result = run_failed(module, {'numbers': entries, 'concurrency': 1})
    assert writes(requests_mock) == [ALLOCATE]
    assert controller['checks'] == 2  # the others never started
    assert result['failed_numbers'] == [e['number'] for e in entries[1:]]
