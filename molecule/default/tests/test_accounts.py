"""playbooks/accounts.yml against the instance's directory, with the roster changed as admins do.

Each test runs the real playbook with a changed copy of the demo roster and reads the
directory back with ldapsearch; the demo roster is applied again at the end.
"""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner
import yaml

ROOT = Path(__file__).resolve().parents[3]
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
_runner = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
testinfra_hosts = [f"podman://{name}" for name in _runner.get_hosts("mailservers")]

DEMO = yaml.safe_load((ROOT / "inventories/demo/group_vars/all/roster.yml").read_text(encoding="utf-8"))
BASE = "ou=gialai.gov.vn,dc=gialai,dc=gov,dc=vn"  # the domain's branch

sys.path.insert(0, str(ROOT / "molecule" / "shared"))
from mailclients import directory_entry as entry  # noqa: E402 (one account as ldapsearch shows it)


def bind(host, uid, password):
    """A simple bind as the user; with pwdReset the bind succeeds, then only a password change is allowed."""
    script = (
        "import ldap, sys\n"
        "conn = ldap.initialize('ldapi:///')\n"
        "try:\n"
        "    conn.simple_bind_s(sys.argv[1], sys.argv[2]); print('ok')\n"
        "except ldap.LDAPError as err:\n"
        "    print(type(err).__name__)\n"
    )
    return host.check_output("python3 -c %s %s %s", script, f"uid={uid},ou=people,{BASE}", password)


def apply(tmp_path, roster, *args, check=True):
    """Run playbooks/accounts.yml with this roster; return the completed process."""
    roster_file = tmp_path / "roster.yml"
    roster_file.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, "playbooks/accounts.yml",
         "-e", f"@{roster_file}", "-e", f"accounts_password_dir={tmp_path / 'passwords'}", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result


def changed(result):
    recap = result.stdout[result.stdout.rindex("PLAY RECAP"):]
    return sum(int(n) for n in re.findall(r"changed=(\d+)", recap))


def roster_with(change):
    roster = copy.deepcopy(DEMO)
    change(roster["mail_roster"])
    return roster


def add_newcomer(roster):
    roster["people"].append({"id": "GL-0100", "name": "Phan Thị Thanh Tâm", "unit": "snv"})


@pytest.fixture(scope="module", autouse=True)
def demo_roster_again_at_the_end(host, tmp_path_factory):
    # A newcomer left by an earlier run would keep its address: start without it.
    host.run("ldapdelete -Q -Y EXTERNAL -H ldapi:/// uid=GL-0100,ou=people,%s", BASE)
    yield
    apply(tmp_path_factory.mktemp("restore"), DEMO)


def test_the_demo_roster_is_in_the_directory(host):
    quynh = entry(host, "GL-0001")
    assert quynh["mail"] == ["quynhhtn.stttt@gialai.gov.vn"]
    assert quynh["cn"] == ["Hoàng Thị Như Quỳnh", "Hoang Thi Nhu Quynh"]
    assert quynh["mailStatus"] == ["active"]
    unit = entry(host, "stttt-bcvt")
    assert unit["mail"] == ["bcvt.stttt@gialai.gov.vn"]
    assert unit["mailKind"] == ["unit"]
    assert entry(host, "stttt")["mailDelegate"] == [f"uid=GL-0001,ou=people,{BASE}"]
    tree = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -o ldif-wrap=no -b ou=units,%s "
                             "'(mailUnit=chupah-hoaphu)' dn", BASE)
    assert f"dn: ou=chupah-hoaphu,ou=chupah,ou=units,{BASE}" in tree


def test_a_second_run_changes_nothing(tmp_path):
    assert changed(apply(tmp_path, DEMO)) == 0


def test_check_mode_shows_the_change_and_writes_nothing(host, tmp_path):
    result = apply(tmp_path, roster_with(add_newcomer), "--check", "--diff")
    assert "uid=GL-0100,ou=people" in result.stdout
    assert "tamptt.snv@gialai.gov.vn" in result.stdout
    assert entry(host, "GL-0100") is None
    assert not (tmp_path / "passwords").exists()


def test_a_newcomer_gets_an_initial_password_to_change(host, tmp_path):
    result = apply(tmp_path, roster_with(add_newcomer))
    newcomer = entry(host, "GL-0100")
    assert newcomer["mail"] == ["tamptt.snv@gialai.gov.vn"]
    assert newcomer["pwdReset"] == ["TRUE"]
    lists = list((tmp_path / "passwords").glob("*.csv"))
    assert len(lists) == 1 and oct(lists[0].stat().st_mode & 0o777) == "0o600"
    rows = lists[0].read_text(encoding="utf-8").splitlines()
    assert rows[0] == "address,id,initial_password"
    address, ident, password = rows[1].split(",")
    assert (address, ident) == ("tamptt.snv@gialai.gov.vn", "GL-0100")
    # The password reaches neither the output nor the directory in clear.
    assert password not in result.stdout and password not in result.stderr
    assert bind(host, "GL-0100", password) == "ok"
    assert bind(host, "GL-0100", password + "x") == "INVALID_CREDENTIALS"


def test_renaming_a_person_keeps_the_address(host, tmp_path):
    def rename(roster):
        roster["people"][11]["name"] = "Huỳnh Thị Mỹ Duyên Anh"
    apply(tmp_path, roster_with(rename))
    duyen = entry(host, "GL-0012")
    assert duyen["cn"][0] == "Huỳnh Thị Mỹ Duyên Anh"
    assert duyen["mail"] == ["duyenhtm.snv@gialai.gov.vn"]


def test_removing_a_person_recalls_the_account_and_keeps_it(host, tmp_path):
    def remove(roster):
        roster["people"] = [p for p in roster["people"] if p["id"] != "GL-0030"]
    result = apply(tmp_path, roster_with(remove))
    assert changed(result) == 1
    dung = entry(host, "GL-0030")
    assert dung["mailStatus"] == ["recalled"]
    assert dung["pwdAccountLockedTime"] == ["000001010000Z"]
    assert dung["mail"] == ["dunghs.snv@gialai.gov.vn"]
    assert "userPassword" in dung


def test_locking_and_unlocking_from_the_roster(host, tmp_path):
    def lock(roster):
        roster["people"][13]["status"] = "locked"
    apply(tmp_path, roster_with(lock))
    anh = entry(host, "GL-0014")
    assert (anh["mailStatus"], anh["pwdAccountLockedTime"]) == (["locked"], ["000001010000Z"])
    apply(tmp_path, DEMO)
    anh = entry(host, "GL-0014")
    assert anh["mailStatus"] == ["active"] and "pwdAccountLockedTime" not in anh


def test_a_bad_roster_applies_nothing(host, tmp_path):
    def break_it(roster):
        add_newcomer(roster)
        roster["people"].append({"id": "GL-0101", "name": "NguyÔn V¨n B»ng", "unit": "sttt"})
    result = apply(tmp_path, roster_with(break_it), check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    broken = len(DEMO["mail_roster"]["people"]) + 1  # after the newcomer
    assert f"people[{broken}].unit: unknown unit 'sttt'" in output
    assert "legacy Vietnamese encoding" in output
    assert entry(host, "GL-0101") is None
