"""Staff spreadsheets read into rows: an Excel workbook (.xlsx) or a CSV file.

The personnel office sends whatever its tools save: a workbook, or a CSV from Excel or
LibreOffice in UTF-8 (with or without a BOM), UTF-16 ("Unicode text") or the Vietnamese
Windows code page 1258, separated by commas, semicolons or tabs.  Each row comes back as
{header: text} under the row number the operator sees in Excel or LibreOffice, so that a
problem can be reported where it can be found.

Text in the legacy fonts TCVN3 (ABC) and VNI is left as the spreadsheet shows it: the
caller converts it cell by cell (mailgov.legacy_text.convert).
"""

import codecs
import csv
import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import text
from .errors import RosterError

_RESAVE = 'open it in Excel or LibreOffice and save it as "CSV UTF-8" or as .xlsx'
_DELIMITERS = ",;\t"
_SEP_LINE = re.compile("sep=(.)")  # Excel's first-line hint: "sep=;"


class SheetError(RosterError):
    """A spreadsheet cannot be read; the message names the file and says what to do.

    A RosterError with one problem, so that whoever reports roster problems reports it too."""

    def __init__(self, message):
        super().__init__([message])


@dataclass(frozen=True)
class Sheet:
    """A spreadsheet's rows: (row number, {header: text}), without empty cells and rows."""

    path: str
    headers: tuple  # the header row's non-empty cells, left to right
    header_row: int | None  # its row number; None when the sheet is empty
    rows: list
    encoding: str | None  # the codec a CSV file was read with; None for a workbook


