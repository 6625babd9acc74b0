"""Mail between the people of the domain, in Vietnamese, sent and read with every protocol."""

import email
import email.policy
import imaplib
import poplib
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate

import pytest
from conftest import (
    ALIAS, DOMAIN, OUTSIDER, UNIT, Dialog, deliver, fetch_by_subject, imap_login, pop3_messages,
    submit, testinfra_hosts, unique, wait_for,
)

__all__ = ["testinfra_hosts"]

BODY = (
    "Kính gửi: Ông Mai Xuân Trường, Văn phòng Sở,\r\n"
    "\r\n"
    "Sở Thông tin và Truyền thông đề nghị các đơn vị triển khai thư điện tử công vụ trước "
    "ngày 15/12. ĐỀ NGHỊ KHẨN: Ủy ban nhân dân xã Ia Băng, huyện Đak Pơ, Chư Păh.\r\n"
    "Ký tự tổ hợp: ẳ ặ ẵ ỡ ữ ự ỷ ỹ Ỵ Ử Ữ.\r\n"
    "\r\n"
    "Trân trọng,\r\n"
    "Hoàng Thị Như Quỳnh\r\n"
)


def vietnamese(sender, to, subject):
    """A message as UTF-8 bytes throughout: headers (SMTPUTF8) and an 8-bit body."""
    headers = [
        f"From: Hoàng Thị Như Quỳnh <{sender}>",
        f"To: Mai Xuân Trường <{to}>",
        f"Subject: {subject}",
        f"Date: {formatdate(localtime=True)}",
        f"Message-ID: <{uuid.uuid4().hex}@{DOMAIN}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + BODY).encode("utf-8")


def encoded(sender, to, subject):
    """A message as Outlook and Thunderbird write it: RFC 2047 subject, base64 body."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(BODY.replace("\r\n", "\n"), charset="utf-8", cte="base64")
    return msg.as_bytes(policy=email.policy.SMTP)


def test_vietnamese_mail_arrives_byte_for_byte_by_imap_and_pop3(server, tls, accounts):
    quynh, truong = accounts["quynh"], accounts["truong"]
    subject = unique("Công văn số 15/STTTT-VP: Về việc triển khai thư điện tử công vụ")
    message = vietnamese(quynh.address, truong.address, subject)

    assert submit(server, tls, quynh, [truong.address], message, mail_options=["SMTPUTF8", "BODY=8BITMIME"]) == {}

    # The servers add trace headers above; everything the sender wrote follows unchanged.
    by_imap = fetch_by_subject(server, tls, truong.address, truong.password, subject)
    assert len(by_imap) == 1
    assert by_imap[0].endswith(message)
    by_pop3 = [m for m in pop3_messages(server, tls, truong) if subject.encode() in m]
    assert by_pop3 == [by_imap[0]]


def test_mail_sent_on_465_with_encoded_headers_arrives(server, tls, accounts):
    quynh, truong = accounts["quynh"], accounts["truong"]
    subject = unique("Giấy mời họp giao ban tuần — Phòng Bưu chính, Viễn thông")
    assert submit(server, tls, quynh, [truong.address], encoded(quynh.address, truong.address, subject), port=465) == {}

    found = fetch_by_subject(server, tls, truong.address, truong.password, subject)
    assert len(found) == 1
    received = email.message_from_bytes(found[0], policy=email.policy.default)
    assert str(received["Subject"]) == subject
    assert received.get_content().replace("\n", "\r\n") == BODY


def test_mail_to_an_alias_arrives(server, tls, accounts):
    truong = accounts["truong"]
    subject = unique("Thư gửi địa chỉ phụ")
    assert deliver(server, tls, OUTSIDER, [ALIAS], encoded(OUTSIDER, ALIAS, subject)) == {}
    assert len(fetch_by_subject(server, tls, truong.address, truong.password, subject)) == 1


def test_mail_to_a_unit_mailbox_arrives_and_its_delegate_opens_it(server, tls, accounts):
    quynh = accounts["quynh"]
    subject = unique("Công văn gửi Sở Thông tin và Truyền thông")
    assert deliver(server, tls, OUTSIDER, [UNIT], encoded(OUTSIDER, UNIT, subject)) == {}

    # The delegate logs in as "<unit address>*<own address>" with their own password.
    found = fetch_by_subject(server, tls, f"{UNIT}*{quynh.address}", quynh.password, subject)
    assert len(found) == 1


@pytest.mark.failed_logins
def test_a_wrong_password_fails_everywhere(server, tls, accounts):
    # The first failed logins of the run: after a few, Dovecot answers this address slowly,
    # and Postfix, tired of waiting, says 454 instead of 535.
    quynh = accounts["quynh"]
    with smtplib.SMTP(server, 587, timeout=30) as client:
        client.starttls(context=tls)
        with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
            client.login(quynh.address, quynh.password + "x")
        assert failed.value.smtp_code == 535
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(server, tls, quynh.address, quynh.password + "x")
    client = poplib.POP3_SSL(server, 995, context=tls, timeout=30)
    client.user(quynh.address)
    with pytest.raises(poplib.error_proto):
        client.pass_(quynh.password + "x")


@pytest.mark.failed_logins
def test_only_its_delegates_open_a_unit_mailbox(server, tls, accounts):
    quynh, truong = accounts["quynh"], accounts["truong"]
    refused = [
        (f"{UNIT}*{truong.address}", truong.password),  # not a delegate of stttt
        (f"{UNIT}*{quynh.address}", truong.password),  # a delegate, with someone else's password
        (UNIT, quynh.password),  # the unit's own login with the delegate's password
        (f"{truong.address}*{quynh.address}", quynh.password),  # a person's mailbox
    ]
    for login, password in refused:
        with pytest.raises(imaplib.IMAP4.error):
            imap_login(server, tls, login, password)


def test_a_delegate_sends_as_the_unit_mailbox(server, tls, accounts):
    quynh, truong = accounts["quynh"], accounts["truong"]
    subject = unique("Thư gửi thay mặt Sở")
    assert submit(server, tls, quynh, [truong.address], encoded(UNIT, truong.address, subject), sender=UNIT) == {}
    assert len(fetch_by_subject(server, tls, truong.address, truong.password, subject)) == 1


def test_a_user_sends_as_their_alias_but_not_as_anyone_else(server, tls, accounts):
    quynh, truong, tan = accounts["quynh"], accounts["truong"], accounts["tan"]
    assert submit(server, tls, truong, [tan.address], encoded(ALIAS, tan.address, unique("Bí danh")), sender=ALIAS) == {}

    for other in (truong.address, ALIAS, "ubndiabang@gialai.gov.vn", "someone@example.org"):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            submit(server, tls, quynh, [tan.address], encoded(other, tan.address, unique("Giả mạo")), sender=other)
        assert refused.value.recipients[tan.address][0] == 553, other


def test_the_postmaster_of_the_domain_gets_mail(host, server, tls):
    subject = unique("Incident report")  # ASCII: the mbox file is searched as text
    assert deliver(server, tls, OUTSIDER, [f"postmaster@{DOMAIN}"], encoded(OUTSIDER, f"postmaster@{DOMAIN}", subject)) == {}
    # postfix_role_recipient is root@localhost by default: the local root mailbox.
    assert wait_for(lambda: host.file("/var/mail/root").exists
                    and subject in host.file("/var/mail/root").content_string)


def test_no_other_server_sends_as_an_address_of_the_domain(server, tls, accounts):
    quynh, tan = accounts["quynh"], accounts["tan"]
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(server, tls, quynh.address, [tan.address], encoded(quynh.address, tan.address, unique("Giả mạo")))
    assert refused.value.recipients[tan.address][0] == 553


def test_unknown_and_recalled_recipients_get_550_at_rcpt(server, tls, accounts):
    session = Dialog(server, starttls_with=tls)
    try:
        assert session.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
        for address in (f"khongtontai@{DOMAIN}", accounts["tam"].address):
            code, text = session.command(f"RCPT TO:<{address}>")
            assert code == 550, text
        assert session.command(f"RCPT TO:<{accounts['tan'].address}>")[0] == 250
    finally:
        session.close()


@pytest.mark.failed_logins
def test_no_password_is_accepted_before_tls(server, accounts):
    quynh = accounts["quynh"]
    with smtplib.SMTP(server, 587, timeout=30) as client:
        client.ehlo()
        assert not client.has_extn("auth")
    with smtplib.SMTP(server, 25, timeout=30) as client:
        client.ehlo()
        assert not client.has_extn("auth")
    client = imaplib.IMAP4(server, 143, timeout=30)
    assert "LOGINDISABLED" in client.capabilities
    with pytest.raises(imaplib.IMAP4.error):
        client.login(quynh.address, quynh.password)
    client = poplib.POP3(server, 110, timeout=30)
    with pytest.raises(poplib.error_proto):
        client.user(quynh.address)
        client.pass_(quynh.password)


def test_auth_on_587_is_offered_after_starttls_and_never_on_25(server, tls):
    with smtplib.SMTP(server, 587, timeout=30) as client:
        client.starttls(context=tls)
        client.ehlo()
        assert client.has_extn("auth")
    with smtplib.SMTP(server, 25, timeout=30) as client:
        client.starttls(context=tls)
        client.ehlo()
        assert not client.has_extn("auth")


@pytest.mark.failed_logins
def test_a_locked_account_cannot_log_in_and_still_receives_mail(host, server, tls, accounts):
    lam = accounts["lam"]  # status locked in the roster; its password is known and right
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(server, tls, lam.address, lam.password)
    with smtplib.SMTP(server, 587, timeout=30) as client:
        client.starttls(context=tls)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(lam.address, lam.password)

    subject = unique("Thư gửi tài khoản đang bị khoá")
    assert deliver(server, tls, OUTSIDER, [lam.address], encoded(OUTSIDER, lam.address, subject)) == {}
    # Read on the server: the owner cannot log in to look.
    search = f"doveadm search -u {lam.address} mailbox INBOX subject {subject.split()[-1]}"
    assert wait_for(lambda: host.check_output(search).strip()), "the locked account did not get the message"
