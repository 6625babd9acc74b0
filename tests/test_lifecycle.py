"""The lifecycle job's rules, without a directory: roles/lifecycle/files/mailgov_lifecycle.py."""

import datetime
import email
import email.policy
import importlib.util
from pathlib import Path

import pytest
from mailgov import lifecycle
from mailgov import state
from mailgov.policy import resolve

PATH = Path(__file__).resolve().parents[1] / "roles/lifecycle/files/mailgov_lifecycle.py"
_spec = importlib.util.spec_from_file_location("mailgov_lifecycle", PATH)
job = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(job)

UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
RULES = dict(resolve("gialai")["lifecycle"], **{k: resolve("gialai")["password"][k]
                                               for k in ("max_age_days", "expire_warning_days")})


def account(**fields):
    base = {"uid": "GL-1", "address": "anv.snv@gialai.gov.vn", "name": "Nguyễn Văn An", "kind": "person",
            "status": "active", "reason": None, "status_changed": T0, "locked": False, "created": T0,
            "password_changed": T0, "reset": False}
    return dict(base, **fields)


def day(n):
    return T0 + datetime.timedelta(days=n)


def actions(acc, last_login=None, now=None, rules=RULES):
    return [(a, r) for a, r, _ in lifecycle.decide(acc, last_login, now, rules)]


def test_an_account_in_use_is_left_alone():
    assert actions(account(), last_login=day(80), now=day(100)) == []


@pytest.mark.parametrize("idle, expected", [
    (89, []), (90, [("lock", "unused")]), (179, [("lock", "unused")]), (180, [("recall", "unused")]),
])
def test_unused_accounts_are_locked_then_recalled(idle, expected):
    # The password was changed long ago: only the last login counts.
    assert actions(account(password_changed=day(-400), created=day(-500)), last_login=T0, now=day(idle)) == expected


def test_never_logged_in_counts_from_the_last_password_change_or_creation():
    assert actions(account(password_changed=None, created=day(0)), now=day(91)) == [("lock", "unused")]
    assert actions(account(password_changed=day(50), created=day(0)), now=day(91)) == []


def test_a_locked_account_is_recalled_but_not_locked_again():
    locked = account(status="locked", reason="unused", locked=True, password_changed=day(-400))
    assert actions(locked, last_login=T0, now=day(120)) == []
    assert actions(locked, last_login=T0, now=day(181)) == [("recall", "unused")]


def test_the_rosters_own_locks_and_recalls_are_left_to_the_roster():
    assert actions(account(status="locked", locked=True), now=day(400)) == []
    assert actions(account(status="recalled", reason="unused"), now=day(400)) == []


@pytest.mark.parametrize("age, expected", [(29, []), (30, [("lock", "initial-password")])])
def test_an_initial_password_kept_past_the_grace_locks(age, expected):
    assert actions(account(reset=True), last_login=day(age), now=day(age)) == expected


def test_unit_mailboxes_follow_only_their_own_recall_rule():
    unit = account(kind="unit", reset=True)
    assert actions(unit, now=day(400)) == []  # gialai recalls unused people, not unit mailboxes
    binhdinh = dict(resolve("binhdinh_sct")["lifecycle"], max_age_days=90, expire_warning_days=14)
    assert actions(unit, now=day(179), rules=binhdinh) == []
    assert actions(unit, now=day(180), rules=binhdinh) == [("recall", "unused")]
    assert actions(unit, now=day(100), rules=dict(binhdinh, unit_unused_recall_days=None)) == []


@pytest.mark.parametrize("now, expected", [
    (75, []), (76, [("remind", "password-expiry")]), (89, [("remind", "password-expiry")]), (90, []),
])
def test_a_reminder_comes_in_the_last_days_before_expiry(now, expected):
    assert actions(account(), last_login=day(now), now=day(now)) == expected


def test_rules_turned_off_do_nothing():
    off = {k: None for k in RULES}
    assert actions(account(reset=True), now=day(1000), rules=off) == []


