# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Randomized property tests (hypothesis) of the validators and the reconcile logic; deterministic for CI
(derandomize=True, no example database, no deadline).

Validators: every invalid input fails with a message naming the option, and no request is sent; every valid
input is accepted (and normalised). The oracles are written from the documentation, not from the code under test.
Reconcile logic: one converge brings any number to the desired state (what the emulator, the server's documented
behaviour, holds afterwards; fields left out are left alone), a second one changes nothing and sends no write,
and check mode predicts exactly what a real run does.
"""

from __future__ import annotations

import copy
import re

import pytest

from hypothesis import HealthCheck, assume, given, settings, strategies as st
from requests_mock import Mocker

from ansible_collections.bandwidth.catapult.plugins.module_utils import _numbers as numbers
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultClient
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_number
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_numbers
from ansible_collections.bandwidth.catapult.tests.unit.plugins.emulated import Catapult
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, NUMBERS, SECRET, TOKEN, USER

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --------------------------------------------------------------------------- oracles (from the docs)

# "E.164: a leading + and 7 to 15 digits; spaces, dots, dashes and parentheses are ignored"
IGNORED = ' .-()'


def oracle_e164(value):
    """The normalised E.164 number, or None when the documentation says it is invalid."""
    compact = ''.join(char for char in value if char not in IGNORED and not char.isspace())
    return compact if re.fullmatch(r'\+[1-9][0-9]{6,14}', compact, flags=re.ASCII) else None


# --------------------------------------------------------------------------- strategies

PUNCT = st.sampled_from(['', ' ', '-', '.', '(', ')', '  ', '\t'])


@st.composite
def punctuated(draw, digits):
    """``digits`` with random allowed punctuation between characters."""
    out = []
    for char in digits:
        out.append(draw(PUNCT) if draw(st.booleans()) else '')
        out.append(char)
    out.append(draw(PUNCT))
    return ''.join(out)


@st.composite
def valid_numbers(draw):
    digits = str(draw(st.integers(1, 9))) + draw(st.text('0123456789', min_size=6, max_size=14))
    return '+' + draw(punctuated(digits))


@st.composite
def near_misses(draw):
    """Almost E.164: wrong length, leading 0, no +, a letter, a foreign digit, a bad separator."""
    kind = draw(st.sampled_from(['short', 'long', 'zero', 'noplus', 'letter', 'unicode', 'separator', 'doubleplus']))
    body = str(draw(st.integers(1, 9))) + draw(st.text('0123456789', min_size=6, max_size=14))
    if kind == 'noplus':
        return draw(punctuated(body))
    if kind == 'doubleplus':
        return '++' + body
    if kind == 'short':
        body = body[:draw(st.integers(0, 6))]
    elif kind == 'long':
        body += draw(st.text('0123456789', min_size=16 - len(body), max_size=20))
    elif kind == 'zero':
        body = '0' + body[1:]
    else:  # a letter inserted, a foreign digit in place of one, a bad separator inserted
        first, last, chars, drop = {'letter': (0, len(body), 'abcxyzABC#*,/_', 0), 'unicode': (0, len(body) - 1, '\u0663\u0967\uff11\u00b9', 1),
                                    'separator': (1, len(body) - 1, ['/', '_', ',', ':', '+', '\u2013'], 0)}[kind]
        spot = draw(st.integers(first, last))
        body = body[:spot] + draw(st.sampled_from(chars)) + body[spot + drop:]
    return '+' + draw(punctuated(body))


ANY_TEXT = st.text(max_size=25)
INVALID_NUMBERS = st.one_of(near_misses(), ANY_TEXT.filter(lambda value: oracle_e164(value) is None))


# --------------------------------------------------------------------------- validators

@pytest.mark.parametrize('option', ['number', 'fallback_number'])
@SETTINGS
@given(value=INVALID_NUMBERS)
def test_an_invalid_number_fails_naming_the_option_before_any_request(run_module, option, value):
    assume(oracle_e164(value) is None and (option == 'number' or value != ''))  # an empty fallback_number removes it
    with Mocker() as mocker:
        result, failed = run_module(catapult_phone_number, {'number': value, 'name': 'x'} if option == 'number' else
                                    {'number': '+19195550100', 'fallback_number': value})
        assert mocker.call_count == 0
    assert failed
    assert result['msg'].startswith('%s must be an E.164 phone number' % option), result['msg']
    assert repr(value) in result['msg']


@SETTINGS
@given(value=valid_numbers(), name=st.text(min_size=1, max_size=10))
def test_valid_number_is_normalised_and_read_once(run_module, value, name):
    expected = oracle_e164(value)
    assert expected is not None
    with Mocker() as mocker:
        mocker.get(NUMBERS + '/' + expected.replace('+', '%2B'), json={
            'id': 'n-1', 'number': expected, 'name': name, 'numberState': 'enabled'})
        result, failed = run_module(catapult_phone_number, {'number': value, 'name': name})
        sent = [(r.method, r.path) for r in mocker.request_history]
    assert not failed, result
    assert not result['changed']
    assert result['phone_number']['number'] == expected
    assert len(sent) == 1 and sent[0][0] == 'GET'


@SETTINGS
@given(fallback=st.one_of(valid_numbers(), st.just('')))
def test_valid_fallback_number_is_accepted_and_normalised(run_module, fallback):
    expected = oracle_e164(fallback) if fallback else ''
    with Mocker() as mocker:
        mocker.get(NUMBERS + '/%2B19195550100', status_code=404, json={'code': 'number-not-found', 'message': 'no'})
        result, failed = run_module(catapult_phone_number, {'number': '+19195550100', 'fallback_number': fallback},
                                    check_mode=True)
        writes = [r for r in mocker.request_history if r.method != 'GET']
    assert not failed, result
    assert result['changed'] and writes == []
    assert (result['phone_number']['fallback_number'] or '') == expected


ENTRY_NUMBER = st.one_of(valid_numbers(), INVALID_NUMBERS)


@SETTINGS
@given(entries=st.lists(ENTRY_NUMBER, min_size=1, max_size=8))
def test_bulk_entries_are_all_validated_before_any_request(run_module, entries):
    normalised = [oracle_e164(value) for value in entries]
    invalid = [index for index, value in enumerate(normalised) if value is None]
    first, repeats = {}, []
    for index, value in enumerate(normalised):
        if value is not None and first.setdefault(value, index) != index:
            repeats.append((index, first[value]))
    args = {'numbers': [{'number': value, 'name': 'n%d' % index} for index, value in enumerate(entries)]}
    with Mocker() as mocker:
        mocker.get(NUMBERS, json=[])
        result, failed = run_module(catapult_phone_numbers, args, check_mode=True)
        sent = mocker.call_count
    if invalid or repeats:
        assert failed
        assert sent == 0
        for index in invalid:
            assert 'numbers[%d].number must be an E.164 phone number' % index in result['msg']
        for index, earlier in repeats:
            assert 'numbers[%d].number %s repeats numbers[%d]' % (index, normalised[index], earlier) in result['msg']
    else:
        assert not failed, result
        assert sent == 1
        assert [r['number'] for r in result['phone_numbers']] == normalised
        assert all(r['action'] == 'allocate' for r in result['phone_numbers'])


@SETTINGS
@given(concurrency=st.integers(-5, 200))
def test_concurrency_bounds(run_module, concurrency):
    with Mocker() as mocker:
        mocker.get(NUMBERS, json=[])
        result, failed = run_module(catapult_phone_numbers, {'numbers': [{'number': '+19195550100'}],
                                                             'concurrency': concurrency}, check_mode=True)
        sent = mocker.call_count
    if 1 <= concurrency <= 64:
        assert not failed and sent == 1
    else:
        assert failed and 'concurrency must be between 1 and 64' in result['msg'] and sent == 0


# --------------------------------------------------------------------------- reconcile logic

APPS = ['a-one', 'a-two', 'a-three']
FALLBACKS = ['+19195550199', '+12125550100']
NAMES = ['Support', 'Sales', 'support', ' Support ', 'x']


@st.composite
def resources(draw, number='+19195550100'):
    """A number as the API may return it: fields absent or set, application as id and/or URL."""
    resource = {'id': 'n-abc', 'number': number, 'numberState': 'enabled'}
    if draw(st.booleans()):
        resource['name'] = draw(st.sampled_from(NAMES))
    if draw(st.booleans()):
        app = draw(st.sampled_from(APPS))
        style = draw(st.sampled_from(['id', 'url', 'both']))
        if style in ('id', 'both'):
            resource['applicationId'] = app
        if style in ('url', 'both'):
            resource['application'] = 'https://api.test/v1/users/u-unit/applications/' + app
    if draw(st.booleans()):
        resource['fallbackNumber'] = draw(st.sampled_from(FALLBACKS))
    return resource


# a desired state: each field unset (None), cleared ('') or set
ENTRIES = st.fixed_dictionaries({'number': st.just('+19195550100'), 'state': st.sampled_from(['present', 'present', 'absent']),
                                 'name': st.one_of(st.none(), st.sampled_from(NAMES)),
                                 'application_id': st.one_of(st.none(), st.just(''), st.sampled_from(APPS)),
                                 'fallback_number': st.one_of(st.none(), st.just(''), st.sampled_from(FALLBACKS))})


def emulated_account(mocker, resource):
    """The emulator holding ``resource`` (None: not on the account) and a client talking to it."""
    catapult = Catapult(mocker, applications=APPS)
    if resource is not None:
        app = resource.get('applicationId') or (resource.get('application') or '').rpartition('/')[2] or None
        catapult.add(resource['number'], resource.get('name'), app, resource.get('fallbackNumber'))
    client = CatapultClient(USER, TOKEN, SECRET, api_url=API, sleep=lambda seconds: None)
    return catapult, client


def server_view(catapult, number):
    """The number as the emulator (the server's documented behaviour) holds it, in the shape of --diff."""
    enabled = [n for n in catapult.numbers() if n['number'] == number]
    if not enabled:
        return {'number': number, 'state': 'absent'}
    record = catapult.record(enabled[0]['id'])
    return {'number': number, 'state': 'present', 'name': record['name'] or '', 'application_id': record['applicationId'] or '',
            'fallback_number': record['fallbackNumber'] or ''}


def desired_holds(entry, before, after):
    """The account matches the entry: absent is gone; present has every field the entry sets ('' = none), and a
    field the entry leaves out (None) is left as it was."""
    if entry['state'] == 'absent':
        return after['state'] == 'absent'
    return after['state'] == 'present' and all(
        after[option] == (entry[option] if entry[option] is not None else before.get(option, ''))
        for option in ('name', 'application_id', 'fallback_number'))


def sent_writes(mocker):
    return [(r.method, r.path) for r in mocker.request_history if r.method != 'GET']


@SETTINGS
@given(present=st.booleans(), resource=resources(), entry=ENTRIES)
def test_converge_then_rerun_changes_nothing_and_check_mode_predicts(present, resource, entry):
    """The oracle is the emulator: what the server holds after the run, not the code's own model of it."""
    with Mocker() as mocker:
        catapult, client = emulated_account(mocker, resource if present else None)
        before = server_view(catapult, entry['number'])
        current = client.get_phone_number(entry['number'])
        predicted = numbers.converge(client, dict(entry), copy.deepcopy(current), check_mode=True)
        assert sent_writes(mocker) == [] and server_view(catapult, entry['number']) == before

        first = numbers.converge(client, dict(entry), copy.deepcopy(current), check_mode=False)
        after = server_view(catapult, entry['number'])
        assert desired_holds(entry, before, after), (entry, before, after)
        writes = sent_writes(mocker)
        assert first['changed'] == bool(writes) == (after != before)
        assert len([w for w in writes if w[0] == 'POST' and w[1].endswith('/phonenumbers')]) <= 1
        assert predicted['changed'] == first['changed']
        assert predicted['action'] == first['action']
        assert predicted['after'] == first['after'] == after

        mocker.reset_mock()
        second = numbers.converge(client, dict(entry), client.get_phone_number(entry['number']), check_mode=False)
        assert not second['changed'] and second['action'] == 'none'
        assert sent_writes(mocker) == []


# --------------------------------------------------------------------------- pool module validators

# docs/catapult-api-facts.md and the module documentation: exactly one of state, zip, area_code;
# city needs state and combines with nothing else; local_number has 3-4 digits and needs
# area_code; in_local_calling_area only with local_number; pattern letters, digits, ?, *;
# quantity 1..5000; state is a two-letter code of a US state or territory.
US_CODES = ('AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH '
            'OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP').split()
POOL_API = 'https://api.test/v1/availableNumbers/local'
POOL_OPTIONS = ('state', 'city', 'zip', 'area_code', 'local_number', 'in_local_calling_area', 'pattern')


def pool_oracle(params):
    """The options that must be named in the error; empty when the documentation says the input is valid."""
    named = set()
    text = dict((key, None if params.get(key) is None else str(params[key]).strip() or None)
                for key in ('state', 'city', 'zip', 'area_code', 'local_number', 'pattern'))
    where = [key for key in ('state', 'zip', 'area_code') if text[key]]
    if len(where) != 1:
        named.update(where or ['state', 'zip', 'area_code'])
    if text['city'] and not text['state']:
        named.update(['city', 'state'])
    if text['city'] and (text['zip'] or text['area_code'] or text['local_number']):
        named.add('city')
    if text['state'] and text['state'].upper() not in US_CODES:
        named.add('state')
    for key, form in (('zip', r'[0-9]{5}'), ('area_code', r'[0-9]{3}'), ('local_number', r'[0-9]{3,4}'), ('pattern', r'[A-Za-z0-9?*]+')):
        if text[key] and not re.fullmatch(form, text[key], flags=re.ASCII):
            named.add(key)
    if text['local_number'] and not text['area_code']:
        named.update(['local_number', 'area_code'])
    if params.get('in_local_calling_area') and not text['local_number']:
        named.add('in_local_calling_area')
    if not 1 <= params['quantity'] <= 5000:
        named.add('quantity')
    return named


def maybe(valid, invalid):
    return st.one_of(st.none(), valid, invalid)


BAD_STATES = st.one_of(st.sampled_from(['XX', 'N', 'NCC', 'ZZ', '']), st.text(max_size=3))
BAD_PATTERNS = st.one_of(st.sampled_from(['9-1', '91 9', '[0-9]', '.*']), st.text(max_size=6))
POOL_PARAMS = st.fixed_dictionaries({
    'state': maybe(st.sampled_from(US_CODES + ['nc', ' tx ']), BAD_STATES),
    'city': maybe(st.sampled_from(['RALEIGH', 'Cary', 'new  york']), st.just('  ')),
    'zip': maybe(st.sampled_from(['27601', '10001', '02134']), st.one_of(st.text('0123456789', max_size=7), st.text(max_size=5))),
    'area_code': maybe(st.sampled_from(['919', '212', '800']), st.one_of(st.text('0123456789', max_size=5), st.text(max_size=3))),
    'local_number': maybe(st.sampled_from(['555', '5550', '021']), st.one_of(st.text('0123456789', max_size=6), st.text(max_size=4))),
    'in_local_calling_area': st.one_of(st.none(), st.booleans()),
    'pattern': maybe(st.sampled_from(['*2?9*', 'CAT', '919*', '?']), BAD_PATTERNS),
    'quantity': st.one_of(st.integers(1, 20), st.integers(-3, 0), st.integers(5001, 6000), st.sampled_from([1, 5000])),
})


@st.composite
def valid_pool_params(draw):
    """Valid by the documentation: one location kind, with the options it allows."""
    params = dict.fromkeys(POOL_OPTIONS)
    kind = draw(st.sampled_from(['state', 'city', 'zip', 'area_code', 'local_number']))
    if kind in ('state', 'city'):
        params['state'] = draw(st.sampled_from(US_CODES + ['nc', ' tx ']))
        if kind == 'city':
            params['city'] = draw(st.sampled_from(['RALEIGH', 'Cary', 'new  york']))
    elif kind == 'zip':
        params['zip'] = draw(st.text('0123456789', min_size=5, max_size=5))
    else:
        params['area_code'] = draw(st.text('0123456789', min_size=3, max_size=3))
        if kind == 'local_number':
            params['local_number'] = draw(st.text('0123456789', min_size=3, max_size=4))
            params['in_local_calling_area'] = draw(st.one_of(st.none(), st.booleans()))
    if draw(st.booleans()):
        params['pattern'] = draw(st.text('0123456789ABCXYZabc?*', min_size=1, max_size=8))
    params['quantity'] = draw(st.integers(1, 5000))
    return params


@st.composite
def mutated_pool_params(draw):
    """Valid parameters with one thing wrong."""
    params = draw(valid_pool_params())
    key, bad = draw(st.sampled_from([
        ('state', 'XX'), ('state', 'North Carolina'), ('zip', '2760'), ('zip', '27601-1234'), ('area_code', '91'),
        ('area_code', 'abc'), ('local_number', '55'), ('local_number', '55555'), ('pattern', '919-*'), ('pattern', '.*'),
        ('quantity', 0), ('quantity', 5001), ('in_local_calling_area', True), ('city', 'RALEIGH'), ('zip', '27601'),
        ('area_code', '919'), ('local_number', '555')]))
    params[key] = bad
    return params


POOL_INPUTS = st.one_of(valid_pool_params(), mutated_pool_params(), POOL_PARAMS)


def available(request, context):
    """Search results: as many numbers as asked for."""
    quantity = int(request.qs.get('quantity', ['10'])[0])
    return [{'number': '+1919555%04d' % (100 + i), 'nationalNumber': '(919) 555-%04d' % (100 + i)} for i in range(quantity)]


@SETTINGS
@given(params=POOL_INPUTS)
def test_pool_options_fail_naming_the_option_before_any_request(run_module, params):
    from ansible_collections.bandwidth.catapult.plugins.modules import catapult_local_number_order  # pylint: disable=import-outside-toplevel
    named = pool_oracle(params)
    args = dict((key, value) for key, value in params.items() if value is not None)
    args['name'] = 'Pool'
    with Mocker() as mocker:
        mocker.get(NUMBERS, json=[])
        mocker.get(POOL_API, json=available)
        result, failed = run_module(catapult_local_number_order, args, check_mode=True)
        sent = mocker.call_count
        writes = [r for r in mocker.request_history if r.method != 'GET']
    assert writes == []
    if named:
        assert failed, (params, result)
        assert sent == 0, 'a request was sent for invalid input %r' % params
        for option in named:
            assert option in result['msg'], (option, result['msg'])
    else:
        assert not failed, (params, result['msg'])
        assert sent >= 1
        assert result['changed'] and result['shortfall'] == params['quantity']


# --------------------------------------------------------------------------- adoption: only what provably matches

# The documentation of adopt_unlabelled: a local pool adopts a number only when it is a local
# number (area code not toll-free), its state and city on the account are the pool's (a number
# without them is not adopted), its digits start with area_code + local_number and its national
# number matches pattern; with zip or in_local_calling_area nothing is adopted. A toll-free pool
# adopts toll-free numbers matching pattern.
TOLL_FREE_CODES = ('800', '833', '844', '855', '866', '877', '888')
KEYPAD = {'ABC': '2', 'DEF': '3', 'GHI': '4', 'JKL': '5', 'MNO': '6', 'PQRS': '7', 'TUV': '8', 'WXYZ': '9'}


def oracle_pattern(pattern, national):
    """Does ``pattern`` (letters as keypad digits, ? one digit, * any digits) occur in the 10 digits?"""
    digits = ''.join(next((d for letters, d in KEYPAD.items() if char.upper() in letters), char) for char in pattern)

    def at(i, j):
        if j == len(digits):
            return True
        if digits[j] == '*':
            return any(at(k, j + 1) for k in range(i, len(national) + 1))
        return i < len(national) and (digits[j] == '?' or digits[j] == national[i]) and at(i + 1, j + 1)

    return any(at(start, 0) for start in range(len(national) + 1))


def oracle_adopts(kind, resource, params):
    number = resource.get('number') or ''
    if not re.fullmatch(r'\+1[2-9][0-9]{9}', number):
        return False
    national = number[2:]
    if (national[:3] in TOLL_FREE_CODES) != (kind == 'tollFree') or params.get('pattern') and not oracle_pattern(params['pattern'], national):
        return False
    if kind == 'tollFree':
        return True
    if params.get('zip') or params.get('in_local_calling_area'):
        return False
    for field in ('state', 'city'):
        wanted = params.get(field)
        if wanted and ' '.join(str(resource.get(field) or '').split()).upper() != ' '.join(wanted.split()).upper():
            return False
    return not params.get('area_code') or national.startswith(params['area_code'] + (params.get('local_number') or ''))


ACCOUNT_NUMBERS = st.one_of(
    st.sampled_from(['+19195550100', '+19195551234', '+19846800000', '+12125550100', '+18005550100', '+18885551234']),
    st.builds(lambda code, rest: '+1' + code + rest, st.sampled_from(('919', '984', '212') + TOLL_FREE_CODES),
              st.text('0123456789', min_size=7, max_size=7)),
    st.sampled_from(['+4930123456', '+1919555', '', None]))


@st.composite
def account_numbers(draw):
    resource = {'id': 'n-x', 'number': draw(ACCOUNT_NUMBERS)}
    for field, values in (('state', ['NC', 'nc', 'NY', ' NC ', '']), ('city', ['RALEIGH', 'Raleigh', 'CARY', ''])):
        if draw(st.booleans()):
            resource[field] = draw(st.sampled_from(values))
    return resource


@SETTINGS
@given(params=valid_pool_params(), resource=account_numbers(), kind=st.sampled_from(['local', 'tollFree']))
def test_a_pool_adopts_only_what_the_documentation_says_it_checks(params, resource, kind):
    from ansible_collections.bandwidth.catapult.plugins.module_utils import _search as search  # pylint: disable=import-outside-toplevel
    if kind == 'tollFree':
        params = {'pattern': params['pattern']}
    crit, errors = search.validate(kind, dict(dict.fromkeys(POOL_OPTIONS), **params))
    assert errors == []
    expected = oracle_adopts(kind, resource, dict((k, v.strip() if isinstance(v, str) else v) for k, v in params.items()))
    assert search.matches(kind, resource, crit) == expected, (kind, params, resource)
    verdict = search.match_verdict(kind, resource, crit)
    if params.get('zip') or params.get('in_local_calling_area'):
        assert verdict != search.MATCH
