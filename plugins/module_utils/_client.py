# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one Catapult v1 API client of this collection.

Everything that talks HTTP lives here: basic auth, JSON, User-Agent, timeout and
``verify=`` on every request, retries with backoff, rate-limit waits shared by all
threads, ``Link: rel="next"`` pagination and typed exceptions. It never calls
``fail_json``; modules turn :class:`CatapultError` into a failure.
"""

from __future__ import annotations

import base64
import random
import re
import threading
import time
import traceback

from contextlib import contextmanager

from urllib.parse import quote, urljoin, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - exercised by the missing_required_lib path
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

COLLECTION_VERSION = '0.1.0'
DEFAULT_API_URL = 'https://api.catapult.inetwork.com/v1'

# Statuses that mean "the server did not do it, try again later".
RETRY_STATUSES = frozenset((429, 502, 503, 504))
WRITE_METHODS = frozenset(('POST', 'PUT', 'PATCH', 'DELETE'))
MAX_PAGE_SIZE = 1000
PACE_MAX_INTERVAL = 10.0
PACE_MIN_INTERVAL = 0.01
PACE_RELAX_AFTER = 10
PACE_RELAX_MAX = 160
_ID_SEGMENT = re.compile(r'^(?:[a-z]{1,3}-[a-z0-9]+|%2B[0-9]+|\+[0-9]+|[0-9]+)$')
REDACTED = '********'
# Credentials shorter than this are not searched for in texts (they would mangle every message).
MIN_REDACT_LENGTH = 4


class CatapultError(Exception):
    """Base of every error this client raises. ``str()`` never holds a credential."""

    def __init__(self, message, method=None, path=None):
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path

    def to_dict(self):
        """What a module returns next to ``msg`` (no credential in it)."""
        return {'method': self.method, 'path': self.path}


class CatapultApiError(CatapultError):
    """The API answered with an error status."""

    def __init__(self, status, method, path, code=None, api_message=None, category=None, details=None, hint=None):
        self.status = status
        self.code = code
        self.api_message = api_message
        self.category = category
        self.details = details or []
        text = 'Catapult API error: %s %s returned HTTP %s' % (method, path, status)
        if code:
            text += ' (%s)' % code
        if api_message:
            text += ': %s' % api_message
        hint = hint or _STATUS_HINTS.get(status)
        if hint:
            text = '%s. %s' % (text.rstrip('.'), hint)
        super().__init__(text, method, path)

    def to_dict(self):
        result = super().to_dict()
        result.update(status=self.status, code=self.code, api_message=self.api_message, category=self.category)
        return result


class CatapultTransportError(CatapultError):
    """No usable answer arrived: connection refused or reset, timeout, TLS failure.

    ``sent`` tells whether the request may have reached the server: when it is true for a
    write, the outcome is unknown and must be resolved by reading, never by resending.
    """

    def __init__(self, method, path, reason, sent, attempts=1):
        self.reason = reason
        self.sent = sent
        self.attempts = attempts
        text = 'Catapult API request %s %s failed' % (method, path)
        if attempts > 1:
            text += ' after %d attempts' % attempts
        text += ': %s' % reason
        super().__init__(text, method, path)

    def to_dict(self):
        result = super().to_dict()
        result.update(reason=self.reason, outcome_unknown=self.sent, attempts=self.attempts)
        return result


class CatapultBadAnswerError(CatapultError):
    """A success status whose body is not the JSON this request expects.

    A maintenance page, ``null``, an empty body or a JSON value of the wrong shape is never
    read as "no data": for a read it is an error, for a write the outcome is unknown and
    must be resolved by reading back (see :func:`outcome_unknown`).
    """

    def __init__(self, status, method, path, expected, content_type, snippet):
        self.status = status
        self.expected = expected
        self.content_type = content_type
        text = ('Catapult API answered %s %s with HTTP %s but the body is not the JSON expected (%s); got %s'
                % (method, path, status, expected, _describe_body(content_type, snippet)))
        if method in WRITE_METHODS:
            text += ('. The server may have applied the request; the outcome is unknown, so it is resolved by reading '
                     'the account back, never by sending it again blindly')
        else:
            text += ('. A proxy or maintenance page may stand in front of the API; check api_url and try again later')
        super().__init__(text, method, path)

    def to_dict(self):
        result = super().to_dict()
        result.update(status=self.status, expected=self.expected, content_type=self.content_type,
                      outcome_unknown=self.method in WRITE_METHODS)
        return result


class CatapultAborted(CatapultError):
    """The Ansible controller that started this task is gone: no further write is sent."""

    def __init__(self, method, path, reason):
        self.reason = reason
        text = ('Stopped before %s %s: %s. Nothing more was sent; numbers already ordered are reported and a rerun '
                'adopts or labels them' % (method, path, reason))
        super().__init__(text, method, path)


def outcome_unknown(exc):
    """True when a write may or may not have been applied by the server."""
    if isinstance(exc, CatapultTransportError):
        return exc.sent
    if isinstance(exc, CatapultBadAnswerError):
        return exc.method in WRITE_METHODS
    return isinstance(exc, CatapultApiError) and exc.status >= 500


def _describe_body(content_type, snippet):
    kind = content_type or 'no Content-Type'
    if not snippet:
        return 'an empty body (%s)' % kind
    return '%s: %r' % (kind, snippet)


_STATUS_HINTS = {
    401: 'Check user_id, api_token and api_secret (or CATAPULT_USER_ID, CATAPULT_API_TOKEN, CATAPULT_API_SECRET)',
    403: 'The credentials are valid but not allowed to do this',
}
# 404 codes that name a Catapult resource; any other 404 (an unknown route, a proxy's page)
# most likely means api_url is not the API's base URL.
RESOURCE_NOT_FOUND_CODES = frozenset(('number-not-found', 'application-not-found', 'order-number-quantity-unavailable',
                                      'user-not-found'))
NUMBER_NOT_FOUND = 'number-not-found'
APPLICATION_NOT_FOUND = 'application-not-found'
# Attempts for failures that retrying rarely fixes: a refused connection (a server that is
# down stays down for longer than a retry waits) is tried this often; a name that does not
# resolve only once.
REFUSED_ATTEMPTS = 3


class Response(object):
    """A decoded answer: status, headers and the JSON body (``None`` when empty)."""

    def __init__(self, status, headers, data, url):
        self.status = status
        self.headers = headers
        self.data = data
        self.url = url


def parse_link_next(header):
    """Return the ``rel="next"`` URL of a ``Link`` header, or ``None``."""
    if not header:
        return None
    for entry in header.split(','):
        parts = [p.strip() for p in entry.split(';')]
        if len(parts) < 2 or not (parts[0].startswith('<') and parts[0].endswith('>')):
            continue
        rels = [p for p in parts[1:] if re.match(r'^rel\s*=\s*"?next"?$', p)]
        if rels:
            return parts[0][1:-1]
    return None


def origin_of(url):
    """``(scheme, host, port)`` of an absolute URL, the port made explicit."""
    parts = urlsplit(url)
    scheme = (parts.scheme or '').lower()
    try:
        port = parts.port
    except ValueError:
        return (scheme, None, None)
    return (scheme, (parts.hostname or '').lower(), port or {'http': 80, 'https': 443}.get(scheme))


def id_from_location(location, origin=None):
    """The resource id is the last path segment of an absolute or relative URL.

    With ``origin`` (see :func:`origin_of`), an absolute URL of another origin gives ``None``:
    the caller then finds the resource by reading, not by trusting a foreign address.
    """
    if not location or not isinstance(location, str):
        return None
    if origin is not None and urlsplit(location).scheme and origin_of(location) != origin:
        return None
    path = urlsplit(location).path.rstrip('/')
    return path.rsplit('/', 1)[-1] or None


def api_url_problem(api_url):
    """Why ``api_url`` cannot be the API's base URL, or ``None`` when it looks right."""
    parts = urlsplit(api_url or '')
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        return 'api_url must be an http(s) URL of the API including /v1, e.g. %s; got %r' % (DEFAULT_API_URL, api_url)
    if parts.query or parts.fragment or parts.username or parts.password:
        return ('api_url must be the base URL of the API without user, query or fragment, e.g. %s; got %r'
                % (DEFAULT_API_URL, redact_url(api_url)))
    if not parts.path.rstrip('/').endswith('/v1'):
        return ('api_url must be the base URL of the Catapult v1 API, ending in /v1 (e.g. %s); got %r'
                % (DEFAULT_API_URL, api_url))
    return None


