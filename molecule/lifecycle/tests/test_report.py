"""playbooks/report.yml against the instance: the CSV matches the directory, unit by unit."""

import csv
import re
import shutil
import subprocess
from collections import Counter

import pytest
from conftest import playbook, testinfra_hosts

__all__ = ["testinfra_hosts"]

BASE = "dc=gialai,dc=gov,dc=vn"


def directory_counts(host):
    """(unit, kind or status) -> number of accounts, read with ldapsearch."""
    out = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -o ldif-wrap=no -LLL -b %s "
                            "'(objectClass=mailAccount)' mailUnit mailKind mailStatus", BASE)
    counts = Counter()
    for block in out.strip().split("\n\n"):
        fields = dict(re.findall(r"^(mailUnit|mailKind|mailStatus): (.*)$", block, re.M))
        unit = fields.get("mailUnit", "")
        counts[unit, fields["mailKind"]] += 1
        counts[unit, fields["mailStatus"]] += 1
    return counts


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = playbook("report.yml", "-e", f"report_dir={out}")
    assert "Quý " in result.stdout
    csv_file, = out.glob("*.csv")
    html_file, = out.glob("*.html")
    with csv_file.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle)), html_file


def test_the_csv_matches_the_directory(host, report):
    rows, _ = report
    counts = directory_counts(host)
    units = {r["unit"]: r for r in rows[:-1]}
    assert set(units) == {unit for unit, _ in counts}
    for unit, row in units.items():
        for column, key in (("person_mailboxes", "person"), ("unit_mailboxes", "unit"),
                            ("active", "active"), ("locked", "locked"), ("recalled", "recalled")):
            assert int(row[column]) == counts[unit, key], (unit, column)
    total = rows[-1]
    assert total["unit_name"] == "Tổng cộng"
    for column in ("person_mailboxes", "unit_mailboxes", "active", "locked", "recalled", "logins"):
        assert int(total[column]) == sum(int(r[column]) for r in rows[:-1])
    # The lifecycle tests locked and recalled some accounts and logged in: the numbers show it.
    assert int(total["locked"]) >= 1 and int(total["recalled"]) >= 2 and int(total["logins"]) >= 1
    assert int(units["stnmt"]["quota_used_bytes"]) > 0


def test_the_html_is_one_self_contained_page(report):
    _, html_file = report
    page = html_file.read_text(encoding="utf-8")
    assert page.count("<svg") == 4 and "Sở Tài nguyên và Môi trường" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # nothing to fetch


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed here")
def test_the_html_renders_in_a_browser(report, tmp_path):
    _, html_file = report
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1200,1600", html_file.as_uri()], capture_output=True, timeout=120, check=False)
    assert shot.exists() and shot.stat().st_size > 20000
