"""Every example in the five regulations, and each preset's naming rules."""

import pytest
from mailgov.accounts import render
from mailgov.policy import preset_names, resolve
from mailgov.sizes import size_bytes

GIALAI_UNITS = [
    {"id": "stttt", "name": "Sở Thông tin và Truyền thông", "type": "department"},
    {"id": "stnmt", "name": "Sở Tài nguyên và Môi trường", "type": "department"},
    {"id": "ccbvmt", "name": "Chi cục Bảo vệ môi trường", "type": "division", "parent": "stnmt"},
    {"id": "pleiku", "name": "Thành phố Pleiku", "type": "district"},
    {"id": "iagrai", "name": "Huyện Ia Grai", "type": "district"},
    {"id": "tuphap-iagrai", "name": "Phòng Tư pháp", "type": "division", "parent": "iagrai"},
    {"id": "chupah", "name": "UBND huyện Chư Păh", "type": "district"},
    {"id": "hoaphu", "name": "Ủy ban nhân dân xã Hòa Phú", "type": "commune", "parent": "chupah"},
    {"id": "dakpo", "name": "Huyện Đak Pơ", "type": "district"},
    {"id": "vp-dakpo", "name": "Văn phòng UBND huyện Đak Pơ", "type": "division",
     "parent": "dakpo", "abbr": "vanphong"},
    {"id": "iale", "name": "Xã Ia Lê", "type": "commune"},
]


def gialai(people, units=GIALAI_UNITS):
    return {"policy": "gialai", "units": units, "people": people}


@pytest.mark.parametrize("unit_id, address", [
    ("stttt", "stttt@gialai.gov.vn"),          # "và" is not counted
    ("stnmt", "stnmt@gialai.gov.vn"),
    ("pleiku", "ubndpleiku@gialai.gov.vn"),
    ("hoaphu", "ubndhoaphu.chupah@gialai.gov.vn"),
    ("tuphap-iagrai", "tuphap.iagrai@gialai.gov.vn"),
    ("ccbvmt", "ccbvmt.stnmt@gialai.gov.vn"),
    ("vp-dakpo", "vanphong.dakpo@gialai.gov.vn"),
    ("iale", "ubndiale@gialai.gov.vn"),         # a commune with no district
])
def test_gialai_units(addresses, unit_id, address):
    assert addresses(gialai([]))[unit_id] == address


@pytest.mark.parametrize("name, unit, address", [
    ("Hoàng Thị Như Quỳnh", "stttt", "quynhhtn.stttt@gialai.gov.vn"),
    ("Trần Đình Nguyên", "vp-dakpo", "nguyentd.dakpo@gialai.gov.vn"),
    ("Nguyễn Văn Hùng", "ccbvmt", "hungnv.stnmt@gialai.gov.vn"),      # nearest department
    ("Lê Thị Hoa", "tuphap-iagrai", "hoalt.iagrai@gialai.gov.vn"),    # nearest district
    ("Rơ Mah Thuỷ", "hoaphu", "thuyrm.chupah@gialai.gov.vn"),         # commune under a district
    ("Ksor H'Bia", "iale", "hbiak.iale@gialai.gov.vn"),               # commune with no district
    ("Đinh Văn Đức", "pleiku", "ducdv.pleiku@gialai.gov.vn"),
])
def test_gialai_people(addresses, name, unit, address):
    assert addresses(gialai([{"id": "p", "name": name, "unit": unit}]))["p"] == address


def test_gialai_different_full_names_take_the_middle_name_next_to_the_given_name(addresses):
    got = addresses(gialai([
        {"id": "a", "name": "Trương Hoàng Tiến Minh", "unit": "stttt"},
        {"id": "b", "name": "Trần Huỳnh Tấn Minh", "unit": "stttt"},
    ]))
    assert (got["a"], got["b"]) == ("tienminhth.stttt@gialai.gov.vn", "tanminhth.stttt@gialai.gov.vn")


def test_gialai_an_existing_holder_keeps_the_short_form(addresses):
    roster = gialai([
        {"id": "a", "name": "Trương Hoàng Tiến Minh", "unit": "stttt"},
        {"id": "b", "name": "Trần Huỳnh Tấn Minh", "unit": "stttt"},
    ])
    got = addresses(roster, existing={"a": "minhtht.stttt@gialai.gov.vn"})
    assert got == {**got, "a": "minhtht.stttt@gialai.gov.vn", "b": "tanminhth.stttt@gialai.gov.vn"}


