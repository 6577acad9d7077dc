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
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import ALLOCATE, NUMBERS, SECRET, TOKEN, app_call, number_call

APPLICATIONS = ('a-1',)
NUM = '+19195550100'
GET = ('GET', '/users/u-unit/phoneNumbers/%2B19195550100')
ALLOCATE_PATH = '^/users/u-unit/phoneNumbers$'
ABSENT = {'number': NUM, 'state': 'absent'}


def test_allocates_a_missing_number_with_its_fields(catapult, requests_mock, expect):
    new_id = catapult.next_ids(1)[0]
    expect(module, {'number': '+1 (919) 555-0100', 'name': 'Support', 'application_id': 'a-1'}, [GET, app_call('a-1'), ALLOCATE, number_call(new_id)],
           changed=True, phone_number__id=new_id, phone_number__application_id='a-1', phone_number__national_number='(919) 555-0100')
    assert requests_mock.request_history[2].json() == {'number': NUM, 'name': 'Support', 'applicationId': 'a-1'}


def test_matching_number_is_left_alone(requests_mock, expect):
    # the application only as the URL of the resource (no applicationId) is the same application
    requests_mock.get(NUMBERS + '/%2B19195550100', json={'id': 'n-0100', 'number': NUM, 'numberState': 'enabled', 'name': 'Support',
                                                         'fallbackNumber': '+19195550199', 'application': 'https://api.test/v1/users/u-unit/applications/a-1'})
    expect(module, {'number': NUM, 'name': 'Support', 'application_id': 'a-1', 'fallback_number': '+1 919 555 0199'}, [GET], changed=False)


@pytest.mark.parametrize('current, task, sent', [
    (dict(name='Old', application_id='a-1'), dict(name='New', application_id='a-1'), {'name': 'New'}),
    (dict(application_id='a-1'), dict(application_id=''), {'applicationId': ''}),  # '' detaches
])
def test_updates_only_the_field_that_differs(catapult, requests_mock, expect, current, task, sent):
    number = catapult.add(NUM, **current)
    result = expect(module, dict(task, number=NUM), [GET, number_call(number['id'], 'POST')], diff=True, changed=True,
                    diff__before__name=current.get('name', ''))
    assert requests_mock.request_history[1].json() == sent
    for option, value in task.items():
        assert result['phone_number'][option] == (value or None)
        assert result['diff']['after'][option] == value
        assert catapult.record(NUM)['applicationId' if option == 'application_id' else option] == (value or None)


def test_check_mode_reads_but_never_writes(catapult, requests_mock, expect):
    expect(module, {'number': NUM, 'name': 'Support'}, [GET], check_mode=True, diff=True, changed=True, phone_number__number=NUM, phone_number__id=None,
           diff__before={'number': NUM, 'state': 'absent'},
           diff__after={'number': NUM, 'state': 'present', 'name': 'Support', 'application_id': '', 'fallback_number': ''})
    catapult.add(NUM, name='Old')
    requests_mock.reset_mock()
    expect(module, {'number': NUM, 'name': 'New'}, [GET], check_mode=True, changed=True, phone_number__name='New')
    assert catapult.record(NUM)['name'] == 'Old'


def released(catapult, released_as):
    catapult.configure(released_as=released_as)  # a released number reads as 404, or as itself in state released
    catapult.add(NUM)
    catapult.record(NUM)['numberState'] = 'released'


def lost_delete(status):
    def setup(catapult):  # the DELETE is applied but answered 502/504 (a gateway); the retry gets 404: the task did release it
        gone = catapult.add(NUM, name='Gone')
        catapult.fault('status_after', '/phoneNumbers/' + gone['id'], 'DELETE', status=status)
    return setup


