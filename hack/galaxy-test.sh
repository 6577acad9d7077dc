#!/usr/bin/env bash
# The galaxy suite of `make test`: what Galaxy and Automation Hub check when the collection
# is uploaded, offline, on the tarball that `make build` makes.
#   1. licences (the REUSE layout): every licence named by an SPDX-License-Identifier in a
#      file, in REUSE.toml or in galaxy.yml has its text in LICENSES/<id>.txt, every text
#      there is used, the GPL text is the real one, and `reuse lint` passes;
#   2. galaxy.yml build_ignore names only paths that exist in the repository or that git
#      ignores (tool output), so no entry is stale;
#   3. the tarball holds each licence text byte for byte, a README for every role, and no
#      file that git would not track (caches, local output);
#   4. no file cites a document the repository does not hold (notes kept outside it, issue
#      numbers of a tracker a clone does not come with);
#   5. galaxy-importer (the importer Galaxy runs) on the tarball, with ansible-doc,
#      ansible-lint and flake8 on and ansible-test off: any ERROR or WARNING fails.
# The tools live in a virtualenv of their own ($BUILD/venv-galaxy): they are test tools,
# never requirements of the collection. Run from the collection root (run-tests.sh runs it
# in its copy, a git repository).
#
# Environment: PYTHON (python3), BUILD (.build).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
BUILD="$(realpath -m "${BUILD:-.build}")"
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS='galaxy-importer reuse'
venv="$BUILD/venv-galaxy"
mkdir -p "$BUILD"
(
  flock 9
  if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$TOOLS" ]; then
    echo "installing $TOOLS into $venv"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    # shellcheck disable=SC2086  # TOOLS is a list of package names
    "$venv/bin/python" -m pip install -q --disable-pip-version-check $TOOLS >"$BUILD/venv-galaxy.log" 2>&1 \
      || { cat "$BUILD/venv-galaxy.log"; exit 1; }
    printf '%s\n' "$TOOLS" > "$venv/.stamp"
  fi
) 9>"$BUILD/.lock-venv-galaxy" || die "cannot install $TOOLS into $venv"
PY="$venv/bin/python"

WORK="$(mktemp -d "$BUILD/galaxy.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

step "build the tarball"
# From the files a clone of this tree holds (tracked, and untracked but not ignored), as
# a user's `make build` in a fresh checkout would: output the test suites left in this
# copy (.hypothesis, tests/output, ...) is not what Galaxy would get.
export_dir="$WORK/src/collection"
mkdir -p "$export_dir"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$export_dir"
"$venv/bin/ansible-galaxy" collection build --force --output-path "$WORK/dist" "$export_dir" >/dev/null \
  || die "collection build failed"
tarball="$(ls "$WORK"/dist/*.tar.gz)"
echo "built $tarball"

step "licences, build_ignore, the tarball's contents, citations"
"$PY" - "$tarball" <<'PYEOF'
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
PYEOF
"$venv/bin/reuse" lint >"$WORK/reuse.txt" 2>&1 || { cat "$WORK/reuse.txt"; die "reuse lint failed"; }
echo "ok: reuse lint ($(grep -m1 'compliant' "$WORK/reuse.txt" | sed 's/^ *//'))"

step "galaxy-importer on the tarball (ansible-test off; ansible-doc, ansible-lint, flake8 on)"
cat >"$WORK/galaxy-importer.cfg" <<EOF
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_FLAKE8 = True
CHECK_CHANGELOG = True
ANSIBLE_LOCAL_TMP = $WORK/ansible-tmp
TMP_ROOT_DIR = $WORK
LOG_LEVEL_MAIN = INFO
EOF
mkdir -p "$WORK/ansible-tmp" "$WORK/out"
rc=0
(
  cd "$WORK/out"
  # the importer finds ansible-doc, ansible-lint and flake8 on PATH: only its own venv's
  GALAXY_IMPORTER_CONFIG="$WORK/galaxy-importer.cfg" PATH="$venv/bin:$PATH" \
    ANSIBLE_COLLECTIONS_PATH="$WORK/none" "$PY" -m galaxy_importer.main "$tarball"
) >"$WORK/importer.log" 2>&1 || rc=$?
cat "$WORK/importer.log"
version="$("$PY" -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))')"
problems="$(grep -E '^(WARNING|ERROR|CRITICAL)|Traceback' "$WORK/importer.log" || true)"
if [ "$rc" -ne 0 ] || [ -n "$problems" ]; then
  echo "FAIL: galaxy-importer $version (exit status $rc) reported:"
  printf '%s\n' "${problems:-(no WARNING/ERROR line; see the log above)}"
  exit 1
fi
grep -q 'Importing with galaxy-importer' "$WORK/importer.log" || die "galaxy-importer printed nothing recognisable"
echo "ok: galaxy-importer $version accepts $(basename "$tarball") with no error and no warning"
