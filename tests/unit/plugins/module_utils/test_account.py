# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The account engine (``AccountRun(client, DesiredState(...)).run()``) against a scripted Catapult.

HTTP is faked at the requests layer (requests_mock): a real ``CatapultClient`` talks to the
Catapult emulator in-process (the ``catapult`` fixture, tests/unit/plugins/emulated.py), which
keeps the account, its applications and the inventory. Every test compares the exact list of
requests sent, so a missing or an extra call fails. Most cases are rows of tables: MISTAKES
(refused before any request) and PLANS (one run: the requests it sends, its result, the account after).
"""

from __future__ import annotations

import re

import pytest
import requests

from ansible_collections.bandwidth.catapult.plugins.module_utils._account import (
    AccountError,
    AccountRun,
    DesiredState,
    predicted_id,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultClient
from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import intercept
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import (
    ALLOCATE, API, APPS, CREATE_APP, LIST, SECRET, TOKEN, USER, app_call, calls, listed, order, page, release, search, update,
)

# the applications on the account (the catapult fixture); numbers come from the emulator's inventory
APPLICATIONS = ('a-ivr', 'a-sms')
CALLS = 'https://ivr.example.com/calls'
SMS = 'https://sms.example.com/messages'
NUMS = 'numbers: %d allocated, %d updated, %d released, %d unchanged, %d failed'
E164 = 'must be an E.164 phone number'


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


def numbered(catapult, text):
    """``text``, each number's ID in a path replaced by its E.164 number (IDs are one to one): the tables need no IDs."""
    return re.sub(r'(?<=/phoneNumbers/)[^/?\s]+', lambda found: catapult.record(found.group(0))['number'], text)


def converged(client, requests_mock, reads, **desired):
    """A rerun of ``desired``, real and in check mode, reads ``reads`` only and changes nothing."""
    for check_mode in (False, True):
        requests_mock.reset_mock()
        again = run(client, check_mode=check_mode, **desired)
        assert calls(requests_mock) == reads
        assert again['changed'] is False and again['plan'] == []
    return again


# -- 1. validation: every kind of mistake, all at once, before any request -----------------------

NAMES = dict(numbers='catapult_phone_numbers', pools='catapult_number_pools', prune_limit='catapult_prune_limit',
             prune_protect='catapult_prune_protect', concurrency='catapult_concurrency', default_fallback_number='catapult_default_fallback_number')
MISTAKES = [
    ('bad number', dict(numbers=[{'number': '919-555-0100'}]), ["numbers[0].number %s" % E164, "got '919-555-0100'"]),
    ('unquoted number', dict(numbers=[{'number': 19195550100}]),
     ['numbers[0].number %s' % E164, 'It has no leading +', 'quote it: number: "+19195550100"']),
    ('number missing', dict(numbers=[{'name': 'x'}]), ['numbers[0].number %s' % E164]),
    ('bad fallback', dict(numbers=[{'number': '+19195550100', 'fallback_number': '555'}]), ['numbers[0].fallback_number %s' % E164]),
    ('bad default fallback', dict(default_fallback_number='nope'), ['default_fallback_number %s' % E164]),
    ('bad entry state', dict(numbers=[{'number': '+19195550100', 'state': 'gone'}]), ["numbers[0].state must be present or absent; got 'gone'"]),
    ('repeated number', dict(numbers=[{'number': '+19195550100'}, {'number': '+1 (919) 555-0100'}]),
     ['numbers[1].number +19195550100 repeats numbers[0]; list each number once']),
    ('repeated pool', dict(pools=[{'name': 'ivr', 'state': 'NC'}, {'name': 'ivr', 'area_code': '919'}]),
     ['pools[1] (ivr): pool names must be unique; ivr repeats pools[0]']),
    ('entry named like a pool', dict(numbers=[{'number': '+19195550100', 'name': 'ivr'}], pools=[{'name': 'ivr', 'state': 'NC'}]),
     ["pools[0] (ivr): a pool counts every number named 'ivr', so numbers[0] may not carry that name"]),
    ('empty pool name', dict(pools=[{'name': ' ', 'state': 'NC'}]), ['pools[0].name must not be empty: it is the label that identifies the pool']),
    ('bad pool type', dict(pools=[{'name': 'ivr', 'type': 'mobile', 'state': 'NC'}]), ["pools[0] (ivr).type must be local or toll_free; got 'mobile'"]),
    ('toll-free with local criteria', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'state': 'NC', 'area_code': '919'}]),
     ['pools[0] (hot): a toll-free pool searches by pattern only; remove state, area_code']),
    ('toll-free bad pattern', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'pattern': '8#0'}]), ['pools[0] (hot): pattern may contain only letters']),
    ('no criterion', dict(pools=[{'name': 'ivr'}]), ['pools[0] (ivr): exactly one of state, zip and area_code is required; none was set']),
    ('zip and area code', dict(pools=[{'name': 'ivr', 'zip': '27601', 'area_code': '919'}]),
     ['pools[0] (ivr): exactly one of state, zip and area_code is required; got zip and area_code']),
    ('city without state', dict(pools=[{'name': 'ivr', 'city': 'RALEIGH', 'zip': '27601'}]),
     ['pools[0] (ivr): city requires state', 'pools[0] (ivr): city cannot be combined with zip']),
    ('bad state', dict(pools=[{'name': 'ivr', 'state': 'XX'}]), ['pools[0] (ivr): state must be the two-letter code']),
    ('local number alone', dict(pools=[{'name': 'ivr', 'state': 'NC', 'local_number': '555'}]), ['pools[0] (ivr): local_number requires area_code']),
    ('calling area alone', dict(pools=[{'name': 'ivr', 'area_code': '919', 'in_local_calling_area': True}]),
     ['pools[0] (ivr): in_local_calling_area can only be used with local_number']),
    ('quantity 0', dict(pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 0}]), ['pools[0] (ivr): quantity must be between 1 and 5000; got 0']),
    ('quantity 5001', dict(pools=[{'name': 'hot', 'type': 'toll_free', 'quantity': 5001}]), ['pools[0] (hot): quantity must be between 1 and 5000; got 5001']),
    ('bad pool fallback', dict(pools=[{'name': 'ivr', 'state': 'NC', 'fallback_number': '12'}]), ['pools[0] (ivr).fallback_number %s' % E164]),
    ('prune_limit -1', dict(prune=True, prune_limit=-1), ['prune_limit must be between 0 and 5000; got -1']),
    ('prune_limit 5001', dict(prune_limit=5001), ['prune_limit must be between 0 and 5000; got 5001']),
    ('empty protect', dict(prune_protect=['ok', '', None]), ["prune_protect[1] must be a number name or an E.164 number; got ''",
                                                             'prune_protect[2] must be a number name or an E.164 number; got None']),
    ('bad protected number', dict(prune_protect=['+1 919']), ["prune_protect[0] starts with + but is not an E.164 number: '+1 919'"]),
    ('unquoted protected number', dict(prune_protect=[19195550100]),
     ['prune_protect[0] is 19195550100, an E.164 number without its +', 'which would protect nothing; quote it: - "+19195550100"']),
    ('concurrency 0', dict(concurrency=0), ['concurrency must be between 1 and 64; got 0']),
    ('concurrency 65', dict(concurrency=65), ['concurrency must be between 1 and 64; got 65']),
    ('all reported together', dict(numbers=[{'number': 'x'}, {'number': '+19195550100', 'name': 'ivr'}, {'number': '+19195550100'}],
                                   pools=[{'name': 'ivr', 'quantity': 0}, {'name': 'ivr', 'type': 'toll_free', 'zip': '27601'}],
                                   prune_limit=-3, prune_protect=[''], concurrency=100),
     ['numbers[0].number', 'numbers[2].number +19195550100 repeats numbers[1]', 'repeats pools[0]', 'so numbers[1] may not carry that name',
      'none was set', 'quantity must be', 'remove zip', 'prune_limit must be', 'prune_protect[0]', 'concurrency must be']),
    ('named as the caller maps them', dict(numbers=[{'number': '1'}], pools=[{'name': 'p'}], prune_limit=-1, prune_protect=[''], concurrency=0,
                                           default_fallback_number='x', names=NAMES),
     ['catapult_phone_numbers[0].number', 'catapult_number_pools[0] (p)', 'catapult_prune_limit must be', 'catapult_prune_protect[0]',
      'catapult_concurrency must be', 'catapult_default_fallback_number must']),
    # applications by name, and as part of the desired state
    ('entry by name and id', dict(numbers=[{'number': '+19195550100', 'application': 'Sales', 'application_id': 'a-sms'}]),
     ["numbers[0].application and numbers[0].application_id are mutually exclusive: name the application or give its ID, "
      "not both; got 'Sales' and 'a-sms'"]),
    ('pool by name and id', dict(pools=[{'name': 'ivr', 'state': 'NC', 'application': 'Sales', 'application_id': ''}]),
     ['pools[0] (ivr).application and pools[0] (ivr).application_id are mutually exclusive']),
    ('defaults by name and id', dict(default_application='Sales', default_application_id='a-sms'),
     ['default_application and default_application_id are mutually exclusive']),
    ('empty name', dict(numbers=[{'number': '+19195550100', 'application': ' '}]),
     ["numbers[0].application must be the name of an application; got ' ' (to remove the association, set numbers[0].application_id to \"\")"]),
    ('pointing at an application the state deletes',
     dict(applications=[{'name': 'Old', 'state': 'absent'}], numbers=[{'number': '+19195550100', 'application': 'Old'}],
          pools=[{'name': 'ivr', 'state': 'NC', 'application': 'Old'}]),
     ["numbers[0].application, pools[0] (ivr).application names application 'Old', which applications[0] deletes (state absent)"]),
    ('application without a name', dict(applications=[{'incoming_call_url': CALLS}]), ['applications[0].name is required and must not be empty']),
    ('application listed twice', dict(applications=[{'name': 'IVR', 'incoming_call_url': CALLS}, {'name': 'IVR', 'incomingMessageUrl': SMS}]),
     ["applications[1].name 'IVR' repeats applications[0]; list each application once"]),
    ('application without an incoming URL', dict(applications=[{'name': 'IVR', 'auto_answer': False}]),
     ['applications[0].incoming_call_url or applications[0].incoming_message_url is required']),
    ('application with a bad URL', dict(applications=[{'name': 'IVR', 'incoming_call_url': 'ftp://x'}]),
     ['applications[0].incoming_call_url must be an absolute http or https URL']),
    ('application timeout out of range', dict(applications=[{'name': 'IVR', 'incomingCallUrl': CALLS, 'incomingCallUrlCallbackTimeout': 20000}]),
     ['applications[0].incoming_call_url_callback_timeout must be a whole number of milliseconds from 1 to 10000']),
    ('application method', dict(applications=[{'name': 'IVR', 'incoming_call_url': CALLS, 'callback_http_method': 'put'}]),
     ["applications[0].callback_http_method must be one of get, post; got 'put'"]),
    ('application state', dict(applications=[{'name': 'IVR', 'incoming_call_url': CALLS, 'state': 'gone'}]),
     ["applications[0].state must be present or absent; got 'gone'"]),
    ('application option unknown', dict(applications=[{'name': 'IVR', 'incoming_call_url': CALLS, 'id': 'a-1'}]),
     ['applications[0] has unknown option id; an application takes name, incoming_call_url']),
]


