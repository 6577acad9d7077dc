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
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, USER

APPLICATIONS = ()
APPS = API + '/users/' + USER + '/applications'
APPS_PATH = '/users/u-unit/applications'
LIST = ('GET', APPS_PATH + '?size=1000')
CREATE = ('POST', APPS_PATH)
IN_USE = ('GET', '/users/u-unit/phoneNumbers?applicationId=a-1&size=1000')
CALL_URL = 'https://ivr.example.com/calls'
CREATE_PATH = '^/users/u-unit/applications$'
TASK = {'name': 'Support', 'incoming_call_url': CALL_URL}


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


# -- create and update -------------------------------------------------------------------------------------------------------------

def test_check_mode_create_reads_once_and_writes_nothing(catapult, expect):
    support(catapult, 'a-9', 'Other')
    expect(module, TASK, [LIST], check_mode=True, diff=True, changed=True, application__id=None, application__name='Support',
           application__incoming_call_url=CALL_URL, diff__before={'state': 'absent', 'name': 'Support'}, diff__after=view())
    assert list(catapult.apps()) == ['a-9']


def test_create_sends_the_given_fields_and_reads_the_application_back(catapult, requests_mock, expect):
    new_id = catapult.next_app_id()
    result = expect(module, {'name': 'Support', 'incomingCallUrl': CALL_URL, 'incoming_call_url_callback_timeout': 3000, 'callback_http_method': 'get',
                             'incoming_call_fallback_url': ''}, [LIST, CREATE, at(new_id)], diff=True, changed=True, application={
        'id': new_id, 'name': 'Support', 'incoming_call_url': CALL_URL, 'incoming_call_url_callback_timeout': 3000, 'incoming_call_fallback_url': None,
        'incoming_message_url': None, 'incoming_message_url_callback_timeout': None, 'incoming_message_fallback_url': None,
        'callback_http_method': 'get', 'auto_answer': True})
    assert requests_mock.request_history[1].json() == {'name': 'Support', 'incomingCallUrl': CALL_URL, 'incomingCallUrlCallbackTimeout': 3000,
                                                       'callbackHttpMethod': 'get'}
    assert result['diff']['after'] == view(incoming_call_url_callback_timeout=3000, callback_http_method='get')


def test_identical_rerun_reads_once_and_changes_nothing(catapult, rerun):
    support(catapult, incomingMessageUrl='https://sms.example.com', incomingMessageUrlCallbackTimeout=2000)
    for result in rerun(module, dict(TASK, incoming_message_url='https://sms.example.com', incoming_message_url_callback_timeout=2000,
                                     callback_http_method='post', auto_answer=True), [LIST], diff=True):
        assert result['diff']['before'] == result['diff']['after']


@pytest.mark.parametrize('resource, args', [
    # a server that leaves out callbackHttpMethod, autoAnswer and the timeouts when they were never set
    ({}, {'callback_http_method': 'post', 'auto_answer': True, 'incoming_call_url_callback_timeout': 10000, 'incoming_message_fallback_url': ''}),
    # values from the server in other spellings
    ({'callbackHttpMethod': 'GET', 'autoAnswer': 'false', 'incomingCallUrlCallbackTimeout': '4000'},
     {'callback_http_method': 'get', 'auto_answer': False, 'incoming_call_url_callback_timeout': 4000}),
])
def test_missing_fields_and_other_spellings_read_as_the_same_values(requests_mock, expect, resource, args):
    requests_mock.get(APPS, json=[dict({'id': 'a-1', 'name': 'Support', 'incomingCallUrl': CALL_URL}, **resource)])
    expect(module, dict(TASK, **args), [LIST], changed=False)


