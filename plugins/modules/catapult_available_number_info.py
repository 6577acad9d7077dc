#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: catapult_available_number_info
short_description: Search the local or toll-free numbers available on Bandwidth Catapult, without ordering
version_added: 0.1.0
description:
  - Searches the numbers you could order, with the Catapult v1 operations "Search for available local numbers"
    (C(GET /availableNumbers/local)) and "Search for available toll-free numbers" (C(GET /availableNumbers/tollFree)).
  - Local numbers are searched by city, state, ZIP code or area code, with the same options and the same checks as
    M(bandwidth.catapult.catapult_local_number_order); toll-free numbers by O(pattern).
  - The search options are checked before any request, with the rules the API documents; a bad combination fails
    naming the option and the rule.
  - Never orders or changes anything. The numbers found are not reserved; ordering them later may find some taken.
author:
  - bandwidth.catapult contributors (@bandwidth)
extends_documentation_fragment:
  - bandwidth.catapult.auth
  - bandwidth.catapult.attributes
  - bandwidth.catapult.attributes.info_module
  - bandwidth.catapult.local_search
attributes:
  idempotent:
    description: Only reads. Two searches may find different numbers when the stock changes in between.
    support: full
options:
  type:
    description:
      - V(local) searches local numbers by O(state), O(zip) or O(area_code) (exactly one of them is required).
      - V(toll_free) searches toll-free numbers (area codes 800, 833, 844, 855, 866, 877 and 888); only O(pattern)
        and O(quantity) apply.
    type: str
    choices: [local, toll_free]
    default: local
  quantity:
    description:
      - How many numbers to return at most, from V(1) to V(5000).
    type: int
    default: 10
  pattern:
    description:
      - Only numbers matching this pattern, local or toll-free. Letters (matched by their telephone keypad digit),
        digits, V(?) for exactly one digit and V(*) for zero or more digits, for example V(*FLOWER*) or V(*2?9*).
      - RV(available_numbers[].pattern_match) shows which characters matched.
    type: str
seealso:
  - module: bandwidth.catapult.catapult_local_number_order
    description: Keep a labelled pool of local numbers, searched with the same options.
  - module: bandwidth.catapult.catapult_tollfree_number_order
    description: Keep a labelled pool of toll-free numbers.
  - module: bandwidth.catapult.catapult_phone_number
    description: Order a specific number found by this search.
  - name: Catapult API, search local numbers
    description: The local search and its rules.
    link: https://old.dev.bandwidth.com/ap-docs/methods/availableNumbers/getAvailableNumbersLocal.html
  - name: Catapult API, search toll-free numbers
    description: The toll-free search.
    link: https://old.dev.bandwidth.com/ap-docs/methods/availableNumbers/getAvailableNumbersTollFree.html
"""

EXAMPLES = r"""
# Tasks for a play on localhost with connection: local and
# ansible_python_interpreter: "{{ ansible_playbook_python }}" (the module talks HTTP from
# the controller). The block example sets the connection options once with module_defaults.
- name: Five numbers available in Raleigh, NC
  bandwidth.catapult.catapult_available_number_info:
    city: RALEIGH
    state: NC
    quantity: 5
    user_id: "{{ catapult_user_id }}"
    api_token: "{{ catapult_api_token }}"
    api_secret: "{{ catapult_api_secret }}"
  register: raleigh

- name: Show them
  ansible.builtin.debug:
    msg: "{{ raleigh.available_numbers | map(attribute='national_number') | list }}"

- name: Searches with the credentials set once for the block
  module_defaults:
    group/bandwidth.catapult.catapult:
      user_id: "{{ lookup('ansible.builtin.env', 'CATAPULT_USER_ID') }}"
      api_token: "{{ lookup('ansible.builtin.env', 'CATAPULT_API_TOKEN') }}"
      api_secret: "{{ vault_catapult_api_secret }}"
  block:
    - name: Numbers starting with +1919555, or from its local calling area
      bandwidth.catapult.catapult_available_number_info:
        areaCode: "919"
        localNumber: "555"
        inLocalCallingArea: true

    - name: Toll-free vanity numbers ending in FLOWER
      bandwidth.catapult.catapult_available_number_info:
        type: toll_free
        pattern: "*FLOWER"
        quantity: 3
      register: vanity

    - name: Order the first one found
      bandwidth.catapult.catapult_phone_number:
        number: "{{ vanity.available_numbers[0].number }}"
        name: flower-hotline
      when: vanity.available_numbers | length > 0
"""

RETURN = r"""
changed:
  description: Always V(false); a search changes nothing.
  returned: always
  type: bool
  sample: false
available_numbers:
  description:
    - The available numbers found, at most O(quantity), in the order the API gives them. Empty when none matches.
    - Toll-free numbers have no city, state, rate center or LATA; those keys are V(null).
  returned: always
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
    pattern_match:
      description: With O(pattern), the national number with the characters the pattern did not match blanked.
      type: str
      sample: "          1234"
    city:
      description: The number's city (local numbers).
      type: str
      sample: RALEIGH
    state:
      description: The number's US state (local numbers).
      type: str
      sample: NC
    rate_center:
      description: The number's rate center (local numbers).
      type: str
      sample: RALEIGH
    lata:
      description: The number's LATA (local numbers).
      type: str
      sample: "426"
    price:
      description: Monthly price, as the API gives it.
      type: str
      sample: "0.35"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import catapult_argument_spec, create_client, fail_from_error
from ansible_collections.bandwidth.catapult.plugins.module_utils._search import (
    LOCAL,
    SEARCH_OPTIONS,
    TOLL_FREE,
    available_result,
    check_quantity,
    local_search_argument_spec,
    search_query,
    validate,
)

KINDS = {'local': LOCAL, 'toll_free': TOLL_FREE}


def check(params):
    """The search's kind and criteria, and every problem with the options (nothing is sent before this)."""
    kind = KINDS[params['type']]
    errors = []
    if kind == TOLL_FREE:
        local_only = [option for option, dummy in SEARCH_OPTIONS if option != 'pattern' and params[option] not in (None, '', False)]
        if local_only:
            errors.append('%s can only be used with type=local; a toll-free search takes only pattern and quantity'
                          % ', '.join(local_only))
    crit, search_errors = validate(kind, params)
    errors.extend(search_errors)
    check_quantity(params['quantity'], errors)
    return kind, crit, errors


def main():
    argument_spec = catapult_argument_spec()
    argument_spec.update(local_search_argument_spec())
    argument_spec.update(
        type=dict(type='str', choices=list(KINDS), default='local'),
        quantity=dict(type='int', default=10),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    kind, crit, errors = check(module.params)
    if errors:
        module.fail_json(msg='; '.join(errors))
    client = create_client(module)
    try:
        found = client.search_available(kind, dict(search_query(crit), quantity=module.params['quantity']))
    except CatapultError as exc:
        fail_from_error(module, exc)
    module.exit_json(changed=False, available_numbers=[available_result(item) for item in found])


if __name__ == '__main__':
    main()
