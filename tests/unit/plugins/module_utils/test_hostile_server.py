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
UNICODE_SECRET = 'sécret-密码-🔑'


@pytest.fixture
def client(no_sleep):
    return CatapultClient('u-unit', TOKEN, SECRET, API, retries=3, sleep=no_sleep.append)


def hostile(requests_mock, method, url, body, content_type, status=200):
    return requests_mock.register_uri(method, url, status_code=status, text=body, headers={'Content-Type': content_type})


# -- a body that cannot be decoded is never "no data" --------------------

# (call, the answer's method, URL and status, the call, a text of the error): a listing wants a JSON list, a lookup a JSON
# object (a list is no number either), and an order answered with what is not JSON has an unknown outcome, never "nothing ordered"
BAD_BODY_CALLS = [
    ('listing', 'GET', NUMBERS, 200, lambda client: client.list_phone_numbers(name='pool'), 'not the JSON expected (a JSON list of objects)'),
    ('lookup', 'GET', NUMBERS + '/%2B19195550100', 200, lambda client: client.get_phone_number('+19195550100'),
     'GET /users/u-unit/phoneNumbers/%2B19195550100'),
    ('order', 'POST', ORDER, 201, lambda client: client.order_available('local', {'state': 'NC', 'quantity': 5}), 'outcome is unknown'),
]
BAD_BODIES = [(call, body) for call in BAD_BODY_CALLS for body in HOSTILE_BODIES + ([('json list', '[]', 'application/json')] if call[0] == 'lookup' else [])]


@pytest.mark.parametrize('call, body', BAD_BODIES, ids=['%s-%s' % (call[0], body[0]) for call, body in BAD_BODIES])
def test_a_body_that_is_not_the_json_expected_is_an_error_never_no_data(requests_mock, client, call, body):
    kind, method, url, status, send, text = call
    answer = hostile(requests_mock, method, url, body[1], body[2], status=status)
    with pytest.raises(CatapultBadAnswerError) as caught:
        send(client)
    assert text in str(caught.value)
    assert caught.value.status == status
    assert outcome_unknown(caught.value) is caught.value.to_dict()['outcome_unknown'] is (kind == 'order')
    assert answer.call_count == 1  # never resent


@pytest.mark.parametrize('search', [False, True], ids=['a page after the first', 'a search'])
def test_a_maintenance_page_after_a_good_page_or_for_a_search_is_an_error(requests_mock, client, search):
    requests_mock.get(NUMBERS, [{'json': [{'id': 'n-1', 'number': '+19195550100'}], 'headers': {'Link': '<%s?page=1&size=1000>; rel="next"' % NUMBERS}},
                                {'text': MAINTENANCE, 'headers': {'Content-Type': 'text/html'}}])
    hostile(requests_mock, 'GET', ORDER, MAINTENANCE, 'text/html')
    with pytest.raises(CatapultBadAnswerError):
        if search:
            client.search_available('local', {'state': 'NC'})
        else:
            client.list_phone_numbers()


def test_a_bad_body_in_an_error_message_is_short_and_scrubbed(requests_mock, client):
    hostile(requests_mock, 'GET', NUMBERS, '<html>%s %s</html>' % (TOKEN, 'x' * 500), 'text/html')
    with pytest.raises(CatapultBadAnswerError) as caught:
        client.list_phone_numbers()
    assert TOKEN not in str(caught.value) or len(str(caught.value)) < 400
    assert 'x' * 200 not in str(caught.value)


def test_order_items_without_location_have_no_id_and_are_never_addressed_as_none(requests_mock, client):
    requests_mock.post(ORDER, status_code=201, json=[{'number': '+19195550100'},
                                                     {'number': '+19195550101', 'location': API + '/users/u-unit/phoneNumbers/n-2'}])
    assert [item['id'] for item in client.order_available('local', {'state': 'NC', 'quantity': 2})] == [None, 'n-2']
    with pytest.raises(CatapultError):
        client.update_phone_number(None, {'name': 'pool'})
    assert requests_mock.call_count == 1


