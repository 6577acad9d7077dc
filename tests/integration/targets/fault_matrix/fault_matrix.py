#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fault matrix: every request each module sends x every fault, against the emulator.

For each cell (request kind x fault) the playbook ``matrix.yml``: resets the emulator, sets
up the precondition, arms exactly one fault on exactly that request (method + path regex;
a fault may also change the emulator config for that run), runs the task, disarms, runs the
task again without faults, and records both results, the request logs, the account after
each run and what reached the foreign listener. This script then checks every cell:

- the run either succeeded or failed with a clear message (names the request, and the HTTP
  status, the body that is not the JSON expected, the foreign URL it refused or the
  transport failure; no traceback); where the fault must make the run fail (a read answered
  with a maintenance page, ``null`` or a 404 that is not Catapult's not-found; a list page
  pointing to a foreign origin), a success is a problem;
- a run that succeeded left the account exact already (success means converged);
- the rerun succeeded and the account is exactly as desired: the same numbers, labels and
  applications, nothing released that should stay, no ordered number unlabelled, no more
  numbers than asked for, and no number ordered twice (every number ever allocated on the
  account, released ones included, is counted);
- nothing reached the foreign listener (no request, so no credentials);
- the fault really fired (a cell that tests nothing fails). A column that cannot apply to a
  row (no Location to remove on a read) is "n/a" with the row's reason, and not run.

It prints the matrix (cell = outcome of run / rerun) and exits non-zero when any cell
does not converge. Add a request kind by adding a ROWS entry; add a fault with a FAULTS
entry. Usage (ansible-test runs it from runme.sh)::

    fault_matrix.py [--rows allocate,update] [--faults 500,timeout] [--lanes 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'setup_catapult_emulator', 'files'))

from catapult_harness import Emulator, call  # pylint: disable=wrong-import-position

USER = 'u-matrix'
TOKEN = 'matrix-token'
SECRET = 'matrix-secret-value'
TIMEOUT = 2.0          # the modules' timeout option in every cell
REFUSE_SECONDS = 1.5   # how long the "refused" fault keeps the port closed
# As for the emulator's fault rules: the forwarder's fault never fires (hack/prove-faults.sh)
FAULTS_OFF = os.environ.get('CATAPULT_EMULATOR_FAULTS_OFF', '') not in ('', '0')

N1, N2, N3 = '+19195550100', '+19195550101', '+19195550102'
# The applications every account starts with (the emulator's seeded ones), by name: what
# every cell expects on the account besides those its row's task creates or deletes.
SEEDED_APPLICATIONS = dict(('Demo %s' % word, {'id': 'a-demo-%s' % word.lower(), 'callbackHttpMethod': 'post',
                                               'incomingCallUrl': 'https://callbacks.example.com/a-demo-%s/calls'
                                               % word.lower()})
                           for word in ('support', 'IVR', 'sales'))
PHONE = 'bandwidth.catapult.catapult_phone_number'
PHONES = 'bandwidth.catapult.catapult_phone_numbers'
POOL = 'bandwidth.catapult.catapult_local_number_order'

# The faults (columns). "rule" is the emulator fault rule (method/path are added per row);
# "read"/"write" replace it for GET / other methods; "forwarder" faults (rule None) are done
# by the TCP forwarder in front of the emulator. Optional: "needs" (what the faulted request
# must be, else the row gives the reason it is n/a in its "na"), "config" (emulator config
# for the faulted run, per faulted request), "must_fail" (per method: a run that succeeds is
# a bug, e.g. a maintenance page read as an empty answer).
HTML_PAGE = '<html><body><h1>Down for maintenance</h1></body></html>'
FOREIGN_LINK = '<{foreign}/v1/users/%s/phoneNumbers?page=1&size=1000>; rel="next"' % USER
LIST_MATCH = ('GET', r'^/users/[^/]+/phoneNumbers$')
APPLICATIONS_LIST_MATCH = ('GET', r'^/users/[^/]+/applications$')


def is_read(match):
    return match[0] == 'GET'


def is_list(match):
    """A paginated list (the client follows its Link rel="next")."""
    return tuple(match) in (LIST_MATCH, APPLICATIONS_LIST_MATCH)


def is_order(match):
    """Search-and-order: 201 with order items (their "location"; no Location header)."""
    return match[0] == 'POST' and match[1].startswith('^/availableNumbers/')


APPLICATION_CREATE_MATCH = ('POST', r'^/users/[^/]+/applications$')


def is_created(match):
    """The writes answered 201: an allocation or an application's create (Location header), or a search-and-order."""
    return match in (('POST', r'^/users/[^/]+/phoneNumbers$'), APPLICATION_CREATE_MATCH) or is_order(match)


