#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fault matrix: every request each module (and the role) sends x every fault, against the emulator.

Each cell (a ROWS request x a FAULTS fault): reset the emulator, set up the row's precondition,
arm exactly one fault on exactly that request, run the task, disarm, run it again without
faults; then the cell must have: failed clearly or, if it succeeded, left the account exact;
a rerun that converged to exactly the desired account (no number or application created
twice); nothing sent to the foreign listener; its fault fired. See README.md. Cells run in
parallel lanes, one emulator and one ansible-playbook (a generated play) each.

    fault_matrix.py [--rows allocate,update] [--faults 500,timeout] [--lanes 6] [--keep DIR]
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
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'setup_catapult_emulator', 'files'))

from catapult_harness import account_problems, call, emulator  # pylint: disable=wrong-import-position

USER, TOKEN, SECRET = 'u-matrix', 'matrix-token', 'matrix-secret-value'
TIMEOUT = 2.0          # the modules' timeout option in every cell
REFUSE_SECONDS = 1.5   # how long the "refused" fault keeps the port closed
N1, N2, N3 = '+19195550100', '+19195550101', '+19195550102'
# The applications every account starts with (the emulator's seeded ones), by name.
SEEDED_APPLICATIONS = dict(('Demo %s' % word, {'id': 'a-demo-%s' % word.lower(), 'callbackHttpMethod': 'post',
                                               'incomingCallUrl': 'https://callbacks.example.com/a-demo-%s/calls' % word.lower()})
                           for word in ('support', 'IVR', 'sales'))
COLLECTION = 'bandwidth.catapult.'
PHONE, PHONES, POOL = COLLECTION + 'catapult_phone_number', COLLECTION + 'catapult_phone_numbers', COLLECTION + 'catapult_local_number_order'
TOLL_FREE, PHONE_INFO = COLLECTION + 'catapult_tollfree_number_order', COLLECTION + 'catapult_phone_number_info'
SEARCH_INFO, ROLE = COLLECTION + 'catapult_available_number_info', COLLECTION + 'phone_numbers'

HTML_PAGE = '<html><body><h1>Down for maintenance</h1></body></html>'
FOREIGN_LINK = '<{foreign}/v1/users/%s/phoneNumbers?page=1&size=1000>; rel="next"' % USER
LIST = ('GET', r'^/users/[^/]+/phoneNumbers$')
APP_LIST = ('GET', r'^/users/[^/]+/applications$')
ALLOCATE = ('POST', r'^/users/[^/]+/phoneNumbers$')
APP_CREATE = ('POST', r'^/users/[^/]+/applications$')
NUMBER_UPDATE = ('POST', r'^/users/[^/]+/phoneNumbers/n-')
SEARCH = ('GET', r'^/availableNumbers/local')
ORDER = ('POST', r'^/availableNumbers/local')


def is_read(match):
    return match[0] == 'GET'


def is_order(match):
    """Search-and-order: 201 with order items (their "location"; no Location header)."""
    return match[0] == 'POST' and match[1].startswith('^/availableNumbers/')


