# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The account as code: one desired state (applications, specific numbers and pools), one plan, one apply.

The order is fixed: validate everything (no request) -> list the applications once (when
the state names any, by ID or by name, or lists ``applications``): check the IDs, resolve
the names, plan each application -> read the account once (one paginated listing) -> plan
-> apply: the applications first (create or update), then the numbers and pools that point
at them -> read the account again when anything was written, so the result says what the
account holds -> delete the applications the plan deletes, once no number points at them.
Plain code: it takes a client and returns a result or raises :class:`AccountError` (with
the partial result); no ``AnsibleModule`` in here.

Applications are identified by name. A name the state uses (``application``) is resolved
to its ID once per task, from that one listing: a name no application has and
``applications`` does not create, or a name several applications have, fails before any
write. In check mode an application the task would create has no ID yet: what points at it
shows :func:`predicted_id` instead. With ``prune``, and only when ``applications`` lists at
least one application, the applications it does not list are deleted when no number points
at them after the plan, under the same ``prune_limit`` and ``prune_protect`` (by name).

Who claims a number: an entry of ``numbers`` claims its number (present or absent); a pool
claims the numbers carrying its name (unless an entry claims them) and the unlabelled
numbers it adopts. Everything else on the account is ``unmanaged``: reported always,
released only with ``prune`` under its guards. Pools never adopt or preview a number an
entry claims or another pool took, and check-mode previews never collide.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import re

