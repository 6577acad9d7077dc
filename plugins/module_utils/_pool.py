# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The labelled pool of numbers: the engine of the modules that order local or toll-free numbers.

One run counts the numbers named ``name``, reconciles their application and fallback
number, adopts unlabelled numbers an earlier run left, orders only the shortfall in chunks
the server accepts, labels every new number and reports. A lost order answer is resolved by
reading the account, never by ordering again blindly. The kind of number (``local`` or
``tollFree``) decides the search path, the query, which numbers on the account match the
search and the first chunk size.

:class:`PoolEngine` is plain code: it takes a client and returns a result or raises
:class:`PoolError` (with the result so far); the pool modules (:func:`run_pool_module`) and
the desired-state engine (``account.py``) drive it.
"""

from __future__ import annotations

import re
import threading
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bandwidth.catapult.plugins.module_utils._applications import ApplicationError, resolve_name
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import (
    CatapultAborted,
    CatapultApiError,
    CatapultError,
    CatapultTransportError,
    outcome_unknown,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import (
    catapult_argument_spec,
    create_client,
    optional_e164,
    phone_number_result,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._numbers import (
    allocate,
    application_sent,
    check_concurrency,
    converge,
    managed_view,
    run_concurrently,
    unknown_application_message,
    unknown_applications,
    update_body,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._search import (
    LOCAL,
    MAX_QUANTITY,
    TOLL_FREE,
    available_result,
    check_quantity,
    NO_MATCH,
    describe,
    match_verdict,
    matches,
    search_query,
    validate,
)

# The first chunk of a search-and-order: local numbers try the old documented cap (5000)
# and learn a smaller one from the refusal; toll-free numbers have a fixed documented cap.
FIRST_ORDER_CHUNK = {LOCAL: MAX_QUANTITY, TOLL_FREE: 10}
FALLBACK_ORDER_CAP = 10
LABEL_ATTEMPTS = 3
LOST_ORDER_ATTEMPTS = 3
# After an order whose outcome is unknown, the account is read again after 0.5 s, 1 s, 2 s ...
# until the order's numbers show or min(timeout, MAX_SETTLE_SECONDS) seconds were waited.
FIRST_SETTLE_WAIT = 0.5
MAX_SETTLE_SECONDS = 10.0

ORDER_REFUSED = 'invalid-available-number-search-order'
QUANTITY_UNAVAILABLE = 'order-number-quantity-unavailable'
NUMBER_NOT_FOUND = 'number-not-found'


def validate_order(kind, params):
    """Check the pool's options and the search criteria. Returns (criteria, labels, errors); nothing is sent before this."""
    errors = []
    name = params['name']
    if name is None or not name.strip():
        errors.append('name must not be empty: it is the label that identifies the pool')
    crit, search_errors = validate(kind, params)
    errors.extend(search_errors)
    check_quantity(params['quantity'], errors)

    application = params.get('application')
    if application is not None and not application.strip():
        errors.append('application must be the name of an application; got %r (to remove the association, set '
                      'application_id to "")' % application)
    labels = {'name': name, 'application_id': params['application_id'],
              'fallback_number': optional_e164(params['fallback_number'], 'fallback_number', errors)}
    check_concurrency(params['concurrency'], errors)
    return crit, labels, errors


def run_pool_module(kind, search_options):
    """The whole module: its arguments (connection, pool, ``search_options``), validation before any request, the run."""
    argument_spec = catapult_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True),
        application=dict(type='str'),
        application_id=dict(type='str'),
        fallback_number=dict(type='str'),
        adopt_unlabelled=dict(type='bool', default=True),
        concurrency=dict(type='int', default=8),
    )
    argument_spec.update(search_options)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[('application', 'application_id')])
    crit, labels, errors = validate_order(kind, module.params)
    if errors:
        module.fail_json(msg='; '.join(errors))
    client = create_client(module, pool_size=module.params['concurrency'])
    by_name = module.params['application']
    if by_name is not None:
        # once, before any write (one listing, in check mode too); the listing shows the ID exists
        try:
            labels['application_id'] = resolve_name(client, by_name)
        except CatapultError as exc:
            why = str(exc).rstrip('.')
            if not isinstance(exc, ApplicationError):
                why = 'listing the applications to find application %r failed: %s' % (by_name, why)
            module.fail_json(msg='%s; nothing was ordered or changed.' % why, error=exc.to_dict(), changed=False)
    engine = PoolEngine(client, kind, crit, labels, module.params['quantity'], check_mode=module.check_mode,
                        concurrency=module.params['concurrency'], adopt_unlabelled=module.params['adopt_unlabelled'],
                        diff=module._diff)
    try:
        result = engine.run(check_application=by_name is None)
    except PoolError as exc:
        for warning in engine.warnings:
            module.warn(warning)
        module.fail_json(msg=str(exc), **exc.result)
    for warning in engine.warnings:
        module.warn(warning)
    module.exit_json(**result)


