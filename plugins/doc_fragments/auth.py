# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The connection options of every module; mirrors catapult_argument_spec() in module_utils/_common.py.
    DOCUMENTATION = r"""
options:
  user_id:
    description:
      - The Catapult user ID that owns the phone numbers, for example V(u-abc123defg456hij789klm).
      - Shown in the Catapult (Bandwidth Application Platform) console under Account.
      - If not set, the value of the E(CATAPULT_USER_ID) environment variable is used.
    type: str
    required: true
  api_token:
    description:
      - The API token, sent as the user name of HTTP basic authentication.
      - If not set, the value of the E(CATAPULT_API_TOKEN) environment variable is used.
      - Never printed, at any verbosity.
    type: str
    required: true
  api_secret:
    description:
      - The API secret, sent as the password of HTTP basic authentication.
      - If not set, the value of the E(CATAPULT_API_SECRET) environment variable is used.
      - Never printed, at any verbosity. Keep it in Ansible Vault or the environment.
    type: str
    required: true
  api_url:
    description:
      - Base URL of the Catapult v1 API, including V(/v1).
      - Point it at a local emulator for tests, for example V(http://127.0.0.1:40123/v1).
      - If not set, the value of the E(CATAPULT_API_URL) environment variable is used, and if that is not set either,
        V(https://api.catapult.inetwork.com/v1).
      - Proxies are taken from the usual E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY) environment variables.
    type: str
    default: https://api.catapult.inetwork.com/v1
  validate_certs:
    description:
      - Verify the server's TLS certificate. Only set V(false) for a server you trust, such as a local emulator
        with a self-signed certificate.
      - Applied to every request, even when E(REQUESTS_CA_BUNDLE) is set.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP request before treating it as failed.
      - Reads and idempotent updates are retried after a timeout; an order whose answer timed out is checked by
        reading the account back, never sent again blindly.
    type: float
    default: 30
notes:
  - Modules talk to the API from the controller. Run them on V(localhost) with the C(local) connection, or delegate
    them to V(localhost).
  - Transient errors (HTTP 429 honoring C(Retry-After) and C(X-RateLimit-Reset), 502, 503, 504, connection resets)
    are retried with bounded exponential backoff.
  - All modules belong to the action group C(bandwidth.catapult.catapult), so the connection options can be set once
    per play with C(module_defaults).
requirements:
  - requests
"""
