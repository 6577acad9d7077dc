# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import re

from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests

from ansible.module_utils import basic

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_local_number_order as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, USER, calls

ORDER = API + '/availableNumbers/local'
NUMBER_URL = re.compile(re.escape(NUMBERS) + r'/[^/?]+$')
POOL = 'support-pool'
LIST_POOL = ('GET', '/users/%s/phoneNumbers?name=%s&size=1000' % (USER, POOL))
LIST_ALL = ('GET', '/users/%s/phoneNumbers?size=1000' % USER)
APPLICATIONS = API + '/users/' + USER + '/applications'


def app_call(app_id):
    return ('GET', '/users/%s/applications/%s' % (USER, app_id))


def error_body(code, message, category='bad-request'):
    return {'category': category, 'code': code, 'message': message, 'details': []}


class FakeCatapult(object):
    """Just enough of Catapult for this module: an account, a stock of numbers, scripted order answers."""

    def __init__(self, requests_mock, stock=None):
        self.numbers = []
        self.stock = list(stock if stock is not None else ['+1919555%04d' % i for i in range(100, 200)])
        self.orders = []        # scripted answers for POST /availableNumbers/local, consumed in order
        self.update_faults = {}  # number id -> list of statuses to answer instead of applying (consumed)
        self.applications = {'a-ivr', 'a-old', 'a-other'}
        self.hidden = set()      # number ids the listing does not show yet (a lagging listing)
        self.seq = 0
        requests_mock.get(NUMBERS, json=self.list_numbers)
        requests_mock.post(NUMBER_URL, json=self.update)
        requests_mock.get(NUMBER_URL, json=self.get_one)
        requests_mock.post(ORDER, json=self.order)
        requests_mock.get(ORDER, json=self.search)
        requests_mock.get(re.compile(re.escape(APPLICATIONS) + r'/[^/?]+$'), json=self.get_application)

    def add(self, number, **fields):
        self.seq += 1
        resource = {'id': 'n-%04d' % self.seq, 'number': number, 'nationalNumber': number, 'city': 'RALEIGH',
                    'state': 'NC', 'price': '0.35', 'numberState': 'enabled', 'createdTime': '2026-11-23T00:00:%02dZ' % self.seq}
        resource.update(fields)
        self.numbers.append(resource)
        return resource

    def labelled(self, count, name=POOL, **fields):
        return [self.add(self.stock.pop(0), name=name, **fields) for dummy in range(count)]

    @staticmethod
    def query(request):
        return dict(parse_qsl(urlsplit(request.url).query))

    def list_numbers(self, request, context):
        name = self.query(request).get('name')
        return [dict(n) for n in self.numbers if (name is None or n.get('name') == name) and n['id'] not in self.hidden]

    def get_one(self, request, context):
        ref = unquote(request.url.rsplit('/', 1)[-1])
        for resource in self.numbers:
            if ref in (resource['id'], resource['number']):
                return dict(resource)
        context.status_code = 404
        return error_body('number-not-found', 'The number %s could not be found' % ref, 'not-found')

    def get_application(self, request, context):
        app_id = unquote(request.url.rsplit('/', 1)[-1])
        if app_id in self.applications:
            return {'id': app_id, 'name': app_id}
        context.status_code = 404
        return error_body('application-not-found', 'The application %s could not be found' % app_id, 'not-found')

    def update(self, request, context):
        number_id = request.url.rsplit('/', 1)[-1]
        faults = self.update_faults.get(number_id) or []
        if faults:
            context.status_code = faults.pop(0)
            return error_body('internal-server-error', 'boom', 'backend')
        for resource in self.numbers:
            if resource['id'] == number_id:
                resource.update(request.json())
        context.status_code = 200
        return None

    def allocate(self, count):
        items = []
        for dummy in range(count):
            resource = self.add(self.stock.pop(0))
            items.append({'number': resource['number'], 'nationalNumber': resource['number'], 'price': '0.35',
                          'city': 'RALEIGH', 'state': 'NC', 'location': '%s/%s' % (NUMBERS, resource['id'])})
        return items

    def order(self, request, context):
        quantity = int(self.query(request)['quantity'])
        action = self.orders.pop(0) if self.orders else ('ok',)
        kind = action[0]
        if kind == 'ok':
            context.status_code = 201
            return self.allocate(min(quantity, len(self.stock)))
        if kind == 'cap':
            if quantity > action[1]:
                context.status_code = 400
                message = action[2] % action[1] if '%d' in action[2] else action[2]
                return error_body('invalid-available-number-search-order', message)
            self.orders.insert(0, action)  # the cap stays
            context.status_code = 201
            return self.allocate(quantity)
        if kind == 'drop_after':
            self.allocate(quantity)
            raise requests.exceptions.ConnectionError('Connection aborted: RemoteDisconnected')
        if kind == 'timeout_after':
            self.allocate(quantity)
            raise requests.exceptions.ReadTimeout('read timed out')
        if kind == 'status_after':
            self.allocate(quantity)
            context.status_code = action[1]
            return error_body('service-unavailable', 'try later', 'unavailable')
        if kind == 'status':
            context.status_code = action[1]
            return error_body(action[2], action[3])
        if kind == 'partial':
            self.allocate(action[1])
            context.status_code = 404
            return error_body('order-number-quantity-unavailable',
                              'Only a partial quantity of the total telephone numbers ordered could be fulfilled.', 'not-found')
        raise AssertionError(kind)

    def search(self, request, context):
        quantity = int(self.query(request)['quantity'])
        return [{'number': n, 'nationalNumber': n, 'city': 'RALEIGH', 'state': 'NC', 'rateCenter': 'RALEIGH',
                 'price': '0.35'} for n in self.stock[:quantity]]

    def named(self, name=POOL):
        return [n for n in self.numbers if n.get('name') == name]

    def unnamed(self):
        return [n for n in self.numbers if not n.get('name')]


@pytest.fixture
def fake(requests_mock):
    return FakeCatapult(requests_mock)


def args(**overrides):
    base = dict(name=POOL, state='NC', quantity=3, concurrency=1)
    base.update(overrides)
    return base


def order_call(quantity, **query):
    params = dict(query or {'state': 'NC'})
    params['quantity'] = quantity
    encoded = '&'.join('%s=%s' % (k, v) for k, v in params.items())
    return ('POST', '/availableNumbers/local?' + encoded)


def update_call(resource_id):
    return ('POST', '/users/%s/phoneNumbers/%s' % (USER, resource_id))


def writes(requests_mock):
    return [c for c in calls(requests_mock) if c[0] != 'GET']


def bodies(requests_mock):
    return [(r.url.rsplit('/', 1)[-1], json.loads(r.text)) for r in requests_mock.request_history
            if r.method == 'POST' and '/phoneNumbers/' in r.url]


# -- validation: every rule fails before any request ------------------------------------------------

