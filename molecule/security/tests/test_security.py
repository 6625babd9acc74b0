"""The server attacked as from the internet, and defended by the engines built for it.

- fail2ban bans this machine (the attacker) before slapd locks the account it guesses, over IMAP,
  SMTP AUTH and webmail; the owner still logs in from another address (the instance's own).
- An initial password (pwdReset) opens no IMAP, POP3 or SMTP session, only webmail, to change it;
  an expired password gets grace logins for that; reset-password.yml hands out a new one.
- MTA-STS, the audit trail of a unit mailbox, rspamd keeping the mail to itself, and TLS as
  testssl sees it.
"""

import csv
import hashlib
import imaplib
import json
import poplib
import re
import secrets
import smtplib
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from email.message import EmailMessage

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from conftest import (BASE, DOMAIN, HOSTNAME, UNIT, deliver, imap_login, playbook, set_password,  # noqa: F401
                      testinfra_hosts, wait_for)
from selenium.webdriver.common.by import By

URL = f"https://{HOSTNAME}/"
ROOT_DN = f"ou=people,{BASE}"
REFUSAL = "doi mat khau tai https://mail.gialai.gov.vn/"

# A client run on the instance, to its own public address: the owner, somewhere else.
OWNER = r"""
import imaplib, smtplib, ssl, sys
kind, server, login, password = sys.argv[1:5]
ctx = ssl.create_default_context(cafile="/etc/mailgov/pki/ca.crt")
ctx.check_hostname = False
if kind == "imap":
    with imaplib.IMAP4_SSL(server, 993, ssl_context=ctx, timeout=60) as client:
        print(client.login(login, password)[0])
else:
    with smtplib.SMTP(server, 587, timeout=60) as client:
        client.starttls(context=ctx)
        print(client.login(login, password)[0])
"""


def strong_password():
    return f"Mk@{secrets.token_hex(5)}7Z"


def ldap_entry(host, uid, *attrs):
    return host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -o ldif-wrap=no -LLL -b %s -s base "
                             "'(objectClass=*)' %s", f"uid={uid},{ROOT_DN}", " ".join(attrs))


def set_initial(host, uid):
    """A known password that must be changed, as an administrator's reset leaves it."""
    account = set_password(host, uid)
    host.check_output("printf %s | ldapmodify -Q -Y EXTERNAL -H ldapi:///",
                      f"dn: uid={uid},{ROOT_DN}\nchangetype: modify\nreplace: pwdReset\npwdReset: TRUE\n")
    return account


def policy(host):
    out = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -b cn=default,ou=policies,dc=gialai,dc=gov,dc=vn "
                            "-s base '(objectClass=*)' pwdMaxFailure pwdFailureCountInterval")
    return {k: int(v) for k, v in re.findall(r"^(\w+): (\d+)$", out, re.M)}


def banned(host, jail="mailgov-auth"):
    return host.check_output("fail2ban-client get %s banip", jail).split()


def owner_logs_in(host, server, kind, account):
    result = host.run("python3 -c %s %s %s %s %s", OWNER, kind, server, account.address, account.password)
    assert result.rc == 0 and ("OK" in result.stdout or "235" in result.stdout), result.stderr


def assert_not_locked(host, uid):
    """slapd counted fewer failures than its lockout needs, and the account is open."""
    entry = ldap_entry(host, uid, "pwdFailureTime", "pwdAccountLockedTime")
    assert "pwdAccountLockedTime" not in entry, entry
    assert entry.count("pwdFailureTime:") < policy(host)["pwdMaxFailure"], entry


# Webmail, in the browser.
def wait(driver, check, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout).until(check)


def log_in(driver, address, password):
    driver.get(URL)
    wait(driver, lambda d: d.find_elements(By.ID, "rcmloginuser"))
    driver.find_element(By.ID, "rcmloginuser").send_keys(address)
    driver.find_element(By.ID, "rcmloginpwd").send_keys(password)
    driver.find_element(By.ID, "rcmloginsubmit").click()


