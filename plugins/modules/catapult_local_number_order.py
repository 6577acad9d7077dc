#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: catapult_local_number_order
short_description: Keep a labelled pool of local phone numbers on Bandwidth Catapult
version_added: 0.1.0
description:
  - Makes sure your Catapult account holds at least O(quantity) enabled local numbers labelled O(name), ordering
    only the shortfall by city, state, ZIP code or area code, and that every number of the pool points at
    O(application_id) and O(fallback_number) when those are set.
  - This is the Catapult v1 operation "Order Local Phone Number" (search-and-order,
    C(POST /availableNumbers/local)), made idempotent by the label O(name). The pool is counted with one paginated
    listing of the numbers named O(name); only the missing numbers are ordered, and each new number is then labelled
    with O(name), O(application_id) and O(fallback_number).
  - A second run with the same options changes nothing and sends no write.
  - Numbers are never released. When the pool already holds more than O(quantity) numbers, nothing is ordered and
    RV(surplus) says by how many the pool is over.
  - The search options are checked before any request, with the rules the API documents.
author:
  - bandwidth.catapult contributors (@bandwidth)
extends_documentation_fragment:
  - bandwidth.catapult.auth
attributes:
  check_mode:
    description:
      - Counts the pool and searches (C(GET /availableNumbers/local)) for as many numbers as would be ordered; sends
        no write. Fails when the search finds fewer numbers than the pool lacks.
      - The numbers a search finds are not reserved, so the numbers a real run orders may differ from RV(available).
    support: full
  diff_mode:
    description:
      - Shows the pool (every number with its name, application and fallback number) before and after.
      - In check mode the numbers found by the search stand in for the ones that would be ordered.
    support: full
  idempotent:
    description: A second run with the same options changes nothing and sends no write.
    support: full
  action_group:
    description: Use C(group/bandwidth.catapult.catapult) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - bandwidth.catapult.catapult
options:
  name:
    description:
      - The label of the pool. Every number of the pool has this name; the task counts the numbers named exactly
        this to decide how many to order.
      - Use a name that no other task or person gives to numbers outside the pool.
    type: str
    required: true
  quantity:
    description:
      - How many numbers the pool must hold, from V(1) to V(5000).
      - Only the difference between this and the number of numbers already named O(name) is ordered.
    type: int
    default: 10
  state:
    description:
      - Search by US state or territory, as its two-letter code, for example V(NC). Case does not matter.
      - Exactly one of O(state), O(zip) and O(area_code) is required.
    type: str
  city:
    description:
      - Search by city, for example V(RALEIGH). Requires O(state).
      - Cannot be combined with O(zip), O(area_code) or O(local_number).
    type: str
  zip:
    description:
      - Search by 5-digit ZIP code, for example V(27606). Quote it in YAML so leading zeros are kept.
      - Exactly one of O(state), O(zip) and O(area_code) is required.
    type: str
  area_code:
    description:
      - Search by 3-digit area code, for example V(919).
      - Exactly one of O(state), O(zip) and O(area_code) is required.
    type: str
    aliases: [areaCode]
  local_number:
    description:
      - The first 3 or 4 digits after the area code, for example V(555) for numbers starting with C(+1919555).
        Requires O(area_code). Quote it in YAML so leading zeros are kept.
    type: str
    aliases: [localNumber]
  in_local_calling_area:
    description:
      - With O(local_number), also order numbers from the local calling area of O(area_code) and O(local_number),
        which may have other area codes and exchanges.
      - V(true) is only allowed with O(local_number); V(false) is the API's default and is not sent.
    type: bool
    aliases: [inLocalCallingArea]
  pattern:
    description:
      - Only numbers matching this pattern. Letters (matched by their telephone keypad digit), digits, V(?) for exactly
        one digit and V(*) for zero or more digits, for example V(*2?9*).
      - The API's documentation lists it for search-and-order, but its error catalogue says an order cannot contain a
        pattern. If the server rejects it, the task fails naming O(pattern) and nothing is ordered.
    type: str
  application_id:
    description:
      - The ID of the Catapult application that handles calls and messages to the pool's numbers, for example
        V(a-abc123).
      - Set on every new number, and on every number of the pool that points elsewhere.
      - Not changed when not set. V('') removes the association from the pool's numbers.
    type: str
  fallback_number:
    description:
      - E.164 number that calls are transferred to when the application's callbacks cannot be delivered.
      - Set on every new number, and on every number of the pool that has another one.
      - Not changed when not set. V('') asks the API to remove it.
    type: str
  adopt_unlabelled:
    description:
      - Before ordering, take into the pool the numbers on the account that have no name, no application and no
        fallback number and match the search options (see the notes). Each one is labelled and ordered one fewer.
      - This is how a rerun completes an earlier run that ordered numbers but could not label them all.
      - Set V(false) if your account keeps unlabelled, unassigned numbers in the same area that must stay so.
    type: bool
    default: true
  concurrency:
    description:
      - How many numbers are labelled or updated at the same time. Rate limits (HTTP 429) make every worker wait
        together.
    type: int
    default: 8
