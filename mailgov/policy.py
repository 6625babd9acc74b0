"""Naming, quota, password and lifecycle policies: YAML presets, merged and checked."""

import copy
import re
from functools import lru_cache
from pathlib import Path

from .errors import RosterError
from . import sizes
from .sizes import size_bytes

POLICY_DIR = Path(__file__).resolve().parent / "presets"
UNIT_TYPES = ("department", "district", "commune", "division")
NAME_TOKENS = frozenset({
    "given", "surname", "middle", "full", "given_initials", "surname_initials",
    "middle_initials", "middle_last", "middle_rest_initials",
})
UNIT_TOKENS = frozenset({"abbr", "short", "place", "parent", *UNIT_TYPES})
PERSON_TOKENS = NAME_TOKENS | frozenset({"suffix", "unit", "birth_year", *UNIT_TYPES})
CLASSES = ("upper", "lower", "digit", "special")
TRANSFER_ADDRESS = ("keep", "new")
REHOME_ADDRESSES = ("keep", "derive")
_TOKEN = re.compile(r"\{(\w+)\}")
_LITERAL = re.compile(r"^[a-z0-9._-]*$")


def preset_names():
    return sorted(p.stem for p in POLICY_DIR.glob("*.yml") if p.stem != "defaults")


@lru_cache(maxsize=None)
def _load(name):
    path = POLICY_DIR / f"{name}.yml"
    if not path.is_file():
        known = ", ".join(preset_names())
        raise RosterError([f"policy: unknown preset {name!r}; known presets: {known}"])
    import yaml  # python3-yaml on a server; the rest of the package needs only the standard library

    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    parent = data.pop("inherits", None)
    if parent:
        return merge(_load(parent), data)
    return merge(_defaults(), data) if name != "defaults" else data


def _defaults():
    return _load("defaults")


