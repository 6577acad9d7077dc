# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""catapult_phone_number with HTTP scripted at the requests layer: every test asserts the
exact requests sent, so a missing or extra call fails."""

from __future__ import annotations

import json
import re

import pytest
import requests

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_number as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN, USER, calls

NUM = '+19195550100'
ENC = '/users/u-unit/phoneNumbers/%2B19195550100'
LIST = '/users/u-unit/phoneNumbers?size=1000'
APPLICATIONS = API + '/users/' + USER + '/applications'


def resource(number=NUM, **fields):
    item = {'id': 'n-' + number[-4:], 'number': number, 'nationalNumber': '(919) 555-0100', 'city': 'RALEIGH',
            'state': 'NC', 'price': '0.35', 'numberState': 'enabled', 'createdTime': '2026-11-23T14:00:00.000Z'}
    item.update(fields)
    return item


def not_found(requests_mock, url):
    requests_mock.get(url, status_code=404, json={'category': 'not-found', 'code': 'number-not-found',
                                                  'message': 'The number could not be found'})


def applications(requests_mock, known=('a-1',)):
    """GET /users/{u}/applications/{id}: the known ones exist, any other is Catapult's 404 application-not-found."""
    requests_mock.get(re.compile(re.escape(APPLICATIONS) + '/'), status_code=404,
                      json={'category': 'not-found', 'code': 'application-not-found', 'message': 'no such application'})
    for app_id in known:
        requests_mock.get(APPLICATIONS + '/' + app_id, json={'id': app_id, 'name': app_id})


def app_call(app_id):
    return ('GET', '/users/u-unit/applications/%s' % app_id)


