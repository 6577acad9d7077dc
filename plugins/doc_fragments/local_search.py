# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The local search options; mirrors local_search_argument_spec() and validate_local() in module_utils/_search.py.
    # Each module documents pattern and quantity itself.
    DOCUMENTATION = r"""
options:
  state:
    description:
      - Local numbers in this US state or territory, as its two-letter code, for example V(NC). Case does not matter.
      - Exactly one of O(state), O(zip) and O(area_code) is required.
    type: str
  city:
    description:
      - Local numbers in this city, for example V(RALEIGH). Requires O(state).
      - Cannot be combined with O(zip), O(area_code) or O(local_number).
    type: str
  zip:
    description:
      - Local numbers in this 5-digit ZIP code, for example V(27606). Quote it in YAML so leading zeros are kept.
      - Exactly one of O(state), O(zip) and O(area_code) is required.
    type: str
  area_code:
    description:
      - Local numbers with this 3-digit area code, for example V(919).
      - Exactly one of O(state), O(zip) and O(area_code) is required.
    type: str
    aliases: [areaCode]
  local_number:
    description:
      - The first 3 or 4 digits after the area code, for example V(555) for numbers starting with C(+1919555).
        Requires O(area_code). Quote it in YAML so leading zeros are kept.
    type: str
    aliases: [localNumber]
  in_local_calling_area:
    description:
      - With O(local_number), also take numbers from the local calling area of O(area_code) and O(local_number),
        which may have other area codes and exchanges.
      - V(true) is only allowed with O(local_number); V(false) is the API's default and is not sent.
    type: bool
    aliases: [inLocalCallingArea]
"""