@pytest.mark.parametrize('setup, args, sent, fields', [
    (lambda c: c.add(NUM, name='Support'), ABSENT, [GET, number_call('{id}', 'DELETE')],
     dict(changed=True, phone_number__number_state='released', diff__after=ABSENT)),
    (lambda c: released(c, '404'), ABSENT, [GET], dict(changed=False, phone_number=None)),
    (lambda c: released(c, 'released'), ABSENT, [GET], dict(changed=False, phone_number=None)),
    (lost_delete(502), ABSENT, [GET] + [number_call('{id}', 'DELETE')] * 2, dict(changed=True, phone_number__number_state='released')),
    (lost_delete(504), ABSENT, [GET] + [number_call('{id}', 'DELETE')] * 2, dict(changed=True, phone_number__number_state='released')),
    (lambda c: c.fault('drop_after', ALLOCATE_PATH, 'POST'), {'number': NUM, 'name': 'Support'}, [GET, ALLOCATE, GET],  # the order did land
     dict(changed=True)),
    (lambda c: c.keep_stock(), {'number': NUM}, [GET, ALLOCATE], dict(failed=True, error__status=404, error__code='number-not-found', msg=(
        'Catapult API error: POST /users/u-unit/phoneNumbers returned HTTP 404 (number-not-found): The number +19195550100 could not be found'))),
    (lambda c: c.fault('status', '/applications/a-1$', 'GET', status=403, message='not yours'), {'number': NUM, 'application_id': 'a-1'},
     [GET, app_call('a-1')], dict(failed=True, texts=['HTTP 403', '/applications/a-1'])),  # an application check that errors: no write
], ids=['release', 'absent-reads-404', 'absent-reads-released', 'release-answer-lost-502', 'release-answer-lost-504', 'order-answer-lost',
        'unavailable-number', 'application-check-error'])
def test_release_lost_answers_and_errors(catapult, expect, setup, args, sent, fields):
    setup(catapult)
    number_id = catapult.record(NUM)['id'] if catapult.numbers() + catapult.released() else None
    expect(module, args, [(method, path.replace('{id}', str(number_id))) for method, path in sent], diff=True, **fields)
    assert [(n['number'], n.get('name')) for n in catapult.numbers()] == ([(NUM, args['name'])] if 'name' in args else [])


@pytest.mark.parametrize('fault', [
    dict(status=503, code='number-allocator-unavailable', message='down'),
    dict(status=429, retry_after=3),  # the order waits the Retry-After, then is sent again
])
def test_order_is_sent_again_only_after_a_read_shows_it_did_not_land(catapult, expect, no_sleep, fault):
    new_id = catapult.next_ids(1)[0]
    catapult.fault('status', ALLOCATE_PATH, 'POST', **fault)
    read = [] if fault['status'] == 429 else [GET]
    expect(module, {'number': NUM}, [GET, ALLOCATE] + read + [ALLOCATE, number_call(new_id)], changed=True)
    assert read or (no_sleep and 2.5 < no_sleep[0] <= 3.0)
    assert len(catapult.numbers()) == 1


def test_duplicate_answer_adopts_the_number(catapult, requests_mock, expect):
    def allocated_meanwhile(request):  # another task allocates the number between our read and our order
        if request.method == 'POST' and not catapult.numbers():
            catapult.add(NUM, name='Support')

    intercept(requests_mock, allocated_meanwhile)
    expect(module, {'number': NUM, 'name': 'Support'}, [GET, ALLOCATE, GET], changed=True)
    assert len(catapult.numbers()) == 1


@pytest.mark.parametrize('args, fragment', [
    ({'number': '9195550100'}, 'number must be an E.164 phone number'),
    ({'number': '+1919555010O'}, 'number must be an E.164 phone number'),
    ({'number': NUM, 'fallback_number': 'call me'}, 'fallback_number must be an E.164 phone number'),
    ({'number': NUM, 'numbers': [{'number': NUM}]}, 'Unsupported parameters'),
])
def test_bad_input_fails_before_any_request(rejected, args, fragment):
    rejected(module, args, fragment)


def test_wrong_credentials_give_a_clear_error_without_the_secret(catapult, expect):
    result = expect(module, {'number': NUM, 'api_secret': SECRET + '-wrong'}, [GET], failed=True, texts=['HTTP 401', 'api_secret'])
    assert SECRET not in json.dumps(result) and TOKEN not in json.dumps(result)


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('current', [None, 'a-1'])
def test_unknown_application_fails_before_ordering_or_updating(catapult, expect, check_mode, current):
    if current:
        catapult.add(NUM, application_id=current)
    expect(module, {'number': NUM, 'name': 'Support', 'application_id': 'a-nope'}, [GET, app_call('a-nope')], failed=True, check_mode=check_mode, msg=(
        'application_id a-nope does not exist on account u-unit (GET /users/u-unit/applications/a-nope answered 404 application-not-found); '
        'nothing was ordered or changed'))
