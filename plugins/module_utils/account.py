# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The account as code: one desired state (specific numbers and pools), one plan, one apply.

The order is fixed: validate everything (no request) -> check the applications the state
names (one listing) -> read the account once (one paginated listing) -> plan -> apply ->
read the account again when anything was written, so the result says what the account
holds. Plain code: it takes a client and returns a result or raises :class:`AccountError`
(with the partial result); no ``AnsibleModule`` in here.

Who claims a number: an entry of ``numbers`` claims its number (present or absent); a pool
claims the numbers carrying its name (unless an entry claims them) and the unlabelled
numbers it adopts. Everything else on the account is ``unmanaged``: reported always,
released only with ``prune`` under its guards. Pools never adopt or preview a number an
entry claims or another pool took, and check-mode previews never collide.
"""

from __future__ import annotations

import re

from ansible_collections.bandwidth.catapult.plugins.module_utils.client import CatapultAborted, CatapultError
from ansible_collections.bandwidth.catapult.plugins.module_utils.common import (
    normalize_e164,
    optional_e164,
    phone_number_result,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils.numbers import (
    check_concurrency,
    converge,
    managed_view,
    run_concurrently,
    update_body,
    validate_entry,
)
from ansible_collections.bandwidth.catapult.plugins.module_utils.pool import PoolEngine, PoolError
from ansible_collections.bandwidth.catapult.plugins.module_utils.search import (
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


class AccountError(CatapultError):
    """The run stopped; ``result`` holds what was done and what the account holds."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def _created(resource):
    return (resource.get('createdTime') or '', resource.get('number') or '')


def _unlabelled(resource):
    return not (resource.get('name') or resource.get('applicationId') or resource.get('application')
                or resource.get('fallbackNumber'))


class DesiredState(object):
    """The validated desired state: entries, pools, defaults, prune guards."""

    def __init__(self, numbers, pools, default_application_id=None, default_fallback_number=None, prune=False,
                 prune_limit=10, prune_protect=None, concurrency=8, names=None):
        # ``names`` maps option names to the names the user wrote (the role passes its variables)
        self.names = dict(numbers='numbers', pools='pools', default_application_id='default_application_id',
                          default_fallback_number='default_fallback_number', prune_limit='prune_limit',
                          prune_protect='prune_protect', concurrency='concurrency')
        self.names.update(names or {})
        self.errors = []
        self.defaults = {}
        self.default_application_id = default_application_id
        self.default_fallback_number = optional_e164(default_fallback_number, self.names['default_fallback_number'],
                                                     self.errors)
        for option, value in (('application_id', default_application_id), ('fallback_number', self.default_fallback_number)):
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
        self.entries = self._entries(numbers or [])
        self.pools = self._pools(pools or [])

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

    def _entries(self, numbers):
        entries, seen = [], {}
        for index, item in enumerate(numbers):
            entry = dict(self.defaults)
            entry.update((k, v) for k, v in item.items() if v is not None)
            prefix = '%s[%d].' % (self.names['numbers'], index)
            self.errors.extend(validate_entry(entry, prefix))
            if entry['state'] not in ('present', 'absent'):
                self.errors.append('%sstate must be present or absent; got %r' % (prefix, entry['state']))
            number = entry['number']
            if number is not None:
                if number in seen:
                    self.errors.append('%snumber %s repeats %s[%d]; list each number once'
                                       % (prefix, number, self.names['numbers'], seen[number]))
                seen[number] = index
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
            labels['fallback_number'] = optional_e164(labels['fallback_number'], where + '.fallback_number', self.errors)
            adopt = item.get('adopt_unlabelled')
            result.append({'name': name, 'kind': kind, 'crit': crit, 'quantity': quantity, 'labels': labels,
                           'adopt_unlabelled': True if adopt is None else adopt, 'index': index})
        return result

    def application_ids(self):
        """Every application id the state would write, each once, in order."""
        ids = []
        for labels in [e for e in self.entries if e.get('state') != 'absent'] + [p['labels'] for p in self.pools]:
            app_id = labels.get('application_id')
            if app_id and app_id not in ids:
                ids.append(app_id)
        return ids

    def protected(self, resource):
        return resource.get('number') in self.protect_numbers or (resource.get('name') or None) in self.protect_names


