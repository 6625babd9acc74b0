# Entry points; the logic lives in scripts/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# podman reads the project's settings instead of /etc (see containers.conf).
export CONTAINERS_CONF := $(CURDIR)/containers.conf
export PATH := $(CURDIR)/.venv/bin:$(PATH)

SCENARIO ?= default
# In this order: default builds the stack image the others start from (scripts/scenarios.py).
SCENARIOS := default mail filter presets migration backup lifecycle security
# When make started, so that the table of times at the end of make test includes setup and lint.
export MAILGOV_TEST_STARTED := $(shell date +%s)

INVENTORY ?= inventories/demo

.PHONY: help setup demo demo-down test lint unit molecule preview bench

help:
	@echo "make demo       stand up the demo mail server in the mailgov-demo container"
	@echo "make demo-down  remove the demo container (the base image stays)"
	@echo "make test       lint, unit tests and every Molecule scenario, with a table of times"
	@echo "make molecule SCENARIO=mail   one Molecule scenario (builds the stack image first if needed)"
	@echo "make setup      system packages, .venv and the base image (run by demo and test)"
	@echo "make preview    the accounts an inventory's roster gives (INVENTORY=inventories/demo)"
	@echo "make bench      the benchmarks under bench/ (results for docs/benchmarks.md)"

setup:
	@scripts/setup.sh

demo: setup
	@scripts/demo.sh

demo-down:
	@scripts/demo-down.sh

# Scenarios that break things on purpose (slapd stopped, mailboxes filled, the clock moved)
# each have an instance of their own, made from the stack image.
test: setup lint unit
	python scripts/scenarios.py $(SCENARIOS)

lint: setup
	yamllint --strict .
	ansible-lint
	ruff check .

unit: setup
	pytest -q tests

molecule: setup
	python scripts/scenarios.py $(SCENARIO)

preview: setup
	python scripts/preview_accounts.py $(INVENTORY)

bench: setup
	python bench/roster_render.py
