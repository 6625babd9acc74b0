"""Re-homing through the roster (playbooks/accounts.yml, policy.rehome): people whose addresses
were given under another province's rules get the form Gia Lai's rules give, previewed with
--check --diff and applied in one run; a pinned address stays; each keeps mailbox, mail and
password, and the old address still delivers and may still send."""

import json
import re

import pytest
import yaml
from conftest import (
    DEMO, OUTSIDER, days_ahead, deliver, directory_entry, fetch_by_subject, maildir, password_rows, playbook, set_password,
    submit, testinfra_hosts, unique,
)

__all__ = ["testinfra_hosts"]

BASE = "ou=gialai.gov.vn,dc=gialai,dc=gov,dc=vn"  # the domain's branch
# Addresses as Bình Định gave them, with no unit part: pinned, as a migration would pin them.
OLD, NEW = "hadtt@gialai.gov.vn", "hadtt.stttt@gialai.gov.vn"
FROZEN = "binhvv@gialai.gov.vn"
PEOPLE = [{"id": "BD-0001", "name": "Đỗ Thị Thu Hà", "unit": "stttt", "address": OLD},
          {"id": "BD-0002", "name": "Võ Văn Bình", "unit": "stnmt", "address": FROZEN}]
DERIVE = {"preset": "gialai", "rehome": {"addresses": "derive"}}


def apply_roster(tmp_path, name, people=(), policy=None, *args):
    roster = yaml.safe_load(yaml.safe_dump(DEMO))
    roster["mail_roster"]["people"] += list(people)
    if policy:
        roster["mail_roster"]["policy"] = policy
    roster_file = tmp_path / f"{name}.yml"
    roster_file.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    out = tmp_path / name
    result = playbook("accounts.yml", "-e", f"@{roster_file}", "-e", f"accounts_password_dir={out}", *args)
    # Under Molecule the output is in colour, and long messages may be wrapped.
    return out, " ".join(re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).split())


def letter(subject, to):
    return (f"From: {OUTSIDER}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nKính gửi chị Hà, Sở Thông tin và Truyền thông.\r\n").encode()


@pytest.fixture
def absorbed(host, tmp_path):
    """Two people with the addresses the absorbed province gave them; removed afterwards, mail and all."""
    out, _ = apply_roster(tmp_path, "before", PEOPLE)
    assert sorted(r["address"] for r in password_rows(out)) == [FROZEN, OLD]
    yield
    apply_roster(tmp_path, "after")
    for uid, address in (("BD-0001", OLD), ("BD-0002", FROZEN)):
        host.run(f"ldapdelete -Q -Y EXTERNAL -H ldapi:/// uid={uid},ou=people,{BASE}")
        host.run(f"rm -rf {maildir(address)}")


def test_a_rehoming_is_previewed_then_applied_and_leaves_pinned_addresses_alone(host, server, tls, tmp_path,
                                                                                 absorbed):
    ha = set_password(host, "BD-0001")
    before = unique("Thư trước khi đổi địa chỉ")
    assert deliver(server, tls, OUTSIDER, [OLD], letter(before, OLD)) == {}
    assert fetch_by_subject(server, tls, OLD, ha.password, before)
    unpinned = [{k: v for k, v in PEOPLE[0].items() if k != "address"}, PEOPLE[1]]

    # The preview names every address that would change, and why; nothing is written.
    _, out = apply_roster(tmp_path, "check", unpinned, DERIVE, "--check", "--diff")
    assert f"Would re-home BD-0001: {OLD} -> {NEW}, the old address delivering to the same mailbox for ever" in out
    assert f"+uid=BD-0001,ou=people,ou=gialai.gov.vn: mail: {NEW}" in out
    assert directory_entry(host, "BD-0001")["mail"] == [OLD]

    _, out = apply_roster(tmp_path, "rehomed", unpinned, DERIVE)
    assert f"Re-homed BD-0001: {OLD} -> {NEW}" in out and "BD-0002" not in out.split("Say whose")[1]
    entry = directory_entry(host, "BD-0001")
    assert entry["mail"] == [NEW] and entry["mailStorage"] == entry["mailForward"] == [OLD]
    assert "mailForwardUntil" not in entry and "pwdReset" not in entry
    assert directory_entry(host, "BD-0002")["mail"] == [FROZEN]

    # The same password at the new address, with the mail from before; the old address still
    # delivers to the same mailbox, and its owner may still send as it.
    assert fetch_by_subject(server, tls, NEW, ha.password, before)
    after = unique("Thư gửi địa chỉ cũ")
    assert deliver(server, tls, OUTSIDER, [OLD], letter(after, OLD)) == {}
    assert fetch_by_subject(server, tls, NEW, ha.password, after)
    ha.address = NEW
    sent = unique("Gửi từ địa chỉ cũ")
    message = f"From: {OLD}\r\nTo: {NEW}\r\nSubject: {sent}\r\n\r\nXin chào.\r\n".encode()
    assert submit(server, tls, ha, [NEW], message, sender=OLD) == {}
    assert f"From: {OLD}".encode() in fetch_by_subject(server, tls, NEW, ha.password, sent)[0]

    # Two years on, the lifecycle job would end no forward: the old address delivers for ever.
    ahead = days_ahead(730).isoformat(timespec="seconds")
    job = json.loads(host.check_output(f"mailgov-lifecycle --json --dry-run --now {ahead} --account {NEW}"))
    assert "end forward" not in [a["action"] for a in job["actions"]], job

    # A second run changes nothing.
    _, out = apply_roster(tmp_path, "again", unpinned, DERIVE)
    assert re.search(r"changed=0\s", out), out[-2000:]
