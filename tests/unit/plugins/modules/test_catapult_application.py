# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""catapult_application with HTTP scripted at the requests layer: every test asserts the
exact requests sent, in order, so a missing or extra call fails (an unscripted URL raises)."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_application as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, USER, calls

APPS = API + '/users/' + USER + '/applications'
APPS_PATH = '/users/u-unit/applications'
LIST = ('GET', APPS_PATH + '?size=1000')
IN_USE = ('GET', '/users/u-unit/phoneNumbers?applicationId=a-1&size=1000')
CALL_URL = 'https://ivr.example.com/calls'
NOT_FOUND = {'status_code': 404, 'json': {'category': 'not-found', 'code': 'application-not-found',
                                          'message': 'The application a-1 could not be found'}}


def app(app_id='a-1', name='Support', **fields):
    resource = {'id': app_id, 'name': name, 'incomingCallUrl': CALL_URL, 'callbackHttpMethod': 'post', 'autoAnswer': True}
    resource.update(fields)
    return dict((key, value) for key, value in resource.items() if value is not None)


def listing(requests_mock, *apps):
    requests_mock.get(APPS, json=list(apps))


def numbers_using(requests_mock, *numbers):
    requests_mock.get(NUMBERS, json=[{'id': 'n-%s' % n[-4:], 'number': n, 'applicationId': 'a-1', 'numberState': 'enabled'}
                                     for n in numbers])


def view(**fields):
    """The --diff view of a present application: every option, defaults filled in."""
    out = {'state': 'present', 'name': 'Support', 'incoming_call_url': CALL_URL, 'incoming_call_url_callback_timeout': 10000,
           'incoming_call_fallback_url': '', 'incoming_message_url': '', 'incoming_message_url_callback_timeout': 10000,
           'incoming_message_fallback_url': '', 'callback_http_method': 'post', 'auto_answer': True}
    out.update(fields)
    return out


# -- create --------------------------------------------------------------------------

def test_check_mode_create_reads_once_and_writes_nothing(requests_mock, run_module):
    listing(requests_mock, app('a-9', 'Other'))
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL}, check_mode=True, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST]
    assert result['application']['id'] is None and result['application']['name'] == 'Support'
    assert result['application']['incoming_call_url'] == CALL_URL
    assert result['diff'] == {'before': {'state': 'absent', 'name': 'Support'}, 'after': view()}


def test_create_sends_the_given_fields_and_reads_the_application_back(requests_mock, run_module):
    listing(requests_mock)
    create = requests_mock.post(APPS, status_code=201, headers={'Location': APPS + '/a-new'})
    requests_mock.get(APPS + '/a-new', json=app('a-new', incomingCallUrlCallbackTimeout=3000, callbackHttpMethod='get'))
    result, failed = run_module(module, {'name': 'Support', 'incomingCallUrl': CALL_URL, 'incoming_call_url_callback_timeout': 3000,
                                         'callback_http_method': 'get', 'incoming_call_fallback_url': ''}, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, ('POST', APPS_PATH), ('GET', APPS_PATH + '/a-new')]
    assert create.last_request.json() == {'name': 'Support', 'incomingCallUrl': CALL_URL, 'incomingCallUrlCallbackTimeout': 3000,
                                          'callbackHttpMethod': 'get'}
    assert result['application'] == {
        'id': 'a-new', 'name': 'Support', 'incoming_call_url': CALL_URL, 'incoming_call_url_callback_timeout': 3000,
        'incoming_call_fallback_url': None, 'incoming_message_url': None, 'incoming_message_url_callback_timeout': None,
        'incoming_message_fallback_url': None, 'callback_http_method': 'get', 'auto_answer': True}
    assert result['diff']['after'] == view(incoming_call_url_callback_timeout=3000, callback_http_method='get')


