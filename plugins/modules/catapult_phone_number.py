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
  - With O(number), one number is read with one request. With O(numbers), many numbers are handled in one task; the
    account is read with one paginated listing and only the numbers that differ are written, several at a time.
  - Only the options a task sets are compared and changed. An option left out is left alone on the server.
  - Ordering is never sent twice blindly. When the answer to an order is lost (timeout, server error, dropped
    connection) the module reads the number back and only orders again if the number is verifiably not on the
    account.
author:
  - bandwidth.catapult contributors (@bandwidth)
extends_documentation_fragment:
  - bandwidth.catapult.auth
attributes:
  check_mode:
    description: Reads the account and reports exactly what would change; sends no write.
    support: full
  diff_mode:
    description: Shows the managed fields (state, name, application, fallback number) before and after, for every number.
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
  number:
    description:
      - The phone number in E.164 form, for example V(+19195551234).
      - Spaces, dots, dashes and parentheses are ignored, so V(+1 (919\) 555-1234) is the same number.
      - To order a number it must be available; search with the Catapult API or use
        M(bandwidth.catapult.catapult_local_number_order) to order numbers by area instead.
      - Exactly one of O(number) and O(numbers) is required.
    type: str
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
      - Applies to O(number) only, and defaults to V(present) there. Each entry of O(numbers) has its own
        O(numbers[].state); setting O(state) together with O(numbers) fails before any request.
    type: str
    choices: [present, absent]
  numbers:
    description:
      - Many numbers in one task. Each entry takes the per-number options O(number), O(name), O(application_id),
        O(fallback_number) and O(state).
      - The account is read with one paginated listing, then the numbers that differ are written concurrently.
      - One failing number does not stop or undo the others; the task then fails and lists exactly which numbers
        failed and why, and RV(phone_numbers) holds the result of every entry.
      - Mutually exclusive with O(number). Each number may appear only once.
    type: list
    elements: dict
    suboptions:
      number:
        description: The phone number in E.164 form.
        type: str
        required: true
      name:
        description: The label. Not changed when not set.
        type: str
      application_id:
        description: The application ID. Not changed when not set; V('') removes it.
        type: str
      fallback_number:
        description: The fallback number in E.164 form. Not changed when not set.
        type: str
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
  concurrency:
    description:
      - How many numbers of O(numbers) are written at the same time. Rate limits (HTTP 429) make every worker wait
        together.
    type: int
    default: 8
seealso:
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

- name: Manage many numbers in one task (one listing, concurrent writes)
  bandwidth.catapult.catapult_phone_number:
    numbers:
      - number: "+19195551234"
        name: Support line
        application_id: a-ivr0123456789abcdefghij
      - number: "+19195551236"
        name: Sales line
      - number: "+19195551235"
        state: absent
    concurrency: 16
  register: result

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ result.phone_numbers | selectattr('changed') | map(attribute='number') | list }}"
"""

RETURN = r"""
phone_number:
  description:
    - The number as it is on the account after the task (predicted in check mode), with O(number).
    - For O(state=absent), the number as it was, with RV(phone_number.number_state=released), or V(null) when it was
      not on the account.
  returned: when O(number) is set
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
phone_numbers:
  description: One result per entry of O(numbers), in the same order.
  returned: when O(numbers) is set
  type: list
  elements: dict
  contains:
    number:
      description: The number in E.164 form.
      type: str
      sample: "+19195551234"
    action:
      description: What was done (or would be, in check mode).
      type: str
      choices: [allocate, update, release, none]
      sample: allocate
    changed:
      description: Whether this number changed.
      type: bool
      sample: true
    failed:
      description: Whether this number failed; RV(phone_numbers[].msg) says why.
      type: bool
      sample: false
    msg:
      description: The error, for a failed number.
      type: str
      returned: when failed
    phone_number:
      description:
        - The resource, with the keys of RV(phone_number).
        - For a number this task ordered, only the ID and the fields the task set are known; the bulk form does not
          read every new number back. RV(phone_number.city), RV(phone_number.price) and the like are then V(null).
      type: dict
      returned: when not failed