@pytest.mark.parametrize('label, options, texts', MISTAKES, ids=[m[0] for m in MISTAKES])
def test_every_mistake_fails_before_any_request(client, catapult, requests_mock, label, options, texts):
    """Refused, real and in check mode, naming every text, with nothing planned and not one request."""
    for check_mode in (False, True):
        exc = refused(client, check_mode=check_mode, **options)
        assert [text for text in texts if text not in str(exc)] == []
        assert exc.result['changed'] is False and exc.result['plan'] == []
        assert exc.result['summary'][-2 if check_mode else -1] == 'drift: not known (the account was not read)'
    assert requests_mock.request_history == []


def test_a_valid_state_normalises_numbers_and_applies_defaults():
    desired = state(numbers=[{'number': '+1 (919) 555-0100', 'name': 'Main'},
                             {'number': '+19195550101', 'application_id': 'a-sms', 'fallback_number': ''}],
                    pools=[{'name': 'ivr', 'state': 'nc'}, {'name': 'hot', 'type': 'toll_free'},
                           {'name': 'own', 'area_code': '984', 'quantity': 2, 'application_id': 'a-sms', 'adopt_unlabelled': False}],
                    default_application_id='a-ivr', default_fallback_number='+1 919 555 0000', prune_protect=['Emergency', ' +1 919 555 0199 '])
    assert desired.errors == []
    assert [(e['number'], e['application_id'], e['fallback_number']) for e in desired.entries] == [
        ('+19195550100', 'a-ivr', '+19195550000'), ('+19195550101', 'a-sms', '')]
    assert [(p['name'], p['quantity'], p['adopt_unlabelled']) for p in desired.pools] == [('ivr', 10, True), ('hot', 1, True), ('own', 2, False)]
    assert desired.pools[0]['crit']['state'] == 'NC'
    assert desired.pools[2]['labels'] == {'name': 'own', 'application_id': 'a-sms', 'fallback_number': '+19195550000'}
    assert desired.protect_names == {'Emergency'} and desired.protect_numbers == {'+19195550199'}
    assert desired.application_ids() == ['a-ivr', 'a-sms']


def test_the_application_options_take_the_api_names_too():
    desired = state(applications=[{'name': 'IVR', 'incomingCallUrl': CALLS, 'incomingCallUrlCallbackTimeout': '3000',
                                   'callbackHttpMethod': 'GET', 'autoAnswer': False}])
    assert desired.errors == []
    assert desired.applications == [{'name': 'IVR', 'incoming_call_url': CALLS, 'incoming_call_url_callback_timeout': 3000,
                                     'callback_http_method': 'get', 'auto_answer': False, 'state': 'present'}]


# -- 2. one run: the requests it sends, its result and the account after -----------------------------------------

def seed_applications(catapult):
    """Support IVR a-001 (listed), Old a-002 (unlisted, unused), Legacy a-003 (unlisted, a number nothing claims
    points at it), Kept a-004 (unlisted, an entry moves its number away), Busy a-005 (unlisted, a number an entry keeps
    points at it)."""
    catapult.set_applications([])
    for name in ('Support IVR', 'Old', 'Legacy', 'Kept', 'Busy'):
        catapult.add_application(name)
    catapult.add('+12122260000', name='stray', application_id='a-003')
    catapult.add('+19195550100', name='Main', application_id='a-004')
    catapult.add('+19195550101', name='Busy line', application_id='a-005')


def fail_update(number):
    """A seed: seed_applications, and the update of ``number`` answered 400."""
    def seed(catapult):
        seed_applications(catapult)
        catapult.fault('status', '/phoneNumbers/' + catapult.by_number(number)['id'], 'POST', status=400, code='invalid-number', message='no')
    return seed