class AccountRun(object):
    """One run: check applications, read, plan, apply, report."""

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

    # -- reading -------------------------------------------------------------------------

    def check_applications(self):
        """Every application id the state names exists (one listing, in check mode too)."""
        wanted = self.state.application_ids()
        if not wanted:
            return
        known = set(app.get('id') for app in self.client.paginate(self.client.user_path('applications')))
        missing = [app_id for app_id in wanted if app_id not in known]
        if missing:
            raise AccountError("application_id %s %s not exist on account %s (GET %s lists the account's applications); "
                               'nothing was written' % (', '.join(missing), 'does' if len(missing) == 1 else 'do',
                                                        self.client.user_id, self.client.user_path('applications')),
                               self.result())

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
                    if (resource.get('number') not in taken and _unlabelled(resource)
                            and matches(pool['kind'], resource, pool['crit'])):
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
            if len(self.releases) > self.state.prune_limit:
                self.refused = True
                raise AccountError(
                    'prune would release %d numbers, more than %s (%d): %s. Nothing was written. Raise %s to at least '
                    '%d if that is what you want, or protect numbers with %s (by name or E.164 number).'
                    % (len(self.releases), self.state.names['prune_limit'], self.state.prune_limit,
                       ', '.join(self._describe(r) for r in self.releases), self.state.names['prune_limit'],
                       len(self.releases), self.state.names['prune_protect']), self.result())
        return taken

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
        """Pools one after the other (so a lost order's read-back never meets another pool's order in flight),
        each labelling with the run's concurrency; none takes what an entry or another pool holds.

        With prune the pool's surplus was released before (see :meth:`release_unclaimed`): the pool
        engine gets the members it keeps, so it neither relabels a number on its way out nor warns
        about a surplus that is gone.
        """
        taken = set(taken)
        for plan in self.pool_plans:
            pool = plan['pool']
            engine = PoolEngine(self.client, pool['kind'], pool['crit'], pool['labels'], pool['quantity'],
                                check_mode=self.check_mode, concurrency=self.state.concurrency,
                                adopt_unlabelled=pool['adopt_unlabelled'])
            mine = set(r.get('number') for r in plan['members'] + plan['adopt'])
            going = set(r.get('number') for r in plan['surplus']) if self.state.prune else set()
            members = [r for r in plan['members'] if r.get('number') not in going]
            try:
                plan['result'] = engine.run(members=members, adopt=plan['adopt'],
                                            preview=plan['preview'] if self.check_mode else None,
                                            exclude=taken - mine, account=self.account, check_application=False)
            except PoolError as exc:
                plan['result'] = exc.result
                self.problems.append('pool %s: %s' % (pool['name'], exc))
            self.warnings.extend(engine.warnings)
            if engine.aborted is not None:
                self.aborted = engine.aborted
                return
            outcome = plan['result'] or {}
            for key in ('ordered', 'adopted', 'phone_numbers'):
                taken.update(n.get('number') for n in outcome.get(key, []))
            taken.update(u.get('number') for u in outcome.get('unlabelled', []))

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
        return (any(r['changed'] for r in self.entry_results) or bool(self.release_results)
                or any(p['result'] and p['result'].get('changed') for p in self.pool_plans))

    def run(self):
        if self.state.errors:
            raise AccountError('; '.join(self.state.errors), self.result())
        self.check_applications()
        self.read()
        taken = self.plan()
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
                numbers = sorted([r.get('number') for r in plan['members']] + [r.get('number') for r in plan['adopt']]
                                 + [i.get('number') for i in plan['preview']])
            if self.pruning() and holdings is None:
                surplus_numbers = set(r.get('number') for r in plan['surplus'])
                numbers = [n for n in numbers if n not in surplus_numbers]
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
                'changed': bool(outcome.get('changed')) or bool(plan['adopt'] or plan['preview'])
                or (self.pruning() and bool(plan['surplus'])),
            })
        return out

    def plan_result(self):
        steps = []
        for result in self.entry_results:
            if result['action'] != 'none':
                step = {'action': result['action'], 'number': result['number']}
                if result['action'] == 'update':
                    step['fields'] = sorted(k for k in result['after'] if result['after'][k] != result['before'].get(k))
                steps.append(step)
        for plan in self.pool_plans:
            name = plan['pool']['name']
            steps.extend({'action': 'adopt', 'number': r.get('number'), 'pool': name} for r in plan['adopt'])
            missing = plan['pool']['quantity'] - len(plan['members']) - len(plan['adopt'])
            if missing > 0:
                step = {'action': 'order', 'pool': name, 'quantity': missing}
                if plan['preview']:
                    step['numbers'] = [i.get('number') for i in plan['preview']]
                steps.append(step)
            going = plan['surplus'] if self.pruning() else []
            for member in [m for m in plan['members'] if m not in going]:
                body = update_body(dict(plan['pool']['labels'], number=member.get('number'), state='present'), member)
                if body:
                    steps.append({'action': 'update', 'number': member.get('number'), 'pool': name,
                                  'fields': sorted(body)})
        for resource in self.releases:
            pool = resource.get('name') if any(resource in p['surplus'] for p in self.pool_plans) else None
            step = {'action': 'prune', 'number': resource.get('number'), 'reason': 'surplus of pool %s' % pool if pool
                    else 'claimed by no entry or pool'}
            steps.append(step)
        return steps

    def result(self):
        entries = self.entry_results
        pools = self.pools_result()
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
            'changed': (any(r['changed'] for r in entries) or any(p['changed'] for p in pools)
                        or (self.pruning() and bool(self.releases))),
            'check_mode': self.check_mode,
            'allocated': [r['number'] for r in entries if r['action'] == 'allocate'],
            'updated': [r['number'] for r in entries if r['action'] == 'update'],
            'released': released,
            'unchanged': [r['number'] for r in entries if r['action'] == 'none' and not r.get('failed')],
            # not 'failed': Ansible reserves that key (fail_json sets it to true)
            'failed_numbers': [r['number'] for r in entries if r.get('failed')],
            'pools': pools,
            'unmanaged': [r.get('number') for r in unmanaged],
            'plan': self.plan_result(),
            'phone_numbers': [dict((k, v) for k, v in r.items() if k not in ('before', 'after')) for r in entries],
        }
        result['summary'] = summarize(
            result, read=self.read_done, prune=self.state.prune,
            refused=(len(self.releases), self.state.prune_limit) if self.refused else None,
            names=self.state.names)
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
        return {'before': _as_list(before), 'after': _as_list(after)}


