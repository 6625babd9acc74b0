"""Account states and their transitions (mailgov.state), and the lifecycle rules (mailgov.lifecycle)."""

import datetime

import pytest
from mailgov import lifecycle, state
from mailgov.errors import TransitionError
from mailgov.state import ADMIN, JOB, LOCKED, ROSTER

UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
STAMP = "20250301080000Z"


def day(n):
    return T0 + datetime.timedelta(days=n)


def entry(status="active", reason=None, locked=False, since=STAMP, **more):
    found = {"uid": ["GL-1"], "mail": ["AnNV.snv@gialai.gov.vn"], "displayName": ["Nguyễn Văn Ân"],
             "mailKind": ["person"], "mailUnit": ["snv"], "mailStatus": [status], "mailStatusChanged": [since]}
    if reason:
        found["mailStatusReason"] = [reason]
    if locked:
        found["pwdAccountLockedTime"] = [locked if isinstance(locked, str) else LOCKED]
    found.update({k: v if isinstance(v, list) else [v] for k, v in more.items()})
    return state.read(found)


def roster_account(status="active", reopen=None, **more):
    return dict({"id": "GL-1", "kind": "person", "address": "annv.snv@gialai.gov.vn", "unit": "snv",
                 "status": status, "reopen": reopen, "transfer": None}, **more)


def attrs(change):
    return {(op, attr): values for op, attr, values in change.mods}


@pytest.mark.parametrize("status, reason, locked, by", [
    ("active", None, False, None),
    ("active", None, "20250301090000Z", None),  # ppolicy's own lockout after failed binds: it ends by itself
    ("locked", None, True, ROSTER),
    ("recalled", None, True, ROSTER),
    ("locked", "unused", True, JOB),
    ("recalled", "unused", True, JOB),
    ("locked", "initial-password", True, JOB),
    ("locked", "admin", True, ADMIN),
    ("locked", "admin: lộ mật khẩu", True, ADMIN),
    ("active", None, True, ADMIN),  # locked by hand with ldapmodify
])
def test_who_locked_is_read_from_the_entry(status, reason, locked, by):
    read = entry(status, reason, locked)
    assert read["by"] == by
    assert read["locked"] is (locked is True)


def test_an_entry_is_read_once_with_its_names_and_transfer():
    read = entry(mailStorage="QuynhHTN.stttt@gialai.gov.vn", mailForwardUntil="20250601080000Z",
                 mailForward=["Old@gialai.gov.vn"])
    assert read["address"] == "annv.snv@gialai.gov.vn" and read["mail"] == "AnNV.snv@gialai.gov.vn"
    assert read["name"] == "Nguyễn Văn Ân"
    assert read["storage"] == "quynhhtn.stttt@gialai.gov.vn"
    assert read["transfer_attrs"]["mailStorage"] == ["QuynhHTN.stttt@gialai.gov.vn"]
    assert read["forwards"] == ["old@gialai.gov.vn"] and read["forward_until"] == day(92)
    assert read["status_changed"] == T0


def password():
    return "Mk#khoi-tao-1"