def both(label, seed, options, sequence, expected):
    """The same case real and in check mode (it must be refused before any write either way)."""
    return [(label + ' real', seed, options, sequence, expected), (label + ' check', seed, dict(options, check_mode=True), sequence, expected)]


# Main (an entry), pool ivr with 3 members (created 5, 9, 7: the newest is 0001), two numbers nothing claims
DRIFT = [('+12122260000', dict(created=1, name='old')), ('+12122260001', dict(created=2)), ('+19195550100', dict(created=3, name='Main')),
         ('+19842190000', dict(created=5, name='ivr')), ('+19842190001', dict(created=9, name='ivr')), ('+19842190002', dict(created=7, name='ivr'))]
DRIFT_NAMES = dict((number, fields.get('name')) for number, fields in DRIFT)
DRIFT_STATE = dict(numbers=[{'number': '+19195550100', 'name': 'Main'}], pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}])
ALL_DRIFT = ['+12122260000', '+12122260001', '+19842190001', '+19842190002']
PRUNED = [{'action': 'prune', 'number': n, 'reason': 'claimed by no entry or pool'} for n in ALL_DRIFT[:2]] + [
    {'action': 'prune', 'number': n, 'reason': 'surplus of pool ivr'} for n in ALL_DRIFT[2:]]
IVR_POOL = dict(name='ivr', type='local', quantity=2, size=2, shortfall=2, surplus=0, ordered=['+19842190000', '+19842190001'], adopted=[],
                released=[], numbers=['+19842190000', '+19842190001'], changed=True)
GUARD = ('prune would release 4 numbers, more than prune_limit (3): +12122260000 (old), +12122260001, +19842190001 (ivr), +19842190002 (ivr). '
         'Nothing was written. Raise prune_limit to at least 4 if that is what you want, or protect numbers with prune_protect (by name or '
         'E.164 number).')
APP_GUARD = ('prune would release 1 numbers and delete 3 applications, more than prune_limit (3): +12122260000 (stray), application a-002 (Old), '
             'application a-003 (Legacy), application a-004 (Kept). Nothing was written. Raise prune_limit to at least 4 if that is what you '
             'want, or protect numbers and applications with prune_protect (numbers by name or E.164 number, applications by name).')
NO_APP = ("does not exist on account %s (GET /users/%s/applications lists the account's applications)" % (USER, USER))
UNKNOWN_NAME = "application '%s' (%s) " + NO_APP + '; list it in applications to create it, or fix the name (names match exactly)'
APP_STATE = dict(applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS}, {'name': 'Sales', 'incoming_message_url': SMS}],
                 numbers=[{'number': '+19195550100', 'name': 'Main', 'application': 'Support IVR'},
                          {'number': '+19195550101', 'name': 'Sales line', 'application': 'Sales'}],
                 pools=[{'name': 'sales', 'area_code': '984', 'quantity': 2, 'application': 'Sales'}])
PRUNE_APPS = dict(applications=[{'name': 'Support IVR', 'incoming_call_url': 'https://a-001.example.com/calls'}],
                  numbers=[{'number': '+19195550100', 'name': 'Main', 'application': 'Support IVR'}, {'number': '+19195550101', 'name': 'Busy line'}])
SEEDED_APPS = ['Support IVR', 'Old', 'Legacy', 'Kept', 'Busy']
SEEDED_NAMES = {'+12122260000': 'stray', '+19195550100': 'Main', '+19195550101': 'Busy line'}

# Support IVR a-003 and Sales a-004 (after the fixture's two), a number on Support IVR
NAMED_APPS = [lambda c: c.add_application('Support IVR'), lambda c: c.add_application('Sales'),
              lambda c: c.add('+19195550101', name='Fax', application_id='a-003')]
NAMED_STATE = dict(numbers=[{'number': '+19195550100', 'name': 'Main'}, {'number': '+19195550101', 'name': 'Fax', 'application': 'Sales'}],
                   pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}], default_application='Support IVR')
NAMED_PLAN = [{'action': 'allocate', 'number': '+19195550100', 'application': 'Support IVR', 'application_id': 'a-003'},
              {'action': 'update', 'number': '+19195550101', 'fields': ['application_id'], 'application': 'Sales', 'application_id': 'a-004'}]
NAMED_ORDER = {'action': 'order', 'pool': 'ivr', 'quantity': 1, 'application': 'Support IVR', 'application_id': 'a-003'}

