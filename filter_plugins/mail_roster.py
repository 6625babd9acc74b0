"""Filters that turn a mail roster into accounts under a province's regulation.

The engine is the ``mailgov`` package, installed on the controller by ``make setup`` and on
the servers by the mailgov_package role, so that the directory sync module, the host-side
jobs, the tests, the benchmarks and the preview command all use the very same code.
"""

import csv
import io

from ansible.errors import AnsibleFilterError

from mailgov import accounts, bans, domains, hosting, passwords, policy, sizes, text, workdays
from mailgov.errors import RosterError


def _plain(value):
    """Copy Ansible's tagged containers into plain ones, keeping dates as dates."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def render_accounts(roster, existing=None):
    try:
        return accounts.render(_plain(roster), _plain(existing) if existing is not None else None)
    except RosterError as err:
        raise AnsibleFilterError(f"render_accounts: the roster has {err}") from None


def mail_policy(roster):
    roster = _plain(roster)
    spec = roster.get("policy") if isinstance(roster, dict) else roster
    domain = roster.get("domain") if isinstance(roster, dict) else None
    try:
        return policy.resolve(spec, domain)
    except RosterError as err:
        raise AnsibleFilterError(f"mail_policy: the policy has {err}") from None


def mail_domains(roster):
    roster = _plain(roster)
    main = mail_policy(roster)["domain"]
    problems = []
    legacy, alias = domains.read_domains(roster, main, problems)
    if problems:
        raise AnsibleFilterError("mail_domains: the roster has " + str(RosterError(problems)))
    return {"domain": main, "legacy": legacy, "alias": alias, "hosted": [d.name for d in _hosted(roster)[1:]],
            "moved_notice": legacy if roster.get("legacy_notice") else []}


def _hosted(roster):
    try:
        return hosting.read(roster)
    except RosterError as err:
        raise AnsibleFilterError("mail_domains: the roster has " + str(err)) from None


def mail_policies(roster):
    """Every mail domain of the roster's server to its resolved policy, the roster's own first."""
    return {d.name: d.policy for d in _hosted(_plain(roster))}


def vn_ascii(value):
    if not isinstance(value, str):
        raise AnsibleFilterError(f"vn_ascii: expects text, got {value!r}")
    return text.vn_ascii(value)


def size_bytes(value):
    try:
        return sizes.size_bytes(value)
    except ValueError as err:
        raise AnsibleFilterError(f"size_bytes: {err}") from None


def mail_size_limits(policies):
    try:
        return sizes.domain_size_limits(_plain(policies))
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise AnsibleFilterError(f"mail_size_limits: expects each domain's policy (mail_policies): {err}") from None


def mail_ban_rule(policies):
    try:
        return bans.ban_rule(_plain(policies))
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise AnsibleFilterError(f"mail_ban_rule: expects each domain's policy (mail_policies): {err}") from None


def mail_client_names(domain, *others):
    try:
        return domains.client_names(domain, *(_plain(group) for group in others))
    except (TypeError, ValueError) as err:
        raise AnsibleFilterError(f"mail_client_names: {err}") from None


def password_problems(password, rules):
    rules = _plain(rules)
    if not (isinstance(rules, dict) and "password" in rules and "domain" in rules):
        rules = mail_policy(rules)
    return policy.password_problems(password, rules)


def initial_password(seed, ident, rules):
    if not seed or not isinstance(seed, str):
        raise AnsibleFilterError("initial_password: the seed must be a non-empty secret string")
    rules = _plain(rules)
    if not (isinstance(rules, dict) and "min_length" in rules):
        raise AnsibleFilterError("initial_password: rules must be the password section of mail_policy")
    return passwords.derived_password(seed, str(ident), rules)


def initial_password_list(issued, seed, rules, address="address", ident="id"):
    """The operator's CSV (address,id,initial_password) for the accounts in issued, in one call.

    Each password is derived from the account's address, with rules: one password section, or a
    mapping of each domain to its own (mail_policies)."""
    issued, rules = _plain(issued), _plain(rules)
    if not isinstance(issued, list) or not all(isinstance(a, dict) and address in a and ident in a for a in issued):
        raise AnsibleFilterError(f"initial_password_list: expects a list of mappings with {address} and {ident}")
    by_domain = None if isinstance(rules, dict) and "min_length" in rules else rules
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("address", "id", "initial_password"))
    for account in issued:
        mail = account[address].lower()
        domain = mail.partition("@")[2]
        if by_domain is not None and domain not in by_domain:
            raise AnsibleFilterError(f"initial_password_list: {mail} is in none of the domains of rules "
                                     f"({', '.join(by_domain)})")
        own = rules if by_domain is None else by_domain[domain].get("password")
        writer.writerow((mail, account[ident], initial_password(seed, mail, own)))
    return out.getvalue()


def notice_problems(window, today, holidays=None, min_working_days=3):
    window = _plain(window)
    if not isinstance(window, dict) or not window.get("start") or not window.get("end"):
        raise AnsibleFilterError("notice_problems: expects a mapping with start and end")
    return workdays.check_window(window["start"], window["end"], today, _plain(holidays or []), int(min_working_days))


class FilterModule:
    def filters(self):
        return {
            "render_accounts": render_accounts,
            "mail_policy": mail_policy,
            "mail_domains": mail_domains,
            "mail_policies": mail_policies,
            "vn_ascii": vn_ascii,
            "size_bytes": size_bytes,
            "mail_client_names": mail_client_names,
            "mail_size_limits": mail_size_limits,
            "mail_ban_rule": mail_ban_rule,
            "password_problems": password_problems,
            "initial_password": initial_password,
            "initial_password_list": initial_password_list,
            "notice_problems": notice_problems,
        }
