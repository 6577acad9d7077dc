# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Transport failures name their cause: refused, name resolution, TLS verification.

The exception texts are the ones requests 2.3x / urllib3 2.x produce. Before this, a
refused connection read ``connection error ("HTTPConnection(host=)`` and a TLS failure
``(SSLCertVerificationError(1,)``: the cause was cut off at the first quote.
"""

from __future__ import annotations

import socket

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


def failure(requests_mock, exc):
    requests_mock.get(NUMBERS, exc=exc)
    client = CatapultClient(USER, TOKEN, SECRET, api_url=API, sleep=lambda seconds: None, retries=0)
    with pytest.raises(CatapultTransportError) as caught:
        client.list_phone_numbers()
    return str(caught.value)


@pytest.mark.parametrize('exc, expected', [
    (requests.exceptions.ConnectionError(REFUSED), 'connection error (Failed to establish a new connection: [Errno 111] Connection refused)'),
    (requests.exceptions.ConnectionError(DNS), "connection error (Failed to resolve 'api.example.invalid' ([Errno -2] Name or service not known))"),
    (requests.exceptions.ConnectionError(DNS_OLD), "connection error (Failed to resolve 'api.example.invalid'"),
    (requests.exceptions.SSLError(TLS), 'TLS certificate verification failed ([SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
                                        'failed: self-signed certificate); set validate_certs=false'),
])
def test_transport_failure_names_its_cause(requests_mock, exc, expected):
    text = failure(requests_mock, exc)
    assert expected in text
    assert text.startswith('Catapult API request GET /users/u-unit/phoneNumbers failed: ')
    assert 'HTTPConnection(' not in text and '0x7f' not in text


def test_a_real_refused_connection_says_refused():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    client = CatapultClient(USER, TOKEN, SECRET, api_url='http://127.0.0.1:%d/v1' % port, sleep=lambda seconds: None, retries=0)
    with pytest.raises(CatapultTransportError) as caught:
        client.list_phone_numbers()
    assert 'Connection refused' in str(caught.value)
    assert caught.value.sent is False