def test_the_reminder_is_in_vietnamese():
    raw = job.reminder(account(), day(80), RULES, "postmaster@gialai.gov.vn", "Quản trị hệ thống thư điện tử")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(msg["Subject"]) == "Nhắc nhở: mật khẩu hộp thư sẽ hết hạn vào ngày 01/04/2025"
    assert "Quản trị hệ thống" in str(msg["From"])
    body = msg.get_content()
    assert "Kính gửi Nguyễn Văn An" in body and "còn 10 ngày" in body and "đổi mật khẩu" in body


def test_last_logins_are_read_from_dovecots_file_dict():
    text = ("shared/last-login/anv.snv@gialai.gov.vn\n1735718400\n"
            "shared/other\nx\n"
            "shared/last-login/Bad@gialai.gov.vn\nnot-a-number\n")
    assert lifecycle.parse_last_logins(text) == {"anv.snv@gialai.gov.vn": T0}


def test_directory_times_are_read():
    assert state.parse_time("20250101080000Z") == T0
    assert state.parse_time("20250101080000.123456Z") == T0
    assert state.ldap_time(T0) == "20250101080000Z"
    for bad in ("2025010108Z", "2025x101080000Z", "000001010000Z"):
        with pytest.raises(ValueError, match="not a directory time"):
            state.parse_time(bad)


def test_a_transferred_account_is_read_with_its_mailbox_and_forwards():
    entry = {"uid": ["GL-1"], "mail": ["quynhhtn.pleiku@gialai.gov.vn"],
             "mailStorage": ["QuynhHTN.stttt@gialai.gov.vn"], "mailFormerAddress": ["quynhhtn.stttt@gialai.gov.vn"],
             "mailForward": ["quynhhtn.stttt@gialai.gov.vn"], "mailForwardUntil": ["20250401080000Z"]}
    read = lifecycle.normalise(entry)
    assert read["storage"] == "quynhhtn.stttt@gialai.gov.vn"
    assert read["forward_until"] == day(90)
    assert lifecycle.normalise({"uid": ["GL-2"], "mail": ["a@gialai.gov.vn"]})["storage"] == "a@gialai.gov.vn"


@pytest.mark.parametrize("now, forwards, ended", [
    (day(89), ["old@gialai.gov.vn"], False),
    (day(90), ["old@gialai.gov.vn"], True),
    (day(400), [], False),  # already ended: nothing to do
])
def test_the_forward_of_an_old_address_ends_with_its_period(now, forwards, ended):
    acc = account(forwards=forwards, forward_until=day(90), former=["old@gialai.gov.vn"])
    detail = lifecycle.forward_ended(acc, now)
    assert bool(detail) is ended
    if ended:
        assert detail.startswith("old@gialai.gov.vn moved to anv.snv@gialai.gov.vn; forwarded until 2025-04-01")


def test_a_login_with_the_old_address_before_a_transfer_counts_as_use():
    logins = {"old@gialai.gov.vn": day(50), "anv.snv@gialai.gov.vn": day(10)}
    assert lifecycle.last_login(account(former=["old@gialai.gov.vn"]), logins) == day(50)
    assert lifecycle.last_login(account(former=[]), {}) is None


class FakeDirectory:
    """The directory as mailgov.ldap.Connection shows it to the job: search, modify, flush."""

    def __init__(self, entries):
        self.entries = entries
        self.written = []

    def search(self, base, scope, filterstr, attrs):
        return {dn: e for dn, e in self.entries.items() if dn.endswith("," + base)}

    def modify(self, dn, mods):
        self.written.append((dn, mods))

    def flush(self):
        pass


SUFFIX = "dc=gialai,dc=gov,dc=vn"
BASE = f"ou=gialai.gov.vn,{SUFFIX}"


def run_job(entries, now, command="run", address=None, password=None, rules=RULES, dry_run=False, hosted=None):
    logged = []
    config = {"base_dn": SUFFIX, "domain": "gialai.gov.vn", "rules": rules, "sender": "postmaster@gialai.gov.vn",
              "hosted": hosted or {}, "last_login_file": "/nonexistent", "state_dir": "/nonexistent",
              "mail_root": "/nonexistent", "archive_command": "/bin/true"}
    runner = job.Job(config, now, dry_run, lambda priority, text: logged.append(text))
    directory = FakeDirectory(entries)
    runner.connect = lambda: setattr(runner, "conn", directory)
    if command == "reopen":
        runner.reopen(address, password)
    else:
        runner.run(set())
    return runner, directory, logged


