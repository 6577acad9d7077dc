# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""api_token and api_secret never reach an exception text, ``to_dict()`` or a module result,
even when the API echoes the request (its Authorization header or body) in an error.

Ansible's ``no_log`` masks the literal values in module output, but not the base64 form
of the Basic ``Authorization`` header, and not exception texts seen outside a module, so
the client scrubs every form itself. The module harness here bypasses Ansible's masking
(``fail_json`` is patched), so these tests see exactly what the collection produces.
"""

from __future__ import annotations

import base64
import json

import pytest
import requests

from hypothesis import HealthCheck, given, settings, strategies as st
from requests_mock import Mocker

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import (
    CatapultClient,
    CatapultError,
    credential_forms,
    redact,
)
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_number
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_numbers
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN, USER

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def basic(token, secret, charset='latin-1'):
    return base64.b64encode(('%s:%s' % (token, secret)).encode(charset)).decode('ascii')


def leaks(text, token=TOKEN, secret=SECRET):
    """The credential forms found in ``text``."""
    forms = [token, secret, '%s:%s' % (token, secret), basic(token, secret), basic(token, secret).rstrip('=')]
    return [form for form in forms if form in text]


def echo_body(token=TOKEN, secret=SECRET):
    """An error body like a server that echoes the request back."""
    auth = 'Basic ' + basic(token, secret)
    return {
        'category': 'bad-request', 'code': 'validation-error',
        'message': 'Bad request: Authorization: %s; body {"secret": "%s", "token": "%s"}' % (auth, secret, token),
        'details': [{'name': 'authorization', 'value': auth}, {'name': 'credentials', 'value': '%s:%s' % (token, secret)},
                    {'name': 'requestPath', 'value': 'users/%s/phoneNumbers' % USER}],
    }


def client(token=TOKEN, secret=SECRET):
    return CatapultClient(USER, token, secret, api_url=API, sleep=lambda seconds: None, retries=1)


def raised(func):
    with pytest.raises(CatapultError) as caught:
        func()
    return caught.value


def test_api_error_echoing_the_request_holds_no_credential(requests_mock):
    requests_mock.get(NUMBERS + '/%2B19195550100', status_code=400, json=echo_body())
    exc = raised(lambda: client().get_phone_number('+19195550100'))
    everything = '%s %r %s %s' % (exc, exc.args, json.dumps(exc.to_dict()), json.dumps(exc.details))
    assert leaks(everything) == []
    assert 'HTTP 400' in str(exc) and 'validation-error' in str(exc) and '********' in str(exc)
    assert exc.details[2]['value'] == 'users/%s/phoneNumbers' % USER  # the rest is kept


def test_plain_text_error_echoing_the_request_holds_no_credential(requests_mock):
    text = 'POST /v1/users/%s/phoneNumbers\r\nAuthorization: Basic %s\r\n\r\n' % (USER, basic(TOKEN, SECRET))
    requests_mock.post(NUMBERS, status_code=500, text=text, headers={'Content-Type': 'text/plain'})
    exc = raised(lambda: client().allocate_phone_number({'number': '+19195550100'}))
    assert leaks('%s %r' % (exc, exc.to_dict())) == []
    assert 'HTTP 500' in str(exc)


def test_transport_error_text_holds_no_credential(requests_mock):
    requests_mock.get(NUMBERS + '/%2B19195550100', exc=requests.exceptions.ConnectionError(
        'Connection aborted: proxy said %s / %s' % (SECRET, basic(TOKEN, SECRET))))
    exc = raised(lambda: client().get_phone_number('+19195550100'))
    assert leaks('%s %r' % (exc, exc.to_dict())) == []
    assert 'connection error' in str(exc)


def test_module_failure_on_an_echoing_error_holds_no_credential(catapult, run_failed):
    catapult.fault('echo', '/phoneNumbers/', 'GET')  # the emulator echoes the Authorization header and the body
    result = run_failed(catapult_phone_number, {'number': '+19195550100', 'name': 'x'})
    assert leaks(json.dumps(result)) == []
    assert 'HTTP 400' in result['msg'] and '********' in result['msg']


def test_bulk_failure_on_an_echoing_error_holds_no_credential(catapult, run_module):
    catapult.fault('echo', '/phoneNumbers$', 'POST')
    result, failed = run_module(catapult_phone_numbers, {'numbers': [{'number': '+19195550100'}]}, diff=True)
    assert failed and result['failed_numbers'] == ['+19195550100']
    assert leaks(json.dumps(result)) == []


def test_short_credentials_are_not_searched_for():
    # a one-letter secret would otherwise turn every "S" of a message into stars
    assert redact('Service Unavailable', credential_forms('T', 'S')) == 'Service Unavailable'
    assert redact('Basic VDpT', credential_forms('T', 'S')) == 'Basic ********'


CREDENTIAL = st.text(st.characters(codec='latin-1', exclude_characters='*', exclude_categories=['Cs']), min_size=4, max_size=24)


@SETTINGS
@given(token=CREDENTIAL, secret=CREDENTIAL, before=st.text(max_size=20), after=st.text(max_size=20),
       form=st.sampled_from(['token', 'secret', 'pair', 'basic', 'basic-nopad', 'all']))
def test_no_credential_form_survives_in_an_error(token, secret, before, after, form):
    pair = '%s:%s' % (token, secret)
    forms = {'token': token, 'secret': secret, 'pair': pair, 'basic': basic(token, secret),
             'basic-nopad': basic(token, secret).rstrip('=')}
    echoed = ' '.join(forms.values()) if form == 'all' else forms[form]
    body = {'code': 'validation-error', 'message': before + echoed + after,
            'details': [{'name': 'echo', 'value': echoed}]}
    with Mocker() as mocker:
        mocker.get(NUMBERS, status_code=400, json=body)
        exc = raised(lambda: client(token, secret).list_phone_numbers())
    text = '%s %r %s' % (exc, exc.to_dict(), exc.details)
    found = [f for f in (token, secret, pair, basic(token, secret)) if f in text]
    assert found == []
