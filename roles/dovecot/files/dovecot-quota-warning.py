#!/usr/bin/python3
# Ansible managed: installed by the dovecot role, which overwrites local changes.
"""Dovecot's quota-warning service: tell the owner, in Vietnamese, how full the mailbox is.

Called as `dovecot-quota-warning PERCENT ADDRESS`. The sender's address and name come from
/etc/mailgov/quota-warning.json ({"sender": ..., "sender_name": ...}), which the role writes.
The mail (template mailgov/templates/quota-warning.txt) goes straight into the INBOX with
dovecot-lda, with the quota not enforced, so the warning arrives even into a full box.
"""

import json
import subprocess
import sys

from mailgov import notify

# The role's dovecot_quota_warning_config.
CONFIG = "/etc/mailgov/quota-warning.json"
LDA = "/usr/lib/dovecot/dovecot-lda"


def load_config(path=CONFIG):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def warning(percent, address, config):
    return notify.render("quota-warning", {"percent": percent, "address": address},
                         sender=config["sender"], sender_name=config["sender_name"], to=address)


def main():
    percent, address = sys.argv[1], sys.argv[2]
    config = load_config()
    # Not sendmail: Postfix would refuse the mail to a full box; the LDA delivers it anyway.
    subprocess.run([LDA, "-d", address, "-f", config["sender"], "-o", "quota_enforce=no"],
                   input=warning(percent, address, config), check=True)


if __name__ == "__main__":
    main()
