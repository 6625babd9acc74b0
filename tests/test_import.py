"""The import of an old server's accounts: hashes carried, records read, the roster planned."""

import pytest
import yaml

from mailgov import hashes, import_plan, import_records, import_target, sheets
from mailgov.errors import RosterError
from mailgov.policy import resolve

DOMAIN = "stp.gialai.gov.vn"
SERVER = {DOMAIN, "gialai.gov.vn", "binhdinh.gov.vn"}
ZIMBRA = import_records.sources()["ldap"]["zimbra"]
GENERIC = import_records.sources()["ldap"]["inetorgperson"]
SHEET = import_records.sources()["sheet"]


@pytest.mark.parametrize(("value", "stored"), [
    ("{SSHA512}T/jAkYcOFhxjQdQqf9Q/yZ2x", "{SSHA512}T/jAkYcOFhxjQdQqf9Q/yZ2x"),
    ("{ssha}K7kcrm/FfAQyh1ShT1WSwQFV", "{SSHA}K7kcrm/FfAQyh1ShT1WSwQFV"),
    ("{CRYPT}$6$PDRahxsPzHu7cRmc$F9K", "{CRYPT}$6$PDRahxsPzHu7cRmc$F9K"),
    ("{SHA512-CRYPT}$6$salt$hash", "{CRYPT}$6$salt$hash"),
    ("{BLF-CRYPT}$2y$12$DWHMoHXQxeoE.b7a", "{CRYPT}$2y$12$DWHMoHXQxeoE.b7a"),
    ("{CRYPT}$5$r3iktnPXhhSfKvO7$Ykx", "{CRYPT}$5$r3iktnPXhhSfKvO7$Ykx"),
    ("{CRYPT}$y$j9T$salt$hash", "{CRYPT}$y$j9T$salt$hash"),
    ("{PBKDF2-SHA512}10000$lbpdht2Rv$abc.def", "{PBKDF2-SHA512}10000$lbpdht2Rv$abc.def"),
])
def test_hashes_slapd_verifies_are_carried(value, stored):
    assert hashes.carry(value) == (stored, None)


