"""The restore drill: mail and directory backed up to both repositories, damaged, restored, compared.

Run in file order: the drill first (a few hundred messages, a backup, damage, a whole restore),
then single mailboxes, archives, retention, and failures last (they damage the backup host).
"""

import json
import os
import smtplib
import uuid
from email.message import EmailMessage

import pytest
from conftest import (
    BASE, DOMAIN, REPOSITORY_ON_STORE, checksums, directory_entries, expunge_all, imap_login,
    playbook, postmaster_subjects, testinfra_hosts, wait_for,
)

__all__ = ["testinfra_hosts"]

OUTSIDER = "van.thu@example.org"
SUBJECTS = [
    "Công văn số {n}/STTTT-VP về việc triển khai thư điện tử công vụ",
    "Giấy mời họp giao ban tuần {n} — Phòng Bưu chính, Viễn thông",
    "Báo cáo số {n}: Ủy ban nhân dân xã Ia Băng, huyện Đak Pơ",
    "Tờ trình {n} đề nghị khen thưởng — ẳ ặ ẵ ỡ ữ ự ỷ ỹ",
]
# How many messages each account gets before the backup.
DELIVERIES = {"quynh": 110, "truong": 120, "tan": 90}


def message(to, n):
    msg = EmailMessage()
    msg["From"] = f"Văn thư Sở Nội vụ <{OUTSIDER}>"
    msg["To"] = to
    msg["Subject"] = SUBJECTS[n % len(SUBJECTS)].format(n=n)
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    msg.set_content(f"Kính gửi anh/chị,\n\nNội dung văn bản số {n}: Trân trọng đề nghị các đơn vị phối hợp.\n")
    if n % 10 == 0:
        msg.add_attachment(os.urandom(40000 + n * 100), maintype="application", subtype="pdf",
                           filename=f"Công văn {n}.pdf")
    return msg


@pytest.fixture(scope="module")
def drill(host, server, tls, accounts):
    """Deliver, back up, damage, restore the whole server; what was seen before and after."""
    with smtplib.SMTP(server, 25, local_hostname="mx.example.org", timeout=60) as client:
        client.starttls(context=tls)
        for name, count in DELIVERIES.items():
            for n in range(count):
                client.send_message(message(accounts[name].address, n), OUTSIDER, [accounts[name].address])
    for name, count in DELIVERIES.items():
        assert wait_for(lambda a=accounts[name], c=count: len(checksums(server, tls, a)) == c, timeout=180), name
    # Some messages read: their files get flags in the name before the backup.
    client = imap_login(server, tls, accounts["truong"])
    client.select("INBOX")
    client.store("1:40", "+FLAGS.SILENT", r"(\Seen \Flagged)")
    client.logout()

    before = {name: checksums(server, tls, account) for name, account in accounts.items()}
    entries_before = directory_entries(host)

    backup = playbook("backup.yml")
    assert backup.returncode == 0, backup.stdout + backup.stderr

    # Afterwards: one mailbox emptied, newer mail arrives, the directory damaged.
    expunge_all(server, tls, accounts["truong"])
    newer = message(accounts["truong"].address, 9999)
    with smtplib.SMTP(server, 25, local_hostname="mx.example.org", timeout=60) as client:
        client.starttls(context=tls)
        client.send_message(newer, OUTSIDER, [accounts["truong"].address])
    assert wait_for(lambda: len(checksums(server, tls, accounts["truong"])) == 1, timeout=60)
    newer_sums = checksums(server, tls, accounts["truong"])
    host.check_output("ldapdelete -Q -Y EXTERNAL -H ldapi:/// uid=%s,ou=people,%s", accounts["quynh"].uid, BASE)
    host.check_output(
        "printf 'dn: uid=%s,ou=people,%s\\nchangetype: modify\\nreplace: cn\\ncn: Hỏng\\n' "
        "| ldapmodify -Q -Y EXTERNAL -H ldapi:///", accounts["tan"].uid, BASE)
    damaged = directory_entries(host)
    assert damaged != entries_before

    restore = playbook("restore.yml", restore_what="all")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    after = {name: checksums(server, tls, account) for name, account in accounts.items()}
    return {"before": before, "after": after, "newer": newer_sums, "entries_before": entries_before,
            "entries_after": directory_entries(host)}


def test_every_message_comes_back_the_same(drill):
    for name in ("quynh", "tan"):
        assert len(drill["after"][name]) == DELIVERIES[name]
        assert drill["after"][name] == drill["before"][name]
    restored = sorted(set(drill["after"]["truong"]) - set(drill["newer"]))
    assert len(restored) == DELIVERIES["truong"]
    assert restored == drill["before"]["truong"]


def test_mail_that_arrived_after_the_backup_is_kept(drill):
    assert len(drill["newer"]) == 1
    assert drill["newer"][0] in drill["after"]["truong"]
    assert len(drill["after"]["truong"]) == DELIVERIES["truong"] + 1


def test_the_directory_is_the_same_again(drill):
    assert drill["entries_after"] == drill["entries_before"]