# The columns. "rule" is the emulator fault rule (method, path and count 1 are added per row),
# "read"/"write" replace it for GET / other methods. Optional: "needs" (what the faulted request
# must be, else the cell is n/a: the reason is "why_not"'s, or the row module's in NO_LIST),
# "config" (emulator config for the faulted run), "must_fail" (a run that succeeds is a bug,
# e.g. a maintenance page read as an empty answer), "forward" (through the lane's forwarder).
FAULTS = [
    {'id': '429', 'title': 'HTTP 429 with Retry-After: 1 (not applied)', 'rule': {'action': 'status', 'status': 429, 'retry_after': 1}},
    {'id': '500', 'title': 'HTTP 500 (not applied)', 'rule': {'action': 'status', 'status': 500}},
    {'id': '502', 'title': 'HTTP 502 after the server applied the request', 'rule': {'action': 'status_after', 'status': 502}},
    {'id': '503', 'title': 'HTTP 503 (not applied)', 'rule': {'action': 'status', 'status': 503}},
    {'id': '504', 'title': 'HTTP 504 after the server applied the request', 'rule': {'action': 'status_after', 'status': 504}},
    {'id': 'timeout', 'title': 'no answer within the timeout option (%gs): the server sleeps %gs, then applies it' % (TIMEOUT, TIMEOUT + 1),
     'rule': {'action': 'delay', 'seconds': TIMEOUT + 1}},
    {'id': 'refused', 'title': 'the server goes away under the request: connection reset (not applied), '
                               'then connections refused for %gs' % REFUSE_SECONDS, 'rule': {'action': 'reset'}, 'forward': True},
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
     'rule': {'action': 'pass', 'headers': {'Link': FOREIGN_LINK}}, 'needs': lambda match: tuple(match) in (LIST, APP_LIST),
     'must_fail': lambda match: True},
    {'id': 'no-location', 'title': 'a 201 without Location (pass, Location removed); a search-and-order also with '
                                   'order_item_location false for the faulted run (items without location)',
     'rule': {'action': 'pass', 'headers': {'Location': None}}, 'needs': lambda match: match in (ALLOCATE, APP_CREATE) or is_order(match),
     'why_not': lambda match: 'a read: there is no Location to remove' if is_read(match) else
     '%s answers 200 without Location' % ('a release or delete' if match[0] == 'DELETE' else 'an update or label'),
     'config': lambda match: {'order_item_location': False} if is_order(match) else {}},
    {'id': 'unknown-route', 'title': 'HTTP 404 resource-not-found, not Catapult\'s number-not-found (not applied): '
                                     'never "absent"; a read must fail',
     'rule': {'action': 'status', 'status': 404, 'code': 'resource-not-found', 'message': 'The requested resource could not be found.'},
     'must_fail': is_read},
]
CONFIG_DEFAULTS = {'order_item_location': True}  # the emulator config a fault's config goes back to
# Why a row sends no list request of its own to put a foreign Link on, by module.
NO_LIST = {PHONE: 'catapult_phone_number with one number sends no list request',
           PHONES: "its list request is row list's (the same module, task and setup)",
           POOL: "its list requests are row pool-list's (the same pool engine)",
           TOLL_FREE: "its list requests are row pool-list's (the same pool engine)",
           SEARCH_INFO: 'the module sends no list request (a search is not paginated)',
           ROLE: "its list request is row role-app-list's (the same task lists the applications once)"}

# The rows. "task" runs twice (run, rerun) after "setup" (numbers; "application" by name) and
# "setup_applications" were created through the API; "match" is the request faulted
# ("match_for" moves one column to another request of the task); "expect" is the exact
# account afterwards: numbers -> fields ("application": by name), "pools", "applications"
# (name -> fields; default the seeded ones); "allocations": at most this many numbers ever.
POOL_TASK = {'name': 'Matrix pool', 'area_code': '919', 'quantity': 3, 'application_id': 'a-demo-ivr'}
POOL_EXPECT = {'pools': [{'name': 'Matrix pool', 'applicationId': 'a-demo-ivr', 'count': 3}]}
BULK_SETUP = [{'number': N1, 'name': 'Old'}, {'number': N2, 'name': 'Gone'}]
BULK_TASK = {'numbers': [{'number': N1, 'name': 'New'}, {'number': N2, 'state': 'absent'}, {'number': N3, 'name': 'Fresh'}]}
BULK_EXPECT = {N1: {'name': 'New'}, N3: {'name': 'Fresh'}}
ROLE_TASK = {'catapult_phone_numbers': [{'number': N1, 'name': 'Role', 'application_id': 'a-demo-ivr'}, {'number': N2, 'state': 'absent'}],
             'catapult_number_pools': [{'name': 'Role pool', 'area_code': '212', 'quantity': 2, 'application_id': 'a-demo-sales'}]}
ROLE_EXPECT = {N1: {'name': 'Role', 'applicationId': 'a-demo-ivr'}, 'pools': [{'name': 'Role pool', 'applicationId': 'a-demo-sales', 'count': 2}]}
APP = 'Matrix IVR'
APP_FIELDS = {'incomingCallUrl': 'https://ivr.example.com/matrix/calls', 'callbackHttpMethod': 'get'}
APP_TASK = {'catapult_applications': [{'name': APP, 'incoming_call_url': APP_FIELDS['incomingCallUrl'], 'callback_http_method': 'get'}],
            'catapult_phone_numbers': [{'number': N1, 'name': 'Role', 'application': APP}, {'number': N2, 'state': 'absent'}],
            'catapult_number_pools': [], 'catapult_prune': True, 'catapult_prune_protect': ['Demo IVR', 'Demo sales', 'Demo support']}
