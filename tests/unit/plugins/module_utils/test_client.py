# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import re
import threading
import time

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN


@pytest.fixture
def waits(no_sleep):
    """The waits the client asked for (conftest's no_sleep records them)."""
    return no_sleep


@pytest.fixture
def client(waits):
    return CatapultClient('u-unit', TOKEN, SECRET, API, retries=3, sleep=waits.append)


def galaxy_version():
    """The version galaxy.yml publishes: the User-Agent must say the same (nothing else keeps the two equal)."""
    galaxy = Path(__file__).resolve().parents[4] / 'galaxy.yml'
    return re.search(r'^version:\s*(\S+)\s*$', galaxy.read_text(encoding='utf-8'), re.M).group(1)


def error_body(code, message, category='bad-request'):
    return {'category': category, 'code': code, 'message': message,
            'details': [{'name': 'requestMethod', 'value': 'GET'}]}


def test_every_request_carries_auth_agent_timeout_and_verify(requests_mock, client):
    requests_mock.get(NUMBERS + '/%2B19195550100', json={'id': 'n-1', 'number': '+19195550100'})
    assert client.get_phone_number('+19195550100')['id'] == 'n-1'
    sent = requests_mock.last_request
    assert sent.headers['Authorization'] == 'Basic ' + base64.b64encode(('%s:%s' % (TOKEN, SECRET)).encode()).decode()
    assert sent.headers['User-Agent'].startswith('bandwidth.catapult/%s ' % galaxy_version())
    assert sent.verify not in (False, None)  # True, or the CA bundle requests takes from REQUESTS_CA_BUNDLE
    assert sent.timeout == 30.0


def test_validate_certs_false_is_passed_on_every_request(requests_mock, waits):
    insecure = CatapultClient('u-unit', TOKEN, SECRET, API, validate_certs=False, timeout=5, sleep=waits.append)
    requests_mock.get(NUMBERS, json=[])
    insecure.list_phone_numbers()
    assert requests_mock.last_request.verify is False
    assert requests_mock.last_request.timeout == 5


def test_e164_in_path_encodes_plus(client):
    assert client.user_path('phoneNumbers', '+19195550100') == '/users/u-unit/phoneNumbers/%2B19195550100'


