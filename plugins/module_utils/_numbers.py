# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one idempotency algorithm for phone numbers: read, normalise, compare only what
the task sets, write only the delta (never in check mode), and report the resource and a
field-level diff. Shared by every module that allocates, labels or releases numbers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import (
    CatapultAborted,
    CatapultApiError,
    CatapultError,
    outcome_unknown,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import (
    application_id_of,
    e164_error,
    normalize_e164,
    optional_e164,
    phone_number_result,
)

# The options of one desired number: catapult_phone_number's, and those of each entry of
# catapult_phone_numbers' numbers.
ENTRY_OPTIONS = dict(
    number=dict(type='str', required=True),
    name=dict(type='str'),
    application_id=dict(type='str'),
    fallback_number=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)

# (module option, API field) of every field a task may manage on a number.
MANAGED_FIELDS = (('name', 'name'), ('application_id', 'applicationId'), ('fallback_number', 'fallbackNumber'))
ALLOCATE_ATTEMPTS = 3
MAX_CONCURRENCY = 64


def validate_entry(entry, prefix=''):
    """Normalise one desired number in place; return the list of problems (empty when valid).

    ``prefix`` goes before the option names in messages, e.g. ``numbers[3].``.
    """
    errors = []
    number = normalize_e164(entry.get('number'))
    if number is None:
        errors.append(e164_error(prefix + 'number', entry.get('number')))
    entry['number'] = number
    entry['fallback_number'] = optional_e164(entry.get('fallback_number'), prefix + 'fallback_number', errors)
    entry.setdefault('state', 'present')
    return errors


def check_concurrency(concurrency, errors):
    """Append the problem with a ``concurrency`` option to ``errors``, if any."""
    if concurrency < 1 or concurrency > MAX_CONCURRENCY:
        errors.append('concurrency must be between 1 and %d; got %d' % (MAX_CONCURRENCY, concurrency))


def current_value(resource, field):
    """The server's value of a managed field, normalised; ``''`` when unset."""
    if field == 'application_id':
        return application_id_of(resource) or ''
    if field == 'fallback_number':
        value = resource.get('fallbackNumber')
        return (normalize_e164(value) or value) if value else ''
    return resource.get(field) or ''


def managed_view(number, resource):
    """What ``--diff`` shows for one number."""
    view = {'number': number, 'state': 'absent' if resource is None else 'present'}
    if resource is not None:
        for option, dummy in MANAGED_FIELDS:
            view[option] = current_value(resource, option)
    return view


def update_body(entry, resource):
    """API fields to send so the number matches the task: only those set and different."""
    body = {}
    for option, api_field in MANAGED_FIELDS:
        wanted = entry.get(option)
        if wanted is not None and wanted != current_value(resource, option):
            body[api_field] = wanted
    return body


def apply_body(resource, body):
    """The resource as it is after ``body`` was applied (for check mode and bulk results)."""
    merged = dict(resource)
    for key, value in body.items():
        if key == 'applicationId':
            merged.pop('application', None)
        if value == '':
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def application_sent(entry, current):
    """The application ID a converge of ``entry`` from ``current`` would send, or ``None``."""
    if entry.get('state') == 'absent' or not entry.get('application_id'):
        return None
    if current is None or 'applicationId' in update_body(entry, current):
        return entry['application_id']
    return None


def unknown_applications(client, app_ids):
    """The IDs among ``app_ids`` that do not exist on the account; each distinct ID is read once.

    ``GET /users/{userId}/applications/{id}``; any answer but the 404 ``application-not-found``
    raises, so an unknown application is never guessed from a broken answer.
    """
    missing = []
    seen = set()
    for app_id in app_ids:
        if not app_id or app_id in seen:
            continue
        seen.add(app_id)
        if client.get_application(app_id) is None:
            missing.append(app_id)
    return missing


def unknown_application_message(client, app_id, where=''):
    """``application_id a-x does not exist on account u-y (GET ... answered 404 application-not-found)``."""
    return ('%sapplication_id %s does not exist on account %s (GET %s answered 404 application-not-found)'
            % (where, app_id, client.user_id, client.user_path('applications', app_id)))


def _allocation_body(entry):
    body = {'number': entry['number']}
    for option, api_field in MANAGED_FIELDS:
        if entry.get(option):  # '' means "none": nothing to send when creating
            body[api_field] = entry[option]
    return body


def allocate(client, entry, read_back=True):
    """POST the number; a lost or ambiguous answer is resolved by reading it back.

    Returns the resource. One found on the account after a lost answer or a 409 may still
    differ from the task, so the caller compares it as usual. The POST is sent again only
    after a read showed the number is not on the account.
    """
    body = _allocation_body(entry)
    last_error = None
    for dummy in range(ALLOCATE_ATTEMPTS):
        try:
            new_id = client.allocate_phone_number(body)
        except CatapultError as exc:
            duplicate = isinstance(exc, CatapultApiError) and exc.status == 409
            if not (duplicate or outcome_unknown(exc)):
                raise
            last_error = exc
            found = client.get_phone_number(entry['number'])
            if found is not None:
                return found
            continue
        if read_back or not new_id:  # no usable Location: the number is looked up by itself, never by a missing ID
            found = client.get_phone_number(new_id or entry['number'])
            if found is not None:
                return found
        predicted = dict(body, id=new_id, numberState='enabled')
        return predicted
    raise CatapultError('%s was not on the account after %d allocation attempts; last error: %s'
                        % (entry['number'], ALLOCATE_ATTEMPTS, last_error), last_error.method, last_error.path)


def converge(client, entry, current, check_mode, read_back=True):
    """Bring one number to ``entry`` from its ``current`` resource (``None`` = not on the account).

    Returns a result dict: number, action (allocate/update/release/none), changed,
    phone_number (snake_case, predicted in check mode), before and after views.
    """
    number = entry['number']
    result = {'number': number, 'action': 'none', 'changed': False, 'before': managed_view(number, current)}
    resource = current
    if entry['state'] == 'absent':
        if current is not None:
            result.update(action='release', changed=True)
            if not check_mode:
                if not current.get('id'):
                    raise CatapultError('%s has no ID on the account, so it was not released (no request was sent)'
                                        % number)
                # A 404 here still means this task took the number off the account: most
                # likely its own DELETE was applied and the answer lost, then retried.
                client.release_phone_number(current['id'])
            resource = dict(current, numberState='released')
        result['after'] = managed_view(number, None)
        result['phone_number'] = phone_number_result(resource)
        return result
    if current is None:
        result.update(action='allocate', changed=True)
        if check_mode:
            resource = dict(_allocation_body(entry), numberState='enabled')
        else:
            resource = allocate(client, entry, read_back)
    body = update_body(entry, resource)
    if body:
        if result['action'] == 'none':
            result['action'] = 'update'
        result['changed'] = True
        if not check_mode:
            if not resource.get('id'):
                raise CatapultError('the ID of %s is unknown, so it was not updated (no request was sent)' % number)
            client.update_phone_number(resource['id'], body)
        resource = apply_body(resource, body)
    result['after'] = managed_view(number, resource)
    result['phone_number'] = phone_number_result(resource)
    return result


def run_concurrently(func, items, concurrency):
    """``func(item)`` for every item on at most ``concurrency`` threads, results in order.

    An exception in one item never stops the others: its slot holds the exception. The one
    exception is :class:`CatapultAborted` (the controller is gone): once an item raised it,
    no other item starts, and their slots hold that same exception.
    """
    aborted = []

    def guarded(item):
        if aborted:
            return aborted[0]
        try:
            return func(item)
        except CatapultAborted as exc:
            aborted.append(exc)
            return exc
        except CatapultError as exc:
            return exc

    if concurrency <= 1 or len(items) <= 1:
        return [guarded(item) for item in items]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(guarded, items))
