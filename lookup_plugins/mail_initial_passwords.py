"""Draw a random initial password for each account id."""

import sys
from pathlib import Path

_LIB = str(Path(__file__).resolve().parent.parent / "module_utils")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from ansible.errors import AnsibleLookupError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402

from mailgov.passwords import initial_password  # noqa: E402

DOCUMENTATION = r"""
name: mail_initial_passwords
short_description: A random initial password for each account id, meeting the policy
description:
  - Returns one mapping of account id to a new random password that has every character
    class the policy's password rules require and at least their minimum length.
  - Only accounts that do not exist yet use theirs; the directory sync ignores the rest.
    Use it with C(no_log) on the task.
options:
  _terms:
    description: Account ids.
    required: true
  rules:
    description: The C(password) section of a policy from the C(mail_policy) filter.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Draw initial passwords
  ansible.builtin.set_fact:
    initial: "{{ lookup('mail_initial_passwords', ids, rules=(mail_roster | mail_policy).password) }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One mapping of account id to password.
  type: list
  elements: dict
"""


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        rules = self.get_option("rules")
        if not isinstance(rules, dict) or "min_length" not in rules:
            raise AnsibleLookupError("mail_initial_passwords: rules must be the password section of mail_policy")
        ids = terms[0] if len(terms) == 1 and isinstance(terms[0], list) else terms
        return [{str(ident): initial_password(rules) for ident in ids}]
