# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one idempotency algorithm for Catapult applications: find one by ID or by name (a name
that matches several is an error, never a guess), compare only what the task sets, write only
the delta (never in check mode), refuse to delete an application that numbers still point at
unless told to, and resolve a lost answer to a create by reading the applications back by
name, never by creating a second one. Plain code: it takes a client and returns results or
raises :class:`~ansible_collections.bandwidth.catapult.plugins.module_utils._client.CatapultError`."""

from __future__ import annotations

import re
import time

from urllib.parse import urlsplit

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import (
    CatapultError,
    CatapultTransportError,
    outcome_unknown,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import application_id_of

# (module option, API field) of every documented field, in the documented order.
FIELDS = (
    ('name', 'name'),
    ('incoming_call_url', 'incomingCallUrl'),
    ('incoming_call_url_callback_timeout', 'incomingCallUrlCallbackTimeout'),
    ('incoming_call_fallback_url', 'incomingCallFallbackUrl'),
    ('incoming_message_url', 'incomingMessageUrl'),
    ('incoming_message_url_callback_timeout', 'incomingMessageUrlCallbackTimeout'),
    ('incoming_message_fallback_url', 'incomingMessageFallbackUrl'),
    ('callback_http_method', 'callbackHttpMethod'),
    ('auto_answer', 'autoAnswer'),
)
OPTIONS = tuple(option for option, dummy in FIELDS)
API_FIELDS = dict(FIELDS)
URL_OPTIONS = ('incoming_call_url', 'incoming_call_fallback_url', 'incoming_message_url', 'incoming_message_fallback_url')
INCOMING_URL_OPTIONS = ('incoming_call_url', 'incoming_message_url')
TIMEOUT_OPTIONS = ('incoming_call_url_callback_timeout', 'incoming_message_url_callback_timeout')
TIMEOUT_MIN = 1
TIMEOUT_MAX = 10000
METHODS = ('get', 'post')
# What Catapult uses for a field that is not set (documented); a resource without the field
# is read as this value, so a task that sets it is not a change.
DEFAULTS = {
    'incoming_call_url_callback_timeout': TIMEOUT_MAX,
    'incoming_message_url_callback_timeout': TIMEOUT_MAX,
    'callback_http_method': 'post',
    'auto_answer': True,
}
CREATE_ATTEMPTS = 3
# After a create that timed out, the applications are listed again after 0.5 s, 1 s, 2 s ...
# until the name shows or min(timeout, MAX_SETTLE_SECONDS) seconds were waited: the server
# may still be working on it, and a second POST would make a second application.
FIRST_SETTLE_WAIT = 0.5
MAX_SETTLE_SECONDS = 10.0
IN_USE_SHOWN = 10
URL_EXAMPLE = 'https://callbacks.example.com/catapult/calls'


class ApplicationError(CatapultError):
    """A problem this code found itself: an ambiguous name, an application in use, a missing one.

    ``details`` are returned next to ``msg`` (e.g. ``application_ids``, ``numbers_in_use``).
    """

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details

    def to_dict(self):
        result = super().to_dict()
        result.update(self.details)
        return result


def argument_spec():
    """The options of one application for an AnsibleModule: snake_case, the API's camelCase names as aliases."""
    spec = {'name': dict(type='str')}
    for option, api_field in FIELDS[1:]:
        kind = 'int' if option in TIMEOUT_OPTIONS else ('bool' if option == 'auto_answer' else 'str')
        spec[option] = dict(type=kind, aliases=[api_field])
    spec['callback_http_method']['choices'] = list(METHODS)
    return spec


# -- validation ----------------------------------------------------------------------

def url_problem(value):
    """Why ``value`` is not an absolute http(s) URL, or ``None``."""
    if re.search(r'\s', value):
        return 'it contains blanks'
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return 'it does not parse (%s)' % exc
    if parts.scheme.lower() not in ('http', 'https'):
        return 'it must start with http:// or https://'
    if not parts.hostname:
        return 'it has no host'
    if port == 0:
        return 'port 0 is not a port'
    return None