class PoolError(CatapultError):
    """The pool run stopped; ``result`` holds the module result so far (what was ordered, labelled, left)."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def parse_cap(message):
    """The maximum quantity a refusal names, or ``None``."""
    found = re.findall(r'\d+', message or '')
    return int(found[-1]) if found else None


def _by_number(resource):
    return resource.get('number') or ''


class SharedOrders(object):
    """What the pools of one run share (``account.py`` runs them side by side).

    Orders are sent one at a time (``lock``), each with its read-back when its answer is lost,
    so a pool reading the account back never meets another pool's order in flight; the
    numbers every pool ordered are registered at once (``ordered``), so no pool takes another
    one's numbers for its own lost order while they are being labelled.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.ordered = set()

    def register(self, items):
        with self.lock:
            self.ordered.update(item.get('number') for item in items if item.get('number'))


class PoolEngine(object):
    """One run: count, reconcile, adopt, order in chunks, label, re-count, report."""

    def __init__(self, client, kind, crit, labels, quantity, check_mode=False, concurrency=8, adopt_unlabelled=True,
                 diff=False, shared=None):
        self.client = client
        self.shared = shared or SharedOrders()
        self.kind = kind
        self.crit = crit
        self.labels = labels
        self.name = labels['name']
        self.quantity = quantity
        self.check_mode = check_mode
        self.concurrency = concurrency
        self.adopt_unlabelled = adopt_unlabelled
        self.diff = diff
        self.warnings = []
        self.exclude = frozenset()  # numbers this pool never adopts, finds or previews (claimed elsewhere)
        self.query = search_query(crit)
        self.members = []        # converge results of the pool's numbers, or dicts with 'failed'
        self.before = []
        self.added = []          # records of ordered / adopted numbers
        self.predicted = []      # check mode: search results standing in for the numbers to order
        self.available = None
        self.problems = []
        self.known_ids = set()   # every number ID seen on the account or in an order answer
        self.before_orders = None  # the IDs known before the first order of this run
        self.shortfall = 0
        self.surplus = 0
        self.wrote = False       # a write was sent (or may have been)
        self.lost_orders = 0     # orders whose outcome had to be read back
        self.aborted = None      # the CatapultAborted that stopped the run
        self.recounted = None    # the pool as the account lists it after the writes
        self.taken = []          # numbers this run labelled that carry another name at the re-count
        self.left_behind = []    # unlabelled numbers that appeared after a lost order and no read attributed
        self.settled = False
        self.account = None      # the account as a caller read it (see run)

    # -- building blocks ------------------------------------------------------------------

    def entry_for(self, resource):
        return dict(self.labels, number=resource.get('number'), state='present')

    def label(self, resources, how):
        """Label (or reconcile) numbers with up to LABEL_ATTEMPTS rounds; records every outcome in ``self.added``.

        A :class:`CatapultAborted` (the controller is gone) ends the run at once: no other round,
        no other write.
        """
        records = [{'resource': dict(r, numberState=r.get('numberState') or 'enabled'), 'how': how,
                    'result': None, 'error': None} for r in resources]
        self.added.extend(records)
        pending = list(records)
        for attempt in range(LABEL_ATTEMPTS):
            if not pending:
                break
            if attempt:
                time.sleep(0.5 * 2 ** (attempt - 1))
            self.wrote = self.wrote or not self.check_mode
            outcomes = run_concurrently(self._converge, [rec['resource'] for rec in pending], self.concurrency)
            still = []
            for rec, outcome in zip(pending, outcomes):
                if isinstance(outcome, CatapultError):
                    rec['error'] = outcome
                    still.append(rec)
                else:
                    rec['result'] = outcome
                    rec['error'] = None
            pending = still
            for rec in pending:
                if isinstance(rec['error'], CatapultAborted):
                    self.abort(rec['error'])
        return records

    def _converge(self, resource):
        return converge(self.client, self.entry_for(resource), resource, self.check_mode, read_back=False)

    def list_account(self):
        account = self.client.list_phone_numbers()
        for resource in account:
            if resource.get('id'):
                self.known_ids.add(resource['id'])
        return account

    @staticmethod
    def bare(resource):
        """No name, no application, no fallback number: how search-and-order leaves a number."""
        fields = ('name', 'applicationId', 'application', 'fallbackNumber')
        return not any(resource.get(field) for field in fields)

    def free(self, resource):
        """Bare and not claimed elsewhere (``exclude``, or ordered by another pool of the run)."""
        number = resource.get('number')
        return self.bare(resource) and number not in self.exclude and number not in self.shared.ordered

    def could_be_ours(self, resource):
        """Free and not shown to differ from the search: what this run's own search-and-order could have allocated."""
        return self.free(resource) and match_verdict(self.kind, resource, self.crit) != NO_MATCH

    def adoptable(self, account):
        """Unlabelled, unassigned numbers shown to match the kind and every checkable criterion, oldest first.

        A criterion that cannot be checked on the number (zip, in_local_calling_area, a field the
        resource lacks) means the number is not adopted: never on a guess.
        """
        found = [r for r in account if self.free(r) and matches(self.kind, r, self.crit)]
        return sorted(found, key=lambda r: (r.get('createdTime') or '', _by_number(r)))

    def find_new(self, size, seen):
        """After a lost or refused order: numbers whose IDs are not in ``seen`` (the account before the order),
        bare and not shown to differ from the search, at most ``size``.

        Unlike adoption, a criterion that cannot be checked (zip, in_local_calling_area) does
        not exclude a number here: it was not on the account before this run's own order.
        """
        account = self.list_account()
        new = [r for r in account if r.get('id') and r['id'] not in seen and self.could_be_ours(r)]
        new.sort(key=lambda r: (r.get('createdTime') or '', _by_number(r)))
        return new[:size]

    def with_ids(self, items):
        """Order items without an ID (the answer gave no ``location``) are looked up by number.

        A number that cannot be found is recorded as ordered but not labelled; no request is
        ever sent to a path built from a missing ID.
        """
        missing = [item for item in items if not item.get('id')]
        if not missing:
            return items
        outcomes = run_concurrently(self._lookup, missing, self.concurrency)
        resolved = []
        for item, outcome in zip(missing, outcomes):
            if isinstance(outcome, dict) and outcome.get('id'):
                self.known_ids.add(outcome['id'])
                resolved.append(dict(item, **outcome))
                continue
            if not isinstance(outcome, CatapultError):
                outcome = CatapultError('the order answer gave no location for %s and looking it up by number did '
                                        'not find it' % item.get('number'))
            self.added.append({'resource': dict(item, numberState='enabled'), 'how': 'ordered', 'result': None,
                               'error': outcome})
        return [item for item in items if item.get('id')] + resolved

    def _lookup(self, item):
        if not item.get('number'):
            return None
        return self.client.get_phone_number(item['number'])

    # -- the run ---------------------------------------------------------------------------

    def run(self, members=None, adopt=None, preview=None, exclude=(), account=None, check_application=True):
        """Bring the pool to ``quantity``; returns the result, or raises :class:`PoolError`.

        A caller that already read the account (``account.py``) passes the pool's ``members``,
        the numbers to ``adopt`` (then the pool reads nothing more to find them), in check mode
        the search results to ``preview`` the orders with, the numbers it must never take
        (``exclude``: claimed elsewhere) and the ``account`` it read (so the pool does not
        read it again before ordering); it checks the applications itself.
        """
        self.exclude = frozenset(exclude)
        self.account = account
        if members is None:
            listed = self.read(lambda: self.client.list_phone_numbers(name=self.name), 'listing the pool')
            members = [r for r in listed if r.get('name') == self.name]
        pool = sorted(members, key=_by_number)
        self.before = [managed_view(r.get('number'), r) for r in pool]
        self.shortfall = max(self.quantity - len(pool), 0)
        self.surplus = max(len(pool) - self.quantity, 0)
        if check_application:
            self.check_application(pool)
        self.reconcile(pool)
        if self.shortfall:
            if self.check_mode:
                self.plan(adopt, preview)
            else:
                self.fill(adopt)
        return self.finish()

    def check_application(self, pool):
        """Before the first write (check mode too): the application the task would send must exist."""
        app_id = self.labels['application_id']
        if not app_id:
            return
        if not (self.shortfall or any(application_sent(self.entry_for(r), r) for r in pool)):
            return
        try:
            missing = unknown_applications(self.client, [app_id])
        except CatapultError as exc:
            self.fail('checking application_id %s before any write failed: %s; nothing was ordered or changed'
                      % (app_id, exc), error=exc.to_dict(), changed=False)
        if missing:
            self.fail('%s; nothing was ordered or changed' % unknown_application_message(self.client, app_id),
                      changed=False)

    def reconcile(self, pool):
        if not self.check_mode and any(update_body(self.entry_for(r), r) for r in pool):
            self.wrote = True
        outcomes = run_concurrently(self._converge, pool, self.concurrency)
        for resource, outcome in zip(pool, outcomes):
            if isinstance(outcome, CatapultAborted):
                self.abort(outcome)
            if isinstance(outcome, CatapultError):
                self.problems.append('updating %s (%s) failed: %s' % (resource.get('number'), resource.get('id'), outcome))
                view = managed_view(resource.get('number'), resource)
                self.members.append({'phone_number': phone_number_result(resource), 'after': view, 'changed': False})
            else:
                self.members.append(outcome)

    def plan(self, adopt=None, preview=None):
        """Check mode: what a run would adopt and order, from reads and one search (or what the caller planned)."""
        candidates = adopt or []
        if adopt is None and self.adopt_unlabelled:
            candidates = self.read(self.list_account, 'listing the account')
            candidates = self.adoptable(candidates)[:self.shortfall]
        self.label(candidates, 'adopted')
        to_order = self.shortfall - len(candidates)
        if to_order <= 0:
            return
        if preview is not None:
            found = preview
        else:
            params = dict(self.query, quantity=min(to_order, MAX_QUANTITY))
            found = self.read(lambda: self.client.search_available(self.kind, params), 'searching available numbers')
        self.available = [available_result(item) for item in found]
        self.predicted = [self._converge(dict(item, numberState='enabled')) for item in found[:to_order]]
        if len(found) < to_order:
            self.fail('the pool %s holds %d of %d numbers and would need %d more, but a search for %s found only %d '
                      'available' % (self.name, len(self.members), self.quantity, to_order, describe(self.crit), len(found)))

    def read(self, func, what):
        try:
            return func()
        except CatapultError as exc:
            self.fail('%s failed: %s' % (what, exc), error=exc.to_dict())

    def fill(self, adopt=None):
        """Adopt what an earlier run left unlabelled, then order the rest in chunks the server accepts."""
        account = self.account
        if account is None:
            account = self.read(self.list_account, 'listing the account before ordering')
        else:
            self.known_ids.update(r['id'] for r in account if r.get('id'))
        remaining = self.shortfall
        candidates = adopt
        if candidates is None:
            candidates = self.adoptable(account)[:remaining] if self.adopt_unlabelled else []
        if candidates:
            self.label(candidates, 'adopted')
            remaining -= len(candidates)
        self.before_orders = set(self.known_ids)
        if self.kind == TOLL_FREE and self.crit.get('pattern'):
            with self.shared.lock:  # a search, then orders of what it found: no other pool's order in between
                self.order_found(remaining)
            return
        cap = FIRST_ORDER_CHUNK[self.kind]
        lost = 0
        while remaining > 0:
            size = min(cap, remaining)
            # one order at a time across the pools of a run, each with its read-back (see SharedOrders)
            with self.shared.lock:
                seen = set(self.known_ids)
                self.wrote = True
                try:
                    items = self.client.order_available(self.kind, dict(self.query, quantity=size))
                except CatapultAborted as exc:
                    self.abort(exc)
                except CatapultError as exc:
                    new_cap = self.refused(exc, size)
                    if new_cap:
                        cap = new_cap
                        continue
                    before = remaining
                    remaining = self.recover(exc, size, remaining, seen)
                    lost = lost + 1 if remaining == before else 0
                    if lost >= LOST_ORDER_ATTEMPTS:
                        self.fail('the answer to the order was lost %d times and each time reads of the account showed '
                                  'nothing new; last error: %s' % (lost, exc), error=exc.to_dict())
                    continue
                lost = 0
                if not items:
                    remaining = self.recover(None, size, remaining, seen)
                    continue
                self.shared.register(items)
            for item in items:
                if item.get('id'):
                    self.known_ids.add(item['id'])
            self.label(self.with_ids(items), 'ordered')
            remaining -= len(items)

    def order_found(self, remaining):
        """Toll-free numbers with a pattern: search-and-order takes no pattern, so search, then order each number found.

        Each number is ordered with ``POST /users/{userId}/phoneNumbers`` carrying the label, so it
        is never unlabelled; a lost answer is read back before anything is sent again. A number
        another customer took between the search and the order (404) is replaced by a new search.
        """
        tried = set()
        barren = 0
        while remaining > 0:
            quantity = min(remaining + len(tried), MAX_QUANTITY)
            found = self.read(lambda: self.client.search_available(self.kind, dict(self.query, quantity=quantity)),
                              'searching available numbers')
            found = [item for item in found if item.get('number') and item['number'] not in tried][:remaining]
            if len(found) < remaining:
                self.fail('not enough numbers available: the pool %s needs %d more numbers matching %s and a search '
                          'found only %d; nothing more was ordered. The pool holds %d of %d numbers.'
                          % (self.name, remaining, describe(self.crit), len(found), self.pool_size(), self.quantity))
            self.wrote = True
            outcomes = run_concurrently(self._order_one, found, self.concurrency)
            before = remaining
            failures = []
            aborted = None
            for item, outcome in zip(found, outcomes):
                tried.add(item['number'])
                if isinstance(outcome, CatapultApiError) and outcome.status == 404 and outcome.code == NUMBER_NOT_FOUND:
                    continue
                if isinstance(outcome, CatapultAborted):
                    aborted = outcome
                    continue
                if isinstance(outcome, CatapultError):
                    failures.append('%s: %s' % (item['number'], outcome))
                    continue
                self.added.append({'resource': outcome.pop('resource'), 'how': 'ordered', 'result': outcome, 'error': None})
                remaining -= 1
            if aborted is not None:
                self.abort(aborted)
            if failures:
                self.fail('ordering %d of the numbers found failed: %s. A number such an order allocated carries the name '
                          '%s, so a rerun counts it and orders nothing twice.' % (len(failures), '; '.join(failures), self.name))
            barren = barren + 1 if remaining == before else 0
            if barren >= LOST_ORDER_ATTEMPTS:
                self.fail('%d searches in a row found only numbers that were taken before they could be ordered; '
                          'the pool %s holds %d of %d numbers.' % (barren, self.name, self.pool_size(), self.quantity))

    def _order_one(self, item):
        """Order one found number with its labels; returns a converge result with the resource under ``resource``."""
        entry = self.entry_for(item)
        resource = allocate(self.client, entry, read_back=False)
        resource = dict(item, **resource)  # the search result's national number and price where the answer has none
        if resource.get('id'):
            self.known_ids.add(resource['id'])
        result = self._converge(resource)
        result.update(action='allocate', changed=True, before=managed_view(entry['number'], None))
        result['resource'] = resource
        return result

    def refused(self, exc, size):
        """A 400 about the order itself: fail naming pattern, or return the smaller chunk size to use."""
        if not (isinstance(exc, CatapultApiError) and exc.status == 400):
            return None
        message = exc.api_message or ''
        if self.crit['pattern'] and 'pattern' in message.lower():
            self.fail('pattern: the server does not accept pattern when ordering (search-and-order), so nothing was '
                      'ordered by that request. Remove pattern, or order specific numbers found by a search with '
                      'bandwidth.catapult.catapult_phone_number. %s' % exc, error=exc.to_dict())
        if exc.code != ORDER_REFUSED or not re.search(r'maxim|quantity', message, re.I):
            return None
        new_cap = parse_cap(message)
        if new_cap is None or new_cap < 1 or new_cap >= size:
            new_cap = FALLBACK_ORDER_CAP if size > FALLBACK_ORDER_CAP else None
        if new_cap is None:
            self.fail('the server refused to order %d numbers at once and named no smaller maximum: %s'
                      % (size, exc), error=exc.to_dict())
        return new_cap

    def settle(self, size, seen, budget):
        """Read the account until ``size`` new numbers show, waiting 0.5 s, 1 s, 2 s ... between reads,
        at most ``budget`` seconds in all: a listing may lag behind a write.

        Returns the new numbers found by the last read and the seconds waited.
        """
        waited = 0.0
        wait = FIRST_SETTLE_WAIT
        while True:
            found = self.find_new(size, seen)
            if len(found) >= size or waited >= budget:
                return found, waited
            gone = self.controller_gone()
            if gone:  # waiting for the account is pointless when no write may follow
                self.abort(CatapultAborted('GET', self.client.user_path('phoneNumbers'), gone))
            step = min(wait, budget - waited)
            time.sleep(step)
            waited += step
            wait *= 2

    def recover(self, exc, size, remaining, seen):
        """A lost answer, a 201 without numbers or a refusal for quantity: read the account (letting it settle),
        label what the order allocated.

        ``exc`` is ``None`` for a 201 that listed no numbers: the order's outcome is unknown too.
        """
        partial = isinstance(exc, CatapultApiError) and exc.status == 404 and exc.code == QUANTITY_UNAVAILABLE
        if exc is not None and not (partial or outcome_unknown(exc)):
            self.fail(str(exc), error=exc.to_dict())
        error = exc.to_dict() if exc is not None else None
        why = str(exc) if exc is not None else 'HTTP 201 listing no numbers'
        self.lost_orders += 1
        timed_out = isinstance(exc, CatapultTransportError) and 'timeout' in (exc.reason or '')
        # A refusal for quantity is an answer: one read finds what a partial fulfilment kept.
        budget = 0.0 if partial else min(self.client.timeout, MAX_SETTLE_SECONDS)
        try:
            found, waited = self.settle(size, seen, budget)
        except PoolError:
            raise
        except CatapultError as read_exc:
            self.fail('the answer to an order of %d numbers was lost (%s) and reading the account back failed (%s); '
                      'nothing was ordered again. Numbers that order allocated have no name; a rerun adopts those it '
                      'can show match the search (adopt_unlabelled).' % (size, why, read_exc), error=read_exc.to_dict())
        if found:
            self.shared.register(found)
            self.label(found, 'ordered')
        if partial:
            got = len(found)
            if got:
                self.fail('not enough numbers available: asked for %d numbers matching %s and the server could only '
                          'fulfil %d (%s); it kept them and they are labelled %s. The pool holds %d of %d numbers.'
                          % (size, describe(self.crit), got, QUANTITY_UNAVAILABLE, self.name,
                             self.pool_size(), self.quantity), error=error)
            self.fail('not enough numbers available: asked for %d numbers matching %s and the server answered %s; '
                      'none were ordered (the account was read back to check). The pool holds %d of %d numbers.'
                      % (size, describe(self.crit), QUANTITY_UNAVAILABLE, self.pool_size(), self.quantity),
                      error=error)
        if timed_out and len(found) < size:
            self.fail('the order of %d numbers timed out and reads of the account over %gs found %d new '
                      'numbers; the server may still be working on it, so nothing was ordered again. Rerun the task '
                      'later: numbers that order allocated have no name, and the rerun adopts those it can show '
                      'match the search (adopt_unlabelled).'
                      % (size, waited, len(found)), error=error)
        if exc is None and not found:
            self.fail('the server answered the order of %d numbers with HTTP 201 but listed no numbers, and reads of '
                      'the account over %gs found no new number; nothing was ordered again.' % (size, waited))
        return remaining - len(found)

    def controller_gone(self):
        """Why the controller that started the task is gone, or ``None`` (see the client's ``controller_gone``)."""
        watch = getattr(self.client, 'controller_gone', None)
        return watch() if watch is not None else None

    def abort(self, exc):
        """The controller is gone: stop before the next write and say what this run ordered."""
        self.aborted = exc
        msg = 'stopped: %s; no further request that changes the account was sent.' % exc
        if self.lost_orders:
            msg += (' The answer to an order of this run was lost: the numbers it may have allocated have no name; a '
                    'rerun adopts those it can show match the search.')
        self.fail(msg, error=exc.to_dict())

    # -- after the writes ------------------------------------------------------------------

    def recount(self):
        """After any write: what the account holds. One listing of the pool by name (of the whole account when an
        order's answer was lost, to find the unlabelled numbers it left); the numbers this run labelled that the
        listing does not show (a listing may lag) are read one by one. Sets ``recounted``, ``taken``,
        ``left_behind``; a failed read is added to ``problems``.
        """
        if self.settled or self.check_mode or not self.wrote or self.aborted is not None:
            return
        self.settled = True
        whole = self.lost_orders > 0
        try:
            listed = self.client.list_phone_numbers() if whole else self.client.list_phone_numbers(name=self.name)
        except CatapultError as exc:
            self.problems.append('re-counting the pool %s after the task failed: %s' % (self.name, exc))
            return
        pool = dict((r.get('id'), r) for r in listed if r.get('name') == self.name and r.get('number') not in self.exclude)
        ours = [m['phone_number'] for m in self.members if m.get('phone_number')]
        ours += [phone_number_result(rec['resource']) for rec in self.added if rec['result'] is not None]
        unseen = [p for p in ours if p.get('id') and p['id'] not in pool]
        outcomes = run_concurrently(lambda p: self.client.get_phone_number(p['id']), unseen, self.concurrency)
        for view, outcome in zip(unseen, outcomes):
            if isinstance(outcome, CatapultError):
                self.problems.append('re-reading %s (%s) failed: %s' % (view['number'], view['id'], outcome))
                continue
            if outcome is not None and outcome.get('name') == self.name:
                pool[view['id']] = outcome
            else:
                now = 'released' if outcome is None else 'named %r' % (outcome.get('name') or '')
                self.taken.append('%s (%s, now %s)' % (view['number'], view['id'], now))
        self.recounted = sorted(pool.values(), key=_by_number)
        self.surplus = max(len(self.recounted) - self.quantity, 0)
        if whole and self.before_orders is not None:
            added_ids = set(rec['resource'].get('id') for rec in self.added)
            unknown = [r for r in listed if r.get('id') and r['id'] not in self.before_orders]
            self.left_behind = sorted((r for r in unknown if r['id'] not in added_ids and self.could_be_ours(r)),
                                      key=_by_number)

    # -- results ---------------------------------------------------------------------------

    def pool_size(self):
        return len(self.members) + sum(1 for rec in self.added if rec['result'] is not None)

    def unlabelled(self):
        found = [{'id': rec['resource'].get('id'), 'number': rec['resource'].get('number'), 'error': str(rec['error'])}
                 for rec in self.added if rec['result'] is None]
        found += [{'id': r.get('id'), 'number': r.get('number'),
                   'error': 'appeared on the account after an order of this run whose answer was lost, and was not '
                            'visible when the account was read back; it has no name'} for r in self.left_behind]
        return found

    def output(self):
        added = [rec for rec in self.added if rec['result'] is not None]
        if self.recounted is not None:
            pool = [phone_number_result(r) for r in self.recounted]
        else:
            pool = [m['phone_number'] for m in self.members] + [rec['result']['phone_number'] for rec in added]

        def snake(rec):
            if rec['result'] is not None:
                return rec['result']['phone_number']
            return phone_number_result(rec['resource'])

        result = {
            'changed': any(m.get('changed') for m in self.members) or bool(self.added) or bool(self.left_behind),
            'shortfall': self.shortfall,
            'ordered': [snake(rec) for rec in self.added if rec['how'] == 'ordered'],
            'adopted': [snake(rec) for rec in self.added if rec['how'] == 'adopted'],
            'phone_numbers': sorted(pool, key=_by_number),
        }
        if self.check_mode and self.shortfall:
            result['changed'] = True
        if self.available is not None:
            result['available'] = self.available
        if self.surplus:
            result['surplus'] = self.surplus
        if self.diff:
            if self.recounted is not None:
                after = [managed_view(r.get('number'), r) for r in self.recounted]
            else:
                after = [m['after'] for m in self.members] + [rec['result']['after'] for rec in added]
                after += [predicted['after'] for predicted in self.predicted]
            result['diff'] = {
                'before': {'name': self.name, 'phone_numbers': self.before},
                'after': {'name': self.name, 'phone_numbers': sorted(after, key=_by_number)},
            }
        return result

    def fail(self, msg, **extra):
        self.recount()
        msg = msg.rstrip()
        if not msg.endswith('.'):
            msg += '.'  # sentences follow
        output = self.output()
        unlabelled = self.unlabelled()
        if unlabelled:
            output['unlabelled'] = unlabelled
        if self.added:
            msg += ' %s' % self.inventory()
        if self.left_behind:
            msg += ' %s' % self.left_behind_text()
        if self.taken:
            msg += ' Numbers this run labelled that no longer carry the name %s: %s.' % (self.name, ', '.join(self.taken))
        if self.problems:
            msg += ' Also: %s' % '; '.join(self.problems)
        if self.recounted is not None:
            msg += ' After the task the pool %s holds %d numbers.' % (self.name, len(self.recounted))
        output.update(extra)
        raise PoolError(msg, output)

    def inventory(self):
        """Every number this run ordered or adopted, with its ID and whether it is labelled."""
        parts = []
        for rec in self.added:
            parts.append('%s (%s, %s, %s)' % (rec['resource'].get('number'), rec['resource'].get('id'), rec['how'],
                                              'labelled' if rec['result'] is not None else 'NOT labelled'))
        text = 'Numbers this run ordered or adopted: %s.' % ', '.join(parts)
        if any(rec['result'] is None for rec in self.added):
            text += (' The unlabelled ones have no name, application or fallback number; a rerun with '
                     'adopt_unlabelled=true (the default) labels those it can show match the search before ordering '
                     'anything.')
        return text

    def left_behind_text(self):
        parts = ['%s (%s)' % (r.get('number'), r.get('id')) for r in self.left_behind]
        return ('Unlabelled numbers that appeared on the account after an order of this run whose answer was lost, '
                'and were not visible when it was read back: %s. Nothing was released. They have no name; a rerun adopts '
                'those it can show match the search while the pool lacks numbers (adopt_unlabelled); label or release '
                'the others with bandwidth.catapult.catapult_phone_number.' % ', '.join(parts))

    def verify_unlabelled(self):
        """Labelling answered with errors: read the account once, since a failed answer may hide an applied update."""
        pending = [rec for rec in self.added if rec['result'] is None]
        if not pending or self.check_mode:
            return
        try:
            account = self.client.list_phone_numbers()
        except CatapultError:
            return
        by_id = dict((r.get('id'), r) for r in account if r.get('id'))
        by_number = dict((r.get('number'), r) for r in account if r.get('number'))
        for rec in pending:
            current = by_id.get(rec['resource'].get('id')) or by_number.get(rec['resource'].get('number'))
            if current is not None and not update_body(self.entry_for(current), current):
                rec['resource'] = dict(rec['resource'], **current)
                rec['result'] = converge(self.client, self.entry_for(current), current, True, read_back=False)
                rec['result']['changed'] = True
                rec['error'] = None

    def finish(self):
        self.verify_unlabelled()
        self.recount()
        unlabelled = [rec for rec in self.added if rec['result'] is None]
        if unlabelled:
            self.fail('ordered numbers but could not label %d of them after %d attempts each: %s.'
                      % (len(unlabelled), LABEL_ATTEMPTS,
                         '; '.join('%s (%s): %s' % (rec['resource'].get('number'), rec['resource'].get('id'), rec['error'])
                                   for rec in unlabelled)))
        if self.left_behind:
            self.fail('this run left %d unlabelled numbers on the account.' % len(self.left_behind))
        if self.problems:
            self.fail('; '.join(self.problems))
        if self.recounted is not None and len(self.recounted) < self.quantity:
            self.fail('after the task the pool %s holds %d of %d numbers: another task or person changed or released '
                      'numbers of the pool while this one ran; nothing was released. A rerun orders the rest.'
                      % (self.name, len(self.recounted), self.quantity))
        output = self.output()
        if self.surplus:
            held = len(self.recounted) if self.recounted is not None else self.quantity + self.surplus
            output['msg'] = ('The pool %s holds %d numbers, %d more than quantity %d; nothing was released.'
                             % (self.name, held, self.surplus, self.quantity))
            if self.recounted is not None:
                output['msg'] += ' Another run of this pool, or of one with overlapping search options, may have ordered at the same time.'
            self.warnings.append(output['msg'])
        return output