# (case, seed: [(number, catapult.add() fields) or a function of the catapult] or one such function, options (check_mode
#  and diff too), the requests sent (utils shapes, numbers for IDs), {what: expected}): 'error' the AccountError's text
#  (none when left out); 'rerun' the reads of an identical rerun, real and in check mode, that changes nothing ('again':
#  the result of the check mode one); else a
#  path ('pools.0.adopted'; '*' every item) into the result or: 'names' (number -> name) and 'app_ids' (number ->
#  applicationId) on the account after, 'apps' its applications (id -> fields), 'warnings' the run's, 'body.N' the
#  JSON of request N
PLANS = [
    # allocate, update, release, adopt, order
    ('a cold run allocates, orders, labels and reads again', [],
     dict(numbers=[{'number': '+19195550100', 'name': 'Main', 'application_id': 'a-ivr'}],
          pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2, 'application_id': 'a-ivr'}]),
     [APPS, LIST, ALLOCATE, order(2, areaCode='984'), update('+19842190000'), update('+19842190001'), listed('ivr'), LIST],
     {'body.2': {'number': '+19195550100', 'name': 'Main', 'applicationId': 'a-ivr'}, 'body.4': {'name': 'ivr', 'applicationId': 'a-ivr'},
      'names': {'+19195550100': 'Main', '+19842190000': 'ivr', '+19842190001': 'ivr'}, 'changed': True, 'allocated': ['+19195550100'],
      'unmanaged': [], 'plan': [{'action': 'allocate', 'number': '+19195550100'}, {'action': 'order', 'pool': 'ivr', 'quantity': 2}],
      'pools': [IVR_POOL], 'summary': [NUMS % (1, 0, 0, 0, 0), 'pool ivr: 2 of 2, 2 ordered', 'drift: none']}),
    ('entries update only what differs and release what is absent',
     [('+19195550100', dict(name='Main', application_id='a-ivr')), ('+19195550101', dict(name='Old name', application_id='a-ivr')),
      ('+19195550102', dict(name='Fax'))],
     dict(numbers=[{'number': '+19195550100', 'name': 'Main'}, {'number': '+19195550101', 'name': 'New name', 'application_id': 'a-ivr'},
                   {'number': '+19195550102', 'state': 'absent'}, {'number': '+19195550103', 'state': 'absent'}]),
     [APPS, LIST, update('+19195550101'), release('+19195550102'), LIST],
     {'body.2': {'name': 'New name'}, 'allocated': [], 'updated': ['+19195550101'], 'released': ['+19195550102'],
      'unchanged': ['+19195550100', '+19195550103'], 'summary.0': NUMS % (0, 1, 1, 2, 0),
      'plan': [{'action': 'update', 'number': '+19195550101', 'fields': ['name']}, {'action': 'release', 'number': '+19195550102'}]}),
    # +12122260000 is not of the area code, +19842190041 not unlabelled (it has an application)
    ('a pool adopts matching unlabelled numbers before ordering',
     [('+19842190040', {}), ('+12122260000', {}), ('+19842190041', dict(application_id='a-sms'))],
     dict(pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2}]),
     [LIST, update('+19842190040'), order(1, areaCode='984'), update('+19842190000'), listed('ivr'), LIST],
     {'pools.0.adopted': ['+19842190040'], 'pools.0.ordered': ['+19842190000'], 'unmanaged': ['+12122260000', '+19842190041'],
      'plan': [{'action': 'adopt', 'number': '+19842190040', 'pool': 'ivr'}, {'action': 'order', 'pool': 'ivr', 'quantity': 1}],
      'summary.1': 'pool ivr: 2 of 2, 1 ordered, 1 adopted'}),
    ('a pool never adopts a number an entry claims', [('+19842190040', {}), ('+19842190041', {})],
     dict(numbers=[{'number': '+19842190040'}, {'number': '+19842190041', 'state': 'absent'}], pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}]),
     [LIST, release('+19842190041'), order(1, areaCode='984'), update('+19842190000'), listed('ivr'), LIST],
     {'pools.0.adopted': [], 'names': {'+19842190040': None, '+19842190000': 'ivr'}}),
    ('a pool never adopts a number another pool took', [('+19842190040', {})],
     dict(pools=[{'name': 'first', 'area_code': '984', 'quantity': 1}, {'name': 'second', 'state': 'NC', 'quantity': 1}]),
     [LIST, update('+19842190040'), listed('first'), order(1, state='NC'), update('+19195550100'), listed('second'), LIST],
     {'pools.*.adopted': [['+19842190040'], []], 'pools.*.ordered': [[], ['+19195550100']]}),
    # the entry's number carries the pool's name but is the entry's: not in the pool, not drift, no surplus warning
    ('a pool claims numbers carrying its name unless an entry claims them',
     [('+19842190001', dict(name='ivr', application_id='a-sms')), ('+19842190002', dict(name='ivr'))],
     dict(numbers=[{'number': '+19842190002'}], pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}]),
     [APPS, LIST, update('+19842190001'), listed('ivr'), LIST],
     {'body.2': {'applicationId': 'a-ivr'}, 'plan': [{'action': 'update', 'number': '+19842190001', 'pool': 'ivr', 'fields': ['applicationId']}],
      'pools.0.numbers': ['+19842190001'], 'pools.0.size': 1, 'unmanaged': [], 'unchanged': ['+19842190002'], 'warnings': []}),
    ('adopt_unlabelled false orders instead', [('+19842190040', {})],
     dict(pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'adopt_unlabelled': False}]),
     [LIST, order(1, areaCode='984'), update('+19842190000'), listed('ivr'), LIST], {'unmanaged': ['+19842190040']}),
    ('a failed entry is named and the rest still runs', [], dict(numbers=[{'number': '+19195559999'}, {'number': '+19195550100'}]),
     [LIST, ALLOCATE, ALLOCATE, LIST],
     {'error': '+19195559999: Catapult API error: POST /users/%s/phoneNumbers returned HTTP 404 (number-not-found): The number +19195559999 '
               'could not be found' % USER, 'failed_numbers': ['+19195559999'], 'allocated': ['+19195550100'],
      'summary': [NUMS % (1, 0, 0, 0, 1), 'drift: none']}),
    # check mode: previews never collide
    ('check mode previews skip adopted and member numbers', [('+19195550100', dict(name='a')), ('+19195550101', {})],
     dict(check_mode=True, pools=[{'name': 'a', 'state': 'NC', 'quantity': 3}, {'name': 'b', 'area_code': '919', 'quantity': 1}]),
     [LIST, search(1, state='NC'), search(2, areaCode='919')],
     {'pools.*.adopted': [['+19195550101'], []], 'pools.*.ordered': [['+19195550102'], ['+19195550103']],
      'pools.*.numbers': [['+19195550100', '+19195550101', '+19195550102'], ['+19195550103']]}),
    ('check mode reports a search that finds too few', lambda c: c.keep_stock(*['+1800826%04d' % i for i in range(20)]),
     dict(check_mode=True, pools=[{'name': 'hot', 'type': 'toll_free', 'quantity': 25}]), [LIST, search(25, kind='tollFree')],
     {'error': 'pool hot: the pool hot holds 0 of 25 numbers and would need 25 more, but a search for any toll-free number found only 20 available.'}),
    ('check mode diff covers the whole plan', [('+19195550150', dict(name='old'))],
     dict(check_mode=True, diff=True, prune=True, numbers=[{'number': '+19195550100', 'name': 'Main'}],
          pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1}]),
     [LIST, search(2, areaCode='984')],
     {'diff': {'before': {'phone_numbers': [
         {'number': '+19195550100', 'state': 'absent'},
         {'number': '+19195550150', 'state': 'present', 'name': 'old', 'application_id': '', 'fallback_number': ''},
         {'number': '+19842190000', 'state': 'absent'}]},
         'after': {'phone_numbers': [
             {'number': '+19195550100', 'state': 'present', 'name': 'Main', 'application_id': '', 'fallback_number': ''},
             {'number': '+19195550150', 'state': 'absent'},
             {'number': '+19842190000', 'state': 'present', 'name': 'ivr', 'application_id': '', 'fallback_number': ''}]}}}),
    ('a rerun with nothing to change makes two requests and no write', [],
     dict(numbers=[{'number': '+19195550100', 'name': 'Main', 'application_id': 'a-ivr'}, {'number': '+19195550101', 'state': 'absent'}],
          pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 2, 'application_id': 'a-sms'}, {'name': 'hot', 'type': 'toll_free'}], prune=True),
     [APPS, LIST, ALLOCATE, order(2, areaCode='984'), update('+19842190000'), update('+19842190001'), listed('ivr'), order(1, kind='tollFree'),
      update('+18008260000'), listed('hot'), LIST],
     {'rerun': [APPS, LIST], 'again.summary': [NUMS % (0, 0, 0, 2, 0), 'pool ivr: 2 of 2', 'pool hot: 1 of 1', 'drift: none',
                                               'check mode: nothing was written']}),
    ('a rerun without applications makes one request', [],
     dict(numbers=[{'number': '+19195550100', 'name': 'Main'}], pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2}]),
     [LIST, ALLOCATE, order(2, state='NC'), update('+19195550101'), update('+19195550102'), listed('ivr'), LIST], {'rerun': [LIST]}),
    # prune: exactly the unclaimed numbers and the surplus, under guards
    ('without prune drift is reported and nothing is released', DRIFT, DRIFT_STATE, [LIST],
     {'changed': False, 'unmanaged': ALL_DRIFT[:2], 'released': [], 'plan': [], 'pools.0.surplus': 2, 'pools.0.released': [],
      'summary': [NUMS % (0, 0, 0, 1, 0), 'pool ivr: 3 of 1, 2 surplus kept (prune releases it)',
                  'drift: 2 numbers on the account that nothing claims (kept; prune releases them): +12122260000, +12122260001']}),
    ('prune releases exactly the unclaimed numbers and the newest surplus', DRIFT, dict(DRIFT_STATE, prune=True),
     [LIST] + [release(n) for n in ALL_DRIFT] + [LIST],
     {'names': {'+19195550100': 'Main', '+19842190000': 'ivr'}, 'released': ALL_DRIFT, 'unmanaged': [], 'plan': PRUNED,
      'pools.0.numbers': ['+19842190000'], 'pools.0.released': ALL_DRIFT[2:],
      'summary': [NUMS % (0, 0, 0, 1, 0), 'pool ivr: 1 of 1, 2 released (surplus)', 'prune: 4 released: ' + ', '.join(ALL_DRIFT)]}),
    ('prune in check mode shows exactly what would go', DRIFT, dict(DRIFT_STATE, prune=True, check_mode=True), [LIST],
     {'changed': True, 'released': ALL_DRIFT, 'unmanaged': [], 'pools.0.numbers': ['+19842190000'], 'plan': PRUNED, 'names': DRIFT_NAMES,
      'summary': [NUMS % (0, 0, 0, 1, 0), 'pool ivr: 1 of 1, 2 would be released (surplus)', 'prune: 4 would be released: ' + ', '.join(ALL_DRIFT),
                  'check mode: nothing was written']}),
] + both('the guard refuses before any write and says how to raise the limit', DRIFT,
         dict(prune=True, prune_limit=3, numbers=DRIFT_STATE['numbers'] + [{'number': '+19195550101'}], pools=DRIFT_STATE['pools']), [LIST],
         {'error': GUARD, 'changed': False, 'released': [], 'allocated': [], 'unmanaged': ALL_DRIFT[:2], 'plan.*.action': ['prune'] * 4,
          'summary.0': NUMS % (0, 0, 0, 0, 0), 'names': DRIFT_NAMES}) + [
    ('the diff of a refused prune releases nothing', DRIFT, dict(DRIFT_STATE, check_mode=True, diff=True, prune=True, prune_limit=3), [LIST],
     {'error': GUARD, 'diff.after.phone_numbers.*.state': ['present'] * 3}),
    # ivr0 is the entry's (absent): the pool holds ivr1 and ivr2, one of them surplus (ivr1, the newest)
    ('the guard counts only prune releases and allows the limit', DRIFT,
     dict(prune=True, prune_limit=4, numbers=DRIFT_STATE['numbers'] + [{'number': '+19842190000', 'state': 'absent'}], pools=DRIFT_STATE['pools']),
     [LIST] + [release(n) for n in ('+19842190000', '+12122260000', '+12122260001', '+19842190001')] + [LIST],
     {'released': ['+19842190000', '+12122260000', '+12122260001', '+19842190001']}),
    ('prune_limit 0 allows a run with nothing to release', [('+19195550100', dict(name='Main'))],
     dict(prune=True, prune_limit=0, numbers=[{'number': '+19195550100', 'name': 'Main'}]), [LIST],
     {'changed': False, 'summary': [NUMS % (0, 0, 0, 1, 0), 'drift: none']}),
    # ivr1 (the newest) is protected: the surplus is the newest two of the others, ivr2 and ivr0
    ('protected numbers are kept by name and by number', DRIFT, dict(DRIFT_STATE, prune=True, prune_protect=['old', '+1 984 219 0001']),
     [LIST, release('+12122260001'), release('+19842190002'), release('+19842190000'), LIST],
     {'names': {'+12122260000': 'old', '+19195550100': 'Main', '+19842190001': 'ivr'}, 'unmanaged': ['+12122260000'],
      'pools.0.numbers': ['+19842190001']}),
    ('a protected surplus is kept and said so', DRIFT, dict(DRIFT_STATE, prune=True, prune_protect=['ivr', 'old', '+12122260001']), [LIST],
     {'changed': False, 'pools.0.surplus': 2, 'summary.1': 'pool ivr: 3 of 1, 2 surplus kept (protected by prune_protect)',
      'unmanaged': ALL_DRIFT[:2]}),
    ('prune with a changed pool label does not relabel the surplus', DRIFT,
     dict(prune=True, numbers=DRIFT_STATE['numbers'], pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}]),
     [APPS, LIST] + [release(n) for n in ALL_DRIFT] + [update('+19842190000'), listed('ivr'), LIST],
     {'plan': [{'action': 'update', 'number': '+19842190000', 'pool': 'ivr', 'fields': ['applicationId']}] + PRUNED,
      'pools.0.surplus': 0, 'names': {'+19195550100': 'Main', '+19842190000': 'ivr'}}),
    # applications by ID: one listing, before any write
] + both('an unknown application fails before any write with one listing', [('+19195550150', dict(name='old'))],
         dict(numbers=[{'number': '+19195550100', 'application_id': 'a-nope'}, {'number': '+19195550101', 'application_id': 'a-ivr'},
                       {'number': '+19195550102', 'application_id': 'a-nope'}],
              pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2, 'application_id': 'a-gone'}], prune=True), [APPS],
         {'error': 'application_id a-nope, a-gone do not exist on account %s (GET /users/%s/applications lists the account\'s applications); '
                   'nothing was written' % (USER, USER), 'changed': False, 'names': {'+19195550150': 'old'}}) + [
    ('a default application is checked once for entries and pools', [],
     dict(numbers=[{'number': '+19195550100'}], pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 1}], default_application_id='a-nope'),
     [APPS], {'error': 'application_id a-nope ' + NO_APP + '; nothing was written'}),
    ('an application only absent entries name is not checked', [('+19195550100', dict(name='old', application_id='a-old'))],
     dict(numbers=[{'number': '+19195550100', 'state': 'absent', 'application_id': 'a-nope'}], default_application_id='a-nope'),
     [LIST, release('+19195550100'), LIST], {'released': ['+19195550100']}),
    ('no application named means no listing', [], dict(numbers=[{'number': '+19195550100'}]), [LIST, ALLOCATE, LIST], {'allocated': ['+19195550100']}),
    # applications by name, and applications as part of the desired state
] + both('an unknown name fails before anything is bought', lambda c: c.add_application('Support IVR'),
         dict(prune=True, numbers=[{'number': '+19195550100', 'application': 'Support ivr'}],
              pools=[{'name': 'ivr', 'state': 'NC', 'application': 'Nope'}, {'name': 'b', 'state': 'NC'}], default_application='Nope'), [APPS],
         {'error': '; '.join([UNKNOWN_NAME % ('Support ivr', 'numbers[0].application'),
                              UNKNOWN_NAME % ('Nope', 'pools[0] (ivr).application, default_application'), 'nothing was written']),
          'changed': False, 'names': {}}) + [
    ('ids, names and listed applications share one listing',
     lambda c: (c.add_application('Support IVR', incomingCallUrl=CALLS), c.add('+19195550100', application_id='a-sms')),
     dict(applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS}],
          pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}],
          numbers=[{'number': '+19195550100', 'application_id': 'a-sms'}, {'number': '+19195550101', 'application': 'Support IVR'}]),
     [APPS, LIST, ALLOCATE, order(1, areaCode='984'), update('+19842190000'), listed('ivr'), LIST],
     {'applications': [{'name': 'Support IVR', 'id': 'a-003', 'action': 'none'}]}),
    ('a failed application write stops the run before any number',
     lambda c: c.fault('status', '/applications$', 'POST', status=400, code='invalid-application', message='The incoming call URL is not reachable'),
     APP_STATE, [APPS, LIST, CREATE_APP],
     {'error': 'applications[0] (Support IVR): Catapult API error: POST /users/%s/applications returned HTTP 400 (invalid-application): The '
               'incoming call URL is not reachable; nothing else was written (no number or pool was touched)' % USER,
      'applications.0.failed': True, 'names': {}}),
    ('the applications listing follows every page', lambda c: c.set_applications(['a-%04d' % i for i in range(1500)]),
     dict(numbers=[{'number': '+19195550100', 'application_id': 'a-1499'}]),
     [APPS, ('GET', '/users/%s/applications?page=1&size=1000' % USER), LIST, ALLOCATE, LIST], {'app_ids': {'+19195550100': 'a-1499'}}),
    ('concurrency reaches every entry', [], dict(numbers=[{'number': '+1919555%04d' % i, 'name': 'n'} for i in range(100, 140)], concurrency=8),
     [LIST] + [ALLOCATE] * 40 + [LIST], {'allocated': ['+1919555%04d' % i for i in range(100, 140)]}),
    # names resolve to IDs with one listing before any write; in check mode the search asks for one more (the entry
    # to allocate may be among what it finds)
    ('names resolve to ids with one listing before any write real', NAMED_APPS, NAMED_STATE,
     [APPS, LIST, ALLOCATE, update('+19195550101'), order(1, areaCode='984'), update('+19842190000'), listed('ivr'), LIST],
     {'body.2': {'number': '+19195550100', 'name': 'Main', 'applicationId': 'a-003'}, 'body.3': {'applicationId': 'a-004'},
      'body.5': {'name': 'ivr', 'applicationId': 'a-003'}, 'app_ids': {'+19195550100': 'a-003', '+19195550101': 'a-004', '+19842190000': 'a-003'},
      'plan': NAMED_PLAN + [dict(NAMED_ORDER)], 'applications': [], 'unmanaged_applications': [],
      'summary.0': NUMS % (1, 1, 0, 0, 0)}),
    ('names resolve to ids with one listing before any write check', NAMED_APPS, dict(NAMED_STATE, check_mode=True),
     [APPS, LIST, search(2, areaCode='984')],
     {'plan': NAMED_PLAN + [dict(NAMED_ORDER, numbers=['+19842190000'])], 'applications': [],
      'unmanaged_applications': [], 'summary.0': NUMS % (1, 1, 0, 0, 0), 'app_ids': {'+19195550101': 'a-003'}}),
    ("an item's own application wins over either default", NAMED_APPS[:-1],
     dict(numbers=[{'number': '+19195550100', 'application_id': 'a-sms'}, {'number': '+19195550101', 'application': 'Sales'},
                   {'number': '+19195550102'}, {'number': '+19195550103', 'application_id': ''}],
          pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}], default_application='Support IVR'),
     [APPS, LIST] + [ALLOCATE] * 4 + [order(1, areaCode='984'), update('+19842190000'), listed('ivr'), LIST],
     {'app_ids': {'+19195550100': 'a-sms', '+19195550101': 'a-004', '+19195550102': 'a-003', '+19195550103': None, '+19842190000': 'a-ivr'}}),
    ("an item's application by name wins over a default id", [NAMED_APPS[0], ('+19195550100', dict(application_id='a-sms'))],
     dict(numbers=[{'number': '+19195550100', 'application': 'Support IVR'}], default_application_id='a-sms'),
     [APPS, LIST, update('+19195550100'), LIST], {'app_ids': {'+19195550100': 'a-003'}}),
    ('a name on several applications fails listing their ids', NAMED_APPS[1:2] * 2, dict(numbers=[{'number': '+19195550100', 'application': 'Sales'}]),
     [APPS], {'error': "numbers[0].application: application name 'Sales' matches 2 applications on account %s (a-003, a-004), so it does not "
                       'say which one is meant; use application_id to choose one, or rename or delete the others; nothing was written' % USER}),
    ('a name on several applications fails to be listed in applications', NAMED_APPS[1:2] * 2,
     dict(applications=[{'name': 'Sales', 'incoming_call_url': CALLS}]), [APPS],
     {'error': "applications[0]: application name 'Sales' matches 2 applications on account %s (a-003, a-004), so it does not say which one is "
               'meant; rename or delete all but one with bandwidth.catapult.catapult_application (it takes id); nothing was written' % USER}),
    ('an application is updated only where it differs',
     lambda c: (c.add_application('Support IVR', incomingCallUrl=CALLS, callbackHttpMethod='post'), c.add_application('Sales', incomingMessageUrl=SMS)),
     dict(applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS, 'callback_http_method': 'get', 'incoming_call_url_callback_timeout': 10000},
                        {'name': 'Sales', 'incoming_message_url': SMS, 'auto_answer': True}]),
     [APPS, LIST, app_call('a-003', 'POST')],
     {'body.2': {'callbackHttpMethod': 'get'}, 'apps.a-003.callbackHttpMethod': 'get',
      'summary.0': 'applications: 0 created, 1 updated, 0 deleted, 1 unchanged',
      'applications': [{'name': 'Support IVR', 'id': 'a-003', 'action': 'update'}, {'name': 'Sales', 'id': 'a-004', 'action': 'none'}],
      'plan': [{'action': 'update_application', 'application': 'Support IVR', 'id': 'a-003', 'fields': ['callback_http_method']}]}),
    # the numbers first (the entry moves Main off Kept, prune releases the stray off Legacy), the account read again,
    # then the applications that nothing points at any more; Busy stays (a number the state keeps points at it)
    ('prune deletes unlisted applications no number points at after the plan', seed_applications, dict(PRUNE_APPS, prune=True),
     [APPS, LIST, update('+19195550100'), release('+12122260000'), LIST] + [app_call(app_id, 'DELETE') for app_id in ('a-002', 'a-003', 'a-004')],
     {'apps.*.name': ['Support IVR', 'Busy'], 'unmanaged_applications': [{'name': 'Busy', 'id': 'a-005'}], 'rerun': [APPS, LIST],
      'applications': [{'name': 'Support IVR', 'id': 'a-001', 'action': 'none'}] + [
          {'name': name, 'id': app_id, 'action': 'prune'} for name, app_id in (('Old', 'a-002'), ('Legacy', 'a-003'), ('Kept', 'a-004'))],
      'plan': [{'action': 'update', 'number': '+19195550100', 'fields': ['application_id'], 'application': 'Support IVR', 'application_id': 'a-001'},
               {'action': 'prune', 'number': '+12122260000', 'reason': 'claimed by no entry or pool'}] + [
          {'action': 'prune_application', 'application': name, 'id': app_id, 'reason': 'not in applications; no number points at it after the plan'}
          for name, app_id in (('Old', 'a-002'), ('Legacy', 'a-003'), ('Kept', 'a-004'))],
      'summary': ['applications: 0 created, 0 updated, 0 deleted, 1 unchanged', NUMS % (0, 1, 0, 1, 0), 'prune: 1 released: +12122260000',
                  'prune: 3 applications deleted: Old (a-002), Legacy (a-003), Kept (a-004)',
                  'applications drift: 1 application on the account that applications does not list (kept: numbers point at them '
                  'or prune_protect protects them): Busy (a-005)']}),
    ('an absent application is deleted after the numbers left it',
     [lambda c: c.add_application('Old IVR'), lambda c: c.add_application('Support IVR', incomingCallUrl=CALLS),
      ('+19195550100', dict(name='Main', application_id='a-003'))],
     dict(applications=[{'name': 'Old IVR', 'state': 'absent'}, {'name': 'Support IVR', 'incoming_call_url': CALLS}],
          numbers=[{'number': '+19195550100', 'name': 'Main', 'application': 'Support IVR'}]),
     [APPS, LIST, update('+19195550100'), LIST, app_call('a-003', 'DELETE')],
     {'applications': [{'name': 'Old IVR', 'id': 'a-003', 'action': 'delete'}, {'name': 'Support IVR', 'id': 'a-004', 'action': 'none'}],
      'plan.-1': {'action': 'delete_application', 'application': 'Old IVR', 'id': 'a-003'}, 'rerun': [APPS, LIST],
      'summary.0': 'applications: 0 created, 0 updated, 1 deleted, 1 unchanged'}),
    # prune deletes the applications the state does not list, when no number points at them
    ('prune of applications in check mode shows exactly what would go', seed_applications, dict(PRUNE_APPS, check_mode=True, diff=True, prune=True),
     [APPS, LIST], {'applications.*.action': ['none', 'prune', 'prune', 'prune'], 'apps.*.name': SEEDED_APPS,
                    'diff.after.applications.*.state': ['present'] + ['absent'] * 3,
                    'summary.3': 'prune: 3 applications would be deleted: Old (a-002), Legacy (a-003), Kept (a-004)'}),
] + both('the guard counts application deletions and lists them', seed_applications, dict(PRUNE_APPS, prune=True, prune_limit=3), [APPS, LIST],
         {'error': APP_GUARD, 'plan.*.action': ['prune'] + ['prune_application'] * 3,
          'summary.2': 'prune: refused: 1 releases and 3 application deletions exceed prune_limit (3); nothing was released or deleted',
          'changed': False, 'apps.*.name': SEEDED_APPS, 'names': SEEDED_NAMES}) + [
    ('prune_protect keeps applications by name', seed_applications, dict(PRUNE_APPS, prune=True, prune_protect=['Old', 'stray']),
     [APPS, LIST, update('+19195550100'), LIST, app_call('a-004', 'DELETE')],
     {'apps.*.name': ['Support IVR', 'Old', 'Legacy', 'Busy'], 'unmanaged_applications.*.name': ['Old', 'Legacy', 'Busy']}),
] + both('an absent application still in use is refused before any write',
         lambda c: (c.add_application('Old IVR'), c.add('+19195550100', name='Main', application_id='a-003'),
                    c.add('+19195550101', name='Fax', application_id='a-003')),
         dict(applications=[{'name': 'Old IVR', 'state': 'absent'}],
              numbers=[{'number': '+19195550101', 'state': 'absent'}, {'number': '+19195550102', 'name': 'New'}]), [APPS, LIST],
         {'error': "applications[0] (Old IVR) is state absent, but after this plan 1 number still point at application a-003 (Old IVR): "
                   '+19195550100; point it at another application first (numbers or pools), or keep the application; nothing was written'}) + [
    # Kept was to be deleted once Main left it; Main did not move, so Kept stays and the run says why
    ('an application a number points at after a failed move is not deleted', fail_update('+19195550100'), dict(PRUNE_APPS, prune=True),
     [APPS, LIST, update('+19195550100'), release('+12122260000'), LIST, app_call('a-002', 'DELETE'), app_call('a-003', 'DELETE')],
     {'error': '+19195550100: Catapult API error: POST /users/%s/phoneNumbers/+19195550100 returned HTTP 400 (invalid-number): no; '
               'application a-004 (Kept) was not deleted: 1 number still point at it after the run (+19195550100)' % USER,
      'apps.*.name': ['Support IVR', 'Kept', 'Busy']}),
]


