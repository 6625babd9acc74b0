"""Outgoing mail is DKIM-signed with the key of the published records; incoming mail is checked
(SPF, DKIM, DMARC) and says so in Authentication-Results."""

import email
import email.policy
import re

import dkim
import pytest
from conftest import (
    DOMAIN, OUTSIDER, Dialog, fetch_by_subject, message, no_bounce_since, set_password, submit, testinfra_hosts,
    unique, verdict, wait_for,
)

__all__ = ["testinfra_hosts"]

RECORDS = "/etc/mailgov/dns-records.txt"
FAR_AWAY = "doi.tac@example.net"  # a recipient on another server
SINK = "/var/tmp/outbound"


def published(host):
    """The DNS records the role wrote for the administrator, by (name, type): value."""
    text = host.file(RECORDS).content_string
    records = {}
    for match in re.finditer(r"^(\S+)\s+IN\s+(MX|TXT)\s+(.*)$", text, re.M):
        name, kind, value = match.groups()
        if kind == "TXT":
            value = "".join(re.findall(r'"([^"]*)"', value))
        records[(name, kind)] = value
    return records


@pytest.fixture(scope="module")
def outbound(host):
    """Mail that leaves the domain goes to a capture listener in the container (smtp-sink), which
    writes each message to a file under SINK; Postfix's settings are put back afterwards."""
    host.run("systemctl stop mailgov-test-sink; rm -rf %s", SINK)
    host.check_output(
        "systemd-run --unit=mailgov-test-sink --collect smtp-sink -u postfix -d %s/%%H%%M%%S. 127.0.0.1:2526 10",
        SINK)
    host.check_output("postconf -e 'relayhost=[127.0.0.1]:2526' && postfix reload")
    yield
    host.run("postconf -X relayhost; postfix reload; systemctl stop mailgov-test-sink")


def captured(host, message_id):
    """The messages with this Message-ID that the capture listener got, as bytes with CRLF."""
    found = []
    for path in host.run("find %s -type f", SINK).stdout.split():
        lines = host.file(path).content.replace(b"\r\n", b"\n").split(b"\n")
        # smtp-sink writes the SMTP envelope (X-Client-Addr:, X-Mail-Args:, ...) above the message.
        while lines and re.match(rb"X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):", lines[0]):
            lines.pop(0)
        data = b"\r\n".join(lines)
        if message_id.encode() in data:
            found.append(data)
    return found


def test_the_dns_records_are_written_for_the_administrator(host):
    records = published(host)
    assert records[(f"{DOMAIN}.", "MX")] == "10 mail.gialai.gov.vn."
    assert records[(f"{DOMAIN}.", "TXT")].startswith("v=spf1 ")
    assert records[(f"mail._domainkey.{DOMAIN}.", "TXT")].startswith("v=DKIM1; k=rsa; p=MII")
    assert records[(f"_dmarc.{DOMAIN}.", "TXT")].startswith("v=DMARC1; p=")


def test_outgoing_vietnamese_mail_is_signed_with_the_published_key(host, server, tls, accounts, since, outbound):
    quynh = accounts["quynh"]
    subject = unique("Kế hoạch phối hợp: Sở Thông tin và Truyền thông gửi đối tác")
    body = "Kính gửi Quý đơn vị,\n\nỦy ban nhân dân xã Ia Băng trân trọng thông báo lịch họp.\n"
    msg = message(quynh.address, FAR_AWAY, subject, body=body)
    assert submit(server, tls, quynh, [FAR_AWAY], msg.as_bytes()) == {}

    (data,) = wait_for(lambda: captured(host, msg["Message-ID"]), timeout=30)
    # What the sender wrote leaves unchanged, below the trace headers and the signature.
    # (smtp-sink ends its files with blank lines.)
    sent = msg.as_bytes().replace(b"\n", b"\r\n")
    assert data.rstrip(b"\r\n").endswith(sent.rstrip(b"\r\n"))
    received = email.message_from_bytes(data, policy=email.policy.default)
    assert received.get_content() == body
    assert f"d={DOMAIN}" in str(received["DKIM-Signature"]).replace(" ", "")

    # The signature checks out against the record the administrator publishes, and only it.
    key = published(host)[(f"mail._domainkey.{DOMAIN}.", "TXT")].encode()
    asked = []

    def dns(name, timeout=5):
        asked.append(name)
        return key if name in (f"mail._domainkey.{DOMAIN}.".encode(), f"mail._domainkey.{DOMAIN}".encode()) else None

    assert dkim.verify(data, dnsfunc=dns)
    assert asked
    # A changed subject no longer verifies: the signature covers what the recipient reads.
    tampered = re.sub(rb"^Subject: .*$", b"Subject: =?utf-8?b?VGjGsCBnaeG6oyBt4bqhbw==?=", data, count=1, flags=re.M)
    assert tampered != data and not dkim.verify(tampered, dnsfunc=dns)
    assert no_bounce_since(host, since)
    assert "no action" in verdict(host, since, msg["Message-ID"])


