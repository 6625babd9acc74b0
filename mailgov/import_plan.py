"""Turn an old server's accounts (``mailgov.import_records``) into a roster to review.

Nothing here writes to the directory: the result is a whole roster (the domain's roster as it is,
with the imported people and their units added), the review list of every guess and conversion,
the password hashes to carry (``mailgov.hashes``) and which old login each new account had. Any
problem stops the import with every problem listed; a roster is then not written at all.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from . import accounts, hashes, text
from .errors import RosterError

# The first words of a unit's name say its type (docs/roster.md, "units[].type").
_TYPES = (
    (("ubnd xa", "ubnd phuong", "ubnd dac khu", "xa", "phuong", "dac khu", "thi tran"), "commune"),
    (("ubnd huyen", "huyen", "thi xa", "ubnd thi xa"), "district"),
    (("phong", "trung tam", "chi cuc", "to", "bo phan", "doi", "tram"), "division"),
)
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


@dataclass
class Imported:
    roster: dict
    review: list = field(default_factory=list)
    passwords: dict = field(default_factory=dict)  # old address -> hash, for slapd
    accounts: list = field(default_factory=list)  # {id, login, address}: who was who
    uncarried: list = field(default_factory=list)  # {id, login, reason}


def _unit_type(name):
    folded = text.vn_ascii(name).lower()
    for starts, kind in _TYPES:
        if any(folded == s or folded.startswith(s + " ") for s in starts):
            return kind
    return "department"


def _unit_id(name, taken):
    words = [w for w in re.split(r"[^a-z0-9]+", text.vn_ascii(name).lower()) if w]
    base = "".join(w[0] for w in words) or "unit"
    ident, n = base, 2
    while ident.lower() in taken:
        ident, n = f"{base}{n}", n + 1
    taken.add(ident.lower())
    return ident


def _prefix(people, domain):
    counts = Counter(m.group(1) for m in (_NUMBERED.match(str(p.get("id", ""))) for p in people) if m)
    if counts:
        return counts.most_common(1)[0][0]
    return re.sub(r"[^A-Z0-9]", "", domain.split(".")[0].upper()) + "-"


class _Ids:
    def __init__(self, prefix, taken):
        self.prefix, self.taken = prefix, {t.lower() for t in taken}
        numbers = [int(m.group(2)) for m in (_NUMBERED.match(t) for t in taken) if m and m.group(1) == prefix]
        self.next = max(numbers, default=0) + 1

    def new(self):
        while f"{self.prefix}{self.next:04d}".lower() in self.taken:
            self.next += 1
        ident = f"{self.prefix}{self.next:04d}"
        self.taken.add(ident.lower())
        self.next += 1
        return ident


def _size(value):
    for unit, power in (("G", 3), ("M", 2), ("K", 1)):
        if value % 1024**power == 0:
            return f"{value // 1024 ** power}{unit}"
    return value


class _Units:
    """The roster's units by name, and the new ones the import makes, with their guessed type."""

    def __init__(self, roster, taken, review):
        self.units, self.review, self.taken = list(roster.get("units") or []), review, taken
        self.by_name = {text.name_key(str(u.get("name", ""))): u["id"] for u in self.units if u.get("id")}
        self.ids = {str(u.get("id")).lower() for u in self.units}

    def find(self, name, where, problems, default):
        if not name:
            if default:
                return default
            problems.append(f"{where}: no unit: fill in its unit (Đơn vị, or ou on the old server), "
                            "or give import_default_unit")
            return None
        if name.lower() in self.ids:
            return next(u["id"] for u in self.units if str(u["id"]).lower() == name.lower())
        key = text.name_key(name)
        if key not in self.by_name:
            problem = text.name_problem(name, allow_digits=True)
            if problem:
                problems.append(f"{where}: unit name {name!r} {problem}")
                return None
            ident, kind = _unit_id(name, self.taken), _unit_type(name)
            self.units.append({"id": ident, "name": name, "type": kind})
            self.by_name[key] = ident
            self.review.append(f"new unit {ident}: {name!r}, type {kind} (guessed from its name; "
                               "check the type, the id and its parent)")
        return self.by_name[key]


def _address(record, domain, legacy, server_domains, problems):
    """('pinned', local) for the domain, ('alias', address) for a legacy domain, or None."""
    address = record.address
    if not address:
        return None
    local, _, where = address.rpartition("@")
    if not local:
        problems.append(f"{record.where}: {address!r} is not an address")
    elif where == domain:
        return ("pinned", local)
    elif where in legacy:
        return ("alias", address)
    elif where in server_domains:
        problems.append(f"{record.where}: {address} is in {where}, another domain of this server: "
                        "import it into that domain's roster (import_domain)")
    else:
        problems.append(f"{record.where}: {address} is outside the server's domains ({', '.join(sorted(server_domains))}):"
                        " correct it, or list its domain in legacy_domains so its old addresses keep arriving")
    return None


