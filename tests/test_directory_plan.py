"""The directory sync's plan (mailgov.directory_plan), against a directory kept in a dict."""

import copy
import datetime

import pytest
from mailgov import directory_plan as dp
from mailgov import dn, server_plan
from mailgov.accounts import render_directory
from mailgov.errors import PlanError
from mailgov.policy import resolve
from mailgov.state import LOCKED

BASE = "dc=gialai,dc=gov,dc=vn"
HOST = "mail.gialai.gov.vn"
UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
UNITS = [
    {"id": "stttt", "name": "Sở Thông tin và Truyền thông", "type": "department", "head": "GL-2"},
    {"id": "stnmt", "name": "Sở Tài nguyên và Môi trường", "type": "department"},
    {"id": "ccbvmt", "name": "Chi cục Bảo vệ môi trường", "type": "division", "parent": "stnmt"},
    {"id": "pleiku", "name": "Thành phố Pleiku", "type": "district"},
]
PEOPLE = [
    {"id": "GL-1", "name": "Hoàng Thị Như Quỳnh", "unit": "stttt"},
    {"id": "GL-2", "name": "Trần Đình Nguyên", "unit": "stttt"},
    {"id": "GL-3", "name": "Đặng Thị Hoà", "unit": "ccbvmt"},
]


def password(ident):
    return f"Mk#{ident}-khởi-tạo"


def roster(change=None, policy="gialai"):
    data = {"policy": policy, "units": copy.deepcopy(UNITS), "people": copy.deepcopy(PEOPLE)}
    if change:
        change(data)
    return data


def sync(data, directory, now=T0, seed=password):
    """The plan for the roster and the directory, as the module computes it."""
    policy = resolve(data["policy"])
    rendered = render_directory(data, dp.existing(directory), policy=policy)
    return dp.plan(rendered, directory, policy, BASE, HOST, seed, now)


def apply(directory, operations):
    """What slapd would do with the plan; every DN must exist (or not) as the order requires."""
    directory = copy.deepcopy(directory)
    lower = lambda: {dn.lower() for dn in directory}  # noqa: E731
    for step in operations:
        op, dn = step["op"], step.get("dn")
        if op == "add":
            assert dn.lower() not in lower() and dn.split(",", 1)[1].lower() in lower() | {BASE}, dn
            directory[dn] = copy.deepcopy(step["attrs"])
        elif op == "modify":
            directory[dn] = dp.after(directory[dn], step["mods"])
        elif op == "move":
            new = f"{step['rdn']},{step['parent']}"
            directory = {(d[: len(d) - len(dn)] + new if d.lower() == dn.lower() or d.lower().endswith(
                "," + dn.lower()) else d): e for d, e in directory.items()}
        elif op == "delete":
            assert not any(d.lower().endswith("," + dn.lower()) for d in directory), f"{dn} has children"
            del directory[dn]
    return directory


def synced(data=None, **kwargs):
    ops, _ = sync(data or roster(), {}, **kwargs)
    return apply({}, ops)


def ops_of(operations, op=None):
    return [(s["op"], s.get("dn")) for s in operations if op is None or s["op"] == op]


def test_a_first_sync_adds_the_branches_the_units_parents_first_and_the_accounts():
    operations, summary = sync(roster(), {})
    kinds = [s["op"] for s in operations]
    assert kinds[:4] == ["add", "add", "add", "barrier"]
    units = [dn for op, dn in ops_of(operations, "add") if ",ou=units," in dn]
    assert units == [f"ou={u},ou=units,{BASE}" for u in ("stttt", "stnmt", "pleiku")] + [
        f"ou=ccbvmt,ou=stnmt,ou=units,{BASE}"]
    # A barrier between the depths of the tree, and before the accounts.
    child = ops_of(operations).index(("add", f"ou=ccbvmt,ou=stnmt,ou=units,{BASE}"))
    assert kinds[child - 1] == "barrier" and kinds[child + 1] == "barrier"
    assert kinds[4:child] == ["add", "add", "add", "barrier"]
    assert summary["units"] == {"added": 4, "updated": 0, "moved": 0, "removed": 0}
    assert {c["id"] for c in summary["created"]} == {"GL-1", "GL-2", "GL-3", "stttt", "stnmt", "ccbvmt", "pleiku"}
    quynh = next(s for s in operations if s.get("dn") == f"uid=GL-1,ou=people,{BASE}")
    assert quynh["attrs"]["userPassword"] == ["Mk#GL-1-khởi-tạo"] and quynh["attrs"]["pwdReset"] == ["TRUE"]
    assert quynh["attrs"]["cn"] == ["Hoàng Thị Như Quỳnh", "Hoang Thi Nhu Quynh"]
    assert quynh["attrs"]["mailStorage"] == quynh["attrs"]["mail"]
    assert all(s["reason"] for s in operations)