@pytest.mark.parametrize('seed, options, sequence, expected', [p[1:] for p in PLANS], ids=[p[0] for p in PLANS])
def test_a_run_sends_exactly_its_requests_and_reports_them(client, catapult, requests_mock, seed, options, sequence, expected):
    for step in [seed] if callable(seed) else seed:
        if callable(step):
            step(catapult)
        else:
            catapult.add(step[0], **step[1])
    state_options = dict((k, v) for k, v in options.items() if k not in ('check_mode', 'diff'))
    account = AccountRun(client, state(**state_options), check_mode=options.get('check_mode', False), diff=options.get('diff', False))
    try:
        result, error = account.run(), None
    except AccountError as exc:
        result, error = exc.result, str(exc)
    assert [(method, numbered(catapult, path)) for method, path in calls(requests_mock)] == sequence
    assert (numbered(catapult, error) if error else None) == expected.get('error')
    observed = dict(result, names=catapult.names(), app_ids=dict((n['number'], n.get('applicationId')) for n in catapult.numbers()),
                    apps=catapult.apps(), warnings=account.warnings, body=[r.json() if r.body else None for r in requests_mock.request_history])
    if 'rerun' in expected:
        observed['again'] = converged(client, requests_mock, expected['rerun'], **state_options)
    for key, value in expected.items():
        if key not in ('error', 'rerun'):
            assert at(observed, key.split('.')) == value, key


