"""TLS on every mail port: Mozilla's intermediate profile (TLS 1.2 and 1.3) and the server's
certificate from the private CA."""

import socket
import ssl

import pytest
from conftest import HOSTNAME, testinfra_hosts

__all__ = ["testinfra_hosts"]


def starttls(sock, port):
    """Read the greeting and ask for TLS, in the port's protocol."""
    reader = sock.makefile("rb")

    def until(ok):
        while True:
            line = reader.readline()
            assert line, "connection closed"
            if ok(line):
                return line

    if port in (25, 587):
        until(lambda line: line[3:4] == b" ")
        sock.sendall(b"EHLO client.example\r\n")
        until(lambda line: line[3:4] == b" ")
        sock.sendall(b"STARTTLS\r\n")
        assert until(lambda line: line[3:4] == b" ").startswith(b"220")
    elif port == 143:
        until(lambda line: line.startswith(b"* OK"))
        sock.sendall(b"a STARTTLS\r\n")
        assert until(lambda line: line.startswith(b"a ")).startswith(b"a OK")
    elif port == 110:
        until(lambda line: line.startswith(b"+OK"))
        sock.sendall(b"STLS\r\n")
        assert until(lambda line: True).startswith(b"+OK")
    elif port == 4190:
        until(lambda line: line.startswith(b"OK"))
        sock.sendall(b"STARTTLS\r\n")
        assert until(lambda line: True).startswith(b"OK")


PORTS = [(25, True), (587, True), (465, False), (143, True), (993, False), (110, True), (995, False), (4190, True)]


def handshake(server, port, explicit, context):
    sock = socket.create_connection((server, port), timeout=15)
    if explicit:
        starttls(sock, port)
    with context.wrap_socket(sock, server_hostname=HOSTNAME) as tls_sock:
        return tls_sock.version(), tls_sock.getpeercert()


@pytest.mark.parametrize(("port", "explicit"), PORTS)
def test_tls_1_2_and_1_3_with_the_server_certificate(server, ca_file, port, explicit):
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        context = ssl.create_default_context(cafile=ca_file)  # checks the chain and the name
        context.minimum_version = context.maximum_version = version
        got, cert = handshake(server, port, explicit, context)
        assert got == version.name.replace("v1_", "v1.")
        assert ("DNS", HOSTNAME) in cert["subjectAltName"]


@pytest.mark.parametrize(("port", "explicit"), PORTS)
def test_tls_1_1_and_weak_ciphers_are_refused(server, port, explicit):
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
    old.set_ciphers("ALL:@SECLEVEL=0")  # this client would agree; the server must not
    old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        handshake(server, port, explicit, old)

    cbc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cbc.check_hostname, cbc.verify_mode = False, ssl.CERT_NONE
    cbc.maximum_version = ssl.TLSVersion.TLSv1_2
    cbc.set_ciphers("AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA")  # not in the intermediate profile
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        handshake(server, port, explicit, cbc)
