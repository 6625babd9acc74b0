import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "module_utils", ROOT / "filter_plugins"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from mailgov.accounts import render  # noqa: E402


@pytest.fixture
def addresses():
    """Render a roster and map each account id to its address."""
    def _render(roster, existing=None):
        return {a["id"]: a["address"] for a in render(roster, existing)}
    return _render