@pytest.mark.parametrize("people, expected", [
    # Identical full names: the birth year, then a sequence number from 2.
    ([("Nguyễn Văn An", "1990-04-12"), ("Nguyễn Văn An", "1985-01-30")],
     ["annv1990.stttt", "annv1985.stttt"]),
    ([("Nguyễn Văn An", None), ("NGUYỄN  VĂN AN", None)], ["annv2.stttt", "annv3.stttt"]),
    ([("Nguyễn Văn An", "1990-04-12"), ("Nguyễn Văn An", "1990-12-01")],
     ["annv2.stttt", "annv3.stttt"]),
    # Old and new tone placement are the same name.
    ([("Lê Thị Hoà", 1990), ("Lê Thị Hòa", 1991)], ["hoalt1990.stttt", "hoalt1991.stttt"]),
    # No middle name: straight to the birth year.
    ([("Ksor Bia", 1980), ("Kpă Bia", 1981)], ["biak1980.stttt", "biak1981.stttt"]),
    # Different names whose alternative form still collides.
    ([("Trần Văn Minh", 1970), ("Tô Văn Minh", 1971)], ["minhtv1970.stttt", "minhtv1971.stttt"]),
])
def test_gialai_collisions(addresses, people, expected):
    roster = gialai([{"id": f"p{i}", "name": n, "unit": "stttt", "birth_date": b}
                     for i, (n, b) in enumerate(people)])
    got = addresses(roster)
    assert [got[f"p{i}"].split("@")[0] for i in range(len(people))] == expected


def test_gialai_compound_surname_gives_each_initial(addresses):
    person = {"id": "p", "name": "Tôn Thất Minh Hùng", "unit": "stttt",
              "parts": {"surname": "Tôn Thất", "middle": ["Minh"], "given": "Hùng"}}
    assert addresses(gialai([person]))["p"] == "hungttm.stttt@gialai.gov.vn"


def test_ede_name_uses_parts(addresses):
    person = {"id": "p", "name": "Y Ngông Niê Kdăm", "unit": "stttt",
              "parts": {"surname": "Niê Kdăm", "middle": "Y", "given": "Ngông"}}
    assert addresses(gialai([person]))["p"] == "ngongnky.stttt@gialai.gov.vn"


def test_yenbai(addresses):
    roster = {"policy": "yenbai", "units": [
        {"id": "sttvtt", "name": "Sở Thông tin và Truyền thông", "type": "department"},
        {"id": "snv", "name": "Sở Nội vụ", "type": "department"},
        {"id": "khtc", "name": "Phòng Kế hoạch Tài chính", "type": "division", "parent": "sttvtt"},
    ], "people": [
        {"id": "a", "name": "Nguyễn Văn B", "unit": "sttvtt"},
        {"id": "b", "name": "Nguyễn Văn B", "unit": "sttvtt"},
        {"id": "c", "name": "Nguyễn Văn B", "unit": "khtc"},
        {"id": "d", "name": "Nguyễn Văn B", "unit": "snv"},
    ]}
    assert addresses(roster) == {
        "sttvtt": "sttvtt@yenbai.gov.vn",               # "và" counts
        "snv": "snv@yenbai.gov.vn",
        "khtc": "khtc_sttvtt@yenbai.gov.vn",
        "a": "nguyenvanb@yenbai.gov.vn",
        "b": "nguyenvanb_sttvtt@yenbai.gov.vn",
        "c": "nguyenvanb_sttvtt2@yenbai.gov.vn",
        "d": "nguyenvanb_snv@yenbai.gov.vn",
    }


def test_yenbai_existing_holder_keeps_the_short_form(addresses):
    roster = {"policy": "yenbai", "units": [
        {"id": "sttvtt", "name": "Sở Thông tin và Truyền thông", "type": "department"},
    ], "people": [
        {"id": "new", "name": "Nguyễn Văn B", "unit": "sttvtt"},
        {"id": "old", "name": "Nguyễn Văn B", "unit": "sttvtt"},
    ]}
    got = addresses(roster, existing={"old": "nguyenvanb@yenbai.gov.vn"})
    assert (got["old"], got["new"]) == ("nguyenvanb@yenbai.gov.vn", "nguyenvanb_sttvtt@yenbai.gov.vn")