def merge(base, override):
    """Deep-merge mappings; anything else in override replaces what base had."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def resolve(spec, domain=None):
    """Return the checked policy for a preset name or a mapping of overrides.

    A mapping may name its base with ``preset``; without it the project
    defaults are the base.  ``domain`` (the roster's) wins over the policy's.
    """
    if spec is None:
        raise RosterError(["policy: missing; name a preset (" + ", ".join(preset_names()) + ")"])
    if isinstance(spec, str):
        policy = copy.deepcopy(_load(spec))
        policy["preset"] = spec
    elif isinstance(spec, dict):
        spec = dict(spec)
        base = spec.pop("preset", None)
        policy = merge(_load(base) if base else _defaults(), spec)
        policy["preset"] = base
    else:
        raise RosterError(["policy: must be a preset name or a mapping"])
    if domain:
        policy["domain"] = domain
    check(policy)
    return policy


def _unknown_keys(value, model, where, problems):
    for key, sub in value.items():
        if key not in model:
            problems.append(f"{where}{key}: unknown setting")
        elif isinstance(sub, dict) and isinstance(model[key], dict) and model[key]:
            _unknown_keys(sub, model[key], f"{where}{key}.", problems)


def _check_template(template, tokens, where, problems):
    if not isinstance(template, str) or not template:
        problems.append(f"{where}: must be a non-empty template string")
        return
    for token in _TOKEN.findall(template):
        if token not in tokens:
            problems.append(f"{where}: unknown token {{{token}}} (known: {', '.join(sorted(tokens))})")
    if not _LITERAL.match(_TOKEN.sub("", template)):
        problems.append(f"{where}: text outside tokens may only use a-z 0-9 . _ -")


def check(policy):
    """Raise RosterError listing every problem in a merged policy."""
    problems = []
    model = dict(_defaults(), preset=None)
    _unknown_keys({k: v for k, v in policy.items() if k != "units"}, model, "policy.", problems)
    domain = policy.get("domain")
    if not isinstance(domain, str) or not re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", domain):
        problems.append(f"policy.domain: {domain!r} is not a domain; set mail_roster.domain")
    _check_units(policy.get("units") or {}, problems)
    _check_person(policy["person"], problems)
    _check_sizes(policy, problems)
    _check_password(policy["password"], problems)
    for i, fixed in enumerate(policy.get("fixed_mailboxes") or []):
        if not isinstance(fixed, dict) or not fixed.get("local_part") or not fixed.get("name"):
            problems.append(f"policy.fixed_mailboxes[{i}]: needs local_part and name")
    _check_periods(policy, problems)
    _check_address_sections(policy, problems)
    if policy["report"].get("period") not in ("quarter", "half-year"):
        problems.append("policy.report.period: must be 'quarter' or 'half-year'")
    if problems:
        raise RosterError(problems)


def _check_units(units, problems):
    for unit_type, rule in units.items():
        where = f"policy.units.{unit_type}"
        if unit_type not in UNIT_TYPES:
            problems.append(f"{where}: unknown unit type (known: {', '.join(UNIT_TYPES)})")
            continue
        _unknown_keys(rule, _defaults()["units"]["department"], f"{where}.", problems)
        addresses = rule.get("address")
        if not isinstance(addresses, list) or not addresses:
            problems.append(f"{where}.address: must be a list of templates")
        else:
            for i, template in enumerate(addresses):
                _check_template(template, UNIT_TOKENS, f"{where}.address[{i}]", problems)
        _check_template(rule.get("suffix"), UNIT_TOKENS - {"parent"}, f"{where}.suffix", problems)


def _check_person(person, problems):
    _check_template(person.get("address"), PERSON_TOKENS | {"name"}, "policy.person.address", problems)
    if "{name}" not in str(person.get("address")):
        problems.append("policy.person.address: must contain {name}")
    _check_template(person.get("name"), PERSON_TOKENS, "policy.person.name", problems)
    steps = person.get("collision") or []
    for i, step in enumerate(steps):
        where = f"policy.person.collision[{i}]"
        if not isinstance(step, dict) or set(step) - {"name", "when"}:
            problems.append(f"{where}: must be a mapping with 'name' and optionally 'when'")
            continue
        _check_template(step.get("name"), PERSON_TOKENS | {"name", "n"}, f"{where}.name", problems)
        if step.get("when") not in (None, "different_full_names"):
            problems.append(f"{where}.when: only 'different_full_names' is known")
    if not steps or "{n}" not in str(steps[-1].get("name", "")):
        problems.append("policy.person.collision: the last step must contain {n}, so every name resolves")


def _check_sizes(policy, problems):
    for key in ("person", "unit"):
        try:
            size_bytes(policy["quota"].get(key))
        except ValueError as err:
            problems.append(f"policy.quota.{key}: {err}")
    _check_attachment_max(policy.get("attachment_max"), problems)


def _check_password(rules, problems):
    if not isinstance(rules.get("min_length"), int) or rules["min_length"] < 1:
        problems.append("policy.password.min_length: must be a positive whole number")
    unknown = set(rules.get("require") or []) - set(CLASSES)
    if unknown:
        problems.append(f"policy.password.require: unknown classes {sorted(unknown)}; known: {', '.join(CLASSES)}")
    for key in ("lockout_failures", "lockout_minutes", "grace_logins"):
        value = rules.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, type(None))) or (value or 0) < 0:
            problems.append(f"policy.password.{key}: {value!r} must be a whole number, 0 or more (0 or null: off)")
    window = rules.get("lockout_window_minutes")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1):
        problems.append(f"policy.password.lockout_window_minutes: {window!r} must be a whole number of minutes "
                        "above zero, or null (a failure then counts until the next good password)")


def _scan_limits():
    """The limits a message must fit in to be scanned, with the role variable that sets each."""
    return (
        ("ClamAV's stream limit (clamav_stream_max_length)", sizes.CLAMAV_STREAM_MAX_BYTES),
        ("rspamd's largest message (rspamd_max_message_bytes)", sizes.RSPAMD_MAX_MESSAGE_BYTES),
    )


def _mib(size):
    return f"{size / 1024**2:.1f}".rstrip("0").rstrip(".") + " MiB"


def _check_attachment_max(value, problems):
    """The largest attachment, and the message that carries it, must fit what the filter scans.

    Postfix takes messages up to message_size_limit (sizes.message_size_limit of the
    attachment); ClamAV and rspamd must be able to read all of such a message, or it could
    never be scanned and would wait in the queue until it expired.
    """
    try:
        attachment = size_bytes(value)
    except ValueError as err:
        problems.append(f"policy.attachment_max: {err}")
        return
    message = sizes.message_size_limit(attachment)
    over = [(name, limit) for name, limit in _scan_limits() if message > limit]
    if over:
        names = " and ".join(name for name, _ in over)
        limit = min(limit for _, limit in over)
        largest = sizes.attachment_max_bytes_scanned()
        problems.append(
            f"policy.attachment_max: {value!r} is more than the filter can scan: a message with such an "
            f"attachment may reach {message} bytes ({_mib(message)}, Postfix's message_size_limit: the "
            f"attachment in base64 plus 1 MiB), over {names}, {limit} bytes ({_mib(limit)}), so it "
            f"could never be scanned; write at most {largest // 1024**2}M")


def _days(value, where, problems, allow_off=True):
    """A number of days: a whole number above zero, or null (the rule is off) where allowed."""
    if value is None and allow_off:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        off = " or null to turn the rule off" if allow_off else ""
        problems.append(f"{where}: {value!r} must be a whole number of days above zero{off}")
        return None
    return value


def _check_periods(policy, problems):
    """The lifecycle job and the password policy read these; they must make sense together."""
    life = policy.get("lifecycle") or {}
    rules = policy["password"]
    lock = _days(life.get("lock_unused_days"), "policy.lifecycle.lock_unused_days", problems)
    recall = _days(life.get("recall_unused_days"), "policy.lifecycle.recall_unused_days", problems)
    _days(life.get("unit_unused_recall_days"), "policy.lifecycle.unit_unused_recall_days", problems)
    _days(life.get("initial_password_grace_days"), "policy.lifecycle.initial_password_grace_days", problems)
    wait = life.get("reopen_wait_days")
    if isinstance(wait, bool) or not isinstance(wait, int) or wait < 0:
        problems.append(f"policy.lifecycle.reopen_wait_days: {wait!r} must be a whole number of days, 0 or more")
    if lock and recall and recall <= lock:
        problems.append(f"policy.lifecycle.recall_unused_days: {recall} must be longer than "
                        f"lock_unused_days ({lock}): an account is locked before it is recalled")
    _days((policy.get("logs") or {}).get("retention_days"), "policy.logs.retention_days", problems, allow_off=False)
    max_age = _days(rules.get("max_age_days"), "policy.password.max_age_days", problems)
    warning = _days(rules.get("expire_warning_days"), "policy.password.expire_warning_days", problems)
    if max_age and warning and warning >= max_age:
        problems.append(f"policy.password.expire_warning_days: {warning} must be shorter than "
                        f"max_age_days ({max_age})")


# The sections that say what happens to an old address: (the key of the choice, its choices and
# what each means, whether forward_days may be null: for ever).
ADDRESS_SECTIONS = {
    "transfer": ("address", "'keep' (a person moved to another unit keeps the address) or 'new' "
                 "(gets one in the new unit)", TRANSFER_ADDRESS, False),
    "rehome": ("addresses", "'keep' (addresses already given stay) or 'derive' (people get the address "
               "the rules give now)", REHOME_ADDRESSES, True),
}


def _check_address_sections(policy, problems):
    for name, (key, meaning, choices, for_ever) in ADDRESS_SECTIONS.items():
        section = policy.get(name)
        if not isinstance(section, dict):
            problems.append(f"policy.{name}: must be a mapping with {key} and forward_days")
            continue
        if section.get(key) not in choices:
            problems.append(f"policy.{name}.{key}: {section.get(key)!r} must be {meaning}")
        _days(section.get("forward_days"), f"policy.{name}.forward_days", problems, allow_off=for_ever)


def compile_template(template):
    """Split a template into (literal, token) pairs for fast rendering."""
    parts, pos = [], 0
    for match in _TOKEN.finditer(template):
        parts.append((template[pos:match.start()], match.group(1)))
        pos = match.end()
    parts.append((template[pos:], None))
    return tuple(parts)


def fill(parts, values):
    """Render compiled parts; None when a token is None (the template does not apply)."""
    out = []
    for literal, token in parts:
        out.append(literal)
        if token is not None:
            value = values.get(token)
            if value is None:
                return None
            out.append(value)
    return "".join(out)


def password_problems(password, policy):
    """Return what a password lacks under the policy's rules, as a list of sentences."""
    rules = policy["password"] if "password" in policy else policy
    problems = []
    if not isinstance(password, str):
        return ["the password must be text"]
    if len(password) < rules["min_length"]:
        problems.append(f"must be at least {rules['min_length']} characters long")
    special_set = rules.get("special_characters")
    present = {
        "upper": any(c.isupper() for c in password),
        "lower": any(c.islower() for c in password),
        "digit": any(c.isdigit() for c in password),
        "special": any(
            (c in special_set) if special_set else not (c.isalnum() or c.isspace())
            for c in password
        ),
    }
    words = {
        "upper": "an upper-case letter",
        "lower": "a lower-case letter",
        "digit": "a digit",
        "special": "a special character" + (f" ({' '.join(special_set)})" if special_set else ""),
    }
    for cls in rules.get("require") or []:
        if not present[cls]:
            problems.append(f"must contain {words[cls]}")
    return problems
