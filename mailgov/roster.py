"""Read and check a roster: every problem is collected, each with its place."""

import datetime
import difflib
import re

from . import text
from .policy import UNIT_TYPES
from .sizes import size_bytes

ROSTER_KEYS = ("policy", "domain", "legacy_domains", "alias_domains", "legacy_notice", "hosted", "fixed_delegates",
               "units", "people")
UNIT_KEYS = ("id", "name", "type", "parent", "abbr", "quota", "mailbox", "head", "delegates", "aliases",
             "successor")
PERSON_KEYS = ("id", "name", "unit", "birth_date", "quota", "status", "address", "parts", "aliases",
               "reopen")
STATUSES = ("active", "locked", "recalled")
# Ids become parts of LDAP DNs: this set needs no escaping there.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
LOCAL_PART = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
ABBR_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Parents a unit of each type may have (None: may stand alone).
PARENT_TYPES = {
    "department": (None,),
    "district": (None,),
    "commune": (None, "district"),
    # Agencies such as one provincial department run their own domain: their
    # divisions stand alone.
    "division": (None, "department", "district", "commune", "division"),
}


class Unit:
    __slots__ = ("index", "id", "name", "type", "parent", "abbr", "quota", "mailbox",
                 "head", "delegates", "aliases", "successor", "final", "chain", "tokens", "suffix", "local_part")

    def where(self):
        return f"units[{self.index}]"


class Person:
    __slots__ = ("index", "id", "name", "words", "unit", "birth_year", "quota", "status",
                 "pinned", "aliases", "surname", "middle", "given", "key", "reopen")

    def where(self):
        return f"people[{self.index}]"


def local_part_problem(local):
    if not local:
        return "cannot be made: no form of the policy applies"
    if len(local) > 64:
        return f"{local!r} is longer than 64 characters"
    if not LOCAL_PART.match(local):
        return (f"{local!r} is not a valid local part: use only a-z 0-9 . _ -, "
                "with no leading, trailing or doubled dot")
    return None


def address_local(value, domain, where, problems):
    """The local part of an address written as 'local' or 'local@domain'."""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: must be an address such as 'name@{domain}' or 'name'")
        return None
    local, _, dom = value.strip().lower().partition("@")
    if dom and dom != domain:
        problems.append(f"{where}: {value!r} is outside the domain {domain}")
        return None
    problem = local_part_problem(local)
    if problem:
        problems.append(f"{where}: {problem}")
        return None
    return local


def _keys(entry, allowed, where, problems):
    for key in entry:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(allowed)}"
            problems.append(f"{where}.{key}: unknown key{hint}")


def _name(value, where, problems, allow_digits=False):
    if not isinstance(value, str):
        problems.append(f"{where}: must be text")
        return None
    cleaned = text.clean(value)
    problem = text.name_problem(cleaned, allow_digits=allow_digits)
    if problem:
        problems.append(f"{where}: {value!r} {problem}")
        return None
    return cleaned


def _quota(entry, where, problems):
    value = entry.get("quota")
    if value is None:
        return None
    try:
        return size_bytes(value)
    except ValueError as err:
        problems.append(f"{where}.quota: {err}")
        return None


def entries(roster, key, problems):
    entries = roster.get(key)
    if entries is None:
        return []
    if not isinstance(entries, list):
        problems.append(f"{key}: must be a list")
        return []
    return entries


def _mappings(roster, key, needs, allowed, problems):
    """The entries of roster[key] that are mappings, with their index and place; the others are problems."""
    for index, entry in enumerate(entries(roster, key, problems)):
        where = f"{key}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping with {needs}")
            continue
        _keys(entry, allowed, where, problems)
        yield index, where, entry


def _check_id(entry, where, seen, problems):
    ident = entry.get("id")
    if ident is None or isinstance(ident, bool):
        problems.append(f"{where}.id: missing; every entry needs a unique, stable id")
        return None
    ident = str(ident)
    if not ID_PATTERN.match(ident):
        problems.append(f"{where}.id: {ident!r} may use only letters, digits . _ - (at most 64)")
        return None
    if ident in seen:
        problems.append(f"{where}.id: {ident!r} is already used by {seen[ident]}; ids are unique")
        return None
    seen[ident] = where
    return ident


