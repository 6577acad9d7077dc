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
NOT_READ = 'drift: not known (the account was not read)'


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text: seen.append(text))
    return seen


def args(**options):
    options.setdefault('concurrency', 1)
    return options


STATE = dict(numbers=[{'number': '+1 919 555 0100', 'name': 'Main'}], pools=[{'name': 'ivr', 'areaCode': '984', 'quantity': 2, 'application_id': 'a-ivr'}])


def test_check_mode_then_real_then_an_identical_rerun(expect, rerun, catapult, requests_mock):
    preview = expect(module, args(**STATE), [APPS, LIST, search(3, areaCode='984')], check_mode=True, changed=True,
                     pools__0__ordered=['+19842190000', '+19842190001'])
    assert set(preview) >= RESULT_KEYS and preview['check_mode'] is True
    requests_mock.reset_mock()
    ids = catapult.next_ids(3)
    expect(module, args(**STATE), [APPS, LIST, ALLOCATE, order(2, areaCode='984'), update(ids[1]), update(ids[2]), listed('ivr'), LIST],
           pools__0__ordered=preview['pools'][0]['ordered'],
           summary=['numbers: 1 allocated, 0 updated, 0 released, 0 unchanged, 0 failed', 'pool ivr: 2 of 2, 2 ordered', 'drift: none'])
    assert [again['plan'] for again in rerun(module, args(**STATE), [APPS, LIST])] == [[], []]


def test_diff_covers_the_plan(run_ok, catapult, requests_mock):
    result = run_ok(module, args(**STATE), check_mode=True, diff=True)
    after = dict((view['number'], view) for view in result['diff']['after']['phone_numbers'])
    assert sorted(after) == ['+19195550100', '+19842190000', '+19842190001']
    assert after['+19842190000']['application_id'] == 'a-ivr'
    assert all(view['state'] == 'absent' for view in result['diff']['before']['phone_numbers'])


# the module's own checks keep the result keys; the argument spec's (Ansible's) refuse before the module runs
@pytest.mark.parametrize('options, text, own', [(o, t, True) for o, t in [
    (dict(numbers=[{'number': '9195550100'}]), 'numbers[0].number must be an E.164 phone number'),
    (dict(numbers=[{'number': '+19195550100'}, {'number': '+19195550100'}]), 'numbers[1].number +19195550100 repeats'),
    (dict(pools=[{'name': 'a', 'state': 'NC'}, {'name': 'a', 'state': 'NC'}]), 'pool names must be unique'),
    (dict(numbers=[{'number': '+19195550100', 'name': 'a'}], pools=[{'name': 'a', 'state': 'NC'}]), 'so numbers[0] may not carry that name'),
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
    (dict(default_application='Sales', default_application_id='a-sms'), 'default_application and default_application_id are mutually exclusive'),
    (dict(applications=[{'name': 'IVR'}]), 'applications[0].incoming_call_url or applications[0].incoming_message_url is '
     'required'),
    (dict(applications=[{'name': 'IVR', 'incomingCallUrl': 'https://a.example.com', 'incomingCallUrlCallbackTimeout': 0}]),
     'applications[0].incoming_call_url_callback_timeout must be a whole number of milliseconds from 1 to 10000'),
]] + [(o, t, False) for o, t in [
    (dict(pools=[{'state': 'NC'}]), 'missing required arguments: name'),
    (dict(pools=[{'name': 'a', 'type': 'mobile'}]), 'value of type must be one of: local, toll_free'),
    (dict(numbers=[{'number': '+19195550100', 'state': 'gone'}]), 'value of state must be one of: present, absent'),
    (dict(numbers=[{'number': '+19195550100', 'label': 'x'}]), 'Unsupported parameters'),
    (dict(applications=[{'incoming_call_url': 'https://a.example.com'}]), 'missing required arguments: name'),
    (dict(applications=[{'name': 'IVR', 'id': 'a-1'}]), 'Unsupported parameters'),
    (dict(applications=[{'name': 'IVR', 'incoming_call_url': 'https://a.example.com', 'state': 'gone'}]), 'value of state must be one of: present, absent'),
    (dict(applications=[{'name': 'IVR', 'incoming_call_url': 'https://a.example.com', 'callback_http_method': 'put'}]),
     'value of callback_http_method must be one of: get, post'),
]])
def test_mistakes_fail_before_any_request(rejected, options, text, own):
    result = rejected(module, args(**options), text)
    assert not own or (set(result) >= RESULT_KEYS and result['changed'] is False and result['summary'][-1] == NOT_READ)


