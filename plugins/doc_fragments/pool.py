# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The options of every labelled-pool module; mirrors run_pool_module() in module_utils/_pool.py.
    DOCUMENTATION = r"""
options:
  name:
    description:
      - The label of the pool. Every number of the pool has this name; the task counts the numbers named exactly
        this to decide how many to order.
      - Use a name that no other task or person gives to numbers outside the pool.
    type: str
    required: true
  application:
    description:
      - The name of the Catapult application that handles calls and messages to the pool's numbers, for example
        V(Support IVR). The task finds its ID on the account with one listing of the applications, before any write,
        so the same task works on every account whatever the application's ID there.
      - A name that no application has, or that several have (the message lists their IDs), fails the task before
        anything is ordered.
      - Mutually exclusive with O(application_id). Create the application with
        M(bandwidth.catapult.catapult_application), or use M(bandwidth.catapult.catapult_phone_numbers), which
        provisions applications and pools in one plan.
    type: str
  application_id:
    description:
      - The ID of the Catapult application that handles calls and messages to the pool's numbers, for example
        V(a-abc123).
      - Set on every new number, and on every number of the pool that points elsewhere.
      - Not changed when not set (nor O(application)). V('') removes the association from the pool's numbers.
      - Mutually exclusive with O(application).
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
      - Set V(false) if your account keeps unlabelled, unassigned numbers matching the search that must stay so.
    type: bool
    default: true
  concurrency:
    description:
      - How many numbers are labelled, updated or ordered one by one at the same time, from V(1) to V(64). Rate
        limits (HTTP 429) make every worker wait together.
    type: int
    default: 8
attributes:
  diff_mode:
    description:
      - Shows the pool (every number with its name, application and fallback number) before and after.
      - In check mode the numbers found by the search stand in for the ones that would be ordered.
    support: full
  idempotent:
    description: A second run with the same options changes nothing and sends no write.
    support: full
"""
