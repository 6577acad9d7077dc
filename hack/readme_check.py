"""What README.md promises, for the docs and quickstart suites (hack/docs-test.sh,
hack/quickstart-test.sh); each exits 1 on a problem (standard library only):

    python3 hack/readme_check.py figures README FIGURES_MD   the Performance block is exactly FIGURES_MD
    python3 hack/readme_check.py extract README OUT          write the quick start's commands to OUT
    python3 hack/readme_check.py check LOG HOME              the quick start's run did what the README says
"""

from __future__ import annotations

import os
import re
import sys


def readme_block(readme, name, inner):
    """What ``inner`` (a regex with one group) matches between <!-- NAME:begin --> and <!-- NAME:end -->, or None."""
    with open(readme, encoding='utf-8') as handle:
        m = re.search('<!-- %s:begin -->%s<!-- %s:end -->' % (name, inner, name), handle.read(), re.S)
    if not m:
        print('%s has no block between <!-- %s:begin --> and <!-- %s:end -->' % (readme, name, name))
    return m.group(1) if m else None


def figures(readme, figures_file):
    block = readme_block(readme, 'bench-figures', r'\n(.*?)\n')
    with open(figures_file, encoding='utf-8') as handle:
        want = handle.read().strip()
    if block is None or block.strip() != want:
        print('README.md Performance figures differ from what tests/bench/README-figures.json says; expected:\n' + want)
        return 1
    print('ok: the README quotes tests/bench/README-figures.json exactly')
    return 0


def extract(readme, out):
    block = readme_block(readme, 'quickstart', r'\s*```(?:bash|sh)\n(.*?)```\s*')
    if block is None:
        return 1
    with open(out, 'w', encoding='utf-8') as handle:
        handle.write(block)
    return 0


def check(log, home):
    with open(log, encoding='utf-8', errors='replace') as handle:
        text = re.sub(r'\x1b\[[0-9;]*m', '', handle.read())
    recaps = [dict((k, int(v)) for k, v in re.findall(r'\b(ok|changed|unreachable|failed)=(\d+)', m))
              for m in re.findall(r'^localhost\s*:\s*(ok=.*)$', text, re.M)]
    problems = []
    if len(recaps) != 3:
        problems.append('expected 3 play recaps (--check --diff, run, rerun), found %d' % len(recaps))
    else:
        check_recap, run, rerun = recaps
        for name, recap in (('--check --diff', check_recap), ('run', run), ('rerun', rerun)):
            if recap.get('failed') or recap.get('unreachable'):
                problems.append('the %s recap shows failures: %s' % (name, recap))
        if not run.get('changed'):
            problems.append('the run changed nothing on a fresh emulator: %s' % run)
        if rerun.get('changed') != 0:
            problems.append('the rerun must report changed=0: %s' % rerun)
        if not check_recap.get('changed'):
            problems.append('--check --diff showed no change on a fresh emulator: %s' % check_recap)
        print('recaps: check %s; run %s; rerun %s' % (check_recap, run, rerun))
    installed = os.path.join(home, '.ansible', 'collections', 'ansible_collections', 'bandwidth', 'catapult', 'MANIFEST.json')
    if not os.path.exists(installed):
        problems.append('the collection was not installed into ~/.ansible/collections (%s missing)' % installed)
    if 'emulator: stopped' not in text:
        problems.append('the quick start did not stop its emulator')
    for problem in problems:
        print('FAIL: ' + problem)
    return 1 if problems else 0


COMMANDS = {'figures': figures, 'extract': extract, 'check': check}

if __name__ == '__main__':
    if len(sys.argv) != 4 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
