"""From a roster to accounts: the whole roster is checked before anything is rendered."""

from . import policy as policies
from . import roster as rosters
from . import text
from .errors import RosterError
from .naming import RESERVED, Namer
from .sizes import size_bytes


def _existing_map(existing, domain, problems):
    """{id: local part} from the addresses accounts already have."""
    if existing is None:
        return {}
    if not isinstance(existing, dict):
        problems.append("existing: must map account ids to their addresses")
        return {}
    result, owners = {}, {}
    for ident, address in existing.items():
        local = rosters.address_local(address, domain, f"existing[{ident}]", problems)
        if local is None:
            continue
        if local in owners:
            problems.append(f"existing[{ident}]: {local} is also the address of {owners[local]}")
            continue
        owners[local] = ident
        result[str(ident)] = local
    return result


def _claim(taken, local, owner, where, problems):
    holder = taken.get(local)
    if holder is None or holder == owner:
        taken[local] = owner
        return True
    what = "a reserved name" if holder == RESERVED else f"already the address of {holder}"
    problems.append(f"{where}: {local} is {what}")
    return False


def _quota_for(person, default):
    if person.quota is not None:
        return person.quota
    return next((u.quota for u in person.unit.chain if u.quota is not None), default)


def render(roster, existing=None, policy=None):
    """Render accounts from a roster; raise RosterError with every problem found.

    ``policy`` is the roster's policy as resolved by mail_policy, for code that
    runs where the preset files are not (the directory sync on the LDAP host).
    """
    return render_directory(roster, existing, policy)["accounts"]


def render_directory(roster, existing=None, policy=None):
    """Like render, but also return the units, parents first, for the directory tree."""
    problems = []
    rules = policy
    if not isinstance(roster, dict):
        raise RosterError(["mail_roster: must be a mapping with policy, units and people"])
    if rules is None:
        try:
            rules = policies.resolve(roster.get("policy"), roster.get("domain"))
        except RosterError as err:
            problems.extend(err.problems)
    units, people, structure = rosters.read(roster)
    problems.extend(structure)
    # Unit addresses are checked even when some people are wrong, so that one run
    # reports all; they cannot be named while the policy or a unit is wrong.
    if rules is None or any(p.startswith("units") for p in structure):
        raise RosterError(problems)
    people = [p for p in people if p.id is not None]

    domain = rules["domain"]
    namer = Namer(rules)
    held = _existing_map(existing, domain, problems)
    taken = {}
    for word in rules["reserved"]:
        taken[word] = RESERVED
    fixed = []
    for mailbox in rules["fixed_mailboxes"]:
        local = str(mailbox["local_part"])
        ident = f"fixed:{local}"
        taken[local] = ident
        fixed.append((ident, local, text.clean(mailbox["name"])))
    for ident, local in held.items():
        _claim(taken, local, ident, f"existing[{ident}]", problems)

    # Pinned addresses and aliases are claimed before any address is derived.
    for person in people:
        if person.pinned is not None:
            local = rosters.address_local(person.pinned, domain, f"{person.where()}.address", problems)
            if local is not None and person.id in held and held[person.id] != local:
                problems.append(f"{person.where()}.address: {person.id} already has "
                                f"{held[person.id]}@{domain}; an address never changes "
                                "(add the new one to aliases instead)")
            elif local is not None:
                _claim(taken, local, person.id, f"{person.where()}.address", problems)
                held[person.id] = local
    alias_locals = {}
    for person in people:
        locals_ = []
        for i, alias in enumerate(person.aliases):
            where = f"{person.where()}.aliases[{i}]"
            local = rosters.address_local(alias, domain, where, problems)
            if local is not None and _claim(taken, local, f"{person.id} (alias)", where, problems):
                locals_.append(local)
        alias_locals[person.id] = locals_

    # Units: parents before children, so each can use its parent's suffix.
    for unit in sorted(units.values(), key=lambda u: len(u.chain)):
        namer.unit_tokens(unit)
    unit_owner = {}
    for unit in units.values():
        if unit.id in held:
            unit.local_part = held[unit.id]
            continue
        local = namer.unit_local_part(unit)
        unit.local_part = local
        if local is None:
            problems.append(f"{unit.where()}: no address template of the {unit.type} rule applies "
                            f"to {unit.name!r}; set abbr or check its parent")
            continue
        problem = rosters.local_part_problem(local)
        if problem:
            problems.append(f"{unit.where()}: its address {problem}; set abbr")
        elif local in unit_owner:
            other = unit_owner[local]
            problems.append(f"{unit.where()} ({unit.name!r}) and {other.where()} ({other.name!r}) "
                            f"would both get {local}@{domain}; set abbr on one of them")
        elif local in taken:
            holder = taken[local]
            what = "a reserved name" if holder == RESERVED else f"already the address of {holder}"
            problems.append(f"{unit.where()} ({unit.name!r}): its address {local} is {what}; set abbr")
        else:
            unit_owner[local] = unit
    for local, unit in unit_owner.items():
        taken[local] = unit.id
    if problems:
        raise RosterError(problems)

    holders = {p.id: p for p in people}
    newcomers = [p for p in people if p.id not in held]
    assigned = namer.resolve_people(newcomers, taken, holders)
    for person in newcomers:
        problem = rosters.local_part_problem(assigned[person.id])
        if problem:
            problems.append(f"{person.where()}: the derived address {problem}; set address by hand")
    if problems:
        raise RosterError(problems)
    held.update(assigned)

    unit_quota = size_bytes(rules["quota"]["unit"])
    person_quota = size_bytes(rules["quota"]["person"])
    accounts = [_fixed_account(ident, local, name, domain, unit_quota) for ident, local, name in fixed]
    accounts.extend(_unit_account(u, domain, unit_quota) for u in units.values() if u.mailbox)
    for person in people:
        accounts.append(_person_account(person, held[person.id], alias_locals[person.id],
                                        domain, _quota_for(person, person_quota)))
    tree = [_unit_entry(u, domain) for u in sorted(units.values(), key=lambda u: (len(u.chain), u.index))]
    return {"units": tree, "accounts": accounts}


