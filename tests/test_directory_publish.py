"""The published directory, without a directory: mailgov.jobs.publish (python3 -m mailgov.jobs.publish)."""

import csv
import io
import json

import pytest
from mailgov.jobs import publish as pub

UNITS = {
    "stttt": {"name": "Sở Thông tin và Truyền thông", "path": ["stttt"]},
    "stttt-vp": {"name": "Văn phòng Sở", "path": ["stttt", "stttt-vp"]},
    "snv": {"name": "Sở Nội vụ", "path": ["snv"]},
}


def person(name, given, surname, mail, unit):
    return {"displayName": name, "givenName": given, "sn": surname, "mail": mail, "mailUnit": unit,
            "mailKind": "person"}


ACCOUNTS = [
    person("Trần Văn Đức", "Văn Đức", "Trần", "ductv.stttt@gialai.gov.vn", "stttt"),
    person("Lê Thị Ánh", "Thị Ánh", "Lê", "anhlt.stttt@gialai.gov.vn", "stttt"),
    person("Nguyễn Văn Dũng", "Văn Dũng", "Nguyễn", "dungnv.stttt@gialai.gov.vn", "stttt"),
    person("Phạm An", "An", "Phạm", "anp.stttt@gialai.gov.vn", "stttt-vp"),
    person("Hồ Sĩ Dũng", "Sĩ Dũng", "Hồ", "dunghs.snv@gialai.gov.vn", "snv"),
    {"displayName": "Sở Thông tin và Truyền thông", "mail": "stttt@gialai.gov.vn", "mailUnit": "stttt",
     "mailKind": "unit"},
]


def test_vietnamese_order_puts_d_before_dj_and_tones_after_letters():
    words = ["Đức", "Dũng", "Du", "Anh", "Ánh", "Ăn", "An", "Ba", "Âu"]
    assert sorted(words, key=pub.sort_key) == ["An", "Anh", "Ánh", "Ăn", "Âu", "Ba", "Du", "Dũng", "Đức"]
    # Tones: ngang, huyền, hỏi, ngã, sắc, nặng.
    assert sorted(["ma", "mạ", "má", "mã", "mả", "mà"], key=pub.sort_key) == ["ma", "mà", "mả", "mã", "má", "mạ"]


def test_people_go_by_given_name_and_units_by_tree_and_name():
    grouped = pub.groups(UNITS, ACCOUNTS, None)
    assert [g[0] for g in grouped] == ["snv", "stttt", "stttt-vp"]
    stttt = grouped[1]
    assert stttt[2]["mail"] == "stttt@gialai.gov.vn"
    assert [p["displayName"] for p in stttt[3]] == ["Lê Thị Ánh", "Nguyễn Văn Dũng", "Trần Văn Đức"]
    assert grouped[2][1] == ["Sở Thông tin và Truyền thông", "Văn phòng Sở"]


def test_a_unit_scope_holds_the_unit_and_those_below():
    assert [g[0] for g in pub.groups(UNITS, ACCOUNTS, "stttt")] == ["stttt", "stttt-vp"]
    assert [g[0] for g in pub.groups(UNITS, ACCOUNTS, "stttt-vp")] == ["stttt-vp"]


def test_the_csv_has_a_bom_and_the_public_fields():
    text = pub.to_csv(pub.groups(UNITS, ACCOUNTS, "snv"))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [pub.CSV_HEADER, ["Hồ Sĩ Dũng", "Sở Nội vụ", "dunghs.snv@gialai.gov.vn"]]


def test_vcards_are_version_4_escaped_and_folded_on_character_boundaries():
    long_unit = {"x": {"name": "Ủy ban nhân dân xã Ia Băng, huyện Chư Păh; tỉnh Gia Lai " * 2, "path": ["x"]}}
    card = pub.vcard(person("Niê Kdăm Y Ngông", "Y Ngông", "Niê Kdăm", "ngongny.x@gialai.gov.vn", "x"),
                     [long_unit["x"]["name"]])
    raw = card.encode("utf-8")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    for line in raw.split(b"\r\n"):
        line.decode("utf-8")  # no character cut in two
    unfolded = card.replace("\r\n ", "")
    assert "VERSION:4.0\r\n" in unfolded and "KIND:individual\r\n" in unfolded
    assert "N:Niê Kdăm;Ngông;Y;;\r\n" in unfolded
    assert "ORG:Ủy ban nhân dân xã Ia Băng\\, huyện Chư Păh\\; tỉnh Gia Lai" in unfolded
    assert "EMAIL;TYPE=work:ngongny.x@gialai.gov.vn\r\n" in unfolded


