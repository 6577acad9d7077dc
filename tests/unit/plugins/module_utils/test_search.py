# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Search criteria (module_utils/_search): whether a number already on the account matches a
pool's criteria as far as its resource shows ('match', 'no', or 'unknown' when the resource
lacks the field a criterion needs, e.g. a ZIP), the verdict a pool's adoption relies on."""

from __future__ import annotations

import pytest

from ansible_collections.bandwidth.catapult.plugins.module_utils import _search


@pytest.mark.parametrize('resource, kind, crit_overrides, verdict', [
    ({'number': '+19195550100', 'state': 'NC'}, 'local', dict(state='NC'), 'match'),
    ({'number': '+19195550100', 'state': 'nc '}, 'local', dict(state='NC'), 'match'),
    ({'number': '+19195550100'}, 'local', dict(state='NC'), 'unknown'),
    ({'number': '+19195550100', 'state': 'NY'}, 'local', dict(state='NC'), 'no'),
    ({'number': '+18005550100', 'state': 'NC'}, 'local', dict(state='NC'), 'no'),
    ({'number': '+19195550100'}, 'local', dict(state=None, zip='27601'), 'unknown'),
    ({'number': '+12125550100'}, 'local', dict(state=None, zip='27601', pattern='919*'), 'no'),
    ({'number': '+19195550100'}, 'local', dict(state=None, area_code='919', local_number='555', in_local_calling_area=True), 'unknown'),
    ({'number': '+19195550100'}, 'local', dict(state=None, area_code='919', local_number='5550'), 'match'),
    ({'number': '+19195560100'}, 'local', dict(state=None, area_code='919', local_number='555'), 'no'),
    ({'number': '+19195550100', 'state': 'NC'}, 'local', dict(pattern='*555010?'), 'match'),
    ({'number': '+19195550100', 'state': 'NC'}, 'local', dict(pattern='JKL'), 'match'),
    ({'number': '+19195550100', 'state': 'NC'}, 'local', dict(pattern='*666*'), 'no'),
    ({'number': '+4930123456', 'state': 'NC'}, 'local', dict(state='NC'), 'no'),
    ({'number': None, 'state': 'NC'}, 'local', dict(state='NC'), 'no'),
    ({'number': '+18005550100'}, 'tollFree', {}, 'match'),
    ({'number': '+19195550100'}, 'tollFree', {}, 'no'),
    ({'number': '+18003569377'}, 'tollFree', dict(pattern='*FLOWERS'), 'match'),
])
def test_match_verdict_table(resource, kind, crit_overrides, verdict):
    params = dict(state='NC', city=None, zip=None, area_code=None, local_number=None, in_local_calling_area=None, pattern=None)
    params.update(crit_overrides)
    crit, errors = _search.validate(kind, params)
    assert errors == []
    assert _search.match_verdict(kind, resource, crit) == verdict
    assert _search.matches(kind, resource, crit) == (verdict == 'match')
