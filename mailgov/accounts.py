"""From a roster to accounts: the whole roster is checked before anything is rendered."""

from . import domains
from . import policy as policies
from . import roster as rosters
from . import text
from .errors import RosterError
from .existing import Existing
from .naming import RESERVED, Namer
from .sizes import size_bytes


FORMER = " (former address)"


def _holder_text(holder):
    """How a problem names whoever holds a local part."""
    return "a reserved name" if holder == RESERVED else f"already the address of {holder}"


def _claim(taken, local, owner, where, problems):
    holder = taken.get(local)
    # A person may take back an address they had before a transfer, as their address or an alias.
    own_former = isinstance(holder, str) and holder.endswith(FORMER) and \
        holder[: -len(FORMER)] == owner.split(" (")[0]
    if holder is None or holder == owner or own_former:
        taken[local] = owner
        return True
    problems.append(f"{where}: {local} is {_holder_text(holder)}")
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
    rules, units, people = _read(roster, policy, problems)
    legacy, _ = domains.read_domains(roster, rules["domain"], problems)
    fixed_delegates = _fixed_delegates(roster, rules, people, problems)
    book = _AddressBook(rules, existing, problems, legacy)
    # Pinned addresses and aliases are claimed before any address is derived.
    for person in people:
        if person.pinned is not None:
            book.claim_pinned(person)
    aliases = {person.id: book.claim_aliases(person) for person in people}
    book.name_units(units)
    # After the units' own addresses, so that an alias can never take one.
    aliases.update({unit.id: book.claim_aliases(unit) for unit in units.values() if unit.mailbox})
    if problems:
        raise RosterError(problems)
    book.readdress_moved(people)
    book.rederive(people)
    book.name_newcomers(people)
    if problems:
        raise RosterError(problems)
    # A dissolved unit leaves the tree; its mailbox stays, as one of its successor's.
    live = [u for u in units.values() if u.successor is None]
    tree = [_unit_entry(u, book.domain) for u in sorted(live, key=lambda u: (len(u.chain), u.index))]
    accounts = _accounts(rules, units, people, aliases, book)
    for account in accounts[: len(book.fixed)]:
        account["delegates"] = fixed_delegates.get(account["id"], [])
    return {"units": tree, "accounts": accounts, "legacy_domains": legacy}


def _read(roster, policy, problems):
    """The policy (as given, or resolved from the roster), the units and the people with an id.

    Unit addresses are checked even when some people are wrong, so that one run reports all;
    they cannot be named while the policy or a unit is wrong: then this raises RosterError.
    """
    if not isinstance(roster, dict):
        raise RosterError(["mail_roster: must be a mapping with policy, units and people"])
    rules = policy
    if rules is None:
        try:
            rules = policies.resolve(roster.get("policy"), roster.get("domain"))
        except RosterError as err:
            problems.extend(err.problems)
    units, people, structure = rosters.read(roster)
    problems.extend(structure)
    if rules is None or any(p.startswith("units") for p in structure):
        raise RosterError(problems)
    return rules, units, [p for p in people if p.id is not None]


def _fixed_delegates(roster, rules, people, problems):
    """Who opens each of the policy's fixed mailboxes with their own password, as a unit
    mailbox's delegates do: the roster's fixed_delegates, {local part: [people ids]}."""
    given = roster.get("fixed_delegates") or {}
    if not isinstance(given, dict):
        problems.append("fixed_delegates: must map fixed mailboxes (their local parts) to lists of people ids")
        return {}
    fixed = [str(m["local_part"]) for m in rules["fixed_mailboxes"]]
    by_id = {p.id: p for p in people}
    found = {}
    for local, ids in given.items():
        where = f"fixed_delegates.{local}"
        if str(local) not in fixed:
            problems.append(f"{where}: not a fixed mailbox of the policy ({', '.join(fixed) or 'it has none'})")
        elif not isinstance(ids, list):
            problems.append(f"{where}: must be a list of people ids")
        else:
            for ident in ids:
                person = by_id.get(str(ident))
                if person is None or person.status == "recalled":
                    problems.append(f"{where}: {ident!r} is " + ("not in people" if person is None else "recalled"))
            found[f"fixed:{local}"] = [str(i) for i in ids]
    return found


def _fixed_mailboxes(rules, taken):
    """The policy's fixed mailboxes as (id, local part, name), each local part claimed."""
    fixed = []
    for mailbox in rules["fixed_mailboxes"]:
        local = str(mailbox["local_part"])
        ident = f"fixed:{local}"
        taken[local] = ident
        fixed.append((ident, local, text.clean(mailbox["name"])))
    return fixed