APP_EXPECT = {N1: {'name': 'Role', 'application': APP}, 'applications': dict(SEEDED_APPLICATIONS, **{APP: APP_FIELDS})}
ONE = {'number': N1, 'name': 'Matrix', 'application_id': 'a-demo-ivr'}
ONE_EXPECT = {N1: {'name': 'Matrix', 'applicationId': 'a-demo-ivr'}}
ROWS = [
    {'id': 'get', 'title': 'catapult_phone_number: read one number (GET /phoneNumbers/{e164})', 'module': PHONE, 'task': ONE,
     'match': ('GET', r'^/users/[^/]+/phoneNumbers/%2B'), 'expect': ONE_EXPECT, 'allocations': 1},
    {'id': 'allocate', 'title': 'catapult_phone_number: order the number (POST /phoneNumbers)', 'module': PHONE, 'task': ONE,
     'match': ALLOCATE, 'expect': ONE_EXPECT, 'allocations': 1},
    {'id': 'update', 'title': 'catapult_phone_number: update (POST /phoneNumbers/{id})', 'module': PHONE,
     'setup': [{'number': N1, 'name': 'Old', 'application_id': 'a-demo-support'}], 'task': dict(ONE, name='New'),
     'match': NUMBER_UPDATE, 'expect': {N1: {'name': 'New', 'applicationId': 'a-demo-ivr'}}, 'allocations': 1},
    {'id': 'release', 'title': 'catapult_phone_number: release (DELETE /phoneNumbers/{id})', 'module': PHONE,
     'setup': [{'number': N1, 'name': 'Keep'}, {'number': N2, 'name': 'Gone'}], 'task': {'number': N2, 'state': 'absent'},
     'match': ('DELETE', r'^/users/[^/]+/phoneNumbers/n-'), 'expect': {N1: {'name': 'Keep'}}, 'allocations': 2},
    {'id': 'list', 'title': 'catapult_phone_numbers: list the account (GET /phoneNumbers)', 'module': PHONES, 'setup': BULK_SETUP,
     'task': BULK_TASK, 'match': LIST, 'expect': BULK_EXPECT, 'allocations': 3},
    {'id': 'bulk-allocate', 'title': 'catapult_phone_numbers: order a specific number (POST /phoneNumbers)', 'module': PHONES,
     'setup': BULK_SETUP, 'task': BULK_TASK, 'match': ALLOCATE, 'expect': BULK_EXPECT, 'allocations': 3},
    {'id': 'pool-list', 'title': 'catapult_local_number_order: count the pool, 1 of 3 there (GET /phoneNumbers?name=)', 'module': POOL,
     'setup': [{'number': N1, 'name': 'Matrix pool', 'application_id': 'a-demo-ivr'}], 'task': POOL_TASK, 'match': LIST,
     'expect': POOL_EXPECT, 'allocations': 3},
    {'id': 'search', 'title': 'catapult_local_number_order check mode: search (GET /availableNumbers/local)', 'module': POOL,
     'task': POOL_TASK, 'check_mode': True, 'match': SEARCH, 'expect': {}, 'allocations': 0, 'read_only': True},
    {'id': 'search-and-order', 'title': 'catapult_local_number_order: search-and-order (POST /availableNumbers/local)', 'module': POOL,
     'task': POOL_TASK, 'match': ORDER, 'expect': POOL_EXPECT, 'allocations': 3},
    {'id': 'label', 'title': 'catapult_local_number_order: label an ordered number (POST /phoneNumbers/{id})', 'module': POOL,
     'task': POOL_TASK, 'match': NUMBER_UPDATE, 'expect': POOL_EXPECT, 'allocations': 3},
    {'id': 'info-list', 'title': 'catapult_phone_number_info: list the account (GET /phoneNumbers)', 'module': PHONE_INFO,
     'setup': [{'number': N1, 'name': 'Keep'}], 'task': {'name': 'Keep'}, 'match': LIST, 'expect': {N1: {'name': 'Keep'}},
     'allocations': 1, 'read_only': True},
    {'id': 'info-search', 'title': 'catapult_available_number_info: search (GET /availableNumbers/local)', 'module': SEARCH_INFO,
     'task': {'area_code': '919', 'quantity': 3}, 'match': SEARCH, 'expect': {}, 'allocations': 0, 'read_only': True},
    {'id': 'tollfree-order', 'title': 'catapult_tollfree_number_order: search-and-order (POST /availableNumbers/tollFree)',
     'module': TOLL_FREE, 'task': {'name': 'Matrix toll-free', 'quantity': 2, 'application_id': 'a-demo-ivr'},
     'match': ('POST', r'^/availableNumbers/tollFree'), 'allocations': 2,
     'expect': {'pools': [{'name': 'Matrix toll-free', 'applicationId': 'a-demo-ivr', 'count': 2}]}},
    {'id': 'role-order', 'title': 'role phone_numbers: order a specific number (POST /phoneNumbers)', 'module': ROLE,
     'setup': [{'number': N2, 'name': 'Gone'}], 'task': ROLE_TASK, 'match': ALLOCATE, 'expect': ROLE_EXPECT, 'allocations': 4,
     'match_for': {'foreign-link': LIST}},
    {'id': 'role-pool-order', 'title': 'role phone_numbers: order a pool (POST /availableNumbers/local)', 'module': ROLE,
     'setup': [{'number': N2, 'name': 'Gone'}], 'task': ROLE_TASK, 'match': ORDER, 'expect': ROLE_EXPECT, 'allocations': 4,
     'match_for': {'foreign-link': APP_LIST}},
    {'id': 'role-app-create', 'title': 'role phone_numbers: create an application (POST /applications)', 'module': ROLE,
     'setup': [{'number': N2, 'name': 'Gone'}], 'task': APP_TASK, 'match': APP_CREATE, 'expect': APP_EXPECT, 'allocations': 2},
    {'id': 'role-app-update', 'title': 'role phone_numbers: update an application (POST /applications/{id})', 'module': ROLE,
     'setup_applications': [{'name': APP, 'incomingCallUrl': 'https://old.example.com/calls'}],
     'setup': [{'number': N1, 'name': 'Role', 'application': APP}, {'number': N2, 'name': 'Gone'}], 'task': APP_TASK,
     'match': ('POST', r'^/users/[^/]+/applications/a-'), 'expect': APP_EXPECT, 'allocations': 2},
    {'id': 'role-app-delete', 'title': 'role phone_numbers: prune an application once its number is released (DELETE /applications/{id})',
     'module': ROLE, 'setup_applications': [dict(APP_FIELDS, name=APP), {'name': 'Matrix old', 'incomingCallUrl': 'https://old.example.com/calls'}],
     'setup': [{'number': N1, 'name': 'Role', 'application': APP}, {'number': N2, 'name': 'Gone', 'application': 'Matrix old'}],
     'task': APP_TASK, 'match': ('DELETE', r'^/users/[^/]+/applications/a-'), 'expect': APP_EXPECT, 'allocations': 2},
    {'id': 'role-app-list', 'title': 'role phone_numbers: list the applications (GET /applications)', 'module': ROLE,
     'setup': [{'number': N2, 'name': 'Gone'}], 'task': APP_TASK, 'match': APP_LIST, 'expect': APP_EXPECT, 'allocations': 2},
]

