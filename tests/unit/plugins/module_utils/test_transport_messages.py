# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The transport: failures name their cause (refused, name resolution, TLS verification), and the
environment (HTTPS_PROXY / NO_PROXY, documented in the auth doc fragment; REQUESTS_CA_BUNDLE) reaches
every request, with validate_certs winning. The catapult_tls integration target shows the same over real HTTPS.

The exception texts are the ones requests 2.3x / urllib3 2.x produce. Before this, a
refused connection read ``connection error ("HTTPConnection(host=)`` and a TLS failure
``(SSLCertVerificationError(1,)``: the cause was cut off at the first quote.
"""

from __future__ import annotations

import socket

from unittest.mock import ANY

import pytest
import requests

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultClient, CatapultTransportError
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN, USER

REFUSED = ('HTTPConnectionPool(host=\'127.0.0.1\', port=9): Max retries exceeded with url: /v1 (Caused by NewConnectionError('
           '"HTTPConnection(host=\'127.0.0.1\', port=9): Failed to establish a new connection: [Errno 111] Connection refused"))')
DNS = ('HTTPConnectionPool(host=\'api.example.invalid\', port=80): Max retries exceeded with url: /v1 (Caused by '
       'NameResolutionError("HTTPConnection(host=\'api.example.invalid\', port=80): Failed to resolve \'api.example.invalid\' '
       '([Errno -2] Name or service not known)"))')
DNS_OLD = ('HTTPSConnectionPool(host=\'api.example.invalid\', port=443): Max retries exceeded with url: /v1 (Caused by '
           'NameResolutionError("<urllib3.connection.HTTPSConnection object at 0x7f00deadbeef>: Failed to resolve '
           '\'api.example.invalid\' ([Errno -2] Name or service not known)"))')
TLS = ('HTTPSConnectionPool(host=\'127.0.0.1\', port=41215): Max retries exceeded with url: /v1 (Caused by SSLError('
       'SSLCertVerificationError(1, \'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate '
       '(_ssl.c:1006)\')))')
PROXY = 'http://proxy.corp.test:3128'


def client(api_url=API, **options):
    return CatapultClient(USER, TOKEN, SECRET, api_url=api_url, sleep=lambda seconds: None, **options)


@pytest.mark.parametrize('exc, expected', [
    (requests.exceptions.ConnectionError(REFUSED), 'connection error (Failed to establish a new connection: [Errno 111] Connection refused)'),
    (requests.exceptions.ConnectionError(DNS), "connection error (Failed to resolve 'api.example.invalid' ([Errno -2] Name or service not known))"),
    (requests.exceptions.ConnectionError(DNS_OLD), "connection error (Failed to resolve 'api.example.invalid'"),
    (requests.exceptions.SSLError(TLS), 'TLS certificate verification failed ([SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
                                        'failed: self-signed certificate); set validate_certs=false'),
])
def test_transport_failure_names_its_cause(requests_mock, exc, expected):
    requests_mock.get(NUMBERS, exc=exc)
    with pytest.raises(CatapultTransportError) as caught:
        client(retries=0).list_phone_numbers()
    text = str(caught.value)
    assert expected in text
    assert text.startswith('Catapult API request GET /users/u-unit/phoneNumbers failed: ')
    assert 'HTTPConnection(' not in text and '0x7f' not in text


def test_a_real_refused_connection_says_refused():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(CatapultTransportError) as caught:
        client('http://127.0.0.1:%d/v1' % port, retries=0).list_phone_numbers()
    assert 'Connection refused' in str(caught.value)
    assert caught.value.sent is False


# (case, environment (None: unset), client options, what the request went with: (https proxy, verify, timeout));
# verify is ANY where REQUESTS_CA_BUNDLE is left as it is (True, or the bundle it names)
ENVIRONMENTS = [
    ('https proxy is honored', dict(HTTPS_PROXY=PROXY, NO_PROXY=None, no_proxy=None), {}, (PROXY, ANY, 30.0)),
    ('no proxy is honored', dict(HTTPS_PROXY=PROXY, NO_PROXY='api.test'), {}, (None, ANY, 30.0)),
    ('validate_certs false wins over a ca bundle variable', dict(REQUESTS_CA_BUNDLE='/etc/ssl/certs/ca-certificates.crt'),
     dict(validate_certs=False), (None, False, 30.0)),
    ('validate_certs false and timeout reach every request', {}, dict(validate_certs=False, timeout=5), (None, False, 5)),
    ('certificates are verified by default', dict(REQUESTS_CA_BUNDLE=None, CURL_CA_BUNDLE=None), {}, (None, True, 30.0)),
]


@pytest.mark.parametrize('environment, options, expected', [e[1:] for e in ENVIRONMENTS], ids=[e[0] for e in ENVIRONMENTS])
def test_the_environment_and_the_options_reach_every_request(requests_mock, monkeypatch, environment, options, expected):
    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    requests_mock.get(NUMBERS, json=[])
    client(**options).list_phone_numbers()
    sent = requests_mock.last_request
    assert (sent.proxies.get('https') or None, sent.verify, sent.timeout) == expected