def test_identical_rerun_reads_once_and_changes_nothing(requests_mock, run_module):
    listing(requests_mock, app(incomingMessageUrl='https://sms.example.com', incomingMessageUrlCallbackTimeout=2000))
    for check_mode in (False, True):
        requests_mock.reset_mock()
        result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL,
                                             'incoming_message_url': 'https://sms.example.com',
                                             'incoming_message_url_callback_timeout': 2000, 'callback_http_method': 'post',
                                             'auto_answer': True}, check_mode=check_mode, diff=True)
        assert not failed and not result['changed']
        assert calls(requests_mock) == [LIST]
        assert result['diff']['before'] == result['diff']['after']


def test_missing_fields_read_as_their_documented_defaults(requests_mock, run_module):
    # a server that leaves out callbackHttpMethod, autoAnswer and the timeouts when they were never set
    listing(requests_mock, {'id': 'a-1', 'name': 'Support', 'incomingCallUrl': CALL_URL})
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL, 'callback_http_method': 'post',
                                         'auto_answer': True, 'incoming_call_url_callback_timeout': 10000,
                                         'incoming_message_fallback_url': ''})
    assert not failed and not result['changed']
    assert calls(requests_mock) == [LIST]


def test_camel_case_values_from_the_server_compare_equal(requests_mock, run_module):
    listing(requests_mock, app(callbackHttpMethod='GET', autoAnswer='false', incomingCallUrlCallbackTimeout='4000'))
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL, 'callback_http_method': 'get',
                                         'auto_answer': False, 'incoming_call_url_callback_timeout': 4000})
    assert not failed and not result['changed']
    assert calls(requests_mock) == [LIST]


# -- update --------------------------------------------------------------------------

def test_update_sends_only_the_field_that_differs(requests_mock, run_module):
    listing(requests_mock, app(incomingCallFallbackUrl='https://old.example.com'))
    update = requests_mock.post(APPS + '/a-1', status_code=200)
    args = {'name': 'Support', 'incoming_call_url': 'https://ivr2.example.com/calls', 'incoming_call_fallback_url': '',
            'auto_answer': True}
    check, failed = run_module(module, args, check_mode=True, diff=True)
    assert not failed and check['changed'] and calls(requests_mock) == [LIST]
    requests_mock.reset_mock()
    result, failed = run_module(module, args, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, ('POST', APPS_PATH + '/a-1')]
    assert update.last_request.json() == {'incomingCallUrl': 'https://ivr2.example.com/calls', 'incomingCallFallbackUrl': ''}
    assert result['diff'] == check['diff']
    assert result['diff']['before'] == view(incoming_call_fallback_url='https://old.example.com')
    assert result['diff']['after'] == view(incoming_call_url='https://ivr2.example.com/calls')
    assert result['application']['incoming_call_url'] == 'https://ivr2.example.com/calls'
    assert result['application']['incoming_call_fallback_url'] is None
    assert result['application']['id'] == 'a-1'


def test_by_id_renames_without_listing(requests_mock, run_module):
    requests_mock.get(APPS + '/a-1', json=app(name='Old'))
    update = requests_mock.post(APPS + '/a-1', status_code=200)
    result, failed = run_module(module, {'id': 'a-1', 'name': 'New'})
    assert not failed and result['changed'] and result['application']['name'] == 'New'
    assert calls(requests_mock) == [('GET', APPS_PATH + '/a-1'), ('POST', APPS_PATH + '/a-1')]
    assert update.last_request.json() == {'name': 'New'}


def test_by_id_that_does_not_exist_fails_without_writing(requests_mock, run_module):
    requests_mock.get(APPS + '/a-1', **NOT_FOUND)
    result, failed = run_module(module, {'id': 'a-1', 'name': 'New', 'incoming_call_url': CALL_URL})
    assert failed
    assert result['msg'] == ('application a-1 does not exist on account u-unit (GET /users/u-unit/applications/a-1 answered 404 '
                             'application-not-found); an ID cannot be created: leave id out and give name to create the '
                             'application')
    assert calls(requests_mock) == [('GET', APPS_PATH + '/a-1')]


