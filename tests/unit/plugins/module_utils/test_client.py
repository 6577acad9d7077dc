# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client against canned answers (exact bytes over requests_mock): requests, pagination, errors, retries, pacing, applications."""

from __future__ import annotations

import base64
import re
import threading
import time

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest.mock import ANY

import pytest
import requests

from ansible_collections.bandwidth.catapult.plugins.module_utils import _client as client_mod
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import (
    CatapultApiError,
    CatapultClient,
    CatapultTransportError,
    id_from_location,
    outcome_unknown,
    parse_link_next,
    retry_delay,
)
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN, calls

APPLICATIONS = API + '/users/u-unit/applications'
APPLICATIONS_PATH = '/users/u-unit/applications'
APP_NOT_FOUND = {'category': 'not-found', 'code': 'application-not-found', 'message': 'The application a-1 could not be found'}


@pytest.fixture
def client(no_sleep):
    return CatapultClient('u-unit', TOKEN, SECRET, API, retries=3, sleep=no_sleep.append)


def error_body(code, message, category='bad-request'):
    return {'category': category, 'code': code, 'message': message, 'details': [{'name': 'requestMethod', 'value': 'GET'}]}


def test_every_request_carries_auth_agent_timeout_and_verify(requests_mock, client):
    requests_mock.get(NUMBERS + '/%2B19195550100', json={'id': 'n-1', 'number': '+19195550100'})
    assert client.get_phone_number('+19195550100')['id'] == 'n-1'
    sent = requests_mock.last_request
    assert sent.headers['Authorization'] == 'Basic ' + base64.b64encode(('%s:%s' % (TOKEN, SECRET)).encode()).decode()
    # the version galaxy.yml publishes: nothing else keeps the two equal
    galaxy = (Path(__file__).resolve().parents[4] / 'galaxy.yml').read_text(encoding='utf-8')
    assert sent.headers['User-Agent'].startswith('bandwidth.catapult/%s ' % re.search(r'^version:\s*(\S+)\s*$', galaxy, re.M).group(1))
    assert sent.verify not in (False, None)  # True, or the CA bundle requests takes from REQUESTS_CA_BUNDLE
    assert sent.timeout == 30.0


def test_e164_in_path_encodes_plus(client):
    assert client.user_path('phoneNumbers', '+19195550100') == '/users/u-unit/phoneNumbers/%2B19195550100'