def change_password(driver, current, new):
    wait(driver, lambda d: "_action=plugin.password" in d.current_url and d.find_elements(By.ID, "newpasswd"))
    for field, value in (("curpasswd", current), ("newpasswd", new), ("confpasswd", new)):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, ".formbuttons button.submit, .formbuttons button.mainaction").click()
    wait(driver, lambda d: "thành công" in d.execute_script(
        "var m = document.getElementById('messagestack'); return m ? m.textContent : '';"))


# First logins, resets and expired passwords.
def test_an_initial_password_opens_no_mail_client_session_only_webmail(host, server, tls, browser):
    account = set_initial(host, "GL-0018")
    with pytest.raises(imaplib.IMAP4.error, match=REFUSAL):
        imap_login(server, tls, account.address, account.password)
    client = poplib.POP3_SSL(server, 995, context=tls, timeout=60)
    client.user(account.address)
    with pytest.raises(poplib.error_proto, match=REFUSAL):
        client.pass_(account.password)
    with smtplib.SMTP(server, 587, timeout=60) as smtp:
        smtp.starttls(context=tls)
        with pytest.raises(smtplib.SMTPAuthenticationError) as err:
            smtp.login(account.address, account.password)
        assert err.value.smtp_code == 535

    # Webmail takes it, and keeps the person on the password screen until it is changed.
    new = strong_password()
    log_in(browser, account.address, account.password)
    change_password(browser, account.password, new)
    assert "pwdReset" not in ldap_entry(host, "GL-0018", "pwdReset")
    imap_login(server, tls, account.address, new).logout()


def test_reset_password_gives_a_new_initial_password_and_clears_the_lockout(host, server, tls, browser, tmp_path):
    uid = "GL-0019"
    account = set_password(host, uid)
    dn = f"uid={uid},{ROOT_DN}"
    for _ in range(policy(host)["pwdMaxFailure"]):
        host.run("ldapwhoami -x -ZZ -H ldap://127.0.0.1 -D %s -w wrong", dn)
    assert "pwdAccountLockedTime" in ldap_entry(host, uid, "pwdAccountLockedTime")

    reference = "Phiếu yêu cầu số 7/2026 của Sở Nội vụ"
    playbook("reset-password.yml", reset=uid, reset_reference=reference, accounts_password_dir=str(tmp_path))
    [listing] = tmp_path.glob("*-reset-*.csv")
    [row] = csv.DictReader(listing.open(encoding="utf-8"))
    assert row["address"] == account.address and row["id"] == uid
    assert "pwdAccountLockedTime" not in ldap_entry(host, uid, "pwdAccountLockedTime")
    # The new password is right (the refusal comes only after the check) but must be changed first.
    with pytest.raises(imaplib.IMAP4.error, match=REFUSAL):
        imap_login(server, tls, account.address, row["initial_password"])
    request = json.loads(host.file("/var/lib/mailgov/lifecycle/requests.jsonl").content_string.splitlines()[-1])
    assert request == {"time": request["time"], "address": account.address, "uid": uid, "action": "reset",
                       "reference": reference}
    assert reference in host.check_output("journalctl -t mailgov-lifecycle --since -10min --no-pager")

    new = strong_password()
    log_in(browser, account.address, row["initial_password"])
    change_password(browser, row["initial_password"], new)
    imap_login(server, tls, account.address, new).logout()


def test_reset_password_refuses_a_recalled_account(tmp_path):
    result = playbook("reset-password.yml", check=False, reset="GL-0021", reset_reference="Số 8",
                      accounts_password_dir=str(tmp_path))
    assert result.returncode != 0
    assert "is recalled: there is no account to reset" in result.stdout