class _AddressBook:
    """Who holds which local part while a roster is rendered.

    First the reserved names, the fixed mailboxes, the addresses accounts already have and
    those they had before a transfer (which stay reserved); then what the roster pins, its
    aliases, the unit addresses and last the addresses derived for newcomers.
    """

    def __init__(self, rules, existing, problems, legacy=()):
        self.problems = problems
        self.domain = rules["domain"]
        self.legacy = list(legacy)
        self.legacy_taken = {}  # address in a legacy domain -> who has it as an alias
        self.namer = Namer(rules)
        found = Existing(existing, self.domain, self.legacy, problems)
        self.held, self.held_units = found.held, found.units
        self.transfer_new = (rules.get("transfer") or {}).get("address") == "new"
        self.derive = (rules.get("rehome") or {}).get("addresses") == "derive"
        self.transfers = {}  # person id -> the local part they had before this render
        # account id -> the address it had before this render re-homed it (another domain, or rules)
        self.rehomed = dict(found.homes)
        self.taken = dict.fromkeys(rules["reserved"], RESERVED)
        self.fixed = _fixed_mailboxes(rules, self.taken)
        for ident, local in self.held.items():
            where = f"existing[{ident}]"
            if ident in found.homes:
                where += f" ({found.homes[ident]}, re-homed into {self.domain}; pin an address for {ident})"
            _claim(self.taken, local, ident, where, problems)
        for ident, olds in found.formers.items():
            for local in olds:
                _claim(self.taken, local, ident + FORMER, f"existing[{ident}].former", problems)
        for ident, address in found.homes.items():
            self.legacy_taken[address] = ident + FORMER
        for ident, addresses in found.legacy_formers.items():
            for address in addresses:
                self.legacy_taken[address] = ident + FORMER

    def moved(self, person):
        """Under ``transfer: new``, a person whose unit is not the one the directory has."""
        before = self.held_units.get(person.id)
        return (self.transfer_new and person.unit is not None and before is not None
                and before != person.unit.id and person.status != "recalled")

    def claim_pinned(self, person):
        """A pinned address: it cannot replace the address an account has, but on a transfer."""
        where = f"{person.where()}.address"
        local = rosters.address_local(person.pinned, self.domain, where, self.problems)
        if local is None:
            return
        if person.id not in self.held or self.held[person.id] == local:
            _claim(self.taken, local, person.id, where, self.problems)
            self.held[person.id] = local
        elif self.derive or person.id in self.rehomed:
            if _claim(self.taken, local, person.id, where, self.problems):
                self._release(person.id)
                self.held[person.id] = local
        elif self.moved(person):
            if _claim(self.taken, local, person.id, where, self.problems):
                self.transfers[person.id] = self.held[person.id]
                self.held[person.id] = local
        else:
            self.problems.append(f"{where}: {person.id} already has {self.held[person.id]}@{self.domain}; "
                                 "an address never changes (add the new one to aliases instead)")

    def claim_aliases(self, holder):
        """The addresses among a person's or unit's aliases that are theirs to take."""
        taken = []
        for i, alias in enumerate(holder.aliases):
            where = f"{holder.where()}.aliases[{i}]"
            found = domains.alias_address(alias, self.domain, self.legacy, where, self.problems)
            if found is None:
                continue
            local, domain = found
            owner = f"{holder.id} (alias)"
            if domain == self.domain:
                claimed = _claim(self.taken, local, owner, where, self.problems)
            else:  # a legacy domain: nobody is given an address there but by the roster's aliases
                claimed = _claim(self.legacy_taken, f"{local}@{domain}", owner, where, self.problems)
            if claimed:
                taken.append(f"{local}@{domain}")
        return taken

    def name_units(self, units):
        """Give every unit its address: the one it has, else the one its rule derives."""
        # Parents before children, so each can use its parent's suffix.
        for unit in sorted(units.values(), key=lambda u: len(u.chain)):
            self.namer.unit_tokens(unit)
        owners = {}  # local part -> the unit newly given it
        for unit in units.values():
            if unit.id in self.held:
                unit.local_part = self.held[unit.id]
                continue
            unit.local_part = self.namer.unit_local_part(unit)
            problem = self._unit_address_problem(unit, owners)
            if problem:
                self.problems.append(problem)
            else:
                owners[unit.local_part] = unit
        for local, unit in owners.items():
            self.taken[local] = unit.id

    def _unit_address_problem(self, unit, owners):
        """Why the address derived for a unit cannot be its own, or None."""
        local = unit.local_part
        if local is None:
            return (f"{unit.where()}: no address template of the {unit.type} rule applies "
                    f"to {unit.name!r}; set abbr or check its parent")
        problem = rosters.local_part_problem(local)
        if problem:
            return f"{unit.where()}: its address {problem}; set abbr"
        if local in owners:
            other = owners[local]
            return (f"{unit.where()} ({unit.name!r}) and {other.where()} ({other.name!r}) "
                    f"would both get {local}@{self.domain}; set abbr on one of them")
        if local in self.taken:
            return f"{unit.where()} ({unit.name!r}): its address {local} is {_holder_text(self.taken[local])}; set abbr"
        return None

    def readdress_moved(self, people):
        """A person moved to a unit whose part of the address differs gets a new address there,
        as a newcomer would, or takes back the one they had there before."""
        for person in people:
            if person.pinned is None and person.id in self.held and self.moved(person) \
                    and not self.namer.fits_unit(person, self.held[person.id]):
                self.transfers[person.id] = self.held.pop(person.id)
                back = self.namer.base_address(person)
                if self.taken.get(back) == person.id + FORMER:  # not when the roster made it an alias
                    self.taken[back] = person.id
                    self.held[person.id] = back

    def _release(self, ident):
        """The account leaves the address it holds: the old one stays reserved as its former one."""
        local = self.held.pop(ident)
        if ident in self.rehomed:  # from another domain: the local part here was never given
            if self.taken.get(local) == ident:
                del self.taken[local]
            return
        self.rehomed[ident] = f"{local}@{self.domain}"
        self.taken[local] = ident + FORMER

    def rederive(self, people):
        """Under ``rehome.addresses: derive``, a person whose address is not a form the rules give
        leaves it: named again as a newcomer, or taking back a former address the rules give."""
        if not self.derive:
            return
        for person in people:
            if person.pinned is not None or person.status == "recalled" or person.id in self.transfers \
                    or person.id not in self.held or self.namer.gives(person, self.held[person.id]):
                continue
            self._release(person.id)
            back = self.namer.base_address(person)
            if back is not None and self.taken.get(back) == person.id + FORMER:
                self.taken[back] = person.id
                self.held[person.id] = back

    def rehome(self, ident, address):
        """What re-homing took the account from: the address it had before, or None."""
        old = self.rehomed.get(ident)
        return {"from": old} if old and old != address else None

    def name_newcomers(self, people):
        """Derive the addresses of the people who have none, collisions resolved in roster order."""
        holders = {p.id: p for p in people}
        # Whose former address it is counts when a newcomer's name meets it (same full name or not).
        holders.update({p.id + FORMER: p for p in people})
        newcomers = [p for p in people if p.id not in self.held]
        assigned = self.namer.resolve_people(newcomers, self.taken, holders)
        for person in newcomers:
            problem = rosters.local_part_problem(assigned[person.id])
            if problem:
                self.problems.append(f"{person.where()}: the derived address {problem}; set address by hand")
        self.held.update(assigned)

    def transfer(self, person):
        """What a transfer to a new address in this render took the person from, or None."""
        if person.id not in self.transfers:
            return None
        return {"from": f"{self.transfers[person.id]}@{self.domain}", "from_unit": self.held_units[person.id]}