def test_pagination_follows_absolute_and_relative_next_links(requests_mock, client):
    requests_mock.get(NUMBERS + '?size=1000', json=[{'id': 'n-1'}],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first", <%s?page=1&size=1000>; rel="next"' % (NUMBERS, NUMBERS)})
    requests_mock.get(NUMBERS + '?page=1&size=1000', json=[{'id': 'n-2'}],
                      headers={'Link': '</v1/users/u-unit/phoneNumbers?page=2&size=1000>; rel="next"'})
    requests_mock.get(NUMBERS + '?page=2&size=1000', json=[{'id': 'n-3'}, {'id': 'n-4', 'numberState': 'released'}],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first"' % NUMBERS})
    items = client.list_phone_numbers()
    assert [i['id'] for i in items] == ['n-1', 'n-2', 'n-3']
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
    requests_mock.post(NUMBERS, status_code=404, json=error_body('number-not-found', 'The number +19195550100 could not be found',
                                                                 'not-found'))
    with pytest.raises(CatapultApiError) as caught:
        client.allocate_phone_number({'number': '+19195550100'})
    exc = caught.value
    assert (exc.status, exc.code, exc.method, exc.path) == (404, 'number-not-found', 'POST', '/users/u-unit/phoneNumbers')
    assert str(exc) == ('Catapult API error: POST /users/u-unit/phoneNumbers returned HTTP 404 (number-not-found): '
                        'The number +19195550100 could not be found')
    assert requests_mock.call_count == 1


def test_plain_text_error_body_is_reported(requests_mock, client):
    requests_mock.get(NUMBERS, status_code=400, text='Bad request, Jetty says no', headers={'Content-Type': 'text/plain'})
    with pytest.raises(CatapultApiError, match='HTTP 400: Bad request, Jetty says no'):
        client.list_phone_numbers()


def test_401_names_the_credentials_and_never_the_secret(requests_mock, client):
    requests_mock.get(NUMBERS, status_code=401, json=error_body('unauthorized', 'Invalid credentials ' + SECRET, 'authentication'))
    with pytest.raises(CatapultApiError) as caught:
        client.list_phone_numbers()
    text = str(caught.value)
    assert 'HTTP 401' in text and 'api_secret' in text
    # the API echoing the secret is its own business: we report its message but the
    # module's no_log masking covers it; the client itself never adds credentials
    assert TOKEN not in text


@pytest.mark.parametrize('status', [429, 502, 503, 504])
def test_reads_retry_transient_statuses(requests_mock, client, waits, status):
    requests_mock.get(NUMBERS, [{'status_code': status, 'json': error_body('x', 'busy')}, {'json': [{'id': 'n-1'}]}])
    assert client.list_phone_numbers() == [{'id': 'n-1'}]
    assert requests_mock.call_count == 2
    assert len(waits) == 1


def test_retries_are_bounded(requests_mock, client, waits):
    requests_mock.get(NUMBERS, status_code=503, json=error_body('number-allocator-unavailable', 'down', 'unavailable'))
    with pytest.raises(CatapultApiError, match='HTTP 503'):
        client.list_phone_numbers()
    assert requests_mock.call_count == 4  # first try + retries=3
    assert len(waits) == 3


def test_retry_after_is_honored(requests_mock, client, waits):
    requests_mock.get(NUMBERS, [{'status_code': 429, 'headers': {'Retry-After': '7'}, 'json': {}}, {'json': []}])
    client.list_phone_numbers()
    assert waits == [pytest.approx(7.0, abs=0.1)]


def test_retry_after_is_clamped(requests_mock, waits):
    patient = CatapultClient('u-unit', TOKEN, SECRET, API, max_wait=10, sleep=waits.append)
    requests_mock.get(NUMBERS, [{'status_code': 429, 'headers': {'Retry-After': '3600'}, 'json': {}}, {'json': []}])
    patient.list_phone_numbers()
    assert waits == [pytest.approx(10.0, abs=0.1)]


def test_rate_limit_reset_in_epoch_milliseconds(requests_mock, client, waits):
    reset_ms = int((time.time() + 4) * 1000)
    requests_mock.get(NUMBERS, [{'status_code': 429, 'headers': {'X-RateLimit-Reset': str(reset_ms)},
                                 'json': {'category': 'too-many-requests', 'code': 'rate-limit-reached'}},
                                {'json': []}])
    client.list_phone_numbers()
    assert len(waits) == 1 and 3.0 < waits[0] <= 4.2


def test_retry_delay_without_headers_grows_and_is_capped():
    delays = [retry_delay({}, attempt, cap=5) for attempt in range(8)]
    assert all(0 < d <= 5 for d in delays)
    assert delays[-1] > delays[0]


# (write, method of the client, arguments, URL, a 201 answer, the query sent): a write whose answer was lost or
# was a server error may have been done, so it is never sent again; after a 429 nothing was done, so it is
APPLICATIONS = API + '/users/u-unit/applications'
WRITES = [
    ('allocate', 'allocate_phone_number', ({'number': '+19195550100'},), NUMBERS, {'headers': {'Location': NUMBERS + '/n-abc'}}, {}),
    ('order', 'order_available', ('local', {'areaCode': '919', 'quantity': 1}), API + '/availableNumbers/local',
     {'json': [{'number': '+19195550100', 'location': NUMBERS + '/n-abc'}]}, {'areacode': ['919'], 'quantity': ['1']}),
    ('create application', 'create_application', ({'name': 'App'},), APPLICATIONS, {'headers': {'Location': APPLICATIONS + '/n-abc'}}, {}),
]
EACH_WRITE = pytest.mark.parametrize('write, method, args, url, created, query', WRITES, ids=[w[0] for w in WRITES])


@EACH_WRITE
@pytest.mark.parametrize('status', [502, 503])
def test_a_write_is_not_resent_after_a_server_error(requests_mock, client, write, method, args, url, created, query, status):
    requests_mock.post(url, status_code=status, json=error_body('number-allocator-timeout', 'slow'))
    with pytest.raises(CatapultApiError) as caught:
        getattr(client, method)(*args)
    assert requests_mock.call_count == 1
    assert outcome_unknown(caught.value)


@EACH_WRITE
def test_a_lost_answer_to_a_write_is_not_retried(requests_mock, client, write, method, args, url, created, query):
    requests_mock.post(url, exc=requests.exceptions.ConnectionError('Connection aborted.', 'RemoteDisconnected'))
    with pytest.raises(CatapultTransportError) as caught:
        getattr(client, method)(*args)
    assert caught.value.sent is True and outcome_unknown(caught.value)
    assert requests_mock.call_count == 1


@EACH_WRITE
def test_a_write_is_retried_after_429_because_nothing_was_done(requests_mock, client, write, method, args, url, created, query):
    requests_mock.post(url, [{'status_code': 429, 'json': {'message': 'slow down'}}, dict(created, status_code=201)])
    answer = getattr(client, method)(*args)
    assert (answer if write != 'order' else answer[0]['id']) == 'n-abc'
    assert requests_mock.call_count == 2
    assert requests_mock.last_request.qs == query


def test_read_timeout_on_a_write_is_an_unknown_outcome(requests_mock, client):
    requests_mock.post(NUMBERS, exc=requests.exceptions.ReadTimeout('read timed out'))
    with pytest.raises(CatapultTransportError, match='no answer within the timeout') as caught:
        client.allocate_phone_number({'number': '+19195550100'})
    assert outcome_unknown(caught.value)


def test_refused_connection_is_retried_even_for_writes(requests_mock, client):
    refused = requests.exceptions.ConnectionError("HTTPSConnectionPool: Max retries exceeded (Caused by NewConnectionError("
                                                  "'<conn>: Failed to establish a new connection: [Errno 111] Connection refused'))")
    requests_mock.post(NUMBERS, [{'exc': refused}, {'status_code': 201, 'headers': {'Location': NUMBERS + '/n-new'}}])
    assert client.allocate_phone_number({'number': '+19195550100'}) == 'n-new'
    assert requests_mock.call_count == 2


def test_tls_failure_is_clear_and_not_retried(requests_mock, client):
    requests_mock.get(NUMBERS, exc=requests.exceptions.SSLError('certificate verify failed: self-signed certificate'))
    with pytest.raises(CatapultTransportError, match='TLS certificate verification failed.*validate_certs=false'):
        client.list_phone_numbers()
    assert requests_mock.call_count == 1


def test_allocate_sends_only_given_fields_and_reads_id_from_location(requests_mock, client):
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': '/v1/users/u-unit/phoneNumbers/n-rel'})
    assert client.allocate_phone_number({'number': '+19195550100', 'name': None, 'applicationId': 'a-1'}) == 'n-rel'
    assert requests_mock.last_request.json() == {'number': '+19195550100', 'applicationId': 'a-1'}


def test_released_number_reads_as_absent(requests_mock, client):
    requests_mock.get(NUMBERS + '/%2B19195550100', json={'id': 'n-1', 'numberState': 'released'})
    assert client.get_phone_number('+19195550100') is None


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


def paced_client():
    fake = FakeTime()
    return CatapultClient('u-unit', TOKEN, SECRET, API, sleep=fake.sleep, clock=fake.time), fake


def test_after_a_429_requests_to_that_endpoint_are_spaced(requests_mock):
    client, fake = paced_client()
    requests_mock.post(NUMBERS, [{'status_code': 429, 'headers': {'X-RateLimit-Reset': str(int((fake.now + 0.6) * 1000))},
                                  'json': {'message': 'rate limited'}}] + [{'status_code': 201, 'headers': {'Location': '/n-x'}}] * 3)
    requests_mock.get(NUMBERS, json=[])
    for dummy in range(3):
        client.allocate_phone_number({'number': '+19195550100'})
    client.list_phone_numbers()  # another endpoint is not paced
    assert requests_mock.call_count == 5
    assert fake.waits == [0.65, 0.65, 0.65]


def test_a_further_429_widens_the_spacing(requests_mock):
    client, fake = paced_client()
    limited = {'status_code': 429, 'headers': {'Retry-After': '1'}, 'json': {'message': 'rate limited'}}
    requests_mock.post(NUMBERS, [limited, {'status_code': 201}, limited, {'status_code': 201}, {'status_code': 201}])
    for dummy in range(3):
        client.allocate_phone_number({'number': '+19195550100'})
    # 429, wait 1, ok; wait the 1 s pace, 429, wait 1, ok; the pace grew by a quarter
    assert fake.waits == [1.0, 1.0, 1.0, 1.25]
    assert client.stats['rate_limited'] == 2


def test_spacing_relaxes_after_a_run_of_answers(requests_mock):
    client, fake = paced_client()
    run = client_mod.PACE_RELAX_AFTER
    requests_mock.post(NUMBERS, [{'status_code': 429, 'headers': {'Retry-After': '0.8'}, 'json': {'message': 'slow'}}]
                       + [{'status_code': 201}] * (3 * run))
    for dummy in range(3 * run):
        client.allocate_phone_number({'number': '+19195550100'})
    # the 0.8 s gate, then the pace halves after every run of answers
    assert fake.waits == [0.8] * run + [0.4] * run + [0.2] * run
    assert requests_mock.call_count == 3 * run + 1


def test_spacing_ends_when_it_is_tiny(requests_mock):
    client, fake = paced_client()
    run = client_mod.PACE_RELAX_AFTER
    requests_mock.post(NUMBERS, [{'status_code': 429, 'headers': {'Retry-After': '0.015'}, 'json': {'message': 'blip'}}]
                       + [{'status_code': 201}] * (2 * run))
    for dummy in range(2 * run):
        client.allocate_phone_number({'number': '+19195550100'})
    assert len(fake.waits) == run  # the gate and the paced requests of the first run of answers; then none
    assert client._pacer._paces == {}


def test_429s_of_requests_already_in_flight_do_not_widen_the_spacing():
    client, fake = paced_client()
    pacer = client._pacer
    key = 'POST /v1/users/{}/phoneNumbers'
    sent = fake.now
    fake.now += 0.05
    pacer.limited(key, 0.6, sent)  # the first 429 sets the pace
    for dummy in range(15):  # the other 15 workers' requests were sent before it: no growth
        pacer.limited(key, 0.6, sent)
    assert pacer._paces[key].interval == 0.6
    pacer.limited(key, 0.6, fake.now)  # a request sent under the pace still got a 429
    assert pacer._paces[key].interval == pytest.approx(0.75)


def test_a_faster_pace_that_brings_a_429_goes_back_and_waits_longer_to_try_again():
    client, fake = paced_client()
    pacer = client._pacer
    key = 'POST /v1/users/{}/phoneNumbers'
    run = client_mod.PACE_RELAX_AFTER
    pacer.limited(key, 0.6, fake.now)
    for dummy in range(run):
        fake.now += 0.6
        pacer.answered(key, fake.now)
    pace = pacer._paces[key]
    assert (pace.interval, pace.good) == (0.3, 0.6)
    fake.now += 0.3
    pacer.limited(key, 0.2, fake.now)  # the bucket does not allow 0.3
    assert (pace.interval, pace.relax_after) == (0.6, 2 * run)


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


def test_pace_keys_leave_ids_out():
    assert client_mod._pace_key('POST', API + '/users/u-unit/phoneNumbers') == 'POST /v1/users/{}/phoneNumbers'
    assert client_mod._pace_key('POST', API + '/users/u-x/phoneNumbers/%2B19195550100') == 'POST /v1/users/{}/phoneNumbers/{}'
    assert client_mod._pace_key('DELETE', API + '/users/u-x/phoneNumbers/n-abc') == 'DELETE /v1/users/{}/phoneNumbers/{}'


@pytest.mark.parametrize('header, expected', [
    ('<https://a/v1/x?page=1>; rel="next"', 'https://a/v1/x?page=1'),
    ('<https://a/v1/x?page=0>; rel="first", <https://a/v1/x?page=3>; rel="next"', 'https://a/v1/x?page=3'),
    ('<https://a/v1/x?page=0>; rel="first"', None),
    ('', None),
    (None, None),
])
def test_parse_link_next(header, expected):
    assert parse_link_next(header) == expected


@pytest.mark.parametrize('location, expected', [
    ('https://api.catapult.inetwork.com/v1/users/u-1/phoneNumbers/n-abc', 'n-abc'),
    ('/v1/users/u-1/phoneNumbers/n-abc/', 'n-abc'),
    (None, None),
])
def test_id_from_location(location, expected):
    assert id_from_location(location) == expected
