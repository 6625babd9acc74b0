"""Units merged or dissolved: a unit names its successor, and its mailbox goes with it."""

import copy

import pytest
from mailgov.accounts import render_directory
from mailgov.errors import RosterError

from test_directory_plan import BASE as BASE_DN
from test_directory_plan import apply, sync
# Sở Kế hoạch và Đầu tư merged into Sở Tài chính on 1 March 2025; its old division with it.
ROSTER = {
    "policy": "gialai",
    "units": [
        {"id": "stc", "name": "Sở Tài chính", "type": "department", "head": "GL-1", "delegates": ["GL-2"]},
        {"id": "skhdt", "name": "Sở Kế hoạch và Đầu tư", "type": "department"},
        {"id": "pdkkd", "name": "Phòng Đăng ký kinh doanh", "type": "division", "parent": "skhdt"},
        {"id": "stttt", "name": "Sở Thông tin và Truyền thông", "type": "department", "aliases": ["sotttt"]},
    ],
    "people": [
        {"id": "GL-1", "name": "Hoàng Thị Như Quỳnh", "unit": "stc"},
        {"id": "GL-2", "name": "Trần Đình Nguyên", "unit": "stc"},
        {"id": "GL-3", "name": "Đặng Thị Hoà", "unit": "pdkkd"},
    ],
}


def roster(change=None):
    data = copy.deepcopy(ROSTER)
    units = {u["id"]: u for u in data["units"]}
    if change:
        change(units, data)
    return data


def dissolve(units, data):
    """What the roster says after the merger: both old units name their successor, the person moved."""
    units["skhdt"]["successor"] = "stc"
    units["pdkkd"]["successor"] = "skhdt"
    data["people"][2]["unit"] = "stc"


def accounts_of(data):
    return {a["id"]: a for a in render_directory(data)["accounts"]}


def test_a_dissolved_units_mailbox_goes_to_the_live_end_of_its_chain():
    accounts = accounts_of(roster(dissolve))
    for ident in ("skhdt", "pdkkd"):
        old = accounts[ident]
        assert old["successor"] == accounts["stc"]["address"]
        assert old["unit"] == "stc" and old["delegates"] == ["GL-1", "GL-2"]
        assert old["display_name"] == ROSTER["units"][["skhdt", "pdkkd"].index(ident) + 1]["name"]
    assert accounts["stc"]["successor"] is None
    assert [u["id"] for u in render_directory(roster(dissolve))["units"]] == ["stc", "stttt"]


def test_units_carry_aliases():
    assert accounts_of(roster())["stttt"]["aliases"] == ["sotttt@gialai.gov.vn"]


def test_dissolving_keeps_the_address_and_hands_the_mailbox_to_the_successor():
    before = apply({}, sync(roster(), {})[0])
    address = next(e["mail"] for e in before.values() if e.get("uid") == ["skhdt"])
    operations, summary = sync(roster(dissolve), before)
    after = apply(before, operations)
    old = after[f"uid=skhdt,ou=mailboxes,{BASE_DN}"]
    assert old["mail"] == address and old["mailSuccessor"] == after[f"uid=stc,ou=mailboxes,{BASE_DN}"]["mail"]
    assert old["mailDelegate"] == [f"uid=GL-1,ou=people,{BASE_DN}", f"uid=GL-2,ou=people,{BASE_DN}"]
    assert old["mailUnit"] == ["stc"] and old["pwdReset"] == ["TRUE"]
    assert {h["id"] for h in summary["handed_over"]} == {"skhdt", "pdkkd"}
    reasons = [s["reason"] for s in operations if s.get("dn") == f"uid=skhdt,ou=mailboxes,{BASE_DN}"]
    assert f"its unit is dissolved: mail to {address[0]} goes to stc@gialai.gov.vn" in reasons[0]
    # The old units leave the tree, the division before its department.
    deleted = [s["dn"] for s in operations if s["op"] == "delete"]
    assert deleted == [f"ou=pdkkd,ou=skhdt,ou=units,{BASE_DN}", f"ou=skhdt,ou=units,{BASE_DN}"]
    assert sync(roster(dissolve), after)[1]["updated"] == []
    assert not [s for s in sync(roster(dissolve), after)[0] if s["op"] != "barrier"]


def test_a_live_unit_again_stops_forwarding():
    before = apply({}, sync(roster(), {})[0])
    merged = apply(before, sync(roster(dissolve), before)[0])

    def revive(units, data):
        dissolve(units, data)
        del units["pdkkd"]["successor"]
        units["pdkkd"]["parent"] = None

    operations, _ = sync(roster(revive), merged)
    entry = apply(merged, operations)[f"uid=pdkkd,ou=mailboxes,{BASE_DN}"]
    assert "mailSuccessor" not in entry and entry["mailUnit"] == ["pdkkd"]


def problems_of(change):
    with pytest.raises(RosterError) as err:
        render_directory(roster(change))
    return err.value.problems


@pytest.mark.parametrize("change, expected", [
    (lambda u, d: u["skhdt"].update(successor="sotc"),
     "units[1].successor: 'skhdt' names 'sotc', which is not in units; name the unit that takes over its work"),
    (lambda u, d: (u["skhdt"].update(successor="stc"), u["stc"].update(successor="skhdt")),
     "the successors of 'skhdt' form a loop (skhdt -> stc -> skhdt)"),
    (lambda u, d: u["skhdt"].update(successor="skhdt"), "the successors of 'skhdt' form a loop (skhdt -> skhdt)"),
    (lambda u, d: (u["skhdt"].update(successor="stc"), u["stc"].update(mailbox=False)),
     "units[1].successor: 'stc' has no mailbox to receive the mail of 'skhdt'; name a successor with one"),
    (lambda u, d: u["skhdt"].update(successor="stc", mailbox=False),
     "units[1].successor: 'skhdt' has no mailbox whose mail could go to 'stc'"),
    (lambda u, d: u["skhdt"].update(successor="stc", head="GL-3"),
     "units[1]: a dissolved unit's mailbox is opened by the head and delegates of 'stc'; remove head and delegates"),
    (lambda u, d: u["skhdt"].update(successor="stc"),
     "units[2].parent: 'skhdt' is dissolved (successor 'stc'); move 'pdkkd' under a live unit or dissolve it too"),
    (lambda u, d: (u["pdkkd"].update(successor="stc")),
     "people[2].unit: 'pdkkd' is dissolved (successor 'stc'); move the person to a live unit"),
    (lambda u, d: u["stttt"].update(aliases=["stc"]), "units[3].aliases[0]: stc is already the address of stc"),
    (lambda u, d: u["stttt"].update(aliases="sotttt"), "units[3].aliases: must be a list of addresses"),
    (lambda u, d: u["stttt"].update(mailbox=False), "units[3].aliases: the unit has no mailbox (mailbox: false)"),
])
def test_bad_successors_are_refused_with_their_place(change, expected):
    problems = problems_of(change)
    assert any(expected in p for p in problems), problems
