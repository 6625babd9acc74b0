"""Transfers: a person moved to another unit keeps the address or gets one there, as the policy says."""

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mailgov.accounts import render
from mailgov.errors import RosterError
from mailgov.policy import resolve
from test_presets import GIALAI_UNITS
from test_properties import SETTINGS, addresses, rosters

PEOPLE = [
    {"id": "quynh", "name": "Hoàng Thị Như Quỳnh", "unit": "stttt"},
    {"id": "nguyen", "name": "Trần Đình Nguyên", "unit": "vp-dakpo"},
    {"id": "tien", "name": "Trương Hoàng Tiến Minh", "unit": "stttt"},
    {"id": "tan", "name": "Trần Huỳnh Tấn Minh", "unit": "stttt"},
    {"id": "hoa", "name": "Đặng Thị Hoà", "unit": "ccbvmt"},
]


def roster(policy="gialai", moves=(), people=PEOPLE, units=GIALAI_UNITS):
    people = copy.deepcopy(people)
    for ident, unit in dict(moves).items():
        next(p for p in people if p["id"] == ident)["unit"] = unit
    return {"policy": policy, "units": units, "people": people}


def directory(accounts, before=None):
    """What the directory sync keeps of a render: address, unit and former addresses."""
    before = before or {}
    state = {}
    for account in accounts:
        former = list(before.get(account["id"], {}).get("former", []))
        if account["transfer"]:
            former.append(account["transfer"]["from"])
        state[account["id"]] = {"address": account["address"], "unit": account["unit"],
                                "former": [a for a in former if a != account["address"]]}
    return state


def moved(policy, moves, before=None):
    """Render the roster, then again with people moved, as the sync does; {id: account}."""
    first = before or directory(render(roster(policy)))
    return {a["id"]: a for a in render(roster(policy, moves), first)}


@pytest.mark.parametrize("moves, expected", [
    # The part of the address the unit gives changes: a new address there.
    ({"quynh": "pleiku"}, {"quynh": ("quynhhtn.pleiku", "quynhhtn.stttt")}),
    ({"nguyen": "stttt"}, {"nguyen": ("nguyentd.stttt", "nguyentd.dakpo")}),
    # A division takes its department's suffix: the same part, the address stays.
    ({"hoa": "stnmt"}, {"hoa": ("hoadt.stnmt", None)}),
    # A collision form stays a collision form when the unit part does not change...
    ({"tien": "dakpo"}, {"tien": ("minhtht.dakpo", "tienminhth.stttt")}),
    # ... and a newcomer's rules apply in the new unit: both Minh move on there too.
    ({"tien": "dakpo", "tan": "dakpo"}, {"tien": ("tienminhth.dakpo", "tienminhth.stttt"),
                                          "tan": ("tanminhth.dakpo", "tanminhth.stttt")}),
])
def test_gialai_gives_a_new_address_when_the_unit_part_changes(moves, expected):
    accounts = moved("gialai", moves)
    for ident, (address, old) in expected.items():
        account = accounts[ident]
        assert account["address"] == f"{address}@gialai.gov.vn"
        assert account["unit"] == moves[ident]
        if old is None:
            assert account["transfer"] is None
        else:
            assert account["transfer"] == {"from": f"{old}@gialai.gov.vn",
                                           "from_unit": roster()["people"][[p["id"] for p in PEOPLE].index(ident)]["unit"]}
    unmoved = {a["id"]: a["address"] for a in render(roster())}
    for ident, account in accounts.items():
        if ident not in moves:
            assert account["address"] == unmoved[ident] and account["transfer"] is None


@pytest.mark.parametrize("policy", ["yenbai", "tphcm_q4", "binhdinh_sct", "quangtri_tu",
                                    {"preset": "gialai", "transfer": {"address": "keep"}}])