notes:
  - B(Chunking.) The search-and-order operation caps the quantity of one order; the documented cap changed from 5000
    to 10 in 2018. The module first orders up to 5000 numbers at once. When the server refuses the quantity
    (HTTP 400 C(invalid-available-number-search-order) about the maximum quantity) it takes the cap from the
    message, or 10 when the message has no number, and orders the rest in chunks of that size. A refused order
    orders nothing, so this is safe.
  - B(Nothing lost, nothing doubled.) Before ordering, the module lists every number on the account. When the answer
    to an order is lost (timeout, server error, dropped connection) or the server answers HTTP 404
    C(order-number-quantity-unavailable), it lists the account again. Numbers that were not there before, have no
    name and match the search are what the order allocated; they are labelled and counted. The rest is ordered
    again only after that read proved how many are still missing. After a timeout the module waits up to
    O(timeout) seconds (at most 10) before that read; if the read then finds fewer numbers than were ordered, the
    server may still be working, so the task fails instead of ordering again, and a later rerun adopts what landed.
  - When fewer numbers are available than the pool lacks, the task fails with how many it asked for. A server
    that kept part of such an order (partial fulfilment) is handled too; the numbers it kept are labelled and
    reported in RV(ordered).
  - Labelling a new number is tried three times. If it still fails, the task fails listing every number it ordered,
    with its ID and whether it is labelled. Those numbers have no name, no application and no fallback number, so
    the next run adopts them (O(adopt_unlabelled)) before it orders anything.
  - A number matches the search when it has the same state, the same city, and a number starting with C(+1) O(area_code)
    O(local_number) (not checked with O(in_local_calling_area)). O(zip) and O(pattern) cannot be checked on a
    number's resource and are not.
  - Do not run two tasks with overlapping search options and O(adopt_unlabelled=true) at the same time on one
    account; each could adopt numbers the other just ordered.
seealso:
  - module: bandwidth.catapult.catapult_phone_number
    description: Order, label or release specific numbers.
  - name: Catapult API, order local numbers
    description: The API operation this module performs (search-and-order).
    link: https://old.dev.bandwidth.com/ap-docs/methods/availableNumbers/postAvailableNumbersLocal.html
  - name: Catapult API, search local numbers
    description: The search options and their rules; check mode uses this search.
    link: https://old.dev.bandwidth.com/ap-docs/methods/availableNumbers/getAvailableNumbersLocal.html
"""

EXAMPLES = r"""
- name: Keep 25 Raleigh numbers for the support desk, pointed at the IVR
  bandwidth.catapult.catapult_local_number_order:
    name: support-desk
    quantity: 25
    city: RALEIGH
    state: NC
    application_id: a-ivr0123456789abcdefghij
    user_id: "{{ catapult_user_id }}"
    api_token: "{{ catapult_api_token }}"
    api_secret: "{{ catapult_api_secret }}"
  register: pool