def test_an_expired_password_is_changed_through_grace_logins(host, browser):
    uid = "GL-0020"
    account = set_password(host, uid)
    host.check_output("printf %s | ldapmodify -Q -Y EXTERNAL -H ldapi:/// -e relax",
                      f"dn: uid={uid},{ROOT_DN}\nchangetype: modify\nreplace: pwdChangedTime\n"
                      "pwdChangedTime: 20200101000000Z\n")
    new = strong_password()
    log_in(browser, account.address, account.password)
    change_password(browser, account.password, new)
    entry = ldap_entry(host, uid, "pwdChangedTime", "pwdGraceUseTime")
    assert "pwdGraceUseTime" not in entry and "pwdChangedTime: 2020" not in entry


# What the server publishes, records and sends out.
def test_the_mta_sts_policy_matches_the_printed_records(host, server, ca_file):
    records = host.file("/etc/mailgov/dns-records.txt").content_string
    context = ssl.create_default_context(cafile=ca_file)
    for domain in (DOMAIN, "sct.gialai.gov.vn"):
        name = f"mta-sts.{domain}"
        with socket.create_connection((server, 443), timeout=30) as raw, \
                context.wrap_socket(raw, server_hostname=name) as conn:
            conn.sendall(f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
            response = b"".join(iter(lambda: conn.recv(65536), b""))
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and b"text/plain" in head, head
        policy_text = body.decode()
        fields = dict(line.split(": ", 1) for line in policy_text.splitlines())
        mx = re.search(rf"^{re.escape(domain)}\. IN MX 10 (\S+)\.$", records, re.M).group(1)
        assert fields["version"] == "STSv1" and fields["mx"] == mx and fields["mode"] in ("testing", "enforce")
        policy_id = hashlib.sha256(body).hexdigest()[:20]
        assert f'_mta-sts.{domain}. IN TXT "v=STSv1; id={policy_id}"' in records
        assert f'_smtp._tls.{domain}. IN TXT "v=TLSRPTv1; rua=mailto:' in records


def test_the_dane_record_names_the_key_port_25_presents(host, server, tls):
    records = host.file("/etc/mailgov/dns-records.txt").content_string
    with smtplib.SMTP(server, 25, timeout=30) as client:
        client.starttls(context=tls)
        der = client.sock.getpeercert(binary_form=True)
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert f"_25._tcp.{HOSTNAME}. IN TLSA 3 1 1 {hashlib.sha256(spki).hexdigest()}" in records


def test_a_delegates_delete_in_a_unit_mailbox_is_in_the_audit_trail(host, server, tls):
    delegate = set_password(host, "GL-0001")
    token = secrets.token_hex(4)
    message = EmailMessage()
    message["From"], message["To"] = "van.thu@example.org", UNIT
    message["Subject"] = f"Giấy mời họp giao ban {token}"
    message.set_content("Kính gửi Sở.")
    deliver(server, tls, "van.thu@example.org", [UNIT], message.as_bytes())
    login = f"{UNIT}*{delegate.address}"

    def expunge():
        client = imap_login(server, tls, login, delegate.password)
        try:
            client.select("INBOX")
            found = client.search(None, "SUBJECT", token)[1][0].split()
            for number in found:
                client.store(number, "+FLAGS", "\\Deleted")
            client.expunge()
            return found
        finally:
            client.logout()

    assert wait_for(expunge)
    log = wait_for(lambda: [line for line in host.check_output(
        "journalctl -u dovecot --since -5min --no-pager -o cat").splitlines() if token in line and "expunge" in line])
    assert f"imap({UNIT}, by {delegate.address})" in log[0] and f"Giấy mời họp giao ban {token}" in log[0]


def test_rspamd_sends_no_digest_of_the_mail_out(host):
    modules = host.check_output("rspamadm configdump -m")
    disabled = re.search(r"Modules disabled \(explicitly\): (.*)", modules).group(1).split(", ")
    assert {"fuzzy_check", "url_redirector"} <= set(disabled)


@pytest.mark.parametrize("port, starttls", [(465, None), (587, "smtp"), (993, None), (995, None), (443, None)])
def test_testssl_finds_no_old_protocol_and_no_weak_cipher(server, port, starttls, tmp_path):
    report = tmp_path / "testssl.json"
    subprocess.run(["testssl", "--quiet", "--color", "0", "--warnings", "off", "--protocols", "--std",
                    *(["--starttls", starttls] if starttls else []), "--jsonfile", str(report), f"{server}:{port}"],
                   capture_output=True, text=True, timeout=300, check=False)
    found = {item["id"]: item["finding"] for item in json.loads(report.read_text())}
    for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert found[old].startswith("not offered"), (old, found[old])
    assert found["TLS1_2"].startswith("offered") and found["TLS1_3"].startswith("offered")
    for weak in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                 "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"):
        assert found[weak].startswith("not offered"), (weak, found[weak])


