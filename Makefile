# Entry points; the logic lives in scripts/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# podman reads the project's settings instead of /etc (see containers.conf).
export CONTAINERS_CONF := $(CURDIR)/containers.conf
export PATH := $(CURDIR)/.venv/bin:$(PATH)

SCENARIO ?= default
# Named explicitly: Molecule finds it by itself only inside a git checkout.
MOLECULE := molecule --base-config .config/molecule/config.yml

INVENTORY ?= inventories/demo

.PHONY: help setup demo demo-down test lint unit molecule preview bench

help:
	@echo "make demo       stand up the demo mail server in the mailgov-demo container"
	@echo "make demo-down  remove the demo container (the base images stay)"
	@echo "make test       lint, unit tests and every Molecule scenario but bookworm"
	@echo "make molecule SCENARIO=bookworm   one Molecule scenario"
	@echo "make setup      system packages, .venv and base images (run by demo and test)"
	@echo "make preview    the accounts an inventory's roster gives (INVENTORY=inventories/demo)"
	@echo "make bench      the benchmarks under bench/ (results for docs/benchmarks.md)"

setup:
	@scripts/setup.sh

demo: setup
	@scripts/demo.sh

demo-down:
	@scripts/demo-down.sh

# The mail scenario stops slapd and fills mailboxes on purpose: it has an instance of its own.
test: setup lint unit
	$(MOLECULE) test -s default
	$(MOLECULE) test -s mail
	$(MOLECULE) test -s filter
	$(MOLECULE) test -s backup
	$(MOLECULE) test -s webmail
	$(MOLECULE) test -s lifecycle

lint: setup
	yamllint --strict .
	ansible-lint
	ruff check .

unit: setup
	pytest -q tests

molecule: setup
	$(MOLECULE) test -s $(SCENARIO)

preview: setup
	python scripts/preview_accounts.py $(INVENTORY)

bench: setup
	python bench/roster_render.py
