"""Tests of the Catapult emulator (tests/emulator/catapult_emulator.py). The API, its errors, the fault rules
and the control API run in-process through ``Emulator.serve()`` and ``control()`` (what the listener calls);
what only the listener does (connections, bytes on the wire, header rewriting, the foreign origin,
latency, paths outside /v1, the launcher and the command line) runs over real HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qsl

import pytest
import requests


ID_RE = re.compile(r'^n-[a-z2-7]{23}$')
APP_ID_RE = re.compile(r'^a-[a-z2-7]{23}$')
BASE, OTHER = 'http://emu.test/v1', ('T2', 'S2')  # conftest's Api: its root URL, u-other's credentials
TIME_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
N, A = '/users/u-demo/phoneNumbers', '/users/u-demo/applications'
LOCAL, TOLL_FREE = '/availableNumbers/local', '/availableNumbers/tollFree'
NUM = '+19195550100'
SEEDED = [dict(id=app_id, name=name, incomingCallUrl='https://callbacks.example.com/%s/calls' % app_id, callbackHttpMethod='post',
               autoAnswer=True) for app_id, name in (('a-demo-support', 'Demo support'), ('a-demo-ivr', 'Demo IVR'), ('a-demo-sales', 'Demo sales'))]
FULL_APP = {
    'name': 'Support', 'incomingCallUrl': 'https://cb.example.com/calls', 'incomingCallUrlCallbackTimeout': 5000,
    'incomingCallFallbackUrl': 'https://fallback.example.com/calls', 'incomingMessageUrl': 'http://cb.example.com:8080/messages',
    'incomingMessageUrlCallbackTimeout': 1, 'incomingMessageFallbackUrl': 'https://fallback.example.com/messages',
    'callbackHttpMethod': 'GET', 'autoAnswer': False,
}


def assert_error(answer, status, code, message=None):
    """A Catapult error: its four keys, the request in its details."""
    assert answer.status == status, answer.text
    body = answer.json()
    assert body['code'] == code and set(body) == {'category', 'code', 'message', 'details'}, body
    assert {'requestMethod', 'requestPath', 'remoteAddress'} <= {d['name'] for d in body['details']}
    assert message is None or body['message'] == message, body
    return body


def detail(body, name):
    return [d['value'] for d in body['details'] if d['name'] == name][0]


def created(answer, collection):
    """The id at the end of the absolute Location of a 201 with an empty body and no Content-Type."""
    assert answer.status == 201 and answer.content == b'' and 'Content-Type' not in answer.headers, answer.text
    prefix = BASE + '/users/u-demo/%s/' % collection
    assert answer.headers['Location'].startswith(prefix)
    return answer.headers['Location'][len(prefix):]


def listed(api, path=N, key='number', **params):
    answer = api('GET', path, params)
    assert answer.status == 200, answer.text
    return [item[key] for item in answer.json()]


def follow_pages(api, path, params, key):
    """Every page of a list call, following its Link rel="next": ([[item[key]...] a page], [Link header a page])."""
    pages, links = [], []
    while True:
        answer = api('GET', path, params)
        pages.append([item[key] for item in answer.json()])
        links.append(answer.headers['Link'])
        match = re.search(r'<([^>]+)>; rel="next"', links[-1])
        if not match:
            return pages, links
        path, _sep, query = match.group(1)[len(BASE):].partition('?')
        params = parse_qsl(query)


# --------------------------------------------------------------------------- errors: one table

HAS = (('POST', N, {'number': NUM}),)
RELEASED = HAS + (('DELETE', N + '/%2B19195550100', None),)
THEIRS = (('ctl', 'applications', {'user_id': 'u-other', 'id': 'a-theirs', 'name': 'Theirs'}),)
MADE = (('POST', A, FULL_APP),)
GONE = MADE + (('DELETE', A + '/{app}', None),)
DENIED = 'User u-demo does not have permission to use application a-theirs'
REQUIRED, URL_RULE, STRING = 'is required but was not specified', 'must be an absolute http or https URL', 'must be a string'
TIMEOUT_RULE, METHOD_RULE = 'must be an integer number of milliseconds from 1 to 10000', 'must be one of the following values: get, post'
X = 'https://x.example.com'
CALL_OR_MESSAGE = "incomingCallUrl' or 'incomingMessageUrl"
# (body, the property the answer names, its rule): 400 missing-property for REQUIRED, validation-error otherwise
APP_CREATE_ERRORS = [
    ({'incomingCallUrl': X}, 'name', REQUIRED), ({'name': '', 'incomingCallUrl': X}, 'name', REQUIRED), ({'name': 'x'}, CALL_OR_MESSAGE, REQUIRED),
    ({'name': 'x', 'incomingCallUrl': '', 'incomingCallFallbackUrl': 'https://f.example.com'}, CALL_OR_MESSAGE, REQUIRED),
    ({'name': 7, 'incomingCallUrl': X}, 'name', STRING), ({'name': '  ', 'incomingCallUrl': X}, 'name', 'must not be empty'),
    ({'name': 'x', 'incomingMessageUrl': 'https://'}, 'incomingMessageUrl', URL_RULE),
    ({'name': 'x', 'incomingMessageUrl': 'https://a b.example.com'}, 'incomingMessageUrl', URL_RULE),
] + [({'name': 'x', 'incomingCallUrl': url}, 'incomingCallUrl', URL_RULE) for url in ('/calls', 'ftp://x.example.com/c', X + ':99999/')] + [
    ({'name': 'x', 'incomingCallUrl': X, prop: value}, prop, rule) for prop, value, rule in (
        ('incomingCallFallbackUrl', 'fallback', URL_RULE), ('incomingMessageFallbackUrl', 3, STRING),
        ('incomingCallUrlCallbackTimeout', 0, TIMEOUT_RULE), ('incomingCallUrlCallbackTimeout', 10001, TIMEOUT_RULE),
        ('incomingMessageUrlCallbackTimeout', '5000', TIMEOUT_RULE), ('incomingMessageUrlCallbackTimeout', 2.5, TIMEOUT_RULE),
        ('incomingMessageUrlCallbackTimeout', True, TIMEOUT_RULE), ('callbackHttpMethod', 'put', METHOD_RULE),
        ('callbackHttpMethod', '', METHOD_RULE), ('autoAnswer', 'yes', 'must be true or false'))]
SEARCH, CITY_WITH = 'invalid-available-number-search', 'A query cannot combine City with Area Code or Local Number.'
STATE_ZIP_OR_AREA, AREA_CODE = 'Specify a State ZIP Code or Area Code with your query.', 'An Area Code must be 3 digits.'
SEARCH_ERRORS = [
    ({'city': 'Raleigh'}, 'For searching by City the State is also required.'), ({}, STATE_ZIP_OR_AREA), ({'localNumber': '555'}, STATE_ZIP_OR_AREA),
    ({'city': 'Raleigh', 'state': 'NC', 'zip': '27601'}, 'A query cannot combine City with ZIP Code.'),
    ({'city': 'Raleigh', 'state': 'NC', 'areaCode': '919'}, CITY_WITH), ({'city': 'Raleigh', 'state': 'NC', 'localNumber': '555'}, CITY_WITH),
    ({'zip': '27601', 'state': 'NC', 'areaCode': '919'}, 'A query cannot combine ZIP Code and State with Area Code or Local Number.'),
    ({'zip': '27601', 'areaCode': '919'}, 'A query cannot combine ZIP Code with Area Code or Local Number.'),
    ({'zip': '27601', 'state': 'NC'}, 'A query cannot combine ZIP Code with State.'),
    ({'state': 'NC', 'areaCode': '919'}, 'A query cannot combine State with Area Code or Local Number.'),
    ({'areaCode': '91'}, AREA_CODE), ({'areaCode': '9190'}, AREA_CODE),
    ({'areaCode': '919', 'localNumber': '55'}, 'Local Number must contains at least 3 digits.'),
    ({'areaCode': '919', 'localNumber': '55555'}, 'localNumber must contain a maximum of 4 digits'),
    ({'areaCode': '919', 'inLocalCallingArea': 'true'}, 'inLocalCallingArea can only be used with localNumber.'),
    ({'state': 'NC', 'quantity': '5001'}, 'The maximum quantity of numbers is 5000'),
    ({'state': 'NC', 'pattern': '91-9'}, 'A pattern may contain only letters, digits and the wildcards ? and *.'),
]
CAP, QUANTITY = 'The maximum quantity of numbers searching and ordering is %d', 'Quantity must be greater than zero.'
NOT_FOUND, APP_NOT_FOUND = 'number-not-found', 'application-not-found'
# ((method, path, params, body), status, code, message or None, the requests made first)
ERRORS = [
    (('POST', N, None, {'number': NUM}), 409, 'duplicate-number', None, HAS),
    (('POST', N, None, {'number': '+19195550099'}), 404, NOT_FOUND, 'The number +19195550099 could not be found', ()),
    (('POST', N, None, {'number': '+19195550102'}), 404, NOT_FOUND, None, (('POST', '/users/u-other/phoneNumbers', {'number': '+19195550102'}, OTHER),)),
    (('POST', N, None, {'number': '9195550103'}), 400, 'validation-error', 'Invalid phone number', ()),
    (('POST', N, None, {'number': '+19195550103', 'fallbackNumber': '12'}), 400, 'validation-error', 'Invalid phone number', ()),
    (('POST', N, None, {'name': 'x'}), 400, 'missing-property', None, ()),
    (('POST', N, None, {'number': '+19195550103', 'applicationId': 'a-nope'}), 404, APP_NOT_FOUND, None, ()),
    (('POST', N, None, {'number': '+19195550103', 'applicationId': 'a-theirs'}), 403, 'application-access-denied', DENIED, THEIRS),
    (('POST', N, None, b'{not json'), 400, 'validation-error', None, ()),
    (('POST', N + '/{id}', None, {'applicationId': 'a-nope'}), 404, APP_NOT_FOUND, None, HAS),
    (('POST', N + '/{id}', None, {'fallbackNumber': 'x'}), 400, 'validation-error', None, HAS),
    (('POST', N + '/n-aaaaaaaaaaaaaaaaaaaaaaa', None, {'name': 'x'}), 404, NOT_FOUND, None, ()),
    # released_as 404 (the default): a released number is gone, and cannot be added back
    (('GET', N + '/{id}'), 404, NOT_FOUND, None, RELEASED), (('GET', N + '/%2B19195550100'), 404, NOT_FOUND, None, RELEASED),
    (('DELETE', N + '/{id}'), 404, NOT_FOUND, None, RELEASED), (('POST', N + '/{id}', None, {'name': 'x'}), 404, NOT_FOUND, None, RELEASED),
    (('POST', N, None, {'number': NUM}), 404, NOT_FOUND, None, RELEASED),
    (('GET', N, {'numberState': 'gone'}), 400, 'validation-error', None, ()), (('GET', N, {'size': 1001}), 400, 'validation-error', None, ()),
    (('GET', A, {'size': 1001}), 400, 'validation-error', 'The application resource property size exceeds the limit of 1000', ()),
    (('GET', '/users/u-other/phoneNumbers'), 401, 'user-access-denied', 'User u-demo does not have permission to access user u-other', ()),
    (('GET', '/users/u-other/applications'), 401, 'user-access-denied', None, ()),
    (('GET', '/nope'), 404, 'resource-not-found', 'The requested resource could not be found.', ()),
    (('PUT', N), 405, 'method-not-allowed', 'The method PUT is not allowed on this resource.', ()),
    (('GET', A + '/a-nope'), 404, APP_NOT_FOUND, 'The application a-nope could not be found', ()),
    (('GET', A + '/a-theirs'), 403, 'application-access-denied', DENIED, THEIRS),
    (('POST', A + '/a-theirs', None, {'name': 'Mine'}), 403, 'application-access-denied', DENIED, THEIRS),
    (('DELETE', A + '/a-theirs'), 403, 'application-access-denied', DENIED, THEIRS),
    # a partial update checks everything before it changes anything
    (('POST', A + '/{app}', None, {'incomingMessageUrl': ''}), 400, 'missing-property', None, MADE + (('POST', A + '/{app}', {'incomingCallUrl': ''}),)),
    (('POST', A + '/{app}', None, {'name': ''}), 400, 'validation-error', None, MADE),
    (('POST', A + '/{app}', None, {'name': 'ok', 'incomingCallUrlCallbackTimeout': 20000}), 400, 'validation-error', None, MADE),
    (('POST', A + '/{app}', None, {'name': 'ok', 'incomingCallUrl': 'not a url'}), 400, 'validation-error', None, MADE),
    (('POST', A + '/{app}', None, b'[1]'), 400, 'validation-error', None, MADE),
    (('POST', A + '/a-nope', None, {'name': 'x'}), 404, APP_NOT_FOUND, None, ()),
    (('GET', A + '/{app}'), 404, APP_NOT_FOUND, 'The application {app} could not be found', GONE),
    (('DELETE', A + '/{app}'), 404, APP_NOT_FOUND, None, GONE), (('POST', A + '/{app}', None, {'name': 'x'}), 404, APP_NOT_FOUND, None, GONE),
    (('POST', N, None, {'number': '+19195550102', 'applicationId': '{app}'}), 404, APP_NOT_FOUND, None, GONE),
    (('GET', A + '/a-demo-ivr'), 404, APP_NOT_FOUND, None, (('DELETE', A + '/a-demo-ivr', None),)),
    (('POST', LOCAL, {'city': 'Raleigh'}), 400, SEARCH, None, ()),
    (('POST', LOCAL, {'state': 'CO', 'quantity': 11}), 400, SEARCH + '-order', CAP % 10, (('ctl', 'config', {'order_cap': 10}),)),
    (('POST', LOCAL, {'state': 'CO', 'quantity': 5001}), 400, SEARCH + '-order', CAP % 5000, ()),
    (('POST', LOCAL, {'areaCode': '206', 'pattern': '*0043', 'quantity': 1}), 400, SEARCH + '-order',
     'A query and order numbers cannot contain pattern', (('ctl', 'config', {'pattern_on_order': 'reject'}),)),
    # partial_fulfilment none (the default): 12 wanted, 10 match: none allocated
    (('POST', LOCAL, {'areaCode': '919', 'localNumber': '5552', 'pattern': '919555259?', 'quantity': 12}), 404,
     'order-number-quantity-unavailable', 'Only a partial quantity of the total telephone numbers ordered could be fulfilled.', ()),
    (('POST', TOLL_FREE, {'quantity': 11}), 400, SEARCH + '-order', CAP % 10, ()),
    (('GET', LOCAL, {'state': 'NC', 'quantity': '0'}), 400, 'validation-error', QUANTITY, ()),
    (('GET', LOCAL, {'state': 'NC', 'quantity': '-1'}), 400, 'validation-error', QUANTITY, ()),
    (('GET', LOCAL, {'zip': '99999'}), 400, 'invalid-zip-code', 'The ZIP code 99999 did not map to a location where telephone numbers are available', ()),
    (('GET', LOCAL, {'state': 'NC', 'city': 'Nowhere'}), 403, 'invalid-rate-center', 'The city NOWHERE in the state NC was not found', ()),
    (('GET', LOCAL, {'state': 'ZZ'}), 403, 'invalid-rate-center', None, ()),
] + [(('GET', LOCAL, params), 400, SEARCH, message, ()) for params, message in SEARCH_ERRORS] + [
    (('POST', A, None, body), 400, 'missing-property' if rule == REQUIRED else 'validation-error',
     "The 'application' resource property '%s' %s" % (prop, rule), ()) for body, prop, rule in APP_CREATE_ERRORS] + [
    (('POST', A, None, data), 400, 'validation-error', 'Bad parameters', ()) for data in (b'[]', b'"x"', b'{not json', b'')]


def fill(value, names):
    """``value`` (a string, or JSON-able) with {id} (the first number's id) and {app} (the first application created) filled in."""
    return value if value is None or isinstance(value, bytes) else json.loads(json.dumps(value).replace('{id}', names['id']).replace('{app}', names['app']))


@pytest.mark.parametrize('request_,status,code,message,prep', ERRORS)
def test_api_errors_change_nothing(api, request_, status, code, message, prep):
    names = {'id': api.emu.next_ids()[0], 'app': api.emu.next_ids(application=True)[0]}
    for step in prep:  # each must succeed; ('ctl', name, body) posts to the control API
        answer = api.ctl('POST', step[1], step[2]) if step[0] == 'ctl' else api(step[0], fill(step[1], names), None, fill(step[2], names), *step[3:])
        assert step[0] == 'ctl' or answer.status in (200, 201), answer.text
    method, path, params, body = (request_ + (None, None))[:4]
    state = (api.ctl('GET', 'numbers'), api.ctl('GET', 'applications'))
    answer = api(method, fill(path, names), params, fill(body, names))
    assert_error(answer, status, code, fill(message, names))
    assert detail(answer.json(), 'requestPath') == fill(path, names).lstrip('/')
    assert (api.ctl('GET', 'numbers'), api.ctl('GET', 'applications')) == state


@pytest.mark.parametrize('auth', [None, ('T', 'wrong'), ('nobody', 'S')])
def test_bad_or_missing_credentials_get_401(api, auth):
    answer = api('GET', N, auth=auth or ())
    body = assert_error(answer, 401, 'unauthorized')
    assert body['category'] == 'authentication' and answer.headers['WWW-Authenticate'] == 'Basic realm="catapult"'
    assert (detail(body, 'requestPath'), detail(body, 'requestMethod')) == ('users/u-demo/phoneNumbers', 'GET')
    assert 'wrong' not in answer.text and 'Authorization' not in answer.text


# --------------------------------------------------------------------------- control API errors: one table

BAD_FAULT_RULES = [
    {'action': 'explode'}, {'action': 'raw', 'colour': 'red'}, {'action': 'pass', 'headers': ['Location']}, {'action': 'pass', 'headers': 'Location: x'},
    {'action': 'raw', 'body': {'a': 1}}, {'action': 'raw', 'body': 5}, {'action': 'raw', 'content_type': 5},
    {'action': 'raw', 'content_type': 'text/html\r\nX-Evil: 1'}, {'action': 'pass', 'headers': {'Location': 5}},
    {'action': 'pass', 'headers': {'Location': 'x\r\nX-Evil: 1'}}, {'action': 'pass', 'headers': {'Bad Name': 'x'}},
    {'action': 'pass', 'headers': {'Content-Length': '0'}}, {'action': 'raw', 'headers': {'Connection': None}},
    {'action': 'drop', 'headers': {'X-A': 'b'}}, {'action': 'delay', 'headers': {'X-A': 'b'}}, {'action': 'status', 'body': 'x'},
    {'action': 'pass', 'content_type': 'text/plain'}, {'action': 'raw', 'status': 700},
]


@pytest.mark.parametrize('method,name,body,params,status', [
    ('POST', 'config', {key: value}, {}, 400) for key, value in (
        ('order_item_location', 'no'), ('list_lag_ms', -1), ('list_lag_ms', 'soon'), ('list_lag_ms', True), ('order_cap', 0), ('bogus', 1))] + [
    ('POST', 'applications', {'user_id': 'u-nobody', 'id': 'a-x'}, {}, 400), ('POST', 'applications', {'user_id': 'u-demo', 'id': ''}, {}, 400),
    ('POST', 'applications', {'user_id': 'u-demo', 'id': 'a-x', 'name': ''}, {}, 400), ('GET', 'applications', None, {'user_id': 'u-x'}, 400),
    ('GET', 'nope', None, {}, 404),
] + [('POST', 'faults', {'faults': [{'action': 'status', 'path': 'fine'}, rule]}, {}, 400) for rule in BAD_FAULT_RULES])
def test_control_errors_change_nothing(api, method, name, body, params, status):
    state = (api.ctl('GET', 'config'), api.ctl('GET', 'applications'))
    answer = api.ctl(method, name, body, expect=status, **params)
    assert status == 400 or answer == {'error': 'unknown control call GET /_emulator/nope'}
    assert (api.ctl('GET', 'config'), api.ctl('GET', 'applications'), api.ctl('GET', 'faults')) == state + ({'faults': []},)


# --------------------------------------------------------------------------- phone numbers

def test_allocate_answers_an_absolute_location_and_reads_back(api):
    number_id = created(api.allocate(NUM, name='front desk', applicationId='a-demo-ivr', fallbackNumber=None), 'phoneNumbers')
    assert ID_RE.match(number_id)
    resource = api('GET', N + '/' + number_id).json()
    assert resource == {
        'id': number_id, 'number': NUM, 'nationalNumber': '(919) 555-0100', 'name': 'front desk', 'city': 'RALEIGH', 'state': 'NC',
        'application': BASE + '/users/u-demo/applications/a-demo-ivr', 'applicationId': 'a-demo-ivr', 'price': '0.35',
        'createdTime': resource['createdTime'], 'numberState': 'enabled'}
    assert TIME_RE.match(resource['createdTime'])
    assert api.number(NUM).json() == resource and api('GET', N + '/' + NUM).json() == resource  # %2B, or a raw +
    assert created(api.allocate('+19195550101', name=None, applicationId=None), 'phoneNumbers')
    assert not {'name', 'application', 'applicationId', 'fallbackNumber'} & set(api.number('+19195550101').json())


def test_update_is_partial_and_clears_with_empty_string(api):
    api.allocate(NUM, name='a', applicationId='a-demo-ivr', fallbackNumber='+19195551000')
    number_id = api.number(NUM).json()['id']
    answer = api('POST', N + '/' + number_id, body={'name': 'b', 'applicationId': None})
    assert answer.status == 200 and answer.content == b''
    resource = api.number(NUM).json()
    assert (resource['name'], resource['applicationId'], resource['fallbackNumber']) == ('b', 'a-demo-ivr', '+19195551000')
    api('POST', N + '/%2B19195550100', body={'applicationId': '', 'fallbackNumber': ''})
    resource = api.number(NUM).json()
    assert resource['name'] == 'b' and not {'application', 'applicationId', 'fallbackNumber'} & set(resource)


@pytest.mark.parametrize('released_as,ref', [('404', 'id'), ('released', 'id'), ('released', NUM)])
def test_release(api, released_as, ref):
    api.ctl('POST', 'config', {'released_as': released_as})
    api.allocate(NUM)
    number_id = api.number(NUM).json()['id']
    answer = api('DELETE', N + '/' + (number_id if ref == 'id' else '%2B19195550100'))
    assert answer.status == 200 and answer.content == b''
    assert api.numbers('released') == [NUM] and listed(api) == [] and listed(api, numberState='Released') == [NUM]
    if released_as == 'released':
        for ref_ in (number_id, NUM):
            assert api.number(ref_).json()['numberState'] == 'released'
    assert api('DELETE', N + '/' + number_id).status == 404 and api.allocate(NUM).status == 404  # gone for good


@pytest.mark.parametrize('params,numbers', [
    ({}, ['+19195550100', '+19196800001', '+12122260001', '+12122260002']),
    ({'name': 'pool'}, ['+19195550100', '+19196800001']),
    ({'applicationId': 'a-demo-ivr'}, ['+19195550100', '+12122260001']),
    ({'state': 'ny'}, ['+12122260001', '+12122260002']),
    ({'city': 'Cary', 'state': 'NC'}, ['+19196800001']),
    ({'numberState': 'ENABLED', 'name': 'Pool'}, ['+12122260002']),
])
def test_list_filters(api, params, numbers):
    for number, name, app in ((NUM, 'pool', 'a-demo-ivr'), ('+19196800001', 'pool', None), ('+12122260001', 'other', 'a-demo-ivr'),
                              ('+12122260002', 'Pool', None)):
        api.allocate(number, name=name, applicationId=app)
    assert listed(api, **params) == numbers


@pytest.mark.parametrize('collection', ['numbers', 'applications'])
def test_link_pagination_across_three_pages(api, collection):
    if collection == 'numbers':
        for line in range(7):
            api.allocate('+1919555%04d' % (200 + line), name='pool, a')
        api.allocate('+19195550300', name='else')
        path, params, key, query = N, {'name': 'pool, a', 'size': 3}, 'number', 'name=pool%2C%20a&'
        expected = ['+1919555%04d' % (200 + line) for line in range(7)]
    else:
        mine = [created(api('POST', A, body={'name': 'App %d' % i, 'incomingCallUrl': X + '/%d' % i}), 'applications') for i in range(4)]
        path, params, key, query = A, {'size': 3}, 'id', ''
        expected = [app['id'] for app in SEEDED] + mine
        assert len(listed(api, A, 'id')) == 7 and listed(api, A, 'id', page=5) == []  # default size 25
    pages, links = follow_pages(api, path, params, key)
    assert [len(p) for p in pages] == [3, 3, 1] and sum(pages, []) == expected
    first = '<%s%s?%spage=0&size=3>; rel="first"' % (BASE, path, query)
    assert links == [first + ', <%s%s?%spage=%d&size=3>; rel="next"' % (BASE, path, query, page) for page in (1, 2)] + [first]
    for link in links:  # the way the Python SDK parses it
        assert all(len(entry.split(';')) == 2 for entry in link.split(','))


# --------------------------------------------------------------------------- applications

def test_account_and_seeded_applications(api, make_api):
    assert api('GET', '/users/u-demo/account').json() == {'balance': '538.37250', 'accountType': 'post-pay'}
    assert api('GET', A, {'size': 1000}).json() == SEEDED and api('GET', A + '/a-demo-ivr').json() == SEEDED[1]
    assert api.ctl('GET', 'applications', user_id='u-demo')['applications'] == [dict(app, userId='u-demo') for app in SEEDED]
    assert len(api.ctl('GET', 'applications')['applications']) == 6  # u-demo's and u-other's copies
    added = api.ctl('POST', 'applications', {'user_id': 'u-demo', 'id': 'a-extra-line', 'name': 'Extra'})
    assert added == {'user_id': 'u-demo', 'applications': ['a-demo-support', 'a-demo-ivr', 'a-demo-sales', 'a-extra-line']}
    assert api('GET', A + '/a-extra-line').json()['name'] == 'Extra'
    api.ctl('POST', 'applications', {'user_id': 'u-demo', 'id': 'a-night-shift'})
    assert api('GET', A + '/a-night-shift').json()['name'] == 'Night shift'
    assert created(api.allocate(NUM, applicationId='a-night-shift'), 'phoneNumbers')
    apps = make_api('--application', 'a-front-desk', '--application', 'a-demo-ivr')('GET', A).json()
    assert [(app['id'], app['name']) for app in apps] == [('a-front-desk', 'Front desk'), ('a-demo-ivr', 'Demo IVR')]


def test_create_application(api):
    app_id = created(api('POST', A, body=FULL_APP), 'applications')
    assert APP_ID_RE.match(app_id)
    expected = dict(FULL_APP, id=app_id, callbackHttpMethod='get')
    assert api('GET', A + '/' + app_id).json() == expected and api('GET', A).json()[-1] == expected
    # the body the Python SDK sends: every field it knows, null when not set
    minimal = created(api('POST', A, body=dict(dict.fromkeys(FULL_APP), name='Minimal', incomingMessageUrl='https://cb.example.com/sms')),
                      'applications')
    assert api('GET', A + '/' + minimal).json() == {'id': minimal, 'name': 'Minimal', 'incomingMessageUrl': 'https://cb.example.com/sms',
                                                    'callbackHttpMethod': 'post', 'autoAnswer': True}
    edges = created(api('POST', A, body={'name': 'Edges', 'incomingCallUrl': 'http://h/x', 'incomingCallUrlCallbackTimeout': 10000,
                                         'incomingMessageUrlCallbackTimeout': 1, 'callbackHttpMethod': 'Post',
                                         'incomingCallFallbackUrl': ''}), 'applications')
    resource = api('GET', A + '/' + edges).json()
    assert (resource['incomingCallUrlCallbackTimeout'], resource['incomingMessageUrlCallbackTimeout']) == (10000, 1)
    assert resource['callbackHttpMethod'] == 'post' and 'incomingCallFallbackUrl' not in resource


def test_ids_are_deterministic_and_application_ids_leave_number_ids_alone(api):
    def run():
        apps = [created(api('POST', A, body={'name': name, 'incomingCallUrl': X}), 'applications') for name in 'AB']
        return apps, created(api.allocate(NUM), 'phoneNumbers')

    predicted = api.emu.next_ids(2, application=True), api.emu.next_ids()
    first = run()
    assert first == (predicted[0], predicted[1][0]) and first[0][0] != first[0][1]
    api.ctl('POST', 'reset')
    assert created(api.allocate(NUM), 'phoneNumbers') == first[1]
    api.ctl('POST', 'reset')
    assert run() == first


def test_update_application_is_partial(api):
    path = A + '/' + created(api('POST', A, body=FULL_APP), 'applications')
    answer = api('POST', path, body={'name': 'Renamed', 'autoAnswer': None, 'incomingCallUrlCallbackTimeout': 7000})
    assert answer.status == 200 and answer.content == b''
    assert api('GET', path).json() == dict(FULL_APP, id=path.rsplit('/', 1)[1], name='Renamed', callbackHttpMethod='get',
                                           incomingCallUrlCallbackTimeout=7000)
    api('POST', path, body={'incomingCallFallbackUrl': '', 'incomingCallUrl': '', 'callbackHttpMethod': 'POST', 'autoAnswer': True})
    resource = api('GET', path).json()
    assert not {'incomingCallUrl', 'incomingCallFallbackUrl'} & set(resource)
    assert (resource['callbackHttpMethod'], resource['autoAnswer'], resource['incomingMessageUrl'], resource['incomingCallUrlCallbackTimeout']) \
        == ('post', True, FULL_APP['incomingMessageUrl'], 7000)
    assert api('POST', path, body={'unknownKey': 1}).status == 200 and api('GET', path).json() == resource


def test_deleted_application_stays_on_its_numbers(api):
    app_id = created(api('POST', A, body={'name': 'Doomed', 'incomingCallUrl': 'https://d.example.com'}), 'applications')
    api.allocate(NUM, applicationId=app_id)
    number_id = created(api.allocate('+19195550101'), 'phoneNumbers')
    assert api('POST', N + '/' + number_id, body={'applicationId': app_id}).status == 200
    assert api.number(NUM).json()['application'] == BASE + '/users/u-demo/applications/' + app_id
    answer = api('DELETE', A + '/' + app_id)
    assert answer.status == 200 and answer.content == b'' and app_id not in listed(api, A, 'id')
    # the numbers still name it (undocumented; README), and can still be updated
    assert api.number(NUM).json()['applicationId'] == app_id
    assert listed(api, applicationId=app_id) == [NUM, '+19195550101']
    assert api('POST', N + '/' + number_id, body={'name': 'kept'}).status == 200
    # a seeded application deleted by one user is gone for that user only, until a reset
    assert api('DELETE', A + '/a-demo-ivr').status == 200 and api('GET', '/users/u-other/applications/a-demo-ivr', auth=OTHER).status == 200
    assert api('POST', '/users/u-other/applications', body={'name': 'Theirs', 'incomingCallUrl': X}, auth=OTHER).status == 201
    assert api('GET', '/users/u-other/applications', {'page': 1, 'size': 3}, auth=OTHER).json()[0]['name'] == 'Theirs'
    api.ctl('POST', 'reset')
    assert api('GET', A).json() == SEEDED


# --------------------------------------------------------------------------- search and order

def search(api, path=LOCAL, **params):
    answer = api('GET', path, params)
    assert answer.status == 200, answer.text
    return answer.json()


@pytest.mark.parametrize('params,count,first,last,cities', [
    ({'state': 'nc', 'quantity': 5000}, 5000, '+19195550100', '+19196802499', {'RALEIGH', 'CARY'}),  # by number: 919 before 984
    ({'state': 'NC', 'city': 'cary'}, 10, '+19196800000', '+19196800009', {'CARY'}),
    ({'zip': '27701'}, 10, '+19842190000', '+19842190009', {'DURHAM'}),
    ({'zip': '98121', 'quantity': 3}, 3, '+12066240000', '+12066240002', {'SEATTLE'}),
    ({'areaCode': '415'}, 10, '+14155230000', '+14155230009', {'SAN FRANCISCO'}),
    ({'areaCode': '919'}, 10, '+19195550100', '+19195550109', {'RALEIGH'}),
    ({'areaCode': '919', 'localNumber': '5551', 'quantity': 2}, 2, '+19195551000', '+19195551001', {'RALEIGH'}),
    ({'areaCode': '919', 'localNumber': '5559'}, 0, None, None, set()),
    ({'areaCode': '999'}, 0, None, None, set()),
    ({'state': 'FL'}, 0, None, None, set()),
    # the local calling area = every rate center of the same state and LATA (Durham's 984 included)
    ({'areaCode': '919', 'localNumber': '5552', 'inLocalCallingArea': 'true', 'quantity': 5000}, 5000, '+19195552000', '+19196802499',
     {'RALEIGH', 'CARY'}),
])
def test_search_by_each_criterion(api, params, count, first, last, cities):
    found = search(api, **params)
    numbers = [n['number'] for n in found]
    assert (len(found), numbers[:1], numbers[-1:], {n['city'] for n in found}) == (count, [first] * bool(count), [last] * bool(count), cities)
    if 'inLocalCallingArea' not in params:
        assert numbers == sorted(numbers)
    else:
        assert numbers[599:601] == ['+19195552599', '+19195550100'] and numbers[2500] == '+19196800000'


def test_search_items_and_taken_numbers(api):
    assert search(api, state='NC', quantity=1) == [{'number': NUM, 'nationalNumber': '(919) 555-0100', 'city': 'RALEIGH', 'lata': '426',
                                                    'rateCenter': 'RALEIGH', 'state': 'NC', 'price': '0.35'}]
    api.allocate(NUM)
    assert search(api, areaCode='919', quantity=1)[0]['number'] == '+19195550101'


@pytest.mark.parametrize('path,params,numbers,match', [
    (LOCAL, {'areaCode': '919', 'pattern': '555?12?', 'quantity': 100}, ['+1919555%d12%d' % (d, e) for d in range(3) for e in range(10)], None),
    (LOCAL, {'state': 'NC', 'pattern': '*2499'}, ['+19195552499', '+19196802499', '+19842192499'], '          2499'),
    (LOCAL, {'areaCode': '919', 'localNumber': '5552', 'inLocalCallingArea': 'true', 'pattern': '*2499'},
     ['+19195552499', '+19196802499', '+19842192499'], None),
    (LOCAL, {'areaCode': '919', 'localNumber': '5552', 'pattern': '*2499'}, ['+19195552499'], None),
    (LOCAL, {'zip': '27601', 'pattern': 'JKL0100'}, [NUM], '      555 0100'),  # J/K/L = 5 on the keypad
    (LOCAL, {'areaCode': '303', 'pattern': '292*19', 'quantity': 2}, ['+13032920019', '+13032920119'], '      292   19'),
    (TOLL_FREE, {'pattern': '888343?', 'quantity': 2}, ['+18883430000', '+18883430001'], ' 888  343 0   '),
])
def test_pattern_wildcards(api, path, params, numbers, match):
    found = search(api, path, **params)
    assert [n['number'] for n in found] == numbers and (match is None or found[0]['patternMatch'] == match)


def order(api, path=LOCAL, **params):
    return api('POST', path, params, {'ignored': True})


def test_search_and_order(api):
    answer = order(api, zip='27605', quantity=2)
    items = answer.json()
    assert answer.status == 201 and [i['number'] for i in items] == [NUM, '+19195550101']
    assert set(items[0]) == {'number', 'nationalNumber', 'price', 'city', 'state', 'location'}
    assert ID_RE.match(items[0]['location'][len(BASE + N + '/'):]) and items[0]['location'].startswith(BASE + N + '/')
    resource = api('GET', items[0]['location'][len(BASE):]).json()
    assert 'name' not in resource and resource['numberState'] == 'enabled'
    assert search(api, zip='27605', quantity=1)[0]['number'] == '+19195550102'
    assert len(order(api, state='CO', quantity=20).json()) == 20
    assert order(api, areaCode='206', pattern='*0042', quantity=1).json()[0]['number'] == '+12066240042'  # pattern_on_order allow
    api.ctl('POST', 'config', {'partial_fulfilment': 'keep'})
    assert_error(order(api, areaCode='919', localNumber='5552', pattern='919555259?', quantity=12), 404, 'order-number-quantity-unavailable')
    api.ctl('POST', 'config', {'order_cap': 10})
    assert len(order(api, state='CO', quantity=10).json()) == 10
    assert len(api.numbers()) == 2 + 20 + 10 + 1 + 10
    assert all('name' not in n for n in api.ctl('GET', 'numbers', user_id='u-demo')['numbers'])


def test_toll_free(api):
    assert search(api, TOLL_FREE, pattern='888343?', quantity=1)[0]['price'] == '2.00'
    assert len(search(api, TOLL_FREE, pattern='*888*', quantity=5000)) == 1000 + 2  # 800826-0888, 877227-0888
    assert len(search(api, TOLL_FREE)) == 10
    ordered = order(api, TOLL_FREE).json()
    assert [n['number'] for n in ordered] == ['+18008260000'] and 'location' in ordered[0]
    assert len(order(api, TOLL_FREE, quantity=10).json()) == 10


def test_order_items_without_location(api):
    assert api.ctl('GET', 'config')['order_item_location'] is True
    assert api.ctl('POST', 'config', {'order_item_location': False})['order_item_location'] is False
    assert [set(i) for i in order(api, zip='27601', quantity=2).json()] == [{'number', 'nationalNumber', 'price', 'city', 'state'}] * 2
    answer = order(api, TOLL_FREE, quantity=2)
    assert answer.status == 201 and [set(i) for i in answer.json()] == [{'number', 'nationalNumber', 'price'}] * 2
    assert api.numbers() == [NUM, '+19195550101', '+18008260000', '+18008260001'] and api.number(NUM).status == 200
    api.ctl('POST', 'reset')
    assert 'location' in order(api, zip='27601', quantity=1).json()[0]


def test_list_lag_hides_new_numbers_then_shows_them(api):
    assert api.ctl('POST', 'config', {'list_lag_ms': 600})['list_lag_ms'] == 600
    api.allocate(NUM, name='pool')
    order(api, zip='27601', quantity=1)
    visible_from = time.monotonic() + 0.65  # both are at least 600 ms old then
    assert listed(api) == [] and listed(api, name='pool') == [] and listed(api, page=0, size=1) == []
    assert 'rel="next"' not in api('GET', N, {'size': 1}).headers['Link']
    assert api.number(NUM).status == 200 and api.number('+19195550101').status == 200
    time.sleep(max(0.0, visible_from - time.monotonic()))
    assert listed(api) == [NUM, '+19195550101']
    api.allocate('+19195550102')
    assert listed(api) == [NUM, '+19195550101'] and listed(api, size=1, page=1) == ['+19195550101']
    api.ctl('POST', 'config', {'list_lag_ms': 0})
    assert listed(api) == [NUM, '+19195550101', '+19195550102']


def test_command_line_order_item_location_and_list_lag(make_api):
    cli = make_api('--no-order-item-location', '--list-lag-ms', '60000')
    config = cli.ctl('GET', 'config')
    assert (config['order_item_location'], config['list_lag_ms']) == (False, 60000)
    assert 'location' not in order(cli, zip='27601', quantity=1).json()[0]
    assert listed(cli) == [] and cli.number(NUM).status == 200
    cli.ctl('POST', 'reset')
    assert cli.ctl('GET', 'config')['list_lag_ms'] == 60000  # reset goes back to the command line


# --------------------------------------------------------------------------- fault rules, in-process

ALLOCATE_PATH = LIST_PATH = r'^/users/[^/]+/phoneNumbers$'
JSON = 'application/json; charset=utf-8'
MAINTENANCE_PAGE = '<html><head><title>Maintenance</title></head><body><h1>Back soon</h1></body></html>'


def add_fault(api, **rule):
    return api.ctl('POST', 'faults', {'faults': [rule]})


def last_entry(api):
    return api.ctl('GET', 'requests')['requests'][-1]


@pytest.mark.parametrize('rule,request_,status,content_type,text,applied', [
    ({'action': 'status', 'status': 503}, ('POST', N, None, {'number': NUM}), 503, JSON, 'service-unavailable', []),
    ({'action': 'status_after', 'status': 502}, ('POST', N, None, {'number': NUM}), 502, JSON, 'bad-gateway', [NUM]),
    ({'action': 'drop'}, ('POST', N, None, {'number': NUM}), None, None, '', []),
    ({'action': 'drop_after'}, ('POST', N, None, {'number': NUM}), None, None, '', [NUM]),
    ({'action': 'reset'}, ('POST', N, None, {'number': NUM}), None, None, '', []),
    ({'action': 'plain_text', 'status': 500}, ('GET', LOCAL, {'state': 'NC'}), 500, 'text/plain; charset=utf-8', '500 Internal Server Error', []),
    ({'action': 'raw', 'body': '{"unexpected": true}', 'content_type': 'application/json'}, ('GET', N), 200, 'application/json',
     '{"unexpected": true}', []),
    ({'action': 'raw_after', 'body': 'null', 'content_type': 'application/json'}, ('POST', LOCAL, {'zip': '27601', 'quantity': 3}), 201,
     'application/json', 'null', [NUM, '+19195550102', '+19195550103']),
    ({'action': 'raw_after', 'status': 500, 'body': 'oops'}, ('POST', N, None, {'number': NUM}), 500, 'text/html; charset=utf-8', 'oops', [NUM]),
    ({'action': 'raw_after', 'body': MAINTENANCE_PAGE}, ('DELETE', N + '/%2B19195550101'), 200, 'text/html; charset=utf-8', MAINTENANCE_PAGE, []),
    ({'action': 'raw_after', 'status': 500, 'body': 'oops'}, ('POST', N, None, {'number': '+19195550099'}), 500, 'text/html; charset=utf-8', 'oops', []),
    ({'action': 'raw_after'}, ('POST', N, None, {'number': '+19195550099'}), 404, 'text/html; charset=utf-8', '', []),  # the real status
    ({'action': 'pass'}, ('POST', N, None, {'number': NUM}), 201, None, '', [NUM]),
])
def test_fault_fires_once_applied_or_not(api, rule, request_, status, content_type, text, applied):
    api.allocate('+19195550101')  # to list or release
    method, path, params, body = (request_ + (None, None))[:4]
    add_fault(api, method=method, path=rule.get('path', re.escape(path.split('?')[0]) + '$'), **rule)
    answer = api(method, path, params, body)
    assert (answer.status, answer.headers.get('Content-Type'), answer.fault) == (status, content_type, rule['action'])
    if content_type == JSON:  # 'status' answers a Catapult error; text: its code
        assert assert_error(answer, status, text)['category'] == 'unavailable'
    else:
        assert answer.text == text
    assert 'Location' not in answer.headers or rule['action'] == 'pass'
    assert [n for n in api.numbers() if n != '+19195550101'] == applied
    assert api.numbers('released') == (['+19195550101'] if method == 'DELETE' else [])
    assert (last_entry(api)['fault'], last_entry(api)['status']) == (rule['action'], status)
    fired = api.ctl('GET', 'faults')['faults'][0]
    assert (fired['seen'], fired['hits'], fired['exhausted']) == (1, 1, True)
    assert 'status' not in fired or rule['action'] != 'raw_after' or 'status' in rule
    assert api(method, path, params, body).fault is None  # count 1: once only


def test_fault_raw_rule_as_listed(api):
    add_fault(api, method='GET', path=LIST_PATH, action='raw', body='{"unexpected": true}', content_type='application/json')
    answer = api('GET', N)
    assert answer.json() == {'unexpected': True} and 'Link' not in answer.headers
    assert api.ctl('GET', 'faults')['faults'] == [
        {'method': 'GET', 'path': LIST_PATH, 'action': 'raw', 'status': 200, 'body': '{"unexpected": true}', 'content_type': 'application/json',
         'count': 1, 'skip': 0, 'seen': 1, 'hits': 1, 'exhausted': True}]


def test_fault_echo_is_opt_in(api):
    plain = api.allocate('+19195550099')
    assert 'Basic' not in plain.text and '"S"' not in plain.text  # no fault: credentials never echoed
    add_fault(api, method='POST', path=ALLOCATE_PATH, action='echo')
    body = assert_error(api.allocate(NUM, name='echoed'), 400, 'validation-error')
    assert detail(body, 'authorization') == 'Basic VDpT' and 'echoed' in detail(body, 'requestBody')
    assert api.numbers() == []


def test_fault_429_headers_count_skip_and_method(api):
    add_fault(api, method='GET', path='/account$', action='status', status=429, count=2, skip=1, retry_after=2, rate_limit_reset_ms=1500)
    statuses = []
    for _i in range(4):
        answer = api('GET', '/users/u-demo/account')
        statuses.append(answer.status)
        if answer.status == 429:
            reset = int(answer.headers['X-RateLimit-Reset'])
            assert answer.headers['Retry-After'] == '2' and 0 < reset - time.time() * 1000 <= 1600
            assert detail(answer.json(), 'rateLimitResetTime') == str(reset)
    assert statuses == [200, 429, 429, 200] and api('POST', '/users/u-demo/account').status == 405
    rule = api.ctl('GET', 'faults')['faults'][0]
    assert (rule['seen'], rule['hits'], rule['exhausted']) == (3, 2, True)
    assert api.ctl('DELETE', 'faults') == {'faults': []}


def test_fault_every_request_with_count_zero(api):
    add_fault(api, method='DELETE', path='.', action='status', status=500, count=0)
    assert [api('DELETE', N + '/%2B19195550100').status for _i in range(3)] == [500] * 3
    assert api('GET', '/users/u-demo/account').status == 200


def test_chaos_mode_is_deterministic(api):
    def run():
        return [api('GET', '/users/u-demo/account').status or 'drop' for _i in range(30)]

    api.ctl('POST', 'config', {'fault_rate': 0.5, 'seed': 7})
    first = run()
    api.ctl('POST', 'config', {'seed': 7})
    assert run() == first
    assert set(first) - {200} <= {429, 500, 502, 503, 504, 'drop'} and 200 in first and len(set(first)) > 2
    api.ctl('POST', 'config', {'fault_rate': 0})
    assert set(run()) == {200}


# --------------------------------------------------------------------------- rate limits, log, reset, control views

def test_rate_limit_429_and_reset(api):
    api.ctl('POST', 'config', {'rate_limits': {'orders': {'count': 5, 'per_seconds': 1, 'burst': 2}}})
    assert [api.allocate('+1919555010%d' % i).status for i in range(2)] == [201, 201]
    answer = api.allocate('+19195550102')
    body = assert_error(answer, 429, 'rate-limit-reached')
    assert body['category'] == 'too-many-requests' and body['message']
    reset = int(answer.headers['X-RateLimit-Reset'])
    assert detail(body, 'rateLimitResetTime') == str(reset) and 0 < reset - time.time() * 1000 <= 250
    assert api('GET', N).status == 200  # other buckets are separate
    time.sleep(max(0.0, reset / 1000.0 - time.time()))
    assert api.allocate('+19195550102').status == 201
    assert api.ctl('GET', 'requests', summary_only='1') == {'summary': {
        'total': 5, 'writes': 4, 'by_status': {'201': 3, '429': 1, '200': 1}, 'status_429': 1, 'dropped': 0, 'faults': 0}}


def test_rate_limit_pacing_is_accurate(api):
    api.ctl('POST', 'config', {'rate_limits': {'searches': {'count': 40, 'per_seconds': 1, 'burst': 1}}})
    started, done = time.monotonic(), 0
    while done < 12:
        answer = api('GET', TOLL_FREE, {'quantity': 1})
        if answer.status == 429:
            time.sleep(max(0.0, int(answer.headers['X-RateLimit-Reset']) / 1000.0 - time.time()))
        else:
            done += 1
    assert 0.25 <= time.monotonic() - started < 1.2  # 11 waits of 25 ms


def test_request_log_summary_and_clear(api):
    api.allocate(NUM)
    api.number(NUM)
    api('DELETE', N + '/%2B19195550100')
    api('GET', '/users/u-demo/account', auth=())
    report = api.ctl('GET', 'requests')
    assert report['summary'] == {'total': 4, 'writes': 2, 'by_status': {'201': 1, '200': 2, '401': 1}, 'status_429': 0,
                                 'dropped': 0, 'faults': 0}
    entry = report['requests'][1]
    assert (entry['seq'], entry['method'], entry['path'], entry['status'], entry['user_id'], entry['fault']) == \
        (2, 'GET', '/users/u-demo/phoneNumbers/%2B19195550100', 200, 'u-demo', None)
    assert report['requests'][3]['user_id'] is None
    api.ctl('DELETE', 'requests')
    assert api.ctl('GET', 'requests')['summary']['total'] == 0


def test_reset_restores_the_start_state(api):
    api.allocate(NUM)
    add_fault(api, action='status', count=0, path='nothing-matches')
    api.ctl('POST', 'config', {'order_cap': 10, 'latency_ms': 1})
    assert api.ctl('GET', 'inventory', zip='27601')['count'] == 2499
    api.ctl('POST', 'reset')
    assert (api.ctl('GET', 'numbers'), api.ctl('GET', 'faults')) == ({'numbers': []}, {'faults': []})
    assert api.ctl('GET', 'requests')['summary']['total'] == 0
    config = api.ctl('GET', 'config')
    assert (config['order_cap'], config['latency_ms'], config['rate_limits']) == (5000, 0.0, False)
    assert api.ctl('GET', 'inventory', zip='27601')['count'] == 2500 and api.allocate(NUM).status == 201


def test_control_api_views(api, emulator_module):
    assert api.ctl('GET', 'health') == {'ok': True, 'version': emulator_module.VERSION, 'url': BASE, 'foreign_url': 'http://foreign.test'}
    centers = api.ctl('GET', 'rate-centers')['rate_centers']
    raleigh = centers[0]
    assert (raleigh['city'], raleigh['zips'], raleigh['blocks'], raleigh['available']) == \
        ('RALEIGH', ['27601', '27603', '27605'], ['+19195550100..2599'], 2500)
    assert all(c['available'] >= 2500 for c in centers[:-1]) and centers[-1]['available'] >= 2000
    assert len({c['state'] for c in centers[:-1]}) >= 6
    inventory = api.ctl('GET', 'inventory', state='ny', limit=2)
    assert inventory['count'] == 5000 and len(inventory['numbers']) == 2


# --------------------------------------------------------------------------- the HTTP listener

def http_numbers(client):
    return [n['number'] for n in client.ctl('GET', 'numbers')['numbers']]


@pytest.mark.parametrize('action,applied', [('drop', []), ('drop_after', [NUM]), ('reset', [])])
def test_fault_drop_or_reset_is_a_connection_error(client, action, applied):
    client.allocate('+19195550105')  # warm the pooled connection first
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': action})
    with pytest.raises(requests.exceptions.ConnectionError):
        client.allocate(NUM)
    assert http_numbers(client) == ['+19195550105'] + applied
    entry = client.ctl('GET', 'requests')['requests'][-1]
    assert entry['fault'] == action and entry['status'] is None
    assert client.allocate('+19195550106').status_code == 201  # the session recovers


def test_fault_delay_times_out_but_applies(client):
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'delay', 'seconds': 0.6})
    with pytest.raises(requests.exceptions.Timeout):
        client.api('POST', N, json={'number': NUM}, timeout=0.2)
    deadline = time.monotonic() + 3
    while not http_numbers(client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert http_numbers(client) == [NUM]


@pytest.mark.parametrize('extra,status,body,content_type', [
    ({'body': MAINTENANCE_PAGE}, 200, MAINTENANCE_PAGE, 'text/html; charset=utf-8'),
    ({'body': 'null', 'content_type': 'application/json'}, 200, 'null', 'application/json'),
    ({}, 200, '', 'text/html; charset=utf-8'),
    ({'body': '"ok"', 'content_type': 'application/json', 'status': 201}, 201, '"ok"', 'application/json'),
    ({'body': '{"x": 1}', 'content_type': None, 'status': 503}, 503, '{"x": 1}', None),
])
def test_fault_raw_bytes_on_the_wire(client, extra, status, body, content_type):
    client.faults(dict({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'raw'}, **extra))
    response = client.allocate(NUM)
    assert (response.status_code, response.text, response.headers.get('Content-Type')) == (status, body, content_type)
    assert 'Location' not in response.headers and int(response.headers['Content-Length']) == len(body)
    assert http_numbers(client) == [] and client.ctl('GET', 'requests')['requests'][-1]['status'] == status
    assert client.allocate(NUM).status_code == 201  # the connection is still usable; count 1


@pytest.mark.parametrize('action', ['status', 'status_after', 'plain_text', 'echo', 'raw', 'raw_after', 'pass'])
def test_fault_headers_on_every_answering_action(client, action):
    client.faults({'method': 'GET', 'path': '/account$', 'action': action,
                   'headers': {'X-Injected': '{root}/x', 'Content-Type': 'text/x-test', 'Date': None}})
    response = client.api('GET', '/users/u-demo/account')
    assert (response.headers['X-Injected'], response.headers['Content-Type']) == (client.root + '/x', 'text/x-test')
    assert 'Date' not in response.headers and response.headers['Server'].startswith('catapult-emulator/')
    assert client.ctl('GET', 'requests')['requests'][-1]['fault'] == action
    assert 'Date' in client.api('GET', '/users/u-demo/account').headers


@pytest.mark.parametrize('header', ['Location', 'Link'])
def test_fault_pass_removes_a_header_but_applies(client, header):
    client.allocate('+19195550101')
    client.allocate('+19195550102')
    method, params = ('POST', None) if header == 'Location' else ('GET', {'size': 1})
    assert header in client.api(method, N, params=params, json={'number': NUM}).headers
    client.faults({'method': method, 'path': ALLOCATE_PATH, 'action': 'pass', 'headers': {header: None}})
    response = client.api(method, N, params=params, json={'number': '+19195550103'})
    assert response.status_code in (200, 201) and header not in response.headers
    if method == 'GET':
        assert [n['number'] for n in response.json()] == ['+19195550101']
    else:
        assert http_numbers(client)[-1] == '+19195550103'
    rule = client.ctl('GET', 'faults')['faults'][0]
    assert (rule['seen'], rule['hits'], rule['exhausted'], rule['headers']) == (1, 1, True, {header: None})
    assert header in client.api(method, N, params=params, json={'number': '+19195550104'}).headers  # count 1
    assert client.ctl('GET', 'requests')['summary']['faults'] == 1


def test_faults_and_log_on_application_routes(client):
    apps, body = r'^/users/[^/]+/applications$', {'name': 'Faulty', 'incomingCallUrl': 'https://f.example.com'}
    client.faults({'method': 'POST', 'path': apps, 'action': 'status', 'status': 503}, {'method': 'POST', 'path': apps, 'action': 'drop_after'},
                  {'method': 'DELETE', 'path': r'^/users/[^/]+/applications/', 'action': 'status_after', 'status': 502},
                  {'method': 'POST', 'path': apps, 'action': 'pass', 'headers': {'Location': None}})

    def names():
        return [app['name'] for app in client.ctl('GET', 'applications', params={'user_id': 'u-demo'})['applications']][3:]

    assert client.api('POST', A, json=body).json()['code'] == 'service-unavailable' and names() == []
    with pytest.raises(requests.exceptions.ConnectionError):
        client.api('POST', A, json=body)
    made = client.ctl('GET', 'applications', params={'user_id': 'u-demo'})['applications'][-1]
    response = client.api('POST', A, json=dict(body, name='No location'))
    assert (response.status_code, 'Location' in response.headers, names()) == (201, False, ['Faulty', 'No location'])
    assert client.api('DELETE', A + '/' + made['id']).json()['code'] == 'bad-gateway' and names() == ['No location']
    log = client.ctl('GET', 'requests')
    assert [(e['method'], e['status'], e['fault']) for e in log['requests']] == [
        ('POST', 503, 'status'), ('POST', None, 'drop_after'), ('POST', 201, 'pass'), ('DELETE', 502, 'status_after')]
    assert log['summary']['writes'] == 4


def test_fault_status_headers_replace_retry_after(client):
    client.faults({'method': 'GET', 'path': '/account$', 'action': 'status', 'status': 429, 'retry_after': 1,
                   'headers': {'retry-after': '30', 'WWW-Authenticate': 'Basic realm="elsewhere"'}})
    response = client.api('GET', '/users/u-demo/account')
    assert response.status_code == 429 and response.json()['code'] == 'rate-limit-reached'
    assert response.headers['Retry-After'] == '30' and response.raw.headers.getlist('Retry-After') == ['30']
    assert response.headers['WWW-Authenticate'] == 'Basic realm="elsewhere"'


def test_fault_headers_placeholders_and_foreign_link(client, server):
    foreign = client.ctl('GET', 'health')['foreign_url']
    assert re.match(r'^http://127\.0\.0\.1:\d+$', foreign) and foreign != client.root and foreign == server.foreign_url
    client.allocate(NUM)
    link = '<{foreign}/v1/users/u-demo/phoneNumbers?page=1&size=1000>; rel="next"'
    client.faults({'action': 'pass', 'method': 'GET', 'path': LIST_PATH, 'headers': {'Link': link, 'X-Places': '{root} {foreign_localhost} {unknown}'}})
    response = client.api('GET', N)
    assert response.headers['Link'] == '<%s/v1/users/u-demo/phoneNumbers?page=1&size=1000>; rel="next"' % foreign
    assert response.headers['X-Places'] == '%s http://localhost:%s {unknown}' % (client.root, foreign.rsplit(':', 1)[1])
    assert client.ctl('GET', 'faults')['faults'][0]['headers']['Link'] == link  # the rule keeps the placeholders
    follow = re.search(r'<([^>]+)>; rel="next"', response.headers['Link']).group(1)
    answer = client.session.get(follow, timeout=5)  # a careless client sends its credentials to the other origin
    assert (answer.status_code, answer.headers['Content-Type'], answer.json()) == (200, 'application/json', [])
    assert client.ctl('GET', 'foreign') == {'url': foreign, 'requests': [
        {'method': 'GET', 'path': '/v1/users/u-demo/phoneNumbers', 'query': 'page=1&size=1000', 'authorization': True, 'credentials': 'valid'}]}
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'pass', 'headers': {'Location': '{foreign}/v1/users/u-demo/phoneNumbers/n-elsewhere'}})
    response = client.allocate('+19195550101')
    assert response.status_code == 201 and response.headers['Location'] == foreign + '/v1/users/u-demo/phoneNumbers/n-elsewhere'


