"""Checks 1 to 4 of the galaxy suite (hack/galaxy-test.sh says what they check) on TARBALL and the
git tree it was built from (the current directory); exits 1 on a problem:

    python hack/galaxy_check.py TARBALL
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import subprocess
import sys
import tarfile

import yaml

tarball = sys.argv[1]
problems = []
# REUSE-IgnoreStart
SPDX_RE = re.compile(r'SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+(?:\s+(?:OR|AND|WITH)\s+[A-Za-z0-9.+-]+)*)')
# REUSE-IgnoreEnd


def git(*args):
    return subprocess.run(['git'] + list(args), capture_output=True, text=True, check=True).stdout


tracked = [p for p in git('ls-files', '--cached', '--others', '--exclude-standard', '-z').split('\0')
           if p and os.path.isfile(p)]
texts = {os.path.splitext(name)[0] for name in os.listdir('LICENSES') if name.endswith('.txt')} \
    if os.path.isdir('LICENSES') else set()

# 1. every licence a file names has its text
used = {}
for path in tracked:
    if path.startswith('LICENSES/'):
        continue
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            head = f.read(4000)
    except OSError:
        continue
    for expr in SPDX_RE.findall(head):
        for lic in re.split(r'\s+(?:OR|AND|WITH)\s+', expr.strip()):
            used.setdefault(lic, []).append(path)
with open('galaxy.yml') as f:
    galaxy = yaml.safe_load(f)
for lic in galaxy.get('license') or []:
    used.setdefault(lic, []).append('galaxy.yml')
for lic, paths in sorted(used.items()):
    if lic not in texts:
        problems.append('%s names licence %s but LICENSES/%s.txt does not exist' % (paths[0], lic, lic))
    else:
        print('ok: %s (%d files) has LICENSES/%s.txt' % (lic, len(paths), lic))
for lic in sorted(texts - set(used)):
    problems.append('LICENSES/%s.txt is not the licence of any file' % lic)
gpl = 'LICENSES/GPL-3.0-or-later.txt'
if os.path.exists(gpl):
    with open(gpl, encoding='utf-8') as f:
        text = f.read()
    if 'GNU GENERAL PUBLIC LICENSE' not in text or 'Version 3, 29 June 2007' not in text or 'END OF TERMS AND CONDITIONS' not in text:
        problems.append('%s is not the full text of the GNU GPL version 3' % gpl)
# the header every source file carries points to the text
pointer = re.compile(r'see (LICENSES/[A-Za-z0-9.+-]+\.txt)')
for path in tracked:
    with open(path, encoding='utf-8', errors='replace') as f:
        for target in pointer.findall(f.read(4000)):
            if not os.path.exists(target):
                problems.append('%s points to %s, which does not exist' % (path, target))

# 2. build_ignore entries exist (tracked) or are output that git ignores
for entry in galaxy.get('build_ignore') or []:
    if entry == '.git':
        continue
    pattern = entry[3:] if entry.startswith('**/') else entry
    hit = any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(os.path.basename(p), pattern) or p.startswith(pattern.rstrip('/') + '/')
              for p in tracked)
    probe = pattern.replace('*', 'x')
    ignored = any(subprocess.run(['git', 'check-ignore', '-q', '--no-index', path], check=False).returncode == 0
                  for path in (probe, probe + '/x'))
    if not (hit or ignored):
        problems.append('galaxy.yml build_ignore: %r names nothing in the repository and nothing git ignores' % entry)

# 3. the tarball
tracked_set = set(tracked)
with tarfile.open(tarball) as tar:
    members = {m.name: m for m in tar.getmembers()}
    for lic in sorted(texts):
        name = 'LICENSES/%s.txt' % lic
        if name not in members:
            problems.append('the tarball lacks %s' % name)
            continue
        with open(name, 'rb') as f:
            want = hashlib.sha256(f.read()).hexdigest()
        if hashlib.sha256(tar.extractfile(members[name]).read()).hexdigest() != want:
            problems.append('%s in the tarball differs from the repository' % name)
        else:
            print('ok: the tarball holds %s' % name)
    for role in sorted(os.listdir('roles')) if os.path.isdir('roles') else []:
        if 'roles/%s/README.md' % role not in members:
            problems.append('the tarball lacks roles/%s/README.md (Galaxy rejects a role without a README)' % role)
    strays = sorted(n for n, m in members.items() if m.isfile() and n not in ('MANIFEST.json', 'FILES.json')
                    and n not in tracked_set)
    if strays:
        problems.append('the tarball holds files git does not track (add them to build_ignore or delete them): %s'
                        % ', '.join(strays[:10]))
    print('ok: %d files in the tarball' % sum(1 for m in members.values() if m.isfile()))

# 4. the repository cites only documents it holds: no notes kept beside the repository,
# no issue numbers of a tracker a clone does not come with (API facts: docs/catapult-api-facts.md)
outside = re.compile(r'(?:\.\.|/work)/shared\b|\b(?:catapult-api|toolchain|design|style)\.md\b'
                     r'|\b[Ii]ssues? #?[0-9]+\b|(?:^|\s)#[0-9]+\b|\bAPD\b')
cited = 0
for path in tracked:
    if path.startswith('LICENSES/'):
        continue
    with open(path, encoding='utf-8', errors='replace') as f:
        for number, line in enumerate(f, 1):
            if outside.search(line):
                cited += 1
                problems.append('%s:%d cites a document that is not in the repository: %s' % (path, number, line.strip()[:120]))
if not cited:
    print('ok: no file cites a document outside the repository')

for p in problems:
    print('FAIL: ' + p)
sys.exit(1 if problems else 0)
