"""The lifecycle job against the instance, with its clock moved forward instead of waiting.

Each test takes accounts of the demo roster that no other test uses, gives them a history
(a password set, a login, mail), runs mailgov-lifecycle as at some days from now for those
accounts only, and checks with real clients: IMAP logins, SMTP deliveries, LDAP binds.
"""

import email
import email.policy
import imaplib
import smtplib
import uuid

import pytest
import yaml
from conftest import (
    DEMO, MUST_CHANGE, OUTSIDER, days_ahead, deliver, directory_entry, fetch_by_subject, imap_login, journal,
    maildir, playbook, password_rows, run_job, set_password, testinfra_hosts, wait_for,
)

__all__ = ["testinfra_hosts"]

BASE = "ou=gialai.gov.vn,dc=gialai,dc=gov,dc=vn"  # the domain's branch


def plain(sender, to, subject):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nKính gửi đồng chí.\r\n").encode()


def delivered(host, address, subject):
    """Whether a message with this subject is in the mailbox on disk (the owner may not log in)."""
    return host.run("grep -rlF %s %s/Maildir", subject, maildir(address)).rc == 0


def refused_login(server, tls, account):
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(server, tls, account.address, account.password).logout()


def test_an_unused_account_is_locked_and_still_receives_mail(host, server, tls):
    huy = set_password(host, "GL-0009")
    imap_login(server, tls, huy.address, huy.password).logout()  # the last login: now

    assert ("lock", "unused") not in run_job(host, 89, huy.address)["done"]
    result = run_job(host, 91, huy.address)
    assert result["done"] == [("lock", "unused")] and result["rc"] == 0
    entry = directory_entry(host, "GL-0009")
    assert entry["mailStatus"] == ["locked"] and entry["mailStatusReason"] == ["unused"]
    assert entry["pwdAccountLockedTime"] == ["000001010000Z"]
    assert f"{huy.address}: lock (unused): no login for 91 days (limit 90)" in journal(host)

    refused_login(server, tls, huy)
    subject = f"Mail for a locked account {uuid.uuid4().hex[:8]}"
    assert deliver(server, tls, OUTSIDER, [huy.address], plain(OUTSIDER, huy.address, subject)) == {}
    assert wait_for(lambda: delivered(host, huy.address, subject))
    # Nothing more to do at the same time: the job repeats nothing.
    assert run_job(host, 91, huy.address)["done"] == []


def test_an_initial_password_kept_past_the_grace_locks(host):
    duyen = directory_entry(host, "GL-0012")
    assert duyen["pwdReset"] == ["TRUE"]  # as the roster sync left it: never changed
    address = duyen["mail"][0]
    assert run_job(host, 29, address)["done"] == []
    assert run_job(host, 31, address)["done"] == [("lock", "initial-password")]
    entry = directory_entry(host, "GL-0012")
    assert entry["mailStatus"] == ["locked"] and entry["mailStatusReason"] == ["initial-password"]
    assert f"{address}: lock (initial-password): initial password not changed for 31 days" in journal(host)


def test_past_the_recall_limit_the_mailbox_is_archived_then_removed(host, server, tls):
    duc = set_password(host, "GL-0011")
    imap_login(server, tls, duc.address, duc.password).logout()
    subject = f"Before the recall {uuid.uuid4().hex[:8]}"
    assert deliver(server, tls, OUTSIDER, [duc.address], plain(OUTSIDER, duc.address, subject)) == {}
    assert wait_for(lambda: delivered(host, duc.address, subject))

    result = run_job(host, 181, duc.address)
    assert result["done"] == [("recall", "unused"), ("archive and remove", "recalled")], result
    assert directory_entry(host, "GL-0011")["mailStatus"] == ["recalled"]
    assert not host.file(maildir(duc.address)).exists
    archives = host.check_output("ls /var/backups/mailgov/recalled/%s-*.tar.gz", duc.address).split()
    assert len(archives) == 1
    assert host.file(archives[0]).mode == 0o600
    listing = host.check_output("tar -tzf %s", archives[0])
    assert f"{duc.address.partition('@')[0]}/Maildir/" in listing
    assert int(host.check_output("tar -xzOf %s --wildcards '*/Maildir/new/*' '*/Maildir/cur/*' | grep -caF %s",
                                 archives[0], subject)) == 1
    # Recalled: unknown to the mail system from now on.
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(server, tls, OUTSIDER, [duc.address], plain(OUTSIDER, duc.address, "late"))
    assert refused.value.recipients[duc.address][0] == 550


def test_a_failed_archive_keeps_the_mailbox_until_archiving_works(host, server, tls):
    ha = set_password(host, "GL-0029")
    subject = f"Kept while archiving fails {uuid.uuid4().hex[:8]}"
    assert deliver(server, tls, OUTSIDER, [ha.address], plain(OUTSIDER, ha.address, subject)) == {}
    assert wait_for(lambda: delivered(host, ha.address, subject))

    failed = run_job(host, 181, ha.address, archive="/bin/false")
    assert failed["rc"] == 1 and failed["failed"] == 1
    assert [a["outcome"] for a in failed["actions"]] == ["done", "failed"]
    assert directory_entry(host, "GL-0029")["mailStatus"] == ["recalled"]
    assert delivered(host, ha.address, subject)
    assert f"{ha.address}: archive failed: /bin/false failed" in journal(host)

    retried = run_job(host, 182, ha.address)
    assert retried["done"] == [("archive and remove", "recalled")] and retried["rc"] == 0
    assert not host.file(maildir(ha.address)).exists


