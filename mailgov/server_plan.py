"""The plan for a whole server: every mail domain it hosts, each in its own branch (mailgov.hosting).

``plan()`` takes the roster and every entry read below the suffix, and returns the operations and
the summary of all domains, computed before anything is written; each domain's are
``mailgov.directory_plan``'s, for its own branch and with its own policy. A directory made before
domains had branches (``ou=people``, ``ou=mailboxes`` and ``ou=units`` right below the suffix) is
moved in place under the roster's own domain first: three subtree renames, after which the plan
sees the entries where they now are (delegates' DNs are rewritten by the same run).
"""

from . import directory_plan, hosting
from .accounts import render_directory
from .errors import PlanError, RosterError
from .passwords import derived_password

DOMAIN_CLASSES = ("organizationalUnit", "domainRelatedObject")


def _below(entries, parent):
    tail = "," + parent.lower()
    return {dn: e for dn, e in entries.items() if dn.lower().endswith(tail)}


def relocate(entries, suffix, domain):
    """The branches of a directory made for one domain, moved under that domain's own branch.

    Returns (operations, the entries at their DNs once moved)."""
    base = hosting.domain_dn(domain, suffix)
    have = {dn.lower() for dn in entries}
    operations = []
    for branch in hosting.BRANCHES:
        old, new = f"ou={branch},{suffix}", f"ou={branch},{base}"
        if old.lower() not in have:
            continue
        if new.lower() in have:
            raise PlanError(f"both {old} and {new} exist: the directory is half moved to one branch per "
                            f"domain; move what is left of {old} under {base} by hand (ldapmodrdn) and run again")
        operations.append({"op": "move", "dn": old, "rdn": f"ou={branch}", "parent": base,
                           "reason": f"one branch per domain: {old} moves under {base}",
                           "before": {"moved to": [new]}, "after": None})
        entries = directory_plan.renamed(entries, old, new)
    return operations, entries


def _domain_entry(name):
    return {"objectClass": list(DOMAIN_CLASSES), "ou": [name], "associatedDomain": [name],
            "description": [f"Mail domain {name}"]}


def _merge(total, summary):
    for key, value in summary.items():
        if key == "units":
            for count, n in value.items():
                total["units"][count] = total["units"].get(count, 0) + n
        elif isinstance(value, list):
            total.setdefault(key, []).extend(value)
        elif isinstance(value, int):
            total[key] = total.get(key, 0) + value


def _render(domain, entries):
    try:
        return render_directory(domain.roster, directory_plan.existing(entries), policy=domain.policy)
    except RosterError as err:
        raise RosterError(domain.prefix(err.problems)) from None


def plan(roster, entries, suffix, mail_host, seed, now, policy=None, carried=None):
    """The operations and the summary that bring every domain's branch to match the roster.

    ``seed`` derives the initial passwords (mailgov.passwords, from each account's address and
    with its domain's rules); None lets no account be added, reopened or handed over. ``carried``: the
    password hashes of an old server, by its addresses (directory_plan.plan). Raises
    RosterError with every problem of every domain, or PlanError; nothing is to be written then."""
    domains = hosting.read(roster, policy)
    operations, entries = [], dict(entries)
    have = {dn.lower() for dn in entries}
    for domain in domains:
        dn = hosting.domain_dn(domain.name, suffix)
        if dn.lower() not in have:
            attrs = _domain_entry(domain.name)
            operations.append({"op": "add", "dn": dn, "attrs": attrs, "after": attrs, "before": None,
                               "reason": f"the branch of the mail domain {domain.name} is missing"})
    moves, entries = relocate(entries, suffix, domains[0].name)
    operations += [{"op": "barrier", "reason": "the domains' branches exist"}] if operations else []
    operations += moves
    problems, rendered = [], {}
    for domain in domains:
        try:
            rendered[domain.name] = _render(domain, _below(entries, hosting.domain_dn(domain.name, suffix)))
        except RosterError as err:
            problems.extend(err.problems)
    if problems:
        raise RosterError(problems)
    # slapd applies no policy at all to an account whose policy entry is missing.
    missing = [d.name for d in domains if d.hosted and hosting.policy_dn(d.name, suffix).lower() not in have]
    if missing:
        raise PlanError(f"the password policy of {', '.join(missing)} is not in the directory yet: run "
                        "playbooks/site.yml, whose openldap role makes it from the domain's rules")
    total = {"domains": [d.name for d in domains], "relocated": [step["dn"] for step in moves],
             "units": {"added": 0, "updated": 0, "moved": 0, "removed": 0}}
    for domain in domains:
        ops, summary = _plan_domain(domain, rendered[domain.name], entries, suffix, mail_host, seed, now, carried)
        operations += [{"op": "barrier", "reason": "the branches are where they belong"}] if operations else []
        operations += ops
        _merge(total, summary)
    for dn, entry in entries.items():  # a domain the roster no longer hosts: its accounts are recalled
        names = [n.lower() for n in entry.get("associatedDomain", [])]
        if names and dn.lower() == hosting.domain_dn(names[0], suffix).lower() and names[0] not in total["domains"]:
            ops, summary = directory_plan.plan({"units": [], "accounts": []}, _below(entries, dn), {}, dn,
                                               mail_host, None, now)
            operations += ops
            _merge(total, summary)
    while operations and operations[-1]["op"] == "barrier":
        operations.pop()
    return operations, total


def _plan_domain(domain, rendered, entries, suffix, mail_host, seed, now, carried):
    base = hosting.domain_dn(domain.name, suffix)
    addresses = {a["id"]: a["address"] for a in rendered["accounts"]}
    rules = domain.policy["password"]
    password = (lambda ident: derived_password(seed, addresses[ident], rules)) if seed else None
    return directory_plan.plan(rendered, _below(entries, base), domain.policy, base, mail_host, password, now,
                               policy_dn=hosting.policy_dn(domain.name, suffix) if domain.hosted else None,
                               carried=carried)


def _describe(name, attrs):
    # One line per value, each naming its entry, so that a line diff reads entry by entry.
    return "".join(f"{name}: {attr}: {value}\n" for attr in sorted(attrs) for value in attrs[attr])


def diff(operations, base_dn):
    """What --diff shows: before and after, entry by entry, each change with its reason; no password."""
    before, after_ = [], []
    for step in operations:
        if step["op"] == "barrier":
            continue
        dn = step["dn"]
        name = dn[: -len(base_dn) - 1] if dn.endswith("," + base_dn) else dn
        if step.get("before"):
            before.append(_describe(name, step["before"]))
        after_.append(f"{name}: # {step['op']}: {step['reason']}\n")
        if step.get("after"):
            after_.append(_describe(name, step["after"]))
    return {"before": "".join(before), "after": "".join(after_), "before_header": "directory",
            "after_header": "roster"}
