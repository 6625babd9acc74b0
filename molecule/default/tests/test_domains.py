"""Several mail domains on one server (docs/directory.md): the demo hosts sct.gialai.gov.vn, the
Department of Industry and Trade under its own regulation (the binhdinh_sct preset). Its branch
sits beside Gia Lai's below the one suffix, slapd checks its passwords by its own rules (no digit
required), and its people log in, get mail and open their unit's mailbox at its addresses."""

import csv
import imaplib
import os
import re
from pathlib import Path

import pytest
from conftest import BASE, server, testinfra_hosts, tls  # noqa: F401
from mailclients import OUTSIDER, SUFFIX, deliver, fetch_by_subject, imap_login, quota_limit, unique
from test_directory import passwd, root_search, values, whoami

__all__ = ["testinfra_hosts"]

HOSTED = "sct.gialai.gov.vn"
BRANCH = f"ou={HOSTED},{SUFFIX}"
HUNG, MAI, UNIT = f"hungdv@{HOSTED}", f"maint@{HOSTED}", f"vp@{HOSTED}"  # SCT-0002, SCT-0001, sct-vp
NO_DIGIT = "Matkhau@CongThuong"  # the SCT's rules need no digit; Gia Lai's do


@pytest.fixture(scope="module")
def initial():
    """Initial passwords by account id, from the list accounts.yml wrote at the converge."""
    lists = sorted(Path(os.environ["MAILGOV_TEST_PASSWORD_DIR"]).glob("*.csv"), key=lambda p: p.stat().st_mtime)
    with lists[-1].open(newline="", encoding="utf-8") as stream:
        return {row["id"]: row for row in csv.DictReader(stream)}


@pytest.fixture(scope="module")
def hung(host, initial):
    """SCT-0002 after changing the initial password for one with no digit (once)."""
    dn = f"uid=SCT-0002,ou=people,{BRANCH}"
    cmd = passwd(host, dn, initial["SCT-0002"]["initial_password"], NO_DIGIT)
    if cmd.rc != 0:
        assert whoami(host, dn, NO_DIGIT).rc == 0, cmd.stdout + cmd.stderr
    return dn


def test_each_mail_domain_has_its_branch_below_the_one_suffix(host):
    ldif = root_search(host, SUFFIX, "(associatedDomain=*)", "associatedDomain", scope="one")
    assert sorted(v.decode() for v in values(ldif, "associatedDomain")) == ["gialai.gov.vn", HOSTED]
    assert BASE == f"ou=gialai.gov.vn,{SUFFIX}"
    # Nothing is left where a single-domain directory kept its accounts.
    assert host.run("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -s base -b ou=people,%s", SUFFIX).rc == 32


def test_the_hosted_accounts_are_in_its_branch_with_its_password_policy(host, initial):
    ldif = root_search(host, BRANCH, "(objectClass=mailAccount)", "mail", "mailQuota", "pwdPolicySubentry")
    assert sorted(v.decode() for v in values(ldif, "mail")) == sorted(
        [UNIT, f"qlcn@{HOSTED}", MAI, HUNG, f"viettq@{HOSTED}"])
    assert set(values(ldif, "pwdPolicySubentry")) == {f"cn={HOSTED},ou=policies,{SUFFIX}".encode()}
    assert len(values(ldif, "pwdPolicySubentry")) == 5
    # Its people's default quota is its policy's; SCT-0003's is the roster's own 4G.
    viet = root_search(host, BRANCH, "(uid=SCT-0003)", "mailQuota")
    assert values(viet, "mailQuota") == [str(4 << 30).encode()]
    assert initial["SCT-0002"]["address"] == HUNG
    # Gia Lai's accounts keep the default policy.
    assert not values(root_search(host, BASE, "(uid=GL-0001)", "pwdPolicySubentry"), "pwdPolicySubentry")


def test_slapd_holds_the_hosted_domains_own_rules(host):
    policy = root_search(host, f"cn={HOSTED},ou=policies,{SUFFIX}", "(objectClass=*)", "pwdCheckModuleArg",
                         scope="base")
    rules = values(policy, "pwdCheckModuleArg")[0].decode()
    assert re.search(r"^class-digit 0123456789 0 1 0$", rules, re.M), rules
    assert re.search(r"^class-special \S+ 1 1 0$", rules, re.M), rules
    default = values(root_search(host, f"cn=default,ou=policies,{SUFFIX}", "(objectClass=*)", "pwdCheckModuleArg",
                                 scope="base"), "pwdCheckModuleArg")[0].decode()
    assert re.search(r"^class-digit 0123456789 1 1 0$", default, re.M), default


def test_a_password_is_checked_by_its_own_domains_rules(host, initial, hung):
    assert whoami(host, hung, NO_DIGIT).rc == 0
    gialai = f"uid=GL-0003,ou=people,{BASE}"
    cmd = passwd(host, gialai, initial["GL-0003"]["initial_password"], NO_DIGIT)
    assert cmd.rc != 0 and "Constraint violation" in cmd.stdout + cmd.stderr


def test_a_hosted_person_gets_mail_and_reads_it_with_the_quota_of_the_policy(server, tls, hung):  # noqa: F811
    subject = unique("Giấy mời họp giao ban Sở Công Thương")
    letter = (f"From: {OUTSIDER}\r\nTo: {HUNG}\r\nSubject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "\r\nKính gửi anh Hùng.\r\n").encode()
    assert deliver(server, tls, OUTSIDER, [HUNG], letter) == {}
    assert fetch_by_subject(server, tls, HUNG, NO_DIGIT, subject)
    assert quota_limit(server, tls, HUNG, NO_DIGIT) == 2 << 30  # the preset's 2G


def test_the_head_of_a_hosted_unit_opens_its_mailbox(host, server, tls, initial):  # noqa: F811
    mai = f"uid=SCT-0001,ou=people,{BRANCH}"
    password = "Mai@CongThuong"
    cmd = passwd(host, mai, initial["SCT-0001"]["initial_password"], password)
    assert cmd.rc == 0 or whoami(host, mai, password).rc == 0, cmd.stdout + cmd.stderr
    subject = unique("Công văn gửi Văn phòng Sở")
    letter = (f"From: {OUTSIDER}\r\nTo: {UNIT}\r\nSubject: {subject}\r\n\r\nVăn bản đến.\r\n").encode()
    assert deliver(server, tls, OUTSIDER, [UNIT], letter) == {}
    assert fetch_by_subject(server, tls, f"{UNIT}*{MAI}", password, subject)
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(server, tls, f"{UNIT}*{HUNG}", NO_DIGIT)  # not its head or a delegate