@pytest.mark.parametrize(("value", "reason"), [
    ("", "no password hash"),
    ("secret", "names no scheme"),
    ("{PLAIN}secret", "clear text"),
    ("{MD5}X03MO1qnZdYdgyfeuILPmQ==", "unsalted MD5"),
    ("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "unsalted SHA-1"),
    ("{CRYPT}$1$abcdefgh$xyz", "MD5 crypt"),
    ("{CRYPT}abJnggxhB/yWI", "DES crypt"),
    ("{VMWARE-ZIMBRA}xyz", "slapd cannot verify"),
    ("{SSHA512}not base64!", "not well formed"),
])
def test_hashes_not_carried_say_why(value, reason):
    stored, why = hashes.carry(value)
    assert stored is None and reason in why


def test_describe_never_shows_the_hash():
    assert hashes.describe("{CRYPT}$6$salt$secret") == "{CRYPT} SHA-512 crypt"
    assert "secret" not in hashes.describe("{SSHA512}secret")


def _zimbra(uid, **attrs):
    entry = {"objectClass": ["zimbraAccount"], "zimbraAccountStatus": ["active"], **attrs}
    return f"uid={uid},ou=people,dc=stp,dc=gialai,dc=gov,dc=vn", entry


@pytest.mark.parametrize(("attrs", "field", "value"), [
    ({"displayName": ["Trần Văn Bình"]}, "name", "Trần Văn Bình"),
    ({"displayName": ["NguyÔn V¨n An"]}, "name", "Nguyễn Văn An"),
    ({"zimbraMailDeliveryAddress": ["BinhTV@stp.gialai.gov.vn"]}, "address", "binhtv@stp.gialai.gov.vn"),
    ({"zimbraMailQuota": ["2147483648"]}, "quota", 2 * 1024**3),
    ({"zimbraMailQuota": ["0"]}, "quota", None),
    ({"zimbraAccountStatus": ["locked"]}, "status", "locked"),
    ({"zimbraAccountStatus": ["closed"]}, "status", "recalled"),
    ({"zimbraAccountStatus": ["lockout"]}, "status", "active"),
    ({"ou": ["Văn phòng Sở"]}, "unit", "Văn phòng Sở"),
    ({}, "unit", "people"),
])
def test_zimbra_entries_become_records(attrs, field, value):
    record = import_records.from_entry(*_zimbra("binhtv", **attrs), ZIMBRA)
    assert getattr(record, field) == value and not record.problems


def test_an_iredmail_entry_keeps_its_aliases_quota_and_lock():
    mapping = import_records.sources()["ldap"]["iredmail"]
    record = import_records.from_entry(
        "mail=binh@stp.gialai.gov.vn,ou=Users,domainName=stp.gialai.gov.vn,o=domains,dc=x",
        {"objectClass": ["mailUser"], "cn": ["Trần Văn Bình"], "mail": ["binh@stp.gialai.gov.vn"],
         "shadowAddress": ["tvbinh@stp.gialai.gov.vn"], "mailQuota": ["1073741824"], "accountStatus": ["disabled"],
         "userPassword": ["{SSHA512}abc"]}, mapping)
    assert (record.aliases, record.quota, record.status, record.unit, record.password) == (
        ["tvbinh@stp.gialai.gov.vn"], 1024**3, "locked", "", "{SSHA512}abc")


def test_a_generic_entry_locked_by_ppolicy_stays_locked():
    record = import_records.from_entry("uid=a,ou=Thanh tra,dc=x", {"cn": ["Lê Thị Hoa"], "mail": ["a@x"],
                                                                   "pwdAccountLockedTime": ["20240101000000Z"]},
                                       GENERIC)
    assert (record.status, record.unit) == ("locked", "Thanh tra")


def _record(where, name, unit, address="", **more):
    return import_records.Record(where=where, name=name, unit=unit, address=address, **more)


def _plan(records, roster=None, **kw):
    roster = roster or {"policy": "binhdinh_sct", "domain": DOMAIN, "units": [], "people": []}
    return import_plan.plan(records, roster, DOMAIN, SERVER, policy=resolve("binhdinh_sct", DOMAIN), **kw)


def test_addresses_are_pinned_units_guessed_and_hashes_carried():
    result = _plan([
        _record("uid=binhtv", "Trần Văn Bình", "Văn phòng Sở", "tvbinh@stp.gialai.gov.vn",
                aliases=["binh@stp.gialai.gov.vn"], password="{SSHA512}abcd", quota=3 * 1024**3),
        _record("uid=hoalt", "Lê Thị Hoa", "Phòng Hành chính Tư pháp", "hoalt@stp.gialai.gov.vn",
                password="{PLAIN}x", status="locked"),
    ])
    units = {u["name"]: u for u in result.roster["units"]}
    assert units["Văn phòng Sở"] == {"id": "vps", "name": "Văn phòng Sở", "type": "department"}
    assert units["Phòng Hành chính Tư pháp"]["type"] == "division"
    first, second = result.roster["people"]
    assert first == {"id": "STP-0001", "name": "Trần Văn Bình", "unit": "vps", "address": "tvbinh",
                     "aliases": ["binh@stp.gialai.gov.vn"], "quota": "3G"}
    assert second["status"] == "locked"
    assert result.passwords == {"tvbinh@stp.gialai.gov.vn": "{SSHA512}abcd"}
    assert result.uncarried == [{"id": "STP-0002", "login": "hoalt@stp.gialai.gov.vn",
                                 "reason": "a hash of a weak kind (clear text), too weak to keep"}]
    assert [a["address"] for a in result.accounts] == ["tvbinh@stp.gialai.gov.vn", "hoalt@stp.gialai.gov.vn"]
    assert "STP-0001 keeps tvbinh@stp.gialai.gov.vn (the naming rules would give binhtv@stp.gialai.gov.vn)" in result.review
    assert any(line.startswith("new unit vps") for line in result.review)


def test_ids_follow_the_roster_and_units_are_matched_by_name():
    roster = {"policy": "binhdinh_sct", "domain": DOMAIN,
              "units": [{"id": "vp", "name": "Văn phòng Sở", "type": "department"}],
              "people": [{"id": "STP-0007", "name": "Đỗ Văn Nam", "unit": "vp", "address": "namdv"}]}
    result = _plan([_record("row 2", "Trần Văn Bình", "VĂN PHÒNG SỞ"),
                    _record("row 3", "Đỗ Văn Nam", "vp", "namdv@stp.gialai.gov.vn")], roster)
    assert [p["id"] for p in result.roster["people"]] == ["STP-0007", "STP-0008"]
    assert result.roster["people"][1]["unit"] == "vp" and len(result.roster["units"]) == 1
    assert any("already in the roster as STP-0007" in line for line in result.review)


def test_an_old_address_in_a_legacy_domain_becomes_an_alias():
    roster = {"policy": "binhdinh_sct", "domain": DOMAIN, "legacy_domains": ["binhdinh.gov.vn"],
              "units": [{"id": "vp", "name": "Văn phòng", "type": "department"}], "people": []}
    result = _plan([_record("uid=a", "Trần Văn Bình", "vp", "binhtv@binhdinh.gov.vn")], roster)
    person = result.roster["people"][0]
    assert "address" not in person and person["aliases"] == ["binhtv@binhdinh.gov.vn"]
    assert result.accounts[0]["login"] == "binhtv@binhdinh.gov.vn"


@pytest.mark.parametrize(("records", "expected"), [
    ([_record("row 4", "", "vp")], "row 4: no name"),
    ([_record("row 5", "Trần Văn Bình", "")], "row 5: no unit"),
    ([_record("row 6", "Trần Văn Bình", "vp", "a@stp.gialai.gov.vn"),
      _record("row 9", "Trần Văn Bình", "vp", "a@stp.gialai.gov.vn")], "row 9: a@stp.gialai.gov.vn is already at row 6"),
    ([_record("row 6", "Trần Văn Bình", "vp"), _record("row 7", "Trần  Văn Bình", "vp")], "row 7: Trần  Văn Bình in vp"),
    ([_record("row 8", "Trần Văn Bình", "vp", "binh@yahoo.com")], "row 8: binh@yahoo.com is outside the server's domains"),
    ([_record("row 8", "Trần Văn Bình", "vp", "binh@gialai.gov.vn")], "another domain of this server"),
    ([_record("row 3", "Tr4n", "vp")], "the roster made from the import: row 3 (STP-0001): people[0]"),
])
def test_bad_input_is_reported_by_row(records, expected):
    with pytest.raises(RosterError) as err:
        _plan(records)
    assert any(expected in problem for problem in err.value.problems), err.value.problems


def test_a_sheet_in_tcvn3_becomes_unicode_names(tmp_path):
    path = tmp_path / "stp.csv"
    path.write_text("Họ và tên,Đơn vị,Ngày sinh\nNguyÔn V¨n An,V¨n phßng Së,31/05/1980\n"
                    "Hoµng ThÞ Nh\u00ad Quúnh,V¨n phßng Së,\n", encoding="utf-8")
    records, problems = import_records.from_sheet(sheets.read(str(path)), SHEET)
    assert not problems
    assert [(r.name, r.unit, r.birth_date) for r in records] == [
        ("Nguyễn Văn An", "Văn phòng Sở", "1980-05-31"), ("Hoàng Thị Như Quỳnh", "Văn phòng Sở", "")]
    assert "converted from TCVN3 to 'Nguyễn Văn An'" in records[0].notes[0]


def test_a_sheet_without_a_unit_column_names_what_to_add(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("Họ và tên,Email\nTrần Văn Bình,binh@stp.gialai.gov.vn\n", encoding="utf-8")
    records, problems = import_records.from_sheet(sheets.read(str(path)), SHEET)
    assert records == [] and "staff.csv: no column for the unit" in problems[0]


def test_a_quota_without_a_unit_is_refused(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("Họ và tên,Đơn vị,Dung lượng\nTrần Văn Bình,vp,2048\nLê Hoa,vp,2 GB\n", encoding="utf-8")
    records, _ = import_records.from_sheet(sheets.read(str(path)), SHEET)
    assert "no unit: write it as 2G" in records[0].problems[0] and records[1].quota == 2 * 1024**3


MAIN = {"policy": "gialai", "domain": "gialai.gov.vn", "legacy_domains": ["binhdinh.gov.vn"],
        "units": [{"id": "snv", "name": "Sở Nội vụ", "type": "department"}],
        "people": [{"id": "GL-0001", "name": "Hoàng Thị Như Quỳnh", "unit": "snv"}],
        "hosted": [{"policy": "binhdinh_sct", "domain": "sct.gialai.gov.vn", "units": [], "people": []}]}
Q4 = {"policy": "tphcm_q4", "domain": "q4.tphcm.gov.vn", "units": [], "people": [{"id": "Q4-0001", "name": "Lê Cúc",
                                                                                  "unit": "x"}]}


def test_the_target_is_the_roster_s_own_domain_with_every_served_domain_known():
    goal = import_target.target(MAIN, {"mail_roster_q4": Q4}, "gialai.gov.vn")
    assert goal.variable == "mail_roster" and goal.roster["hosted"] == MAIN["hosted"]
    assert {"gialai.gov.vn", "binhdinh.gov.vn", "sct.gialai.gov.vn", "q4.tphcm.gov.vn"} <= goal.server_domains
    assert "Q4-0001" in goal.taken_ids and "GL-0001" not in goal.taken_ids


def test_a_hosted_domain_of_its_own_file_is_written_as_that_file():
    goal = import_target.target(MAIN, {"mail_roster_q4": Q4}, "q4.tphcm.gov.vn")
    assert goal.variable == "mail_roster_q4" and goal.policy["domain"] == "q4.tphcm.gov.vn"


@pytest.mark.parametrize(("domain", "policy", "expected"), [
    ("sct.gialai.gov.vn", None, "is in mail_roster's hosted list: move it to a file of its own"),
    ("binhdinh.gov.vn", None, "is a legacy or alias domain of this server"),
    ("stp.gialai.gov.vn", None, "is not a domain of this server yet: give import_policy"),
])
def test_targets_that_cannot_be_written_whole_are_refused(domain, policy, expected):
    with pytest.raises(RosterError) as err:
        import_target.target(MAIN, {}, domain, policy)
    assert expected in err.value.problems[0]


def test_a_new_domain_becomes_a_roster_of_its_own():
    goal = import_target.target(MAIN, {}, "stp.gialai.gov.vn", "binhdinh_sct")
    assert goal.variable == "mail_roster_stp" and goal.roster["people"] == []


def test_the_roster_file_reads_back_as_the_roster_with_the_review_on_top():
    goal = import_target.target(MAIN, {}, "gialai.gov.vn")
    roster = dict(MAIN, people=MAIN["people"] + [{"id": "GL-0002", "name": "Trần Văn Bình", "unit": "snv",
                                                   "address": "tranvanbinh"}])
    text = import_target.to_yaml(goal, roster, ["new unit stp: 'Sở Tư pháp'"], "ldap://old", today="2026-12-02")
    assert yaml.safe_load(text) == {"mail_roster": roster}
    assert "#   - new unit stp: 'Sở Tư pháp'" in text
    assert "    - {id: GL-0002, name: Trần Văn Bình, unit: snv, address: tranvanbinh}" in text


def test_a_cell_that_reads_either_way_is_read_as_its_column(tmp_path):
    """VNI "Hoà" is also a Unicode word; in a column typed in VNI it is "Hồ"."""
    path = tmp_path / "vni.csv"
    path.write_text("Họ và tên,Đơn vị\nNguyeãn Vaên An,vp\nHoà Thò Lan,vp\nTraàn Thò Mai,vp\n", encoding="utf-8")
    records, _ = import_records.from_sheet(sheets.read(str(path)), SHEET)
    assert [r.name for r in records] == ["Nguyễn Văn An", "Hồ Thị Lan", "Trần Thị Mai"]
    assert "as the rest of its column" in records[1].notes[0]
