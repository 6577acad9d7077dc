# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The three info modules: catapult_application_info, catapult_available_number_info and catapult_phone_number_info.
They never change anything; every test asserts the exact requests sent."""

from __future__ import annotations

import json

import pytest

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_application_info as application_info
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_available_number_info as available_info
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_number_info as number_info
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, USER

APPS = API + '/users/' + USER + '/applications'
APPS_PATH = '/users/u-unit/applications'
SUPPORT = {'id': 'a-1', 'name': 'Support', 'incomingCallUrl': 'https://ivr.example.com/calls', 'callbackHttpMethod': 'post', 'autoAnswer': True}
SALES = {'id': 'a-2', 'name': 'Sales', 'incomingMessageUrl': 'https://sms.example.com', 'incomingMessageUrlCallbackTimeout': 3000,
         'callbackHttpMethod': 'get', 'autoAnswer': False}
SUPPORT_TOO = {'id': 'a-3', 'name': 'Support', 'incomingCallUrl': 'https://other.example.com/calls'}
PAGES = [('GET', APPS_PATH + '?size=1000'), ('GET', APPS_PATH + '?page=1&size=1000')]
LOCAL = API + '/availableNumbers/local'
TOLL_FREE = API + '/availableNumbers/tollFree'
RALEIGH = {'number': '+19195550100', 'nationalNumber': '(919) 555-0100', 'city': 'RALEIGH', 'state': 'NC', 'lata': '426', 'rateCenter': 'RALEIGH',
           'price': '0.35'}
FLOWER = {'number': '+18003569377', 'nationalNumber': '(800) 356-9377', 'patternMatch': '        9377', 'price': '2.00'}
A = {'id': 'n-a', 'number': '+19195550101', 'name': 'IVR', 'applicationId': 'a-ivr', 'numberState': 'enabled', 'city': 'RALEIGH'}
B = {'id': 'n-b', 'number': '+19195550100', 'numberState': 'enabled', 'fallbackNumber': '+19195550199'}
GONE = {'id': 'n-c', 'number': '+19195550102', 'numberState': 'released'}


def rows(module, *table):
    return [pytest.param(module, args, text, id='%s-%d' % (module.__name__.rsplit('.', 1)[-1], i)) for i, (args, text) in enumerate(table)]


@pytest.mark.parametrize('module, args, text', rows(application_info, *[
    ({'id': ''}, 'id must be the ID of an application'),
    ({'id': 'a-1/x'}, 'id must be the ID of an application'),
    ({'id': 'a-1', 'name': 'x'}, 'parameters are mutually exclusive: name|id'),
]) + rows(number_info, *[
    ({'number': 'front desk'}, 'number must be an E.164 phone number'),
    ({'number': '+19195550101', 'name': 'IVR'}, 'mutually exclusive'),  # a number and filters
]) + rows(available_info, *[  # the rules it shares with catapult_local_number_order: test_catapult_local_number_order.py
    (dict(state='NC', pattern='919-55*'), 'pattern may contain only letters, digits'),
    (dict(state='NC', quantity=0), 'quantity must be between 1 and 5000; got 0'),
    (dict(state='NC', quantity=5001), 'quantity must be between 1 and 5000; got 5001'),
    (dict(type='toll_free', pattern='8#8'), 'pattern may contain only letters, digits'),
    (dict(type='toll_free', quantity=5001), 'quantity must be between 1 and 5000'),
    (dict(type='toll_free', state='NC', area_code='800'), 'state, area_code can only be used with type=local'),
]))
def test_bad_options_fail_naming_the_option_before_any_request(rejected, module, args, text):
    rejected(module, args, text)


# -- catapult_application_info: every page, by name, by id; the role format -----------------------------------------------------------

@pytest.fixture
def pages(requests_mock):
    requests_mock.get(APPS + '?size=1000', json=[SUPPORT, SALES],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first", <%s?page=1&size=1000>; rel="next"' % (APPS, APPS)})
    requests_mock.get(APPS + '?page=1&size=1000', json=[SUPPORT_TOO], headers={'Link': '<%s?page=0&size=1000>; rel="first"' % APPS})


def test_applications_every_page_and_the_role_format(pages, expect):
    result = expect(application_info, {}, PAGES, changed=False, applications__1={
        'id': 'a-2', 'name': 'Sales', 'incoming_call_url': None, 'incoming_call_url_callback_timeout': None, 'incoming_call_fallback_url': None,
        'incoming_message_url': 'https://sms.example.com', 'incoming_message_url_callback_timeout': 3000, 'incoming_message_fallback_url': None,
        'callback_http_method': 'get', 'auto_answer': False}, catapult_applications=[
        {'name': 'Sales', 'incoming_message_url': 'https://sms.example.com', 'incoming_message_url_callback_timeout': 3000,
         'callback_http_method': 'get', 'auto_answer': False},
        {'name': 'Support', 'incoming_call_url': 'https://ivr.example.com/calls', 'callback_http_method': 'post', 'auto_answer': True},
        {'name': 'Support', 'incoming_call_url': 'https://other.example.com/calls'}])
    assert [app['id'] for app in result['applications']] == ['a-1', 'a-2', 'a-3']


@pytest.mark.parametrize('name, ids', [('Support', ['a-1', 'a-3']), ('support', [])], ids=['every-one-of-that-name', 'names-match-exactly'])
def test_applications_by_name(pages, expect, name, ids):
    result = expect(application_info, {'name': name}, PAGES, check_mode=True, changed=False)
    assert [app['id'] for app in result['applications']] == ids and len(result['catapult_applications']) == len(ids)


def test_applications_by_id(requests_mock, expect):
    requests_mock.get(APPS + '/a-2', json=SALES)
    requests_mock.get(APPS + '/a-9', status_code=404, json={'code': 'application-not-found', 'message': 'nope'})
    assert [app['name'] for app in expect(application_info, {'id': ' a-2 '}, [('GET', APPS_PATH + '/a-2')])['applications']] == ['Sales']
    requests_mock.reset_mock()
    expect(application_info, {'id': 'a-9'}, [('GET', APPS_PATH + '/a-9')], applications=[])


def test_applications_a_list_that_is_not_json_is_an_error(requests_mock, expect):
    requests_mock.get(APPS, text='<html>maintenance</html>', headers={'Content-Type': 'text/html'})
    expect(application_info, {}, [('GET', APPS_PATH + '?size=1000')], failed=True, texts=['not the JSON expected'])


# -- catapult_available_number_info -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('options, query', [
    (dict(state='nc'), 'state=NC&quantity=10'),
    (dict(city=' raleigh ', state='NC', quantity=2), 'city=raleigh&state=NC&quantity=2'),
    (dict(zip='27601'), 'zip=27601&quantity=10'),
    (dict(area_code='919'), 'areaCode=919&quantity=10'),
    (dict(areaCode='919', localNumber='5551'), 'areaCode=919&localNumber=5551&quantity=10'),
    (dict(area_code='919', local_number='555', in_local_calling_area=True), 'areaCode=919&localNumber=555&inLocalCallingArea=true&quantity=10'),
    (dict(area_code='919', local_number='555', inLocalCallingArea=False), 'areaCode=919&localNumber=555&quantity=10'),
    (dict(state='NC', pattern='*2?9*'), 'state=NC&pattern=%2A2%3F9%2A&quantity=10'),
])
def test_local_criteria_become_the_documented_query(expect, requests_mock, options, query):
    requests_mock.get(LOCAL, json=[RALEIGH])
    expect(available_info, options, [('GET', '/availableNumbers/local?' + query)], changed=False, available_numbers=[{
        'number': '+19195550100', 'national_number': '(919) 555-0100', 'pattern_match': None, 'city': 'RALEIGH', 'lata': '426',
        'rate_center': 'RALEIGH', 'state': 'NC', 'price': '0.35'}])


@pytest.mark.parametrize('options, query, found', [
    (dict(pattern='*FLOWER', quantity=3), 'pattern=%2AFLOWER&quantity=3', [{
        'number': '+18003569377', 'national_number': '(800) 356-9377', 'pattern_match': '        9377', 'city': None, 'lata': None,
        'rate_center': None, 'state': None, 'price': '2.00'}]),
    ({}, 'quantity=10', []),  # without a pattern only the quantity is sent
], ids=['pattern', 'no-pattern'])
def test_toll_free(expect, requests_mock, options, query, found):
    requests_mock.get(TOLL_FREE, json=[FLOWER] if found else [])
    expect(available_info, dict(options, type='toll_free'), [('GET', '/availableNumbers/tollFree?' + query)], changed=False, available_numbers=found)


@pytest.mark.parametrize('check_mode', [False, True])
def test_never_changes_and_runs_the_same_in_check_mode(expect, requests_mock, check_mode):
    requests_mock.get(LOCAL, json=[RALEIGH, RALEIGH])
    result = expect(available_info, dict(state='NC', quantity=2), [('GET', '/availableNumbers/local?state=NC&quantity=2')], check_mode=check_mode,
                    diff=True, changed=False)
    assert len(result['available_numbers']) == 2 and 'diff' not in result


def test_api_error_names_the_call_and_never_the_secret(catapult, expect):
    # the emulator answers a city it does not know with the documented 403 invalid-rate-center
    result = expect(available_info, dict(city='X', state='NC'), [('GET', '/availableNumbers/local?city=X&state=NC&quantity=10')], failed=True,
                    texts=['GET /availableNumbers/local', '403', 'invalid-rate-center'], error__status=403)
    assert SECRET not in json.dumps(result)


# -- catapult_phone_number_info ---------------------------------------------------------------------------------------------------------

def test_numbers_every_page_and_the_role_format(requests_mock, expect):
    requests_mock.get(NUMBERS, [{'json': [A], 'headers': {'Link': '<%s?page=1&size=1000>; rel="next"' % NUMBERS}}, {'json': [B, GONE]}])
    result = expect(number_info, {}, [('GET', '/users/u-unit/phoneNumbers?size=1000'), ('GET', '/users/u-unit/phoneNumbers?page=1&size=1000')],
                    check_mode=True, changed=False, phone_numbers__0__application_id='a-ivr', catapult_phone_numbers=[
                        {'number': '+19195550100', 'fallback_number': '+19195550199'}, {'number': '+19195550101', 'name': 'IVR', 'application_id': 'a-ivr'}])
    assert [r['id'] for r in result['phone_numbers']] == ['n-a', 'n-b']


def test_numbers_filters_use_the_api_names(requests_mock, run_ok):
    requests_mock.get(NUMBERS, json=[GONE])
    result = run_ok(number_info, {'name': 'IVR', 'state': 'nc', 'application_id': 'a-ivr', 'city': 'RALEIGH', 'number_state': 'released'})
    assert requests_mock.last_request.qs == {'name': ['ivr'], 'state': ['nc'], 'applicationid': ['a-ivr'], 'city': ['raleigh'],
                                             'numberstate': ['released'], 'size': ['1000']}
    assert requests_mock.last_request.url.count('state=NC') == 1
    assert result['phone_numbers'][0]['number_state'] == 'released' and result['catapult_phone_numbers'] == []


@pytest.mark.parametrize('args, path', [({'number': '+1 919 555 0101'}, '/%2B19195550101'), ({'id': 'n-a'}, '/n-a'), ({'id': ' n-a '}, '/n-a')],
                         ids=['number', 'id', 'id-without-blanks'])
def test_one_number(requests_mock, expect, args, path):
    requests_mock.get(NUMBERS + path, json=A)
    result = expect(number_info, args, [('GET', '/users/u-unit/phoneNumbers' + path)])
    assert [(r['id'], r['number']) for r in result['phone_numbers']] == [('n-a', '+19195550101')]


def test_one_missing_number_is_an_empty_list(requests_mock, expect):
    requests_mock.get(NUMBERS + '/%2B19195550101', status_code=404, json={'code': 'number-not-found', 'message': 'x'})
    expect(number_info, {'number': '+19195550101'}, [('GET', '/users/u-unit/phoneNumbers/%2B19195550101')], phone_numbers=[], catapult_phone_numbers=[])


@pytest.mark.parametrize('value', ['', '   ', 'n-a/b'])
def test_empty_or_bad_number_id_fails_naming_the_option_before_any_request(rejected, value):
    assert rejected(number_info, {'id': value}, repr(value))['msg'].startswith('id must be the ID of a number')