# The roster's side: status in the roster, reopen requests, absence.
@pytest.mark.parametrize("current, account, wait, now, what, expected", [
    # Locked and recalled by the roster.
    (dict(), dict(status="locked"), 0, day(1), "locked",
     {("replace", "mailStatus"): ["locked"], ("replace", "pwdAccountLockedTime"): [LOCKED],
      ("replace", "mailStatusChanged"): ["20250302080000Z"]}),
    (dict(), dict(status="recalled"), 0, day(1), "recalled",
     {("replace", "mailStatus"): ["recalled"], ("replace", "pwdAccountLockedTime"): [LOCKED],
      ("replace", "mailStatusChanged"): ["20250302080000Z"]}),
    (dict(status="locked", locked=True), dict(status="locked"), 0, day(1), None, {}),
    # The roster's lock takes over the job's: the reason goes.
    (dict(status="locked", reason="unused", locked=True), dict(status="locked"), 0, day(1), None,
     {("delete", "mailStatusReason"): None}),
    # Unlocked by the roster, with a new initial password; no waiting: it is the roster's own lock.
    (dict(status="locked", locked=True), dict(), 5, day(1), "unlocked",
     {("replace", "mailStatus"): ["active"], ("replace", "mailStatusChanged"): ["20250302080000Z"],
      ("delete", "pwdAccountLockedTime"): None, ("replace", "userPassword"): ["Mk#khoi-tao-1"],
      ("replace", "pwdReset"): ["TRUE"]}),
    (dict(status="recalled", locked=True), dict(), 0, day(1), "unlocked",
     {("replace", "mailStatus"): ["active"], ("replace", "mailStatusChanged"): ["20250302080000Z"],
      ("delete", "pwdAccountLockedTime"): None, ("replace", "userPassword"): ["Mk#khoi-tao-1"],
      ("replace", "pwdReset"): ["TRUE"]}),
    # The lifecycle job's lock stands until a request dated on or after the day of the lock.
    (dict(status="locked", reason="unused", locked=True), dict(), 0, day(3), "held", {}),
    (dict(status="locked", reason="unused", locked=True), dict(reopen="2025-02-28"), 0, day(3), "held", {}),
    (dict(status="locked", reason="unused", locked=True), dict(reopen="2025-03-01"), 0, day(3), "reopened",
     {("replace", "mailStatus"): ["active"], ("replace", "mailStatusChanged"): ["20250304080000Z"],
      ("delete", "pwdAccountLockedTime"): None, ("delete", "mailStatusReason"): None,
      ("replace", "userPassword"): ["Mk#khoi-tao-1"], ("replace", "pwdReset"): ["TRUE"]}),
    # ... and, when the policy says so, until reopen_wait_days have passed since the lock.
    (dict(status="locked", reason="unused", locked=True), dict(reopen="2025-03-02"), 5, day(4), "held", {}),
    (dict(status="recalled", reason="unused", locked=True), dict(reopen="2025-03-02"), 5, day(5), "reopened",
     {("replace", "mailStatus"): ["active"], ("replace", "mailStatusChanged"): ["20250306080000Z"],
      ("delete", "pwdAccountLockedTime"): None, ("delete", "mailStatusReason"): None,
      ("replace", "userPassword"): ["Mk#khoi-tao-1"], ("replace", "pwdReset"): ["TRUE"]}),
    # An administrator's lock, also one made by hand, is held the same way.
    (dict(locked=True), dict(), 0, day(1), "held", {}),
    (dict(locked=True), dict(reopen="2025-03-01"), 0, day(1), "reopened",
     {("delete", "pwdAccountLockedTime"): None, ("replace", "userPassword"): ["Mk#khoi-tao-1"],
      ("replace", "pwdReset"): ["TRUE"]}),
    # A held lock whose pwdAccountLockedTime someone removed gets it back.
    (dict(status="locked", reason="unused"), dict(), 0, day(1), "held",
     {("replace", "pwdAccountLockedTime"): [LOCKED]}),
    (dict(), dict(), 0, day(1), None, {}),
])
def test_the_roster_status(current, account, wait, now, what, expected):
    got_what, change = state.roster_status(entry(**current), roster_account(**account), now, wait, password)
    assert (got_what, attrs(change)) == (what, expected)
    assert change.reason


@pytest.mark.parametrize("account, wait, now, message", [
    (dict(), 0, day(1), "stays so until the roster has reopen: <date of the written request>"),
    (dict(reopen="2025-02-28"), 0, day(1), "the request to reopen (2025-02-28) is older than the lock"),
    (dict(reopen="2025-03-02"), 5, day(4), "was locked on 2025-03-01; the regulation reopens it only 5 days later, "
                                           "from 2025-03-06"),
])
def test_a_held_lock_says_why(account, wait, now, message):
    what, change = state.roster_status(entry("locked", "unused", True), roster_account(**account), now, wait, password)
    assert what == "held" and message in change.reason
    assert change.reason.startswith("held: annv.snv@gialai.gov.vn ")


def test_no_password_is_drawn_for_a_held_lock():
    def refuse():
        raise AssertionError("no password for a held lock")
    assert state.roster_status(entry("locked", "unused", True), roster_account(), day(1), 0, refuse)[0] == "held"


@pytest.mark.parametrize("current, expected", [
    (dict(), {("replace", "mailStatus"): ["recalled"], ("replace", "mailStatusChanged"): ["20250302080000Z"],
              ("replace", "pwdAccountLockedTime"): [LOCKED]}),
    (dict(status="locked", locked=True), {("replace", "mailStatus"): ["recalled"],
                                          ("replace", "mailStatusChanged"): ["20250302080000Z"]}),
    # The job's lock becomes the roster's recall: the job will not archive and remove the mailbox.
    (dict(status="locked", reason="unused", locked=True),
     {("replace", "mailStatus"): ["recalled"], ("replace", "mailStatusChanged"): ["20250302080000Z"],
      ("delete", "mailStatusReason"): None}),
    (dict(status="recalled", locked=True), {}),
    (dict(status="recalled", reason="unused", locked=True), {}),
])
def test_an_account_gone_from_the_roster_is_recalled(current, expected):
    change = state.recall_by_absence(entry(**current), day(1))
    assert attrs(change) == expected
    assert "roster" in change.reason or "already" in change.reason


