#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: catapult_tollfree_number_order
short_description: Keep a labelled pool of toll-free phone numbers on Bandwidth Catapult
version_added: 0.1.0
description:
  - Makes sure your Catapult account holds at least O(quantity) enabled toll-free numbers labelled O(name), ordering
    only the shortfall, optionally only numbers matching a vanity O(pattern), and that every number of the pool points
    at the application of O(application) (by name) or O(application_id), and at O(fallback_number), when those are
    set.
  - The same pool contract as M(bandwidth.catapult.catapult_local_number_order), with the same code. The pool is
    counted with one paginated listing of the numbers named O(name); only the missing numbers are ordered, and each
    new number is labelled with O(name), O(application_id) and O(fallback_number).
  - Without O(pattern) this is the Catapult v1 operation "Order Toll Free Phone Number" (search-and-order,
    C(POST /availableNumbers/tollFree?quantity=N)), which takes nothing but a quantity.
  - With O(pattern) the module searches (C(GET /availableNumbers/tollFree) with the pattern) and orders each number
    found with the operation "Order Phone Number" (C(POST /users/{userId}/phoneNumbers)), which labels it in the
    same request.
  - A second run with the same options changes nothing and sends no write.
  - Numbers are never released. When the pool already holds more than O(quantity) numbers, nothing is ordered and
    RV(surplus) says by how many the pool is over.
author:
  - bandwidth.catapult contributors (@bandwidth)
extends_documentation_fragment:
  - bandwidth.catapult.auth
  - bandwidth.catapult.attributes
  - bandwidth.catapult.pool
attributes:
  check_mode:
    description:
      - Counts the pool and searches (C(GET /availableNumbers/tollFree)) for as many numbers as would be ordered; sends
        no write. Fails when the search finds fewer numbers than the pool lacks.
      - The numbers a search finds are not reserved, so the numbers a real run orders may differ from RV(available).
    support: full
options:
  quantity:
    description:
      - How many numbers the pool must hold, from V(1) to V(5000).
      - The default is V(1), like the API's toll-free search-and-order, since toll-free numbers are usually wanted
        one at a time and cost more than local ones.
      - Only the difference between this and the number of numbers already named O(name) is ordered.
    type: int
    default: 1
  pattern:
    description:
      - Only toll-free numbers matching this pattern, for example V(*FLOWER) or V(*2?9*). Letters (matched by their
        telephone keypad digit), digits, V(?) for exactly one digit and V(*) for zero or more digits.
      - The search-and-order operation takes no pattern, so with a pattern the numbers are searched, then ordered one
        by one (see the description).
      - Changing the pattern of an existing pool does not replace its numbers; it only applies to numbers still
        to order or adopt.
    type: str
  adopt_unlabelled:
    description:
      - Before ordering, take into the pool the numbers on the account that have no name, no application and no
        fallback number and that the module can show match the search. Each one is labelled and ordered one fewer.
      - This is how a rerun completes an earlier run that ordered numbers but could not label them all.
      - What is checked on a number is that it is a toll-free number (its area code is one of 800, 833, 844, 855,
        866, 877 and 888) and, with O(pattern), that its 10-digit national number matches the pattern. A local
        number is never adopted.
      - Set V(false) if your account keeps unlabelled, unassigned toll-free numbers that must stay so.
notes:
  - B(Chunking.) The toll-free search-and-order operation orders at most 10 numbers at once (documented), so the
    shortfall is ordered in chunks of 10. A server that names a smaller maximum in its refusal (HTTP 400
    C(invalid-available-number-search-order)) gets chunks of that size. A refused order orders nothing.
  - B(Nothing lost, nothing doubled.) Before ordering, the module lists every number on the account. When the answer
    to a search-and-order is lost (timeout, server error, dropped connection) or the server answers HTTP 404
    C(order-number-quantity-unavailable), it lists the account again. Toll-free numbers that were not there before
    and have no name, application or fallback number are what the order allocated (up to the quantity ordered);
    they are labelled and counted. A listing may lag behind an order, so until the whole order shows, the account
    is read again after 0.5, 1, 2, 4 ... seconds, for at most O(timeout) seconds (at most 10) in all. The rest is
    ordered again only after those reads showed how many are still missing. After a timeout, if the reads find
    fewer numbers than were ordered, the task fails instead of ordering again, and a later rerun adopts what landed.
  - B(What the result says.) After any write the pool is listed again by name, and RV(phone_numbers) is what the
    account holds then. When an order's answer was lost, the whole account is listed instead, and unlabelled
    toll-free numbers that appeared since the first order fail the task and are listed in RV(unlabelled).
  - With O(pattern), each number is ordered with its label in the same request, so it is never unlabelled. When the
    answer is lost, the number is read back and ordered again only if it is not on the account. A number another
    customer took between the search and the order (HTTP 404 C(number-not-found)) is replaced by a new search.
  - When fewer numbers are available than the pool lacks, the task fails with how many it asked for; with
    O(pattern) it fails before ordering any of the numbers that search found.
  - Labelling a new number is tried three times. If it still fails, the task fails listing every number it ordered,
    with its ID and whether it is labelled. Those numbers have no name, no application and no fallback number, so
    the next run adopts them (O(adopt_unlabelled)) before it orders anything.
  - A number on the account is taken for a toll-free number when its area code is one of 800, 833, 844, 855, 866,
    877 and 888.
  - Do not run two toll-free tasks with O(adopt_unlabelled=true) at the same time on one account; each could adopt
    numbers the other just ordered. Such a run reports what its pool holds at its end (with RV(surplus) and a
    warning when that is more than O(quantity)), and fails when it is less.
