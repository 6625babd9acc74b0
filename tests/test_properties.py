"""Properties that must hold for any roster, under every preset."""

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailgov.accounts import render
from mailgov.errors import RosterError
from mailgov.policy import preset_names

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Ksor", "Rơ Mah", "Tôn Thất"]
MIDDLES = ["Văn", "Thị", "Hoàng", "Như", "Đình", "Tiến", "Tấn", "Minh", "Thuỳ", "Thùy"]
GIVENS = ["An", "Ân", "Bằng", "Hoà", "Hòa", "Minh", "Quỳnh", "H'Bia", "Nguyên", "Thuỷ", "Đức", "Ý"]
DISTRICTS = ["Ia Grai", "Chư Păh", "Đak Pơ", "Pleiku", "Kông Chro"]
COMMUNES = ["Ia Băng", "Hòa Phú", "Ia Tô", "Đak Đoa", "Kon Dơng"]
LOCAL = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")

names = st.builds(
    lambda s, m, g: " ".join([s, *m, g]),
    st.sampled_from(SURNAMES), st.lists(st.sampled_from(MIDDLES), max_size=3), st.sampled_from(GIVENS))


@st.composite
def rosters(draw):
    """A province with departments, districts, communes and divisions, and people in them."""
    units = []
    for i, place in enumerate(draw(st.lists(st.sampled_from(DISTRICTS), max_size=4, unique=True))):
        units.append({"id": f"d{i}", "name": f"Huyện {place}", "type": "district"})
    for i in range(draw(st.integers(1, 3))):
        units.append({"id": f"s{i}", "name": f"Sở Ngành Số {'ABC'[i]}", "type": "department", "abbr": f"so{i}"})
    for i, place in enumerate(draw(st.lists(st.sampled_from(COMMUNES), max_size=4, unique=True))):
        parent = draw(st.sampled_from([None] + [u["id"] for u in units if u["type"] == "district"]))
        units.append({"id": f"c{i}", "name": f"Xã {place}", "type": "commune", "parent": parent})
    for i in range(draw(st.integers(0, 4))):
        parent = draw(st.sampled_from([u for u in units]))
        units.append({"id": f"v{i}", "name": f"Phòng Nghiệp vụ {i}", "type": "division",
                      "parent": parent["id"], "abbr": f"nv{i}"})
    unit_ids = [u["id"] for u in units]
    people = draw(st.lists(st.builds(
        lambda n, u, y: {"name": n, "unit": u, "birth_date": y},
        names, st.sampled_from(unit_ids), st.one_of(st.none(), st.integers(1960, 2000))), max_size=40))
    for i, person in enumerate(people):
        person["id"] = f"P{i:03d}"
        if " " in person["name"].split(" ", 1)[0] or person["name"].startswith(("Rơ Mah", "Tôn Thất")):
            first, second, *rest = person["name"].split(" ")
            person["parts"] = {"surname": f"{first} {second}", "middle": rest[:-1], "given": rest[-1]}
    preset = draw(st.sampled_from(preset_names()))
    return {"policy": preset, "units": units, "people": people}


def addresses(accounts):
    return [a["address"] for a in accounts] + [x for a in accounts for x in a["aliases"]]


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rosters())
def test_every_local_part_is_valid(roster):
    for account in render(roster):
        local = account["local_part"]
        assert LOCAL.match(local) and len(local) <= 64, local
        assert account["address"] == f"{local}@{account['address'].split('@')[1]}"


@SETTINGS
@given(rosters())
def test_no_two_accounts_share_an_address(roster):
    found = addresses(render(roster))
    assert len(found) == len(set(found))


@SETTINGS
@given(rosters())
def test_output_is_deterministic(roster):
    first = json.dumps(render(roster), ensure_ascii=False, sort_keys=True)
    assert json.dumps(render(json.loads(json.dumps(roster))), ensure_ascii=False, sort_keys=True) == first


@SETTINGS
@given(rosters(), st.data())
def test_adding_or_reordering_people_never_changes_an_existing_address(roster, data):
    before = {a["id"]: a["address"] for a in render(roster)}
    unit_ids = [u["id"] for u in roster["units"]]
    newcomers = data.draw(st.lists(st.builds(
        lambda n, u: {"name": n, "unit": u}, names, st.sampled_from(unit_ids)), max_size=15))
    for i, person in enumerate(newcomers):
        person["id"] = f"N{i:03d}"
        if person["name"].startswith(("Rơ Mah", "Tôn Thất")):
            first, second, *rest = person["name"].split(" ")
            person["parts"] = {"surname": f"{first} {second}", "middle": rest[:-1], "given": rest[-1]}
    people = data.draw(st.permutations(roster["people"] + newcomers))
    removed = set(data.draw(st.lists(st.sampled_from([p["id"] for p in people]), max_size=3))) if people else set()
    changed = dict(roster, people=[p for p in people if p["id"] not in removed])
    after = render(changed, existing=before)
    for account in after:
        if account["id"] in before:
            assert account["address"] == before[account["id"]]
    found = addresses(after)
    assert len(found) == len(set(found))
    # Addresses of people who left are not given to anyone else.
    gone = {before[i] for i in removed if i in before}
    assert not gone & {a["address"] for a in after if a["id"] not in before}


@SETTINGS
@given(st.text(min_size=0, max_size=40), st.sampled_from(preset_names()))
def test_any_text_as_a_name_is_refused_clearly_or_gives_a_valid_address(name, preset):
    roster = {"policy": preset, "units": [{"id": "u", "name": "Sở Nội vụ", "type": "department"}],
              "people": [{"id": "p", "name": name, "unit": "u"}]}
    try:
        accounts = render(roster)
    except RosterError as err:
        assert all(p.startswith(("people[0].", "units[0]")) for p in err.problems), err.problems
        return
    for account in accounts:
        assert LOCAL.match(account["local_part"]) and len(account["local_part"]) <= 64