def test_removing_the_last_incoming_url_fails_before_writing(requests_mock, run_module):
    requests_mock.get(APPS + '/a-1', json=app())
    result, failed = run_module(module, {'id': 'a-1', 'incoming_call_url': ''})
    assert failed and 'would be left without incoming_call_url and incoming_message_url' in result['msg']
    assert calls(requests_mock) == [('GET', APPS_PATH + '/a-1')]


def test_an_api_error_on_update_is_reported(requests_mock, run_module):
    listing(requests_mock, app())
    requests_mock.post(APPS + '/a-1', status_code=400,
                       json={'category': 'bad-request', 'code': 'validation-error', 'message': 'nope'})
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL, 'auto_answer': False})
    assert failed and 'POST /users/u-unit/applications/a-1 returned HTTP 400 (validation-error): nope' in result['msg']
    assert result['error']['code'] == 'validation-error'
    assert calls(requests_mock) == [LIST, ('POST', APPS_PATH + '/a-1')]


# -- names -----------------------------------------------------------------------------

@pytest.mark.parametrize('state', ['present', 'absent'])
def test_a_name_on_several_applications_is_an_error_listing_their_ids(requests_mock, run_module, state):
    listing(requests_mock, app('a-1'), app('a-2', 'Sales'), app('a-3'))
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL, 'state': state})
    assert failed
    assert result['msg'] == ("name 'Support' matches 2 applications on account u-unit (a-1, a-3), so it does not say which one "
                             "is meant; set id to choose one, or rename or delete the others. Nothing was changed")
    assert result['error']['application_ids'] == ['a-1', 'a-3']
    assert calls(requests_mock) == [LIST]


def test_names_match_exactly(requests_mock, run_module):
    listing(requests_mock, app('a-1', 'support'), app('a-2', 'Support '))
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL}, check_mode=True)
    assert not failed and result['changed'] and result['application']['id'] is None


# -- delete ------------------------------------------------------------------------------

def test_delete_checks_the_numbers_then_deletes(requests_mock, run_module):
    listing(requests_mock, app())
    numbers_using(requests_mock)
    requests_mock.delete(APPS + '/a-1', status_code=200)
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'}, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, IN_USE, ('DELETE', APPS_PATH + '/a-1')]
    assert result['application']['id'] == 'a-1'
    assert result['diff'] == {'before': view(), 'after': {'state': 'absent', 'name': 'Support'}}


def test_check_mode_delete_reads_and_writes_nothing(requests_mock, run_module):
    listing(requests_mock, app())
    numbers_using(requests_mock)
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'}, check_mode=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, IN_USE]


@pytest.mark.parametrize('check_mode', [False, True])
def test_delete_refuses_an_application_numbers_point_at(requests_mock, run_module, check_mode):
    listing(requests_mock, app())
    numbers_using(requests_mock, '+19195550100', '+19195550101')
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'}, check_mode=check_mode)
    assert failed
    assert result['msg'] == (
        'application a-1 (Support) is still used by 2 numbers on account u-unit (+19195550100, +19195550101), so it was not '
        'deleted. Point them at another application first, or set force to true to delete it anyway (the numbers would '
        'keep pointing at an application that no longer exists)')
    assert result['error']['numbers_in_use'] == ['+19195550100', '+19195550101']
    assert calls(requests_mock) == [LIST, IN_USE]


def test_numbers_of_another_application_do_not_block(requests_mock, run_module):
    # a server that ignored the applicationId filter: the client checks each number itself
    listing(requests_mock, app())
    requests_mock.get(NUMBERS, json=[{'id': 'n-1', 'number': '+19195550100', 'application': APPS + '/a-2'}])
    requests_mock.delete(APPS + '/a-1', status_code=200)
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, IN_USE, ('DELETE', APPS_PATH + '/a-1')]


def test_force_deletes_without_reading_the_numbers(requests_mock, run_module):
    requests_mock.get(APPS + '/a-1', json=app())
    requests_mock.delete(APPS + '/a-1', status_code=200)
    result, failed = run_module(module, {'id': 'a-1', 'state': 'absent', 'force': True})
    assert not failed and result['changed']
    assert calls(requests_mock) == [('GET', APPS_PATH + '/a-1'), ('DELETE', APPS_PATH + '/a-1')]