@pytest.mark.parametrize('overrides, option, rule', [
    (dict(name=''), 'name', 'must not be empty'),
    (dict(name='   '), 'name', 'must not be empty'),
    (dict(state=None), 'state, zip and area_code', 'none was set'),
    (dict(zip='27601'), 'exactly one of state, zip and area_code', 'state and zip'),
    (dict(state=None, zip='27601', area_code='919'), 'exactly one of state, zip and area_code', 'zip and area_code'),
    (dict(state=None, city='RALEIGH', area_code='919'), 'city requires state', 'within a state'),
    (dict(city='RALEIGH', zip='27601'), 'city cannot be combined', 'zip'),
    (dict(state=None, city='RALEIGH', areaCode='919'), 'city cannot be combined', 'area_code'),
    (dict(state=None, city='RALEIGH', area_code='919', local_number='555'), 'city cannot be combined', 'local_number'),
    (dict(state='North Carolina'), 'state must be the two-letter code', 'North Carolina'),
    (dict(state='XX'), 'state must be the two-letter code', 'XX'),
    (dict(state=None, zip='2760'), 'zip must be 5 digits', '2760'),
    (dict(state=None, zip='27a01'), 'zip must be 5 digits', '27a01'),
    (dict(state=None, area_code='91'), 'area_code must be 3 digits', '91'),
    (dict(state=None, area_code='9190'), 'area_code must be 3 digits', '9190'),
    (dict(state=None, area_code='919', local_number='55'), 'local_number must be 3 or 4 digits', '55'),
    (dict(state=None, area_code='919', localNumber='55555'), 'local_number must be 3 or 4 digits', '55555'),
    (dict(local_number='555'), 'local_number requires area_code', ''),
    (dict(state=None, area_code='919', in_local_calling_area=True), 'in_local_calling_area can only be used with local_number', ''),
    (dict(inLocalCallingArea=True), 'in_local_calling_area can only be used with local_number', ''),
    (dict(pattern='9#9'), 'pattern may contain only letters, digits, ?', '9#9'),
    (dict(quantity=0), 'quantity must be between 1 and 5000', 'got 0'),
    (dict(quantity=5001), 'quantity must be between 1 and 5000', 'got 5001'),
    (dict(fallback_number='919-555'), 'fallback_number must be an E.164 phone number', '919-555'),
    (dict(concurrency=0), 'concurrency must be between 1 and 64', 'got 0'),
])
def test_every_rule_fails_before_any_request(run_module, requests_mock, overrides, option, rule):
    result, failed = run_module(module, args(**overrides))
    assert failed
    assert option in result['msg']
    assert rule in result['msg']
    assert requests_mock.request_history == []


def test_all_problems_are_reported_at_once(run_module, requests_mock):
    result, failed = run_module(module, args(state='nc x', zip='1', quantity=0))
    assert failed
    for text in ('state must be', 'zip must be', 'quantity must be', 'exactly one of'):
        assert text in result['msg']
    assert requests_mock.request_history == []


def test_camel_case_aliases_and_query(run_module, fake, requests_mock):
    result, failed = run_module(module, dict(name=POOL, areaCode='919', localNumber='555', inLocalCallingArea=True,
                                             quantity=1, concurrency=1))
    assert not failed, result
    assert calls(requests_mock)[2] == order_call(1, areaCode='919', localNumber='555', inLocalCallingArea='true')


@pytest.mark.parametrize('options, query', [
    (dict(state='nc'), dict(state='NC')),
    (dict(state='NC', city=' raleigh '), dict(city='raleigh', state='NC')),
    (dict(state=None, zip='27601'), dict(zip='27601')),
    (dict(state=None, area_code='919'), dict(areaCode='919')),
    (dict(state=None, area_code='919', local_number='5551'), dict(areaCode='919', localNumber='5551')),
    (dict(pattern='*55?1*'), dict(state='NC', pattern='%2A55%3F1%2A')),
    (dict(in_local_calling_area=False, state='NC'), dict(state='NC')),
])
def test_search_options_become_the_documented_query(run_module, fake, requests_mock, options, query):
    result, failed = run_module(module, args(quantity=1, **options))
    assert not failed, result
    assert calls(requests_mock)[2] == order_call(1, **query)


# -- the pool ----------------------------------------------------------------------------------------

def test_orders_the_pool_and_labels_every_new_number(run_module, fake, requests_mock):
    result, failed = run_module(module, args(application_id='a-ivr', fallback_number='+1 919 555 0000'), diff=True)
    assert not failed, result
    ids = [n['id'] for n in fake.numbers]
    expected = [LIST_POOL, app_call('a-ivr'), LIST_ALL, order_call(3)] + [update_call(i) for i in ids] + [LIST_POOL]
    assert calls(requests_mock) == expected
    assert bodies(requests_mock) == [(i, {'name': POOL, 'applicationId': 'a-ivr', 'fallbackNumber': '+19195550000'})
                                     for i in ids]
    assert result['changed'] is True
    assert result['shortfall'] == 3
    assert [n['id'] for n in result['ordered']] == ids
    assert all(n['name'] == POOL and n['application_id'] == 'a-ivr' for n in result['ordered'])
    assert [n['number'] for n in result['phone_numbers']] == sorted(n['number'] for n in fake.numbers)
    assert result['adopted'] == []
    assert result['diff']['before'] == {'name': POOL, 'phone_numbers': []}
    assert [v['number'] for v in result['diff']['after']['phone_numbers']] == [n['number'] for n in fake.numbers]
    assert result['diff']['after']['phone_numbers'][0] == {
        'number': fake.numbers[0]['number'], 'state': 'present', 'name': POOL, 'application_id': 'a-ivr',
        'fallback_number': '+19195550000'}
    assert len(fake.named()) == 3


def test_second_run_reads_once_and_writes_nothing(run_module, fake, requests_mock):
    fake.labelled(3, applicationId='a-ivr')
    result, failed = run_module(module, args(application_id='a-ivr'), diff=True)
    assert not failed
    assert calls(requests_mock) == [LIST_POOL]
    assert result['changed'] is False
    assert result['shortfall'] == 0
    assert result['ordered'] == []
    assert len(result['phone_numbers']) == 3
    assert result['diff']['before'] == result['diff']['after']


def test_name_filter_is_exact_on_our_side(run_module, fake, requests_mock):
    fake.labelled(3)
    requests_mock.get(NUMBERS, json=lambda request, context: [dict(n, name=POOL + '-other') for n in fake.numbers])
    result, failed = run_module(module, args(quantity=1))
    assert not failed
    assert result['shortfall'] == 1


def test_grows_the_pool_by_the_shortfall_only(run_module, fake, requests_mock):
    fake.labelled(2)
    result, failed = run_module(module, args(quantity=5))
    assert not failed
    assert calls(requests_mock)[:3] == [LIST_POOL, LIST_ALL, order_call(3)]
    assert result['shortfall'] == 3
    assert len(result['ordered']) == 3
    assert len(result['phone_numbers']) == 5
    assert len(fake.named()) == 5


