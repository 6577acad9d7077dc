"""Tests of the Catapult emulator (tests/emulator/catapult_emulator.py) over real HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

ID_RE = re.compile(r'^n-[a-z2-7]{23}$')
TIME_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')


def assert_error(response, status, code, message=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body['code'] == code, body
    assert set(body) >= {'category', 'code', 'message', 'details'}
    names = {d['name'] for d in body['details']}
    assert {'requestMethod', 'requestPath'} <= names
    if message is not None:
        assert body['message'] == message
    return body


def detail(body, name):
    return [d['value'] for d in body['details'] if d['name'] == name][0]


def created(client, response, collection):
    """The id at the end of the absolute Location of a 201 with an empty, non-JSON body (a new number or application)."""
    assert response.status_code == 201 and response.content == b'', response.text
    assert 'json' not in response.headers.get('Content-Type', '')
    prefix = client.base + '/users/%s/%s/' % (client.user, collection)
    assert response.headers['Location'].startswith(prefix)
    return response.headers['Location'][len(prefix):]


# --------------------------------------------------------------------------- auth

def test_bad_or_missing_credentials_get_401(client):
    for auth in (None, ('T', 'wrong'), ('nobody', 'S')):
        response = requests.get(client.base + '/users/u-demo/phoneNumbers', auth=auth, timeout=5)
        body = assert_error(response, 401, 'unauthorized')
        assert body['category'] == 'authentication'
        assert detail(body, 'requestPath') == 'users/u-demo/phoneNumbers'
        assert detail(body, 'requestMethod') == 'GET'
        assert 'wrong' not in response.text and 'Authorization' not in response.text


def test_foreign_user_id_is_user_access_denied(client):
    body = assert_error(client.api('GET', '/users/u-other/phoneNumbers'), 401, 'user-access-denied',
                        'User u-demo does not have permission to access user u-other')
    assert detail(body, 'requestPath') == 'users/u-other/phoneNumbers'


def test_account_and_applications(client):
    assert client.api('GET', '/users/u-demo/account').json() == {'balance': '538.37250', 'accountType': 'post-pay'}
    apps = client.api('GET', '/users/u-demo/applications').json()
    assert [a['id'] for a in apps] == ['a-demo-support', 'a-demo-ivr', 'a-demo-sales']
    client.ctl('POST', 'applications', json={'user_id': 'u-demo', 'id': 'a-extra'})
    assert client.allocate('+19195550100', applicationId='a-extra').status_code == 201


# --------------------------------------------------------------------------- phone numbers

def test_allocate_returns_absolute_location_and_empty_body(client):
    response = client.allocate('+19195550100', name='front desk', applicationId='a-demo-ivr', fallbackNumber=None)
    number_id = created(client, response, 'phoneNumbers')
    assert ID_RE.match(number_id)
    resource = client.session.get(response.headers['Location'], timeout=5).json()
    assert resource == {
        'id': number_id, 'number': '+19195550100', 'nationalNumber': '(919) 555-0100', 'name': 'front desk',
        'city': 'RALEIGH', 'state': 'NC', 'application': client.base + '/users/u-demo/applications/a-demo-ivr',
        'applicationId': 'a-demo-ivr', 'price': '0.35', 'createdTime': resource['createdTime'], 'numberState': 'enabled'}
    assert TIME_RE.match(resource['createdTime'])
    assert client.get_number('+19195550100').json()['id'] == number_id
    raw_plus = client.api('GET', client.numbers('/+19195550100'))
    assert raw_plus.status_code == 200 and raw_plus.json()['id'] == number_id


def test_allocate_without_optional_fields_omits_them(client):
    assert client.allocate('+19195550101', name=None, applicationId=None).status_code == 201
    resource = client.get_number('+19195550101').json()
    assert not {'name', 'application', 'applicationId', 'fallbackNumber'} & set(resource)


def test_allocate_errors(client, other):
    assert client.allocate('+19195550100').status_code == 201
    assert_error(client.allocate('+19195550100'), 409, 'duplicate-number')
    assert_error(client.allocate('+19195550099'), 404, 'number-not-found', 'The number +19195550099 could not be found')
    assert other.allocate('+19195550102').status_code == 201
    assert_error(client.allocate('+19195550102'), 404, 'number-not-found')
    assert_error(client.allocate('9195550103'), 400, 'validation-error', 'Invalid phone number')
    assert_error(client.allocate('+19195550103', fallbackNumber='12'), 400, 'validation-error', 'Invalid phone number')
    assert_error(client.api('POST', client.numbers(), json={'name': 'x'}), 400, 'missing-property')
    assert_error(client.allocate('+19195550103', applicationId='a-nope'), 404, 'application-not-found')
    assert_error(client.api('POST', client.numbers(), data='{not json', headers={'Content-Type': 'application/json'}),
                 400, 'validation-error')
    assert client.allocate('+19195550103').status_code == 201


def test_update_is_partial_and_clears_with_empty_string(client):
    client.allocate('+19195550100', name='a', applicationId='a-demo-ivr', fallbackNumber='+19195551000')
    number_id = client.get_number('+19195550100').json()['id']
    response = client.api('POST', client.numbers('/' + number_id), json={'name': 'b', 'applicationId': None})
    assert response.status_code == 200 and response.content == b''
    resource = client.get_number('+19195550100').json()
    assert (resource['name'], resource['applicationId'], resource['fallbackNumber']) == ('b', 'a-demo-ivr', '+19195551000')
    client.api('POST', client.numbers('/%2B19195550100'), json={'applicationId': '', 'fallbackNumber': ''})
    resource = client.get_number('+19195550100').json()
    assert resource['name'] == 'b'
    assert not {'application', 'applicationId', 'fallbackNumber'} & set(resource)
    assert_error(client.api('POST', client.numbers('/' + number_id), json={'applicationId': 'a-nope'}), 404, 'application-not-found')
    assert_error(client.api('POST', client.numbers('/' + number_id), json={'fallbackNumber': 'x'}), 400, 'validation-error')
    assert_error(client.api('POST', client.numbers('/n-aaaaaaaaaaaaaaaaaaaaaaa'), json={'name': 'x'}), 404, 'number-not-found')


@pytest.mark.parametrize('released_as', ['404', 'released'])
def test_release_then_get(client, released_as):
    client.config(released_as=released_as)
    client.allocate('+19195550100')
    number_id = client.get_number('+19195550100').json()['id']
    response = client.api('DELETE', client.numbers('/' + number_id))
    assert response.status_code == 200 and response.content == b''
    for ref in (number_id, '+19195550100'):
        response = client.get_number(ref)
        if released_as == '404':
            assert_error(response, 404, 'number-not-found')
        else:
            assert response.status_code == 200 and response.json()['numberState'] == 'released'
    assert_error(client.api('DELETE', client.numbers('/' + number_id)), 404, 'number-not-found')
    assert_error(client.allocate('+19195550100'), 404, 'number-not-found')  # cannot be added back
    assert client.api('GET', client.numbers()).json() == []
    released = client.api('GET', client.numbers(), params={'numberState': 'Released'}).json()
    assert [n['number'] for n in released] == ['+19195550100']


def test_delete_by_e164(client):
    client.allocate('+19195550100')
    assert client.api('DELETE', client.numbers('/%2B19195550100')).status_code == 200
    assert client.ctl('GET', 'numbers')['numbers'][0]['numberState'] == 'released'


def test_list_filters(client):
    client.allocate('+19195550100', name='pool', applicationId='a-demo-ivr')
    client.allocate('+19196800001', name='pool')
    client.allocate('+12122260001', name='other', applicationId='a-demo-ivr')
    client.allocate('+12122260002', name='Pool')

    def listed(**params):
        return [n['number'] for n in client.api('GET', client.numbers(), params=params).json()]

    assert listed() == ['+19195550100', '+19196800001', '+12122260001', '+12122260002']
    assert listed(name='pool') == ['+19195550100', '+19196800001']
    assert listed(applicationId='a-demo-ivr') == ['+19195550100', '+12122260001']
    assert listed(state='ny') == ['+12122260001', '+12122260002']
    assert listed(city='Cary', state='NC') == ['+19196800001']
    assert listed(numberState='ENABLED', name='Pool') == ['+12122260002']
    assert_error(client.api('GET', client.numbers(), params={'numberState': 'gone'}), 400, 'validation-error')
    assert_error(client.api('GET', client.numbers(), params={'size': 1001}), 400, 'validation-error')


def follow_pages(client, url, params, key):
    """Every page of a list call, following its Link rel="next": ([[item[key]...] a page], [Link header a page])."""
    response = client.session.get(url, params=params, timeout=5)
    pages, links = [], []
    while True:
        pages.append([item[key] for item in response.json()])
        links.append(response.headers['Link'])
        match = re.search(r'<([^>]+)>; rel="next"', response.headers['Link'])
        if not match:
            return pages, links
        response = client.session.get(match.group(1), timeout=5)


def test_link_pagination_across_three_pages(client):
    for line in range(7):
        client.allocate('+1919555%04d' % (200 + line), name='pool, a')
    client.allocate('+19195550300', name='else')
    url = client.base + client.numbers()
    pages, links = follow_pages(client, url, {'name': 'pool, a', 'size': 3}, 'number')
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == ['+1919555%04d' % (200 + line) for line in range(7)]
    first = '<%s?name=pool%%2C%%20a&page=0&size=3>; rel="first"' % url
    assert links[0] == first + ', <%s?name=pool%%2C%%20a&page=1&size=3>; rel="next"' % url
    assert links[1] == first + ', <%s?name=pool%%2C%%20a&page=2&size=3>; rel="next"' % url
    assert links[2] == first
    for link in links:  # the way the Python SDK parses it
        for entry in link.split(','):
            assert len(entry.split(';')) == 2


# --------------------------------------------------------------------------- applications

APP_ID_RE = re.compile(r'^a-[a-z2-7]{23}$')
SEEDED = [
    {'id': 'a-demo-support', 'name': 'Demo support', 'incomingCallUrl': 'https://callbacks.example.com/a-demo-support/calls',
     'callbackHttpMethod': 'post', 'autoAnswer': True},
    {'id': 'a-demo-ivr', 'name': 'Demo IVR', 'incomingCallUrl': 'https://callbacks.example.com/a-demo-ivr/calls',
     'callbackHttpMethod': 'post', 'autoAnswer': True},
    {'id': 'a-demo-sales', 'name': 'Demo sales', 'incomingCallUrl': 'https://callbacks.example.com/a-demo-sales/calls',
     'callbackHttpMethod': 'post', 'autoAnswer': True},
]
FULL_APP = {
    'name': 'Support', 'incomingCallUrl': 'https://cb.example.com/calls', 'incomingCallUrlCallbackTimeout': 5000,
    'incomingCallFallbackUrl': 'https://fallback.example.com/calls', 'incomingMessageUrl': 'http://cb.example.com:8080/messages',
    'incomingMessageUrlCallbackTimeout': 1, 'incomingMessageFallbackUrl': 'https://fallback.example.com/messages',
    'callbackHttpMethod': 'GET', 'autoAnswer': False,
}


def apps_path(client, path=''):
    return '/users/%s/applications%s' % (client.user, path)


def create_app(client, **body):
    return created(client, client.api('POST', apps_path(client), json=body), 'applications')


def listed_apps(client, **params):
    return client.api('GET', apps_path(client), params=dict(params, size=1000)).json()


def test_seeded_applications_are_real_applications(client):
    assert listed_apps(client) == SEEDED
    assert client.api('GET', apps_path(client, '/a-demo-ivr')).json() == SEEDED[1]
    assert client.ctl('GET', 'applications', params={'user_id': 'u-demo'})['applications'] == [
        dict(app, userId='u-demo') for app in SEEDED]
    assert len(client.ctl('GET', 'applications')['applications']) == 6  # u-demo's and u-other's copies


def test_create_answers_201_with_location_and_reads_back(client):
    response = client.api('POST', apps_path(client), json=FULL_APP)
    app_id = created(client, response, 'applications')
    assert APP_ID_RE.match(app_id)
    expected = dict(FULL_APP, id=app_id, callbackHttpMethod='get')
    assert client.session.get(response.headers['Location'], timeout=5).json() == expected
    assert listed_apps(client)[-1] == expected


def test_create_keeps_only_the_fields_given_and_reads_null_as_not_given(client):
    # the body the Python SDK sends: every field it knows, null when not set
    body = dict.fromkeys(FULL_APP)
    body.update(name='Minimal', incomingMessageUrl='https://cb.example.com/sms')
    app_id = create_app(client, **body)
    assert client.api('GET', apps_path(client, '/' + app_id)).json() == {
        'id': app_id, 'name': 'Minimal', 'incomingMessageUrl': 'https://cb.example.com/sms', 'callbackHttpMethod': 'post',
        'autoAnswer': True}
    both_ends = create_app(client, name='Edges', incomingCallUrl='http://h/x', incomingCallUrlCallbackTimeout=10000,
                           incomingMessageUrlCallbackTimeout=1, callbackHttpMethod='Post', incomingCallFallbackUrl='')
    resource = client.api('GET', apps_path(client, '/' + both_ends)).json()
    assert (resource['incomingCallUrlCallbackTimeout'], resource['incomingMessageUrlCallbackTimeout']) == (10000, 1)
    assert resource['callbackHttpMethod'] == 'post' and 'incomingCallFallbackUrl' not in resource


def test_application_ids_are_deterministic_and_leave_number_ids_alone(client):
    first = [create_app(client, name='A', incomingCallUrl='https://a.example.com'),
             create_app(client, name='B', incomingCallUrl='https://b.example.com')]
    client.allocate('+19195550100')
    number_id = client.get_number('+19195550100').json()['id']
    client.ctl('POST', 'reset')
    client.allocate('+19195550100')
    assert client.get_number('+19195550100').json()['id'] == number_id
    again = [create_app(client, name='A', incomingCallUrl='https://a.example.com'),
             create_app(client, name='B', incomingCallUrl='https://b.example.com')]
    assert again == first and first[0] != first[1]


URL_RULE = 'must be an absolute http or https URL'
TIMEOUT_RULE = 'must be an integer number of milliseconds from 1 to 10000'
METHOD_RULE = 'must be one of the following values: get, post'
REQUIRED = 'is required but was not specified'
X = 'https://x.example.com'
# (body, the property the answer names, its rule): 400 missing-property for REQUIRED, validation-error otherwise
APP_CREATE_ERRORS = [
    ({'incomingCallUrl': X}, 'name', REQUIRED),
    ({'name': '', 'incomingCallUrl': X}, 'name', REQUIRED),
    ({'name': 'x'}, "incomingCallUrl' or 'incomingMessageUrl", REQUIRED),
    ({'name': 'x', 'incomingCallUrl': '', 'incomingCallFallbackUrl': 'https://f.example.com'}, "incomingCallUrl' or 'incomingMessageUrl", REQUIRED),
    ({'name': 7, 'incomingCallUrl': X}, 'name', 'must be a string'),
    ({'name': '  ', 'incomingCallUrl': X}, 'name', 'must not be empty'),
    ({'name': 'x', 'incomingCallUrl': '/calls'}, 'incomingCallUrl', URL_RULE),
    ({'name': 'x', 'incomingCallUrl': 'ftp://x.example.com/c'}, 'incomingCallUrl', URL_RULE),
    ({'name': 'x', 'incomingMessageUrl': 'https://'}, 'incomingMessageUrl', URL_RULE),
    ({'name': 'x', 'incomingMessageUrl': 'https://a b.example.com'}, 'incomingMessageUrl', URL_RULE),
    ({'name': 'x', 'incomingCallUrl': 'https://x.example.com:99999/'}, 'incomingCallUrl', URL_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'incomingCallFallbackUrl': 'fallback'}, 'incomingCallFallbackUrl', URL_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'incomingMessageFallbackUrl': 3}, 'incomingMessageFallbackUrl', 'must be a string'),
    ({'name': 'x', 'incomingCallUrl': X, 'incomingCallUrlCallbackTimeout': 0}, 'incomingCallUrlCallbackTimeout', TIMEOUT_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'incomingCallUrlCallbackTimeout': 10001}, 'incomingCallUrlCallbackTimeout', TIMEOUT_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'incomingMessageUrlCallbackTimeout': '5000'}, 'incomingMessageUrlCallbackTimeout', TIMEOUT_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'incomingMessageUrlCallbackTimeout': 2.5}, 'incomingMessageUrlCallbackTimeout', TIMEOUT_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'incomingMessageUrlCallbackTimeout': True}, 'incomingMessageUrlCallbackTimeout', TIMEOUT_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'callbackHttpMethod': 'put'}, 'callbackHttpMethod', METHOD_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'callbackHttpMethod': ''}, 'callbackHttpMethod', METHOD_RULE),
    ({'name': 'x', 'incomingCallUrl': X, 'autoAnswer': 'yes'}, 'autoAnswer', 'must be true or false'),
]


@pytest.mark.parametrize('body,prop,rule', APP_CREATE_ERRORS)
def test_create_validation(client, body, prop, rule):
    assert_error(client.api('POST', apps_path(client), json=body), 400, 'missing-property' if rule == REQUIRED else 'validation-error',
                 "The 'application' resource property '%s' %s" % (prop, rule))
    assert listed_apps(client) == SEEDED


@pytest.mark.parametrize('data', ['[]', '"x"', '{not json', ''])
def test_create_needs_a_json_object(client, data):
    response = client.api('POST', apps_path(client), data=data, headers={'Content-Type': 'application/json'})
    assert_error(response, 400, 'validation-error', 'Bad parameters')
    assert listed_apps(client) == SEEDED


def test_get_unknown_or_foreign_application(client, other):
    assert_error(client.api('GET', apps_path(client, '/a-nope')), 404, 'application-not-found',
                 'The application a-nope could not be found')
    foreign = create_app(other, name='Theirs', incomingCallUrl='https://t.example.com')
    for method, body in (('GET', None), ('POST', {'name': 'Mine'}), ('DELETE', None)):
        assert_error(client.api(method, apps_path(client, '/' + foreign), json=body), 403, 'application-access-denied',
                     'User u-demo does not have permission to use application %s' % foreign)
    assert_error(client.allocate('+19195550100', applicationId=foreign), 403, 'application-access-denied')
    assert other.api('GET', apps_path(other, '/' + foreign)).json()['name'] == 'Theirs'
    assert_error(client.api('GET', '/users/u-other/applications'), 401, 'user-access-denied')


def test_update_is_partial(client):
    app_id = create_app(client, **FULL_APP)
    path = apps_path(client, '/' + app_id)
    response = client.api('POST', path, json={'name': 'Renamed', 'autoAnswer': None, 'incomingCallUrlCallbackTimeout': 7000})
    assert response.status_code == 200 and response.content == b''
    assert client.api('GET', path).json() == dict(FULL_APP, id=app_id, name='Renamed', callbackHttpMethod='get',
                                                  incomingCallUrlCallbackTimeout=7000)
    client.api('POST', path, json={'incomingCallFallbackUrl': '', 'incomingCallUrl': '', 'callbackHttpMethod': 'POST',
                                   'autoAnswer': True})
    resource = client.api('GET', path).json()
    assert not {'incomingCallUrl', 'incomingCallFallbackUrl'} & set(resource)
    assert (resource['callbackHttpMethod'], resource['autoAnswer'], resource['incomingMessageUrl']) == (
        'post', True, FULL_APP['incomingMessageUrl'])
    assert resource['incomingCallUrlCallbackTimeout'] == 7000
    # the checks run before anything changes
    for body, code in (({'incomingMessageUrl': ''}, 'missing-property'), ({'name': ''}, 'validation-error'),
                       ({'name': 'ok', 'incomingCallUrlCallbackTimeout': 20000}, 'validation-error'),
                       ({'name': 'ok', 'incomingCallUrl': 'not a url'}, 'validation-error')):
        assert_error(client.api('POST', path, json=body), 400, code)
    assert client.api('GET', path).json() == resource
    assert_error(client.api('POST', path, data='[1]', headers={'Content-Type': 'application/json'}), 400, 'validation-error')
    assert_error(client.api('POST', apps_path(client, '/a-nope'), json={'name': 'x'}), 404, 'application-not-found')
    client.api('POST', path, json={'unknownKey': 1})
    assert client.api('GET', path).json() == resource


def test_delete_then_404_and_numbers_keep_pointing_at_it(client, other):
    app_id = create_app(client, name='Doomed', incomingCallUrl='https://d.example.com')
    assert client.allocate('+19195550100', applicationId=app_id).status_code == 201
    client.allocate('+19195550101')
    number_id = client.get_number('+19195550101').json()['id']
    assert client.api('POST', client.numbers('/' + number_id), json={'applicationId': app_id}).status_code == 200
    number = client.get_number('+19195550100').json()
    assert number['application'] == client.base + '/users/u-demo/applications/' + app_id and number['applicationId'] == app_id
    response = client.api('DELETE', apps_path(client, '/' + app_id))
    assert response.status_code == 200 and response.content == b''
    assert_error(client.api('GET', apps_path(client, '/' + app_id)), 404, 'application-not-found',
                 'The application %s could not be found' % app_id)
    assert_error(client.api('DELETE', apps_path(client, '/' + app_id)), 404, 'application-not-found')
    assert_error(client.api('POST', apps_path(client, '/' + app_id), json={'name': 'x'}), 404, 'application-not-found')
    assert app_id not in [app['id'] for app in listed_apps(client)]
    # the numbers still name it (undocumented; README), new references to it are refused
    assert client.get_number('+19195550100').json()['applicationId'] == app_id
    assert [n['number'] for n in client.api('GET', client.numbers(), params={'applicationId': app_id}).json()] == [
        '+19195550100', '+19195550101']
    assert_error(client.allocate('+19195550102', applicationId=app_id), 404, 'application-not-found')
    assert client.api('POST', client.numbers('/' + number_id), json={'name': 'kept'}).status_code == 200
    # a seeded application deleted by one user is gone for that user only
    assert client.api('DELETE', apps_path(client, '/a-demo-ivr')).status_code == 200
    assert_error(client.api('GET', apps_path(client, '/a-demo-ivr')), 404, 'application-not-found')
    assert other.api('GET', apps_path(other, '/a-demo-ivr')).status_code == 200
    client.ctl('POST', 'reset')
    assert listed_apps(client) == SEEDED


def test_application_list_pagination(client):
    created = [create_app(client, name='App %d' % index, incomingCallUrl='https://x.example.com/%d' % index) for index in range(4)]
    url = client.base + apps_path(client)
    pages, links = follow_pages(client, url, {'size': 3}, 'id')
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sum(pages, []) == [app['id'] for app in SEEDED] + created
    first = '<%s?page=0&size=3>; rel="first"' % url
    assert links == [first + ', <%s?page=1&size=3>; rel="next"' % url, first + ', <%s?page=2&size=3>; rel="next"' % url, first]
    assert len(client.api('GET', apps_path(client)).json()) == 7  # default size 25
    assert client.api('GET', apps_path(client), params={'page': 5}).json() == []
    assert_error(client.api('GET', apps_path(client), params={'size': 1001}), 400, 'validation-error',
                 'The application resource property size exceeds the limit of 1000')


APPS_PATH = r'^/users/[^/]+/applications$'


def test_faults_and_log_on_application_routes(client):
    client.faults({'method': 'POST', 'path': APPS_PATH, 'action': 'status', 'status': 503},
                  {'method': 'POST', 'path': APPS_PATH, 'action': 'drop_after'},
                  {'method': 'DELETE', 'path': r'^/users/[^/]+/applications/', 'action': 'status_after', 'status': 502},
                  {'method': 'POST', 'path': APPS_PATH, 'action': 'pass', 'headers': {'Location': None}})
    body = {'name': 'Faulty', 'incomingCallUrl': 'https://f.example.com'}
    assert_error(client.api('POST', apps_path(client), json=body), 503, 'service-unavailable')
    assert [app['name'] for app in listed_apps(client)] == [app['name'] for app in SEEDED]
    with pytest.raises(requests.exceptions.ConnectionError):
        client.api('POST', apps_path(client), json=body)
    created = listed_apps(client)[-1]
    assert created['name'] == 'Faulty'
    response = client.api('POST', apps_path(client), json=dict(body, name='No location'))
    assert response.status_code == 201 and 'Location' not in response.headers
    assert listed_apps(client)[-1]['name'] == 'No location'
    assert_error(client.api('DELETE', apps_path(client, '/' + created['id'])), 502, 'bad-gateway')
    assert created['id'] not in [app['id'] for app in listed_apps(client)]
    log = client.ctl('GET', 'requests')
    assert [(e['method'], e['status'], e['fault']) for e in log['requests'] if e['method'] != 'GET'] == [
        ('POST', 503, 'status'), ('POST', None, 'drop_after'), ('POST', 201, 'pass'), ('DELETE', 502, 'status_after')]
    assert log['summary']['writes'] == 4


def test_application_control_api(client):
    added = client.ctl('POST', 'applications', json={'user_id': 'u-demo', 'id': 'a-extra-line', 'name': 'Extra'})
    assert added == {'user_id': 'u-demo', 'applications': ['a-demo-support', 'a-demo-ivr', 'a-demo-sales', 'a-extra-line']}
    assert client.api('GET', apps_path(client, '/a-extra-line')).json()['name'] == 'Extra'
    client.ctl('POST', 'applications', json={'user_id': 'u-demo', 'id': 'a-night-shift'})
    assert client.api('GET', apps_path(client, '/a-night-shift')).json()['name'] == 'Night shift'
    for bad in ({'user_id': 'u-nobody', 'id': 'a-x'}, {'user_id': 'u-demo', 'id': ''}, {'user_id': 'u-demo', 'id': 'a-x', 'name': ''}):
        assert requests.post(client.root + '/_emulator/applications', json=bad, timeout=5).status_code == 400
    assert requests.get(client.root + '/_emulator/applications', params={'user_id': 'u-x'}, timeout=5).status_code == 400


def test_application_option_seeds_named_applications(start_server):
    apps = listed_apps(start_server('--application', 'a-front-desk', '--application', 'a-demo-ivr').client)
    assert [(app['id'], app['name']) for app in apps] == [('a-front-desk', 'Front desk'), ('a-demo-ivr', 'Demo IVR')]


# --------------------------------------------------------------------------- search

SEARCH_ERRORS = [
    ({'city': 'Raleigh'}, 'For searching by City the State is also required.'),
    ({}, 'Specify a State ZIP Code or Area Code with your query.'),
    ({'localNumber': '555'}, 'Specify a State ZIP Code or Area Code with your query.'),
    ({'city': 'Raleigh', 'state': 'NC', 'zip': '27601'}, 'A query cannot combine City with ZIP Code.'),
    ({'city': 'Raleigh', 'state': 'NC', 'areaCode': '919'}, 'A query cannot combine City with Area Code or Local Number.'),
    ({'city': 'Raleigh', 'state': 'NC', 'localNumber': '555'}, 'A query cannot combine City with Area Code or Local Number.'),
    ({'zip': '27601', 'state': 'NC', 'areaCode': '919'}, 'A query cannot combine ZIP Code and State with Area Code or Local Number.'),
    ({'zip': '27601', 'areaCode': '919'}, 'A query cannot combine ZIP Code with Area Code or Local Number.'),
    ({'zip': '27601', 'state': 'NC'}, 'A query cannot combine ZIP Code with State.'),
    ({'state': 'NC', 'areaCode': '919'}, 'A query cannot combine State with Area Code or Local Number.'),
    ({'areaCode': '91'}, 'An Area Code must be 3 digits.'),
    ({'areaCode': '9190'}, 'An Area Code must be 3 digits.'),
    ({'areaCode': '919', 'localNumber': '55'}, 'Local Number must contains at least 3 digits.'),
    ({'areaCode': '919', 'localNumber': '55555'}, 'localNumber must contain a maximum of 4 digits'),
    ({'areaCode': '919', 'inLocalCallingArea': 'true'}, 'inLocalCallingArea can only be used with localNumber.'),
    ({'state': 'NC', 'quantity': '5001'}, 'The maximum quantity of numbers is 5000'),
    ({'state': 'NC', 'pattern': '91-9'}, 'A pattern may contain only letters, digits and the wildcards ? and *.'),
]


@pytest.mark.parametrize('params,message', SEARCH_ERRORS)
def test_search_validation(client, params, message):
    assert_error(client.api('GET', '/availableNumbers/local', params=params), 400, 'invalid-available-number-search', message)


@pytest.mark.parametrize('params,status,code,message', [
    ({'state': 'NC', 'quantity': '0'}, 400, 'validation-error', 'Quantity must be greater than zero.'),
    ({'state': 'NC', 'quantity': '-1'}, 400, 'validation-error', 'Quantity must be greater than zero.'),
    ({'zip': '99999'}, 400, 'invalid-zip-code', 'The ZIP code 99999 did not map to a location where telephone numbers are available'),
    ({'state': 'NC', 'city': 'Nowhere'}, 403, 'invalid-rate-center', 'The city NOWHERE in the state NC was not found'),
    ({'state': 'ZZ'}, 403, 'invalid-rate-center', None),
])
def test_search_quantity_zip_and_rate_center_errors(client, params, status, code, message):
    assert_error(client.api('GET', '/availableNumbers/local', params=params), status, code, message)


def search(client, **params):
    response = client.api('GET', '/availableNumbers/local', params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_search_by_each_criterion(client):
    by_state = search(client, state='nc', quantity=5000)
    assert len(by_state) == 5000 and {n['city'] for n in by_state} == {'RALEIGH', 'CARY'}  # sorted by number: 919 before 984
    assert [n['number'] for n in by_state] == sorted(n['number'] for n in by_state)
    assert by_state[0] == {'number': '+19195550100', 'nationalNumber': '(919) 555-0100', 'city': 'RALEIGH', 'lata': '426',
                           'rateCenter': 'RALEIGH', 'state': 'NC', 'price': '0.35'}
    assert {n['city'] for n in search(client, state='NC', city='cary')} == {'CARY'}
    assert {n['city'] for n in search(client, zip='27701')} == {'DURHAM'}
    assert len(search(client, zip='98121', quantity=3)) == 3
    assert {n['number'][:5] for n in search(client, areaCode='415')} == {'+1415'}
    assert [n['number'] for n in search(client, areaCode='919', localNumber='5551', quantity=2)] == ['+19195551000', '+19195551001']
    assert search(client, areaCode='919', localNumber='5559') == []
    widened = search(client, areaCode='919', localNumber='5552', inLocalCallingArea='true', quantity=5000)
    assert widened[0]['number'] == '+19195552000' and widened[599]['number'] == '+19195552599'
    assert widened[600]['number'] == '+19195550100' and widened[2500]['number'] == '+19196800000'
    # the local calling area = every rate center of the same state and LATA (Durham's 984 included)
    assert [n['number'] for n in search(client, areaCode='919', localNumber='5552', inLocalCallingArea='true', pattern='*2499')] == \
        ['+19195552499', '+19196802499', '+19842192499']
    assert [n['number'] for n in search(client, areaCode='919', localNumber='5552', pattern='*2499')] == ['+19195552499']
    assert search(client, areaCode='999') == [] and search(client, state='FL') == []
    assert len(search(client, areaCode='919')) == 10
    client.allocate('+19195550100')
    assert search(client, areaCode='919', quantity=1)[0]['number'] == '+19195550101'


def test_pattern_wildcards(client):
    numbers = [n['number'] for n in search(client, areaCode='919', pattern='555?12?', quantity=100)]
    assert numbers == ['+1919555%d12%d' % (d, e) for d in range(3) for e in range(10)]
    star = search(client, state='NC', pattern='*2499', quantity=10)
    assert [n['number'] for n in star] == ['+19195552499', '+19196802499', '+19842192499']
    assert star[0]['patternMatch'] == '          2499'
    letters = search(client, zip='27601', pattern='JKL0100')  # J/K/L = 5 on the keypad
    assert [n['number'] for n in letters] == ['+19195550100']
    assert letters[0]['patternMatch'] == '      555-0100'.replace('-', ' ')
    middle = search(client, areaCode='303', pattern='292*19', quantity=2)
    assert [n['number'] for n in middle] == ['+13032920019', '+13032920119']
    assert middle[0]['patternMatch'] == '      292   19'


# --------------------------------------------------------------------------- search-and-order

def order(client, **params):
    return client.api('POST', '/availableNumbers/local', params=params, json={'ignored': True})


def test_search_and_order(client):
    response = order(client, zip='27605', quantity=2)
    assert response.status_code == 201
    items = response.json()
    assert [i['number'] for i in items] == ['+19195550100', '+19195550101']
    assert set(items[0]) == {'number', 'nationalNumber', 'price', 'city', 'state', 'location'}
    number_id = items[0]['location'].rsplit('/', 1)[1]
    assert items[0]['location'] == client.base + '/users/u-demo/phoneNumbers/' + number_id
    resource = client.session.get(items[0]['location'], timeout=5).json()
    assert 'name' not in resource and resource['numberState'] == 'enabled'
    assert search(client, zip='27605', quantity=1)[0]['number'] == '+19195550102'
    assert_error(order(client, city='Raleigh'), 400, 'invalid-available-number-search')


def test_order_cap_switch(client):
    assert order(client, state='CO', quantity=20).status_code == 201
    client.config(order_cap=10)
    assert_error(order(client, state='CO', quantity=11), 400, 'invalid-available-number-search-order',
                 'The maximum quantity of numbers searching and ordering is 10')
    assert len(order(client, state='CO', quantity=10).json()) == 10
    client.config(order_cap=5000)
    assert_error(order(client, state='CO', quantity=5001), 400, 'invalid-available-number-search-order',
                 'The maximum quantity of numbers searching and ordering is 5000')


def test_pattern_on_order_switch(client):
    response = order(client, areaCode='206', pattern='*0042', quantity=1)
    assert response.status_code == 201 and response.json()[0]['number'] == '+12066240042'
    client.config(pattern_on_order='reject')
    assert_error(order(client, areaCode='206', pattern='*0043', quantity=1), 400, 'invalid-available-number-search-order',
                 'A query and order numbers cannot contain pattern')


@pytest.mark.parametrize('mode,kept', [('none', 0), ('keep', 10)])
def test_partial_fulfilment(client, mode, kept):
    client.config(partial_fulfilment=mode)
    response = order(client, areaCode='919', localNumber='5552', pattern='919555259?', quantity=12)
    assert_error(response, 404, 'order-number-quantity-unavailable',
                 'Only a partial quantity of the total telephone numbers ordered could be fulfilled.')
    numbers = client.ctl('GET', 'numbers', params={'user_id': 'u-demo'})['numbers']
    assert len(numbers) == kept
    assert all('name' not in n for n in numbers)


def test_toll_free(client):
    found = client.api('GET', '/availableNumbers/tollFree', params={'pattern': '888343?', 'quantity': 2}).json()
    assert [n['number'] for n in found] == ['+18883430000', '+18883430001']
    assert found[0]['patternMatch'] == ' 888  343 0   ' and found[0]['price'] == '2.00'
    assert len(client.api('GET', '/availableNumbers/tollFree', params={'pattern': '*888*', 'quantity': 5000}).json()) == 1000 + 2  # 800826-0888, 877227-0888
    assert len(client.api('GET', '/availableNumbers/tollFree').json()) == 10
    ordered = client.api('POST', '/availableNumbers/tollFree').json()
    assert [n['number'] for n in ordered] == ['+18008260000'] and 'location' in ordered[0]
    assert len(client.api('POST', '/availableNumbers/tollFree', params={'quantity': 10}).json()) == 10
    assert_error(client.api('POST', '/availableNumbers/tollFree', params={'quantity': 11}), 400,
                 'invalid-available-number-search-order', 'The maximum quantity of numbers searching and ordering is 10')


# --------------------------------------------------------------------------- faults

def allocated(client):
    return [n['number'] for n in client.ctl('GET', 'numbers')['numbers']]


ALLOCATE_PATH = r'^/users/[^/]+/phoneNumbers$'


@pytest.mark.parametrize('action,status,code,applied', [
    ('status', 503, 'service-unavailable', []), ('status_after', 502, 'bad-gateway', ['+19195550100'])])
def test_fault_status_is_applied_only_after(client, action, status, code, applied):
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': action, 'status': status})
    assert assert_error(client.allocate('+19195550100'), status, code)['category'] == 'unavailable'
    assert allocated(client) == applied
    assert client.allocate('+19195550100').status_code == (409 if applied else 201)  # count 1 = one hit only


@pytest.mark.parametrize('action,applied', [('drop', []), ('drop_after', ['+19195550100']), ('reset', [])])
def test_fault_drop_or_reset_is_a_connection_error(client, action, applied):
    client.allocate('+19195550105')  # warm the pooled connection first
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': action})
    with pytest.raises(requests.exceptions.ConnectionError):
        client.allocate('+19195550100')
    assert allocated(client) == ['+19195550105'] + applied
    entry = client.ctl('GET', 'requests')['requests'][-1]
    assert entry['fault'] == action and entry['status'] is None
    assert client.allocate('+19195550106').status_code == 201  # the session recovers
    assert client.allocate('+19195550100').status_code == (409 if applied else 201)  # applied or not, as the fault says


def test_fault_delay_times_out_but_applies(client):
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'delay', 'seconds': 0.6})
    with pytest.raises(requests.exceptions.Timeout):
        client.api('POST', client.numbers(), json={'number': '+19195550100'}, timeout=0.2)
    deadline = time.monotonic() + 3
    while not allocated(client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert allocated(client) == ['+19195550100']


def test_fault_plain_text(client):
    client.faults({'path': 'availableNumbers', 'action': 'plain_text', 'status': 500})
    response = client.api('GET', '/availableNumbers/local', params={'state': 'NC'})
    assert response.status_code == 500 and response.headers['Content-Type'].startswith('text/plain')
    assert response.text == '500 Internal Server Error'


def test_fault_echo_is_opt_in(client):
    plain = client.allocate('+19195550099')
    assert 'Basic' not in plain.text and '"S"' not in plain.text  # no fault: credentials never echoed
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'echo'})
    response = client.allocate('+19195550100', name='echoed')
    body = assert_error(response, 400, 'validation-error')
    assert detail(body, 'authorization') == response.request.headers['Authorization']
    assert 'echoed' in detail(body, 'requestBody')
    assert allocated(client) == []


def test_fault_429_headers_count_skip_and_method(client):
    client.faults({'method': 'GET', 'path': '/account$', 'action': 'status', 'status': 429, 'count': 2, 'skip': 1,
                   'retry_after': 2, 'rate_limit_reset_ms': 1500})
    statuses = []
    for _i in range(4):
        response = client.api('GET', '/users/u-demo/account')
        statuses.append(response.status_code)
        if response.status_code == 429:
            reset = int(response.headers['X-RateLimit-Reset'])
            assert response.headers['Retry-After'] == '2'
            assert 0 < reset - time.time() * 1000 <= 1600
            assert detail(response.json(), 'rateLimitResetTime') == str(reset)
    assert statuses == [200, 429, 429, 200]
    rule = client.ctl('GET', 'faults')['faults'][0]
    assert (rule['seen'], rule['hits'], rule['exhausted']) == (3, 2, True)
    assert client.ctl('DELETE', 'faults') == {'faults': []}
    response = requests.post(client.root + '/_emulator/faults', json={'faults': [{'action': 'explode'}]}, timeout=5)
    assert response.status_code == 400


def test_fault_every_request_with_count_zero(client):
    client.faults({'method': 'DELETE', 'path': '.', 'action': 'status', 'status': 500, 'count': 0})
    for _i in range(3):
        assert client.api('DELETE', client.numbers('/%2B19195550100')).status_code == 500
    assert client.api('GET', '/users/u-demo/account').status_code == 200


LIST_PATH = r'^/users/[^/]+/phoneNumbers$'
MAINTENANCE_PAGE = '<html><head><title>Maintenance</title></head><body><h1>Back soon</h1></body></html>'


def post_fault(client, *rules):
    """POST rules without asserting success (for the 400 cases)."""
    return requests.post(client.root + '/_emulator/faults', json={'faults': list(rules)}, timeout=5)


def last_entry(client):
    return client.ctl('GET', 'requests')['requests'][-1]


@pytest.mark.parametrize('extra,status,body,content_type', [
    ({'body': MAINTENANCE_PAGE}, 200, MAINTENANCE_PAGE, 'text/html; charset=utf-8'),
    ({'body': 'null', 'content_type': 'application/json'}, 200, 'null', 'application/json'),
    ({}, 200, '', 'text/html; charset=utf-8'),
    ({'body': '"ok"', 'content_type': 'application/json', 'status': 201}, 201, '"ok"', 'application/json'),
    ({'body': '{"x": 1}', 'content_type': None, 'status': 503}, 503, '{"x": 1}', None),
])
def test_fault_raw_is_literal_and_not_applied(client, extra, status, body, content_type):
    client.faults(dict({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'raw'}, **extra))
    response = client.allocate('+19195550100')
    assert response.status_code == status
    assert response.text == body
    assert response.headers.get('Content-Type') == content_type
    assert 'Location' not in response.headers
    assert int(response.headers['Content-Length']) == len(body)
    assert allocated(client) == []
    entry = last_entry(client)
    assert (entry['fault'], entry['status']) == ('raw', status)
    assert client.allocate('+19195550100').status_code == 201  # the connection is still usable; count 1


def test_fault_raw_object_where_a_list_is_expected(client):
    client.allocate('+19195550100')
    client.faults({'method': 'GET', 'path': LIST_PATH, 'action': 'raw', 'body': '{"unexpected": true}', 'content_type': 'application/json'})
    response = client.api('GET', client.numbers())
    assert response.status_code == 200 and response.json() == {'unexpected': True} and 'Link' not in response.headers
    assert [n['number'] for n in client.api('GET', client.numbers()).json()] == ['+19195550100']
    rule = client.ctl('GET', 'faults')['faults'][0]
    assert rule == {'method': 'GET', 'path': LIST_PATH, 'action': 'raw', 'status': 200, 'body': '{"unexpected": true}',
                    'content_type': 'application/json', 'count': 1, 'skip': 0, 'seen': 1, 'hits': 1, 'exhausted': True}


def test_fault_raw_after_order_allocates(client):
    client.faults({'method': 'POST', 'path': '^/availableNumbers/local$', 'action': 'raw_after', 'body': 'null',
                   'content_type': 'application/json'})
    response = order(client, zip='27601', quantity=3)
    assert response.status_code == 201  # the status the real handler answered
    assert response.text == 'null' and response.headers['Content-Type'] == 'application/json'
    assert allocated(client) == ['+19195550100', '+19195550101', '+19195550102']
    entry = last_entry(client)
    assert (entry['fault'], entry['status']) == ('raw_after', 201)
    assert 'status' not in client.ctl('GET', 'faults')['faults'][0]


def test_fault_raw_after_delete_releases_and_status_overrides(client):
    client.allocate('+19195550100')
    client.faults({'method': 'DELETE', 'path': 'phoneNumbers/', 'action': 'raw_after', 'body': MAINTENANCE_PAGE})
    response = client.api('DELETE', client.numbers('/%2B19195550100'))
    assert (response.status_code, response.text) == (200, MAINTENANCE_PAGE)
    assert response.headers['Content-Type'] == 'text/html; charset=utf-8'
    assert client.ctl('GET', 'numbers')['numbers'][0]['numberState'] == 'released'
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'raw_after', 'status': 500, 'body': 'oops', 'count': 2})
    response = client.allocate('+19195550101')
    assert (response.status_code, response.text) == (500, 'oops') and 'Location' not in response.headers
    assert '+19195550101' in allocated(client)
    response = client.allocate('+19195550099')  # the real answer would be a 404: applied (nothing to apply), raw answer
    assert (response.status_code, response.text) == (500, 'oops')
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'raw_after'})
    assert client.allocate('+19195550099').status_code == 404  # default status: the real one


def test_fault_pass_removes_location_but_applies(client):
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'pass', 'headers': {'Location': None}})
    response = client.allocate('+19195550100')
    assert response.status_code == 201 and response.content == b''
    assert 'Location' not in response.headers
    assert allocated(client) == ['+19195550100']
    entry = last_entry(client)
    assert (entry['fault'], entry['status']) == ('pass', 201)
    rule = client.ctl('GET', 'faults')['faults'][0]
    assert (rule['seen'], rule['hits'], rule['exhausted'], rule['headers']) == (1, 1, True, {'Location': None})
    assert 'Location' in client.allocate('+19195550101').headers  # count 1: only the first answer is changed
    assert client.ctl('GET', 'requests')['summary']['faults'] == 1


def test_fault_pass_removes_link(client):
    client.allocate('+19195550100')
    client.allocate('+19195550101')
    assert 'rel="next"' in client.api('GET', client.numbers(), params={'size': 1}).headers['Link']
    client.faults({'method': 'GET', 'path': LIST_PATH, 'action': 'pass', 'headers': {'Link': None}})
    response = client.api('GET', client.numbers(), params={'size': 1})
    assert response.status_code == 200 and [n['number'] for n in response.json()] == ['+19195550100']
    assert 'Link' not in response.headers


def test_fault_headers_placeholders_and_foreign_link(client, server):
    foreign = client.ctl('GET', 'health')['foreign_url']
    assert re.match(r'^http://127\.0\.0\.1:\d+$', foreign) and foreign != client.root and foreign == server.foreign_url
    port = foreign.rsplit(':', 1)[1]
    client.allocate('+19195550100')
    link = '<{foreign}/v1/users/u-demo/phoneNumbers?page=1&size=1000>; rel="next"'
    client.faults({'action': 'pass', 'method': 'GET', 'path': LIST_PATH,
                   'headers': {'Link': link, 'X-Places': '{root} {foreign_localhost} {unknown}'}})
    response = client.api('GET', client.numbers())
    assert response.headers['Link'] == '<%s/v1/users/u-demo/phoneNumbers?page=1&size=1000>; rel="next"' % foreign
    assert response.headers['X-Places'] == '%s http://localhost:%s {unknown}' % (client.root, port)
    assert client.ctl('GET', 'faults')['faults'][0]['headers']['Link'] == link  # the rule keeps the placeholders
    follow = re.search(r'<([^>]+)>; rel="next"', response.headers['Link']).group(1)
    answer = client.session.get(follow, timeout=5)  # a careless client sends its credentials to the other origin
    assert (answer.status_code, answer.headers['Content-Type'], answer.json()) == (200, 'application/json', [])
    assert client.ctl('GET', 'foreign') == {'url': foreign, 'requests': [
        {'method': 'GET', 'path': '/v1/users/u-demo/phoneNumbers', 'query': 'page=1&size=1000', 'authorization': True,
         'credentials': 'valid'}]}
    client.faults({'method': 'POST', 'path': ALLOCATE_PATH, 'action': 'pass',
                   'headers': {'Location': '{foreign}/v1/users/u-demo/phoneNumbers/n-elsewhere'}})
    response = client.allocate('+19195550101')
    assert response.status_code == 201 and response.headers['Location'] == foreign + '/v1/users/u-demo/phoneNumbers/n-elsewhere'


@pytest.mark.parametrize('action', ['status', 'status_after', 'plain_text', 'echo', 'raw', 'raw_after', 'pass'])
def test_fault_headers_on_every_answering_action(client, action):
    client.faults({'method': 'GET', 'path': '/account$', 'action': action,
                   'headers': {'X-Injected': '{root}/x', 'Content-Type': 'text/x-test', 'Date': None}})
    response = client.api('GET', '/users/u-demo/account')
    assert response.headers['X-Injected'] == client.root + '/x'
    assert response.headers['Content-Type'] == 'text/x-test'
    assert 'Date' not in response.headers and response.headers['Server'].startswith('catapult-emulator/')
    assert last_entry(client)['fault'] == action
    assert 'Date' in client.api('GET', '/users/u-demo/account').headers


def test_fault_status_headers_replace_retry_after(client):
    client.faults({'method': 'GET', 'path': '/account$', 'action': 'status', 'status': 429, 'retry_after': 1,
                   'headers': {'retry-after': '30', 'WWW-Authenticate': 'Basic realm="elsewhere"'}})
    response = client.api('GET', '/users/u-demo/account')
    assert response.status_code == 429 and response.json()['code'] == 'rate-limit-reached'
    assert response.headers['Retry-After'] == '30' and response.raw.headers.getlist('Retry-After') == ['30']
    assert response.headers['WWW-Authenticate'] == 'Basic realm="elsewhere"'


@pytest.mark.parametrize('rule', [
    {'action': 'raw', 'colour': 'red'},
    {'action': 'pass', 'headers': ['Location']},
    {'action': 'pass', 'headers': 'Location: x'},
    {'action': 'raw', 'body': {'a': 1}},
    {'action': 'raw', 'body': 5},
    {'action': 'raw', 'content_type': 5},
    {'action': 'raw', 'content_type': 'text/html\r\nX-Evil: 1'},
    {'action': 'pass', 'headers': {'Location': 5}},
    {'action': 'pass', 'headers': {'Location': 'x\r\nX-Evil: 1'}},
    {'action': 'pass', 'headers': {'Bad Name': 'x'}},
    {'action': 'pass', 'headers': {'Content-Length': '0'}},
    {'action': 'raw', 'headers': {'Connection': None}},
    {'action': 'drop', 'headers': {'X-A': 'b'}},
    {'action': 'delay', 'headers': {'X-A': 'b'}},
    {'action': 'status', 'body': 'x'},
    {'action': 'pass', 'content_type': 'text/plain'},
    {'action': 'raw', 'status': 700},
])
def test_bad_new_fault_rules_are_400_and_add_nothing(client, rule):
    response = post_fault(client, {'action': 'status', 'path': 'fine'}, rule)
    assert response.status_code == 400, response.text
    assert client.ctl('GET', 'faults') == {'faults': []}


# --------------------------------------------------------------------------- foreign origin

def test_foreign_listener_records_credentials_without_keeping_them(client, server):
    foreign = server.foreign_url
    assert client.ctl('GET', 'foreign') == {'url': foreign, 'requests': []}
    token_secret = 'Basic VDpT'  # base64 of T:S
    calls = [
        ('GET', {}, None),
        ('POST', {'Authorization': 'Basic ' + 'VDp3cm9uZw=='}, '{"number": "+19195550100"}'),  # T:wrong
        ('PUT', {'Authorization': 'Basic VDI6UzI='}, None),  # T2:S2, the other account
        ('DELETE', {'Authorization': 'Bearer T'}, None),
        ('PATCH', {'Authorization': 'Basic !!not-base64'}, None),
        ('HEAD', {'Authorization': token_secret}, None),
    ]
    session = requests.Session()
    for method, headers, data in calls:
        response = session.request(method, foreign + '/v1/users/u-demo/phoneNumbers/%2B19195550100?x=1', headers=headers, data=data,
                                   timeout=5)
        assert response.status_code == 200 and response.headers['Content-Type'] == 'application/json'
        assert response.content == (b'' if method == 'HEAD' else b'[]')
    session.close()
    report = client.ctl('GET', 'foreign')
    assert [(r['method'], r['authorization'], r['credentials']) for r in report['requests']] == [
        ('GET', False, 'none'), ('POST', True, 'other'), ('PUT', True, 'valid'), ('DELETE', True, 'none'), ('PATCH', True, 'other'),
        ('HEAD', True, 'valid')]
    assert {(r['path'], r['query']) for r in report['requests']} == {('/v1/users/u-demo/phoneNumbers/%2B19195550100', 'x=1')}
    assert all(set(r) == {'method', 'path', 'query', 'authorization', 'credentials'} for r in report['requests'])
    text = requests.get(client.root + '/_emulator/foreign', timeout=5).text
    assert 'VDpT' not in text and 'Basic' not in text and 'Bearer' not in text
    assert client.ctl('GET', 'requests')['requests'] == []  # the API log is separate
    assert client.ctl('DELETE', 'foreign') == {'url': foreign, 'requests': []}
    assert client.ctl('GET', 'foreign')['requests'] == []
    requests.get(foreign.replace('127.0.0.1', 'localhost') + '/anything', timeout=5)
    assert len(client.ctl('GET', 'foreign')['requests']) == 1
    client.ctl('POST', 'reset')
    assert client.ctl('GET', 'foreign')['requests'] == []


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_foreign_port_option_and_stop(client, start_server):
    port = free_port()
    srv = start_server('--foreign-port', str(port))
    assert srv.foreign_url == 'http://127.0.0.1:%d' % port
    assert srv.client.ctl('GET', 'health')['foreign_url'] == srv.foreign_url
    assert requests.get(srv.foreign_url + '/x', auth=('T', 'S'), timeout=5).json() == []
    assert srv.client.ctl('GET', 'foreign')['requests'][0]['credentials'] == 'valid'
    assert client.ctl('GET', 'foreign')['requests'] == []  # each emulator has its own foreign listener
    srv.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get('http://127.0.0.1:%d/x' % port, timeout=5)


def test_foreign_listener_stops_with_a_server_that_never_served(emulator_module):
    srv = emulator_module.build_server(['--port', '0'])
    srv.server_close()  # must not hang on a foreign listener that never started


# --------------------------------------------------------------------------- order items, list lag, outside /v1

def test_order_items_without_location(client):
    assert client.ctl('GET', 'config')['order_item_location'] is True
    assert client.config(order_item_location=False)['order_item_location'] is False
    items = order(client, zip='27601', quantity=2).json()
    assert [set(i) for i in items] == [{'number', 'nationalNumber', 'price', 'city', 'state'}] * 2
    toll_free = client.api('POST', '/availableNumbers/tollFree', params={'quantity': 2})
    assert toll_free.status_code == 201 and [set(i) for i in toll_free.json()] == [{'number', 'nationalNumber', 'price'}] * 2
    assert allocated(client) == ['+19195550100', '+19195550101', '+18008260000', '+18008260001']
    assert client.get_number('+19195550100').status_code == 200
    response = requests.post(client.root + '/_emulator/config', json={'order_item_location': 'no'}, timeout=5)
    assert response.status_code == 400
    client.ctl('POST', 'reset')
    assert 'location' in order(client, zip='27601', quantity=1).json()[0]


def listed(client, **params):
    response = client.api('GET', client.numbers(), params=params)
    assert response.status_code == 200, response.text
    return [n['number'] for n in response.json()]


def test_list_lag_hides_new_numbers_then_shows_them(client):
    assert client.config(list_lag_ms=600)['list_lag_ms'] == 600
    client.allocate('+19195550100', name='pool')
    order(client, zip='27601', quantity=1)
    visible_from = time.monotonic() + 0.65  # both are at least 600 ms old then
    assert listed(client) == [] and listed(client, name='pool') == [] and listed(client, page=0, size=1) == []
    assert 'rel="next"' not in client.api('GET', client.numbers(), params={'size': 1}).headers['Link']
    assert client.get_number('+19195550100').status_code == 200 and client.get_number('+19195550101').status_code == 200
    time.sleep(max(0.0, visible_from - time.monotonic()))
    assert listed(client) == ['+19195550100', '+19195550101']
    client.allocate('+19195550102')
    assert listed(client) == ['+19195550100', '+19195550101'] and listed(client, size=1, page=1) == ['+19195550101']
    client.config(list_lag_ms=0)
    assert listed(client) == ['+19195550100', '+19195550101', '+19195550102']
    for bad in (-1, 'soon', True):
        assert requests.post(client.root + '/_emulator/config', json={'list_lag_ms': bad}, timeout=5).status_code == 400


def test_command_line_order_item_location_and_list_lag(start_server):
    cli = start_server('--no-order-item-location', '--list-lag-ms', '60000').client
    config = cli.ctl('GET', 'config')
    assert (config['order_item_location'], config['list_lag_ms']) == (False, 60000)
    assert 'location' not in order(cli, zip='27601', quantity=1).json()[0]
    assert listed(cli) == [] and cli.get_number('+19195550100').status_code == 200
    cli.ctl('POST', 'reset')
    assert cli.ctl('GET', 'config')['list_lag_ms'] == 60000  # reset goes back to the command line


OUTSIDE = '/users/u-demo/phoneNumbers/%2B19195550100'


def test_outside_api_is_a_proxy_404_logged_and_not_applied(client):
    client.allocate('+19195550100')
    client.faults({'action': 'status', 'status': 500, 'count': 0})  # faults apply to /v1 only
    client.ctl('DELETE', 'requests')
    for method in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'):
        response = client.session.request(method, client.root + OUTSIDE, json={'name': 'x'}, timeout=5)
        assert response.status_code == 404, method
        assert response.headers['Content-Type'].startswith('text/html')
        assert response.text == ('' if method == 'HEAD' else '<html><body><h1>404 Not Found</h1></body></html>')
    response = client.session.post(client.root + '/users/u-demo/phoneNumbers', json={'number': '+19195550101'}, timeout=5)
    assert response.status_code == 404 and 'html' in response.headers['Content-Type']
    assert client.ctl('GET', 'numbers')['numbers'][0]['numberState'] == 'enabled' and allocated(client) == ['+19195550100']
    report = client.ctl('GET', 'requests')
    assert [(e['method'], e['path'], e['query'], e['status'], e['fault'], e['outside_api']) for e in report['requests']] == \
        [(m, OUTSIDE, '', 404, None, True) for m in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD')] + \
        [('POST', '/users/u-demo/phoneNumbers', '', 404, None, True)]
    assert report['summary']['writes'] == 5 and report['summary']['faults'] == 0
    assert client.ctl('GET', 'faults')['faults'][0]['seen'] == 0
    client.ctl('DELETE', 'faults')
    client.session.get(client.root + '/v1x/users?size=1', timeout=5)
    assert last_entry(client)['path'] == '/v1x/users' and last_entry(client)['query'] == 'size=1'
    assert_error(client.api('GET', '/nope'), 404, 'resource-not-found')  # under /v1: JSON as before
    entry = last_entry(client)
    assert (entry['path'], entry['outside_api']) == ('/nope', False)
    for path, body in (('/_emulator/nope', {'error': 'unknown control call GET /_emulator/nope'}),
                       ('/_emulator', {'category': 'not-found', 'code': 'resource-not-found',
                                       'message': 'The requested resource could not be found.', 'details': []})):
        response = requests.get(client.root + path, timeout=5)
        assert response.status_code == 404 and response.json() == body
    assert client.ctl('GET', 'requests')['summary']['total'] == 9


def chaos_run(client):
    outcomes = []
    session = requests.Session()
    session.auth = ('T', 'S')
    for _i in range(30):
        try:
            outcomes.append(session.get(client.base + '/users/u-demo/account', timeout=5).status_code)
        except requests.exceptions.ConnectionError:
            outcomes.append('drop')
    session.close()
    return outcomes


def test_chaos_mode_is_deterministic(client):
    client.config(fault_rate=0.5, seed=7)
    first = chaos_run(client)
    client.config(seed=7)
    assert chaos_run(client) == first
    assert set(first) - {200} <= {429, 500, 502, 503, 504, 'drop'}
    assert 200 in first and len(set(first)) > 2
    client.config(fault_rate=0)
    assert set(chaos_run(client)) == {200}


# --------------------------------------------------------------------------- rate limits, latency, log

def test_rate_limit_429_and_reset(client):
    client.config(rate_limits={'orders': {'count': 5, 'per_seconds': 1, 'burst': 2}})
    assert client.allocate('+19195550100').status_code == 201
    assert client.allocate('+19195550101').status_code == 201
    response = client.allocate('+19195550102')
    body = assert_error(response, 429, 'rate-limit-reached')
    assert body['category'] == 'too-many-requests' and body['message']
    reset = int(response.headers['X-RateLimit-Reset'])
    assert detail(body, 'rateLimitResetTime') == str(reset)
    assert 0 < reset - time.time() * 1000 <= 250
    assert client.api('GET', client.numbers()).status_code == 200  # other buckets are separate
    time.sleep(max(0.0, reset / 1000.0 - time.time()))
    assert client.allocate('+19195550102').status_code == 201
    assert client.ctl('GET', 'requests', params={'summary_only': '1'})['summary']['status_429'] == 1


def test_rate_limit_pacing_is_accurate(client):
    client.config(rate_limits={'searches': {'count': 40, 'per_seconds': 1, 'burst': 1}})
    started = time.monotonic()
    done = 0
    while done < 12:
        response = client.api('GET', '/availableNumbers/tollFree', params={'quantity': 1})
        if response.status_code == 429:
            time.sleep(max(0.0, int(response.headers['X-RateLimit-Reset']) / 1000.0 - time.time()))
        else:
            done += 1
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 1.2  # 11 waits of 25 ms
    client.config(rate_limits=False)


def test_latency_overlaps_across_pooled_connections(client):
    client.config(latency_ms=50)
    session = requests.Session()
    session.auth = ('T', 'S')
    session.mount('http://', requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=16))
    errors = []

    def worker():
        for _i in range(5):
            if session.get(client.base + '/users/u-demo/account', timeout=5).status_code != 200:
                errors.append(1)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    session.close()
    assert not errors
    assert 0.25 <= elapsed < 2.5  # 80 requests x 50 ms one after another would take 4 s


def test_request_log_summary_and_clear(client):
    client.allocate('+19195550100')
    client.get_number('+19195550100')
    client.api('DELETE', client.numbers('/%2B19195550100'))
    requests.get(client.base + '/users/u-demo/account', timeout=5)
    report = client.ctl('GET', 'requests')
    assert report['summary'] == {'total': 4, 'writes': 2, 'by_status': {'201': 1, '200': 2, '401': 1}, 'status_429': 0,
                                 'dropped': 0, 'faults': 0}
    entry = report['requests'][1]
    assert (entry['seq'], entry['method'], entry['path'], entry['status'], entry['user_id'], entry['fault']) == \
        (2, 'GET', '/users/u-demo/phoneNumbers/%2B19195550100', 200, 'u-demo', None)
    assert report['requests'][3]['user_id'] is None
    client.ctl('DELETE', 'requests')
    assert client.ctl('GET', 'requests')['summary']['total'] == 0


def test_reset_restores_the_start_state(client):
    client.allocate('+19195550100')
    client.faults({'action': 'status', 'count': 0, 'path': 'nothing-matches'})
    client.config(order_cap=10, latency_ms=1)
    before = client.ctl('GET', 'inventory', params={'zip': '27601'})['count']
    assert before == 2499
    client.ctl('POST', 'reset')
    assert client.ctl('GET', 'numbers') == {'numbers': []}
    assert client.ctl('GET', 'faults') == {'faults': []}
    assert client.ctl('GET', 'requests')['summary']['total'] == 0
    config = client.ctl('GET', 'config')
    assert (config['order_cap'], config['latency_ms'], config['rate_limits']) == (5000, 0.0, False)
    assert client.ctl('GET', 'inventory', params={'zip': '27601'})['count'] == 2500
    assert client.allocate('+19195550100').status_code == 201


def test_control_api_views(client):
    assert client.ctl('GET', 'health')['ok'] is True
    centers = client.ctl('GET', 'rate-centers')['rate_centers']
    raleigh = centers[0]
    assert (raleigh['city'], raleigh['zips'], raleigh['blocks'], raleigh['available']) == \
        ('RALEIGH', ['27601', '27603', '27605'], ['+19195550100..2599'], 2500)
    assert all(c['available'] >= 2500 for c in centers[:-1]) and centers[-1]['available'] >= 2000
    assert len({c['state'] for c in centers[:-1]}) >= 6
    inventory = client.ctl('GET', 'inventory', params={'state': 'ny', 'limit': 2})
    assert inventory['count'] == 5000 and len(inventory['numbers']) == 2
    response = requests.post(client.root + '/_emulator/config', json={'order_cap': 0}, timeout=5)
    assert response.status_code == 400
    response = requests.post(client.root + '/_emulator/config', json={'bogus': 1}, timeout=5)
    assert response.status_code == 400


# --------------------------------------------------------------------------- command line

def test_command_line_contract(tmp_path, launched):
    files = {name: tmp_path / name for name in ('port', 'pid', 'url')}
    log_file = tmp_path / 'requests.jsonl'
    emulator = launched('--host', '127.0.0.1', '--user-id', 'u-demo', '--api-token', 'T', '--api-secret', 'S',
                        '--port-file', files['port'], '--pid-file', files['pid'], '--lifetime', '30', '--log-file', log_file,
                        '--order-cap', '10', url_file=str(files['url']))
    url = emulator.url
    assert re.match(r'^http://127\.0\.0\.1:\d+/v1$', url)
    assert files['port'].read_text() == url.rsplit(':', 1)[1].split('/')[0]
    assert files['url'].read_text() == url
    assert files['pid'].read_text() == str(emulator.pid)
    response = requests.post(url + '/availableNumbers/local', params={'state': 'NC', 'quantity': 11}, auth=('T', 'S'), timeout=5)
    assert response.json()['code'] == 'invalid-available-number-search-order'
    assert '"status": 400' in log_file.read_text()
    assert emulator.stop() == 0
    assert (tmp_path / 'output').read_text() == url + '\n'  # the URL first, and nothing on stderr
    assert not any(path.exists() for path in files.values())


def test_lifetime_exits_cleanly(tmp_path, launched):
    emulator = launched('--lifetime', '0.3', '--pid-file', tmp_path / 'pid')
    assert emulator.proc.wait(10) == 0 and emulator.url.startswith('http://127.0.0.1:')
    assert (tmp_path / 'output').read_text() == emulator.url + '\n'
    assert not (tmp_path / 'pid').exists()


def test_tls(tmp_path, launched):
    cert = tmp_path / 'cert.pem'
    emulator = launched('--tls', '--tls-cert-file', cert)
    assert emulator.url.startswith('https://127.0.0.1:')
    response = requests.get(emulator.url + '/users/u-demo/account', auth=('T', 'S'), verify=str(cert), timeout=5)
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(emulator.url + '/users/u-demo/account', auth=('T', 'S'), timeout=5)
    assert emulator.stop() == 0 and not cert.exists()


def test_detach_and_stop_on_the_command_line(tmp_path, emulator_module):
    """--detach prints the URL once the emulator serves and leaves it running; --stop ends it through its pid file."""
    pid_file, output = tmp_path / 'pid', tmp_path / 'output'
    script = [sys.executable, emulator_module.__file__]
    done = subprocess.run(script + ['--detach', '--port', '0', '--pid-file', str(pid_file), '--output', str(output), '--lifetime', '60'],
                          capture_output=True, text=True, timeout=30, check=True)
    url = done.stdout.strip()
    assert re.match(r'^http://127\.0\.0\.1:\d+/v1$', url) and done.stderr == ''
    assert requests.get(url + '/users/u-demo/account', auth=('T', 'S'), timeout=5).status_code == 200
    pid = int(pid_file.read_text())
    assert os.getsid(pid) == pid  # a session of its own: it outlives the caller's terminal or job
    stop = subprocess.run(script + ['--stop', '--pid-file', str(pid_file)], capture_output=True, text=True, timeout=30, check=True)
    assert stop.stdout == 'emulator: stopped\n' and not pid_file.exists()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + '/users/u-demo/account', auth=('T', 'S'), timeout=5)
    again = subprocess.run(script + ['--stop', '--pid-file', str(pid_file)], capture_output=True, text=True, timeout=30, check=True)
    assert again.stdout == 'emulator: not running\n'
    assert output.read_text() == url + '\n'


def test_launch_reports_an_emulator_that_exits(tmp_path, launched, emulator_module):
    with pytest.raises(emulator_module.LaunchError, match='exited with status 2'):
        launched('--order-cap', 'many')
    assert 'invalid int value' in (tmp_path / 'output').read_text()
