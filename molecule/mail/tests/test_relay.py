"""No relaying for strangers, no smuggled messages, no message over the size limit."""

import smtplib
import time

import pytest
from conftest import (
    DOMAIN, HOSTNAME, OUTSIDER, Dialog, fetch_by_subject, queue_ids, testinfra_hosts, unique,
)

__all__ = ["testinfra_hosts"]

TARGET_USER, TARGET_DOMAIN = "relaytest", "nmap.scanme.org"
TARGET = f"{TARGET_USER}@{TARGET_DOMAIN}"


def relay_attempts(ip):
    """The 16 (MAIL FROM, RCPT TO) pairs of nmap's smtp-open-relay script, with this server's
    name and address, then the same tricks quoted or aimed at the mail domain itself."""
    sender = f"antispam@[{ip}]"
    nmap = [
        ("<>", f"<{TARGET}>"),
        (f"<antispam@{DOMAIN}>", f"<{TARGET}>"),
        (f"<antispam@{HOSTNAME}>", f"<{TARGET}>"),
        (f"<{sender}>", f"<{TARGET}>"),
        (f"<{sender}>", f"<{TARGET_USER}%{TARGET_DOMAIN}@[{ip}]>"),
        (f"<{sender}>", f"<{TARGET_USER}%{TARGET_DOMAIN}@{HOSTNAME}>"),
        (f"<{sender}>", f'<"{TARGET}">'),
        (f"<{sender}>", f'<"{TARGET_USER}%{TARGET_DOMAIN}">'),
        (f"<{sender}>", f"<{TARGET}@[{ip}]>"),
        (f"<{sender}>", f'<"{TARGET}"@[{ip}]>'),
        (f"<{sender}>", f"<{TARGET}@{HOSTNAME}>"),
        (f"<{sender}>", f"<@[{ip}]:{TARGET}>"),
        (f"<{sender}>", f"<@{HOSTNAME}:{TARGET}>"),
        (f"<{sender}>", f"<{TARGET_DOMAIN}!{TARGET_USER}>"),
        (f"<{sender}>", f"<{TARGET_DOMAIN}!{TARGET_USER}@[{ip}]>"),
        (f"<{sender}>", f"<{TARGET_DOMAIN}!{TARGET_USER}@{HOSTNAME}>"),
    ]
    ours = [
        f'<"{TARGET}"@{DOMAIN}>',
        f'<"{TARGET_USER}%{TARGET_DOMAIN}"@{DOMAIN}>',
        f"<{TARGET_USER}%{TARGET_DOMAIN}@{DOMAIN}>",
        f"<{TARGET}@{DOMAIN}>",
        f"<{TARGET_DOMAIN}!{TARGET_USER}@{DOMAIN}>",
        f"<@{DOMAIN}:{TARGET}>",
        f'<"{TARGET_DOMAIN}!{TARGET_USER}"@{DOMAIN}>',
        f'<"@{DOMAIN}:{TARGET}">',
        f"<{TARGET}.>",
        f"<{TARGET_USER}@{TARGET_DOMAIN}.{DOMAIN}>",
        f"<{TARGET_USER}@[{ip}]>",
    ]
    return nmap + [(f"<{OUTSIDER}>", rcpt) for rcpt in ours]


def attempt_all(server, port, tls, ip):
    """Each attempt in a session of its own (smtpd hangs up after 20 errors); the RCPT answers
    that were not refusals."""
    accepted = []
    for mail_from, rcpt_to in relay_attempts(ip):
        session = Dialog(server, port=port, starttls_with=tls)
        try:
            session.command(f"MAIL FROM:{mail_from}")
            code, text = session.command(f"RCPT TO:{rcpt_to}")
            if code < 400:
                accepted.append((mail_from, rcpt_to, text))
        finally:
            session.close()
    return accepted


@pytest.mark.parametrize("port", [25, 587])
def test_the_open_relay_battery_is_refused_and_nothing_is_queued(host, server, tls, port):
    ip = server
    before = set(queue_ids(host))
    # Port 587 without authentication, before and after STARTTLS; port 25 after STARTTLS.
    accepted = attempt_all(server, port, tls, ip)
    if port == 587:
        accepted += attempt_all(server, port, None, ip)
    assert accepted == []
    time.sleep(1)
    assert set(queue_ids(host)) == before


def test_a_bare_newline_dot_does_not_end_the_message(server, tls, accounts):
    """SMTP smuggling: <LF>.<LF>, <CR>.<CR> and mixed forms must not end DATA, so what follows
    them cannot become a second message from a forged sender."""
    truong = accounts["truong"]
    subjects = []
    for ending in (b"\n.\n", b"\r\n.\n", b"\n.\r\n", b"\r.\r", b"\r.\r\n"):
        subject, smuggled = unique("Thư thật"), unique("SMUGGLED")
        subjects.append((subject, smuggled))
        session = Dialog(server, starttls_with=tls)
        try:
            assert session.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
            assert session.command(f"RCPT TO:<{truong.address}>")[0] == 250
            assert session.command("DATA")[0] == 354
            session.send_raw(
                f"From: {OUTSIDER}\r\nSubject: {subject}\r\n\r\nNội dung thật.".encode()
                + ending
                + f"MAIL FROM:<giamao@{DOMAIN}>\r\nRCPT TO:<{truong.address}>\r\nDATA\r\n"
                  f"From: giamao@{DOMAIN}\r\nSubject: {smuggled}\r\n\r\nThư lậu.\r\n.\r\n".encode()
            )
            code, text = session.read()
            assert code == 250, text
        finally:
            session.close()
    for subject, smuggled in subjects:
        assert len(fetch_by_subject(server, tls, truong.address, truong.password, subject)) == 1
        assert fetch_by_subject(server, tls, truong.address, truong.password, smuggled, wait=0) == []


def test_a_message_over_the_limit_is_refused_with_552(host, server, tls, accounts):
    limit = int(host.check_output("postconf -h message_size_limit"))
    truong = accounts["truong"]
    # Announced with SIZE: refused at MAIL FROM, before any byte is sent.
    with smtplib.SMTP(server, 25, timeout=30) as client:
        client.starttls(context=tls)
        client.ehlo()
        assert client.does_esmtp and int(client.esmtp_features["size"]) == limit
        code, text = client.mail(OUTSIDER, [f"SIZE={limit + 1}"])
        assert code == 552, text
        assert client.mail(OUTSIDER, [f"SIZE={limit // 2}"])[0] == 250
    # Not announced: refused at the end of DATA.
    session = Dialog(server, starttls_with=tls)
    try:
        assert session.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
        assert session.command(f"RCPT TO:<{truong.address}>")[0] == 250
        assert session.command("DATA")[0] == 354
        session.send_raw(f"From: {OUTSIDER}\r\nSubject: {unique('Tệp quá lớn')}\r\n\r\n".encode())
        line = b"x" * 998 + b"\r\n"
        for _ in range(limit // len(line) + 1):
            session.send_raw(line)
        code, text = session.command(".")
        assert code == 552, text
    finally:
        session.sock.close()