def test_reconciles_application_and_fallback_of_existing_members(run_module, fake, requests_mock):
    good, wrong = fake.labelled(2, applicationId='a-ivr')
    wrong['applicationId'] = 'a-old'
    result, failed = run_module(module, args(quantity=2, application_id='a-ivr', fallback_number='+19195550000'))
    assert not failed
    assert calls(requests_mock) == [LIST_POOL, app_call('a-ivr'), update_call(good['id']), update_call(wrong['id']), LIST_POOL]
    assert bodies(requests_mock) == [(good['id'], {'fallbackNumber': '+19195550000'}),
                                     (wrong['id'], {'applicationId': 'a-ivr', 'fallbackNumber': '+19195550000'})]
    assert result['changed'] is True
    assert result['shortfall'] == 0


def test_a_larger_pool_is_left_alone_and_reported(run_module, fake, requests_mock):
    fake.labelled(5)
    result, failed = run_module(module, args(quantity=3))
    assert not failed
    assert calls(requests_mock) == [LIST_POOL]
    assert result['changed'] is False
    assert result['surplus'] == 2
    assert 'nothing was released' in result['msg']
    assert len(result['phone_numbers']) == 5


# -- chunking ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('message, chunks', [
    ('The maximum quantity of numbers searching and ordering is %d', [10, 10, 5]),
    ('The maximum quantity of numbers searching and ordering is ...', [10, 10, 5]),
])
def test_order_cap_is_learned_and_the_rest_ordered_in_chunks(run_module, fake, requests_mock, message, chunks):
    fake.orders.append(('cap', 10, message))
    result, failed = run_module(module, args(quantity=25, concurrency=4))
    assert not failed, result
    orders = [c for c in calls(requests_mock) if c[0] == 'POST' and 'availableNumbers' in c[1]]
    assert orders == [order_call(25)] + [order_call(n) for n in chunks]
    assert len(result['ordered']) == 25
    assert len(fake.named()) == 25 and fake.unnamed() == []


def test_cap_named_in_the_message_is_used(run_module, fake, requests_mock):
    fake.orders.append(('cap', 7, 'The maximum quantity of numbers searching and ordering is %d'))
    result, failed = run_module(module, args(quantity=15, concurrency=4))
    assert not failed
    orders = [c for c in calls(requests_mock) if c[0] == 'POST' and 'availableNumbers' in c[1]]
    assert orders == [order_call(15), order_call(7), order_call(7), order_call(1)]


def test_pattern_refused_on_order_fails_naming_pattern(run_module, fake, requests_mock):
    fake.orders.append(('status', 400, 'invalid-available-number-search-order', 'A query and order numbers cannot contain pattern'))
    result, failed = run_module(module, args(pattern='555*'))
    assert failed
    assert result['msg'].startswith('pattern:')
    assert 'cannot contain pattern' in result['msg']
    assert writes(requests_mock) == [order_call(3, state='NC', pattern='555%2A')]
    assert fake.numbers == []


def test_other_order_errors_fail_with_the_api_error(run_module, fake, requests_mock):
    fake.orders.append(('status', 403, 'insufficient-available-balance', 'available balance 0 is insufficient'))
    result, failed = run_module(module, args())
    assert failed
    assert 'HTTP 403' in result['msg'] and 'insufficient-available-balance' in result['msg']
    assert result['error']['status'] == 403
    assert writes(requests_mock) == [order_call(3)]


# -- nothing lost, nothing doubled -------------------------------------------------------------------

@pytest.mark.parametrize('fault', [('drop_after',), ('status_after', 503), ('status_after', 500), ('timeout_after',)])
def test_lost_order_answer_is_read_back_and_adopted_never_resent(run_module, fake, requests_mock, no_sleep, fault):
    fake.labelled(1)
    fake.add('+19195550999', applicationId='a-other')  # unnamed but there before the order: not ours
    fake.orders.append(fault)
    result, failed = run_module(module, args())
    assert not failed, result
    new = fake.numbers[2:]
    # the re-count lists the whole account after a lost answer
    expected = [LIST_POOL, LIST_ALL, order_call(2), LIST_ALL] + [update_call(n['id']) for n in new] + [LIST_ALL]
    assert calls(requests_mock) == expected
    assert [n['id'] for n in result['ordered']] == [n['id'] for n in new]
    assert len(fake.named()) == 3
    assert [n['number'] for n in fake.unnamed()] == ['+19195550999']
    assert 'unlabelled' not in result
    assert no_sleep == []  # the first read showed the whole order: no waiting


def test_lost_order_that_was_not_applied_is_sent_again_after_the_read(run_module, fake, requests_mock, no_sleep):
    fake.orders.append(('status', 503, 'service-unavailable', 'try later'))
    result, failed = run_module(module, args())
    assert not failed
    settle = [LIST_ALL] * 6  # read at once, then after 0.5, 1, 2, 4 and 2.5 s (10 s in all)
    assert calls(requests_mock)[:10] == [LIST_POOL, LIST_ALL, order_call(3)] + settle + [order_call(3)]
    assert no_sleep == [0.5, 1.0, 2.0, 4.0, 2.5]
    assert len(fake.named()) == 3 and len(fake.numbers) == 3


def test_partly_applied_lost_order_orders_only_the_rest(run_module, fake, requests_mock):
    fake.orders.append(('drop_partial',))  # the server allocated 1 of 3, then the connection dropped
    original = fake.order

    def order(request, context):
        if fake.orders and fake.orders[0] == ('drop_partial',):
            fake.orders.pop(0)
            fake.allocate(1)
            raise requests.exceptions.ConnectionError('Connection aborted')
        return original(request, context)

    requests_mock.post(ORDER, json=order)
    result, failed = run_module(module, args())
    assert not failed
    orders = [c for c in calls(requests_mock) if c[0] == 'POST' and 'availableNumbers' in c[1]]
    assert orders == [order_call(3), order_call(2)]
    assert len(fake.named()) == 3 and len(fake.numbers) == 3


def test_timeout_with_nothing_visible_yet_fails_without_resending(run_module, fake, requests_mock, no_sleep):
    def order(request, context):
        raise requests.exceptions.ReadTimeout('read timed out')

    requests_mock.post(ORDER, json=order)
    result, failed = run_module(module, args(timeout=2))
    assert failed
    assert 'timed out' in result['msg'] and 'nothing was ordered again' in result['msg'] and 'rerun' in result['msg'].lower()
    assert 'over 2s' in result['msg']
    # reads after 0, 0.5, 1.5 and 2 s (the timeout bounds the wait), then one listing for what it left behind
    assert calls(requests_mock) == [LIST_POOL, LIST_ALL, order_call(3)] + [LIST_ALL] * 4 + [LIST_ALL]
    assert no_sleep == [0.5, 1.0, 0.5]
    # the order lands later: the rerun adopts it and orders nothing
    fake.allocate(3)
    requests_mock.reset_mock()
    requests_mock.post(ORDER, json=fake.order)
    result, failed = run_module(module, args())
    assert not failed
    assert len(result['adopted']) == 3 and result['ordered'] == []
    assert writes(requests_mock) == [update_call(n['id']) for n in fake.numbers]


def test_gives_up_after_repeated_lost_answers_that_ordered_nothing(run_module, fake, requests_mock):
    fake.orders.extend([('status', 503, 'service-unavailable', 'x')] * 5)
    result, failed = run_module(module, args())
    assert failed
    assert 'lost 3 times' in result['msg']
    assert len(writes(requests_mock)) == 3
    assert fake.numbers == []


