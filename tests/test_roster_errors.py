"""Bad input: every problem is reported together, with its place, and nothing is rendered."""

import copy

import pytest
from mailgov.accounts import render
from mailgov.errors import RosterError
from rosters import SMALL_ROSTER

BASE = SMALL_ROSTER


def problems_of(change):
    roster = copy.deepcopy(BASE)
    change(roster)
    with pytest.raises(RosterError) as err:
        render(roster)
    return err.value.problems


def person(roster, index, **values):
    roster["people"][index].update(values)


def unit(roster, index, **values):
    roster["units"][index].update(values)


@pytest.mark.parametrize("change, expected", [
    (lambda r: person(r, 1, unit="sttt"), "people[1].unit: unknown unit 'sttt'"),
    (lambda r: person(r, 1, id="GL-0001"), "people[1].id: 'GL-0001' is already used by people[0]"),
    (lambda r: person(r, 1, id="stttt"), "people[1].id: 'stttt' is already used by units[0]"),
    (lambda r: person(r, 0, id="GL 01"), "people[0].id: 'GL 01' may use only"),
    (lambda r: person(r, 0, name="  "), "people[0].name: '  ' is empty"),
    (lambda r: person(r, 0, name="Nguyễn Văn 3"), "people[0].name: 'Nguyễn Văn 3' contains digits"),
    (lambda r: person(r, 0, name="Nguyễn @n"), "contains digits or symbols"),
    (lambda r: person(r, 0, name="NguyÔn V¨n B»ng"), "people[0].name: 'NguyÔn V¨n B»ng' looks like text in a legacy"),
    (lambda r: person(r, 0, name="Nguyeãn Vaên Baèng"), "legacy Vietnamese encoding"),
    (lambda r: person(r, 0, name=42), "people[0].name: must be text"),
    (lambda r: person(r, 0, status="retired"), "people[0].status: 'retired' is not one of active, locked, recalled"),
    (lambda r: person(r, 0, quota="lots"), "people[0].quota: 'lots' is not a size"),
    (lambda r: person(r, 0, birth_date="12/04/1990"), "people[0].birth_date: '12/04/1990' is not a date"),
    (lambda r: person(r, 0, adress="x"), "people[0].adress: unknown key; did you mean 'address'?"),
    (lambda r: person(r, 0, address="quynh@yahoo.com"), "people[0].address: 'quynh@yahoo.com' is outside the domain gialai.gov.vn"),
    (lambda r: person(r, 0, address="quynh..htn"), "people[0].address: 'quynh..htn' is not a valid local part"),
    (lambda r: person(r, 0, address=".quynh"), "is not a valid local part"),
    (lambda r: person(r, 0, address="x" * 65), "is longer than 64 characters"),
    (lambda r: person(r, 0, address="postmaster"), "people[0].address: postmaster is a reserved name"),
    (lambda r: person(r, 0, address="stttt"), "units[0] ('Sở Thông tin và Truyền thông'): its address stttt is already the address of GL-0001"),
    (lambda r: (person(r, 0, address="quynh"), person(r, 1, address="quynh@gialai.gov.vn")),
     "people[1].address: quynh is already the address of GL-0001"),
    (lambda r: person(r, 0, aliases=["abuse"]), "people[0].aliases[0]: abuse is a reserved name"),
    (lambda r: person(r, 0, parts={"surname": "Hoàng", "given": "Quỳnh"}), "people[0].parts: the words of parts must be the words"),
    (lambda r: person(r, 0, parts={"surname": "Hoàng", "middle": ["Thị", "Như"]}), "people[0].parts.given: missing"),
    (lambda r: unit(r, 2, parent="nowhere"), "units[2].parent: unknown unit 'nowhere'"),
    (lambda r: unit(r, 1, type="province"), "units[1].type: 'province' is not one of"),
    (lambda r: unit(r, 1, parent="stttt"), "units[1].parent: a district cannot stand under a department"),
    (lambda r: unit(r, 0, abbr="Sở TT"), "units[0].abbr: 'Sở TT' may use only a-z 0-9 _ -"),
    (lambda r: unit(r, 0, abbr="postmaster"), "its address postmaster is a reserved name; set abbr"),
    (lambda r: unit(r, 0, delegates=["GL-9999"]), "units[0].delegates: 'GL-9999' is not in people"),
    (lambda r: (unit(r, 0, delegates=["GL-0001"]), person(r, 0, status="recalled")), "units[0].delegates: 'GL-0001' is recalled"),
    (lambda r: unit(r, 0, head="GL-9999"), "units[0].head: 'GL-9999' is not in people"),
    (lambda r: (unit(r, 0, head="GL-0001"), person(r, 0, status="recalled")), "units[0].head: 'GL-0001' is recalled"),
    (lambda r: unit(r, 0, mailbox="yes"), "units[0].mailbox: must be true or false"),
    (lambda r: r["units"].append({"id": "x", "name": "Xã Ia Bang", "type": "commune"})
     or r["units"].append({"id": "y", "name": "Xã Ia Băng", "type": "commune"}),
     "units[4] ('Xã Ia Băng') and units[3] ('Xã Ia Bang') would both get ubndiabang@gialai.gov.vn; set abbr"),
    (lambda r: r.update(peoples=[]), "mail_roster.peoples: unknown key; did you mean 'people'?"),
    (lambda r: r.update(policy="gia_lai"), "policy: unknown preset 'gia_lai'"),
    (lambda r: r.update(units={}), "units: must be a list"),
])
def test_problem_is_reported_with_its_place(change, expected):
    problems = problems_of(change)
    assert any(expected in p for p in problems), problems


