# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Randomized property tests (hypothesis) of the validators and the reconcile logic.

Validators: every invalid input fails with a message naming the option, and no request
is sent; every valid input is accepted (and normalised). The oracles below are written
from the documentation, not from the code under test.

Reconcile logic: one converge brings any number to the desired state, a second one
changes nothing and sends no write, and check mode predicts exactly what a real run does.

Deterministic for CI: derandomize=True, no example database, no deadline.
"""

from __future__ import annotations

import copy
import re

from hypothesis import HealthCheck, assume, given, settings, strategies as st
from requests_mock import Mocker

from ansible_collections.bandwidth.catapult.plugins.module_utils import numbers
from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_number
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import NUMBERS

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

DIGITS = st.text('0123456789', min_size=1, max_size=18)
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
    if kind == 'short':
        body = body[:draw(st.integers(0, 6))]
    elif kind == 'long':
        body += draw(st.text('0123456789', min_size=16 - len(body), max_size=20))
    elif kind == 'zero':
        body = '0' + body[1:]
    elif kind == 'noplus':
        return draw(punctuated(body))
    elif kind == 'letter':
        spot = draw(st.integers(0, len(body)))
        body = body[:spot] + draw(st.sampled_from('abcxyzABC#*,/_')) + body[spot:]
    elif kind == 'unicode':
        spot = draw(st.integers(0, len(body) - 1))
        body = body[:spot] + draw(st.sampled_from('\u0663\u0967\uff11\u00b9')) + body[spot + 1:]
    elif kind == 'separator':
        spot = draw(st.integers(1, len(body) - 1))
        body = body[:spot] + draw(st.sampled_from(['/', '_', ',', ':', '+', '\u2013'])) + body[spot:]
    elif kind == 'doubleplus':
        return '++' + body
    return '+' + draw(punctuated(body))


ANY_TEXT = st.text(max_size=25)
INVALID_NUMBERS = st.one_of(near_misses(), ANY_TEXT.filter(lambda value: oracle_e164(value) is None))


def run_no_http(run_module, args, check_mode=False):
    """Run the module with no HTTP answer scripted; return (result, failed, requests sent)."""
    with Mocker() as mocker:
        result, failed = run_module(catapult_phone_number, args, check_mode=check_mode)
        return result, failed, mocker.call_count


# --------------------------------------------------------------------------- validators

@SETTINGS
@given(value=INVALID_NUMBERS)
def test_invalid_number_fails_naming_the_option_before_any_request(run_module, value):
    assume(oracle_e164(value) is None)
    result, failed, sent = run_no_http(run_module, {'number': value, 'name': 'x'})
    assert failed
    assert result['msg'].startswith('number must be an E.164 phone number'), result['msg']
    assert repr(value) in result['msg']
    assert sent == 0


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
@given(fallback=st.one_of(near_misses(), ANY_TEXT.filter(lambda value: value != '' and oracle_e164(value) is None)))
def test_invalid_fallback_number_fails_naming_the_option(run_module, fallback):
    assume(fallback != '' and oracle_e164(fallback) is None)
    result, failed, sent = run_no_http(run_module, {'number': '+19195550100', 'fallback_number': fallback})
    assert failed
    assert result['msg'].startswith('fallback_number must be an E.164 phone number'), result['msg']
    assert sent == 0


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
    first = {}
    repeats = []
    for index, value in enumerate(normalised):
        if value is None:
            continue
        if value in first:
            repeats.append((index, first[value]))
        else:
            first[value] = index
    args = {'numbers': [{'number': value, 'name': 'n%d' % index} for index, value in enumerate(entries)]}
    with Mocker() as mocker:
        mocker.get(NUMBERS, json=[])
        result, failed = run_module(catapult_phone_number, args, check_mode=True)
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
        result, failed = run_module(catapult_phone_number, {'numbers': [{'number': '+19195550100'}],
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


@st.composite
def entries(draw, number='+19195550100'):
    """A desired state: each field unset (None), cleared ('') or set."""
    entry = {'number': number, 'state': draw(st.sampled_from(['present', 'present', 'absent']))}
    entry['name'] = draw(st.one_of(st.none(), st.sampled_from(NAMES)))
    entry['application_id'] = draw(st.one_of(st.none(), st.just(''), st.sampled_from(APPS)))
    entry['fallback_number'] = draw(st.one_of(st.none(), st.just(''), st.sampled_from(FALLBACKS)))
    return entry


class FakeAccount(object):
    """An in-memory account with the client methods converge() uses; counts writes."""

    def __init__(self, resource=None):
        self.numbers = {}
        self.writes = []
        if resource is not None:
            self.numbers[resource['number']] = copy.deepcopy(resource)

    def get_phone_number(self, number_or_id):
        for resource in self.numbers.values():
            if number_or_id in (resource['number'], resource['id']):
                return copy.deepcopy(resource)
        return None

    def allocate_phone_number(self, body):
        self.writes.append(('allocate', dict(body)))
        assert body['number'] not in self.numbers, 'ordered a number already on the account'
        resource = dict(body, id='n-new', numberState='enabled')
        self.numbers[body['number']] = resource
        return 'n-new'

    def update_phone_number(self, number_id, body):
        self.writes.append(('update', dict(body)))
        for number, resource in self.numbers.items():
            if resource['id'] == number_id:
                self.numbers[number] = numbers.apply_body(resource, body)
                return
        raise AssertionError('update of a number not on the account')

    def release_phone_number(self, number_id):
        self.writes.append(('release', number_id))
        for number, resource in list(self.numbers.items()):
            if resource['id'] == number_id:
                del self.numbers[number]
                return True
        return False


def desired_holds(entry, resource):
    """The account matches the entry: absent is gone; present has every field the entry sets."""
    if entry['state'] == 'absent':
        return resource is None
    if resource is None:
        return False
    for option, dummy in numbers.MANAGED_FIELDS:
        wanted = entry.get(option)
        if wanted is not None and numbers.current_value(resource, option) != wanted:
            return False
    return True


@SETTINGS
@given(resource=resources(), entry=entries())
def test_update_body_reaches_the_desired_state_in_one_step(resource, entry):
    body = numbers.update_body(entry, resource)
    assert set(body) <= set(api for option, api in numbers.MANAGED_FIELDS if entry.get(option) is not None)
    after = numbers.apply_body(resource, body)
    assert numbers.update_body(entry, after) == {}
    for option, dummy in numbers.MANAGED_FIELDS:
        if entry.get(option) is None:  # left out -> left alone
            assert numbers.current_value(after, option) == numbers.current_value(resource, option)


@SETTINGS
@given(present=st.booleans(), resource=resources(), entry=entries())
def test_converge_then_rerun_changes_nothing_and_check_mode_predicts(present, resource, entry):
    start = resource if present else None
    predicted_account = FakeAccount(start)
    predicted = numbers.converge(predicted_account, dict(entry), copy.deepcopy(start), check_mode=True)
    assert predicted_account.writes == []

    account = FakeAccount(start)
    first = numbers.converge(account, dict(entry), copy.deepcopy(start), check_mode=False)
    now = account.get_phone_number(entry['number'])
    assert desired_holds(entry, now)
    assert first['changed'] == bool(account.writes)
    assert len([w for w in account.writes if w[0] == 'allocate']) <= 1
    assert predicted['changed'] == first['changed']
    assert predicted['action'] == first['action']
    assert predicted['after'] == first['after'] == numbers.managed_view(entry['number'], now)

    account.writes = []
    second = numbers.converge(account, dict(entry), account.get_phone_number(entry['number']), check_mode=False)
    assert not second['changed'] and second['action'] == 'none'
    assert account.writes == []
