# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Catapult emulator (tests/emulator) answering the unit tests in-process, at the requests layer.

``Catapult(requests_mock)`` registers a requests_mock matcher that hands every request to
``https://api.test/v1`` to ``Emulator.serve()``, the same code path the HTTP listener of the
integration tests runs (latency, fault rules, the operation, the log). So requests_mock's
``request_history`` (and ``utils.calls()``) still records every request, and a test that
registers its own answer with ``requests_mock.get(...)`` afterwards overrides the emulator
for that URL only.

State is set up the way the integration tests do it, through the emulator's control
functions (``control()``: ``faults``, ``config``, ``numbers``, ...), except numbers already on
the account, which ``add()`` puts there directly (any number, also outside the inventory).
"""

from __future__ import annotations

import json
import types

from urllib.parse import urlencode, urlsplit

import requests
import requests_mock as requests_mock_module

from ansible_collections.bandwidth.catapult.tests.emulator import catapult_emulator as emulator
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import API, SECRET, TOKEN, USER

ROOT = API[:-len('/v1')]
APPLICATIONS = ('a-ivr', 'a-old', 'a-other')
# what the placeholders of a fault rule's 'headers' stand for (no foreign listener runs in-process)
PLACES = {'{root}': ROOT, '{foreign}': 'https://foreign.test', '{foreign_localhost}': 'https://localhost.test'}


class Catapult(object):
    """One emulated account (``USER``, ``TOKEN``, ``SECRET``) owning ``applications``."""

    def __init__(self, requests_mock, applications=APPLICATIONS, **config):
        args = emulator.build_parser().parse_args(['--user-id', USER, '--api-token', TOKEN, '--api-secret', SECRET])
        self.emulator = emulator.Emulator([(USER, TOKEN, SECRET)], applications, emulator.config_from_args(args))
        self.emulator.root_url_hint = ROOT
        self.server = types.SimpleNamespace(base_url=API, foreign_url=PLACES['{foreign}'], cert_pem=None)
        if config:
            self.control('POST', 'config', config)
        intercept(requests_mock, self.answer)

    # ----- the transport

    def answer(self, request):
        """requests_mock matcher: the emulator's answer, or None for a URL outside the API."""
        if request.url != API and not request.url.startswith(API + '/'):
            return None
        split = urlsplit(request.url)
        body = request.body or b''
        if not isinstance(body, bytes):
            body = body.encode('utf-8')
        reply, fault = self.emulator.serve(request.method, split.path[len('/v1'):], split.query, body,
                                           request.headers.get('Authorization'), '127.0.0.1', ROOT)
        action = fault.action if fault is not None else None
        if action == 'delay' and request.timeout and fault.seconds >= _read_timeout(request.timeout):
            raise requests.exceptions.ReadTimeout('emulator: no answer within %s s (fault delay %s s)' % (request.timeout, fault.seconds))
        if reply is None:  # drop, drop_after, reset: the connection closes without an answer
            raise requests.exceptions.ConnectionError('emulator: connection closed without an answer (fault %s)' % action)
        data, content_type = reply.payload()
        headers = [('Content-Type', content_type)] if content_type else []
        headers.extend(reply.headers.items())
        headers = emulator.override_headers(headers, fault.headers if fault is not None else {}, PLACES.items())  # as the listener
        return requests_mock_module.create_response(request, status_code=reply.status, content=data, headers=dict(headers))

    def without_location(self, requests_mock, collection='phoneNumbers'):
        """Creates (POST /users/{u}/phoneNumbers or /applications) are answered 201 without the Location header."""
        def answer(request):
            reply = self.answer(request)
            if request.method == 'POST' and urlsplit(request.url).path == '/v1/users/%s/%s' % (USER, collection):
                reply = requests_mock_module.create_response(request, status_code=reply.status_code, content=b'')
            return reply

        intercept(requests_mock, answer)

    # ----- the control API, in-process

    def control(self, method, name, body=None, **query):
        """``METHOD /_emulator/<name>``; the JSON answer (AssertionError when the emulator refuses)."""
        reply = emulator.control(self.emulator, method, name, urlencode(query), json.dumps(body or {}).encode('utf-8'), self.server)
        assert reply.status == 200, reply.body
        return reply.body

    def fault(self, action, path='', method='*', **spec):
        """Add one fault rule (``FaultRule`` keys); returns the rule (``.hits`` says how often it fired)."""
        return self.emulator.add_faults([dict(spec, action=action, path=path, method=method)])[0]

    def configure(self, **changes):
        return self.control('POST', 'config', changes)

    def add(self, number, name=None, application_id=None, fallback=None, created=None, **fields):
        """A number already on the account; ``created`` (seconds) sets its createdTime; ``fields`` override the
        record (city=None: no city)."""
        if created is not None:
            fields['createdTime'] = created_time(created)
        return self.resource(self.emulator.seed_number(USER, number, name, application_id, fallback, **fields))

    def next_ids(self, count):
        """The IDs the next ``count`` numbers allocated will get (the emulator's IDs are deterministic)."""
        return self.emulator.next_ids(count)

    def next_app_id(self):
        """The ID the next application created will get."""
        return self.emulator.next_ids(application=True)[0]

    def keep_stock(self, *numbers):
        """Only ``numbers`` are left to order or search (every other number of the inventory is taken)."""
        self.emulator.keep_in_stock(numbers)

    def in_stock(self, number):
        return self.emulator.in_stock(number)

    def take_from_stock(self, number):
        """Someone else orders ``number`` (it leaves the stock)."""
        self.emulator.take_from_stock(number)

    def change_application(self, app_id, **fields):
        """Change API fields of an application behind the module's back."""
        self.emulator.change_application(USER, app_id, **fields)

    def name_applications(self, *apps):
        """The account's applications become ``apps``, (id, name) each, in this order."""
        self.emulator.replace_applications(USER, apps)

    def resource(self, rec):
        return self.emulator.resource(rec, ROOT)

    def numbers(self, state='enabled'):
        """Every number of the account in allocation order, as the API shows it."""
        return [n for n in self.control('GET', 'numbers', user_id=USER)['numbers'] if n['numberState'] == state]

    def named(self, name):
        return [n for n in self.numbers() if n.get('name') == name]

    def by_number(self, number):
        return [n for n in self.numbers() if n['number'] == number][0]

    def names(self):
        """number -> name (None when unnamed) of the numbers on the account."""
        return dict((n['number'], n.get('name')) for n in self.numbers())

    def released(self):
        return self.numbers('released')

    # ----- applications

    def add_application(self, name, app_id=None, **fields):
        """An application already on the account; ``fields`` are API fields. IDs a-001, a-002, ... by default."""
        app_id = app_id or 'a-%03d' % (len(self.apps()) + 1)
        self.emulator.set_application(USER, app_id, dict({'name': name, 'incomingCallUrl': 'https://%s.example.com/calls' % app_id}, **fields))
        return self.app(app_id)

    def set_applications(self, ids):
        """The account's applications become these IDs (the emulator's seeded fields)."""
        self.name_applications(*[(app_id, None) for app_id in ids])

    def app(self, app_id):
        return self.emulator.application(USER, app_id)

    def apps(self):
        """id -> the application as the API shows it, in creation order."""
        return self.emulator.applications(USER)

    def applications_named(self, name):
        return [app for app in self.apps().values() if app['name'] == name]

    def unnamed(self):
        return [n for n in self.numbers() if not n.get('name')]

    def ids(self):
        return [n['id'] for n in self.numbers()]

    def record(self, number_or_id):
        """The emulator's own record of a number (to change it behind the module's back)."""
        return self.emulator.number_record(number_or_id)


def created_time(seconds):
    """A createdTime ``seconds`` after 2026-01-01T00:00:00Z."""
    return '2026-01-01T%02d:%02d:%02d.000Z' % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def intercept(requests_mock, matcher):
    """Add a requests_mock matcher (request -> response, or None to let the emulator answer); kept by reset_mock()."""
    def match(request):
        return matcher(request)

    match.reset = lambda: None
    requests_mock.add_matcher(match)


def _read_timeout(timeout):
    return timeout[1] if isinstance(timeout, tuple) else timeout