def redact_url(url):
    """Drop any user:password@ part of a URL before it reaches a message."""
    parts = urlsplit(url)
    if '@' not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rsplit('@', 1)[1], parts.path, parts.query, parts.fragment))


def credential_forms(api_token, api_secret):
    """Every form in which the credentials can come back in a text, longest first.

    The raw token and secret, ``token:secret``, the Basic ``Authorization`` value (base64,
    with and without padding) and the URL-encoded forms.
    """
    forms = set()
    values = [str(v) for v in (api_token, api_secret) if v]
    for value in values:
        forms.update((value, quote(value, safe=''), quote(value)))
    if api_token is not None and api_secret is not None:
        pair = '%s:%s' % (api_token, api_secret)
        forms.add(pair)
        for charset in ('latin-1', 'utf-8'):  # requests encodes Basic credentials as latin-1
            try:
                encoded = base64.b64encode(pair.encode(charset)).decode('ascii')
            except UnicodeEncodeError:
                continue
            forms.update((encoded, encoded.rstrip('=')))
    return sorted((f for f in forms if len(f) >= MIN_REDACT_LENGTH), key=len, reverse=True)


def redact(text, forms):
    """``text`` with every credential form replaced by ``********`` (non-strings pass through)."""
    if not isinstance(text, str) or not forms:
        return text
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def retry_delay(response_headers, attempt, now=None, base=0.5, cap=30.0):
    """Seconds to wait before the next attempt.

    Honors ``Retry-After`` (seconds) and Catapult's ``X-RateLimit-Reset`` (epoch
    milliseconds, seconds tolerated), clamped to ``cap``; otherwise exponential backoff
    with jitter.
    """
    now = time.time() if now is None else now
    headers = response_headers or {}
    retry_after = headers.get('Retry-After')
    if retry_after is not None:
        try:
            return min(max(float(retry_after), 0.0), cap)
        except ValueError:
            pass
    reset = headers.get('X-RateLimit-Reset')
    if reset is not None:
        try:
            value = float(reset)
            if value > 1e11:  # milliseconds since the epoch, as documented
                value /= 1000.0
            return min(max(value - now, 0.0) + 0.05, cap)
        except ValueError:
            pass
    return min(base * (2 ** attempt), cap) * (0.5 + random.random() / 2)


