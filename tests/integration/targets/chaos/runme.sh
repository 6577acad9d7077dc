#!/usr/bin/env bash
# Chaos: the emulator injects random faults (seeded) into a fifth of all requests while the
# phone_numbers role provisions a few hundred numbers; the role is rerun until it succeeds,
# then the account is checked exactly against the desired state (see chaos.py).
set -eu

"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" chaos.py --output "${OUTPUT_DIR:-.}"
