# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Constants and helpers shared by the unit tests."""

from __future__ import annotations

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_local_number_order as local
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_tollfree_number_order as tollfree

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


def order_writes(requests_mock):
    """The search-and-order requests sent."""
    return [c for c in calls(requests_mock) if c[0] == 'POST' and c[1].startswith('/availableNumbers')]


def label_bodies(requests_mock):
    """(number ID, JSON body) of every update of a number sent."""
    return [(r.url.rsplit('/', 1)[-1], r.json()) for r in requests_mock.request_history if r.method == 'POST' and '/phoneNumbers/' in r.url]


class Pool(object):
    """One pool module with the criteria of its pool; ``pattern`` makes the toll-free module search, then order each number."""

    def __init__(self, module, name, kind, stock, criteria, foreign, price, city):
        self.module, self.name, self.kind, self.stock, self.criteria = module, name, kind, stock, criteria
        self.foreign = foreign  # a number of the other kind: never adopted into this pool
        self.price, self.city = price, city  # of the numbers the emulator sells this pool
        self.list_pool = listed(name)
        self.order_path = '^/availableNumbers/%s$' % kind

    def args(self, **overrides):
        return dict(dict(self.criteria, name=self.name, concurrency=1), **overrides)

    def order_call(self, quantity, **query):
        return order(quantity, kind=self.kind, **(query or dict((k, v) for k, v in self.criteria.items() if k != 'pattern')))

    def search_call(self, quantity):
        return search(quantity, kind=self.kind, **dict((k, v) for k, v in self.criteria.items() if k != 'pattern'))

    def labelled(self, catapult, count, name=None, **fields):
        """``count`` numbers of the pool already on the account (the first ones of the stock still free)."""
        free = [n for n in self.stock if catapult.in_stock(n)]
        return [catapult.add(number, name=name or self.name, **fields) for number in free[:count]]


# the emulator's Raleigh numbers and its first toll-free blocks, in the order it sells them
POOLS = {
    'local': Pool(local, 'support-pool', 'local', ['+1919555%04d' % i for i in range(100, 2600)], {'state': 'NC'}, '+18778880000',
                  '0.35', 'RALEIGH'),
    'toll-free': Pool(tollfree, 'hotline', 'tollFree', ['+1800826%04d' % i for i in range(1000)], {}, '+19195550150', '2.00', None),
    'toll-free-pattern': Pool(tollfree, 'hotline', 'tollFree', ['+1888343%04d' % i for i in range(1000)], {'pattern': '8883*'},
                              '+19195550150', '2.00', None),
}
