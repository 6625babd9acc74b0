"""Thunderbird autoconfig, Outlook autodiscover and the Apple configuration profile, fetched
over HTTPS at the names clients try, describe exactly the ports the server offers: each one
listed answers as described, and every client port that listens is listed. The certificate
names every domain the server serves; a hosted domain gets the answers with its own addresses
as logins, the alias domain with the login of the roster's domain, the legacy domains none."""

import http.client
import imaplib
import plistlib
import poplib
import secrets
import smtplib
import socket
import ssl
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from conftest import DOMAIN, HOSTNAME, set_password, testinfra_hosts

__all__ = ["testinfra_hosts"]

# Where mail clients may connect, and how TLS starts there: what the server must offer.
OFFERED = {("imap", 993, "ssl"), ("imap", 143, "starttls"), ("pop3", 995, "ssl"),
           ("pop3", 110, "starttls"), ("smtp", 465, "ssl"), ("smtp", 587, "starttls")}
AUTODISCOVER_NS = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"
# The demo roster's other domains (inventories/demo/group_vars/all/roster.yml).
ALIAS_DOMAIN = "gialai.vn"
HOSTED_DOMAIN = "sct.gialai.gov.vn"
LEGACY_DOMAINS = ("binhdinh.gov.vn", "sct.binhdinh.gov.vn")
LEGACY_ADDRESS = "hanhpt@binhdinh.gov.vn"  # an old address of a person from Bình Định
CLIENT_NAMES = {f"{prefix}.{domain}" for domain in (DOMAIN, HOSTED_DOMAIN, ALIAS_DOMAIN, *LEGACY_DOMAINS)
                for prefix in ("mail", "autoconfig", "autodiscover")}


class NamedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a name of the server at the instance's address, checked against the CA."""

    def __init__(self, address, name, context):
        super().__init__(name, 443, context=context, timeout=30)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, 443), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(server, ca_file, name, path, method="GET", body=None):
    context = ssl.create_default_context(cafile=ca_file)  # checks the name too
    connection = NamedHTTPS(server, name, context)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "text/xml"} if body else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def read_autoconfig(server, ca_file, name, path, domain, username):
    """Thunderbird's answer at a name: its services, each checked for host and login."""
    status, headers, body = fetch(server, ca_file, name, f"{path}?emailaddress=a@{domain}")
    assert status == 200 and "xml" in headers["Content-Type"]
    root = ET.fromstring(body)
    assert root.find("emailProvider").findtext("domain") == domain
    services = set()
    for element in root.iter():
        if element.tag in ("incomingServer", "outgoingServer"):
            assert element.findtext("hostname") == HOSTNAME
            assert element.findtext("username") == username
            tls = {"SSL": "ssl", "STARTTLS": "starttls"}[element.findtext("socketType")]
            services.add((element.get("type"), int(element.findtext("port")), tls))
    return services


def read_autodiscover(server, ca_file, name, address):
    """Outlook's answer for an address: its services and the login names it gives."""
    request = (
        '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/'
        'exchange/autodiscover/outlook/requestschema/2006"><Request>'
        f"<EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/"
        "exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>")
    status, _, body = fetch(server, ca_file, name, "/autodiscover/autodiscover.xml", "POST", request)
    assert status == 200
    services, logins = set(), set()
    for protocol in ET.fromstring(body).iter(AUTODISCOVER_NS + "Protocol"):
        assert protocol.findtext(AUTODISCOVER_NS + "Server") == HOSTNAME
        logins.add(protocol.findtext(AUTODISCOVER_NS + "LoginName"))
        tls = {"SSL": "ssl", "TLS": "starttls"}[protocol.findtext(AUTODISCOVER_NS + "Encryption")]
        services.add((protocol.findtext(AUTODISCOVER_NS + "Type").lower(), int(protocol.findtext(AUTODISCOVER_NS + "Port")), tls))
    return services, logins


@pytest.fixture(scope="module")
def autoconfig(server, ca_file):
    return read_autoconfig(server, ca_file, f"autoconfig.{DOMAIN}", "/mail/config-v1.1.xml", DOMAIN, "%EMAILADDRESS%")


@pytest.fixture(scope="module")
def autodiscover(server, ca_file):
    address = f"someone@{DOMAIN}"
    services, logins = read_autodiscover(server, ca_file, f"autodiscover.{DOMAIN}", address)
    assert logins == {address}
    return services


def test_autoconfig_lists_what_the_server_offers(autoconfig, autodiscover):
    assert autoconfig == OFFERED
    assert autodiscover == OFFERED


def test_every_client_port_that_listens_is_described(host, autoconfig):
    listening = {int(s.rsplit(":", 1)[1]) for s in host.socket.get_listening_sockets() if s.startswith("tcp")}
    described = {port for _, port, _ in autoconfig}
    assert {port for _, port, _ in OFFERED} & listening == described