def test_cycles_in_parents_are_found():
    def change(roster):
        roster["units"] += [
            {"id": "a", "name": "Phòng A", "type": "division", "parent": "b"},
            {"id": "b", "name": "Phòng B", "type": "division", "parent": "a"},
        ]
    problems = problems_of(change)
    assert any("units[3].parent: the parents of 'a' form a cycle (a -> b -> a)" in p for p in problems)


def test_all_problems_come_together():
    def change(roster):
        person(roster, 0, unit="sttt", status="gone")
        person(roster, 1, name="Trần 2")
        unit(roster, 2, parent="nowhere")
    problems = problems_of(change)
    assert len(problems) == 4
    assert [p.split(":")[0] for p in problems] == [
        "units[2].parent", "people[0].unit", "people[0].status", "people[1].name"]


def test_the_error_message_lists_every_problem():
    roster = copy.deepcopy(BASE)
    person(roster, 0, unit="sttt")
    with pytest.raises(RosterError, match=r"1 problem:\n  - people\[0\]\.unit: unknown unit 'sttt'"):
        render(roster)


@pytest.mark.parametrize("existing, expected", [
    ({"GL-0001": "a@other.vn"}, "existing[GL-0001]: a@other.vn is outside the domain gialai.gov.vn; to re-home "
                                "the accounts of other.vn into it, list other.vn in legacy_domains"),
    ({"GL-0001": "a", "GL-0002": "a"}, "existing[GL-0002]: a is also the address of GL-0001"),
    ("GL-0001=a", "existing: must map account ids to their addresses"),
])
def test_bad_existing(existing, expected):
    with pytest.raises(RosterError) as err:
        render(BASE, existing)
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_an_alias_cannot_take_an_existing_address():
    roster = copy.deepcopy(BASE)
    person(roster, 0, aliases=["nguyentd.iagrai"])
    with pytest.raises(RosterError, match=r"people\[0\]\.aliases\[0\]: nguyentd.iagrai is already the address of GL-0002"):
        render(roster, {"GL-0002": "nguyentd.iagrai@gialai.gov.vn"})


def test_a_pinned_address_cannot_replace_an_existing_one():
    roster = copy.deepcopy(BASE)
    person(roster, 0, address="quynh")
    with pytest.raises(RosterError, match="an address never changes"):
        render(roster, {"GL-0001": "quynhhtn.stttt"})


def test_nothing_from_a_name_reaches_an_id_or_local_part_unescaped():
    roster = copy.deepcopy(BASE)
    person(roster, 0, name="Nguyễn Văn (admin)*")
    with pytest.raises(RosterError, match="digits or symbols"):
        render(roster)
