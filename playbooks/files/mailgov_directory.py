#!/usr/bin/python3
"""The published directory ("danh bạ thư điện tử"): an HTML page, a CSV and vCards of the public
fields only (name, unit, address) for the whole domain or for units and the units below them,
for the units' websites. Recalled accounts are left out.

Run on the mail server by playbooks/directory.yml (as root: the directory over ldapi:///); prints
JSON with the files of each scope. Only the public attributes are read from the directory, so
nothing private (status, quota, logins, passwords) can reach the files.

    mailgov_directory.py --base-dn dc=... --domain gialai.gov.vn [--unit stttt ...]
"""

import argparse
import csv
import html
import io
import json
import unicodedata
import uuid

# Read from the directory; mailStatus only to leave recalled accounts out, never written out.
PUBLIC = ["mail", "displayName", "sn", "givenName", "mailUnit", "mailKind"]
CSV_HEADER = ["Họ và tên", "Đơn vị", "Địa chỉ thư điện tử"]
NO_UNIT = "Hộp thư chung"

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


def read_directory(base_dn):
    import ldap
    import ldap.dn
    import ldap.sasl

    conn = ldap.initialize("ldapi:///")
    conn.sasl_interactive_bind_s("", ldap.sasl.external())

    def search(base, filterstr, attrs):
        try:
            found = conn.search_s(base, ldap.SCOPE_SUBTREE, filterstr, attrs)
        except ldap.NO_SUCH_OBJECT:
            return []
        return [(dn, {k: v[0].decode("utf-8") for k, v in e.items()}) for dn, e in found if dn]

    units = {}
    for dn, e in search(f"ou=units,{base_dn}", "(objectClass=mailOrgUnit)", ["mailUnit", "displayName"]):
        # The DN holds the path: ou=<id>,ou=<parent id>,...,ou=units,<base>.
        path = [rdn.split("=", 1)[1] for rdn in ldap.dn.explode_dn(dn)[: -len(ldap.dn.explode_dn(base_dn)) - 1]]
        units[e["mailUnit"]] = {"name": e.get("displayName", e["mailUnit"]), "path": list(reversed(path))}
    accounts = []
    for ou in ("people", "mailboxes"):
        accounts += [e for _, e in search(f"ou={ou},{base_dn}",
                                          "(&(objectClass=mailAccount)(!(mailStatus=recalled)))", PUBLIC)]
    return units, accounts


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

    ordered = sorted((u for u in by_unit if u), key=tree_key)
    result = []
    for unit_id in ordered:
        members = by_unit[unit_id]
        own = next((a for a in members if a.get("mailKind") == "unit"), None)
        people = sorted((a for a in members if a is not own), key=person_key)
        names = [units[u]["name"] for u in units[unit_id]["path"] if u in units]
        result.append((unit_id, names, own, people))
    if "" in by_unit:
        result.append(("", [NO_UNIT], None, sorted(by_unit[""], key=person_key)))
    return result


def to_csv(grouped):
    out = io.StringIO()
    # The BOM makes spreadsheet programs read the file as UTF-8, keeping the diacritics.
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for _, names, own, people in grouped:
        for entry in ([own] if own else []) + people:
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
    return "".join(vcard(entry, names)
                   for _, names, own, people in grouped for entry in ([own] if own else []) + people)


def to_html(grouped, title, domain):
    sections = []
    for unit_id, names, own, people in grouped:
        rows = []
        if own:
            rows.append(f'<tr class="unit"><td>Hộp thư đơn vị</td><td><a href="mailto:{html.escape(own["mail"])}">'
                        f'{html.escape(own["mail"])}</a></td></tr>')
        rows += [f'<tr><td>{html.escape(p["displayName"])}</td><td><a href="mailto:{html.escape(p["mail"])}">'
                 f'{html.escape(p["mail"])}</a></td></tr>' for p in people]
        parents = " › ".join(html.escape(n) for n in names[:-1])
        sections.append(f'<section id="{html.escape(unit_id or "chung")}"><h2>{html.escape(names[-1])}</h2>'
                        + (f'<p class="path">{parents}</p>' if parents else "")
                        + '<table><thead><tr><th>Họ và tên</th><th>Địa chỉ thư điện tử</th></tr></thead>'
                        + f'<tbody>{"".join(rows)}</tbody></table></section>')
    count = sum(len(p) + (1 if o else 0) for _, _, o, p in grouped)
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
<p>Hệ thống thư điện tử công vụ {html.escape(domain)}: {count} địa chỉ.</p>
{"".join(sections)}
</body></html>
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dn", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--unit", action="append", default=[], help="a unit id; the units below it are included")
    args = parser.parse_args()
    units, accounts = read_directory(args.base_dn)
    unknown = [u for u in args.unit if u not in units]
    if unknown:
        parser.exit(2, f"unknown units: {', '.join(unknown)}; known: {', '.join(sorted(units))}\n")
    result = {}
    for scope in args.unit or [None]:
        grouped = groups(units, accounts, scope)
        title = "Danh bạ thư điện tử — " + (units[scope]["name"] if scope else args.domain)
        result[scope or args.domain] = {"csv": to_csv(grouped), "vcf": to_vcf(grouped),
                                        "html": to_html(grouped, title, args.domain)}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