def test_foreign_listener_records_credentials_without_keeping_them(client, server):
    foreign = server.foreign_url
    assert client.ctl('GET', 'foreign') == {'url': foreign, 'requests': []}
    calls = [('GET', None, None), ('POST', 'Basic VDp3cm9uZw==', '{"number": "+19195550100"}'),  # T:wrong
             ('PUT', 'Basic VDI6UzI=', None), ('DELETE', 'Bearer T', None), ('PATCH', 'Basic !!not-base64', None),  # T2:S2, the other account
             ('HEAD', 'Basic VDpT', None)]  # T:S
    with requests.Session() as session:
        for method, authorization, data in calls:
            response = session.request(method, foreign + '/v1/users/u-demo/phoneNumbers/%2B19195550100?x=1', data=data, timeout=5,
                                       headers={'Authorization': authorization} if authorization else {})
            assert response.status_code == 200 and response.headers['Content-Type'] == 'application/json'
            assert response.content == (b'' if method == 'HEAD' else b'[]')
    report = client.ctl('GET', 'foreign')
    assert [(r['method'], r['authorization'], r['credentials']) for r in report['requests']] == [
        ('GET', False, 'none'), ('POST', True, 'other'), ('PUT', True, 'valid'), ('DELETE', True, 'none'), ('PATCH', True, 'other'),
        ('HEAD', True, 'valid')]
    assert {(r['path'], r['query']) for r in report['requests']} == {('/v1/users/u-demo/phoneNumbers/%2B19195550100', 'x=1')}
    assert all(set(r) == {'method', 'path', 'query', 'authorization', 'credentials'} for r in report['requests'])
    text = requests.get(client.root + '/_emulator/foreign', timeout=5).text
    assert 'VDpT' not in text and 'Basic' not in text and 'Bearer' not in text
    assert client.ctl('GET', 'requests')['requests'] == []  # the API log is separate
    assert client.ctl('DELETE', 'foreign') == {'url': foreign, 'requests': []} and client.ctl('GET', 'foreign')['requests'] == []
    requests.get(foreign.replace('127.0.0.1', 'localhost') + '/anything', timeout=5)
    assert len(client.ctl('GET', 'foreign')['requests']) == 1
    client.ctl('POST', 'reset')
    assert client.ctl('GET', 'foreign')['requests'] == []