# The lifecycle job's side.
@pytest.mark.parametrize("transition, status", [(state.lock_by_job, "locked"), (state.recall_by_job, "recalled")])
def test_the_job_locks_and_recalls_with_its_reason(transition, status):
    change = transition(entry(), "unused", day(2))
    assert change.mods == [("replace", "pwdAccountLockedTime", [LOCKED]), ("replace", "mailStatus", [status]),
                           ("replace", "mailStatusReason", ["unused"]),
                           ("replace", "mailStatusChanged", ["20250303080000Z"])]
    assert state.read({"mailStatus": [status], "mailStatusReason": ["unused"],
                       "pwdAccountLockedTime": [LOCKED]})["by"] == JOB


@pytest.mark.parametrize("current", [dict(status="locked", locked=True), dict(status="recalled", locked=True),
                                     dict(status="locked", reason="admin", locked=True)])
@pytest.mark.parametrize("transition", [state.lock_by_job, state.recall_by_job])
def test_the_job_leaves_other_locks_alone(transition, current):
    with pytest.raises(TransitionError, match="the lifecycle job leaves it so"):
        transition(entry(**current), "unused", day(2))


@pytest.mark.parametrize("current, wait, now, message", [
    (dict(), 0, day(1), "annv.snv@gialai.gov.vn is not locked; nothing to reopen"),
    (dict(locked="20250301090000Z"), 0, day(1), "is not locked; nothing to reopen"),
    (dict(status="locked", locked=True), 0, day(1), "is locked by the roster on 2025-03-01: set status: active "
                                                    "in the roster and run playbooks/accounts.yml instead"),
    (dict(status="locked", reason="unused", locked=True), 5, day(4),
     "annv.snv@gialai.gov.vn was locked on 2025-03-01; the regulation reopens it only 5 days later, from 2025-03-06"),
])
def test_the_reopen_command_is_refused(current, wait, now, message):
    with pytest.raises(TransitionError) as err:
        state.reopen(entry(**current), now, wait, "Mk#moi-2")
    assert message in str(err.value)


@pytest.mark.parametrize("current, wait, now", [
    (dict(status="locked", reason="unused", locked=True), 5, day(5)),
    (dict(status="locked", reason="initial-password", locked=True), 0, day(0)),
    (dict(status="recalled", reason="unused", locked=True), 0, day(1)),
    (dict(status="locked", reason="admin: theo yêu cầu", locked=True), 5, day(6)),
    (dict(locked=True), 0, day(1)),
    # A lock dated after now (a job run with --now ahead) is reopened at once without a waiting period.
    (dict(status="locked", reason="unused", locked=True, since="20250601080000Z"), 0, day(0)),
])
def test_the_reopen_command_is_allowed(current, wait, now):
    change = state.reopen(entry(**current), now, wait, "Mk#moi-2")
    got = attrs(change)
    assert got[("replace", "userPassword")] == ["Mk#moi-2"] and got[("replace", "pwdReset")] == ["TRUE"]
    assert ("delete", "pwdAccountLockedTime") in got
    assert "new initial password" in change.reason


@pytest.mark.parametrize("current", [
    dict(),                                                  # forgotten, or expired
    dict(locked="20250301090000Z"),                          # locked by too many wrong passwords
    dict(pwdReset="TRUE"),                                   # the initial one was lost
])
def test_a_password_is_reset_to_a_new_initial_one(current):
    change = state.reset_password(entry(**current), "Mk#moi-3")
    # slapd's policy clears the failures, their lock and the grace logins with the change.
    assert attrs(change) == {("replace", "userPassword"): ["Mk#moi-3"], ("replace", "pwdReset"): ["TRUE"]}


@pytest.mark.parametrize("current, message", [
    (dict(status="recalled", reason="unused", locked=True), "annv.snv@gialai.gov.vn is recalled: there is no account to reset"),
    (dict(status="recalled", locked=True), "is recalled"),
    (dict(status="locked", locked=True), "is locked by the roster on 2025-03-01: a new password would not open it; "
                                         "reopen it with playbooks/reopen.yml"),
    (dict(status="locked", reason="unused", locked=True), "is locked by the lifecycle job (unused)"),
    (dict(locked=True), "is locked by the administrator"),
])
def test_a_reset_does_not_open_a_recalled_or_locked_account(current, message):
    with pytest.raises(TransitionError) as err:
        state.reset_password(entry(**current), "Mk#moi-3")
    assert message in str(err.value)


