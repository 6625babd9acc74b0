"""The mail copy's decisions: the configuration it runs with, what an error means, whether a
mailbox is complete, and the report."""

import pytest

from mailgov import mail_copy, private_json

SOURCE = {"host": "10.0.0.5", "ssl": "starttls", "ssl_verify": False, "master_user": "migrator"}


@pytest.mark.parametrize(("raw", "name"), [
    ("INBOX", "INBOX"),
    ("C&APQ-ng v&AQM-n &AREevw-n", "Công văn đến"),
    ("L&AbA-u tr&Hu8-/2024", "Lưu trữ/2024"),
    ("A &- B", "A & B"),
])
def test_mailbox_names_are_decoded_from_modified_utf7(raw, name):
    assert mail_copy.mutf7_decode(raw) == name


def test_the_configuration_reads_the_server_and_names_the_old_one():
    conf = mail_copy.imapc_config(SOURCE, "binh@gialai.gov.vn", 'pa"ss #1', "2.4.0")
    lines = conf.splitlines()
    assert lines[:3] == ["dovecot_config_version = 2.4.0", "dovecot_storage_version = 2.4.0",
                         "!include /etc/dovecot/dovecot.conf"]
    assert "imapc_port = 143" in lines and "ssl_client_require_valid_cert = no" in lines
    assert 'imapc_password = "pa\\"ss #1"' in lines and 'imapc_master_user = "migrator"' in lines


def test_imaps_defaults_to_port_993_and_no_master_user_is_left_out():
    conf = mail_copy.imapc_config({"host": "old", "ssl": "imaps"}, "a@b", "x", "2.4.0")
    assert "imapc_port = 993" in conf and "imapc_master_user" not in conf
    assert "ssl_client_require_valid_cert = yes" in conf


@pytest.mark.parametrize(("stderr", "expected"), [
    ("Error: imapc(10.0.0.5:143): Authentication failed: [AUTHENTICATIONFAILED] Authentication failed.",
     "the old server refused the login of migrator for binh@gialai.gov.vn"),
    ("Error: imapc(10.0.0.5:143): connect(10.0.0.5:143) failed: Connection refused",
     "cannot reach the old server 10.0.0.5:143"),
    ("Info: x\nError: brain M: Mailbox INBOX sync: mailbox_delete failed", "Error: brain M: Mailbox INBOX sync"),
    ("", "doveadm failed"),
])
def test_errors_are_explained(stderr, expected):
    assert expected in mail_copy.explain(stderr, "binh@gialai.gov.vn", SOURCE)


def test_a_folder_is_complete_with_at_least_what_the_old_server_has():
    old = {"INBOX": (7, 3200), "Công văn đến": (4, 2002), "Lưu trữ": (2, 1006)}
    new = {"INBOX": (8, 3700), "Công văn đến": (3, 1500)}
    rows, mismatches = mail_copy.compare(old, new)
    assert [r["folder"] for r in rows] == ["Công văn đến", "INBOX", "Lưu trữ"]
    assert mismatches == ["Công văn đến: 3 of 4 messages, 1500 of 2002 bytes",
                          "Lưu trữ: missing on the new server (2 messages)"]


OLD_BOX = {"INBOX": (2, 910), "Tài liệu": (1, 4305574)}


@pytest.mark.parametrize(("new", "quota", "refused"), [
    ({}, None, False),
    ({}, 5 * 1024**2, False),
    ({}, 1024**2, True),
    ({"INBOX": (2, 910), "Tài liệu": (1, 4305574)}, 5 * 1024**2, False),  # copied already: nothing more needed
    ({"INBOX": (40, 1024**2)}, 5 * 1024**2, True),  # 1 MiB arrived since the cutover, and the rest still to copy
])
def test_a_mailbox_that_cannot_fit_its_new_quota_is_refused(new, quota, refused):
    reason = mail_copy.over_quota(OLD_BOX, new, quota)
    assert bool(reason) == refused
    if refused and not new:
        assert reason.startswith("holds 4.1 MiB on the old server, and the new mailbox would hold 4.1 MiB, over its "
                                 "new quota of 1.0 MiB")


def test_statuses_from_doveadm_json():
    rows = [{"mailbox": "C&APQ-ng", "messages": "3", "vsize": "100"}, {"mailbox": "INBOX", "messages": "0"}]
    assert mail_copy.folders(rows, decode=True) == {"Công": (3, 100), "INBOX": (0, 0)}


def test_bar_and_report():
    assert mail_copy.bar(1, 4, width=8) == "[██░░░░░░]  25%"
    assert mail_copy.bar(0, 0, width=4) == "[████] 100%"
    text = mail_copy.report([
        {"user": "a@x", "login": "a@old", "result": "complete", "copied": 2,
         "folders": [{"folder": "INBOX", "old_messages": 2, "old_bytes": 10, "new_messages": 2, "new_bytes": 10}]},
        {"user": "b@x", "login": "b@old", "result": "failed", "problems": ["the old server refused the login"]}])
    assert text.splitlines() == ["a@x (from a@old): complete, 2 messages copied",
                                 "  INBOX: old 2 messages 10 B, new 2 messages 10 B",
                                 "b@x (from b@old): failed", "  ! the old server refused the login",
                                 "1 of 2 accounts complete"]


def test_private_files_are_written_whole_for_root_alone(tmp_path):
    path = tmp_path / "passwords.json"
    assert private_json.read(path) == {}
    assert private_json.merge(path, {"a@old": "{SSHA512}x"}) and not private_json.merge(path, {"a@old": "{SSHA512}x"})
    assert private_json.merge(path, {"b@old": "{CRYPT}$6$y"})
    assert private_json.read(path) == {"a@old": "{SSHA512}x", "b@old": "{CRYPT}$6$y"}
    assert path.stat().st_mode & 0o777 == 0o600 and not (tmp_path / "passwords.json.tmp").exists()
