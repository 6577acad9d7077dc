"""The demo's (hack/emulator.sh demo) view of its account on the emulator:

    python hack/demo_account.py table CONTROL_URL HOSTVARS_JSON USER_ID   the numbers as a table
    python hack/demo_account.py add API_URL USER_ID API_TOKEN API_SECRET  add +19195552599 by hand
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.request

TOLL_FREE_PREFIXES = ('+1800', '+1833', '+1844', '+1855', '+1866', '+1877', '+1888')


def table(control_url, hostvars_file, user_id):
    with urllib.request.urlopen('%s/numbers?user_id=%s' % (control_url, user_id), timeout=10) as resp:
        data = json.load(resp)
    if isinstance(data, dict):
        data = data.get('numbers', data.get('phone_numbers', []))
    numbers = sorted((n for n in data if n.get('numberState') == 'enabled'), key=lambda n: n.get('number', ''))
    with open(hostvars_file, encoding='utf-8') as handle:
        hostvars = json.load(handle)
    pools = [p.get('name') for p in hostvars.get('catapult_number_pools') or []]

    def kind(n):
        return 'pool' if n.get('name') in pools else 'number'

    def location(n):
        if not n.get('city') and n.get('number', '')[:5] in TOLL_FREE_PREFIXES:
            return 'toll-free'
        return ', '.join(part for part in (n.get('city'), n.get('state')) if part)

    cols = [('number', lambda n: n.get('number')), ('name', lambda n: n.get('name')), ('kind', kind),
            ('application', lambda n: n.get('applicationId')), ('fallback', lambda n: n.get('fallbackNumber')),
            ('location', location)]
    # specific numbers first, then each pool in inventory order
    numbers.sort(key=lambda n: (pools.index(n['name']) + 1 if n.get('name') in pools else 0))
    rows = [[str(get(n) or '-') for dummy, get in cols] for n in numbers]
    widths = [max([len(title)] + [len(r[i]) for r in rows]) for i, (title, dummy) in enumerate(cols)]
    for row in [[title for title, dummy in cols], ['-' * w for w in widths]] + rows:
        print('  '.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    in_pools = sum(1 for n in numbers if kind(n) == 'pool')
    print('\n%d numbers on account %s: %d specific, %d in %d pools'
          % (len(numbers), user_id, len(numbers) - in_pools, in_pools, len(pools)))


def add(api_url, user_id, token, secret):
    body = json.dumps({'number': '+19195552599', 'name': 'Added by hand'}).encode()
    auth = base64.b64encode(('%s:%s' % (token, secret)).encode()).decode()
    request = urllib.request.Request('%s/users/%s/phoneNumbers' % (api_url, user_id), data=body, method='POST',
                                     headers={'Content-Type': 'application/json', 'Authorization': 'Basic ' + auth})
    with urllib.request.urlopen(request, timeout=10) as resp:
        print('POST %s/users/%s/phoneNumbers +19195552599 (Added by hand): HTTP %d' % (api_url, user_id, resp.status))


if __name__ == '__main__':
    commands = {'table': (table, 3), 'add': (add, 4)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or len(sys.argv) != commands[sys.argv[1]][1] + 2:
        sys.exit(__doc__)
    commands[sys.argv[1]][0](*sys.argv[2:])