@pytest.fixture
def xclient(host):
    """Let the test client present itself as another address (XCLIENT), as if it were a server on
    the internet: rspamd skips SPF and DMARC for local networks, and the demo inventory counts
    podman's, the test client's, as local."""
    client = host.check_output("ip route | awk '/^default/ {print $3}'")
    host.check_output("postconf -e smtpd_authorized_xclient_hosts=%s/32 && postfix reload", client)
    yield
    host.run("postconf -X smtpd_authorized_xclient_hosts; postfix reload")


def test_mail_sent_as_an_old_address_is_signed_with_its_domains_key(host, server, tls, outbound):
    """Phan Thị Hạnh (GL-0201, the demo) logs in with her Gia Lai address and writes from her
    old Bình Định one: signed for binhdinh.gov.vn, with the key of its own published record."""
    hanh, old = set_password(host, "GL-0201"), "hanhpt@binhdinh.gov.vn"
    msg = message(old, FAR_AWAY, unique("Thư từ địa chỉ cũ ở Bình Định"))
    assert submit(server, tls, hanh, [FAR_AWAY], msg.as_bytes(), sender=old) == {}
    (data,) = wait_for(lambda: captured(host, msg["Message-ID"]), timeout=30)
    signature = str(email.message_from_bytes(data, policy=email.policy.default)["DKIM-Signature"]).replace(" ", "")
    assert "d=binhdinh.gov.vn;" in signature
    records = published(host)
    assert records[("mail._domainkey.binhdinh.gov.vn.", "TXT")] != records[(f"mail._domainkey.{DOMAIN}.", "TXT")]

    def dns(name, timeout=5):
        return records.get((name.decode().rstrip(".") + ".", "TXT"), "").encode() or None

    assert dkim.verify(data, dnsfunc=dns)


def test_a_hosted_domains_mail_is_signed_with_its_own_published_key(host, server, tls, outbound):
    """Đỗ Văn Hùng (SCT-0002) of the hosted sct.gialai.gov.vn: its records are written beside Gia
    Lai's, and its mail is signed for it with its own key."""
    hung, hosted = set_password(host, "SCT-0002"), "sct.gialai.gov.vn"
    records = published(host)
    assert records[(f"{hosted}.", "MX")] == "10 mail.gialai.gov.vn."
    assert records[(f"{hosted}.", "TXT")].startswith("v=spf1 ") and records[(f"_dmarc.{hosted}.", "TXT")]
    assert records[(f"mail._domainkey.{hosted}.", "TXT")] != records[(f"mail._domainkey.{DOMAIN}.", "TXT")]
    msg = message(hung.address, FAR_AWAY, unique("Báo cáo tình hình sản xuất công nghiệp"))
    assert submit(server, tls, hung, [FAR_AWAY], msg.as_bytes()) == {}
    (data,) = wait_for(lambda: captured(host, msg["Message-ID"]), timeout=30)
    signature = str(email.message_from_bytes(data, policy=email.policy.default)["DKIM-Signature"]).replace(" ", "")
    assert f"d={hosted};" in signature

    def dns(name, timeout=5):
        return records.get((name.decode().rstrip(".") + ".", "TXT"), "").encode() or None

    assert dkim.verify(data, dnsfunc=dns)


def test_only_the_configured_networks_are_local_to_rspamd(host):
    """rspamd_local_networks replaces rspamd's own list, which has every private network."""
    dump = host.check_output("rspamadm configdump options")
    local = re.search(r"local_addrs \[(.*?)\]", dump, re.S).group(1)
    assert '"10.88.0.0/16"' in local and '"127.0.0.0/8"' in local, local
    assert "192.168.0.0/16" not in local and "10.0.0.0/8" not in local, local


def test_incoming_mail_is_checked_for_spf_dkim_and_dmarc(host, server, tls, accounts, xclient):
    truong = accounts["truong"]
    subject = unique("Thư từ đối tác")
    msg = message(OUTSIDER, truong.address, subject)
    session = Dialog(server, starttls_with=tls)
    try:
        assert session.command("XCLIENT ADDR=192.0.2.25 NAME=mx.example.org")[0] == 220
        assert session.command("EHLO mx.example.org")[0] == 250
        assert session.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
        assert session.command(f"RCPT TO:<{truong.address}>")[0] == 250
        assert session.command("DATA")[0] == 354
        code, text = session.command(msg.as_bytes().decode().replace("\n", "\r\n") + "\r\n.")
        assert code == 250, text
    finally:
        session.close()
    (raw,) = fetch_by_subject(server, tls, truong.address, truong.password, subject)
    received = email.message_from_bytes(raw, policy=email.policy.default)
    results = str(received["Authentication-Results"])
    assert "spf=" in results and "dmarc=" in results, results
    assert "192.0.2.25" in results or "example.org" in results, results