def test_update_sends_only_the_field_that_differs(catapult, requests_mock, expect):
    support(catapult, incomingCallFallbackUrl='https://old.example.com')
    args = {'name': 'Support', 'incoming_call_url': 'https://ivr2.example.com/calls', 'incoming_call_fallback_url': '', 'auto_answer': True}
    check = expect(module, args, [LIST], check_mode=True, diff=True, changed=True)
    requests_mock.reset_mock()
    expect(module, args, [LIST, at('a-1', 'POST')], diff=True, changed=True, diff__before=view(incoming_call_fallback_url='https://old.example.com'),
           diff__after=view(incoming_call_url='https://ivr2.example.com/calls'), application__incoming_call_url='https://ivr2.example.com/calls',
           application__incoming_call_fallback_url=None, application__id='a-1')
    assert check['diff']['after'] == view(incoming_call_url='https://ivr2.example.com/calls')
    assert check['diff']['before'] == view(incoming_call_fallback_url='https://old.example.com')
    assert requests_mock.request_history[1].json() == {'incomingCallUrl': 'https://ivr2.example.com/calls', 'incomingCallFallbackUrl': ''}
    assert catapult.app('a-1') == {'id': 'a-1', 'name': 'Support', 'incomingCallUrl': 'https://ivr2.example.com/calls', 'callbackHttpMethod': 'post',
                                   'autoAnswer': True}


# -- by ID, names, delete: (the account, the task, the requests sent, what the result holds, the applications left) --------------------

def several(catapult):
    support(catapult, 'a-1'), support(catapult, 'a-2', 'Sales'), support(catapult, 'a-3')


def in_use(catapult):
    support(catapult)
    catapult.add('+19195550100', application_id='a-1')
    catapult.add('+19195550101', application_id='a-1')


AMBIGUOUS = ("name 'Support' matches 2 applications on account u-unit (a-1, a-3), so it does not say which one is meant; set id to choose one, or "
             "rename or delete the others. Nothing was changed")
IN_USE_MSG = ('application a-1 (Support) is still used by 2 numbers on account u-unit (+19195550100, +19195550101), so it was not deleted. Point them '
              'at another application first, or set force to true to delete it anyway (the numbers would keep pointing at an application that no '
              'longer exists)')
