#!/usr/bin/env bash
# Fault matrix: every request each module sends x every fault, against the emulator.
# fault_matrix.py starts its own emulators, runs the cells, prints the matrix (also to
# $OUTPUT_DIR/fault_matrix.txt) and exits non-zero when a cell does not converge.
set -eu

"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" fault_matrix.py --output "${OUTPUT_DIR:-.}"