class _Pace(object):
    """Pacing state of one endpoint after a 429 (see :class:`_Pacer`)."""

    def __init__(self, interval, next_at, now):
        self.lock = threading.Lock()  # one request at a time while paced
        self.interval = interval      # seconds between two requests
        self.next_at = next_at        # when the next request may be sent
        self.set_at = now             # when ``interval`` was last set
        self.good = None              # the last interval that held for a run of answers
        self.relax_after = PACE_RELAX_AFTER
        self.answers = 0


class _Pacer(object):
    """Rate limits for all threads of one client.

    A 429 closes a gate every thread waits at until the reset time the server gave
    (``Retry-After`` or ``X-RateLimit-Reset``). From then on the endpoint is paced: one
    request at a time, ``interval`` apart, starting at the reset interval (the documented
    buckets refill one request at a time). A 429 to a request sent under the current
    interval widens it by a quarter; 429s to requests already in flight when it was set
    do not. After a run of answers the interval halves, to find out whether the limit has
    passed; if that brings a 429, the interval goes back to the one that held, and the
    next try waits twice as long. A pacing below PACE_MIN_INTERVAL ends. So a paced run
    sends about what the bucket allows with few 429s, and a lone 429 slows it briefly.
    """

    def __init__(self, clock, sleep, max_wait):
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._paces = {}

    def _wait_until(self, when):
        delay = when - self._clock()
        if delay > 0:
            self._sleep(min(delay, self._max_wait))

    @contextmanager
    def turn(self, key):
        """Hold while sending one request to ``key``: waits for the gate and the endpoint's pace."""
        with self._lock:
            pace = self._paces.get(key)
            blocked_until = self._blocked_until
        if pace is None:
            self._wait_until(blocked_until)
            yield
            return
        with pace.lock:
            with self._lock:
                when = max(self._blocked_until, pace.next_at)
            self._wait_until(when)
            yield

    def limited(self, key, seconds, sent_at):
        with self._lock:
            now = self._clock()
            self._blocked_until = max(self._blocked_until, now + seconds)
            interval = min(max(seconds, PACE_MIN_INTERVAL), PACE_MAX_INTERVAL)
            pace = self._paces.get(key)
            if pace is None:
                self._paces[key] = _Pace(interval, now + seconds, now)
                return
            if sent_at >= pace.set_at:
                if pace.good is not None and pace.interval < pace.good:
                    pace.interval = pace.good
                    pace.relax_after = min(pace.relax_after * 2, PACE_RELAX_MAX)
                else:
                    pace.interval = min(max(interval, pace.interval * 1.25), PACE_MAX_INTERVAL)
                pace.set_at = now
            pace.next_at = max(pace.next_at, now + seconds)
            pace.answers = 0

    def answered(self, key, sent_at):
        with self._lock:
            pace = self._paces.get(key)
            if pace is None:
                return
            pace.answers += 1
            if pace.answers >= pace.relax_after:
                pace.good = pace.interval
                pace.interval /= 2.0
                pace.answers = 0
                pace.set_at = self._clock()
                if pace.interval < PACE_MIN_INTERVAL:
                    del self._paces[key]
                    return
            pace.next_at = max(pace.next_at, sent_at + pace.interval)


