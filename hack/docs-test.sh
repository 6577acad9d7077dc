#!/usr/bin/env bash
# The docs suite of `make test`: what users read must build.
#   1. antsibull-docs lint-collection-docs: module and role docs (schema, semantic markup,
#      references), docs/docsite/extra-docs.yml, links.yml and the RST guides (rstcheck);
#   2. every module's ansible-doc: examples that are named FQCN tasks with a register,
#      version_added, attributes, seealso that renders, in the action group (the fields
#      validate-modules requires are left to `make sanity`); the role's ansible-doc;
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
VENV="$VENV" ANSIBLE_CORE="$ANSIBLE_CORE" "$(dirname "${BASH_SOURCE[0]}")/venv.sh" --docs || die "cannot install the docs tools"
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
"$PY" hack/docs_check.py modules "$WORK/modules.json" "$NS.$NAME" meta/runtime.yml
role_docs "$NS.$NAME" .

step "README Performance figures"
# Every figure the README's Performance section shows comes from a results file committed
# with it: the block between the bench-figures markers is what bench.py renders from it.
figures=tests/bench/README-figures.json
[ -f "$figures" ] || die "no $figures: the README's Performance figures must come from a committed results file"
! git check-ignore -q "$figures" || die "$figures is ignored by git; it must be committed with the README"
"$PY" tests/bench/bench.py --readme-figures "$figures" >"$WORK/figures.md" || die "bench.py cannot render $figures"
"$PY" hack/readme_check.py figures README.md "$WORK/figures.md"

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
"$PY" hack/docs_check.py changelog "$scratch/CHANGELOG.rst" changelogs/fragments "$VERSION"

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