ABSENT = {'name': 'Support', 'state': 'absent'}
SCENARIOS = [
    pytest.param(None, {'id': 'a-1', 'name': 'New', 'incoming_call_url': CALL_URL}, [at('a-1')], dict(failed=True, msg=(
        'application a-1 does not exist on account u-unit (GET /users/u-unit/applications/a-1 answered 404 application-not-found); an ID cannot be '
        'created: leave id out and give name to create the application')), {}, id='unknown-id-is-not-created'),
    pytest.param(support, {'id': 'a-1', 'incoming_call_url': ''}, [at('a-1')],
                 dict(failed=True, texts=['would be left without incoming_call_url and incoming_message_url']), {'a-1': 'Support'}, id='last-url'),
    pytest.param(lambda c: [support(c), c.fault('status', '/applications/a-1$', 'POST', status=400, code='validation-error', message='nope')],
                 dict(TASK, auto_answer=False), [LIST, at('a-1', 'POST')],
                 dict(failed=True, texts=['POST /users/u-unit/applications/a-1 returned HTTP 400 (validation-error): nope'], error__code='validation-error'),
                 {'a-1': 'Support'}, id='api-error-on-update'),
    pytest.param(several, TASK, [LIST], dict(failed=True, msg=AMBIGUOUS, error__application_ids=['a-1', 'a-3']),
                 {'a-1': 'Support', 'a-2': 'Sales', 'a-3': 'Support'}, id='ambiguous-name-present'),
    pytest.param(several, dict(TASK, state='absent'), [LIST], dict(failed=True, msg=AMBIGUOUS, error__application_ids=['a-1', 'a-3']),
                 {'a-1': 'Support', 'a-2': 'Sales', 'a-3': 'Support'}, id='ambiguous-name-absent'),
    pytest.param(lambda c: [support(c, 'a-1', 'support'), support(c, 'a-2', 'Support ')], dict(TASK, _check=True), [LIST],
                 dict(changed=True, application__id=None), {'a-1': 'support', 'a-2': 'Support '}, id='names-match-exactly'),
    pytest.param(lambda c: [support(c), c.add('+19195550100', application_id='a-9')], ABSENT, [LIST, IN_USE, at('a-1', 'DELETE')],
                 dict(changed=True, application__id='a-1', diff__before=view(), diff__after={'state': 'absent', 'name': 'Support'}), {},
                 id='delete-checks-the-numbers'),
    pytest.param(lambda c: [support(c), c.add('+19195550100', application_id='a-9')], dict(ABSENT, _check=True), [LIST, IN_USE],
                 dict(changed=True, application__id='a-1', diff__before=view(), diff__after={'state': 'absent', 'name': 'Support'}), {'a-1': 'Support'},
                 id='delete-checks-the-numbers-check-mode'),
    pytest.param(in_use, ABSENT, [LIST, IN_USE], dict(failed=True, msg=IN_USE_MSG, error__numbers_in_use=['+19195550100', '+19195550101']),
                 {'a-1': 'Support'}, id='delete-refused-in-use'),
    pytest.param(in_use, dict(ABSENT, _check=True), [LIST, IN_USE], dict(failed=True, msg=IN_USE_MSG), {'a-1': 'Support'},
                 id='delete-refused-in-use-check-mode'),
    pytest.param(in_use, {'id': 'a-1', 'state': 'absent', 'force': True}, [at('a-1'), at('a-1', 'DELETE')], dict(changed=True), {},
                 id='force-deletes-without-reading-the-numbers'),
    pytest.param(lambda c: support(c, 'a-2', 'Sales'), ABSENT, [LIST], dict(changed=False, application=None), {'a-2': 'Sales'}, id='absent-by-name'),
    pytest.param(lambda c: support(c, 'a-2', 'Sales'), {'id': 'a-1', 'state': 'absent'}, [at('a-1')], dict(changed=False, application=None),
                 {'a-2': 'Sales'}, id='absent-by-id'),
    pytest.param(lambda c: [support(c), c.fault('status_after', '/applications/a-1$', 'DELETE', status=502)], ABSENT,  # applied; the retry gets 404
                 [LIST, IN_USE, at('a-1', 'DELETE'), at('a-1', 'DELETE')], dict(changed=True), {}, id='delete-answer-lost'),
    pytest.param(support, {'id': 'a-1', 'auto_answer': True}, [at('a-1')], dict(changed=False), {'a-1': 'Support'}, id='an-id-task-needs-no-url'),
    pytest.param(None, ABSENT, [LIST], dict(changed=False), {}, id='absent-by-name-needs-no-url'),
]


@pytest.mark.parametrize('setup, args, sent, fields, left', SCENARIOS)
def test_by_id_by_name_and_delete(catapult, expect, setup, args, sent, fields, left):
    if setup:
        setup(catapult)
    args = dict(args)
    result = expect(module, args, sent, check_mode=args.pop('_check', False), diff=True, **fields)
    if 'diff' in result and not result['changed']:
        assert result['diff']['before'] == result['diff']['after']
    assert dict((app_id, app['name']) for app_id, app in catapult.apps().items()) == left


def test_numbers_of_another_application_do_not_block(catapult, requests_mock, expect):
    # a server that ignored the applicationId filter: the client checks each number itself
    support(catapult)
    requests_mock.get(NUMBERS, json=[{'id': 'n-1', 'number': '+19195550100', 'application': APPS + '/a-2'}])
    expect(module, ABSENT, [LIST, IN_USE, at('a-1', 'DELETE')], changed=True)


def test_by_id_renames_without_listing(catapult, requests_mock, expect):
    support(catapult, name='Old')
    expect(module, {'id': 'a-1', 'name': 'New'}, [at('a-1'), at('a-1', 'POST')], changed=True, application__name='New')
    assert requests_mock.request_history[1].json() == {'name': 'New'}
    assert catapult.app('a-1')['name'] == 'New'


# -- lost answers to a create ----------------------------------------------------------------------------------------------------------