FAULTS = [
    {'id': '429', 'title': 'HTTP 429 with Retry-After: 1 (not applied)',
     'rule': {'action': 'status', 'status': 429, 'retry_after': 1}},
    {'id': '500', 'title': 'HTTP 500 (not applied)', 'rule': {'action': 'status', 'status': 500}},
    {'id': '502', 'title': 'HTTP 502 after the server applied the request', 'rule': {'action': 'status_after', 'status': 502}},
    {'id': '503', 'title': 'HTTP 503 (not applied)', 'rule': {'action': 'status', 'status': 503}},
    {'id': '504', 'title': 'HTTP 504 after the server applied the request', 'rule': {'action': 'status_after', 'status': 504}},
    {'id': 'timeout', 'title': 'no answer within the timeout option (%gs): the server sleeps %gs, then applies it' % (TIMEOUT, TIMEOUT + 1),
     'rule': {'action': 'delay', 'seconds': TIMEOUT + 1}},
    {'id': 'refused', 'title': 'the server goes away under the request: connection reset (not applied), '
                               'then connections refused for %gs' % REFUSE_SECONDS, 'rule': None},
    {'id': 'dropped', 'title': 'applied, then the connection closed without an answer', 'rule': {'action': 'drop_after'}},
    {'id': 'html', 'title': 'HTTP 200 with an HTML maintenance page: a read is not applied (raw); a write is applied, then '
                            'answered with the page and its real status (raw_after). A read must fail',
     'read': {'action': 'raw', 'status': 200, 'body': HTML_PAGE, 'content_type': 'text/html'},
     'write': {'action': 'raw_after', 'body': HTML_PAGE, 'content_type': 'text/html'}, 'must_fail': is_read},
    {'id': 'null', 'title': 'the JSON body null (application/json): raw with 200 for a read (not applied), raw_after for a write '
                            '(applied, real status). A read must fail',
     'read': {'action': 'raw', 'status': 200, 'body': 'null', 'content_type': 'application/json'},
     'write': {'action': 'raw_after', 'body': 'null', 'content_type': 'application/json'}, 'must_fail': is_read},
    {'id': 'foreign-link', 'title': 'a list page (not empty) whose Link rel="next" points to the foreign origin (pass + headers). '
                                    'The run must fail and the foreign listener receive nothing',
     'rule': {'action': 'pass', 'headers': {'Link': FOREIGN_LINK}}, 'needs': is_list, 'must_fail': lambda match: True},
    {'id': 'no-location', 'title': 'a 201 without Location (pass, Location removed); a search-and-order also with '
                                   'order_item_location false for the faulted run (items without location)',
     'rule': {'action': 'pass', 'headers': {'Location': None}}, 'needs': is_created,
     'config': lambda match: {'order_item_location': False} if is_order(match) else {}},
    {'id': 'unknown-route', 'title': 'HTTP 404 resource-not-found, not Catapult\'s number-not-found (not applied): '
                                     'never "absent"; a read must fail',
     'rule': {'action': 'status', 'status': 404, 'code': 'resource-not-found',
              'message': 'The requested resource could not be found.'}, 'must_fail': is_read},
]
# The emulator config after a faulted run (the config a fault changed goes back to this).
CONFIG_DEFAULTS = {'order_item_location': True}

# The request kinds (rows). "task" runs twice (run, rerun); "setup" (catapult_phone_number
# numbers list) runs first without faults; "match" selects the one request to fault
# ("match_for" overrides it per fault); "expect" is the exact account afterwards (number or
# pool label -> fields); "allocations" is how many numbers may ever have been allocated on
# the account (released ones count); "na" maps a fault to why it cannot apply to the row.
NO_LIST = 'catapult_phone_number with one number sends no list request'
READ = 'a read: there is no Location to remove'
POOL_LISTS = "its list requests are row pool-list's (the same pool engine)"
ROWS = [
    {'id': 'get', 'title': 'catapult_phone_number: read one number (GET /phoneNumbers/{e164})',
     'module': PHONE, 'task': {'number': N1, 'name': 'Matrix', 'application_id': 'a-demo-ivr'},
     'match': ('GET', r'^/users/[^/]+/phoneNumbers/%2B'),
     'expect': {N1: {'name': 'Matrix', 'applicationId': 'a-demo-ivr'}}, 'allocations': 1,
     'na': {'foreign-link': NO_LIST, 'no-location': READ}},
    {'id': 'allocate', 'title': 'catapult_phone_number: order the number (POST /phoneNumbers)',
     'module': PHONE, 'task': {'number': N1, 'name': 'Matrix', 'application_id': 'a-demo-ivr'},
     'match': ('POST', r'^/users/[^/]+/phoneNumbers$'),
     'expect': {N1: {'name': 'Matrix', 'applicationId': 'a-demo-ivr'}}, 'allocations': 1, 'na': {'foreign-link': NO_LIST}},
    {'id': 'update', 'title': 'catapult_phone_number: update (POST /phoneNumbers/{id})',
     'module': PHONE, 'setup': [{'number': N1, 'name': 'Old', 'application_id': 'a-demo-support'}],
     'task': {'number': N1, 'name': 'New', 'application_id': 'a-demo-ivr'},
     'match': ('POST', r'^/users/[^/]+/phoneNumbers/n-'),
     'expect': {N1: {'name': 'New', 'applicationId': 'a-demo-ivr'}}, 'allocations': 1,
     'na': {'foreign-link': NO_LIST, 'no-location': 'an update answers 200 without Location'}},
    {'id': 'release', 'title': 'catapult_phone_number: release (DELETE /phoneNumbers/{id})',
     'module': PHONE, 'setup': [{'number': N1, 'name': 'Keep'}, {'number': N2, 'name': 'Gone'}],
     'task': {'number': N2, 'state': 'absent'},
     'match': ('DELETE', r'^/users/[^/]+/phoneNumbers/n-'),
     'expect': {N1: {'name': 'Keep'}}, 'allocations': 2,
     'na': {'foreign-link': NO_LIST, 'no-location': 'a release answers 200 without Location'}},
    {'id': 'list', 'title': 'catapult_phone_numbers: list the account (GET /phoneNumbers)',
     'module': PHONES, 'setup': [{'number': N1, 'name': 'Old'}, {'number': N2, 'name': 'Gone'}],
     'task': {'numbers': [{'number': N1, 'name': 'New'}, {'number': N2, 'state': 'absent'}, {'number': N3, 'name': 'Fresh'}]},
     'match': LIST_MATCH,
     'expect': {N1: {'name': 'New'}, N3: {'name': 'Fresh'}}, 'allocations': 3, 'na': {'no-location': READ}},
    {'id': 'bulk-allocate', 'title': 'catapult_phone_numbers: order a specific number (POST /phoneNumbers)',
     'module': PHONES, 'setup': [{'number': N1, 'name': 'Old'}, {'number': N2, 'name': 'Gone'}],
     'task': {'numbers': [{'number': N1, 'name': 'New'}, {'number': N2, 'state': 'absent'}, {'number': N3, 'name': 'Fresh'}]},
     'match': ('POST', r'^/users/[^/]+/phoneNumbers$'),
     'expect': {N1: {'name': 'New'}, N3: {'name': 'Fresh'}}, 'allocations': 3,
     'na': {'foreign-link': "its list request is row list's (the same module, task and setup)"}},
]

