"""The filters as Ansible calls them: names, errors, and a real playbook run."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from mail_roster import FilterModule

from test_roster_errors import BASE

ROOT = Path(__file__).resolve().parents[1]
FILTERS = FilterModule().filters()


def test_filter_names():
    assert set(FILTERS) == {"render_accounts", "mail_policy", "mail_domains", "mail_policies", "mail_client_names",
                            "mail_size_limits", "mail_ban_rule",
                            "vn_ascii",
                            "size_bytes", "password_problems", "initial_password", "initial_password_list",
                            "notice_problems"}


@pytest.mark.parametrize("name, args, message", [
    ("render_accounts", ({"policy": "gialai", "people": [{"id": "x", "name": "An", "unit": "zz"}]},),
     "render_accounts: the roster has 1 problem:\n  - people[0].unit: unknown unit 'zz'"),
    ("size_bytes", ("lots",), "size_bytes: 'lots' is not a size"),
    ("vn_ascii", (42,), "vn_ascii: expects text, got 42"),
    ("mail_policy", ("nowhere",), "mail_policy: the policy has 1 problem"),
    ("mail_domains", ({"policy": "gialai", "legacy_domains": ["Gia Lai"]},),
     "mail_domains: the roster has 1 problem:\n  - legacy_domains[0]: 'Gia Lai' is not a domain name"),
    ("initial_password_list", ([{"uid": "GL-1"}], "seed", {"min_length": 12}),
     "initial_password_list: expects a list of mappings with address and id"),
    ("initial_password_list", ([{"id": "x", "address": "x@yenbai.gov.vn"}], "seed", {"gialai.gov.vn": {}}),
     "initial_password_list: x@yenbai.gov.vn is in none of the domains of rules (gialai.gov.vn)"),
    ("mail_ban_rule", ({"gialai.gov.vn": {"quota": {}}},), "mail_ban_rule: expects each domain's policy (mail_policies)"),
    ("mail_policies", ({"policy": "gialai", "hosted": [{"policy": "yenbai", "domain": "gialai.gov.vn"}]},),
     "hosted[0].domain: gialai.gov.vn is already the roster's domain; list each domain once"),
])
def test_errors_name_the_filter_and_the_bad_value(name, args, message):
    with pytest.raises(AnsibleFilterError) as err:
        FILTERS[name](*args)
    assert message in str(err.value)


def test_password_problems_takes_the_roster():
    assert FILTERS["password_problems"]("Matkhou@123", BASE) == []
    assert FILTERS["password_problems"]("matkhau123", "gialai")


def test_initial_password_list_is_the_operators_csv_of_the_derived_passwords():
    rules = FILTERS["mail_policy"]("gialai")["password"]
    issued = [{"id": "GL-1", "address": "QuynhHTN.stttt@gialai.gov.vn"}, {"id": "stttt", "address": "stttt@gialai.gov.vn"}]
    rows = list(csv.reader(io.StringIO(FILTERS["initial_password_list"](issued, "seed", rules))))
    assert rows == [["address", "id", "initial_password"],
                    ["quynhhtn.stttt@gialai.gov.vn", "GL-1",
                     FILTERS["initial_password"]("seed", "quynhhtn.stttt@gialai.gov.vn", rules)],
                    ["stttt@gialai.gov.vn", "stttt", FILTERS["initial_password"]("seed", "stttt@gialai.gov.vn", rules)]]
    found = [{"uid": "GL-1", "mail": "quynhhtn.stttt@gialai.gov.vn"}]
    assert FILTERS["initial_password_list"](found, "seed", rules, address="mail", ident="uid").splitlines()[1] == \
        ",".join(rows[1])
    assert FILTERS["initial_password_list"]([], "seed", rules) == "address,id,initial_password\n"


@pytest.fixture(scope="module")
def ansible_run(tmp_path_factory):
    """Render the roster through a real ansible-playbook run with the project's ansible.cfg."""
    work = tmp_path_factory.mktemp("play")
    (work / "roster.json").write_text(json.dumps(BASE, ensure_ascii=False), encoding="utf-8")
    out = work / "accounts.json"
    playbook = work / "play.yml"
    playbook.write_text(f"""
- hosts: localhost
  gather_facts: false
  vars:
    roster: "{{{{ lookup('ansible.builtin.file', '{work}/roster.json') | from_json }}}}"
  tasks:
    - ansible.builtin.copy:
        content: "{{{{ roster | render_accounts | to_json }}}}"
        dest: "{out}"
        mode: "0600"
    - ansible.builtin.assert:
        that:
          - "'Đặng Thị Hoà' | vn_ascii == 'Dang Thi Hoa'"
          - "'1.5G' | size_bytes == 1610612736"
          - "(roster | mail_policy).domain == 'gialai.gov.vn'"
""", encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_FILTER_PLUGINS=str(ROOT / "filter_plugins"))
    bindir = Path(sys.executable).parent
    result = subprocess.run([str(bindir / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
                            capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    return result, out


def test_filters_work_in_a_playbook(ansible_run):
    result, out = ansible_run
    assert result.returncode == 0, result.stdout + result.stderr
    accounts = {a["id"]: a for a in json.loads(out.read_text(encoding="utf-8"))}
    assert accounts["GL-0001"]["address"] == "quynhhtn.stttt@gialai.gov.vn"
    assert accounts["GL-0001"]["display_name"] == "Hoàng Thị Như Quỳnh"


@pytest.mark.parametrize("roster, expected", [
    ({"policy": "gialai"}, {"domain": "gialai.gov.vn", "legacy": [], "alias": [], "moved_notice": []}),
    ({"policy": "gialai", "legacy_domains": [" BinhDinh.gov.vn"], "alias_domains": ["gialai.vn"], "legacy_notice": True},
     {"domain": "gialai.gov.vn", "legacy": ["binhdinh.gov.vn"], "alias": ["gialai.vn"],
      "moved_notice": ["binhdinh.gov.vn"]}),
    ({"policy": "gialai", "domain": "sct.gialai.gov.vn", "legacy_domains": ["binhdinh.gov.vn"]},
     {"domain": "sct.gialai.gov.vn", "legacy": ["binhdinh.gov.vn"], "alias": [], "moved_notice": []}),
])
def test_mail_domains_reads_the_domains_as_the_sync_does(roster, expected):
    assert FILTERS["mail_domains"](roster) == dict(expected, hosted=expected.get("hosted", []))


HOSTED = {"policy": "gialai", "hosted": [{"policy": "binhdinh_sct", "domain": "sct.gialai.gov.vn"},
                                         {"policy": "tphcm_q4"}]}


def test_mail_domains_and_mail_policies_read_the_hosted_domains():
    assert FILTERS["mail_domains"](HOSTED)["hosted"] == ["sct.gialai.gov.vn", "tphcm.gov.vn"]
    policies = FILTERS["mail_policies"](HOSTED)
    assert list(policies) == ["gialai.gov.vn", "sct.gialai.gov.vn", "tphcm.gov.vn"]
    assert policies["sct.gialai.gov.vn"]["password"]["require"] == ["upper", "lower", "special"]
    assert policies["tphcm.gov.vn"]["quota"]["person"] == "1G"


def test_initial_password_list_takes_each_domains_rules():
    policies = FILTERS["mail_policies"](HOSTED)
    issued = [{"id": "a", "address": "a@gialai.gov.vn"}, {"id": "b", "address": "B@sct.gialai.gov.vn"}]
    rows = list(csv.reader(io.StringIO(FILTERS["initial_password_list"](issued, "seed", policies))))
    assert rows[1][2] == FILTERS["initial_password"]("seed", "a@gialai.gov.vn", policies["gialai.gov.vn"]["password"])
    assert rows[2][2] == FILTERS["initial_password"]("seed", "b@sct.gialai.gov.vn",
                                                     policies["sct.gialai.gov.vn"]["password"])


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_ansible_doc_shows_every_filter(name):
    bindir = Path(sys.executable).parent
    env = dict(os.environ, ANSIBLE_FILTER_PLUGINS=str(ROOT / "filter_plugins"))
    result = subprocess.run([str(bindir / "ansible-doc"), "-t", "filter", name],
                            capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert result.returncode == 0 and "EXAMPLES" in result.stdout and "RETURN" in result.stdout, result.stderr
