"""The webmail role's mail_client_services module: what it reads from doveconf and postconf."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "mail_client_services", ROOT / "roles" / "webmail" / "library" / "mail_client_services.py")
services = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(services)

DOVECONF = """service imap-login {
  chroot = login
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
service managesieve-login {
  inet_listener sieve {
    port = 4190
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 995
    ssl = yes
  }
}
"""

POSTCONF_M = """smtp       inet  n       -       n       -       -       smtpd
submission inet  n       -       n       -       -       smtpd -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes
submissions inet n       -       n       -       -       smtpd -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes
127.0.0.1:10025 inet n   -       n       -       -       smtpd
2587       inet  n       -       n       -       -       smtpd -o smtpd_sasl_auth_enable=yes
pickup     unix  n       -       n       60      1       pickup
"""

POSTCONF_P = """submission/inet/smtpd_sasl_auth_enable = yes
submission/inet/smtpd_tls_security_level = encrypt
submissions/inet/smtpd_sasl_auth_enable = yes
submissions/inet/smtpd_tls_wrappermode = yes
2587/inet/smtpd_sasl_auth_enable = yes
"""


def test_dovecot_listeners_of_enabled_protocols():
    found = services.dovecot_services(["imap", "pop3", "lmtp", "sieve"], DOVECONF)
    assert found == [
        {"protocol": "imap", "port": 143, "tls": "starttls"},
        {"protocol": "imap", "port": 993, "tls": "ssl"},
        {"protocol": "pop3", "port": 995, "tls": "ssl"},  # port 0: switched off
    ]


def test_a_disabled_protocol_is_not_offered():
    assert [s["protocol"] for s in services.dovecot_services(["imap"], DOVECONF)] == ["imap", "imap"]


def test_postfix_ports_where_clients_log_in():
    found = services.postfix_services(POSTCONF_M, POSTCONF_P)
    assert found == [
        {"protocol": "smtp", "port": 587, "tls": "starttls"},
        {"protocol": "smtp", "port": 465, "tls": "ssl"},
        {"protocol": "smtp", "port": 2587, "tls": "starttls"},
    ]


def test_order_imap_pop3_smtp_tls_first():
    mixed = services.postfix_services(POSTCONF_M, POSTCONF_P) + services.dovecot_services(["imap", "pop3"], DOVECONF)
    assert [(s["protocol"], s["port"]) for s in services.ordered(mixed)] == [
        ("imap", 993), ("imap", 143), ("pop3", 995), ("smtp", 465), ("smtp", 587), ("smtp", 2587)]