# The pool module's requests (the rows are checked by pool label).
POOL_TASK = {'name': 'Matrix pool', 'area_code': '919', 'quantity': 3, 'application_id': 'a-demo-ivr'}
POOL_EXPECT = {'pools': [{'name': 'Matrix pool', 'applicationId': 'a-demo-ivr', 'count': 3}]}
POOL_ROWS = [
    {'id': 'pool-list', 'title': 'catapult_local_number_order: count the pool, 1 of 3 there (GET /phoneNumbers?name=)',
     'module': POOL, 'setup': [{'number': N1, 'name': POOL_TASK['name'], 'application_id': POOL_TASK['application_id']}],
     'task': POOL_TASK, 'match': LIST_MATCH, 'expect': POOL_EXPECT, 'allocations': 3, 'na': {'no-location': READ}},
    {'id': 'search', 'title': 'catapult_local_number_order check mode: search (GET /availableNumbers/local)',
     'module': POOL, 'task': POOL_TASK, 'check_mode': True, 'match': ('GET', r'^/availableNumbers/local'),
     'expect': {}, 'allocations': 0, 'read_only': True, 'na': {'foreign-link': POOL_LISTS, 'no-location': READ}},
    {'id': 'search-and-order', 'title': 'catapult_local_number_order: search-and-order (POST /availableNumbers/local)',
     'module': POOL, 'task': POOL_TASK, 'match': ('POST', r'^/availableNumbers/local'),
     'expect': POOL_EXPECT, 'allocations': 3, 'na': {'foreign-link': POOL_LISTS}},
    {'id': 'label', 'title': 'catapult_local_number_order: label an ordered number (POST /phoneNumbers/{id})',
     'module': POOL, 'task': POOL_TASK, 'match': ('POST', r'^/users/[^/]+/phoneNumbers/n-'),
     'expect': POOL_EXPECT, 'allocations': 3, 'na': {'foreign-link': POOL_LISTS, 'no-location': 'a label answers 200 without Location'}},
]

TOLL_FREE = 'bandwidth.catapult.catapult_tollfree_number_order'
PHONE_INFO = 'bandwidth.catapult.catapult_phone_number_info'
SEARCH_INFO = 'bandwidth.catapult.catapult_available_number_info'
ROLE = 'bandwidth.catapult.phone_numbers'
ROLE_TASK = {'catapult_phone_numbers': [{'number': N1, 'name': 'Role', 'application_id': 'a-demo-ivr'},
                                        {'number': N2, 'state': 'absent'}],
             'catapult_number_pools': [{'name': 'Role pool', 'area_code': '212', 'quantity': 2,
                                        'application_id': 'a-demo-sales'}]}
ROLE_EXPECT = {N1: {'name': 'Role', 'applicationId': 'a-demo-ivr'},
               'pools': [{'name': 'Role pool', 'applicationId': 'a-demo-sales', 'count': 2}]}
# The other modules' and the role's requests.
MORE_ROWS = [
    {'id': 'info-list', 'title': 'catapult_phone_number_info: list the account (GET /phoneNumbers)',
     'module': PHONE_INFO, 'setup': [{'number': N1, 'name': 'Keep'}], 'task': {'name': 'Keep'},
     'match': LIST_MATCH, 'expect': {N1: {'name': 'Keep'}}, 'allocations': 1, 'read_only': True, 'na': {'no-location': READ}},
    {'id': 'info-search', 'title': 'catapult_available_number_info: search (GET /availableNumbers/local)',
     'module': SEARCH_INFO, 'task': {'area_code': '919', 'quantity': 3},
     'match': ('GET', r'^/availableNumbers/local'), 'expect': {}, 'allocations': 0, 'read_only': True,
     'na': {'foreign-link': 'the module sends no list request (a search is not paginated)', 'no-location': READ}},
    {'id': 'tollfree-order', 'title': 'catapult_tollfree_number_order: search-and-order (POST /availableNumbers/tollFree)',
     'module': TOLL_FREE, 'task': {'name': 'Matrix toll-free', 'quantity': 2, 'application_id': 'a-demo-ivr'},
     'match': ('POST', r'^/availableNumbers/tollFree'),
     'expect': {'pools': [{'name': 'Matrix toll-free', 'applicationId': 'a-demo-ivr', 'count': 2}]}, 'allocations': 2,
     'na': {'foreign-link': POOL_LISTS}},
    {'id': 'role-order', 'title': 'role phone_numbers: order a specific number (POST /phoneNumbers)',
     'module': ROLE, 'setup': [{'number': N2, 'name': 'Gone'}], 'task': ROLE_TASK,
     'match': ('POST', r'^/users/[^/]+/phoneNumbers$'), 'expect': ROLE_EXPECT, 'allocations': 4,
     'match_for': {'foreign-link': LIST_MATCH}},
    {'id': 'role-pool-order', 'title': 'role phone_numbers: order a pool (POST /availableNumbers/local)',
     'module': ROLE, 'setup': [{'number': N2, 'name': 'Gone'}], 'task': ROLE_TASK,
     'match': ('POST', r'^/availableNumbers/local'), 'expect': ROLE_EXPECT, 'allocations': 4,
     'match_for': {'foreign-link': APPLICATIONS_LIST_MATCH}},
]

