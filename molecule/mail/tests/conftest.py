"""The mail scenario's tests use the clients and fixtures of molecule/shared/mailclients.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from mailclients import *  # noqa: E402,F403 (fixtures and helpers the tests import from conftest)


def pytest_configure(config):
    config.addinivalue_line("markers", "failed_logins: the test makes logins fail on purpose")


def pytest_collection_modifyitems(items):
    """Failed logins make Dovecot slow down the next logins from the same address (its defence
    against password guessing), and every test connects from this one address: they run last."""
    items.sort(key=lambda item: item.get_closest_marker("failed_logins") is not None)