def test_a_second_sync_of_the_same_state_is_an_empty_plan():
    directory = synced()
    operations, summary = sync(roster(), directory, now=T0 + datetime.timedelta(days=3))
    assert operations == []
    assert summary["accounts"] == 7
    assert all(not summary[k] for k in ("created", "updated", "locked", "unlocked", "recalled", "reopened",
                                        "held", "handed_over", "transferred"))


def test_without_a_seed_nothing_is_added():
    with pytest.raises(PlanError, match="initial_password_seed is needed to add stttt, stnmt, ccbvmt, pleiku, GL-1"):
        sync(roster(), {}, seed=None)
    # Nothing to add: no seed needed.
    assert sync(roster(), synced(), seed=None)[0] == []


def move_ccbvmt(data):
    data["units"][2]["parent"] = "stttt"


@pytest.mark.parametrize("change, expected, counts", [
    # Moved: the move, waited for, before anything at its new place.
    (move_ccbvmt, [("move", f"ou=ccbvmt,ou=stnmt,ou=units,{BASE}")],
     {"added": 0, "updated": 0, "moved": 1, "removed": 0}),
    # Renamed: its names change, its id and place do not.
    (lambda d: d["units"][3].update(name="Thành phố Pleiku mới"),
     [("modify", f"ou=pleiku,ou=units,{BASE}")], {"added": 0, "updated": 1, "moved": 0, "removed": 0}),
])
def test_units_moved_and_renamed(change, expected, counts):
    directory = synced()
    operations, summary = sync(roster(change), directory)
    assert ops_of(operations)[: len(expected)] == expected
    assert summary["units"] == counts
    assert sync(roster(change), apply(directory, operations))[0] == []


def test_a_unit_moved_under_a_moved_parent_waits_for_it():
    data = roster(lambda d: d["units"].append({"id": "sub", "name": "Phòng Một", "type": "division",
                                               "parent": "ccbvmt"}))
    directory = synced(data)

    def both(d):
        d["units"].append({"id": "sub", "name": "Phòng Hai", "type": "division", "parent": "ccbvmt"})
        d["units"][2]["parent"] = "stttt"
    operations, summary = sync(roster(both), directory)
    assert summary["units"]["moved"] == 1  # the child moved with its parent
    assert ops_of(operations)[:3] == [("move", f"ou=ccbvmt,ou=stnmt,ou=units,{BASE}"), ("barrier", None),
                                      ("modify", f"ou=sub,ou=ccbvmt,ou=stttt,ou=units,{BASE}")]
    assert sync(roster(both), apply(directory, operations))[0] == []


def test_units_removed_children_first():
    directory = synced()

    def drop(d):
        d["units"] = [u for u in d["units"] if u["id"] not in ("stnmt", "ccbvmt")]
        d["people"] = [p for p in d["people"] if p["unit"] != "ccbvmt"]
    operations, summary = sync(roster(drop), directory)
    deletes = ops_of(operations, "delete")
    assert deletes == [("delete", f"ou=ccbvmt,ou=stnmt,ou=units,{BASE}"), ("delete", f"ou=stnmt,ou=units,{BASE}")]
    assert summary["units"]["removed"] == 2
    # Accounts are never deleted: the unit mailboxes and the person are recalled.
    assert set(summary["recalled"]) == {"stnmt@gialai.gov.vn", "ccbvmt.stnmt@gialai.gov.vn", "hoadt.stnmt@gialai.gov.vn"}
    assert sync(roster(drop), apply(directory, operations))[0] == []


