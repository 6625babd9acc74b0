"""The other domains of the demo roster. Bình Định's, merged into Gia Lai in 2025 (legacy_domains):
old addresses deliver to their owners' mailboxes and are sent as by them; nothing else exists
there; whoever writes to one hears the new address (legacy_notice). gialai.vn (alias_domains):
every address of gialai.gov.vn exists there too."""

import email
import email.policy
import re
import smtplib
import time
import uuid

import pytest
from conftest import (
    OUTSIDER, Dialog, deliver, fetch_by_subject, queue, set_password, submit, testinfra_hosts, unique, wait_for,
)

__all__ = ["testinfra_hosts"]

OLD = "hanhpt@binhdinh.gov.vn"  # Phan Thị Hạnh (GL-0201), now at Sở Nội vụ of Gia Lai
AGENCY_OLD = "quanglv@sct.binhdinh.gov.vn"  # Lê Văn Quang (GL-0202), once at Sở Công Thương


def letter(sender, to, subject):
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("Kính gửi chị Hạnh, Sở Nội vụ tỉnh Bình Định (cũ).\n", charset="utf-8")
    return msg.as_bytes(policy=email.policy.SMTP)


@pytest.fixture(scope="module")
def hanh(host):
    return set_password(host, "GL-0201")


@pytest.mark.parametrize("old, uid", [(OLD, "GL-0201"), (AGENCY_OLD, "GL-0202")])
def test_mail_to_an_old_address_arrives_in_the_new_mailbox(host, server, tls, old, uid):
    owner = set_password(host, uid)
    assert owner.address.endswith("@gialai.gov.vn")
    subject = unique("Gửi địa chỉ cũ ở Bình Định")
    assert deliver(server, tls, OUTSIDER, [old], letter(OUTSIDER, old, subject)) == {}
    found = fetch_by_subject(server, tls, owner.address, owner.password, subject)
    assert len(found) == 1
    message = email.message_from_bytes(found[0], policy=email.policy.default)
    assert message["To"] == old and message["Subject"] == subject
    assert "Sở Nội vụ tỉnh Bình Định" in message.get_content()


def test_a_sender_to_an_old_address_hears_the_new_one_once_in_vietnamese(host, server, tls, hanh):
    sender = f"vanthu.{uuid.uuid4().hex[:8]}@example.com"
    before = {entry["queue_id"] for entry in queue(host)}

    def replies():
        return [e for e in queue(host) if e["queue_id"] not in before and e["sender"] in ("", "MAILER-DAEMON")
                and [r["address"] for r in e["recipients"]] == [sender]]

    try:
        # Replies to other servers wait in the queue, where the test reads them.
        host.check_output("postconf -e defer_transports=smtp && postfix reload")
        for to in (OLD, OLD, hanh.address):  # the old address twice, then the new one
            subject = unique("Công văn gửi Sở Nội vụ")
            assert deliver(server, tls, sender, [to], letter(sender, to, subject)) == {}
            assert len(fetch_by_subject(server, tls, hanh.address, hanh.password, subject)) == 1
        (reply,) = wait_for(replies)
        time.sleep(2)
        assert len(replies()) == 1  # once for this sender, and not for mail to the new address
        raw = host.check_output("postcat -hb -q %s", reply["queue_id"])
        message = email.message_from_bytes(raw.encode(), policy=email.policy.default)
        assert message["From"] == OLD and message["To"].addresses[0].addr_spec == sender
        assert message["Subject"] == f"Địa chỉ thư {OLD} đã chuyển sang {hanh.address}"
        assert f"Địa chỉ thư điện tử {OLD} nay đã chuyển sang {hanh.address}." in message.get_content()
        assert message["Auto-Submitted"].startswith("auto-replied")
        assert "d=binhdinh.gov.vn;" in re.sub(r"\s", "", message["DKIM-Signature"])
    finally:
        for entry in queue(host):
            if entry["queue_id"] not in before:
                host.run("postsuper -d %s", entry["queue_id"])
        host.run("postconf -X defer_transports; postfix reload")


def test_no_other_address_exists_in_a_legacy_domain(server, tls):
    session = Dialog(server, starttls_with=tls)
    try:
        assert session.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
        for address in ("khongtontai@binhdinh.gov.vn", "hanhpt@sct.binhdinh.gov.vn", "hanhpt.snv@binhdinh.gov.vn"):
            code, text = session.command(f"RCPT TO:<{address}>")
            assert code == 550, (address, text)
        assert session.command("RCPT TO:<postmaster@binhdinh.gov.vn>")[0] == 250
    finally:
        session.close()


def test_the_owner_sends_as_the_old_address_and_nobody_else_does(server, tls, accounts, hanh):
    tan = accounts["tan"]
    assert submit(server, tls, hanh, [tan.address], letter(OLD, tan.address, unique("Từ địa chỉ cũ")), sender=OLD) == {}
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        submit(server, tls, accounts["quynh"], [tan.address], letter(OLD, tan.address, unique("Giả mạo")), sender=OLD)
    assert refused.value.recipients[tan.address][0] == 553
    # On port 25, where nobody logs in, no other server may send as it.
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(server, tls, OLD, [tan.address], letter(OLD, tan.address, unique("Giả mạo")))
    assert refused.value.recipients[tan.address][0] == 553


def test_every_address_of_the_domain_exists_in_its_alias_domain(server, tls, accounts, hanh):
    truong = accounts["truong"]
    for address, owner in ((truong.address, truong), ("truong.mx@gialai.gov.vn", truong), (hanh.address, hanh)):
        alias = address.replace("@gialai.gov.vn", "@gialai.vn")
        subject = unique("Gửi tên miền phụ")
        assert deliver(server, tls, OUTSIDER, [alias], letter(OUTSIDER, alias, subject)) == {}
        assert len(fetch_by_subject(server, tls, owner.address, owner.password, subject)) == 1, alias
    session = Dialog(server, starttls_with=tls)
    try:
        assert session.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
        for address in ("khongtontai@gialai.vn", f"{accounts['tam'].address.split('@')[0]}@gialai.vn"):
            code, text = session.command(f"RCPT TO:<{address}>")
            assert code == 550, (address, text)  # unknown, and recalled
        assert session.command("RCPT TO:<postmaster@gialai.vn>")[0] == 250
    finally:
        session.close()


def test_the_dns_records_of_the_other_domains_are_printed(host):
    records = host.file("/etc/mailgov/dns-records.txt").content_string
    for domain in ("binhdinh.gov.vn", "sct.binhdinh.gov.vn", "gialai.vn"):
        assert f"{domain}. IN MX 10 mail.gialai.gov.vn." in records
        assert f'{domain}. IN TXT "v=spf1 mx -all"' in records
        assert f'mail._domainkey.{domain}. IN TXT ( "v=DKIM1; k=rsa; p=MII' in records
        assert f'_dmarc.{domain}. IN TXT "v=DMARC1; p=' in records