- name: Show the numbers of the pool
  ansible.builtin.debug:
    msg: "{{ pool.phone_numbers | map(attribute='number') | list }}"

- name: Pools with the credentials set once per play
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/bandwidth.catapult.catapult:
      user_id: "{{ lookup('ansible.builtin.env', 'CATAPULT_USER_ID') }}"
      api_token: "{{ lookup('ansible.builtin.env', 'CATAPULT_API_TOKEN') }}"
      api_secret: "{{ vault_catapult_api_secret }}"
  tasks:
    - name: Five numbers starting with +1919555, from the local calling area if needed
      bandwidth.catapult.catapult_local_number_order:
        name: campaign-spring
        quantity: 5
        area_code: "919"
        local_number: "555"
        in_local_calling_area: true
        fallback_number: "+19195550000"

    - name: Two vanity numbers in ZIP 27606, checked first
      bandwidth.catapult.catapult_local_number_order:
        name: vanity
        quantity: 2
        zip: "27606"
        pattern: "*FLOWER*"
      check_mode: true
      register: plan

    - name: Show what would be ordered
      ansible.builtin.debug:
        msg: "{{ plan.shortfall }} to order, e.g. {{ plan.available | map(attribute='number') | list }}"
"""

RETURN = r"""
changed:
  description: Whether a number was ordered, adopted or updated (or would be, in check mode).
  returned: always
  type: bool
  sample: true
shortfall:
  description:
    - How many numbers the pool lacked before the task, that is how many were added to it (ordered, or adopted with
      O(adopt_unlabelled)); in check mode how many would be. V(0) when the pool was full.
  returned: always
  type: int
  sample: 3
ordered:
  description:
    - The numbers this run ordered, labelled (the keys of RV(phone_numbers)). Empty in check mode.
    - When the task fails after ordering, every number it ordered, labelled or not; see RV(unlabelled).
  returned: always
  type: list
  elements: dict
  sample:
    - id: n-id3x6rblp4jrkih2u7zxjdy
      number: "+19195551234"
      national_number: (919) 555-1234
      name: support-desk
      application_id: a-ivr0123456789abcdefghij
      fallback_number: null
      city: RALEIGH
      state: NC
      price: "0.35"
      number_state: enabled
      created_time: null
adopted:
  description:
    - Unlabelled numbers already on the account that were taken into the pool (O(adopt_unlabelled)), typically
      ordered by an earlier run that could not label them. In check mode, the ones that would be.
  returned: always
  type: list
  elements: dict
  sample: []
unlabelled:
  description: Numbers this run ordered or adopted but could not label (the task failed). A rerun adopts them.
  returned: when the task fails after ordering
  type: list
  elements: dict
  contains:
    id:
      description: Catapult's ID of the number.
      type: str
    number:
      description: The number in E.164 form.
      type: str
    error:
      description: Why labelling failed.
      type: str
phone_numbers:
  description:
    - The whole pool after the task, sorted by number (predicted in check mode, without the numbers still to order).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Catapult's ID of the number.
      type: str
      sample: n-id3x6rblp4jrkih2u7zxjdy
    number:
      description: The number in E.164 form.
      type: str
      sample: "+19195551234"
    national_number:
      description: The number in national format.
      type: str
      sample: (919) 555-1234
    name:
      description: The label, O(name).
      type: str
      sample: support-desk
    application_id:
      description: The application the number points at.
      type: str
      sample: a-ivr0123456789abcdefghij
    fallback_number:
      description: The fallback number.
      type: str
      sample: "+19195550000"
    city:
      description: The number's city.
      type: str
      sample: RALEIGH
    state:
      description: The number's US state.
      type: str
      sample: NC
    price:
      description: Monthly price, as the API gives it.
      type: str
      sample: "0.35"
    number_state:
      description: V(enabled).
      type: str
      sample: enabled
    created_time:
      description: When the number was ordered (ISO 8601, UTC), when the API said.
      type: str
      sample: "2026-11-23T14:26:11.000Z"