def test_other_presets_and_keep_change_only_the_unit(policy):
    units = GIALAI_UNITS
    accounts = {a["id"]: a for a in render(roster(policy, units=units), directory(render(roster(policy))))}
    after = moved(policy, {"quynh": "pleiku", "nguyen": "stttt"})
    for ident, account in after.items():
        assert account["address"] == accounts[ident]["address"]
        assert account["transfer"] is None
    assert after["quynh"]["unit"] == "pleiku"


def test_a_second_render_with_the_directory_after_a_transfer_changes_nothing():
    first = directory(render(roster()))
    after = render(roster(moves={"quynh": "pleiku"}), first)
    state = directory(after, first)
    assert state["quynh"] == {"address": "quynhhtn.pleiku@gialai.gov.vn", "unit": "pleiku",
                              "former": ["quynhhtn.stttt@gialai.gov.vn"]}
    again = render(roster(moves={"quynh": "pleiku"}), state)
    assert again == [dict(a, transfer=None) for a in after]


def test_the_old_address_is_never_given_to_anyone_else():
    first = directory(render(roster()))
    state = directory(render(roster(moves={"quynh": "pleiku"}), first), first)
    # Someone of the same name joins the old unit: the old address is taken, so the next form.
    newcomer = {"id": "quynh2", "name": "Hoàng Thị Như Quỳnh", "unit": "stttt", "birth_date": "1990-01-02"}
    people = copy.deepcopy(PEOPLE) + [newcomer]
    rendered = {a["id"]: a["address"] for a in
                render(roster(moves={"quynh": "pleiku"}, people=people), state)}
    assert rendered["quynh2"] == "quynhhtn1990.stttt@gialai.gov.vn"
    # Nor as an alias, to someone else...
    people = copy.deepcopy(PEOPLE)
    people[1]["aliases"] = ["quynhhtn.stttt"]
    with pytest.raises(RosterError, match=r"people\[1\]\.aliases\[0\]: quynhhtn.stttt is already the address "
                                          r"of quynh \(former address\)"):
        render(roster(moves={"quynh": "pleiku"}, people=people), state)
    # ... but its own holder may keep it as an alias for good.
    people = copy.deepcopy(PEOPLE)
    people[0]["aliases"] = ["quynhhtn.stttt"]
    quynh = next(a for a in render(roster(moves={"quynh": "pleiku"}, people=people), state) if a["id"] == "quynh")
    assert quynh["aliases"] == ["quynhhtn.stttt@gialai.gov.vn"]


def test_moving_back_takes_the_old_address_again():
    first = directory(render(roster()))
    state = directory(render(roster(moves={"quynh": "pleiku"}), first), first)
    back = {a["id"]: a for a in render(roster(), state)}["quynh"]
    assert back["address"] == "quynhhtn.stttt@gialai.gov.vn"
    assert back["transfer"] == {"from": "quynhhtn.pleiku@gialai.gov.vn", "from_unit": "pleiku"}


def test_moving_back_to_an_old_address_kept_as_an_alias_gives_a_new_one():
    first = directory(render(roster()))
    state = directory(render(roster(moves={"quynh": "pleiku"}), first), first)
    people = copy.deepcopy(PEOPLE)
    people[0]["aliases"] = ["quynhhtn.stttt"]
    back = {a["id"]: a for a in render(roster(people=people), state)}["quynh"]
    assert back["aliases"] == ["quynhhtn.stttt@gialai.gov.vn"]
    assert back["address"] == "nhuquynhht.stttt@gialai.gov.vn"


def test_a_pinned_address_in_the_new_unit_is_the_new_address():
    people = copy.deepcopy(PEOPLE)
    people[0]["address"] = "nhuquynh.pleiku"
    quynh = {a["id"]: a for a in render(roster(moves={"quynh": "pleiku"}, people=people),
                                         directory(render(roster())))}["quynh"]
    assert quynh["address"] == "nhuquynh.pleiku@gialai.gov.vn"
    assert quynh["transfer"]["from"] == "quynhhtn.stttt@gialai.gov.vn"
    # Under keep, pinning another address is still refused: an address never changes there.
    with pytest.raises(RosterError, match="an address never changes"):
        render(roster({"preset": "gialai", "transfer": {"address": "keep"}}, {"quynh": "pleiku"}, people),
               directory(render(roster())))


