"""The names mail clients reach the server at, in every domain it serves (mail_client_names),
and the wiring that puts them in the certificate and gives the webmail role the alias domains."""

from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from mail_roster import FilterModule

from mailgov import domains

ROOT = Path(__file__).resolve().parents[1]
WIRING = ROOT / "playbooks" / "group_vars" / "all"
FILTERS = FilterModule().filters()
PREFIXES = ("mail", "autoconfig", "autodiscover", "mta-sts")


def _names(*domains_):
    return [f"{prefix}.{domain}" for domain in domains_ for prefix in PREFIXES]


@pytest.mark.parametrize("domain, aliases, legacy, expected", [
    ("gialai.gov.vn", [], [], _names("gialai.gov.vn")),
    ("gialai.gov.vn", None, None, _names("gialai.gov.vn")),
    ("gialai.gov.vn", ["gialai.vn"], [], _names("gialai.gov.vn", "gialai.vn")),
    ("gialai.gov.vn", [], ["binhdinh.gov.vn"], _names("gialai.gov.vn", "binhdinh.gov.vn")),
    # The demo: the roster's domain first, then the aliases, then the legacy domains, in order.
    ("gialai.gov.vn", ["gialai.vn"], ["binhdinh.gov.vn", "sct.binhdinh.gov.vn"],
     _names("gialai.gov.vn", "gialai.vn", "binhdinh.gov.vn", "sct.binhdinh.gov.vn")),
    # Written in capitals or with the root's dot, still one name each.
    ("GiaLai.gov.vn.", ["GIALAI.VN"], [" binhdinh.gov.vn "], _names("gialai.gov.vn", "gialai.vn", "binhdinh.gov.vn")),
    # A domain given twice (or in both lists) gives its names once.
    ("gialai.gov.vn", ["gialai.vn", "gialai.vn"], ["gialai.gov.vn"], _names("gialai.gov.vn", "gialai.vn")),
])
def test_each_domain_gives_its_mail_autoconfig_autodiscover_and_mta_sts_names(domain, aliases, legacy, expected):
    assert domains.client_names(domain, aliases, legacy) == expected
    assert FILTERS["mail_client_names"](domain, aliases, legacy) == expected


@pytest.mark.parametrize("domain, others, message", [
    ("gialai", [], "mail_client_names: 'gialai' is not a domain name such as gialai.gov.vn"),
    ("", [], "mail_client_names: '' is not a domain name"),
    (None, [], "mail_client_names: None is not a domain name"),
    ("gialai.gov.vn", [["gialai.vn", "bad domain"]], "'bad domain' is not a domain name such as gialai.gov.vn (domain 3 of 3)"),
    ("gialai.gov.vn", [[42]], "42 is not a domain name"),
    ("gialai.gov.vn", ["binhdinh.gov.vn"], "is not a domain name"),  # a string where a list belongs
])
def test_a_bad_domain_is_refused_by_name(domain, others, message):
    with pytest.raises(AnsibleFilterError) as err:
        FILTERS["mail_client_names"](domain, *others)
    assert message in str(err.value)


def _wiring():
    values = {}
    for path in sorted(WIRING.glob("*.yml")):
        values.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return values


def _render(expression, **context):
    environment = jinja2.Environment()
    environment.filters.update(FILTERS)
    return environment.from_string(expression).render(**context)


@pytest.mark.parametrize("aliases, legacy", [
    ([], []),
    (["gialai.vn"], []),
    (["gialai.vn"], ["binhdinh.gov.vn", "sct.binhdinh.gov.vn"]),
])
def test_the_certificate_holds_the_client_names_of_every_domain(aliases, legacy):
    """pki_extra_names, as the wiring writes it: every domain the server serves."""
    rendered = _render(_wiring()["pki_extra_names"], mail_domain="gialai.gov.vn",
                       mail_alias_domains=aliases, mail_legacy_domains=legacy)
    assert yaml.safe_load(rendered.replace("'", '"')) == _names("gialai.gov.vn", *aliases, *legacy)


def test_the_webmail_role_gets_the_alias_domains_and_not_the_legacy_ones():
    """People log in and clients configure themselves with the alias domains, never the legacy
    ones; but mail still comes for a legacy domain, so its senders get the MTA-STS policy."""
    wiring = _wiring()
    assert wiring["webmail_alias_domains"] == "{{ mail_alias_domains }}"
    assert "mail_legacy_domains" in wiring["webmail_mta_sts_domains"]
    assert "legacy" not in " ".join(str(value) for key, value in wiring.items()
                                    if key.startswith("webmail_") and key != "webmail_mta_sts_domains")