# -- only Catapult's "number not found" means absent ----------------------------

@pytest.mark.parametrize('answer', [{'json': NOT_FOUND}, {'json': ROUTE_NOT_FOUND}, {'text': '<html>404 Not Found</html>'},
                                    {'text': ''}], ids=['number-not-found', 'resource-not-found', 'html page', 'empty'])
def test_only_catapults_number_not_found_means_absent_any_other_404_names_api_url(requests_mock, client, answer):
    requests_mock.get(NUMBERS + '/%2B19195550100', status_code=404, **answer)
    requests_mock.delete(NUMBERS + '/n-1', status_code=404, **answer)
    for call, absent in ((lambda: client.get_phone_number('+19195550100'), None), (lambda: client.release_phone_number('n-1'), False)):
        if answer.get('json') == NOT_FOUND:
            assert call() is absent
            continue
        with pytest.raises(CatapultApiError) as caught:
            call()
        assert caught.value.status == 404
        assert 'check that api_url (%s)' % API in str(caught.value)


NOT_API_URLS = ['https://api.catapult.inetwork.com', 'https://api.catapult.inetwork.com/v2', 'api.catapult.inetwork.com/v1', 'ftp://example.com/v1',
                'https:///v1', 'https://user:pw@api.test/v1', 'https://api.test/v1?x=1']
API_URLS = ['https://api.catapult.inetwork.com/v1', 'http://127.0.0.1:8080/v1/', 'https://proxy/catapult/v1']


@pytest.mark.parametrize('url, accepted', [(url, False) for url in NOT_API_URLS] + [(url, True) for url in API_URLS])
def test_api_url_must_be_an_api_base_url(url, accepted):
    problem = api_url_problem(url)
    assert (problem is None) is accepted
    assert accepted or problem.startswith('api_url must be') and 'pw@' not in problem


# -- credentials go to the origin of api_url and nowhere else -------------------

@pytest.mark.parametrize('next_url', [
    'https://evil.test/v1/users/u-unit/phoneNumbers?page=1',      # another host
    'https://api.test:8443/v1/users/u-unit/phoneNumbers?page=1',  # another port
    'http://api.test/v1/users/u-unit/phoneNumbers?page=1',        # https -> http
    '//evil.test/v1/users/u-unit/phoneNumbers?page=1',            # scheme-relative
], ids=['host', 'port', 'scheme', 'scheme-relative'])
def test_pagination_never_leaves_the_origin_of_api_url(requests_mock, client, next_url):
    requests_mock.get(NUMBERS, json=[{'id': 'n-1'}], headers={'Link': '<%s>; rel="next"' % next_url})
    foreign = requests_mock.get(requests.compat.urljoin(NUMBERS, next_url), json=[])
    with pytest.raises(CatapultError, match='not on the origin of api_url'):
        client.list_phone_numbers()
    assert foreign.call_count == 0
    assert requests_mock.call_count == 1


def test_pagination_on_the_same_origin_is_followed(requests_mock, client):
    requests_mock.get(NUMBERS, [{'json': [{'id': 'n-1'}], 'headers': {'Link': '<https://API.test/v1/users/u-unit/phoneNumbers?page=1>; rel="next"'}},
                                {'json': [{'id': 'n-2'}]}])
    assert [n['id'] for n in client.list_phone_numbers()] == ['n-1', 'n-2']


def test_an_explicit_default_port_is_the_same_origin():
    assert origin_of('https://API.test:443/v1/x') == origin_of(API) == ('https', 'api.test', 443)
    assert origin_of('http://api.test/v1') != origin_of(API)


def test_a_location_on_another_origin_gives_no_id(requests_mock, client):
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': 'https://evil.test/v1/users/u-unit/phoneNumbers/n-evil'})
    assert client.allocate_phone_number({'number': '+19195550100'}) is None
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': API + '/users/u-unit/phoneNumbers/n-1'})
    assert client.allocate_phone_number({'number': '+19195550100'}) == 'n-1'


# -- no write once the controller is gone --------------------------------------