def set_status(ident, status, **more):
    def change(d):
        next(p for p in d["people"] if p["id"] == ident).update(status=status, **more)
    return change


def job_lock(directory, uid="GL-1", reason="unused", status="locked", stamp="20250301080000Z"):
    dn = f"uid={uid},ou=people,{BASE}"
    directory[dn].update(mailStatus=[status], mailStatusReason=[reason], pwdAccountLockedTime=[LOCKED],
                         mailStatusChanged=[stamp])
    return directory


DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize("prepare, change, policy, now, summary_key, status, password", [
    # The roster locks, recalls, and unlocks with a new initial password.
    (None, set_status("GL-1", "locked"), "gialai", T0, "locked", "locked", False),
    (None, set_status("GL-1", "recalled"), "gialai", T0, "recalled", "recalled", False),
    (None, lambda d: d["people"].pop(0), "gialai", T0, "recalled", "recalled", False),
    # The job's lock is held without a request, reopened with one dated on or after the lock.
    (job_lock, None, "gialai", T0 + DAY, "held", "locked", False),
    (job_lock, set_status("GL-1", "active", reopen="2025-02-27"), "gialai", T0 + DAY, "held", "locked", False),
    (job_lock, set_status("GL-1", "active", reopen="2025-03-01"), "gialai", T0 + DAY, "reopened", "active", True),
    # reopen_wait_days (5 in tphcm_q4, counted from the lock) holds on this path too.
    (job_lock, set_status("GL-1", "active", reopen="2025-03-02"), {"preset": "gialai", "lifecycle":
     {"reopen_wait_days": 5}}, T0 + 4 * DAY, "held", "locked", False),
    (job_lock, set_status("GL-1", "active", reopen="2025-03-02"), {"preset": "gialai", "lifecycle":
     {"reopen_wait_days": 5}}, T0 + 5 * DAY, "reopened", "active", True),
])
def test_account_transitions(prepare, change, policy, now, summary_key, status, password):
    data = roster(change, policy)
    directory = synced(roster(policy=policy))
    if prepare:
        directory = prepare(directory)
    operations, summary = sync(data, directory, now=now)
    address = "quynhhtn.stttt@gialai.gov.vn"
    assert address in [a if isinstance(a, str) else a["address"] for a in summary[summary_key]]
    after = apply(directory, operations)
    quynh = after[f"uid=GL-1,ou=people,{BASE}"]
    assert quynh["mailStatus"] == [status]
    assert (quynh.get("pwdAccountLockedTime") == [LOCKED]) is (status != "active")
    assert (quynh["userPassword"] == ["Mk#GL-1-khởi-tạo"]) and (quynh["pwdReset"] == ["TRUE"])
    modify = [s for s in operations if s["op"] == "modify"]
    assert any(("replace", "userPassword", ["Mk#GL-1-khởi-tạo"]) in s["mods"] for s in modify) is password
    if summary_key == "reopened":
        assert "mailStatusReason" not in quynh and address in summary["unlocked"]
    # Once done, the same roster changes nothing (a held lock stays held, with nothing to write).
    again, summary = sync(data, after, now=now)
    assert again == []


def test_unlocked_by_the_roster_with_a_new_password():
    directory = synced(roster(set_status("GL-1", "locked")))
    operations, summary = sync(roster(), directory)
    assert summary["unlocked"] == ["quynhhtn.stttt@gialai.gov.vn"]
    assert summary["reopened"] == [{"id": "GL-1", "address": "quynhhtn.stttt@gialai.gov.vn"}]
    assert "pwdAccountLockedTime" not in apply(directory, operations)[f"uid=GL-1,ou=people,{BASE}"]