class CatapultClient(object):
    """Thread-safe client for one Catapult user.

    ``retries`` bounds the attempts after the first one; ``max_wait`` clamps any single
    wait; at most ``pool_size`` requests are in flight at once, however many threads send. A 429 makes every thread of this client wait until the reset time, so
    concurrent workers back off together.
    """

    def __init__(self, user_id, api_token, api_secret, api_url=DEFAULT_API_URL, validate_certs=True,
                 timeout=30.0, retries=6, max_wait=60.0, pool_size=16, sleep=None, clock=None, controller_gone=None):
        if not HAS_REQUESTS:
            raise RuntimeError('the requests library is required')
        self.user_id = user_id
        self.base_url = (api_url or DEFAULT_API_URL).rstrip('/')
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.origin = origin_of(self.base_url)
        self.controller_gone = controller_gone
        self._sleep = sleep or _sleep
        self._clock = clock or time.time
        self._pacer = _Pacer(self._clock, self._sleep, max_wait)
        self._stats_lock = threading.Lock()
        # one bound on the requests in flight, whatever number of threads the callers run
        self._slots = threading.BoundedSemaphore(max(pool_size, 1))
        self.stats = {'requests': 0, 'retries': 0, 'rate_limited': 0}
        self.session = requests.Session()
        # requests encodes str credentials as latin-1 (a UnicodeEncodeError for anything else);
        # bytes go as they are, so send UTF-8 as browsers and most servers do.
        self.session.auth = requests.auth.HTTPBasicAuth(_utf8(api_token), _utf8(api_secret))
        # an API that echoes the request (headers, body) in an error must not leak them
        self._credential_forms = credential_forms(api_token, api_secret)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1), max_retries=0)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)
        agent = 'bandwidth.catapult/%s (Ansible collection; python-requests/%s)' % (COLLECTION_VERSION, requests.__version__)
        self.session.headers.update({'User-Agent': agent, 'Accept': 'application/json'})

    def _redact(self, text):
        return redact(text, self._credential_forms)

    def _count(self, key):
        with self._stats_lock:
            self.stats[key] += 1

    # -- paths -----------------------------------------------------------------------

    def user_path(self, *parts):
        """``/users/{userId}/...`` with every part URL-encoded (``+`` becomes ``%2B``)."""
        return '/'.join(['/users', quote(self.user_id, safe='')] + [quote(str(p), safe='') for p in parts])

    def _url(self, path_or_url):
        if path_or_url.startswith(('http://', 'https://')):
            if origin_of(path_or_url) != self.origin:
                # credentials go to the origin of api_url and nowhere else (no other host,
                # port or scheme: never from https to http)
                raise CatapultError('Catapult API pointed to %s, which is not on the origin of api_url (%s); '
                                    'nothing was sent there (credentials go only to api_url)'
                                    % (redact_url(path_or_url), '%s://%s:%s' % self.origin), 'GET', redact_url(path_or_url))
            return path_or_url
        if path_or_url.startswith('/v1/') and self.base_url.endswith('/v1'):
            return urljoin(self.base_url + '/', path_or_url)
        return self.base_url + path_or_url

    def _display_path(self, url):
        """The path shown in messages: relative to the base URL, no credential."""
        if url.startswith(self.base_url):
            return url[len(self.base_url):] or '/'
        return redact_url(url)

    # -- the one request loop ---------------------------------------------------------

    def request(self, method, path, params=None, json=None, idempotent=None, absent_code=None, expect=None):
        """Send one request and return a :class:`Response`.

        ``idempotent`` (default: true for GET/HEAD, false otherwise) allows retrying
        5xx answers and errors after the request was sent. Non-idempotent writes are
        retried only when the server surely did nothing (429, connection refused);
        any other failure raises, and :func:`outcome_unknown` tells the caller to
        read back. ``absent_code``: a 404 carrying this Catapult code is returned (it
        means "not there"); any other 404 raises. ``expect`` is the shape a success body
        must have (``'object'``, ``'list'`` or ``'objects'``, a list of objects); anything
        else raises :class:`CatapultBadAnswerError`.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method not in WRITE_METHODS
        url = self._url(path)
        display = self._display_path(url)
        key = _pace_key(method, url)
        attempt = 0
        while True:
            if method in WRITE_METHODS and self.controller_gone is not None:
                gone = self.controller_gone()
                if gone:
                    raise CatapultAborted(method, display, gone)
            with self._pacer.turn(key):
                self._count('requests')
                sent_at = self._clock()
                delay = 0.0
                try:
                    with self._slots:
                        raw = self.session.request(method, url, params=params, json=json, timeout=self.timeout,
                                                   verify=self.validate_certs, allow_redirects=False)
                except requests.exceptions.RequestException as exc:
                    raw, failure = None, exc
                else:
                    failure = None
                    delay = retry_delay(raw.headers, attempt, now=self._clock(), cap=self.max_wait)
                    if raw.status_code == 429:
                        self._count('rate_limited')
                        self._pacer.limited(key, delay, sent_at)
                    elif raw.status_code < 400:
                        self._pacer.answered(key, sent_at)
            if failure is not None:
                sent = _may_have_been_sent(failure)
                if attempt < _transport_retries(failure, self.retries) and (idempotent or not sent):
                    attempt += 1
                    self._count('retries')
                    self._sleep(retry_delay(None, attempt - 1, cap=self.max_wait))
                    continue
                raise CatapultTransportError(method, display, self._redact(_describe_transport_error(failure)), sent,
                                             attempt + 1) from None
            status = raw.status_code
            if status < 400:
                return Response(status, raw.headers, _decode(raw, method, display, expect), raw.url)
            if status == 404 and absent_code and _error_code(raw) == absent_code:
                return Response(status, raw.headers, None, raw.url)
            if status in RETRY_STATUSES and attempt < self.retries and (idempotent or status == 429):
                attempt += 1
                self._count('retries')
                if status != 429:  # a 429's wait is the pacer's, shared by every thread
                    self._sleep(delay)
                raw.close()
                continue
            raise _api_error(raw, method, display, self._redact, self.base_url)

    def get(self, path, params=None, expect=None):
        return self.request('GET', path, params=params, expect=expect).data

    def paginate(self, path, params=None):
        """Every item of a list endpoint, following ``Link: rel="next"`` on the origin of api_url only."""
        query = dict(params or {})
        query.setdefault('size', MAX_PAGE_SIZE)
        items = []
        response = self.request('GET', path, params=query, expect='objects')
        seen = set()
        while True:
            data = response.data
            items.extend(data)
            next_url = parse_link_next(response.headers.get('Link'))
            if not next_url or not data:
                return items
            next_url = urljoin(response.url, next_url)
            if next_url in seen:
                raise CatapultError('Catapult API pagination loops at %s' % self._display_path(next_url), 'GET', path)
            seen.add(next_url)
            response = self.request('GET', next_url, expect='objects')

    # -- phone numbers ----------------------------------------------------------------

    def get_phone_number(self, number_or_id):
        """The number's resource, or ``None`` when it is not on the account.

        Only Catapult's own answer means absent: 404 ``number-not-found``, or the resource
        with ``numberState: released``. Any other 404 (an unknown route) raises.
        """
        response = self.request('GET', self.user_path('phoneNumbers', number_or_id), absent_code=NUMBER_NOT_FOUND,
                                expect='object')
        resource = response.data
        if response.status == 404 or str(resource.get('numberState', 'enabled')).lower() == 'released':
            return None
        return resource

    def list_phone_numbers(self, **filters):
        """Numbers of the account, filtered with the API's names (name, city, state, applicationId, numberState).

        Without a ``numberState`` filter only enabled numbers are returned, whatever the
        server lists.
        """
        params = dict((k, v) for k, v in filters.items() if v is not None)
        items = self.paginate(self.user_path('phoneNumbers'), params)
        if 'numberState' in params:
            return items
        return [item for item in items if str(item.get('numberState', 'enabled')).lower() != 'released']

    def allocate_phone_number(self, body):
        """POST a specific number; returns its id from ``Location`` (``None`` when missing or foreign).

        Not retried after sending.
        """
        response = self.request('POST', self.user_path('phoneNumbers'), json=_compact(body))
        return id_from_location(response.headers.get('Location'), self.origin)

    def update_phone_number(self, number_id, body):
        """Partial update; setting the same values twice is harmless, so it is retried."""
        self.request('POST', self.user_path('phoneNumbers', _required_id(number_id)), json=_compact(body),
                     idempotent=True)

    def release_phone_number(self, number_id):
        """DELETE; returns ``False`` when Catapult says the number was already gone (404 ``number-not-found``)."""
        response = self.request('DELETE', self.user_path('phoneNumbers', _required_id(number_id)), idempotent=True,
                                absent_code=NUMBER_NOT_FOUND)
        return response.status != 404

    # -- applications -----------------------------------------------------------------

    def get_application(self, app_id):
        """The application's resource, or ``None`` when Catapult answers 404 ``application-not-found``."""
        response = self.request('GET', self.user_path('applications', _required_id(app_id)),
                                absent_code=APPLICATION_NOT_FOUND, expect='object')
        return None if response.status == 404 else response.data

    def list_applications(self):
        """Every application of the account (all pages)."""
        return self.paginate(self.user_path('applications'))

    def create_application(self, body):
        """POST a new application; returns its id from ``Location`` (``None`` when missing or foreign).

        Not retried after sending: a second POST would create a second application. A lost
        answer is resolved by the caller, by reading the applications back.
        """
        response = self.request('POST', self.user_path('applications'), json=_compact(body))
        return id_from_location(response.headers.get('Location'), self.origin)

    def update_application(self, app_id, body):
        """Partial update; setting the same values twice is harmless, so it is retried."""
        self.request('POST', self.user_path('applications', _required_id(app_id)), json=_compact(body),
                     idempotent=True)

    def delete_application(self, app_id):
        """DELETE; returns ``False`` when Catapult says it was already gone (404 ``application-not-found``)."""
        response = self.request('DELETE', self.user_path('applications', _required_id(app_id)), idempotent=True,
                                absent_code=APPLICATION_NOT_FOUND)
        return response.status != 404

    # -- available numbers ------------------------------------------------------------

    def search_available(self, kind, params):
        """GET ``/availableNumbers/{local|tollFree}``."""
        return self.get('/availableNumbers/%s' % kind, params=_compact(params), expect='objects')

    def order_available(self, kind, params):
        """Search-and-order. Allocates new numbers on every call: never retried once sent.

        Each item's ``id`` comes from its ``location`` on the origin of api_url, else ``None``
        (find such a number by its E.164 ``number``).
        """
        response = self.request('POST', '/availableNumbers/%s' % kind, params=_compact(params), expect='objects')
        items = response.data
        for item in items:
            item['id'] = item.get('id') or id_from_location(item.get('location'), self.origin)
        return items


