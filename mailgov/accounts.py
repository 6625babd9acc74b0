"""From a roster to accounts: the whole roster is checked before anything is rendered."""

from . import policy as policies
from . import roster as rosters
from . import text
from .errors import RosterError
from .naming import RESERVED, Namer
from .sizes import size_bytes


def _existing_map(existing, domain, problems):
    """From what accounts already have: ({id: local part}, {id: unit id}, {id: [former local parts]}).

    Each value is the address, or a mapping with ``address``, ``unit`` (the unit the account
    was last synced with) and ``former`` (addresses it had before a transfer).
    """
    if existing is None:
        return {}, {}, {}
    if not isinstance(existing, dict):
        problems.append("existing: must map account ids to their addresses")
        return {}, {}, {}
    result, units, formers, owners = {}, {}, {}, {}
    for ident, value in existing.items():
        ident = str(ident)
        record = value if isinstance(value, dict) else {"address": value}
        local = rosters.address_local(record.get("address"), domain, f"existing[{ident}]", problems)
        if local is None:
            continue
        if local in owners:
            problems.append(f"existing[{ident}]: {local} is also the address of {owners[local]}")
            continue
        owners[local] = ident
        result[ident] = local
        if record.get("unit") is not None:
            units[ident] = str(record["unit"])
        olds = []
        for i, address in enumerate(record.get("former") or []):
            old = rosters.address_local(address, domain, f"existing[{ident}].former[{i}]", problems)
            if old is not None and old != local:
                olds.append(old)
        formers[ident] = olds
    return result, units, formers


FORMER = " (former address)"


def _claim(taken, local, owner, where, problems):
    holder = taken.get(local)
    # A person may take back an address they had before a transfer, as their address or an alias.
    own_former = isinstance(holder, str) and holder.endswith(FORMER) and \
        holder[: -len(FORMER)] == owner.split(" (")[0]
    if holder is None or holder == owner or own_former:
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
    held, held_units, formers = _existing_map(existing, domain, problems)
    transfer_new = (rules.get("transfer") or {}).get("address") == "new"
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
    for ident, olds in formers.items():
        for local in olds:
            _claim(taken, local, ident + FORMER, f"existing[{ident}].former", problems)

    def moved(person):
        """Under ``transfer: new``, a person whose unit is not the one the directory has."""
        before = held_units.get(person.id)
        return (transfer_new and person.unit is not None and before is not None
                and before != person.unit.id and person.status != "recalled")

    transfers = {}  # person id -> the local part they had before this render

    # Pinned addresses and aliases are claimed before any address is derived.
    for person in people:
        if person.pinned is not None:
            local = rosters.address_local(person.pinned, domain, f"{person.where()}.address", problems)
            if local is not None and person.id in held and held[person.id] != local and moved(person):
                if _claim(taken, local, person.id, f"{person.where()}.address", problems):
                    transfers[person.id] = held[person.id]
                    held[person.id] = local
            elif local is not None and person.id in held and held[person.id] != local:
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
    # Whose former address it is counts when a newcomer's name meets it (same full name or not).
    holders.update({p.id + FORMER: p for p in people})
    # A person moved to a unit whose part of the address differs gets a new address there, as a
    # newcomer would, or takes back the one they had there before.
    for person in people:
        if person.pinned is None and person.id in held and moved(person) \
                and not namer.fits_unit(person, held[person.id]):
            transfers[person.id] = held.pop(person.id)
            back = namer.base_address(person)
            if taken.get(back) == person.id + FORMER:  # not when the roster made it an alias
                taken[back] = person.id
                held[person.id] = back
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
        account = _person_account(person, held[person.id], alias_locals[person.id],
                                  domain, _quota_for(person, person_quota))
        if person.id in transfers:
            account["transfer"] = {"from": f"{transfers[person.id]}@{domain}",
                                   "from_unit": held_units[person.id]}
        accounts.append(account)
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
        # A transfer to another unit gave a new address: {"from": old address, "from_unit": id}.
        "transfer": None,
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
