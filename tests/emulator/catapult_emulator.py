"""Local emulator of the Bandwidth Catapult v1 REST API (phone numbers and applications).

Python 3.11 standard library only.  Start it as documented in README.md next to this
file::

    python tests/emulator/catapult_emulator.py --host 127.0.0.1 --port 0 \\
        --user-id u-demo --api-token T --api-secret S

It prints its base URL (ending in ``/v1``) as the first line of standard output and
serves until SIGTERM or Ctrl-C.  ``--detach`` starts it in the background and returns once
it serves (``--stop --pid-file F`` ends it); from Python, ``launch(args)`` does the same and
returns a handle (``.url``, ``.control``, ``.pid``, ``.stop()``).  Tests may also embed it:
``start_in_thread(argv)`` returns a running ``EmulatorServer`` (``.base_url``, ``.stop()``).

The API facts it follows are in docs/catapult-api-facts.md (incl. its decisions table);
everything only a test needs lives under ``/_emulator`` (no auth).  It can also play a hostile
server and network (fault actions raw, raw_after, pass and rule headers; a foreign-origin
listener; list lag; a front proxy's HTML 404 outside /v1): see README.md.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import hmac
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

VERSION = '1.0.0'

# --------------------------------------------------------------------------- inventory data

# city, state, LATA, ZIP codes, blocks of (area code, exchange, first line, last line)
RATE_CENTERS = (
    ('RALEIGH', 'NC', '426', ('27601', '27603', '27605'), (('919', '555', 100, 2599),)),
    ('CARY', 'NC', '426', ('27511', '27513', '27518'), (('919', '680', 0, 2499),)),
    ('DURHAM', 'NC', '426', ('27701', '27703', '27705'), (('984', '219', 0, 2499),)),
    ('NEW YORK', 'NY', '132', ('10001', '10003', '10011'), (('212', '226', 0, 2499),)),
    ('BROOKLYN', 'NY', '132', ('11201', '11211', '11215'), (('718', '387', 0, 2499),)),
    ('SAN FRANCISCO', 'CA', '722', ('94102', '94103', '94110'), (('415', '523', 0, 2499),)),
    ('LOS ANGELES', 'CA', '730', ('90012', '90013', '90017'), (('213', '488', 0, 2499),)),
    ('AUSTIN', 'TX', '558', ('78701', '78702', '78704'), (('512', '474', 0, 2499),)),
    ('CHICAGO', 'IL', '358', ('60601', '60602', '60606'), (('312', '346', 0, 2499),)),
    ('SEATTLE', 'WA', '674', ('98101', '98104', '98121'), (('206', '624', 0, 2499),)),
    ('DENVER', 'CO', '656', ('80202', '80203', '80205'), (('303', '292', 0, 2499),)),
)
LOCAL_PRICE = '0.35'

# area code, exchange, first line, last line
TOLL_FREE_BLOCKS = (('800', '826', 0, 999), ('888', '343', 0, 999), ('877', '227', 0, 999))
TOLL_FREE_PRICE = '2.00'

US_STATES = frozenset(
    'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND '
    'OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY'.split())

DEFAULT_APPLICATIONS = ('a-demo-support', 'a-demo-ivr', 'a-demo-sales')
# names of the seeded applications; any other seeded id gets one made from it (see seeded_application)
SEEDED_APPLICATION_NAMES = {'a-demo-support': 'Demo support', 'a-demo-ivr': 'Demo IVR', 'a-demo-sales': 'Demo sales'}
SEEDED_APPLICATION_URL = 'https://callbacks.example.com/%s/calls'
# the application resource (docs/catapult-api-facts.md), in the order answers list them
APPLICATION_FIELDS = ('name', 'incomingCallUrl', 'incomingCallUrlCallbackTimeout', 'incomingCallFallbackUrl', 'incomingMessageUrl',
                      'incomingMessageUrlCallbackTimeout', 'incomingMessageFallbackUrl', 'callbackHttpMethod', 'autoAnswer')
APPLICATION_URL_FIELDS = ('incomingCallUrl', 'incomingCallFallbackUrl', 'incomingMessageUrl', 'incomingMessageFallbackUrl')
APPLICATION_TIMEOUT_FIELDS = ('incomingCallUrlCallbackTimeout', 'incomingMessageUrlCallbackTimeout')
APPLICATION_TIMEOUT_MAX = 10000  # ms; the documented default and maximum
APPLICATION_METHODS = ('get', 'post')
ACCOUNT = {'balance': '538.37250', 'accountType': 'post-pay'}

# category -> (requests, per seconds, burst); the documented buckets (docs/catapult-api-facts.md)
DEFAULT_RATE_LIMITS = {
    'orders': (100, 60.0, 800),
    'searches': (100, 60.0, 800),
    'number_reads': (2000, 1.0, 3000),
}
RATE_LIMIT_LABELS = {
    'orders': 'Order Number Requests',
    'searches': 'Search Number Requests',
    'number_reads': 'Manage Numbers Requests',
}

SEARCH_MAX_QUANTITY = 5000
TOLL_FREE_ORDER_CAP = 10
LIST_DEFAULT_SIZE = 25
LIST_MAX_SIZE = 1000

KEYPAD = {}
for _digit, _letters in (('2', 'ABC'), ('3', 'DEF'), ('4', 'GHI'), ('5', 'JKL'), ('6', 'MNO'), ('7', 'PQRS'), ('8', 'TUV'), ('9', 'WXYZ')):
    for _letter in _letters:
        KEYPAD[_letter] = _digit

E164_RE = re.compile(r'^\+[1-9][0-9]{7,14}$')
PATTERN_RE = re.compile(r'^[A-Za-z0-9?*]+$')
ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
WRITE_METHODS = frozenset(('POST', 'PUT', 'PATCH', 'DELETE'))
# positions of the ten digits inside "(919) 555-1234"
NATIONAL_DIGIT_POSITIONS = (1, 2, 3, 6, 7, 8, 10, 11, 12, 13)

STATUS_ERRORS = {
    400: ('bad-request', 'validation-error'),
    401: ('authentication', 'unauthorized'),
    403: ('forbidden', 'forbidden'),
    404: ('not-found', 'resource-not-found'),
    405: ('bad-request', 'method-not-allowed'),
    409: ('conflict', 'conflict'),
    429: ('too-many-requests', 'rate-limit-reached'),
    500: ('backend', 'internal-server-error'),
    502: ('unavailable', 'bad-gateway'),
    503: ('unavailable', 'service-unavailable'),
    504: ('unavailable', 'gateway-timeout'),
}

FAULT_ACTIONS = ('status', 'status_after', 'drop', 'drop_after', 'delay', 'plain_text', 'echo', 'reset', 'raw', 'raw_after', 'pass')
FAULT_DEFAULT_STATUS = {'status': 500, 'status_after': 502, 'plain_text': 500, 'echo': 400, 'raw': 200}
# actions that answer (or not) without applying the request
# CATAPULT_EMULATOR_FAULTS_OFF=1: fault rules are accepted and listed but never fire (nor does chaos).
# Only for proving that the fault tests fail when their fault does not happen (hack/prove-faults.sh).
FAULTS_OFF = os.environ.get('CATAPULT_EMULATOR_FAULTS_OFF', '') not in ('', '0')

FAULT_NOT_APPLIED = ('status', 'plain_text', 'drop', 'echo', 'reset', 'raw')
# actions that write an answer whose headers a rule's 'headers' may change
FAULT_HEADER_ACTIONS = ('status', 'status_after', 'plain_text', 'echo', 'raw', 'raw_after', 'pass')
FAULT_RAW_ACTIONS = ('raw', 'raw_after')
FAULT_KEYS = frozenset(('method', 'path', 'action', 'status', 'count', 'skip', 'retry_after', 'rate_limit_reset_ms', 'seconds', 'code',
                        'message', 'body', 'content_type', 'headers'))
RAW_DEFAULT_CONTENT_TYPE = 'text/html; charset=utf-8'
# headers that frame the HTTP message; a rule may not change them (the connection would lose sync)
FRAMING_HEADERS = frozenset(('content-length', 'transfer-encoding', 'connection'))
HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# statuses that never carry a body; a body sent with them anyway ends the connection
BODYLESS_STATUSES = frozenset((204, 304))
# what a front proxy answers for a path outside /v1 and /_emulator
OUTSIDE_API_HTML = '<html><body><h1>404 Not Found</h1></body></html>'
CHAOS_FAULTS = (
    ('status', 429), ('status', 500), ('status', 502), ('status', 503), ('status', 504),
    ('drop', None), ('drop_after', None), ('status_after', 502),
)

CONFIG_CHOICES = {
    'pattern_on_order': ('allow', 'reject'),
    'partial_fulfilment': ('none', 'keep'),
    'released_as': ('404', 'released'),
}


# --------------------------------------------------------------------------- small helpers

def national_number(number):
    """'+19195551234' -> '(919) 555-1234'."""
    digits = number[2:]
    return '(%s) %s-%s' % (digits[:3], digits[3:6], digits[6:])


def normalise_place(value):
    """City or state as the emulator stores it: upper case, single blanks."""
    return ' '.join(value.split()).upper()


def iso_now():
    now = datetime.now(timezone.utc)
    return now.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (now.microsecond // 1000)


def epoch_ms(seconds_from_now=0.0):
    return int(math.ceil((time.time() + seconds_from_now) * 1000))


def compile_pattern(pattern):
    """Catapult search pattern -> regex; each literal or ? is a group (used for patternMatch)."""
    parts = []
    for char in pattern.upper():
        if char == '*':
            parts.append(r'\d*?')
        elif char == '?':
            parts.append(r'(\d)')
        else:
            parts.append('(%s)' % KEYPAD.get(char, char))
    return re.compile(''.join(parts))


def pattern_match(regex, number):
    """patternMatch: the national number with every character the pattern did not match blanked."""
    match = regex.search(number[2:])
    if match is None:
        return None
    shown = set()
    for group in range(1, (regex.groups or 0) + 1):
        start, end = match.span(group)
        shown.update(range(start, end))
    chars = [' '] * 14
    formatted = national_number(number)
    for index in shown:
        position = NATIONAL_DIGIT_POSITIONS[index]
        chars[position] = formatted[position]
    return ''.join(chars)


class ApiError(Exception):
    """An error answered with a Catapult error body."""

    def __init__(self, status, category, code, message, details=None, headers=None):
        super().__init__(message)
        self.status = status
        self.category = category
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


def bad_request(code, message):
    return ApiError(400, 'bad-request', code, message)


def validation_error(message='Bad parameters'):
    return bad_request('validation-error', message)


def search_error(message):
    return bad_request('invalid-available-number-search', message)


def order_error(message):
    return bad_request('invalid-available-number-search-order', message)


def number_not_found(ref):
    return ApiError(404, 'not-found', 'number-not-found', 'The number %s could not be found' % ref)


def application_not_found(app_id):
    return ApiError(404, 'not-found', 'application-not-found', 'The application %s could not be found' % app_id)


def application_property_error(key, rule):
    return validation_error("The 'application' resource property '%s' %s" % (key, rule))


def absolute_http_url(value):
    """True for an absolute http(s) URL with a host and no blanks."""
    if re.search(r'\s', value):
        return False
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0  # .port raises ValueError on a bad port
    except ValueError:
        return False
    return port_ok and parts.scheme.lower() in ('http', 'https') and bool(parts.hostname)


def application_fields(data, current=None):
    """The application's fields after a create (``current`` None) or a partial update body.

    Checked in this order, before anything changes: every given field's type and value, then
    ``name`` (required), then one of ``incomingCallUrl`` and ``incomingMessageUrl``. ``null`` or a
    missing key = not given; ``""`` removes an optional URL (nothing to remove on create).
    """
    fields = dict(current or {})
    if current is None and data.get('name') in (None, ''):
        raise bad_request('missing-property', "The 'application' resource property 'name' is required but was not specified")
    for key in APPLICATION_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if key == 'autoAnswer':
            if not isinstance(value, bool):
                raise application_property_error(key, 'must be true or false')
        elif key in APPLICATION_TIMEOUT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= APPLICATION_TIMEOUT_MAX:
                raise application_property_error(key, 'must be an integer number of milliseconds from 1 to %d' % APPLICATION_TIMEOUT_MAX)
        elif not isinstance(value, str):
            raise application_property_error(key, 'must be a string')
        elif key == 'name':
            if not value.strip():
                raise application_property_error(key, 'must not be empty')
        elif key == 'callbackHttpMethod':
            if value.lower() not in APPLICATION_METHODS:
                raise application_property_error(key, 'must be one of the following values: %s' % ', '.join(APPLICATION_METHODS))
            value = value.lower()
        elif value == '':
            fields.pop(key, None)
            continue
        elif not absolute_http_url(value):
            raise application_property_error(key, 'must be an absolute http or https URL')
        fields[key] = value
    if not (fields.get('incomingCallUrl') or fields.get('incomingMessageUrl')):
        raise bad_request('missing-property', "The 'application' resource property 'incomingCallUrl' or 'incomingMessageUrl' is "
                                              "required but was not specified")
    return fields


def seeded_application(app_id, name=None):
    """The fields of an application the emulator starts with (--application) or the control API adds."""
    if not name:
        name = SEEDED_APPLICATION_NAMES.get(app_id)
    if not name:
        words = (app_id[2:] if app_id.startswith('a-') else app_id).replace('-', ' ').strip()
        name = words[:1].upper() + words[1:] if words else app_id
    return {'name': name, 'incomingCallUrl': SEEDED_APPLICATION_URL % quote(app_id, safe='')}


class Reply:
    """What the handler sends: a status, optional JSON body, text or raw bytes, extra headers.

    ``raw`` (bytes) is sent as is with ``content_type`` (None = no Content-Type header);
    ``overrides`` (header name -> value or None) change the final headers (a fault rule's ``headers``).
    """

    def __init__(self, status, body=None, headers=None, text=None, raw=None, content_type=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.text = text
        self.raw = raw
        self.content_type = content_type
        self.overrides = {}

    def payload(self):
        if self.raw is not None:
            return self.raw, self.content_type
        if self.text is not None:
            return self.text.encode('utf-8'), 'text/plain; charset=utf-8'
        if self.body is not None:
            return json.dumps(self.body).encode('utf-8'), 'application/json; charset=utf-8'
        return b'', None


# --------------------------------------------------------------------------- inventory

class RateCenter:
    def __init__(self, city, state, lata, zips, blocks):
        self.city = city
        self.state = state
        self.lata = lata
        self.zips = zips
        self.blocks = blocks
        self.area_codes = tuple(sorted({block[0] for block in blocks}))
        self.numbers = sorted(
            '+1%s%s%04d' % (npa, nxx, line) for npa, nxx, first, last in blocks for line in range(first, last + 1))

    def has_exchange(self, npa, nxx):
        return any(block[0] == npa and block[1] == nxx for block in self.blocks)

    def describe(self, available):
        return {
            'city': self.city, 'state': self.state, 'rateCenter': self.city, 'lata': self.lata,
            'areaCodes': list(self.area_codes), 'zips': list(self.zips), 'available': available,
            'blocks': ['+1%s%s%04d..%04d' % block for block in self.blocks], 'price': LOCAL_PRICE,
        }


@functools.lru_cache(maxsize=None)
def inventory_tables():
    """Everything of the inventory but what is taken: it never changes, so it is built once, not at every reset."""
    rate_centers = [RateCenter(*row) for row in RATE_CENTERS]
    toll_free = sorted('+1%s%s%04d' % (npa, nxx, line) for npa, nxx, first, last in TOLL_FREE_BLOCKS for line in range(first, last + 1))
    return (rate_centers, {zip_code: rc for rc in rate_centers for zip_code in rc.zips},
            {number: rc for rc in rate_centers for number in rc.numbers}, toll_free, frozenset(toll_free))


class Inventory:
    """Numbers that can be ordered.  Taken numbers (ordered, even if released later) never come back."""

    def __init__(self):
        self.rate_centers, self.by_zip, self.rc_of, self.toll_free, self.toll_free_set = inventory_tables()
        self.taken = set()

    def is_available(self, number):
        return number not in self.taken and (number in self.rc_of or number in self.toll_free_set)

    def take(self, number):
        self.taken.add(number)

    def item(self, number, regex=None):
        """A search result item."""
        item = {'number': number, 'nationalNumber': national_number(number)}
        if regex is not None:
            item['patternMatch'] = pattern_match(regex, number)
        rc = self.rc_of.get(number)
        if rc is None:
            item['price'] = TOLL_FREE_PRICE
        else:
            item.update({'city': rc.city, 'lata': rc.lata, 'rateCenter': rc.city, 'state': rc.state, 'price': LOCAL_PRICE})
        return item

    def location_of(self, number):
        rc = self.rc_of.get(number)
        return (rc.city, rc.state, LOCAL_PRICE) if rc else (None, None, TOLL_FREE_PRICE)

    def rate_centers_for(self, crit):
        """The rate centers a validated local search looks in (raises the documented errors)."""
        if crit['zip']:
            rc = self.by_zip.get(crit['zip'])
            if rc is None:
                raise bad_request('invalid-zip-code', 'The ZIP code %s did not map to a location where telephone numbers are available' % crit['zip'])
            return [rc]
        if crit['state']:
            return self._rate_centers_in_state(crit['state'], crit['city'])
        return [rc for rc in self.rate_centers if crit['areaCode'] in rc.area_codes]

    def _rate_centers_in_state(self, state, city):
        if state not in US_STATES:
            raise ApiError(403, 'forbidden', 'invalid-rate-center', 'The city %s in the state %s was not found' % (city or '', state))
        found = [rc for rc in self.rate_centers if rc.state == state and (not city or rc.city == city)]
        if city and not found:
            raise ApiError(403, 'forbidden', 'invalid-rate-center', 'The city %s in the state %s was not found' % (city, state))
        return found

    def local_candidates(self, crit):
        """Candidate numbers in result order (before availability and pattern filtering)."""
        rcs = self.rate_centers_for(crit)
        if not crit['localNumber']:
            return sorted(itertools.chain.from_iterable(rc.numbers for rc in rcs))
        prefix = '+1' + crit['areaCode'] + crit['localNumber']
        primary = sorted(n for rc in rcs for n in rc.numbers if n.startswith(prefix))
        if not crit['inLocalCallingArea']:
            return primary
        homes = [rc for rc in rcs if rc.has_exchange(crit['areaCode'], crit['localNumber'][:3])]
        areas = {(rc.state, rc.lata) for rc in homes}
        extra = sorted(n for rc in self.rate_centers if (rc.state, rc.lata) in areas for n in rc.numbers if not n.startswith(prefix))
        return primary + extra

    def pick(self, candidates, quantity, regex=None):
        found = []
        for number in candidates:
            if number in self.taken or (regex is not None and not regex.search(number[2:])):
                continue
            found.append(number)
            if len(found) >= quantity:
                break
        return found

    def describe(self):
        return [rc.describe(sum(1 for n in rc.numbers if n not in self.taken)) for rc in self.rate_centers] + [{
            'city': None, 'state': None, 'rateCenter': 'TOLL FREE', 'areaCodes': [b[0] for b in TOLL_FREE_BLOCKS],
            'blocks': ['+1%s%s%04d..%04d' % block for block in TOLL_FREE_BLOCKS], 'price': TOLL_FREE_PRICE,
            'available': sum(1 for n in self.toll_free if n not in self.taken)}]

    def available_items(self, state=None, city=None, area_code=None, zip_code=None):
        numbers = []
        for rc in self.rate_centers:
            if (state and rc.state != state) or (city and rc.city != city) or (area_code and area_code not in rc.area_codes) \
                    or (zip_code and zip_code not in rc.zips):
                continue
            numbers.extend(rc.numbers)
        if not (state or city or zip_code) and (not area_code or area_code in {b[0] for b in TOLL_FREE_BLOCKS}):
            numbers.extend(n for n in self.toll_free if not area_code or n[2:5] == area_code)
        return [self.item(n) for n in numbers if n not in self.taken]


# --------------------------------------------------------------------------- rate limits

class TokenBucket:
    def __init__(self, count, per_seconds, burst):
        self.rate = float(count) / float(per_seconds)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self):
        """Take one token; return 0 when granted, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """Token buckets per user and category."""

    def __init__(self, limits):
        self.limits = limits
        self.buckets = {}

    def check(self, user_id, category):
        if category not in self.limits:
            return 0.0
        key = (user_id, category)
        if key not in self.buckets:
            self.buckets[key] = TokenBucket(*self.limits[category])
        return self.buckets[key].take()


def parse_rate_limits(value):
    """{"orders": {"count": 100, "per_seconds": 60, "burst": 800}} or "orders=100/60:800" -> internal tuples."""
    if isinstance(value, str):
        match = re.match(r'^([a-z_]+)=([0-9.]+)/([0-9.]+):([0-9]+)$', value)
        if not match:
            raise ValueError('rate limit must look like orders=100/60:800, got %r' % value)
        value = {match.group(1): {'count': match.group(2), 'per_seconds': match.group(3), 'burst': match.group(4)}}
    limits = {}
    for name, spec in value.items():
        if name not in DEFAULT_RATE_LIMITS:
            raise ValueError('unknown rate limit category %r (known: %s)' % (name, ', '.join(sorted(DEFAULT_RATE_LIMITS))))
        count, per, burst = float(spec['count']), float(spec['per_seconds']), int(spec['burst'])
        if count <= 0 or per <= 0 or burst < 1:
            raise ValueError('rate limit %s needs count > 0, per_seconds > 0, burst >= 1' % name)
        limits[name] = (count, per, burst)
    return limits


def rate_limits_json(limits):
    return {name: {'count': c, 'per_seconds': p, 'burst': b} for name, (c, p, b) in sorted(limits.items())}


# --------------------------------------------------------------------------- faults

class FaultRule:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError('a fault rule must be an object')
        unknown = set(spec) - FAULT_KEYS
        if unknown:
            raise ValueError('unknown fault rule keys: %s' % ', '.join(sorted(unknown)))
        self.action = spec.get('action')
        if self.action not in FAULT_ACTIONS:
            raise ValueError('fault action must be one of %s' % ', '.join(FAULT_ACTIONS))
        self.method = str(spec.get('method') or '*').upper()
        self.path = str(spec.get('path') or '')
        try:
            self.regex = re.compile(self.path)
        except re.error as exc:
            raise ValueError('bad fault path regex %r: %s' % (self.path, exc))
        if self.action == 'raw_after' and not spec.get('status'):
            self.status = None  # the status the real handler answers
        else:
            self.status = int(spec.get('status') or FAULT_DEFAULT_STATUS.get(self.action, 500))
            if not 100 <= self.status <= 599:
                raise ValueError('fault status must be between 100 and 599')
        self.body, self.content_type = self._raw_keys(spec)
        self.headers = self._header_keys(spec)
        self.count = int(spec.get('count', 1))
        self.skip = int(spec.get('skip', 0))
        self.seconds = float(spec.get('seconds', 1.0))
        self.retry_after = spec.get('retry_after')
        self.reset_ms = spec.get('rate_limit_reset_ms')
        self.code = spec.get('code')
        self.message = spec.get('message')
        self.seen = 0
        self.hits = 0

    def _raw_keys(self, spec):
        """body and content_type (raw and raw_after only; content_type null = no Content-Type header)."""
        given = [key for key in ('body', 'content_type') if key in spec]
        if given and self.action not in FAULT_RAW_ACTIONS:
            raise ValueError('%s only apply to the actions %s' % (' and '.join(given), ', '.join(FAULT_RAW_ACTIONS)))
        body = spec.get('body', '')
        if not isinstance(body, str):
            raise ValueError('fault body must be a string')
        content_type = spec.get('content_type', RAW_DEFAULT_CONTENT_TYPE)
        if content_type is not None and (not isinstance(content_type, str) or re.search(r'[\r\n\0]', content_type)):
            raise ValueError('fault content_type must be a string (one line) or null')
        return body, content_type

    def _header_keys(self, spec):
        """The 'headers' overrides: name -> string (set/replace) or None (remove)."""
        if 'headers' not in spec:
            return {}
        headers = spec['headers']
        if not isinstance(headers, dict):
            raise ValueError('fault headers must be an object of header name -> string or null')
        if self.action not in FAULT_HEADER_ACTIONS:
            raise ValueError('headers only apply to the actions %s' % ', '.join(FAULT_HEADER_ACTIONS))
        for name, value in headers.items():
            if not HEADER_NAME_RE.match(name):
                raise ValueError('bad header name %r' % name)
            if name.lower() in FRAMING_HEADERS:
                raise ValueError('header %s cannot be changed by a fault rule' % name)
            if value is not None and (not isinstance(value, str) or re.search(r'[\r\n\0]', value)):
                raise ValueError('the value of header %s must be a string (one line) or null' % name)
        return dict(headers)

    def matches(self, method, path):
        return (self.method in ('*', method)) and self.regex.search(path) is not None

    def exhausted(self):
        return self.count > 0 and self.hits >= self.count

    def to_json(self):
        out = {'method': self.method, 'path': self.path, 'action': self.action, 'count': self.count, 'skip': self.skip,
               'seen': self.seen, 'hits': self.hits, 'exhausted': self.exhausted()}
        if self.action in FAULT_DEFAULT_STATUS or (self.action == 'raw_after' and self.status is not None):
            out['status'] = self.status
        if self.action == 'delay':
            out['seconds'] = self.seconds
        if self.action in FAULT_RAW_ACTIONS:
            out['body'] = self.body
            out['content_type'] = self.content_type
        if self.headers:
            out['headers'] = dict(self.headers)
        for key, value in (('retry_after', self.retry_after), ('rate_limit_reset_ms', self.reset_ms), ('code', self.code),
                           ('message', self.message)):
            if value is not None:
                out[key] = value
        return out

    def error(self):
        """The Catapult error of a 'status' or 'status_after' fault."""
        category, code = STATUS_ERRORS.get(self.status, ('backend', 'internal-server-error'))
        headers, details = {}, []
        if self.retry_after is not None:
            headers['Retry-After'] = str(self.retry_after)
        if self.reset_ms is not None:
            reset = str(epoch_ms(float(self.reset_ms) / 1000.0))
            headers['X-RateLimit-Reset'] = reset
            details.append({'name': 'rateLimitResetTime', 'value': reset})
        message = self.message or 'Injected fault: HTTP %d %s' % (self.status, reason_of(self.status))
        return ApiError(self.status, category, self.code or code, message, details, headers)


def chaos_rule(rng, reset_ms=1000):
    action, status = rng.choice(CHAOS_FAULTS)
    spec = {'action': action, 'count': 1}
    if status:
        spec['status'] = status
    if status == 429:
        spec['rate_limit_reset_ms'] = reset_ms
    return FaultRule(spec)


def reason_of(status):
    return BaseHTTPRequestHandler.responses.get(status, ('Error',))[0]


# --------------------------------------------------------------------------- the API state

class ApiRequest:
    """One parsed /v1 request."""

    def __init__(self, method, path, query, body, authorization, remote, root_url):
        self.method = method
        self.path = path
        self.query = query
        self.params = parse_qsl(query, keep_blank_values=True)
        self.body = body
        self.authorization = authorization
        self.remote = remote
        self.root_url = root_url
        self.user_id = None

    def param(self, name):
        """First value of a query parameter; empty means absent."""
        for key, value in self.params:
            if key == name:
                return value if value != '' else None
        return None

    def json_object(self):
        try:
            data = json.loads(self.body.decode('utf-8') or 'null')
        except ValueError:
            raise validation_error()
        if not isinstance(data, dict):
            raise validation_error()
        return data

    def url(self, path):
        return self.root_url + '/v1' + path


def fresh_id(prefix, rng, taken):
    """The next id of ``rng`` not in ``taken``: deterministic, so a reset emulator gives out the same ids."""
    while True:
        candidate = prefix + ''.join(rng.choice(ID_ALPHABET) for _i in range(23))
        if candidate not in taken:
            return candidate


def body_string(data, key):
    """A string body field; null or absent -> None."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise validation_error('The phoneNumber resource property %s must be a string' % key)
    return value


def check_e164(value):
    if not E164_RE.match(value):
        raise validation_error('Invalid phone number')


def int_param(req, name, default):
    value = req.param(name)
    if value is None:
        return default
    if not re.match(r'^-?[0-9]+$', value):
        raise validation_error('The %s parameter must be an integer' % name)
    return int(value)


# (predicate on the normalised query, message) in the order they are checked; the documented
# messages (docs/catapult-api-facts.md)
LOCATION_RULES = (
    (lambda q: q['city'] and not q['state'], 'For searching by City the State is also required.'),
    (lambda q: q['city'] and q['zip'], 'A query cannot combine City with ZIP Code.'),
    (lambda q: q['city'] and (q['areaCode'] or q['localNumber']), 'A query cannot combine City with Area Code or Local Number.'),
    (lambda q: q['zip'] and q['state'] and (q['areaCode'] or q['localNumber']),
     'A query cannot combine ZIP Code and State with Area Code or Local Number.'),
    (lambda q: q['zip'] and (q['areaCode'] or q['localNumber']), 'A query cannot combine ZIP Code with Area Code or Local Number.'),
    (lambda q: q['zip'] and q['state'], 'A query cannot combine ZIP Code with State.'),
    (lambda q: q['state'] and (q['areaCode'] or q['localNumber']), 'A query cannot combine State with Area Code or Local Number.'),
    (lambda q: not (q['state'] or q['zip'] or q['areaCode']), 'Specify a State ZIP Code or Area Code with your query.'),
    (lambda q: q['areaCode'] and not re.match(r'^[0-9]{3}$', q['areaCode']), 'An Area Code must be 3 digits.'),
    (lambda q: q['localNumber'] and not re.match(r'^[0-9]{3,}$', q['localNumber']), 'Local Number must contains at least 3 digits.'),
    (lambda q: q['localNumber'] and len(q['localNumber']) > 4, 'localNumber must contain a maximum of 4 digits'),
    (lambda q: q['inLocalCallingArea'] not in (None, 'true', 'false'), 'inLocalCallingArea must be true or false.'),
    (lambda q: q['inLocalCallingArea'] == 'true' and not q['localNumber'], 'inLocalCallingArea can only be used with localNumber.'),
)
SEARCH_PARAMS = ('city', 'state', 'zip', 'areaCode', 'localNumber', 'inLocalCallingArea', 'pattern')


def check_pattern(pattern):
    if pattern is not None and not PATTERN_RE.match(pattern):
        raise search_error('A pattern may contain only letters, digits and the wildcards ? and *.')


def check_quantity(quantity, cap, cap_error):
    if quantity <= 0:
        raise validation_error('Quantity must be greater than zero.')
    if quantity > cap:
        raise cap_error


def parse_local_search(req, cap, cap_error):
    """Validate a local search (GET or search-and-order) and return the normalised criteria."""
    crit = {name: req.param(name) for name in SEARCH_PARAMS}
    for key in ('city', 'state'):
        if crit[key]:
            crit[key] = normalise_place(crit[key])
    if crit['inLocalCallingArea'] is not None:
        crit['inLocalCallingArea'] = crit['inLocalCallingArea'].lower()
    for predicate, message in LOCATION_RULES:
        if predicate(crit):
            raise search_error(message)
    crit['inLocalCallingArea'] = crit['inLocalCallingArea'] == 'true'
    check_pattern(crit['pattern'])
    crit['quantity'] = int_param(req, 'quantity', 10)
    check_quantity(crit['quantity'], cap, cap_error)
    return crit


class Emulator:
    """All state of one emulator; every public method is thread-safe (one lock)."""

    ROUTES = (
        ('GET', r'^/users/(?P<user>[^/]+)/phoneNumbers/?$', 'list_numbers', 'number_reads'),
        ('POST', r'^/users/(?P<user>[^/]+)/phoneNumbers/?$', 'allocate_number', 'orders'),
        ('GET', r'^/users/(?P<user>[^/]+)/phoneNumbers/(?P<ref>[^/]+)$', 'get_number', 'number_reads'),
        ('POST', r'^/users/(?P<user>[^/]+)/phoneNumbers/(?P<ref>[^/]+)$', 'update_number', None),
        ('DELETE', r'^/users/(?P<user>[^/]+)/phoneNumbers/(?P<ref>[^/]+)$', 'release_number', None),
        ('GET', r'^/users/(?P<user>[^/]+)/applications/?$', 'list_applications', None),
        ('POST', r'^/users/(?P<user>[^/]+)/applications/?$', 'create_application', None),
        ('GET', r'^/users/(?P<user>[^/]+)/applications/(?P<app>[^/]+)$', 'get_application', None),
        ('POST', r'^/users/(?P<user>[^/]+)/applications/(?P<app>[^/]+)$', 'update_application', None),
        ('DELETE', r'^/users/(?P<user>[^/]+)/applications/(?P<app>[^/]+)$', 'delete_application', None),
        ('GET', r'^/users/(?P<user>[^/]+)/account/?$', 'get_account', None),
        ('GET', r'^/availableNumbers/local/?$', 'search_local', 'searches'),
        ('POST', r'^/availableNumbers/local/?$', 'order_local', 'orders'),
        ('GET', r'^/availableNumbers/tollFree/?$', 'search_toll_free', 'searches'),
        ('POST', r'^/availableNumbers/tollFree/?$', 'order_toll_free', 'orders'),
    )

    def __init__(self, users, applications, config, log_file=None):
        self.lock = threading.RLock()
        self.initial_users = users
        self.initial_applications = tuple(applications)
        self.initial_config = dict(config)
        self.log_file = log_file
        self.routes = [(method, re.compile(regex), name, bucket) for method, regex, name, bucket in self.ROUTES]
        self.root_url_hint = 'http://127.0.0.1'
        self.reset()

    # ----- state management

    def reset(self):
        with self.lock:
            self.config = dict(self.initial_config)
            self.config['rate_limit_buckets'] = dict(self.initial_config['rate_limit_buckets'])
            # applications: id -> fields (ordered); the seeded ids are per-user copies, so
            # deleted_applications keeps a user's deleted ones answering 404 (not 403)
            self.users = {uid: {'token': token, 'secret': secret, 'deleted_applications': set(),
                                'applications': dict((app_id, seeded_application(app_id)) for app_id in self.initial_applications)}
                          for uid, token, secret in self.initial_users}
            self.inventory = Inventory()
            self.numbers = {}  # id -> record
            self.user_numbers = {uid: {} for uid in self.users}  # user -> E.164 -> record
            self.id_rng = random.Random(0x5EED)
            self.app_id_rng = random.Random(0xA991)  # its own sequence: creating applications leaves number ids alone
            self.sequence = itertools.count(1)
            self.faults = []
            self.chaos_rng = random.Random(self.config['seed'])
            self.limiter = RateLimiter(self.config['rate_limit_buckets'])
            self.log = []
            self.log_seq = itertools.count(1)
            self.foreign_log = []

    def set_config(self, changes):
        with self.lock:
            new = dict(self.config)
            for key, value in changes.items():
                new[key] = self.config_value(key, value, new)
            self.config = new
            if 'seed' in changes:
                self.chaos_rng = random.Random(new['seed'])
            if 'rate_limits' in changes:
                self.limiter = RateLimiter(new['rate_limit_buckets'])
            return self.public_config()

    @staticmethod
    def config_value(key, value, new):
        """A validated value for a config key (may also set new['rate_limit_buckets'])."""
        if key in ('latency_ms', 'list_lag_ms'):
            if isinstance(value, bool) or float(value) < 0:
                raise ValueError('%s must be a number >= 0' % key)
            return float(value)
        if key == 'order_item_location':
            if not isinstance(value, bool):
                raise ValueError('order_item_location must be true or false')
            return value
        if key == 'order_cap':
            if isinstance(value, bool) or int(value) < 1:
                raise ValueError('order_cap must be an integer >= 1')
            return int(value)
        if key in CONFIG_CHOICES:
            if str(value) not in CONFIG_CHOICES[key]:
                raise ValueError('%s must be one of %s' % (key, ', '.join(CONFIG_CHOICES[key])))
            return str(value)
        if key == 'rate_limits':
            if isinstance(value, dict):
                new['rate_limit_buckets'] = dict(DEFAULT_RATE_LIMITS, **parse_rate_limits(value))
                return True
            if not isinstance(value, bool):
                raise ValueError('rate_limits must be true, false or an object of buckets')
            return value
        if key == 'fault_rate':
            value = float(value)
            if not 0.0 <= value <= 1.0:
                raise ValueError('fault_rate must be between 0 and 1')
            return value
        if key == 'seed':
            return int(value)
        if key == 'chaos_reset_ms':
            if isinstance(value, bool) or int(value) < 0:
                raise ValueError('chaos_reset_ms must be an integer >= 0')
            return int(value)
        raise ValueError('unknown config key %r' % key)

    def public_config(self):
        with self.lock:
            out = {key: value for key, value in self.config.items() if key != 'rate_limit_buckets'}
            out['rate_limit_buckets'] = rate_limits_json(self.config['rate_limit_buckets'])
            return out

    def add_application(self, user_id, app_id, name=None):
        with self.lock:
            if user_id not in self.users:
                raise ValueError('unknown user %r' % user_id)
            if not app_id or not isinstance(app_id, str) or '/' in app_id:
                raise ValueError('id must be a non-empty string without /')
            if name is not None and (not isinstance(name, str) or not name.strip()):
                raise ValueError('name must be a non-empty string')
            user = self.users[user_id]
            if app_id not in user['applications']:
                user['applications'][app_id] = seeded_application(app_id, name)
                user['deleted_applications'].discard(app_id)
            return {'user_id': user_id, 'applications': list(user['applications'])}

    def set_application(self, user_id, app_id, fields):
        """Seed one application of a user with these stored fields (replacing any of that id)."""
        with self.lock:
            self.users[user_id]['applications'][app_id] = dict(fields)
            self.users[user_id]['deleted_applications'].discard(app_id)

    def change_application(self, user_id, app_id, **fields):
        """Change stored fields of one of a user's applications behind the client's back."""
        with self.lock:
            self.users[user_id]['applications'][app_id].update(fields)

    def in_stock(self, number):
        """Whether ``number`` can still be ordered."""
        with self.lock:
            return self.inventory.is_available(number)

    def take_from_stock(self, number):
        """Someone else orders ``number``: it leaves the stock without landing on any account here."""
        with self.lock:
            self.inventory.take(number)

    def replace_applications(self, user_id, apps):
        """The user's applications become ``apps``, (id, name or None) each, in this order."""
        with self.lock:
            self.users[user_id]['applications'] = {}
            for app_id, name in apps:
                self.add_application(user_id, app_id, name)

    def application(self, user_id, app_id):
        """One of the user's applications as the API shows it (KeyError when it has none of that id)."""
        with self.lock:
            return self.application_resource(app_id, self.users[user_id]['applications'][app_id])

    def applications(self, user_id):
        """id -> the application as the API shows it, in creation order."""
        with self.lock:
            return {app_id: self.application_resource(app_id, fields) for app_id, fields in self.users[user_id]['applications'].items()}

    def next_ids(self, count=1, application=False):
        """The ids the next ``count`` numbers (or applications) created will get; nothing is consumed."""
        with self.lock:
            rng = random.Random()
            rng.setstate((self.app_id_rng if application else self.id_rng).getstate())
            taken = self.application_ids() if application else set(self.numbers)
            ids = []
            for _i in range(count):
                ids.append(fresh_id('a-' if application else 'n-', rng, taken))
                taken.add(ids[-1])
            return ids

    def seed_number(self, user_id, number, name=None, application_id=None, fallback=None, **fields):
        """A number already on the account (listed at once whatever list_lag_ms says); ``fields`` override
        its record (``createdTime``, ``city``, ...). Returns the live record."""
        with self.lock:
            rec = self.allocate(user_id, number, name, application_id, fallback)
            rec.update(fields)
            rec['created'] = float('-inf')
            return rec

    def number_record(self, number_or_id):
        """The live record of a number (any user, released ones too) by id or E.164 (KeyError if none)."""
        with self.lock:
            for rec in self.numbers.values():
                if number_or_id in (rec['id'], rec['number']):
                    return rec
        raise KeyError(number_or_id)

    def keep_in_stock(self, numbers):
        """Only ``numbers`` are left to order or search: every other number of the inventory is taken."""
        with self.lock:
            inventory = self.inventory
            inventory.taken.update(n for n in itertools.chain(inventory.rc_of, inventory.toll_free) if n not in numbers)

    def add_faults(self, specs):
        """Add fault rules (FaultRule specs, validated all before any is added); returns the new rules."""
        rules = [FaultRule(spec) for spec in specs]
        with self.lock:
            self.faults.extend(rules)
        return rules

    def applications_view(self, user_id=None):
        with self.lock:
            if user_id is not None and user_id not in self.users:
                raise ValueError('unknown user %r' % user_id)
            return {'applications': [dict(self.application_resource(app_id, fields), userId=uid)
                                     for uid, user in self.users.items() if user_id in (None, uid)
                                     for app_id, fields in user['applications'].items()]}

    # ----- request pipeline

    def authenticate(self, authorization):
        """The user id for a Basic Authorization header, or None."""
        if not authorization or not authorization.startswith('Basic '):
            return None
        try:
            token, _sep, secret = base64.b64decode(authorization[6:].strip(), validate=True).decode('utf-8').partition(':')
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        with self.lock:
            for uid, user in self.users.items():
                # bytes: compare_digest refuses str with non-ASCII characters
                if (hmac.compare_digest(user['token'].encode('utf-8'), token.encode('utf-8'))
                        and hmac.compare_digest(user['secret'].encode('utf-8'), secret.encode('utf-8'))):
                    return uid
        return None

    def pick_fault(self, method, path):
        """The fault rule firing for this request (a rule, else chaos), or None."""
        if FAULTS_OFF:
            return None
        with self.lock:
            for rule in self.faults:
                if rule.exhausted() or not rule.matches(method, path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    continue
                rule.hits += 1
                return rule
            rate = self.config['fault_rate']
            if rate > 0 and self.chaos_rng.random() < rate:
                return chaos_rule(self.chaos_rng, self.config.get('chaos_reset_ms', 1000))
        return None

    def serve(self, method, path, query, body, authorization, remote, root_url):
        """One request to ``/v1<path>`` as the HTTP listener (or an in-process transport) received it.

        Applies the latency, the fault rule that fires (if any) and the operation, and logs it.
        Returns ``(reply, fault)``: ``reply`` None means no answer is written and the connection
        is closed (with a TCP reset when ``fault.action == 'reset'``).
        """
        started = time.monotonic()
        req = ApiRequest(method, path, query, body, authorization, remote, root_url)
        latency = self.config['latency_ms']
        if latency > 0:
            time.sleep(latency / 1000.0)
        fault = self.pick_fault(method, path)
        action = fault.action if fault else None
        if action == 'delay':
            time.sleep(fault.seconds)
        if action in FAULT_NOT_APPLIED:
            req.user_id = self.authenticate(req.authorization)
            reply = None if action in ('drop', 'reset') else fault_reply(self, req, fault)
        else:
            reply = self.dispatch(req)
            if action in ('status_after', 'raw_after'):
                reply = fault_reply(self, req, fault, reply)
            elif action == 'drop_after':
                reply = None
        self.record(req, reply.status if reply else None, action, started)
        return reply, fault

    def dispatch(self, req):
        """Answer one API request (auth, routing, rate limits, the operation)."""
        try:
            return self._dispatch(req)
        except ApiError as exc:
            return self.error_reply(req, exc)

    def error_reply(self, req, exc):
        details = list(exc.details) + [
            {'name': 'requestMethod', 'value': req.method},
            {'name': 'remoteAddress', 'value': req.remote},
            {'name': 'requestPath', 'value': req.path.lstrip('/')},
        ]
        body = {'category': exc.category, 'code': exc.code, 'message': exc.message, 'details': details}
        return Reply(exc.status, body, exc.headers)

    def _dispatch(self, req):
        req.user_id = self.authenticate(req.authorization)
        if req.user_id is None:
            raise ApiError(401, 'authentication', 'unauthorized', 'The credentials provided are invalid or missing.',
                           headers={'WWW-Authenticate': 'Basic realm="catapult"'})
        matched = [(route, route[1].match(req.path)) for route in self.routes]
        matched = [(route, match) for route, match in matched if match]
        if not matched:
            raise ApiError(404, 'not-found', 'resource-not-found', 'The requested resource could not be found.')
        for (method, _regex, name, bucket), match in matched:
            if method == req.method:
                return self._run(req, name, bucket, match.groupdict())
        raise ApiError(405, 'bad-request', 'method-not-allowed', 'The method %s is not allowed on this resource.' % req.method)

    def _run(self, req, name, bucket, args):
        path_user = args.pop('user', None)
        if path_user is not None and path_user != req.user_id:
            raise ApiError(401, 'authentication', 'user-access-denied',
                           'User %s does not have permission to access user %s' % (req.user_id, path_user),
                           details=[{'name': 'userId', 'value': path_user}])
        self._check_rate(req, bucket)
        with self.lock:
            return getattr(self, name)(req, **args)

    def _check_rate(self, req, bucket):
        if bucket is None:
            return
        with self.lock:
            if not self.config['rate_limits']:
                return
            wait = self.limiter.check(req.user_id, bucket)
            count, per, burst = self.config['rate_limit_buckets'][bucket]
        if wait > 0:
            reset = str(epoch_ms(wait))
            raise ApiError(429, 'too-many-requests', 'rate-limit-reached',
                           'Rate limit reached for %s (%g per %g s, burst %d); retry at %s (epoch ms)'
                           % (RATE_LIMIT_LABELS[bucket], count, per, burst, reset),
                           details=[{'name': 'rateLimitResetTime', 'value': reset}], headers={'X-RateLimit-Reset': reset})

    def record(self, req, status, fault, started, outside_api=False):
        entry = {'method': req.method, 'path': req.path, 'query': req.query, 'status': status, 'user_id': req.user_id,
                 'fault': fault, 'outside_api': outside_api, 'time': iso_now(),
                 'duration_ms': round((time.monotonic() - started) * 1000.0, 3)}
        with self.lock:
            entry['seq'] = next(self.log_seq)
            self.log.append(entry)
            if self.log_file:
                with open(self.log_file, 'a', encoding='utf-8') as handle:
                    handle.write(json.dumps(entry, sort_keys=True) + '\n')

    def requests_report(self, summary_only=False):
        with self.lock:
            entries = list(self.log)
        by_status = {}
        for entry in entries:
            if entry['status'] is not None:
                by_status[str(entry['status'])] = by_status.get(str(entry['status']), 0) + 1
        summary = {
            'total': len(entries),
            'writes': sum(1 for e in entries if e['method'] in WRITE_METHODS),
            'by_status': by_status,
            'status_429': by_status.get('429', 0),
            'dropped': sum(1 for e in entries if e['status'] is None),
            'faults': sum(1 for e in entries if e['fault']),
        }
        return {'summary': summary} if summary_only else {'requests': entries, 'summary': summary}

    def record_foreign(self, method, path, query, authorization):
        """Log one request the foreign listener got.  The Authorization header is compared, never kept."""
        if not authorization or not authorization.startswith('Basic '):
            credentials = 'none'
        elif self.authenticate(authorization) is not None:
            credentials = 'valid'
        else:
            credentials = 'other'
        entry = {'method': method, 'path': path, 'query': query, 'authorization': bool(authorization), 'credentials': credentials}
        with self.lock:
            self.foreign_log.append(entry)

    def foreign_view(self, url, clear=False):
        with self.lock:
            if clear:
                self.foreign_log = []
            return {'url': url, 'requests': list(self.foreign_log)}

    # ----- phone number records

    def new_id(self):
        return fresh_id('n-', self.id_rng, self.numbers)

    def allocate(self, user_id, number, name=None, application_id=None, fallback=None):
        city, state, price = self.inventory.location_of(number)
        rec = {'id': self.new_id(), 'number': number, 'userId': user_id, 'city': city, 'state': state, 'price': price,
               'createdTime': iso_now(), 'created': time.monotonic(), 'numberState': 'enabled', 'seq': next(self.sequence),
               'name': name or None, 'applicationId': application_id or None, 'fallbackNumber': fallback or None}
        self.inventory.take(number)
        self.numbers[rec['id']] = rec
        self.user_numbers[user_id][number] = rec
        return rec

    def resource(self, rec, root_url, with_user=False):
        out = {'id': rec['id'], 'number': rec['number'], 'nationalNumber': national_number(rec['number'])}
        if rec['name'] is not None:
            out['name'] = rec['name']
        if rec['city']:
            out.update(city=rec['city'], state=rec['state'])
        if rec['applicationId']:
            out['application'] = '%s/v1/users/%s/applications/%s' % (root_url, rec['userId'], rec['applicationId'])
            out['applicationId'] = rec['applicationId']
        if rec['fallbackNumber']:
            out['fallbackNumber'] = rec['fallbackNumber']
        out.update(price=rec['price'], createdTime=rec['createdTime'], numberState=rec['numberState'])
        if with_user:
            out['userId'] = rec['userId']
        return out

    def location(self, req, rec):
        return req.url('/users/%s/phoneNumbers/%s' % (rec['userId'], rec['id']))

    def find_number(self, user_id, ref):
        """The record (released ones included) of this user for an n- id or an E.164 path segment."""
        ref = unquote(ref).strip()
        if ref.startswith('n-'):
            rec = self.numbers.get(ref)
            if rec is not None and rec['userId'] == user_id:
                return rec
            raise number_not_found(ref)
        if ref.isdigit():
            ref = '+' + ref
        rec = self.user_numbers[user_id].get(ref)
        if rec is None:
            raise number_not_found(ref)
        return rec

    def find_enabled(self, user_id, ref):
        rec = self.find_number(user_id, ref)
        if rec['numberState'] != 'enabled':
            raise number_not_found(unquote(ref))
        return rec

    def check_application(self, user_id, app_id):
        """The fields of one of the user's applications; 403 for another user's, else 404."""
        user = self.users[user_id]
        if app_id in user['applications']:
            return user['applications'][app_id]
        if app_id not in user['deleted_applications'] and any(app_id in other['applications'] for other in self.users.values()):
            raise ApiError(403, 'forbidden', 'application-access-denied',
                           'User %s does not have permission to use application %s' % (user_id, app_id))
        raise application_not_found(app_id)

    # ----- phone number operations

    def allocate_number(self, req):
        data = req.json_object()
        number, name = body_string(data, 'number'), body_string(data, 'name')
        app_id, fallback = body_string(data, 'applicationId'), body_string(data, 'fallbackNumber')
        if not number:
            raise bad_request('missing-property', "The 'phoneNumber' resource property 'number' is required but was not specified")
        check_e164(number)
        if fallback:
            check_e164(fallback)
        if app_id:
            self.check_application(req.user_id, app_id)
        existing = self.user_numbers[req.user_id].get(number)
        if existing is not None and existing['numberState'] == 'enabled':
            raise ApiError(409, 'conflict', 'duplicate-number',
                           'Cannot create another instance of number resource %s for number %s' % (existing['id'], number))
        if not self.inventory.is_available(number):
            raise number_not_found(number)
        rec = self.allocate(req.user_id, number, name, app_id, fallback)
        return Reply(201, headers={'Location': self.location(req, rec)})

    def list_numbers(self, req):
        number_state = (req.param('numberState') or 'enabled').lower()
        if number_state not in ('enabled', 'released'):
            raise validation_error('The phoneNumber resource property numberState must be one of the following values: enabled, released')
        # exact match on applicationId and name; state and city ignore case and extra blanks
        wanted = [(key, fold, req.param(key)) for key, fold in (('applicationId', False), ('name', False), ('state', True), ('city', True))
                  if req.param(key) is not None]

        # list_lag_ms: the listing comes from a replica that has not seen the newest allocations yet
        lag_horizon = time.monotonic() - self.config['list_lag_ms'] / 1000.0

        def keep(rec):
            return rec['numberState'] == number_state and rec['created'] <= lag_horizon and all(
                (normalise_place(rec[key] or '') == normalise_place(value)) if fold else rec[key] == value for key, fold, value in wanted)

        records = sorted((rec for rec in self.user_numbers[req.user_id].values() if keep(rec)), key=lambda r: r['seq'])
        return self.paginate(req, [self.resource(rec, req.root_url) for rec in records])

    def paginate(self, req, items, resource='phoneNumber'):
        page, size = int_param(req, 'page', 0), int_param(req, 'size', LIST_DEFAULT_SIZE)
        if page < 0:
            raise validation_error('The page parameter must be greater than or equal to 0')
        if size < 1:
            raise validation_error('The size parameter must be greater than 0')
        if size > LIST_MAX_SIZE:
            raise validation_error('The %s resource property size exceeds the limit of %d' % (resource, LIST_MAX_SIZE))
        filters = [(key, value) for key, value in req.params if key not in ('page', 'size')]

        def link(target, rel):
            query = urlencode(filters + [('page', target), ('size', size)], quote_via=quote, safe='')
            return '<%s?%s>; rel="%s"' % (req.url(req.path), query, rel)

        links = [link(0, 'first')]
        if (page + 1) * size < len(items):
            links.append(link(page + 1, 'next'))
        return Reply(200, items[page * size:(page + 1) * size], {'Link': ', '.join(links)})

    def get_number(self, req, ref):
        rec = self.find_number(req.user_id, ref)
        if rec['numberState'] != 'enabled' and self.config['released_as'] == '404':
            raise number_not_found(unquote(ref))
        return Reply(200, self.resource(rec, req.root_url))

    def update_number(self, req, ref):
        rec = self.find_enabled(req.user_id, ref)
        data = req.json_object()
        changes = {}
        for key in ('name', 'applicationId', 'fallbackNumber'):
            value = body_string(data, key)
            if value is None:
                continue
            if value and key == 'applicationId':
                self.check_application(req.user_id, value)
            if value and key == 'fallbackNumber':
                check_e164(value)
            changes[key] = value or None
        rec.update(changes)
        return Reply(200)

    def release_number(self, req, ref):
        rec = self.find_enabled(req.user_id, ref)
        rec['numberState'] = 'released'
        return Reply(200)

    # ----- applications and account

    @staticmethod
    def application_resource(app_id, fields):
        """``id``, ``name`` and the fields that are set; ``callbackHttpMethod`` and ``autoAnswer`` always."""
        out = {'id': app_id}
        for key in APPLICATION_FIELDS:
            if fields.get(key) is not None:
                out[key] = fields[key]
        out.setdefault('callbackHttpMethod', 'post')
        out.setdefault('autoAnswer', True)
        return out

    def application_ids(self):
        """Every application id in use or deleted, of any user (never given out again)."""
        return set(itertools.chain.from_iterable(itertools.chain(user['applications'], user['deleted_applications'])
                                                 for user in self.users.values()))

    def new_application_id(self):
        return fresh_id('a-', self.app_id_rng, self.application_ids())

    def list_applications(self, req):
        apps = self.users[req.user_id]['applications']
        return self.paginate(req, [self.application_resource(app_id, fields) for app_id, fields in apps.items()], 'application')

    def create_application(self, req):
        fields = application_fields(req.json_object())
        app_id = self.new_application_id()
        self.users[req.user_id]['applications'][app_id] = fields
        return Reply(201, headers={'Location': req.url('/users/%s/applications/%s' % (req.user_id, app_id))})

    def get_application(self, req, app):
        app = unquote(app)
        return Reply(200, self.application_resource(app, self.check_application(req.user_id, app)))

    def update_application(self, req, app):
        app = unquote(app)
        current = self.check_application(req.user_id, app)
        self.users[req.user_id]['applications'][app] = application_fields(req.json_object(), current)
        return Reply(200)

    def delete_application(self, req, app):
        """Numbers that point at it keep their applicationId (undocumented; README: deleting an application in use)."""
        app = unquote(app)
        self.check_application(req.user_id, app)
        user = self.users[req.user_id]
        del user['applications'][app]
        user['deleted_applications'].add(app)
        return Reply(200)

    def get_account(self, req):
        return Reply(200, dict(ACCOUNT))

    # ----- available numbers

    def search_local(self, req):
        crit = parse_local_search(req, SEARCH_MAX_QUANTITY, search_error('The maximum quantity of numbers is %d' % SEARCH_MAX_QUANTITY))
        regex = compile_pattern(crit['pattern']) if crit['pattern'] else None
        found = self.inventory.pick(self.inventory.local_candidates(crit), crit['quantity'], regex)
        return Reply(200, [self.inventory.item(number, regex) for number in found])

    def search_toll_free(self, req):
        pattern = req.param('pattern')
        check_pattern(pattern)
        quantity = int_param(req, 'quantity', 10)
        check_quantity(quantity, SEARCH_MAX_QUANTITY, search_error('The maximum quantity of numbers is %d' % SEARCH_MAX_QUANTITY))
        regex = compile_pattern(pattern) if pattern else None
        found = self.inventory.pick(self.inventory.toll_free, quantity, regex)
        return Reply(200, [self.inventory.item(number, regex) for number in found])

    def order_local(self, req):
        cap = self.config['order_cap']
        crit = parse_local_search(req, cap, order_error('The maximum quantity of numbers searching and ordering is %d' % cap))
        if crit['pattern'] and self.config['pattern_on_order'] == 'reject':
            raise order_error('A query and order numbers cannot contain pattern')
        regex = compile_pattern(crit['pattern']) if crit['pattern'] else None
        return self.fulfil(req, self.inventory.local_candidates(crit), crit['quantity'], regex)

    def order_toll_free(self, req):
        quantity = int_param(req, 'quantity', 1)
        check_quantity(quantity, TOLL_FREE_ORDER_CAP,
                       order_error('The maximum quantity of numbers searching and ordering is %d' % TOLL_FREE_ORDER_CAP))
        return self.fulfil(req, self.inventory.toll_free, quantity, None)

    def fulfil(self, req, candidates, quantity, regex):
        found = self.inventory.pick(candidates, quantity, regex)
        if len(found) < quantity and self.config['partial_fulfilment'] == 'none':
            found = []
        items = []
        for number in found:
            rec = self.allocate(req.user_id, number)
            item = {'number': number, 'nationalNumber': national_number(number), 'price': rec['price']}
            if rec['city']:
                item.update(city=rec['city'], state=rec['state'])
            if self.config['order_item_location']:
                item['location'] = self.location(req, rec)
            items.append(item)
        if len(items) < quantity:
            raise ApiError(404, 'not-found', 'order-number-quantity-unavailable',
                           'Only a partial quantity of the total telephone numbers ordered could be fulfilled.')
        return Reply(201, items)

    # ----- control API views

    def numbers_view(self, user_id=None):
        with self.lock:
            records = sorted(self.numbers.values(), key=lambda r: r['seq'])
            root = self.root_url_hint
            return {'numbers': [self.resource(rec, root, with_user=True) for rec in records if user_id in (None, rec['userId'])]}

    def inventory_view(self, params):
        area_code = params.get('area_code') or params.get('areaCode')
        city = normalise_place(params.get('city') or '') or None
        state = normalise_place(params.get('state') or '') or None
        limit = int(params.get('limit') or 0)
        with self.lock:
            items = self.inventory.available_items(state, city, area_code, params.get('zip'))
        return {'count': len(items), 'numbers': items[:limit] if limit > 0 else items}

    def rate_centers_view(self):
        with self.lock:
            return {'rate_centers': self.inventory.describe()}

    def clear_log(self):
        with self.lock:
            self.log = []
        return {'ok': True}

    def reset_view(self):
        self.reset()
        return {'ok': True}


# --------------------------------------------------------------------------- HTTP layer

class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive plumbing shared by the API listener and the foreign one."""

    protocol_version = 'HTTP/1.1'
    server_version = 'catapult-emulator/' + VERSION
    sys_version = ''
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            sys.stderr.write('%s - %s\n' % (self.address_string(), format % args))

    def send_body(self, data):
        """Content-Length (and Connection: close when the connection ends), the end of the headers, then ``data`` (not for HEAD)."""
        self.send_header('Content-Length', str(len(data)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def read_body(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    return b''.join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''


class CatapultHandler(QuietHandler):
    """HTTP/1.1 keep-alive handler for /v1 (the emulated API) and /_emulator (control)."""

    def setup(self):
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.settimeout(30)
            self.connection.do_handshake()
            self.connection.settimeout(None)

    def do_any(self):
        self.route(self.command)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_any

    # ----- plumbing

    def root_url(self):
        host = self.headers.get('Host') or ''
        if not re.match(r'^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$', host):
            return self.server.root_url
        return '%s://%s' % (self.server.scheme, host)

    def send_reply(self, reply):
        data, content_type = reply.payload()
        headers = [('Server', self.version_string()), ('Date', self.date_time_string())]
        if content_type:
            headers.append(('Content-Type', content_type))
        headers.extend(reply.headers.items())
        places = (('{root}', self.server.root_url), ('{foreign}', self.server.foreign_url),
                  ('{foreign_localhost}', self.server.foreign_localhost_url))
        headers = override_headers(headers, reply.overrides, places)
        if data and (reply.status < 200 or reply.status in BODYLESS_STATUSES):
            self.close_connection = True  # the client reads no body after these: do not reuse the connection
        self.log_request(reply.status)
        self.send_response_only(reply.status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_body(data)

    def reset(self):
        """Abort the connection with a TCP reset (SO_LINGER 0) without writing a response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.connection.close()
        except OSError:
            pass

    def drop(self):
        """Close the connection without writing a response."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def route(self, method):
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self.send_reply(Reply(400, {'error': 'unreadable request body'}))
            return
        split = urlsplit(self.path)
        if split.path == '/v1' or split.path.startswith('/v1/'):
            self.handle_api(method, split.path[3:], split.query, body)
        elif split.path.startswith('/_emulator/'):
            self.send_reply(control(self.server.emulator, method, split.path[len('/_emulator/'):].strip('/'), split.query, body, self.server))
        elif split.path == '/_emulator':
            self.send_reply(Reply(404, {'category': 'not-found', 'code': 'resource-not-found',
                                        'message': 'The requested resource could not be found.', 'details': []}))
        else:
            self.handle_outside_api(method, split.path, split.query, body)

    def handle_outside_api(self, method, path, query, body):
        """A path outside /v1 (e.g. a base URL without /v1): a front proxy's HTML 404; logged, nothing applied."""
        started = time.monotonic()
        req = ApiRequest(method, path, query, body, None, self.client_address[0], self.root_url())
        reply = Reply(404, raw=OUTSIDE_API_HTML.encode('utf-8'), content_type=RAW_DEFAULT_CONTENT_TYPE)
        self.server.emulator.record(req, reply.status, None, started, outside_api=True)
        self.send_reply(reply)

    def handle_api(self, method, path, query, body):
        emu = self.server.emulator
        reply, fault = emu.serve(method, path, query, body, self.headers.get('Authorization'),
                                 self.client_address[0], self.root_url())
        if reply is not None and fault is not None:
            reply.overrides = fault.headers
        if fault is not None and fault.action == 'reset':
            self.reset()
        elif reply is None:
            self.drop()
        else:
            self.send_reply(reply)


def override_headers(headers, overrides, places):
    """``headers`` ((name, value) pairs) with a fault rule's 'headers' applied: each name replaces, or with
    None removes, every header of that name; ``places`` ((placeholder, URL) pairs) fill {root}, {foreign}, ..."""
    for name, value in overrides.items():
        headers = [(key, old) for key, old in headers if key.lower() != name.lower()]
        if value is not None:
            for placeholder, url in places:
                value = value.replace(placeholder, url)
            headers.append((name, value))
    return headers


def fault_reply(emu, req, fault, applied=None):
    """The answer of a 'status', 'status_after', 'plain_text', 'echo', 'raw' or 'raw_after' fault.

    ``applied`` is the real answer of a request already applied (the default status of 'raw_after').
    """
    if fault.action in FAULT_RAW_ACTIONS:
        status = fault.status if fault.status is not None else applied.status
        return Reply(status, raw=fault.body.encode('utf-8'), content_type=fault.content_type)
    if fault.action == 'plain_text':
        return Reply(fault.status, text='%d %s' % (fault.status, reason_of(fault.status)))
    if fault.action == 'echo':
        return echo_reply(emu, req, fault)
    return emu.error_reply(req, fault.error())


def echo_reply(emu, req, fault):
    """A careless server's error that echoes the request: its Authorization header and body."""
    body = req.body.decode('utf-8', 'replace')
    message = fault.message or 'Bad request %s %s (Authorization: %s) body: %s' % (
        req.method, req.path, req.authorization or '-', body or '-')
    error = ApiError(fault.status, *STATUS_ERRORS.get(fault.status, ('backend', 'internal-server-error')), message,
                     details=[{'name': 'authorization', 'value': req.authorization or ''}, {'name': 'requestBody', 'value': body}])
    return emu.error_reply(req, error)


def control_body(body):
    try:
        data = json.loads(body.decode('utf-8') or '{}')
    except ValueError:
        raise ValueError('the body must be JSON')
    if not isinstance(data, (dict, list)):
        raise ValueError('the body must be a JSON object')
    return data


def control_faults(emu, method, body):
    if method == 'POST':
        data = control_body(body)
        specs = data.get('faults', [data]) if isinstance(data, dict) else data
        emu.add_faults(specs)
    elif method == 'DELETE':
        with emu.lock:
            emu.faults = []
    with emu.lock:
        return Reply(200, {'faults': [rule.to_json() for rule in emu.faults]})


def control(emu, method, name, query, body, server):
    """The /_emulator control API (no auth, tests only)."""
    params = dict(parse_qsl(query))

    def data():
        return control_body(body)

    handlers = {
        ('GET', 'health'): lambda: {'ok': True, 'version': VERSION, 'url': server.base_url, 'foreign_url': server.foreign_url},
        ('GET', 'requests'): lambda: emu.requests_report(params.get('summary_only', '').lower() in ('1', 'true', 'yes')),
        ('DELETE', 'requests'): emu.clear_log,
        ('GET', 'config'): emu.public_config,
        ('POST', 'config'): lambda: emu.set_config(data()),
        ('GET', 'numbers'): lambda: emu.numbers_view(params.get('user_id')),
        ('GET', 'inventory'): lambda: emu.inventory_view(params),
        ('GET', 'rate-centers'): emu.rate_centers_view,
        ('POST', 'applications'): lambda: emu.add_application(data().get('user_id'), data().get('id'), data().get('name')),
        ('GET', 'applications'): lambda: emu.applications_view(params.get('user_id')),
        ('POST', 'reset'): emu.reset_view,
        ('GET', 'tls-cert'): lambda: {'cert_pem': server.cert_pem},
        ('GET', 'foreign'): lambda: emu.foreign_view(server.foreign_url),
        ('DELETE', 'foreign'): lambda: emu.foreign_view(server.foreign_url, clear=True),
    }
    try:
        if name == 'faults' and method in ('GET', 'POST', 'DELETE'):
            return control_faults(emu, method, body)
        handler = handlers.get((method, name))
        if handler is None:
            return Reply(404, {'error': 'unknown control call %s /_emulator/%s' % (method, name)})
        return Reply(200, handler())
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return Reply(400, {'error': str(exc)})


class ForeignHandler(QuietHandler):
    """The foreign origin: every request is logged (credentials compared, never kept) and answered 200 []."""

    server_version = 'foreign-origin/' + VERSION

    def answer(self):
        try:
            self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
        split = urlsplit(self.path)
        self.server.emulator.record_foreign(self.command, split.path, split.query, self.headers.get('Authorization'))
        data = b'[]'
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_body(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = answer


def family_of(host):
    return socket.AF_INET6 if ':' in host else socket.AF_INET


def shown_host(host):
    """The host part of a URL for a listening address (0.0.0.0 -> 127.0.0.1, IPv6 in brackets)."""
    shown = {'0.0.0.0': '127.0.0.1', '::': '::1', '': '127.0.0.1'}.get(host, host)
    return '[%s]' % shown if ':' in shown else shown


class ForeignServer(ThreadingHTTPServer):
    """A second loopback listener standing for another origin (plain HTTP, runs in its own thread)."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, host, port, emulator, verbose=False):
        self.address_family = family_of(host)
        super().__init__((host, port), ForeignHandler)
        self.emulator = emulator
        self.verbose = verbose
        self.url = 'http://%s:%d' % (shown_host(host), self.server_address[1])
        self.localhost_url = 'http://localhost:%d' % self.server_address[1]
        self.thread = None
        self.state_lock = threading.Lock()

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)

    def start(self):
        with self.state_lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
                self.thread.start()

    def stop(self):
        with self.state_lock:
            if self.thread is not None:
                self.shutdown()
                self.thread.join(5)
                self.thread = None


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, host, port, emulator, tls_context=None, cert_pem=None, verbose=False, foreign_port=0):
        self.address_family = family_of(host)
        super().__init__((host, port), CatapultHandler)
        self.emulator = emulator
        self.verbose = verbose
        self.scheme = 'https' if tls_context else 'http'
        self.cert_pem = cert_pem
        if tls_context is not None:
            self.socket = tls_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.root_url = '%s://%s:%d' % (self.scheme, shown_host(host), self.server_address[1])
        self.base_url = self.root_url + '/v1'
        emulator.root_url_hint = self.root_url
        self.thread = None
        try:
            self.foreign = ForeignServer(host, foreign_port, emulator, verbose)
        except OSError:
            super().server_close()
            raise
        self.foreign_url = self.foreign.url
        self.foreign_localhost_url = self.foreign.localhost_url

    def serve_forever(self, poll_interval=0.5):
        """Serve the API and, in a thread of its own, the foreign listener until shutdown()."""
        self.foreign.start()
        try:
            super().serve_forever(poll_interval)
        finally:
            self.foreign.stop()

    def server_close(self):
        super().server_close()
        self.foreign.stop()
        self.foreign.server_close()

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)

    def stop(self):
        """Stop a server started with start_in_thread()."""
        self.shutdown()
        self.server_close()
        if self.thread is not None:
            self.thread.join(5)


# --------------------------------------------------------------------------- command line

def make_tls_context():
    """A server SSL context with a fresh self-signed certificate for 127.0.0.1/localhost (made by openssl)."""
    workdir = tempfile.mkdtemp(prefix='catapult-emulator-tls-')
    try:
        cert, key = os.path.join(workdir, 'cert.pem'), os.path.join(workdir, 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
                        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        with open(cert, encoding='ascii') as handle:
            return context, handle.read()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parse_user(value):
    parts = value.split(':', 2)
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError('--user must be ID:TOKEN:SECRET')
    return tuple(parts)


def build_parser():
    parser = argparse.ArgumentParser(description='Local emulator of the Bandwidth Catapult v1 phone number and application API.')
    add = parser.add_argument
    add('--host', default='127.0.0.1')
    add('--port', type=int, default=0, help='0 = any free port')
    add('--user-id', default='u-demo')
    add('--api-token', default='T')
    add('--api-secret', default='S')
    add('--user', type=parse_user, action='append', default=[], metavar='ID:TOKEN:SECRET', help='another account (repeatable)')
    add('--application', action='append', default=[], metavar='ID', help='application every user owns (repeatable; replaces defaults)')
    add('--port-file')
    add('--pid-file')
    add('--url-file')
    add('--lifetime', type=float, default=0.0, help='exit after that many seconds (0 = never)')
    add('--latency-ms', type=float, default=0.0)
    add('--order-cap', type=int, default=5000)
    add('--pattern-on-order', choices=CONFIG_CHOICES['pattern_on_order'], default='allow')
    add('--partial-fulfilment', choices=CONFIG_CHOICES['partial_fulfilment'], default='none')
    add('--released-as', choices=CONFIG_CHOICES['released_as'], default='404')
    add('--rate-limits', action='store_true', help='enable the documented rate-limit buckets')
    add('--rate-limit', action='append', default=[], metavar='NAME=COUNT/SECONDS:BURST',
        help='override one bucket (orders, searches, number_reads), e.g. orders=5/1:5; implies --rate-limits')
    add('--no-order-item-location', dest='order_item_location', action='store_false',
        help='search-and-order items carry no "location" (the numbers are still allocated)')
    add('--list-lag-ms', type=float, default=0.0, help='numbers allocated less than N ms ago are missing from the list call')
    add('--foreign-port', type=int, default=0, help='port of the foreign-origin listener (0 = any free one)')
    add('--fault-rate', type=float, default=0.0)
    add('--seed', type=int, default=0)
    add('--chaos-reset-ms', type=int, default=1000, help='X-RateLimit-Reset (from now) of the 429s chaos injects')
    add('--tls', action='store_true', help='serve HTTPS with a freshly generated self-signed certificate')
    add('--tls-cert-file', help='with --tls: write the certificate (PEM) there; removed on exit')
    add('--log-file', help='append one JSON line per API request')
    add('--verbose', action='store_true', help='log every request and handler error to stderr')
    add('--detach', action='store_true', help='start the emulator in the background, print its URL once it serves, and exit; '
        'it runs until --lifetime or SIGTERM (--stop)')
    add('--output', help='with --detach: file for the background emulator\'s stdout and stderr (default: discarded)')
    add('--stop', action='store_true', help='stop the emulator whose pid is in --pid-file (SIGTERM) and wait until it has exited')
    return parser


def config_from_args(args):
    buckets = dict(DEFAULT_RATE_LIMITS)
    for spec in args.rate_limit:
        buckets.update(parse_rate_limits(spec))
    config = {'latency_ms': 0.0, 'order_cap': 5000, 'pattern_on_order': 'allow', 'partial_fulfilment': 'none', 'released_as': '404',
              'rate_limits': False, 'fault_rate': 0.0, 'seed': 0, 'chaos_reset_ms': 1000, 'order_item_location': True,
              'list_lag_ms': 0.0, 'rate_limit_buckets': buckets}
    changes = {'latency_ms': args.latency_ms, 'order_cap': args.order_cap, 'pattern_on_order': args.pattern_on_order,
               'partial_fulfilment': args.partial_fulfilment, 'released_as': args.released_as,
               'rate_limits': bool(args.rate_limits or args.rate_limit), 'fault_rate': args.fault_rate, 'seed': args.seed,
               'chaos_reset_ms': args.chaos_reset_ms, 'order_item_location': args.order_item_location, 'list_lag_ms': args.list_lag_ms}
    for key, value in changes.items():
        config[key] = Emulator.config_value(key, value, config)
    return config


def new_emulator(argv=()):
    """The Emulator (state only, no listener) a command line describes; ``Emulator.serve()`` answers in-process."""
    parser = build_parser()
    args = parser.parse_args([str(arg) for arg in argv])
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    users = [(args.user_id, args.api_token, args.api_secret)] + list(args.user)
    return Emulator(users, args.application or DEFAULT_APPLICATIONS, config, args.log_file), args


def build_server(argv=None):
    """Parse a command line and return a bound (not yet serving) EmulatorServer."""
    emulator, args = new_emulator(sys.argv[1:] if argv is None else argv)
    tls_context, cert_pem = make_tls_context() if args.tls else (None, None)
    server = EmulatorServer(args.host, args.port, emulator, tls_context, cert_pem, args.verbose, args.foreign_port)
    server.args = args
    return server


def start_in_thread(argv=None):
    """Start an emulator in a background thread (for tests); call .stop() when done."""
    server = build_server(argv)
    server.thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
    server.thread.start()
    return server


def write_atomically(path, text):
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.replace(tmp, path)


class LaunchError(RuntimeError):
    """The emulator process exited, or did not serve in time."""


class Launched:
    """An emulator process started by launch(): ``.url`` (ending in ``/v1``), ``.root``, ``.control``
    (``/_emulator``), ``.pid``, ``.proc`` and ``.stop()``."""

    def __init__(self, proc, url):
        self.proc = proc
        self.pid = proc.pid
        self.url = url
        self.root = url[:-len('/v1')]
        self.control = self.root + '/_emulator'

    def stop(self, timeout=15.0):
        """SIGTERM, then SIGKILL after ``timeout`` seconds; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


def launch(args=(), python=None, url_file=None, output=None, detach=False, timeout=30.0):
    """Start this emulator as a process of its own with the command line ``args``, wait until it
    serves, and return a Launched.

    ``python``: the interpreter (this one by default); ``url_file``: where it publishes its URL (a
    temporary file by default); ``output``: a file for its stdout and stderr (discarded by default);
    ``detach``: in a session of its own, so that it outlives the caller. Raises LaunchError when
    the process exits, or has not published its URL within ``timeout`` seconds.
    """
    if url_file is None:
        handle, url_file = tempfile.mkstemp(prefix='catapult-emulator-', suffix='.url')
        os.close(handle)
    if os.path.exists(url_file):
        os.remove(url_file)
    argv = [python or sys.executable, os.path.abspath(__file__)] + [str(arg) for arg in args] + ['--url-file', url_file]
    with open(output or os.devnull, 'ab') as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                start_new_session=detach)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(url_file, encoding='utf-8') as handle:
                url = handle.read().strip()
        except OSError:
            url = ''
        if url:
            return Launched(proc, url)
        if proc.poll() is not None:
            raise LaunchError('the emulator exited with status %s before it served%s'
                              % (proc.returncode, '; see %s' % output if output else ''))
        if time.monotonic() > deadline:
            Launched(proc, '/v1').stop()
            raise LaunchError('the emulator did not serve within %g s%s' % (timeout, '; see %s' % output if output else ''))
        time.sleep(0.05)


def stop_pid_file(pid_file, timeout=15.0):
    """Stop the emulator whose pid is in ``pid_file``: SIGTERM, wait until it exits (it removes the
    file then), SIGKILL after ``timeout`` seconds. Returns whether one was running."""
    try:
        with open(pid_file, encoding='utf-8') as handle:
            pid = int(handle.read().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return False
    deadline = time.monotonic() + timeout
    while os.path.exists(pid_file):  # a process reparented to a non-reaping init would still answer kill -0
        try:
            os.kill(pid, 0)
        except OSError:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    if os.path.exists(pid_file):
        os.remove(pid_file)
    return True


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if args.stop:
        if not args.pid_file:
            build_parser().error('--stop needs --pid-file')
        print('emulator: %s' % ('stopped' if stop_pid_file(args.pid_file) else 'not running'))
        return 0
    if args.detach:
        try:
            emulator = launch([arg for arg in argv if arg != '--detach'], url_file=args.url_file, output=args.output, detach=True)
        except LaunchError as exc:
            print('catapult_emulator: %s' % exc, file=sys.stderr)
            return 1
        print(emulator.url, flush=True)
        return 0
    server = build_server(argv)

    def stop(*_args):
        threading.Thread(target=server.shutdown, daemon=True).start()

    # everything a reader of the first stdout line may rely on is in place before it is printed
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    files = [(args.port_file, str(server.server_address[1])), (args.pid_file, str(os.getpid())), (args.url_file, server.base_url),
             (args.tls_cert_file, server.cert_pem)]
    written = []
    try:
        for path, text in files:
            if path and text is not None:
                write_atomically(path, text)
                written.append(path)
        print(server.base_url, flush=True)
        if args.lifetime > 0:
            timer = threading.Timer(args.lifetime, stop)
            timer.daemon = True
            timer.start()
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        for path in written:
            try:
                os.remove(path)
            except OSError:
                pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
