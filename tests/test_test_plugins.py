"""The Jinja tests of test_plugins/ that the roles check their inputs with."""

import importlib.util
from pathlib import Path

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[1] / "test_plugins"
_spec = importlib.util.spec_from_file_location("mail_checks", PLUGINS / "mail_checks.py")
checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checks)

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOk0b2V4YW1wbGVrZXlmb3J0ZXN0c29ubHk"
RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7="
ECDSA = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY="


@pytest.mark.parametrize("value, expected", [
    ("mail.gialai.gov.vn", True),
    ("gialai.gov.vn", True),
    ("gov.vn", True),
    ("mx-1.so-noi-vu.gialai.gov.vn", True),
    ("1.example.com", True),
    ("a.bc", True),
    ("Mail.gialai.gov.vn", False),
    ("mail.gialai.gov.vn.", False),
    ("mail.gialai.gov.vn\n", False),
    (".gialai.gov.vn", False),
    ("mail..gov.vn", False),
    ("-mail.gov.vn", False),
    ("mail-.gov.vn", False),
    ("mail_1.gov.vn", False),
    ("localhost", False),
    ("gialai.gov.v", False),
    ("gialai.gov.v1", False),
    ("192.0.2.10", False),
    ("mail .gov.vn", False),
    ("", False),
    (None, False),
    (42, False),
    (["mail.gialai.gov.vn"], False),
])
def test_fqdn(value, expected):
    assert checks.fqdn(value) is expected
    assert checks.domain(value) is expected


@pytest.mark.parametrize("value, of, expected", [
    ("dc=gialai,dc=gov,dc=vn", None, True),
    ("dc=gov,dc=vn", None, True),
    ("dc=so-noi-vu,dc=gialai,dc=gov,dc=vn", None, True),
    ("dc=gialai,dc=gov,dc=vn", "gialai.gov.vn", True),
    ("dc=gialai,dc=gov,dc=vn", "kontum.gov.vn", False),
    ("dc=gialai,dc=gov", "gialai.gov.vn", False),
    ("dc=localhost", None, False),
    ("dc=", None, False),
    ("dc=gialai, dc=gov, dc=vn", None, False),
    ("DC=gialai,DC=gov,DC=vn", None, False),
    ("dc=Gialai,dc=gov,dc=vn", None, False),
    ("ou=people,dc=gialai,dc=gov,dc=vn", None, False),
    ("dc=gialai,,dc=gov,dc=vn", None, False),
    ("dc=gialai,dc=gov,dc=vn,", None, False),
    ("dc=gialai.gov,dc=vn", None, False),
    ("gialai.gov.vn", None, False),
    ("", None, False),
    (None, None, False),
    ("dc=gialai,dc=gov,dc=vn", 5, False),
])
def test_dn_suffix(value, of, expected):
    assert checks.dn_suffix(value, of) is expected


@pytest.mark.parametrize("value, min_length, expected", [
    ("x7Kq2mW9pLs4", 12, True),
    ("x7Kq2mW9pLs", 12, False),
    ("x7Kq2mW9pLs4Tz8v", 16, True),
    ("x7Kq2mW9pLs4Tz8", 16, False),
    ("x7Kq2mW9pLs4Tz8v", "16", True),
    ("CHANGE-ME", 0, False),
    ("CHANGE-ME-0123456789", 12, False),
    ("0123456789-CHANGE-ME", 12, False),
    ("change-me-0123456789", 12, True),
    ("", 0, True),
    ("", 12, False),
    (None, 0, False),
    (123456789012, 12, False),
    ("x7Kq2mW9pLs4", "twelve", False),
    ("x7Kq2mW9pLs4", None, False),
    ("x7Kq2mW9pLs4", True, False),
])
def test_secret(value, min_length, expected):
    assert checks.secret(value, min_length) is expected


def test_secret_default_length():
    assert checks.secret("x7Kq2mW9pLs4")
    assert not checks.secret("x7Kq2mW9pLs")


@pytest.mark.parametrize("value, types, expected", [
    (ED25519, None, True),
    (ED25519 + " mailgov-backup@mail1", None, True),
    (ED25519 + " root@mail1\n", None, True),
    (RSA, None, True),
    (ECDSA, None, True),
    (ED25519, ["ssh-ed25519"], True),
    (ED25519 + " mailgov-backup@mail1", ["ssh-ed25519"], True),
    (ED25519, "ssh-ed25519", True),
    (RSA, ["ssh-ed25519"], False),
    (ECDSA, ["ssh-ed25519"], False),
    ("ssh-dss AAAAB3NzaC1kc3MAAACBAP8=", None, False),
    ("ssh-ed25519", None, False),
    ("ssh-ed25519 ", None, False),
    ("ssh-ed25519  AAAA", None, False),
    ("ssh-ed25519 AAAA!", None, False),
    ("ssh-ed25519 AAAA\nssh-ed25519 BBBB", None, False),
    (" " + ED25519, None, False),
    ("AAAAC3NzaC1lZDI1NTE5AAAAI", None, False),
    ("", None, False),
    (None, None, False),
    (ED25519, [], False),
    (ED25519, 5, False),
])
def test_ssh_public_key(value, types, expected):
    if types is None:
        assert checks.ssh_public_key(value) is expected
    else:
        assert checks.ssh_public_key(value, types) is expected


DEBIAN13 = {"distribution": "Debian", "distribution_major_version": "13", "distribution_version": "13.1"}


@pytest.mark.parametrize("facts, releases, expected", [
    (DEBIAN13, ["Debian-13"], True),
    (DEBIAN13, ["Debian-12", "Debian-13"], True),
    (DEBIAN13, "Debian-13", True),
    (DEBIAN13, ["Debian-12"], False),
    (DEBIAN13, [], False),
    ({"distribution": "Debian", "distribution_major_version": 13}, ["Debian-13"], True),
    ({"distribution": "Ubuntu", "distribution_major_version": "24"}, ["Debian-13"], False),
    ({"distribution": "Debian", "distribution_major_version": "12"}, ["Debian-13"], False),
    ({"distribution": "Debian"}, ["Debian-13"], False),
    ({"distribution_major_version": "13"}, ["Debian-13"], False),
    ({"distribution": "Debian", "distribution_major_version": ""}, ["Debian-"], False),
    ({}, ["Debian-13"], False),
    (None, ["Debian-13"], False),
    ("Debian-13", ["Debian-13"], False),
    (DEBIAN13, None, False),
    (DEBIAN13, 13, False),
])
def test_supported_release(facts, releases, expected):
    assert checks.supported_release(facts, releases) is expected


@pytest.mark.parametrize("facts, expected", [
    (DEBIAN13, "Debian-13"),
    ({"distribution": "Debian", "distribution_major_version": 13}, "Debian-13"),
    ({"distribution": "Debian"}, ""),
    (None, ""),
])
def test_release(facts, expected):
    assert checks.release(facts) == expected


def test_every_test_is_documented():
    tests = checks.TestModule().tests()
    for name, function in tests.items():
        doc = yaml.safe_load((PLUGINS / f"{name}.yml").read_text())
        assert doc["DOCUMENTATION"]["name"] == name
        assert doc["RETURN"]["_value"]["type"] == "boolean"
        assert doc["EXAMPLES"].strip()
        assert function.__doc__
    documented = {p.stem for p in PLUGINS.glob("*.yml")}
    assert documented == set(tests)
