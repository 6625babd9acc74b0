"""The one LDAP client of the project, over python-ldap (python3-ldap).

Every part that speaks to slapd uses it: the directory module, the schema module, the lifecycle
job, the report, the published directory and the notices. As root on the server it binds over
``ldapi:///`` with SASL EXTERNAL; with a bind DN it binds with a password, over ``ldaps://`` or
with StartTLS.

Entries come back as ``{dn: {attribute: [str]}}``. Changes are written as plain tuples, the form
the pure planners (``mailgov.directory_plan``, ``mailgov.state``) produce:
``("replace", attr, [values])``, ``("add", attr, [values])`` and ``("delete", attr, None)``.
"""

from .errors import DirectoryError

SCOPES = ("base", "one", "sub")
WINDOW = 64  # writes in flight, so that slapd's threads hash passwords in parallel
PASSWORD_MODIFY = "1.3.6.1.4.1.4203.1.11.1"  # RFC 3062


def _ldap():
    try:
        import ldap
        import ldap.dn
        import ldap.sasl
    except ImportError:
        raise DirectoryError("python3-ldap is missing on this host: install it (role mailgov_package)") from None
    return ldap


def rdn_values(dn, base):
    """The RDN values of dn above base, nearest first: ou=a,ou=b,<base> gives [a, b]."""
    ldap = _ldap()
    parts = ldap.dn.str2dn(dn)
    depth = len(ldap.dn.str2dn(base))
    return [rdn[0][1] for rdn in parts[: len(parts) - depth]]


def _message(err):
    info = err.args[0] if err.args and isinstance(err.args[0], dict) else {}
    return info.get("info") or info.get("desc") or str(err)


class Connection:
    """A bound connection; writes are pipelined and waited for by flush()."""

    def __init__(self, uri="ldapi:///", bind_dn=None, bind_pw=None, starttls=False, ca_file=None, window=WINDOW):
        ldap = self.ldap = _ldap()
        self.window = window
        self.pending = []
        try:
            if ca_file:
                ldap.set_option(ldap.OPT_X_TLS_CACERTFILE, ca_file)
                ldap.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
            self.conn = ldap.initialize(uri)
            self.conn.protocol_version = 3
            self.conn.set_option(ldap.OPT_REFERRALS, 0)
            if starttls:
                self.conn.start_tls_s()
            if bind_dn:
                self.conn.simple_bind_s(bind_dn, bind_pw or "")
            else:
                self.conn.sasl_interactive_bind_s("", ldap.sasl.external())
        except ldap.LDAPError as err:
            raise DirectoryError(f"cannot bind to the directory at {uri}: {_message(err)}") from None

    # Reading.
    def search(self, base, scope="sub", filterstr="(objectClass=*)", attrs=None):
        """Every entry, page by page, so that no size limit cuts the answer short; {} if base is missing."""
        ldap = self.ldap
        from ldap.controls import SimplePagedResultsControl

        # Not critical: cn=config (back-config) cannot page and would refuse a critical control with
        # "unavailable critical extension"; it ignores this one and answers in one go, with no cookie.
        page = SimplePagedResultsControl(False, size=1000, cookie="")
        scope = {"base": ldap.SCOPE_BASE, "one": ldap.SCOPE_ONELEVEL, "sub": ldap.SCOPE_SUBTREE}[scope]
        found = {}
        while True:
            try:
                msgid = self.conn.search_ext(base, scope, filterstr, list(attrs) if attrs else None, serverctrls=[page])
                _, data, _, controls = self.conn.result3(msgid)
            except ldap.NO_SUCH_OBJECT:
                return found
            except ldap.LDAPError as err:
                raise DirectoryError(f"cannot search {base}: {_message(err)}") from None
            for dn, entry in data:
                if dn:
                    found[dn] = {k: [v.decode("utf-8", "replace") for v in vals] for k, vals in entry.items()}
            cookie = next((c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType), b"")
            if not cookie:
                return found
            page.cookie = cookie

    def exists(self, dn):
        return bool(self.search(dn, "base", attrs=["1.1"]))

    # Writing.
    def _mods(self, mods):
        ldap = self.ldap
        ops = {"replace": ldap.MOD_REPLACE, "add": ldap.MOD_ADD, "delete": ldap.MOD_DELETE}
        return [(ops[op], attr, None if values is None else [str(v).encode("utf-8") for v in values])
                for op, attr, values in mods]

    def _submit(self, what, dn, msgid):
        self.pending.append((msgid, what, dn))
        if len(self.pending) >= self.window:
            self.flush()

    def add(self, dn, attrs):
        entry = [(k, [str(v).encode("utf-8") for v in vals]) for k, vals in attrs.items() if vals]
        self._call("add", dn, self.conn.add_ext, dn, entry)

    def modify(self, dn, mods):
        self._call("modify", dn, self.conn.modify_ext, dn, self._mods(mods))

    def rename(self, dn, new_rdn, new_parent):
        self._call("move", dn, self.conn.rename, dn, new_rdn, new_parent)

    def delete(self, dn):
        self._call("delete", dn, self.conn.delete_ext, dn)

    def password(self, dn, new):
        """Set a password with the password-modify operation: slapd hashes it as its policy says."""
        self._call("set the password of", dn, self.conn.passwd, dn, None, new)

    def _call(self, what, dn, call, *args):
        try:
            self._submit(what, dn, call(*args))
        except self.ldap.LDAPError as err:
            raise DirectoryError(f"could not {what} {dn}: {_message(err)}") from None

    def flush(self):
        """Wait for every write in flight; the first failure is raised, after the others are read."""
        pending, self.pending = self.pending, []
        failure = None
        for msgid, what, dn in pending:
            try:
                self.conn.result3(msgid)
            except self.ldap.LDAPError as err:
                failure = failure or DirectoryError(f"could not {what} {dn}: {_message(err)}")
        if failure:
            raise failure

    def apply(self, operations):
        """Carry out a plan: operations are dicts with op (add, modify, move, delete, password, barrier) and dn."""
        for step in operations:
            op = step["op"]
            if op == "barrier":
                self.flush()
            elif op == "add":
                self.add(step["dn"], step["attrs"])
            elif op == "modify":
                self.modify(step["dn"], step["mods"])
            elif op == "move":
                self.rename(step["dn"], step["rdn"], step["parent"])
            elif op == "delete":
                self.delete(step["dn"])
            elif op == "password":
                self.password(step["dn"], step["password"])
            else:
                raise ValueError(f"unknown operation {op!r}")
        self.flush()