def read_units(roster, seen, problems):
    units = {}
    for index, where, entry in _mappings(roster, "units", "id, name and type", UNIT_KEYS, problems):
        unit = Unit()
        unit.index = index
        unit.id = _check_id(entry, where, seen, problems)
        unit.name = _name(entry.get("name"), f"{where}.name", problems, allow_digits=True)
        unit.type = entry.get("type")
        if unit.type not in UNIT_TYPES:
            problems.append(f"{where}.type: {unit.type!r} is not one of {', '.join(UNIT_TYPES)}")
        parent = entry.get("parent")
        unit.parent = None if parent is None else str(parent)
        abbr = entry.get("abbr")
        unit.abbr = None
        if abbr is not None:
            abbr = str(abbr).strip().lower()
            if not ABBR_PATTERN.match(abbr):
                problems.append(f"{where}.abbr: {entry.get('abbr')!r} may use only a-z 0-9 _ -")
            else:
                unit.abbr = abbr
        unit.quota = _quota(entry, where, problems)
        mailbox = entry.get("mailbox", True)
        if not isinstance(mailbox, bool):
            problems.append(f"{where}.mailbox: must be true or false")
        unit.mailbox = mailbox is not False
        delegates = entry.get("delegates") or []
        if not isinstance(delegates, list):
            problems.append(f"{where}.delegates: must be a list of people ids")
            delegates = []
        unit.delegates = [str(d) for d in delegates]
        head = entry.get("head")
        unit.head = None if head is None else str(head)
        unit.aliases = _aliases(entry, where, problems)
        if unit.aliases and not unit.mailbox:
            problems.append(f"{where}.aliases: the unit has no mailbox (mailbox: false) for them to deliver to")
        successor = entry.get("successor")
        unit.successor = None if successor is None else str(successor)
        if unit.id is not None:
            units[unit.id] = unit
    _link_units(units, problems)
    _link_successors(units, problems)
    return units


def _aliases(entry, where, problems):
    aliases = entry.get("aliases") or []
    if not isinstance(aliases, list):
        problems.append(f"{where}.aliases: must be a list of addresses")
        return []
    return aliases


def _link_successors(units, problems):
    """A dissolved unit names its successor: its mailbox's address then delivers to the successor's,
    whose head and delegates open it. Each gets ``final``, the live unit at the end of the chain."""
    for unit in units.values():
        unit.final = None
    for unit in units.values():
        if unit.successor is None:
            continue
        where = f"{unit.where()}.successor"
        chain, node = [unit.id], unit
        while node is not None and node.successor is not None:
            node = units.get(node.successor)
            if node is None:
                problems.append(f"{where}: {chain[-1]!r} names {units[chain[-1]].successor!r}, which is not "
                                "in units; name the unit that takes over its work")
            elif node.id in chain:
                problems.append(f"{where}: the successors of {unit.id!r} form a loop "
                                f"({' -> '.join(chain)} -> {node.id}); one of them must be the live unit")
                node = None
            else:
                chain.append(node.id)
        if node is None:
            continue
        unit.final = node
        if not unit.mailbox:
            problems.append(f"{where}: {unit.id!r} has no mailbox whose mail could go to {node.id!r}; "
                            "remove successor (or the unit)")
        elif not node.mailbox:
            problems.append(f"{where}: {node.id!r} has no mailbox to receive the mail of {unit.id!r}; "
                            "name a successor with one")
        if unit.head is not None or unit.delegates:
            problems.append(f"{unit.where()}: a dissolved unit's mailbox is opened by the head and "
                            f"delegates of {node.id!r}; remove head and delegates from {unit.id!r}")
    for unit in units.values():
        parent = units.get(unit.parent) if unit.parent else None
        if unit.successor is None and parent is not None and parent.successor is not None:
            problems.append(f"{unit.where()}.parent: {parent.id!r} is dissolved (successor "
                            f"{parent.successor!r}); move {unit.id!r} under a live unit or dissolve it too")


def _link_units(units, problems):
    for unit in units.values():
        if unit.parent is not None and unit.parent not in units:
            problems.append(f"{unit.where()}.parent: unknown unit {unit.parent!r}")
            unit.parent = None
    for unit in units.values():
        chain, seen, node = [], set(), unit
        while node is not None:
            if node.id in seen:
                problems.append(f"{unit.where()}.parent: the parents of {unit.id!r} form a cycle "
                                f"({' -> '.join(u.id for u in chain)} -> {node.id})")
                chain = None
                break
            seen.add(node.id)
            chain.append(node)
            node = units.get(node.parent) if node.parent else None
        unit.chain = chain  # the unit first, its root last; None in a cycle
        if chain and unit.type in PARENT_TYPES:
            parent_type = units[unit.parent].type if unit.parent else None
            if parent_type not in PARENT_TYPES[unit.type]:
                allowed = [t or "none" for t in PARENT_TYPES[unit.type]]
                under = f"under a {parent_type}" if parent_type else "without a parent"
                problems.append(f"{unit.where()}.parent: a {unit.type} cannot stand {under}; "
                                f"allowed parents: {', '.join(allowed)}")


