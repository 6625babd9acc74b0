"""The other domains a roster's server receives for, and aliases in them.

After the 2025 mergers a province's server keeps receiving for the domains of the province it
absorbed (legacy domains, where only the addresses the roster gives as aliases exist), and may
have alias domains, where every address of its own domain exists too.
"""

import re

from . import roster as rosters

DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def read_domains(roster, domain, problems):
    """The other domains the server receives for: (legacy, alias).

    Legacy domains (a province absorbed in a merger) hold only the addresses the roster gives
    there as aliases; in an alias domain every address of the roster's domain exists too."""
    found, lists = {}, {"legacy_domains": [], "alias_domains": []}
    for key, names in lists.items():
        for index, value in enumerate(rosters.entries(roster, key, problems)):
            where = f"{key}[{index}]"
            name = value.strip().lower() if isinstance(value, str) else None
            if not name or not DOMAIN_PATTERN.match(name):
                problems.append(f"{where}: {value!r} is not a domain name such as binhdinh.gov.vn")
            elif name == domain:
                problems.append(f"{where}: {name} is the roster's own domain; list only the other ones")
            elif name in found:
                problems.append(f"{where}: {name} is listed twice (also {found[name]}); list each domain once")
            else:
                found[name] = where
                names.append(name)
    notice = roster.get("legacy_notice", False) if isinstance(roster, dict) else False
    if not isinstance(notice, bool):
        problems.append(f"legacy_notice: {notice!r} must be true (old addresses in the legacy domains answer "
                        "senders with the new one) or false")
    elif notice and not lists["legacy_domains"]:
        problems.append("legacy_notice: true needs legacy_domains, the domains whose old addresses answer")
    return lists["legacy_domains"], lists["alias_domains"]


def alias_address(value, domain, legacy, where, problems):
    """An alias as (local part, domain): in the roster's domain, or in one of its legacy domains."""
    if isinstance(value, str) and "@" in value:
        local, _, dom = value.strip().lower().partition("@")
        if dom != domain:
            if dom not in legacy:
                problems.append(f"{where}: {value!r} is outside the domain {domain}"
                                + (f" and its legacy domains ({', '.join(legacy)})" if legacy else
                                   "; list an absorbed domain in legacy_domains to keep addresses there"))
                return None
            problem = rosters.local_part_problem(local)
            if problem:
                problems.append(f"{where}: {problem}")
                return None
            return local, dom
    local = rosters.address_local(value, domain, where, problems)
    return None if local is None else (local, domain)


# The names mail clients reach the server at, in each domain it serves: the old MX and the
# client settings (mail.), Thunderbird's autoconfig and Outlook's autodiscover.
CLIENT_PREFIXES = ("mail", "autoconfig", "autodiscover", "mta-sts")


def client_names(domain, *others, prefixes=CLIENT_PREFIXES):
    """The server certificate's names for mail clients: each prefix under the roster's domain,
    then under each other domain (alias and legacy lists, in their order), once each."""
    names = []
    domains = [domain] + [name for group in others for name in (group or [])]
    for index, value in enumerate(domains):
        name = value.strip().lower().rstrip(".") if isinstance(value, str) else None
        if not name or not DOMAIN_PATTERN.match(name):
            raise ValueError(f"{value!r} is not a domain name such as gialai.gov.vn"
                             + ("" if index == 0 else f" (domain {index + 1} of {len(domains)})"))
        for prefix in prefixes:
            if f"{prefix}.{name}" not in names:
                names.append(f"{prefix}.{name}")
    return names