def test_foreign_port_option_and_stop(client, emulator_module):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    srv = emulator_module.start_in_thread(['--port', '0', '--foreign-port', str(port)])
    try:
        assert srv.foreign_url == 'http://127.0.0.1:%d' % port == requests.get(srv.root_url + '/_emulator/health', timeout=5).json()['foreign_url']
        assert requests.get(srv.foreign_url + '/x', auth=('T', 'S'), timeout=5).json() == []
        assert requests.get(srv.root_url + '/_emulator/foreign', timeout=5).json()['requests'][0]['credentials'] == 'valid'
        assert client.ctl('GET', 'foreign')['requests'] == []  # each emulator has its own foreign listener
    finally:
        srv.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get('http://127.0.0.1:%d/x' % port, timeout=5)
    emulator_module.build_server(['--port', '0']).server_close()  # must not hang on a foreign listener that never started


OUTSIDE = '/users/u-demo/phoneNumbers/%2B19195550100'


def test_outside_api_is_a_proxy_404_logged_and_not_applied(client):
    client.allocate(NUM)
    client.faults({'action': 'status', 'status': 500, 'count': 0})  # faults apply to /v1 only
    client.ctl('DELETE', 'requests')
    methods = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD')
    for method, path in [(method, OUTSIDE) for method in methods] + [('POST', '/users/u-demo/phoneNumbers')]:
        response = client.session.request(method, client.root + path, json={'number': '+19195550101'}, timeout=5)
        assert response.status_code == 404 and response.headers['Content-Type'].startswith('text/html'), method
        assert response.text == ('' if method == 'HEAD' else '<html><body><h1>404 Not Found</h1></body></html>')
    assert client.ctl('GET', 'numbers')['numbers'][0]['numberState'] == 'enabled' and http_numbers(client) == [NUM]
    report = client.ctl('GET', 'requests')
    assert [(e['method'], e['path'], e['query'], e['status'], e['fault'], e['outside_api']) for e in report['requests']] == \
        [(m, OUTSIDE, '', 404, None, True) for m in methods] + [('POST', '/users/u-demo/phoneNumbers', '', 404, None, True)]
    assert report['summary']['writes'] == 5 and report['summary']['faults'] == 0
    assert client.ctl('GET', 'faults')['faults'][0]['seen'] == 0
    client.ctl('DELETE', 'faults')
    client.session.get(client.root + '/v1x/users?size=1', timeout=5)
    assert (client.ctl('GET', 'requests')['requests'][-1]['path'], client.ctl('GET', 'requests')['requests'][-1]['query']) == ('/v1x/users', 'size=1')
    response = client.api('GET', '/nope')  # under /v1: a Catapult error
    assert (response.status_code, response.json()['code']) == (404, 'resource-not-found')
    assert client.ctl('GET', 'requests')['requests'][-1]['outside_api'] is False
    for path, body in (('/_emulator/nope', {'error': 'unknown control call GET /_emulator/nope'}),
                       ('/_emulator', {'category': 'not-found', 'code': 'resource-not-found',
                                       'message': 'The requested resource could not be found.', 'details': []})):
        response = requests.get(client.root + path, timeout=5)
        assert response.status_code == 404 and response.json() == body
    assert client.ctl('GET', 'requests')['summary']['total'] == 9


