#!/usr/bin/env python3
"""Show the accounts an inventory's roster gives, before anything is applied.

    scripts/preview_accounts.py inventories/demo              # a table
    scripts/preview_accounts.py inventories/demo --format csv # for a spreadsheet
    scripts/preview_accounts.py INVENTORY --existing addresses.yml

Every mail domain of the server is shown, the roster's own first, then each it hosts.
The roster is read the way Ansible reads it (``ansible-inventory``), so group_vars,
host_vars and vault work as in a playbook run; arguments after ``--`` go to
``ansible-inventory`` (for example ``-- --ask-vault-pass``).
"""

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import yaml

from mailgov.errors import RosterError
from mailgov.hosting import render

COLUMNS = ("id", "display_name", "address", "unit", "quota", "status")


def read_roster(inventory, host, extra):
    command = [str(Path(sys.executable).parent / "ansible-inventory"), "-i", inventory, "--list", *extra]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"ansible-inventory could not read {inventory}: {result.stderr.strip()}")
    data = json.loads(result.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    if host is None:
        hosts = data.get("mailservers", {}).get("hosts") or sorted(hostvars)
        if not hosts:
            sys.exit(f"{inventory} has no hosts; name one with --host")
        host = hosts[0]
    found = hostvars.get(host, {})
    roster = found.get("mail_roster")
    if roster is None:
        sys.exit(f"{host} in {inventory} has no mail_roster (group_vars/all/roster.yml)")
    # Hosted domains in files of their own, as playbooks/group_vars/all/main.yml adds them.
    more = [found[name] for name in sorted(found) if name.startswith("mail_roster_")]
    return dict(roster, hosted=list(roster.get("hosted") or []) + more) if more else roster


def human(size):
    for unit in ("", "K", "M", "G", "T"):
        if size < 1024 or unit == "T":
            return f"{size:g}{unit}" if unit else f"{size}B"
        size /= 1024
    return str(size)


def rows(accounts):
    for account in accounts:
        yield {
            "id": account["id"],
            "display_name": account["display_name"],
            "address": account["address"],
            "unit": account["unit"] or "",
            "quota": human(account["quota_bytes"]),
            "status": account["status"],
        }


def print_table(accounts):
    table = list(rows(accounts))
    widths = {c: max([len(c)] + [len(r[c]) for r in table]) for c in COLUMNS}
    print("  ".join(c.upper().ljust(widths[c]) for c in COLUMNS).rstrip())
    for row in table:
        print("  ".join(row[c].ljust(widths[c]) for c in COLUMNS).rstrip())
    kinds = {}
    for account in accounts:
        kinds[account["kind"]] = kinds.get(account["kind"], 0) + 1
    print(f"\n{len(accounts)} accounts: {kinds.get('unit', 0)} unit mailboxes, {kinds.get('person', 0)} people")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inventory", help="the inventory, for example inventories/demo")
    parser.add_argument("--host", help="the mail server in the inventory (default: the first of mailservers)")
    parser.add_argument("--existing", help="a YAML or JSON file mapping account ids to their current addresses, "
                        "or to {address, unit, former} to preview transfers")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("extra", nargs="*", help="arguments for ansible-inventory, after --")
    args = parser.parse_args()

    roster = read_roster(args.inventory, args.host, args.extra)
    existing = None
    if args.existing:
        existing = yaml.safe_load(Path(args.existing).read_text(encoding="utf-8"))
    try:
        accounts = render(roster, existing)
    except RosterError as err:
        sys.exit(f"The roster in {args.inventory} has {err}")
    if args.format == "json":
        json.dump(accounts, sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(accounts))
    else:
        print_table(accounts)


if __name__ == "__main__":
    main()