def _labelled_view(resource, labels):
    view = managed_view(resource.get('number'), resource)
    for option in ('name', 'application_id', 'fallback_number'):
        if labels.get(option) is not None:
            view[option] = labels[option]
    view['state'] = 'present'
    return view


def _as_list(views):
    return {'phone_numbers': [views[number] for number in sorted(views)]}


def summarize(result, read=True, prune=False, refused=None, names=None):
    """A few lines a person reads: what changed (or would), the pools, drift.

    ``read``: whether the account was read (else drift is not known); ``prune``: whether prune was
    asked for; ``refused``: ``(releases, limit)`` when the prune guard refused the plan; ``names``:
    the option names to use in the lines (a role passes its variables).
    """
    names = dict(dict(prune_limit='prune_limit', prune_protect='prune_protect'), **(names or {}))
    verb = 'would be ' if result['check_mode'] else ''
    lines = []
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
    if refused:
        lines.append('prune: refused: %d releases exceed %s (%d); nothing was released'
                     % (refused[0], names['prune_limit'], refused[1]))
    elif pruned:
        lines.append('prune: %d %sreleased: %s' % (len(pruned), verb, _some(pruned)))
    if not read:
        lines.append('drift: not known (the account was not read)')
    elif result['unmanaged']:
        why = 'kept: protected by %s' % names['prune_protect'] if prune and not refused else 'kept; prune releases them'
        lines.append('drift: %d number%s on the account that nothing claims (%s): %s'
                     % (len(result['unmanaged']), '' if len(result['unmanaged']) == 1 else 's', why,
                        _some(result['unmanaged'])))
    elif not pruned or refused:
        lines.append('drift: none')
    if result['check_mode']:
        lines.append('check mode: nothing was written')
    return lines


def _some(numbers, most=10):
    return ', '.join(numbers[:most]) + (' ...' if len(numbers) > most else '')
