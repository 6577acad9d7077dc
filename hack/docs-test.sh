#!/usr/bin/env bash
# The docs suite of `make test`: what users read must build.
#   1. antsibull-docs lint-collection-docs: module and role docs (schema, semantic markup,
#      references), docs/docsite/extra-docs.yml, links.yml and the RST guides (rstcheck);
#   2. every module's ansible-doc: examples with FQCN tasks and a register, RETURN docs,
#      every option described, in the action group; the role's ansible-doc;
#   3. the README's Performance figures are exactly what tests/bench/README-figures.json says;
#   4. the changelog: fragments lint, changelog.yaml lint, and a release of the pending
#      fragments in a scratch copy renders a CHANGELOG.rst that holds every entry;
#   5. the docsite HTML (antsibull-docs + Sphinx, offline; DOCS_HTML=0 skips it).
# Run from the collection root under .../ansible_collections/<ns>/<name> (run-tests.sh runs
# it in its copy). antsibull-docs, antsibull-changelog and the Sphinx theme are installed
# into the virtualenv on first use; they are test tools, not requirements of the collection.
#
# Environment: VENV (.venv, must exist), BUILD (.build), ANSIBLE_CORE (pip spec kept when
# installing), DOCS_HTML (1).
set -euo pipefail

SRC="$(pwd)"
VENV="$(realpath -m "${VENV:-${VIRTUAL_ENV:-.venv}}")"
BUILD="$(realpath -m "${BUILD:-.build}")"
ANSIBLE_CORE="${ANSIBLE_CORE:-ansible-core>=2.19,<2.20}"
DOCS_HTML="${DOCS_HTML:-1}"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$PY" ] || die "no python in $VENV (run: make venv)"
read -r NS NAME VERSION < <("$PY" -c 'import sys, yaml; g = yaml.safe_load(open(sys.argv[1])); print(g["namespace"], g["name"], g["version"])' galaxy.yml) \
  || die "cannot read galaxy.yml"
case "$SRC" in
  */ansible_collections/"$NS"/"$NAME") ;;
  *) die "run me from a copy laid out as .../ansible_collections/$NS/$NAME (make docs does that)" ;;
esac
# Only this copy of the collection is visible to ansible-doc and antsibull-docs.
export ANSIBLE_COLLECTIONS_PATH="${SRC%/ansible_collections/*}"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_NOCOLOR=1

step "docs tools in $VENV"
# Same lock and stamp scheme as hack/venv.sh; the ansible-core spec is repeated so the
# docs tools cannot move ansible-core out of range.
(
  flock 9
  if [ ! -e "$VENV/.stamp-docs" ]; then
    echo "installing antsibull-docs, antsibull-changelog and sphinx-ansible-theme"
    "$PY" -m pip install -q --disable-pip-version-check antsibull-docs antsibull-changelog \
      'sphinx-ansible-theme>=0.9.0' "$ANSIBLE_CORE" || exit 1
    touch "$VENV/.stamp-docs"
  fi
) 9>"$VENV/.lock" || die "cannot install the docs tools"
antsibull-docs --version
antsibull-changelog --version

mkdir -p "$BUILD"
WORK="$(mktemp -d "$BUILD/docs.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

step "antsibull-docs lint-collection-docs"
antsibull-docs lint-collection-docs --plugin-docs --no-skip-rstcheck --check-extra-docs-refs \
  --validate-collection-refs dependent --disallow-unknown-collection-refs . \
  || die "collection docs lint failed"
echo "ok: collection docs lint (plugins, role, extra docs, links, rstcheck)"