available:
  description: In check mode, the available numbers the search found (at most as many as would be ordered).
  returned: in check mode, when numbers would be ordered
  type: list
  elements: dict
  contains:
    number:
      description: The number in E.164 form.
      type: str
      sample: "+19195551234"
    national_number:
      description: The number in national format.
      type: str
      sample: (919) 555-1234
    city:
      description: The number's city.
      type: str
      sample: RALEIGH
    state:
      description: The number's US state.
      type: str
      sample: NC
    rate_center:
      description: The number's rate center.
      type: str
      sample: RALEIGH
    lata:
      description: The number's LATA.
      type: str
      sample: "426"
    pattern_match:
      description: With O(pattern), the national number with the characters the pattern did not match blanked.
      type: str
      sample: "          456 "
    price:
      description: Monthly price, as the API gives it.
      type: str
      sample: "0.35"
surplus:
  description: How many numbers the pool holds beyond O(quantity). Nothing is released.
  returned: when the pool holds more than O(quantity)
  type: int
  sample: 2
msg:
  description: What happened, in words, when the pool was over O(quantity) or the task failed.
  returned: sometimes
  type: str
  sample: The pool support-desk holds 12 numbers, 2 more than quantity 10; nothing was released.
"""

import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils.client import (
    CatapultApiError,
    CatapultError,
    CatapultTransportError,
    outcome_unknown,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils.common import (
    catapult_argument_spec,
    create_client,
    e164_error,
    fail_from_error,
    normalize_e164,
    phone_number_result,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils.numbers import (
    converge,
    managed_view,
    run_concurrently,
    update_body,
)

MAX_QUANTITY = 5000
FALLBACK_ORDER_CAP = 10
LABEL_ATTEMPTS = 3
LOST_ORDER_ATTEMPTS = 3
MAX_SETTLE_SECONDS = 10.0

# (option, API query name) of the search options, in the documented order.
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

PATTERN_RE = re.compile(r'^[A-Za-z0-9?*]+$')
ORDER_REFUSED = 'invalid-available-number-search-order'
QUANTITY_UNAVAILABLE = 'order-number-quantity-unavailable'


def _text(value):
    """Search option as given, ``None`` when not set or blank."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def validate(params):
    """Check every documented search rule. Returns (criteria, labels, errors); nothing is sent before this."""
    errors = []
    crit = dict((option, _text(params[option])) for option, dummy in SEARCH_OPTIONS if option != 'in_local_calling_area')
    crit['in_local_calling_area'] = params['in_local_calling_area']
    if crit['state']:
        crit['state'] = crit['state'].upper()
    if crit['city']:
        crit['city'] = ' '.join(crit['city'].split())

    name = params['name']
    if name is None or not name.strip():
        errors.append('name must not be empty: it is the label that identifies the pool')

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
    if crit['pattern'] and not PATTERN_RE.match(crit['pattern']):
        errors.append('pattern may contain only letters, digits, ? (exactly one digit) and * (zero or more digits); '
                      'got %r' % params['pattern'])
    quantity = params['quantity']
    if quantity < 1 or quantity > MAX_QUANTITY:
        errors.append('quantity must be between 1 and %d; got %d' % (MAX_QUANTITY, quantity))

    labels = {'name': name, 'application_id': params['application_id'], 'fallback_number': params['fallback_number']}
    fallback = labels['fallback_number']
    if fallback not in (None, ''):
        labels['fallback_number'] = normalize_e164(fallback)
        if labels['fallback_number'] is None:
            errors.append(e164_error('fallback_number', fallback))
    concurrency = params['concurrency']
    if concurrency < 1 or concurrency > 64:
        errors.append('concurrency must be between 1 and 64; got %d' % concurrency)
    return crit, labels, errors


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


