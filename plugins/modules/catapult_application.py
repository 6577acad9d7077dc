#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: catapult_application
short_description: Create, update and delete applications on Bandwidth Catapult
version_added: 0.2.0
description:
  - Makes sure an application, the place where Catapult sends the call and message events of the numbers pointed at
    it, is on your Catapult account with the callback URLs and settings you set, or that it is deleted.
  - The application is identified by O(name), so the same task creates it on an account that does not have it and
    finds it on one that does, whatever its ID there. Or it is identified by O(id), which only updates or deletes.
  - A name that more than one application on the account has is an error that lists their IDs; the module never
    picks one.
  - Only the options a task sets are compared and changed. An option left out is left alone on the server.
  - A create is never sent twice blindly. When the answer to a create is lost (timeout, server error, dropped
    connection) the module lists the applications and looks for the name; it only creates again when the listing
    shows no application of that name.
  - This is the Catapult v1 resource C(/users/{userId}/applications).
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
    description: Shows the state and every option of the application before and after.
    support: full
options:
  name:
    description:
      - The application's name, for example V(Support IVR).
      - Without O(id), the application is found by this name; it must be unique on the account.
      - With O(id), the name to give the application (a rename when it differs).
      - At least one of O(name) and O(id) is required.
    type: str
  id:
    description:
      - Catapult's ID of the application, for example V(a-ivr0123456789abcdefghij).
      - A task with O(id) only updates or deletes that application; it fails when the ID is not on the account and
        O(state=present), since an ID cannot be created.
    type: str
  incoming_call_url:
    description:
      - The URL Catapult sends the events of incoming calls to, an absolute V(http://) or V(https://) URL.
      - With O(state=present) and no O(id), at least one of O(incoming_call_url) and O(incoming_message_url) is
        required, because the task may have to create the application and Catapult needs one of them.
      - V('') removes it, as long as the application keeps O(incoming_message_url).
    type: str
    aliases: [incomingCallUrl]
  incoming_call_url_callback_timeout:
    description:
      - How long Catapult waits for O(incoming_call_url) to answer, in milliseconds, from V(1) to V(10000).
      - Catapult's default is V(10000); an application without the field is compared as V(10000).
    type: int
    aliases: [incomingCallUrlCallbackTimeout]
  incoming_call_fallback_url:
    description:
      - The URL that call events go to when O(incoming_call_url) cannot be reached. V('') removes it.
    type: str
    aliases: [incomingCallFallbackUrl]
  incoming_message_url:
    description:
      - The URL Catapult sends the events of incoming messages to, an absolute V(http://) or V(https://) URL.
      - V('') removes it, as long as the application keeps O(incoming_call_url).
    type: str
    aliases: [incomingMessageUrl]
  incoming_message_url_callback_timeout:
    description:
      - How long Catapult waits for O(incoming_message_url) to answer, in milliseconds, from V(1) to V(10000).
      - Catapult's default is V(10000); an application without the field is compared as V(10000).
    type: int
    aliases: [incomingMessageUrlCallbackTimeout]
  incoming_message_fallback_url:
    description:
      - The URL that message events go to when O(incoming_message_url) cannot be reached. V('') removes it.
    type: str
    aliases: [incomingMessageFallbackUrl]
  callback_http_method:
    description:
      - Whether events are sent with HTTP C(GET) or C(POST). Catapult's default is V(post).
    type: str
    choices: [get, post]
    aliases: [callbackHttpMethod]
  auto_answer:
    description:
      - Whether incoming calls are answered automatically. Catapult's default is V(true).
    type: bool
    aliases: [autoAnswer]
  state:
    description:
      - V(present) creates the application if the account has none of that O(name), then sets the options the task
        sets.
      - V(absent) deletes the application if it is on the account. It refuses, before any write, while numbers on
        the account still point at it, unless O(force=true).
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), delete the application even though numbers on the account still point at it. Those
        numbers then keep pointing at an application that no longer exists.
      - Without it, the module reads the numbers that point at the application (one listing) and fails, naming them,
        when there are any.
    type: bool
    default: false
notes:
  - Names are not unique in Catapult. Give each application its own name, or use O(id).
seealso:
  - module: bandwidth.catapult.catapult_application_info
    description: List the applications of an account, or read one by name or ID.
  - module: bandwidth.catapult.catapult_phone_number
    description: Point numbers at an application with its ID.
  - name: Catapult API, applications
    description: The API resource this module manages.
    link: https://old.dev.bandwidth.com/ap-docs/methods/applications/applications.html
"""

EXAMPLES = r"""
# Tasks for a play on localhost with connection: local and
# ansible_python_interpreter: "{{ ansible_playbook_python }}" (the module talks HTTP from
# the controller). The block example sets the connection options once with module_defaults.
- name: Make sure the support application exists with its callback URLs
  bandwidth.catapult.catapult_application:
    name: Support IVR
    incoming_call_url: https://ivr.example.com/catapult/calls
    incoming_message_url: https://ivr.example.com/catapult/messages
    callback_http_method: post
    user_id: "{{ catapult_user_id }}"
    api_token: "{{ catapult_api_token }}"
    api_secret: "{{ catapult_api_secret }}"
  register: support_app

- name: Point the support line at it, by the ID this account gave it
  bandwidth.catapult.catapult_phone_number:
    number: "+19195551234"
    application_id: "{{ support_app.application.id }}"
    user_id: "{{ catapult_user_id }}"
    api_token: "{{ catapult_api_token }}"
    api_secret: "{{ catapult_api_secret }}"

- name: Set the credentials once for the block with the action group
  module_defaults:
    group/bandwidth.catapult.catapult:
      user_id: "{{ lookup('ansible.builtin.env', 'CATAPULT_USER_ID') }}"
      api_token: "{{ lookup('ansible.builtin.env', 'CATAPULT_API_TOKEN') }}"
      api_secret: "{{ vault_catapult_api_secret }}"
  block:
    - name: Use the API's camelCase names, as copied from the Catapult docs
      bandwidth.catapult.catapult_application:
        name: Sales messaging
        incomingMessageUrl: https://sales.example.com/sms
        incomingMessageUrlCallbackTimeout: 3000
        autoAnswer: false

    - name: Preview a change without sending it
      bandwidth.catapult.catapult_application:
        name: Support IVR
        incoming_call_url: https://ivr2.example.com/catapult/calls
        incoming_call_fallback_url: https://ivr-backup.example.com/catapult/calls
      check_mode: true
      diff: true
      register: plan

    - name: Say what would change
      ansible.builtin.debug:
        msg: "{{ plan.diff.before.incoming_call_url }} -> {{ plan.diff.after.incoming_call_url }}"
      when: plan is changed

    - name: Rename an application known by its ID
      bandwidth.catapult.catapult_application:
        id: a-ivr0123456789abcdefghij
        name: Support IVR (old)

    - name: Delete an application no number points at any more
      bandwidth.catapult.catapult_application:
        name: Support IVR (old)
        state: absent

    - name: Delete an application even though numbers still point at it
      bandwidth.catapult.catapult_application:
        name: Retired campaign
        state: absent
        force: true
"""

RETURN = r"""
application:
  description:
    - The application as it is on the account after the task (predicted in check mode).
    - For an application created in check mode, only the options the task sets are known, and RV(application.id)
      is V(null).
    - For O(state=absent), the application as it was before it was deleted, or V(null) when it was not on the
      account.
    - Options the application does not have are V(null).
  returned: always
  type: dict
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
      description: Milliseconds Catapult waits for RV(application.incoming_call_url), when set.
      type: int
      sample: 10000
    incoming_call_fallback_url:
      description: Where call events go when RV(application.incoming_call_url) cannot be reached.
      type: str
      sample: https://ivr-backup.example.com/catapult/calls
    incoming_message_url:
      description: Where the events of incoming messages go.
      type: str
      sample: https://ivr.example.com/catapult/messages
    incoming_message_url_callback_timeout:
      description: Milliseconds Catapult waits for RV(application.incoming_message_url), when set.
      type: int
      sample: 3000
    incoming_message_fallback_url:
      description: Where message events go when RV(application.incoming_message_url) cannot be reached.
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
diff:
  description:
    - With C(--diff), the application before and after. Each has C(state), V(present) or V(absent), and, for a
      present application, every option, with Catapult's defaults filled in and V('') for a URL that is not set.
  returned: when diff mode is on
  type: dict
  sample:
    before:
      state: absent
      name: Support IVR
    after:
      state: present
      name: Support IVR
      incoming_call_url: https://ivr.example.com/catapult/calls
      incoming_call_url_callback_timeout: 10000
      incoming_call_fallback_url: ""
      incoming_message_url: ""
      incoming_message_url_callback_timeout: 10000
      incoming_message_fallback_url: ""
      callback_http_method: post
      auto_answer: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils._applications import (
    OPTIONS,
    ApplicationError,
    argument_spec as application_argument_spec,
    converge,
    find,
    validate,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import (
    catapult_argument_spec,
    create_client,
    fail_from_error,
)


def validate_params(module):
    """Every problem with the options, before any request; returns the desired application."""
    params = module.params
    entry = dict((option, params[option]) for option in OPTIONS)
    entry['state'] = params['state']
    errors = []
    app_id = params['id']
    if app_id is not None:
        app_id = app_id.strip()
        if not app_id or '/' in app_id:
            errors.append('id must be the ID of an application, such as a-ivr0123456789abcdefghij (not empty, no /); '
                          'got %r' % params['id'])
    errors.extend(validate(entry, creatable=app_id is None))
    if errors:
        module.fail_json(msg='; '.join(errors))
    return app_id, entry


def main():
    argument_spec = catapult_argument_spec()
    argument_spec.update(application_argument_spec())
    argument_spec.update(
        id=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        force=dict(type='bool', default=False),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[('name', 'id')],
    )
    app_id, entry = validate_params(module)
    client = create_client(module)
    try:
        current = find(client, app_id=app_id, name=entry['name'])
        if current is None and app_id and entry['state'] == 'present':
            raise ApplicationError('application %s does not exist on account %s (GET %s answered 404 '
                                   'application-not-found); an ID cannot be created: leave id out and give name to '
                                   'create the application' % (app_id, client.user_id,
                                                               client.user_path('applications', app_id)))
        result = converge(client, entry, current, module.check_mode, force=module.params['force'])
    except CatapultError as exc:
        fail_from_error(module, exc)
    output = {'changed': result['changed'], 'application': result['application']}
    if module._diff:
        output['diff'] = {'before': result['before'], 'after': result['after']}
    module.exit_json(**output)


if __name__ == '__main__':
    main()