@pytest.mark.parametrize("policy, address, forward", [
    ("gialai", "quynhhtn.pleiku@gialai.gov.vn", "20250530080000Z"),
    ({"preset": "gialai", "transfer": {"address": "keep"}}, "quynhhtn.stttt@gialai.gov.vn", None),
])
def test_a_transfer(policy, address, forward):
    directory = synced(roster(policy=policy))
    data = roster(lambda d: d["people"][0].update(unit="pleiku"), policy)
    operations, summary = sync(data, directory)
    assert summary["transferred"] == [{"id": "GL-1", "from_unit": "stttt", "to_unit": "pleiku",
                                       "from": "quynhhtn.stttt@gialai.gov.vn", "to": address,
                                       "forward_until": forward}]
    quynh = apply(directory, operations)[f"uid=GL-1,ou=people,{BASE}"]
    assert quynh["mail"] == [address] and quynh["mailStorage"] == ["quynhhtn.stttt@gialai.gov.vn"]
    assert quynh.get("mailForward", []) == (["quynhhtn.stttt@gialai.gov.vn"] if forward else [])
    assert sync(data, apply(directory, operations))[0] == []


def test_moving_back_within_the_forward_period():
    directory = synced()
    away = roster(lambda d: d["people"][0].update(unit="pleiku"))
    directory = apply(directory, sync(away, directory)[0])
    operations, summary = sync(roster(), directory, now=T0 + 10 * DAY)
    quynh = apply(directory, operations)[f"uid=GL-1,ou=people,{BASE}"]
    assert quynh["mail"] == ["quynhhtn.stttt@gialai.gov.vn"]
    assert quynh["mailFormerAddress"] == ["quynhhtn.pleiku@gialai.gov.vn"]
    assert quynh["mailForward"] == ["quynhhtn.pleiku@gialai.gov.vn"]


def test_a_handover_resets_the_unit_mailboxs_password():
    directory = synced()
    data = roster(lambda d: d["units"][0].update(head="GL-1", delegates=["GL-2"]))
    operations, summary = sync(data, directory)
    assert summary["handed_over"] == [{"id": "stttt", "address": "stttt@gialai.gov.vn", "to": ["GL-1", "GL-2"],
                                       "from": ["GL-2"]}]
    step = next(s for s in operations if s.get("dn") == f"uid=stttt,ou=mailboxes,{BASE}")
    assert ("replace", "userPassword", ["Mk#stttt-khởi-tạo"]) in step["mods"]
    assert "handed over" in step["reason"]


def test_passwords_are_never_in_the_diff():
    directory = synced(roster(set_status("GL-1", "locked")))
    data = roster(lambda d: (d["units"][0].update(delegates=["GL-3"]), d["people"].append(
        {"id": "GL-4", "name": "Lê Văn Tám", "unit": "pleiku"})))
    operations, _ = sync(data, directory)
    shown = server_plan.diff(operations, BASE)
    text = shown["before"] + shown["after"]
    assert "khởi-tạo" not in text and "userPassword" not in text and "pwdReset" not in text
    assert any("khởi-tạo" in str(s.get("attrs", s.get("mods"))) for s in operations)
    # One line per value, each naming its entry, each change with its reason.
    assert "uid=GL-4,ou=people: cn: Lê Văn Tám\n" in shown["after"]
    assert "uid=GL-1,ou=people: # modify: " in shown["after"] and "unlocked" in shown["after"]
    assert "uid=GL-1,ou=people: mailStatus: locked\n" in shown["before"]


@pytest.mark.parametrize("value, escaped", [
    ("GL-1", "GL-1"), ("a,b", "a\\,b"), ("a+b=c", "a\\+b\\=c"), ("#1", "\\#1"), (" x ", "\\ x\\ "),
    ('q"<>;\\', 'q\\"\\<\\>\\;\\\\'), ("Đắk Lắk", "Đắk Lắk"),
])
def test_dn_values_are_escaped_and_read_back(value, escaped):
    assert dn.escape(value) == escaped
    assert dn.first_value(f"uid={dn.escape(value)},ou=people,{BASE}") == value


def test_hex_escapes_are_read():
    assert dn.first_value("uid=Nguy\\E1\\BB\\85n,ou=people") == "Nguyễn"