def _pace_key(method, url):
    """``POST /users/{}/phoneNumbers``: the endpoint a rate limit applies to, ids left out."""
    segments = urlsplit(url).path.split('/')
    return method + ' ' + '/'.join('{}' if _ID_SEGMENT.match(seg) else seg for seg in segments)


def _sleep(seconds):
    time.sleep(seconds)


def _compact(body):
    """Drop ``None`` values: the API treats a missing field as "not given"."""
    return dict((k, v) for k, v in (body or {}).items() if v is not None)


def _utf8(value):
    return value.encode('utf-8') if isinstance(value, str) else value


def _required_id(value):
    """A resource id for a path: never ``None`` or empty (that would address another resource)."""
    if value is None or not str(value).strip():
        raise CatapultError('internal error: a request needs the id of a resource and none is known')
    return value


_SHAPES = {
    'object': ('a JSON object', lambda data: isinstance(data, dict)),
    'list': ('a JSON list', lambda data: isinstance(data, list)),
    'objects': ('a JSON list of objects', lambda data: isinstance(data, list) and all(isinstance(i, dict) for i in data)),
}


def _decode(raw, method, display, expect):
    """The JSON body of a success answer; raises when ``expect`` names a shape the body does not have."""
    data = None
    decoded = True
    if raw.content:
        try:
            data = raw.json()
        except ValueError:
            decoded = False
    if expect is None:
        return data if decoded else None
    label, check = _SHAPES[expect]
    if decoded and check(data):
        return data
    snippet = raw.content[:120].decode('utf-8', 'replace') if raw.content else ''
    raise CatapultBadAnswerError(raw.status_code, method, display, label, raw.headers.get('Content-Type'), snippet)


