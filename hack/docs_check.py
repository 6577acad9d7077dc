"""Checks of the docs suite (hack/docs-test.sh says what each checks); each exits 1 on a problem:

    python hack/docs_check.py modules MODULES_JSON COLLECTION RUNTIME_YML | changelog CHANGELOG_RST FRAGMENTS_DIR VERSION
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys

import yaml


def example_tasks(items, fqcn, problems, flat):
    """Every EXAMPLES block is a list of tasks (blocks allowed), never whole plays: users paste
    them into their own plays. Appends the tasks to ``flat``."""
    for item in items or []:
        if not isinstance(item, dict):
            problems.append('%s: an example is not a task: %r' % (fqcn, item))
            continue
        if 'hosts' in item or 'import_playbook' in item:
            problems.append('%s: example %r is a play; EXAMPLES hold tasks only' % (fqcn, item.get('name')))
            example_tasks(item.get('tasks'), fqcn, problems, flat)
            continue
        if any(k in item for k in ('block', 'rescue', 'always')):
            if not item.get('name'):
                problems.append('%s: an example block has no name' % fqcn)
            for section in ('block', 'rescue', 'always'):
                example_tasks(item.get(section), fqcn, problems, flat)
            continue
        flat.append(item)


def check_examples(fqcn, short, examples, problems):
    try:
        tasks = yaml.safe_load(examples)
    except yaml.YAMLError as exc:
        problems.append('%s: EXAMPLES is not YAML: %s' % (fqcn, exc))
        tasks = []
    flat = []
    example_tasks(tasks if isinstance(tasks, list) else [tasks], fqcn, problems, flat)
    modules_used = set()
    for task in flat:
        if not task.get('name'):
            problems.append('%s: an example task has no name' % fqcn)
        for key in task:
            if re.match(r'^[a-z_]+\.[a-z_]+\.[a-z_0-9]+$', key):
                modules_used.add(key)
            elif key in ('debug', 'copy', 'set_fact', 'assert', short):
                problems.append('%s: example task uses %s without FQCN' % (fqcn, key))
    if fqcn not in modules_used:
        problems.append('%s: no example task calls %s' % (fqcn, fqcn))
    if 'register:' not in examples:
        problems.append('%s: no example registers its result' % fqcn)


def modules(docs_file, collection, runtime_file):
    with open(docs_file, encoding='utf-8') as handle:
        docs = json.load(handle)
    with open(runtime_file, encoding='utf-8') as handle:
        runtime = yaml.safe_load(handle) or {}
    group = set(runtime.get('action_groups', {}).get('catapult', []))
    problems = []
    for fqcn, entry in sorted(docs.items()):
        short = fqcn.rsplit('.', 1)[1]
        doc = entry.get('doc') or {}
        examples = entry.get('examples') or ''
        # (short_description, description, author, EXAMPLES, RETURN, the descriptions of options and
        # return values: ansible-test sanity's validate-modules requires them)
        for what, ok in (
            ('version_added', doc.get('version_added')),
            ('attributes (check_mode, diff_mode, action_group)',
             all(k in (doc.get('attributes') or {}) for k in ('check_mode', 'diff_mode', 'action_group'))),
            ('seealso', doc.get('seealso')),
            ('membership of the action group %s.catapult' % collection, short in group),
        ):
            if not ok:
                problems.append('%s: no %s' % (fqcn, what))
        # ansible-doc renders a seealso `ref` as a search on docs.ansible.com, which cannot find
        # this collection's labels; RST link syntax (`text <label>`) breaks it further.
        for see in doc.get('seealso') or []:
            ref = str(see.get('ref', ''))
            if '<' in ref or ' ' in ref.strip() or ref.startswith('ansible_collections.%s.' % collection):
                problems.append('%s: seealso ref %r renders as a broken link in ansible-doc; use module, plugin or name+link'
                                % (fqcn, ref))
        if examples.strip():
            check_examples(fqcn, short, examples, problems)
        print('ok: ansible-doc %s' % fqcn if not any(p.startswith(fqcn + ':') for p in problems) else 'FAIL: ansible-doc %s' % fqcn)
    for problem in problems:
        print('  ' + problem)
    return 1 if problems else 0


def changelog(changelog_file, fragments_dir, version):
    with open(changelog_file, encoding='utf-8') as handle:
        text = handle.read()
    flat = re.sub(r'\s+', ' ', text)
    missing = []
    if not re.search(r'^v%s\n=+$' % re.escape(version), text, re.M):
        missing.append('the section v%s' % version)
    count = 0
    for path in sorted(glob.glob(os.path.join(fragments_dir, '*.y*ml'))):
        with open(path, encoding='utf-8') as handle:
            fragment = yaml.safe_load(handle) or {}
        for section, entries in fragment.items():
            if section == 'trivial':
                continue
            for entry in entries if isinstance(entries, list) else [entries]:
                count += 1
                head = re.sub(r'\s+', ' ', str(entry)).strip()[:60]
                if head not in flat:
                    missing.append('%s (%s): %s...' % (os.path.basename(path), section, head))
    if missing:
        print('CHANGELOG.rst lacks:\n  ' + '\n  '.join(missing))
        return 1
    print('ok: CHANGELOG.rst renders v%s with all %d entries of the pending fragments' % (version, count))
    return 0


COMMANDS = {'modules': (modules, 3), 'changelog': (changelog, 3)}

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or len(sys.argv) != COMMANDS[sys.argv[1]][1] + 2:
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]][0](*sys.argv[2:]))