def _timeout(value):
    """A timeout as an int, or ``None`` when it is not a whole number (digit strings are accepted)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^\s*[0-9]+\s*$', value):
        return int(value)
    return None


def validate(entry, prefix='', creatable=True):
    """Normalise one desired application in place; return the list of problems (empty when valid).

    ``prefix`` goes before the option names in messages, e.g. ``applications[2].``.
    ``creatable``: the task identifies the application by name, so it may have to create it,
    and with ``state: present`` it must then carry what a create needs: one of the two
    incoming URLs. (A task that gives the ID only updates.) Nothing here sends a request.
    """
    errors = []
    entry.setdefault('state', 'present')
    name = entry.get('name')
    if name is not None and not str(name).strip():
        errors.append('%sname must not be empty' % prefix)
    for option in URL_OPTIONS:
        value = entry.get(option)
        if value is None or value == '':
            continue
        value = str(value).strip()
        problem = url_problem(value)
        if problem:
            errors.append('%s%s must be an absolute http or https URL such as %s (%s); got %r'
                          % (prefix, option, URL_EXAMPLE, problem, entry.get(option)))
        entry[option] = value
    for option in TIMEOUT_OPTIONS:
        value = entry.get(option)
        if value is None:
            continue
        number = _timeout(value)
        if number is None or not TIMEOUT_MIN <= number <= TIMEOUT_MAX:
            errors.append('%s%s must be a whole number of milliseconds from %d to %d (Catapult\'s default and maximum '
                          'is %d); got %r' % (prefix, option, TIMEOUT_MIN, TIMEOUT_MAX, TIMEOUT_MAX, value))
        else:
            entry[option] = number
    method = entry.get('callback_http_method')
    if method is not None:
        if str(method).lower() not in METHODS:
            errors.append('%scallback_http_method must be one of %s; got %r' % (prefix, ', '.join(METHODS), method))
        else:
            entry['callback_http_method'] = str(method).lower()
    if entry.get('auto_answer') is not None and not isinstance(entry['auto_answer'], bool):
        errors.append('%sauto_answer must be true or false; got %r' % (prefix, entry['auto_answer']))
    if all(entry.get(option) == '' for option in INCOMING_URL_OPTIONS):
        errors.append('%sincoming_call_url and %sincoming_message_url cannot both be removed: an application needs one '
                      'of them' % (prefix, prefix))
    elif entry['state'] == 'present' and creatable and not any(entry.get(option) for option in INCOMING_URL_OPTIONS):
        errors.append('%sincoming_call_url or %sincoming_message_url is required: the application is identified by its '
                      'name, so it is created when the account has none of that name, and Catapult needs one of the two '
                      'to create it' % (prefix, prefix))
    return errors


# -- reading and comparing ------------------------------------------------------------

def application_result(resource):
    """The snake_case view of an application resource that modules return (``None`` stays ``None``)."""
    if resource is None:
        return None
    result = {'id': resource.get('id')}
    for option, api_field in FIELDS:
        result[option] = resource.get(api_field)
    return result


def role_item(result):
    """One entry of the role variable ``catapult_applications``: the options the application has, no ID."""
    return dict((option, result[option]) for option in OPTIONS if result.get(option) not in (None, ''))


def current_value(resource, option):
    """The server's value of an option, normalised; a missing field reads as its documented default, else ``''``."""
    value = resource.get(API_FIELDS[option])
    if value is None or value == '':
        return DEFAULTS.get(option, '')
    if option == 'callback_http_method':
        return str(value).lower()
    if option == 'auto_answer':
        return value if isinstance(value, bool) else str(value).lower() == 'true'
    if option in TIMEOUT_OPTIONS:
        number = _timeout(value)
        return value if number is None else number
    return value


def managed_view(entry, resource):
    """What ``--diff`` shows for one application: its state and, when present, every option."""
    if resource is None:
        view = {'state': 'absent'}
        if entry.get('name'):
            view['name'] = entry['name']
        return view
    view = {'state': 'present'}
    for option in OPTIONS:
        view[option] = current_value(resource, option)
    return view


def named(applications, name):
    """The applications that have exactly this name."""
    return [app for app in applications if app.get('name') == name]