def at(value, path):
    """The value at ``path`` ('*' maps the rest of the path over a list)."""
    if not path:
        return value
    if path[0] == '*':
        return [at(item, path[1:]) for item in (value.values() if isinstance(value, dict) else value)]
    return at(value[int(path[0]) if path[0].lstrip('-').isdigit() else path[0]], path[1:])


# -- 3. runs that take more than one look ---------------------------------------------------------------

def test_check_mode_previews_never_collide_and_the_real_run_orders_them(client, catapult, requests_mock):
    desired = dict(numbers=[{'number': '+19195550101', 'name': 'Main'}],
                   pools=[{'name': 'a', 'state': 'NC', 'quantity': 3}, {'name': 'b', 'area_code': '919', 'quantity': 2}])
    preview = run(client, check_mode=True, **desired)
    assert calls(requests_mock) == [LIST, search(4, state='NC'), search(6, areaCode='919')]
    assert catapult.numbers() == []
    previews = [p['ordered'] for p in preview['pools']]
    assert previews == [['+19195550100', '+19195550102', '+19195550103'], ['+19195550104', '+19195550105']]
    assert preview['plan'] == [{'action': 'allocate', 'number': '+19195550101'}, {'action': 'order', 'pool': 'a', 'quantity': 3, 'numbers': previews[0]},
                               {'action': 'order', 'pool': 'b', 'quantity': 2, 'numbers': previews[1]}]
    assert preview['changed'] is True and preview['check_mode'] is True
    assert preview['summary'] == [NUMS % (1, 0, 0, 0, 0), 'pool a: 3 of 3, 3 would be ordered', 'pool b: 2 of 2, 2 would be ordered',
                                  'drift: none', 'check mode: nothing was written']
    real = run(client, **desired)
    assert [p['ordered'] for p in real['pools']] == previews
    assert catapult.names() == dict([('+19195550101', 'Main')] + [(n, 'a') for n in previews[0]] + [(n, 'b') for n in previews[1]])