def test_recalled_people_and_accounts_without_a_known_unit_are_not_transferred():
    people = copy.deepcopy(PEOPLE)
    people[0]["status"] = "recalled"
    state = directory(render(roster()))
    assert {a["id"]: a for a in render(roster(moves={"quynh": "pleiku"}, people=people), state)}["quynh"][
        "address"] == "quynhhtn.stttt@gialai.gov.vn"
    # Plain addresses (the directory before units were recorded) mean no transfer.
    plain = {ident: entry["address"] for ident, entry in state.items()}
    assert moved("gialai", {"quynh": "pleiku"}, plain)["quynh"]["transfer"] is None


@pytest.mark.parametrize("existing, expected", [
    ({"quynh": {"address": "quynhhtn.pleiku", "former": ["a@other.vn"]}},
     "existing[quynh].former[0]: 'a@other.vn' is outside the domain"),
    ({"quynh": {"address": "quynhhtn.pleiku", "former": ["x"]}, "nguyen": {"address": "nguyentd.dakpo", "former": ["x"]}},
     "existing[nguyen].former: x is already the address of quynh (former address)"),
])
def test_bad_former_addresses(existing, expected):
    with pytest.raises(RosterError) as err:
        render(roster(), existing)
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems


@pytest.mark.parametrize("transfer, expected", [
    ({"address": "move"}, "policy.transfer.address: 'move' must be 'keep'"),
    ({"forward_days": 0}, "policy.transfer.forward_days: 0 must be a whole number of days above zero"),
    ({"forward_days": None}, "policy.transfer.forward_days: None must be a whole number"),
    ({"forward": 30}, "policy.transfer.forward: unknown setting"),
])
def test_bad_transfer_settings(transfer, expected):
    with pytest.raises(RosterError) as err:
        resolve({"preset": "gialai", "transfer": transfer})
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems


@pytest.mark.parametrize("preset, address", [("gialai", "new"), ("yenbai", "keep"), ("tphcm_q4", "keep"),
                                             ("binhdinh_sct", "keep"), ("quangtri_tu", "keep")])
def test_presets_transfer_settings(preset, address):
    assert resolve(preset)["transfer"] == {"address": address, "forward_days": 90}


@SETTINGS
@given(rosters(), st.data(), st.sampled_from(["keep", "new"]))
def test_moving_people_keeps_every_address_unique_and_reserved(roster_, data, mode):
    roster_["policy"] = {"preset": roster_["policy"], "transfer": {"address": mode}}
    try:
        first_accounts = render(roster_)
    except RosterError:
        return  # a roster some preset cannot name at all is another test's business
    first = directory(first_accounts)
    unit_ids = [u["id"] for u in roster_["units"]]
    changed = copy.deepcopy(roster_)
    for person in changed["people"]:
        person["unit"] = data.draw(st.sampled_from(unit_ids))
    try:
        after = render(changed, first)
    except RosterError as err:
        # Only a person who must get a new address and cannot may stop the render.
        assert mode == "new" and all(p.startswith("people[") for p in err.problems), err.problems
        return
    found = addresses(after)
    assert len(found) == len(set(found))
    before = {a["id"]: a["address"] for a in first_accounts}
    for account in after:
        if account["id"] not in before:
            continue
        if account["transfer"] is None:
            assert account["address"] == before[account["id"]]
        else:
            assert mode == "new" and account["transfer"]["from"] == before[account["id"]]
            # Nobody else gets an address someone had: the old one is reserved.
            assert account["address"] not in set(before.values())
    state = directory(after, first)
    assert all(a["transfer"] is None for a in render(changed, state))
