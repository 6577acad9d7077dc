"""What the emulator tests share: the emulator module (tests/emulator/catapult_emulator.py), ``api``
(u-demo on a fresh emulator in-process, through ``Emulator.serve()``, the code path its HTTP listener
runs), and for what only the listener does, ``server`` (one emulator per module in a thread), its
clients, and emulator processes (``launched``). Accounts: u-demo:T:S and u-other:T2:S2."""

from __future__ import annotations

import base64
import json
import types
from urllib.parse import urlencode

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from ansible_collections.bandwidth.catapult.tests.emulator import catapult_emulator as CATAPULT_EMULATOR

ROOT = 'http://emu.test'
BASE = ROOT + '/v1'


class Answer:
    """An answer of ``Emulator.serve()``: ``status`` (None: the connection closes unanswered), ``headers``,
    ``content``, ``text``, ``json()`` and ``fault`` (the action that fired)."""

    def __init__(self, reply, fault):
        self.status, self.fault = (reply.status if reply else None), (fault.action if fault else None)
        self.content, content_type = reply.payload() if reply else (b'', None)
        self.headers = CaseInsensitiveDict(reply.headers if reply else {})
        if content_type:
            self.headers['Content-Type'] = content_type
        self.text = self.content.decode('utf-8')

    def json(self):
        return json.loads(self.text)


class Api:
    """``api(method, path, params, body)``: one /v1 request in-process (``body``: JSON, or bytes as they are);
    ``api.ctl(method, name, body, **params)``: the /_emulator control API, asserting 200 unless ``expect``."""

    def __init__(self, emu, auth=('T', 'S'), server=None):
        self.emu, self.auth = emu, auth
        self.server = server or types.SimpleNamespace(base_url=BASE, foreign_url='http://foreign.test', cert_pem=None)

    def __call__(self, method, path, params=None, body=None, auth=None):
        auth = self.auth if auth is None else auth
        authorization = 'Basic ' + base64.b64encode(('%s:%s' % auth).encode()).decode() if auth else None
        data = body if isinstance(body, bytes) else b'' if body is None else json.dumps(body).encode()
        return Answer(*self.emu.serve(method, path, urlencode(params or {}), data, authorization, '127.0.0.1', ROOT))

    def ctl(self, method, name, body=None, expect=200, **params):
        reply = CATAPULT_EMULATOR.control(self.emu, method, name, urlencode(params), json.dumps(body or {}).encode(), self.server)
        assert reply.status == expect, reply.body
        return reply.body

    def allocate(self, number, **fields):
        return self('POST', '/users/u-demo/phoneNumbers', body=dict(number=number, **fields))

    def number(self, ref):
        return self('GET', '/users/u-demo/phoneNumbers/' + ref.replace('+', '%2B'))

    def numbers(self, state='enabled'):
        return [n['number'] for n in self.ctl('GET', 'numbers')['numbers'] if n['numberState'] == state]


@pytest.fixture(scope='session')
def emulator_module():
    return CATAPULT_EMULATOR


@pytest.fixture
def make_api():
    """make_api(*args): u-demo on an emulator of its own, made with those command-line options (u-other's too)."""
    return lambda *args: Api(CATAPULT_EMULATOR.new_emulator(['--user', 'u-other:T2:S2'] + list(args))[0])


@pytest.fixture
def api(make_api):
    return make_api()


class Client:
    """u-demo on an emulator listener: ``api()`` a pooled requests session, ``ctl()`` its control API (asserting 200)."""

    def __init__(self, server):
        self.base, self.root = server.base_url, server.root_url
        self.session = requests.Session()
        self.session.auth = ('T', 'S')

    def api(self, method, path, **kwargs):
        return self.session.request(method, self.base + path, **dict({'timeout': 10}, **kwargs))

    def allocate(self, number):
        return self.api('POST', '/users/u-demo/phoneNumbers', json={'number': number})

    def ctl(self, method, name, **kwargs):
        response = requests.request(method, self.root + '/_emulator/' + name, timeout=10, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def faults(self, *rules):
        return self.ctl('POST', 'faults', json={'faults': list(rules)})


@pytest.fixture(scope='module')
def server():
    srv = CATAPULT_EMULATOR.start_in_thread(['--port', '0', '--user', 'u-other:T2:S2'])
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    """u-demo's client, on the listener's emulator just reset."""
    cli = Client(server)
    cli.ctl('POST', 'reset')
    yield cli
    cli.session.close()


@pytest.fixture
def launched(tmp_path):
    """launched(*args): an emulator process (catapult_emulator.launch) with those options, its output
    in tmp_path/output; stopped after the test unless the test did."""
    started = []

    def start(*args, **kwargs):
        kwargs.setdefault('url_file', str(tmp_path / 'url'))
        started.append(CATAPULT_EMULATOR.launch(['--port', '0'] + list(args), output=str(tmp_path / 'output'), **kwargs))
        return started[-1]

    yield start
    for emulator in started:
        emulator.stop()