def _error_code(raw):
    try:
        body = raw.json()
    except ValueError:
        return None
    return body.get('code') if isinstance(body, dict) else None


def _api_error(raw, method, display, scrub, base_url):
    """The typed error of an error answer; ``scrub`` removes credentials the server may have echoed."""
    code = api_message = category = None
    details = []
    try:
        body = raw.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = scrub(body.get('code'))
        api_message = scrub(body.get('message'))
        category = scrub(body.get('category'))
        if isinstance(body.get('details'), list):
            details = [_scrub_detail(detail, scrub) for detail in body['details']]
    elif raw.text:
        api_message = scrub(raw.text).strip()[:200]
    hint = None
    if raw.status_code == 404 and code not in RESOURCE_NOT_FOUND_CODES:
        hint = ('This is not Catapult\'s "not found" for a resource: check that api_url (%s) is the API\'s base URL, '
                'including /v1' % redact_url(base_url))
    return CatapultApiError(raw.status_code, method, display, code=code, api_message=api_message,
                            category=category, details=details, hint=hint)


def _scrub_detail(detail, scrub):
    if isinstance(detail, dict):
        return dict((key, scrub(value)) for key, value in detail.items())
    return scrub(detail)


_NAME_RESOLUTION_MARKERS = ('Name or service not known', 'nodename nor servname', 'Failed to resolve',
                            'Temporary failure in name resolution', 'No address associated with hostname')