# Guessing passwords: the attacker is banned, the owner is not locked out.
def imap_once(server, tls, login, password):
    """One login with a short timeout: once banned, the attacker's connections go nowhere."""
    with imaplib.IMAP4_SSL(server, 993, ssl_context=tls, timeout=5) as client:
        client.login(login, password)


def smtp_once(server, tls, login, password):
    """One AUTH PLAIN on submission (smtplib's login() would try each mechanism in turn)."""
    with smtplib.SMTP(server, 587, timeout=5) as client:
        client.starttls(context=tls)
        client.ehlo()
        client.user, client.password = login, password
        client.auth("PLAIN", client.auth_plain)


@pytest.mark.parametrize("kind, once, uid", [("imap", imap_once, "GL-0014"), ("smtp", smtp_once, "GL-0015")])
def test_guessing_is_cut_off_before_the_account_locks(host, server, tls, attacker, unban, kind, once, uid):
    account = set_password(host, uid)
    refused = cut = 0
    for attempt in range(20):
        try:
            once(server, tls, account.address, f"Sai-{attempt}!")
        except (imaplib.IMAP4.error, smtplib.SMTPAuthenticationError):
            refused += 1
        except (OSError, smtplib.SMTPException):
            cut += 1
    assert cut >= 15, (refused, cut)
    assert attacker in banned(host)
    assert_not_locked(host, uid)
    owner_logs_in(host, server, kind, account)


def test_webmail_guessing_bans_the_person_not_webmail(host, server, browser, attacker, unban):
    account = set_password(host, "GL-0017")
    browser.implicitly_wait(0)
    for attempt in range(10):
        log_in(browser, account.address, f"Sai-{attempt}!")
        if wait_for(lambda: attacker in banned(host), timeout=3):
            break
        wait(browser, lambda d: "_task=login" in d.current_url and d.find_elements(By.ID, "rcmloginuser"))
    # Banned is this machine, which Dovecot saw behind webmail, not webmail's own address.
    assert attacker in banned(host) and "127.0.0.1" not in banned(host)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"https://{server}/", context=ssl._create_unverified_context(), timeout=5)
    assert_not_locked(host, "GL-0017")
    owner_logs_in(host, server, "imap", account)
    # The operator lifts the ban: the sign-in page is there again.
    host.check_output("fail2ban-client unban %s", attacker)
    page = urllib.request.urlopen(f"https://{server}/", context=ssl._create_unverified_context(), timeout=30)
    assert page.status == 200 and b"rcmloginuser" in page.read()


def test_a_flood_of_webmail_sign_ins_is_banned(host, server, attacker, unban):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    answers = []
    for _ in range(30):
        request = urllib.request.Request(f"https://{server}/?_task=login", data=b"_task=login&_action=login",
                                         method="POST")
        try:
            answers.append(urllib.request.urlopen(request, context=context, timeout=5).status)
        except urllib.error.HTTPError as err:
            answers.append(err.code)
        except OSError:
            answers.append("cut")
    assert 429 in answers, answers
    assert wait_for(lambda: attacker in banned(host, "mailgov-webmail"), timeout=30)
