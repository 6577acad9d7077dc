# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""catapult_application_info: every page, by name, by id; the role format; exact requests."""

from __future__ import annotations

import pytest

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_application_info as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, USER, calls

APPS = API + '/users/' + USER + '/applications'
APPS_PATH = '/users/u-unit/applications'
SUPPORT = {'id': 'a-1', 'name': 'Support', 'incomingCallUrl': 'https://ivr.example.com/calls', 'callbackHttpMethod': 'post',
           'autoAnswer': True}
SALES = {'id': 'a-2', 'name': 'Sales', 'incomingMessageUrl': 'https://sms.example.com', 'incomingMessageUrlCallbackTimeout': 3000,
         'callbackHttpMethod': 'get', 'autoAnswer': False}
SUPPORT_TOO = {'id': 'a-3', 'name': 'Support', 'incomingCallUrl': 'https://other.example.com/calls'}


def pages(requests_mock):
    requests_mock.get(APPS + '?size=1000', json=[SUPPORT, SALES],
                      headers={'Link': '<%s?page=0&size=1000>; rel="first", <%s?page=1&size=1000>; rel="next"' % (APPS, APPS)})
    requests_mock.get(APPS + '?page=1&size=1000', json=[SUPPORT_TOO], headers={'Link': '<%s?page=0&size=1000>; rel="first"' % APPS})


PAGES = [('GET', APPS_PATH + '?size=1000'), ('GET', APPS_PATH + '?page=1&size=1000')]


def test_lists_every_page_and_the_role_format(requests_mock, run_module):
    pages(requests_mock)
    result, failed = run_module(module, {})
    assert not failed and not result['changed']
    assert calls(requests_mock) == PAGES
    assert [app['id'] for app in result['applications']] == ['a-1', 'a-2', 'a-3']
    assert result['applications'][1] == {
        'id': 'a-2', 'name': 'Sales', 'incoming_call_url': None, 'incoming_call_url_callback_timeout': None,
        'incoming_call_fallback_url': None, 'incoming_message_url': 'https://sms.example.com',
        'incoming_message_url_callback_timeout': 3000, 'incoming_message_fallback_url': None, 'callback_http_method': 'get',
        'auto_answer': False}
    assert result['catapult_applications'] == [
        {'name': 'Sales', 'incoming_message_url': 'https://sms.example.com', 'incoming_message_url_callback_timeout': 3000,
         'callback_http_method': 'get', 'auto_answer': False},
        {'name': 'Support', 'incoming_call_url': 'https://ivr.example.com/calls', 'callback_http_method': 'post',
         'auto_answer': True},
        {'name': 'Support', 'incoming_call_url': 'https://other.example.com/calls'},
    ]


def test_by_name_returns_every_application_of_that_name(requests_mock, run_ok):
    pages(requests_mock)
    result = run_ok(module, {'name': 'Support'}, check_mode=True)
    assert [app['id'] for app in result['applications']] == ['a-1', 'a-3']
    assert calls(requests_mock) == PAGES


def test_by_name_without_a_match_is_empty(requests_mock, run_module):
    pages(requests_mock)
    result, dummy = run_module(module, {'name': 'support'})
    assert result['applications'] == [] and result['catapult_applications'] == []


def test_by_id(requests_mock, run_module):
    requests_mock.get(APPS + '/a-2', json=SALES)
    requests_mock.get(APPS + '/a-9', status_code=404, json={'code': 'application-not-found', 'message': 'nope'})
    result, failed = run_module(module, {'id': ' a-2 '})
    assert not failed and [app['name'] for app in result['applications']] == ['Sales']
    result, failed = run_module(module, {'id': 'a-9'})
    assert not failed and result['applications'] == []
    assert calls(requests_mock) == [('GET', APPS_PATH + '/a-2'), ('GET', APPS_PATH + '/a-9')]


@pytest.mark.parametrize('args,message', [
    ({'id': ''}, 'id must be the ID of an application'),
    ({'id': 'a-1/x'}, 'id must be the ID of an application'),
    ({'id': 'a-1', 'name': 'x'}, 'parameters are mutually exclusive: name|id'),
])
def test_bad_options_fail_before_any_request(rejected, args, message):
    rejected(module, args, message)


def test_a_list_that_is_not_json_is_an_error(requests_mock, run_module):
    requests_mock.get(APPS, text='<html>maintenance</html>', headers={'Content-Type': 'text/html'})
    result, failed = run_module(module, {})
    assert failed and 'not the JSON expected' in result['msg']