def test_read_back_failure_after_a_lost_answer_never_resends(run_module, fake, requests_mock):
    fake.orders.append(('drop_after',))
    state = {'lists': 0}
    original = fake.list_numbers

    def list_numbers(request, context):
        state['lists'] += 1
        if state['lists'] >= 3:
            context.status_code = 401
            return error_body('unauthorized', 'no')
        return original(request, context)

    requests_mock.get(NUMBERS, json=list_numbers)
    result, failed = run_module(module, args())
    assert failed
    assert 'reading the account back failed' in result['msg']
    assert writes(requests_mock) == [order_call(3)]


def test_not_enough_numbers_fails_saying_none_were_ordered(run_module, fake, requests_mock):
    fake.orders.append(('partial', 0))
    result, failed = run_module(module, args(quantity=5))
    assert failed
    assert 'asked for 5 numbers' in result['msg']
    assert 'none were ordered' in result['msg']
    # one read (a refusal is an answer: no waiting), then the re-count of the whole account
    assert calls(requests_mock) == [LIST_POOL, LIST_ALL, order_call(5), LIST_ALL, LIST_ALL]
    assert result['ordered'] == []
    assert fake.numbers == []


def test_partial_fulfilment_kept_by_the_server_is_adopted_and_reported(run_module, fake, requests_mock):
    fake.orders.append(('partial', 2))
    result, failed = run_module(module, args(quantity=5))
    assert failed
    assert 'could only fulfil 2' in result['msg']
    assert 'The pool holds 2 of 5' in result['msg']
    assert [n['number'] for n in result['ordered']] == [n['number'] for n in fake.numbers]
    assert all(n['name'] == POOL for n in result['ordered'])
    assert len(fake.named()) == 2 and fake.unnamed() == []
    assert len([c for c in writes(requests_mock) if 'availableNumbers' in c[1]]) == 1


# -- labelling ---------------------------------------------------------------------------------------

def test_transient_labelling_failure_is_retried_in_the_same_run(run_module, fake, requests_mock, no_sleep):
    fake.update_faults['n-0002'] = [500, 500]
    result, failed = run_module(module, args())
    assert not failed, result
    assert [c for c in writes(requests_mock) if c == update_call('n-0002')] == [update_call('n-0002')] * 3
    assert len(fake.named()) == 3


def test_labelling_failure_lists_every_ordered_number_and_the_rerun_adopts(run_module, fake, requests_mock):
    fake.update_faults['n-0002'] = [500] * 3
    result, failed = run_module(module, args(application_id='a-ivr'))
    assert failed
    for resource in fake.numbers:
        assert resource['number'] in result['msg'] and resource['id'] in result['msg']
    assert 'n-0002, ordered, NOT labelled' in result['msg']
    assert 'n-0001, ordered, labelled' in result['msg']
    assert 'rerun' in result['msg']
    assert result['unlabelled'] == [{'id': 'n-0002', 'number': fake.numbers[1]['number'], 'error': result['unlabelled'][0]['error']}]
    assert len(result['ordered']) == 3
    assert result['changed'] is True
    assert len([c for c in writes(requests_mock) if 'availableNumbers' in c[1]]) == 1

    requests_mock.reset_mock()
    result, failed = run_module(module, args(application_id='a-ivr'))
    assert not failed, result
    assert calls(requests_mock) == [LIST_POOL, app_call('a-ivr'), LIST_ALL, update_call('n-0002'), LIST_POOL]
    assert [n['id'] for n in result['adopted']] == ['n-0002']
    assert result['ordered'] == []
    assert result['shortfall'] == 1
    assert len(fake.named()) == 3 and fake.unnamed() == []

    requests_mock.reset_mock()
    result, failed = run_module(module, args(application_id='a-ivr'))
    assert calls(requests_mock) == [LIST_POOL] and result['changed'] is False


def test_label_errors_are_read_back_before_reporting(run_module, fake, requests_mock):
    original = fake.update

    def update(request, context):  # applied, then a gateway error (status_after)
        original(request, context)
        context.status_code = 500
        return error_body('internal-server-error', 'boom', 'backend')

    requests_mock.post(NUMBER_URL, json=update)
    result, failed = run_module(module, args())
    assert not failed, result
    assert calls(requests_mock)[-2:] == [LIST_ALL, LIST_POOL]  # the read-back, then the re-count
    assert len(writes(requests_mock)) == 1 + 3 * 3
    assert all(n['name'] == POOL for n in result['ordered'])


def test_adoption_only_takes_unassigned_matching_numbers(run_module, fake, requests_mock):
    fake.add('+12125550100', state='NY', city='NEW YORK')
    fake.add('+19195550101', applicationId='a-other')
    fake.add('+19195550102', fallbackNumber='+19195550000')
    fake.add('+19195550103', name='other-pool')
    orphan = fake.add('+19195550104')
    result, failed = run_module(module, args(quantity=2))
    assert not failed
    assert [n['id'] for n in result['adopted']] == [orphan['id']]
    assert calls(requests_mock)[:4] == [LIST_POOL, LIST_ALL, update_call(orphan['id']), order_call(1)]
    assert len(fake.named()) == 2


def test_adoption_respects_area_code_and_can_be_turned_off(run_module, fake, requests_mock):
    fake.add('+19195550104')
    fake.add('+19845550104')
    result, failed = run_module(module, args(state=None, area_code='984', quantity=1))
    assert not failed
    assert [n['number'] for n in result['adopted']] == ['+19845550104']

    requests_mock.reset_mock()
    result, failed = run_module(module, args(name='other', quantity=1, adopt_unlabelled=False))
    assert not failed
    assert result['adopted'] == [] and len(result['ordered']) == 1


# -- check mode --------------------------------------------------------------------------------------

def test_check_mode_searches_and_predicts_without_writing(run_module, fake, requests_mock):
    fake.labelled(1)
    result, failed = run_module(module, args(quantity=4, application_id='a-ivr'), check_mode=True, diff=True)
    assert not failed, result
    assert calls(requests_mock) == [LIST_POOL, app_call('a-ivr'), LIST_ALL,
                                    ('GET', '/availableNumbers/local?state=NC&quantity=3')]
    assert result['changed'] is True
    assert result['shortfall'] == 3
    assert result['ordered'] == []
    assert [a['number'] for a in result['available']] == fake.stock[:3]
    assert result['available'][0]['rate_center'] == 'RALEIGH'
    after = result['diff']['after']['phone_numbers']
    assert len(after) == 4 and all(v['name'] == POOL and v['application_id'] == 'a-ivr' for v in after)
    assert len(result['diff']['before']['phone_numbers']) == 1
    assert len(fake.numbers) == 1


def test_check_mode_counts_adoptable_numbers(run_module, fake, requests_mock):
    fake.add('+19195550104')
    result, failed = run_module(module, args(quantity=3), check_mode=True)
    assert not failed
    assert calls(requests_mock)[-1] == ('GET', '/availableNumbers/local?state=NC&quantity=2')
    assert [n['number'] for n in result['adopted']] == ['+19195550104']
    assert result['shortfall'] == 3
    assert fake.unnamed()


