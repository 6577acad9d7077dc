#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: catapult_phone_number
short_description: Order, label, point and release specific phone numbers on Bandwidth Catapult
version_added: 0.1.0
description:
  - Makes sure a specific phone number, given in E.164 form, is on your Catapult account (ordered for you if it is
    not) with the name, application and fallback number you set, or that it is released.
  - This is the Catapult v1 operation "Order Phone Number" (C(POST /users/{userId}/phoneNumbers)), plus updating and
    releasing the number.
  - The number is read with one request. For many numbers (and pools) in one task, with one listing of the account, use
    M(bandwidth.catapult.catapult_phone_numbers), which also took over this module's former C(numbers) form.
  - Only the options a task sets are compared and changed. An option left out is left alone on the server.
  - Ordering is never sent twice blindly. When the answer to an order is lost (timeout, server error, dropped
    connection) the module reads the number back and only orders again if the number is verifiably not on the
    account.
author:
  - bandwidth.catapult contributors (@bandwidth)
extends_documentation_fragment:
  - bandwidth.catapult.auth
  - bandwidth.catapult.attributes
  - bandwidth.catapult.attributes.idempotent
attributes:
  check_mode:
    description: Reads the account and reports exactly what would change; sends no write.
    support: full
  diff_mode:
    description: Shows the managed fields (state, name, application, fallback number) before and after.
    support: full
options:
  number:
    description:
      - The phone number in E.164 form, for example V(+19195551234).
      - Spaces, dots, dashes and parentheses are ignored, so V(+1 (919\) 555-1234) is the same number.
      - To order a number it must be available; search with the Catapult API or use
        M(bandwidth.catapult.catapult_local_number_order) to order numbers by area instead.
    type: str
    required: true
  name:
    description:
      - A free-text label for the number, for example V(Support line).
      - Not changed when not set. V('') removes the label.
    type: str
  application_id:
    description:
      - The ID of the Catapult application that handles calls and messages to the number, for example V(a-abc123).
      - Not changed when not set. V('') removes the association.
    type: str
  fallback_number:
    description:
      - E.164 number that calls are transferred to when the application's callbacks cannot be delivered.
      - Not changed when not set. V('') asks the API to remove it.
    type: str
  state:
    description:
      - V(present) orders the number if it is not on the account, then sets the fields the task sets.
      - V(absent) releases the number if it is on the account. A released number cannot be ordered again.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: bandwidth.catapult.catapult_phone_numbers
    description: Many numbers and pools in one task, the whole account as code.
  - module: bandwidth.catapult.catapult_local_number_order
    description: Order a pool of local numbers by city, state, ZIP or area code.
  - name: Catapult API, order a phone number
    description: The API operation this module performs.
    link: https://old.dev.bandwidth.com/ap-docs/methods/phoneNumbers/postPhoneNumbers.html
"""

EXAMPLES = r"""
# Tasks for a play on localhost with connection: local and
# ansible_python_interpreter: "{{ ansible_playbook_python }}" (the module talks HTTP from
# the controller). The block example sets the connection options once with module_defaults.
- name: Order the support line and point it at the IVR application
  bandwidth.catapult.catapult_phone_number:
    number: "+19195551234"
    name: Support line
    application_id: a-ivr0123456789abcdefghij
    user_id: "{{ catapult_user_id }}"
    api_token: "{{ catapult_api_token }}"
    api_secret: "{{ catapult_api_secret }}"
  register: support_line

- name: Show the number as it is on the account
  ansible.builtin.debug:
    msg: "{{ support_line.phone_number.national_number }} ({{ support_line.phone_number.city }}) is {{ support_line.phone_number.id }}"

- name: Set the credentials once for the block with the action group
  module_defaults:
    group/bandwidth.catapult.catapult:
      user_id: "{{ lookup('ansible.builtin.env', 'CATAPULT_USER_ID') }}"
      api_token: "{{ lookup('ansible.builtin.env', 'CATAPULT_API_TOKEN') }}"
      api_secret: "{{ vault_catapult_api_secret }}"
  block:
    - name: Rename a number and set its fallback
      bandwidth.catapult.catapult_phone_number:
        number: "+1 (919) 555-1234"
        name: Support line (after hours)
        fallback_number: "+19195550000"

    - name: Detach a number from its application
      bandwidth.catapult.catapult_phone_number:
        number: "+19195551234"
        application_id: ""

    - name: Release a number
      bandwidth.catapult.catapult_phone_number:
        number: "+19195551235"
        state: absent
      register: released

    - name: Preview an order without sending it
      bandwidth.catapult.catapult_phone_number:
        number: "+19195551237"
        name: Fax line
      check_mode: true
      register: plan

    - name: Say what the order would do
      ansible.builtin.debug:
        msg: >-
          {{ plan.phone_number.number }}:
          {{ 'would be ordered' if plan.phone_number.id is none else ('would be updated' if plan is changed else 'nothing to do') }}
"""

RETURN = r"""
phone_number:
  description:
    - The number as it is on the account after the task (predicted in check mode).
    - For O(state=absent), the number as it was, with RV(phone_number.number_state=released), or V(null) when it was
      not on the account.
  returned: always
  type: dict
  contains:
    id:
      description: Catapult's ID of the number. V(null) in check mode for a number not ordered yet.
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
      description: The label.
      type: str
      sample: Support line
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
      description: V(enabled) or V(released).
      type: str
      sample: enabled
    created_time:
      description: When the number was ordered (ISO 8601, UTC).
      type: str
      sample: "2026-11-23T14:26:11.000Z"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import (
    catapult_argument_spec,
    create_client,
    fail_from_error,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._numbers import (
    ENTRY_OPTIONS,
    application_sent,
    converge,
    unknown_application_message,
    unknown_applications,
    validate_entry,
)


def main():
    argument_spec = catapult_argument_spec()
    argument_spec.update(ENTRY_OPTIONS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    entry = dict((key, module.params[key]) for key in ENTRY_OPTIONS)
    errors = validate_entry(entry)
    if errors:
        module.fail_json(msg='; '.join(errors))
    client = create_client(module)
    try:
        current = client.get_phone_number(entry['number'])
        # before any write, check mode too: the application the task would send must exist
        app_id = application_sent(entry, current)
        if unknown_applications(client, [app_id]):
            module.fail_json(msg='%s; nothing was ordered or changed' % unknown_application_message(client, app_id))
        result = converge(client, entry, current, module.check_mode)
    except CatapultError as exc:
        fail_from_error(module, exc)
    output = {'changed': result['changed'], 'phone_number': result['phone_number']}
    if module._diff:
        output['diff'] = {'before': result['before'], 'after': result['after']}
    module.exit_json(**output)


if __name__ == '__main__':
    main()
