"""The benchmark's roster generator makes a valid roster (the timing itself is bench/'s job)."""

import sys
from pathlib import Path

from mailgov.accounts import render

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from roster_render import generate  # noqa: E402


def test_generated_roster_renders():
    roster = generate(people=600, units=60)["mail_roster"]
    accounts = render(roster)
    assert sum(a["kind"] == "person" for a in accounts) == 600
    assert len(roster["units"]) == 60
    assert len({a["address"] for a in accounts}) == len(accounts)