# the request (method and path), or the foreign URL a Link or Location pointed to
CLEAR_REQUEST = re.compile(r'\b(GET|POST|DELETE|PUT) /|\bpointed to https?://')
# an HTTP status, a body that is not the JSON expected, a URL off the origin of api_url, or a
# transport failure with its cause (not just "connection error")
CLEAR_REASON = re.compile(r'HTTP [45][0-9][0-9]|HTTP [0-9]{3} but the body is not the JSON expected|not on the origin of api_url|'
                          r'no answer within the timeout|timed out|Connection refused|Connection reset|'
                          r'Connection aborted|without response|Failed to resolve|certificate', re.I)


class Forwarder(object):
    """A TCP forwarder in front of a lane's emulator. A server cannot refuse one request, so
    while armed, when the emulator resets a connection (the "reset" fault) the forwarder resets
    every client connection and closes its port for REFUSE_SECONDS (``downs`` counts that)."""

    def __init__(self, upstream):
        self.upstream, self.lock, self.clients = upstream, threading.Lock(), set()
        self.armed, self.downs, self.down_until, self.running = False, 0, 0.0, True
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self):
        while self.running:
            with self.lock:
                if self.listener is None and time.time() >= self.down_until:
                    self.listener = socket.create_server(('127.0.0.1', self.port))
                listener = self.listener
            try:
                if listener is None or not select.select([listener], [], [], 0.05)[0]:
                    time.sleep(0.02 if listener is None else 0)
                    continue
                client = listener.accept()[0]
                upstream = socket.create_connection(self.upstream)
            except (OSError, ValueError):  # the listener closed under us by _go_away
                continue
            with self.lock:
                self.clients.add(client)
            threading.Thread(target=self._serve, args=(client, upstream), daemon=True).start()

    def _serve(self, client, upstream):
        try:
            while self.running:
                for source in select.select([client, upstream], [], [], 0.05)[0]:
                    try:
                        data = source.recv(65536)
                    except ConnectionResetError:
                        if source is upstream and self.armed:
                            self._go_away()
                        return
                    if not data:
                        return
                    (upstream if source is client else client).sendall(data)
        except (OSError, ValueError):  # reset by _go_away
            pass
        finally:
            with self.lock:
                self.clients.discard(client)
            client.close()
            upstream.close()

    def _go_away(self):
        with self.lock:
            self.downs += 1
            self.down_until = time.time() + REFUSE_SECONDS
            if self.listener is not None:  # from now on connections are refused
                try:
                    self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop's select at once
                except OSError:
                    pass
                self.listener.close()
                self.listener = None
            clients, self.clients = self.clients, set()
        for sock in clients:  # a reset, as a crashing server's
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                sock.close()
            except OSError:
                pass

    def stop(self):
        self.running = False
        with self.lock:
            if self.listener is not None:
                self.listener.close()