def test_latency_overlaps_across_pooled_connections(client):
    client.ctl('POST', 'config', json={'latency_ms': 50})
    session = requests.Session()
    session.auth = ('T', 'S')
    session.mount('http://', requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=16))
    statuses = []

    def worker():
        statuses.extend(session.get(client.base + '/users/u-demo/account', timeout=5).status_code for _i in range(5))

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    session.close()
    assert statuses == [200] * 80
    assert 0.25 <= elapsed < 2.5  # 80 requests x 50 ms one after another would take 4 s


# --------------------------------------------------------------------------- command line and launcher

def test_command_line_contract(tmp_path, launched):
    files = {name: tmp_path / name for name in ('port', 'pid', 'url')}
    log_file = tmp_path / 'requests.jsonl'
    emulator = launched('--host', '127.0.0.1', '--user-id', 'u-demo', '--api-token', 'T', '--api-secret', 'S', '--port-file', files['port'],
                        '--pid-file', files['pid'], '--lifetime', '30', '--log-file', log_file, '--order-cap', '10', url_file=str(files['url']))
    url = emulator.url
    assert re.match(r'^http://127\.0\.0\.1:\d+/v1$', url)
    assert files['port'].read_text() == url.rsplit(':', 1)[1].split('/')[0]
    assert (files['url'].read_text(), files['pid'].read_text()) == (url, str(emulator.pid))
    response = requests.post(url + LOCAL, params={'state': 'NC', 'quantity': 11}, auth=('T', 'S'), timeout=5)
    assert response.json()['code'] == 'invalid-available-number-search-order'
    assert '"status": 400' in log_file.read_text()
    assert emulator.stop() == 0
    assert (tmp_path / 'output').read_text() == url + '\n'  # the URL first, and nothing on stderr
    assert not any(path.exists() for path in files.values())


