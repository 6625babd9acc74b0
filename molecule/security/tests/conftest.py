"""The security scenario's fixtures: the mail clients of molecule/shared/mailclients.py, the
default scenario's browser, and the attacker's and the owner's addresses.

The tests connect from this machine, the attacker, whose address fail2ban bans; the owner
connects from another address, the instance's own (a client run inside it, to its public
address). Each test that gets this machine banned lifts the ban at its end, with the operator's
command (fail2ban-client unban), so that the next one starts clean.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2] / "shared"))

from mailclients import *  # noqa: E402,F403 (fixtures and helpers the tests import from conftest)

_spec = importlib.util.spec_from_file_location("default_conftest", HERE.parents[2] / "default" / "tests" / "conftest.py")
_default = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_default)
browser = _default.browser
server_key_pin = _default.server_key_pin
artifacts = _default.artifacts


@pytest.fixture(scope="module")
def attacker(host):
    """This machine's address as the instance sees it (the podman network's gateway)."""
    route = host.check_output("ip -4 route show default")
    return route.split()[2]


@pytest.fixture
def unban(host, attacker):
    """Lifts the attacker's ban after the test, with the documented command."""
    yield
    host.run("fail2ban-client unban %s", attacker)
