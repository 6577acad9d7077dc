# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Constants and helpers shared by the unit tests."""

from __future__ import annotations

API = 'https://api.test/v1'
USER = 'u-unit'
SECRET = 'sup3r-s3cret-value'
TOKEN = 't-token-value'
AUTH = dict(user_id=USER, api_token=TOKEN, api_secret=SECRET, api_url=API)
NUMBERS = API + '/users/' + USER + '/phoneNumbers'


def calls(requests_mock):
    """Every request sent, as (METHOD, path?query) with the API base stripped."""
    return [(r.method, r.url.replace(API, '')) for r in requests_mock.request_history]


def writes(requests_mock):
    """The requests sent that are not reads."""
    return [c for c in calls(requests_mock) if c[0] != 'GET']


# the requests, as calls() shows them
LIST = ('GET', '/users/%s/phoneNumbers?size=1000' % USER)
ALLOCATE = ('POST', '/users/%s/phoneNumbers' % USER)
APPS = ('GET', '/users/%s/applications?size=1000' % USER)
CREATE_APP = ('POST', '/users/%s/applications' % USER)


def listed(name):
    return ('GET', '/users/%s/phoneNumbers?name=%s&size=1000' % (USER, name))


def page(number):
    return ('GET', '/users/%s/phoneNumbers?page=%d&size=1000' % (USER, number))


def number_call(number_id, method='GET'):
    return (method, '/users/%s/phoneNumbers/%s' % (USER, number_id))


def update(number_id):
    return number_call(number_id, 'POST')


def release(number_id):
    return number_call(number_id, 'DELETE')


def app_call(app_id, method='GET'):
    return (method, '/users/%s/applications/%s' % (USER, app_id))


def _available(method, quantity, kind, query):
    return (method, '/availableNumbers/%s?%s' % (kind, '&'.join('%s=%s' % item for item in list(query.items()) + [('quantity', quantity)])))


def search(quantity, kind='local', **query):
    return _available('GET', quantity, kind, query)


def order(quantity, kind='local', **query):
    return _available('POST', quantity, kind, query)
