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

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


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


@pytest.mark.parametrize('method, url, answer, call, texts', [
    ('GET', NUMBERS + '/%2B19195550100', dict(status_code=400, json=echo_body()), lambda c: c.get_phone_number('+19195550100'),
     ['HTTP 400', 'validation-error', '********']),
    ('POST', NUMBERS, dict(status_code=500, text='POST /v1/users/%s/phoneNumbers\r\nAuthorization: Basic %s\r\n\r\n' % (USER, basic(TOKEN, SECRET)),
                           headers={'Content-Type': 'text/plain'}), lambda c: c.allocate_phone_number({'number': '+19195550100'}), ['HTTP 500']),
    ('GET', NUMBERS + '/%2B19195550100', dict(exc=requests.exceptions.ConnectionError('Connection aborted: proxy said %s / %s' % (
        SECRET, basic(TOKEN, SECRET)))), lambda c: c.get_phone_number('+19195550100'), ['connection error']),
], ids=['json-error-echoing-the-request', 'plain-text-error-echoing-the-request', 'transport-error'])
def test_an_error_holds_no_credential(requests_mock, method, url, answer, call, texts):
    requests_mock.register_uri(method, url, **answer)
    exc = raised(lambda: call(client()))
    assert leaks('%s %r %s %s' % (exc, exc.args, json.dumps(exc.to_dict()), json.dumps(getattr(exc, 'details', None)))) == []
    for text in texts:
        assert text in str(exc)
    if 'json' in answer:
        assert exc.details[2]['value'] == 'users/%s/phoneNumbers' % USER  # the rest is kept


@pytest.mark.parametrize('module, path, method, args, texts, failed_numbers', [
    (catapult_phone_number, '/phoneNumbers/', 'GET', {'number': '+19195550100', 'name': 'x'}, ['HTTP 400', '********'], None),
    (catapult_phone_numbers, '/phoneNumbers$', 'POST', {'numbers': [{'number': '+19195550100'}]}, [], ['+19195550100']),
], ids=['phone_number', 'phone_numbers'])
def test_module_failure_on_an_echoing_error_holds_no_credential(catapult, run_failed, module, path, method, args, texts, failed_numbers):
    catapult.fault('echo', path, method)  # the emulator echoes the Authorization header and the body
    result = run_failed(module, args, diff=True)
    assert leaks(json.dumps(result)) == []
    assert [text for text in texts if text not in result['msg']] == [] and result.get('failed_numbers') == failed_numbers


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
    forms = {'token': token, 'secret': secret, 'pair': pair, 'basic': basic(token, secret), 'basic-nopad': basic(token, secret).rstrip('=')}
    echoed = ' '.join(forms.values()) if form == 'all' else forms[form]
    body = {'code': 'validation-error', 'message': before + echoed + after, 'details': [{'name': 'echo', 'value': echoed}]}
    with Mocker() as mocker:
        mocker.get(NUMBERS, status_code=400, json=body)
        exc = raised(lambda: client(token, secret).list_phone_numbers())
    text = '%s %r %s' % (exc, exc.to_dict(), exc.details)
    found = [f for f in (token, secret, pair, basic(token, secret)) if f in text]
    assert found == []