def test_no_write_is_sent_once_the_controller_is_gone_but_reads_are(requests_mock, no_sleep):
    gone = []
    watched = CatapultClient('u-unit', TOKEN, SECRET, API, sleep=no_sleep.append, controller_gone=lambda: gone[0] if gone else None)
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
    out, ready, errors, script = (tmp_path / name for name in ('watch.txt', 'ready', 'stderr.txt', 'watcher.py'))
    script.write_text(textwrap.dedent('''
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
    ''' % (sys.path, str(ready), str(out) + '.tmp', str(out) + '.tmp', str(out))))
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


# -- odd credentials never crash, and never show -----------------------------------------------

@pytest.mark.parametrize('status', [200, 400])
def test_a_non_latin1_secret_is_sent_as_utf8_and_never_appears_in_an_error(requests_mock, no_sleep, status):
    unicode_client = CatapultClient('u-unit', TOKEN, UNICODE_SECRET, API, sleep=no_sleep.append)
    requests_mock.get(NUMBERS, status_code=status, json=[] if status == 200 else {'code': 'x', 'message': 'echo %s:%s' % (TOKEN, UNICODE_SECRET)})
    if status == 200:
        assert unicode_client.list_phone_numbers() == []
        expected = base64.b64encode(('%s:%s' % (TOKEN, UNICODE_SECRET)).encode('utf-8')).decode()
        assert requests_mock.last_request.headers['Authorization'] == 'Basic ' + expected
        return
    with pytest.raises(CatapultApiError) as caught:
        unicode_client.list_phone_numbers()
    assert UNICODE_SECRET not in str(caught.value) and TOKEN not in str(caught.value)


# -- fail fast on what retrying cannot fix -------------------------------------

REFUSED = requests.exceptions.ConnectionError(
    "HTTPSConnectionPool(host='api.test', port=443): Max retries exceeded (Caused by NewConnectionError("
    "'<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))")
UNRESOLVABLE = requests.exceptions.ConnectionError(
    "HTTPSConnectionPool(host='api.test', port=443): Max retries exceeded (Caused by NameResolutionError("
    "\"<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to resolve 'api.test' ([Errno -2] Name or service not known)\"))")
# (case, answers (the last repeats), requests sent, the attempts the error counts (None: no error))
CONNECTIONS = [
    ('a refused connection is tried three times and says so', [{'exc': REFUSED}], 3, 3),
    ('a name that does not resolve is tried once', [{'exc': UNRESOLVABLE}], 1, 1),
    ('a reset connection is still retried', [{'exc': requests.exceptions.ConnectionError('Connection reset by peer')}, {'json': []}], 2, None),
]


@pytest.mark.parametrize('answers, count, attempts', [c[1:] for c in CONNECTIONS], ids=[c[0] for c in CONNECTIONS])
def test_connection_failures_are_retried_only_where_retrying_can_help(requests_mock, no_sleep, answers, count, attempts):
    patient = CatapultClient('u-unit', TOKEN, SECRET, API, sleep=no_sleep.append)  # retries=6 by default
    requests_mock.get(NUMBERS, answers)
    if attempts is None:
        assert patient.list_phone_numbers() == []
    else:
        with pytest.raises(CatapultTransportError) as caught:
            patient.list_phone_numbers()
        assert ('after' in str(caught.value).split(':', 1)[0]) is (attempts > 1)
        if attempts > 1:
            assert 'after %d attempts' % attempts in str(caught.value) and caught.value.to_dict()['attempts'] == attempts
        else:
            assert no_sleep == []
    assert requests_mock.call_count == count
    assert sum(no_sleep) < 5


# -- an unquoted number in YAML ----------------------------------------------------------

@pytest.mark.parametrize('value, hint', [(19195550100, True), ('19195550100', True), ('call-me', False)])
def test_a_number_without_plus_says_to_quote_it_one_with_letters_does_not(value, hint):
    assert ('quote it: number: "+19195550100"' in e164_error('numbers[0].number', value)) is hint
    assert ('quote' in e164_error('number', value)) is hint
