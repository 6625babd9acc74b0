"""The default scenario's fixtures: inventory variables as Ansible renders them, and for the
webmail tests a real browser (Debian's chromium, driven by Selenium) and HTTPS clients against
the instance, from this machine, as a user would connect.

The fixtures that reach the mail services (the instance's address, its CA, TLS, message
submission, known passwords) come from molecule/shared/mailclients.py, as in the mail scenario.
Screenshots go to .cache/test-artifacts/webmail/ (ignored by git), or MAILGOV_ARTIFACTS.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

import mailclients as mail_clients  # noqa: E402

# The fixtures and helpers shared with the mail scenario.
testinfra_hosts = mail_clients.testinfra_hosts
server = mail_clients.server
ca_file = mail_clients.ca_file
tls = mail_clients.tls
Account = mail_clients.Account
SET_PASSWORD = mail_clients.SET_PASSWORD
BASE = mail_clients.BASE
DOMAIN = mail_clients.DOMAIN
HOSTNAME = mail_clients.HOSTNAME
submit = mail_clients.submit

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))


def rendered_vars(host_name, names):
    """Variables of an inventory host as Ansible renders them.

    The inventory holds templates (mail_domain comes from the roster, secrets from lookups);
    `ansible-inventory` shows them unrendered, so ask Ansible itself. The playbook directory
    is the one of site.yml, for the lookups that depend on it.
    """
    expression = "{{ {" + ", ".join(f"'{name}': {name}" for name in names) + "} | to_json }}"
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    result = subprocess.run(
        ["ansible", host_name, "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         "--playbook-dir", str(PROJECT / "playbooks"),
         "-m", "ansible.builtin.debug", "-a", json.dumps({"msg": expression})],
        env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    task = json.loads(result.stdout)["plays"][0]["tasks"][0]
    return json.loads(task["hosts"][host_name]["msg"])


@pytest.fixture(scope="module")
def render(host):
    """render('a', 'b') gives {'a': ..., 'b': ...} for the host under test."""
    return lambda *names: rendered_vars(host.backend.name, names)


# The webmail tests sign in and change passwords: they run after the directory's tests, which
# check the accounts' initial passwords.
LAST = ("test_webmail.py", "test_webmail_autoconfig.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name in LAST)


ARTIFACTS = Path(os.environ.get("MAILGOV_ARTIFACTS", PROJECT / ".cache" / "test-artifacts" / "webmail"))
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"  # Debian's: nothing is downloaded


def set_password(host, uid, password, reset=False):
    """Give an account a known password, as if its owner had chosen it (reset=False) or as
    an administrator's reset leaves it (reset=True: pwdReset, must change at next login)."""
    dn, address = mail_clients.account_dn(host, uid)
    host.check_output("python3 -c %s %s %s", SET_PASSWORD, dn, password)
    if reset:
        host.check_output("printf %s | ldapmodify -Q -Y EXTERNAL -H ldapi:///",
                          f"dn: {dn}\nchangetype: modify\nreplace: pwdReset\npwdReset: TRUE\n")
    return Account(uid, address, password)


@pytest.fixture(scope="module")
def server_key_pin(host):
    """The base64 SHA-256 of the server's public key: chromium accepts that key only, so
    certificate errors are ignored for this test server and nothing else."""
    cert = x509.load_pem_x509_certificate(host.file("/etc/mailgov/pki/server.crt").content)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="module")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser(server, server_key_pin, artifacts):
    """A headless chromium that reaches the server's names at the instance's address.
    English is the browser's language: the pages must be Vietnamese all the same."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    names = [HOSTNAME, f"autoconfig.{DOMAIN}", f"autodiscover.{DOMAIN}"]
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900",
                "--lang=en-US", "--host-resolver-rules=" + ",".join(f"MAP {n} {server}" for n in names),
                f"--ignore-certificate-errors-spki-list={server_key_pin}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(15)
    yield driver
    driver.quit()
