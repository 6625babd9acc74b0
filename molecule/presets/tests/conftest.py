"""The presets scenario: the clients and fixtures of molecule/shared/mailclients.py, and the
accounts every domain's roster gives, rendered by the same engine the directory sync uses."""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "molecule" / "shared"))

from mailclients import *  # noqa: E402,F403 (fixtures and helpers the tests import from conftest)
from mailgov import hosting  # noqa: E402


def server_roster():
    """The demo roster with the scenario's hosted rosters, as playbooks/group_vars/all/main.yml joins them."""
    roster = yaml.safe_load((ROOT / "inventories/demo/group_vars/all/roster.yml").read_text(encoding="utf-8"))
    more = yaml.safe_load((Path(__file__).resolve().parents[1] / "host_vars/mailgov-presets.yml").read_text(
        encoding="utf-8"))
    roster = roster["mail_roster"]
    roster["hosted"] = roster.get("hosted", []) + [more[name] for name in sorted(more)]
    return roster


ROSTER = server_roster()
POLICIES = {domain.name: domain.policy for domain in hosting.read(ROSTER)}
ACCOUNTS = {account["id"]: account for account in hosting.render(ROSTER)}
