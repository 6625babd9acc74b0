"""Re-homing (policy.rehome): a roster moved into another domain or under other naming rules.

Every address that changes is in the plan with its reason; the old address stays its owner's,
reserved and delivering to the same mailbox; pinned addresses and, under ``keep``, every address
already given stay as they are."""

import copy

import pytest
from mailgov import directory_plan as dp
from mailgov import roster as rosters
from mailgov.accounts import render_directory
from mailgov.errors import RosterError
from mailgov.naming import Namer
from mailgov.policy import resolve
from test_directory_plan import BASE, HOST, T0, apply, password

UNITS = [{"id": "vp", "name": "Văn phòng Sở", "type": "division"},
         {"id": "qlcn", "name": "Phòng Quản lý công nghiệp", "type": "division"}]
PEOPLE = [{"id": "BD-1", "name": "Hoàng Thị Như Quỳnh", "unit": "vp"},
          {"id": "BD-2", "name": "Trần Đình Nguyên", "unit": "qlcn"},
          {"id": "BD-3", "name": "Lê Văn Quang", "unit": "qlcn", "address": "quang"}]
OLD = {"policy": "binhdinh_sct", "units": UNITS, "people": PEOPLE}
OLD_DOMAIN = "sct.binhdinh.gov.vn"


def merged(addresses="keep", forward_days=None, people=PEOPLE, legacy=(OLD_DOMAIN,)):
    """The same agency under Gia Lai's domain and address form ({name}.{suffix})."""
    policy = {"preset": "gialai", "units": resolve("binhdinh_sct")["units"],
              "rehome": {"addresses": addresses, "forward_days": forward_days}}
    return {"policy": policy, "domain": "gialai.gov.vn", "legacy_domains": list(legacy),
            "units": UNITS, "people": copy.deepcopy(people)}


def sync(data, directory, now=T0):
    policy = resolve(data["policy"], data.get("domain"))
    rendered = render_directory(data, dp.existing(directory), policy=policy)
    return dp.plan(rendered, directory, policy, BASE, HOST, password, now)


def addresses(directory):
    return {e["uid"][0]: e["mail"][0] for e in directory.values() if e.get("uid")}


BEFORE = apply({}, sync(OLD, {})[0])


@pytest.mark.parametrize("addresses_rule, expected", [
    # keep: every account keeps its local part, now in the roster's domain.
    ("keep", {"BD-1": "quynhhtn@gialai.gov.vn", "BD-2": "nguyentd@gialai.gov.vn",
              "BD-3": "quang@gialai.gov.vn", "vp": "vps@gialai.gov.vn", "qlcn": "qlcn@gialai.gov.vn"}),
    # derive: people get the form the rules give now; pinned people and unit mailboxes keep theirs.
    ("derive", {"BD-1": "quynhhtn.vps@gialai.gov.vn", "BD-2": "nguyentd.qlcn@gialai.gov.vn",
                "BD-3": "quang@gialai.gov.vn", "vp": "vps@gialai.gov.vn", "qlcn": "qlcn@gialai.gov.vn"}),
])
def test_a_roster_moved_into_another_domain(addresses_rule, expected):
    operations, summary = sync(merged(addresses_rule), BEFORE)
    after = apply(BEFORE, operations)
    assert addresses(after) == expected
    old = addresses(BEFORE)
    assert {r["id"]: (r["from"], r["to"]) for r in summary["rehomed"]} == \
        {ident: (old[ident], new) for ident, new in expected.items()}
    for entry in (e for e in after.values() if e.get("uid")):
        before = BEFORE[next(dn for dn in BEFORE if BEFORE[dn].get("uid") == entry["uid"])]
        # The mailbox stays where it is; the old address is reserved and delivers for ever.
        assert entry["mailStorage"] == before["mail"] == entry["mailForward"] == entry["mailFormerAddress"]
        assert "mailForwardUntil" not in entry
        assert entry["userPassword"] == before["userPassword"]
    # Every change is in what --diff shows, with its reason; a second run changes nothing.
    reasons = [s["reason"] for s in operations if s["op"] == "modify" and s["dn"].startswith("uid=BD-1,")]
    assert f"re-homed: {old['BD-1']} -> {expected['BD-1']}, the old address delivers for ever" in reasons[0]
    assert not [s for s in sync(merged(addresses_rule), after)[0] if s["op"] != "barrier"]


