"""The published directory's formatting, without a directory: playbooks/files/mailgov_directory.py."""

import csv
import importlib.util
import io
from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "playbooks/files/mailgov_directory.py"
_spec = importlib.util.spec_from_file_location("mailgov_directory", PATH)
pub = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pub)

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
