#!/usr/bin/env bash
# Secret leak: runs succeeding and failing tasks at -vvvv with per-run credentials and
# greps everything ansible-playbook printed for them (see secret_leak.py). No `set -x`:
# this script must not print the credentials itself.
set -eu

"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" secret_leak.py --output "${OUTPUT_DIR:-.}"
