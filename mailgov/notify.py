"""The Vietnamese mails the server sends by itself: quota warnings, password reminders,
maintenance notices and backup failures.

Each mail is a template, ``mailgov/templates/<name>.txt``: a ``Subject:`` line, a blank line and
the body, with ``${placeholders}`` (string.Template). ``render`` fills one in and builds the whole
message, as bytes; ``send`` hands it to Postfix.

The headers are folded here rather than by the email package: its folding at 78 columns puts
the fold between two encoded words, and a reader drops the whitespace between encoded words
(RFC 2047, 6.2), so "sẽ hết" came out as "sẽhết". Here every space stays inside an encoded
word and lines are only broken between them. Unless the caller says the path takes SMTPUTF8
(then the subject is raw UTF-8 and the body 8bit), the whole message is 7-bit: encoded words
(UTF-8, base64) and a quoted-printable body.
"""

import base64
import quopri
import re
import string
import subprocess
from email.utils import formatdate, make_msgid, quote
from importlib import resources

SENDMAIL = "/usr/sbin/sendmail"
WIDTH = 78  # RFC 5322's recommended line length, header name included
PREFIX, SUFFIX = "=?utf-8?b?", "?="
# A display name with one of these must be quoted (RFC 5322 specials).
SPECIALS = re.compile(r'[][\\()<>@,:;".]')


class SendError(RuntimeError):
    """Postfix did not take the message; the text says why."""


# --- templates ---------------------------------------------------------------------------------

def template(name):
    """The subject and the body of a template, as string.Template objects."""
    text = resources.files("mailgov").joinpath("templates", f"{name}.txt").read_text(encoding="utf-8")
    head, blank, body = text.partition("\n\n")
    if not head.startswith("Subject: ") or "\n" in head or not blank:
        raise ValueError(f"template {name}: must begin with one 'Subject: ...' line, then a blank line, then the body")
    return string.Template(head.removeprefix("Subject: ")), string.Template(body)


def fill(name, values):
    """The subject and the body of template name with its placeholders filled from values."""
    subject, body = template(name)
    try:
        return subject.substitute(values), body.substitute(values)
    except KeyError as err:
        raise ValueError(f"template {name}: no value for ${{{err.args[0]}}}") from None


# --- headers -----------------------------------------------------------------------------------

def _one_line(text):
    # A value read from the directory or the command line must not start a header of its own.
    return " ".join(str(text).splitlines())


def encoded_words(text, width):
    """text as RFC 2047 encoded words of at most width characters, never splitting a character."""
    room = (width - len(PREFIX) - len(SUFFIX)) // 4 * 3  # bytes one base64 word holds
    words, chunk = [], b""
    for char in text:
        octets = char.encode("utf-8")
        if chunk and len(chunk) + len(octets) > room:
            words.append(chunk)
            chunk = b""
        chunk += octets
    words.append(chunk)
    return [PREFIX + base64.b64encode(w).decode("ascii") + SUFFIX for w in words]


def phrase(text, name, smtputf8=False):
    """The tokens of free text (a subject, a display name), to be joined by single spaces."""
    text = _one_line(text)
    if "=?" not in text and (smtputf8 or text.isascii()):
        return text.split(" ")
    # 75 is RFC 2047's limit; narrower so that one word fits the first line after the name.
    return encoded_words(text, min(75, WIDTH - len(name) - 2))


def mailbox(display_name, address, name):
    """The tokens of 'Display Name <address>', the name encoded (non-ASCII) or quoted (specials).

    Encoded even over SMTPUTF8: raw UTF-8 in an address header is what older parsers, Python's
    among them, cannot read back.
    """
    if not display_name:
        return [address]
    display_name = _one_line(display_name)
    if display_name.isascii() and "=?" not in display_name:
        if SPECIALS.search(display_name):
            display_name = f'"{quote(display_name)}"'
        return [*display_name.split(" "), f"<{address}>"]
    return [*phrase(display_name, name), f"<{address}>"]


def fold(name, tokens):
    """The header line, folded before a token whenever the line would pass WIDTH."""
    lines, line = [], f"{name}:"
    for token in tokens:
        if line != f"{name}:" and len(line) + 1 + len(token) > WIDTH:
            lines.append(line)
            line = ""
        line += " " + token
    return "\n".join([*lines, line])


# --- messages ----------------------------------------------------------------------------------

def compose(subject, body, sender, to, sender_name=None, to_name=None, smtputf8=False, domain=None):
    """A whole message, as bytes: the required headers (Date, Message-ID, Auto-Submitted) and a UTF-8 body."""
    domain = domain or sender.rpartition("@")[2]
    body = body if body.endswith("\n") else body + "\n"
    if smtputf8:
        encoding, payload = "8bit", body.encode("utf-8")
    else:
        encoding, payload = "quoted-printable", quopri.encodestring(body.encode("utf-8"))
    headers = [
        fold("From", mailbox(sender_name, sender, "From")),
        fold("To", mailbox(to_name, to, "To")),
        fold("Subject", phrase(subject, "Subject", smtputf8)),
        f"Date: {formatdate(localtime=True)}",
        f"Message-ID: {make_msgid(domain=domain)}",
        # RFC 3834: automatic replies and vacation notices leave it alone.
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        f"Content-Transfer-Encoding: {encoding}",
    ]
    return "\n".join(headers).encode("utf-8") + b"\n\n" + payload


def render(name, values, sender, to, sender_name=None, to_name=None, smtputf8=False, domain=None):
    """Template name filled with values, as a whole message (bytes).

    to may be an address or a group such as 'undisclosed-recipients:;' (no to_name then);
    smtputf8 only where every hop takes raw UTF-8 headers; domain is the Message-ID's
    (the sender's domain by default).
    """
    subject, body = fill(name, values)
    return compose(subject, body, sender, to, sender_name, to_name, smtputf8, domain)


def send(message, sender, recipients, sendmail=SENDMAIL):
    """Hand message to Postfix for recipients, with sender as the envelope sender; SendError if refused."""
    recipients = list(recipients)
    if not recipients:
        return
    try:
        done = subprocess.run([sendmail, "-i", "-f", sender, "--", *recipients], input=message,
                              capture_output=True, check=False)
    except OSError as err:
        raise SendError(f"sendmail failed: cannot run {sendmail}: {err.strerror or err}") from None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip()[-300:] or "no message"
        raise SendError(f"sendmail failed (exit code {done.returncode}, {len(recipients)} recipients): {why}")
