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