def person(uid="GL-1", domain="gialai.gov.vn", **attrs):
    entry = {"uid": [uid], "mail": [f"{uid.lower()}@{domain}"], "mailKind": ["person"],
             "mailStatus": ["active"], "pwdChangedTime": ["20241001080000Z"], "createTimestamp": ["20240101080000Z"]}
    entry.update(attrs)
    return {f"uid={uid},ou=people,ou={domain},{SUFFIX}": entry}


def test_the_job_locks_with_the_same_log_line_and_json():
    runner, directory, logged = run_job(person(), day(0))
    assert logged == ["gl-1@gialai.gov.vn: lock (unused): no login for 92 days (limit 90); the account still "
                      "receives mail"]
    assert [(a["action"], a["reason"], a["outcome"]) for a in runner.actions] == [("lock", "unused", "done")]
    assert directory.written == [(f"uid=GL-1,ou=people,{BASE}", [
        ("replace", "pwdAccountLockedTime", ["000001010000Z"]), ("replace", "mailStatus", ["locked"]),
        ("replace", "mailStatusReason", ["unused"]), ("replace", "mailStatusChanged", ["20250101080000Z"])])]


def test_a_dry_run_writes_nothing():
    runner, directory, logged = run_job(person(), day(0), dry_run=True)
    assert directory.written == [] and logged[0].startswith("gl-1@gialai.gov.vn: would lock (unused)")


LOCKED_BY_JOB = {"mailStatus": ["locked"], "mailStatusReason": ["unused"], "pwdAccountLockedTime": ["000001010000Z"],
                 "mailStatusChanged": ["20250101080000Z"]}


@pytest.mark.parametrize("attrs, wait, now, message", [
    ({}, 0, day(1), "mailgov-lifecycle: gl-1@gialai.gov.vn is not locked; nothing to reopen"),
    (LOCKED_BY_JOB, 5, day(4), "mailgov-lifecycle: gl-1@gialai.gov.vn was locked on 2025-01-01; the regulation "
                               "reopens it only 5 days later, from 2025-01-06"),
    (dict(LOCKED_BY_JOB, mailStatusReason=[]), 0, day(1), "gl-1@gialai.gov.vn is locked by the roster on 2025-01-01"),
])
def test_the_reopen_command_refuses(attrs, wait, now, message):
    with pytest.raises(SystemExit) as err:
        run_job(person(**attrs), now, "reopen", "gl-1@gialai.gov.vn", "Mk#moi-1", rules=dict(RULES, reopen_wait_days=wait))
    assert message in str(err.value)


def test_the_reopen_command_after_the_wait():
    runner, directory, logged = run_job(person(**LOCKED_BY_JOB), day(5), "reopen", "gl-1@gialai.gov.vn", "Mk#moi-1",
                                        rules=dict(RULES, reopen_wait_days=5))
    assert logged == ["gl-1@gialai.gov.vn: reopen (unused): new initial password, to be changed at the next login"]
    (dn, mods), = directory.written
    assert ("replace", "userPassword", ["Mk#moi-1"]) in mods and ("delete", "mailStatusReason", None) in mods
    assert ("replace", "mailStatus", ["active"]) in mods and ("delete", "pwdAccountLockedTime", None) in mods


def test_each_hosted_domain_has_its_own_rules_in_its_own_branch():
    # Yên Bái's regulation locks nobody for being idle; Gia Lai's does.
    quiet = dict(RULES, lock_unused_days=None, recall_unused_days=None)
    entries = {**person(), **person("YB-1", "yenbai.gov.vn"), **person("XX-1", "elsewhere.gov.vn")}
    runner, directory, _ = run_job(entries, day(0), hosted={"yenbai.gov.vn": quiet})
    assert [(a["address"], a["action"]) for a in runner.actions] == [("gl-1@gialai.gov.vn", "lock")]
    runner, _, _ = run_job(entries, day(0), hosted={"yenbai.gov.vn": RULES})
    assert sorted(a["address"] for a in runner.actions) == ["gl-1@gialai.gov.vn", "yb-1@yenbai.gov.vn"]