def read(path, sheet=None, encoding=None):
    """Read a .xlsx or .csv file into a Sheet; raise SheetError when it cannot be read.

    The first row with any text is the header row: its stripped cells name the columns,
    and cells under a column without a header are left out.  Values are text, stripped
    ("7" for a number cell 7, "2024-05-31" for a date); empty cells are left out of a row
    and empty rows are skipped.  sheet names a workbook's worksheet (the first one when
    None); encoding overrides the detection of a CSV file's encoding.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _table(path, _workbook_rows(path, sheet), None)
    if suffix == ".csv":
        decoded, used = _decode(path, _bytes(path), encoding)
        return _table(path, _csv_rows(decoded), used)
    shown = repr(suffix) if suffix else "a file without an extension"
    raise SheetError(f"{path}: cannot read {shown}; {_RESAVE}")


def _bytes(path):
    try:
        return path.read_bytes()
    except OSError as err:
        raise SheetError(f"{path}: cannot be read: {err.strerror}") from None


def _workbook_rows(path, sheet):
    """Every row of a worksheet as a list of cell values, from row 1."""
    try:
        import openpyxl  # only here: CSV files are read without it
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError:
        raise SheetError(f"{path}: reading .xlsx needs the openpyxl package; install it, or save the sheet as "
                         '"CSV UTF-8"') from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as err:
        raise SheetError(f"{path}: cannot be read: {err.strerror or err}") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as err:
        raise SheetError(f"{path}: is not a workbook Excel can save ({err}); {_RESAVE}") from None
    try:
        named = {ws.title: ws for ws in book.worksheets}  # charts are sheets too, without cells
        if sheet is None:
            worksheet = book.worksheets[0]
        elif sheet in named:
            worksheet = named[sheet]
        else:
            known = ", ".join(repr(name) for name in named)
            raise SheetError(f"{path}: has no sheet {sheet!r}; its sheets are {known}")
        # The size a file records can be wrong (some tools never update it): read every row there is.
        worksheet.reset_dimensions()
        # openpyxl gives the rows a file leaves out as empty ones, so the n-th row is row n.
        return [list(row) for row in worksheet.iter_rows(min_row=1, values_only=True)]
    finally:
        book.close()


def _decode(path, data, encoding):
    """The text of a CSV file and the codec it was read with."""
    if encoding:
        try:
            decoded = data.decode(encoding)
        except LookupError:
            raise SheetError(f"{path}: {encoding!r} is not an encoding Python knows") from None
        except UnicodeDecodeError as err:
            raise SheetError(f"{path}: is not in {encoding} (byte {err.start + 1} cannot be read); {_RESAVE}") from None
        return _checked(path, _normalised(decoded, encoding)), encoding
    boms = ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
            (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))
    for bom, codec, name in boms:
        if data.startswith(bom):
            decoded = _attempt(data, codec)
            if decoded is None:
                raise SheetError(f"{path}: starts like {name} text but the rest is not {name}; {_RESAVE}")
            return _checked(path, decoded), codec
    decoded = _attempt(data, "utf-8")
    if decoded is not None:
        return _checked(path, decoded), "utf-8"
    decoded = _attempt(data, "cp1258")
    if decoded is not None and _reads_as_cp1258(decoded):
        return _checked(path, decoded), "cp1258"
    # The Windows code page as the legacy fonts' users saved it: TCVN3 or VNI bytes, shown as
    # Windows-1252, for legacy_text.convert (cp1258 would have turned some into tone marks).
    decoded = _attempt(data, "cp1252")
    if decoded is not None and text.looks_legacy(decoded):
        return _checked(path, decoded), "cp1252"
    raise SheetError(f"{path}: is not in UTF-8, UTF-16 or Windows-1258 (Vietnamese) text; {_RESAVE}")


def _attempt(data, codec):
    try:
        return _normalised(data.decode(codec), codec)
    except UnicodeDecodeError:
        return None


def _normalised(decoded, codec):
    # cp1258 writes most toned letters as a letter and a combining tone mark: compose them.
    if codecs.lookup(codec).name == "cp1258":
        return unicodedata.normalize("NFC", decoded)
    return decoded


def _reads_as_cp1258(decoded):
    """True when cp1258 gives Vietnamese: its letters, every tone mark on a letter, no legacy look."""
    if any(unicodedata.combining(c) for c in decoded) or text.looks_legacy(decoded):
        return False
    return any(c in text.VIETNAMESE_LETTERS and not c.isascii() for c in decoded)


def _checked(path, decoded):
    # UTF-16 without a BOM decodes as UTF-8 full of NULs.
    if "\x00" in decoded:
        raise SheetError(f"{path}: is not a text file in a known encoding (it has NUL characters); {_RESAVE}")
    return decoded.removeprefix("\ufeff")  # a BOM left by an encoding= without "-sig"


def _csv_rows(decoded):
    """The rows of a CSV text, each a list of cells, row 1 first as Excel numbers them."""
    lines = decoded.splitlines(keepends=True)
    hint = _SEP_LINE.fullmatch(lines[0].rstrip("\r\n")) if lines else None
    if hint:
        # Excel hides the hint line and numbers the rows after it from 1.
        delimiter, decoded = hint.group(1), "".join(lines[1:])
    else:
        delimiter = _delimiter(lines)
    return list(csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter))


def _delimiter(lines):
    """Comma, semicolon or tab: what the header line (the first with any text) is split by."""
    header = next((line for line in lines if line.strip(_DELIMITERS + " \"'\r\n")), "")
    try:
        sniffed = csv.Sniffer().sniff(header, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","  # a header of one column has no delimiter to find
    # The Sniffer prefers a comma to a semicolon found as often ("Họ tên;Chức vụ, phòng;Email"):
    # the delimiter that makes the most header cells wins, the Sniffer's choice among equals.
    fields = {d: len(next(csv.reader([header], delimiter=d), [])) for d in _DELIMITERS}
    return max(fields, key=lambda d: (fields[d], d == sniffed))


def _text(value):
    """A cell's value as the operator reads it, stripped; "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 7.0 is "7"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value).strip()


def _column(index):
    """The letters Excel shows for a 0-based column index: 0 -> A, 26 -> AA."""
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _table(path, rows, encoding):
    headers, header_row, table = None, None, []
    for number, cells in enumerate(rows, start=1):
        values = [_text(v) for v in cells]
        if not any(values):
            continue
        if headers is None:
            headers, header_row = _headers(path, number, values), number
            continue
        record = {headers[i]: v for i, v in enumerate(values) if v and i in headers}
        if record:
            table.append((number, record))
    return Sheet(str(path), tuple((headers or {}).values()), header_row, table, encoding)


def _headers(path, number, values):
    """The header row as {column index: header}; two columns with one header are an error."""
    headers, seen = {}, {}
    for index, header in enumerate(values):
        if not header:
            continue
        if header in seen:
            raise SheetError(f"{path}: row {number}: columns {_column(seen[header])} and {_column(index)} are both "
                             f"headed {header!r}; give each column a header of its own")
        seen[header] = index
        headers[index] = header
    return headers
