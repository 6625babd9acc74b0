"""A unit dissolved into another through the roster (playbooks/accounts.yml): its address keeps
receiving, into the successor's unit mailbox, and the successor's delegate opens the old mailbox
with all it had and may send as it."""

import pytest
import yaml
from conftest import (
    DEMO, OUTSIDER, deliver, directory_entry, fetch_by_subject, maildir, password_rows, playbook, set_password,
    submit, testinfra_hosts, unique,
)

__all__ = ["testinfra_hosts"]

BASE = "ou=gialai.gov.vn,dc=gialai,dc=gov,dc=vn"  # the domain's branch
SUCCESSOR = "stttt@gialai.gov.vn"  # GL-0001 is its delegate in the demo roster
OLD_UNIT = {"id": "skhdt", "name": "Sở Kế hoạch và Đầu tư", "type": "department", "abbr": "skhdt"}


def apply_roster(tmp_path, name, unit=None):
    roster = yaml.safe_load(yaml.safe_dump(DEMO))
    if unit:
        roster["mail_roster"]["units"].append(unit)
    roster_file = tmp_path / f"{name}.yml"
    roster_file.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    out = tmp_path / name
    playbook("accounts.yml", "-e", f"@{roster_file}", "-e", f"accounts_password_dir={out}")
    return out


def letter(subject, to):
    return (f"From: {OUTSIDER}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nKính gửi Sở Kế hoạch và Đầu tư.\r\n").encode()


@pytest.fixture
def old_unit(host, tmp_path):
    """The unit as it was before the merger, with its own mailbox; removed afterwards, mail and all."""
    rows = password_rows(apply_roster(tmp_path, "before", OLD_UNIT))
    assert [r["id"] for r in rows] == ["skhdt"]
    yield rows[0]["address"]
    apply_roster(tmp_path, "after")
    host.run(f"ldapdelete -Q -Y EXTERNAL -H ldapi:/// uid=skhdt,ou=mailboxes,{BASE}")
    host.run(f"rm -rf {maildir(rows[0]['address'])}")


def test_a_dissolved_units_address_delivers_to_its_successor(host, server, tls, tmp_path, old_unit):
    quynh = set_password(host, "GL-0001")
    before = unique("Công văn trước sáp nhập")
    assert deliver(server, tls, OUTSIDER, [old_unit], letter(before, old_unit)) == {}

    rows = password_rows(apply_roster(tmp_path, "merged", dict(OLD_UNIT, successor="stttt")))
    assert [(r["address"], r["id"]) for r in rows] == [(old_unit, "skhdt")]  # handed over: a new password
    entry = directory_entry(host, "skhdt")
    assert entry["mail"] == [old_unit] and entry["mailSuccessor"] == [SUCCESSOR]
    assert entry["mailDelegate"] == [f"uid=GL-0001,ou=people,{BASE}"] and entry["mailUnit"] == ["stttt"]
    assert host.run(f"ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -b ou=units,{BASE} '(ou=skhdt)' dn").stdout == ""

    after = unique("Công văn sau sáp nhập")
    assert deliver(server, tls, OUTSIDER, [old_unit], letter(after, old_unit)) == {}
    arrived = fetch_by_subject(server, tls, f"{SUCCESSOR}*{quynh.address}", quynh.password, after)
    assert len(arrived) == 1 and f"To: {old_unit}".encode() in arrived[0]
    # The old mailbox keeps what it had and gets nothing new; its address may still be sent as.
    old_login = f"{old_unit}*{quynh.address}"
    assert len(fetch_by_subject(server, tls, old_login, quynh.password, before)) == 1
    assert fetch_by_subject(server, tls, old_login, quynh.password, after, wait=3) == []
    reply = unique("Trả lời công văn")
    message = (f"From: {old_unit}\r\nTo: {OUTSIDER}\r\nSubject: {reply}\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\nSở Tài chính trả lời.\r\n").encode()
    assert submit(server, tls, quynh, [OUTSIDER], message, sender=old_unit) == {}
