import codecs
import datetime
import unicodedata

import openpyxl
import pytest
from mailgov import legacy_text, sheets
from mailgov.errors import RosterError

HEADER = ["Họ và tên", "Đơn vị", "Điện thoại"]
PEOPLE = [
    ["Nguyễn Văn An", "Sở Thông tin và Truyền thông", "0912345678"],
    ["Hoàng Thị Như Quỳnh", "Phòng Tổ chức, Hành chính", "0987654321"],
]
EXPECTED = [
    (2, {"Họ và tên": "Nguyễn Văn An", "Đơn vị": "Sở Thông tin và Truyền thông", "Điện thoại": "0912345678"}),
    (3, {"Họ và tên": "Hoàng Thị Như Quỳnh", "Đơn vị": "Phòng Tổ chức, Hành chính", "Điện thoại": "0987654321"}),
]


def _csv(rows, delimiter=","):
    def cell(value):
        return f'"{value}"' if any(c in value for c in ',;\t"\n') else value
    return "".join(delimiter.join(cell(v) for v in row) + "\r\n" for row in rows)


def _cp1258(value):
    """What Windows writes in code page 1258: a letter it has, else the letter and a combining tone."""
    out = bytearray()
    for c in unicodedata.normalize("NFC", value):
        try:
            out += c.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", c)
            base = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in "\u0300\u0301\u0303\u0309\u0323"))
            tone = "".join(m for m in decomposed if m in "\u0300\u0301\u0303\u0309\u0323")
            out += (base + tone).encode("cp1258")
    return bytes(out)


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_xlsx(tmp_path):
    book = openpyxl.Workbook()
    first = book.active
    first.append([])
    first.append([" Họ và tên ", "Đơn vị", "Điện thoại", None, "Ngày sinh", "Hệ số"])
    first.append(["Nguyễn Văn An", "Sở Nội vụ", 912345678, None, datetime.datetime(1980, 5, 31), 2.5])
    first.append([])
    first.append([None, None, None, "no header above"])
    first.append(["Trần Thị Bình", "  ", 3.0, None, None, True])
    other = book.create_sheet("Nhân sự")
    other.append(["Họ và tên"])
    other.append(["Lê Văn Cường"])
    path = tmp_path / "danh sach.xlsx"
    book.save(path)

    sheet = sheets.read(path)
    assert sheet.headers == ("Họ và tên", "Đơn vị", "Điện thoại", "Ngày sinh", "Hệ số")
    assert sheet.header_row == 2
    assert sheet.encoding is None
    assert sheet.rows == [
        (3, {"Họ và tên": "Nguyễn Văn An", "Đơn vị": "Sở Nội vụ", "Điện thoại": "912345678",
             "Ngày sinh": "1980-05-31", "Hệ số": "2.5"}),
        (6, {"Họ và tên": "Trần Thị Bình", "Điện thoại": "3", "Hệ số": "TRUE"}),
    ]
    assert sheets.read(path, sheet="Nhân sự").rows == [(2, {"Họ và tên": "Lê Văn Cường"})]
    with pytest.raises(sheets.SheetError, match="has no sheet 'Staff'; its sheets are 'Sheet', 'Nhân sự'"):
        sheets.read(path, sheet="Staff")


def test_broken_xlsx(tmp_path):
    path = _write(tmp_path, "staff.xlsx", b"PK\x03\x04 not really a workbook")
    with pytest.raises(sheets.SheetError, match=r"staff\.xlsx: is not a workbook .*CSV UTF-8"):
        sheets.read(path)


@pytest.mark.parametrize("encode, encoding", [
    (lambda s: s.encode("utf-8"), "utf-8"),
    (lambda s: codecs.BOM_UTF8 + s.encode("utf-8"), "utf-8-sig"),
    (lambda s: s.encode("utf-16"), "utf-16"),
    (lambda s: codecs.BOM_UTF16_LE + s.encode("utf-16-le"), "utf-16"),
    (lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"), "utf-16"),
    (_cp1258, "cp1258"),
])
def test_csv_encodings(tmp_path, encode, encoding):
    path = _write(tmp_path, "staff.csv", encode(_csv([HEADER] + PEOPLE)))
    sheet = sheets.read(path)
    assert (sheet.encoding, sheet.headers, sheet.rows) == (encoding, tuple(HEADER), EXPECTED)


def test_cp1258_is_really_combining_marks():
    data = _cp1258("Nguyễn Văn An")
    assert "\u0303".encode("cp1258") in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiters(tmp_path, delimiter):
    path = _write(tmp_path, "staff.csv", _csv([HEADER] + PEOPLE, delimiter).encode("utf-8"))
    assert sheets.read(path).rows == EXPECTED


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path):
    content = ";;\r\n" + _csv([HEADER, PEOPLE[0], ["", "", ""], ["Lê\nVăn", "", "7"]], ";")
    sheet = sheets.read(_write(tmp_path, "staff.csv", content.encode("utf-8")))
    assert sheet.header_row == 2
    assert sheet.rows == [(3, EXPECTED[0][1]), (5, {"Họ và tên": "Lê\nVăn", "Điện thoại": "7"})]


def test_excel_separator_hint(tmp_path):
    content = "sep=;\r\n" + _csv([HEADER] + PEOPLE, ";")
    assert sheets.read(_write(tmp_path, "staff.csv", content.encode("utf-8"))).rows == EXPECTED