class Lane(object):
    """One emulator and its forwarder; the cells of a lane run one after the other."""

    def __init__(self, url_file):
        self.emulator = emulator(USER, TOKEN, SECRET, lifetime=1800, who='fault_matrix', url_file=url_file)
        self.api_url, self.control = self.emulator.url, self.emulator.control
        self.forwarder = Forwarder(('127.0.0.1', int(re.search(r':([0-9]+)/v1$', self.api_url).group(1))))
        self.forwarder_url = 'http://127.0.0.1:%d/v1' % self.forwarder.port

    def get(self, what):
        return call('%s/%s?user_id=%s' % (self.control, what, USER))[what]

    def stop(self):
        self.forwarder.stop()
        self.emulator.stop()


class Controller(object):
    """Serves the steps of each cell the lane plays ask for: GET /prepare|between|finish/<cell>[?r=<result JSON>]."""

    def __init__(self, cells, lanes):
        self.cells, self.lanes, self.state = cells, lanes, {}
        controller = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # pylint: disable=invalid-name
                try:
                    url = urlsplit(self.path)
                    step, index = url.path.strip('/').split('/')
                    result = json.loads(parse_qs(url.query).get('r', ['null'])[0])
                    answer, status = controller.step(step, int(index), result), 200
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

    def step(self, step, index, result):
        cell = self.cells[index]
        lane = self.lanes[cell['lane']]
        state = self.state.setdefault(index, {'steps': []})
        state['steps'].append(step)
        if step == 'prepare':
            call(lane.control + '/reset', 'POST')
            lane.forwarder.armed = False
            for app in cell['setup_applications']:
                call(lane.api_url + '/users/%s/applications' % USER, 'POST', app, auth=(TOKEN, SECRET))
            ids = dict((app['name'], app['id']) for app in lane.get('applications'))
            for entry in cell['setup']:
                body = {'number': entry['number'], 'name': entry.get('name'),
                        'applicationId': ids[entry['application']] if entry.get('application') else entry.get('application_id')}
                call(lane.api_url + '/users/%s/phoneNumbers' % USER, 'POST', dict((k, v) for k, v in body.items() if v), auth=(TOKEN, SECRET))
            call(lane.control + '/requests', 'DELETE')
            if cell['config']:
                call(lane.control + '/config', 'POST', cell['config'])
            call(lane.control + '/faults', 'POST', {'faults': [cell['rule']]})
            lane.forwarder.armed, lane.forwarder.downs = cell['forward'], 0
        elif step == 'between':
            state.update(run=result, between=time.time())
            # a "refused" cell's fault fired when the reset reached the client as a closed port too
            state['hits'] = min([call(lane.control + '/faults')['faults'][0]['hits']] + [lane.forwarder.downs] * cell['forward'])
            call(lane.control + '/faults', 'DELETE')
            lane.forwarder.armed = False
            if cell['config']:
                call(lane.control + '/config', 'POST', dict((key, CONFIG_DEFAULTS[key]) for key in cell['config']))
            state.update(after_run=lane.get('numbers'), apps_after_run=lane.get('applications'), run_requests=request_lines(lane))
        elif step == 'finish':
            # a delayed request that hit before 'between' has been applied by now
            time.sleep(max(0.0, state['between'] + cell['rule'].get('seconds', 0) + 0.3 - time.time()))
            state.update(rerun=result, numbers=lane.get('numbers'), apps=lane.get('applications'), rerun_requests=request_lines(lane),
                         foreign=call(lane.control + '/foreign')['requests'])
        else:
            raise ValueError('unknown step %s' % step)
        return {'ok': True, 'cell': index, 'step': step}


def request_lines(lane):
    """The request log since the last clear, one line each (``POST /users/u/phoneNumbers -> 201 [raw_after]``); clears it."""
    lines = ['%s %s%s -> %s%s' % (r['method'], r['path'], '?' + r['query'] if r.get('query') else '', r.get('status'),
                                  ' [%s]' % r['fault'] if r.get('fault') else '') for r in call(lane.control + '/requests')['requests']]
    call(lane.control + '/requests', 'DELETE')
    return lines