def _may_have_been_sent(exc):
    """False only when the request surely never reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        return not any(marker in text for marker in ('NewConnectionError', 'Connection refused') + _NAME_RESOLUTION_MARKERS)
    return not isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                                requests.exceptions.InvalidSchema))


def _transport_retries(exc, retries):
    """How many retries a transport failure deserves: none for what retrying cannot fix."""
    if isinstance(exc, requests.exceptions.SSLError):
        return 0
    if not isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        return 0
    text = str(exc)
    if any(marker in text for marker in _NAME_RESOLUTION_MARKERS):
        return 0
    if 'Connection refused' in text or 'NewConnectionError' in text:
        return min(retries, REFUSED_ATTEMPTS - 1)
    return retries


def _describe_transport_error(exc):
    if isinstance(exc, requests.exceptions.SSLError):
        return ('TLS certificate verification failed (%s); set validate_certs=false only for a server you trust'
                % _short(exc))
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return 'timed out connecting (%s)' % _short(exc)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return 'no answer within the timeout'
    if isinstance(exc, requests.exceptions.ConnectionError):
        return 'connection error (%s)' % _short(exc)
    return '%s (%s)' % (type(exc).__name__, _short(exc))


def _short(exc):
    """The innermost reason of a requests exception, without URLs that could carry userinfo.

    ``... (Caused by NewConnectionError("HTTPConnection(host='h', port=9): Failed to establish
    a new connection: [Errno 111] Connection refused"))`` -> ``Failed to establish a new
    connection: [Errno 111] Connection refused``; likewise the SSL and name resolution reasons.
    """
    text = str(exc)
    reason = text
    if '(Caused by ' in text:
        caused = text.split('(Caused by ', 1)[1]
        # the first quoted message inside the cause is the innermost human-readable reason
        quoted = re.search(r'"([^"]{8,})"|\'([^\']{8,})\'', caused)
        reason = (quoted.group(1) or quoted.group(2)) if quoted else caused.rstrip(')')
        # drop the connection object it starts with: "HTTPConnection(host=..., port=...): " or "<... at 0x...>: "
        reason = re.sub(r'^(?:<[^>]*>|[A-Za-z]+Connection\([^)]*\)):\s*', '', reason)
        reason = re.sub(r'\s*\(_ssl\.c:\d+\)$', '', reason)
    reason = re.sub(r'https?://\S+', lambda m: redact_url(m.group(0)), reason)
    return reason.strip()[:300]
