import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "filter_plugins") not in sys.path:
    sys.path.insert(0, str(ROOT / "filter_plugins"))  # the filter plugin file, tested as a module

from mailgov.accounts import render  # noqa: E402


@pytest.fixture
def addresses():
    """Render a roster and map each account id to its address."""
    def _render(roster, existing=None):
        return {a["id"]: a["address"] for a in render(roster, existing)}
    return _render


@pytest.fixture(scope="session")
def backup():
    """The backup job (roles/backup/files/mailgov-backup, a script without .py) as a module."""
    script = ROOT / "roles/backup/files/mailgov-backup"
    loader = importlib.machinery.SourceFileLoader("mailgov_backup", str(script))
    spec = importlib.util.spec_from_loader("mailgov_backup", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