def test_check_mode_fails_when_the_search_cannot_cover_the_shortfall(run_module, requests_mock):
    fake = FakeCatapult(requests_mock, stock=['+19195550100'])
    result, failed = run_module(module, args(quantity=3), check_mode=True)
    assert failed
    assert 'would need 3 more' in result['msg'] and 'found only 1' in result['msg']
    assert writes(requests_mock) == []
    assert fake.numbers == []


def test_check_mode_with_a_full_pool_reads_once(run_module, fake, requests_mock):
    fake.labelled(3)
    result, failed = run_module(module, args(), check_mode=True)
    assert not failed
    assert calls(requests_mock) == [LIST_POOL]
    assert result['changed'] is False
    assert 'available' not in result


def test_secret_never_in_a_failure(run_module, fake, requests_mock):
    fake.orders.append(('status', 403, 'insufficient-available-balance', 'no money'))
    result, failed = run_module(module, args())
    assert failed
    assert SECRET not in json.dumps(result)


# -- a success answer whose body is not the JSON expected ----------------------------------------------

HOSTILE_BODIES = [
    ('<html><body><h1>Down for maintenance</h1></body></html>', 'text/html'),
    ('null', 'application/json'),
    ('', 'application/json'),
    ('"ok"', 'application/json'),
]


@pytest.mark.parametrize('body, content_type', HOSTILE_BODIES)
def test_hostile_pool_listing_fails_and_orders_nothing(run_module, fake, requests_mock, body, content_type):
    requests_mock.get(NUMBERS, text=body, headers={'Content-Type': content_type})
    result, failed = run_module(module, args())
    assert failed
    assert 'not the JSON expected' in result['msg']
    assert writes(requests_mock) == []
    assert fake.numbers == []


@pytest.mark.parametrize('body, content_type', HOSTILE_BODIES)
def test_hostile_account_listing_before_ordering_fails_and_orders_nothing(run_module, fake, requests_mock, body,
                                                                          content_type):
    original = fake.list_numbers

    def list_numbers(request, context):
        if 'name' in fake.query(request):
            return json.dumps(original(request, context))
        context.headers['Content-Type'] = content_type
        return body

    requests_mock.get(NUMBERS, text=list_numbers)
    result, failed = run_module(module, args())
    assert failed
    assert 'listing the account before ordering failed' in result['msg'] and 'not the JSON expected' in result['msg']
    assert writes(requests_mock) == []


@pytest.mark.parametrize('body', ['<html><body>Accepted</body></html>', 'null', '', '{"status": "ok"}'])
def test_applied_order_answered_201_with_a_hostile_body_is_read_back_and_labelled(run_module, fake, requests_mock,
                                                                                  no_sleep, body):
    def order(request, context):
        fake.allocate(int(fake.query(request)['quantity']))
        context.status_code = 201
        context.headers['Content-Type'] = 'text/html'
        return body

    requests_mock.post(ORDER, text=order)
    result, failed = run_module(module, args())
    assert not failed, result
    assert [c for c in writes(requests_mock) if 'availableNumbers' in c[1]] == [order_call(3)]  # never ordered again
    assert len(fake.named()) == 3 and fake.unnamed() == []
    assert [n['id'] for n in result['ordered']] == [n['id'] for n in fake.numbers]
    assert 'nothing was ordered' not in json.dumps(result)
    assert no_sleep == []


def test_order_answered_201_with_a_hostile_body_that_ordered_nothing_is_not_resent_blindly(
        run_module, fake, requests_mock, no_sleep):
    answers = [{'status_code': 201, 'text': '<html>Gateway</html>', 'headers': {'Content-Type': 'text/html'}}]
    requests_mock.post(ORDER, answers + [{'status_code': 201, 'json': fake.order}])
    result, failed = run_module(module, args())
    assert not failed, result
    orders = [c for c in calls(requests_mock) if c[0] == 'POST' and 'availableNumbers' in c[1]]
    assert orders == [order_call(3), order_call(3)]
    # between the two orders: six reads over 10 s showed nothing new
    assert calls(requests_mock)[3:9] == [LIST_ALL] * 6 and sum(no_sleep) == 10.0
    assert len(fake.named()) == 3 and fake.unnamed() == []


def test_hostile_body_while_reading_back_a_lost_order_never_resends(run_module, fake, requests_mock):
    fake.orders.append(('drop_after',))
    original = fake.list_numbers
    state = {'lists': 0}

    def list_numbers(request, context):
        state['lists'] += 1
        if state['lists'] >= 3:
            context.headers['Content-Type'] = 'text/html'
            return '<html>maintenance</html>'
        return json.dumps(original(request, context))

    requests_mock.get(NUMBERS, text=list_numbers)
    result, failed = run_module(module, args())
    assert failed
    assert 'reading the account back failed' in result['msg'] and 'not the JSON expected' in result['msg']
    assert writes(requests_mock) == [order_call(3)]


# -- adoption takes only numbers shown to match --------------------------------------------------------

def test_local_pool_never_adopts_toll_free_other_states_or_numbers_without_state(run_module, fake, requests_mock):
    fake.add('+18008260000', state=None, city=None)         # toll-free: no state on the resource
    fake.add('+18772270000', state='NC', city='RALEIGH')    # toll-free even if the resource says NC
    fake.add('+12122260000', state='NY', city='NEW YORK')
    no_state = fake.add('+19195550150')
    del no_state['state']                                   # a local number without state: cannot show NC
    match = fake.add('+19195550151')
    result, failed = run_module(module, args(quantity=2))
    assert not failed, result
    assert [n['number'] for n in result['adopted']] == [match['number']]
    assert len(result['ordered']) == 1
    assert sorted(n['number'] for n in fake.unnamed()) == ['+12122260000', '+18008260000', '+18772270000', '+19195550150']


def test_city_must_be_on_the_resource_to_adopt(run_module, fake, requests_mock):
    no_city = fake.add('+19195550150')
    del no_city['city']
    fake.add('+19196800000', city='CARY')
    match = fake.add('+19195550151', city=' raleigh ')
    result, failed = run_module(module, args(city='Raleigh', quantity=1))
    assert not failed, result
    assert [n['number'] for n in result['adopted']] == [match['number']]


@pytest.mark.parametrize('options', [
    dict(state=None, zip='27601'),
    dict(state=None, area_code='919', local_number='555', in_local_calling_area=True),
])
def test_criteria_that_cannot_be_checked_never_adopt(run_module, fake, requests_mock, options):
    fake.add('+19195550150')  # unlabelled and in Raleigh: it may or may not match; never taken on a guess
    result, failed = run_module(module, args(quantity=1, **options))
    assert not failed, result
    assert result['adopted'] == [] and len(result['ordered']) == 1
    assert [n['number'] for n in fake.unnamed()] == ['+19195550150']


