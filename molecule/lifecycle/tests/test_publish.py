"""playbooks/directory.yml against the instance: the published CSV and vCards hold exactly the
directory's accounts that are not recalled, with the public fields only, per domain and per unit;
the page, as chromium renders it, lists them unit by unit."""

import base64
import csv
import re
import shutil
import unicodedata
from html.parser import HTMLParser

import pytest
from conftest import playbook, rendered, testinfra_hosts

__all__ = ["testinfra_hosts"]

BASE = "ou=gialai.gov.vn,dc=gialai,dc=gov,dc=vn"  # the domain's branch
DOMAIN = "gialai.gov.vn"


def ldap_blocks(host, base, filterstr, *attrs):
    out = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -o ldif-wrap=no -LLL -b %s %s"
                            + " %s" * len(attrs), base, filterstr, *attrs)
    found = []
    for block in out.strip().split("\n\n"):
        entry = {}
        for name, sep, value in re.findall(r"^([\w-]+)(::?) (.*)$", block, re.M):
            if sep == "::":
                value = base64.b64decode(value).decode("utf-8")
            entry.setdefault(name, []).append(value)
        found.append(entry)
    return found


@pytest.fixture(scope="module")
def directory(host):
    """(public accounts as (name, unit name, address), recalled addresses, private values)."""
    units = {e["mailUnit"][0]: e["displayName"][0]
             for e in ldap_blocks(host, f"ou=units,{BASE}", "(objectClass=mailOrgUnit)", "mailUnit", "displayName")}
    public, recalled, private = set(), set(), set()
    for e in ldap_blocks(host, BASE, "(objectClass=mailAccount)", "mail", "displayName", "mailUnit",
                         "mailStatus", "mailQuota"):
        if e["mailStatus"][0] == "recalled":
            recalled.add(e["mail"][0])
        else:
            public.add((e["displayName"][0], units[e["mailUnit"][0]], e["mail"][0], e["mailUnit"][0]))
        private.update(e["mailQuota"])
    return public, recalled, private


def read_vcards(text):
    """Each vCard as {property name (with parameters): [values]}, lines unfolded (RFC 6350 3.2)."""
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    cards, card = [], None
    for line in text.replace("\r\n ", "").split("\r\n"):
        if line == "BEGIN:VCARD":
            card = {}
        elif line == "END:VCARD":
            cards.append(card)
        elif line:
            name, _, value = line.partition(":")
            card.setdefault(name, []).append(value)
    return cards


def unescape(value):
    return re.sub(r"\\(.)", r"\1", value)


def published(tmp_path, *units):
    args = ["-e", f"directory_dir={tmp_path}"]
    if units:
        args += ["-e", '{"directory_units": [%s]}' % ", ".join(f'"{u}"' for u in units)]
    playbook("directory.yml", *args)
    return tmp_path