def _accounts(rules, units, people, aliases, book):
    """Fixed mailboxes first, then unit mailboxes, then people, in roster order."""
    domain = book.domain
    unit_quota = size_bytes(rules["quota"]["unit"])
    person_quota = size_bytes(rules["quota"]["person"])
    accounts = [_fixed_account(ident, local, name, domain, unit_quota) for ident, local, name in book.fixed]
    accounts.extend(_unit_account(u, aliases[u.id], domain, unit_quota) for u in units.values() if u.mailbox)
    for person in people:
        account = _person_account(person, book.held[person.id], aliases[person.id],
                                  domain, _quota_for(person, person_quota))
        account["transfer"] = book.transfer(person)
        accounts.append(account)
    for account in accounts:
        account["rehome"] = book.rehome(account["id"], account["address"])
    return accounts


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
        # A dissolved unit's mailbox: the address of the live unit mailbox that receives its mail.
        "successor": None,
        # Re-homed (policy.rehome) from another address: {"from": the old address}.
        "rehome": None,
    }


def _fixed_account(ident, local, name, domain, quota):
    return _account(ident, "unit", local, domain, name, None, quota, "active")


def _unit_account(unit, aliases, domain, quota):
    # A dissolved unit's mailbox belongs to its successor: opened by the successor's head and
    # delegates, its address delivering to the successor's mailbox.
    owner = unit.final or unit
    account = _account(unit.id, "unit", unit.local_part, domain, unit.name, owner, quota, "active")
    account["unit_type"] = unit.type
    account["aliases"] = list(aliases)
    # The head uses the unit mailbox as its delegates do.
    account["delegates"] = list(dict.fromkeys(([owner.head] if owner.head else []) + owner.delegates))
    if unit.final is not None:
        account["successor"] = f"{unit.final.local_part}@{domain}"
    return account


def _person_account(person, local, aliases, domain, quota):
    account = _account(person.id, "person", local, domain, person.name, person.unit, quota,
                       person.status)
    account["surname"] = " ".join(person.surname) or None
    account["given_name"] = " ".join(person.middle + person.given)
    account["aliases"] = list(aliases)
    account["reopen"] = person.reopen
    return account
