#!/usr/bin/python
"""The mail services this host offers to mail clients, read from Postfix and Dovecot."""

DOCUMENTATION = r"""
module: mail_client_services
short_description: The IMAP, POP3 and submission ports this host offers to mail clients
description:
  - Reads the running configuration of Dovecot (C(doveconf)) and Postfix (C(postconf -M)
    and C(postconf -P)) and returns each listening port for mail clients with its protocol
    and how TLS starts, so that client autoconfiguration describes the server exactly as
    it is configured.
  - Dovecot's listeners of the enabled protocols C(imap) and C(pop3); a listener with
    C(ssl = yes) is TLS from the first byte, any other needs STARTTLS (the roles set
    C(ssl = required)). Of Postfix's smtpd services with C(smtpd_sasl_auth_enable=yes), one with
    C(smtpd_tls_wrappermode=yes) is TLS, any other STARTTLS.
  - Read-only; never reports a change.
options: {}
requirements: [dovecot-core, postfix]
"""

EXAMPLES = r"""
- name: Read the mail services this host offers
  mail_client_services:
  register: services
"""

RETURN = r"""
services:
  description: One entry per port, IMAP first, then POP3, then submission; TLS before STARTTLS.
  type: list
  elements: dict
  returned: always
  sample: [{protocol: imap, port: 993, tls: ssl}, {protocol: imap, port: 143, tls: starttls}]
"""

import re  # noqa: E402
import socket  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

ORDER = {"imap": 0, "pop3": 1, "smtp": 2}
LOGIN_SERVICES = {"imap-login": "imap", "pop3-login": "pop3"}


def dovecot_services(protocols, config):
    """Listeners of `doveconf service` output for the enabled client protocols."""
    found, service, listener = [], None, None
    for raw in config.splitlines():
        line = raw.strip()
        match = re.match(r"^service (\S+) \{$", line)
        if match:
            service, listener = match.group(1), None
            continue
        match = re.match(r"^inet_listener (\S+) \{$", line)
        if match and service in LOGIN_SERVICES:
            listener = {"protocol": LOGIN_SERVICES[service], "port": 0, "tls": "starttls"}
            continue
        if listener is not None:
            if line.startswith("port ="):
                listener["port"] = int(line.split("=", 1)[1].strip() or 0)
            elif line == "ssl = yes":
                listener["tls"] = "ssl"
            elif line == "}":
                if listener["port"] and listener["protocol"] in protocols:
                    found.append(listener)
                listener = None
    return found


def postfix_services(master, overrides):
    """smtpd services of `postconf -M` where clients authenticate, per `postconf -P`."""
    settings = {}
    for line in overrides.splitlines():
        match = re.match(r"^(\S+)/inet/(\S+) = (.*)$", line)
        if match:
            settings.setdefault(match.group(1), {})[match.group(2)] = match.group(3).strip()
    found = []
    for line in master.splitlines():
        fields = line.split()
        if len(fields) < 8 or fields[1] != "inet" or fields[7] != "smtpd":
            continue
        name = fields[0]
        own = settings.get(name, {})
        if own.get("smtpd_sasl_auth_enable") != "yes":
            continue
        port = name.rsplit(":", 1)[-1]
        port = int(port) if port.isdigit() else socket.getservbyname(port, "tcp")
        tls = "ssl" if own.get("smtpd_tls_wrappermode") == "yes" else "starttls"
        found.append({"protocol": "smtp", "port": port, "tls": tls})
    return found


def ordered(services):
    return sorted(services, key=lambda s: (ORDER[s["protocol"]], s["tls"] != "ssl", s["port"]))


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)

    def run(*argv):
        rc, out, err = module.run_command(list(argv))
        if rc != 0:
            module.fail_json(msg=f"mail_client_services: {' '.join(argv)} failed ({err.strip()}): "
                                 "apply the postfix and dovecot roles to this host first.")
        return out

    protocols = run("doveconf", "-h", "protocols").split()
    services = dovecot_services(protocols, run("doveconf", "service"))
    services += postfix_services(run("postconf", "-M"), run("postconf", "-P"))
    if not services:
        module.fail_json(msg="mail_client_services: neither Dovecot nor Postfix offers a port to mail clients.")
    module.exit_json(changed=False, services=ordered(services))


if __name__ == "__main__":
    main()
