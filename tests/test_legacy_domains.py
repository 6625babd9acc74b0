"""Legacy domains (an absorbed province's old addresses kept as aliases of their owners) and
alias domains, as the roster declares them."""

import copy

import pytest
from mailgov.accounts import render
from mailgov.errors import RosterError
from mailgov.domains import read_domains
from rosters import SMALL_ROSTER
from test_directory_plan import apply, sync


def roster(legacy=("binhdinh.gov.vn", "sct.binhdinh.gov.vn"), **aliases):
    data = copy.deepcopy(SMALL_ROSTER)
    data["legacy_domains"] = list(legacy)
    for person in data["people"]:
        person["aliases"] = aliases.get(person["id"].replace("-", "_"), [])
    return data


def test_the_domains_are_read_in_lower_case_in_their_order():
    problems = []
    data = dict(roster(legacy=["BinhDinh.gov.vn"]), alias_domains=[" GiaLai.vn "])
    assert read_domains(data, "gialai.gov.vn", problems) == (["binhdinh.gov.vn"], ["gialai.vn"])
    assert problems == []


def test_old_addresses_in_legacy_domains_are_aliases_of_their_owners():
    accounts = {a["id"]: a for a in render(roster(GL_0001=["QuynhHTN@BinhDinh.gov.vn", "quynh"],
                                                   GL_0002=["nguyentd@sct.binhdinh.gov.vn"]))}
    assert accounts["GL-0001"]["aliases"] == ["quynhhtn@binhdinh.gov.vn", "quynh@gialai.gov.vn"]
    assert accounts["GL-0002"]["aliases"] == ["nguyentd@sct.binhdinh.gov.vn"]
    assert accounts["GL-0001"]["address"] == "quynhhtn.stttt@gialai.gov.vn"  # the new rules, as anyone's


@pytest.mark.parametrize("data, expected", [
    (roster(legacy=(), GL_0001=["quynhhtn@binhdinh.gov.vn"]),
     "people[0].aliases[0]: 'quynhhtn@binhdinh.gov.vn' is outside the domain gialai.gov.vn; list an absorbed "
     "domain in legacy_domains to keep addresses there"),
    (roster(GL_0001=["quynhhtn@kontum.gov.vn"]),
     "people[0].aliases[0]: 'quynhhtn@kontum.gov.vn' is outside the domain gialai.gov.vn and its legacy "
     "domains (binhdinh.gov.vn, sct.binhdinh.gov.vn)"),
    (roster(GL_0001=["an@binhdinh.gov.vn"], GL_0002=["AN@binhdinh.gov.vn"]),
     "people[1].aliases[0]: an@binhdinh.gov.vn is already the address of GL-0001 (alias)"),
    (roster(legacy=["binhdinh.gov.vn", "BinhDinh.gov.vn"]),
     "legacy_domains[1]: binhdinh.gov.vn is listed twice (also legacy_domains[0]); list each domain once"),
    (roster(legacy=["gialai.gov.vn"]), "legacy_domains[0]: gialai.gov.vn is the roster's own domain"),
    (roster(legacy=["binh dinh"]), "legacy_domains[0]: 'binh dinh' is not a domain name such as binhdinh.gov.vn"),
    (roster(GL_0001=["a..b@binhdinh.gov.vn"]), "people[0].aliases[0]: 'a..b' is not a valid local part"),
    (dict(roster(), alias_domains=["sct.binhdinh.gov.vn"]),
     "alias_domains[0]: sct.binhdinh.gov.vn is listed twice (also legacy_domains[1]); list each domain once"),
    (dict(roster(), alias_domains="gialai.vn"), "alias_domains: must be a list"),
    (dict(roster(), legacy_notice="yes"), "legacy_notice: 'yes' must be true (old addresses in the legacy "
                                          "domains answer senders with the new one) or false"),
    (dict(roster(legacy=()), legacy_notice=True), "legacy_notice: true needs legacy_domains"),
])
def test_bad_legacy_addresses_are_refused_with_their_place(data, expected):
    with pytest.raises(RosterError) as err:
        render(data)
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_an_old_address_taken_out_of_the_roster_stays_reserved_for_its_owner():
    before = apply({}, sync(roster(GL_0001=["quynhhtn@binhdinh.gov.vn"]), {})[0])
    operations, _ = sync(roster(), before)
    after = apply(before, operations)
    entry = next(e for e in after.values() if e.get("uid") == ["GL-0001"])
    assert "mailAlias" not in entry and entry["mailFormerAddress"] == ["quynhhtn@binhdinh.gov.vn"]
    assert any("quynhhtn@binhdinh.gov.vn no longer in the roster: reserved for good" in s["reason"]
               for s in operations if s["op"] == "modify")
    assert not [s for s in sync(roster(), after)[0] if s["op"] != "barrier"]
    # Nobody else is given it; its owner may have it back.
    with pytest.raises(RosterError, match=r"people\[1\]\.aliases\[0\]: quynhhtn@binhdinh\.gov\.vn is already the "
                                          r"address of GL-0001 \(former address\)"):
        sync(roster(GL_0002=["quynhhtn@binhdinh.gov.vn"]), after)
    back = apply(after, sync(roster(GL_0001=["quynhhtn@binhdinh.gov.vn"]), after)[0])
    assert next(e for e in back.values() if e.get("uid") == ["GL-0001"])["mailAlias"] == ["quynhhtn@binhdinh.gov.vn"]