def test_an_administrator_locks_with_why():
    change = state.lock_by_admin(entry(), "lộ mật khẩu", day(1))
    assert attrs(change)[("replace", "mailStatusReason")] == ["admin: lộ mật khẩu"]
    with pytest.raises(TransitionError, match="a recalled account cannot be locked"):
        state.lock_by_admin(entry("recalled", locked=True), None, day(1))


@pytest.mark.parametrize("current, archived", [
    (dict(status="recalled", reason="unused", locked=True), True),
    (dict(status="recalled", locked=True), False),
    (dict(status="locked", reason="unused", locked=True), False),
])
def test_only_the_jobs_recalls_are_archived(current, archived):
    assert state.archived_by_job(entry(**current)) is archived


@pytest.mark.parametrize("now, forwards, ended", [(day(91), ["old@gialai.gov.vn"], False),
                                                  (day(92), ["old@gialai.gov.vn"], True), (day(400), [], False)])
def test_a_forward_ends_with_its_period(now, forwards, ended):
    change = state.end_forward(entry(mailForward=forwards, mailForwardUntil="20250601080000Z"), now)
    assert bool(change) is ended
    if ended:
        assert change.mods == [("delete", "mailForward", None), ("delete", "mailForwardUntil", None)]
        assert change.reason == ("old@gialai.gov.vn moved to annv.snv@gialai.gov.vn; forwarded until 2025-06-01, "
                                 "now refused (the address stays reserved)")


# Transfers and handovers.
NEW = "annv.pleiku@gialai.gov.vn"
OLD = "AnNV.snv@gialai.gov.vn"


@pytest.mark.parametrize("current, account, info, expected", [
    # Same unit, or no unit recorded (entries older than units): no transfer.
    (dict(), dict(), None, {}),
    (dict(mailUnit=[]), dict(unit="pleiku"), None, {}),
    # keep: only the unit changes.
    (dict(), dict(unit="pleiku"), {"from": OLD, "to": "annv.snv@gialai.gov.vn", "forward_until": None}, {}),
    # new: the mailbox stays, the old address is reserved and forwarded.
    (dict(), dict(unit="pleiku", address=NEW, transfer={"from": OLD, "from_unit": "snv"}),
     {"from": OLD, "to": NEW, "forward_until": "20250530080000Z"},
     {("replace", "mailStorage"): [OLD], ("replace", "mailFormerAddress"): [OLD],
      ("replace", "mailForward"): [OLD], ("replace", "mailForwardUntil"): ["20250530080000Z"]}),
    # An entry that has its mailbox elsewhere keeps it there.
    (dict(mailStorage="first@gialai.gov.vn"), dict(unit="pleiku", address=NEW, transfer={"from": OLD}),
     {"from": OLD, "to": NEW, "forward_until": "20250530080000Z"},
     {("replace", "mailFormerAddress"): [OLD], ("replace", "mailForward"): [OLD],
      ("replace", "mailForwardUntil"): ["20250530080000Z"]}),
    # Moved back within the period: the address taken again is no longer a former one nor a forward.
    (dict(mailUnit="pleiku", mail=NEW, mailStorage=OLD, mailFormerAddress=[OLD], mailForward=[OLD]),
     dict(unit="snv", address="annv.snv@gialai.gov.vn", transfer={"from": NEW}),
     {"from": NEW, "to": "annv.snv@gialai.gov.vn", "forward_until": "20250530080000Z"},
     {("replace", "mailFormerAddress"): [NEW], ("replace", "mailForward"): [NEW],
      ("replace", "mailForwardUntil"): ["20250530080000Z"]}),
])
def test_a_transfer_keeps_the_mailbox_and_reserves_the_old_address(current, account, info, expected):
    got, change = state.transfer(entry(**current), roster_account(**account), day(0), 90)
    if info is None:
        assert got is None
    else:
        assert {k: got[k] for k in info} == info and got["to_unit"] == account["unit"]
    assert attrs(change) == expected


