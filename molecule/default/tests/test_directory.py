"""The directory (roles pki and openldap, playbook accounts.yml), checked with real LDAP clients
inside the instance: the network cases go over TCP to slapd, as Postfix, Dovecot and webmail will.

Accounts with their own role, so the order of the tests does not matter (and none that
test_accounts.py changes): GL-0001 binds with its initial password, GL-0003 tries weak
passwords, GL-0004 changes its password, GL-0013 (locked) and GL-0021 (recalled) are locked by
the roster, GL-0029 is locked out by failed binds.
"""

import base64
import csv
import os
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner

_runner = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
testinfra_hosts = [f"podman://{name}" for name in _runner.get_hosts("mailservers")]

PKI = "/etc/mailgov/pki"
NEW_PASSWORD = "Matkhou@2025"
WRONG = "Sai-mat-khau-9"


@pytest.fixture(scope="module")
def site(render):
    values = render("mail_base_dn", "mail_domain_dn", "mail_hostname", "openldap_admin_password",
                    "openldap_service_passwords", "openldap_password_policy")
    values["admin_dn"] = f"cn=admin,{values['mail_base_dn']}"
    return values


@pytest.fixture(scope="module")
def initial():
    """Initial passwords by account id, from the newest list accounts.yml wrote."""
    lists = sorted(Path(os.environ["MAILGOV_TEST_PASSWORD_DIR"]).glob("*.csv"), key=lambda p: p.stat().st_mtime)
    assert lists, "accounts.yml wrote no initial password list"
    with lists[-1].open(newline="", encoding="utf-8") as stream:
        return {row["id"]: row["initial_password"] for row in csv.DictReader(stream)}


def person(site, ident):
    return f"uid={ident},ou=people,{site['mail_domain_dn']}"


def service(site, name):
    return f"cn={name},ou=services,{site['mail_base_dn']}"


def whoami(host, dn, password, uri="ldap://localhost", starttls=True):
    tls = "-ZZ " if starttls else ""
    return host.run(f"ldapwhoami -x {tls}-e ppolicy -H %s -D %s -w %s", uri, dn, password)


def search(host, dn, password, base, filterstr, *attrs):
    return host.run("ldapsearch -x -ZZ -LLL -o ldif-wrap=no -H ldap://localhost -D %s -w %s -b %s %s "
                    + " ".join(["%s"] * len(attrs)), dn, password, base, filterstr, *attrs)


def modify(host, dn, password, ldif):
    return host.run("printf '%%s\\n' %s | ldapmodify -x -ZZ -H ldap://localhost -D %s -w %s", ldif, dn, password)


def passwd(host, dn, password, new, target=None):
    """Change the password of dn (giving the old one), or as dn the password of target."""
    if target:
        return host.run("ldappasswd -x -ZZ -H ldap://localhost -D %s -w %s -s %s %s", dn, password, new, target)
    return host.run("ldappasswd -x -ZZ -H ldap://localhost -D %s -w %s -a %s -s %s", dn, password, password, new)


def root_search(host, base, filterstr, *attrs, scope="sub"):
    """As root over ldapi:///, the way the sync module binds."""
    cmd = host.run("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -o ldif-wrap=no -s %s -b %s %s "
                   + " ".join(["%s"] * len(attrs)), scope, base, filterstr, *attrs)
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout


def values(ldif, attr):
    """Values of attr in LDIF output, base64 ones decoded to bytes."""
    found = []
    for line in ldif.splitlines():
        name, _, value = line.partition(":")
        if name.lower() != attr.lower():
            continue
        if value.startswith(":"):
            found.append(base64.b64decode(value[1:].strip()))
        else:
            found.append(value.strip().encode())
    return found


def test_slapd_listens(host):
    slapd = host.service("slapd")
    assert slapd.is_running
    assert slapd.is_enabled
    for port in (389, 636):
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening


def test_key_files(host):
    assert host.file(f"{PKI}/ca.key").mode == 0o600
    assert host.file(f"{PKI}/ca.key").user == "root"
    key = host.file(f"{PKI}/server.key")
    assert (key.mode, key.user, key.group) == (0o640, "root", "ssl-cert")
    assert "ssl-cert" in host.user("openldap").groups


@pytest.mark.parametrize("base", ["", "ou=gialai.gov.vn,", "ou=people,ou=gialai.gov.vn,", "ou=services,"])
@pytest.mark.parametrize("starttls", [True, False])
def test_anonymous_reads_nothing(host, site, base, starttls):
    tls = "-ZZ " if starttls else ""
    cmd = host.run(f"ldapsearch -x {tls}-LLL -H ldap://localhost -b %s %s dn userPassword",
                   base + site["mail_base_dn"], "(objectClass=*)")
    assert cmd.rc in (0, 32), cmd.stderr  # 32: the suffix itself is invisible
    assert "dn:" not in cmd.stdout


