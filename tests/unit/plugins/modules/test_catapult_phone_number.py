# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""catapult_phone_number against the emulated Catapult (the catapult fixture): every test asserts
the exact requests sent, so a missing or extra call fails."""

from __future__ import annotations

import json

import pytest

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_number as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import intercept
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import ALLOCATE, NUMBERS, SECRET, TOKEN, app_call, calls, number_call

APPLICATIONS = ('a-1',)
NUM = '+19195550100'
ENC = '/users/u-unit/phoneNumbers/%2B19195550100'
GET = ('GET', ENC)
ALLOCATE_PATH = '^/users/u-unit/phoneNumbers$'


def test_allocates_a_missing_number_with_its_fields(catapult, requests_mock, run_module):
    new_id = catapult.next_ids(1)[0]
    result, failed = run_module(module, {'number': '+1 (919) 555-0100', 'name': 'Support', 'application_id': 'a-1'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [GET, app_call('a-1'), ALLOCATE, number_call(new_id)]
    assert requests_mock.request_history[2].json() == {'number': NUM, 'name': 'Support', 'applicationId': 'a-1'}
    assert result['phone_number']['id'] == new_id
    assert result['phone_number']['application_id'] == 'a-1'
    assert result['phone_number']['national_number'] == '(919) 555-0100'


def test_matching_number_is_left_alone(requests_mock, run_module):
    # the application only as the URL of the resource (no applicationId) is the same application
    requests_mock.get(NUMBERS + '/%2B19195550100', json={
        'id': 'n-0100', 'number': NUM, 'numberState': 'enabled', 'name': 'Support', 'fallbackNumber': '+19195550199',
        'application': 'https://api.test/v1/users/u-unit/applications/a-1'})
    result, failed = run_module(module, {'number': NUM, 'name': 'Support', 'application_id': 'a-1',
                                         'fallback_number': '+1 919 555 0199'})
    assert not failed and not result['changed']
    assert calls(requests_mock) == [GET]


@pytest.mark.parametrize('current, task, sent', [
    (dict(name='Old', application_id='a-1'), dict(name='New', application_id='a-1'), {'name': 'New'}),
    (dict(application_id='a-1'), dict(application_id=''), {'applicationId': ''}),  # '' detaches
])
def test_updates_only_the_field_that_differs(catapult, requests_mock, run_module, current, task, sent):
    number = catapult.add(NUM, **current)
    result, failed = run_module(module, dict(task, number=NUM), diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [GET, number_call(number['id'], 'POST')]
    assert requests_mock.request_history[1].json() == sent
    for option, value in task.items():
        assert result['phone_number'][option] == (value or None)
        assert result['diff']['after'][option] == value
        assert catapult.record(NUM)['applicationId' if option == 'application_id' else option] == (value or None)
    assert result['diff']['before']['name'] == current.get('name', '')


def test_check_mode_reads_but_never_writes(catapult, requests_mock, run_module):
    result, failed = run_module(module, {'number': NUM, 'name': 'Support'}, check_mode=True, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [GET]
    assert result['phone_number']['number'] == NUM and result['phone_number']['id'] is None
    assert result['diff'] == {
        'before': {'number': NUM, 'state': 'absent'},
        'after': {'number': NUM, 'state': 'present', 'name': 'Support', 'application_id': '', 'fallback_number': ''},
    }
    catapult.add(NUM, name='Old')
    requests_mock.reset_mock()
    result, dummy = run_module(module, {'number': NUM, 'name': 'New'}, check_mode=True)
    assert result['changed'] and result['phone_number']['name'] == 'New'
    assert calls(requests_mock) == [GET] and catapult.record(NUM)['name'] == 'Old'


def test_release(catapult, requests_mock, run_module):
    number = catapult.add(NUM, name='Support')
    result, dummy = run_module(module, {'number': NUM, 'state': 'absent'}, diff=True)
    assert result['changed'] and result['phone_number']['number_state'] == 'released'
    assert calls(requests_mock) == [GET, number_call(number['id'], 'DELETE')]
    assert result['diff']['after'] == {'number': NUM, 'state': 'absent'}
    assert catapult.numbers() == []


@pytest.mark.parametrize('released_as', ['404', 'released'])
def test_release_of_an_absent_number_is_unchanged(catapult, requests_mock, run_module, released_as):
    catapult.configure(released_as=released_as)  # a released number reads as 404, or as itself in state released
    catapult.add(NUM)
    catapult.record(NUM)['numberState'] = 'released'
    result, failed = run_module(module, {'number': NUM, 'state': 'absent'})
    assert not failed and not result['changed'] and result['phone_number'] is None
    assert calls(requests_mock) == [GET]


@pytest.mark.parametrize('status', [502, 504])
def test_release_whose_answer_was_lost_reports_changed(catapult, requests_mock, run_ok, status):
    # the DELETE is applied but answered 502/504 (a gateway); the retry gets 404: the task did release it
    gone = catapult.add(NUM, name='Gone')
    catapult.fault('status_after', '/phoneNumbers/' + gone['id'], 'DELETE', status=status)
    result = run_ok(module, {'number': NUM, 'state': 'absent'})
    assert result['changed'], 'the task released the number, so it changed something'
    assert result['phone_number']['number_state'] == 'released'
    assert calls(requests_mock) == [GET] + [number_call(gone['id'], 'DELETE')] * 2
    assert catapult.numbers() == []


def test_lost_answer_to_the_order_is_resolved_by_reading_back(catapult, requests_mock, run_module):
    catapult.fault('drop_after', ALLOCATE_PATH, 'POST')  # the order did land
    result, failed = run_module(module, {'number': NUM, 'name': 'Support'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [GET, ALLOCATE, GET]
    assert catapult.names() == {NUM: 'Support'}


@pytest.mark.parametrize('fault', [
    dict(status=503, code='number-allocator-unavailable', message='down'),
    dict(status=429, retry_after=3),  # the order waits the Retry-After, then is sent again
])
def test_order_is_sent_again_only_after_a_read_shows_it_did_not_land(catapult, requests_mock, run_module, no_sleep, fault):
    new_id = catapult.next_ids(1)[0]
    catapult.fault('status', ALLOCATE_PATH, 'POST', **fault)
    result, failed = run_module(module, {'number': NUM})
    assert not failed and result['changed']
    if fault['status'] == 429:
        assert calls(requests_mock) == [GET, ALLOCATE, ALLOCATE, number_call(new_id)]
        assert no_sleep and 2.5 < no_sleep[0] <= 3.0
    else:
        assert calls(requests_mock) == [GET, ALLOCATE, GET, ALLOCATE, number_call(new_id)]
    assert len(catapult.numbers()) == 1


def test_duplicate_answer_adopts_the_number(catapult, requests_mock, run_module):
    def allocated_meanwhile(request):  # another task allocates the number between our read and our order
        if request.method == 'POST' and not catapult.numbers():
            catapult.add(NUM, name='Support')
        return None

    intercept(requests_mock, allocated_meanwhile)
    result, failed = run_module(module, {'number': NUM, 'name': 'Support'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [GET, ALLOCATE, GET]
    assert len(catapult.numbers()) == 1


def test_unavailable_number_fails_clearly(catapult, requests_mock, run_failed):
    catapult.keep_stock()
    result = run_failed(module, {'number': NUM})
    assert result['msg'] == ('Catapult API error: POST /users/u-unit/phoneNumbers returned HTTP 404 (number-not-found): '
                             'The number +19195550100 could not be found')
    assert result['error']['status'] == 404 and result['error']['code'] == 'number-not-found'
    assert calls(requests_mock) == [GET, ALLOCATE]


@pytest.mark.parametrize('args, fragment', [
    ({'number': '9195550100'}, 'number must be an E.164 phone number'),
    ({'number': '+1919555010O'}, 'number must be an E.164 phone number'),
    ({'number': NUM, 'fallback_number': 'call me'}, 'fallback_number must be an E.164 phone number'),
    ({'number': NUM, 'numbers': [{'number': NUM}]}, 'Unsupported parameters'),
])
def test_bad_input_fails_before_any_request(rejected, args, fragment):
    rejected(module, args, fragment)


def test_wrong_credentials_give_a_clear_error_without_the_secret(catapult, requests_mock, run_module):
    result, failed = run_module(module, {'number': NUM, 'api_secret': SECRET + '-wrong'})
    assert failed and 'HTTP 401' in result['msg'] and 'api_secret' in result['msg']
    dumped = json.dumps(result)
    assert SECRET not in dumped and TOKEN not in dumped
    assert calls(requests_mock) == [GET]


# -- every application ID is checked before any write -------------------------------------------------

@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('current', [None, 'a-1'])
def test_unknown_application_fails_before_ordering_or_updating(catapult, requests_mock, run_failed, check_mode, current):
    if current:
        catapult.add(NUM, application_id=current)
    result = run_failed(module, {'number': NUM, 'name': 'Support', 'application_id': 'a-nope'},
                        check_mode=check_mode)
    assert result['msg'] == ('application_id a-nope does not exist on account u-unit (GET /users/u-unit/applications/a-nope '
                             'answered 404 application-not-found); nothing was ordered or changed')
    assert calls(requests_mock) == [GET, app_call('a-nope')]


def test_application_check_error_fails_before_any_write(catapult, requests_mock, run_module):
    catapult.fault('status', '/applications/a-1$', 'GET', status=403, message='not yours')
    result, failed = run_module(module, {'number': NUM, 'application_id': 'a-1'})
    assert failed and 'HTTP 403' in result['msg'] and '/applications/a-1' in result['msg']
    assert calls(requests_mock) == [GET, app_call('a-1')]
