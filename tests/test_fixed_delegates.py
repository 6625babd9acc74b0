"""The policy's fixed mailboxes (vanthuvanphong@, admin@) opened by the people the roster names."""

import pytest
from mailgov.accounts import render
from mailgov.errors import RosterError

UNITS = [{"id": "vp", "name": "Văn phòng Tỉnh ủy", "type": "department", "abbr": "vp"}]
PEOPLE = [{"id": "QT-1", "name": "Lê Văn Ba", "unit": "vp"},
          {"id": "QT-2", "name": "Hồ Thị Tư", "unit": "vp"},
          {"id": "QT-3", "name": "Trần Văn Năm", "unit": "vp", "status": "recalled"}]


def roster(fixed_delegates):
    return {"policy": "quangtri_tu", "units": UNITS, "people": PEOPLE, "fixed_delegates": fixed_delegates}


def test_the_records_office_opens_the_fixed_mailbox_the_roster_gives_it():
    accounts = {a["address"]: a for a in render(roster({"vanthuvanphong": ["QT-1", "QT-2"]}))}
    assert accounts["vanthuvanphong@tinhuyquangtri.vn"]["delegates"] == ["QT-1", "QT-2"]
    assert accounts["vanthuvanphong@tinhuyquangtri.vn"]["kind"] == "unit"
    assert accounts["admin@tinhuyquangtri.vn"]["delegates"] == []


@pytest.mark.parametrize("given, problem", [
    ({"vanthu": ["QT-1"]}, "fixed_delegates.vanthu: not a fixed mailbox of the policy (vanthuvanphong, admin)"),
    ({"admin": "QT-1"}, "fixed_delegates.admin: must be a list of people ids"),
    ({"admin": ["QT-9"]}, "fixed_delegates.admin: 'QT-9' is not in people"),
    ({"admin": ["QT-3"]}, "fixed_delegates.admin: 'QT-3' is recalled"),
    (["admin"], "fixed_delegates: must map fixed mailboxes (their local parts) to lists of people ids"),
])
def test_bad_fixed_delegates_are_refused(given, problem):
    with pytest.raises(RosterError) as err:
        render(roster(given))
    assert problem in err.value.problems


def test_a_policy_without_fixed_mailboxes_says_so():
    with pytest.raises(RosterError) as err:
        render({"policy": "gialai", "units": [], "people": [], "fixed_delegates": {"admin": []}})
    assert "fixed_delegates.admin: not a fixed mailbox of the policy (it has none)" in err.value.problems