def test_lost_create_answer_with_a_differing_field_is_updated_not_recreated(catapult, requests_mock, expect):
    new_id = catapult.next_app_id()
    catapult.fault('status_after', CREATE_PATH, 'POST', status=504)

    def landed_differently(request):  # the application landed with autoAnswer true (say, a server default)
        reply = catapult.answer(request)
        if request.method == 'POST' and request.path.endswith('/applications'):
            catapult.change_application(new_id, autoAnswer=True)
        return reply

    intercept(requests_mock, landed_differently)
    expect(module, dict(TASK, auto_answer=False), [LIST, CREATE, LIST, at(new_id, 'POST')], changed=True, application__auto_answer=False)
    assert requests_mock.request_history[3].json() == {'autoAnswer': False}
    assert list(catapult.apps()) == [new_id] and catapult.app(new_id)['autoAnswer'] is False


# (fault on the create, then the requests sent, or None: the create failed with the message)
CREATE_OUTCOMES = [
    ('answer lost, create landed', dict(action='drop_after'), lambda new_id: [LIST, CREATE, LIST], None),
    ('gateway error, create landed', dict(action='status_after', status=502), lambda new_id: [LIST, CREATE, LIST], None),
    ('503, nothing created', dict(action='status', status=503), lambda new_id: [LIST, CREATE, LIST, CREATE, at(new_id)], None),
    ('never lands', dict(action='status', status=503, count=0),
     lambda new_id: [LIST] + [CREATE, LIST] * 3, "'Support' was not on the account after 3 create attempts"),
    ('rejected', dict(action='status', status=400, code='missing-property', message='no'),
     lambda new_id: [LIST, CREATE], 'returned HTTP 400 (missing-property): no'),
    ('no Location header', None, lambda new_id: [LIST, CREATE, LIST], None),
]


@pytest.mark.parametrize('label, fault, sent, error', CREATE_OUTCOMES, ids=[o[0] for o in CREATE_OUTCOMES])
def test_a_create_is_sent_again_only_after_a_listing_shows_it_did_not_land(catapult, requests_mock, expect, label, fault, sent, error):
    new_id = catapult.next_app_id()
    if fault:
        catapult.fault(path=CREATE_PATH, method='POST', **fault)
    else:
        catapult.without_location(requests_mock, 'applications')
    expect(module, TASK, sent(new_id), failed=bool(error), texts=[error] if error else [], **({} if error else dict(changed=True, application__id=new_id)))
    assert list(catapult.apps()) == ([] if error else [new_id])


# -- validation before any request -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('args,message', [
    ({'name': 'Support'}, 'incoming_call_url or incoming_message_url is required: the application is identified by its name'),
    ({'name': 'Support', 'incoming_call_url': '', 'incoming_message_url': ''}, 'incoming_call_url and incoming_message_url cannot both be removed'),
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
    ({'name': 'Support', 'incoming_call_url': CALL_URL, 'callback_http_method': 'put'}, 'value of callback_http_method must be one of: get, post, got: put'),
    ({'name': ' ', 'incoming_call_url': CALL_URL}, 'name must not be empty'),
    ({'id': '', 'name': 'x'}, "id must be the ID of an application, such as a-ivr0123456789abcdefghij (not empty, no /); got ''"),
    ({'id': 'a-1/../a-2', 'state': 'absent'}, 'id must be the ID of an application'),
    ({'incoming_call_url': CALL_URL}, 'one of the following is required: name, id'),
])
def test_validation_fails_before_any_request(rejected, args, message):
    rejected(module, args, message)


def test_every_problem_is_reported_at_once(rejected):
    result = rejected(module, {'name': 'Support', 'incoming_call_url': 'nope', 'incoming_call_url_callback_timeout': 0, 'incoming_message_fallback_url': 'x'})
    for option in ('incoming_call_url must', 'incoming_call_url_callback_timeout must', 'incoming_message_fallback_url must'):
        assert result['msg'].count(option) == 1
