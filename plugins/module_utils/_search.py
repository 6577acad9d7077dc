# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Available-number search criteria, shared by the modules that search or order numbers.

The documented search rules (docs/catapult-api-facts.md) are checked here, before any
request: local numbers by city, state, ZIP code, area code, local number and pattern;
toll-free numbers by pattern. Also the API query of the criteria, what a number on the
account shows about whether it is a result of the search (a match, no match, or unknown when
a criterion cannot be checked on the number), and the snake_case view of a search result.
"""

from __future__ import annotations

import re

LOCAL = 'local'
TOLL_FREE = 'tollFree'

# The documented maximum quantity of one search (and of the pools built from searches).
MAX_QUANTITY = 5000

# (option, API query name) of the local search options, in the documented order.
SEARCH_OPTIONS = (
    ('city', 'city'),
    ('state', 'state'),
    ('zip', 'zip'),
    ('area_code', 'areaCode'),
    ('local_number', 'localNumber'),
    ('in_local_calling_area', 'inLocalCallingArea'),
    ('pattern', 'pattern'),
)

# The 50 states, DC and the inhabited territories that have US numbers.
US_STATES = frozenset(
    'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK '
    'OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP'.split())

# The North American toll-free area codes.
TOLL_FREE_AREA_CODES = ('800', '833', '844', '855', '866', '877', '888')

PATTERN_RE = re.compile(r'^[A-Za-z0-9?*]+$')
_KEYPAD = dict((letter, str(digit)) for digit, letters in
               ((2, 'ABC'), (3, 'DEF'), (4, 'GHI'), (5, 'JKL'), (6, 'MNO'), (7, 'PQRS'), (8, 'TUV'), (9, 'WXYZ'))
               for letter in letters)


def local_search_argument_spec():
    """The local search options, with the documented camelCase names as aliases."""
    return dict(
        state=dict(type='str'),
        city=dict(type='str'),
        zip=dict(type='str'),
        area_code=dict(type='str', aliases=['areaCode']),
        local_number=dict(type='str', aliases=['localNumber']),
        in_local_calling_area=dict(type='bool', aliases=['inLocalCallingArea']),
        pattern=dict(type='str'),
    )


def _text(value):
    """Search option as given, ``None`` when not set or blank."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _check_pattern(crit, params, errors):
    if crit['pattern'] and not PATTERN_RE.match(crit['pattern']):
        errors.append('pattern may contain only letters, digits, ? (exactly one digit) and * (zero or more digits); '
                      'got %r' % params['pattern'])


def check_quantity(quantity, errors):
    """Append the problem with ``quantity`` to ``errors``, if any."""
    if quantity < 1 or quantity > MAX_QUANTITY:
        errors.append('quantity must be between 1 and %d; got %d' % (MAX_QUANTITY, quantity))


def validate_local(params):
    """Check every documented local search rule. Returns (criteria, errors); nothing is sent before this.

    ``params`` holds the options ``city``, ``state``, ``zip``, ``area_code``, ``local_number``,
    ``in_local_calling_area`` and ``pattern``. Quantity is the caller's (see :func:`check_quantity`).
    """
    errors = []
    crit = dict((option, _text(params[option])) for option, dummy in SEARCH_OPTIONS if option != 'in_local_calling_area')
    crit['in_local_calling_area'] = params['in_local_calling_area']
    if crit['state']:
        crit['state'] = crit['state'].upper()
    if crit['city']:
        crit['city'] = ' '.join(crit['city'].split())

    where = [option for option in ('state', 'zip', 'area_code') if crit[option]]
    if crit['city'] and not crit['state']:
        errors.append('city requires state: the API searches a city within a state')
    if crit['city']:
        clash = [option for option in ('zip', 'area_code', 'local_number') if crit[option]]
        if clash:
            errors.append('city cannot be combined with %s' % ' or '.join(clash))
    if not where:
        errors.append('exactly one of state, zip and area_code is required; none was set')
    elif len(where) > 1:
        errors.append('exactly one of state, zip and area_code is required; got %s' % ' and '.join(where))
    if crit['state'] and crit['state'] not in US_STATES:
        errors.append('state must be the two-letter code of a US state or territory, such as NC; got %r' % params['state'])
    if crit['zip'] and not re.match(r'^[0-9]{5}$', crit['zip']):
        errors.append('zip must be 5 digits (quote it in YAML so leading zeros are kept); got %r' % params['zip'])
    if crit['area_code'] and not re.match(r'^[0-9]{3}$', crit['area_code']):
        errors.append('area_code must be 3 digits; got %r' % params['area_code'])
    if crit['local_number']:
        if not re.match(r'^[0-9]{3,4}$', crit['local_number']):
            errors.append('local_number must be 3 or 4 digits, the digits after the area code '
                          '(quote it in YAML so leading zeros are kept); got %r' % params['local_number'])
        if not crit['area_code']:
            errors.append('local_number requires area_code')
    if crit['in_local_calling_area'] and not crit['local_number']:
        errors.append('in_local_calling_area can only be used with local_number')
    _check_pattern(crit, params, errors)
    return crit, errors


def validate_toll_free(params):
    """Check the toll-free search option ``pattern``. Returns (criteria, errors)."""
    errors = []
    crit = {'pattern': _text(params['pattern'])}
    _check_pattern(crit, params, errors)
    return crit, errors


