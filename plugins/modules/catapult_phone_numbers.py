#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: catapult_phone_numbers
short_description: Keep the whole phone number inventory of a Bandwidth Catapult account as code
version_added: 0.2.0
description:
  - Takes the desired state of an account in one task, the applications of O(applications), the specific numbers of
    O(numbers) and the labelled pools of O(pools), and makes the account match it with one plan.
  - 'The order is fixed: every application, entry and pool is validated before any request; the applications are
    listed once (when the state names any, by ID or by name, or lists O(applications)): every ID must exist and every
    name resolves to the ID of its application on this account; the account is read once (one paginated listing);
    one plan is computed (which applications to create, update or delete, what numbers to allocate, update and
    release, and for each pool what it orders, adopts or holds as surplus); the plan is applied with one bounded
    O(concurrency), the applications first; when any number was written the account is read again, so the result
    says what the account holds.'
  - B(Applications by name.) Numbers and pools name their application with O(numbers[].application) or
    O(pools[].application) instead of its ID, so the same variables provision several accounts, where the same
    application has different IDs. A name is resolved to its ID once per task, before any write. A name no
    application has (and that O(applications) does not create) fails before anything is bought, and so does a name
    that several applications have (the message lists their IDs).
  - Specific numbers are applied first, then what O(prune) releases, then the pools; a pool never adopts or previews a
    number that an entry of O(numbers) claims or that another pool takes. In check mode the previews of several pools
    never collide.
  - B(Drift is always reported.) RV(unmanaged) lists the numbers on the account that no entry and no pool claims.
    With O(prune=true) they are released, and so is each pool's surplus (the newest numbers first), under guards
    (O(prune_limit), O(prune_protect)). Without O(prune) nothing is ever released that an entry does not mark
    V(absent).
  - The bulk form of M(bandwidth.catapult.catapult_phone_number) moved here; that module manages one number, and
    M(bandwidth.catapult.catapult_local_number_order) and M(bandwidth.catapult.catapult_tollfree_number_order) manage
    one pool, on the same engine.
author:
  - bandwidth.catapult contributors (@bandwidth)
extends_documentation_fragment:
  - bandwidth.catapult.auth
  - bandwidth.catapult.attributes
  - bandwidth.catapult.attributes.idempotent
attributes:
  check_mode:
    description:
      - Reads the account and the applications, and for every pool that would order, searches
        (C(GET /availableNumbers/...)) the numbers the order would take; sends no write. RV(plan) is the full plan.
      - An application the task would create has no ID yet. RV(applications[].id) is V(null), and the numbers and
        pools that point at it show the stand-in V((id of the application NAME, created by this task\)) as their
        application ID, in the plan, in RV(phone_numbers) and in the diff.
    support: full
  diff_mode:
    description:
      - Before and after of every number the plan touches (state, name, application and fallback number), and of
        every application it creates, updates or deletes.
    support: full