def build_cells(rows, faults, lanes):
    """The cells to run, and ``{(row id, fault id): reason}`` of those that cannot apply."""
    cells, not_applicable = [], {}
    for row in rows:
        for fault in faults:
            match = tuple(row.get('match_for', {}).get(fault['id'], row['match']))
            if fault.get('needs') and not fault['needs'](match):
                not_applicable[(row['id'], fault['id'])] = fault['why_not'](match) if 'why_not' in fault else NO_LIST[row['module']]
                continue
            lane = len(cells) % len(lanes)
            rule = fault.get('rule') or (fault['read'] if is_read(match) else fault['write'])
            cells.append({'index': len(cells), 'lane': lane, 'row': row['id'], 'fault': fault['id'], 'module': row['module'],
                          'task': row['task'], 'setup': row.get('setup', []), 'check_mode': row.get('check_mode', False),
                          'setup_applications': row.get('setup_applications', []), 'match': list(match),
                          'api_url': lanes[lane].forwarder_url if fault.get('forward') else lanes[lane].api_url,
                          'rule': dict(rule, method=match[0], path=match[1], count=1), 'forward': bool(fault.get('forward')),
                          'config': fault['config'](match) if fault.get('config') else {},
                          'must_fail': bool(fault.get('must_fail') and fault['must_fail'](match))})
    return cells, not_applicable


# What the steps send back: the registered result of the run before them.
RESULT = ("{'failed': matrix_task.failed | default(false), 'changed': matrix_task.changed | default(false), "
          "'msg': (matrix_task.msg | default('') | string)[:3000]} | to_json | urlencode")


def cell_tasks(cell, controller):
    """The tasks of one cell: prepare, run, between, rerun, finish (each step an in-controller url lookup)."""
    def step(name):
        url = "'%s/%s/%d?r=' ~ (%s)" % (controller, name, cell['index'], RESULT if name != 'prepare' else "''")
        return {'name': '%s x %s: %s' % (cell['row'], cell['fault'], name),
                'ansible.builtin.set_fact': {'matrix_step': "{{ lookup('ansible.builtin.url', %s, use_proxy=false) }}" % url}}

    def run(name):
        name = '%s x %s: %s' % (cell['row'], cell['fault'], name)
        if cell['module'] != ROLE:
            return {'name': name, cell['module']: dict(cell['task'], api_url=cell['api_url'], timeout=TIMEOUT),
                    'check_mode': cell['check_mode'], 'register': 'matrix_task', 'ignore_errors': True}
        role_vars = dict(cell['task'], catapult_user_id=USER, catapult_api_token=TOKEN, catapult_api_secret=SECRET,
                         catapult_api_url=cell['api_url'], catapult_timeout=TIMEOUT)
        return {'name': name, 'block': [  # the role's failure is rescued into matrix_task
            {'name': 'Run the role', 'ansible.builtin.include_role': {'name': ROLE}, 'vars': role_vars},
            {'name': 'Keep its result', 'ansible.builtin.set_fact': {'matrix_task': {'changed': '{{ catapult_phone_numbers_result.changed | bool }}'}}}],
            'rescue': [{'name': 'Keep its failure', 'ansible.builtin.set_fact': {
                'matrix_task': {'failed': True, 'msg': "{{ ansible_failed_result.msg | default('') }}"}}}]}
    return [step('prepare'), run('run'), step('between'), run('rerun'), step('finish')]


def clear_failure(result):
    msg = str(result.get('msg') or '')
    if 'Traceback (most recent call last)' in msg or 'MODULE FAILURE' in msg:
        return 'the module crashed'
    if not CLEAR_REQUEST.search(msg):
        return 'message names no request'
    return None if CLEAR_REASON.search(msg) else 'message names no status or transport failure'


def cell_problems(row, numbers, applications):
    """Differences between the account (numbers, applications) and the row's exact expectation."""
    expect = dict(row['expect'])
    pools, want_apps = expect.pop('pools', []), expect.pop('applications', SEEDED_APPLICATIONS)
    problems, by_name = [], {}
    for app in applications:
        by_name.setdefault(app.get('name'), []).append(app)
    for name in sorted(set(by_name) | set(want_apps), key=str):
        have = by_name.get(name, [])
        if name not in want_apps or len(have) != 1:
            problems.append('%d applications named %r on the account, expected %d (%s)'
                            % (len(have), name, int(name in want_apps), ', '.join(str(a.get('id')) for a in have)))
        else:
            problems.extend('application %r %s is %r, expected %r' % (name, key, have[0].get(key), value)
                            for key, value in want_apps[name].items() if have[0].get(key) != value)
    # a number's "application" (a name) must be the ID of the one application of that name
    expect = dict((number, dict(('applicationId', (by_name.get(value) or [{}])[0].get('id', 'the ID of %r' % value)) if key == 'application'
                                else (key, value) for key, value in fields.items())) for number, fields in expect.items())
    return problems + account_problems(numbers, expect, pools, row['allocations'], at_most=True)


