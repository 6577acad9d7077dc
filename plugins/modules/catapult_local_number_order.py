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
    the application of O(application) (by name) or O(application_id), and at O(fallback_number), when those are set.
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
  - bandwidth.catapult.attributes
  - bandwidth.catapult.pool
  - bandwidth.catapult.local_search
attributes:
  check_mode:
    description:
      - Counts the pool and searches (C(GET /availableNumbers/local)) for as many numbers as would be ordered; sends
        no write. Fails when the search finds fewer numbers than the pool lacks.
      - The numbers a search finds are not reserved, so the numbers a real run orders may differ from RV(available).
    support: full
options:
  quantity:
    description:
      - How many numbers the pool must hold, from V(1) to V(5000).
      - Only the difference between this and the number of numbers already named O(name) is ordered.
    type: int
    default: 10
  pattern:
    description:
      - Only numbers matching this pattern. Letters (matched by their telephone keypad digit), digits, V(?) for exactly
        one digit and V(*) for zero or more digits, for example V(*2?9*).
      - The API's documentation lists it for search-and-order, but its error catalogue says an order cannot contain a
        pattern. If the server rejects it, the task fails naming O(pattern) and nothing is ordered.
    type: str
  adopt_unlabelled:
    description:
      - Before ordering, take into the pool the numbers on the account that have no name, no application and no
        fallback number and that the module can show match the search. Each one is labelled and ordered one fewer.
      - This is how a rerun completes an earlier run that ordered numbers but could not label them all.
      - What is checked on a number is that it is a local number (its area code is not one of the toll-free 800, 833,
        844, 855, 866, 877 and 888), that its state and city on the account are O(state) and O(city) (a number
        whose resource has no state or city is not adopted), that its digits start with O(area_code) and
        O(local_number), and that its 10-digit national number matches O(pattern).
      - O(zip) and O(in_local_calling_area) cannot be checked on a number, so a pool with either never adopts a
        number; nothing is adopted on a guess.
      - Set V(false) if your account keeps unlabelled, unassigned numbers matching the search that must stay so.
notes:
  - B(Chunking.) The search-and-order operation caps the quantity of one order; the documented cap changed from 5000
    to 10 in 2018. The module first orders up to 5000 numbers at once. When the server refuses the quantity
    (HTTP 400 C(invalid-available-number-search-order) about the maximum quantity) it takes the cap from the
    message, or 10 when the message has no number, and orders the rest in chunks of that size. A refused order
    orders nothing, so this is safe.
  - B(Nothing lost, nothing doubled.) Before ordering, the module lists every number on the account. When the answer
    to an order is lost (timeout, server error, dropped connection) or the server answers HTTP 404
    C(order-number-quantity-unavailable), it lists the account again. Numbers that were not there before, have no
    name, application or fallback number and are not shown to differ from the search are what the order allocated
    (up to the quantity ordered; O(zip) and O(in_local_calling_area) are not checked there, since those numbers were
    not on the account before); they are labelled and counted. A listing may lag behind an order, so until the
    whole order shows, the account is read again after 0.5, 1, 2, 4 ... seconds, for at most O(timeout) seconds (at
    most 10) in all. The rest is ordered again only after those reads showed how many are still missing. After a
    timeout, if the reads find fewer numbers than were ordered, the server may still be working, so the task fails
    instead of ordering again, and a later rerun adopts what landed.
  - B(What the result says.) After any write the pool is listed again by name, and RV(phone_numbers) is what the
    account holds then. When an order's answer was lost, the whole account is listed instead, and unlabelled
    numbers that appeared since the first order and could be this run's fail the task and are listed in
    RV(unlabelled).
  - When fewer numbers are available than the pool lacks, the task fails with how many it asked for. A server
    that kept part of such an order (partial fulfilment) is handled too; the numbers it kept are labelled and
    reported in RV(ordered).
  - Labelling a new number is tried three times. If it still fails, the task fails listing every number it ordered,
    with its ID and whether it is labelled. Those numbers have no name, no application and no fallback number, so
    the next run adopts them (O(adopt_unlabelled)) before it orders anything.
  - O(adopt_unlabelled) says which criteria are checked before a number is adopted.
  - Do not run two tasks with overlapping search options and O(adopt_unlabelled=true) at the same time on one
    account; each could adopt numbers the other just ordered. Such a run reports what its pool holds at its end
    (with RV(surplus) and a warning when that is more than O(quantity)), and fails when it is less.
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
# Tasks for a play on localhost with connection: local and
# ansible_python_interpreter: "{{ ansible_playbook_python }}" (the module talks HTTP from
# the controller). The block example sets the connection options once with module_defaults.
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

- name: Pools with the credentials set once for the block
  module_defaults:
    group/bandwidth.catapult.catapult:
      user_id: "{{ lookup('ansible.builtin.env', 'CATAPULT_USER_ID') }}"
      api_token: "{{ lookup('ansible.builtin.env', 'CATAPULT_API_TOKEN') }}"
      api_secret: "{{ vault_catapult_api_secret }}"
  block:
    - name: Five numbers starting with +1919555, from the local calling area if needed
      bandwidth.catapult.catapult_local_number_order:
        name: campaign-spring
        quantity: 5
        area_code: "919"
        local_number: "555"
        in_local_calling_area: true
        fallback_number: "+19195550000"

    - name: Ten Durham numbers for sales, pointed at the application named Sales on this account
      bandwidth.catapult.catapult_local_number_order:
        name: sales-durham
        city: DURHAM
        state: NC
        application: Sales

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
  description:
    - Numbers this run ordered or adopted but could not label, and unlabelled numbers that appeared after an order
      whose answer was lost without being found in time (the task failed). A rerun adopts those it can show match
      the search (O(adopt_unlabelled)).
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
    - The whole pool after the task, sorted by number, as the account lists it after the writes (predicted in check
      mode, without the numbers still to order).
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
  description:
    - How many numbers the pool holds beyond O(quantity), also when another run ordered for it at the same time. The
      task then warns. Nothing is released.
  returned: when the pool holds more than O(quantity)
  type: int
  sample: 2
msg:
  description: What happened, in words, when the pool was over O(quantity) or the task failed.
  returned: sometimes
  type: str
  sample: The pool support-desk holds 12 numbers, 2 more than quantity 10; nothing was released.
"""

from ansible_collections.bandwidth.catapult.plugins.module_utils._pool import run_pool_module
from ansible_collections.bandwidth.catapult.plugins.module_utils._search import LOCAL, local_search_argument_spec


def main():
    options = local_search_argument_spec()
    options.update(quantity=dict(type='int', default=10))
    run_pool_module(LOCAL, options)


if __name__ == '__main__':
    main()
