"""Several mail domains on one server: each in its own branch, with its own policy (mailgov.server_plan)."""

import copy

import pytest
from mailgov import directory_plan as dp
from mailgov import hosting, server_plan
from mailgov.errors import PlanError, RosterError
from mailgov.passwords import derived_password

from test_directory_plan import BASE, HOST, PEOPLE, T0, UNITS, apply, ops_of

GL = f"ou=gialai.gov.vn,{BASE}"
SCT = f"ou=sct.gialai.gov.vn,{BASE}"
Q4 = f"ou=tphcm.gov.vn,{BASE}"
SCT_ROSTER = {
    "policy": "binhdinh_sct", "domain": "sct.gialai.gov.vn",
    "units": [{"id": "sct-vp", "name": "Văn phòng Sở", "type": "department", "abbr": "vp", "head": "SCT-1"}],
    "people": [{"id": "SCT-1", "name": "Nguyễn Văn An", "unit": "sct-vp"},
               {"id": "SCT-2", "name": "Phạm Thị Bình", "unit": "sct-vp"}],
}
Q4_ROSTER = {"policy": "tphcm_q4", "units": [{"id": "q4-vp", "name": "Văn phòng UBND", "type": "department",
                                              "abbr": "vp"}],
             "people": [{"id": "Q4-1", "name": "Lê Thị Cúc", "unit": "q4-vp"}]}


def server(*hosted, change=None):
    data = {"policy": "gialai", "units": copy.deepcopy(UNITS), "people": copy.deepcopy(PEOPLE),
            "hosted": copy.deepcopy(list(hosted))}
    if change:
        change(data)
    return data


# The password policies the openldap role makes, one per hosted domain.
POLICIES = {f"cn={name},ou=policies,{BASE}": {"objectClass": ["pwdPolicy"]}
            for name in ("sct.gialai.gov.vn", "tphcm.gov.vn")}


def plan(data, directory, seed="seed", now=T0):
    return server_plan.plan(data, directory, BASE, HOST, seed, now)


def synced(data, directory=None):
    directory = dict(POLICIES) if directory is None else directory
    operations, _ = plan(data, directory)
    return apply(directory, operations)


def accounts(directory, branch):
    return {e["mail"][0]: e for dn, e in directory.items() if dn.endswith("," + branch) and "mail" in e
            and "mailAccount" in e.get("objectClass", [])}


def test_each_domain_gets_its_branch_with_its_own_rules():
    directory = synced(server(SCT_ROSTER, Q4_ROSTER))
    for name in ("gialai.gov.vn", "sct.gialai.gov.vn", "tphcm.gov.vn"):
        entry = directory[f"ou={name},{BASE}"]
        assert entry["associatedDomain"] == [name] and "domainRelatedObject" in entry["objectClass"]
        for branch in hosting.BRANCHES:
            assert f"ou={branch},ou={name},{BASE}" in directory
    gialai, sct, q4 = accounts(directory, GL), accounts(directory, SCT), accounts(directory, Q4)
    assert "quynhhtn.stttt@gialai.gov.vn" in gialai and "pwdPolicySubentry" not in gialai["quynhhtn.stttt@gialai.gov.vn"]
    # The Department of Industry and Trade's rules: given name, then initials; its unit by abbr.
    assert sorted(sct) == ["annv@sct.gialai.gov.vn", "binhpt@sct.gialai.gov.vn", "vp@sct.gialai.gov.vn"]
    assert all(e["pwdPolicySubentry"] == [f"cn=sct.gialai.gov.vn,ou=policies,{BASE}"] for e in sct.values())
    # District 4: 1 GB for everyone, and its fixed mailbox q4@.
    assert sorted(q4) == ["ltcuc.q4@tphcm.gov.vn", "q4@tphcm.gov.vn", "vp.q4@tphcm.gov.vn"]
    assert {e["mailQuota"][0] for e in q4.values()} == {str(1 << 30)}
    assert f"uid=Q4-1,ou=people,{Q4}" in directory
    unit = directory[f"uid=sct-vp,ou=mailboxes,{SCT}"]
    assert unit["mailDelegate"] == [f"uid=SCT-1,ou=people,{SCT}"]


