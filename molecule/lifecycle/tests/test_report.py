"""playbooks/report.yml against the instance: the CSV matches the directory, unit by unit."""

import csv
import re
import shutil
from collections import Counter
from html.parser import HTMLParser

import pytest
from conftest import playbook, rendered, testinfra_hosts

__all__ = ["testinfra_hosts"]

BASE = "ou=gialai.gov.vn,dc=gialai,dc=gov,dc=vn"  # the domain's branch


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


class Page(HTMLParser):
    """The texts a reader sees on the report: the page's title (not the charts' tooltips), the
    heading, the charts' captions, and the table's header and rows."""

    def __init__(self, dom):
        super().__init__()
        self.texts = {"title": [], "h1": [], "figcaption": [], "th": [], "tr": []}
        self.open = []
        self.in_svg = 0
        self.feed(dom)

    def handle_starttag(self, tag, attrs):
        self.in_svg += tag == "svg"
        if self.in_svg:
            return
        if tag == "tr":
            self.texts["tr"].append([])
        if tag in ("title", "h1", "figcaption", "th", "td"):
            self.open.append(tag)
            if tag == "td":
                self.texts["tr"][-1].append("")
            else:
                self.texts[tag].append("")

    def handle_endtag(self, tag):
        self.in_svg -= tag == "svg"
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data):
        if self.open:
            tag = self.open[-1]
            target = self.texts["tr"][-1] if tag == "td" else self.texts[tag]
            target[-1] += data


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed here")
def test_the_html_renders_in_a_browser(report):
    """chromium reads the page as a person would open it: the Vietnamese title and heading, the
    four charts, and in the table every unit by name with the numbers of the CSV."""
    rows, html_file = report
    dom = rendered(html_file, "report.png", "1200,1600")
    page = Page(dom).texts
    title, = page["title"]
    assert re.fullmatch(r"(Quý [1-4]/\d{4}|6 tháng (đầu|cuối) năm \d{4}) — gialai\.gov\.vn", title), title
    assert page["h1"] == ["Báo cáo sử dụng thư điện tử công vụ — " + title.split(" — ")[0]]
    assert page["figcaption"] == ["Tài khoản theo trạng thái", "Tài khoản không dùng (tính đến cuối kỳ)",
                                  "Dung lượng đã dùng", "Lượt đăng nhập trong kỳ"]
    columns = list(rows[0])[1:]  # the CSV's columns but the unit's code
    assert page["th"][0] == "Đơn vị" and len(page["th"]) == len(columns)
    shown = [cells for cells in page["tr"] if cells]
    assert shown == [[row[c] for c in columns] for row in rows]
    assert shown[-1][0] == "Tổng cộng" and "Sở Tài nguyên và Môi trường" in {cells[0] for cells in shown}
