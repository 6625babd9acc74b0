"""Names typed in legacy 8-bit Vietnamese fonts, converted to Unicode.

Old spreadsheets were typed with fonts that drew Vietnamese letters over the
Latin-1 code points, so a cell holds the characters Windows-1252 shows for
those bytes, not the letters the operator saw:

- TCVN3 (ABC), fonts ".VnTime", ".VnArial": one byte per letter.
  "NguyÔn V¨n An" is "Nguyễn Văn An"; "ư" is the soft hyphen U+00AD.
  TCVN3 has no room for the capital toned vowels: they live in the separate
  "H" fonts (".VnTimeH"), which draw capitals over the lowercase code points.
  The bytes do not say which font was used, so the case of a converted
  TCVN3 text is as typed for its base letters: "NGUYÔN" (".VnTimeH") comes
  out "NGUYễN".  Only what one TCVN3 font encodes is mapped: the lowercase
  toned letters and the capitals Ă Â Ê Ô Ơ Ư Đ.
- VNI Windows, fonts "VNI-Times": a base letter followed by one mark
  character: "Nguyeãn Vaên An" is "Nguyễn Văn An".  Ơ Ư Đ and the five toned
  forms of i and ỵ are single characters.  VNI has both cases.

convert() works on one cell: a person's name or a unit's name (which may have
digits and . , & ( ) /).  Everything here is a pure function.
"""

import re
import unicodedata

from . import text

GRAVE, HOOK, TILDE, ACUTE, DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
CIRCUMFLEX, BREVE = "\u0302", "\u0306"


def _nfc(s):
    return unicodedata.normalize("NFC", s)


def _tcvn3_table():
    # Each row lists a vowel's five toned forms in TCVN3's own order: huyền, hỏi, ngã, sắc, nặng.
    # The Unicode side is composed rather than typed, so only the TCVN3 side can hold a typo.
    toned = {
        "a": "µ¶·¸¹",  # B5 B6 B7 B8 B9
        "ă": "»¼½¾Æ",  # BB BC BD BE C6
        "â": "ÇÈÉÊË",  # C7 C8 C9 CA CB
        "e": "ÌÎÏÐÑ",  # CC CE CF D0 D1
        "ê": "ÒÓÔÕÖ",  # D2 D3 D4 D5 D6
        "i": "×ØÜÝÞ",  # D7 D8 DC DD DE
        "o": "ßáâãä",  # DF E1 E2 E3 E4
        "ô": "åæçèé",  # E5 E6 E7 E8 E9
        "ơ": "êëìíî",  # EA EB EC ED EE
        "u": "ïñòóô",  # EF F1 F2 F3 F4
        "ư": "õö÷øù",  # F5 F6 F7 F8 F9
        "y": "úûüýþ",  # FA FB FC FD FE
    }
    # A1-A7 capitals, A8-AE lowercase: AD (ư) is the soft hyphen.
    table = dict(zip("¡¢£¤¥¦§¨©ª«¬\u00ad®", "ĂÂÊÔƠƯĐăâêôơưđ"))
    for base, codes in toned.items():
        for code, tone in zip(codes, (GRAVE, HOOK, TILDE, ACUTE, DOT)):
            table[code] = _nfc(base + tone)
    return table


def _vni_table():
    # A mark character adds its marks to the letter before it; NFC then composes them.
    marks = {
        "ù": ACUTE, "ø": GRAVE, "û": HOOK, "õ": TILDE, "ï": DOT,
        "â": CIRCUMFLEX, "á": CIRCUMFLEX + ACUTE, "à": CIRCUMFLEX + GRAVE,
        "å": CIRCUMFLEX + HOOK, "ã": CIRCUMFLEX + TILDE, "ä": CIRCUMFLEX + DOT,
        "ê": BREVE, "é": BREVE + ACUTE, "è": BREVE + GRAVE,
        "ú": BREVE + HOOK, "ü": BREVE + TILDE, "ë": BREVE + DOT,
    }
    # Letters VNI writes as one character of their own: ơ ư đ, the toned i (a mark
    # would sit on i's dot) and ỵ.
    letters = {
        "ô": "ơ", "ö": "ư", "ñ": "đ",
        "ì": "ì", "í": "í", "æ": "ỉ", "ó": "ĩ", "ò": "ị",
        "î": "ỵ",
    }
    table = {}
    for code, added in marks.items():
        table[code] = table[code.upper()] = added
    for code, letter in letters.items():
        table[code], table[code.upper()] = letter, _nfc(letter.upper())
    return table


TCVN3 = _tcvn3_table()
VNI = _vni_table()
_TABLES = {"tcvn3": TCVN3, "vni": VNI}

# Vietnamese syllables, tones removed: an onset ("" for none) and a rhyme.  They tell a
# converted name from the other encoding's garbage, such as "Leõ" or "Thđy" (VNI "Leâ"
# and TCVN3 "Thñy" read the wrong way round).  The loanword rhymes oong, ooc and oec are left
# out: VNI's ô ("oâ", "oá"...) read as TCVN3 gives just those ("Coâng" -> "Coõng").
_ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "") + tuple("bcdđghklmnprstvx")
_RHYMES = frozenset("""
    a ac ach ai am an ang anh ao ap at au ay ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    o oc oi om on ong op ot ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôp uôt
    ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
    y yêm yên yêng yêt yêu
    oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oem oen oeo oet
    uân uâng uât uây uê uêch uênh uy uych uyn uynh uyp uyt uya uyên uyêt uyu uơ
""".split())
_VOWELS = "aăâeêioôơuưy"
_WORD = re.compile("[" + re.escape("".join(sorted(text.VIETNAMESE_LETTERS))) + "]+")


