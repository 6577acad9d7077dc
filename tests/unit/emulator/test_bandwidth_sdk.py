"""The official Catapult Python SDK (bandwidth-sdk 3.0.3, a test-only dependency: tests/unit/requirements.txt)
against the emulator over real HTTP: its application calls get what the SDK expects.

What the SDK sends and reads (bandwidth/account/client_module.py, bandwidth/voice/lazy_enumerable.py):
every create or update body carries all nine fields, ``null`` where the caller set none;
``callbackHttpMethod`` goes as the caller wrote it (``"GET"``); the id is the last segment of
``Location``; JSON is decoded only when Content-Type starts with ``application/json`` and its
keys become snake_case; a list follows ``Link`` entries split on ``,`` then ``;`` (exactly two
parts, the second exactly ``rel="next"``) and requests that URL as given; any status >= 400
raises ``BandwidthAccountAPIException`` with the body's ``message`` and ``code``.
"""

from __future__ import annotations

import re

import pytest
import requests

import bandwidth
from bandwidth.account.api_exception_module import BandwidthAccountAPIException

APP_ID_RE = re.compile(r'^a-[a-z2-7]{23}$')


@pytest.fixture
def api(server):
    requests.post(server.root_url + '/_emulator/reset', timeout=10).raise_for_status()
    return bandwidth.client('account', 'u-demo', 'T', 'S', api_endpoint=server.root_url)


def log(server):
    """(method, path, query) of every API request since the last reset."""
    entries = requests.get(server.root_url + '/_emulator/requests', timeout=10).json()['requests']
    return [(e['method'], e['path'], e['query']) for e in entries]


def test_create_get_update_delete(api, server):
    app_id = api.create_application(name='MyFirstApp', incoming_call_url='http://callback.example.com/calls',
                                    incoming_message_url='http://callback.example.com/messages', callback_http_method='GET',
                                    incoming_call_url_callback_timeout=5000)
    assert APP_ID_RE.match(app_id)
    assert api.get_application(app_id) == {
        'id': app_id, 'name': 'MyFirstApp', 'incoming_call_url': 'http://callback.example.com/calls',
        'incoming_call_url_callback_timeout': 5000, 'incoming_message_url': 'http://callback.example.com/messages',
        'callback_http_method': 'get', 'auto_answer': True}

    assert api.update_application(app_id, name='My Updated App', auto_answer=False) is None
    updated = api.get_application(app_id)
    assert (updated['name'], updated['auto_answer'], updated['callback_http_method']) == ('My Updated App', False, 'get')
    assert updated['incoming_call_url'] == 'http://callback.example.com/calls'  # the nulls the SDK sent changed nothing

    assert api.delete_application(app_id) is None
    with pytest.raises(BandwidthAccountAPIException) as caught:
        api.get_application(app_id)
    assert caught.value.status_code == 404
    assert caught.value.code == 'application-not-found'
    assert caught.value.message == 'The application %s could not be found' % app_id
    assert str(caught.value) == 'Error application-not-found: The application %s could not be found' % app_id
    path = '/users/u-demo/applications'
    assert log(server) == [('POST', path, ''), ('GET', path + '/' + app_id, ''), ('POST', path + '/' + app_id, ''),
                           ('GET', path + '/' + app_id, ''), ('DELETE', path + '/' + app_id, ''), ('GET', path + '/' + app_id, '')]


def test_list_is_a_lazy_generator_across_pages(api, server):
    created = [api.create_application(name='App %d' % index, incoming_message_url='https://sms.example.com/%d' % index)
               for index in range(4)]
    requests.delete(server.root_url + '/_emulator/requests', timeout=10)
    apps = api.list_applications(size=2)
    first = next(apps)
    assert first['id'] == 'a-demo-support' and first['name'] == 'Demo support'
    assert len(log(server)) == 1  # nothing more is fetched before it is needed
    rest = list(apps)
    assert [app['id'] for app in [first] + rest] == ['a-demo-support', 'a-demo-ivr', 'a-demo-sales'] + created
    assert [app['name'] for app in rest[2:]] == ['App 0', 'App 1', 'App 2', 'App 3']
    assert log(server) == [('GET', '/users/u-demo/applications', 'size=2')] + [
        ('GET', '/users/u-demo/applications', 'page=%d&size=2' % page) for page in (1, 2, 3)]
    assert [app['id'] for app in api.list_applications()] == ['a-demo-support', 'a-demo-ivr', 'a-demo-sales'] + created


def test_errors_are_raised(api):
    with pytest.raises(BandwidthAccountAPIException) as caught:
        api.create_application(name='No callback')
    assert (caught.value.status_code, caught.value.code) == (400, 'missing-property')
    with pytest.raises(BandwidthAccountAPIException) as caught:
        api.create_application(name='Bad', incoming_call_url='https://x.example.com', callback_http_method='PUT')
    assert (caught.value.status_code, caught.value.code) == (400, 'validation-error')
    assert 'callbackHttpMethod' in caught.value.message
    for call in (lambda: api.update_application('a-nope', name='x'), lambda: api.delete_application('a-nope')):
        with pytest.raises(BandwidthAccountAPIException) as caught:
            call()
        assert (caught.value.status_code, caught.value.code) == (404, 'application-not-found')
    assert [app['id'] for app in api.list_applications()] == ['a-demo-support', 'a-demo-ivr', 'a-demo-sales']


def test_a_created_application_is_usable_by_numbers(api):
    app_id = api.create_application(name='Numbers', incoming_call_url='https://calls.example.com')
    number_id = api.order_phone_number(number='+19195550100', application_id=app_id)
    number = api.get_phone_number(number_id)
    assert number['application_id'] == app_id
    assert number['application'].endswith('/v1/users/u-demo/applications/' + app_id)
    assert [n['number'] for n in api.list_phone_numbers(application_id=app_id)] == ['+19195550100']
