"""Distinguished names as text (RFC 4514), without python-ldap, so that the plan is pure."""

_SPECIAL = set('\\,+"<>;=')


def escape(value):
    """A value escaped for an RDN, as ldap.dn.escape_dn_chars does."""
    out = []
    for i, char in enumerate(value):
        if char in _SPECIAL or (char == "#" and i == 0) or (char == " " and i in (0, len(value) - 1)):
            out.append("\\" + char)
        elif char == "\0":
            out.append("\\00")
        else:
            out.append(char)
    return "".join(out)


def rdn(attr, value):
    return f"{attr}={escape(value)}"


def first_value(dn):
    """The value of a DN's first RDN, unescaped: uid=a\\,b,ou=people,... gives 'a,b'."""
    value = dn.split("=", 1)[1] if "=" in dn else dn
    raw, i = bytearray(), 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            pair = value[i + 1:i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                raw.append(int(pair, 16))
                i += 3
                continue
            raw.extend(value[i + 1].encode())
            i += 2
            continue
        if char in ",+":
            break
        raw.extend(char.encode())
        i += 1
    return raw.decode("utf-8", "replace")
