"""Thunderbird autoconfig and Outlook autodiscover, fetched over HTTPS at the names clients
try, describe exactly the ports the server offers: each one listed answers as described,
and every client port that listens is listed."""

import http.client
import imaplib
import poplib
import secrets
import smtplib
import socket
import ssl
import xml.etree.ElementTree as ET

import pytest
from conftest import DOMAIN, HOSTNAME, set_password, testinfra_hosts

__all__ = ["testinfra_hosts"]

# Where mail clients may connect, and how TLS starts there: what the server must offer.
OFFERED = {("imap", 993, "ssl"), ("imap", 143, "starttls"), ("pop3", 995, "ssl"),
           ("pop3", 110, "starttls"), ("smtp", 465, "ssl"), ("smtp", 587, "starttls")}
AUTODISCOVER_NS = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"


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


@pytest.fixture(scope="module")
def autoconfig(server, ca_file):
    status, headers, body = fetch(server, ca_file, f"autoconfig.{DOMAIN}", "/mail/config-v1.1.xml?emailaddress=a@" + DOMAIN)
    assert status == 200 and "xml" in headers["Content-Type"]
    root = ET.fromstring(body)
    services = set()
    for element in root.iter():
        if element.tag in ("incomingServer", "outgoingServer"):
            assert element.findtext("hostname") == HOSTNAME
            assert element.findtext("username") == "%EMAILADDRESS%"
            tls = {"SSL": "ssl", "STARTTLS": "starttls"}[element.findtext("socketType")]
            services.add((element.get("type"), int(element.findtext("port")), tls))
    return services


@pytest.fixture(scope="module")
def autodiscover(server, ca_file):
    address = f"someone@{DOMAIN}"
    request = (
        '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/'
        'exchange/autodiscover/outlook/requestschema/2006"><Request>'
        f"<EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/"
        "exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>")
    status, _, body = fetch(server, ca_file, f"autodiscover.{DOMAIN}", "/autodiscover/autodiscover.xml", "POST", request)
    assert status == 200
    services = set()
    for protocol in ET.fromstring(body).iter(AUTODISCOVER_NS + "Protocol"):
        assert protocol.findtext(AUTODISCOVER_NS + "Server") == HOSTNAME
        assert protocol.findtext(AUTODISCOVER_NS + "LoginName") == address
        tls = {"SSL": "ssl", "TLS": "starttls"}[protocol.findtext(AUTODISCOVER_NS + "Encryption")]
        services.add((protocol.findtext(AUTODISCOVER_NS + "Type").lower(), int(protocol.findtext(AUTODISCOVER_NS + "Port")), tls))
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


