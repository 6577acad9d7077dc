# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The account engine (``AccountRun(client, DesiredState(...)).run()``) against a scripted Catapult.

HTTP is faked at the requests layer (requests_mock): a real ``CatapultClient`` talks to
:class:`FakeCatapult`, which keeps an account, applications and an inventory, answers from
them and fails the test on any request it does not know. Every test compares the exact list
of requests sent, so a missing or an extra call fails.
"""

from __future__ import annotations

import json
import re

from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from ansible_collections.bandwidth.catapult.plugins.module_utils import pool as pool_module
from ansible_collections.bandwidth.catapult.plugins.module_utils.account import (
    AccountError,
    AccountRun,
    DesiredState,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils.client import CatapultClient
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN, USER, calls

# The inventory: (first number, count, city, state); toll-free numbers have no city or state.
STOCK = (
    ('+19195550100', 100, 'RALEIGH', 'NC'),
    ('+19842190000', 50, 'DURHAM', 'NC'),
    ('+12122260000', 50, 'NEW YORK', 'NY'),
    ('+18008260000', 20, None, None),
)
TOLL_FREE_CODES = ('800', '833', '844', '855', '866', '877', '888')

# The requests, as utils.calls() shows them
APPS = ('GET', '/users/%s/applications?size=1000' % USER)
LIST = ('GET', '/users/%s/phoneNumbers?size=1000' % USER)
ALLOCATE = ('POST', '/users/%s/phoneNumbers' % USER)


def listed(name):
    return ('GET', '/users/%s/phoneNumbers?name=%s&size=1000' % (USER, name))


def page(number):
    return ('GET', '/users/%s/phoneNumbers?page=%d&size=1000' % (USER, number))


def update(number_id):
    return ('POST', '/users/%s/phoneNumbers/%s' % (USER, number_id))


def release(number_id):
    return ('DELETE', '/users/%s/phoneNumbers/%s' % (USER, number_id))


def _query(params):
    return '&'.join('%s=%s' % (k, v) for k, v in params)


def search(quantity, kind='local', **query):
    return ('GET', '/availableNumbers/%s?%s' % (kind, _query(list(query.items()) + [('quantity', quantity)])))


def order(quantity, kind='local', **query):
    return ('POST', '/availableNumbers/%s?%s' % (kind, _query(list(query.items()) + [('quantity', quantity)])))


def writes(requests_mock):
    return [c for c in calls(requests_mock) if c[0] != 'GET']


def error_body(code, message, category):
    return {'category': category, 'code': code, 'message': message, 'details': []}


def _pattern(pattern):
    return re.compile(pattern.replace('?', '[0-9]').replace('*', '[0-9]*'))


class FakeCatapult(object):
    """An account, its applications and an inventory behind every route the engine may call.

    A route it does not know fails the test (AssertionError out of the request).
    """

    def __init__(self, requests_mock, applications=('a-ivr', 'a-sms')):
        self.applications = list(applications)
        self.numbers = []      # every resource ever allocated, in allocation order (released ones stay)
        self.stock = {}        # number -> (city, state), still available
        self.seq = 0
        self.tick = 0
        for first, count, city, state in STOCK:
            for offset in range(count):
                self.stock['+%d' % (int(first[1:]) + offset)] = (city, state)
        self.routes = [
            ('GET', r'/users/[^/]+/applications', self.list_applications),
            ('GET', r'/users/[^/]+/phoneNumbers', self.list_numbers),
            ('POST', r'/users/[^/]+/phoneNumbers', self.allocate),
            ('GET', r'/users/[^/]+/phoneNumbers/([^/]+)', self.get_number),
            ('POST', r'/users/[^/]+/phoneNumbers/([^/]+)', self.update),
            ('DELETE', r'/users/[^/]+/phoneNumbers/([^/]+)', self.release),
            ('GET', r'/availableNumbers/(local|tollFree)', self.search),
            ('POST', r'/availableNumbers/(local|tollFree)', self.order),
        ]
        for method in ('GET', 'POST', 'DELETE', 'PUT', 'PATCH'):
            requests_mock.register_uri(method, re.compile('^' + re.escape(API)), text=self.handle)

    # -- the account ---------------------------------------------------------------------

    def add(self, number, created=None, **fields):
        """Put a number on the account (as if allocated earlier); ``created`` is its createdTime in seconds."""
        city, state = self.stock.pop(number, ('RALEIGH', 'NC') if not number.startswith('+1800') else (None, None))
        self.seq += 1
        self.tick += 1
        seconds = self.tick if created is None else created
        resource = {'id': 'n-%04d' % self.seq, 'number': number, 'nationalNumber': number[2:], 'price': '0.35',
                    'numberState': 'enabled',
                    'createdTime': '2026-01-01T%02d:%02d:%02d.000Z' % (seconds // 3600, seconds // 60 % 60, seconds % 60)}
        if city:
            resource.update(city=city, state=state)
        resource.update((k, v) for k, v in fields.items() if v not in (None, ''))
        self.numbers.append(resource)
        return resource

    def enabled(self):
        return [n for n in self.numbers if n['numberState'] == 'enabled']

    def by_number(self, number):
        return [n for n in self.enabled() if n['number'] == number][0]

    def id_of(self, number):
        return self.by_number(number)['id']

    def names(self):
        """number -> name (None when unnamed) of the enabled numbers."""
        return dict((n['number'], n.get('name')) for n in self.enabled())

    # -- HTTP -----------------------------------------------------------------------------

    def handle(self, request, context):
        parts = urlsplit(request.url)
        path = parts.path[len(urlsplit(API).path):]
        query = dict(parse_qsl(parts.query))
        for method, pattern, func in self.routes:
            match = re.match('^%s$' % pattern, path)
            if method == request.method and match:
                status, body, headers = func(request, query, *[unquote(g) for g in match.groups()])
                context.status_code = status
                context.headers.update(headers or {})
                if body is None:
                    return ''
                context.headers['Content-Type'] = 'application/json'
                return json.dumps(body)
        raise AssertionError('unexpected request %s %s' % (request.method, request.url))

    @staticmethod
    def paged(items, query, url, filters=()):
        size = int(query.get('size', 25))
        number = int(query.get('page', 0))
        chunk = items[number * size:(number + 1) * size]
        headers = {}
        if (number + 1) * size < len(items):
            params = [(k, query[k]) for k in filters if k in query] + [('page', number + 1), ('size', size)]
            headers['Link'] = '<%s?%s>; rel="next"' % (url, _query(params))
        return 200, chunk, headers

    def list_applications(self, request, query):
        return self.paged([{'id': a, 'name': a} for a in self.applications], query, API + '/users/%s/applications' % USER)

    def list_numbers(self, request, query):
        items = [dict(n) for n in self.enabled() if 'name' not in query or n.get('name') == query['name']]
        return self.paged(items, query, NUMBERS, filters=('name',))

    def get_number(self, request, query, ref):
        for resource in self.enabled():
            if ref in (resource['id'], resource['number']):
                return 200, dict(resource), None
        return 404, error_body('number-not-found', 'The number %s could not be found' % ref, 'not-found'), None

    def allocate(self, request, query):
        body = request.json()
        number = body['number']
        if body.get('applicationId') and body['applicationId'] not in self.applications:
            return 404, error_body('application-not-found', 'no such application', 'not-found'), None
        if any(n['number'] == number for n in self.enabled()):
            return 409, error_body('duplicate-number', 'already on the account', 'conflict'), None
        if number not in self.stock:
            return 404, error_body('number-not-found', 'The number %s could not be found' % number, 'not-found'), None
        resource = self.add(number, name=body.get('name'), applicationId=body.get('applicationId'),
                            fallbackNumber=body.get('fallbackNumber'))
        return 201, None, {'Location': '%s/%s' % (NUMBERS, resource['id'])}

    def update(self, request, query, ref):
        body = request.json()
        for resource in self.enabled():
            if resource['id'] == ref:
                for key in ('name', 'applicationId', 'fallbackNumber'):
                    if body.get(key) == '':
                        resource.pop(key, None)
                    elif body.get(key) is not None:
                        resource[key] = body[key]
                return 200, None, None
        return 404, error_body('number-not-found', 'The number %s could not be found' % ref, 'not-found'), None

    def release(self, request, query, ref):
        for resource in self.enabled():
            if resource['id'] == ref:
                resource['numberState'] = 'released'
                return 200, None, None
        return 404, error_body('number-not-found', 'The number %s could not be found' % ref, 'not-found'), None

    def available(self, kind, query):
        found = []
        for number in sorted(self.stock):
            city, state = self.stock[number]
            national = number[2:]
            if (national[:3] in TOLL_FREE_CODES) != (kind == 'tollFree'):
                continue
            if query.get('state') and query['state'] != state:
                continue
            if query.get('city') and query['city'].upper() != city:
                continue
            if query.get('areaCode') and not national.startswith(query['areaCode'] + query.get('localNumber', '')):
                continue
            if query.get('pattern') and not _pattern(query['pattern']).search(national):
                continue
            item = {'number': number, 'nationalNumber': national, 'price': '0.35'}
            if city:
                item.update(city=city, state=state, rateCenter=city)
            found.append(item)
        return found[:int(query.get('quantity', 10))]

    def search(self, request, query, kind):
        return 200, self.available(kind, query), None

    def order(self, request, query, kind):
        items = []
        for item in self.available(kind, query):
            resource = self.add(item['number'])
            items.append(dict(item, location='%s/%s' % (NUMBERS, resource['id'])))
        return 201, items, None


@pytest.fixture
def fake(requests_mock):
    return FakeCatapult(requests_mock)


@pytest.fixture(autouse=True)
def no_pool_sleep(monkeypatch):
    monkeypatch.setattr(pool_module.time, 'sleep', lambda seconds: None)


@pytest.fixture
def client(no_sleep):
    return CatapultClient(USER, TOKEN, SECRET, API, retries=2, sleep=no_sleep.append)


def state(numbers=None, pools=None, **options):
    options.setdefault('concurrency', 1)
    return DesiredState(numbers or [], pools or [], **options)


def run(client, check_mode=False, diff=False, **options):
    return AccountRun(client, state(**options), check_mode=check_mode, diff=diff).run()


def refused(client, check_mode=False, diff=False, **options):
    with pytest.raises(AccountError) as caught:
        run(client, check_mode=check_mode, diff=diff, **options)
    return caught.value


# -- 1. validation: every kind of mistake, all at once, before any request -----------------------

E164 = 'must be an E.164 phone number'
MISTAKES = [
    ('bad number', dict(numbers=[{'number': '919-555-0100'}]), ["numbers[0].number %s" % E164, "got '919-555-0100'"]),
    ('unquoted number', dict(numbers=[{'number': 19195550100}]),
     ['numbers[0].number %s' % E164, 'It has no leading +', 'quote it: number: "+19195550100"']),
    ('number missing', dict(numbers=[{'name': 'x'}]), ['numbers[0].number %s' % E164]),
    ('bad fallback', dict(numbers=[{'number': '+19195550100', 'fallback_number': '555'}]),
     ['numbers[0].fallback_number %s' % E164]),
    ('bad default fallback', dict(default_fallback_number='nope'), ['default_fallback_number %s' % E164]),
    ('bad entry state', dict(numbers=[{'number': '+19195550100', 'state': 'gone'}]),
     ["numbers[0].state must be present or absent; got 'gone'"]),
    ('repeated number', dict(numbers=[{'number': '+19195550100'}, {'number': '+1 (919) 555-0100'}]),
     ['numbers[1].number +19195550100 repeats numbers[0]; list each number once']),
    ('repeated pool', dict(pools=[{'name': 'ivr', 'state': 'NC'}, {'name': 'ivr', 'area_code': '919'}]),
     ['pools[1] (ivr): pool names must be unique; ivr repeats pools[0]']),
    ('entry named like a pool', dict(numbers=[{'number': '+19195550100', 'name': 'ivr'}],
                                     pools=[{'name': 'ivr', 'state': 'NC'}]),
     ["pools[0] (ivr): a pool counts every number named 'ivr', so numbers[0] may not carry that name"]),
    ('empty pool name', dict(pools=[{'name': ' ', 'state': 'NC'}]),
     ['pools[0].name must not be empty: it is the label that identifies the pool']),
    ('bad pool type', dict(pools=[{'name': 'ivr', 'type': 'mobile', 'state': 'NC'}]),
     ["pools[0] (ivr).type must be local or toll_free; got 'mobile'"]),
    ('toll-free with local criteria', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'state': 'NC', 'area_code': '919'}]),
     ['pools[0] (hot): a toll-free pool searches by pattern only; remove state, area_code']),
    ('toll-free bad pattern', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'pattern': '8#0'}]),
     ['pools[0] (hot): pattern may contain only letters']),
    ('no criterion', dict(pools=[{'name': 'ivr'}]),
     ['pools[0] (ivr): exactly one of state, zip and area_code is required; none was set']),
    ('zip and area code', dict(pools=[{'name': 'ivr', 'zip': '27601', 'area_code': '919'}]),
     ['pools[0] (ivr): exactly one of state, zip and area_code is required; got zip and area_code']),
    ('city without state', dict(pools=[{'name': 'ivr', 'city': 'RALEIGH', 'zip': '27601'}]),
     ['pools[0] (ivr): city requires state', 'pools[0] (ivr): city cannot be combined with zip']),
    ('bad state', dict(pools=[{'name': 'ivr', 'state': 'XX'}]), ['pools[0] (ivr): state must be the two-letter code']),
    ('local number alone', dict(pools=[{'name': 'ivr', 'state': 'NC', 'local_number': '555'}]),
     ['pools[0] (ivr): local_number requires area_code']),
    ('calling area alone', dict(pools=[{'name': 'ivr', 'area_code': '919', 'in_local_calling_area': True}]),
     ['pools[0] (ivr): in_local_calling_area can only be used with local_number']),
    ('quantity 0', dict(pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 0}]),
     ['pools[0] (ivr): quantity must be between 1 and 5000; got 0']),
    ('quantity 5001', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'quantity': 5001}]),
     ['pools[0] (hot): quantity must be between 1 and 5000; got 5001']),
    ('bad pool fallback', dict(pools=[{'name': 'ivr', 'state': 'NC', 'fallback_number': '12'}]),
     ['pools[0] (ivr).fallback_number %s' % E164]),
    ('prune_limit -1', dict(prune=True, prune_limit=-1), ['prune_limit must be between 0 and 5000; got -1']),
    ('prune_limit 5001', dict(prune_limit=5001), ['prune_limit must be between 0 and 5000; got 5001']),
    ('empty protect', dict(prune_protect=['ok', '', None]),
     ["prune_protect[1] must be a number name or an E.164 number; got ''",
      'prune_protect[2] must be a number name or an E.164 number; got None']),
    ('bad protected number', dict(prune_protect=['+1 919']),
     ["prune_protect[0] starts with + but is not an E.164 number: '+1 919'"]),
    ('unquoted protected number', dict(prune_protect=[19195550100]),
     ['prune_protect[0] is 19195550100, an E.164 number without its +', 'which would protect nothing; quote it: - "+19195550100"']),
    ('concurrency 0', dict(concurrency=0), ['concurrency must be between 1 and 64; got 0']),
    ('concurrency 65', dict(concurrency=65), ['concurrency must be between 1 and 64; got 65']),
]


@pytest.mark.parametrize('label, options, texts', MISTAKES, ids=[m[0] for m in MISTAKES])
def test_every_mistake_fails_before_any_request(client, fake, requests_mock, label, options, texts):
    for check_mode in (False, True):
        exc = refused(client, check_mode=check_mode, **options)
        for text in texts:
            assert text in str(exc)
        assert exc.result['changed'] is False
        assert exc.result['plan'] == []
        assert exc.result['summary'][-2 if check_mode else -1] == 'drift: not known (the account was not read)'
    assert requests_mock.request_history == []


def test_all_mistakes_are_reported_together(client, fake, requests_mock):
    exc = refused(client, numbers=[{'number': 'x'}, {'number': '+19195550100', 'name': 'ivr'}, {'number': '+19195550100'}],
                  pools=[{'name': 'ivr', 'quantity': 0}, {'name': 'ivr', 'type': 'toll_free', 'zip': '27601'}],
                  prune_limit=-3, prune_protect=[''], concurrency=100)
    for text in ('numbers[0].number', 'numbers[2].number +19195550100 repeats numbers[1]', 'repeats pools[0]',
                 'so numbers[1] may not carry that name', 'none was set', 'quantity must be', 'remove zip',
                 'prune_limit must be', 'prune_protect[0]', 'concurrency must be'):
        assert text in str(exc)
    assert requests_mock.request_history == []


def test_messages_name_the_variables_the_caller_maps(client, fake, requests_mock):
    names = dict(numbers='catapult_phone_numbers', pools='catapult_number_pools', prune_limit='catapult_prune_limit',
                 prune_protect='catapult_prune_protect', concurrency='catapult_concurrency',
                 default_fallback_number='catapult_default_fallback_number')
    exc = refused(client, numbers=[{'number': '1'}], pools=[{'name': 'p'}], prune_limit=-1, prune_protect=[''],
                  concurrency=0, default_fallback_number='x', names=names)
    for text in ('catapult_phone_numbers[0].number', 'catapult_number_pools[0] (p)', 'catapult_prune_limit must be',
                 'catapult_prune_protect[0]', 'catapult_concurrency must be', 'catapult_default_fallback_number must'):
        assert text in str(exc)
    assert requests_mock.request_history == []


def test_a_valid_state_normalises_numbers_and_applies_defaults():
    desired = state(numbers=[{'number': '+1 (919) 555-0100', 'name': 'Main'},
                             {'number': '+19195550101', 'application_id': 'a-sms', 'fallback_number': ''}],
                    pools=[{'name': 'ivr', 'state': 'nc'}, {'name': 'hot', 'type': 'toll_free'},
                           {'name': 'own', 'area_code': '984', 'quantity': 2, 'application_id': 'a-sms', 'adopt_unlabelled': False}],
                    default_application_id='a-ivr', default_fallback_number='+1 919 555 0000',
                    prune_protect=['Emergency', ' +1 919 555 0199 '])
    assert desired.errors == []
    assert [e['number'] for e in desired.entries] == ['+19195550100', '+19195550101']
    assert desired.entries[0]['application_id'] == 'a-ivr' and desired.entries[0]['fallback_number'] == '+19195550000'
    assert desired.entries[1]['application_id'] == 'a-sms' and desired.entries[1]['fallback_number'] == ''
    assert [(p['name'], p['quantity'], p['adopt_unlabelled']) for p in desired.pools] == [
        ('ivr', 10, True), ('hot', 1, True), ('own', 2, False)]
    assert desired.pools[0]['crit']['state'] == 'NC'
    assert desired.pools[2]['labels'] == {'name': 'own', 'application_id': 'a-sms', 'fallback_number': '+19195550000'}
    assert desired.protect_names == {'Emergency'} and desired.protect_numbers == {'+19195550199'}
    assert desired.application_ids() == ['a-ivr', 'a-sms']


# -- 2. applications: one listing, before any write -----------------------------------------------

@pytest.mark.parametrize('check_mode', [False, True])
def test_an_unknown_application_fails_before_any_write_with_one_listing(client, fake, requests_mock, check_mode):
    fake.add('+19195550150', name='old')
    exc = refused(client, check_mode=check_mode,
                  numbers=[{'number': '+19195550100', 'application_id': 'a-nope'},
                           {'number': '+19195550101', 'application_id': 'a-ivr'},
                           {'number': '+19195550102', 'application_id': 'a-nope'}],
                  pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2, 'application_id': 'a-gone'}], prune=True)
    assert str(exc) == ('application_id a-nope, a-gone do not exist on account %s (GET /users/%s/applications lists the '
                        "account's applications); nothing was written" % (USER, USER))
    assert calls(requests_mock) == [APPS]
    assert exc.result['changed'] is False
    assert fake.names() == {'+19195550150': 'old'}


def test_a_default_application_is_checked_once_for_entries_and_pools(client, fake, requests_mock):
    exc = refused(client, numbers=[{'number': '+19195550100'}], pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 1}],
                  default_application_id='a-nope')
    assert str(exc).startswith('application_id a-nope does not exist on account %s' % USER)
    assert calls(requests_mock) == [APPS]


def test_an_application_only_absent_entries_name_is_not_checked(client, fake, requests_mock):
    gone = fake.add('+19195550100', name='old', applicationId='a-old')
    result = run(client, numbers=[{'number': '+19195550100', 'state': 'absent', 'application_id': 'a-nope'}],
                 default_application_id='a-nope')
    assert calls(requests_mock) == [LIST, release(gone['id']), LIST]
    assert result['released'] == ['+19195550100']


def test_no_application_named_means_no_listing(client, fake, requests_mock):
    run(client, numbers=[{'number': '+19195550100'}])
    assert calls(requests_mock)[0] == LIST


def test_the_applications_listing_follows_every_page(client, fake, requests_mock):
    fake.applications = ['a-%04d' % i for i in range(1500)]
    run(client, numbers=[{'number': '+19195550100', 'application_id': 'a-1499'}])
    assert calls(requests_mock)[:3] == [APPS, ('GET', '/users/%s/applications?page=1&size=1000' % USER), LIST]


# -- 3. the plan: allocate, update, release, adopt, order ---------------------------------------------

def test_a_cold_run_allocates_orders_labels_and_reads_the_account_again(client, fake, requests_mock):
    result = run(client, numbers=[{'number': '+19195550100', 'name': 'Main', 'application_id': 'a-ivr'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2, 'application_id': 'a-ivr'}])
    main, first, second = [n['id'] for n in fake.enabled()]
    assert calls(requests_mock) == [APPS, LIST, ALLOCATE, order(2, areaCode='984'), update(first), update(second),
                                    listed('ivr'), LIST]
    assert requests_mock.request_history[2].json() == {'number': '+19195550100', 'name': 'Main', 'applicationId': 'a-ivr'}
    assert requests_mock.request_history[4].json() == {'name': 'ivr', 'applicationId': 'a-ivr'}
    assert fake.names() == {'+19195550100': 'Main', '+19842190000': 'ivr', '+19842190001': 'ivr'}
    assert result['changed'] is True
    assert result['allocated'] == ['+19195550100']
    assert result['unmanaged'] == []
    assert result['plan'] == [{'action': 'allocate', 'number': '+19195550100'},
                              {'action': 'order', 'pool': 'ivr', 'quantity': 2}]
    assert result['pools'] == [{'name': 'ivr', 'type': 'local', 'quantity': 2, 'size': 2, 'shortfall': 2, 'surplus': 0,
                                'ordered': ['+19842190000', '+19842190001'], 'adopted': [], 'released': [],
                                'numbers': ['+19842190000', '+19842190001'], 'changed': True}]
    assert result['summary'] == ['numbers: 1 allocated, 0 updated, 0 released, 0 unchanged, 0 failed',
                                 'pool ivr: 2 of 2, 2 ordered', 'drift: none']
    assert main == 'n-0001'


def test_entries_update_only_what_differs_and_release_what_is_absent(client, fake, requests_mock):
    same = fake.add('+19195550100', name='Main', applicationId='a-ivr')
    renamed = fake.add('+19195550101', name='Old name', applicationId='a-ivr')
    gone = fake.add('+19195550102', name='Fax')
    result = run(client, numbers=[{'number': '+19195550100', 'name': 'Main'},
                                  {'number': '+19195550101', 'name': 'New name', 'application_id': 'a-ivr'},
                                  {'number': '+19195550102', 'state': 'absent'},
                                  {'number': '+19195550103', 'state': 'absent'}])
    assert calls(requests_mock) == [APPS, LIST, update(renamed['id']), release(gone['id']), LIST]
    assert requests_mock.request_history[2].json() == {'name': 'New name'}
    assert (result['allocated'], result['updated'], result['released'], result['unchanged']) == (
        [], ['+19195550101'], ['+19195550102'], ['+19195550100', '+19195550103'])
    assert result['plan'] == [{'action': 'update', 'number': '+19195550101', 'fields': ['name']},
                              {'action': 'release', 'number': '+19195550102'}]
    assert result['summary'][0] == 'numbers: 0 allocated, 1 updated, 1 released, 2 unchanged, 0 failed'
    assert same['id'] not in str(writes(requests_mock))


def test_a_pool_adopts_matching_unlabelled_numbers_before_ordering(client, fake, requests_mock):
    stray = fake.add('+19842190040')
    other = fake.add('+12122260000')          # unlabelled, but not of the pool's area code
    labelled = fake.add('+19842190041', applicationId='a-sms')   # not unlabelled: it has an application
    result = run(client, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2}])
    new = fake.by_number('+19842190000')
    assert calls(requests_mock) == [LIST, update(stray['id']), order(1, areaCode='984'), update(new['id']),
                                    listed('ivr'), LIST]
    assert result['pools'][0]['adopted'] == ['+19842190040']
    assert result['pools'][0]['ordered'] == ['+19842190000']
    assert result['plan'] == [{'action': 'adopt', 'number': '+19842190040', 'pool': 'ivr'},
                              {'action': 'order', 'pool': 'ivr', 'quantity': 1}]
    assert result['unmanaged'] == [other['number'], labelled['number']]
    assert 'pool ivr: 2 of 2, 1 ordered, 1 adopted' in result['summary']


def test_a_pool_never_adopts_a_number_an_entry_claims(client, fake, requests_mock):
    claimed = fake.add('+19842190040')
    absent = fake.add('+19842190041')
    result = run(client, numbers=[{'number': '+19842190040'}, {'number': '+19842190041', 'state': 'absent'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])
    new = fake.by_number('+19842190000')
    assert calls(requests_mock) == [LIST, release(absent['id']), order(1, areaCode='984'), update(new['id']),
                                    listed('ivr'), LIST]
    assert result['pools'][0]['adopted'] == []
    assert fake.names() == {claimed['number']: None, new['number']: 'ivr'}


def test_a_pool_never_adopts_a_number_another_pool_took(client, fake, requests_mock):
    stray = fake.add('+19842190040')
    result = run(client, pools=[{'name': 'first', 'area_code': '984', 'quantity': 1},
                                {'name': 'second', 'state': 'NC', 'quantity': 1}])
    new = fake.by_number('+19195550100')
    assert calls(requests_mock) == [LIST, update(stray['id']), listed('first'), order(1, state='NC'), update(new['id']),
                                    listed('second'), LIST]
    assert [(p['adopted'], p['ordered']) for p in result['pools']] == [(['+19842190040'], []), ([], ['+19195550100'])]


def test_a_pool_claims_numbers_carrying_its_name_unless_an_entry_claims_them(client, fake, requests_mock):
    member = fake.add('+19842190001', name='ivr', applicationId='a-sms')
    entry = fake.add('+19842190002', name='ivr')
    result = run(client, numbers=[{'number': '+19842190002'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}])
    assert calls(requests_mock) == [APPS, LIST, update(member['id']), listed('ivr'), LIST]
    assert requests_mock.request_history[2].json() == {'applicationId': 'a-ivr'}
    assert result['plan'] == [{'action': 'update', 'number': '+19842190001', 'pool': 'ivr', 'fields': ['applicationId']}]
    # the entry's number carries the name but is the entry's: not counted in the pool, not drift
    assert result['pools'][0]['numbers'] == ['+19842190001']
    assert result['pools'][0]['size'] == 1
    assert result['unmanaged'] == []
    assert entry['number'] in result['unchanged']


def test_a_number_an_entry_claims_is_no_surplus_after_the_pool_wrote(client, fake, requests_mock):
    fake.add('+19842190001', name='ivr', applicationId='a-sms')
    fake.add('+19842190002', name='ivr')
    account = AccountRun(client, state(numbers=[{'number': '+19842190002'}],
                                       pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}]))
    account.run()
    assert account.warnings == []


def test_adopt_unlabelled_false_orders_instead(client, fake, requests_mock):
    stray = fake.add('+19842190040')
    result = run(client, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'adopt_unlabelled': False}])
    new = fake.by_number('+19842190000')
    assert calls(requests_mock) == [LIST, order(1, areaCode='984'), update(new['id']), listed('ivr'), LIST]
    assert result['unmanaged'] == [stray['number']]


def test_a_toll_free_pool_defaults_to_one_number(client, fake, requests_mock):
    result = run(client, pools=[{'name': 'hot', 'type': 'toll_free'}])
    new = fake.by_number('+18008260000')
    assert calls(requests_mock) == [LIST, order(1, kind='tollFree'), update(new['id']), listed('hot'), LIST]
    assert result['pools'][0]['type'] == 'toll_free' and result['pools'][0]['quantity'] == 1


def test_a_failed_entry_is_named_and_the_rest_still_runs(client, fake, requests_mock):
    result_exc = refused(client, numbers=[{'number': '+19195559999'}, {'number': '+19195550100'}])
    assert calls(requests_mock) == [LIST, ALLOCATE, ALLOCATE, LIST]
    assert str(result_exc).startswith('+19195559999: ')
    assert 'number-not-found' in str(result_exc)
    assert result_exc.result['failed_numbers'] == ['+19195559999']
    assert result_exc.result['allocated'] == ['+19195550100']
    assert 'numbers: 1 allocated, 0 updated, 0 released, 0 unchanged, 1 failed' in result_exc.result['summary']


def test_concurrency_reaches_every_entry(client, fake, requests_mock):
    numbers = ['+1919555%04d' % i for i in range(100, 140)]
    result = run(client, numbers=[{'number': n, 'name': 'n'} for n in numbers], concurrency=8)
    assert sorted(result['allocated']) == numbers
    assert calls(requests_mock) == [LIST] + [ALLOCATE] * 40 + [LIST]


# -- 4. check mode: previews never collide -----------------------------------------------------------

def test_check_mode_previews_never_collide_and_the_real_run_orders_them(client, fake, requests_mock):
    desired = dict(numbers=[{'number': '+19195550101', 'name': 'Main'}],
                   pools=[{'name': 'a', 'state': 'NC', 'quantity': 3}, {'name': 'b', 'area_code': '919', 'quantity': 2}])
    preview = run(client, check_mode=True, **desired)
    assert calls(requests_mock) == [LIST, search(4, state='NC'), search(6, areaCode='919')]
    assert fake.enabled() == []
    previews = [p['ordered'] for p in preview['pools']]
    assert previews == [['+19195550100', '+19195550102', '+19195550103'], ['+19195550104', '+19195550105']]
    assert preview['plan'] == [{'action': 'allocate', 'number': '+19195550101'},
                               {'action': 'order', 'pool': 'a', 'quantity': 3, 'numbers': previews[0]},
                               {'action': 'order', 'pool': 'b', 'quantity': 2, 'numbers': previews[1]}]
    assert preview['changed'] is True and preview['check_mode'] is True
    assert preview['summary'] == ['numbers: 1 allocated, 0 updated, 0 released, 0 unchanged, 0 failed',
                                  'pool a: 3 of 3, 3 would be ordered', 'pool b: 2 of 2, 2 would be ordered',
                                  'drift: none', 'check mode: nothing was written']
    requests_mock.reset_mock()
    real = run(client, **desired)
    assert [p['ordered'] for p in real['pools']] == previews
    assert fake.names() == {'+19195550101': 'Main', '+19195550100': 'a', '+19195550102': 'a', '+19195550103': 'a',
                            '+19195550104': 'b', '+19195550105': 'b'}


def test_check_mode_previews_skip_adopted_and_member_numbers(client, fake, requests_mock):
    fake.add('+19195550100', name='a')
    stray = fake.add('+19195550101')
    result = run(client, check_mode=True, pools=[{'name': 'a', 'state': 'NC', 'quantity': 3},
                                                 {'name': 'b', 'area_code': '919', 'quantity': 1}])
    assert calls(requests_mock) == [LIST, search(1, state='NC'), search(2, areaCode='919')]
    assert [(p['adopted'], p['ordered'], p['numbers']) for p in result['pools']] == [
        ([stray['number']], ['+19195550102'], ['+19195550100', '+19195550101', '+19195550102']),
        ([], ['+19195550103'], ['+19195550103'])]
    assert writes(requests_mock) == []


def test_check_mode_reports_a_search_that_finds_too_few(client, fake, requests_mock):
    exc = refused(client, check_mode=True, pools=[{'name': 'hot', 'type': 'toll_free', 'quantity': 25}])
    assert calls(requests_mock) == [LIST, search(25, kind='tollFree')]
    assert 'found only 20 available' in str(exc)
    assert str(exc).count('found only') == 1


def test_check_mode_diff_covers_the_whole_plan(client, fake, requests_mock):
    fake.add('+19195550150', name='old')
    result = run(client, check_mode=True, diff=True, prune=True,
                 numbers=[{'number': '+19195550100', 'name': 'Main'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])
    assert result['diff'] == {
        'before': {'phone_numbers': [
            {'number': '+19195550100', 'state': 'absent'},
            {'number': '+19195550150', 'state': 'present', 'name': 'old', 'application_id': '', 'fallback_number': ''},
            {'number': '+19842190000', 'state': 'absent'}]},
        'after': {'phone_numbers': [
            {'number': '+19195550100', 'state': 'present', 'name': 'Main', 'application_id': '', 'fallback_number': ''},
            {'number': '+19195550150', 'state': 'absent'},
            {'number': '+19842190000', 'state': 'present', 'name': 'ivr', 'application_id': '', 'fallback_number': ''}]}}
    assert writes(requests_mock) == []


# -- 5. prune: exactly the unclaimed numbers and the surplus, under guards -----------------------------

def seed_drift(fake):
    """Main (an entry), pool ivr with 3 members (created 5, 9, 7: the newest is 0001), two numbers nothing claims."""
    seeded = {
        'old': fake.add('+12122260000', created=1, name='old'),
        'bare': fake.add('+12122260001', created=2),
        'main': fake.add('+19195550100', created=3, name='Main'),
        'ivr0': fake.add('+19842190000', created=5, name='ivr'),
        'ivr1': fake.add('+19842190001', created=9, name='ivr'),
        'ivr2': fake.add('+19842190002', created=7, name='ivr'),
    }
    return seeded


DRIFT_STATE = dict(numbers=[{'number': '+19195550100', 'name': 'Main'}],
                   pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])


def test_without_prune_drift_is_reported_and_nothing_is_released(client, fake, requests_mock):
    seed_drift(fake)
    result = run(client, **DRIFT_STATE)
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False
    assert result['unmanaged'] == ['+12122260000', '+12122260001']
    assert result['released'] == []
    assert result['plan'] == []
    assert result['pools'][0]['surplus'] == 2 and result['pools'][0]['released'] == []
    assert result['summary'] == [
        'numbers: 0 allocated, 0 updated, 0 released, 1 unchanged, 0 failed',
        'pool ivr: 3 of 1, 2 surplus kept (prune releases it)',
        'drift: 2 numbers on the account that nothing claims (kept; prune releases them): +12122260000, +12122260001']


def test_prune_releases_exactly_the_unclaimed_numbers_and_the_newest_surplus(client, fake, requests_mock):
    seeded = seed_drift(fake)
    result = run(client, prune=True, **DRIFT_STATE)
    ids = dict((k, v['id']) for k, v in seeded.items())
    assert calls(requests_mock) == [LIST, release(ids['old']), release(ids['bare']), release(ids['ivr1']),
                                    release(ids['ivr2']), LIST]
    assert fake.names() == {'+19195550100': 'Main', '+19842190000': 'ivr'}
    assert result['released'] == ['+12122260000', '+12122260001', '+19842190001', '+19842190002']
    assert result['unmanaged'] == []
    assert result['plan'] == [
        {'action': 'prune', 'number': '+12122260000', 'reason': 'claimed by no entry or pool'},
        {'action': 'prune', 'number': '+12122260001', 'reason': 'claimed by no entry or pool'},
        {'action': 'prune', 'number': '+19842190001', 'reason': 'surplus of pool ivr'},
        {'action': 'prune', 'number': '+19842190002', 'reason': 'surplus of pool ivr'}]
    assert result['pools'][0]['numbers'] == ['+19842190000']
    assert result['pools'][0]['released'] == ['+19842190001', '+19842190002']
    assert result['summary'] == [
        'numbers: 0 allocated, 0 updated, 0 released, 1 unchanged, 0 failed',
        'pool ivr: 1 of 1, 2 released (surplus)',
        'prune: 4 released: +12122260000, +12122260001, +19842190001, +19842190002']


def test_prune_in_check_mode_shows_exactly_what_would_go(client, fake, requests_mock):
    seed_drift(fake)
    result = run(client, check_mode=True, prune=True, **DRIFT_STATE)
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is True
    assert result['released'] == ['+12122260000', '+12122260001', '+19842190001', '+19842190002']
    assert result['unmanaged'] == []
    assert result['pools'][0]['numbers'] == ['+19842190000']
    assert result['summary'][1:] == ['pool ivr: 1 of 1, 2 would be released (surplus)',
                                     'prune: 4 would be released: +12122260000, +12122260001, +19842190001, +19842190002',
                                     'check mode: nothing was written']


@pytest.mark.parametrize('check_mode', [False, True])
def test_the_guard_refuses_before_any_write_and_says_how_to_raise_the_limit(client, fake, requests_mock, check_mode):
    seed_drift(fake)
    exc = refused(client, check_mode=check_mode, prune=True, prune_limit=3,
                  numbers=DRIFT_STATE['numbers'] + [{'number': '+19195550101'}], pools=DRIFT_STATE['pools'])
    assert calls(requests_mock) == [LIST]
    assert str(exc) == (
        'prune would release 4 numbers, more than prune_limit (3): +12122260000 (old), +12122260001, '
        '+19842190001 (ivr), +19842190002 (ivr). Nothing was written. Raise prune_limit to at least 4 if that is '
        'what you want, or protect numbers with prune_protect (by name or E.164 number).')
    assert exc.result['changed'] is False
    assert exc.result['released'] == []
    assert exc.result['allocated'] == []
    assert exc.result['unmanaged'] == ['+12122260000', '+12122260001']
    assert [step['action'] for step in exc.result['plan']] == ['prune'] * 4
    assert exc.result['summary'][0] == 'numbers: 0 allocated, 0 updated, 0 released, 0 unchanged, 0 failed'
    assert [line for line in exc.result['summary'] if line.startswith('prune')] == [
        'prune: refused: 4 releases exceed prune_limit (3); nothing was released']
    assert len(fake.enabled()) == 6


def test_the_diff_of_a_refused_prune_releases_nothing(client, fake, requests_mock):
    seed_drift(fake)
    exc = refused(client, check_mode=True, diff=True, prune=True, prune_limit=3, **DRIFT_STATE)
    assert [view for view in exc.result['diff']['after']['phone_numbers'] if view['state'] == 'absent'] == []
    assert calls(requests_mock) == [LIST]


def test_the_guard_counts_only_prune_releases_and_allows_the_limit(client, fake, requests_mock):
    seeded = seed_drift(fake)
    result = run(client, prune=True, prune_limit=4,
                 numbers=DRIFT_STATE['numbers'] + [{'number': '+19842190000', 'state': 'absent'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])
    # ivr0 is the entry's (absent): the pool holds ivr1 and ivr2, one of them surplus (ivr1, the newest)
    assert calls(requests_mock) == [LIST, release(seeded['ivr0']['id']), release(seeded['old']['id']),
                                    release(seeded['bare']['id']), release(seeded['ivr1']['id']), LIST]
    assert result['released'] == ['+19842190000', '+12122260000', '+12122260001', '+19842190001']


def test_prune_limit_zero_allows_a_run_with_nothing_to_release(client, fake, requests_mock):
    fake.add('+19195550100', name='Main')
    result = run(client, prune=True, prune_limit=0, numbers=[{'number': '+19195550100', 'name': 'Main'}])
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False
    assert result['summary'] == ['numbers: 0 allocated, 0 updated, 0 released, 1 unchanged, 0 failed', 'drift: none']


def test_protected_numbers_are_kept_by_name_and_by_number(client, fake, requests_mock):
    seeded = seed_drift(fake)
    result = run(client, prune=True, prune_protect=['old', '+1 984 219 0001'], **DRIFT_STATE)
    # ivr1 (the newest) is protected: the surplus is the newest two of the others, ivr2 and ivr0
    assert calls(requests_mock) == [LIST, release(seeded['bare']['id']), release(seeded['ivr2']['id']),
                                    release(seeded['ivr0']['id']), LIST]
    assert fake.names() == {'+12122260000': 'old', '+19195550100': 'Main', '+19842190001': 'ivr'}
    assert result['unmanaged'] == ['+12122260000']
    assert result['pools'][0]['numbers'] == ['+19842190001']


def test_a_protected_surplus_is_kept_and_said_so(client, fake, requests_mock):
    seed_drift(fake)
    result = run(client, prune=True, prune_protect=['ivr', 'old', '+12122260001'], **DRIFT_STATE)
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False
    assert result['pools'][0]['surplus'] == 2
    assert 'pool ivr: 3 of 1, 2 surplus kept (protected by prune_protect)' in result['summary']
    assert result['unmanaged'] == ['+12122260000', '+12122260001']


def test_a_pool_shrinks_only_with_prune(client, fake, requests_mock):
    run(client, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 3, 'application_id': 'a-ivr'}])
    smaller = dict(pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}])
    requests_mock.reset_mock()
    kept = run(client, **smaller)
    assert calls(requests_mock) == [APPS, LIST]
    assert kept['changed'] is False and len(fake.enabled()) == 3
    assert kept['pools'][0]['surplus'] == 2
    requests_mock.reset_mock()
    shrunk = run(client, prune=True, **smaller)
    newest = [n['id'] for n in fake.numbers[2:0:-1]]
    assert calls(requests_mock) == [APPS, LIST] + [release(i) for i in newest] + [LIST]
    assert shrunk['pools'][0]['numbers'] == ['+19842190000']
    assert shrunk['pools'][0]['surplus'] == 0
    assert [n['number'] for n in fake.enabled()] == ['+19842190000']


def test_prune_with_a_changed_pool_label_does_not_relabel_the_surplus(client, fake, requests_mock):
    seeded = seed_drift(fake)
    result = run(client, prune=True, numbers=DRIFT_STATE['numbers'],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}])
    ids = dict((k, v['id']) for k, v in seeded.items())
    assert calls(requests_mock) == [APPS, LIST, release(ids['old']), release(ids['bare']), release(ids['ivr1']),
                                    release(ids['ivr2']), update(ids['ivr0']), listed('ivr'), LIST]
    assert [step for step in result['plan'] if step['action'] == 'update'] == [
        {'action': 'update', 'number': '+19842190000', 'pool': 'ivr', 'fields': ['applicationId']}]
    assert result['pools'][0]['surplus'] == 0
    assert fake.names() == {'+19195550100': 'Main', '+19842190000': 'ivr'}


# -- 6. a rerun with nothing to change ------------------------------------------------------------------

def test_a_rerun_with_nothing_to_change_makes_two_requests_and_no_write(client, fake, requests_mock):
    desired = dict(numbers=[{'number': '+19195550100', 'name': 'Main', 'application_id': 'a-ivr'},
                            {'number': '+19195550101', 'state': 'absent'}],
                   pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2, 'application_id': 'a-sms'},
                          {'name': 'hot', 'type': 'toll_free'}], prune=True)
    run(client, **desired)
    for check_mode in (False, True):
        requests_mock.reset_mock()
        result = run(client, check_mode=check_mode, **desired)
        assert calls(requests_mock) == [APPS, LIST]
        assert result['changed'] is False
        assert result['plan'] == []
        assert result['summary'][:3] == ['numbers: 0 allocated, 0 updated, 0 released, 2 unchanged, 0 failed',
                                         'pool ivr: 2 of 2', 'pool hot: 1 of 1']
        assert result['summary'][3] == 'drift: none'


def test_a_rerun_without_applications_makes_one_request(client, fake, requests_mock):
    desired = dict(numbers=[{'number': '+19195550100', 'name': 'Main'}], pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2}])
    run(client, **desired)
    requests_mock.reset_mock()
    result = run(client, **desired)
    assert calls(requests_mock) == [LIST]
    assert result['changed'] is False


def test_a_rerun_of_a_large_account_reads_one_page_per_thousand_numbers(client, fake, requests_mock):
    entries = [{'number': '+1919600%04d' % i, 'name': 'n%d' % i, 'application_id': 'a-ivr'} for i in range(1100)]
    for entry in entries:
        fake.add(entry['number'], name=entry['name'], applicationId='a-ivr')
    for i in range(20):
        fake.add('+1984219%04d' % i, name='ivr')
    result = run(client, numbers=entries, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 20}], concurrency=16)
    # ceil((N + P*S) / 1000) + 1 = ceil(1120 / 1000) + 1 = 3
    assert calls(requests_mock) == [APPS, LIST, page(1)]
    assert result['changed'] is False
    assert len(result['unchanged']) == 1100


# -- 7. the controller goes away ---------------------------------------------------------------------------

def test_nothing_is_sent_once_the_controller_is_gone(fake, requests_mock, no_sleep):
    client = CatapultClient(USER, TOKEN, SECRET, API, retries=2, sleep=no_sleep.append,
                            controller_gone=lambda: 'the Ansible controller that started this task is gone')
    fake.add('+12122260000', name='old')
    with pytest.raises(AccountError) as caught:
        AccountRun(client, state(numbers=[{'number': '+19195550100'}, {'number': '+19195550101'}],
                                 pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2}], prune=True, concurrency=4)).run()
    assert calls(requests_mock) == [LIST]
    assert 'controller that started this task is gone' in str(caught.value)
    assert caught.value.result['allocated'] == []