def validate(kind, params):
    """The criteria of a ``kind`` search (LOCAL or TOLL_FREE) and the problems with them."""
    return validate_local(params) if kind == LOCAL else validate_toll_free(params)


def search_query(crit):
    """The API's query parameters for the criteria (quantity is added per request)."""
    query = {}
    for option, api_name in SEARCH_OPTIONS:
        value = crit.get(option)
        if option == 'in_local_calling_area':
            if value:
                query[api_name] = 'true'
        elif value:
            query[api_name] = value
    return query


def pattern_regex(pattern):
    """A regex searching a 10-digit national number the way the API matches ``pattern``.

    Letters stand for their telephone keypad digit, ``?`` for one digit and ``*`` for zero or
    more; the pattern may match anywhere in the number.
    """
    parts = []
    for char in pattern.upper():
        if char == '?':
            parts.append('[0-9]')
        elif char == '*':
            parts.append('[0-9]*')
        else:
            parts.append(_KEYPAD.get(char, char))
    return re.compile(''.join(parts))


# What a number on the account can show about a search (see :func:`match_verdict`).
MATCH = 'match'
NO_MATCH = 'no'
UNKNOWN = 'unknown'


def _number_parts(resource):
    """``('919', '5550100')`` of a North American number ``+1NPANXXXXXX`` on the account, else ``None``."""
    number = str(resource.get('number') or '')
    if not re.match(r'^\+1[2-9][0-9]{9}$', number):
        return None
    return number[2:5], number[5:]


def _field_verdict(resource, field, wanted):
    """A text field of the resource against a criterion: equal (case and blanks ignored), different, or missing."""
    value = resource.get(field)
    if value is None or not str(value).strip():
        return UNKNOWN
    same = ' '.join(str(value).split()).upper() == ' '.join(wanted.split()).upper()
    return MATCH if same else NO_MATCH


def _combine(verdicts):
    if NO_MATCH in verdicts:
        return NO_MATCH
    if UNKNOWN in verdicts:
        return UNKNOWN
    return MATCH


def match_local(resource, crit):
    """The :func:`match_verdict` of a local search.

    Checked: that the number is a North American number whose area code is not toll-free;
    ``state`` and ``city`` against the resource's fields (a missing field cannot show a
    match); ``area_code`` and ``local_number`` against the digits of the number; ``pattern``
    against the 10-digit national number (letters as their keypad digits). Not checkable on a
    number's resource: ``zip`` and ``in_local_calling_area`` (the calling area may hold other
    area codes and exchanges), so with either the best verdict is ``unknown``.
    """
    parts = _number_parts(resource)
    if parts is None or parts[0] in TOLL_FREE_AREA_CODES:
        return NO_MATCH
    area_code, rest = parts
    verdicts = []
    if crit.get('state'):
        verdicts.append(_field_verdict(resource, 'state', crit['state']))
    if crit.get('city'):
        verdicts.append(_field_verdict(resource, 'city', crit['city']))
    if crit.get('in_local_calling_area'):
        verdicts.append(UNKNOWN)
    elif crit.get('area_code'):
        prefix = crit['area_code'] + (crit.get('local_number') or '')
        verdicts.append(MATCH if (area_code + rest).startswith(prefix) else NO_MATCH)
    if crit.get('zip'):
        verdicts.append(UNKNOWN)
    if crit.get('pattern'):
        verdicts.append(MATCH if pattern_regex(crit['pattern']).search(area_code + rest) else NO_MATCH)
    return _combine(verdicts)


def match_toll_free(resource, crit):
    """The :func:`match_verdict` of a toll-free search: a toll-free area code, and ``pattern`` when set."""
    parts = _number_parts(resource)
    if parts is None or parts[0] not in TOLL_FREE_AREA_CODES:
        return NO_MATCH
    if crit.get('pattern') and not pattern_regex(crit['pattern']).search(parts[0] + parts[1]):
        return NO_MATCH
    return MATCH


def match_verdict(kind, resource, crit):
    """What a number on the account shows about a ``kind`` search with ``crit``.

    ``MATCH``: it is of the kind and every criterion was checked and holds. ``NO_MATCH``: it
    is of another kind or a criterion shows it differs. ``UNKNOWN``: nothing shows it differs,
    but a criterion could not be checked (``zip``, ``in_local_calling_area``, a field the
    resource lacks). Only ``MATCH`` is ever adopted.
    """
    return match_local(resource, crit) if kind == LOCAL else match_toll_free(resource, crit)


def matches(kind, resource, crit):
    """Whether a number on the account can be shown to be a result of a ``kind`` search with ``crit``."""
    return match_verdict(kind, resource, crit) == MATCH


def describe(crit):
    """``city=RALEIGH, state=NC``: the criteria set, for messages."""
    text = ', '.join('%s=%s' % (option, crit[option]) for option, dummy in SEARCH_OPTIONS if crit.get(option))
    return text or 'any toll-free number'


def available_result(item):
    """The snake_case view of one search result."""
    return dict(
        number=item.get('number'),
        national_number=item.get('nationalNumber'),
        city=item.get('city'),
        state=item.get('state'),
        rate_center=item.get('rateCenter'),
        lata=item.get('lata'),
        pattern_match=item.get('patternMatch'),
        price=item.get('price'),
    )
