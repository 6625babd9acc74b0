"""The lifecycle scenario: the clients and fixtures of molecule/shared/mailclients.py, and ways
to run the lifecycle job with its clock moved forward and the playbooks from this machine."""

import csv
import datetime
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from mailclients import *  # noqa: E402,F403 (fixtures and helpers the tests import from conftest)
from mailclients import ROOT  # noqa: E402

DEMO = yaml.safe_load((ROOT / "inventories/demo/group_vars/all/roster.yml").read_text(encoding="utf-8"))
ARTIFACTS = Path(os.environ.get("MAILGOV_ARTIFACTS", ROOT / ".cache/test-artifacts")) / "lifecycle"


def rendered(page, screenshot, size):
    """The page as chromium renders it (its DOM), with a screenshot kept in ARTIFACTS for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={size}"]
    subprocess.run([*browser, f"--screenshot={ARTIFACTS / screenshot}", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    return subprocess.run([*browser, "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True).stdout


def days_ahead(days):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)


def run_job(host, days, *addresses, archive=None):
    """mailgov-lifecycle as at `days` from now, for these addresses; its JSON answer and exit status."""
    argv = ["mailgov-lifecycle", "--json", "--now", days_ahead(days).isoformat(timespec="seconds")]
    argv += [f"--account={a}" for a in addresses]
    if archive:
        argv += ["--archive-command", archive]
    cmd = host.run(" ".join(shlex.quote(a) for a in argv))
    assert cmd.stdout.startswith("{"), cmd.stdout + cmd.stderr
    result = json.loads(cmd.stdout)
    result["rc"] = cmd.rc
    result["done"] = [(a["action"], a["reason"]) for a in result["actions"]]
    return result


def journal(host):
    return host.check_output("journalctl -q --no-pager -o cat -t mailgov-lifecycle")


def maildir(address):
    local, _, domain = address.partition("@")
    return f"/var/vmail/{domain}/{local}"


# Checks the initial password as the user: the bind works but only a password change is allowed;
# then changes it, and reads the directory with the new one.
MUST_CHANGE = r"""
import ldap, sys
dn, initial, new = sys.argv[1:4]
conn = ldap.initialize("ldapi:///")
conn.simple_bind_s(dn, initial)
try:
    conn.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", ["mail"])
    print("search allowed")
except ldap.LDAPError as err:
    print("restricted" if "restricted" in str(err) else repr(err))
conn.passwd_s(dn, initial, new)
conn = ldap.initialize("ldapi:///")
conn.simple_bind_s(dn, new)
print(conn.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", ["mail"])[0][1]["mail"][0].decode())
"""


def password_rows(directory):
    """The rows of the one initial-password list written in directory (mode 0600)."""
    files = list(Path(directory).glob("*.csv"))
    assert len(files) == 1, files
    assert files[0].stat().st_mode & 0o777 == 0o600
    with files[0].open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
