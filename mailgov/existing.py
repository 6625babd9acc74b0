"""What the accounts already have in the directory, as the renderer reads it: addresses, units and
former addresses, so that an address once given is kept, and a roster can be re-homed."""

from . import roster as rosters


class Existing:
    """What accounts already have, read from ``existing``: {id: value}, each value the address or a
    mapping with ``address``, ``unit`` (the unit the account was last synced with) and ``former``
    (addresses it had before a transfer or a re-homing).

    ``held`` maps ids to local parts in the domain; ``units`` ids to unit ids; ``formers`` ids to
    former local parts in the domain and ``legacy_formers`` ids to former addresses in a legacy
    domain. An address in a legacy domain is an account the roster re-homes into its domain
    (``homes``: id -> that address); its local part is the one it keeps there.
    """

    def __init__(self, existing, domain, legacy, problems):
        self.held, self.units, self.formers, self.legacy_formers, self.homes = {}, {}, {}, {}, {}
        self.domain, self.legacy, self.problems = domain, legacy, problems
        if existing is None:
            return
        if not isinstance(existing, dict):
            problems.append("existing: must map account ids to their addresses")
            return
        owners = {}
        for ident, value in existing.items():
            ident = str(ident)
            record = value if isinstance(value, dict) else {"address": value}
            local = self._local(record.get("address"), ident, f"existing[{ident}]")
            if local is None:
                continue
            if local in owners:
                problems.append(f"existing[{ident}]: {local} is also the address of {owners[local]}")
                continue
            owners[local] = ident
            self.held[ident] = local
            if record.get("unit") is not None:
                self.units[ident] = str(record["unit"])
            self._formers(ident, local, record.get("former") or [])

    def _domain_of(self, address):
        return address.strip().lower().partition("@")[2] if isinstance(address, str) else ""

    def _local(self, address, ident, where):
        domain = self._domain_of(address)
        if domain in self.legacy:
            self.homes[ident] = address.strip().lower()
            address = address.strip().rpartition("@")[0]
        elif domain and domain != self.domain:
            self.problems.append(f"{where}: {address} is outside the domain {self.domain}; to re-home "
                                 f"the accounts of {domain} into it, list {domain} in legacy_domains")
            return None
        return rosters.address_local(address, self.domain, where, self.problems)

    def _formers(self, ident, local, addresses):
        self.formers[ident], self.legacy_formers[ident] = [], []
        for i, address in enumerate(addresses):
            if self._domain_of(address) in self.legacy:
                self.legacy_formers[ident].append(address.strip().lower())
                continue
            old = rosters.address_local(address, self.domain, f"existing[{ident}].former[{i}]", self.problems)
            if old is not None and old != local:
                self.formers[ident].append(old)
