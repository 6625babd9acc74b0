"""The published directory ("danh bạ thư điện tử"): an HTML page, a CSV and vCards of the public
fields only (name, unit, address) for the whole domain or for units and the units below them,
for the units' websites. Recalled accounts are left out.

Run on the mail server by playbooks/directory.yml, as root (the directory over ldapi:///);
prints JSON with the files of each scope. Only the public attributes are read from the
directory, so nothing private (status, quota, logins, passwords) can reach the files.

    python3 -m mailgov.jobs.publish --base-dn dc=... --domain gialai.gov.vn [--unit stttt ...]

Everything above "Reading, on the server" orders and renders plain data and is tested without a
server; read_directory is the only code that touches the directory.
"""

import argparse
import csv
import html
import io
import json
import sys
import unicodedata
import uuid

from mailgov.errors import DirectoryError
from mailgov.ldap import Connection, rdn_values

# Read from the directory; mailStatus only filters recalled accounts out and is not even read.
PUBLIC = ["mail", "displayName", "sn", "givenName", "mailUnit", "mailKind"]
CSV_HEADER = ["Họ và tên", "Đơn vị", "Địa chỉ thư điện tử"]
NO_UNIT = "Hộp thư chung"
TITLE = "Danh bạ thư điện tử — "

# The Vietnamese alphabet (f, j, w, z where Latin puts them, for names of other languages),
# and the dictionary order of the tones: ngang, huyền, hỏi, ngã, sắc, nặng.
_ALPHABET = ["a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n",
             "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z"]
_RANK = {letter: i for i, letter in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def sort_key(text):
    """Vietnamese dictionary order: letters first (a < ă < â < b ... d < đ), then tones, word by word."""
    letters, tones = [], []
    for char in unicodedata.normalize("NFC", text.lower()):
        parts = unicodedata.normalize("NFD", char)
        tone = next((_TONES[m] for m in parts if m in _TONES), 0)
        letter = unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TONES))
        if letter.isspace():
            letters.append(-1)  # "An" before "Anh"
        elif letter in _RANK:
            letters.append(_RANK[letter])
            tones.append(tone)
        else:
            letters.append(100 + ord(letter[0]))
    return letters, tones


def person_key(entry):
    """People are listed by given name, then by the whole name, as Vietnamese lists are."""
    given = (entry.get("givenName") or entry["displayName"]).split()
    return sort_key(given[-1] if given else ""), sort_key(entry["displayName"])


def unit_table(found):
    """{unit id: {name, path}} from (path of unit ids from the top, mailOrgUnit entry) pairs."""
    units = {}
    for path, entry in found:
        unit = entry["mailUnit"][0]
        units[unit] = {"name": (entry.get("displayName") or [unit])[0], "path": list(path)}
    return units


def public_entries(found):
    """The accounts of a search as {attribute: first value}: every public field is single."""
    return [{k: v[0] for k, v in entry.items() if v} for entry in found.values()]


def groups(units, accounts, scope):
    """[(unit id, unit path names, unit mailbox or None, people)] for the units in scope, in
    tree order with siblings sorted by name; scope None is the whole domain."""
    def in_scope(unit_id):
        return scope is None or scope in units.get(unit_id, {}).get("path", [])

    by_unit = {}
    for account in accounts:
        unit = account.get("mailUnit", "")
        if (unit and in_scope(unit)) or (not unit and scope is None):
            by_unit.setdefault(unit, []).append(account)

    def tree_key(unit_id):
        return [sort_key(units[u]["name"]) if u in units else sort_key(u) for u in units[unit_id]["path"]]

    result = []
    for unit_id in sorted((u for u in by_unit if u), key=tree_key):
        members = by_unit[unit_id]
        own = next((a for a in members if a.get("mailKind") == "unit"), None)
        people = sorted((a for a in members if a is not own), key=person_key)
        names = [units[u]["name"] for u in units[unit_id]["path"] if u in units]
        result.append((unit_id, names, own, people))
    if "" in by_unit:
        result.append(("", [NO_UNIT], None, sorted(by_unit[""], key=person_key)))
    return result


def _listed(grouped):
    """(entry, unit path names) in the order of the lists: each unit's own mailbox, then its people."""
    return [(entry, names) for _, names, own, people in grouped for entry in ([own] if own else []) + people]


def to_csv(grouped):
    out = io.StringIO()
    # The BOM makes spreadsheet programs read the file as UTF-8, keeping the diacritics.
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for entry, names in _listed(grouped):
        writer.writerow([entry["displayName"], names[-1], entry["mail"]])
    return out.getvalue()


