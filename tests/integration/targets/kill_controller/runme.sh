#!/usr/bin/env bash
# SIGKILL of ansible-playbook at random moments (seeded) while a pool is ordered and while
# specific numbers are allocated in bulk; the orphaned module stops before its next write,
# a rerun converges and the account holds exactly what was asked (see kill_controller.py).
set -eu

"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" kill_controller.py --output "${OUTPUT_DIR:-.}"
