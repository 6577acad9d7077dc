# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Constants and helpers shared by the unit tests."""

from __future__ import annotations

API = 'https://api.test/v1'
USER = 'u-unit'
SECRET = 'sup3r-s3cret-value'
TOKEN = 't-token-value'
AUTH = dict(user_id=USER, api_token=TOKEN, api_secret=SECRET, api_url=API)
NUMBERS = API + '/users/' + USER + '/phoneNumbers'


def calls(requests_mock):
    """Every request sent, as (METHOD, path?query) with the API base stripped."""
    return [(r.method, r.url.replace(API, '')) for r in requests_mock.request_history]