def _escape(value):
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _fold(line):
    """RFC 6350 3.2: lines of at most 75 octets, never cutting a UTF-8 character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current)
            current = b""
        current += encoded
    out.append(current)
    return b"\r\n ".join(out).decode("utf-8")


def vcard(entry, names):
    kind = "org" if entry.get("mailKind") == "unit" else "individual"
    given = (entry.get("givenName") or "").split()
    family = entry.get("sn", "") if kind == "individual" else ""
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"KIND:{kind}", f"FN:{_escape(entry['displayName'])}",
             "N:" + ";".join([_escape(family), _escape(given[-1] if given else ""),
                              _escape(" ".join(given[:-1])), "", ""]),
             "ORG:" + ";".join(_escape(n) for n in names),
             f"EMAIL;TYPE=work:{entry['mail']}",
             f"UID:urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'mailto:' + entry['mail'].lower())}",
             "END:VCARD"]
    return "".join(_fold(line) + "\r\n" for line in lines)


def to_vcf(grouped):
    return "".join(vcard(entry, names) for entry, names in _listed(grouped))


def _mailto(address):
    return f'<a href="mailto:{html.escape(address)}">{html.escape(address)}</a>'


def _section(unit_id, names, own, people):
    rows = [f'<tr class="unit"><td>Hộp thư đơn vị</td><td>{_mailto(own["mail"])}</td></tr>'] if own else []
    rows += [f'<tr><td>{html.escape(p["displayName"])}</td><td>{_mailto(p["mail"])}</td></tr>' for p in people]
    parents = " › ".join(html.escape(n) for n in names[:-1])
    return (f'<section id="{html.escape(unit_id or "chung")}"><h2>{html.escape(names[-1])}</h2>'
            + (f'<p class="path">{parents}</p>' if parents else "")
            + '<table><thead><tr><th>Họ và tên</th><th>Địa chỉ thư điện tử</th></tr></thead>'
            + f'<tbody>{"".join(rows)}</tbody></table></section>')


def to_html(grouped, title, domain):
    sections = "".join(_section(*group) for group in grouped)
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #212121; max-width: 60em; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; margin: 1.5em 0 .3em; }}
.path {{ color: #616161; margin: 0 0 .5em; font-size: .9em; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
th {{ background: #eceff1; }} td:first-child {{ width: 45%; }} tr.unit {{ background: #f5f5f5; font-style: italic; }}
a {{ color: #0d47a1; text-decoration: none; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Hệ thống thư điện tử công vụ {html.escape(domain)}: {len(_listed(grouped))} địa chỉ.</p>
{sections}
</body></html>
"""


def unknown_units(units, asked):
    """The message refusing units the directory does not have, or None."""
    unknown = [u for u in asked if u not in units]
    if not unknown:
        return None
    return f"unknown units: {', '.join(unknown)}; known: {', '.join(sorted(units))}"


def publish(units, accounts, scopes, domain):
    """{unit id, or the domain for scope None: {html, csv, vcf}}: the job's answer."""
    result = {}
    for scope in scopes:
        grouped = groups(units, accounts, scope)
        title = TITLE + (units[scope]["name"] if scope else domain)
        result[scope or domain] = {"csv": to_csv(grouped), "vcf": to_vcf(grouped),
                                   "html": to_html(grouped, title, domain)}
    return result


# Reading, on the server.
def read_directory(conn, base_dn):
    """(units, public fields of the accounts that are not recalled) from the directory."""
    unit_base = f"ou=units,{base_dn}"
    found = conn.search(unit_base, filterstr="(objectClass=mailOrgUnit)", attrs=["mailUnit", "displayName"])
    # The DN holds the path: ou=<id>,ou=<parent id>,...,ou=units,<base>.
    units = unit_table((reversed(rdn_values(dn, unit_base)), entry) for dn, entry in found.items())
    accounts = []
    for ou in ("people", "mailboxes"):
        accounts += public_entries(conn.search(f"ou={ou},{base_dn}", attrs=PUBLIC,
                                               filterstr="(&(objectClass=mailAccount)(!(mailStatus=recalled)))"))
    return units, accounts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m mailgov.jobs.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-dn", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--unit", action="append", default=[], help="a unit id; the units below it are included")
    return parser, parser.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    try:
        units, accounts = read_directory(Connection(), args.base_dn)
    except DirectoryError as err:
        sys.exit(f"mailgov.jobs.publish: {err}")
    refused = unknown_units(units, args.unit)
    if refused:
        parser.exit(2, refused + "\n")
    print(json.dumps(publish(units, accounts, args.unit or [None], args.domain), ensure_ascii=False))


if __name__ == "__main__":
    main()