def test_the_units_and_accounts_come_from_the_entries_of_a_search():
    units = pub.unit_table([(["stttt", "stttt-vp"], {"mailUnit": ["stttt-vp"], "displayName": ["Văn phòng Sở"]}),
                            (["snv"], {"mailUnit": ["snv"]})])
    assert units == {"stttt-vp": {"name": "Văn phòng Sở", "path": ["stttt", "stttt-vp"]},
                     "snv": {"name": "snv", "path": ["snv"]}}
    found = {"uid=GL-0030,ou=people,dc=gialai,dc=gov,dc=vn": {
        "mail": ["dunghs.snv@gialai.gov.vn"], "displayName": ["Hồ Sĩ Dũng"], "mailUnit": ["snv"]}}
    assert pub.public_entries(found) == [{"mail": "dunghs.snv@gialai.gov.vn", "displayName": "Hồ Sĩ Dũng",
                                          "mailUnit": "snv"}]


def test_the_answer_has_the_three_files_of_each_scope():
    answer = pub.publish(UNITS, ACCOUNTS, [None], "gialai.gov.vn")
    assert list(answer) == ["gialai.gov.vn"] and set(answer["gialai.gov.vn"]) == {"html", "csv", "vcf"}
    assert list(pub.publish(UNITS, ACCOUNTS, ["stttt", "snv"], "gialai.gov.vn")) == ["stttt", "snv"]
    page = pub.publish(UNITS, ACCOUNTS, ["stttt"], "gialai.gov.vn")["stttt"]["html"]
    assert "<title>Danh bạ thư điện tử — Sở Thông tin và Truyền thông</title>" in page
    assert "gialai.gov.vn: 5 địa chỉ." in page  # the unit mailbox and four people, Văn phòng Sở's included
    assert '<p class="path">Sở Thông tin và Truyền thông</p>' in page  # above Văn phòng Sở
    assert "Hồ Sĩ Dũng" not in page


def test_an_unknown_unit_is_refused_with_the_known_ones():
    assert pub.unknown_units(UNITS, ["stttt", "sttt"]) == "unknown units: sttt; known: snv, stttt, stttt-vp"
    assert pub.unknown_units(UNITS, []) is None


class FakeConnection:
    """The directory as mailgov.ldap.Connection answers: {dn: {attribute: [values]}} under a base."""

    def __init__(self, entries):
        self.entries = entries
        self.searches = []

    def search(self, base, scope="sub", filterstr="(objectClass=*)", attrs=None):
        self.searches.append((base, filterstr, attrs))
        return {dn: e for dn, e in self.entries.items() if dn.endswith("," + base)}


def test_the_job_reads_only_public_fields_and_prints_json(monkeypatch, capsys):
    base = "dc=gialai,dc=gov,dc=vn"
    conn = FakeConnection({
        f"ou=stttt-vp,ou=stttt,ou=units,{base}": {"mailUnit": ["stttt-vp"], "displayName": ["Văn phòng Sở"]},
        f"ou=stttt,ou=units,{base}": {"mailUnit": ["stttt"], "displayName": ["Sở Thông tin và Truyền thông"]},
        f"uid=GL-0028,ou=people,{base}": {"mail": ["han.cn@gialai.gov.vn"], "displayName": ["Châu Ngọc Hân"],
                                          "givenName": ["Ngọc Hân"], "sn": ["Châu"], "mailUnit": ["stttt-vp"],
                                          "mailKind": ["person"]},
    })
    monkeypatch.setattr(pub, "Connection", lambda: conn)
    monkeypatch.setattr(pub, "rdn_values", lambda dn, below: [r.split("=", 1)[1] for r in
                                                              dn[: -len(below) - 1].split(",")])
    pub.main(["--base-dn", base, "--domain", "gialai.gov.vn"])
    answer = json.loads(capsys.readouterr().out)
    assert "Châu Ngọc Hân,Văn phòng Sở,han.cn@gialai.gov.vn" in answer["gialai.gov.vn"]["csv"]
    for _, filterstr, attrs in conn.searches[1:]:
        assert filterstr == "(&(objectClass=mailAccount)(!(mailStatus=recalled)))" and attrs == pub.PUBLIC
    with pytest.raises(SystemExit) as refused:
        pub.main(["--base-dn", base, "--domain", "gialai.gov.vn", "--unit", "sttt"])
    assert refused.value.code == 2
    assert "unknown units: sttt; known: stttt, stttt-vp" in capsys.readouterr().err