# The applications of the role's desired state (catapult_applications), by name: the requests
# that create, update, delete (prune) and list applications. Every cell also checks the
# applications on the account exactly (by name, each name once, with its fields).
APP = 'Matrix IVR'
APP_SPEC = {'name': APP, 'incoming_call_url': 'https://ivr.example.com/matrix/calls', 'callback_http_method': 'get'}
APP_FIELDS = {'incomingCallUrl': 'https://ivr.example.com/matrix/calls', 'callbackHttpMethod': 'get'}
APP_TASK = {'catapult_applications': [APP_SPEC],
            'catapult_phone_numbers': [{'number': N1, 'name': 'Role', 'application': APP}, {'number': N2, 'state': 'absent'}],
            'catapult_number_pools': [],
            'catapult_prune': True, 'catapult_prune_protect': ['Demo IVR', 'Demo sales', 'Demo support']}
APP_EXPECT = {N1: {'name': 'Role', 'application': APP}, 'applications': dict(SEEDED_APPLICATIONS, **{APP: APP_FIELDS})}
APP_LIST = "its list request is row role-app-list's (the same task lists the applications once)"
APP_ROWS = [
    {'id': 'role-app-create', 'title': 'role phone_numbers: create an application (POST /applications)',
     'module': ROLE, 'setup': [{'number': N2, 'name': 'Gone'}], 'task': APP_TASK,
     'match': APPLICATION_CREATE_MATCH, 'expect': APP_EXPECT, 'allocations': 2, 'na': {'foreign-link': APP_LIST}},
    {'id': 'role-app-update', 'title': 'role phone_numbers: update an application (POST /applications/{id})',
     'module': ROLE, 'setup_applications': [{'name': APP, 'incomingCallUrl': 'https://old.example.com/calls'}],
     'setup': [{'number': N1, 'name': 'Role', 'application': APP}, {'number': N2, 'name': 'Gone'}], 'task': APP_TASK,
     'match': ('POST', r'^/users/[^/]+/applications/a-'), 'expect': APP_EXPECT, 'allocations': 2,
     'na': {'foreign-link': APP_LIST, 'no-location': 'an update answers 200 without Location'}},
    {'id': 'role-app-delete', 'title': 'role phone_numbers: prune an application once its number is released '
                                       '(DELETE /applications/{id})',
     'module': ROLE, 'setup_applications': [dict(APP_FIELDS, name=APP),
                                            {'name': 'Matrix old', 'incomingCallUrl': 'https://old.example.com/calls'}],
     'setup': [{'number': N1, 'name': 'Role', 'application': APP}, {'number': N2, 'name': 'Gone', 'application': 'Matrix old'}],
     'task': APP_TASK, 'match': ('DELETE', r'^/users/[^/]+/applications/a-'), 'expect': APP_EXPECT, 'allocations': 2,
     'na': {'foreign-link': APP_LIST, 'no-location': 'a delete answers 200 without Location'}},
    {'id': 'role-app-list', 'title': 'role phone_numbers: list the applications (GET /applications)',
     'module': ROLE, 'setup': [{'number': N2, 'name': 'Gone'}], 'task': APP_TASK,
     'match': APPLICATIONS_LIST_MATCH, 'expect': APP_EXPECT, 'allocations': 2, 'na': {'no-location': READ}},
]

# the request (method and path), or the foreign URL a Link or Location pointed to
CLEAR_REQUEST = re.compile(r'\b(GET|POST|DELETE|PUT) /|\bpointed to https?://')
# an HTTP status, a body that is not the JSON expected, a URL off the origin of api_url, or a
# transport failure with its cause (not just "connection error")
CLEAR_REASON = re.compile(r'HTTP [45][0-9][0-9]|HTTP [0-9]{3} but the body is not the JSON expected|not on the origin of api_url|'
                          r'no answer within the timeout|timed out|Connection refused|Connection reset|'
                          r'Connection aborted|without response|Failed to resolve|certificate', re.I)


# --------------------------------------------------------------------------- forwarder

