import unicodedata

import pytest
from mailgov import legacy_text, text

# TCVN3 (ABC) as published: byte -> letter, typed apart from the module's table.
TCVN3_CODES = """
A1 Ă A2 Â A3 Ê A4 Ô A5 Ơ A6 Ư A7 Đ A8 ă A9 â AA ê AB ô AC ơ AD ư AE đ
B5 à B6 ả B7 ã B8 á B9 ạ BB ằ BC ẳ BD ẵ BE ắ C6 ặ C7 ầ C8 ẩ C9 ẫ CA ấ CB ậ
CC è CE ẻ CF ẽ D0 é D1 ẹ D2 ề D3 ể D4 ễ D5 ế D6 ệ D7 ì D8 ỉ DC ĩ DD í DE ị
DF ò E1 ỏ E2 õ E3 ó E4 ọ E5 ồ E6 ổ E7 ỗ E8 ố E9 ộ EA ờ EB ở EC ỡ ED ớ EE ợ
EF ù F1 ủ F2 ũ F3 ú F4 ụ F5 ừ F6 ử F7 ữ F8 ứ F9 ự FA ỳ FB ỷ FC ỹ FD ý FE ỵ
""".split()
TCVN3_REFERENCE = {
    bytes([int(code, 16)]).decode("cp1252"): letter for code, letter in zip(TCVN3_CODES[::2], TCVN3_CODES[1::2])
}

# VNI Windows as published, lowercase (capitals are the same characters in upper case).
VNI_ROWS = [
    ("aù aø aû aõ aï", "á à ả ã ạ"),
    ("aâ aá aà aå aã aä", "â ấ ầ ẩ ẫ ậ"),
    ("aê aé aè aú aü aë", "ă ắ ằ ẳ ẵ ặ"),
    ("eù eø eû eõ eï", "é è ẻ ẽ ẹ"),
    ("eâ eá eà eå eã eä", "ê ế ề ể ễ ệ"),
    ("où oø oû oõ oï", "ó ò ỏ õ ọ"),
    ("oâ oá oà oå oã oä", "ô ố ồ ổ ỗ ộ"),
    ("ô ôù ôø ôû ôõ ôï", "ơ ớ ờ ở ỡ ợ"),
    ("uù uø uû uõ uï", "ú ù ủ ũ ụ"),
    ("ö öù öø öû öõ öï", "ư ứ ừ ử ữ ự"),
    ("í ì æ ó ò", "í ì ỉ ĩ ị"),
    ("yù yø yû yõ î", "ý ỳ ỷ ỹ ỵ"),
    ("ñ", "đ"),
]
VNI_REFERENCE = [pair for vni, letters in VNI_ROWS for pair in zip(vni.split(), letters.split())]
VNI_REFERENCE += [(vni.upper(), letter.upper()) for vni, letter in VNI_REFERENCE]


def test_tcvn3_reference_is_every_letter_one_font_has():
    lowercase = {c for c in text.VIETNAMESE_LETTERS if c.islower() and not c.isascii()}
    assert set(TCVN3_REFERENCE.values()) == lowercase | set("ĂÂÊÔƠƯĐ")
    assert len(TCVN3_REFERENCE) == len(set(TCVN3_REFERENCE.values()))


def test_vni_reference_is_every_letter():
    assert {letter for _, letter in VNI_REFERENCE} == {c for c in text.VIETNAMESE_LETTERS if not c.isascii()}


@pytest.mark.parametrize("code, letter", sorted(TCVN3_REFERENCE.items()))
def test_tcvn3_table(code, letter):
    assert legacy_text.decode(code, "tcvn3") == letter
    assert legacy_text.TCVN3[code] == letter


@pytest.mark.parametrize("vni, letter", VNI_REFERENCE)
def test_vni_table(vni, letter):
    assert legacy_text.decode(vni, "vni") == letter


def test_decode_refuses_characters_the_encoding_never_has():
    assert legacy_text.decode("Ng°êi", "tcvn3") is None
    assert legacy_text.decode("Hoµng", "vni") is None


@pytest.mark.parametrize("legacy, unicode", [
    ("NguyÔn V¨n An", "Nguyễn Văn An"),
    ("Hoµng ThÞ Nh\u00ad Quúnh", "Hoàng Thị Như Quỳnh"),
    ("§Æng ThÞ Hoµ", "Đặng Thị Hoà"),
    ("Lª Thanh Tó", "Lê Thanh Tú"),
    ("Tr\u00ad¬ng V¨n §øc", "Trương Văn Đức"),
    ("Y Ng«ng Niª Kd¨m", "Y Ngông Niê Kdăm"),
    ("Së Th«ng tin vµ TruyÒn th«ng", "Sở Thông tin và Truyền thông"),
    ("Së Gi¸o dôc & §µo t¹o", "Sở Giáo dục & Đào tạo"),
    ("Uû ban nh©n d©n tØnh", "Uỷ ban nhân dân tỉnh"),
    ("Phßng Tæ chøc - Hµnh chÝnh", "Phòng Tổ chức - Hành chính"),
    ("Tr\u00adêng THPT sè 1 (Hµ Néi)", "Trường THPT số 1 (Hà Nội)"),
    ("  NguyÔn\u00a0 V¨n An ", "Nguyễn Văn An"),
])
def test_tcvn3_cells(legacy, unicode):
    assert legacy_text.convert(legacy) == (unicode, "tcvn3")


