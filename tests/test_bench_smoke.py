"""The roster benchmark on a small roster: its generator makes a valid roster, and the figures
it prints add up (the timing itself is bench/'s job, on the full size)."""

import re
import subprocess
import sys
from pathlib import Path

from mailgov.accounts import render

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from roster_render import generate  # noqa: E402

ROW = re.compile(r"^\| (?P<step>[^|]+?) \| (?P<seconds>\d+\.\d{3}) \| (?P<ratio>\d+\.\d{2}) \|$", re.M)


def test_generated_roster_renders():
    roster = generate(people=600, units=60)["mail_roster"]
    accounts = render(roster)
    assert sum(a["kind"] == "person" for a in accounts) == 600
    assert len(roster["units"]) == 60
    assert len({a["address"] for a in accounts}) == len(accounts)


def test_the_printed_figures_add_up():
    run = subprocess.run([sys.executable, str(BENCH / "roster_render.py"), "--people", "400", "--units", "40",
                          "--repeat", "1"], capture_output=True, text=True, timeout=300, check=False)
    out = run.stdout
    assert re.match(r"roster: 400 people, 40 units, \d+\.\d MB of YAML; median of 1 runs\n", out), out
    rows = {m["step"]: (float(m["seconds"]), float(m["ratio"])) for m in ROW.finditer(out)}
    assert list(rows) == ["load YAML with libyaml (CSafeLoader)", "load YAML as Ansible does (DataLoader)",
                          "render_accounts"], out
    render_s, render_ratio = rows["render_accounts"]
    assert render_ratio == 1.00 and render_s > 0
    for step, (seconds, ratio) in rows.items():
        assert seconds > 0, step
        # The ratio is render / step of the unrounded times: equal within the rounding of the
        # printed ratio (0.005) and of the two printed times (0.0005 s each).
        assert abs(ratio - render_s / seconds) <= 0.005 + ratio * 0.0005 * (1 / seconds + 1 / render_s) + 1e-9, step
    goal = re.search(r"^goal \(render <= load YAML with libyaml\): (met|NOT met)$", out, re.M)
    assert goal, out
    # The verdict follows the printed ratio (a tie at the printed precision may go either way).
    libyaml_ratio = rows["load YAML with libyaml (CSafeLoader)"][1]
    if abs(libyaml_ratio - 1) > 0.01:
        assert (goal[1] == "met") == (libyaml_ratio < 1)
    assert run.returncode == (0 if goal[1] == "met" else 1)