seealso:
  - module: bandwidth.catapult.catapult_local_number_order
    description: The same pool of local numbers.
  - module: bandwidth.catapult.catapult_available_number_info
    description: Search toll-free numbers without ordering.
  - module: bandwidth.catapult.catapult_phone_number
    description: Order, label or release specific numbers.
  - name: Catapult API, order toll-free numbers
    description: The API operation this module performs without a pattern (search-and-order).
    link: https://old.dev.bandwidth.com/ap-docs/methods/availableNumbers/postAvailableNumbersTollFree.html
  - name: Catapult API, search toll-free numbers
    description: The search of check mode and of O(pattern).
    link: https://old.dev.bandwidth.com/ap-docs/methods/availableNumbers/getAvailableNumbersTollFree.html
"""

EXAMPLES = r"""
# Tasks for a play on localhost with connection: local and
# ansible_python_interpreter: "{{ ansible_playbook_python }}" (the module talks HTTP from
# the controller). The block example sets the connection options once with module_defaults.
- name: Keep one toll-free number for the hotline, pointed at the IVR
  bandwidth.catapult.catapult_tollfree_number_order:
    name: hotline
    application_id: a-ivr0123456789abcdefghij
    user_id: "{{ catapult_user_id }}"
    api_token: "{{ catapult_api_token }}"
    api_secret: "{{ catapult_api_secret }}"
  register: hotline

- name: Show the hotline number
  ansible.builtin.debug:
    msg: "{{ hotline.phone_numbers[0].national_number }}"

- name: Toll-free pools with the credentials set once for the block
  module_defaults:
    group/bandwidth.catapult.catapult:
      user_id: "{{ lookup('ansible.builtin.env', 'CATAPULT_USER_ID') }}"
      api_token: "{{ lookup('ansible.builtin.env', 'CATAPULT_API_TOKEN') }}"
      api_secret: "{{ vault_catapult_api_secret }}"
  block:
    - name: Twenty toll-free numbers for a campaign, with a fallback
      bandwidth.catapult.catapult_tollfree_number_order:
        name: campaign-autumn
        quantity: 20
        fallback_number: "+19195550000"

    - name: A toll-free number for sales, pointed at the application named Sales on this account
      bandwidth.catapult.catapult_tollfree_number_order:
        name: sales-hotline
        application: Sales

    - name: Two vanity numbers ending in FLOWER, checked first
      bandwidth.catapult.catapult_tollfree_number_order:
        name: flowers
        quantity: 2
        pattern: "*FLOWER"
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
  sample: 1
ordered:
  description:
    - The numbers this run ordered, labelled (the keys of RV(phone_numbers)). Empty in check mode.
    - When the task fails after ordering, every number it ordered, labelled or not; see RV(unlabelled).
  returned: always
  type: list
  elements: dict
  sample:
    - id: n-id3x6rblp4jrkih2u7zxjdy
      number: "+18008260000"
      national_number: (800) 826-0000
      name: hotline
      application_id: a-ivr0123456789abcdefghij
      fallback_number: null
      city: null
      state: null
      price: "2.00"
      number_state: enabled
      created_time: null
adopted:
  description:
    - Unlabelled toll-free numbers already on the account that were taken into the pool (O(adopt_unlabelled)),
      typically ordered by an earlier run that could not label them. In check mode, the ones that would be.
  returned: always
  type: list
  elements: dict
  sample: []
unlabelled:
  description:
    - Numbers this run ordered or adopted but could not label, and unlabelled toll-free numbers that appeared after
      an order whose answer was lost without being found in time (the task failed). A rerun adopts them
      (O(adopt_unlabelled)).
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
      sample: "+18008260000"
    national_number:
      description: The number in national format.
      type: str
      sample: (800) 826-0000
    name:
      description: The label, O(name).
      type: str
      sample: hotline
    application_id:
      description: The application the number points at.
      type: str
      sample: a-ivr0123456789abcdefghij
    fallback_number:
      description: The fallback number.
      type: str
      sample: "+19195550000"
    city:
      description: V(null) for toll-free numbers, unless the API gives one.
      type: str
      sample: null
    state:
      description: V(null) for toll-free numbers, unless the API gives one.
      type: str
      sample: null
    price:
      description: Monthly price, as the API gives it.
      type: str
      sample: "2.00"
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
      sample: "+18003569377"
    national_number:
      description: The number in national format.
      type: str
      sample: (800) 356-9377
    pattern_match:
      description: With O(pattern), the national number with the characters the pattern did not match blanked.
      type: str
      sample: "        9377"
    price:
      description: Monthly price, as the API gives it.
      type: str
      sample: "2.00"
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
  sample: The pool hotline holds 3 numbers, 2 more than quantity 1; nothing was released.
"""

from ansible_collections.bandwidth.catapult.plugins.module_utils._pool import run_pool_module
from ansible_collections.bandwidth.catapult.plugins.module_utils._search import TOLL_FREE


def main():
    run_pool_module(TOLL_FREE, dict(quantity=dict(type='int', default=1), pattern=dict(type='str')))


if __name__ == '__main__':
    main()