def test_the_old_address_delivers_for_the_period_the_policy_gives():
    _, summary = sync(merged("derive", forward_days=3650), BEFORE)
    after = apply(BEFORE, sync(merged("derive", forward_days=3650), BEFORE)[0])
    assert summary["rehomed"][0]["forward_until"] == "20350227080000Z"
    assert next(e for e in after.values() if e.get("uid") == ["BD-1"])["mailForwardUntil"] == ["20350227080000Z"]


def test_the_rules_rederive_within_the_domain_and_old_addresses_stay_reserved():
    # The same agency, first under its own rules, then re-homed under Gia Lai's form.
    start = apply(BEFORE, sync(merged("keep"), BEFORE)[0])
    rederived = apply(start, sync(merged("derive", legacy=[OLD_DOMAIN]), start)[0])
    assert addresses(rederived)["BD-1"] == "quynhhtn.vps@gialai.gov.vn"
    entry = next(e for e in rederived.values() if e.get("uid") == ["BD-1"])
    assert sorted(entry["mailForward"]) == ["quynhhtn@gialai.gov.vn", "quynhhtn@sct.binhdinh.gov.vn"]
    # A newcomer whose name would give the old address gets another one: it is never given again.
    newcomer = {"id": "BD-4", "name": "Hoàng Thị Như Quỳnh", "unit": "vp", "address": "quynhhtn"}
    with pytest.raises(RosterError, match=r"people\[3\]\.address: quynhhtn is already the address of BD-1"):
        sync(merged("derive", people=PEOPLE + [newcomer]), rederived)


def test_under_keep_a_pin_still_cannot_rename_an_account():
    pinned = [dict(p, address="quynh.vp") if p["id"] == "BD-1" else p for p in PEOPLE]
    start = apply(BEFORE, sync(merged("keep"), BEFORE)[0])
    with pytest.raises(RosterError, match="an address never changes"):
        sync(merged("keep", people=pinned), start)
    # Under derive the pin is the address the person is re-homed to.
    assert addresses(apply(start, sync(merged("derive", people=pinned), start)[0]))["BD-1"] == \
        "quynh.vp@gialai.gov.vn"


@pytest.mark.parametrize("change, expected", [
    # The old domain must stay one the server receives for, or the old addresses would be lost.
    ({"legacy_domains": []}, "existing[BD-1]: quynhhtn@sct.binhdinh.gov.vn is outside the domain gialai.gov.vn; "
                             "to re-home the accounts of sct.binhdinh.gov.vn into it, list sct.binhdinh.gov.vn "
                             "in legacy_domains"),
    ({"policy": {"preset": "gialai", "rehome": {"addresses": "rename"}}},
     "policy.rehome.addresses: 'rename' must be 'keep'"),
    ({"policy": {"preset": "gialai", "rehome": {"addresses": "keep", "forward_days": 0}}},
     "policy.rehome.forward_days: 0 must be a whole number of days above zero"),
])
def test_bad_rehoming_is_refused_with_nothing_applied(change, expected):
    with pytest.raises(RosterError) as err:
        sync(dict(merged(), **change), BEFORE)
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_an_account_whose_local_part_is_taken_in_the_new_domain_is_named():
    both = dict(merged(), people=PEOPLE + [{"id": "GL-9", "name": "Lê Văn Quang", "unit": "vp",
                                            "address": "quang"}])
    directory = dict(BEFORE, **{f"uid=GL-9,ou=people,{BASE}": {
        "objectClass": ["inetOrgPerson", "mailAccount"], "uid": ["GL-9"], "mail": ["quang@gialai.gov.vn"]}})
    with pytest.raises(RosterError, match=r"quang is also the address of"):
        sync(both, directory)


@pytest.mark.parametrize("name, unit, local, gives", [
    ("Hoàng Thị Như Quỳnh", "vp", "quynhhtn.vps", True),
    ("Hoàng Thị Như Quỳnh", "vp", "quynhhtn2.vps", True),   # a collision form is a form of the rules
    ("Hoàng Thị Như Quỳnh", "vp", "quynhhtn", False),
    ("Hoàng Thị Như Quỳnh", "qlcn", "quynhhtn.vps", False),
])
def test_namer_gives(name, unit, local, gives):
    data = merged("derive", people=[{"id": "X", "name": name, "unit": unit}])
    policy = resolve(data["policy"], data["domain"])
    units, people, _ = rosters.read(data)
    namer = Namer(policy)
    for u in sorted(units.values(), key=lambda u: len(u.chain)):
        namer.unit_tokens(u)
    assert namer.gives(people[0], local) is gives