def test_a_hosted_domain_waits_for_its_password_policy():
    """Without its entry slapd would apply no policy to the domain's accounts: nothing is written."""
    with pytest.raises(PlanError, match="the password policy of sct.gialai.gov.vn is not in the directory yet: "
                                        "run playbooks/site.yml"):
        plan(server(SCT_ROSTER), {})


def test_initial_passwords_follow_each_domains_rules_from_the_address():
    operations, summary = plan(server(SCT_ROSTER), dict(POLICIES))
    added = {s["dn"]: s["attrs"] for s in operations if s["op"] == "add" and "userPassword" in s.get("attrs", {})}
    rules = hosting.read(server(SCT_ROSTER))[1].policy["password"]
    entry = added[f"uid=SCT-2,ou=people,{SCT}"]
    assert entry["userPassword"] == [derived_password("seed", entry["mail"][0], rules)]
    assert {a["address"] for a in summary["created"]} >= {entry["mail"][0], "quynhhtn.stttt@gialai.gov.vn"}
    assert summary["domains"] == ["gialai.gov.vn", "sct.gialai.gov.vn"]


def test_a_second_run_changes_nothing():
    data = server(SCT_ROSTER, Q4_ROSTER)
    operations, summary = plan(data, synced(data))
    assert operations == [] and summary["created"] == [] and summary["relocated"] == []


def test_a_directory_made_for_one_domain_moves_under_its_branch_in_place():
    data = server()
    before = dp.plan(server_plan.render_directory(data, None, policy=None), {}, hosting.read(data)[0].policy, BASE,
                     HOST, lambda ident: "Mk#1-khởi-tạo", T0)[0]
    old = apply({}, before)
    assert f"uid=GL-1,ou=people,{BASE}" in old
    operations, summary = plan(data, old)
    assert ops_of(operations)[:5] == [("add", GL), ("barrier", None), ("move", f"ou=people,{BASE}"),
                                      ("move", f"ou=mailboxes,{BASE}"), ("move", f"ou=units,{BASE}")]
    assert summary["relocated"] == [f"ou=people,{BASE}", f"ou=mailboxes,{BASE}", f"ou=units,{BASE}"]
    assert summary["created"] == [] and summary["recalled"] == []
    moved = apply(old, operations)
    assert not [dn for dn in moved if dn.endswith(f"ou=people,{BASE}")]
    entry = moved[f"uid=GL-1,ou=people,{GL}"]
    assert entry["userPassword"] == ["Mk#1-khởi-tạo"]  # the same entry, password and all
    # The delegates' DNs follow their entries in the same run.
    assert moved[f"uid=stttt,ou=mailboxes,{GL}"]["mailDelegate"] == [f"uid=GL-2,ou=people,{GL}"]
    assert moved[f"ou=ccbvmt,ou=stnmt,ou=units,{GL}"]["mailUnit"] == ["ccbvmt"]
    assert plan(data, moved)[0] == []


def test_check_mode_shows_the_moves_before_anything_is_written():
    data = server()
    old = apply({}, dp.plan(server_plan.render_directory(data), {}, hosting.read(data)[0].policy, BASE, HOST,
                            lambda ident: "x", T0)[0])
    shown = server_plan.diff(plan(data, old)[0], BASE)
    assert f"ou=people: # move: one branch per domain: ou=people,{BASE} moves under {GL}" in shown["after"]


def test_a_half_moved_directory_is_refused():
    data = server()
    directory = synced(data)
    directory[f"ou=people,{BASE}"] = {"objectClass": ["organizationalUnit"], "ou": ["people"]}
    with pytest.raises(PlanError, match=f"both ou=people,{BASE} and ou=people,{GL} exist"):
        plan(data, directory)


