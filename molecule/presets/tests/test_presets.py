"""The five regulations side by side on one server, one domain each: Gia Lai (gialai), its
Department of Industry and Trade (binhdinh_sct), District 4 (tphcm_q4), Yên Bái (yenbai) and the
Quảng Trị Provincial Party Committee (quangtri_tu). Each preset's quota, message size, password
rules, fixed mailboxes and lifecycle periods, against slapd, Postfix, rspamd and Dovecot."""

import email.policy
import imaplib
import json
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage

import pytest
from conftest import (
    ACCOUNTS, HOSTNAME, OUTSIDER, POLICIES, deliver, fetch_by_subject, imap_login, quota_limit, set_password, submit,
    testinfra_hosts, unique,
)

__all__ = ["testinfra_hosts"]

# One person of each domain, by roster id.
PEOPLE = {"gialai.gov.vn": "GL-0005", "sct.gialai.gov.vn": "SCT-0003", "tphcm.gov.vn": "Q4-0001",
          "yenbai.gov.vn": "YB-0001", "tinhuyquangtri.vn": "QT-0001"}
MIB = 1 << 20


def letter(sender, to, subject, attachment=0):
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("Kính gửi anh chị,\n\nXin gửi văn bản kèm theo.\n", charset="utf-8")
    if attachment:
        msg.add_attachment(b"\0" * attachment, maintype="application", subtype="pdf", filename="van-ban.pdf")
    return msg.as_bytes()


def test_the_policies_differ_where_the_regulations_do():
    """What the tests below check against the services: the presets really differ there."""
    assert POLICIES["tphcm.gov.vn"]["quota"]["person"] == "1G" and POLICIES["tphcm.gov.vn"]["attachment_max"] == "15M"
    assert "digit" not in POLICIES["sct.gialai.gov.vn"]["password"]["require"]
    assert POLICIES["gialai.gov.vn"]["password"]["special_characters"] == "!@#%$*&"
    assert {m["local_part"] for m in POLICIES["tinhuyquangtri.vn"]["fixed_mailboxes"]} == {"vanthuvanphong", "admin"}


@pytest.mark.parametrize("domain", sorted(PEOPLE))
def test_each_domain_receives_mail_read_over_imap_with_the_quota_of_its_policy(host, server, tls, domain):
    person = set_password(host, PEOPLE[domain])
    assert person.address == ACCOUNTS[PEOPLE[domain]]["address"] and person.address.endswith("@" + domain)
    subject = unique(f"Giấy mời họp giao ban — {domain}")
    assert deliver(server, tls, OUTSIDER, [person.address], letter(OUTSIDER, person.address, subject)) == {}
    assert fetch_by_subject(server, tls, person.address, person.password, subject)
    assert quota_limit(server, tls, person.address, person.password) == ACCOUNTS[PEOPLE[domain]]["quota_bytes"]


@pytest.mark.parametrize("ident", ["fixed:q4", "fixed:admin"])
def test_the_fixed_mailboxes_of_the_presets_receive_mail(host, server, tls, ident):
    mailbox = set_password(host, ident)
    assert mailbox.address in ("q4@tphcm.gov.vn", "admin@tinhuyquangtri.vn")
    subject = unique("Văn bản đến")
    assert deliver(server, tls, OUTSIDER, [mailbox.address], letter(OUTSIDER, mailbox.address, subject)) == {}
    assert fetch_by_subject(server, tls, mailbox.address, mailbox.password, subject)


def test_the_records_office_opens_vanthuvanphong_with_its_own_password(host, server, tls):
    records, other = set_password(host, "QT-0002"), set_password(host, "QT-0001")
    mailbox = "vanthuvanphong@tinhuyquangtri.vn"
    subject = unique("Công văn đến Văn phòng Tỉnh ủy")
    assert deliver(server, tls, OUTSIDER, [mailbox], letter(OUTSIDER, mailbox, subject)) == {}
    assert fetch_by_subject(server, tls, f"{mailbox}*{records.address}", records.password, subject)
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(server, tls, f"{mailbox}*{other.address}", other.password)  # not named in fixed_delegates


NO_DIGIT, CARET = "Matkhau@CongVu", "Matkhau^2025"  # no digit; a special character Gia Lai does not count