def ambiguous_name_error(client, name, matches):
    ids = [app.get('id') for app in matches]
    return ApplicationError(
        'name %r matches %d applications on account %s (%s), so it does not say which one is meant; set id to choose '
        'one, or rename or delete the others. Nothing was changed' % (name, len(matches), client.user_id, ', '.join(ids)),
        application_ids=ids)


def find(client, app_id=None, name=None):
    """The application with this ID (one GET) or this name (one paginated listing), or ``None``.

    A name that matches more than one application raises :class:`ApplicationError` listing their IDs.
    """
    if app_id:
        return client.get_application(app_id)
    matches = named(client.list_applications(), name)
    if len(matches) > 1:
        raise ambiguous_name_error(client, name, matches)
    return matches[0] if matches else None


def resolve_name(client, name, option='application'):
    """The ID of the one application named ``name`` (one paginated listing), for a task that names its application.

    Raises :class:`ApplicationError` when no application has that name, or several have it (listing their IDs):
    never a guess. ``option`` is the task's option in messages.
    """
    matches = named(client.list_applications(), name)
    if not matches:
        raise ApplicationError("%s %r: no application of that name on account %s (GET %s lists the account's "
                               'applications; names match exactly). Create it first, for example with '
                               'bandwidth.catapult.catapult_application'
                               % (option, name, client.user_id, client.user_path('applications')))
    if len(matches) > 1:
        ids = [app.get('id') for app in matches]
        raise ApplicationError('%s %r matches %d applications on account %s (%s), so it does not say which one is '
                               'meant; set application_id to choose one, or rename or delete the others'
                               % (option, name, len(matches), client.user_id, ', '.join(str(i) for i in ids)),
                               application_ids=ids)
    return matches[0].get('id')


def create_body(entry):
    """API fields of a create: the name and every option the task sets (``''`` means none: not sent)."""
    return dict((API_FIELDS[option], entry[option]) for option in OPTIONS if entry.get(option) not in (None, ''))


def update_body(entry, resource):
    """API fields to send so the application matches the task: only those set and different."""
    body = {}
    for option in OPTIONS:
        wanted = entry.get(option)
        if wanted is not None and wanted != current_value(resource, option):
            body[API_FIELDS[option]] = wanted
    return body


def apply_body(resource, body):
    """The resource as it is after ``body`` was applied (``''`` removes a field)."""
    merged = dict(resource)
    for key, value in body.items():
        if value == '':
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def describe(resource):
    return '%s (%s)' % (resource.get('id'), resource.get('name')) if resource.get('name') else str(resource.get('id'))


# -- writing --------------------------------------------------------------------------

def timed_out(exc):
    """Whether ``exc`` is a request that was sent and got no answer within the timeout."""
    return isinstance(exc, CatapultTransportError) and exc.sent and 'timeout' in (exc.reason or '')


def settle(client, name):
    """After a create that timed out: list the applications until one named ``name`` shows, waiting
    0.5 s, 1 s, 2 s ... between listings, at most min(timeout, MAX_SETTLE_SECONDS) seconds in all.

    Returns ``(resource or None, seconds waited)``.
    """
    budget = min(float(getattr(client, 'timeout', MAX_SETTLE_SECONDS) or 0), MAX_SETTLE_SECONDS)
    waited, wait = 0.0, FIRST_SETTLE_WAIT
    while True:
        found = find(client, name=name)
        if found is not None or waited >= budget:
            return found, waited
        step = min(wait, budget - waited)
        time.sleep(step)
        waited += step
        wait *= 2