def judge(row, cell, state):
    """(run outcome, rerun outcome, problems) of one cell."""
    problems = []
    run, rerun = state['run'], state['rerun']
    if run['failed']:
        why = clear_failure(run)
        run_outcome = 'failed-UNCLEAR' if why else 'failed-clear'
        if why:
            problems.append('run failed unclearly (%s): %s' % (why, str(run.get('msg'))[:300]))
    else:
        run_outcome = 'OK' if cell['must_fail'] else 'ok'
        if cell['must_fail']:
            problems.append('run succeeded although the faulted %s must make it fail (the answer was read as empty, absent or complete)'
                            % cell['match'][0])
        if not (row.get('check_mode') or row.get('read_only')) and not run['changed']:
            problems.append('run succeeded but reported changed=false although it changed the account')
        # a run that reports success has converged: right after it, the account is exact
        problems.extend('the run succeeded, but right after it: %s' % problem
                        for problem in cell_problems(row, state['after_run'], state['apps_after_run']))
    if state['hits'] < 1:
        problems.append('the fault never fired (the request was not sent?)')
    if state['foreign']:
        problems.append('the foreign listener received %d request(s): %s' % (len(state['foreign']), '; '.join(
            '%s %s (credentials %s)' % (r['method'], r['path'], r['credentials']) for r in state['foreign'])))
    rerun_outcome = 'FAILED' if rerun['failed'] else 'ok'
    if rerun['failed']:
        problems.append('rerun failed: %s' % str(rerun.get('msg'))[:300])
    diverged = cell_problems(row, state['numbers'], state['apps'])
    if diverged:
        rerun_outcome = 'DIVERGED' if rerun_outcome == 'ok' else rerun_outcome
        problems.extend(diverged)
    if problems:
        problems.append('run message: %s' % (str(run.get('msg'))[:600] or '-'))
        problems.append('requests of the run: %s' % ('; '.join(state['run_requests']) or '-'))
        problems.append('requests of the rerun: %s' % ('; '.join(state['rerun_requests']) or '-'))
    return run_outcome, rerun_outcome, problems


