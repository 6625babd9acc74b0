import unicodedata

import pytest
from mailgov import text


@pytest.mark.parametrize("raw, expected", [
    ("Đặng Thị Hoà", "Dang Thi Hoa"),
    ("Hoàng Thị Như Quỳnh", "Hoang Thi Nhu Quynh"),
    ("TRƯƠNG HOÀNG TIẾN MINH", "TRUONG HOANG TIEN MINH"),
    ("Nguyễn Thị Thuỷ", "Nguyen Thi Thuy"),
    ("Nguyễn Thị Thủy", "Nguyen Thi Thuy"),
    (unicodedata.normalize("NFD", "Lê Văn Đức"), "Le Van Duc"),
    ("Trần\u00a0Văn\u200b  Ơn", "Tran Van On"),
    ("\ufeffPhạm   Thị Ý ", "Pham Thi Y"),
    ("Ksor H'Bia", "Ksor H'Bia"),
    ("Y Ngông Niê Kdăm", "Y Ngong Nie Kdam"),
    ("ăâđêôơư ĂÂĐÊÔƠƯ", "aadeoou AADEOOU"),
])
def test_vn_ascii(raw, expected):
    assert text.vn_ascii(raw) == expected


@pytest.mark.parametrize("a, b", [
    ("Hoà", "Hòa"), ("Thuỷ", "Thủy"), ("Khoẻ", "Khỏe"), ("Thuý", "Thúy"),
    ("NGUYỄN VĂN AN", "nguyễn văn an"),
    (unicodedata.normalize("NFD", "Quỳnh"), "Quỳnh"),
])
def test_name_key_ignores_case_and_tone_placement(a, b):
    assert text.name_key(text.clean(a)) == text.name_key(text.clean(b))


@pytest.mark.parametrize("a, b", [("An", "Ân"), ("Hoà", "Hoả"), ("Văn", "Vân")])
def test_name_key_keeps_different_names_apart(a, b):
    assert text.name_key(a) != text.name_key(b)


@pytest.mark.parametrize("name", [
    "Hoàng Thị Như Quỳnh", "Ksor H'Bia", "Rơ Châm Yơn", "Y Ngông Niê Kdăm",
    "Nguyễn Thị Ngoãn", "Đoàn Khuê", "Lê-Nguyễn Hoà", "Phan Thị Ánh", "Giàng A Páo",
])
def test_real_names_are_accepted(name):
    assert text.name_problem(text.clean(name)) is None


@pytest.mark.parametrize("name, says", [
    ("NguyÔn V¨n B»ng", "legacy"),          # TCVN3 (ABC) read as Latin-1
    ("Hoµng ThÞ Nh\u00ad Quúnh", "legacy"),  # TCVN3, with its soft-hyphen "ư"
    ("TrÇn §×nh Nguyªn", "legacy"),
    ("Nguyeãn Vaên Baèng", "legacy"),         # VNI read as Latin-1
    ("Traàn Ñình Nguyeân", "legacy"),
    ("Nguyễn Văn 2", "digits or symbols"),
    ("Nguyễn Văn An!", "digits or symbols"),
    ("", "is empty"),
    ("'-", "has no letters"),
])
def test_bad_names_are_refused(name, says):
    assert says in text.name_problem(text.clean(name))


def test_unit_names_may_have_digits():
    assert text.name_problem("Phường 12", allow_digits=True) is None


@pytest.mark.parametrize("name, words", [
    ("Ksor H'Bia", ["Ksor", "HBia"]),
    ("K’Bang", ["KBang"]),
    ("Lê-Nguyễn Hoà", ["LêNguyễn", "Hoà"]),
])
def test_apostrophes_and_hyphens_are_dropped(name, words):
    assert text.words(name) == words