def test_a_pool_shrinks_only_with_prune(client, catapult, requests_mock):
    run(client, pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 3, 'application_id': 'a-ivr'}])
    smaller = dict(pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application_id': 'a-ivr'}])
    kept = converged(client, requests_mock, [APPS, LIST], **smaller)
    assert len(catapult.numbers()) == 3 and kept['pools'][0]['surplus'] == 2
    requests_mock.reset_mock()
    shrunk = run(client, prune=True, **smaller)
    assert calls(requests_mock) == [APPS, LIST] + [release(n['id']) for n in catapult.released()[::-1]] + [LIST]
    assert (shrunk['pools'][0]['numbers'], shrunk['pools'][0]['surplus']) == (['+19842190000'], 0)
    assert [n['number'] for n in catapult.numbers()] == ['+19842190000']


@pytest.mark.parametrize('by_name', [False, True], ids=['application ids', 'applications'])
def test_a_rerun_of_a_large_account_reads_one_page_per_thousand_numbers(client, catapult, requests_mock, by_name):
    if by_name:  # prune=True: no other application may be on the account, or prune deletes it
        catapult.set_applications([])
    app = catapult.add_application('Support IVR', incomingCallUrl=CALLS)['id'] if by_name else 'a-ivr'
    label = {'application': 'Support IVR'} if by_name else {'application_id': 'a-ivr'}
    entries = [dict(label, number='+1919600%04d' % i, name='n%d' % i) for i in range(1100)]
    for entry in entries:
        catapult.add(entry['number'], name=entry['name'], application_id=app)
    for i in range(20):
        catapult.add('+1984219%04d' % i, name='ivr', application_id=app)
    desired = dict(numbers=entries, pools=[dict(label, name='ivr', area_code='984', quantity=20)], concurrency=16, prune=by_name,
                   applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS}] if by_name else None)
    # ceil((N + P*S) / 1000) + 1 = ceil(1120 / 1000) + 1 = 3: the applications and two pages of numbers
    assert len(converged(client, requests_mock, [APPS, LIST, page(1)], **desired)['unchanged']) == 1100