def matrix_text(rows, faults, outcomes, not_applicable):
    width = max(len(row['id']) for row in rows) + 2
    col = max([15] + [len('%s/%s' % o[:2]) + 1 for o in outcomes.values()] + [len(f['id']) for f in faults]) + 2
    lines = ['Fault matrix: cell = outcome of the run / of the rerun without faults (then the account is checked exactly)', '',
             ('request'.ljust(width) + ''.join(f['id'].ljust(col) for f in faults)).rstrip(), '-' * (width + col * len(faults))]
    for row in rows:
        cells = [('n/a' if (row['id'], f['id']) in not_applicable else '%s/%s%s' % (
            outcomes[(row['id'], f['id'])][0], outcomes[(row['id'], f['id'])][1], '!' if outcomes[(row['id'], f['id'])][2] else '')).ljust(col)
            for f in faults]
        lines.append((row['id'].ljust(width) + ''.join(cells)).rstrip())
    lines += ['', 'Requests:'] + ['  %-*s %s' % (width, row['id'], row['title']) for row in rows]
    lines += ['Faults (armed on exactly one request, count 1):'] + ['  %-13s %s' % (f['id'], f['title']) for f in faults]
    moved = ['  %s x %s: %s %s' % ((row['id'], f['id']) + tuple(row['match_for'][f['id']])) for row in rows for f in faults
             if f['id'] in row.get('match_for', {})]
    lines += ['Cells armed on another request of the row\'s task:'] + moved if moved else []
    by_reason = {}
    for (row_id, fault_id), reason in not_applicable.items():
        by_reason.setdefault((fault_id, reason), []).append(row_id)
    lines += ['n/a = the column cannot apply to the row (not run):'] if by_reason else []
    lines += ['  %s on %s: %s' % (fault_id, ', '.join(row_ids), reason) for (fault_id, reason), row_ids in sorted(by_reason.items())]
    lines.append('Outcomes: ok = succeeded; failed-clear = failed naming the request and the status, the unexpected body, '
                 'the foreign URL or the transport failure; OK = succeeded where it must fail; ! = a check failed (listed below).')
    bad = [(key, o[2]) for key, o in sorted(outcomes.items()) if o[2]]
    lines += ['', 'PROBLEMS:'] + ['  %s x %s: %s' % (key + (p,)) for key, problems in bad for p in problems] if bad else []
    lines += ['', '%d of %d cells converged (%d n/a)' % (len(outcomes) - len(bad), len(outcomes), len(not_applicable))]
    return '\n'.join(lines), not bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--rows', help='comma-separated row ids (default: all)')
    parser.add_argument('--faults', help='comma-separated fault ids (default: all)')
    parser.add_argument('--lanes', type=int, default=6, help='cells run in this many parallel lanes (one emulator each)')
    parser.add_argument('--output', default=os.environ.get('OUTPUT_DIR'), help='where the matrix is also written')
    parser.add_argument('--keep', help='keep the plays, logs and results in this directory')
    parser.add_argument('ansible_args', nargs='*', help='extra ansible-playbook arguments (after --)')
    args = parser.parse_args()

    def pick(table, wanted, what):
        ids = wanted.split(',') if wanted else [item['id'] for item in table]
        unknown = sorted(set(ids) - set(item['id'] for item in table))
        if unknown:
            parser.error('unknown %s id(s): %s' % (what, ', '.join(unknown)))
        return [item for item in table if item['id'] in ids]

    rows, faults = pick(ROWS, args.rows, 'row'), pick(FAULTS, args.faults, 'fault')

    workdir = args.keep or tempfile.mkdtemp(prefix='fault-matrix-')
    os.makedirs(workdir, exist_ok=True)
    started = time.time()
    lanes, controller, code = [], None, 0
    try:
        lanes = [Lane(os.path.join(workdir, 'emulator-%d.url' % index)) for index in range(max(1, args.lanes))]
        cells, not_applicable = build_cells(rows, faults, lanes)
        controller = Controller(cells, lanes)
        # one ansible-playbook per lane; pipelining: no temporary files per module run; a lane
        # waits for its task most of the time, so it polls for results at 50 ms, not the default 1 ms
        env = dict(os.environ, ANSIBLE_PIPELINING='True', ANSIBLE_INTERNAL_POLL_INTERVAL='0.05')
        procs = []
        for index in range(len(lanes)):
            play = [{'name': 'Fault matrix lane %d' % index, 'hosts': 'localhost', 'gather_facts': False,
                     'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
                     'module_defaults': {'group/bandwidth.catapult.catapult': {'user_id': USER, 'api_token': TOKEN, 'api_secret': SECRET}},
                     'tasks': [task for cell in cells if cell['lane'] == index for task in cell_tasks(cell, controller.url)]}]
            path = os.path.join(workdir, 'lane%d.yml' % index)
            with open(path, 'w', encoding='utf-8') as handle:
                json.dump(play, handle, indent=1)
            with open(os.path.join(workdir, 'lane%d.log' % index), 'w', encoding='utf-8') as log:
                procs.append(subprocess.Popen(['ansible-playbook', '-i', 'localhost,', path] + args.ansible_args,  # pylint: disable=consider-using-with
                                              stdout=log, stderr=subprocess.STDOUT, env=env) if play[0]['tasks'] else None)
        for index, proc in enumerate(procs):
            if proc and proc.wait():
                with open(os.path.join(workdir, 'lane%d.log' % index), encoding='utf-8') as handle:
                    sys.stdout.write(handle.read()[-20000:])
                print('fault_matrix: ansible-playbook of lane %d exited with %d' % (index, proc.returncode))
                code = 1
    finally:
        if controller is not None:
            controller.server.shutdown()
        for lane in lanes:
            lane.stop()
    if code:
        return code

    by_id = dict((row['id'], row) for row in rows)
    outcomes = {}
    for cell in cells:
        state = controller.state.get(cell['index'], {})
        key = (cell['row'], cell['fault'])
        outcomes[key] = (judge(by_id[cell['row']], cell, state) if state.get('steps') == ['prepare', 'between', 'finish']
                         else ('BROKEN', 'BROKEN', ['cell steps ran as %s' % state.get('steps')]))
    with open(os.path.join(workdir, 'cells.json'), 'w', encoding='utf-8') as handle:
        json.dump([dict(cell, state=controller.state.get(cell['index']), outcome=outcomes[(cell['row'], cell['fault'])]) for cell in cells],
                  handle, indent=1, default=str)
    text, converged = matrix_text(rows, faults, outcomes, not_applicable)
    took = '(%d cells in %d lanes, %.0fs)' % (len(outcomes), len(lanes), time.time() - started)
    if args.keep or not converged:
        took += '\nEvery cell\'s messages and request logs: %s (ansible-playbook output: %s)' % (
            os.path.join(workdir, 'cells.json'), os.path.join(workdir, 'lane*.log'))
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(text + '\n' + took)
    if args.output:
        with open(os.path.join(args.output, 'fault_matrix.txt'), 'w', encoding='utf-8') as handle:
            handle.write(text + '\n' + took + '\n')
    return 0 if converged else 1


if __name__ == '__main__':
    sys.exit(main())