@pytest.mark.parametrize('entry, text', [
    ({'application_id': 'a-nope'}, 'application_id a-nope does not exist on account %s' % USER),
    ({'application': 'Nope'}, "application 'Nope' (numbers[0].application) does not exist on account %s" % USER),
], ids=['by-id', 'by-name'])
def test_an_unknown_application_fails_with_one_listing_and_no_write(expect, catapult, entry, text):
    result = expect(module, args(numbers=[dict(entry, number='+19195550100')], pools=[{'name': 'a', 'state': 'NC', 'quantity': 1}]), [APPS],
                    failed=True, changed=False)
    assert result['msg'].startswith(text) and result['msg'].endswith('nothing was written')


def test_the_prune_guard_fails_before_any_write_and_keeps_the_result(expect, catapult):
    for number in ('+12122260000', '+12122260001', '+12122260002'):
        catapult.add(number, name='old')
    result = expect(module, args(numbers=[{'number': '+19195550100'}], prune=True, prune_limit=2), [LIST], failed=True, changed=False,
                    texts=['prune would release 3 numbers, more than prune_limit (2)', 'Raise prune_limit to at least 3'],
                    unmanaged=['+12122260000', '+12122260001', '+12122260002'])
    assert 'prune: refused: 3 releases exceed prune_limit (2); nothing was released' in result['summary']


def test_prune_with_protection_releases_the_rest(expect, catapult):
    keep, kept, gone = catapult.add('+12122260000', name='Emergency'), catapult.add('+12122260001'), catapult.add('+12122260002', name='old')
    expect(module, args(prune=True, prune_protect=['Emergency', '+1 212 226 0001']), [LIST, release(gone['id']), LIST], released=[gone['number']],
           unmanaged=[keep['number'], kept['number']])


def test_an_api_error_fails_with_the_error_and_the_result_keys(expect, catapult, requests_mock):
    requests_mock.get(NUMBERS, status_code=401, json={'category': 'authentication', 'code': 'unauthorized', 'message': 'Bad credentials'})
    result = expect(module, args(numbers=[{'number': '+19195550100'}]), [LIST], failed=True, error__status=401)
    assert set(result) >= RESULT_KEYS and result['summary'][-1] == NOT_READ
    assert TOKEN not in str(result) and SECRET not in str(result)


@pytest.mark.parametrize('prune, sent, warned', [
    (False, [LIST], ['The pool ivr holds 2 numbers, 1 more than quantity 1; nothing was released.']),
    (True, [LIST, release('{second}'), LIST], []),  # the surplus released by prune is no warning
], ids=['warning', 'pruned'])
def test_a_pool_surplus_without_prune_is_a_warning(expect, catapult, warnings, prune, sent, warned):
    first, second = catapult.add('+19842190000', name='ivr'), catapult.add('+19842190001', name='ivr')
    result = expect(module, args(pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}], prune=prune),
                    [(method, path.replace('{second}', second['id'])) for method, path in sent])
    assert warnings == warned
    assert (result['pools'][0]['numbers'], result['pools'][0].get('surplus')) == (([first['number']], 0) if prune else ([first['number'], second['number']], 1))


def test_defaults_reach_entries_and_pools(expect, catapult, requests_mock):
    new_id = catapult.next_ids(2)[1]
    expect(module, args(numbers=[{'number': '+19195550100'}], pools=[{'name': 'hot', 'type': 'toll_free'}], default_application_id='a-sms',
                        default_fallback_number='+1 919 555 0000'), [APPS, LIST, ALLOCATE, order(1, kind='tollFree'), update(new_id), listed('hot'), LIST],
           pools__0__type='toll_free', pools__0__quantity=1)  # a toll-free pool's default
    assert requests_mock.request_history[2].json() == {'number': '+19195550100', 'applicationId': 'a-sms', 'fallbackNumber': '+19195550000'}
    assert requests_mock.request_history[4].json() == {'name': 'hot', 'applicationId': 'a-sms', 'fallbackNumber': '+19195550000'}
    assert catapult.by_number('+18008260000')['id'] == new_id


# -- applications by name, and applications in the desired state ------------------------------------------------------------------------

APP_STATE = dict(applications=[{'name': 'Support IVR', 'incomingCallUrl': 'https://ivr.example.com/calls', 'callbackHttpMethod': 'get',
                                'incomingCallUrlCallbackTimeout': '3000'}],
                 numbers=[{'number': '+19195550100', 'name': 'Main'}], pools=[{'name': 'hot', 'type': 'toll_free', 'application': 'Support IVR'}],
                 default_application='Support IVR')