def test_pagination_follows_absolute_and_relative_next_links(requests_mock, client):
    requests_mock.get(NUMBERS + '?size=1000', json=[{'id': 'n-1'}],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first", <%s?page=1&size=1000>; rel="next"' % (NUMBERS, NUMBERS)})
    requests_mock.get(NUMBERS + '?page=1&size=1000', json=[{'id': 'n-2'}], headers={'Link': '</v1/users/u-unit/phoneNumbers?page=2&size=1000>; rel="next"'})
    requests_mock.get(NUMBERS + '?page=2&size=1000', json=[{'id': 'n-3'}, {'id': 'n-4', 'numberState': 'released'}],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first"' % NUMBERS})
    assert [i['id'] for i in client.list_phone_numbers()] == ['n-1', 'n-2', 'n-3']
    assert requests_mock.call_count == 3


def test_pagination_passes_filters(requests_mock, client):
    requests_mock.get(NUMBERS, json=[])
    client.list_phone_numbers(name='pool a', applicationId=None)
    assert requests_mock.last_request.qs == {'name': ['pool a'], 'size': ['1000']}


def test_pagination_loop_is_detected(requests_mock, client):
    requests_mock.get(NUMBERS, json=[{'id': 'n-1'}], headers={'Link': '<%s?page=1>; rel="next"' % NUMBERS})
    with pytest.raises(client_mod.CatapultError, match='loops'):
        client.list_phone_numbers()


def test_api_error_carries_status_code_message_and_request(requests_mock, client):
    requests_mock.post(NUMBERS, status_code=404, json=error_body('number-not-found', 'The number +19195550100 could not be found', 'not-found'))
    with pytest.raises(CatapultApiError) as caught:
        client.allocate_phone_number({'number': '+19195550100'})
    exc = caught.value
    assert (exc.status, exc.code, exc.method, exc.path) == (404, 'number-not-found', 'POST', '/users/u-unit/phoneNumbers')
    assert str(exc) == ('Catapult API error: POST /users/u-unit/phoneNumbers returned HTTP 404 (number-not-found): '
                        'The number +19195550100 could not be found')
    assert requests_mock.call_count == 1


# (case, the answer to a listing, the error, texts it holds, texts it must not hold, requests sent)
FAILED_LISTINGS = [
    ('plain text error', dict(status_code=400, text='Bad request, Jetty says no', headers={'Content-Type': 'text/plain'}), CatapultApiError,
     ['HTTP 400: Bad request, Jetty says no'], [], 1),
    # the API echoing the secret is its own business (the module's no_log masks it); the client never adds credentials
    ('401', dict(status_code=401, json=error_body('unauthorized', 'Invalid credentials ' + SECRET, 'authentication')), CatapultApiError,
     ['HTTP 401', 'api_secret'], [TOKEN], 1),
    ('tls', dict(exc=requests.exceptions.SSLError('certificate verify failed: self-signed certificate')), CatapultTransportError,
     ['TLS certificate verification failed', 'validate_certs=false'], [], 1),
    ('retries are bounded', dict(status_code=503, json=error_body('number-allocator-unavailable', 'down', 'unavailable')), CatapultApiError,
     ['HTTP 503'], [], 4),  # first try + retries=3
]


@pytest.mark.parametrize('answer, error, texts, never, count', [f[1:] for f in FAILED_LISTINGS], ids=[f[0] for f in FAILED_LISTINGS])
def test_a_failed_listing_says_why(requests_mock, client, no_sleep, answer, error, texts, never, count):
    requests_mock.get(NUMBERS, **answer)
    with pytest.raises(error) as caught:
        client.list_phone_numbers()
    assert [t for t in texts if t not in str(caught.value)] == [] and [t for t in never if t in str(caught.value)] == []
    assert requests_mock.call_count == count and len(no_sleep) == count - 1


# (case, client options, answers to a listing: the waits asked for) -- a read is retried after a transient status
RETRIED_READS = [('status %d' % status, {}, [{'status_code': status, 'json': error_body('x', 'busy')}], [ANY]) for status in (429, 502, 503, 504)] + [
    ('retry-after is honored', {}, [{'status_code': 429, 'headers': {'Retry-After': '7'}, 'json': {}}], [pytest.approx(7.0, abs=0.1)]),
    ('retry-after is clamped', {'max_wait': 10}, [{'status_code': 429, 'headers': {'Retry-After': '3600'}, 'json': {}}], [pytest.approx(10.0, abs=0.1)]),
]


@pytest.mark.parametrize('options, answers, waits', [r[1:] for r in RETRIED_READS], ids=[r[0] for r in RETRIED_READS])
def test_reads_retry_transient_statuses(requests_mock, no_sleep, options, answers, waits):
    requests_mock.get(NUMBERS, answers + [{'json': [{'id': 'n-1'}]}])
    assert CatapultClient('u-unit', TOKEN, SECRET, API, retries=3, sleep=no_sleep.append, **options).list_phone_numbers() == [{'id': 'n-1'}]
    assert requests_mock.call_count == len(answers) + 1
    assert no_sleep == waits


def test_rate_limit_reset_in_epoch_milliseconds(requests_mock, client, no_sleep):
    requests_mock.get(NUMBERS, [{'status_code': 429, 'headers': {'X-RateLimit-Reset': str(int((time.time() + 4) * 1000))},
                                 'json': {'category': 'too-many-requests', 'code': 'rate-limit-reached'}}, {'json': []}])
    client.list_phone_numbers()
    assert len(no_sleep) == 1 and 3.0 < no_sleep[0] <= 4.2


def test_retry_delay_without_headers_grows_and_is_capped():
    delays = [retry_delay({}, attempt, cap=5) for attempt in range(8)]
    assert all(0 < d <= 5 for d in delays)
    assert delays[-1] > delays[0]


# (write, method of the client, arguments, URL, a 201 answer, the query sent): a write whose answer was lost or
# was a server error may have been done, so it is never sent again; after a 429 nothing was done, so it is
WRITES = [
    ('allocate', 'allocate_phone_number', ({'number': '+19195550100'},), NUMBERS, {'headers': {'Location': NUMBERS + '/n-abc'}}, {}),
    ('order', 'order_available', ('local', {'areaCode': '919', 'quantity': 1}), API + '/availableNumbers/local',
     {'json': [{'number': '+19195550100', 'location': NUMBERS + '/n-abc'}]}, {'areacode': ['919'], 'quantity': ['1']}),
    ('create application', 'create_application', ({'name': 'App'},), APPLICATIONS, {'headers': {'Location': APPLICATIONS + '/n-abc'}}, {}),
]
EACH_WRITE = pytest.mark.parametrize('write, method, args, url, created, query', WRITES, ids=[w[0] for w in WRITES])


@EACH_WRITE
@pytest.mark.parametrize('answer', [dict(status_code=status, json=error_body('number-allocator-timeout', 'slow')) for status in (502, 503)] + [
    dict(exc=requests.exceptions.ConnectionError('Connection aborted.', 'RemoteDisconnected')),
    dict(exc=requests.exceptions.ReadTimeout('read timed out'))], ids=['502', '503', 'lost answer', 'read timeout'])
def test_a_write_whose_outcome_is_unknown_is_never_resent(requests_mock, client, write, method, args, url, created, query, answer):
    requests_mock.post(url, **answer)
    with pytest.raises((CatapultApiError, CatapultTransportError)) as caught:
        getattr(client, method)(*args)
    assert requests_mock.call_count == 1
    assert outcome_unknown(caught.value)
    assert isinstance(caught.value, CatapultTransportError if 'exc' in answer else CatapultApiError)
    if 'exc' in answer:
        assert caught.value.sent is True
    if isinstance(answer.get('exc'), requests.exceptions.ReadTimeout):
        assert 'no answer within the timeout' in str(caught.value)


@EACH_WRITE
def test_a_write_is_retried_after_429_because_nothing_was_done(requests_mock, client, write, method, args, url, created, query):
    requests_mock.post(url, [{'status_code': 429, 'json': {'message': 'slow down'}}, dict(created, status_code=201)])
    answer = getattr(client, method)(*args)
    assert (answer if write != 'order' else answer[0]['id']) == 'n-abc'
    assert requests_mock.call_count == 2
    assert requests_mock.last_request.qs == query


def test_refused_connection_is_retried_even_for_writes(requests_mock, client):
    refused = requests.exceptions.ConnectionError("HTTPSConnectionPool: Max retries exceeded (Caused by NewConnectionError("
                                                  "'<conn>: Failed to establish a new connection: [Errno 111] Connection refused'))")
    requests_mock.post(NUMBERS, [{'exc': refused}, {'status_code': 201, 'headers': {'Location': NUMBERS + '/n-new'}}])
    assert client.allocate_phone_number({'number': '+19195550100'}) == 'n-new'
    assert requests_mock.call_count == 2


def test_allocate_sends_only_given_fields_and_reads_id_from_location(requests_mock, client):
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': '/v1/users/u-unit/phoneNumbers/n-rel'})
    assert client.allocate_phone_number({'number': '+19195550100', 'name': None, 'applicationId': 'a-1'}) == 'n-rel'
    assert requests_mock.last_request.json() == {'number': '+19195550100', 'applicationId': 'a-1'}


def test_released_number_reads_as_absent(requests_mock, client):
    requests_mock.get(NUMBERS + '/%2B19195550100', json={'id': 'n-1', 'numberState': 'released'})
    assert client.get_phone_number('+19195550100') is None


# -- pacing: after a 429 the requests to that endpoint are spaced

class FakeTime(object):
    """A clock that only moves when the client sleeps."""

    def __init__(self):
        self.now = 1700000000.0
        self.waits = []

    def sleep(self, seconds):
        self.waits.append(round(seconds, 3))
        self.now += seconds

    def time(self):
        return self.now


KEY = 'POST /v1/users/{}/phoneNumbers'
RUN = client_mod.PACE_RELAX_AFTER


def paced_client(requests_mock=None, answers=()):
    """A client on a clock of its own, and how many allocations answer ``answers`` to POST phoneNumbers (then 201)."""
    fake = FakeTime()
    client = CatapultClient('u-unit', TOKEN, SECRET, API, sleep=fake.sleep, clock=fake.time)
    if requests_mock is not None:
        requests_mock.post(NUMBERS, [answer(fake) if callable(answer) else answer for answer in answers] + [{'status_code': 201}])
    return client, fake


LIMITED = {'status_code': 429, 'headers': {'Retry-After': '1'}, 'json': {'message': 'rate limited'}}


# 429 (reset in 0.6 s), wait, ok, wait the pace, ok, ...; or 429, wait 1, ok; wait the 1 s pace, 429, wait 1, ok; the pace
# grew by a quarter
@pytest.mark.parametrize('answers, waits', [
    ([lambda fake: {'status_code': 429, 'json': {'message': 'rate limited'}, 'headers': {'X-RateLimit-Reset': str(int((fake.now + 0.6) * 1000))}}],
     [0.65, 0.65, 0.65]),
    ([LIMITED, {'status_code': 201}, LIMITED], [1.0, 1.0, 1.0, 1.25])], ids=['spaced', 'a further 429 widens the spacing'])
def test_after_a_429_requests_to_that_endpoint_are_spaced(requests_mock, answers, waits):
    client, fake = paced_client(requests_mock, answers)
    requests_mock.get(NUMBERS, json=[])
    for dummy in range(3):
        client.allocate_phone_number({'number': '+19195550100'})
    client.list_phone_numbers()  # another endpoint is not paced
    limited = len([a for a in answers if callable(a) or a.get('status_code') == 429])
    assert requests_mock.call_count == 3 + limited + 1
    assert fake.waits == waits
    assert client.stats['rate_limited'] == limited


@pytest.mark.parametrize('retry_after, paces, left', [('0.8', [0.8, 0.4, 0.2], [0.1]), ('0.015', [0.015, None], [])], ids=['relaxes', 'ends when tiny'])
def test_spacing_halves_after_each_run_of_answers_and_ends_when_tiny(requests_mock, retry_after, paces, left):
    client, fake = paced_client(requests_mock, [{'status_code': 429, 'headers': {'Retry-After': retry_after}, 'json': {'message': 'slow'}}])
    for dummy in range(len(paces) * RUN):
        client.allocate_phone_number({'number': '+19195550100'})
    # the gate, then each run of answers at half the pace before; below a floor the pace ends (no wait, no entry)
    assert fake.waits == [pace for pace in paces if pace for dummy in range(RUN)]
    assert requests_mock.call_count == len(paces) * RUN + 1
    assert [pace.interval for pace in client._pacer._paces.values()] == left


def test_429s_of_requests_already_in_flight_do_not_widen_the_spacing():
    client, fake = paced_client()
    sent = fake.now
    fake.now += 0.05
    for dummy in range(16):  # the first 429 sets the pace; the other 15 workers' requests were sent before it: no growth
        client._pacer.limited(KEY, 0.6, sent)
    assert client._pacer._paces[KEY].interval == 0.6
    client._pacer.limited(KEY, 0.6, fake.now)  # a request sent under the pace still got a 429
    assert client._pacer._paces[KEY].interval == pytest.approx(0.75)


def test_a_faster_pace_that_brings_a_429_goes_back_and_waits_longer_to_try_again():
    client, fake = paced_client()
    client._pacer.limited(KEY, 0.6, fake.now)
    for dummy in range(RUN):
        fake.now += 0.6
        client._pacer.answered(KEY, fake.now)
    pace = client._pacer._paces[KEY]
    assert (pace.interval, pace.good) == (0.3, 0.6)
    fake.now += 0.3
    client._pacer.limited(KEY, 0.2, fake.now)  # the bucket does not allow 0.3
    assert (pace.interval, pace.relax_after) == (0.6, 2 * RUN)


def test_paced_requests_go_one_at_a_time():
    """While an endpoint is paced, a second thread waits until the first one's request is done."""
    client, fake = paced_client()
    key = 'GET /v1/users/{}/phoneNumbers'

    def two_requests():
        order = []

        def send(dummy):
            with client._pacer.turn(key):
                order.append('start')
                threading.Event().wait(0.2)  # a real wait: time.sleep is recorded, not slept, in these tests
                order.append('end')

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(send, range(2)))
        return order

    assert two_requests() == ['start', 'start', 'end', 'end']  # not paced: both at once
    client._pacer.limited(key, 0.5, fake.now)
    assert two_requests() == ['start', 'end', 'start', 'end']


@pytest.mark.parametrize('method, url, key', [('POST', '/users/u-unit/phoneNumbers', KEY), ('POST', '/users/u-x/phoneNumbers/%2B19195550100', KEY + '/{}'),
                                              ('DELETE', '/users/u-x/phoneNumbers/n-abc', 'DELETE /v1/users/{}/phoneNumbers/{}')])
def test_pace_keys_leave_ids_out(method, url, key):
    assert client_mod._pace_key(method, API + url) == key


@pytest.mark.parametrize('header, expected', [
    ('<https://a/v1/x?page=1>; rel="next"', 'https://a/v1/x?page=1'),
    ('<https://a/v1/x?page=0>; rel="first", <https://a/v1/x?page=3>; rel="next"', 'https://a/v1/x?page=3'),
    ('<https://a/v1/x?page=0>; rel="first"', None), ('', None), (None, None),
])
def test_parse_link_next(header, expected):
    assert parse_link_next(header) == expected


@pytest.mark.parametrize('location, expected', [
    ('https://api.catapult.inetwork.com/v1/users/u-1/phoneNumbers/n-abc', 'n-abc'), ('/v1/users/u-1/phoneNumbers/n-abc/', 'n-abc'), (None, None)])
def test_id_from_location(location, expected):
    assert id_from_location(location) == expected


# -- applications: list (paginated), create (never resent once sent: WRITES above), update (idempotent, retried),
# delete (404 application-not-found = already gone)

def test_the_applications_list_follows_every_page(requests_mock, client):
    requests_mock.get(APPLICATIONS + '?size=1000', json=[{'id': 'a-1', 'name': 'One'}],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first", <%s?page=1&size=1000>; rel="next"' % (APPLICATIONS, APPLICATIONS)})
    requests_mock.get(APPLICATIONS + '?page=1&size=1000', json=[{'id': 'a-2', 'name': 'Two'}],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first"' % APPLICATIONS})
    assert [app['id'] for app in client.list_applications()] == ['a-1', 'a-2']
    assert calls(requests_mock) == [('GET', APPLICATIONS_PATH + '?size=1000'), ('GET', APPLICATIONS_PATH + '?page=1&size=1000')]


@pytest.mark.parametrize('headers, app_id', [({'Location': APPLICATIONS + '/a-new'}, 'a-new'), ({}, None),
                                             ({'Location': 'https://elsewhere.test/v1/users/u-unit/applications/a-new'}, None)],
                         ids=['location', 'no location', 'location on another origin'])
def test_create_sends_only_given_fields_and_reads_the_id_from_a_usable_location(requests_mock, client, headers, app_id):
    requests_mock.post(APPLICATIONS, status_code=201, headers=headers)
    assert client.create_application({'name': 'App', 'incomingCallUrl': 'https://x', 'autoAnswer': None}) == app_id
    assert requests_mock.last_request.json() == {'name': 'App', 'incomingCallUrl': 'https://x'}


def test_update_is_retried_and_sends_empty_strings(requests_mock, client):
    requests_mock.post(APPLICATIONS + '/a-1', [{'status_code': 503, 'json': {'message': 'later'}}, {'status_code': 200}])
    client.update_application('a-1', {'name': 'New', 'incomingCallFallbackUrl': '', 'autoAnswer': None})
    assert calls(requests_mock) == [('POST', APPLICATIONS_PATH + '/a-1')] * 2
    assert requests_mock.last_request.json() == {'name': 'New', 'incomingCallFallbackUrl': ''}


def test_update_needs_an_id(requests_mock, client):
    with pytest.raises(Exception, match='id of a resource'):
        client.update_application(None, {'name': 'x'})
    assert not requests_mock.request_history


# a 404 application-not-found means gone (delete: it was not there), any other 404 is an error that names api_url
@pytest.mark.parametrize('method, answer, expected', [
    ('delete', dict(status_code=200), True), ('delete', dict(status_code=404, json=APP_NOT_FOUND), False),
    ('delete', dict(status_code=404, json={'code': 'resource-not-found', 'message': 'no route'}), CatapultApiError),
    ('get', dict(status_code=404, json=APP_NOT_FOUND), None), ('get', dict(json={'id': 'a-1', 'name': 'One'}), {'id': 'a-1', 'name': 'One'}),
    ('get', dict(status_code=404, json={'code': 'resource-not-found', 'message': 'no route'}), CatapultApiError),
], ids=['delete', 'delete gone', 'delete unknown route', 'get gone', 'get', 'get unknown route'])
def test_an_application_get_or_delete_keeps_its_contract(requests_mock, client, method, answer, expected):
    requests_mock.register_uri(method.upper(), APPLICATIONS + '/a-1', **answer)
    call = getattr(client, method + '_application')
    if expected is CatapultApiError:
        with pytest.raises(CatapultApiError, match='api_url'):
            call('a-1')
    else:
        result = call('a-1')
        assert result == expected and type(result) is type(expected)  # True, False and None exactly