def test_check_mode_never_counts_an_unverifiable_number_as_adoptable(run_module, fake, requests_mock):
    fake.add('+19195550150')
    result, failed = run_module(module, args(state=None, zip='27601', quantity=1), check_mode=True)
    assert not failed
    assert result['adopted'] == [] and len(result['available']) == 1


def test_pattern_and_local_number_are_checked_on_the_digits(run_module, fake, requests_mock):
    fake.add('+19195551234')                 # 919-555: not 5552
    fake.add('+19195552999')                 # 5552 but not *29?8
    match = fake.add('+19195552998')
    result, failed = run_module(module, args(state=None, area_code='919', local_number='5552', pattern='*29?8',
                                             quantity=1))
    assert not failed, result
    assert [n['number'] for n in result['adopted']] == [match['number']]


def test_lost_order_of_a_zip_pool_recovers_only_its_own_new_numbers(run_module, fake, requests_mock, no_sleep):
    old = fake.add('+19195550150')              # unlabelled before the order: never attributed to it
    fake.add('+18008260000', state=None, city=None)
    fake.orders.append(('status_after', 503))
    result, failed = run_module(module, args(state=None, zip='27601', quantity=2))
    assert not failed, result
    orders = [c for c in writes(requests_mock) if 'availableNumbers' in c[1]]
    assert orders == [order_call(2, zip='27601')]
    assert [n['id'] for n in result['ordered']] == [n['id'] for n in fake.numbers[2:]]
    assert sorted(n['number'] for n in fake.unnamed()) == ['+18008260000', old['number']]
    assert len(fake.named()) == 2


def test_lost_order_attributes_at_most_the_quantity_ordered(run_module, fake, requests_mock, no_sleep):
    original = fake.order

    def order(request, context):  # the order lands along with numbers someone else ordered meanwhile
        fake.allocate(2)
        return original(request, context)

    fake.orders.append(('drop_after',))
    requests_mock.post(ORDER, json=order)
    result, failed = run_module(module, args(quantity=3))
    assert failed  # two unlabelled numbers appeared that this run cannot attribute: reported, not taken
    assert len(result['ordered']) == 3 and len(fake.named()) == 3
    assert len(result['unlabelled']) == 2 and len(fake.unnamed()) == 2
    assert sorted(u['number'] for u in result['unlabelled']) == sorted(n['number'] for n in fake.unnamed())


@pytest.mark.parametrize('resource, kind, crit_overrides, verdict', [
    ({'number': '+19195550100', 'state': 'NC'}, 'local', dict(state='NC'), 'match'),
    ({'number': '+19195550100', 'state': 'nc '}, 'local', dict(state='NC'), 'match'),
    ({'number': '+19195550100'}, 'local', dict(state='NC'), 'unknown'),
    ({'number': '+19195550100', 'state': 'NY'}, 'local', dict(state='NC'), 'no'),
    ({'number': '+18005550100', 'state': 'NC'}, 'local', dict(state='NC'), 'no'),
    ({'number': '+19195550100'}, 'local', dict(state=None, zip='27601'), 'unknown'),
    ({'number': '+12125550100'}, 'local', dict(state=None, zip='27601', pattern='919*'), 'no'),
    ({'number': '+19195550100'}, 'local', dict(state=None, area_code='919', local_number='555',
                                               in_local_calling_area=True), 'unknown'),
    ({'number': '+19195550100'}, 'local', dict(state=None, area_code='919', local_number='5550'), 'match'),
    ({'number': '+19195560100'}, 'local', dict(state=None, area_code='919', local_number='555'), 'no'),
    ({'number': '+19195550100', 'state': 'NC'}, 'local', dict(pattern='*555010?'), 'match'),
    ({'number': '+19195550100', 'state': 'NC'}, 'local', dict(pattern='JKL'), 'match'),
    ({'number': '+19195550100', 'state': 'NC'}, 'local', dict(pattern='*666*'), 'no'),
    ({'number': '+4930123456', 'state': 'NC'}, 'local', dict(state='NC'), 'no'),
    ({'number': None, 'state': 'NC'}, 'local', dict(state='NC'), 'no'),
    ({'number': '+18005550100'}, 'tollFree', {}, 'match'),
    ({'number': '+19195550100'}, 'tollFree', {}, 'no'),
    ({'number': '+18003569377'}, 'tollFree', dict(pattern='*FLOWERS'), 'match'),
])
def test_match_verdict_table(resource, kind, crit_overrides, verdict):
    from ansible_collections.bandwidth.catapult.plugins.module_utils import _search as search  # pylint: disable=import-outside-toplevel
    params = dict(state='NC', city=None, zip=None, area_code=None, local_number=None, in_local_calling_area=None,
                  pattern=None)
    params.update(crit_overrides)
    crit, errors = search.validate(kind, params)
    assert errors == []
    assert search.match_verdict(kind, resource, crit) == verdict
    assert search.matches(kind, resource, crit) == (verdict == 'match')


# -- the application is checked before any write ------------------------------------------------------

@pytest.mark.parametrize('check_mode', [False, True])
def test_unknown_application_fails_before_any_order(run_module, fake, requests_mock, check_mode):
    result, failed = run_module(module, args(application_id='a-nope'), check_mode=check_mode)
    assert failed
    assert result['msg'] == ('application_id a-nope does not exist on account %s (GET /users/%s/applications/a-nope '
                             'answered 404 application-not-found); nothing was ordered or changed.' % (USER, USER))
    assert calls(requests_mock) == [LIST_POOL, app_call('a-nope')]
    assert fake.numbers == []
    assert result['changed'] is False


def test_unknown_application_fails_before_reconciling_a_full_pool(run_module, fake, requests_mock):
    fake.labelled(3, applicationId='a-ivr')
    result, failed = run_module(module, args(application_id='a-nope'))
    assert failed and 'application_id a-nope does not exist' in result['msg']
    assert calls(requests_mock) == [LIST_POOL, app_call('a-nope')]
    assert all(n['applicationId'] == 'a-ivr' for n in fake.numbers)


def test_application_already_set_everywhere_is_not_read_again(run_module, fake, requests_mock):
    fake.labelled(3, applicationId='a-gone')  # nothing to send: the pool is left as it is, with one request
    result, failed = run_module(module, args(application_id='a-gone'))
    assert not failed and calls(requests_mock) == [LIST_POOL]


def test_application_check_that_errors_fails_before_any_write(run_module, fake, requests_mock):
    requests_mock.get(API + '/users/%s/applications/a-ivr' % USER, text='<html>proxy</html>',
                      headers={'Content-Type': 'text/html'})
    result, failed = run_module(module, args(application_id='a-ivr'))
    assert failed
    assert 'checking application_id a-ivr before any write failed' in result['msg']
    assert writes(requests_mock) == []


# -- a dead controller stops the run at once ----------------------------------------------------------

@pytest.fixture
def controller(monkeypatch):
    """The controller dies after ``alive_writes`` writes: the client then raises CatapultAborted before each write."""
    from ansible_collections.bandwidth.catapult.plugins.module_utils import _common as common  # pylint: disable=import-outside-toplevel
    state = {'alive_writes': 1, 'checks': 0}

    def gone(self):
        state['checks'] += 1
        if state['checks'] <= state['alive_writes']:
            return None
        return 'the Ansible controller that started this task is gone (test)'

    monkeypatch.setattr(common.ControllerWatch, '__call__', gone)
    return state


