"""The lifecycle job's rules, without a directory: roles/lifecycle/files/mailgov_lifecycle.py."""

import datetime
import email
import email.policy
import importlib.util
from pathlib import Path

import pytest
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
    return [(a, r) for a, r, _ in job.decide(acc, last_login, now, rules)]


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
    assert job.parse_last_logins(text) == {"anv.snv@gialai.gov.vn": T0}


def test_directory_times_are_read():
    assert job.parse_time("20250101080000Z") == T0
    assert job.parse_time("20250101080000.123456Z") == T0
    assert job.ldap_time(T0) == "20250101080000Z"


def test_a_transferred_account_is_read_with_its_mailbox_and_forwards():
    entry = {"uid": ["GL-1"], "mail": ["quynhhtn.pleiku@gialai.gov.vn"],
             "mailStorage": ["QuynhHTN.stttt@gialai.gov.vn"], "mailFormerAddress": ["quynhhtn.stttt@gialai.gov.vn"],
             "mailForward": ["quynhhtn.stttt@gialai.gov.vn"], "mailForwardUntil": ["20250401080000Z"]}
    read = job.normalise(entry)
    assert read["storage"] == "quynhhtn.stttt@gialai.gov.vn"
    assert read["forward_until"] == day(90)
    assert job.normalise({"uid": ["GL-2"], "mail": ["a@gialai.gov.vn"]})["storage"] == "a@gialai.gov.vn"


@pytest.mark.parametrize("now, forwards, ended", [
    (day(89), ["old@gialai.gov.vn"], False),
    (day(90), ["old@gialai.gov.vn"], True),
    (day(400), [], False),  # already ended: nothing to do
])
def test_the_forward_of_an_old_address_ends_with_its_period(now, forwards, ended):
    acc = account(forwards=forwards, forward_until=day(90), former=["old@gialai.gov.vn"])
    detail = job.forward_ended(acc, now)
    assert bool(detail) is ended
    if ended:
        assert detail.startswith("old@gialai.gov.vn moved to anv.snv@gialai.gov.vn; forwarded until 2025-04-01")


def test_a_login_with_the_old_address_before_a_transfer_counts_as_use():
    logins = {"old@gialai.gov.vn": day(50), "anv.snv@gialai.gov.vn": day(10)}
    assert job.last_login(account(former=["old@gialai.gov.vn"]), logins) == day(50)
    assert job.last_login(account(former=[]), {}) is None