@pytest.mark.parametrize("name", ["mail_hostname", "localhost"])
def test_starttls_verifies_with_the_system_trust_store(host, site, name):
    uri = f"ldap://{site.get(name, name)}"
    cmd = whoami(host, site["admin_dn"], site["openldap_admin_password"], uri)
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout.strip() == f"dn:{site['admin_dn']}"


@pytest.mark.parametrize("name", ["mail_hostname", "localhost", "127.0.0.1"])
def test_ldaps_verifies_with_the_ca(host, site, name):
    uri = f"ldaps://{site.get(name, name)}"
    cmd = host.run("LDAPTLS_CACERT=%s LDAPTLS_REQCERT=demand ldapwhoami -x -H %s -D %s -w %s",
                   f"{PKI}/ca.crt", uri, site["admin_dn"], site["openldap_admin_password"])
    assert cmd.rc == 0, cmd.stderr


def test_another_ca_is_not_accepted(host, site):
    cmd = host.run("LDAPTLS_CACERT=/etc/ssl/certs/ssl-cert-snakeoil.pem ldapwhoami -x -H ldaps://localhost -D %s -w %s",
                   site["admin_dn"], site["openldap_admin_password"])
    assert cmd.rc != 0


def test_tls_1_2_is_the_minimum(host, site):
    ldif = root_search(host, "cn=config", "(objectClass=*)", "olcTLSProtocolMin", scope="base")
    assert values(ldif, "olcTLSProtocolMin") == [b"3.3"]


@pytest.mark.parametrize("name", ["mail_hostname", "localhost"])
def test_simple_bind_without_tls_is_refused(host, site, name):
    cmd = whoami(host, site["admin_dn"], site["openldap_admin_password"], f"ldap://{site.get(name, name)}", starttls=False)
    assert cmd.rc == 13, cmd.stderr
    assert "Confidentiality required" in cmd.stderr


@pytest.mark.parametrize("name", ["postfix", "dovecot", "webmail"])
def test_service_account_binds(host, site, name):
    cmd = whoami(host, service(site, name), site["openldap_service_passwords"][name])
    assert cmd.rc == 0, cmd.stderr


def test_service_account_reads_entries_but_not_passwords(host, site, initial):
    cmd = search(host, service(site, "postfix"), site["openldap_service_passwords"]["postfix"],
                 site["mail_base_dn"], "(objectClass=mailAccount)", "mail", "userPassword", "pwdHistory")
    assert cmd.rc == 0, cmd.stderr
    assert "mail: quynhhtn.stttt@gialai.gov.vn" in cmd.stdout
    assert len(values(cmd.stdout, "mail")) >= len(initial)
    assert "userPassword" not in cmd.stdout
    assert "pwdHistory" not in cmd.stdout


def test_service_account_cannot_write(host, site):
    ldif = f"dn: {person(site, 'GL-0002')}\nchangetype: modify\nreplace: displayName\ndisplayName: Đổi tên"
    cmd = modify(host, service(site, "webmail"), site["openldap_service_passwords"]["webmail"], ldif)
    assert cmd.rc == 50, cmd.stderr


def test_person_binds_with_the_initial_password(host, site, initial):
    cmd = whoami(host, person(site, "GL-0001"), initial["GL-0001"])
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout.strip() == f"dn:{person(site, 'GL-0001')}"
    if site["openldap_password_policy"]["must_change_initial"]:
        assert "Password must be changed" in cmd.stderr


def test_initial_password_only_allows_changing_it(host, site, initial):
    if not site["openldap_password_policy"]["must_change_initial"]:
        pytest.skip("the policy lets people keep the initial password")
    cmd = search(host, person(site, "GL-0001"), initial["GL-0001"], site["mail_base_dn"], "(uid=GL-0001)", "mail")
    assert cmd.rc == 50
    assert "restricted" in cmd.stderr


def test_person_with_a_wrong_password_fails(host, site):
    assert whoami(host, person(site, "GL-0001"), WRONG).rc == 49


@pytest.mark.parametrize("ident", ["GL-0013", "GL-0021"])
def test_locked_and_recalled_accounts_cannot_bind(host, site, initial, ident):
    cmd = whoami(host, person(site, ident), initial[ident])
    assert cmd.rc == 49
    assert "Account locked" in cmd.stderr


@pytest.mark.parametrize("weak", ["12345678", "matkhau123", "Matkhau123", "Matkhau^123", "Mk@1x"])
def test_weak_passwords_are_refused(host, site, initial, weak):
    cmd = passwd(host, person(site, "GL-0003"), initial["GL-0003"], weak)
    assert cmd.rc != 0
    assert "Constraint violation" in cmd.stdout + cmd.stderr


def test_weak_password_is_refused_by_a_modify(host, site, initial):
    dn = person(site, "GL-0003")
    ldif = (f"dn: {dn}\nchangetype: modify\ndelete: userPassword\nuserPassword: {initial['GL-0003']}\n-\n"
            "add: userPassword\nuserPassword: matkhau123")
    cmd = modify(host, dn, initial["GL-0003"], ldif)
    assert cmd.rc == 19, cmd.stderr


