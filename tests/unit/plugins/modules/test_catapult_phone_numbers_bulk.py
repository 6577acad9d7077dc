# -*- coding: utf-8 -*-
# Copyright (c) 2026, bandwidth.catapult contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Many specific numbers in one catapult_phone_numbers task (the former bulk form of
catapult_phone_number), with HTTP scripted at the requests layer: one listing, then only
the writes that differ; one failure never hides the others; an answer without Location is
read back by number; a dead controller stops every worker."""

from __future__ import annotations

from ansible_collections.bandwidth.catapult.plugins.modules import catapult_phone_numbers as module
from ansible_collections.bandwidth.catapult.tests.unit.plugins.utils import NUMBERS, calls

NUM = '+19195550100'
ENC = '/users/u-unit/phoneNumbers/%2B19195550100'
LIST = '/users/u-unit/phoneNumbers?size=1000'


def resource(number=NUM, **fields):
    item = {'id': 'n-' + number[-4:], 'number': number, 'nationalNumber': '(919) 555-0100', 'city': 'RALEIGH',
            'state': 'NC', 'price': '0.35', 'numberState': 'enabled', 'createdTime': '2026-11-23T14:00:00.000Z'}
    item.update(fields)
    return item


def test_lists_once_and_writes_only_what_differs(requests_mock, run_module):
    other = '+19195550101'
    gone = '+19195550102'
    requests_mock.get(NUMBERS, json=[resource(name='Same'), resource(other, name='Old'), resource(gone)])
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': NUMBERS + '/n-0103'})
    requests_mock.post(NUMBERS + '/n-0101', status_code=200)
    requests_mock.delete(NUMBERS + '/n-0102', status_code=200)
    entries = [{'number': NUM, 'name': 'Same'}, {'number': other, 'name': 'New'}, {'number': gone, 'state': 'absent'},
               {'number': '+19195550103', 'name': 'Fresh'}]
    result, failed = run_module(module, {'numbers': entries, 'concurrency': 4}, diff=True)
    assert not failed and result['changed']
    # one listing, the three writes, and the listing that reports what the account holds afterwards
    sent = calls(requests_mock)
    assert sent[0] == ('GET', LIST) and sent[-1] == ('GET', LIST)
    assert sorted(sent[1:-1]) == sorted([('POST', '/users/u-unit/phoneNumbers/n-0101'), ('DELETE', '/users/u-unit/phoneNumbers/n-0102'),
                                         ('POST', '/users/u-unit/phoneNumbers')])
    assert [(r['number'], r['action'], r['changed']) for r in result['phone_numbers']] == [
        (NUM, 'none', False), (other, 'update', True), (gone, 'release', True), ('+19195550103', 'allocate', True)]
    assert result['phone_numbers'][3]['phone_number']['id'] == 'n-0103'
    before = dict((view['number'], view) for view in result['diff']['before']['phone_numbers'])
    after = dict((view['number'], view) for view in result['diff']['after']['phone_numbers'])
    assert before[gone]['state'] == 'present' and after[gone]['state'] == 'absent'
    assert result['failed_numbers'] == []


def test_one_failure_does_not_hide_the_others(requests_mock, run_module):
    requests_mock.get(NUMBERS, json=[])
    requests_mock.post(NUMBERS, [
        {'status_code': 201, 'headers': {'Location': NUMBERS + '/n-ok'}},
    ])
    requests_mock.post(NUMBERS, additional_matcher=lambda req: req.json()['number'] == '+19195550101',
                       status_code=404, json={'code': 'number-not-found', 'message': 'The number +19195550101 could not be found'})
    entries = [{'number': NUM}, {'number': '+19195550101'}]
    result, failed = run_module(module, {'numbers': entries, 'concurrency': 1})
    assert failed
    assert result['failed_numbers'] == ['+19195550101']
    assert result['msg'].startswith('+19195550101: Catapult API error: POST /users/u-unit/phoneNumbers returned HTTP 404')
    assert result['phone_numbers'][0]['changed'] and result['phone_numbers'][0]['phone_number']['id'] == 'n-ok'
    assert result['changed']


def test_order_answered_without_location_is_read_back_by_number(requests_mock, run_module):
    requests_mock.get(NUMBERS, json=[])
    requests_mock.post(NUMBERS, status_code=201)
    requests_mock.get(NUMBERS + '/%2B19195550100', json=resource(name='A'))
    result, failed = run_module(module, {'numbers': [{'number': NUM, 'name': 'A'}]})
    assert not failed, result
    assert calls(requests_mock) == [('GET', LIST), ('POST', '/users/u-unit/phoneNumbers'), ('GET', ENC), ('GET', LIST)]
    assert result['phone_numbers'][0]['phone_number']['id'] == 'n-0100'


def test_stops_every_worker_once_the_controller_is_gone(requests_mock, run_module, monkeypatch):
    from ansible_collections.bandwidth.catapult.plugins.module_utils import _common as common  # pylint: disable=import-outside-toplevel
    checks = []

    def gone(self):
        checks.append(1)
        return None if len(checks) == 1 else 'the Ansible controller that started this task is gone'

    monkeypatch.setattr(common.ControllerWatch, '__call__', gone)
    requests_mock.get(NUMBERS, json=[])
    requests_mock.post(NUMBERS, status_code=201, headers={'Location': NUMBERS + '/n-new'})
    entries = [{'number': '+1919555%04d' % i} for i in range(100, 106)]
    result, failed = run_module(module, {'numbers': entries, 'concurrency': 1})
    assert failed
    assert [c for c in calls(requests_mock) if c[0] != 'GET'] == [('POST', '/users/u-unit/phoneNumbers')]
    assert len(checks) == 2  # the others never started
    assert result['failed_numbers'] == [e['number'] for e in entries[1:]]