def test_each_described_port_answers_as_described(host, server, tls, autoconfig):
    """Log in on every port the answer lists, starting TLS the way it says."""
    user = set_password(host, "GL-0004", f"Tt@{secrets.token_hex(5)}9")
    for protocol, port, mode in sorted(autoconfig):
        if protocol == "imap":
            client = (imaplib.IMAP4_SSL(server, port, ssl_context=tls, timeout=30) if mode == "ssl"
                      else imaplib.IMAP4(server, port, timeout=30))
            if mode == "starttls":
                client.starttls(ssl_context=tls)
            client.login(user.address, user.password)
            client.logout()
        elif protocol == "pop3":
            client = (poplib.POP3_SSL(server, port, context=tls, timeout=30) if mode == "ssl"
                      else poplib.POP3(server, port, timeout=30))
            if mode == "starttls":
                client.stls(context=tls)
            client.user(user.address)
            client.pass_(user.password)
            client.quit()
        else:
            client = (smtplib.SMTP_SSL(server, port, context=tls, timeout=30) if mode == "ssl"
                      else smtplib.SMTP(server, port, timeout=30))
            with client:
                if mode == "starttls":
                    client.starttls(context=tls)
                client.login(user.address, user.password)


def test_https_only_with_hsts(server, ca_file):
    """Plain HTTP only redirects; HTTPS sends HSTS and a session cookie that is Secure."""
    connection = http.client.HTTPConnection(server, 80, timeout=30)
    connection.request("GET", "/?_task=mail", headers={"Host": HOSTNAME})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOSTNAME}/?_task=mail"
    connection.close()

    status, headers, body = fetch(server, ca_file, HOSTNAME, "/")
    assert status == 200
    assert "max-age=" in headers["Strict-Transport-Security"]
    cookie = headers["Set-Cookie"]
    assert "secure" in cookie.lower() and "httponly" in cookie.lower()
    assert "Đăng nhập".encode() in body or "Tên người dùng".encode() in body or b'lang="vi"' in body


def test_no_other_php_runs(server, ca_file):
    """Only Roundcube's entry points and the autodiscover answer run PHP."""
    status, _, _ = fetch(server, ca_file, HOSTNAME, "/program/include/iniset.php")
    assert status == 404
    status, _, _ = fetch(server, ca_file, HOSTNAME, "/config/config.inc.php")
    assert status == 404




def presented_certificate(server, ca_file, port):
    """The certificate a TLS client gets on a port (IMAP and submission from the first byte),
    checked against the CA for the server's name: its DER bytes and its DNS names."""
    context = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection((server, port), timeout=30) as sock, \
            context.wrap_socket(sock, server_hostname=HOSTNAME) as tls_sock:
        names = {value for kind, value in tls_sock.getpeercert()["subjectAltName"] if kind == "DNS"}
        return tls_sock.getpeercert(binary_form=True), names


def test_the_certificate_names_every_domain_the_server_serves(server, ca_file):
    """HTTPS, IMAP over TLS and submission over TLS present one certificate, with mail.,
    autoconfig. and autodiscover. of the roster's domain, the alias domain and the legacy ones."""
    presented = {port: presented_certificate(server, ca_file, port) for port in (443, 993, 465)}
    assert len({der for der, _ in presented.values()}) == 1
    for port, (_, names) in presented.items():
        assert CLIENT_NAMES <= names, (port, sorted(CLIENT_NAMES - names))
    for name in sorted(CLIENT_NAMES):  # each name is also checked by a client that asks for it
        status, _, _ = fetch(server, ca_file, name, "/.well-known/autoconfig/mail/config-v1.1.xml")
        assert status in (200, 404)


@pytest.mark.parametrize("name, path", [
    (f"autoconfig.{ALIAS_DOMAIN}", "/mail/config-v1.1.xml"),
    (f"autoconfig.{ALIAS_DOMAIN}", "/.well-known/autoconfig/mail/config-v1.1.xml"),
])
def test_the_alias_domain_gets_autoconfig_with_the_main_domain_login(server, ca_file, name, path):
    services = read_autoconfig(server, ca_file, name, path, ALIAS_DOMAIN, f"%EMAILLOCALPART%@{DOMAIN}")
    assert services == OFFERED


def test_a_hosted_domain_gets_every_answer_with_its_own_addresses(server, ca_file):
    name = f"autoconfig.{HOSTED_DOMAIN}"
    assert read_autoconfig(server, ca_file, name, "/mail/config-v1.1.xml", HOSTED_DOMAIN, "%EMAILADDRESS%") == OFFERED
    address = f"HungDV@{HOSTED_DOMAIN}"
    services, logins = read_autodiscover(server, ca_file, f"autodiscover.{HOSTED_DOMAIN}", address)
    assert services == OFFERED and logins == {address}
    [mail] = mobileconfig(server, ca_file, address, name)["PayloadContent"]
    assert mail["IncomingMailServerUsername"] == mail["OutgoingMailServerUsername"] == address.lower()


@pytest.mark.parametrize("name", [f"{prefix}.{domain}" for domain in LEGACY_DOMAINS for prefix in ("autoconfig", "mail")])
def test_the_legacy_domains_get_no_autoconfig(server, ca_file, name):
    for path in ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"):
        status, _, _ = fetch(server, ca_file, name, path)
        assert status == 404, (name, path)


