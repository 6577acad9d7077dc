# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTPS_PROXY / NO_PROXY (documented in the auth doc fragment) reach every request, and
validate_certs wins over REQUESTS_CA_BUNDLE. The catapult_tls integration target shows the
same over real HTTPS."""

from __future__ import annotations

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultClient
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN, USER


def client(**kwargs):
    return CatapultClient(USER, TOKEN, SECRET, api_url=API, sleep=lambda seconds: None, **kwargs)


def test_https_proxy_is_honored(requests_mock, monkeypatch):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.corp.test:3128')
    monkeypatch.delenv('NO_PROXY', raising=False)
    monkeypatch.delenv('no_proxy', raising=False)
    requests_mock.get(NUMBERS, json=[])
    client().list_phone_numbers()
    assert requests_mock.last_request.proxies.get('https') == 'http://proxy.corp.test:3128'


def test_no_proxy_is_honored(requests_mock, monkeypatch):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.corp.test:3128')
    monkeypatch.setenv('NO_PROXY', 'api.test')
    requests_mock.get(NUMBERS, json=[])
    client().list_phone_numbers()
    assert not requests_mock.last_request.proxies.get('https')


def test_validate_certs_false_wins_over_a_ca_bundle_variable(requests_mock, monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    requests_mock.get(NUMBERS, json=[])
    client(validate_certs=False).list_phone_numbers()
    assert requests_mock.last_request.verify is False


def test_certificates_are_verified_by_default(requests_mock, monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    requests_mock.get(NUMBERS, json=[])
    client().list_phone_numbers()
    assert requests_mock.last_request.verify is True
