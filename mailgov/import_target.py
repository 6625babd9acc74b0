"""Where an import goes on this server, and the roster file it is written as.

The target is one mail domain: the roster's own, a hosted one, or a new one (then with the policy
the operator names). Ids stay unique across the server, and every domain the server serves is
known, so that an address outside all of them is refused.
"""

import datetime
from dataclasses import dataclass

import yaml

from . import hosting
from .errors import RosterError
from .policy import resolve


@dataclass
class Target:
    domain: str
    roster: dict  # the domain's roster as it is now
    policy: dict
    variable: str  # mail_roster, or mail_roster_<name> for a domain of its own file
    taken_ids: set
    server_domains: set


def variable_for(domain):
    return "mail_roster_" + domain.split(".")[0].replace("-", "_")


def target(roster, hosted_files, domain, policy=None):
    """The target of an import into ``domain``.

    ``roster`` is the inventory's mail_roster and ``hosted_files`` its mail_roster_<name> variables
    ({name: roster}); ``policy`` is needed only for a domain the server does not have yet."""
    files = {name: r for name, r in (hosted_files or {}).items()}
    server = dict(roster, hosted=list(roster.get("hosted") or []) + list(files.values())) if files else roster
    domains = hosting.read(server)
    served = {d.name for d in domains}
    for d in domains:
        served |= set(d.roster.get("legacy_domains") or []) | set(d.roster.get("alias_domains") or [])
    found = next((d for d in domains if d.name == domain), None)
    if found is None and domain in served:
        raise RosterError([f"import_domain: {domain} is a legacy or alias domain of this server; import into the "
                           "domain its people now belong to, with the old addresses kept as aliases"])
    if found is None:
        if not policy:
            raise RosterError([f"import_domain: {domain} is not a domain of this server yet: give import_policy "
                               "(a preset such as binhdinh_sct, or a mapping), and it becomes a hosted domain"])
        own, resolved, variable = {"policy": policy, "domain": domain, "units": [], "people": []}, \
            resolve(policy, domain), variable_for(domain)
    elif not found.hosted:
        own, resolved, variable = roster, found.policy, "mail_roster"
    else:
        variable = next((name for name, r in files.items() if str(r.get("domain", "")).lower() == domain), None)
        if variable is None:
            raise RosterError([f"import_domain: {domain} is in mail_roster's hosted list: move it to a file of its "
                               f"own (group_vars/all/roster-<name>.yml, variable {variable_for(domain)}) first, "
                               "so that the import can write it whole"])
        own, resolved = found.roster, found.policy
    taken = set()
    for d in domains:
        if d.name != domain:
            taken |= {str(e.get("id")) for key in ("units", "people") for e in d.roster.get(key) or []}
    return Target(domain, dict(own), resolved, variable, taken, served | {domain})


def _flow(entry):
    return yaml.safe_dump(entry, allow_unicode=True, default_flow_style=True, sort_keys=False, width=100000).strip()


def to_yaml(target, roster, review, source, today=None):
    """The roster file to review: the domain's whole roster, one unit or person a line, the review on top."""
    today = today or datetime.date.today().isoformat()
    lines = ["---", f"# {target.domain}: accounts imported from {source} on {today} (playbooks/import-accounts.yml).",
             "# Review every line below, then put this file in the inventory's group_vars/all/ in place of",
             f"# the roster of {target.domain}, and run playbooks/accounts.yml --check --diff before applying it."]
    lines += ["#", "# To review:"] + [f"#   - {line}" for line in review] if review else []
    lines.append(f"{target.variable}:")
    for key, value in roster.items():
        if key in ("units", "people"):
            continue
        lines.append("  " + yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=100000,
                                           default_flow_style=False).strip().replace("\n", "\n  "))
    for key in ("units", "people"):
        lines.append(f"  {key}:" + ("" if roster.get(key) else " []"))
        lines += [f"    - {_flow(entry)}" for entry in roster.get(key) or []]
    return "\n".join(lines) + "\n"