def test_autodiscover_gives_an_alias_domain_address_the_main_domain_login(server, ca_file):
    services, logins = read_autodiscover(server, ca_file, f"autodiscover.{ALIAS_DOMAIN}", f"Some.One@{ALIAS_DOMAIN}")
    assert services == OFFERED
    assert logins == {f"Some.One@{DOMAIN}"}
    _, logins = read_autodiscover(server, ca_file, f"autodiscover.{DOMAIN}", LEGACY_ADDRESS)
    assert logins == {None}  # a legacy address is not a login


def mobileconfig(server, ca_file, address, name=HOSTNAME):
    status, headers, body = fetch(server, ca_file, name, "/mobileconfig?email=" + quote(address))
    assert status == 200, body
    assert headers["Content-Type"] == "application/x-apple-aspen-config"
    return plistlib.loads(body)


def test_the_apple_profile_describes_the_mailbox(server, ca_file, autoconfig):
    address = f"someone@{ALIAS_DOMAIN}"
    profile = mobileconfig(server, ca_file, address, f"autoconfig.{ALIAS_DOMAIN}")
    assert profile["PayloadType"] == "Configuration" and profile["PayloadVersion"] == 1
    assert profile["PayloadIdentifier"].startswith(".".join(reversed(DOMAIN.split("."))) + ".")
    [mail] = profile["PayloadContent"]
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert mail["EmailAccountType"] == "EmailTypeIMAP" and mail["EmailAddress"] == address
    ssl_port = {protocol: port for protocol, port, mode in autoconfig if mode == "ssl"}
    assert (mail["IncomingMailServerHostName"], mail["IncomingMailServerPortNumber"]) == (HOSTNAME, ssl_port["imap"])
    assert (mail["OutgoingMailServerHostName"], mail["OutgoingMailServerPortNumber"]) == (HOSTNAME, ssl_port["smtp"])
    assert mail["IncomingMailServerUseSSL"] is True and mail["OutgoingMailServerUseSSL"] is True
    assert mail["IncomingMailServerUsername"] == mail["OutgoingMailServerUsername"] == f"someone@{DOMAIN}"
    assert "IncomingPassword" not in mail and "OutgoingPassword" not in mail
    # The names people see are Vietnamese, with their diacritics, in NFC.
    shown = [profile["PayloadDisplayName"], profile["PayloadDescription"], mail["PayloadDisplayName"],
             mail["EmailAccountDescription"]]
    assert all(unicodedata.is_normalized("NFC", text) for text in shown)
    assert "Thư điện tử công vụ" in profile["PayloadDisplayName"] and "Hộp thư" in mail["PayloadDisplayName"]


def test_the_apple_profile_is_the_same_on_every_download(server, ca_file):
    """Version 5 UUIDs from the address: a second download replaces the installed profile."""
    address = f"someone@{DOMAIN}"
    first, again = mobileconfig(server, ca_file, address), mobileconfig(server, ca_file, address.upper())
    namespace = uuid.uuid5(uuid.NAMESPACE_DNS, DOMAIN)
    assert first["PayloadUUID"] == again["PayloadUUID"] == str(uuid.uuid5(namespace, f"mobileconfig:{address}")).upper()
    assert first["PayloadIdentifier"] == again["PayloadIdentifier"]
    assert first["PayloadContent"][0]["PayloadUUID"] == again["PayloadContent"][0]["PayloadUUID"] != first["PayloadUUID"]
    other = mobileconfig(server, ca_file, f"someone.else@{DOMAIN}")
    assert other["PayloadUUID"] != first["PayloadUUID"]


@pytest.mark.parametrize("address, status", [
    (LEGACY_ADDRESS, 404),
    (f"someone@{LEGACY_DOMAINS[1]}", 404),
    ("ban.be@example.org", 404),
    ("not-an-address", 400),
    ("", 400),
])
def test_the_apple_profile_is_only_for_the_domains_people_log_in_with(server, ca_file, address, status):
    got, _, _ = fetch(server, ca_file, HOSTNAME, "/mobileconfig?email=" + quote(address))
    assert got == status


def test_the_apple_profile_logs_in(host, server, ca_file, tls):
    """A real IMAP and submission login with what the profile of an alias-domain address says."""
    user = set_password(host, "GL-0004", f"Tt@{secrets.token_hex(5)}9")
    local = user.address.split("@")[0]
    [mail] = mobileconfig(server, ca_file, f"{local}@{ALIAS_DOMAIN}")["PayloadContent"]
    assert mail["IncomingMailServerUsername"] == user.address
    client = imaplib.IMAP4_SSL(server, mail["IncomingMailServerPortNumber"], ssl_context=tls, timeout=30)
    client.login(mail["IncomingMailServerUsername"], user.password)
    client.logout()
    with smtplib.SMTP_SSL(server, mail["OutgoingMailServerPortNumber"], context=tls, timeout=30) as client:
        client.login(mail["OutgoingMailServerUsername"], user.password)
