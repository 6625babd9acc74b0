"""Restoring mail into place (mailgov.maildir, used by roles/backup/files/mailgov-backup): what is there stays."""

import errno
import json
from pathlib import Path

import pytest

from mailgov import maildir





def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def tree(root):
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def mailboxes(tmp_path):
    """A restored mailbox (the backup) and the live one, which has moved on since."""
    staged, live = tmp_path / "staged", tmp_path / "live"
    # In the backup: three messages in the INBOX, one in a Vietnamese folder, Dovecot's files.
    write(staged / "Maildir/cur/1700000001.M1.mail:2,S", "thư một")
    write(staged / "Maildir/cur/1700000002.M2.mail:2,", "thư hai")
    write(staged / "Maildir/new/1700000003.M3.mail", "thư ba")
    write(staged / "Maildir/.Công văn đến/cur/1700000004.M4.mail:2,S", "công văn")
    write(staged / "Maildir/dovecot-uidlist", "uidlist of the backup")
    write(staged / "Maildir/dovecot.index.cache", "old cache")
    write(staged / "Maildir/tmp/1700000009.M9.mail", "half delivered")
    write(staged / "sieve/filter.sieve", "sieve of the backup")
    # Live: message 2 was read since (new flags), 1 and 3 were deleted, a new one arrived,
    # and Dovecot's files moved on.
    write(live / "Maildir/cur/1700000002.M2.mail:2,RS", "thư hai")
    write(live / "Maildir/new/1800000000.M5.mail", "thư mới")
    write(live / "Maildir/dovecot-uidlist", "uidlist now")
    write(live / "Maildir/dovecot.index.cache", "cache now")
    return staged, live


def test_missing_messages_come_back_and_newer_mail_stays(backup, mailboxes):
    staged, live = mailboxes
    counts = maildir.merge_maildir(staged, live)
    assert counts == {"restored": 3, "kept": 1, "replaced": 0}
    assert tree(live) == {
        "Maildir/.Công văn đến/cur/1700000004.M4.mail:2,S": "công văn",
        "Maildir/cur/1700000001.M1.mail:2,S": "thư một",
        "Maildir/cur/1700000002.M2.mail:2,RS": "thư hai",
        "Maildir/dovecot-uidlist": "uidlist now",
        "Maildir/dovecot.index.cache": "cache now",
        "Maildir/new/1700000003.M3.mail": "thư ba",
        "Maildir/new/1800000000.M5.mail": "thư mới",
        "sieve/filter.sieve": "sieve of the backup",
    }


def test_overwrite_puts_the_backup_back_but_keeps_mail_it_never_had(backup, mailboxes):
    staged, live = mailboxes
    counts = maildir.merge_maildir(staged, live, overwrite=True)
    assert counts == {"restored": 3, "kept": 0, "replaced": 1}
    files = tree(live)
    assert "Maildir/cur/1700000002.M2.mail:2," in files
    assert "Maildir/cur/1700000002.M2.mail:2,RS" not in files
    assert files["Maildir/dovecot-uidlist"] == "uidlist of the backup"
    assert files["Maildir/dovecot.index.cache"] == "cache now"
    assert files["Maildir/new/1800000000.M5.mail"] == "thư mới"
    assert not any("/tmp/" in name for name in files)


def test_a_mailbox_that_is_gone_comes_back_whole(backup, mailboxes, tmp_path):
    staged, _ = mailboxes
    empty = tmp_path / "gone"
    counts = maildir.merge_maildir(staged, empty)
    assert counts["restored"] == 4 and counts["kept"] == 0
    assert tree(empty)["Maildir/dovecot-uidlist"] == "uidlist of the backup"


@pytest.mark.parametrize("address", ["no-at-sign", "../x@gialai.gov.vn", "a/b@gialai.gov.vn", "@gialai.gov.vn", "a@..", "a@../etc"])
def test_a_bad_address_is_refused(backup, address):
    with pytest.raises(backup.Failure):
        backup.mailbox_dir({"mail_root": "/var/vmail"}, address)


def test_a_mailbox_is_found_by_its_address_in_any_case(backup):
    path = backup.mailbox_dir({"mail_root": "/var/vmail"}, "QuynhHTN.STTTT@GiaLai.gov.vn")
    assert path == Path("/var/vmail/gialai.gov.vn/quynhhtn.stttt")


def test_the_failure_mail_is_in_vietnamese(backup):
    config = {"host": "mail.gialai.gov.vn", "notify_to": "postmaster@gialai.gov.vn",
              "notify_from": "postmaster@gialai.gov.vn"}
    message = backup.failure_message(config, "mailgov-backup-check.service", "Fatal: pack 1234 damaged")
    assert message["Subject"] == "[mail.gialai.gov.vn] Kiểm tra kho sao lưu phát hiện lỗi"
    body = message.get_content()
    assert "đã thất bại" in body and "Fatal: pack 1234 damaged" in body
    assert json.loads(json.dumps(message["To"])) == "postmaster@gialai.gov.vn"


def test_the_database_moves_aside_where_a_rename_cannot(backup, tmp_path, monkeypatch):
    """A directory in an overlay's lower layer (a container made from an image) or on another
    file system refuses os.rename with EXDEV; the database is copied instead, and slapd's
    user owns the copy."""
    ldap = tmp_path / "ldap"
    write(ldap / "data.mdb", "cơ sở dữ liệu")
    write(ldap / "lock.mdb", "")

    def no_rename(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    owned = []
    monkeypatch.setattr(backup.os, "rename", no_rename)
    monkeypatch.setattr(backup, "chown_tree", lambda path, user: owned.append((path, user)))
    backup.move_database(ldap, tmp_path / "ldap.before-restore")
    assert not ldap.exists()
    assert tree(tmp_path / "ldap.before-restore") == {"data.mdb": "cơ sở dữ liệu", "lock.mdb": ""}
    assert owned == [(tmp_path / "ldap.before-restore", "openldap")]