def test_a_reminder_in_vietnamese_comes_before_the_password_expires(host, server, tls):
    han = set_password(host, "GL-0028")
    assert run_job(host, 70, han.address)["done"] == []
    assert run_job(host, 80, han.address)["done"] == [("remind", "password-expiry")]
    assert run_job(host, 81, han.address)["done"] == []  # once per password

    found = fetch_by_subject(server, tls, han.address, han.password, "Nhắc nhở: mật khẩu hộp thư", wait=30)
    assert len(found) == 1
    msg = email.message_from_bytes(found[0], policy=email.policy.default)
    assert str(msg["Subject"]).startswith("Nhắc nhở: mật khẩu hộp thư sẽ hết hạn vào ngày ")
    body = msg.get_content()
    assert "Kính gửi Châu Ngọc Hân" in body and "còn 10 ngày" in body and "Xin hãy đổi mật khẩu" in body


def test_the_playbook_in_check_mode_says_what_would_happen(host):
    anh = directory_entry(host, "GL-0014")
    address = anh["mail"][0]
    later = (days_ahead(200)).date().isoformat()
    result = playbook("lifecycle.yml", "--check", "-e", f"lifecycle_now={later}",
                      "-e", '{"lifecycle_accounts": ["%s"]}' % address)
    assert f"{address}: would recall (unused)" in result.stdout
    assert "changed=1" in result.stdout  # what a run would change
    entry = directory_entry(host, "GL-0014")
    assert entry["mailStatus"] == ["active"] and "mailStatusReason" not in entry


def test_the_roster_sync_keeps_the_jobs_locks_until_a_request_reopens(host, server, tls, tmp_path):
    """accounts.yml with the roster saying active: GL-0009 has a request to reopen dated after
    its lock, GL-0012 none. GL-0009 gets a new initial password, in the 0600 list."""
    roster = yaml.safe_load(yaml.safe_dump(DEMO))
    request = (days_ahead(92)).date().isoformat()
    for person in roster["mail_roster"]["people"]:
        if person["id"] == "GL-0009":
            person["reopen"] = request
    roster_file = tmp_path / "roster.yml"
    roster_file.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    playbook("accounts.yml", "-e", f"@{roster_file}", "-e", f"accounts_password_dir={tmp_path / 'pw'}")

    assert directory_entry(host, "GL-0012")["mailStatus"] == ["locked"]  # held
    huy = directory_entry(host, "GL-0009")
    assert huy["mailStatus"] == ["active"] and huy["pwdReset"] == ["TRUE"]
    assert "pwdAccountLockedTime" not in huy and "mailStatusReason" not in huy
    rows = password_rows(tmp_path / "pw")
    assert [r["address"] for r in rows] == [huy["mail"][0]]
    check_must_change(host, server, tls, "GL-0009", rows[0])


def test_the_playbook_reopens_with_a_password_to_change(host, server, tls, tmp_path):
    address = directory_entry(host, "GL-0012")["mail"][0]
    playbook("reopen.yml", "-e", f"reopen={address}", "-e", f"accounts_password_dir={tmp_path}")
    duyen = directory_entry(host, "GL-0012")
    assert duyen["mailStatus"] == ["active"] and duyen["pwdReset"] == ["TRUE"]
    rows = password_rows(tmp_path)
    assert [r["address"] for r in rows] == [address]
    check_must_change(host, server, tls, "GL-0012", rows[0])
    # Not locked any more: a second request is refused with a reason.
    again = playbook("reopen.yml", "-e", f"reopen={address}", "-e", f"accounts_password_dir={tmp_path}", check=False)
    assert again.returncode != 0 and "is not locked; nothing to reopen" in again.stdout


def test_the_playbook_finds_accounts_by_roster_id_in_the_directory(host, server, tls, tmp_path):
    address = directory_entry(host, "GL-0014")["mail"][0]
    assert run_job(host, 91, address)["done"] == [("lock", "unused")]
    unknown = playbook("reopen.yml", "-e", '{"reopen": ["GL-0014", "nobody@gialai.gov.vn"]}',
                       "-e", f"accounts_password_dir={tmp_path}", check=False)
    assert unknown.returncode != 0 and "Not in the directory: nobody@gialai.gov.vn." in unknown.stdout
    assert directory_entry(host, "GL-0014")["mailStatus"] == ["locked"]  # nothing half done
    playbook("reopen.yml", "-e", "reopen=GL-0014", "-e", f"accounts_password_dir={tmp_path}")
    rows = password_rows(tmp_path)
    assert [(r["address"], r["id"]) for r in rows] == [(address, "GL-0014")]
    check_must_change(host, server, tls, "GL-0014", rows[0])


def check_must_change(host, server, tls, uid, row):
    new = f"Nn@{uuid.uuid4().hex[:10]}7"
    out = host.check_output("python3 -c %s %s %s %s", MUST_CHANGE, f"uid={uid},ou=people,{BASE}",
                            row["initial_password"], new)
    assert out.splitlines() == ["restricted", row["address"]]
    imap_login(server, tls, row["address"], new).logout()


def test_the_timer_runs_the_job_daily(host):
    assert host.service("mailgov-lifecycle.timer").is_enabled
    assert host.service("mailgov-lifecycle.timer").is_running
    assert host.run("systemctl start mailgov-lifecycle.service").rc == 0
    out = host.check_output("journalctl -q --no-pager -o cat -u mailgov-lifecycle.service")
    assert "actions, 0 failed" in out