def test_nothing_is_sent_once_the_controller_is_gone(catapult, requests_mock, no_sleep):
    client = CatapultClient(USER, TOKEN, SECRET, API, retries=2, sleep=no_sleep.append,
                            controller_gone=lambda: 'the Ansible controller that started this task is gone')
    catapult.add('+12122260000', name='old')
    exc = refused(client, numbers=[{'number': '+19195550100'}, {'number': '+19195550101'}],
                  pools=[{'name': 'ivr', 'state': 'NC', 'quantity': 2}], prune=True, concurrency=4)
    assert calls(requests_mock) == [LIST]
    assert 'controller that started this task is gone' in str(exc)
    assert exc.result['allocated'] == []


def test_applications_are_created_first_then_the_numbers_point_at_them(client, catapult, requests_mock):
    result = run(client, applications=[{'name': 'Support IVR', 'incoming_call_url': CALLS, 'auto_answer': False},
                                       {'name': 'Sales', 'incomingMessageUrl': SMS}],
                 numbers=[{'number': '+19195550100', 'name': 'Main', 'application': 'Sales'}],
                 pools=[{'name': 'ivr', 'area_code': '984', 'quantity': 1, 'application': 'Support IVR'}])
    ivr, sales = catapult.applications_named('Support IVR')[0], catapult.applications_named('Sales')[0]
    new = catapult.by_number('+19842190000')
    assert calls(requests_mock) == [APPS, LIST, CREATE_APP, app_call(ivr['id']), CREATE_APP, app_call(sales['id']),
                                    ALLOCATE, order(1, areaCode='984'), update(new['id']), listed('ivr'), LIST]
    assert [requests_mock.request_history[i].json() for i in (2, 4, 6, 8)] == [
        {'name': 'Support IVR', 'incomingCallUrl': CALLS, 'autoAnswer': False}, {'name': 'Sales', 'incomingMessageUrl': SMS},
        {'number': '+19195550100', 'name': 'Main', 'applicationId': sales['id']}, {'name': 'ivr', 'applicationId': ivr['id']}]
    assert result['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'create'}, {'name': 'Sales', 'id': sales['id'], 'action': 'create'}]
    assert result['plan'] == [{'action': 'create_application', 'application': 'Support IVR'}, {'action': 'create_application', 'application': 'Sales'},
                              {'action': 'allocate', 'number': '+19195550100', 'application': 'Sales', 'application_id': sales['id']},
                              {'action': 'order', 'pool': 'ivr', 'quantity': 1, 'application': 'Support IVR', 'application_id': ivr['id']}]
    assert result['summary'][0] == 'applications: 2 created, 0 updated, 0 deleted, 0 unchanged'
    assert result['changed'] is True


def test_check_mode_predicts_the_id_of_an_application_it_would_create(client, catapult, requests_mock):
    ivr = catapult.add_application('Support IVR', incomingCallUrl=CALLS)
    moved = catapult.add('+19195550101', name='Sales line', application_id=ivr['id'])
    member = catapult.add('+19842190005', name='sales', application_id=ivr['id'])
    result = run(client, check_mode=True, diff=True, **APP_STATE)
    assert calls(requests_mock) == [APPS, LIST, search(2, areaCode='984')]
    coming = predicted_id('Sales')
    assert coming == '(id of the application Sales, created by this task)'
    assert result['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'none'}, {'name': 'Sales', 'id': None, 'action': 'create'}]
    sales = dict(application='Sales', application_id=coming)
    assert result['plan'] == [
        {'action': 'create_application', 'application': 'Sales'},
        {'action': 'allocate', 'number': '+19195550100', 'application': 'Support IVR', 'application_id': ivr['id']},
        dict(sales, action='update', number=moved['number'], fields=['application_id']),
        dict(sales, action='order', pool='sales', quantity=1, numbers=['+19842190000']),
        dict(sales, action='update', number=member['number'], pool='sales', fields=['applicationId'])]
    after = dict((view['number'], view) for view in result['diff']['after']['phone_numbers'])
    assert after[moved['number']]['application_id'] == after['+19842190000']['application_id'] == coming
    assert [view['state'] for view in result['diff']['before']['applications']] == ['present', 'absent']
    assert result['diff']['after']['applications'][1]['incoming_message_url'] == SMS
    assert result['summary'][0] == 'applications: 1 created, 0 updated, 0 deleted, 1 unchanged'
    assert result['summary'][-1] == 'check mode: nothing was written'
    assert len(catapult.apps()) == 3 and catapult.applications_named('Sales') == []
    # the real run does what check mode said, with the ID the application gets
    requests_mock.reset_mock()
    real = run(client, **APP_STATE)
    sales = catapult.applications_named('Sales')[0]
    assert [(s['action'], s.get('application_id')) for s in real['plan']] == [
        ('create_application', None), ('allocate', ivr['id']), ('update', sales['id']), ('order', sales['id']), ('update', sales['id'])]
    assert [n.get('applicationId') for n in catapult.numbers()] == [sales['id'], sales['id'], ivr['id'], sales['id']]
    again = converged(client, requests_mock, [APPS, LIST], **APP_STATE)
    assert again['applications'] == [{'name': 'Support IVR', 'id': ivr['id'], 'action': 'none'}, {'name': 'Sales', 'id': sales['id'], 'action': 'none'}]


def slow_create(catapult):
    """The create times out; the server applies it only by the listing after the next one (still working on it)."""
    held = []

    def matcher(request):
        if request.method == 'POST' and request.path.endswith('/applications') and not held:
            held.append(request)
            raise requests.exceptions.ReadTimeout('read timed out')
        if request.method == 'GET' and request.path.endswith('/applications') and held:
            held.append(request)
            if len(held) == 3:
                catapult.answer(held[0])
        return None

    return matcher


@pytest.mark.parametrize('fault', ['status_after', 'timeout'])
def test_a_lost_create_answer_is_read_back_by_name_never_created_twice(client, catapult, requests_mock, fault):
    if fault == 'status_after':
        catapult.fault('status_after', '/applications$', 'POST', status=502)
    else:
        intercept(requests_mock, slow_create(catapult))
    result = run(client, applications=[{'name': 'Sales', 'incoming_message_url': SMS}], numbers=[{'number': '+19195550100', 'application': 'Sales'}])
    sales = catapult.applications_named('Sales')
    assert len(sales) == 1
    # after a timeout the listing is read again until the application shows (the server was still working on it)
    assert calls(requests_mock) == [APPS, LIST, CREATE_APP] + [APPS] * (1 if fault == 'status_after' else 2) + [ALLOCATE, LIST]
    assert catapult.by_number('+19195550100')['applicationId'] == sales[0]['id']
    assert result['applications'] == [{'name': 'Sales', 'id': sales[0]['id'], 'action': 'create'}]


@pytest.mark.parametrize('applications', [None, []])
def test_a_state_without_applications_never_deletes_applications(client, catapult, requests_mock, applications):
    seed_applications(catapult)
    for check_mode in (True, False):
        result = run(client, check_mode=check_mode, prune=True, applications=applications,
                     numbers=[{'number': '+19195550100', 'name': 'Main', 'application_id': 'a-001'}, {'number': '+19195550101', 'name': 'Busy line'}])
        assert [s['action'] for s in result['plan'] if 'application' in s['action']] == []
        assert result['applications'] == [] and result['unmanaged_applications'] == []
    assert [c for c in calls(requests_mock) if '/applications/' in c[1]] == []
    assert len(catapult.apps()) == 5