@pytest.mark.parametrize('args', [{'name': 'Support', 'state': 'absent'}, {'id': 'a-1', 'state': 'absent'}])
def test_delete_of_an_absent_application_is_unchanged(requests_mock, run_module, args):
    listing(requests_mock, app('a-2', 'Sales'))
    requests_mock.get(APPS + '/a-1', **NOT_FOUND)
    result, failed = run_module(module, args, diff=True)
    assert not failed and not result['changed'] and result['application'] is None
    assert len(calls(requests_mock)) == 1
    assert result['diff']['before'] == result['diff']['after']


def test_delete_whose_answer_was_lost_reports_changed(requests_mock, run_module):
    listing(requests_mock, app())
    numbers_using(requests_mock)
    requests_mock.delete(APPS + '/a-1', [{'status_code': 502, 'json': {'message': 'applied, then a gateway error'}},
                                         NOT_FOUND])
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, IN_USE, ('DELETE', APPS_PATH + '/a-1'), ('DELETE', APPS_PATH + '/a-1')]


# -- lost answers to a create --------------------------------------------------------------

def test_lost_create_answer_is_resolved_by_reading_back_by_name(requests_mock, run_module):
    requests_mock.get(APPS, [{'json': []}, {'json': [app('a-landed')]}])
    requests_mock.post(APPS, exc=requests.exceptions.ConnectionError('Connection aborted.'))
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL})
    assert not failed and result['changed'] and result['application']['id'] == 'a-landed'
    assert calls(requests_mock) == [LIST, ('POST', APPS_PATH), LIST]


def test_lost_create_answer_with_a_differing_field_is_updated_not_recreated(requests_mock, run_module):
    requests_mock.get(APPS, [{'json': []}, {'json': [app('a-landed', autoAnswer=True)]}])
    requests_mock.post(APPS, status_code=504, json={'message': 'gateway timeout'})
    update = requests_mock.post(APPS + '/a-landed', status_code=200)
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL, 'auto_answer': False})
    assert not failed and result['changed'] and result['application']['auto_answer'] is False
    assert calls(requests_mock) == [LIST, ('POST', APPS_PATH), LIST, ('POST', APPS_PATH + '/a-landed')]
    assert update.last_request.json() == {'autoAnswer': False}


def test_create_is_sent_again_only_after_a_listing_shows_it_did_not_land(requests_mock, run_module):
    requests_mock.get(APPS, json=[])
    requests_mock.post(APPS, [{'status_code': 503, 'json': {'message': 'not applied'}},
                              {'status_code': 201, 'headers': {'Location': APPS + '/a-new'}}])
    requests_mock.get(APPS + '/a-new', json=app('a-new'))
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL})
    assert not failed and result['application']['id'] == 'a-new'
    assert calls(requests_mock) == [LIST, ('POST', APPS_PATH), LIST, ('POST', APPS_PATH), ('GET', APPS_PATH + '/a-new')]


def test_create_that_never_lands_stops_after_three_attempts(requests_mock, run_module):
    requests_mock.get(APPS, json=[])
    requests_mock.post(APPS, status_code=503, json={'message': 'not applied'})
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL})
    assert failed and "'Support' was not on the account after 3 create attempts" in result['msg']
    assert calls(requests_mock) == [LIST] + [('POST', APPS_PATH), LIST] * 3


def test_create_without_location_is_found_by_name(requests_mock, run_module):
    requests_mock.get(APPS, [{'json': []}, {'json': [app('a-found')]}])
    requests_mock.post(APPS, status_code=201)
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL})
    assert not failed and result['application']['id'] == 'a-found'
    assert calls(requests_mock) == [LIST, ('POST', APPS_PATH), LIST]


