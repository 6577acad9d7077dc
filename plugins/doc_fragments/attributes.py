# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Every module is in the action group (meta/runtime.yml). A module's own entry for an
    # attribute wins over a fragment's, so a module states only what is its own.
    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/bandwidth.catapult.catapult) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - bandwidth.catapult.catapult
"""

    # The modules that only read.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Runs normally in check mode; it only reads.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: N/A
  idempotent:
    description: Only reads.
    support: full
"""

    # The modules whose second run with the same options sends no write.
    IDEMPOTENT = r"""
options: {}
attributes:
  idempotent:
    description: A second run with the same options changes nothing and sends no write.
    support: full
"""
