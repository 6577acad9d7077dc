# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client's application calls: list (paginated), create (never resent once sent: test_client.py's
table of writes), update (idempotent, retried), delete (404 application-not-found = already gone)."""

from __future__ import annotations

import pytest

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultApiError, CatapultClient
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, SECRET, TOKEN, USER, calls

APPS = API + '/users/' + USER + '/applications'
APPS_PATH = '/users/%s/applications' % USER
NOT_FOUND = {'category': 'not-found', 'code': 'application-not-found', 'message': 'The application a-1 could not be found'}


@pytest.fixture
def client(no_sleep):
    return CatapultClient(USER, TOKEN, SECRET, API, retries=3, sleep=no_sleep.append)


def test_list_follows_every_page(requests_mock, client):
    requests_mock.get(APPS + '?size=1000', json=[{'id': 'a-1', 'name': 'One'}],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first", <%s?page=1&size=1000>; rel="next"' % (APPS, APPS)})
    requests_mock.get(APPS + '?page=1&size=1000', json=[{'id': 'a-2', 'name': 'Two'}],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first"' % APPS})
    assert [app['id'] for app in client.list_applications()] == ['a-1', 'a-2']
    assert calls(requests_mock) == [('GET', APPS_PATH + '?size=1000'), ('GET', APPS_PATH + '?page=1&size=1000')]


@pytest.mark.parametrize('headers, app_id', [({'Location': APPS + '/a-new'}, 'a-new'), ({}, None),
                                             ({'Location': 'https://elsewhere.test/v1/users/u-unit/applications/a-new'}, None)],
                         ids=['location', 'no location', 'location on another origin'])
def test_create_sends_only_given_fields_and_reads_the_id_from_a_usable_location(requests_mock, client, headers, app_id):
    requests_mock.post(APPS, status_code=201, headers=headers)
    assert client.create_application({'name': 'App', 'incomingCallUrl': 'https://x', 'autoAnswer': None}) == app_id
    assert requests_mock.last_request.json() == {'name': 'App', 'incomingCallUrl': 'https://x'}


def test_update_is_retried_and_sends_empty_strings(requests_mock, client):
    requests_mock.post(APPS + '/a-1', [{'status_code': 503, 'json': {'message': 'later'}}, {'status_code': 200}])
    client.update_application('a-1', {'name': 'New', 'incomingCallFallbackUrl': '', 'autoAnswer': None})
    assert calls(requests_mock) == [('POST', APPS_PATH + '/a-1')] * 2
    assert requests_mock.last_request.json() == {'name': 'New', 'incomingCallFallbackUrl': ''}


def test_update_needs_an_id(requests_mock, client):
    with pytest.raises(Exception, match='id of a resource'):
        client.update_application(None, {'name': 'x'})
    assert not requests_mock.request_history


def test_delete_reports_whether_it_was_there(requests_mock, client):
    requests_mock.delete(APPS + '/a-1', status_code=200)
    requests_mock.delete(APPS + '/a-2', status_code=404, json=NOT_FOUND)
    assert client.delete_application('a-1') is True
    assert client.delete_application('a-2') is False


def test_delete_of_an_unknown_route_is_an_error(requests_mock, client):
    requests_mock.delete(APPS + '/a-1', status_code=404, json={'code': 'resource-not-found', 'message': 'no route'})
    with pytest.raises(CatapultApiError, match='api_url'):
        client.delete_application('a-1')


def test_get_application_keeps_its_contract(requests_mock, client):
    requests_mock.get(APPS + '/a-1', status_code=404, json=NOT_FOUND)
    requests_mock.get(APPS + '/a-2', json={'id': 'a-2', 'name': 'Two'})
    assert client.get_application('a-1') is None
    assert client.get_application('a-2') == {'id': 'a-2', 'name': 'Two'}