def _duplicates(records, problems):
    seen = {}
    for record in records:
        keys = [("address", record.address)] if record.address else []
        if record.name and record.unit and not record.address:
            keys.append(("name", (text.name_key(record.name), text.name_key(record.unit), record.birth_date)))
        for key in keys:
            if key in seen:
                what = record.address if key[0] == "address" else f"{record.name} in {record.unit}"
                problems.append(f"{record.where}: {what} is already at {seen[key]}: one person, two rows? "
                                "Remove one, or tell them apart (an address or a birth date)")
            else:
                seen[key] = record.where


def _person(record, ident, unit, address, aliases, default_quota, review):
    entry = {"id": ident, "name": text.clean(record.name), "unit": unit}
    if address and address[0] == "pinned":
        entry["address"] = address[1]
    elif address:  # an old address in a legacy domain: the rules give the new one
        aliases = [address[1], *aliases]
    if aliases:
        entry["aliases"] = aliases
    if record.quota and record.quota != default_quota:
        entry["quota"] = _size(record.quota)
    if record.birth_date:
        entry["birth_date"] = record.birth_date
    if record.status != "active":
        entry["status"] = record.status
    return entry


def plan(records, roster, domain, server_domains, policy=None, id_prefix=None, default_unit=None, taken_ids=()):
    """The roster of ``domain`` with ``records`` added; raises RosterError with every problem."""
    roster = dict(roster)
    people = list(roster.get("people") or [])
    legacy = set(roster.get("legacy_domains") or [])
    review, problems = [], [p for r in records for p in r.problems]
    for record in records:
        review.extend(record.notes)
        if not record.name:
            problems.append(f"{record.where}: no name: fill in the person's full name")
    _duplicates(records, problems)
    pinned = {}
    for person in people:
        for value in [person.get("address")] + list(person.get("aliases") or []):
            if value:
                pinned[value if "@" in str(value) else f"{value}@{domain}"] = person["id"]
    taken = set(taken_ids) | {str(p.get("id")) for p in people}
    units = _Units(roster, {t.lower() for t in taken} | {str(u.get("id")).lower() for u in roster.get("units") or []},
                   review)
    ids = _Ids(id_prefix or _prefix(people, domain), taken)
    default_quota = ((policy or {}).get("quota") or {}).get("person")
    result, origin = Imported(roster), {}  # where each new person came from, for the renderer's problems
    for record in records:
        if record.address and record.address in pinned:
            review.append(f"{record.where}: {record.address} is already in the roster as {pinned[record.address]}: "
                          "kept as it is")
            continue
        address = _address(record, domain, legacy, set(server_domains), problems)
        aliases = [a for a in record.aliases if _address(_alias(record, a), domain, legacy, server_domains, problems)]
        unit = units.find(record.unit, record.where, problems, default_unit)
        if not record.name or unit is None:
            continue
        ident = ids.new()
        origin[f"people[{len(people)}]"] = f"{record.where} ({ident})"
        people.append(_person(record, ident, unit, address, aliases, default_quota, review))
        if record.address:
            result.accounts.append({"id": ident, "login": record.address})
            _password(result, ident, record, review)
    if problems:
        raise RosterError(problems)
    roster.update(units=units.units, people=people)
    _check(result, roster, policy, review, origin)
    result.review = review
    return result


def _alias(record, address):
    return type(record)(where=f"{record.where}: alias", address=address)


def _password(result, ident, record, review):
    carried, reason = hashes.carry(record.password)
    if carried:
        result.passwords[record.address] = carried
    else:
        result.uncarried.append({"id": ident, "login": record.address, "reason": reason})
        review.append(f"{ident} ({record.address}) cannot keep its password, {reason}: it gets an initial password")


def _check(result, roster, policy, review, origin):
    """The roster must render; and whom the naming rules would address otherwise is said."""
    try:
        rendered = {a["id"]: a for a in accounts.render(roster, policy=policy)}
    except RosterError as err:
        def placed(problem):  # people[31].name: ... -> row 7 (GL-0231): people[31].name: ...
            key = problem.split(".", 1)[0].split(":", 1)[0]
            return f"{origin[key]}: {problem}" if key in origin else problem
        raise RosterError([f"the roster made from the import: {placed(p)}" for p in err.problems]) from None
    for account in result.accounts:
        account["address"] = rendered[account["id"]]["address"]
    imported = {a["id"] for a in result.accounts}
    unpinned = dict(roster, people=[{k: v for k, v in p.items() if k != "address" or p["id"] not in imported}
                                    for p in roster["people"]])
    try:
        derived = {a["id"]: a["address"] for a in accounts.render(unpinned, policy=policy)}
    except RosterError:
        return
    for account in result.accounts:
        if derived.get(account["id"]) not in (None, account["address"]):
            review.append(f"{account['id']} keeps {account['address']} (the naming rules would give "
                          f"{derived[account['id']]})")
