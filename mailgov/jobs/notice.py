"""Mail a maintenance notice in Vietnamese to every mailbox of the domain, or of some units and
the units below them; recalled accounts are left out, locked ones still get it (they receive mail).

Run on the mail server by playbooks/notify.yml (as root: the directory over ldapi:///, Postfix's
sendmail); the playbook has checked the window. Prints JSON: the recipients and what was sent.

    python3 -m mailgov.jobs.notice --base-dn dc=... --domain gialai.gov.vn --sender postmaster@...
        --start "2025-07-12 22:00" --end "2025-07-13 02:00" --affected "..." [--unit stttt ...] [--dry-run]
"""

import argparse
import datetime
import email
import email.policy
import json
import sys

from mailgov import notify
from mailgov.errors import DirectoryError
from mailgov.ldap import Connection, rdn_values
from mailgov.workdays import WEEKDAYS

BATCH = 200  # envelope recipients per message handed to Postfix
TEMPLATE = "maintenance-notice"
SENDER_NAME = "Quản trị hệ thống thư điện tử"


# --- deciding ----------------------------------------------------------------------------------

def unit_paths(units, units_dn, rdn_values):
    """Each unit's id with the ids of the unit and every unit above it, from the mailOrgUnit entries."""
    paths = {}
    for dn, entry in units.items():
        for unit in entry.get("mailUnit", [])[:1]:
            paths[unit] = set(rdn_values(dn, units_dn))
    return paths


def unknown_units(scopes, paths):
    return [u for u in scopes if u not in paths]


def recipients(accounts, paths, scopes):
    """The addresses, sorted and in lower case, of the accounts in the scopes' units (all when none)."""
    found = set()
    for entry in accounts.values():
        unit = (entry.get("mailUnit") or [""])[0]
        if entry.get("mail") and (not scopes or paths.get(unit, set()) & set(scopes)):
            found.add(entry["mail"][0].lower())
    return sorted(found)


def when(moment):
    return f"{moment:%H:%M} {WEEKDAYS[moment.weekday()]}, ngày {moment:%d/%m/%Y}"


def notice(domain, sender, sender_name, start, end, affected):
    """The notice, as bytes, to undisclosed recipients: the addresses go only into the envelope."""
    values = {"domain": domain, "start_time": f"{start:%H:%M}", "start_date": f"{start:%d/%m/%Y}",
              "start": when(start), "end": when(end), "affected": affected, "sender_name": sender_name}
    return notify.render(TEMPLATE, values, sender=sender, sender_name=sender_name,
                         to="undisclosed-recipients:;", domain=domain)


def subject(message):
    return str(email.message_from_bytes(message, policy=email.policy.default)["Subject"])


# --- acting ------------------------------------------------------------------------------------

def read_recipients(base_dn, scopes, connection, rdn=rdn_values):
    """The recipients from the directory; SystemExit, sending nothing, when a unit is unknown."""
    units_dn = f"ou=units,{base_dn}"
    paths = unit_paths(connection.search(units_dn, "sub", "(objectClass=mailOrgUnit)", ["mailUnit"]),
                       units_dn, rdn)
    unknown = unknown_units(scopes, paths)
    if unknown:
        raise SystemExit(f"unknown units: {', '.join(unknown)}; known: {', '.join(sorted(paths))}; nothing was sent")
    accounts = connection.search(base_dn, "sub", "(&(objectClass=mailAccount)(!(mailStatus=recalled)))",
                                 ["mail", "mailUnit"])
    return recipients(accounts, paths, scopes)


def mail(message, sender, to, sendmail):
    """Send in batches; the report (JSON-ready) and whether every batch went."""
    sent = 0
    for i in range(0, len(to), BATCH):
        batch = to[i:i + BATCH]
        try:
            notify.send(message, sender, batch, sendmail=sendmail)
        except notify.SendError as err:
            return {"recipients": to, "sent": sent, "error": str(err)}, False
        sent += len(batch)
    return {"recipients": to, "sent": sent, "subject": subject(message)}, True


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m mailgov.jobs.notice", description=__doc__.splitlines()[0])
    parser.add_argument("--base-dn", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--start", required=True, type=datetime.datetime.fromisoformat)
    parser.add_argument("--end", required=True, type=datetime.datetime.fromisoformat)
    parser.add_argument("--affected", required=True)
    parser.add_argument("--unit", action="append", default=[])
    parser.add_argument("--sender", required=True)
    parser.add_argument("--sender-name", default=SENDER_NAME)
    parser.add_argument("--sendmail", default=notify.SENDMAIL)
    parser.add_argument("--dry-run", action="store_true")
    return parser.parse_args(argv)


def main(argv=None, connect=Connection, rdn=rdn_values):
    args = parse_args(argv)
    try:
        to = read_recipients(args.base_dn, args.unit, connect(), rdn)
    except DirectoryError as err:
        raise SystemExit(f"{err}; nothing was sent") from None
    message = notice(args.domain, args.sender, args.sender_name, args.start, args.end, args.affected)
    if args.dry_run:
        report, ok = {"recipients": to, "sent": 0, "subject": subject(message)}, True
    else:
        report, ok = mail(message, args.sender, to, args.sendmail)
    print(json.dumps(report, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
