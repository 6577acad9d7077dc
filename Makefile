# Developer entry points for the bandwidth.catapult collection (GNU make, Python 3.11+).
#
#   make demo                      run the demo playbook twice against the local emulator
#   make test                      every suite below (all run; summary at the end)
#   make sanity|units|integration  one ansible-test suite on ansible-core 2.19 (.venv); TARGETS=... and
#                                  ARGS=... are passed on, e.g. make integration TARGETS=emulator_smoke ARGS=-v
#   make latest                    sanity, units and integration (a subset) on ansible-core 2.21, newest Python
#   make compat                    units and integration (a subset) on ansible-core 2.16, the oldest supported
#   make package                   build the tarball, install it, docs + EE metadata + a playbook from it
#   make galaxy                    licences, build_ignore and galaxy-importer (offline) on the tarball
#   make quickstart                the README's quick start, word for word, in a fresh copy
#   make lint                      ansible-lint (production profile), installed on first use
#   make docs                      docs lint (antsibull-docs), ansible-doc of every module, changelog, docsite HTML
#   make build                     collection tarball into $(BUILD)/dist
#   make emulator                  the Catapult emulator in the foreground (Ctrl-C stops it)
#   make emulator-start|emulator-stop   the same in the background (pid and log in $(BUILD))
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

# The suites of `make test`, in order; *-2.21 and *-2.16 are the other ansible-core lanes.
LATEST_SUITES := sanity-2.21 units-2.21 integration-2.21
COMPAT_SUITES := units-2.16 integration-2.16
TEST_SUITES := sanity units integration $(LATEST_SUITES) $(COMPAT_SUITES) package galaxy quickstart docs lint

export PYTHON VENV BUILD ANSIBLE_CORE TARGETS ARGS EMULATOR_PORT

.PHONY: help venv demo test sanity units integration package compat latest galaxy quickstart docs lint build \
	emulator emulator-start emulator-stop bench clean $(LATEST_SUITES) $(COMPAT_SUITES)

help:
	@sed -n '3,20s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

# hack/venv.sh is idempotent (stamp files in the venv record what is installed)
venv:
	@hack/venv.sh

demo: venv
	@hack/emulator.sh demo

test: venv
	@hack/venv.sh --lint
	@TARGETS= ARGS= hack/run-tests.sh $(TEST_SUITES)

sanity units integration package galaxy quickstart docs $(LATEST_SUITES) $(COMPAT_SUITES): venv
	@hack/run-tests.sh $@

latest: venv
	@hack/run-tests.sh $(LATEST_SUITES)

compat: venv
	@hack/run-tests.sh $(COMPAT_SUITES)

lint: venv
	@hack/venv.sh --lint
	@hack/run-tests.sh lint

build: venv
	@rm -f $(BUILD)/dist/*.tar.gz
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/dist .

emulator: venv
	$(VENV)/bin/python tests/emulator/catapult_emulator.py $(EMULATOR_ARGS)

# The same emulator in the background: waits until it answers, then prints its URL and
# the demo credentials; emulator-stop ends it.
emulator-start: venv
	@hack/emulator.sh start $(EMULATOR_ARGS)

emulator-stop:
	@hack/emulator.sh stop

# tests/bench/bench.py: times playbooks against the emulator, writes tests/bench/results/<time>.json
bench: venv
	$(VENV)/bin/python tests/bench/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BUILD) .ansible tests/output tests/integration/inventory
