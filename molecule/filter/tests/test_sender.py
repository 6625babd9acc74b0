"""On authenticated mail, From: carries the address the message is sent as (554 5.7.1 otherwise)."""

from conftest import (
    UNIT, fetch_by_subject, message, no_bounce_since, refusal, stored_anywhere, submit, testinfra_hosts,
    unique, verdict,
)

__all__ = ["testinfra_hosts"]


def test_an_authenticated_sender_cannot_write_somebody_else_in_from(host, server, tls, accounts, since):
    quynh, truong, tan = accounts["quynh"], accounts["truong"], accounts["tan"]
    subject = unique("Giả danh lãnh đạo")
    msg = message(f"Giám đốc Sở <{truong.address}>", tan.address, subject)

    code, text = refusal(lambda: submit(server, tls, quynh, [tan.address], msg.as_bytes()))
    assert code == 554 and "5.7.1" in text and "From: must be your own address" in text, (code, text)

    assert stored_anywhere(host, subject) == []
    assert no_bounce_since(host, since)
    line = verdict(host, since, msg["Message-ID"])
    assert "MAILGOV_FROM_NOT_SENDER" in line and truong.address in line, line


def test_own_addresses_in_from_pass_whatever_the_name_and_letter_case(server, tls, accounts):
    quynh, tan = accounts["quynh"], accounts["tan"]
    own = message(f"Nguyễn Thị Quỳnh (Sở TT&TT) <{quynh.address.upper()}>", tan.address, unique("Thư của tôi"))
    assert submit(server, tls, quynh, [tan.address], own.as_bytes()) == {}
    # A delegate writes as the unit mailbox it sends as.
    unit = message(f"Sở Thông tin và Truyền thông <{UNIT}>", tan.address, unique("Thư của Sở"))
    assert submit(server, tls, quynh, [tan.address], unit.as_bytes(), sender=UNIT) == {}

    for sent in (own, unit):
        assert fetch_by_subject(server, tls, tan.address, tan.password, sent["Subject"]), sent["Subject"]