def test_binhdinh_sct(addresses):
    roster = {"policy": "binhdinh_sct", "units": [
        {"id": "qlcn", "name": "Phòng Quản lý Công nghiệp", "type": "division"},
    ], "people": [
        {"id": "a", "name": "Nguyễn Văn Bằng", "unit": "qlcn"},
        {"id": "b", "name": "Nguyễn Văn Bằng", "unit": "qlcn"},
        {"id": "c", "name": "Nguyễn Văn Bằng", "unit": "qlcn"},
    ]}
    assert addresses(roster) == {
        "qlcn": "qlcn@sct.binhdinh.gov.vn",
        "a": "bangnv@sct.binhdinh.gov.vn",
        "b": "bangnv2@sct.binhdinh.gov.vn",
        "c": "bangnv3@sct.binhdinh.gov.vn",
    }


def test_tphcm_q4(addresses):
    roster = {"policy": "tphcm_q4", "units": [
        {"id": "pnv", "name": "Phòng Nội vụ", "type": "division"},
        {"id": "p12", "name": "Ủy ban nhân dân Phường 12", "type": "commune", "abbr": "phuong12"},
    ], "people": [
        {"id": "a", "name": "Nguyễn Văn An", "unit": "pnv"},
        {"id": "b", "name": "Nguyễn Văn An", "unit": "p12"},
    ]}
    assert addresses(roster) == {
        "fixed:q4": "q4@tphcm.gov.vn",
        "pnv": "nv.q4@tphcm.gov.vn",
        "p12": "phuong12.q4@tphcm.gov.vn",
        "a": "nvan.q4@tphcm.gov.vn",
        "b": "nvan2.q4@tphcm.gov.vn",
    }


def test_tphcm_q4_rules():
    rules = resolve("tphcm_q4")
    assert size_bytes(rules["quota"]["person"]) == 1024**3
    assert size_bytes(rules["attachment_max"]) == 15 * 1024**2
    assert rules["password"]["min_length"] == 8
    assert set(rules["password"]["require"]) == {"upper", "lower", "digit", "special"}
    assert rules["password"]["must_change_initial"] is True
    assert rules["password"]["max_age_days"] == 90
    assert rules["lifecycle"]["lock_unused_days"] == 90
    assert rules["lifecycle"]["recall_unused_days"] == 180


def test_quangtri_tu_fixed_mailboxes(addresses):
    roster = {"policy": "quangtri_tu", "units": [
        {"id": "btc", "name": "Ban Tổ chức Tỉnh ủy", "type": "department", "abbr": "btc"},
    ], "people": [{"id": "a", "name": "Nguyễn Văn Bằng", "unit": "btc"}]}
    accounts = render(roster)
    assert [(a["id"], a["local_part"], a["kind"]) for a in accounts] == [
        ("fixed:vanthuvanphong", "vanthuvanphong", "unit"),
        ("fixed:admin", "admin", "unit"),
        ("btc", "btc", "unit"),
        ("a", "bangnv", "person"),
    ]
    assert all(a["address"].endswith("@tinhuyquangtri.vn") for a in accounts)


@pytest.mark.parametrize("preset, rule, value", [
    ("gialai", "lifecycle.lock_unused_days", 90),
    ("gialai", "lifecycle.recall_unused_days", 180),
    ("gialai", "lifecycle.initial_password_grace_days", 30),
    ("gialai", "logs.retention_days", 180),
    ("gialai", "password.special_characters", "!@#%$*&"),
    ("yenbai", "report.period", "half-year"),
    ("tphcm_q4", "report.period", "quarter"),
    ("tphcm_q4", "lifecycle.reopen_wait_days", 5),
    ("binhdinh_sct", "password.require", ["upper", "lower", "special"]),
    ("binhdinh_sct", "lifecycle.unit_unused_recall_days", 180),
    ("quangtri_tu", "domain", "tinhuyquangtri.vn"),
])
def test_preset_rules(preset, rule, value):
    node = resolve(preset)
    for key in rule.split("."):
        node = node[key]
    assert node == value


def test_every_preset_resolves():
    assert preset_names() == ["binhdinh_sct", "gialai", "quangtri_tu", "tphcm_q4", "yenbai"]
    for name in preset_names():
        assert resolve(name)["preset"] == name
