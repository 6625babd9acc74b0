"""The address book of a render: who holds a local part, and why a unit or newcomer cannot have one."""

import copy

import pytest
from mailgov import accounts
from mailgov.accounts import render, render_directory
from mailgov.errors import RosterError
from mailgov.naming import RESERVED
from mailgov.policy import resolve
from rosters import SMALL_ROSTER

BASE = SMALL_ROSTER


def problems_of(roster, existing=None, policy=None):
    with pytest.raises(RosterError) as err:
        render(roster, existing, policy)
    return err.value.problems


def changed(**people_or_units):
    roster = copy.deepcopy(BASE)
    for key, (index, values) in people_or_units.items():
        roster[key][index].update(values)
    return roster


@pytest.mark.parametrize("holder, expected", [
    (RESERVED, "a reserved name"),
    ("GL-0001", "already the address of GL-0001"),
    ("GL-0001 (alias)", "already the address of GL-0001 (alias)"),
    ("fixed:q4", "already the address of fixed:q4"),
])
def test_a_problem_names_the_holder(holder, expected):
    assert accounts._holder_text(holder) == expected


def no_department_template():
    policy = copy.deepcopy(resolve("gialai"))
    policy["units"]["department"]["address"] = ["{parent}.x"]
    return policy


@pytest.mark.parametrize("roster, existing, policy, expected", [
    # No template of the unit's rule can be filled.
    (BASE, None, no_department_template(),
     "units[0]: no address template of the department rule applies to 'Sở Thông tin và Truyền thông'; "
     "set abbr or check its parent"),
    # The derived address is no local part.
    (changed(units=(0, {"abbr": "a" * 65})), None, None,
     f"units[0]: its address '{'a' * 65}' is longer than 64 characters; set abbr"),
    # A person's alias, a pinned address or an existing account holds it first.
    (changed(people=(0, {"aliases": ["ubndiagrai"]})), None, None,
     "units[1] ('Huyện Ia Grai'): its address ubndiagrai is already the address of GL-0001 (alias); set abbr"),
    (changed(people=(1, {"address": "stttt"})), None, None,
     "units[0] ('Sở Thông tin và Truyền thông'): its address stttt is already the address of GL-0002; set abbr"),
    (BASE, {"GL-0002": "ubndiagrai@gialai.gov.vn"}, None,
     "units[1] ('Huyện Ia Grai'): its address ubndiagrai is already the address of GL-0002; set abbr"),
    (changed(units=(0, {"abbr": "hostmaster"})), None, None,
     "units[0] ('Sở Thông tin và Truyền thông'): its address hostmaster is a reserved name; set abbr"),
])
def test_why_a_unit_cannot_have_its_address(roster, existing, policy, expected):
    assert expected in problems_of(roster, existing, policy)


def test_a_unit_keeps_the_address_the_directory_has():
    # Even one its rule would no longer derive, and even one no template gives.
    result = render_directory(BASE, {"stttt": "sotttt@gialai.gov.vn"}, no_department_template())
    assert next(a for a in result["accounts"] if a["id"] == "stttt")["address"] == "sotttt@gialai.gov.vn"
    assert result["units"][0]["address"] == "sotttt@gialai.gov.vn"


def test_a_derived_address_that_is_no_local_part_asks_for_one_by_hand():
    roster = changed(people=(0, {"name": "Hoàng Thị Như " + "Q" * 70}))
    assert problems_of(roster) == [
        f"people[0]: the derived address '{'q' * 70}htn.stttt' is longer than 64 characters; set address by hand"]
    pinned = changed(people=(0, {"name": "Hoàng Thị Như " + "Q" * 70, "address": "quynh"}))
    assert render(pinned)[-2]["address"] == "quynh@gialai.gov.vn"


@pytest.mark.parametrize("roster", [None, [], "policy: gialai"])
def test_a_roster_must_be_a_mapping(roster):
    assert problems_of(roster) == ["mail_roster: must be a mapping with policy, units and people"]


def test_a_resolved_policy_is_used_as_given():
    roster = dict(BASE, policy="no_such_preset")
    assert problems_of(roster)[0].startswith("policy: unknown preset 'no_such_preset'")
    assert render(roster, policy=resolve("gialai")) == render(BASE)


def test_unit_problems_are_reported_with_those_of_people_and_existing_addresses():
    roster = changed(units=(0, {"abbr": "a" * 65}), people=(1, {"aliases": ["x@other.vn"]}))
    problems = problems_of(roster, {"GL-0001": "q@other.vn"})
    assert [p.split(":")[0] for p in problems] == ["existing[GL-0001]", "people[1].aliases[0]", "units[0]"]
