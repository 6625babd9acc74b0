"""A unit mailbox handed over through the roster (playbooks/accounts.yml): the new head opens it,
the old delegate no longer can, its password is reset to a new initial one, and no mail is lost."""

import imaplib
import uuid

import pytest
import yaml
from conftest import (
    DEMO, MUST_CHANGE, OUTSIDER, deliver, directory_entry, imap_login, password_rows, playbook, set_password,
    testinfra_hosts, wait_for,
)

__all__ = ["testinfra_hosts"]

BASE = "ou=gialai.gov.vn,dc=gialai,dc=gov,dc=vn"  # the domain's branch
UNIT = "stttt@gialai.gov.vn"


def messages(server, tls, login, password):
    client = imap_login(server, tls, login, password)
    try:
        status, data = client.select("INBOX", readonly=True)
        assert status == "OK"
        return int(data[0])
    finally:
        client.logout()


def apply_roster(tmp_path, name, change=None):
    roster = yaml.safe_load(yaml.safe_dump(DEMO))
    if change:
        change({u["id"]: u for u in roster["mail_roster"]["units"]})
    roster_file = tmp_path / f"{name}.yml"
    roster_file.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    out = tmp_path / name
    playbook("accounts.yml", "-e", f"@{roster_file}", "-e", f"accounts_password_dir={out}")
    return out


def test_a_new_head_takes_over_the_unit_mailbox_with_all_its_mail(host, server, tls, tmp_path):
    quynh = set_password(host, "GL-0001")  # the delegate in the demo roster
    minh = set_password(host, "GL-0003")
    for n in range(2):
        message = (f"From: {OUTSIDER}\r\nTo: {UNIT}\r\nSubject: Công văn {n} {uuid.uuid4().hex[:8]}\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n\r\nKính gửi Sở.\r\n").encode()
        assert deliver(server, tls, OUTSIDER, [UNIT], message) == {}
    before = wait_for(lambda: messages(server, tls, f"{UNIT}*{quynh.address}", quynh.password) >= 2, timeout=30)
    assert before
    before = messages(server, tls, f"{UNIT}*{quynh.address}", quynh.password)
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(server, tls, f"{UNIT}*{minh.address}", minh.password)

    def new_head(units):
        units["stttt"]["head"] = "GL-0003"
        units["stttt"]["delegates"] = []

    rows = password_rows(apply_roster(tmp_path, "handover", new_head))
    assert [(r["address"], r["id"]) for r in rows] == [(UNIT, "stttt")]
    entry = directory_entry(host, "stttt")
    assert entry["mailDelegate"] == [f"uid=GL-0003,ou=people,{BASE}"] and entry["pwdReset"] == ["TRUE"]

    with pytest.raises(imaplib.IMAP4.error):
        imap_login(server, tls, f"{UNIT}*{quynh.address}", quynh.password)
    assert messages(server, tls, f"{UNIT}*{minh.address}", minh.password) == before
    # The unit mailbox's own new password must be changed first; then it opens the same mail.
    new = f"Nn@{uuid.uuid4().hex[:10]}7"
    out = host.check_output("python3 -c %s %s %s %s", MUST_CHANGE, f"uid=stttt,ou=mailboxes,{BASE}",
                            rows[0]["initial_password"], new)
    assert out.splitlines() == ["restricted", UNIT]
    assert messages(server, tls, UNIT, new) == before

    # Handed back as the demo roster has it, so the other tests find it unchanged.
    assert [r["address"] for r in password_rows(apply_roster(tmp_path, "back"))] == [UNIT]
    assert messages(server, tls, f"{UNIT}*{quynh.address}", quynh.password) == before