@pytest.fixture(scope="module")
def changed(host, site, initial):
    """GL-0004 after changing its initial password for NEW_PASSWORD (once, even on a second verify)."""
    dn = person(site, "GL-0004")
    cmd = passwd(host, dn, initial["GL-0004"], NEW_PASSWORD)
    if cmd.rc != 0:
        assert whoami(host, dn, NEW_PASSWORD).rc == 0, cmd.stdout + cmd.stderr
    return dn


def test_compliant_password_is_accepted(host, changed):
    cmd = whoami(host, changed, NEW_PASSWORD)
    assert cmd.rc == 0, cmd.stderr
    assert "must be changed" not in cmd.stderr


def test_old_password_cannot_come_back(host, site, initial, changed):
    if not site["openldap_password_policy"]["history"]:
        pytest.skip("the policy keeps no history")
    cmd = passwd(host, changed, NEW_PASSWORD, initial["GL-0004"])
    assert cmd.rc != 0
    assert "history" in cmd.stdout + cmd.stderr


def test_person_reads_others_but_not_their_passwords(host, site, changed):
    cmd = search(host, changed, NEW_PASSWORD, site["mail_base_dn"], "(uid=GL-0003)", "mail", "userPassword")
    assert cmd.rc == 0, cmd.stderr
    assert "mail: tienminhth.stttt@gialai.gov.vn" in cmd.stdout
    assert "userPassword" not in cmd.stdout


def test_person_cannot_change_another_password(host, site, changed):
    cmd = passwd(host, changed, NEW_PASSWORD, "Khac@Mat9khau", target=person(site, "GL-0003"))
    assert cmd.rc != 0
    assert "Insufficient access" in cmd.stdout + cmd.stderr


def test_person_cannot_change_the_directory(host, changed):
    ldif = f"dn: {changed}\nchangetype: modify\nreplace: mailQuota\nmailQuota: 99999999999"
    assert modify(host, changed, NEW_PASSWORD, ldif).rc == 50


def test_failed_binds_lock_the_account(host, site, initial):
    failures = site["openldap_password_policy"]["lockout_failures"]
    if not failures:
        pytest.skip("the policy never locks accounts")
    dn = person(site, "GL-0029")
    for _ in range(failures):
        assert whoami(host, dn, WRONG).rc == 49
    cmd = whoami(host, dn, initial["GL-0029"])
    assert cmd.rc == 49
    assert "Account locked" in cmd.stderr
    assert values(root_search(host, dn, "(objectClass=*)", "pwdAccountLockedTime", scope="base"), "pwdAccountLockedTime")


def test_passwords_are_argon2(host, site, initial):
    prefix = b"{ARGON2}$argon2id$"
    hashes = values(root_search(host, site["mail_base_dn"], "(userPassword=*)", "userPassword"), "userPassword")
    assert len(hashes) >= len(initial) + 3  # the roster's accounts and the service accounts
    assert all(h.startswith(prefix) for h in hashes)
    root_pw = values(root_search(host, "olcDatabase={1}mdb,cn=config", "(objectClass=*)", "olcRootPW", scope="base"),
                     "olcRootPW")
    assert root_pw[0].startswith(prefix)


def test_default_policy_follows_the_roster(host, site):
    rules = site["openldap_password_policy"]
    ldif = root_search(host, f"cn=default,ou=policies,{site['mail_base_dn']}", "(objectClass=*)", "*", scope="base")
    expected = {
        "pwdMinLength": rules["min_length"],
        "pwdMaxAge": (rules["max_age_days"] or 0) * 86400,
        "pwdInHistory": rules["history"],
        "pwdMaxFailure": rules["lockout_failures"],
        "pwdLockoutDuration": rules["lockout_minutes"] * 60,
        "pwdFailureCountInterval": rules["lockout_window_minutes"] * 60,
        "pwdGraceAuthNLimit": rules["grace_logins"],
        "pwdMustChange": "TRUE" if rules["must_change_initial"] else "FALSE",
    }
    for attr, value in expected.items():
        assert values(ldif, attr) == [str(value).encode()], attr
    module_arg = values(ldif, "pwdCheckModuleArg")[0].decode()
    special = rules["special_characters"] or ""
    assert f"class-special {special}" in module_arg


def test_directory_holds_the_roster(host, site, initial):
    ldif = root_search(host, site["mail_base_dn"], "(objectClass=mailAccount)", "uid")
    assert set(initial) <= {v.decode() for v in values(ldif, "uid")}
    for ou in ("people", "mailboxes", "units"):
        root_search(host, f"ou={ou},{site['mail_domain_dn']}", "(objectClass=organizationalUnit)", "ou", scope="base")
    for ou in ("services", "policies"):
        root_search(host, f"ou={ou},{site['mail_base_dn']}", "(objectClass=organizationalUnit)", "ou", scope="base")
