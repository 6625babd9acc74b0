"""What a restore takes (roles/backup/files/mailgov-backup), and when a restored file replaces a live one."""

import argparse
from pathlib import Path

import pytest

from mailgov import maildir

CONFIG = {
    "mail_root": "/var/vmail",
    "dump_dir": "/var/backups/mailgov/ldap/",
    "state_paths": ["/var/lib/mailgov/state"],
    "config_paths": ["/etc/postfix", "/etc/dovecot"],
}




def restore_args(what, address=None, target=None):
    return argparse.Namespace(what=what, address=address, target=target)


@pytest.mark.parametrize("args, includes, only", [
    (restore_args("mailbox", " Quynh@GiaLai.gov.vn "), ["/var/vmail/gialai.gov.vn/quynh"],
     "/var/vmail/gialai.gov.vn/quynh"),
    (restore_args("mailbox", "quynh@gialai.gov.vn", "/srv/scratch"), ["/var/vmail/gialai.gov.vn/quynh"],
     "/var/vmail/gialai.gov.vn/quynh"),
    (restore_args("directory"), ["/var/backups/mailgov/ldap"], None),
    (restore_args("directory", target="/srv/scratch"), ["/var/backups/mailgov/ldap"], None),
    # Into place: mail, the dump and the state; into a scratch directory also the configuration.
    (restore_args("all"), ["/var/vmail", "/var/backups/mailgov/ldap", "/var/lib/mailgov/state"], None),
    (restore_args("all", target="/srv/scratch"),
     ["/var/vmail", "/var/backups/mailgov/ldap", "/var/lib/mailgov/state", "/etc/postfix", "/etc/dovecot"], None),
])
def test_what_a_restore_takes(backup, args, includes, only):
    assert backup.restore_includes(CONFIG, args) == (includes, only and Path(only))


@pytest.mark.parametrize("address, message", [
    (None, "--what mailbox needs --address"),
    ("", "--what mailbox needs --address"),
    ("quynh", "'quynh' is not a mail address (name@domain)"),
    ("../x@gialai.gov.vn", "is not a mail address"),
])
def test_a_mailbox_restore_needs_an_address(backup, address, message):
    with pytest.raises(backup.Failure, match=message.replace("(", r"\(").replace(")", r"\)")):
        backup.restore_includes(CONFIG, restore_args("mailbox", address))


def test_restore_needs_no_optional_paths(backup):
    config = {"mail_root": "/var/vmail", "dump_dir": "/var/backups/ldap"}
    assert backup.restore_includes(config, restore_args("all", target="/srv"))[0] == ["/var/vmail", "/var/backups/ldap"]


def write(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("live, overwrite, wanted, counts, left", [
    # A new message is restored.
    (None, False, True, {"restored": 1, "kept": 0, "replaced": 0}, []),
    # The same message, with other flags or still in new/, stays as it is ...
    ("cur/1700000001.M1.mail:2,RS", False, False, {"restored": 0, "kept": 1, "replaced": 0},
     ["cur/1700000001.M1.mail:2,RS"]),
    ("new/1700000001.M1.mail", False, False, {"restored": 0, "kept": 1, "replaced": 0}, ["new/1700000001.M1.mail"]),
    # ... unless overwrite, which removes it first.
    ("new/1700000001.M1.mail", True, True, {"restored": 0, "kept": 0, "replaced": 1}, []),
])
def test_when_a_restored_message_goes_in(backup, tmp_path, live, overwrite, wanted, counts, left):
    keys = {}
    if live:
        keys[maildir.message_key(Path(live).name)] = [write(tmp_path / live)]
    got = {"restored": 0, "kept": 0, "replaced": 0}
    dst = tmp_path / "cur/1700000001.M1.mail:2,S"
    assert maildir.take_message(keys, dst.name, dst, overwrite, got) is wanted
    assert got == counts
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == left
    assert keys["1700000001.M1.mail"] == ([dst] if wanted else [tmp_path / live])


@pytest.mark.parametrize("name, live, overwrite, wanted", [
    ("dovecot-uidlist", False, False, True),
    ("dovecot-uidlist", True, False, False),
    ("dovecot-uidlist", True, True, True),
    ("dovecot.index.cache", False, False, True),
    ("dovecot.index.cache", True, False, False),
    ("dovecot.index.cache", True, True, False),
    ("dovecot.index.log.2", True, True, False),
])
def test_when_a_restored_file_goes_in(backup, tmp_path, name, live, overwrite, wanted):
    dst = tmp_path / name
    if live:
        write(dst, "live")
    assert maildir.take_file(name, dst, overwrite) is wanted
    # What is replaced is removed first; what stays is untouched.
    assert dst.exists() is (live and not wanted)


def test_a_dangling_link_is_a_live_file(backup, tmp_path):
    dst = tmp_path / "sieve"
    dst.symlink_to(tmp_path / "nowhere")
    assert maildir.take_file("sieve", dst, False) is False
    assert maildir.take_file("sieve", dst, True) is True
    assert not dst.is_symlink()