@pytest.mark.parametrize("legacy, unicode", [
    ("Nguyeãn Vaên An", "Nguyễn Văn An"),
    ("Hoaøng Thò Nhö Quyønh", "Hoàng Thị Như Quỳnh"),
    ("Ñaëng Thò Hoaø", "Đặng Thị Hoà"),
    ("Leâ Thanh Tuù", "Lê Thanh Tú"),
    ("Phaïm Myõ Dung", "Phạm Mỹ Dung"),
    ("Tröông Vaên Ñöùc", "Trương Văn Đức"),
    ("Sôû Thoâng tin vaø Truyeàn thoâng", "Sở Thông tin và Truyền thông"),
    ("Sôû Giaùo duïc & Ñaøo taïo", "Sở Giáo dục & Đào tạo"),
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("Tröôøng THPT soá 1 (Haø Noäi)", "Trường THPT số 1 (Hà Nội)"),
])
def test_vni_cells(legacy, unicode):
    assert legacy_text.convert(legacy) == (unicode, "vni")


@pytest.mark.parametrize("legacy, unicode", [
    ("NGUYEÃN VAÊN AN", "NGUYỄN VĂN AN"),
    ("ÑAËNG THÒ HOAØ", "ĐẶNG THỊ HOÀ"),
    ("HOAØNG THÒ NHÖ QUYØNH", "HOÀNG THỊ NHƯ QUỲNH"),
    ("UÛY BAN NHAÂN DAÂN TÆNH", "ỦY BAN NHÂN DÂN TỈNH"),
    ("TRÖÔØNG THPT SOÁ 1", "TRƯỜNG THPT SỐ 1"),
])
def test_vni_capitals(legacy, unicode):
    assert legacy_text.convert(legacy) == (unicode, "vni")


def test_converted_cells_are_good_names():
    for cell in ("NguyÔn V¨n An", "Nguyeãn Vaên An", "Së Th«ng tin vµ TruyÒn th«ng"):
        converted, _ = legacy_text.convert(cell)
        assert not text.looks_legacy(converted)
        assert text.name_problem(converted, allow_digits=True) is None
        assert converted == unicodedata.normalize("NFC", converted)


def test_tcvn3_capitals_keep_the_case_they_were_typed_in():
    # Typed in ".VnTimeH": the toned capitals are lowercase code points, so they stay lowercase.
    assert legacy_text.convert("TRÇN V¡N AN") == ("TRầN VĂN AN", "tcvn3")


def test_a_legacy_cell_that_looks_like_unicode_converts_when_it_reads_better():
    # "Huúnh" passes text.looks_legacy, but is no Vietnamese word; "Huỳnh" is.
    assert legacy_text.convert("Huúnh Kim Nhung") == ("Huỳnh Kim Nhung", "tcvn3")


@pytest.mark.parametrize("cell, cleaned", [
    ("Nguyễn Văn An", "Nguyễn Văn An"),
    ("Hoàng Thị Như Quỳnh", "Hoàng Thị Như Quỳnh"),
    (unicodedata.normalize("NFD", "Nguyễn Thị Thuỷ"), "Nguyễn Thị Thuỷ"),
    ("  Lê\u00a0Hà ", "Lê Hà"),
    ("Tú", "Tú"),
    ("Võ Thành", "Võ Thành"),
    ("Hoà Minh", "Hoà Minh"),
    ("Ksor H'Bia", "Ksor H'Bia"),
    ("Sở Thông tin và Truyền thông", "Sở Thông tin và Truyền thông"),
    ("Phòng Tổ chức - Hành chính", "Phòng Tổ chức - Hành chính"),
    ("", ""),
])
def test_unicode_cells_are_left_alone(cell, cleaned):
    assert legacy_text.convert(cell) == (cleaned, None)


@pytest.mark.parametrize("cell", [
    "Ng°êi",  # ° is in neither encoding
    "Nguy¿n V¨n An",
    "Mî Hoa",  # TCVN3 "Mợ", VNI "Mỵ": no guessing
    "Phan Nhö Sôn",  # TCVN3 "Nhử Sụn", VNI "Như Sơn"
])
def test_unconvertible_cells_are_reported_unchanged(cell):
    assert legacy_text.convert(cell) == (text.clean(cell), "unknown")
    assert text.looks_legacy(cell)