def create(client, entry):
    """POST the application; a lost answer is resolved by reading the applications back by name.

    Returns the resource as the account has it. The POST is sent again only after a listing
    showed that no application of that name is on the account, so a second application is
    never created. A create whose ``Location`` is missing or foreign is found by name too.
    A create that timed out is never sent again: the server may still be working on it, so
    the applications are listed until it shows (see :func:`settle`), else the task fails and
    a rerun finds it by name.
    """
    body = create_body(entry)
    last_error = None
    for dummy in range(CREATE_ATTEMPTS):
        try:
            new_id = client.create_application(body)
        except CatapultError as exc:
            if not outcome_unknown(exc):
                raise
            last_error = exc
            if timed_out(exc):
                found, waited = settle(client, entry['name'])
                if found is None:
                    raise ApplicationError(
                        'the create of application %r got no answer (%s) and listings of the applications over %gs did '
                        'not show it; the server may still be working on it, so it was not sent again. Rerun the task '
                        'later: it finds the application by name and creates it only if it is still missing'
                        % (entry['name'], exc, waited), **exc.to_dict())
                return found
            found = find(client, name=entry['name'])
            if found is not None:
                return found
            continue
        found = client.get_application(new_id) if new_id else find(client, name=entry['name'])
        if found is None:
            raise ApplicationError('application %r was created (HTTP 201) but then could not be read back (%s); '
                                   'nothing else was sent' % (entry['name'], 'GET of %s answered 404' % new_id if new_id else
                                                              'the answer named no ID on api_url and the listing has '
                                                              'none of that name'))
        return found
    raise ApplicationError('application %r was not on the account after %d create attempts whose answers were lost '
                           '(each followed by a listing that did not show it); last error: %s'
                           % (entry['name'], CREATE_ATTEMPTS, last_error), **last_error.to_dict())


def numbers_using(client, app_id):
    """The enabled numbers of the account that point at ``app_id`` (one paginated listing filtered by it)."""
    return [number for number in client.list_phone_numbers(applicationId=app_id) if application_id_of(number) == app_id]


def check_not_in_use(client, resource, force=False, force_hint='set force to true'):
    """Raise :class:`ApplicationError` when numbers point at the application (no request with ``force``)."""
    if force:
        return
    using = numbers_using(client, resource['id'])
    if not using:
        return
    shown = [number.get('number') or number.get('id') for number in using]
    listed = ', '.join(shown[:IN_USE_SHOWN]) + (' and %d more' % (len(shown) - IN_USE_SHOWN) if len(shown) > IN_USE_SHOWN else '')
    raise ApplicationError(
        'application %s is still used by %d number%s on account %s (%s), so it was not deleted. Point %s at another '
        'application first, or %s to delete it anyway (the numbers would keep pointing at an application that no longer '
        'exists)' % (describe(resource), len(shown), '' if len(shown) == 1 else 's', client.user_id, listed,
                     'it' if len(shown) == 1 else 'them', force_hint), numbers_in_use=shown)


def converge(client, entry, current, check_mode, force=False):
    """Bring one application to ``entry`` from its ``current`` resource (``None`` = not on the account).

    Returns a result dict: action (create/update/delete/none), changed, application (snake_case,
    predicted in check mode; for a delete the application as it was), before and after views.
    """
    result = {'action': 'none', 'changed': False, 'before': managed_view(entry, current)}
    if entry.get('state', 'present') == 'absent':
        if current is not None:
            if not current.get('id'):
                raise ApplicationError('application %r has no ID on the account, so it was not deleted (no request was '
                                       'sent)' % current.get('name'))
            check_not_in_use(client, current, force)
            result.update(action='delete', changed=True)
            if not check_mode:
                # A 404 here still means the application is gone: most likely this task's own
                # DELETE was applied and its answer lost, then retried.
                client.delete_application(current['id'])
        result['after'] = managed_view(entry, None)
        result['application'] = application_result(current)
        return result
    resource = current
    if current is None:
        result.update(action='create', changed=True)
        resource = dict(create_body(entry), id=None) if check_mode else create(client, entry)
    body = update_body(entry, resource)
    if body:
        merged = apply_body(resource, body)
        if not any(merged.get(API_FIELDS[option]) for option in INCOMING_URL_OPTIONS):
            raise ApplicationError('application %s would be left without incoming_call_url and incoming_message_url; '
                                   'Catapult needs one of them, so nothing was changed' % describe(resource))
        if result['action'] == 'none':
            result['action'] = 'update'
        result['changed'] = True
        if not check_mode:
            if not resource.get('id'):
                raise ApplicationError('the ID of application %r is unknown, so it was not updated (no request was sent)'
                                       % resource.get('name'))
            client.update_application(resource['id'], body)
        resource = merged
    result['after'] = managed_view(entry, resource)
    result['application'] = application_result(resource)
    return result
