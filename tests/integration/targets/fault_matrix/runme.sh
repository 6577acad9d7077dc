#!/usr/bin/env bash
# Fault matrix: every request each module sends x every fault, against the emulator.
# fault_matrix.py starts its own emulators, runs matrix.yml, prints the matrix and exits
# non-zero when a cell does not converge. The matrix is also written to
# $OUTPUT_DIR/fault_matrix.txt.
set -eu

"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" fault_matrix.py --output "${OUTPUT_DIR:-.}" --lanes 4
