# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client against a server, a proxy or a network that misbehaves: it never reads a bad
answer as "no data", never takes a foreign "not found" for Catapult's, never sends the
credentials off the origin of api_url, never writes once the controller is gone, and stops
retrying what retrying cannot fix."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap
import time

import pytest
import requests

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import (
    CatapultAborted,
    CatapultApiError,
    CatapultBadAnswerError,
    CatapultClient,
    CatapultError,
    CatapultTransportError,
    api_url_problem,
    origin_of,
    outcome_unknown,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import ControllerWatch, e164_error
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN

MAINTENANCE = '<html><body><h1>Down for maintenance</h1></body></html>'
# (label, body, content type) of 2xx answers that are not the JSON a request expects
HOSTILE_BODIES = [
    ('maintenance page', MAINTENANCE, 'text/html'),
    ('json null', 'null', 'application/json'),
    ('empty body', '', 'application/json'),
    ('json string', '"ok"', 'application/json'),
    ('truncated json', '[{"id": "n-1", "num', 'application/json'),
]
NOT_FOUND = {'category': 'not-found', 'code': 'number-not-found', 'message': 'The number could not be found'}
ROUTE_NOT_FOUND = {'category': 'not-found', 'code': 'resource-not-found', 'message': 'The requested resource could not be found.'}
ORDER = API + '/availableNumbers/local'


@pytest.fixture
def client(no_sleep):
    return CatapultClient('u-unit', TOKEN, SECRET, API, retries=3, sleep=no_sleep.append)


def hostile(requests_mock, method, url, body, content_type, status=200):
    return requests_mock.register_uri(method, url, status_code=status, text=body, headers={'Content-Type': content_type})


# -- finding 1 and 11: a body that cannot be decoded is never "no data" --------------------

@pytest.mark.parametrize('label, body, content_type', HOSTILE_BODIES, ids=[b[0] for b in HOSTILE_BODIES])
def test_a_listing_that_is_not_a_json_list_is_an_error_not_an_empty_account(requests_mock, client, label, body, content_type):
    hostile(requests_mock, 'GET', NUMBERS, body, content_type)
    with pytest.raises(CatapultBadAnswerError) as caught:
        client.list_phone_numbers(name='pool')
    assert 'not the JSON expected (a JSON list of objects)' in str(caught.value)
    assert not outcome_unknown(caught.value)


@pytest.mark.parametrize('label, body, content_type', HOSTILE_BODIES + [('json list', '[]', 'application/json')],
                         ids=[b[0] for b in HOSTILE_BODIES] + ['json list'])
def test_a_lookup_that_is_not_a_json_object_is_an_error_not_an_absent_number(requests_mock, client, label, body, content_type):
    hostile(requests_mock, 'GET', NUMBERS + '/%2B19195550100', body, content_type)
    with pytest.raises(CatapultBadAnswerError) as caught:
        client.get_phone_number('+19195550100')
    assert caught.value.status == 200
    assert 'GET /users/u-unit/phoneNumbers/%2B19195550100' in str(caught.value)


def test_a_page_after_the_first_that_is_not_json_is_an_error(requests_mock, client):
    requests_mock.get(NUMBERS, [
        {'json': [{'id': 'n-1', 'number': '+19195550100'}], 'headers': {'Link': '<%s?page=1&size=1000>; rel="next"' % NUMBERS}},
        {'text': MAINTENANCE, 'headers': {'Content-Type': 'text/html'}},
    ])
    with pytest.raises(CatapultBadAnswerError):
        client.list_phone_numbers()


@pytest.mark.parametrize('label, body, content_type', HOSTILE_BODIES, ids=[b[0] for b in HOSTILE_BODIES])
def test_an_order_answered_with_a_bad_body_is_an_unknown_outcome_never_nothing_ordered(requests_mock, client, label, body,
                                                                                       content_type):
    order = hostile(requests_mock, 'POST', ORDER, body, content_type, status=201)
    with pytest.raises(CatapultBadAnswerError) as caught:
        client.order_available('local', {'state': 'NC', 'quantity': 5})
    assert outcome_unknown(caught.value)
    assert caught.value.to_dict()['outcome_unknown'] is True
    assert 'outcome is unknown' in str(caught.value)
    assert order.call_count == 1  # never resent


def test_a_search_answered_with_a_maintenance_page_is_an_error(requests_mock, client):
    hostile(requests_mock, 'GET', ORDER, MAINTENANCE, 'text/html')
    with pytest.raises(CatapultBadAnswerError):
        client.search_available('local', {'state': 'NC'})


def test_a_bad_body_in_an_error_message_is_short_and_scrubbed(requests_mock, client):
    page = '<html>%s %s</html>' % (TOKEN, 'x' * 500)
    hostile(requests_mock, 'GET', NUMBERS, page, 'text/html')
    with pytest.raises(CatapultBadAnswerError) as caught:
        client.list_phone_numbers()
    assert TOKEN not in str(caught.value) or len(str(caught.value)) < 400
    assert 'x' * 200 not in str(caught.value)


# -- finding 10: order items without location ---------------------------------------------------

def test_order_items_without_location_have_no_id_and_are_never_addressed_as_none(requests_mock, client):
    requests_mock.post(ORDER, status_code=201, json=[{'number': '+19195550100'},
                                                     {'number': '+19195550101', 'location': API + '/users/u-unit/phoneNumbers/n-2'}])
    items = client.order_available('local', {'state': 'NC', 'quantity': 2})
    assert [item['id'] for item in items] == [None, 'n-2']
    with pytest.raises(CatapultError):
        client.update_phone_number(None, {'name': 'pool'})
    assert requests_mock.call_count == 1


# -- finding 5: only Catapult's "number not found" means absent ----------------------------

def test_catapult_number_not_found_means_absent(requests_mock, client):
    requests_mock.get(NUMBERS + '/%2B19195550100', status_code=404, json=NOT_FOUND)
    requests_mock.delete(NUMBERS + '/n-1', status_code=404, json=NOT_FOUND)
    assert client.get_phone_number('+19195550100') is None
    assert client.release_phone_number('n-1') is False


@pytest.mark.parametrize('kwargs', [{'json': ROUTE_NOT_FOUND}, {'text': '<html>404 Not Found</html>'}, {'text': ''}],
                         ids=['resource-not-found', 'html page', 'empty'])
def test_any_other_404_is_an_error_that_names_api_url(requests_mock, client, kwargs):
    requests_mock.get(NUMBERS + '/%2B19195550100', status_code=404, **kwargs)
    requests_mock.delete(NUMBERS + '/n-1', status_code=404, **kwargs)
    for call in (lambda: client.get_phone_number('+19195550100'), lambda: client.release_phone_number('n-1')):
        with pytest.raises(CatapultApiError) as caught:
            call()
        assert caught.value.status == 404
        assert 'check that api_url (%s)' % API in str(caught.value)


@pytest.mark.parametrize('url', ['https://api.catapult.inetwork.com', 'https://api.catapult.inetwork.com/v2',
                                 'api.catapult.inetwork.com/v1', 'ftp://example.com/v1', 'https:///v1',
                                 'https://user:pw@api.test/v1', 'https://api.test/v1?x=1'])
def test_api_url_that_is_not_an_api_base_url_is_refused(url):
    problem = api_url_problem(url)
    assert problem and problem.startswith('api_url must be')
    assert 'pw@' not in problem


@pytest.mark.parametrize('url', ['https://api.catapult.inetwork.com/v1', 'http://127.0.0.1:8080/v1/', 'https://proxy/catapult/v1'])
def test_api_base_urls_are_accepted(url):
    assert api_url_problem(url) is None


# -- finding 6: credentials go to the origin of api_url and nowhere else -------------------

@pytest.mark.parametrize('next_url', [
    'https://evil.test/v1/users/u-unit/phoneNumbers?page=1',      # another host
    'https://api.test:8443/v1/users/u-unit/phoneNumbers?page=1',  # another port
    'http://api.test/v1/users/u-unit/phoneNumbers?page=1',        # https -> http
    '//evil.test/v1/users/u-unit/phoneNumbers?page=1',            # scheme-relative
], ids=['host', 'port', 'scheme', 'scheme-relative'])
def test_pagination_never_leaves_the_origin_of_api_url(requests_mock, client, next_url):
    requests_mock.get(NUMBERS, json=[{'id': 'n-1'}], headers={'Link': '<%s>; rel="next"' % next_url})
    foreign = requests_mock.get(requests.compat.urljoin(NUMBERS, next_url), json=[])
    with pytest.raises(CatapultError) as caught:
        client.list_phone_numbers()
    assert 'not on the origin of api_url' in str(caught.value)
    assert foreign.call_count == 0
    assert requests_mock.call_count == 1


def test_pagination_on_the_same_origin_is_followed(requests_mock, client):
    requests_mock.get(NUMBERS, [
        {'json': [{'id': 'n-1'}], 'headers': {'Link': '<https://API.test/v1/users/u-unit/phoneNumbers?page=1>; rel="next"'}},
        {'json': [{'id': 'n-2'}]},
    ])
    assert [n['id'] for n in client.list_phone_numbers()] == ['n-1', 'n-2']


def test_an_explicit_default_port_is_the_same_origin():
    assert origin_of('https://API.test:443/v1/x') == origin_of(API) == ('https', 'api.test', 443)
    assert origin_of('http://api.test/v1') != origin_of(API)


def test_a_location_on_another_origin_gives_no_id(requests_mock, client):
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': 'https://evil.test/v1/users/u-unit/phoneNumbers/n-evil'})
    assert client.allocate_phone_number({'number': '+19195550100'}) is None
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': API + '/users/u-unit/phoneNumbers/n-1'})
    assert client.allocate_phone_number({'number': '+19195550100'}) == 'n-1'


# -- finding 7: no write once the controller is gone --------------------------------------

def test_no_write_is_sent_once_the_controller_is_gone_but_reads_are(requests_mock, no_sleep):
    gone = []
    watched = CatapultClient('u-unit', TOKEN, SECRET, API, sleep=no_sleep.append,
                             controller_gone=lambda: gone[0] if gone else None)
    requests_mock.get(NUMBERS, json=[])
    order = requests_mock.post(ORDER, status_code=201, json=[])
    watched.order_available('local', {'state': 'NC', 'quantity': 1})
    gone.append('the Ansible controller that started this task is gone (test)')
    with pytest.raises(CatapultAborted) as caught:
        watched.order_available('local', {'state': 'NC', 'quantity': 1})
    assert order.call_count == 1
    assert not outcome_unknown(caught.value)
    assert 'Stopped before POST /availableNumbers/local' in str(caught.value)
    assert watched.list_phone_numbers() == []


def test_controller_watch_sees_its_parent_process_die(tmp_path):
    """A real process tree: a shell starts a watcher in the background and exits once the
    watcher has recorded its ancestors; the watcher, re-parented, notices."""
    out = tmp_path / 'watch.txt'
    ready = tmp_path / 'ready'
    code = textwrap.dedent('''
        import os, sys, time
        sys.path[:0] = %r
        from ansible_collections.bandwidth.catapult.plugins.module_utils._common import ControllerWatch
        watch = ControllerWatch()
        first = watch()
        open(%r, 'w').close()
        deadline = time.time() + 20
        while watch() is None and time.time() < deadline:
            time.sleep(0.05)
        with open(%r, 'w') as handle:
            handle.write('%%s|%%s' %% (first, watch()))
        os.rename(%r, %r)
    ''' % (sys.path, str(ready), str(out) + '.tmp', str(out) + '.tmp', str(out)))
    script = tmp_path / 'watcher.py'
    script.write_text(code)
    errors = tmp_path / 'stderr.txt'
    # the shell waits until the watcher recorded its ancestors (the shell among them), then exits
    shell = '"$0" "$1" 2>"$2" & i=0; while [ ! -f "$3" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done'
    subprocess.run(['sh', '-c', shell, sys.executable, str(script), str(errors), str(ready)], check=True, timeout=60)
    deadline = time.time() + 30
    while not out.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert out.exists(), errors.read_text()
    first, later = out.read_text().split('|', 1)
    assert first == 'None'
    assert 'controller that started this task is gone' in later


def test_controller_watch_is_quiet_while_the_parents_live():
    watch = ControllerWatch()
    assert watch.chain and watch.chain[0][0] == os.getppid()
    assert watch() is None


# -- finding 11: odd credentials never crash -----------------------------------------------

def test_a_non_latin1_secret_is_sent_as_utf8_without_a_crash(requests_mock, no_sleep):
    secret = 'sécret-密码-🔑'
    unicode_client = CatapultClient('u-unit', TOKEN, secret, API, sleep=no_sleep.append)
    requests_mock.get(NUMBERS, json=[])
    assert unicode_client.list_phone_numbers() == []
    expected = base64.b64encode(('%s:%s' % (TOKEN, secret)).encode('utf-8')).decode()
    assert requests_mock.last_request.headers['Authorization'] == 'Basic ' + expected


def test_a_non_latin1_secret_never_appears_in_an_error(requests_mock, no_sleep):
    secret = 'sécret-密码-🔑'
    unicode_client = CatapultClient('u-unit', TOKEN, secret, API, sleep=no_sleep.append)
    requests_mock.get(NUMBERS, status_code=400, json={'code': 'x', 'message': 'echo %s:%s' % (TOKEN, secret)})
    with pytest.raises(CatapultApiError) as caught:
        unicode_client.list_phone_numbers()
    assert secret not in str(caught.value) and TOKEN not in str(caught.value)


# -- finding 12: fail fast on what retrying cannot fix -------------------------------------

def refused():
    return requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='api.test', port=443): Max retries exceeded (Caused by NewConnectionError("
        "'<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] "
        "Connection refused'))")


def unresolvable():
    return requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='api.test', port=443): Max retries exceeded (Caused by NameResolutionError("
        "\"<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to resolve 'api.test' ([Errno -2] Name or "
        "service not known)\"))")


def test_a_refused_connection_is_tried_three_times_and_says_so(requests_mock, no_sleep):
    patient = CatapultClient('u-unit', TOKEN, SECRET, API, sleep=no_sleep.append)  # retries=6 by default
    requests_mock.get(NUMBERS, exc=refused())
    with pytest.raises(CatapultTransportError) as caught:
        patient.list_phone_numbers()
    assert requests_mock.call_count == 3
    assert 'after 3 attempts' in str(caught.value)
    assert caught.value.to_dict()['attempts'] == 3
    assert sum(no_sleep) < 5


def test_a_name_that_does_not_resolve_is_tried_once(requests_mock, no_sleep):
    patient = CatapultClient('u-unit', TOKEN, SECRET, API, sleep=no_sleep.append)
    requests_mock.get(NUMBERS, exc=unresolvable())
    with pytest.raises(CatapultTransportError) as caught:
        patient.list_phone_numbers()
    assert requests_mock.call_count == 1
    assert 'after' not in str(caught.value).split(':', 1)[0]
    assert no_sleep == []


def test_a_reset_connection_is_still_retried(requests_mock, no_sleep):
    requests_mock.get(NUMBERS, [{'exc': requests.exceptions.ConnectionError('Connection reset by peer')}, {'json': []}])
    patient = CatapultClient('u-unit', TOKEN, SECRET, API, sleep=no_sleep.append)
    assert patient.list_phone_numbers() == []
    assert requests_mock.call_count == 2


# -- an unquoted number in YAML ----------------------------------------------------------

@pytest.mark.parametrize('value', [19195550100, '19195550100'])
def test_a_number_without_plus_says_to_quote_it(value):
    message = e164_error('numbers[0].number', value)
    assert 'quote it: number: "+19195550100"' in message


def test_a_number_with_letters_gets_no_quoting_hint():
    assert 'quote' not in e164_error('number', 'call-me')