from ansible_collections.bandwidth.catapult.plugins.module_utils._applications import (
    FIELDS as APPLICATION_FIELDS,
    INCOMING_URL_OPTIONS,
    OPTIONS as APPLICATION_OPTIONS,
    API_FIELDS as APPLICATION_API_FIELDS,
    apply_body as apply_application_body,
    converge as converge_application,
    describe as _describe_application,
    managed_view as application_view,
    named,
    update_body as application_update_body,
    validate as validate_application,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._client import CatapultAborted, CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils._common import (
    application_id_of,
    normalize_e164,
    optional_e164,
    phone_number_result,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._numbers import (
    check_concurrency,
    converge,
    managed_view,
    run_concurrently,
    update_body,
    validate_entry,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils._pool import PoolEngine, PoolError, SharedOrders
from ansible_collections.bandwidth.catapult.plugins.module_utils._search import (
    LOCAL,
    MAX_QUANTITY,
    SEARCH_OPTIONS,
    TOLL_FREE,
    check_quantity,
    matches,
    search_query,
    validate,
)

POOL_TYPES = {'local': LOCAL, 'toll_free': TOLL_FREE}
# The pool modules' defaults, so that a pool means the same through either.
DEFAULT_QUANTITY = {LOCAL: 10, TOLL_FREE: 1}
LOCAL_ONLY = ('state', 'city', 'zip', 'area_code', 'local_number', 'in_local_calling_area')
MAX_PRUNE_LIMIT = 5000
# the options of an application given with the API's camelCase names
APPLICATION_ALIASES = dict((api_field, option) for option, api_field in APPLICATION_FIELDS)
SHOWN = 10


class AccountError(CatapultError):
    """The run stopped; ``result`` holds what was done and what the account holds."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def _created(resource):
    return (resource.get('createdTime') or '', resource.get('number') or '')


def predicted_id(name):
    """What stands for the ID of an application this task creates, in check mode (it has no ID yet)."""
    return '(id of the application %s, created by this task)' % name


def _unlabelled(resource):
    fields = ('name', 'applicationId', 'application', 'fallbackNumber')
    return not any(resource.get(field) for field in fields)


class DesiredState(object):
    """The validated desired state: applications, entries, pools, defaults, prune guards."""

    def __init__(self, numbers, pools, default_application_id=None, default_fallback_number=None, prune=False,
                 prune_limit=10, prune_protect=None, concurrency=8, names=None, applications=None,
                 default_application=None):
        # ``names`` maps option names to the names the user wrote (the role passes its variables)
        self.names = dict(numbers='numbers', pools='pools', default_application_id='default_application_id',
                          default_fallback_number='default_fallback_number', prune_limit='prune_limit',
                          prune_protect='prune_protect', concurrency='concurrency', applications='applications',
                          default_application='default_application')
        self.names.update(names or {})
        self.errors = []
        self.defaults = {}
        self.references = {}   # application name -> the options that name it, in order
        self.default_application_id = default_application_id
        self.default_application = self._application_choice(
            {'application': default_application, 'application_id': default_application_id},
            self.names['default_application'], self.names['default_application_id'])
        self.default_fallback_number = optional_e164(default_fallback_number, self.names['default_fallback_number'],
                                                     self.errors)
        for option, value in (('application_id', default_application_id), ('application', self.default_application),
                              ('fallback_number', self.default_fallback_number)):
            if value is not None:
                self.defaults[option] = value
        self.prune = prune
        self.prune_limit = prune_limit
        self.concurrency = concurrency
        concurrency_errors = []
        check_concurrency(concurrency, concurrency_errors)
        self.errors.extend(error.replace('concurrency', self.names['concurrency'], 1) for error in concurrency_errors)
        if prune_limit < 0 or prune_limit > MAX_PRUNE_LIMIT:
            self.errors.append('%s must be between 0 and %d; got %d' % (self.names['prune_limit'], MAX_PRUNE_LIMIT, prune_limit))
        self.protect_numbers, self.protect_names = self._protect(prune_protect or [])
        self.applications = self._applications(applications or [])
        self.entries = self._entries(numbers or [])
        self.pools = self._pools(pools or [])
        self._check_references()

    def _application_choice(self, item, option, id_option):
        """The application name ``item`` sets (``None`` when none), checked: not together with the ID, not empty.

        ``option`` and ``id_option`` are the names of the two options in messages.
        """
        name, app_id = item.get('application'), item.get('application_id')
        if name is None:
            return None
        if app_id is not None:
            self.errors.append('%s and %s are mutually exclusive: name the application or give its ID, not both; got '
                               '%r and %r' % (option, id_option, name, app_id))
            return None
        if not isinstance(name, str) or not name.strip():
            self.errors.append('%s must be the name of an application; got %r (to remove the association, set %s to "")'
                               % (option, name, id_option))
            return None
        return name

    def _refer(self, name, option):
        if name is not None:
            self.references.setdefault(name, []).append(option)

    def _protect(self, protect):
        numbers, names = set(), set()
        for index, value in enumerate(protect):
            text = '' if value is None else str(value).strip()
            if not text:
                self.errors.append('%s[%d] must be a number name or an E.164 number; got %r'
                                   % (self.names['prune_protect'], index, value))
            elif re.match(r'^[1-9][0-9]{6,14}$', text):
                # YAML reads an unquoted +19195550100 as an integer: taken as a name, it would protect nothing
                self.errors.append('%s[%d] is %s, an E.164 number without its +: YAML reads an unquoted +%s as the '
                                   'integer %s, which would protect nothing; quote it: - "+%s"'
                                   % (self.names['prune_protect'], index, text, text, text, text))
            elif text.startswith('+'):
                normalized = normalize_e164(text)
                if normalized is None:
                    self.errors.append('%s[%d] starts with + but is not an E.164 number: %r'
                                       % (self.names['prune_protect'], index, value))
                numbers.add(normalized or text)
            else:
                names.add(text)
        return numbers, names

    def _applications(self, items):
        """The applications the state lists, normalised (snake_case options, ``state``); each name once."""
        specs, seen = [], {}
        for index, item in enumerate(items):
            prefix = '%s[%d].' % (self.names['applications'], index)
            if not isinstance(item, dict):
                self.errors.append('%s must be a dictionary of application options; got %r' % (prefix[:-1], item))
                continue
            spec = {}
            for key, value in item.items():
                if value is not None:
                    spec[APPLICATION_ALIASES.get(key, key)] = value
            unknown = sorted(key for key in spec if key not in APPLICATION_OPTIONS and key != 'state')
            if unknown:
                self.errors.append('%s has unknown option%s %s; an application takes %s and state'
                                   % (prefix[:-1], '' if len(unknown) == 1 else 's', ', '.join(unknown),
                                      ', '.join(APPLICATION_OPTIONS)))
            name = spec.get('name')
            if not isinstance(name, str) or not name.strip():
                self.errors.append('%sname is required and must not be empty: the application is identified by its name '
                                   '(its ID differs from account to account); got %r' % (prefix, name))
            else:
                if name in seen:
                    self.errors.append('%sname %r repeats %s[%d]; list each application once'
                                       % (prefix, name, self.names['applications'], seen[name]))
                seen.setdefault(name, index)
            spec.setdefault('state', 'present')
            if spec['state'] not in ('present', 'absent'):
                self.errors.append('%sstate must be present or absent; got %r' % (prefix, spec['state']))
            else:
                self.errors.extend(validate_application(spec, prefix))
            specs.append(spec)
        return specs

    def _entries(self, numbers):
        entries, seen = [], {}
        for index, item in enumerate(numbers):
            prefix = '%s[%d].' % (self.names['numbers'], index)
            own = dict((k, v) for k, v in item.items() if v is not None)
            entry = dict(self.defaults)
            if 'application' in own or 'application_id' in own:
                # the entry's own application, by name or by ID, wins over either default
                entry.pop('application', None)
                entry.pop('application_id', None)
            entry.update(own)
            if 'application' in own:
                entry['application'] = self._application_choice(own, prefix + 'application', prefix + 'application_id')
            self.errors.extend(validate_entry(entry, prefix))
            if entry['state'] not in ('present', 'absent'):
                self.errors.append('%sstate must be present or absent; got %r' % (prefix, entry['state']))
            elif entry['state'] == 'present':
                self._refer(entry.get('application'),
                            prefix + 'application' if 'application' in own else self.names['default_application'])
            number = entry['number']
            if number is not None:
                if number in seen:
                    self.errors.append('%snumber %s repeats %s[%d]; list each number once'
                                       % (prefix, number, self.names['numbers'], seen[number]))
                seen.setdefault(number, index)  # a repeat names the first entry
            entries.append(entry)
        return entries

    def _pools(self, pools):
        result, names = [], {}
        entry_names = dict((e.get('name'), i) for i, e in enumerate(self.entries) if e.get('name'))
        for index, item in enumerate(pools):
            where = '%s[%d]' % (self.names['pools'], index)
            name = item.get('name')
            if name is None or not str(name).strip():
                self.errors.append('%s.name must not be empty: it is the label that identifies the pool' % where)
            else:
                where = '%s (%s)' % (where, name)
                if name in names:
                    self.errors.append('%s: pool names must be unique; %s repeats %s[%d]'
                                       % (where, name, self.names['pools'], names[name]))
                names[name] = index
                if name in entry_names:
                    self.errors.append('%s: a pool counts every number named %r, so %s[%d] may not carry that name'
                                       % (where, name, self.names['numbers'], entry_names[name]))
            kind = POOL_TYPES.get(item.get('type') or 'local')
            if kind is None:
                self.errors.append('%s.type must be local or toll_free; got %r' % (where, item.get('type')))
                continue
            params = dict((option, item.get(option)) for option, dummy in SEARCH_OPTIONS)
            if kind == TOLL_FREE:
                local = [option for option in LOCAL_ONLY if item.get(option) not in (None, '', False)]
                if local:
                    self.errors.append('%s: a toll-free pool searches by pattern only; remove %s'
                                       % (where, ', '.join(local)))
            crit, search_errors = validate(kind, params)
            self.errors.extend('%s: %s' % (where, error) for error in search_errors)
            quantity = item.get('quantity')
            quantity = DEFAULT_QUANTITY[kind] if quantity is None else quantity
            quantity_errors = []
            check_quantity(quantity, quantity_errors)
            self.errors.extend('%s: %s' % (where, error) for error in quantity_errors)
            labels = {'name': name}
            for option in ('application_id', 'fallback_number'):
                value = item.get(option)
                labels[option] = self.defaults.get(option) if value is None else value
            application = self.defaults.get('application')
            if item.get('application') is not None or item.get('application_id') is not None:
                # the pool's own application, by name or by ID, wins over either default
                application = self._application_choice(item, where + '.application', where + '.application_id')
                labels['application_id'] = item.get('application_id')
                self._refer(application, where + '.application')
            else:
                self._refer(application, self.names['default_application'])
            labels['fallback_number'] = optional_e164(labels['fallback_number'], where + '.fallback_number', self.errors)
            adopt = item.get('adopt_unlabelled')
            result.append({'name': name, 'kind': kind, 'crit': crit, 'quantity': quantity, 'labels': labels,
                           'application': application, 'adopt_unlabelled': True if adopt is None else adopt,
                           'index': index})
        return result

    def _check_references(self):
        """No entry or pool may point at an application this state deletes."""
        for index, spec in enumerate(self.applications):
            name = spec.get('name')
            if spec.get('state') == 'absent' and name in self.references:
                self.errors.append('%s names application %r, which %s[%d] deletes (state absent); point %s at another '
                                   'application, or keep it'
                                   % (', '.join(_unique(self.references[name])), name, self.names['applications'], index,
                                      'it' if len(_unique(self.references[name])) == 1 else 'them'))

    def application_ids(self):
        """Every application id the state would write, each once, in order (applications named by name not included)."""
        ids = []
        for labels in [e for e in self.entries if e.get('state') != 'absent'] + [p['labels'] for p in self.pools]:
            app_id = labels.get('application_id')
            if app_id and app_id not in ids:
                ids.append(app_id)
        return ids

    def application_names(self):
        """Every application name the numbers and pools point at, each once, in order."""
        return list(self.references)

    def manages_applications(self):
        """Whether the state lists applications: only then may prune delete applications."""
        return bool(self.applications)

    def resolve(self, ids):
        """Give every entry and pool that names its application by name that application's ID (``ids``: name -> ID)."""
        for entry in self.entries:
            if entry.get('application') is not None and entry.get('state') != 'absent':
                entry['application_id'] = ids.get(entry['application'])
        for pool in self.pools:
            if pool.get('application') is not None:
                pool['labels']['application_id'] = ids.get(pool['application'])

    def protected(self, resource):
        return resource.get('number') in self.protect_numbers or (resource.get('name') or None) in self.protect_names

    def protected_application(self, resource):
        return (resource.get('name') or None) in self.protect_names


class AccountRun(object):
    """One run: list the applications, read, plan, apply (applications first), report."""

    def __init__(self, client, state, check_mode=False, diff=False):
        self.client = client
        self.state = state
        self.check_mode = check_mode
        self.diff = diff
        self.account = []
        self.by_number = {}
        self.entry_results = []
        self.pool_plans = []
        self.unmanaged = []
        self.releases = []
        self.release_results = []
        self.problems = []
        self.warnings = []
        self.final = None
        self.read_done = False   # the account was read: drift is known
        self.refused = False     # the prune guard refused the plan: nothing is released
        self.aborted = None      # the CatapultAborted that stopped the run (the controller is gone)
        self.app_listing = None  # the account's applications (one listing), when the state needed them
        self.app_plans = []      # one per entry of applications: spec, current resource, planned action, outcome
        self.app_ids = {}        # application name -> ID (predicted_id() until this run created it)
        self.app_prunes = []     # the applications prune deletes (resources)
        self.app_kept = []       # applications that applications does not list, kept: in use or protected
        self.app_deleted = []    # the applications deleted (or, in check mode, to delete): results

    # -- reading -------------------------------------------------------------------------

    def check_applications(self):
        """One listing of the applications (in check mode too) when the state names any, by ID or by name, or lists
        ``applications``: every ID exists, every name is on exactly one application or is one ``applications``
        creates, and each listed application is planned (create, update what differs, delete). Names are then
        resolved to IDs (predicted in check mode for an application this run creates). Raises before any write."""
        state = self.state
        wanted = state.application_ids()
        names = state.application_names()
        if not (wanted or names or state.applications):
            return
        listing = self.client.list_applications()
        self.app_listing = listing
        problems = []
        known = set(app.get('id') for app in listing)
        missing = [app_id for app_id in wanted if app_id not in known]
        if missing:
            problems.append("application_id %s %s not exist on account %s (GET %s lists the account's applications)"
                            % (', '.join(missing), 'does' if len(missing) == 1 else 'do', self.client.user_id,
                               self.client.user_path('applications')))
        listed = {}
        for index, spec in enumerate(state.applications):
            where = '%s[%d]' % (state.names['applications'], index)
            listed[spec['name']] = spec
            matches = named(listing, spec['name'])
            if len(matches) > 1:
                problems.append(self._ambiguous(where, spec['name'], matches, 'rename or delete all but one with '
                                                'bandwidth.catapult.catapult_application (it takes id)'))
                continue
            current = matches[0] if matches else None
            plan = {'spec': spec, 'where': where, 'current': current, 'action': 'none', 'fields': [], 'result': None,
                    'error': None}
            if spec['state'] == 'absent':
                if current is not None:
                    plan['action'] = 'delete'
            elif current is None:
                plan['action'] = 'create'
                self.app_ids[spec['name']] = predicted_id(spec['name'])
            else:
                self.app_ids[spec['name']] = current.get('id')
                body = application_update_body(spec, current)
                if body:
                    plan['action'] = 'update'
                    plan['fields'] = [option for option in APPLICATION_OPTIONS if APPLICATION_API_FIELDS[option] in body]
                    merged = apply_application_body(current, body)
                    if not any(merged.get(APPLICATION_API_FIELDS[option]) for option in INCOMING_URL_OPTIONS):
                        problems.append('%s (%s): the update would leave application %s without incoming_call_url and '
                                        'incoming_message_url; Catapult needs one of them'
                                        % (where, spec['name'], current.get('id')))
            self.app_plans.append(plan)
        for name in names:
            if name in listed:
                continue  # created or found above (pointing at one the state deletes fails validation)
            where = ', '.join(_unique(state.references[name]))
            matches = named(listing, name)
            if not matches:
                problems.append("application %r (%s) does not exist on account %s (GET %s lists the account's "
                                'applications); list it in %s to create it, or fix the name (names match exactly)'
                                % (name, where, self.client.user_id, self.client.user_path('applications'),
                                   state.names['applications']))
            elif len(matches) > 1:
                problems.append(self._ambiguous(where, name, matches, 'use application_id to choose one, or rename or '
                                                'delete the others'))
            else:
                self.app_ids[name] = matches[0].get('id')
        if problems:
            raise AccountError('; '.join(problems) + '; nothing was written', self.result())
        state.resolve(self.app_ids)

    def _ambiguous(self, where, name, matches, advice):
        return ('%s: application name %r matches %d applications on account %s (%s), so it does not say which one is '
                'meant; %s' % (where, name, len(matches), self.client.user_id,
                               ', '.join(str(app.get('id')) for app in matches), advice))

    def read(self):
        self.account = sorted(self.client.list_phone_numbers(), key=_created)
        self.by_number = dict((r.get('number'), r) for r in self.account)
        self.read_done = True

    # -- planning ------------------------------------------------------------------------

    def plan(self):
        claimed = set()
        for entry in self.state.entries:
            claimed.add(entry['number'])
        taken = set(claimed)   # numbers no pool may adopt or preview
        for pool in self.state.pools:
            members = [r for r in self.account if r.get('name') == pool['name'] and r.get('number') not in claimed]
            for member in members:
                taken.add(member.get('number'))
            self.pool_plans.append({'pool': pool, 'members': members, 'adopt': [], 'preview': [], 'surplus': [],
                                    'result': None})
        for plan in self.pool_plans:
            pool = plan['pool']
            shortfall = pool['quantity'] - len(plan['members'])
            if shortfall > 0 and pool['adopt_unlabelled']:
                for resource in self.account:
                    if len(plan['adopt']) >= shortfall:
                        break
                    free = resource.get('number') not in taken and _unlabelled(resource)
                    if free and matches(pool['kind'], resource, pool['crit']):
                        plan['adopt'].append(resource)
                        taken.add(resource.get('number'))
            elif shortfall < 0:
                # the newest go first; protected numbers never
                newest = sorted(plan['members'], key=_created, reverse=True)
                plan['surplus'] = [r for r in newest if not self.state.protected(r)][:-shortfall]
        held = set(taken)
        self.unmanaged = [r for r in self.account if r.get('number') not in held]
        if self.state.prune:
            self.releases = [r for r in self.unmanaged if not self.state.protected(r)]
            for plan in self.pool_plans:
                self.releases.extend(plan['surplus'])
        self.plan_application_deletes()
        if self.state.prune and len(self.releases) + len(self.app_prunes) > self.state.prune_limit:
            self.refused = True
            raise AccountError(self.refusal(), self.result())
        return taken

    def refusal(self):
        """Why the prune guard refused the plan, and how to get past it."""
        names, apps = self.state.names, len(self.app_prunes)
        total = len(self.releases) + apps
        what = []
        if self.releases or not apps:
            what.append('release %d numbers' % len(self.releases))
        if apps:
            what.append('delete %d application%s' % (apps, '' if apps == 1 else 's'))
        going = [self._describe(r) for r in self.releases]
        going += ['application %s' % _describe_application(a) for a in self.app_prunes]
        text = ('prune would %s, more than %s (%d): %s. Nothing was written. Raise %s to at least %d if that is what you '
                'want, or protect ' % (' and '.join(what), names['prune_limit'], self.state.prune_limit, ', '.join(going),
                                       names['prune_limit'], total))
        if apps:
            return text + ('numbers and applications with %s (numbers by name or E.164 number, applications by name).'
                           % names['prune_protect'])
        return text + 'numbers with %s (by name or E.164 number).' % names['prune_protect']

    def in_use_after(self):
        """Application ID -> the numbers that point at it once the plan is applied, predicted from the account read.

        A number keeps its application unless an entry or its pool sets one; what the plan releases points at
        nothing; the numbers it allocates and orders point at their entry's or pool's application.
        """
        pointing = {}

        def point(app_id, number):
            if app_id:
                pointing.setdefault(app_id, []).append(number)

        entries = dict((entry['number'], entry) for entry in self.state.entries)
        going = set(r.get('number') for r in self.releases)
        pool_of = {}
        for plan in self.pool_plans:
            for resource in plan['members'] + plan['adopt']:
                pool_of[resource.get('number')] = plan['pool']
        for resource in self.account:
            number = resource.get('number')
            entry = entries.get(number)
            if number in going or (entry is not None and entry['state'] == 'absent'):
                continue
            if entry is not None:
                wanted = entry.get('application_id')
            elif number in pool_of:
                wanted = pool_of[number]['labels'].get('application_id')
            else:
                wanted = None
            point(application_id_of(resource) if wanted is None else wanted, number)
        for entry in self.state.entries:
            if entry['state'] == 'present' and entry['number'] not in self.by_number:
                point(entry.get('application_id'), entry['number'])
        for plan in self.pool_plans:
            missing = plan['pool']['quantity'] - len(plan['members']) - len(plan['adopt'])
            if missing > 0:
                point(plan['pool']['labels'].get('application_id'),
                      'the %d numbers pool %s orders' % (missing, plan['pool']['name']))
        return pointing

    def plan_application_deletes(self):
        """The applications this run deletes: those ``applications`` marks absent (refused before any write while a
        number would still point at one after the plan) and, with prune, those it does not list that no number points
        at after the plan and prune_protect does not protect by name."""
        if self.app_listing is None:
            return
        using = self.in_use_after()
        blocked = []
        for plan in self.app_plans:
            if plan['action'] != 'delete':
                continue
            numbers = using.get(plan['current'].get('id'))
            if numbers:
                blocked.append('%s (%s) is state absent, but after this plan %d number%s still point at application %s: '
                               '%s; point %s at another application first (numbers or pools), or keep the application'
                               % (plan['where'], plan['spec']['name'], len(numbers), '' if len(numbers) == 1 else 's',
                                  _describe_application(plan['current']), _some(numbers), 'it' if len(numbers) == 1
                                  else 'them'))
        if blocked:
            raise AccountError('; '.join(blocked) + '; nothing was written', self.result())
        if not (self.state.prune and self.state.manages_applications()):
            return
        listed = set(spec['name'] for spec in self.state.applications)
        for app in self.app_listing:
            if app.get('name') in listed:
                continue
            if not app.get('id') or self.state.protected_application(app) or app.get('id') in using:
                self.app_kept.append(app)
            else:
                self.app_prunes.append(app)

    def preview(self, taken):
        """Check mode: the numbers each pool's orders would take, never colliding with anything planned."""
        for plan in self.pool_plans:
            pool = plan['pool']
            missing = pool['quantity'] - len(plan['members']) - len(plan['adopt'])
            if missing <= 0:
                continue
            # a search lists available numbers only: of the numbers taken, those not on the account may show
            pending = sum(1 for number in taken if number not in self.by_number)
            quantity = min(missing + pending, MAX_QUANTITY)
            found = self.client.search_available(pool['kind'], dict(search_query(pool['crit']), quantity=quantity))
            fresh = [item for item in found if item.get('number') not in taken][:missing]
            for item in fresh:
                taken.add(item.get('number'))
            plan['preview'] = fresh
            # too few found: the pool engine fails the pool, naming the search (one message per pool)

    # -- applying ------------------------------------------------------------------------

    def apply_applications(self):
        """Create or update the listed applications, one after the other, before any number is touched; then every
        number and pool that names one gets its ID. A failure stops the run: nothing else is written."""
        for plan in self.app_plans:
            if plan['action'] not in ('create', 'update'):
                continue
            spec = plan['spec']
            try:
                plan['result'] = converge_application(self.client, spec, plan['current'], self.check_mode)
            except CatapultError as exc:
                plan['error'] = str(exc)
                if isinstance(exc, CatapultAborted):
                    self.aborted = exc
                raise AccountError('%s (%s): %s; nothing else was written (no number or pool was touched)'
                                   % (plan['where'], spec['name'], exc), self.result())
            created = (plan['result'].get('application') or {}).get('id')
            if created:
                self.app_ids[spec['name']] = created
        self.state.resolve(self.app_ids)

    def delete_applications(self):
        """Delete what the plan deletes, last, and only an application no number points at: checked again on the
        account as read after the writes (in check mode the plan's prediction stands)."""
        targets = [(plan['current'], 'delete', plan) for plan in self.app_plans if plan['action'] == 'delete']
        if self.pruning():
            targets.extend((app, 'prune', None) for app in self.app_prunes)
        holdings = self.final if self.final is not None else self.account
        for app, action, plan in targets:
            outcome = {'name': app.get('name'), 'id': app.get('id'), 'action': action}
            using = [] if self.check_mode else [r.get('number') for r in holdings if application_id_of(r) == app.get('id')]
            if using:
                self.problems.append('application %s was not deleted: %d number%s still point at it after the run (%s)'
                                     % (_describe_application(app), len(using), '' if len(using) == 1 else 's',
                                        _some(using)))
                continue
            if not self.check_mode:
                try:
                    self.client.delete_application(app['id'])
                except CatapultError as exc:
                    self.problems.append('deleting application %s: %s' % (_describe_application(app), exc))
                    if isinstance(exc, CatapultAborted):
                        self.aborted = exc
                        return
                    continue
            self.app_deleted.append(outcome)
            if plan is not None:
                plan['result'] = outcome

    def converge_entries(self):
        def work(entry):
            return converge(self.client, entry, self.by_number.get(entry['number']), self.check_mode, read_back=False)

        outcomes = run_concurrently(work, self.state.entries, self.state.concurrency)
        for entry, outcome in zip(self.state.entries, outcomes):
            if isinstance(outcome, CatapultAborted):
                self.aborted = self.aborted or outcome
            if isinstance(outcome, CatapultError):
                current = self.by_number.get(entry['number'])
                self.entry_results.append({'number': entry['number'], 'action': 'none', 'changed': False, 'failed': True,
                                           'msg': str(outcome), 'before': managed_view(entry['number'], current),
                                           'after': managed_view(entry['number'], current),
                                           'phone_number': phone_number_result(current)})
                self.problems.append('%s: %s' % (entry['number'], outcome))
            else:
                outcome['failed'] = False
                self.entry_results.append(outcome)

    def run_pools(self, taken):
        """The pools side by side, within the run's one bound on requests in flight (the client's).

        Orders go one at a time across the pools, each with its read-back when its answer is
        lost (:class:`SharedOrders`), so a read-back never meets another pool's order in flight,
        and the numbers each pool orders are registered at once, so no pool takes them; labelling
        overlaps. None takes what an entry or another pool holds (``taken``).

        With prune the pool's surplus was released before (see :meth:`release_unclaimed`): the pool
        engine gets the members it keeps, so it neither relabels a number on its way out nor warns
        about a surplus that is gone.
        """
        shared = SharedOrders()
        engines = []
        for plan in self.pool_plans:
            pool = plan['pool']
            engines.append(PoolEngine(self.client, pool['kind'], pool['crit'], pool['labels'], pool['quantity'],
                                      check_mode=self.check_mode, concurrency=self.state.concurrency,
                                      adopt_unlabelled=pool['adopt_unlabelled'], shared=shared))

        def work(index):
            plan, engine = self.pool_plans[index], engines[index]
            if self.aborted is not None:
                return
            mine = set(r.get('number') for r in plan['members'] + plan['adopt'])
            going = set(r.get('number') for r in plan['surplus']) if self.state.prune else set()
            members = [r for r in plan['members'] if r.get('number') not in going]
            try:
                plan['result'] = engine.run(members=members, adopt=plan['adopt'],
                                            preview=plan['preview'] if self.check_mode else None,
                                            exclude=set(taken) - mine, account=self.account, check_application=False)
            except PoolError as exc:
                plan['result'] = exc.result
                self.problems.append('pool %s: %s' % (plan['pool']['name'], exc))
            if engine.aborted is not None:
                self.aborted = engine.aborted

        indexes = list(range(len(self.pool_plans)))
        if len(indexes) > 1:
            with ThreadPoolExecutor(max_workers=min(len(indexes), self.state.concurrency)) as executor:
                list(executor.map(work, indexes))
        else:
            for index in indexes:
                work(index)
        for engine in engines:
            self.warnings.extend(engine.warnings)

    def release_unclaimed(self):
        if not self.releases:
            return

        def work(resource):
            return converge(self.client, {'number': resource.get('number'), 'state': 'absent'}, resource, self.check_mode)

        outcomes = run_concurrently(work, self.releases, self.state.concurrency)
        for resource, outcome in zip(self.releases, outcomes):
            if isinstance(outcome, CatapultAborted):
                self.aborted = self.aborted or outcome
            if isinstance(outcome, CatapultError):
                self.problems.append('releasing %s: %s' % (self._describe(resource), outcome))
            else:
                self.release_results.append(outcome)

    def wrote(self):
        """Whether a number was written (the account is read again then)."""
        pools = any(p['result'] and p['result'].get('changed') for p in self.pool_plans)
        return any(r['changed'] for r in self.entry_results) or bool(self.release_results) or pools

    def run(self):
        if self.state.errors:
            raise AccountError('; '.join(self.state.errors), self.result())
        self.check_applications()
        self.read()
        taken = self.plan()
        # the applications first: the numbers and pools point at them
        self.apply_applications()
        if self.check_mode:
            self.preview(taken)
        # numbers, then what prune releases (a pool's surplus before the pool relabels its members), then the
        # pools; once the controller is gone (CatapultAborted) nothing more is started
        self.converge_entries()
        if self.aborted is None:
            self.release_unclaimed()
        if self.aborted is None:
            self.run_pools(taken)
        if not self.check_mode and self.aborted is None and self.wrote():
            # what the account holds now, not what the run believes it did
            self.final = sorted(self.client.list_phone_numbers(), key=_created)
        if self.aborted is None:
            # last: an application is deleted only once no number points at it
            self.delete_applications()
        result = self.result()
        if self.problems:
            raise AccountError('; '.join(self.problems), result)
        return result

    # -- reporting -----------------------------------------------------------------------

    @staticmethod
    def _describe(resource):
        name = resource.get('name')
        return '%s (%s)' % (resource.get('number'), name) if name else str(resource.get('number'))

    def pruning(self):
        """Whether this run releases (or in check mode would release) what prune found: not when the guard refused."""
        return self.state.prune and not self.refused

    def pools_result(self):
        holdings = self.final if self.final is not None else None
        claimed = set(e['number'] for e in self.state.entries)
        out = []
        for plan in self.pool_plans:
            pool, outcome = plan['pool'], plan['result'] or {}
            if holdings is not None:
                # a number an entry claims is the entry's, whatever name it carries
                numbers = sorted(r.get('number') for r in holdings
                                 if r.get('name') == pool['name'] and r.get('number') not in claimed)
            else:
                numbers = [r.get('number') for r in plan['members'] + plan['adopt']]
                numbers = sorted(numbers + [i.get('number') for i in plan['preview']])
            if self.pruning() and holdings is None:
                surplus_numbers = set(r.get('number') for r in plan['surplus'])
                numbers = [n for n in numbers if n not in surplus_numbers]
            changed = bool(outcome.get('changed') or plan['adopt'] or plan['preview'])
            if self.pruning() and plan['surplus']:
                changed = True
            out.append({
                'name': pool['name'],
                'type': 'toll_free' if pool['kind'] == TOLL_FREE else 'local',
                'quantity': pool['quantity'],
                'size': len(numbers),
                'shortfall': max(pool['quantity'] - len(plan['members']), 0),
                'surplus': max(len(numbers) - pool['quantity'], 0),
                'ordered': [n['number'] for n in outcome.get('ordered', [])] or [i.get('number') for i in plan['preview']],
                'adopted': [r.get('number') for r in plan['adopt']],
                'released': [r.get('number') for r in plan['surplus']] if self.pruning() else [],
                'numbers': numbers,
                'changed': changed,
            })
        return out

    def plan_result(self):
        """Every step: the applications created or updated first, then numbers and pools, then what is released
        and the applications deleted."""
        steps = []
        for plan in self.app_plans:
            name = plan['spec']['name']
            if plan['action'] == 'create':
                steps.append({'action': 'create_application', 'application': name})
            elif plan['action'] == 'update':
                steps.append({'action': 'update_application', 'application': name, 'id': plan['current'].get('id'),
                              'fields': plan['fields']})
        entries = dict((entry['number'], entry) for entry in self.state.entries)
        for result in self.entry_results:
            if result['action'] != 'none':
                step = {'action': result['action'], 'number': result['number']}
                if result['action'] == 'update':
                    step['fields'] = sorted(k for k in result['after'] if result['after'][k] != result['before'].get(k))
                entry = entries.get(result['number']) or {}
                if result['action'] != 'release' and entry.get('application') is not None and (
                        result['action'] == 'allocate' or 'application_id' in step['fields']):
                    step.update(self._named_application(entry['application']))
                steps.append(step)
        for plan in self.pool_plans:
            name = plan['pool']['name']
            named_app = self._named_application(plan['pool']['application']) if plan['pool']['application'] else {}
            steps.extend(dict({'action': 'adopt', 'number': r.get('number'), 'pool': name}, **named_app)
                         for r in plan['adopt'])
            missing = plan['pool']['quantity'] - len(plan['members']) - len(plan['adopt'])
            if missing > 0:
                step = {'action': 'order', 'pool': name, 'quantity': missing}
                if plan['preview']:
                    step['numbers'] = [i.get('number') for i in plan['preview']]
                step.update(named_app)
                steps.append(step)
            going = plan['surplus'] if self.pruning() else []
            for member in [m for m in plan['members'] if m not in going]:
                body = update_body(dict(plan['pool']['labels'], number=member.get('number'), state='present'), member)
                if body:
                    step = {'action': 'update', 'number': member.get('number'), 'pool': name, 'fields': sorted(body)}
                    if 'applicationId' in body:
                        step.update(named_app)
                    steps.append(step)
        for resource in self.releases:
            pool = resource.get('name') if any(resource in p['surplus'] for p in self.pool_plans) else None
            step = {'action': 'prune', 'number': resource.get('number'), 'reason': 'surplus of pool %s' % pool if pool
                    else 'claimed by no entry or pool'}
            steps.append(step)
        for plan in self.app_plans:
            if plan['action'] == 'delete':
                steps.append({'action': 'delete_application', 'application': plan['spec']['name'],
                              'id': plan['current'].get('id')})
        for app in self.app_prunes:
            steps.append({'action': 'prune_application', 'application': app.get('name'), 'id': app.get('id'),
                          'reason': 'not in %s; no number points at it after the plan' % self.state.names['applications']})
        return steps

    def _named_application(self, name):
        """What a step that points numbers at an application given by name says about it: its name, and its ID
        (in check mode, predicted_id() for an application this run would create)."""
        return {'application': name, 'application_id': self.app_ids.get(name)}

    def applications_result(self):
        """Per application of ``applications``, then per application prune deletes: name, id, action (what was done,
        or in check mode would be: create, update, delete, prune or none)."""
        out = []
        deleted = dict((app['id'], app) for app in self.app_deleted)
        for plan in self.app_plans:
            spec, current, outcome = plan['spec'], plan['current'], plan['result']
            item = {'name': spec['name'], 'id': (current or {}).get('id'), 'action': 'none'}
            if plan['action'] in ('create', 'update') and outcome is not None:
                item['action'] = outcome['action']
                item['id'] = (outcome.get('application') or {}).get('id')
                if plan['action'] == 'create' and self.check_mode:
                    item['id'] = None
            elif plan['action'] == 'delete' and current is not None and current.get('id') in deleted:
                item['action'] = 'delete'
            if plan['error']:
                item.update(failed=True, msg=plan['error'])
            out.append(item)
        out.extend(dict(app) for app in self.app_deleted if app['action'] == 'prune')
        return out

    def unmanaged_applications(self):
        """The applications on the account that ``applications`` does not list (only when it lists any), less those
        deleted: the applications' drift."""
        if self.app_listing is None or not self.state.manages_applications():
            return []
        listed = set(spec['name'] for spec in self.state.applications)
        gone = set(app['id'] for app in self.app_deleted)
        return [{'name': app.get('name'), 'id': app.get('id')} for app in self.app_listing
                if app.get('name') not in listed and app.get('id') not in gone]

    def result(self):
        entries = self.entry_results
        pools = self.pools_result()
        applications = self.applications_result()
        released = [r['number'] for r in entries if r['action'] == 'release'] + [r['number'] for r in self.release_results]
        holdings = self.final if self.final is not None else None
        unmanaged = self.unmanaged
        if holdings is not None:
            claimed = set(e['number'] for e in self.state.entries)
            names = set(p['name'] for p in self.state.pools)
            unmanaged = [r for r in holdings if r.get('number') not in claimed and r.get('name') not in names]
        elif self.pruning():
            gone = set(r.get('number') for r in self.releases)
            unmanaged = [r for r in unmanaged if r.get('number') not in gone]
        result = {
            'changed': any([any(r['changed'] for r in entries), any(p['changed'] for p in pools),
                            self.pruning() and bool(self.releases), any(app['action'] != 'none' for app in applications)]),
            'check_mode': self.check_mode,
            'allocated': [r['number'] for r in entries if r['action'] == 'allocate'],
            'updated': [r['number'] for r in entries if r['action'] == 'update'],
            'released': released,
            'unchanged': [r['number'] for r in entries if r['action'] == 'none' and not r.get('failed')],
            # not 'failed': Ansible reserves that key (fail_json sets it to true)
            'failed_numbers': [r['number'] for r in entries if r.get('failed')],
            'pools': pools,
            'unmanaged': [r.get('number') for r in unmanaged],
            'applications': applications,
            'unmanaged_applications': self.unmanaged_applications(),
            'plan': self.plan_result(),
            'phone_numbers': [dict((k, v) for k, v in r.items() if k not in ('before', 'after')) for r in entries],
        }
        result['summary'] = summarize(
            result, read=self.read_done, prune=self.state.prune,
            refused=(len(self.releases), self.state.prune_limit, len(self.app_prunes)) if self.refused else None,
            names=self.state.names, listed=self.state.manages_applications() and self.app_listing is not None)
        if self.diff:
            result['diff'] = self.diff_result()
        return result

    def diff_result(self):
        before = dict((r['number'], r['before']) for r in self.entry_results)
        after = dict((r['number'], r['after']) for r in self.entry_results)
        for plan in self.pool_plans:
            pool = plan['pool']
            labels = dict(pool['labels'], state='present')
            for resource in plan['members'] + plan['adopt']:
                before[resource.get('number')] = managed_view(resource.get('number'), resource)
                after[resource.get('number')] = _labelled_view(resource, labels)
            for item in plan['preview']:
                before[item.get('number')] = managed_view(item.get('number'), None)
                after[item.get('number')] = _labelled_view(item, labels)
        for resource in self.releases if self.pruning() else []:
            before[resource.get('number')] = managed_view(resource.get('number'), resource)
            after[resource.get('number')] = managed_view(resource.get('number'), None)
        diff = {'before': _as_list(before), 'after': _as_list(after)}
        if self.app_plans or self.app_prunes:
            views = []
            for plan in self.app_plans:
                outcome = plan['result'] or {}
                name = {'name': plan['spec']['name']}
                if plan['action'] == 'delete':
                    views.append((application_view(name, plan['current']), application_view(name, None)))
                else:
                    views.append((application_view(name, plan['current']),
                                  outcome.get('after') or application_view(name, plan['current'])))
            if self.pruning():
                views.extend((application_view({'name': app.get('name')}, app), application_view({'name': app.get('name')}, None))
                             for app in self.app_prunes)
            diff['before']['applications'] = [view[0] for view in views]
            diff['after']['applications'] = [view[1] for view in views]
        return diff


def _labelled_view(resource, labels):
    view = managed_view(resource.get('number'), resource)
    for option in ('name', 'application_id', 'fallback_number'):
        if labels.get(option) is not None:
            view[option] = labels[option]
    view['state'] = 'present'
    return view


def _as_list(views):
    return {'phone_numbers': [views[number] for number in sorted(views)]}


def summarize(result, read=True, prune=False, refused=None, names=None, listed=False):
    """A few lines a person reads: what changed (or would), the applications, the pools, drift.

    ``read``: whether the account was read (else drift is not known); ``prune``: whether prune was
    asked for; ``refused``: ``(releases, limit, application deletions)`` when the prune guard refused
    the plan; ``names``: the option names to use in the lines (a role passes its variables);
    ``listed``: whether the state lists applications and they were read (then their drift is known).
    """
    names = dict(dict(prune_limit='prune_limit', prune_protect='prune_protect', applications='applications'),
                 **(names or {}))
    verb = 'would be ' if result['check_mode'] else ''
    lines = []
    applications = result.get('applications') or []
    if applications or listed:
        actions = [app['action'] for app in applications]
        counts = [(actions.count('create'), 'created'), (actions.count('update'), 'updated'),
                  (actions.count('delete'), 'deleted'), (actions.count('none'), 'unchanged')]
        failed = sum(1 for app in applications if app.get('failed'))
        line = 'applications: ' + ', '.join('%d %s' % (count, label) for count, label in counts)
        if failed:
            line += ', %d failed' % failed
        lines.append(line)
    entry_releases = [r for r in result['phone_numbers'] if r['action'] == 'release']
    counts = [(len(result['allocated']), 'allocated'), (len(result['updated']), 'updated'),
              (len(entry_releases), 'released'), (len(result['unchanged']), 'unchanged'),
              (len(result['failed_numbers']), 'failed')]
    lines.append('numbers: ' + ', '.join('%d %s' % (count, label) for count, label in counts))
    for pool in result['pools']:
        line = 'pool %s: %d of %d' % (pool['name'], pool['size'], pool['quantity'])
        if pool['ordered']:
            line += ', %d %sordered' % (len(pool['ordered']), verb)
        if pool['adopted']:
            line += ', %d %sadopted' % (len(pool['adopted']), verb)
        if pool['released']:
            line += ', %d %sreleased (surplus)' % (len(pool['released']), verb)
        if pool['surplus']:
            line += ', %d surplus kept (%s)' % (pool['surplus'], 'protected by %s' % names['prune_protect']
                                                if prune and not refused else 'prune releases it')
        lines.append(line)
    pruned = [step['number'] for step in result['plan'] if step['action'] == 'prune']
    pruned_apps = ['%s (%s)' % (app['name'], app['id']) for app in applications if app['action'] == 'prune']
    if refused and len(refused) > 2 and refused[2]:
        lines.append('prune: refused: %d releases and %d application deletion%s exceed %s (%d); nothing was released or '
                     'deleted' % (refused[0], refused[2], '' if refused[2] == 1 else 's', names['prune_limit'], refused[1]))
    elif refused:
        lines.append('prune: refused: %d releases exceed %s (%d); nothing was released'
                     % (refused[0], names['prune_limit'], refused[1]))
    else:
        if pruned:
            lines.append('prune: %d %sreleased: %s' % (len(pruned), verb, _some(pruned)))
        if pruned_apps:
            plural = '' if len(pruned_apps) == 1 else 's'
            lines.append('prune: %d application%s %sdeleted: %s' % (len(pruned_apps), plural, verb, _some(pruned_apps)))
    if not read:
        lines.append('drift: not known (the account was not read)')
    elif result['unmanaged']:
        why = 'kept: protected by %s' % names['prune_protect'] if prune and not refused else 'kept; prune releases them'
        lines.append('drift: %d number%s on the account that nothing claims (%s): %s'
                     % (len(result['unmanaged']), '' if len(result['unmanaged']) == 1 else 's', why,
                        _some(result['unmanaged'])))
    elif not pruned or refused:
        lines.append('drift: none')
    drifting = ['%s (%s)' % (app['name'], app['id']) for app in result.get('unmanaged_applications') or []]
    if drifting:
        why = ('kept: numbers point at them or %s protects them' % names['prune_protect'] if prune and not refused
               else 'kept; prune deletes those no number points at')
        lines.append('applications drift: %d application%s on the account that %s does not list (%s): %s'
                     % (len(drifting), '' if len(drifting) == 1 else 's', names['applications'], why, _some(drifting)))
    if result['check_mode']:
        lines.append('check mode: nothing was written')
    return lines


def _some(numbers, most=10):
    return ', '.join(numbers[:most]) + (' ...' if len(numbers) > most else '')


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
