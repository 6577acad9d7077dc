#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: catapult_application_info
short_description: List or read the applications on a Bandwidth Catapult account
version_added: 0.2.0
description:
  - Returns the applications on your Catapult account, all pages of them.
  - Or returns the applications with one name, or one application by its Catapult ID.
  - Also returns them in the format of a C(catapult_applications) variable, a list of the options of
    M(bandwidth.catapult.catapult_application) without IDs, so an existing account can be brought under code in one
    step.
  - Never changes anything.
author:
  - bandwidth.catapult contributors (@bandwidth)
extends_documentation_fragment:
  - bandwidth.catapult.auth
  - bandwidth.catapult.attributes
  - bandwidth.catapult.attributes.info_module
options:
  name:
    description:
      - Only the applications with exactly this name, for example V(Support IVR).
      - Names are not unique in Catapult, so this can return more than one application. The account's applications are
        listed (all pages) and compared by name.
      - Mutually exclusive with O(id).
    type: str
  id:
    description:
      - One application to read, by its Catapult ID, for example V(a-ivr0123456789abcdefghij).
      - Returns an empty list when the account has no application with that ID.
    type: str
seealso:
  - module: bandwidth.catapult.catapult_application
    description: Create, update and delete applications.
  - module: bandwidth.catapult.catapult_phone_number_info
    description: List the numbers that point at an application.
"""

EXAMPLES = r"""
# Tasks for a play on localhost with connection: local and
# ansible_python_interpreter: "{{ ansible_playbook_python }}" (the module talks HTTP from
# the controller). They take the connection options from the CATAPULT_USER_ID,
# CATAPULT_API_TOKEN, CATAPULT_API_SECRET (and CATAPULT_API_URL) environment variables;
# the last example sets them once for a block with module_defaults instead.
- name: List every application on the account
  bandwidth.catapult.catapult_application_info:
  register: account

- name: Show the applications' IDs by name
  ansible.builtin.debug:
    msg: "{{ account.applications | items2dict(key_name='name', value_name='id') }}"

- name: Find an application by name
  bandwidth.catapult.catapult_application_info:
    name: Support IVR
  register: support

- name: Fail unless exactly one application has that name
  ansible.builtin.assert:
    that: support.applications | length == 1
    fail_msg: "{{ support.applications | length }} applications are named Support IVR"

- name: Read one application by its Catapult ID
  bandwidth.catapult.catapult_application_info:
    id: a-ivr0123456789abcdefghij
  register: by_id

- name: Bring the account's applications under code - write them to a variables file
  ansible.builtin.copy:
    dest: "{{ playbook_dir }}/group_vars/all/catapult_applications.yml"
    content: "{{ {'catapult_applications': account.catapult_applications} | to_nice_yaml(indent=2) }}"
    mode: "0644"

- name: Report with the credentials set once for the block
  module_defaults:
    group/bandwidth.catapult.catapult:
      user_id: "{{ lookup('ansible.builtin.env', 'CATAPULT_USER_ID') }}"
      api_token: "{{ lookup('ansible.builtin.env', 'CATAPULT_API_TOKEN') }}"
      api_secret: "{{ vault_catapult_api_secret }}"
  block:
    - name: Every application on the account
      bandwidth.catapult.catapult_application_info:
      register: account

    - name: The applications without a messaging URL
      ansible.builtin.debug:
        msg: "{{ account.applications | rejectattr('incoming_message_url') | map(attribute='name') | list }}"
"""

RETURN = r"""
applications:
  description:
    - The applications found, in the order the API lists them, with snake_case keys; options an application does not
      have are V(null).
    - Empty when none matches or the one asked for is not on the account.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Catapult's ID of the application.
      type: str
      sample: a-ivr0123456789abcdefghij
    name:
      description: The name.
      type: str
      sample: Support IVR
    incoming_call_url:
      description: Where the events of incoming calls go.
      type: str
      sample: https://ivr.example.com/catapult/calls
    incoming_call_url_callback_timeout:
      description: Milliseconds Catapult waits for RV(applications[].incoming_call_url), when set.
      type: int
      sample: 10000
    incoming_call_fallback_url:
      description: Where call events go when RV(applications[].incoming_call_url) cannot be reached.
      type: str
      sample: https://ivr-backup.example.com/catapult/calls
    incoming_message_url:
      description: Where the events of incoming messages go.
      type: str
      sample: https://ivr.example.com/catapult/messages
    incoming_message_url_callback_timeout:
      description: Milliseconds Catapult waits for RV(applications[].incoming_message_url), when set.
      type: int
      sample: 3000
    incoming_message_fallback_url:
      description: Where message events go when RV(applications[].incoming_message_url) cannot be reached.
      type: str
      sample: https://ivr-backup.example.com/catapult/messages
    callback_http_method:
      description: V(get) or V(post).
      type: str
      sample: post
    auto_answer:
      description: Whether incoming calls are answered automatically.
      type: bool
      sample: true
catapult_applications:
  description:
    - RV(applications) as a list of the options of M(bandwidth.catapult.catapult_application), sorted by name, without
      IDs. Options the application does not have are left out, so a task given an entry leaves them alone.
  returned: always
  type: list
  elements: dict
  sample:
    - name: Support IVR
      incoming_call_url: https://ivr.example.com/catapult/calls
      callback_http_method: post
      auto_answer: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils._applications import (
    application_result,
    named,
    role_item,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import (
    catapult_argument_spec,
    create_client,
    fail_from_error,
)


def read(module, client):
    params = module.params
    if params['id'] is not None:
        found = client.get_application(params['id'].strip())
        return [found] if found else []
    applications = client.list_applications()
    if params['name'] is not None:
        return named(applications, params['name'])
    return applications


def main():
    argument_spec = catapult_argument_spec()
    argument_spec.update(
        name=dict(type='str'),
        id=dict(type='str'),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('name', 'id')],
    )
    if module.params['id'] is not None and (not module.params['id'].strip() or '/' in module.params['id']):
        module.fail_json(msg='id must be the ID of an application, such as a-ivr0123456789abcdefghij (not empty, no /); '
                             'got %r' % module.params['id'])
    client = create_client(module)
    try:
        results = [application_result(item) for item in read(module, client)]
    except CatapultError as exc:
        fail_from_error(module, exc)
    ordered = sorted(results, key=lambda r: (r['name'] or '', r['id'] or ''))
    module.exit_json(changed=False, applications=results, catapult_applications=[role_item(r) for r in ordered])


if __name__ == '__main__':
    main()