def test_a_rejected_create_is_not_resent(requests_mock, run_module):
    listing(requests_mock)
    requests_mock.post(APPS, status_code=400, json={'category': 'bad-request', 'code': 'missing-property', 'message': 'no'})
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL})
    assert failed and result['error']['status'] == 400
    assert calls(requests_mock) == [LIST, ('POST', APPS_PATH)]


# -- validation before any request ----------------------------------------------------

@pytest.mark.parametrize('args,message', [
    ({'name': 'Support'}, 'incoming_call_url or incoming_message_url is required: the application is identified by its name'),
    ({'name': 'Support', 'incoming_call_url': '', 'incoming_message_url': ''},
     'incoming_call_url and incoming_message_url cannot both be removed'),
    ({'name': 'Support', 'incoming_call_url': '/calls'},
     "incoming_call_url must be an absolute http or https URL such as https://callbacks.example.com/catapult/calls "
     "(it must start with http:// or https://); got '/calls'"),
    ({'name': 'Support', 'incoming_call_url': 'ftp://x.example.com'}, 'incoming_call_url must be an absolute http or https URL'),
    ({'name': 'Support', 'incomingMessageUrl': 'https://'}, "incoming_message_url must be an absolute http or https URL"),
    ({'name': 'Support', 'incoming_call_url': CALL_URL, 'incoming_call_fallback_url': 'http://a b'},
     'incoming_call_fallback_url must be an absolute http or https URL such as https://callbacks.example.com/catapult/calls '
     '(it contains blanks)'),
    ({'name': 'Support', 'incoming_call_url': 'https://x.example.com:0/'}, 'incoming_call_url must be an absolute'),
    ({'name': 'Support', 'incoming_call_url': 'https://[::1/'}, 'incoming_call_url must be an absolute'),
    ({'name': 'Support', 'incoming_call_url': CALL_URL, 'incoming_call_url_callback_timeout': 0},
     "incoming_call_url_callback_timeout must be a whole number of milliseconds from 1 to 10000 (Catapult's default and "
     "maximum is 10000); got 0"),
    ({'name': 'Support', 'incoming_call_url': CALL_URL, 'incomingMessageUrlCallbackTimeout': 10001},
     'incoming_message_url_callback_timeout must be a whole number of milliseconds from 1 to 10000'),
    ({'name': 'Support', 'incoming_call_url': CALL_URL, 'callback_http_method': 'put'},
     'value of callback_http_method must be one of: get, post, got: put'),
    ({'name': ' ', 'incoming_call_url': CALL_URL}, 'name must not be empty'),
    ({'id': '', 'name': 'x'}, "id must be the ID of an application, such as a-ivr0123456789abcdefghij (not empty, no /); got ''"),
    ({'id': 'a-1/../a-2', 'state': 'absent'}, 'id must be the ID of an application'),
    ({'incoming_call_url': CALL_URL}, 'one of the following is required: name, id'),
])
def test_validation_fails_before_any_request(requests_mock, run_module, args, message):
    result, failed = run_module(module, args)
    assert failed and message in result['msg'], result['msg']
    assert requests_mock.request_history == []


def test_every_problem_is_reported_at_once(requests_mock, run_module):
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': 'nope', 'incoming_call_url_callback_timeout': 0,
                                         'incoming_message_fallback_url': 'x'})
    assert failed
    for option in ('incoming_call_url must', 'incoming_call_url_callback_timeout must', 'incoming_message_fallback_url must'):
        assert result['msg'].count(option) == 1
    assert requests_mock.request_history == []


def test_an_id_task_needs_no_incoming_url(requests_mock, run_module):
    requests_mock.get(APPS + '/a-1', json=app())
    result, failed = run_module(module, {'id': 'a-1', 'auto_answer': True})
    assert not failed and not result['changed']
    assert calls(requests_mock) == [('GET', APPS_PATH + '/a-1')]


def test_absent_by_name_needs_no_incoming_url(requests_mock, run_module):
    listing(requests_mock)
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'})
    assert not failed and not result['changed']