def test_a_domain_no_longer_hosted_has_its_accounts_recalled_not_removed():
    directory = synced(server(SCT_ROSTER))
    operations, summary = plan(server(), directory)
    assert sorted(summary["recalled"]) == sorted(accounts(directory, SCT))
    assert not [s for s in operations if s["op"] == "delete" and "uid=" in s["dn"]]
    assert plan(server(), apply(directory, operations))[0] == []


@pytest.mark.parametrize("hosted, problem", [
    ("sct", "hosted: must be a list"),
    (["sct"], "hosted[0]: must be a mapping with policy, domain, units and people"),
    ([dict(SCT_ROSTER, legacy_domains=["binhdinh.gov.vn"])],
     "hosted[0].legacy_domains: not a key of a hosted domain (only the server's own roster has them)"),
    ([dict(SCT_ROSTER, policy="nowhere")], "hosted[0].policy: unknown preset 'nowhere'"),
    ([dict(SCT_ROSTER, domain="gialai.gov.vn")],
     "hosted[0].domain: gialai.gov.vn is already the roster's domain; list each domain once"),
    ([dict(SCT_ROSTER, domain="binhdinh.gov.vn")],
     "hosted[0].domain: binhdinh.gov.vn is already legacy_domains[0]; list each domain once"),
    ([SCT_ROSTER, SCT_ROSTER], "hosted[1].domain: sct.gialai.gov.vn is already hosted[0]; list each domain once"),
    ([dict(SCT_ROSTER, people=[{"id": "GL-1", "name": "Nguyễn Văn An", "unit": "sct-vp"}])],
     "hosted[0].people[0].id: 'GL-1' is also people[0] (gialai.gov.vn); an id names one account of the server"),
])
def test_bad_hosted_domains_are_refused_naming_the_entry(hosted, problem):
    data = server(change=lambda d: d.update(hosted=hosted, legacy_domains=["binhdinh.gov.vn"]))
    with pytest.raises(RosterError) as err:
        plan(data, {})
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


def test_problems_of_every_domain_are_told_at_once_each_with_its_place():
    broken = dict(SCT_ROSTER, people=[{"id": "SCT-1", "name": "Nguyễn Văn An", "unit": "nowhere"}])
    data = server(broken, change=lambda d: d["people"].append({"id": "GL-9", "name": "Lê Văn Tám", "unit": "zz"}))
    with pytest.raises(RosterError) as err:
        plan(data, {})
    assert "people[3].unit: unknown unit 'zz'" in err.value.problems
    assert "hosted[0].people[0].unit: unknown unit 'nowhere'" in err.value.problems


def test_accounts_moved_from_an_old_server_keep_their_password_hash():
    """A hash carried by the import (by old address: the account's own, or an alias in a legacy
    domain) replaces the initial password of a new account, with no pwdReset; others are as ever."""
    sct = copy.deepcopy(SCT_ROSTER)
    sct["people"][1]["address"] = "binhpt"
    carried = {"binhpt@sct.gialai.gov.vn": "{SSHA512}b2xkIGhhc2g=", "nobody@old.example": "{CRYPT}$6$x$y"}
    operations, summary = server_plan.plan(server(sct), dict(POLICIES), BASE, HOST, "seed", T0, carried=carried)
    directory = apply(dict(POLICIES), operations)
    binh = accounts(directory, SCT)["binhpt@sct.gialai.gov.vn"]
    assert binh["userPassword"] == ["{SSHA512}b2xkIGhhc2g="] and "pwdReset" not in binh
    assert summary["carried"] == [{"id": "SCT-2", "address": "binhpt@sct.gialai.gov.vn"}]
    assert "SCT-2" not in {c["id"] for c in summary["created"]}
    an = next(e for e in accounts(directory, SCT).values() if e["uid"] == ["SCT-1"])
    assert an["pwdReset"] == ["TRUE"] and not an["userPassword"][0].startswith("{SSHA512}")
    assert "old server" in next(op["reason"] for op in operations if op["op"] == "add" and "SCT-2" in op["dn"])
    assert "b2xkIGhhc2g" not in str(server_plan.diff(operations, BASE))
