"""The domains a server hosts, each with its own policy, units and people, in one directory.

A roster may host other mail domains besides its own (``hosted``): an agency with a domain of
its own on the province's server, or each province of a merger until their rosters are one.
Each hosted domain is a roster of its own (``policy``, ``domain``, ``units``, ``people``) whose
addresses, quotas, sizes and password rules follow its own policy.

The directory has one suffix, the server's (``dc=gialai,dc=gov,dc=vn``), and one branch per
mail domain right below it, ``ou=<domain>``, holding that domain's ``ou=people``,
``ou=mailboxes`` and ``ou=units``; the service accounts (``ou=services``) and the password
policies (``ou=policies``, one ``cn=<domain>`` each for the hosted ones) are shared.
docs/directory.md says why.
"""

from . import accounts
from . import policy as policies
from . import roster as rosters
from .dn import rdn
from .domains import DOMAIN_PATTERN
from .errors import RosterError

HOSTED_KEYS = ("policy", "domain", "fixed_delegates", "units", "people")
BRANCHES = ("people", "mailboxes", "units")


def domain_dn(domain, suffix):
    """The branch of one mail domain: ou=sct.gialai.gov.vn,dc=gialai,dc=gov,dc=vn."""
    return f"{rdn('ou', domain)},{suffix}"


def policy_dn(domain, suffix):
    """The password policy of a hosted domain (ppolicy's pwdPolicySubentry of its accounts)."""
    return f"{rdn('cn', domain)},ou=policies,{suffix}"


class Domain:
    """One mail domain of the server: its roster, its resolved policy, and where the roster says it."""

    __slots__ = ("name", "roster", "policy", "where", "hosted")

    def __init__(self, name, roster, policy, where, hosted):
        self.name, self.roster, self.policy, self.where, self.hosted = name, roster, policy, where, hosted

    def prefix(self, problems):
        """A hosted roster's problems, each naming the entry it is in."""
        return [f"{self.where}.{p}" if self.hosted else p for p in problems]


def _hosted_roster(entry, where, problems):
    """A hosted roster as a mapping with its policy resolved; None (and problems) when it is wrong."""
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be a mapping with policy, domain, units and people")
        return None
    for key in entry:
        if key not in HOSTED_KEYS:
            hint = (" (only the server's own roster has them)" if key in rosters.ROSTER_KEYS
                    else f"; known: {', '.join(HOSTED_KEYS)}")
            problems.append(f"{where}.{key}: not a key of a hosted domain{hint}")
    try:
        return policies.resolve(entry.get("policy"), entry.get("domain"))
    except RosterError as err:
        problems.extend(f"{where}.{p}" for p in err.problems)
        return None


def read(roster, policy=None):
    """Every mail domain of the server, the roster's own first; raise RosterError naming each problem.

    ``policy`` is the roster's own, already resolved. Each domain is listed once among the roster's
    own, its legacy and alias domains and the hosted ones; ids are unique across all of them, so
    that an id names one account of the server."""
    problems = []
    if not isinstance(roster, dict):
        raise RosterError(["mail_roster: must be a mapping with policy, units and people"])
    if policy is None:
        policy = policies.resolve(roster.get("policy"), roster.get("domain"))
    own = Domain(policy["domain"], roster, policy, "mail_roster", False)
    taken = {own.name: "the roster's domain"}
    for key in ("legacy_domains", "alias_domains"):
        values = roster.get(key)
        for index, name in enumerate(values if isinstance(values, list) else []):
            if isinstance(name, str):
                taken.setdefault(name.strip().lower(), f"{key}[{index}]")
    found = [own]
    for index, entry in enumerate(rosters.entries(roster, "hosted", problems)):
        where = f"hosted[{index}]"
        resolved = _hosted_roster(entry, where, problems)
        if resolved is None:
            continue
        name = resolved["domain"]
        if not DOMAIN_PATTERN.match(name):
            problems.append(f"{where}.domain: {name!r} is not a domain name such as sct.gialai.gov.vn")
        elif name in taken:
            problems.append(f"{where}.domain: {name} is already {taken[name]}; list each domain once")
        else:
            taken[name] = where
            found.append(Domain(name, entry, resolved, where, True))
    _check_ids(found, problems)
    if problems:
        raise RosterError(problems)
    return found


def _check_ids(found, problems):
    seen = {}
    for domain in found:
        for key in ("units", "people"):
            entries = domain.roster.get(key)
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                ident = entry.get("id") if isinstance(entry, dict) else None
                if ident is None or isinstance(ident, bool):
                    continue
                where = f"{domain.where}.{key}[{index}]" if domain.hosted else f"{key}[{index}]"
                other = seen.setdefault(str(ident), (domain.name, where))
                if other[0] != domain.name:
                    problems.append(f"{where}.id: {ident!r} is also {other[1]} ({other[0]}); an id names one "
                                    "account of the server: give one of them another")


def names(roster, policy=None):
    """The hosted domains' names, in roster order."""
    return [d.name for d in read(roster, policy)[1:]]


def render(roster, existing=None, policy=None):
    """The accounts of every domain of the server, the roster's own first, as mailgov.accounts.render
    gives them; ``existing`` (id -> address, as for render) is split by the domain of each address.
    Raises RosterError with the problems of every domain, each naming its entry."""
    domains = read(roster, policy)
    hosted = {d.name for d in domains[1:]}
    found, problems = [], []
    for domain in domains:
        own = {ident: value for ident, value in (existing or {}).items() if _belongs(value, domain, hosted)}
        try:
            found += accounts.render(domain.roster, own if existing is not None else None, domain.policy)
        except RosterError as err:
            problems += domain.prefix(err.problems)
    if problems:
        raise RosterError(problems)
    return found


def _belongs(value, domain, hosted):
    """Whether an existing account (its address) is one of this domain's: a hosted domain has those
    in it, the roster's own every other (its legacy domains' among them)."""
    address = value.get("address") if isinstance(value, dict) else value
    name = address.strip().lower().rpartition("@")[2] if isinstance(address, str) else ""
    return name == domain.name if domain.hosted else name not in hosted
