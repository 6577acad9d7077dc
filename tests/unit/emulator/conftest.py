"""What the emulator tests share: the emulator module (tests/emulator/catapult_emulator.py),
one emulator per test module in a thread (``server``, accounts u-demo:T:S and u-other:T2:S2),
clients of it, and more emulators in a thread (``start_server``) or as processes (``launched``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import requests

EMULATOR_PATH = Path(__file__).resolve().parents[2] / 'emulator' / 'catapult_emulator.py'


def load_emulator():
    spec = importlib.util.spec_from_file_location('catapult_emulator', str(EMULATOR_PATH))
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault('catapult_emulator', module)
    spec.loader.exec_module(module)
    return module


CATAPULT_EMULATOR = load_emulator()


class Client:
    """A pooled requests session on the emulator plus helpers for its control API."""

    def __init__(self, server, token='T', secret='S', user='u-demo'):
        self.base = server.base_url
        self.root = server.root_url
        self.user = user
        self.session = requests.Session()
        self.session.auth = (token, secret)

    def api(self, method, path, **kwargs):
        kwargs.setdefault('timeout', 10)
        return self.session.request(method, self.base + path, **kwargs)

    def numbers(self, path=''):
        return '/users/%s/phoneNumbers%s' % (self.user, path)

    def allocate(self, number, **fields):
        return self.api('POST', self.numbers(), json=dict(number=number, **fields))

    def get_number(self, ref):
        return self.api('GET', self.numbers('/' + ref.replace('+', '%2B')))

    def ctl(self, method, name, **kwargs):
        response = requests.request(method, self.root + '/_emulator/' + name, timeout=10, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def config(self, **changes):
        return self.ctl('POST', 'config', json=changes)

    def faults(self, *rules):
        return self.ctl('POST', 'faults', json={'faults': list(rules)})


@pytest.fixture(scope='session')
def emulator_module():
    return CATAPULT_EMULATOR


@pytest.fixture(scope='module')
def server():
    srv = CATAPULT_EMULATOR.start_in_thread(['--port', '0', '--user', 'u-other:T2:S2'])
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    """u-demo's client, on an emulator just reset."""
    cli = Client(server)
    cli.ctl('POST', 'reset')
    yield cli
    cli.session.close()


@pytest.fixture
def other(server):
    cli = Client(server, 'T2', 'S2', 'u-other')
    yield cli
    cli.session.close()


@pytest.fixture
def start_server():
    """start_server(*args): another emulator in a thread with those command-line options (``.client``: u-demo's Client);
    stopped after the test."""
    started = []

    def start(*args):
        srv = CATAPULT_EMULATOR.start_in_thread(['--port', '0'] + list(args))
        srv.client = Client(srv)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.client.session.close()
        srv.stop()


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
