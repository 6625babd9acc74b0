"""Transfers through the roster (playbooks/accounts.yml): under `gialai` a person moved to another unit
gets the address there and keeps the mailbox, the mail and the password; the old address delivers
until the lifecycle job ends its forward, then gets 550 with the new address. Under `transfer: {address: keep}` only the
unit changes."""

import imaplib
import re
import uuid

import pytest
import yaml
from conftest import (
    DEMO, OUTSIDER, Dialog, days_ahead, deliver, directory_entry, fetch_by_subject, imap_login, journal, playbook, run_job,
    set_password, testinfra_hosts,
)

__all__ = ["testinfra_hosts"]

OLD = "nguyentd.dakpo@gialai.gov.vn"  # GL-0002, Trần Đình Nguyên, in dakpo-vp
NEW = "nguyentd.stttt@gialai.gov.vn"  # the same name form in stttt
HBIA = "hbiak.iagrai@gialai.gov.vn"   # GL-0016, Ksor H'Bia, in iagrai-tp
# A forward shorter than the 90 days after which an unused account is locked, so that the job,
# run as at the forward's end, has nothing else to do.
SHORT = {"preset": "gialai", "transfer": {"forward_days": 30}}


def apply_roster(tmp_path, name, moves, policy=None, *args):
    roster = yaml.safe_load(yaml.safe_dump(DEMO))
    for person in roster["mail_roster"]["people"]:
        person["unit"] = moves.get(person["id"], person["unit"])
    if policy:
        roster["mail_roster"]["policy"] = policy
    roster_file = tmp_path / f"{name}.yml"
    roster_file.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    result = playbook("accounts.yml", "-e", f"@{roster_file}", "-e", f"accounts_password_dir={tmp_path / name}", *args)
    assert not (tmp_path / name).exists()  # nobody got a new password
    # Under Molecule the output is in colour, and long messages may be wrapped.
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).split())


def letter(to, subject):
    return (f"From: {OUTSIDER}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nKính gửi đồng chí Nguyên.\r\n").encode()


def rcpt(server, tls, address):
    dialog = Dialog(server, starttls_with=tls)
    try:
        assert dialog.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
        return dialog.command(f"RCPT TO:<{address}>")
    finally:
        dialog.close()


def test_a_person_moved_to_another_unit_gets_the_address_there_and_keeps_the_mailbox(host, server, tls, tmp_path):
    nguyen = set_password(host, "GL-0002")
    assert nguyen.address == OLD
    before = f"Trước khi chuyển {uuid.uuid4().hex[:8]}"
    assert deliver(server, tls, OUTSIDER, [OLD], letter(OLD, before)) == {}
    assert fetch_by_subject(server, tls, OLD, nguyen.password, before)

    # Check mode says what would happen and writes nothing.
    out = apply_roster(tmp_path, "check", {"GL-0002": "stttt"}, SHORT, "--check", "--diff")
    assert f"Would move GL-0002 from dakpo-vp to stttt: {OLD} -> {NEW}" in out
    assert f"+uid=GL-0002,ou=people,ou=gialai.gov.vn: mail: {NEW}" in out
    assert directory_entry(host, "GL-0002")["mail"] == [OLD]

    out = apply_roster(tmp_path, "moved", {"GL-0002": "stttt"}, SHORT)
    until = days_ahead(30).strftime("%Y-%m-%d")
    assert f"Moved GL-0002 from dakpo-vp to stttt: {OLD} -> {NEW}, the old address delivering to the same " \
           f"mailbox until {until}" in out
    entry = directory_entry(host, "GL-0002")
    assert (entry["mail"], entry["mailUnit"], entry["ou"]) == ([NEW], ["stttt"], ["Sở Thông tin và Truyền thông"])
    assert entry["mailStorage"] == entry["mailForward"] == entry["mailFormerAddress"] == [OLD]
    assert "pwdReset" not in entry

    # The same password with the new address; the mail from before is there.
    assert fetch_by_subject(server, tls, NEW, nguyen.password, before)
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(server, tls, OLD, nguyen.password)
    after = f"Gửi địa chỉ cũ {uuid.uuid4().hex[:8]}"
    assert deliver(server, tls, OUTSIDER, [OLD], letter(OLD, after)) == {}
    assert fetch_by_subject(server, tls, NEW, nguyen.password, after)

    # Another policy, the same roster: the transfer is done (nothing more for GL-0002), and under
    # keep a move changes only the unit.
    keep = {"preset": "gialai", "transfer": {"address": "keep"}}
    out = apply_roster(tmp_path, "keep", {"GL-0002": "stttt", "GL-0016": "pleiku"}, keep)
    assert re.search(r"changed=1\s", out) and f"Moved GL-0016 from iagrai-tp to pleiku: keeps {HBIA}" in out
    assert "GL-0002" not in out.split("Say who moved")[1]
    hbia = directory_entry(host, "GL-0016")
    assert (hbia["mail"], hbia["mailUnit"]) == ([HBIA], ["pleiku"])
    assert not {"mailForward", "mailFormerAddress", "mailForwardUntil"} & set(hbia)

    # The lifecycle job ends the forward after the 30 days.
    assert run_job(host, 29.9, NEW)["done"] == []
    result = run_job(host, 30.1, NEW)
    assert result["done"] == [("end forward", "transfer-period")] and result["rc"] == 0
    assert f"{NEW}: end forward (transfer-period): {OLD} moved to {NEW}" in journal(host)
    entry = directory_entry(host, "GL-0002")
    assert "mailForward" not in entry and entry["mailFormerAddress"] == [OLD]
    code, text = rcpt(server, tls, OLD)
    assert code == 550 and " 5.1.6 " in text and f"This address has moved to {NEW}" in text, text
    assert rcpt(server, tls, NEW)[0] == 250

    # Moved back as the demo roster has it: the old address is theirs again, with all the mail.
    out = apply_roster(tmp_path, "back", {})
    assert f"Moved GL-0002 from stttt to dakpo-vp: {NEW} -> {OLD}" in out
    assert f"GL-0016 from pleiku to iagrai-tp: keeps {HBIA}" in out
    assert fetch_by_subject(server, tls, OLD, nguyen.password, after)
