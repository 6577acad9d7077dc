# Developer entry points for the bandwidth.catapult collection (GNU make, Python 3.11+).
#
#   make demo                      run the demo playbook twice against the local emulator
#   make test                      sanity, units, integration, package, compat, docs, lint (all run; summary at the end)
#   make sanity|units|integration  one ansible-test suite; TARGETS=... and ARGS=... are passed on,
#                                  e.g. make integration TARGETS=emulator_smoke ARGS=-v
#   make package                   build the tarball, install it, docs + EE metadata + a playbook from it
#   make compat                    unit tests on the lowest supported ansible-core (2.16)
#   make lint                      ansible-lint (production profile), installed on first use
#   make docs                      docs lint (antsibull-docs), ansible-doc of every module, changelog, docsite HTML
#   make build                     collection tarball into $(BUILD)/dist
#   make emulator                  the Catapult emulator in the foreground (Ctrl-C stops it)
#   make bench                     benchmark against the emulator (not part of test); BENCH_ARGS=--quick|--rate-limits
#   make clean                     remove $(VENV) and $(BUILD)
#
# The test suites run in a copy of the working tree at
# $(BUILD)/ansible_collections/bandwidth/catapult; uncommitted edits are tested.
# Several runs at once from one checkout: give each its own BUILD=/tmp/somewhere.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BUILD ?= .build
ANSIBLE_CORE ?= ansible-core>=2.19,<2.20
TARGETS ?=
ARGS ?=
BENCH_ARGS ?=
EMULATOR_PORT ?= 8080
EMULATOR_ARGS ?= --host 127.0.0.1 --port $(EMULATOR_PORT) --user-id u-demo --api-token demo-token --api-secret demo-secret

export PYTHON VENV BUILD ANSIBLE_CORE TARGETS ARGS

.PHONY: help venv demo test sanity units integration package compat docs lint build emulator clean

help:
	@sed -n '3,14s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

# hack/venv.sh is idempotent (stamp files in the venv record what is installed)
venv:
	@hack/venv.sh

demo: venv
	@hack/demo.sh

test: venv
	@hack/venv.sh --lint
	@TARGETS= ARGS= hack/run-tests.sh sanity units integration package compat docs lint

sanity units integration package compat docs: venv
	@hack/run-tests.sh $@

lint: venv
	@hack/venv.sh --lint
	@hack/run-tests.sh lint

build: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/dist .

emulator: venv
	$(VENV)/bin/python tests/emulator/catapult_emulator.py $(EMULATOR_ARGS)

# tests/bench/bench.py: times playbooks against the emulator, writes tests/bench/results/<time>.json
bench: venv
	$(VENV)/bin/python tests/bench/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BUILD) .ansible tests/output tests/integration/inventory
