# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pieces every module shares: the connection arg spec, client creation, error
reporting, E.164 handling and the snake_case view of a phone number resource."""

from __future__ import annotations

import os
import re

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.bandwidth.catapult.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    CatapultClient,
    api_url_problem,
)

E164_RE = re.compile(r'^\+[1-9][0-9]{6,14}$')
_NUMBER_PUNCTUATION = re.compile(r'[\s().\-]')


def catapult_argument_spec():
    """The connection options of every module; mirrors the ``bandwidth.catapult.auth`` doc fragment."""
    return dict(
        user_id=dict(type='str', required=True, fallback=(env_fallback, ['CATAPULT_USER_ID'])),
        api_token=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['CATAPULT_API_TOKEN'])),
        api_secret=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['CATAPULT_API_SECRET'])),
        api_url=dict(type='str', fallback=(env_fallback, ['CATAPULT_API_URL']), default=DEFAULT_API_URL),
        validate_certs=dict(type='bool', default=True),
        timeout=dict(type='float', default=30.0),
    )


def create_client(module, pool_size=16):
    """A :class:`CatapultClient` from the module's connection options (fails cleanly without requests)."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout must be a positive number of seconds, got %s' % params['timeout'])
    api_url = params['api_url'] or DEFAULT_API_URL
    problem = api_url_problem(api_url)
    if problem:
        module.fail_json(msg=problem)
    return CatapultClient(
        user_id=params['user_id'],
        api_token=params['api_token'],
        api_secret=params['api_secret'],
        api_url=api_url,
        validate_certs=params['validate_certs'],
        timeout=params['timeout'],
        pool_size=pool_size,
        controller_gone=ControllerWatch(),
    )


class ControllerWatch(object):
    """Tells whether the processes that started this module are still there.

    A module runs under the ``ansible-playbook`` process that started it (through a worker
    and a shell). When that controller is killed, the module would go on writing on its
    own, and a rerun would race it. The chain of ancestors (pid and start time, read from
    ``/proc``) is recorded when the module starts; once any of them is gone or the chain
    changes (a killed parent's children are re-parented), the controller is gone and the
    client sends no further write. Where ``/proc`` does not exist, only the parent pid is
    compared.
    """

    MAX_DEPTH = 64

    def __init__(self):
        self.chain = self.ancestors()

    def __call__(self):
        """``None`` while the controller is there; else why it is considered gone."""
        now = self.ancestors()
        if now == self.chain:
            return None
        for (pid, started), current in zip(self.chain, now + [None] * len(self.chain)):
            if current != (pid, started):
                return ('the Ansible controller that started this task is gone (process %s, an ancestor of this module, '
                        'exited or this module was re-parented)' % pid)
        return 'the Ansible controller that started this task is gone'

    @classmethod
    def ancestors(cls):
        pid = os.getppid()
        if not os.path.isdir('/proc/%d' % pid):
            return [(pid, None)]
        chain = []
        while pid > 1 and len(chain) < cls.MAX_DEPTH:
            stat = _proc_stat(pid)
            if stat is None:
                chain.append((pid, None))
                break
            ppid, started = stat
            chain.append((pid, started))
            pid = ppid
        return chain


def _proc_stat(pid):
    """``(ppid, start time)`` of a process from ``/proc/PID/stat``, ``None`` when it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            text = handle.read()
    except (IOError, OSError):
        return None
    fields = text.rsplit(')', 1)[-1].split()
    try:
        return int(fields[1]), fields[19]
    except (IndexError, ValueError):
        return None


def fail_from_error(module, exc, **result):
    """Fail the task with the API error's text and structured fields (never a credential)."""
    module.fail_json(msg=str(exc), error=exc.to_dict(), **result)


def normalize_e164(value):
    """``+1 (919) 555-0100`` -> ``+19195550100``; ``None`` when it is not E.164 after that."""
    if value is None:
        return None
    compact = _NUMBER_PUNCTUATION.sub('', str(value))
    return compact if E164_RE.match(compact) else None


def e164_error(option, value):
    text = ('%s must be an E.164 phone number: a leading + and 7 to 15 digits, e.g. +19195551234 '
            '(spaces, dots, dashes and parentheses are ignored); got %r' % (option, value))
    if isinstance(value, int) or re.match(r'^[1-9][0-9]{6,14}$', str(value)):
        text += ('. It has no leading +: YAML reads an unquoted +%s as the integer %s, so quote it: %s: "+%s"'
                 % (value, value, option.rsplit('.', 1)[-1], value))
    return text


def optional_e164(value, option, errors):
    """A normalised optional E.164 option: ``None`` and ``''`` pass as they are; a bad value adds to ``errors``."""
    if value in (None, ''):
        return value
    normalized = normalize_e164(value)
    if normalized is None:
        errors.append(e164_error(option, value))
    return normalized


def application_id_of(resource):
    """``applicationId`` if present, else the last segment of the ``application`` URL."""
    app_id = resource.get('applicationId')
    if app_id:
        return app_id
    url = resource.get('application')
    if url:
        return url.rstrip('/').rsplit('/', 1)[-1]
    return None


def phone_number_result(resource):
    """The snake_case view of a phone number resource that modules return."""
    if resource is None:
        return None
    return dict(
        id=resource.get('id'),
        number=resource.get('number'),
        national_number=resource.get('nationalNumber'),
        name=resource.get('name'),
        application_id=application_id_of(resource),
        fallback_number=resource.get('fallbackNumber'),
        city=resource.get('city'),
        state=resource.get('state'),
        price=resource.get('price'),
        number_state=resource.get('numberState'),
        created_time=resource.get('createdTime'),
    )