@pytest.mark.parametrize('concurrency', [1, 4])
def test_dead_controller_stops_labelling_at_once_and_lists_what_was_ordered(
        run_module, fake, requests_mock, no_sleep, controller, concurrency):
    result, failed = run_module(module, args(quantity=3, concurrency=concurrency))
    assert failed
    assert result['msg'].startswith('stopped: Stopped before POST /users/%s/phoneNumbers/' % USER)
    assert writes(requests_mock) == [order_call(3)]
    assert no_sleep == []                      # no second labelling round
    assert calls(requests_mock) == [LIST_POOL, LIST_ALL, order_call(3)]  # no read-back, no re-count
    for resource in fake.numbers:
        assert '%s (%s, ordered, NOT labelled)' % (resource['number'], resource['id']) in result['msg']
    assert sorted(u['id'] for u in result['unlabelled']) == [n['id'] for n in fake.numbers]
    assert controller['checks'] <= 1 + concurrency  # workers that had not started never tried


def test_dead_controller_stops_before_the_next_chunk(run_module, fake, requests_mock, controller):
    fake.orders.append(('cap', 10, 'The maximum quantity of numbers searching and ordering is %d'))
    controller['alive_writes'] = 1 + 1 + 10  # the refused order, the first chunk and its ten labels
    result, failed = run_module(module, args(quantity=25, concurrency=4))
    assert failed
    assert 'Stopped before POST /availableNumbers/local' in result['msg']
    assert len(writes(requests_mock)) == 12
    assert len(result['ordered']) == 10 and len(fake.named()) == 10
    assert result['msg'].count('ordered, labelled') == 10


# -- the result is what the account holds after the task ----------------------------------------------

def test_another_run_of_the_same_pool_shows_as_surplus(run_module, fake, requests_mock, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text: warnings.append(text))
    original = fake.order

    def order(request, context):  # another run of this pool orders and labels its own three meanwhile
        fake.labelled(3)
        return original(request, context)

    requests_mock.post(ORDER, json=order)
    result, failed = run_module(module, args(quantity=3))
    assert not failed, result
    assert len(fake.named()) == 6
    assert sorted(n['id'] for n in result['phone_numbers']) == sorted(n['id'] for n in fake.named())
    assert result['surplus'] == 3
    assert 'holds 6 numbers, 3 more than quantity 3; nothing was released' in result['msg']
    assert warnings == [result['msg']]
    assert not [c for c in calls(requests_mock) if c[0] == 'DELETE']
    assert calls(requests_mock)[-1] == LIST_POOL


def test_numbers_another_task_renamed_meanwhile_are_not_reported(run_module, fake, requests_mock):
    original = fake.update

    def update(request, context):  # an overlapping pool relabels the first number right after this run did
        answer = original(request, context)
        if request.url.endswith('/n-0001'):
            fake.numbers[0]['name'] = 'other-pool'
        return answer

    requests_mock.post(NUMBER_URL, json=update)
    result, failed = run_module(module, args(quantity=3))
    assert failed
    assert 'holds 2 of 3 numbers' in result['msg']
    assert "%s (n-0001, now named 'other-pool')" % fake.numbers[0]['number'] in result['msg']
    assert sorted(n['id'] for n in result['phone_numbers']) == ['n-0002', 'n-0003']
    assert calls(requests_mock)[-2:] == [LIST_POOL, ('GET', '/users/%s/phoneNumbers/n-0001' % USER)]


def test_a_lagging_listing_after_the_writes_is_completed_by_reading_each_number(run_module, fake, requests_mock):
    original = fake.order

    def order(request, context):
        items = original(request, context)
        fake.hidden.update(item['location'].rsplit('/', 1)[-1] for item in items)
        return items

    requests_mock.post(ORDER, json=order)
    result, failed = run_module(module, args(quantity=2))
    assert not failed, result
    assert sorted(n['id'] for n in result['phone_numbers']) == ['n-0001', 'n-0002']
    assert 'surplus' not in result
    assert calls(requests_mock)[-3:] == [LIST_POOL, ('GET', '/users/%s/phoneNumbers/n-0001' % USER),
                                         ('GET', '/users/%s/phoneNumbers/n-0002' % USER)]


# -- a stale read after a failed write ----------------------------------------------------------------

def hide_for(fake, reads):
    """Numbers allocated from now on are missing from the next ``reads`` listings of the whole account."""
    state = {'reads': reads, 'ids': set()}
    original_allocate = fake.allocate
    original_list = fake.list_numbers

    def allocate(count):
        items = original_allocate(count)
        new = set(item['location'].rsplit('/', 1)[-1] for item in items)
        if state['reads'] > 0:
            state['ids'].update(new)
            fake.hidden.update(new)
        return items

    def list_numbers(request, context):
        answer = original_list(request, context)
        if 'name' not in fake.query(request) and state['reads'] > 0:
            state['reads'] -= 1
            if state['reads'] == 0:
                fake.hidden.difference_update(state['ids'])
        return answer

    fake.allocate = allocate
    fake.list_numbers = list_numbers
    return state


def test_stale_read_after_an_applied_order_waits_and_never_orders_again(run_module, fake, requests_mock, no_sleep):
    hide_for(fake, 3)  # the listing before the order, then two stale reads
    fake.orders.append(('status_after', 503))
    requests_mock.get(NUMBERS, json=fake.list_numbers)
    result, failed = run_module(module, args(quantity=5))
    assert not failed, result
    assert [c for c in writes(requests_mock) if 'availableNumbers' in c[1]] == [order_call(5)]
    assert len(fake.named()) == 5 and fake.unnamed() == []
    assert no_sleep == [0.5, 1.0]
    assert len(result['phone_numbers']) == 5 and 'unlabelled' not in result


def test_numbers_that_show_only_after_the_settle_are_reported_unlabelled(run_module, fake, requests_mock, no_sleep):
    hide_for(fake, 1 + 6)  # the listing before the order, then every read of the 10 s settle
    fake.orders.append(('status_after', 503))
    requests_mock.get(NUMBERS, json=fake.list_numbers)
    result, failed = run_module(module, args(quantity=5))
    assert failed
    assert sum(no_sleep) == 10.0
    first = [n for n in fake.numbers if not n.get('name')]
    assert len(first) == 5 and len(fake.named()) == 5  # the order was sent again after the settle
    assert sorted(u['id'] for u in result['unlabelled']) == sorted(n['id'] for n in first)
    for resource in first:
        assert '%s (%s)' % (resource['number'], resource['id']) in result['msg']
    assert 'left 5 unlabelled numbers' in result['msg']
    assert not [c for c in calls(requests_mock) if c[0] == 'DELETE']


# -- order items without location --------------------------------------------------------------------

