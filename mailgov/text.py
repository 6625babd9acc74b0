"""Vietnamese text as people paste it: cleaning, folding to ASCII, and checks.

Names reach the roster from office documents and old databases, so the same
name can arrive in NFC or NFD, with old or new tone placement (hoà/hòa), with
non-breaking or zero-width spaces, or in a legacy 8-bit encoding read as
Latin-1 (TCVN3/ABC, VNI).  Everything here is a pure function.
"""

import re
import unicodedata
from functools import lru_cache

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_BASE_VOWELS = "aăâeêioôơuưy"


def _vietnamese_letters():
    letters = set("abcdefghijklmnopqrstuvwxyzđ")
    for base in _BASE_VOWELS:
        for tone in ("",) + tuple(TONE_MARKS):
            letters.add(unicodedata.normalize("NFC", base + tone))
    return frozenset(letters | {c.upper() for c in letters})


VIETNAMESE_LETTERS = _vietnamese_letters()


def _ascii_table():
    table = {}
    for letter in VIETNAMESE_LETTERS:
        if not letter.isascii():
            base = unicodedata.normalize("NFD", letter)[0]
            table[ord(letter)] = {"đ": "d", "Đ": "D"}.get(letter, base)
    return table


_ASCII = _ascii_table()

APOSTROPHES = "'\u2019\u02bc\u2018`\u00b4"
HYPHENS = "-\u2010\u2011\u2012\u2013"
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_DROPPED = str.maketrans("", "", APOSTROPHES + HYPHENS)

# Bytes of TCVN3 (ABC) and VNI text shown as Latin-1: symbols and letters that
# Vietnamese never uses.  The soft hyphen is TCVN3's "ư", so it is a sign of a
# legacy encoding, not an invisible character to strip.
_LEGACY_CHARS = re.compile(
    "[\u00ad¡¢£¤¥¦§¨©ª«¬®¯°±²³µ¶·¸¹º»¼½¾¿ÄÅÆÇËÎÏÑÖ×ØÛÜÞßäåæçëîïñö÷øûüþÿ]"
)
# VNI writes a vowel followed by its mark as a second letter: "Nguyeãn Vaên".
# No Vietnamese syllable has "a" or "e" followed by one of these vowels.
_VNI_PAIR = re.compile("[aeAE][âáàãêéèÂÁÀÃÊÉÈ]|[oO][âÂ]")
# TCVN3 shows some lowercase toned vowels as capitals inside a word: "NguyÔn".
_TCVN3_CAPITAL = re.compile(
    "[" + "".join(sorted(c for c in VIETNAMESE_LETTERS if c.islower())) + "]"
    "[" + "".join(sorted(c for c in VIETNAMESE_LETTERS if c.isupper() and not c.isascii())) + "]"
)
_SEPARATORS = APOSTROPHES + HYPHENS + " "
_PERSON_NAME = re.compile("^[" + re.escape("".join(sorted(VIETNAMESE_LETTERS)) + _SEPARATORS) + "]+$")
_UNIT_NAME = re.compile(
    "^[" + re.escape("".join(sorted(VIETNAMESE_LETTERS)) + _SEPARATORS + ".,&()/0123456789") + "]+$"
)
_ANY_LETTER = re.compile("[" + re.escape("".join(sorted(VIETNAMESE_LETTERS))) + "]")


def clean(text):
    """Return text in NFC with invisible characters removed and spaces folded."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def vn_ascii(text):
    """Fold Vietnamese text to plain ASCII: 'Đặng Thị Hoà' -> 'Dang Thi Hoa'."""
    return fold(clean(text))


def fold(cleaned):
    """vn_ascii for text that clean() has already seen."""
    folded = cleaned.translate(_ASCII)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if c.isascii())


def looks_legacy(text):
    """True when text looks like TCVN3/ABC or VNI bytes read as Latin-1."""
    return bool(_LEGACY_CHARS.search(text) or _VNI_PAIR.search(text) or _TCVN3_CAPITAL.search(text))


def name_problem(text, allow_digits=False):
    """Say what is wrong with a cleaned name, or return None when it is fine."""
    if not text:
        return "is empty"
    if looks_legacy(text):
        return (
            "looks like text in a legacy Vietnamese encoding (TCVN3/ABC or VNI), "
            "not Unicode; convert it to Unicode (for example with Unikey's converter) "
            "and write it again"
        )
    if not (_UNIT_NAME if allow_digits else _PERSON_NAME).match(text):
        allowed = _SEPARATORS + (".,&()/0123456789" if allow_digits else "")
        bad = sorted({c for c in text if c not in VIETNAMESE_LETTERS and c not in allowed})
        shown = " ".join(repr(c) for c in bad)
        what = "symbols" if allow_digits else "digits or symbols"
        return f"contains {what} a name cannot have: {shown}"
    if not _ANY_LETTER.search(text):
        return "has no letters"
    return None


def words(text):
    """Split a cleaned name into words, dropping apostrophes and hyphens inside them."""
    return [w for w in (part.translate(_DROPPED) for part in text.split(" ")) if w]


_NOT_ALNUM = re.compile("[^a-z0-9]")


@lru_cache(maxsize=65536)
def ascii_word(word):
    """A word as it goes into a local part: lower-case ASCII letters and digits."""
    return _NOT_ALNUM.sub("", vn_ascii(word).lower())


def word_key(word):
    """A key equal for the same word written with old or new tone placement."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = "".join(c for c in decomposed if c in TONE_MARKS)
    bare = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", bare) + tones


def name_key(text):
    """A key equal for two spellings of the same full name (case, tone placement)."""
    return " ".join(word_key(w) for w in words(text))