options:
  applications:
    description:
      - Applications, each identified by O(applications[].name), with the options of
        M(bandwidth.catapult.catapult_application). They are provisioned first, in the same plan. An application
        the account does not have is created, one it has is updated where the options it sets differ, and one with
        O(applications[].state=absent) is deleted (refused before any write while a number would still point at it
        after the plan).
      - Numbers and pools point at them with O(numbers[].application), O(pools[].application) or
        O(default_application). In check mode those resolve to a stand-in for the ID the application gets.
      - With O(prune=true), the applications on the account that this list does not name are deleted when no number
        points at them after the plan, counted in O(prune_limit) and never those O(prune_protect) names. B(Only when
        this list names at least one application); without it, or with an empty list, no application is ever
        deleted by prune.
      - Names must be unique. A name that several applications on the account have fails before any write.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The application's name; it identifies the application on every account.
        type: str
        required: true
      incoming_call_url:
        description:
          - The URL Catapult sends the events of incoming calls to. At least one of O(applications[].incoming_call_url)
            and O(applications[].incoming_message_url) is required (the application may have to be created).
        type: str
        aliases: [incomingCallUrl]
      incoming_call_url_callback_timeout:
        description: Milliseconds Catapult waits for the call URL to answer, from V(1) to V(10000) (Catapult's default).
        type: int
        aliases: [incomingCallUrlCallbackTimeout]
      incoming_call_fallback_url:
        description: Where call events go when the call URL cannot be reached. V('') removes it.
        type: str
        aliases: [incomingCallFallbackUrl]
      incoming_message_url:
        description: The URL Catapult sends the events of incoming messages to.
        type: str
        aliases: [incomingMessageUrl]
      incoming_message_url_callback_timeout:
        description: Milliseconds Catapult waits for the message URL to answer, from V(1) to V(10000) (Catapult's default).
        type: int
        aliases: [incomingMessageUrlCallbackTimeout]
      incoming_message_fallback_url:
        description: Where message events go when the message URL cannot be reached. V('') removes it.
        type: str
        aliases: [incomingMessageFallbackUrl]
      callback_http_method:
        description: Whether events are sent with HTTP C(GET) or C(POST). Catapult's default is V(post).
        type: str
        choices: [get, post]
        aliases: [callbackHttpMethod]
      auto_answer:
        description: Whether incoming calls are answered automatically. Catapult's default is V(true).
        type: bool
        aliases: [autoAnswer]
      state:
        description:
          - V(present) creates or updates the application; V(absent) deletes it.
          - No number or pool of the task may point at an application with V(absent).
        type: str
        choices: [present, absent]
        default: present
  numbers:
    description:
      - Specific numbers. Each is allocated when it is not on the account (O(numbers[].state=present)), or released
        (V(absent)); only the fields an entry (or a default) sets are compared and changed.
      - Each number may appear only once, and no entry may carry the name of a pool.
    type: list
    elements: dict
    default: []
    suboptions:
      number:
        description: The number in E.164 form, for example V(+19195550100). Quote it in YAML.
        type: str
        required: true
      name:
        description: A label. Not changed when not set; V('') removes it.
        type: str
      application:
        description:
          - The name of the application that handles the number's calls and messages, resolved to its ID on the
            account (or the one O(applications) creates). Overrides O(default_application) and
            O(default_application_id).
          - Mutually exclusive with O(numbers[].application_id).
        type: str
      application_id:
        description:
          - The ID of the application that handles the number's calls and messages. Overrides
            O(default_application_id) and O(default_application). V('') removes the association.
          - Mutually exclusive with O(numbers[].application).
        type: str
      fallback_number:
        description: E.164 number calls go to when the application cannot be reached. Overrides O(default_fallback_number).
        type: str
      state:
        description: V(present) allocates the number if needed; V(absent) releases it (a released number may be lost for good).
        type: str
        choices: [present, absent]
        default: present
  pools:
    description:
      - Labelled pools. After the task the account holds at least O(pools[].quantity) numbers named O(pools[].name),
        each pointed at the pool's application and fallback number; with O(prune=true), exactly that many.
      - A local pool takes exactly one of O(pools[].state), O(pools[].zip) and O(pools[].area_code), with the rules
        of M(bandwidth.catapult.catapult_local_number_order); a toll-free pool takes only O(pools[].pattern).
      - Pool names must be unique.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The label every number of the pool carries; it makes the pool idempotent.
        type: str
        required: true
      type:
        description: V(local) or V(toll_free).
        type: str
        choices: [local, toll_free]
        default: local
      quantity:
        description:
          - How many numbers the pool holds, from V(1) to V(5000).
          - Defaults to V(10) for a local pool and V(1) for a toll-free pool, as in the pool modules.
        type: int
      state:
        description: Local pools. The US state to search, as its two-letter code (the search criterion, not present/absent).
        type: str
      city:
        description: Local pools. The city to search; requires O(pools[].state).
        type: str
      zip:
        description: Local pools. The 5-digit ZIP code to search. Quote it in YAML.
        type: str
      area_code:
        description: Local pools. The 3-digit area code to search.
        type: str
        aliases: [areaCode]
      local_number:
        description: Local pools. The first 3 or 4 digits after the area code; requires O(pools[].area_code).
        type: str
        aliases: [localNumber]
      in_local_calling_area:
        description: Local pools. With O(pools[].local_number), also numbers of the local calling area.
        type: bool
        aliases: [inLocalCallingArea]
      pattern:
        description: Only numbers matching this pattern (digits, letters as keypad digits, V(?), V(*)).
        type: str
      application:
        description:
          - The name of the application of every number of the pool (see O(numbers[].application)).
          - Mutually exclusive with O(pools[].application_id).
        type: str
      application_id:
        description:
          - The ID of the application of every number of the pool. Overrides O(default_application_id) and
            O(default_application).
          - Mutually exclusive with O(pools[].application).
        type: str
      fallback_number:
        description: The fallback number of every number of the pool. Overrides O(default_fallback_number).
        type: str
      adopt_unlabelled:
        description:
          - Before ordering, take into the pool unlabelled numbers on the account that provably match the pool (see
            M(bandwidth.catapult.catapult_local_number_order)). Never a number another entry or pool claims.
        type: bool
        default: true
  default_application:
    description:
      - The name of the application of every entry and pool that sets none (see O(numbers[].application)).
      - Mutually exclusive with O(default_application_id).
    type: str
  default_application_id:
    description:
      - The ID of the application of every entry and pool that sets none. When neither the entry nor a default sets
        one, it is not managed.
      - Mutually exclusive with O(default_application).
    type: str
  default_fallback_number:
    description: The fallback number (E.164) of every entry and pool that sets none.
    type: str
  concurrency:
    description: How many requests are in flight at the same time, across numbers and pools, from V(1) to V(64).
    type: int
    default: 8
  prune:
    description:
      - Release what the code does not hold. The numbers on the account that no entry and no pool claims (RV(unmanaged)),
        and each pool's numbers beyond O(pools[].quantity), the newest first.
      - When O(applications) names at least one application, also delete the applications on the account it does not
        name (RV(unmanaged_applications)) that no number points at after the plan. They are deleted last, after the
        numbers were moved or released. An application some number still points at is kept and reported.
      - A release can lose a number for good, so O(prune_limit) and O(prune_protect) guard it, and check mode shows
        exactly what would go.
    type: bool
    default: false
  prune_limit:
    description:
      - The most numbers one run may release, plus applications it may delete, through O(prune) (entries and
        applications with V(state=absent) do not count). When the plan would release and delete more, the task fails
        before any write, lists them and says how to raise the limit.
    type: int
    default: 10
  prune_protect:
    description:
      - Numbers O(prune) never releases, given by name (every number carrying it) or as E.164 numbers, and
        applications it never deletes, given by name.
      - Quote E.164 numbers in YAML. An unquoted V(+19195550100) arrives as digits without the V(+) and fails the task
        before any request, since as a name it would protect nothing.
    type: list
    elements: str
    default: []
seealso:
  - module: bandwidth.catapult.catapult_application
    description: One application, with the same options as O(applications).
  - module: bandwidth.catapult.catapult_application_info
    description: Its RV(bandwidth.catapult.catapult_application_info#module:catapult_applications) output is a list
      for O(applications).
  - module: bandwidth.catapult.catapult_phone_number
  - module: bandwidth.catapult.catapult_local_number_order
  - module: bandwidth.catapult.catapult_phone_number_info
    description: Its RV(bandwidth.catapult.catapult_phone_number_info#module:catapult_phone_numbers) output brings an
      existing account under code.
requirements:
  - requests
"""

EXAMPLES = r"""
- name: The same applications, numbers and pools on every account (staging, production), by name
  bandwidth.catapult.catapult_phone_numbers:
    applications:
      - name: Support IVR
        incoming_call_url: https://ivr.example.com/catapult/calls
        incoming_message_url: https://ivr.example.com/catapult/messages
      - name: Sales
        incomingCallUrl: https://sales.example.com/catapult/calls
        autoAnswer: false
    default_application: Support IVR
    numbers:
      - number: "+19195550100"
        name: Main line
      - number: "+19195550102"
        name: Sales line
        application: Sales
    pools:
      - name: Sales pool
        area_code: "919"
        quantity: 5
        application: Sales

- name: The account holds these numbers and pools, and nothing else
  bandwidth.catapult.catapult_phone_numbers:
    default_application_id: a-support
    numbers:
      - number: "+19195550100"
        name: Main line
      - number: "+19195550101"
        name: Old fax
        state: absent
    pools:
      - name: IVR pool
        area_code: "919"
        quantity: 20
      - name: Hotline
        type: toll_free
        quantity: 1
    prune: true
    prune_limit: 5
    prune_protect:
      - Emergency line
  register: account

- name: Show what happened
  ansible.builtin.debug:
    msg: "{{ account.summary }}"

- name: In CI, fail on drift
  bandwidth.catapult.catapult_phone_numbers:
    numbers: "{{ catapult_phone_numbers }}"
    pools: "{{ catapult_number_pools }}"
  check_mode: true
  register: drift
  failed_when: drift.unmanaged | length > 0
"""

RETURN = r"""
summary:
  description:
    - A few lines a person reads, what changed (or would), the applications (when O(applications) lists any), each
      pool and the drift of numbers and applications.
  returned: always
  type: list
  elements: str
  sample: ["applications: 1 created, 0 updated, 0 deleted, 1 unchanged",
           "numbers: 1 allocated, 0 updated, 1 released, 0 unchanged, 0 failed", "pool IVR pool: 20 of 20, 20 ordered",
           "drift: none"]
check_mode:
  description: Whether the task ran in check mode.
  returned: always
  type: bool
allocated:
  description: The E.164 numbers of O(numbers) that were (or would be) allocated.
  returned: always
  type: list
  elements: str
updated:
  description: The numbers of O(numbers) whose name, application or fallback number changed (or would).
  returned: always
  type: list
  elements: str
released:
  description: Every number released (or that would be), by an entry with V(state=absent) or by O(prune).
  returned: always
  type: list
  elements: str
unchanged:
  description: The numbers of O(numbers) already as desired.
  returned: always
  type: list
  elements: str
failed_numbers:
  description: The numbers of O(numbers) whose write failed; the task then fails naming each.
  returned: always
  type: list
  elements: str
unmanaged:
  description:
    - The numbers on the account that no entry and no pool claims, after the task (before it in check mode, less what
      O(prune) would release). Without O(prune) this is the drift.
  returned: always
  type: list
  elements: str
pools:
  description: One entry per pool, in the order of O(pools).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The pool's name.
      type: str
    type:
      description: V(local) or V(toll_free).
      type: str
    quantity:
      description: The desired size.
      type: int
    size:
      description: How many numbers carry the pool's name after the task (counted again on the account after any write).
      type: int
    shortfall:
      description: How many numbers the pool lacked before the task.
      type: int
    surplus:
      description: How many numbers the pool holds beyond its quantity after the task.
      type: int
    ordered:
      description: The numbers ordered (in check mode, the search results that stand in for them).
      type: list
      elements: str
    adopted:
      description: Unlabelled numbers taken into the pool.
      type: list
      elements: str
    released:
      description: Surplus numbers released by O(prune).
      type: list
      elements: str
    numbers:
      description: The pool's numbers.
      type: list
      elements: str
    changed:
      description: Whether the pool changed (or would).
      type: bool
applications:
  description:
    - One entry per application of O(applications), in order, then one per application O(prune) deleted.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The application's name.
      type: str
    id:
      description: Its ID on the account; V(null) for an application created in check mode.
      type: str
    action:
      description: What was done (or would be, in check mode), V(create), V(update), V(delete), V(prune) or V(none).
      type: str
    failed:
      description: Whether its write failed; RV(applications[].msg) says why.
      type: bool
      returned: when failed
    msg:
      description: Why its write failed.
      type: str
      returned: when failed
  sample: [{"name": "Support IVR", "id": "a-xw4e2ztqkz5jx7pyl3ddumqhq", "action": "create"}]
unmanaged_applications:
  description:
    - When O(applications) names at least one application, the applications on the account it does not name (after
      the task, less what O(prune) deleted), each with C(name) and C(id). Empty otherwise.
  returned: always
  type: list
  elements: dict
plan:
  description:
    - Every step of the plan, done or (in check mode) to do. C(action) is V(create_application) or
      V(update_application) (first; an update has C(fields)), V(allocate), V(update), V(release) (an entry), V(adopt),
      V(order) (a pool; C(numbers) holds the preview in check mode), V(prune) (a number), then
      V(delete_application) and V(prune_application).
    - A step that points numbers at an application given by name has C(application) (the name) and
      C(application_id) (its ID; in check mode, a stand-in for an application the task would create).
  returned: always
  type: list
  elements: dict
  sample: [{"action": "create_application", "application": "Sales"},
           {"action": "allocate", "number": "+19195550100", "application": "Sales", "application_id": "a-x7"},
           {"action": "order", "pool": "IVR pool", "quantity": 20}]
phone_numbers:
  description: The result of every entry of O(numbers), in order.
  returned: always
  type: list
  elements: dict
  contains:
    number:
      description: The number.
      type: str
    action:
      description: V(allocate), V(update), V(release) or V(none).
      type: str
    changed:
      description: Whether it changed (or would).
      type: bool
    failed:
      description: Whether its write failed; RV(phone_numbers[].msg) says why.
      type: bool
    msg:
      description: Why its write failed.
      type: str
      returned: when failed
    phone_number:
      description: The number's resource after the task (snake_case), as M(bandwidth.catapult.catapult_phone_number) returns it.
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils._account import (
    AccountError,
    AccountRun,
    DesiredState,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._applications import (
    argument_spec as application_argument_spec,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import (
    catapult_argument_spec,
    create_client,
    fail_from_error,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._numbers import ENTRY_OPTIONS
from ansible_collections.bandwidth.catapult.plugins.module_utils._search import local_search_argument_spec


def entry_options():
    """The options of an entry of numbers: catapult_phone_number's, and the application by name."""
    options = dict(ENTRY_OPTIONS)
    options['application'] = dict(type='str')
    return options


def application_options():
    """The options of an entry of applications: catapult_application's (camelCase aliases), by name, and state."""
    options = application_argument_spec()
    options['name'] = dict(type='str', required=True)
    options['state'] = dict(type='str', choices=['present', 'absent'], default='present')
    return options


def pool_options():
    options = local_search_argument_spec()
    options.update(
        name=dict(type='str', required=True),
        type=dict(type='str', choices=['local', 'toll_free'], default='local'),
        quantity=dict(type='int'),
        application=dict(type='str'),
        application_id=dict(type='str'),
        fallback_number=dict(type='str'),
        adopt_unlabelled=dict(type='bool', default=True),
    )
    return options


def main():
    argument_spec = catapult_argument_spec()
    argument_spec.update(
        applications=dict(type='list', elements='dict', options=application_options(), default=[]),
        numbers=dict(type='list', elements='dict', options=entry_options(), default=[]),
        pools=dict(type='list', elements='dict', options=pool_options(), default=[]),
        default_application=dict(type='str'),
        default_application_id=dict(type='str'),
        default_fallback_number=dict(type='str'),
        concurrency=dict(type='int', default=8),
        prune=dict(type='bool', default=False),
        prune_limit=dict(type='int', default=10),
        prune_protect=dict(type='list', elements='str', default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    state = DesiredState(params['numbers'], params['pools'], params['default_application_id'],
                         params['default_fallback_number'], params['prune'], params['prune_limit'],
                         params['prune_protect'], params['concurrency'], applications=params['applications'],
                         default_application=params['default_application'])
    if state.errors:
        # before any request; the result keys (summary, plan ...) are there on failure too
        module.fail_json(msg='; '.join(state.errors), **AccountRun(None, state, check_mode=module.check_mode).result())
    client = create_client(module, pool_size=params['concurrency'])
    run = AccountRun(client, state, check_mode=module.check_mode, diff=module._diff)
    try:
        result = run.run()
    except AccountError as exc:
        warn(module, run)
        module.fail_json(msg=str(exc), **exc.result)
    except CatapultError as exc:
        warn(module, run)
        fail_from_error(module, exc, **run.result())
    warn(module, run)
    module.exit_json(**result)


def warn(module, run):
    for warning in run.warnings:
        module.warn(warning)


if __name__ == '__main__':
    main()
