# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""catapult_application against the emulated Catapult (the catapult fixture, an account without
applications): every test asserts the exact requests sent, in order, so a missing or extra call fails."""

from __future__ import annotations

import pytest

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_application as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import intercept
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, USER, calls

APPLICATIONS = ()
APPS = API + '/users/' + USER + '/applications'
APPS_PATH = '/users/u-unit/applications'
LIST = ('GET', APPS_PATH + '?size=1000')
CREATE = ('POST', APPS_PATH)
IN_USE = ('GET', '/users/u-unit/phoneNumbers?applicationId=a-1&size=1000')
CALL_URL = 'https://ivr.example.com/calls'
CREATE_PATH = '^/users/u-unit/applications$'


def at(app_id, method='GET'):
    return (method, APPS_PATH + '/' + app_id)


def support(catapult, app_id='a-1', name='Support', **fields):
    """An application on the account (API fields; incomingCallUrl CALL_URL unless given)."""
    return catapult.add_application(name, app_id, **dict({'incomingCallUrl': CALL_URL}, **fields))


def view(**fields):
    """The --diff view of a present application: every option, defaults filled in."""
    out = {'state': 'present', 'name': 'Support', 'incoming_call_url': CALL_URL, 'incoming_call_url_callback_timeout': 10000,
           'incoming_call_fallback_url': '', 'incoming_message_url': '', 'incoming_message_url_callback_timeout': 10000,
           'incoming_message_fallback_url': '', 'callback_http_method': 'post', 'auto_answer': True}
    out.update(fields)
    return out


# -- create --------------------------------------------------------------------------

def test_check_mode_create_reads_once_and_writes_nothing(catapult, requests_mock, run_module):
    support(catapult, 'a-9', 'Other')
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL}, check_mode=True, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST]
    assert result['application']['id'] is None and result['application']['name'] == 'Support'
    assert result['application']['incoming_call_url'] == CALL_URL
    assert result['diff'] == {'before': {'state': 'absent', 'name': 'Support'}, 'after': view()}
    assert list(catapult.apps()) == ['a-9']


def test_create_sends_the_given_fields_and_reads_the_application_back(catapult, requests_mock, run_module):
    new_id = catapult.next_app_id()
    result, failed = run_module(module, {'name': 'Support', 'incomingCallUrl': CALL_URL, 'incoming_call_url_callback_timeout': 3000,
                                         'callback_http_method': 'get', 'incoming_call_fallback_url': ''}, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, CREATE, at(new_id)]
    assert requests_mock.request_history[1].json() == {'name': 'Support', 'incomingCallUrl': CALL_URL,
                                                       'incomingCallUrlCallbackTimeout': 3000, 'callbackHttpMethod': 'get'}
    assert result['application'] == {
        'id': new_id, 'name': 'Support', 'incoming_call_url': CALL_URL, 'incoming_call_url_callback_timeout': 3000,
        'incoming_call_fallback_url': None, 'incoming_message_url': None, 'incoming_message_url_callback_timeout': None,
        'incoming_message_fallback_url': None, 'callback_http_method': 'get', 'auto_answer': True}
    assert result['diff']['after'] == view(incoming_call_url_callback_timeout=3000, callback_http_method='get')


def test_identical_rerun_reads_once_and_changes_nothing(catapult, requests_mock, run_module):
    support(catapult, incomingMessageUrl='https://sms.example.com', incomingMessageUrlCallbackTimeout=2000)
    for check_mode in (False, True):
        requests_mock.reset_mock()
        result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL,
                                             'incoming_message_url': 'https://sms.example.com',
                                             'incoming_message_url_callback_timeout': 2000, 'callback_http_method': 'post',
                                             'auto_answer': True}, check_mode=check_mode, diff=True)
        assert not failed and not result['changed']
        assert calls(requests_mock) == [LIST]
        assert result['diff']['before'] == result['diff']['after']


@pytest.mark.parametrize('resource, args', [
    # a server that leaves out callbackHttpMethod, autoAnswer and the timeouts when they were never set
    ({}, {'callback_http_method': 'post', 'auto_answer': True, 'incoming_call_url_callback_timeout': 10000,
          'incoming_message_fallback_url': ''}),
    # values from the server in other spellings
    ({'callbackHttpMethod': 'GET', 'autoAnswer': 'false', 'incomingCallUrlCallbackTimeout': '4000'},
     {'callback_http_method': 'get', 'auto_answer': False, 'incoming_call_url_callback_timeout': 4000}),
])
def test_missing_fields_and_other_spellings_read_as_the_same_values(requests_mock, run_module, resource, args):
    requests_mock.get(APPS, json=[dict({'id': 'a-1', 'name': 'Support', 'incomingCallUrl': CALL_URL}, **resource)])
    result, failed = run_module(module, dict({'name': 'Support', 'incoming_call_url': CALL_URL}, **args))
    assert not failed and not result['changed']
    assert calls(requests_mock) == [LIST]


# -- update --------------------------------------------------------------------------

def test_update_sends_only_the_field_that_differs(catapult, requests_mock, run_module):
    support(catapult, incomingCallFallbackUrl='https://old.example.com')
    args = {'name': 'Support', 'incoming_call_url': 'https://ivr2.example.com/calls', 'incoming_call_fallback_url': '',
            'auto_answer': True}
    check, failed = run_module(module, args, check_mode=True, diff=True)
    assert not failed and check['changed'] and calls(requests_mock) == [LIST]
    requests_mock.reset_mock()
    result, failed = run_module(module, args, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, at('a-1', 'POST')]
    assert requests_mock.request_history[1].json() == {'incomingCallUrl': 'https://ivr2.example.com/calls',
                                                       'incomingCallFallbackUrl': ''}
    assert result['diff'] == check['diff']
    assert result['diff']['before'] == view(incoming_call_fallback_url='https://old.example.com')
    assert result['diff']['after'] == view(incoming_call_url='https://ivr2.example.com/calls')
    assert result['application']['incoming_call_url'] == 'https://ivr2.example.com/calls'
    assert result['application']['incoming_call_fallback_url'] is None
    assert result['application']['id'] == 'a-1'
    assert catapult.app('a-1') == {'id': 'a-1', 'name': 'Support', 'incomingCallUrl': 'https://ivr2.example.com/calls',
                                   'callbackHttpMethod': 'post', 'autoAnswer': True}


def test_by_id_renames_without_listing(catapult, requests_mock, run_module):
    support(catapult, name='Old')
    result, failed = run_module(module, {'id': 'a-1', 'name': 'New'})
    assert not failed and result['changed'] and result['application']['name'] == 'New'
    assert calls(requests_mock) == [at('a-1'), at('a-1', 'POST')]
    assert requests_mock.request_history[1].json() == {'name': 'New'}
    assert catapult.app('a-1')['name'] == 'New'


def test_by_id_that_does_not_exist_fails_without_writing(catapult, requests_mock, run_failed):
    result = run_failed(module, {'id': 'a-1', 'name': 'New', 'incoming_call_url': CALL_URL})
    assert result['msg'] == ('application a-1 does not exist on account u-unit (GET /users/u-unit/applications/a-1 answered 404 '
                             'application-not-found); an ID cannot be created: leave id out and give name to create the '
                             'application')
    assert calls(requests_mock) == [at('a-1')]


def test_removing_the_last_incoming_url_fails_before_writing(catapult, requests_mock, run_module):
    support(catapult)
    result, failed = run_module(module, {'id': 'a-1', 'incoming_call_url': ''})
    assert failed and 'would be left without incoming_call_url and incoming_message_url' in result['msg']
    assert calls(requests_mock) == [at('a-1')]


def test_an_api_error_on_update_is_reported(catapult, requests_mock, run_module):
    support(catapult)
    catapult.fault('status', '/applications/a-1$', 'POST', status=400, code='validation-error', message='nope')
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL, 'auto_answer': False})
    assert failed and 'POST /users/u-unit/applications/a-1 returned HTTP 400 (validation-error): nope' in result['msg']
    assert result['error']['code'] == 'validation-error'
    assert calls(requests_mock) == [LIST, at('a-1', 'POST')]


# -- names -----------------------------------------------------------------------------

@pytest.mark.parametrize('state', ['present', 'absent'])
def test_a_name_on_several_applications_is_an_error_listing_their_ids(catapult, requests_mock, run_failed, state):
    support(catapult, 'a-1'), support(catapult, 'a-2', 'Sales'), support(catapult, 'a-3')
    result = run_failed(module, {'name': 'Support', 'incoming_call_url': CALL_URL, 'state': state})
    assert result['msg'] == ("name 'Support' matches 2 applications on account u-unit (a-1, a-3), so it does not say which one "
                             "is meant; set id to choose one, or rename or delete the others. Nothing was changed")
    assert result['error']['application_ids'] == ['a-1', 'a-3']
    assert calls(requests_mock) == [LIST]


def test_names_match_exactly(catapult, requests_mock, run_module):
    support(catapult, 'a-1', 'support'), support(catapult, 'a-2', 'Support ')
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL}, check_mode=True)
    assert not failed and result['changed'] and result['application']['id'] is None


# -- delete ------------------------------------------------------------------------------

@pytest.mark.parametrize('check_mode', [False, True])
def test_delete_checks_the_numbers_then_deletes(catapult, requests_mock, run_module, check_mode):
    support(catapult)
    catapult.add('+19195550100', application_id='a-9')  # another application's number
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'}, check_mode=check_mode, diff=True)
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, IN_USE] + ([] if check_mode else [at('a-1', 'DELETE')])
    assert result['application']['id'] == 'a-1'
    assert result['diff'] == {'before': view(), 'after': {'state': 'absent', 'name': 'Support'}}
    assert list(catapult.apps()) == (['a-1'] if check_mode else [])


@pytest.mark.parametrize('check_mode', [False, True])
def test_delete_refuses_an_application_numbers_point_at(catapult, requests_mock, run_failed, check_mode):
    support(catapult)
    catapult.add('+19195550100', application_id='a-1')
    catapult.add('+19195550101', application_id='a-1')
    result = run_failed(module, {'name': 'Support', 'state': 'absent'}, check_mode=check_mode)
    assert result['msg'] == (
        'application a-1 (Support) is still used by 2 numbers on account u-unit (+19195550100, +19195550101), so it was not '
        'deleted. Point them at another application first, or set force to true to delete it anyway (the numbers would '
        'keep pointing at an application that no longer exists)')
    assert result['error']['numbers_in_use'] == ['+19195550100', '+19195550101']
    assert calls(requests_mock) == [LIST, IN_USE]


def test_numbers_of_another_application_do_not_block(catapult, requests_mock, run_module):
    # a server that ignored the applicationId filter: the client checks each number itself
    support(catapult)
    requests_mock.get(NUMBERS, json=[{'id': 'n-1', 'number': '+19195550100', 'application': APPS + '/a-2'}])
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, IN_USE, at('a-1', 'DELETE')]


def test_force_deletes_without_reading_the_numbers(catapult, requests_mock, run_module):
    support(catapult)
    catapult.add('+19195550100', application_id='a-1')
    result, failed = run_module(module, {'id': 'a-1', 'state': 'absent', 'force': True})
    assert not failed and result['changed']
    assert calls(requests_mock) == [at('a-1'), at('a-1', 'DELETE')]


@pytest.mark.parametrize('args', [{'name': 'Support', 'state': 'absent'}, {'id': 'a-1', 'state': 'absent'}])
def test_delete_of_an_absent_application_is_unchanged(catapult, requests_mock, run_module, args):
    support(catapult, 'a-2', 'Sales')
    result, failed = run_module(module, args, diff=True)
    assert not failed and not result['changed'] and result['application'] is None
    assert len(calls(requests_mock)) == 1
    assert result['diff']['before'] == result['diff']['after']


def test_delete_whose_answer_was_lost_reports_changed(catapult, requests_mock, run_module):
    support(catapult)
    catapult.fault('status_after', '/applications/a-1$', 'DELETE', status=502)  # applied; the retry gets 404
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'})
    assert not failed and result['changed']
    assert calls(requests_mock) == [LIST, IN_USE, at('a-1', 'DELETE'), at('a-1', 'DELETE')]


# -- lost answers to a create --------------------------------------------------------------

def test_lost_create_answer_with_a_differing_field_is_updated_not_recreated(catapult, requests_mock, run_module):
    new_id = catapult.next_app_id()
    catapult.fault('status_after', CREATE_PATH, 'POST', status=504)

    def landed_differently(request):  # the application landed with autoAnswer true (say, a server default)
        reply = catapult.answer(request)
        if request.method == 'POST' and request.path.endswith('/applications'):
            catapult.emulator.users[USER]['applications'][new_id]['autoAnswer'] = True
        return reply

    intercept(requests_mock, landed_differently)
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL, 'auto_answer': False})
    assert not failed and result['changed'] and result['application']['auto_answer'] is False
    assert calls(requests_mock) == [LIST, CREATE, LIST, at(new_id, 'POST')]
    assert requests_mock.request_history[3].json() == {'autoAnswer': False}
    assert list(catapult.apps()) == [new_id] and catapult.app(new_id)['autoAnswer'] is False


# (fault on the create, then the requests sent, or None: the create failed with the message)
CREATE_OUTCOMES = [
    ('answer lost, create landed', dict(action='drop_after'), lambda new_id: [LIST, CREATE, LIST], None),
    ('gateway error, create landed', dict(action='status_after', status=502), lambda new_id: [LIST, CREATE, LIST], None),
    ('503, nothing created', dict(action='status', status=503),
     lambda new_id: [LIST, CREATE, LIST, CREATE, at(new_id)], None),
    ('never lands', dict(action='status', status=503, count=0),
     lambda new_id: [LIST] + [CREATE, LIST] * 3, "'Support' was not on the account after 3 create attempts"),
    ('rejected', dict(action='status', status=400, code='missing-property', message='no'),
     lambda new_id: [LIST, CREATE], 'returned HTTP 400 (missing-property): no'),
    ('no Location header', None, lambda new_id: [LIST, CREATE, LIST], None),
]


@pytest.mark.parametrize('label, fault, sent, error', CREATE_OUTCOMES, ids=[o[0] for o in CREATE_OUTCOMES])
def test_a_create_is_sent_again_only_after_a_listing_shows_it_did_not_land(catapult, requests_mock, run_module, label, fault,
                                                                           sent, error):
    new_id = catapult.next_app_id()
    if fault:
        catapult.fault(path=CREATE_PATH, method='POST', **fault)
    else:
        catapult.without_location(requests_mock, 'applications')
    result, failed = run_module(module, {'name': 'Support', 'incoming_call_url': CALL_URL})
    assert calls(requests_mock) == sent(new_id)
    if error:
        assert failed and error in result['msg']
    else:
        assert not failed and result['changed'] and result['application']['id'] == new_id
        assert list(catapult.apps()) == [new_id]


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
def test_validation_fails_before_any_request(rejected, args, message):
    rejected(module, args, message)


def test_every_problem_is_reported_at_once(rejected):
    result = rejected(module, {'name': 'Support', 'incoming_call_url': 'nope', 'incoming_call_url_callback_timeout': 0,
                               'incoming_message_fallback_url': 'x'})
    for option in ('incoming_call_url must', 'incoming_call_url_callback_timeout must', 'incoming_message_fallback_url must'):
        assert result['msg'].count(option) == 1


def test_an_id_task_needs_no_incoming_url(catapult, requests_mock, run_module):
    support(catapult)
    result, failed = run_module(module, {'id': 'a-1', 'auto_answer': True})
    assert not failed and not result['changed']
    assert calls(requests_mock) == [('GET', APPS_PATH + '/a-1')]


def test_absent_by_name_needs_no_incoming_url(catapult, requests_mock, run_module):
    result, failed = run_module(module, {'name': 'Support', 'state': 'absent'})
    assert not failed and not result['changed']