def test_order_items_without_location_are_looked_up_by_number(run_module, fake, requests_mock):
    original = fake.order

    def order(request, context):
        items = original(request, context)
        for item in items:
            del item['location']
        return items

    requests_mock.post(ORDER, json=order)
    result, failed = run_module(module, args(quantity=3))
    assert not failed, result
    assert not [c for c in calls(requests_mock) if c[1].endswith('/None')]
    numbers = [n['number'] for n in fake.numbers]
    lookups = [('GET', '/users/%s/phoneNumbers/%s' % (USER, n.replace('+', '%2B'))) for n in numbers]
    assert calls(requests_mock)[3:6] == lookups
    assert writes(requests_mock)[1:] == [update_call(n['id']) for n in fake.numbers]
    assert len(fake.named()) == 3 and fake.unnamed() == []


def test_order_item_without_location_that_cannot_be_found_is_reported_never_guessed(run_module, fake, requests_mock):
    original = fake.order

    def order(request, context):
        items = original(request, context)
        del items[1]['location']
        items[1]['number'] = '+19999999999'  # no such number on the account
        return items

    requests_mock.post(ORDER, json=order)
    result, failed = run_module(module, args(quantity=3))
    assert failed
    assert not [c for c in calls(requests_mock) if c[1].endswith('/None')]
    assert '+19999999999 (None, ordered, NOT labelled)' in result['msg']
    assert [u['number'] for u in result['unlabelled']] == ['+19999999999']


def test_applied_order_answered_201_with_an_empty_list_is_read_back_not_reported_as_nothing(
        run_module, fake, requests_mock, no_sleep):
    def order(request, context):
        fake.allocate(int(fake.query(request)['quantity']))
        context.status_code = 201
        return []

    requests_mock.post(ORDER, json=order)
    result, failed = run_module(module, args())
    assert not failed, result
    assert [c for c in writes(requests_mock) if 'availableNumbers' in c[1]] == [order_call(3)]
    assert len(fake.named()) == 3 and fake.unnamed() == []
    assert no_sleep == []


def test_order_answered_201_with_an_empty_list_that_ordered_nothing_fails_without_resending(
        run_module, fake, requests_mock, no_sleep):
    requests_mock.post(ORDER, status_code=201, json=[])
    result, failed = run_module(module, args())
    assert failed
    assert 'HTTP 201 but listed no numbers' in result['msg'] and 'nothing was ordered again' in result['msg']
    assert [c for c in writes(requests_mock) if 'availableNumbers' in c[1]] == [order_call(3)]
    assert sum(no_sleep) == 10.0


def test_dead_controller_stops_waiting_for_a_lost_order(run_module, fake, requests_mock, no_sleep, controller):
    hide_for(fake, 1 + 6)  # the lost order's numbers would not show during the whole wait
    fake.orders.append(('status_after', 503))
    requests_mock.get(NUMBERS, json=fake.list_numbers)
    result, failed = run_module(module, args(quantity=2))
    assert failed
    assert result['msg'].startswith('stopped: Stopped before GET /users/%s/phoneNumbers' % USER)
    assert 'The answer to an order of this run was lost' in result['msg']
    assert no_sleep == []
    assert writes(requests_mock) == [order_call(2)]
    assert calls(requests_mock) == [LIST_POOL, LIST_ALL, order_call(2), LIST_ALL]


# -- the application by name: resolved once, before any write -----------------------------------------

LIST_APPS = ('GET', '/users/%s/applications?size=1000' % USER)


def app_listing(requests_mock, *apps):
    """The account's applications, (id, name) each, as the paginated listing answers them."""
    requests_mock.get(APPLICATIONS, json=[{'id': app_id, 'name': name} for app_id, name in apps])


@pytest.mark.parametrize('check_mode', [False, True])
def test_application_by_name_is_resolved_once_before_any_write(run_module, fake, requests_mock, check_mode):
    app_listing(requests_mock, ('a-other', 'Other'), ('a-ivr', 'Support IVR'))
    result, failed = run_module(module, args(application='Support IVR'), check_mode=check_mode)
    assert not failed, result
    if check_mode:
        assert calls(requests_mock) == [LIST_APPS, LIST_POOL, LIST_ALL, ('GET', '/availableNumbers/local?state=NC&quantity=3')]
        assert writes(requests_mock) == []
    else:
        ids = [n['id'] for n in fake.numbers]
        # the listing proved the application exists: no GET of it by ID
        assert calls(requests_mock) == [LIST_APPS, LIST_POOL, LIST_ALL, order_call(3)] + [update_call(i) for i in ids] + [
            LIST_POOL]
        assert bodies(requests_mock) == [(i, {'name': POOL, 'applicationId': 'a-ivr'}) for i in ids]
    requests_mock.reset_mock()
    again, failed = run_module(module, args(application='Support IVR'))
    assert not failed and again['changed'] is (check_mode is True)


@pytest.mark.parametrize('check_mode', [False, True])
def test_an_unknown_application_name_fails_before_any_order(run_module, fake, requests_mock, check_mode):
    app_listing(requests_mock, ('a-ivr', 'Support IVR'))
    result, failed = run_module(module, args(application='support ivr'), check_mode=check_mode)
    assert failed
    assert result['msg'] == ("application 'support ivr': no application of that name on account %s (GET "
                             "/users/%s/applications lists the account's applications; names match exactly). Create it "
                             'first, for example with bandwidth.catapult.catapult_application; nothing was ordered or '
                             'changed.' % (USER, USER))
    assert calls(requests_mock) == [LIST_APPS]
    assert result['changed'] is False and fake.numbers == []


def test_an_application_name_on_several_applications_fails_listing_their_ids(run_module, fake, requests_mock):
    app_listing(requests_mock, ('a-one', 'Sales'), ('a-ivr', 'Support IVR'), ('a-two', 'Sales'))
    result, failed = run_module(module, args(application='Sales'))
    assert failed
    assert result['msg'].startswith("application 'Sales' matches 2 applications on account %s (a-one, a-two)" % USER)
    assert result['error']['application_ids'] == ['a-one', 'a-two']
    assert calls(requests_mock) == [LIST_APPS]


def test_a_failed_listing_of_the_applications_fails_before_any_order(run_module, fake, requests_mock):
    requests_mock.get(APPLICATIONS, status_code=401, json=error_body('unauthorized', 'Bad credentials', 'authentication'))
    result, failed = run_module(module, args(application='Support IVR'))
    assert failed
    assert result['msg'].startswith("listing the applications to find application 'Support IVR' failed: Catapult API "
                                    'error: GET /users/%s/applications returned HTTP 401' % USER)
    assert result['msg'].endswith('; nothing was ordered or changed.')
    assert calls(requests_mock) == [LIST_APPS]


@pytest.mark.parametrize('overrides, expected', [
    (dict(application='Support IVR', application_id='a-ivr'), 'parameters are mutually exclusive: application|application_id'),
    (dict(application=' '), "application must be the name of an application; got ' '"),
])
def test_application_and_application_id_fail_before_any_request(run_module, requests_mock, overrides, expected):
    result, failed = run_module(module, args(**overrides))
    assert failed
    assert expected in result['msg']
    assert requests_mock.request_history == []