def test_one_column(tmp_path):
    path = _write(tmp_path, "staff.csv", "Họ và tên\nNguyễn Văn An\n".encode("utf-8"))
    assert sheets.read(path).rows == [(2, {"Họ và tên": "Nguyễn Văn An"})]


def test_encoding_argument_overrides_detection(tmp_path):
    path = _write(tmp_path, "staff.csv", _cp1258(_csv([HEADER] + PEOPLE)))
    assert sheets.read(path, encoding="cp1258").rows == EXPECTED
    with pytest.raises(sheets.SheetError, match=r"staff\.csv: is not in utf-8"):
        sheets.read(path, encoding="utf-8")


def test_legacy_bytes_are_left_for_legacy_text(tmp_path):
    # An old "ANSI" CSV of TCVN3 and VNI names: cp1258 would make tone marks of some bytes.
    content = _csv([["Ho ten"], ["NguyÔn V¨n An"], ["Hoµng ThÞ Nh\u00ad Quúnh"], ["Nguyeãn Thò Thuûy"]])
    sheet = sheets.read(_write(tmp_path, "staff.csv", content.encode("cp1252")))
    assert sheet.encoding == "cp1252"
    names = [legacy_text.convert(values["Ho ten"]) for _, values in sheet.rows]
    assert names == [("Nguyễn Văn An", "tcvn3"), ("Hoàng Thị Như Quỳnh", "tcvn3"), ("Nguyễn Thị Thủy", "vni")]


def test_legacy_text_in_utf8_is_read_as_it_is(tmp_path):
    sheet = sheets.read(_write(tmp_path, "staff.csv", "Họ tên\nNguyÔn V¨n An\n".encode("utf-8")))
    assert sheet.rows == [(2, {"Họ tên": "NguyÔn V¨n An"})]


@pytest.mark.parametrize("data", [
    b"Ho ten\r\nNguy\x81n Van An\r\n",  # a byte no code page of these has
    "Họ tên\r\nAn\r\n".encode("utf-16-le"),  # UTF-16 without a BOM
])
def test_undecodable_csv(tmp_path, data):
    path = _write(tmp_path, "nhan su.csv", data)
    with pytest.raises(sheets.SheetError) as caught:
        sheets.read(path)
    message = str(caught.value)
    assert str(path) in message and 'save it as "CSV UTF-8" or as .xlsx' in message


def test_unknown_file_type(tmp_path):
    path = _write(tmp_path, "staff.xls", b"\xd0\xcf\x11\xe0")
    with pytest.raises(sheets.SheetError, match=r"staff\.xls: cannot read '\.xls'; open it in Excel or LibreOffice"):
        sheets.read(path)


def test_missing_file(tmp_path):
    with pytest.raises(sheets.SheetError, match=r"absent\.csv: cannot be read: No such file"):
        sheets.read(tmp_path / "absent.csv")


def test_two_columns_with_one_header(tmp_path):
    path = _write(tmp_path, "staff.csv", "Họ tên,Email,Họ tên\nAn,a@x.vn,Bình\n".encode("utf-8"))
    with pytest.raises(sheets.SheetError, match="row 1: columns A and C are both headed 'Họ tên'"):
        sheets.read(path)


def test_sheet_error_is_a_roster_problem(tmp_path):
    with pytest.raises(RosterError) as caught:
        sheets.read(tmp_path / "staff.ods")
    assert len(caught.value.problems) == 1


def test_empty_file(tmp_path):
    sheet = sheets.read(_write(tmp_path, "staff.csv", b""))
    assert (sheet.headers, sheet.header_row, sheet.rows) == ((), None, [])


@pytest.mark.parametrize("header, delimiter", [
    ("Họ tên;Chức vụ, phòng;Email", ";"),
    ('"Họ, tên";"Đơn vị"', ";"),
    ("Họ tên,Đơn vị (phòng; ban)", ","),
    ("STT\tHọ tên\tGhi chú, nếu có", "\t"),
])
def test_the_delimiter_is_the_header_lines(tmp_path, header, delimiter):
    content = header + "\r\n" + delimiter.join(["a", "b", "c"][:header.count(delimiter) + 1]) + "\r\n"
    sheet = sheets.read(_write(tmp_path, "staff.csv", content.encode("utf-8")))
    assert len(sheet.headers) == header.count(delimiter) + 1
    assert len(sheet.rows[0][1]) == len(sheet.headers)


def test_vni_ansi_csv_is_left_for_legacy_text(tmp_path):
    content = _csv([["Ho ten", "Don vi"], ["Nguyeãn Thò Bình", "Sôû Noäi vuï"]])
    sheet = sheets.read(_write(tmp_path, "staff.csv", content.encode("cp1252")))
    assert sheet.encoding == "cp1252"
    assert sheet.rows == [(2, {"Ho ten": "Nguyeãn Thò Bình", "Don vi": "Sôû Noäi vuï"})]
    assert legacy_text.convert("Nguyeãn Thò Bình") == ("Nguyễn Thị Bình", "vni")


def test_a_bom_then_other_bytes(tmp_path):
    path = _write(tmp_path, "staff.csv", codecs.BOM_UTF8 + b"Ho ten\r\nNguy\xeen\r\n")
    with pytest.raises(sheets.SheetError, match="starts like UTF-8 text but the rest is not UTF-8"):
        sheets.read(path)