step "ansible-doc of every module and role"
modules=()
for module in plugins/modules/*.py; do
  modules+=("$NS.$NAME.$(basename "$module" .py)")
done
[ ${#modules[@]} -gt 0 ] || die "no modules in plugins/modules"
ansible-doc --json -t module "${modules[@]}" >"$WORK/modules.json" || die "ansible-doc failed"
"$PY" - "$WORK/modules.json" "$NS.$NAME" meta/runtime.yml <<'PYEOF'
import json
import re
import sys

import yaml

docs_file, collection, runtime_file = sys.argv[1:4]
with open(docs_file) as f:
    docs = json.load(f)
with open(runtime_file) as f:
    runtime = yaml.safe_load(f) or {}
group = set(runtime.get('action_groups', {}).get('catapult', []))
problems = []


def options_without_description(options, prefix=''):
    for name, spec in (options or {}).items():
        if not spec.get('description'):
            yield prefix + name
        yield from options_without_description(spec.get('suboptions'), prefix + name + '.')


for fqcn, entry in sorted(docs.items()):
    short = fqcn.rsplit('.', 1)[1]
    doc = entry.get('doc') or {}
    examples = entry.get('examples') or ''
    returns = entry.get('return') or {}
    for what, ok in (
        ('short_description', doc.get('short_description')),
        ('description', doc.get('description')),
        ('version_added', doc.get('version_added')),
        ('author', doc.get('author')),
        ('attributes (check_mode, diff_mode, action_group)',
         all(k in (doc.get('attributes') or {}) for k in ('check_mode', 'diff_mode', 'action_group'))),
        ('seealso', doc.get('seealso')),
        ('EXAMPLES', examples.strip()),
        ('RETURN', returns),
        ('membership of the action group %s.catapult' % collection, short in group),
    ):
        if not ok:
            problems.append('%s: no %s' % (fqcn, what))
    # ansible-doc renders a seealso `ref` as a search on docs.ansible.com, which cannot find
    # this collection's labels; RST link syntax (`text <label>`) breaks it further.
    for entry in doc.get('seealso') or []:
        ref = str(entry.get('ref', ''))
        if '<' in ref or ' ' in ref.strip() or ref.startswith('ansible_collections.%s.' % collection):
            problems.append('%s: seealso ref %r renders as a broken link in ansible-doc; use module, plugin or name+link'
                            % (fqcn, ref))
    for name in options_without_description(doc.get('options')):
        problems.append('%s: option %s has no description' % (fqcn, name))
    for name, spec in returns.items():
        if not spec.get('description') or not spec.get('returned'):
            problems.append('%s: return value %s lacks description or returned' % (fqcn, name))
    if examples.strip():
        try:
            tasks = yaml.safe_load(examples)
        except yaml.YAMLError as exc:
            problems.append('%s: EXAMPLES is not YAML: %s' % (fqcn, exc))
            tasks = []
        # Every EXAMPLES block is a list of tasks (blocks allowed), never whole plays:
        # users paste them into their own plays.
        flat = []

        def walk(items):
            for item in items or []:
                if not isinstance(item, dict):
                    problems.append('%s: an example is not a task: %r' % (fqcn, item))
                    continue
                if 'hosts' in item or 'import_playbook' in item:
                    problems.append('%s: example %r is a play; EXAMPLES hold tasks only' % (fqcn, item.get('name')))
                    walk(item.get('tasks'))
                    continue
                if any(k in item for k in ('block', 'rescue', 'always')):
                    if not item.get('name'):
                        problems.append('%s: an example block has no name' % fqcn)
                    for section in ('block', 'rescue', 'always'):
                        walk(item.get(section))
                    continue
                flat.append(item)

        walk(tasks if isinstance(tasks, list) else [tasks])
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
    print('ok: ansible-doc %s' % fqcn if not any(p.startswith(fqcn + ':') for p in problems) else 'FAIL: ansible-doc %s' % fqcn)
for problem in problems:
    print('  ' + problem)
sys.exit(1 if problems else 0)
PYEOF
role_docs "$NS.$NAME" .

step "README Performance figures"
# Every figure the README's Performance section shows comes from a results file committed
# with it: the block between the bench-figures markers is what bench.py renders from it.
figures=tests/bench/README-figures.json
[ -f "$figures" ] || die "no $figures: the README's Performance figures must come from a committed results file"
! git check-ignore -q "$figures" || die "$figures is ignored by git; it must be committed with the README"
"$PY" tests/bench/bench.py --readme-figures "$figures" >"$WORK/figures.md" || die "bench.py cannot render $figures"
"$PY" - README.md "$WORK/figures.md" <<'PYEOF'
import re
import sys

readme, figures = sys.argv[1:3]
text = open(readme, encoding='utf-8').read()
m = re.search(r'<!-- bench-figures:begin -->\n(.*?)\n<!-- bench-figures:end -->', text, re.S)
if not m:
    sys.exit('README.md has no block between <!-- bench-figures:begin --> and <!-- bench-figures:end -->')
want = open(figures, encoding='utf-8').read().strip()
if m.group(1).strip() != want:
    print('README.md Performance figures differ from what tests/bench/README-figures.json says; expected:')
    print(want)
    sys.exit(1)
print('ok: the README quotes tests/bench/README-figures.json exactly')
PYEOF

step "changelog"
antsibull-changelog lint || die "changelog fragments lint failed"
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml || die "changelogs/changelog.yaml lint failed"
# A release of the pending fragments, in a scratch copy (it consumes the fragments).
scratch="$WORK/changelog/ansible_collections/$NS/$NAME"
mkdir -p "$scratch"
cp -a galaxy.yml README.md meta plugins changelogs "$scratch/"
[ ! -d roles ] || cp -a roles "$scratch/"
(
  cd "$scratch"
  if compgen -G 'changelogs/fragments/*.y*ml' >/dev/null; then
    antsibull-changelog release --version "$VERSION" --date "$(date -u +%F)" --update-existing
  else
    antsibull-changelog generate
  fi
) >"$WORK/changelog.log" 2>&1 || { cat "$WORK/changelog.log"; die "antsibull-changelog could not render the changelog"; }
[ -s "$scratch/CHANGELOG.rst" ] || die "no CHANGELOG.rst rendered"
rstcheck --report-level warning "$scratch/CHANGELOG.rst" || die "the rendered CHANGELOG.rst is not clean RST"
"$PY" - "$scratch/CHANGELOG.rst" changelogs/fragments "$VERSION" <<'PYEOF'
import glob
import os
import re
import sys

import yaml

changelog_file, fragments_dir, version = sys.argv[1:4]
with open(changelog_file) as f:
    text = f.read()
flat = re.sub(r'\s+', ' ', text)
missing = []
if not re.search(r'^v%s\n=+$' % re.escape(version), text, re.M):
    missing.append('the section v%s' % version)
count = 0
for path in sorted(glob.glob(os.path.join(fragments_dir, '*.y*ml'))):
    with open(path) as f:
        fragment = yaml.safe_load(f) or {}
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
    sys.exit(1)
print('ok: CHANGELOG.rst renders v%s with all %d entries of the pending fragments' % (version, count))
PYEOF

step "docsite HTML (antsibull-docs + Sphinx, offline)"
if [ "$DOCS_HTML" = 0 ]; then
  echo "skipped (DOCS_HTML=0)"
  exit 0
fi
site="$WORK/site"
mkdir -p "$site"
chmod og-w "$site"   # sphinx-init wants a directory only its owner can write to
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$site" \
  --project "$NS.$NAME" --title "$NS.$NAME" "$NS.$NAME" >"$WORK/sphinx-init.log" 2>&1 \
  || { cat "$WORK/sphinx-init.log"; die "antsibull-docs sphinx-init failed"; }
# Offline: no intersphinx inventories. References to labels of other docsites (Ansible's
# own docs, e.g. common_return_values) then stay unresolved; only those are tolerated below.
echo 'intersphinx_mapping = {}' >>"$site/conf.py"
mkdir -p "$site/rst"
chmod og-w "$site/rst"
antsibull-docs --config-file "$site/antsibull-docs.cfg" collection --cleanup everything --fail-on-error \
  --use-current --squash-hierarchy --dest-dir "$site/rst" "$NS.$NAME" >"$WORK/collection.log" 2>&1 \
  || { cat "$WORK/collection.log"; die "antsibull-docs collection failed"; }
sphinx-build -q -b html -c "$site" -w "$WORK/sphinx-warnings.txt" "$site/rst" "$site/build/html" \
  >"$WORK/sphinx.log" 2>&1 || { cat "$WORK/sphinx.log"; die "sphinx-build failed"; }
{
  grep -v "WARNING: undefined label: '" "$WORK/sphinx-warnings.txt" || true
  grep -F "WARNING: undefined label: 'ansible_collections.$NS.$NAME." "$WORK/sphinx-warnings.txt" || true
} >"$WORK/sphinx-own.txt"
if [ -s "$WORK/sphinx-own.txt" ]; then
  cat "$WORK/sphinx-own.txt"
  die "Sphinx warnings in the docsite"
fi
external=$(grep -c 'undefined label' "$WORK/sphinx-warnings.txt" || true)
for page in index "${modules[@]#"$NS.$NAME".}"; do
  [ "$page" = index ] && file=index.html || file="${page}_module.html"
  [ -s "$site/build/html/$file" ] || die "no $file in the docsite"
done
for entry in docs/docsite/rst/*.rst; do
  file="$(basename "$entry" .rst)"
  [ -s "$site/build/html/docsite/$file.html" ] || die "no docsite/$file.html in the docsite"
done
echo "ok: docsite HTML built ($(find "$site/build/html" -name '*.html' | wc -l) pages; $external links to other docsites unresolved offline)"
