"""The accounts of an old mail server, as records: from its directory's entries or a spreadsheet's rows.

Both sources give the same record, so that one planner (``mailgov.import_plan``) turns either into
a roster. Names typed in TCVN3 or VNI are converted here, cell by cell, and each conversion is
noted for review; every other judgement is the planner's.
"""

import datetime
import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import legacy_text, text
from .sizes import size_bytes

SOURCES_FILE = Path(__file__).with_name("import_sources.yml")
FIELDS = ("name", "address", "aliases", "quota", "unit", "birth_date", "password")


@dataclass
class Record:
    where: str  # "row 7" or the entry's DN: what every message about it names
    name: str = ""
    address: str = ""
    aliases: list = field(default_factory=list)
    quota: int = None  # bytes; None: the policy's
    unit: str = ""
    birth_date: str = ""
    status: str = "active"
    password: str = ""  # a hash, never shown
    notes: list = field(default_factory=list)  # conversions, for review
    problems: list = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def _shipped():
    return yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))


def sources(extra=None):
    """The shipped mapping with a site's own merged over it, kind by kind."""
    merged = {kind: dict(value) for kind, value in _shipped().items()}
    for kind, value in (extra or {}).items():
        if kind == "sheet":
            merged["sheet"] = {**merged["sheet"], **value}
        elif kind == "ldap":
            merged["ldap"] = {**merged["ldap"], **value}
        else:
            raise ValueError(f"import_sources: {kind!r} is neither 'ldap' nor 'sheet'")
    return merged


def _key(value):
    return text.vn_ascii(str(value)).lower()


def _converted(record, label, value, column=None):
    """A cell in Unicode; a TCVN3 or VNI one converted, and noted for review.

    ``column`` is the encoding most of the cell's column is in: a cell that reads as Unicode or as
    either encoding alike ("Hoà" is also VNI for "Hồ") is read as its column is."""
    converted, encoding = legacy_text.convert(value)
    if column and encoding in (None, "unknown") and not value.isascii():
        decoded = legacy_text.decode(value, column)
        if decoded and decoded != converted:
            record.notes.append(f"{record.where}: {label} {value!r} converted from {column.upper()} to {decoded!r}, "
                                "as the rest of its column")
            return decoded
    if encoding == "unknown":
        record.problems.append(f"{record.where}: {label} {value!r} looks like a legacy Vietnamese encoding "
                               "(TCVN3 or VNI) that could not be told apart: write it in Unicode")
    elif encoding:
        record.notes.append(f"{record.where}: {label} {value!r} converted from {encoding.upper()} to {converted!r}")
    return converted


def _status(record, raw, values):
    if not raw:
        return
    status = {_key(k): v for k, v in values.items()}.get(_key(raw))
    if status is None:
        record.problems.append(f"{record.where}: status {raw!r} is unknown: use one of "
                               f"{', '.join(sorted(values))} (or add it to import_sources)")
    else:
        record.status = status


# From a directory.
def _dn_ou(dn):
    for part in dn.split(",")[1:]:
        attr, _, value = part.partition("=")
        if attr.strip().lower() == "ou":
            return value.strip()
    return ""


def _first(entry, dn, attrs):
    lowered = {k.lower(): v for k, v in entry.items()}
    for attr in attrs:
        if attr == "dn:ou":
            if _dn_ou(dn):
                return [_dn_ou(dn)]
        elif lowered.get(attr.lower()):
            return lowered[attr.lower()]
    return []


def from_entry(dn, entry, mapping):
    """A record from one directory entry ({attribute: [str]}), read as mapping says."""
    record = Record(where=dn)
    values = {name: _first(entry, dn, mapping.get(name) or []) for name in FIELDS}
    record.name = _converted(record, "name", values["name"][0]) if values["name"] else ""
    record.address = (values["address"] or [""])[0].strip().lower()
    record.aliases = sorted({a.strip().lower() for a in values["aliases"]} - {record.address, ""})
    record.unit = _converted(record, "unit", values["unit"][0]) if values["unit"] else ""
    record.birth_date = (values["birth_date"] or [""])[0]
    record.password = (values["password"] or [""])[0]
    quota = (values["quota"] or [""])[0].strip()
    if quota and not quota.isdigit():
        record.problems.append(f"{dn}: quota {quota!r} is not a number of bytes")
    record.quota = int(quota) if quota.isdigit() and int(quota) > 0 else None
    status = mapping.get("status") or {}
    _status(record, (_first(entry, dn, status.get("attributes") or []) or [""])[0], status.get("values") or {})
    if status.get("locked_if") and _first(entry, dn, [status["locked_if"]]):
        record.status = "locked"
    return record


# From a spreadsheet (mailgov.sheets).
def _columns(headers, mapping, where):
    """Which header holds each field; the name and unit columns must be there."""
    found, problems = {}, []
    by_key = {_key(h): h for h in headers}
    for name in ("name", "unit", "address", "aliases", "quota", "birth_date", "status"):
        wanted = mapping.get(name) or []
        wanted = wanted.get("headers", []) if isinstance(wanted, dict) else wanted
        header = next((by_key[_key(w)] for w in wanted if _key(w) in by_key), None)
        if header:
            found[name] = header
        elif name in ("name", "unit"):
            problems.append(f"{where}: no column for the {name.replace('_', ' ')} (headed one of "
                            f"{', '.join(repr(w) for w in wanted)}): add it, or name its header in import_sources")
    return found, problems


def _date(value):
    # Spreadsheets write dates as 31/05/1980 in Vietnam; the roster wants 1980-05-31.
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value, form).date().isoformat()
        except ValueError:
            continue
    return value


def _column_encoding(rows, header):
    """TCVN3 or VNI when most of a column's non-ASCII cells are in it, else None."""
    found = [legacy_text.convert(row[header])[1] for _, row in rows if not (row.get(header) or "").isascii()]
    for encoding in ("tcvn3", "vni"):
        if found and found.count(encoding) * 2 > len(found):
            return encoding
    return None


def _sheet_quota(record, value):
    if not value:
        return
    if value.replace(".", "").isdigit():  # 2048: megabytes or bytes? Nobody can tell.
        record.problems.append(f"{record.where}: quota {value!r} has no unit: write it as 2G or 500M")
        return
    try:
        record.quota = size_bytes(value) or None
    except ValueError as err:
        record.problems.append(f"{record.where}: quota {err}")


def from_sheet(sheet, mapping):
    """Records from a sheet's rows, and the problems of the sheet as a whole (missing columns)."""
    columns, problems = _columns(sheet.headers, mapping, Path(sheet.path).name)
    if problems:
        return [], problems
    status_values = (mapping.get("status") or {}).get("values") or {}
    legacy = {name: _column_encoding(sheet.rows, columns[name]) for name in ("name", "unit")}
    records = []
    for number, row in sheet.rows:
        record = Record(where=f"row {number}")
        cell = {name: (row.get(header) or "").strip() for name, header in columns.items()}
        record.name = _converted(record, "name", cell["name"], legacy["name"]) if cell["name"] else ""
        record.unit = _converted(record, "unit", cell["unit"], legacy["unit"]) if cell["unit"] else ""
        record.address = cell.get("address", "").lower()
        record.aliases = sorted({a.strip().lower() for a in cell.get("aliases", "").replace(";", ",").split(",")}
                                - {record.address, ""})
        _sheet_quota(record, cell.get("quota", ""))
        record.birth_date = _date(cell.get("birth_date", ""))
        _status(record, cell.get("status", ""), status_values)
        records.append(record)
    return records, []