def _tone_placed(rhyme, toned):
    """True when the tone sits where Vietnamese puts it (old or new style: hòa and hoà)."""
    if toned is None:
        return True
    vowels = len(rhyme) - len(rhyme.lstrip(_VOWELS))
    marked = [i for i, c in enumerate(rhyme[:vowels]) if c in "ăâêôơư"]
    if marked:
        return toned == marked[-1]  # on the marked vowel: ơ in ươ
    if vowels < len(rhyme) or vowels == 1:
        return toned == vowels - 1  # before a final consonant: on the last vowel
    if vowels == 2:
        return toned == 0 or rhyme in ("oa", "oe", "uy")
    return toned == 1


def _untoned(word):
    """A word in lowercase without its tone, and where the tone was; None for two tones."""
    bare, toned = [], None
    for i, c in enumerate(word.lower()):
        decomposed = unicodedata.normalize("NFD", c)
        kept = "".join(m for m in decomposed if m not in text.TONE_MARKS)
        if kept != decomposed:
            if toned is not None:
                return None
            toned = i
        bare.append(_nfc(kept))
    return "".join(bare), toned


def _well_cased(word):
    """lower, Title or UPPER case, or a TCVN3 "H" font's capitals with lowercase toned letters."""
    if len(word) == 1 or word.islower() or word.isupper() or word[1:].islower():
        return True
    return all(c.isupper() for c in word if c.isascii())


def _is_syllable(bare, toned):
    """True when an untoned word is a Vietnamese syllable with its tone placed right."""
    for onset in _ONSETS:
        rhyme = bare[len(onset):]
        if bare.startswith(onset) and rhyme in _RHYMES:
            if _tone_placed(rhyme, None if toned is None else toned - len(onset)):
                return True
    # qu: the u is the rhyme's medial, written u for o (quy = uy, quan = oan), and never
    # takes the tone (quá).
    rest = bare[2:]
    if bare.startswith("qu") and ("u" + rest in _RHYMES or "o" + rest in _RHYMES):
        return _tone_placed(rest, None if toned is None else toned - 2)
    return False


def _score(converted):
    """How Vietnamese a conversion reads: (words that are syllables, words sanely cased and toned).

    Words that are not Vietnamese syllables (Ksor, H'Bia, Đắk) count only in the second."""
    syllables = sane = 0
    for word in _WORD.findall(converted):
        untoned = _untoned(word)
        if untoned is not None and _well_cased(word):
            sane += 1
            syllables += _is_syllable(*untoned)
    return syllables, sane


def decode(legacy, encoding):
    """Text in encoding "tcvn3" or "vni", as Windows-1252 shows it, in Unicode (NFC, cleaned).

    Return None when the text has a character that encoding never produces."""
    table = _TABLES[encoding]
    if any(not c.isascii() and c not in table for c in legacy):
        return None
    return text.clean("".join(table.get(c, c) for c in legacy))


def _lower_then_capital(cell):
    """True when a non-ASCII capital follows a lowercase letter: "NguyÔn", "TuyÕt", "MÆt".

    VNI writes a capital's marks only after a capital, so such a cell is not VNI; in TCVN3
    those characters are lowercase toned vowels."""
    return any(a.islower() and b.isupper() and not b.isascii() for a, b in zip(cell, cell[1:]))


def _eight_bit(cleaned):
    """True when every character could have been a byte shown by Windows-1252 or Latin-1."""
    for codec in ("cp1252", "latin-1"):
        try:
            cleaned.encode(codec)
            return True
        except UnicodeEncodeError:
            pass
    return False


def convert(cell):
    """Convert one cell typed in TCVN3 or VNI to Unicode: return (text, encoding).

    encoding is:
    - None: the cell is Unicode (or plain ASCII) already; text is the cell, cleaned.
    - "tcvn3" or "vni": text is the converted cell, cleaned (NFC).
    - "unknown": the cell looks like a legacy encoding but neither table turns it into
      Vietnamese, or both do equally well (VNI "Nhö" is "Như", TCVN3 "Nhử") and a guess
      could misspell a name without anyone noticing; text is the cell, cleaned, not converted.
      The caller reports it: "looks like a legacy encoding that could not be converted".

    A conversion counts when its result is only Vietnamese letters, separators, digits and
    . , & ( ) / (text.name_problem for a unit name), no longer looks legacy and, in VNI,
    has no capital mark after a lowercase letter.  Between two such results the one with
    more Vietnamese syllables wins.  A cell that text.looks_legacy passes is converted only
    when a conversion has more Vietnamese syllables than the cell read as it is: TCVN3
    "Huúnh Kim Nhung" becomes "Huỳnh Kim Nhung", but VNI "Hoà Minh" (for "Hồ Minh") stays,
    as it is a Unicode name too.
    """
    cleaned = text.clean(cell)
    # A letter beyond Latin-1 (ễ, ơ, đ...) cannot come from an 8-bit font: the cell is Unicode.
    if cleaned.isascii() or not _eight_bit(cleaned):
        return cleaned, None
    scored = []
    for encoding in _TABLES:
        if encoding == "vni" and _lower_then_capital(cleaned):
            continue
        converted = decode(cleaned, encoding)
        if converted is not None and text.name_problem(converted, allow_digits=True) is None:
            scored.append((_score(converted), encoding, converted))
    if not text.looks_legacy(cleaned):
        # Latin-1 letters are Vietnamese too ("Lê Hà", "Tú"): only a better reading converts them.
        syllables, _ = _score(cleaned)
        scored = [s for s in scored if s[0][0] > syllables]
        if not scored:
            return cleaned, None
    scored.sort(reverse=True)
    if not scored or (len(scored) == 2 and scored[0][0] == scored[1][0]):
        return cleaned, "unknown"
    _, encoding, converted = scored[0]
    return converted, encoding