class Forwarder(object):
    """A TCP forwarder in front of the emulator that can make the server go away.

    Armed with ``{"method", "path", "seconds"}``, the first request whose method matches and
    whose path after ``/v1`` matches the regex is not forwarded: its connection and every
    other open one are reset, and the listening port is closed (connections are refused)
    for ``seconds``. ``hits`` counts how often that happened since the last ``arm()``.
    """

    def __init__(self, upstream_port):
        self.upstream = ('127.0.0.1', upstream_port)
        self.lock = threading.Lock()
        self.rule = None
        self.hits = 0
        self.down_until = 0.0
        self.clients = set()
        self.listener = None
        self.port = 0
        self.running = True
        self._listen()
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _listen(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('127.0.0.1', self.port))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self.listener = sock

    def _accept_loop(self):
        while self.running:
            with self.lock:
                down = time.time() < self.down_until
                if not down and self.listener is None:
                    self._listen()
                listener = self.listener
            if down or listener is None:
                time.sleep(0.02)
                continue
            try:
                ready, dummy, dummy = select.select([listener], [], [], 0.05)
                if not ready:
                    continue
                client, dummy = listener.accept()
            except (OSError, ValueError):  # closed under us by _go_away
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def stop(self):
        self.running = False
        self.thread.join(2)
        with self.lock:
            if self.listener is not None:
                self.listener.close()
                self.listener = None

    @staticmethod
    def _reset(sock):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            sock.close()
        except OSError:
            pass

    def _go_away(self, seconds):
        with self.lock:
            self.hits += 1
            self.down_until = time.time() + seconds
            if self.listener is not None:  # from now on connections are refused
                try:
                    self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop's select at once
                except OSError:
                    pass
                self.listener.close()
                self.listener = None
            clients = list(self.clients)
            self.clients.clear()
        for sock in clients:
            self._reset(sock)

    @staticmethod
    def _read_request(reader):
        """(head bytes, method, path, body bytes) of the next request, or None at EOF."""
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = reader.recv(1)
            if not chunk:
                return None
            head += chunk
        lines = head.decode('latin-1').split('\r\n')
        method, target = lines[0].split(' ')[:2]
        length = 0
        for line in lines[1:]:
            if line.lower().startswith('content-length:'):
                length = int(line.split(':', 1)[1].strip())
        body = b''
        while len(body) < length:
            chunk = reader.recv(length - len(body))
            if not chunk:
                return None
            body += chunk
        return head, method, target.split('?', 1)[0], body

    def arm(self, rule):
        with self.lock:
            self.rule = None if FAULTS_OFF else dict(rule)
            self.hits = 0

    def disarm(self):
        with self.lock:
            self.rule = None

    def _serve(self, client):
        try:
            upstream = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            self._reset(client)
            return
        with self.lock:
            self.clients.add(client)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        try:
            while True:
                request = self._read_request(client)
                if request is None:
                    break
                head, method, path, body = request
                with self.lock:
                    rule = self.rule
                api_path = path[3:] if path.startswith('/v1') else path
                if rule and rule['method'] == method and re.search(rule['path'], api_path):
                    with self.lock:
                        self.rule = None
                    self._go_away(float(rule.get('seconds', REFUSE_SECONDS)))
                    self._reset(client)
                    return
                upstream.sendall(head + body)
        except OSError:
            pass
        finally:
            with self.lock:
                self.clients.discard(client)
            for sock in (upstream, client):
                try:
                    sock.close()
                except OSError:
                    pass

    @staticmethod
    def _pump(source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


# --------------------------------------------------------------------------- emulator

class Lane(object):
    """One emulator and its forwarder; cells of a lane run one after the other."""

    def __init__(self, workdir, index):
        self.emulator = Emulator(os.path.join(workdir, 'emulator-%d.url' % index), USER, TOKEN, SECRET, lifetime=1800,
                                 who='fault_matrix')
        self.api_url = self.emulator.url
        self.control = self.emulator.control
        self.forwarder = Forwarder(int(re.search(r':([0-9]+)/v1$', self.api_url).group(1)))
        self.forwarder_url = 'http://127.0.0.1:%d/v1' % self.forwarder.port

    def stop(self):
        self.forwarder.stop()
        self.emulator.stop()


class Controller(object):
    """The steps of a cell the playbook asks for (GET /prepare|between|finish/<cell index>)."""

    def __init__(self, cells, lanes):
        self.cells = cells
        self.lanes = lanes
        self.state = {}
        controller = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # pylint: disable=invalid-name
                try:
                    step, index = self.path.strip('/').split('/')
                    answer = controller.step(step, int(index))
                    status = 200
                except Exception as exc:  # pylint: disable=broad-except
                    answer, status = {'error': '%s: %s' % (type(exc).__name__, exc)}, 500
                data = json.dumps(answer).encode('utf-8')
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def step(self, step, index):
        cell = self.cells[index]
        lane = self.lanes[cell['lane']]
        state = self.state.setdefault(index, {'steps': []})
        state['steps'].append(step)
        if step == 'prepare':
            call(lane.control + '/reset', 'POST')
            call(lane.control + '/foreign', 'DELETE')
            lane.forwarder.disarm()
            for app in cell['setup_applications']:
                call(lane.api_url + '/users/%s/applications' % USER, 'POST', app, auth=(TOKEN, SECRET))
            ids = dict((app['name'], app['id']) for app in call(lane.control + '/applications?user_id=' + USER)['applications'])
            for entry in cell['setup']:
                app_id = ids[entry['application']] if entry.get('application') else entry.get('application_id')
                body = {'number': entry['number'], 'name': entry.get('name'), 'applicationId': app_id}
                call(lane.api_url + '/users/%s/phoneNumbers' % USER, 'POST', dict((k, v) for k, v in body.items() if v),
                     auth=(TOKEN, SECRET))
            call(lane.control + '/requests', 'DELETE')
            if cell['config']:
                call(lane.control + '/config', 'POST', cell['config'])
            if cell['rule'] is not None:
                call(lane.control + '/faults', 'POST', {'faults': [cell['rule']]})
            if cell['forward'] is not None:
                lane.forwarder.arm(cell['forward'])
        elif step == 'between':
            rules = call(lane.control + '/faults')['faults']
            state['hits'] = sum(rule['hits'] for rule in rules) + lane.forwarder.hits
            state['between'] = time.time()
            call(lane.control + '/faults', 'DELETE')
            lane.forwarder.disarm()
            if cell['config']:
                call(lane.control + '/config', 'POST', dict((key, CONFIG_DEFAULTS[key]) for key in cell['config']))
            state['after_run'] = call(lane.control + '/numbers?user_id=' + USER)['numbers']
            state['apps_after_run'] = call(lane.control + '/applications?user_id=' + USER)['applications']
            state['run_requests'] = request_lines(call(lane.control + '/requests')['requests'])
            call(lane.control + '/requests', 'DELETE')
        elif step == 'finish':
            # a delayed request that hit before 'between' has been applied by now
            delay = float((cell['rule'] or {}).get('seconds', 0)) if (cell['rule'] or {}).get('action') == 'delay' else 0
            time.sleep(max(0.0, state['between'] + delay + 0.3 - time.time()))
            state['numbers'] = call(lane.control + '/numbers?user_id=' + USER)['numbers']
            state['apps'] = call(lane.control + '/applications?user_id=' + USER)['applications']
            state['rerun_requests'] = request_lines(call(lane.control + '/requests')['requests'])
            state['foreign'] = call(lane.control + '/foreign')['requests']
        else:
            raise ValueError('unknown step %s' % step)
        return {'ok': True, 'cell': index, 'step': step}

    def stop(self):
        self.server.shutdown()


def request_lines(requests):
    """The request log, one short line per request: ``POST /users/u/phoneNumbers -> 201 [raw_after]``."""
    lines = []
    for entry in requests:
        line = '%s %s%s -> %s' % (entry['method'], entry['path'], '?' + entry['query'] if entry.get('query') else '',
                                  entry.get('status'))
        lines.append(line + (' [%s]' % entry['fault'] if entry.get('fault') else ''))
    return lines


# --------------------------------------------------------------------------- cells and checks

def plan_cell(row, fault):
    """``(match, None)``: the request the fault is armed on; ``(None, reason)`` when the column cannot apply."""
    reason = row.get('na', {}).get(fault['id'])
    if reason:
        return None, reason
    match = tuple(row.get('match_for', {}).get(fault['id'], row['match']))
    if fault.get('needs') and not fault['needs'](match):
        raise ValueError('fault %s cannot apply to row %s (%s %s): give the reason in the row\'s "na"'
                         % (fault['id'], row['id'], match[0], match[1]))
    return match, None


def fault_rule(fault, match):
    """The emulator rule of ``fault`` for the request ``match`` (the read or write variant), or None."""
    if 'read' in fault:
        return fault['read'] if is_read(match) else fault['write']
    return fault['rule']


def build_cells(rows, faults, lanes):
    """The cells to run, and ``{(row id, fault id): reason}`` of those that cannot apply."""
    cells = []
    not_applicable = {}
    for row in rows:
        for fault in faults:
            match, reason = plan_cell(row, fault)
            if reason:
                not_applicable[(row['id'], fault['id'])] = reason
                continue
            index = len(cells)
            lane = lanes[index % len(lanes)]
            cell = {'index': index, 'lane': index % len(lanes), 'row': row['id'], 'fault': fault['id'], 'module': row['module'],
                    'task': row['task'], 'setup': row.get('setup', []), 'check_mode': row.get('check_mode', False),
                    'setup_applications': row.get('setup_applications', []),
                    'api_url': lane.api_url, 'rule': None, 'forward': None, 'match': list(match),
                    'config': fault['config'](match) if fault.get('config') else {},
                    'must_fail': bool(fault.get('must_fail') and fault['must_fail'](match))}
            method, path = match
            rule = fault_rule(fault, match)
            if rule is None:
                cell['api_url'] = lane.forwarder_url
                cell['forward'] = {'method': method, 'path': path, 'seconds': REFUSE_SECONDS}
            else:
                cell['rule'] = dict(rule, method=method, path=path, count=1)
            cells.append(cell)
    return cells, not_applicable


def clear_failure(result):
    msg = str(result.get('msg') or '')
    if 'Traceback (most recent call last)' in msg or 'MODULE FAILURE' in msg:
        return False, 'the module crashed'
    if not CLEAR_REQUEST.search(msg):
        return False, 'message names no request'
    if not CLEAR_REASON.search(msg):
        return False, 'message names no status or transport failure'
    return True, ''


def account_problems(row, numbers, applications):
    """Differences between the account and the row's exact expectation.

    ``expect`` maps E.164 numbers to the fields they must have (``application``: the ID of
    the one application of that name), plus optional ``pools`` (name, count, applicationId)
    and ``applications`` (name -> fields; default: the seeded ones, unchanged). Nothing else
    may be on the account, and each application name exactly once.
    """
    problems = []
    want_apps = row['expect'].get('applications', SEEDED_APPLICATIONS)
    by_name = {}
    for app in applications:
        by_name.setdefault(app.get('name'), []).append(app)
    for name in sorted(set(by_name) | set(want_apps), key=str):
        have_apps = by_name.get(name, [])
        if name not in want_apps:
            problems.append('application %r is on the account but should not be (%s)'
                            % (name, ', '.join(str(a.get('id')) for a in have_apps)))
        elif len(have_apps) != 1:
            problems.append('%d applications named %r on the account, expected exactly 1 (%s)'
                            % (len(have_apps), name, ', '.join(str(a.get('id')) for a in have_apps)))
        else:
            for key, value in want_apps[name].items():
                if have_apps[0].get(key) != value:
                    problems.append('application %r %s is %r, expected %r' % (name, key, have_apps[0].get(key), value))
    app_ids = dict((name, apps[0].get('id')) for name, apps in by_name.items() if len(apps) == 1)
    enabled = [n for n in numbers if n.get('numberState') == 'enabled']
    if len(numbers) > row['allocations']:
        problems.append('%d numbers were allocated on the account, at most %d expected (duplicate order): %s'
                        % (len(numbers), row['allocations'], ', '.join(n['number'] for n in numbers)))
    unlabelled = [n['number'] for n in enabled if not n.get('name')]
    if unlabelled:
        problems.append('unlabelled: %s' % ', '.join(unlabelled))
    expect = dict(row['expect'])
    pools = expect.pop('pools', [])
    expect.pop('applications', None)
    have = dict((n['number'], n) for n in enabled)
    claimed = set(expect)
    for want in pools:
        pool = [n for n in enabled if n.get('name') == want['name']]
        claimed.update(n['number'] for n in pool)
        if len(pool) != want['count']:
            problems.append('the pool %s holds %d numbers, expected exactly %d' % (want['name'], len(pool), want['count']))
        wrong = [n['number'] for n in pool if n.get('applicationId') != want.get('applicationId')]
        if wrong:
            problems.append('wrong application on %s' % ', '.join(wrong))
    missing = sorted(set(expect) - set(have))
    extra = sorted(set(have) - claimed)
    if missing:
        problems.append('missing (released or never ordered): %s' % ', '.join(missing))
    if extra:
        problems.append('on the account but should not be: %s' % ', '.join(extra))
    for number, fields in expect.items():
        for key, value in fields.items():
            if key == 'application':  # by name: the ID of the one application of that name on the account
                key, value = 'applicationId', app_ids.get(value, 'the ID of the one application named %r' % value)
            if number in have and have[number].get(key) != value:
                problems.append('%s %s is %r, expected %r' % (number, key, have[number].get(key), value))
    return problems


def judge(row, cell, record):
    """(run outcome, rerun outcome, problems) of one cell."""
    problems = []
    run, rerun = record['run'], record['rerun']
    if run.get('failed'):
        clear, why = clear_failure(run)
        run_outcome = 'failed-clear' if clear else 'failed-UNCLEAR'
        if not clear:
            problems.append('run failed unclearly (%s): %s' % (why, str(run.get('msg'))[:300]))
    else:
        run_outcome = 'ok'
        if cell['must_fail']:
            run_outcome = 'OK'
            problems.append('run succeeded although the faulted %s must make it fail (the answer was read as empty, '
                            'absent or complete)' % cell['match'][0])
        if not (row.get('check_mode') or row.get('read_only')) and not run.get('changed'):
            problems.append('run succeeded but reported changed=false although it changed the account')
        # a run that reports success has converged: right after it, the account is exact
        problems.extend('the run succeeded, but right after it: %s' % problem
                        for problem in account_problems(row, record['after_run'], record['apps_after_run']))
    if record['hits'] < 1:
        problems.append('the fault never fired (the request was not sent?)')
    if record['foreign']:
        problems.append('the foreign listener received %d request(s): %s' % (
            len(record['foreign']), '; '.join('%s %s (credentials %s)' % (r['method'], r['path'], r['credentials'])
                                              for r in record['foreign'])))
    if rerun.get('failed'):
        rerun_outcome = 'FAILED'
        problems.append('rerun failed: %s' % str(rerun.get('msg'))[:300])
    else:
        rerun_outcome = 'ok'
    diverged = account_problems(row, record['numbers'], record['apps'])
    if diverged:
        rerun_outcome = 'DIVERGED' if rerun_outcome == 'ok' else rerun_outcome
        problems.extend(diverged)
    if problems:
        problems.append('run message: %s' % (str(run.get('msg'))[:600] or '-'))
        problems.append('requests of the run: %s' % ('; '.join(record['run_requests']) or '-'))
        problems.append('requests of the rerun: %s' % ('; '.join(record['rerun_requests']) or '-'))
    return run_outcome, rerun_outcome, problems


def print_matrix(rows, faults, outcomes, not_applicable, out):
    width = max(len(row['id']) for row in rows) + 2
    col = max([15] + [len('%s/%s' % o[:2]) + 1 for o in outcomes.values()] + [len(f['id']) for f in faults]) + 2
    lines = ['Fault matrix: cell = outcome of the run / of the rerun without faults (then the account is checked exactly)', '']
    lines.append(('request'.ljust(width) + ''.join(f['id'].ljust(col) for f in faults)).rstrip())
    lines.append('-' * (width + col * len(faults)))
    for row in rows:
        cells = []
        for fault in faults:
            key = (row['id'], fault['id'])
            if key in not_applicable:
                cells.append('n/a'.ljust(col))
                continue
            run, rerun, problems = outcomes[key]
            text = '%s/%s' % (run, rerun) + ('!' if problems else '')
            cells.append(text.ljust(col))
        lines.append(row['id'].ljust(width) + ''.join(cells).rstrip())
    fault_width = max(len(f['id']) for f in faults)
    lines.append('')
    lines.append('Requests:')
    lines.extend('  %-*s %s' % (width, row['id'], row['title']) for row in rows)
    lines.append('Faults (armed on exactly one request, count 1):')
    lines.extend('  %-*s %s' % (fault_width, fault['id'], fault['title']) for fault in faults)
    moved = [(row['id'], fault['id'], row['match_for'][fault['id']]) for row in rows for fault in faults
             if fault['id'] in row.get('match_for', {})]
    if moved:
        lines.append('Cells armed on another request of the row\'s task:')
        lines.extend('  %s x %s: %s %s' % (row_id, fault_id, match[0], match[1]) for row_id, fault_id, match in moved)
    if not_applicable:
        lines.append('n/a = the column cannot apply to the row (not run):')
        by_reason = {}
        for (row_id, fault_id), reason in not_applicable.items():
            by_reason.setdefault((fault_id, reason), []).append(row_id)
        order = dict((fault['id'], index) for index, fault in enumerate(faults))
        for (fault_id, reason), row_ids in sorted(by_reason.items(), key=lambda item: (order[item[0][0]], item[0][1])):
            lines.append('  %s on %s: %s' % (fault_id, ', '.join(row_ids), reason))
    lines.append('Outcomes: ok = succeeded; failed-clear = failed naming the request and the status, the unexpected body, '
                 'the foreign URL or the transport failure; OK = succeeded where it must fail; ! = a check failed (listed below).')
    bad = [(key, o[2]) for key, o in sorted(outcomes.items()) if o[2]]
    if bad:
        lines.append('')
        lines.append('PROBLEMS:')
        for (row_id, fault_id), problems in bad:
            for problem in problems:
                lines.append('  %s x %s: %s' % (row_id, fault_id, problem))
    total = len(outcomes)
    lines.append('')
    lines.append('%d of %d cells converged (%d n/a)' % (total - len(bad), total, len(not_applicable)))
    text = '\n'.join(lines)
    out.write(text + '\n')
    out.flush()
    return text, not bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--rows', help='comma-separated row ids (default: all)')
    parser.add_argument('--faults', help='comma-separated fault ids (default: all)')
    parser.add_argument('--lanes', type=int, default=3, help='cells run in this many parallel lanes (one emulator each)')
    parser.add_argument('--output', default=os.environ.get('OUTPUT_DIR'), help='where the matrix is also written')
    parser.add_argument('--keep', help='keep the playbook inputs, log and results in this directory')
    parser.add_argument('ansible_args', nargs='*', help='extra ansible-playbook arguments (after --)')
    args = parser.parse_args()

    rows = ROWS + POOL_ROWS + MORE_ROWS + APP_ROWS
    if args.rows:
        unknown = sorted(set(args.rows.split(',')) - set(row['id'] for row in rows))
        if unknown:
            parser.error('unknown row id(s): %s' % ', '.join(unknown))
        rows = [row for row in rows if row['id'] in args.rows.split(',')]
    faults = FAULTS
    if args.faults:
        unknown = sorted(set(args.faults.split(',')) - set(fault['id'] for fault in FAULTS))
        if unknown:
            parser.error('unknown fault id(s): %s' % ', '.join(unknown))
        faults = [fault for fault in FAULTS if fault['id'] in args.faults.split(',')]

    workdir = args.keep or tempfile.mkdtemp(prefix='fault-matrix-')
    os.makedirs(workdir, exist_ok=True)
    started = time.time()
    lanes = []
    controller = None
    try:
        lanes = [Lane(workdir, index) for index in range(max(1, args.lanes))]
        cells, not_applicable = build_cells(rows, faults, lanes)
        controller = Controller(cells, lanes)
        results_dir = os.path.join(workdir, 'results')
        os.makedirs(results_dir, exist_ok=True)
        inventory = {'all': {'hosts': {}, 'vars': {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
            'matrix_controller': controller.url, 'matrix_results_dir': results_dir, 'matrix_timeout': TIMEOUT,
            'matrix_auth': {'user_id': USER, 'api_token': TOKEN, 'api_secret': SECRET}}}}
        for lane_index in range(len(lanes)):
            inventory['all']['hosts']['lane%d' % lane_index] = {
                'matrix_lane_cells': [cell for cell in cells if cell['lane'] == lane_index]}
        inventory_file = os.path.join(workdir, 'inventory.yml')
        with open(inventory_file, 'w', encoding='utf-8') as handle:
            json.dump(inventory, handle)
        if not cells:
            records, state = [], {}
            return finish(args, rows, faults, cells, records, state, not_applicable, workdir, len(lanes), started)
        command = ['ansible-playbook', '-i', inventory_file, '-f', str(len(lanes)), os.path.join(HERE, 'matrix.yml')]
        log_file = os.path.join(workdir, 'ansible.log')
        with open(log_file, 'w', encoding='utf-8') as log:
            code = subprocess.call(command + args.ansible_args, stdout=log, stderr=subprocess.STDOUT)
        records = []
        for name in sorted(os.listdir(results_dir)):
            with open(os.path.join(results_dir, name), encoding='utf-8') as handle:
                records.extend(json.load(handle))
        if code != 0 or not records:
            with open(log_file, encoding='utf-8') as handle:
                sys.stdout.write(handle.read()[-20000:])
            print('fault_matrix: ansible-playbook exited with %d' % code)
            return 1
        state = controller.state
    finally:
        if controller is not None:
            controller.stop()
        for lane in lanes:
            lane.stop()
    return finish(args, rows, faults, cells, records, state, not_applicable, workdir, len(lanes), started)


def finish(args, rows, faults, cells, records, state, not_applicable, workdir, lanes, started):
    """Judge the cells, print the matrix, keep the details in ``workdir``; the exit status."""
    by_id = dict((row['id'], row) for row in rows)
    outcomes = {}
    for record in records:
        cell = cells[int(record['index'])]
        cell_state = state.get(cell['index'], {})
        if cell_state.get('steps') != ['prepare', 'between', 'finish']:
            outcomes[(cell['row'], cell['fault'])] = ('BROKEN', 'BROKEN', ['cell steps ran as %s' % cell_state.get('steps')])
            continue
        record.update((key, cell_state[key]) for key in ('hits', 'numbers', 'after_run', 'apps', 'apps_after_run', 'foreign',
                                                         'run_requests', 'rerun_requests'))
        outcomes[(cell['row'], cell['fault'])] = judge(by_id[cell['row']], cell, record)
    for cell in cells:
        outcomes.setdefault((cell['row'], cell['fault']), ('MISSING', 'MISSING', ['no result recorded']))
    results = dict((int(record['index']), record) for record in records)
    with open(os.path.join(workdir, 'cells.json'), 'w', encoding='utf-8') as handle:
        json.dump([dict(cell, steps=state.get(cell['index']), result=results.get(cell['index']),
                        outcome=outcomes[(cell['row'], cell['fault'])]) for cell in cells], handle, indent=1, default=str)
    text, converged = print_matrix(rows, faults, outcomes, not_applicable, sys.stdout)
    took = '(%d cells in %d lanes, %.0fs)' % (len(outcomes), lanes, time.time() - started)
    if args.keep or not converged:
        took += '\nEvery cell\'s messages and request logs: %s (ansible-playbook output: %s)' % (
            os.path.join(workdir, 'cells.json'), os.path.join(workdir, 'ansible.log'))
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(took)
    if args.output:
        with open(os.path.join(args.output, 'fault_matrix.txt'), 'w', encoding='utf-8') as handle:
            handle.write(text + '\n' + took + '\n')
    return 0 if converged else 1


if __name__ == '__main__':
    sys.exit(main())