def test_applications_check_mode_then_real_then_an_identical_rerun(expect, rerun, catapult, requests_mock):
    preview = expect(module, args(**APP_STATE), [APPS, LIST, search(2, kind='tollFree')], check_mode=True, diff=True,
                     applications=[{'name': 'Support IVR', 'id': None, 'action': 'create'}],
                     plan__0={'action': 'create_application', 'application': 'Support IVR'},
                     phone_numbers__0__phone_number__application_id='(id of the application Support IVR, created by this task)')
    assert preview['diff']['after']['applications'][0]['callback_http_method'] == 'get'
    requests_mock.reset_mock()
    app_id, number_id = catapult.next_app_id(), catapult.next_ids(2)[1]
    expect(module, args(**APP_STATE), [APPS, LIST, CREATE_APP, app_call(app_id), ALLOCATE, order(1, kind='tollFree'), update(number_id), listed('hot'),
                                       LIST], applications=[{'name': 'Support IVR', 'id': app_id, 'action': 'create'}],
           summary__0='applications: 1 created, 0 updated, 0 deleted, 0 unchanged')
    assert requests_mock.request_history[2].json() == {'name': 'Support IVR', 'incomingCallUrl': 'https://ivr.example.com/calls',
                                                       'callbackHttpMethod': 'get', 'incomingCallUrlCallbackTimeout': 3000}
    assert [n['applicationId'] for n in catapult.numbers()] == [app_id, app_id]
    assert [app['id'] for app in catapult.applications_named('Support IVR')] == [app_id] and catapult.by_number('+18008260000')['id'] == number_id
    assert [again['plan'] for again in rerun(module, args(**APP_STATE), [APPS, LIST])] == [[], []]


def test_prune_deletes_an_unlisted_application_only_with_applications_listed(expect, catapult, requests_mock):
    catapult.set_applications([])
    ivr = catapult.add_application('Support IVR', incomingCallUrl='https://ivr.example.com/calls')
    old = catapult.add_application('Old')
    expect(module, args(prune=True), [LIST])
    requests_mock.reset_mock()
    expect(module, args(prune=True, applications=[{'name': 'Support IVR', 'incoming_call_url': 'https://ivr.example.com/calls'}]),
           [APPS, LIST, app_call(old['id'], 'DELETE')],
           applications=[{'name': 'Support IVR', 'id': ivr['id'], 'action': 'none'}, {'name': 'Old', 'id': old['id'], 'action': 'prune'}])
    assert list(catapult.apps()) == [ivr['id']]


def test_a_release_whose_answer_was_lost_reports_changed(expect, catapult, requests_mock):
    gone = catapult.add('+19195550100', name='Gone')
    catapult.fault('status_after', '/phoneNumbers/' + gone['id'], 'DELETE', status=503)  # applied; the retry gets 404
    expect(module, {'numbers': [{'number': '+19195550100', 'state': 'absent'}]}, [LIST, release(gone['id']), release(gone['id']), LIST], changed=True,
           phone_numbers__0__changed=True, phone_numbers__0__action='release')
    assert catapult.numbers() == []


# -- many specific numbers in one task (the former bulk form of catapult_phone_number) ------------------------------------------------

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
        ('+19195550100', 'none', False), (other['number'], 'update', True), (gone['number'], 'release', True), ('+19195550103', 'allocate', True)]
    assert result['phone_numbers'][3]['phone_number']['id'] == fresh_id
    before = dict((view['number'], view) for view in result['diff']['before']['phone_numbers'])
    after = dict((view['number'], view) for view in result['diff']['after']['phone_numbers'])
    assert before[gone['number']]['state'] == 'present' and after[gone['number']]['state'] == 'absent'
    assert result['failed_numbers'] == []
    assert catapult.names() == {'+19195550100': 'Same', other['number']: 'New', '+19195550103': 'Fresh'}


def test_one_failure_does_not_hide_the_others(expect, catapult):
    catapult.keep_stock('+19195550100')  # +19195550101 cannot be had
    new_id = catapult.next_ids(1)[0]
    result = expect(module, {'numbers': [{'number': '+19195550100'}, {'number': '+19195550101'}]}, [LIST, ALLOCATE, ALLOCATE, LIST], failed=True,
                    changed=True, failed_numbers=['+19195550101'], allocated=['+19195550100'], phone_numbers__0__changed=True,
                    phone_numbers__0__phone_number__id=new_id)
    assert result['failed'] is True
    assert result['msg'].startswith('+19195550101: Catapult API error: POST /users/%s/phoneNumbers returned HTTP 404' % USER)


def test_order_answered_without_location_is_read_back_by_number(expect, catapult, requests_mock):
    catapult.without_location(requests_mock)
    new_id = catapult.next_ids(1)[0]
    expect(module, {'numbers': [{'number': '+19195550100', 'name': 'A'}]}, [LIST, ALLOCATE, number_call('%2B19195550100'), LIST],
           phone_numbers__0__phone_number__id=new_id)


def test_stops_every_worker_once_the_controller_is_gone(run_failed, catapult, requests_mock, controller):
    entries = [{'number': '+1919555%04d' % i} for i in range(100, 106)]
    result = run_failed(module, {'numbers': entries, 'concurrency': 1})
    assert writes(requests_mock) == [ALLOCATE]
    assert controller['checks'] == 2  # the others never started
    assert result['failed_numbers'] == [e['number'] for e in entries[1:]]