def test_the_deleted_user_logs_in_again(drill, server, tls, accounts):
    client = imap_login(server, tls, accounts["quynh"])
    try:
        status, data = client.select("INBOX", readonly=True)
        assert status == "OK" and int(data[0]) == DELIVERIES["quynh"]
    finally:
        client.logout()


def test_read_flags_come_back_with_the_messages(drill, server, tls, accounts):
    client = imap_login(server, tls, accounts["truong"])
    try:
        client.select("INBOX", readonly=True)
        _, seen = client.search(None, "SEEN FLAGGED")
        assert len(seen[0].split()) == 40
    finally:
        client.logout()


def test_one_mailbox_comes_back_by_its_address(drill, server, tls, accounts):
    tan = accounts["tan"]
    expunge_all(server, tls, tan)
    result = playbook("restore.yml", restore_what="mailbox", restore_address=tan.address.upper())
    assert result.returncode == 0, result.stdout + result.stderr
    assert checksums(server, tls, tan) == drill["before"]["tan"]


def test_a_mailbox_restores_from_the_backup_host_into_a_scratch_path(drill, host, accounts):
    truong = accounts["truong"]
    target = "/var/tmp/restore-truong"
    result = playbook("restore.yml", restore_what="mailbox", restore_address=truong.address,
                      restore_target=target, restore_repository="sftp")
    assert result.returncode == 0, result.stdout + result.stderr
    local = truong.address.split("@")[0]
    maildir = f"{target}/var/vmail/{DOMAIN}/{local}/Maildir"
    count = host.check_output("find %s/cur %s/new -type f | wc -l", maildir, maildir)
    assert int(count) == DELIVERIES["truong"]
    # Nothing was put into the live mailbox.
    assert not host.file(f"{target}/var/vmail/{DOMAIN}/{accounts['quynh'].address.split('@')[0]}").exists


def test_a_restore_refuses_bad_input_before_touching_anything(drill):
    result = playbook("restore.yml", restore_what="mailbox")
    assert result.returncode != 0
    assert "restore_address" in result.stdout
    result = playbook("restore.yml", restore_what="mailbox", restore_address="ai.do@gialai.gov.vn")
    assert result.returncode != 0
    assert "no snapshot" in result.stdout or "holds no mailbox" in result.stdout


def test_a_mailbox_is_archived_to_every_repository(drill, host, accounts):
    address = accounts["tan"].address
    assert host.run("/usr/local/sbin/mailgov-archive-mailbox %s", address).rc == 0
    for repository in ("local", "sftp"):
        out = host.check_output("mailgov-backup restic %s snapshots --json --tag archive", repository)
        assert [set(s["tags"]) for s in json.loads(out)] == [{"archive", address}]
    assert host.run("/usr/local/sbin/mailgov-archive-mailbox %s", "ai.do@gialai.gov.vn").rc != 0


def test_retention_keeps_the_archives(drill, host):
    assert host.run("systemctl start mailgov-backup-forget.service").rc == 0
    for repository in ("local", "sftp"):
        out = json.loads(host.check_output("mailgov-backup restic %s snapshots --json", repository))
        assert {"archive" if "archive" in s["tags"] else s["tags"][0] for s in out} == {"archive", "scheduled"}


def test_the_timers_follow_the_schedules(host):
    for unit, schedule in (("mailgov-backup.timer", "hourly"), ("mailgov-backup-check.timer", "Sun *-*-* 04:30")):
        assert host.service(unit).is_enabled
        assert f"OnCalendar={schedule}" in host.file(f"/etc/systemd/system/{unit}").content_string
        assert host.check_output("systemctl show -p NextElapseUSecRealtime --value %s", unit)


def test_a_failed_backup_mails_the_postmaster(drill, host, store):
    store.check_output("systemctl stop ssh.socket ssh.service || systemctl stop ssh")
    try:
        result = playbook("backup.yml")
        assert result.returncode != 0
        assert "sftp" in result.stdout
    finally:
        store.check_output("systemctl start ssh")
    subjects = wait_for(lambda: [s for s in postmaster_subjects(host) if "Sao lưu dữ liệu thư điện tử" in s], timeout=60)
    assert subjects == ["[mail.gialai.gov.vn] Sao lưu dữ liệu thư điện tử không thành công"]


def test_a_damaged_pack_file_fails_the_check_and_is_reported(drill, host, store):
    assert host.run("systemctl start mailgov-backup-check.service").rc == 0
    packs = store.check_output("find %s/data -type f -size +100k", REPOSITORY_ON_STORE).split()
    assert packs
    # Flip bytes in the middle: the size stays, only reading the data finds it.
    store.check_output("printf 'damaged!' | dd of=%s bs=1 seek=50000 conv=notrunc status=none", packs[0])
    assert host.run("systemctl start mailgov-backup-check.service").rc != 0
    assert host.check_output("systemctl is-failed mailgov-backup-check.service") == "failed"
    subjects = wait_for(lambda: [s for s in postmaster_subjects(host) if "Kiểm tra kho sao lưu" in s], timeout=60)
    assert subjects == ["[mail.gialai.gov.vn] Kiểm tra kho sao lưu phát hiện lỗi"]
