#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: catapult_phone_number_info
short_description: List or read the phone numbers on a Bandwidth Catapult account
version_added: 0.1.0
description:
  - Returns the phone numbers on your Catapult account, all pages of them, optionally filtered the way the API
    filters them (application, US state, name, city, number state).
  - Or returns one number, by E.164 number or by Catapult ID.
  - Also returns the numbers in the format of the C(catapult_phone_numbers) variable of the
    R(bandwidth.catapult.phone_numbers role,ansible_collections.bandwidth.catapult.phone_numbers_role), so an existing
    account can be brought under code in one step.
  - Never changes anything.
author:
  - bandwidth.catapult contributors (@bandwidth)
extends_documentation_fragment:
  - bandwidth.catapult.auth
  - bandwidth.catapult.attributes
  - bandwidth.catapult.attributes.info_module
options:
  number:
    description:
      - One number to read, in E.164 form, for example V(+19195551234). Mutually exclusive with O(id) and the filters.
    type: str
  id:
    description:
      - One number to read, by its Catapult ID, for example V(n-id3x6rblp4jrkih2u7zxjdy).
    type: str
  application_id:
    description: Only numbers pointed at this application.
    type: str
  state:
    description: Only numbers in this US state, as two letters, for example V(NC).
    type: str
  name:
    description: Only numbers with this name (label), for example the name of a pool.
    type: str
  city:
    description: Only numbers in this city, for example V(RALEIGH).
    type: str
  number_state:
    description:
      - Only V(enabled) numbers (those on the account) or only V(released) ones.
      - When not set, only enabled numbers are returned.
    type: str
    choices: [enabled, released]
seealso:
  - module: bandwidth.catapult.catapult_phone_number
    description: Order, label and release specific numbers.
  - name: The bandwidth.catapult.phone_numbers role
    link: https://github.com/bandwidth/ansible-collection-catapult/blob/main/roles/phone_numbers/README.md
    description: >-
      The role that manages the numbers this module returns in RV(catapult_phone_numbers). Its reference is
      C(ansible-doc -t role bandwidth.catapult.phone_numbers).
"""

EXAMPLES = r"""
# Tasks for a play on localhost with connection: local and
# ansible_python_interpreter: "{{ ansible_playbook_python }}" (the module talks HTTP from
# the controller). They take the connection options from the CATAPULT_USER_ID,
# CATAPULT_API_TOKEN, CATAPULT_API_SECRET (and CATAPULT_API_URL) environment variables;
# the last example sets them once for a block with module_defaults instead.
- name: List every number on the account
  bandwidth.catapult.catapult_phone_number_info:
  register: account

- name: Show the numbers and their names
  ansible.builtin.debug:
    msg: "{{ account.phone_numbers | items2dict(key_name='number', value_name='name') }}"

- name: The numbers of one pool
  bandwidth.catapult.catapult_phone_number_info:
    name: IVR pool
  register: ivr_pool

- name: The numbers in Raleigh, NC, that point at the IVR application
  bandwidth.catapult.catapult_phone_number_info:
    application_id: a-ivr0123456789abcdefghij
    state: NC
    city: RALEIGH
  register: raleigh_ivr

- name: The numbers released from the account
  bandwidth.catapult.catapult_phone_number_info:
    number_state: released
  register: released

- name: Read one number
  bandwidth.catapult.catapult_phone_number_info:
    number: "+19195551234"
  register: support_line

- name: Fail unless the support line is on the account and points at the support application
  ansible.builtin.assert:
    that:
      - support_line.phone_numbers | length == 1
      - support_line.phone_numbers[0].application_id == 'a-support0123456789abcdef'
    fail_msg: The support line is missing or points elsewhere

- name: Read one number by its Catapult ID
  bandwidth.catapult.catapult_phone_number_info:
    id: n-id3x6rblp4jrkih2u7zxjdy
  register: by_id

- name: Bring the account under code - write the role's variables to a file
  ansible.builtin.copy:
    dest: "{{ playbook_dir }}/group_vars/all/catapult_phone_numbers.yml"
    content: "{{ {'catapult_phone_numbers': account.catapult_phone_numbers} | to_nice_yaml(indent=2) }}"
    mode: "0644"

- name: Report with the credentials set once for the block
  module_defaults:
    group/bandwidth.catapult.catapult:
      user_id: "{{ lookup('ansible.builtin.env', 'CATAPULT_USER_ID') }}"
      api_token: "{{ lookup('ansible.builtin.env', 'CATAPULT_API_TOKEN') }}"
      api_secret: "{{ vault_catapult_api_secret }}"
  block:
    - name: Every number on the account
      bandwidth.catapult.catapult_phone_number_info:
      register: account

    - name: How many numbers are not named yet
      ansible.builtin.debug:
        msg: "{{ account.phone_numbers | rejectattr('name') | list | length }} of {{ account.phone_numbers | length }}"
"""

RETURN = r"""
phone_numbers:
  description:
    - The numbers found, with snake_case keys. Empty when none matches or the one number asked for is not on the
      account.
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
catapult_phone_numbers:
  description:
    - The enabled numbers of RV(phone_numbers) in the format of the role variable C(catapult_phone_numbers), sorted by
      number. Fields the number does not have are left out, so the role leaves them alone.
  returned: always
  type: list
  elements: dict
  sample:
    - number: "+19195551234"
      name: Support line
      application_id: a-ivr0123456789abcdefghij
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import (
    catapult_argument_spec,
    create_client,
    e164_error,
    fail_from_error,
    normalize_e164,
    phone_number_result,
)

FILTERS = (('application_id', 'applicationId'), ('state', 'state'), ('name', 'name'), ('city', 'city'),
           ('number_state', 'numberState'))
ROLE_FIELDS = ('number', 'name', 'application_id', 'fallback_number')


def as_role_item(result):
    return dict((key, result[key]) for key in ROLE_FIELDS if result.get(key))


def read(module, client):
    params = module.params
    if params['number'] is not None:
        number = normalize_e164(params['number'])
        if number is None:
            module.fail_json(msg=e164_error('number', params['number']))
        found = client.get_phone_number(number)
        return [found] if found else []
    if params['id'] is not None:
        found = client.get_phone_number(params['id'].strip())
        return [found] if found else []
    filters = dict((api, params[option]) for option, api in FILTERS if params[option] is not None)
    if 'state' in filters:
        filters['state'] = filters['state'].upper()
    return client.list_phone_numbers(**filters)


def main():
    argument_spec = catapult_argument_spec()
    argument_spec.update(
        number=dict(type='str'),
        id=dict(type='str'),
        application_id=dict(type='str'),
        state=dict(type='str'),
        name=dict(type='str'),
        city=dict(type='str'),
        number_state=dict(type='str', choices=['enabled', 'released']),
    )
    one = ('number', 'id')
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[one] + [(single, option) for single in one for option, dummy in FILTERS],
    )
    if module.params['id'] is not None and (not module.params['id'].strip() or '/' in module.params['id']):
        module.fail_json(msg='id must be the ID of a number, such as n-id3x6rblp4jrkih2u7zxjdy (not empty, no /); '
                             'got %r' % module.params['id'])
    client = create_client(module)
    try:
        results = [phone_number_result(item) for item in read(module, client)]
    except CatapultError as exc:
        fail_from_error(module, exc)
    enabled = sorted((r for r in results if (r['number_state'] or 'enabled') != 'released'), key=lambda r: r['number'] or '')
    module.exit_json(changed=False, phone_numbers=results, catapult_phone_numbers=[as_role_item(r) for r in enabled])


if __name__ == '__main__':
    main()