def test_lifetime_exits_cleanly(tmp_path, launched):
    emulator = launched('--lifetime', '0.3', '--pid-file', tmp_path / 'pid')
    assert emulator.proc.wait(10) == 0 and emulator.url.startswith('http://127.0.0.1:')
    assert (tmp_path / 'output').read_text() == emulator.url + '\n' and not (tmp_path / 'pid').exists()


def test_tls(tmp_path, launched):
    cert = tmp_path / 'cert.pem'
    emulator = launched('--tls', '--tls-cert-file', cert)
    assert emulator.url.startswith('https://127.0.0.1:')
    assert requests.get(emulator.url + '/users/u-demo/account', auth=('T', 'S'), verify=str(cert), timeout=5).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(emulator.url + '/users/u-demo/account', auth=('T', 'S'), timeout=5)
    assert emulator.stop() == 0 and not cert.exists()


def test_detach_and_stop_on_the_command_line(tmp_path, emulator_module):
    """--detach prints the URL once the emulator serves and leaves it running; --stop ends it through its pid file."""
    pid_file, output = tmp_path / 'pid', tmp_path / 'output'

    def run(*args):
        return subprocess.run([sys.executable, emulator_module.__file__] + list(args), capture_output=True, text=True, timeout=30, check=True)

    done = run('--detach', '--port', '0', '--pid-file', str(pid_file), '--output', str(output), '--lifetime', '60')
    url = done.stdout.strip()
    assert re.match(r'^http://127\.0\.0\.1:\d+/v1$', url) and done.stderr == ''
    assert requests.get(url + '/users/u-demo/account', auth=('T', 'S'), timeout=5).status_code == 200
    pid = int(pid_file.read_text())
    assert os.getsid(pid) == pid  # a session of its own: it outlives the caller's terminal or job
    assert run('--stop', '--pid-file', str(pid_file)).stdout == 'emulator: stopped\n' and not pid_file.exists()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + '/users/u-demo/account', auth=('T', 'S'), timeout=5)
    assert run('--stop', '--pid-file', str(pid_file)).stdout == 'emulator: not running\n'
    assert output.read_text() == url + '\n'


def test_launch_reports_an_emulator_that_exits(tmp_path, launched, emulator_module):
    with pytest.raises(emulator_module.LaunchError, match='exited with status 2'):
        launched('--order-cap', 'many')
    assert 'invalid int value' in (tmp_path / 'output').read_text()