def matches(resource, crit):
    """Whether a number on the account could be a result of the search (see the module notes)."""
    if crit['state'] and resource.get('state') and str(resource['state']).upper() != crit['state']:
        return False
    if crit['city'] and resource.get('city') and ' '.join(str(resource['city']).split()).upper() != crit['city'].upper():
        return False
    if crit['area_code'] and not crit['in_local_calling_area']:
        prefix = '+1' + crit['area_code'] + (crit['local_number'] or '')
        if not str(resource.get('number') or '').startswith(prefix):
            return False
    return True


def parse_cap(message):
    """The maximum quantity a refusal names, or ``None``."""
    found = re.findall(r'\d+', message or '')
    return int(found[-1]) if found else None


def available_result(item):
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


def _by_number(resource):
    return resource.get('number') or ''


def _describe(crit):
    return ', '.join('%s=%s' % (option, crit[option]) for option, dummy in SEARCH_OPTIONS if crit.get(option))


class PoolTask(object):
    """One run: count, reconcile, adopt, order in chunks, label, report."""

    def __init__(self, module, client, crit, labels):
        self.module = module
        self.client = client
        self.crit = crit
        self.labels = labels
        self.name = labels['name']
        self.quantity = module.params['quantity']
        self.check_mode = module.check_mode
        self.concurrency = module.params['concurrency']
        self.query = search_query(crit)
        self.members = []        # converge results of the pool's numbers, or dicts with 'failed'
        self.before = []
        self.added = []          # records of ordered / adopted numbers
        self.predicted = []      # check mode: search results standing in for the numbers to order
        self.available = None
        self.problems = []
        self.known_ids = set()
        self.shortfall = 0
        self.surplus = 0

    # -- building blocks ------------------------------------------------------------------

    def entry_for(self, resource):
        return dict(self.labels, number=resource.get('number'), state='present')

    def label(self, resources, how):
        """Label (or reconcile) numbers with up to LABEL_ATTEMPTS rounds; records every outcome in ``self.added``."""
        records = [{'resource': dict(r, numberState=r.get('numberState') or 'enabled'), 'how': how,
                    'result': None, 'error': None} for r in resources]
        pending = list(records)
        for attempt in range(LABEL_ATTEMPTS):
            if not pending:
                break
            if attempt:
                time.sleep(0.5 * 2 ** (attempt - 1))
            outcomes = run_concurrently(self._converge, [rec['resource'] for rec in pending], self.concurrency)
            still = []
            for rec, outcome in zip(pending, outcomes):
                if isinstance(outcome, CatapultError):
                    rec['error'] = outcome
                    still.append(rec)
                else:
                    rec['result'] = outcome
                    rec['error'] = None
            pending = still
        self.added.extend(records)
        return records

    def _converge(self, resource):
        return converge(self.client, self.entry_for(resource), resource, self.check_mode, read_back=False)

    def list_account(self):
        account = self.client.list_phone_numbers()
        for resource in account:
            if resource.get('id'):
                self.known_ids.add(resource['id'])
        return account

    def adoptable(self, account):
        """Unlabelled, unassigned numbers that match the search, oldest first."""
        found = [r for r in account if not r.get('name') and not r.get('applicationId') and not r.get('application')
                 and not r.get('fallbackNumber') and matches(r, self.crit)]
        return sorted(found, key=lambda r: (r.get('createdTime') or '', _by_number(r)))

    def find_new(self, size):
        """After a lost or refused order: numbers not seen before, unnamed and matching, at most ``size``."""
        seen = set(self.known_ids)
        account = self.list_account()
        new = [r for r in account if r.get('id') not in seen and not r.get('name') and matches(r, self.crit)]
        new.sort(key=lambda r: (r.get('createdTime') or '', _by_number(r)))
        return new[:size]

    # -- the run ---------------------------------------------------------------------------

    def run(self):
        try:
            listed = self.client.list_phone_numbers(name=self.name)
        except CatapultError as exc:
            fail_from_error(self.module, exc, **self.output())
        pool = sorted((r for r in listed if r.get('name') == self.name), key=_by_number)
        self.before = [managed_view(r.get('number'), r) for r in pool]
        self.reconcile(pool)
        self.shortfall = max(self.quantity - len(pool), 0)
        self.surplus = max(len(pool) - self.quantity, 0)
        if self.shortfall:
            if self.check_mode:
                self.plan()
            else:
                self.fill()
        self.finish()

    def reconcile(self, pool):
        outcomes = run_concurrently(self._converge, pool, self.concurrency)
        for resource, outcome in zip(pool, outcomes):
            if isinstance(outcome, CatapultError):
                self.problems.append('updating %s (%s) failed: %s' % (resource.get('number'), resource.get('id'), outcome))
                view = managed_view(resource.get('number'), resource)
                self.members.append({'phone_number': phone_number_result(resource), 'after': view, 'changed': False})
            else:
                self.members.append(outcome)

    def plan(self):
        """Check mode: what a run would adopt and order, from reads and one search."""
        candidates = []
        if self.module.params['adopt_unlabelled']:
            candidates = self.read(self.list_account, 'listing the account')
            candidates = self.adoptable(candidates)[:self.shortfall]
        self.label(candidates, 'adopted')
        to_order = self.shortfall - len(candidates)
        if to_order <= 0:
            return
        params = dict(self.query, quantity=min(to_order, MAX_QUANTITY))
        found = self.read(lambda: self.client.search_available('local', params), 'searching available numbers')
        self.available = [available_result(item) for item in found]
        self.predicted = [self._converge(dict(item, numberState='enabled')) for item in found[:to_order]]
        if len(found) < to_order:
            self.fail('the pool %s holds %d of %d numbers and would need %d more, but a search for %s found only %d '
                      'available' % (self.name, len(self.members), self.quantity, to_order, _describe(self.crit), len(found)))

    def read(self, func, what):
        try:
            return func()
        except CatapultError as exc:
            self.fail('%s failed: %s' % (what, exc), error=exc.to_dict())

    def fill(self):
        """Adopt what an earlier run left unlabelled, then order the rest in chunks the server accepts."""
        account = self.read(self.list_account, 'listing the account before ordering')
        remaining = self.shortfall
        if self.module.params['adopt_unlabelled']:
            candidates = self.adoptable(account)[:remaining]
            if candidates:
                self.label(candidates, 'adopted')
                remaining -= len(candidates)
        cap = MAX_QUANTITY
        lost = 0
        while remaining > 0:
            size = min(cap, remaining)
            try:
                items = self.client.order_available('local', dict(self.query, quantity=size))
            except CatapultError as exc:
                new_cap = self.refused(exc, size)
                if new_cap:
                    cap = new_cap
                    continue
                before = remaining
                remaining = self.recover(exc, size, remaining)
                lost = lost + 1 if remaining == before else 0
                if lost >= LOST_ORDER_ATTEMPTS:
                    self.fail('the answer to the order was lost %d times and each time a read of the account showed '
                              'nothing new; last error: %s' % (lost, exc), error=exc.to_dict())
                continue
            lost = 0
            if not items:
                self.fail('the server answered the order of %d numbers with none; nothing was ordered' % size)
            for item in items:
                if item.get('id'):
                    self.known_ids.add(item['id'])
            self.label(items, 'ordered')
            remaining -= len(items)

    def refused(self, exc, size):
        """A 400 about the order itself: fail naming pattern, or return the smaller chunk size to use."""
        if not (isinstance(exc, CatapultApiError) and exc.status == 400):
            return None
        message = exc.api_message or ''
        if self.crit['pattern'] and 'pattern' in message.lower():
            self.fail('pattern: the server does not accept pattern when ordering (search-and-order), so nothing was '
                      'ordered by that request. Remove pattern, or order specific numbers found by a search with '
                      'bandwidth.catapult.catapult_phone_number. %s' % exc, error=exc.to_dict())
        if exc.code != ORDER_REFUSED or not re.search(r'maxim|quantity', message, re.I):
            return None
        new_cap = parse_cap(message)
        if new_cap is None or new_cap < 1 or new_cap >= size:
            new_cap = FALLBACK_ORDER_CAP if size > FALLBACK_ORDER_CAP else None
        if new_cap is None:
            self.fail('the server refused to order %d numbers at once and named no smaller maximum: %s'
                      % (size, exc), error=exc.to_dict())
        return new_cap

    def recover(self, exc, size, remaining):
        """A lost answer or a refusal for quantity: read the account, adopt what the order allocated."""
        partial = isinstance(exc, CatapultApiError) and exc.status == 404 and exc.code == QUANTITY_UNAVAILABLE
        if not (partial or outcome_unknown(exc)):
            self.fail(str(exc), error=exc.to_dict())
        timed_out = isinstance(exc, CatapultTransportError) and 'timeout' in (exc.reason or '')
        settle = min(self.client.timeout, MAX_SETTLE_SECONDS)
        if timed_out:
            time.sleep(settle)
        try:
            found = self.find_new(size)
        except CatapultError as read_exc:
            self.fail('the answer to an order of %d numbers was lost (%s) and reading the account back failed (%s); '
                      'nothing was ordered again. Numbers that order allocated have no name; a rerun adopts them.'
                      % (size, exc, read_exc), error=read_exc.to_dict())
        if found:
            self.label(found, 'ordered')
        if partial:
            got = len(found)
            if got:
                self.fail('not enough numbers available: asked for %d numbers matching %s and the server could only '
                          'fulfil %d (%s); it kept them and they are labelled %s. The pool holds %d of %d numbers.'
                          % (size, _describe(self.crit), got, QUANTITY_UNAVAILABLE, self.name,
                             self.pool_size(), self.quantity), error=exc.to_dict())
            self.fail('not enough numbers available: asked for %d numbers matching %s and the server answered %s; '
                      'none were ordered (the account was read back to check). The pool holds %d of %d numbers.'
                      % (size, _describe(self.crit), QUANTITY_UNAVAILABLE, self.pool_size(), self.quantity),
                      error=exc.to_dict())
        if timed_out and len(found) < size:
            self.fail('the order of %d numbers timed out and a read of the account %gs later found %d new '
                      'numbers; the server may still be working on it, so nothing was ordered again. Rerun the task '
                      'later: numbers that order allocated have no name, and the rerun adopts them.'
                      % (size, settle, len(found)), error=exc.to_dict())
        return remaining - len(found)

    # -- results ---------------------------------------------------------------------------

    def pool_size(self):
        return len(self.members) + sum(1 for rec in self.added if rec['result'] is not None)

    def unlabelled(self):
        return [{'id': rec['resource'].get('id'), 'number': rec['resource'].get('number'), 'error': str(rec['error'])}
                for rec in self.added if rec['result'] is None]

    def output(self):
        added = [rec for rec in self.added if rec['result'] is not None]
        pool = [m['phone_number'] for m in self.members] + [rec['result']['phone_number'] for rec in added]

        def snake(rec):
            if rec['result'] is not None:
                return rec['result']['phone_number']
            return phone_number_result(rec['resource'])

        result = {
            'changed': any(m.get('changed') for m in self.members) or bool(self.added),
            'shortfall': self.shortfall,
            'ordered': [snake(rec) for rec in self.added if rec['how'] == 'ordered'],
            'adopted': [snake(rec) for rec in self.added if rec['how'] == 'adopted'],
            'phone_numbers': sorted(pool, key=_by_number),
        }
        if self.check_mode and self.shortfall:
            result['changed'] = True
        if self.available is not None:
            result['available'] = self.available
        if self.surplus:
            result['surplus'] = self.surplus
        if self.module._diff:
            after = [m['after'] for m in self.members] + [rec['result']['after'] for rec in added]
            after += [predicted['after'] for predicted in self.predicted]
            result['diff'] = {
                'before': {'name': self.name, 'phone_numbers': self.before},
                'after': {'name': self.name, 'phone_numbers': sorted(after, key=_by_number)},
            }
        return result

    def fail(self, msg, **extra):
        output = self.output()
        unlabelled = self.unlabelled()
        if unlabelled:
            output['unlabelled'] = unlabelled
        if self.added:
            msg += ' %s' % self.inventory()
        if self.problems:
            msg += ' Also: %s' % '; '.join(self.problems)
        output.update(extra)
        self.module.fail_json(msg=msg, **output)

    def inventory(self):
        """Every number this run ordered or adopted, with its ID and whether it is labelled."""
        parts = []
        for rec in self.added:
            parts.append('%s (%s, %s, %s)' % (rec['resource'].get('number'), rec['resource'].get('id'), rec['how'],
                                              'labelled' if rec['result'] is not None else 'NOT labelled'))
        text = 'Numbers this run ordered or adopted: %s.' % ', '.join(parts)
        if self.unlabelled():
            text += (' The unlabelled ones have no name, application or fallback number; a rerun with '
                     'adopt_unlabelled=true (the default) labels them before ordering anything.')
        return text

    def verify_unlabelled(self):
        """Labelling answered with errors: read the account once, since a failed answer may hide an applied update."""
        pending = [rec for rec in self.added if rec['result'] is None]
        if not pending or self.check_mode:
            return
        try:
            by_id = dict((r.get('id'), r) for r in self.client.list_phone_numbers())
        except CatapultError:
            return
        for rec in pending:
            current = by_id.get(rec['resource'].get('id'))
            if current is not None and not update_body(self.entry_for(current), current):
                rec['result'] = converge(self.client, self.entry_for(current), current, True, read_back=False)
                rec['result']['changed'] = True
                rec['error'] = None

    def finish(self):
        self.verify_unlabelled()
        unlabelled = self.unlabelled()
        if unlabelled:
            self.fail('ordered numbers but could not label %d of them after %d attempts each: %s.'
                      % (len(unlabelled), LABEL_ATTEMPTS, '; '.join('%s (%s): %s' % (u['number'], u['id'], u['error'])
                                                                    for u in unlabelled)))
        if self.problems:
            self.fail('; '.join(self.problems))
        output = self.output()
        if self.surplus:
            output['msg'] = ('The pool %s holds %d numbers, %d more than quantity %d; nothing was released.'
                             % (self.name, self.quantity + self.surplus, self.surplus, self.quantity))
        self.module.exit_json(**output)


def main():
    argument_spec = catapult_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True),
        quantity=dict(type='int', default=10),
        state=dict(type='str'),
        city=dict(type='str'),
        zip=dict(type='str'),
        area_code=dict(type='str', aliases=['areaCode']),
        local_number=dict(type='str', aliases=['localNumber']),
        in_local_calling_area=dict(type='bool', aliases=['inLocalCallingArea']),
        pattern=dict(type='str'),
        application_id=dict(type='str'),
        fallback_number=dict(type='str'),
        adopt_unlabelled=dict(type='bool', default=True),
        concurrency=dict(type='int', default=8),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    crit, labels, errors = validate(module.params)
    if errors:
        module.fail_json(msg='; '.join(errors))
    client = create_client(module, pool_size=module.params['concurrency'])
    PoolTask(module, client, crit, labels).run()


if __name__ == '__main__':
    main()