@pytest.mark.parametrize("current, forward_days, expected", [
    # For ever: no end is written.
    (dict(), None, {("replace", "mailStorage"): [OLD], ("replace", "mailFormerAddress"): [OLD],
                    ("replace", "mailForward"): [OLD]}),
    # A transfer's forward that was to end now delivers for ever too: one end per account.
    (dict(mailStorage=OLD, mailFormerAddress=["x@gialai.gov.vn"], mailForward=["x@gialai.gov.vn"],
          mailForwardUntil="20250401080000Z"), None,
     {("replace", "mailFormerAddress"): ["x@gialai.gov.vn", OLD], ("replace", "mailForward"): ["x@gialai.gov.vn", OLD],
      ("delete", "mailForwardUntil"): None}),
    # With a period, the later end of the two.
    (dict(mailStorage=OLD, mailFormerAddress=["x@gialai.gov.vn"], mailForward=["x@gialai.gov.vn"],
          mailForwardUntil="20300401080000Z"), 10,
     {("replace", "mailFormerAddress"): ["x@gialai.gov.vn", OLD], ("replace", "mailForward"): ["x@gialai.gov.vn", OLD]}),
    # A forward for ever stays so when another address is re-homed with a period.
    (dict(mailStorage=OLD, mailFormerAddress=["x@gialai.gov.vn"], mailForward=["x@gialai.gov.vn"]), 10,
     {("replace", "mailFormerAddress"): ["x@gialai.gov.vn", OLD], ("replace", "mailForward"): ["x@gialai.gov.vn", OLD]}),
])
def test_a_rehoming_forwards_the_old_address(current, forward_days, expected):
    info, change = state.rehome(entry(**current), roster_account(address=NEW, rehome={"from": OLD}), day(0),
                                forward_days)
    assert (info["from"], info["to"]) == (OLD, NEW)
    assert attrs(change) == expected
    # Not re-homed, or done already: nothing.
    assert state.rehome(entry(**current), roster_account(address=NEW), day(0), None)[0] is None
    assert state.rehome(entry(mail=NEW), roster_account(address=NEW, rehome={"from": OLD}), day(0), None)[0] is None


@pytest.mark.parametrize("before, after, handed", [
    ([], [], False), (["uid=GL-8,ou=people"], ["uid=GL-8,ou=people"], False),
    (["uid=GL-8,ou=people"], ["uid=GL-9,ou=people"], True), ([], ["uid=GL-9,ou=people"], True),
])
def test_a_handover_gives_a_new_initial_password(before, after, handed):
    change = state.handover(entry(mailKind="unit", mailDelegate=before), after, password)
    assert bool(change) is handed
    if handed:
        assert change.mods == [("replace", "userPassword", ["Mk#khoi-tao-1"]), ("replace", "pwdReset", ["TRUE"])]


# The lifecycle job's rules, on states read from entries.
RULES = {"lock_unused_days": 90, "recall_unused_days": 180, "initial_password_grace_days": 30,
         "unit_unused_recall_days": None, "max_age_days": 90, "expire_warning_days": 14, "reopen_wait_days": 5}


@pytest.mark.parametrize("current, last_login, now, expected", [
    (dict(pwdChangedTime="20240101000000Z"), day(0), day(89), []),
    (dict(pwdChangedTime="20240101000000Z"), day(0), day(90), [("lock", "unused")]),
    (dict(pwdChangedTime="20240101000000Z"), day(0), day(180), [("recall", "unused")]),
    (dict(status="locked", reason="unused", locked=True, pwdChangedTime="20240101000000Z"), day(0), day(120), []),
    (dict(status="locked", reason="unused", locked=True, pwdChangedTime="20240101000000Z"), day(0), day(180),
     [("recall", "unused")]),
    # Not the job's: the roster's and administrators' locks, and recalls.
    (dict(status="locked", locked=True, pwdChangedTime="20240101000000Z"), None, day(400), []),
    (dict(status="locked", reason="admin", locked=True, pwdChangedTime="20240101000000Z"), None, day(400), []),
    (dict(locked=True, pwdChangedTime="20240101000000Z"), None, day(400), []),
    (dict(status="recalled", reason="unused", locked=True, pwdChangedTime="20240101000000Z"), None, day(400), []),
    (dict(pwdReset="TRUE", createTimestamp=STAMP), day(29), day(29), []),
    (dict(pwdReset="TRUE", createTimestamp=STAMP), day(30), day(30), [("lock", "initial-password")]),
    (dict(pwdChangedTime=STAMP), day(76), day(76), [("remind", "password-expiry")]),
    (dict(pwdChangedTime=STAMP), day(90), day(90), []),
])
def test_the_lifecycle_rules_on_states(current, last_login, now, expected):
    decided = lifecycle.decide(entry(**current), last_login, now, RULES)
    assert [(a, r) for a, r, _ in decided] == expected