def files_of(folder):
    raw_csv = (folder / "danh-ba.csv").read_bytes()
    assert raw_csv.startswith("\ufeff".encode())
    with (folder / "danh-ba.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    vcf = (folder / "danh-ba.vcf").read_bytes().decode("utf-8")
    return rows, read_vcards(vcf), raw_csv.decode("utf-8-sig") + vcf + (folder / "danh-ba.html").read_text("utf-8")


def test_the_whole_domain_matches_the_directory_without_private_fields(directory, tmp_path):
    public, recalled, private = directory
    rows, cards, everything = files_of(published(tmp_path) / DOMAIN)
    assert rows[0] == ["Họ và tên", "Đơn vị", "Địa chỉ thư điện tử"]
    assert sorted(tuple(r) for r in rows[1:]) == sorted((n, u, a) for n, u, a, _ in public)
    assert sorted((unescape(c["FN"][0]), unescape(c["ORG"][0].split(";")[-1]), c["EMAIL;TYPE=work"][0])
                  for c in cards) == sorted((n, u, a) for n, u, a, _ in public)
    assert all(c["VERSION"] == ["4.0"] for c in cards)
    assert {c["KIND"][0] for c in cards} == {"individual", "org"}
    # Diacritics intact, in NFC, as the roster wrote them.
    assert "Hoàng Thị Như Quỳnh" in everything and "Sở Thông tin và Truyền thông" in everything
    assert unicodedata.is_normalized("NFC", everything)
    # Nothing private, and recalled accounts left out (there are some: the roster recalls GL-0021).
    assert recalled
    for address in recalled:
        assert address not in everything
    for word in ("active", "locked", "recalled", "userPassword", "pwd", "mailQuota", "mailStatus", "lastLogin"):
        assert word not in everything
    for value in private:
        assert value not in everything
    # People by given name in each unit: Trường after Hân in Văn phòng Sở (H < T).
    names = [r[0] for r in rows[1:] if r[1] == "Văn phòng Sở"]
    assert names.index("Châu Ngọc Hân") < names.index("Mai Xuân Trường")


def test_a_units_directory_holds_it_and_the_units_below(directory, tmp_path):
    public, _, _ = directory
    rows, cards, _ = files_of(published(tmp_path, "stttt") / "stttt")
    wanted = sorted(a for _, _, a, unit in public if unit.startswith("stttt"))
    assert sorted(r[2] for r in rows[1:]) == wanted
    assert sorted(c["EMAIL;TYPE=work"][0] for c in cards) == wanted
    assert "stttt@gialai.gov.vn" in wanted and "truong.mx@gialai.gov.vn" not in wanted


def test_an_unknown_unit_is_refused_with_the_known_ones(tmp_path):
    result = playbook("directory.yml", "-e", f"directory_dir={tmp_path}", "-e", '{"directory_units": ["sttt"]}',
                      check=False)
    assert result.returncode != 0 and "unknown units: sttt; known: " in result.stdout
    assert not any(tmp_path.iterdir())


class Directory(HTMLParser):
    """What a reader sees on the published page: its title, heading and count line, and each unit's
    section (by its id, in page order) with its heading, the units above it and its rows as
    (row class, cells)."""

    def __init__(self, dom):
        super().__init__()
        self.texts = {"title": "", "h1": "", "p": ""}
        self.sections = {}
        self.section = None
        self.target = None
        self.in_tbody = False
        self.feed(dom)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = self.sections.setdefault(attrs.get("id"), {"h2": "", "path": "", "rows": []})
        elif tag == "tbody":
            self.in_tbody = True
        elif tag == "tr" and self.in_tbody:
            self.section["rows"].append((attrs.get("class") or "", []))
        elif tag == "td" and self.in_tbody:
            self.section["rows"][-1][1].append("")
            self.target = "td"
        elif tag in ("title", "h1", "h2") or (tag == "p" and (self.section is None or attrs.get("class") == "path")):
            self.target = "path" if self.section is not None and tag == "p" else tag

    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None
        elif tag == "tbody":
            self.in_tbody = False
        if tag in ("title", "h1", "h2", "p", "td"):
            self.target = None

    def handle_data(self, data):
        if self.target == "td":
            self.section["rows"][-1][1][-1] += data
        elif self.target in ("h2", "path"):
            self.section[self.target] += data
        elif self.target:
            self.texts[self.target] += data


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed here")
def test_the_page_renders_in_a_browser(directory, tmp_path):
    """chromium reads the page as a person would open it: the Vietnamese title and heading, the
    number of addresses, one section per unit with its name and the units above it, and in each
    the unit's mailbox and its people by name and address, as the directory has them."""
    public, recalled, _ = directory
    page = published(tmp_path) / DOMAIN / "danh-ba.html"
    dom = rendered(page, "danh-ba.png", "1000,1400")
    shown = Directory(dom)
    assert shown.texts["title"] == shown.texts["h1"] == f"Danh bạ thư điện tử — {DOMAIN}"
    assert shown.texts["p"] == f"Hệ thống thư điện tử công vụ {DOMAIN}: {len(public)} địa chỉ."
    units = {}
    for name, unit_name, address, unit in public:
        units.setdefault(unit, (unit_name, set()))[1].add((name, address))
    # One section per unit that has addresses, headed by its name, holding exactly its addresses:
    # its own mailbox first (shown as "Hộp thư đơn vị"), then its people by their names.
    assert {unit: section["h2"] for unit, section in shown.sections.items()} == {u: n for u, (n, _) in units.items()}
    for unit, section in shown.sections.items():
        rows = section["rows"]
        assert sorted(cells[1] for _, cells in rows) == sorted(a for _, a in units[unit][1]), unit
        own = [cells for kind, cells in rows if kind == "unit"]
        assert len(own) <= 1 and all(cells[0] == "Hộp thư đơn vị" for cells in own), unit
        assert not own or rows[0][0] == "unit", unit
        assert {tuple(cells) for kind, cells in rows if kind != "unit"} <= units[unit][1], unit
    # The tree: departments by name (Nội < Tài < Thông), each followed by its divisions.
    tree = [list(shown.sections).index(u) for u in ("snv", "stnmt", "stttt", "stttt-bcvt", "stttt-vp")]
    assert tree == sorted(tree)
    stttt, office = shown.sections["stttt"], shown.sections["stttt-vp"]
    assert ["Hộp thư đơn vị", "stttt@gialai.gov.vn"] == stttt["rows"][0][1]
    assert "Hoàng Thị Như Quỳnh" in {cells[0] for _, cells in stttt["rows"]}
    assert office["h2"] == "Văn phòng Sở" and office["path"] == "Sở Thông tin và Truyền thông"
    names = [cells[0] for _, cells in office["rows"]]
    assert names.index("Châu Ngọc Hân") < names.index("Mai Xuân Trường")  # by given name: Hân < Trường
    assert unicodedata.is_normalized("NFC", dom)
    for address in recalled:
        assert address not in dom