failed_numbers:
  description: The numbers of O(numbers) that failed.
  returned: when O(numbers) is set
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils.client import CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils.common import (
    catapult_argument_spec,
    create_client,
    fail_from_error,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils.numbers import (
    application_sent,
    check_concurrency,
    converge,
    run_concurrently,
    unknown_application_message,
    unknown_applications,
    validate_entry,
)

ENTRY_OPTIONS = dict(
    number=dict(type='str', required=True),
    name=dict(type='str'),
    application_id=dict(type='str'),
    fallback_number=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)


def diff_of(results):
    """``--diff`` over every number: before/after keyed by number."""
    before = dict((r['number'], r['before']) for r in results if 'before' in r)
    after = dict((r['number'], r['after']) for r in results if 'after' in r)
    return {'before': before, 'after': after}


def check_applications(module, client, uses):
    """Before any write (check mode too): fail when an application ID the task would send does not exist.

    ``uses`` is a list of (where, application ID or None); each distinct ID is read once.
    """
    missing = unknown_applications(client, [app_id for dummy, app_id in uses])
    if not missing:
        return
    problems = []
    for app_id in missing:
        where = [label for label, used in uses if used == app_id and label]
        prefix = '%s: ' % ', '.join(where) if where else ''
        problems.append(unknown_application_message(client, app_id, prefix))
    module.fail_json(msg='%s; nothing was ordered or changed' % '; '.join(problems))


def run_single(module, client):
    entry = dict((key, module.params[key]) for key in ENTRY_OPTIONS)
    entry['state'] = entry['state'] or 'present'
    errors = validate_entry(entry)
    if errors:
        module.fail_json(msg='; '.join(errors))
    try:
        current = client.get_phone_number(entry['number'])
        check_applications(module, client, [(None, application_sent(entry, current))])
        result = converge(client, entry, current, module.check_mode)
    except CatapultError as exc:
        fail_from_error(module, exc)
    output = {'changed': result['changed'], 'phone_number': result['phone_number']}
    if module._diff:
        output['diff'] = {'before': result['before'], 'after': result['after']}
    module.exit_json(**output)


def validate_entries(module):
    entries = [dict(item) for item in module.params['numbers']]
    errors = []
    seen = {}
    for index, entry in enumerate(entries):
        prefix = 'numbers[%d].' % index
        errors.extend(validate_entry(entry, prefix))
        if entry['number'] in seen:
            errors.append('%snumber %s repeats numbers[%d]; list each number once' % (prefix, entry['number'], seen[entry['number']]))
        elif entry['number']:
            seen[entry['number']] = index
    check_concurrency(module.params['concurrency'], errors)
    if errors:
        module.fail_json(msg='; '.join(errors))
    return entries


def run_bulk(module, client):
    entries = validate_entries(module)
    try:
        account = dict((item['number'], item) for item in client.list_phone_numbers()) if entries else {}
        check_applications(module, client, [('numbers[%d]' % index, application_sent(entry, account.get(entry['number'])))
                                            for index, entry in enumerate(entries)])
    except CatapultError as exc:
        fail_from_error(module, exc)

    def work(entry):
        return converge(client, entry, account.get(entry['number']), module.check_mode, read_back=False)

    outcomes = run_concurrently(work, entries, module.params['concurrency'])
    results = []
    failures = []
    for entry, outcome in zip(entries, outcomes):
        if isinstance(outcome, CatapultError):
            failures.append('%s: %s' % (entry['number'], outcome))
            results.append({'number': entry['number'], 'action': 'none', 'changed': False, 'failed': True,
                            'msg': str(outcome), 'error': outcome.to_dict()})
        else:
            outcome['failed'] = False
            results.append(outcome)
    output = {
        'changed': any(r['changed'] for r in results),
        'phone_numbers': [dict((k, v) for k, v in r.items() if k not in ('before', 'after')) for r in results],
        'failed_numbers': [r['number'] for r in results if r['failed']],
    }
    if module._diff:
        output['diff'] = diff_of(results)
    if failures:
        module.fail_json(msg='%d of %d numbers failed: %s' % (len(failures), len(entries), '; '.join(failures)), **output)
    module.exit_json(**output)


def main():
    argument_spec = catapult_argument_spec()
    argument_spec.update(ENTRY_OPTIONS)  # the single form: the options of one entry, number not required
    argument_spec.update(
        number=dict(type='str'),
        # present by default with number (run_single); no default here, so that state given with numbers is seen
        state=dict(type='str', choices=['present', 'absent']),
        numbers=dict(type='list', elements='dict', options=ENTRY_OPTIONS),
        concurrency=dict(type='int', default=8),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[
            ('number', 'numbers'),
            ('numbers', 'name'),
            ('numbers', 'application_id'),
            ('numbers', 'fallback_number'),
        ],
        required_one_of=[('number', 'numbers')],
    )
    if module.params['numbers'] is not None and module.params['state'] is not None:
        module.fail_json(msg='state cannot be used with numbers: each entry of numbers has its own state '
                             '(numbers[].state, default present), so state: %s would apply to none of them. Set state '
                             'in each entry instead.' % module.params['state'])
    client = create_client(module, pool_size=module.params['concurrency'])
    if module.params['numbers'] is not None:
        run_bulk(module, client)
    else:
        run_single(module, client)


if __name__ == '__main__':
    main()