@pytest.mark.parametrize("domain, password, accepted", [
    ("gialai.gov.vn", NO_DIGIT, False), ("sct.gialai.gov.vn", NO_DIGIT, True), ("tphcm.gov.vn", NO_DIGIT, False),
    ("yenbai.gov.vn", NO_DIGIT, False), ("tinhuyquangtri.vn", NO_DIGIT, False),
    ("gialai.gov.vn", CARET, False), ("sct.gialai.gov.vn", CARET, True), ("tphcm.gov.vn", CARET, True),
    ("yenbai.gov.vn", CARET, True), ("tinhuyquangtri.vn", CARET, True),
])
def test_each_domain_checks_a_new_password_by_its_own_rules(host, domain, password, accepted):
    person = set_password(host, PEOPLE[domain])
    dn = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -o ldif-wrap=no -b dc=gialai,dc=gov,dc=vn "
                           "'(uid=%s)' 1.1", PEOPLE[domain]).split("dn: ", 1)[1].split()[0]
    assert dn.endswith(f",ou=people,ou={domain},dc=gialai,dc=gov,dc=vn")
    cmd = host.run("ldappasswd -x -ZZ -H ldap://localhost -D %s -w %s -a %s -s %s", dn, person.password,
                   person.password, password)
    assert (cmd.rc == 0) == accepted, cmd.stdout + cmd.stderr
    if not accepted:
        assert "Constraint violation" in cmd.stdout + cmd.stderr


@pytest.fixture(scope="module")
def senders(host):
    return {domain: set_password(host, PEOPLE[domain]) for domain in ("gialai.gov.vn", "tphcm.gov.vn")}


@pytest.mark.parametrize("sender, recipient, size, accepted", [
    ("tphcm.gov.vn", "gialai.gov.vn", 16 * MIB, False),  # District 4's 15 MB, for what its people send
    ("gialai.gov.vn", "tphcm.gov.vn", 16 * MIB, False),  # and for what they receive
    ("gialai.gov.vn", "gialai.gov.vn", 16 * MIB, True),  # Gia Lai's 25 MB
    ("tphcm.gov.vn", "gialai.gov.vn", 10 * MIB, True),
])
def test_each_domain_has_the_message_size_of_its_policy(server, tls, senders, sender, recipient, size, accepted):
    account = senders[sender]
    to = ACCOUNTS[PEOPLE[recipient]]["address"]
    subject = unique(f"Hồ sơ {size // MIB} MB")
    message = letter(account.address, to, subject, attachment=size)
    if accepted:
        assert submit(server, tls, account, [to], message) == {}
        return
    with pytest.raises(smtplib.SMTPDataError) as refused:
        submit(server, tls, account, [to], message)
    assert refused.value.smtp_code == 554 and b"too large for the policy of its domain" in refused.value.smtp_error


def test_each_domain_has_its_dkim_key_its_records_and_its_names_in_the_certificate(host, server, ca_file):
    records = host.file("/etc/mailgov/dns-records.txt").content_string
    keys = set()
    for domain in PEOPLE:
        assert re.search(rf"^{re.escape(domain)}\. IN MX 10 {HOSTNAME}\.$", records, re.M), domain
        key = re.search(rf"^mail\._domainkey\.{re.escape(domain)}\. IN TXT \( (.*) \)$", records, re.M)
        assert key, domain
        keys.add(key.group(1))
    assert len(keys) == len(PEOPLE)
    context = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection((server, 993), timeout=30) as sock, \
            context.wrap_socket(sock, server_hostname=HOSTNAME) as tls_sock:
        names = {value for kind, value in tls_sock.getpeercert()["subjectAltName"] if kind == "DNS"}
    assert {f"{prefix}.{domain}" for domain in PEOPLE for prefix in ("mail", "autoconfig", "autodiscover")} <= names


def test_each_domain_has_the_lifecycle_periods_of_its_policy(host):
    """200 days on, in a dry run: Gia Lai and District 4 recall an unused account (180 days); the
    others only lock it (90 days), their regulations recalling nobody for that."""
    addresses = {domain: ACCOUNTS[PEOPLE[domain]]["address"] for domain in PEOPLE}
    argv = ["mailgov-lifecycle", "--json", "--dry-run", "--now", "$(date -d '+200 days' -Iseconds)"]
    out = host.check_output(" ".join(argv + [f"--account={a}" for a in addresses.values()]))
    done = {}
    for action in json.loads(out)["actions"]:
        done.setdefault(action["address"], set()).add(action["action"])
    for domain, address in addresses.items():
        recalls = POLICIES[domain]["lifecycle"]["recall_unused_days"] is not None
        assert ("recall" in done.get(address, set())) == recalls, (domain, done.get(address))
        assert done.get(address, set()) & {"lock", "recall"}, (domain, done.get(address))