def _unit_entry(unit, domain):
    return {
        "id": unit.id,
        "name": unit.name,
        "type": unit.type,
        "parent": unit.parent,
        "path": [u.id for u in reversed(unit.chain)],
        "address": f"{unit.local_part}@{domain}" if unit.mailbox else None,
    }


def _account(ident, kind, local, domain, name, unit, quota, status):
    return {
        "id": ident,
        "kind": kind,
        "local_part": local,
        "address": f"{local}@{domain}",
        "display_name": name,
        "ascii_name": text.fold(name),
        "surname": None,
        "given_name": None,
        "unit": unit.id if unit else None,
        "unit_name": unit.name if unit else None,
        "unit_path": [u.id for u in reversed(unit.chain)] if unit else [],
        "quota_bytes": quota,
        "status": status,
        "aliases": [],
        "delegates": [],
        "reopen": None,
    }


def _fixed_account(ident, local, name, domain, quota):
    return _account(ident, "unit", local, domain, name, None, quota, "active")


def _unit_account(unit, domain, quota):
    account = _account(unit.id, "unit", unit.local_part, domain, unit.name, unit, quota, "active")
    account["unit_type"] = unit.type
    # The head uses the unit mailbox as its delegates do.
    account["delegates"] = list(dict.fromkeys(([unit.head] if unit.head else []) + unit.delegates))
    return account


def _person_account(person, local, aliases, domain, quota):
    account = _account(person.id, "person", local, domain, person.name, person.unit, quota,
                       person.status)
    account["surname"] = " ".join(person.surname) or None
    account["given_name"] = " ".join(person.middle + person.given)
    account["aliases"] = [f"{a}@{domain}" for a in aliases]
    account["reopen"] = person.reopen
    return account