def _birth_year(value, where, problems):
    if value is None:
        return None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return str(value.year)
    if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100:
        return str(value)
    if isinstance(value, str):
        try:
            return str(datetime.date.fromisoformat(value.strip()).year)
        except ValueError:
            pass
    problems.append(f"{where}.birth_date: {value!r} is not a date such as 1990-04-12")
    return None


def _reopen(value, where, problems):
    """The date of a written request to reopen an account that the lifecycle job locked."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    problems.append(f"{where}.reopen: {value!r} is not a date such as 2025-06-02 (the day of the request)")
    return None


def _parts(person, entry, where, problems):
    """Split the name into surname, middle names and given name."""
    parts = entry.get("parts")
    all_words = person.words = text.words(person.name)
    if parts is None:
        if len(all_words) == 1:
            person.surname, person.middle, person.given = [], [], all_words
        else:
            person.surname, person.middle, person.given = all_words[:1], all_words[1:-1], all_words[-1:]
        return
    if not isinstance(parts, dict):
        problems.append(f"{where}.parts: must be a mapping with surname, middle and given")
        return
    _keys(parts, ("surname", "middle", "given"), f"{where}.parts", problems)
    split = {}
    for key in ("surname", "middle", "given"):
        value = parts.get(key)
        if value is None:
            value = []
        elif isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            problems.append(f"{where}.parts.{key}: must be text or a list of words")
            return
        cleaned = [_name(v, f"{where}.parts.{key}", problems) for v in value]
        if None in cleaned:
            return
        split[key] = [w for v in cleaned for w in text.words(v)]
    if not split["given"]:
        problems.append(f"{where}.parts.given: missing")
        return
    given_keys = sorted(text.word_key(w) for w in split["surname"] + split["middle"] + split["given"])
    if given_keys != sorted(text.word_key(w) for w in all_words):
        problems.append(f"{where}.parts: the words of parts must be the words of the name "
                        f"{person.name!r}, each once")
        return
    person.surname, person.middle, person.given = split["surname"], split["middle"], split["given"]


def read_people(roster, units, seen, problems):
    people = []
    for index, where, entry in _mappings(roster, "people", "id, name and unit", PERSON_KEYS, problems):
        person = Person()
        person.index = index
        person.id = _check_id(entry, where, seen, problems)
        person.name = _name(entry.get("name"), f"{where}.name", problems)
        unit = entry.get("unit")
        person.unit = units.get(str(unit)) if unit is not None else None
        if person.unit is None:
            problems.append(f"{where}.unit: unknown unit {unit!r}" if unit is not None
                            else f"{where}.unit: missing")
        elif person.unit.successor is not None and (entry.get("status") or "active") != "recalled":
            problems.append(f"{where}.unit: {person.unit.id!r} is dissolved (successor {person.unit.successor!r}); "
                            "move the person to a live unit")
        person.birth_year = _birth_year(entry.get("birth_date"), where, problems)
        person.quota = _quota(entry, where, problems)
        person.status = entry.get("status") or "active"
        if person.status not in STATUSES:
            problems.append(f"{where}.status: {person.status!r} is not one of {', '.join(STATUSES)}")
        person.reopen = _reopen(entry.get("reopen"), where, problems)
        person.pinned = entry.get("address")
        person.aliases = _aliases(entry, where, problems)
        person.surname = person.middle = person.given = None
        person.key = None
        if person.name:
            _parts(person, entry, where, problems)
        people.append(person)
    return people


def check_delegates(units, people, problems):
    by_id = {p.id: p for p in people if p.id is not None}
    for unit in units.values():
        named = [("head", unit.head)] if unit.head is not None else []
        for key, delegate in named + [("delegates", d) for d in unit.delegates]:
            person = by_id.get(delegate)
            if person is None:
                problems.append(f"{unit.where()}.{key}: {delegate!r} is not in people")
            elif person.status == "recalled":
                problems.append(f"{unit.where()}.{key}: {delegate!r} is recalled")


def read(roster):
    """Check a roster's structure. Returns (units by id, people, problems)."""
    problems = []
    if not isinstance(roster, dict):
        return {}, [], ["mail_roster: must be a mapping with policy, units and people"]
    _keys(roster, ROSTER_KEYS, "mail_roster", problems)
    seen = {}
    units = read_units(roster, seen, problems)
    people = read_people(roster, units, seen, problems)
    check_delegates(units, people, problems)
    return units, people, problems