def test_allocates_a_missing_number_with_its_fields(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', [
        {'status_code': 404, 'json': {'code': 'number-not-found', 'message': 'nope'}},
    ])
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': NUMBERS + '/n-0100'})
    requests_mock.get(NUMBERS + '/n-0100', json=resource(name='Support', applicationId='a-1'))
    applications(requests_mock)
    result, failed = run_module(module, {'number': '+1 (919) 555-0100', 'name': 'Support', 'application_id': 'a-1'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [('GET', ENC), app_call('a-1'), ('POST', '/users/u-unit/phoneNumbers'),
                                    ('GET', '/users/u-unit/phoneNumbers/n-0100')]
    assert requests_mock.request_history[2].json() == {'number': NUM, 'name': 'Support', 'applicationId': 'a-1'}
    assert result['phone_number']['id'] == 'n-0100'
    assert result['phone_number']['application_id'] == 'a-1'
    assert result['phone_number']['national_number'] == '(919) 555-0100'


def test_matching_number_is_left_alone(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', json=resource(
        name='Support', application='https://api.test/v1/users/u-unit/applications/a-1', fallbackNumber='+19195550199'))
    result, failed = run_module(module, {'number': NUM, 'name': 'Support', 'application_id': 'a-1',
                                         'fallback_number': '+1 919 555 0199'})
    assert not failed and not result['changed']
    assert calls(requests_mock) == [('GET', ENC)]


def test_updates_only_the_field_that_differs(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', json=resource(name='Old', applicationId='a-1'))
    update = requests_mock.post(NUMBERS + '/n-0100', status_code=200)
    result, failed = run_module(module, {'number': NUM, 'name': 'New', 'application_id': 'a-1'}, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [('GET', ENC), ('POST', '/users/u-unit/phoneNumbers/n-0100')]
    assert update.last_request.json() == {'name': 'New'}
    assert result['phone_number']['name'] == 'New'
    assert result['diff']['before']['name'] == 'Old' and result['diff']['after']['name'] == 'New'
    assert result['diff']['before']['application_id'] == result['diff']['after']['application_id'] == 'a-1'


def test_empty_application_id_detaches(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', json=resource(applicationId='a-1'))
    update = requests_mock.post(NUMBERS + '/n-0100', status_code=200)
    result, dummy = run_module(module, {'number': NUM, 'application_id': ''})
    assert result['changed'] and update.last_request.json() == {'applicationId': ''}
    assert result['phone_number']['application_id'] is None


def test_check_mode_reads_but_never_writes(requests_mock, run_module):
    not_found(requests_mock, NUMBERS + '/%2B19195550100')
    result, failed = run_module(module, {'number': NUM, 'name': 'Support'}, check_mode=True, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [('GET', ENC)]
    assert result['phone_number']['number'] == NUM and result['phone_number']['id'] is None
    assert result['diff'] == {
        'before': {'number': NUM, 'state': 'absent'},
        'after': {'number': NUM, 'state': 'present', 'name': 'Support', 'application_id': '', 'fallback_number': ''},
    }


def test_check_mode_update_predicts_the_result(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', json=resource(name='Old'))
    result, dummy = run_module(module, {'number': NUM, 'name': 'New'}, check_mode=True)
    assert result['changed'] and result['phone_number']['name'] == 'New'
    assert calls(requests_mock) == [('GET', ENC)]


def test_release(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', json=resource(name='Support'))
    requests_mock.delete(NUMBERS + '/n-0100', status_code=200)
    result, dummy = run_module(module, {'number': NUM, 'state': 'absent'}, diff=True)
    assert result['changed'] and result['phone_number']['number_state'] == 'released'
    assert calls(requests_mock) == [('GET', ENC), ('DELETE', '/users/u-unit/phoneNumbers/n-0100')]
    assert result['diff']['after'] == {'number': NUM, 'state': 'absent'}


@pytest.mark.parametrize('answer', [
    {'status_code': 404, 'json': {'code': 'number-not-found', 'message': 'nope'}},
    {'status_code': 200, 'json': {'id': 'n-0100', 'number': NUM, 'numberState': 'released'}},
])
def test_release_of_an_absent_number_is_unchanged(requests_mock, run_module, answer):
    requests_mock.get(NUMBERS + '/%2B19195550100', **answer)
    result, failed = run_module(module, {'number': NUM, 'state': 'absent'})
    assert not failed and not result['changed'] and result['phone_number'] is None
    assert calls(requests_mock) == [('GET', ENC)]


@pytest.mark.parametrize('status', [502, 504])
def test_release_whose_answer_was_lost_reports_changed(catapult, requests_mock, run_module, status):
    # the DELETE is applied but answered 502/504 (a gateway); the retry gets 404: the task did release it
    gone = catapult.add(NUM, name='Gone')
    catapult.fault('status_after', '/phoneNumbers/' + gone['id'], 'DELETE', status=status)
    result, failed = run_module(module, {'number': NUM, 'state': 'absent'})
    assert not failed
    assert result['changed'], 'the task released the number, so it changed something'
    assert result['phone_number']['number_state'] == 'released'
    assert calls(requests_mock) == [('GET', ENC)] + [('DELETE', '/users/u-unit/phoneNumbers/' + gone['id'])] * 2
    assert catapult.numbers() == []


def test_lost_answer_to_the_order_is_resolved_by_reading_back(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', [
        {'status_code': 404, 'json': {'code': 'number-not-found', 'message': 'nope'}},
        {'json': resource()},  # the order did land
    ])
    requests_mock.post(NUMBERS, exc=requests.exceptions.ConnectionError('Connection aborted.'))
    update = requests_mock.post(NUMBERS + '/n-0100', status_code=200)
    result, failed = run_module(module, {'number': NUM, 'name': 'Support'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [('GET', ENC), ('POST', '/users/u-unit/phoneNumbers'), ('GET', ENC),
                                    ('POST', '/users/u-unit/phoneNumbers/n-0100')]
    assert update.last_request.json() == {'name': 'Support'}


def test_order_is_sent_again_only_after_a_read_shows_it_did_not_land(requests_mock, run_module):
    not_found(requests_mock, NUMBERS + '/%2B19195550100')
    requests_mock.post(NUMBERS, [
        {'status_code': 503, 'json': {'code': 'number-allocator-unavailable', 'message': 'down'}},
        {'status_code': 201, 'headers': {'Location': NUMBERS + '/n-0100'}},
    ])
    requests_mock.get(NUMBERS + '/n-0100', json=resource())
    result, failed = run_module(module, {'number': NUM})
    assert not failed and result['changed']
    assert calls(requests_mock) == [('GET', ENC), ('POST', '/users/u-unit/phoneNumbers'), ('GET', ENC),
                                    ('POST', '/users/u-unit/phoneNumbers'), ('GET', '/users/u-unit/phoneNumbers/n-0100')]


def test_duplicate_answer_adopts_the_number(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', [
        {'status_code': 404, 'json': {'code': 'number-not-found', 'message': 'nope'}},
        {'json': resource(name='Support')},
    ])
    requests_mock.post(NUMBERS, status_code=409, json={'code': 'duplicate-number', 'message': 'exists'})
    result, failed = run_module(module, {'number': NUM, 'name': 'Support'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [('GET', ENC), ('POST', '/users/u-unit/phoneNumbers'), ('GET', ENC)]


def test_unavailable_number_fails_clearly(requests_mock, run_module):
    not_found(requests_mock, NUMBERS + '/%2B19195550100')
    requests_mock.post(NUMBERS, status_code=404, json={'category': 'not-found', 'code': 'number-not-found',
                                                       'message': 'The number +19195550100 could not be found'})
    result, failed = run_module(module, {'number': NUM})
    assert failed
    assert result['msg'] == ('Catapult API error: POST /users/u-unit/phoneNumbers returned HTTP 404 (number-not-found): '
                             'The number +19195550100 could not be found')
    assert result['error']['status'] == 404 and result['error']['code'] == 'number-not-found'
    assert len(requests_mock.request_history) == 2


@pytest.mark.parametrize('args, fragment', [
    ({'number': '9195550100'}, 'number must be an E.164 phone number'),
    ({'number': '+1919555010O'}, 'number must be an E.164 phone number'),
    ({'number': NUM, 'fallback_number': 'call me'}, 'fallback_number must be an E.164 phone number'),
    ({'number': NUM, 'numbers': [{'number': NUM}]}, 'Unsupported parameters'),
])
def test_bad_input_fails_before_any_request(requests_mock, run_module, args, fragment):
    result, failed = run_module(module, args)
    assert failed and fragment in result['msg']
    assert requests_mock.request_history == []


def test_wrong_credentials_give_a_clear_error_without_the_secret(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', status_code=401,
                      json={'category': 'authentication', 'code': 'unauthorized', 'message': 'Invalid credentials'})
    result, failed = run_module(module, {'number': NUM})
    assert failed and 'HTTP 401' in result['msg'] and 'api_secret' in result['msg']
    dumped = json.dumps(result)
    assert SECRET not in dumped and TOKEN not in dumped


def test_rate_limited_order_waits_and_is_sent_again(requests_mock, run_module, no_sleep):
    not_found(requests_mock, NUMBERS + '/%2B19195550100')
    requests_mock.post(NUMBERS, [
        {'status_code': 429, 'headers': {'Retry-After': '3'}, 'json': {'category': 'too-many-requests', 'message': 'slow down'}},
        {'status_code': 201, 'headers': {'Location': NUMBERS + '/n-0100'}},
    ])
    requests_mock.get(NUMBERS + '/n-0100', json=resource())
    result, failed = run_module(module, {'number': NUM})
    assert not failed and result['changed']
    assert no_sleep and 2.5 < no_sleep[0] <= 3.0
    assert [c[0] for c in calls(requests_mock)] == ['GET', 'POST', 'POST', 'GET']


# -- every application ID is checked before any write -------------------------------------------------

@pytest.mark.parametrize('check_mode', [False, True])
def test_unknown_application_fails_before_ordering(requests_mock, run_module, check_mode):
    not_found(requests_mock, NUMBERS + '/%2B19195550100')
    applications(requests_mock)
    result, failed = run_module(module, {'number': NUM, 'name': 'Support', 'application_id': 'a-nope'},
                                check_mode=check_mode)
    assert failed
    assert result['msg'] == ('application_id a-nope does not exist on account u-unit (GET /users/u-unit/applications/a-nope '
                             'answered 404 application-not-found); nothing was ordered or changed')
    assert calls(requests_mock) == [('GET', ENC), app_call('a-nope')]


def test_unknown_application_fails_before_updating(requests_mock, run_module):
    requests_mock.get(NUMBERS + '/%2B19195550100', json=resource(applicationId='a-1'))
    applications(requests_mock)
    result, failed = run_module(module, {'number': NUM, 'application_id': 'a-nope'})
    assert failed and 'application_id a-nope does not exist' in result['msg']
    assert calls(requests_mock) == [('GET', ENC), app_call('a-nope')]


def test_application_check_error_fails_before_any_write(requests_mock, run_module):
    not_found(requests_mock, NUMBERS + '/%2B19195550100')
    requests_mock.get(APPLICATIONS + '/a-1', status_code=403, json={'code': 'forbidden', 'message': 'not yours'})
    result, failed = run_module(module, {'number': NUM, 'application_id': 'a-1'})
    assert failed and 'HTTP 403' in result['msg'] and '/applications/a-1' in result['msg']
    assert [c[0] for c in calls(requests_mock)] == ['GET', 'GET']
