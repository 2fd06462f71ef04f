"""Vietnamese alphabetical order as bytes: ``collation_key`` (re-exported by
``core.text``). A module of its own, importing nothing of the package, because the models
compute the sort keys they store with it and ``core`` imports the models.
"""

from __future__ import annotations

import unicodedata

# The order of Vietnamese dictionaries and of CLDR's Vietnamese collation (what ICU's "vi"
# sorts by): the 29 letters a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, with
# f j w z of foreign words at their Latin places; a word's letters first, then its tones,
# in the dictionary's order (none, huyền, hỏi, ngã, sắc, nặng: ma mà mả mã má mạ), then
# case (lower first); spaces before punctuation before digits before letters. PyICU does
# this, but needs ICU built into the image; pyuca's default table ranks ă, â, ê, ô, ơ, ư as
# accents of a, e, o, u rather than letters of their own. Databases sort the key by its
# bytes (a binary column), the same on SQLite and PostgreSQL.

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
# A letter's position by its base and the mark that makes it a letter of its own.
_LETTERS: dict[tuple[str, str], int] = {
    (unicodedata.normalize("NFD", letter)[0], unicodedata.normalize("NFD", letter)[1:]): index
    for index, letter in enumerate(_ALPHABET)
}
_LETTERS[("ð", "")] = _LETTERS[("đ", "")]  # the eth that stands in for đ (Ð, ð)
# Tones, in the dictionary's order after none (1): huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 2, "\u0309": 3, "\u0303": 4, "\u0301": 5, "\u0323": 6}
_OTHER_MARK = 7  # any other accent (ç, ä): after the tones, as a secondary difference
_SPACE, _PUNCTUATION, _DIGIT, _LETTER, _OTHER_LETTER = 1, 2, 3, 4, 5


def _elements(text: str) -> list[tuple[bytes, int, int]]:
    """(primary weight, tone, case) of each character with the marks on it."""
    elements: list[tuple[bytes, int, int]] = []
    decomposed = unicodedata.normalize("NFD", text)
    position = 0
    while position < len(decomposed):
        base = decomposed[position]
        position += 1
        marks = ""
        while position < len(decomposed) and unicodedata.combining(decomposed[position]):
            marks += decomposed[position]
            position += 1
        lower = base.lower()
        case = 2 if base != lower else 1
        modifier = "".join(m for m in marks if m in (_BREVE, _CIRCUMFLEX, _HORN))
        others = [m for m in marks if m not in (_BREVE, _CIRCUMFLEX, _HORN)]
        tone = 1
        for mark in others:
            tone = max(tone, _TONES.get(mark, _OTHER_MARK))
        letter = _LETTERS.get((lower, modifier))
        if letter is None and modifier:
            letter = _LETTERS.get((lower, ""))  # a mark no Vietnamese letter has (ĕ)
            tone = _OTHER_MARK
        if letter is not None:
            elements.append((bytes((_LETTER, letter)), tone, case))
        elif base.isspace():
            elements.append((bytes((_SPACE,)), 1, 1))
        elif unicodedata.decimal(base, None) is not None:
            elements.append((bytes((_DIGIT, unicodedata.decimal(base))), tone, 1))
        elif base.isalpha():
            elements.append((bytes((_OTHER_LETTER,)) + ord(lower).to_bytes(3, "big"), tone, case))
        else:
            elements.append((bytes((_PUNCTUATION,)) + ord(base).to_bytes(3, "big"), tone, 1))
    return elements


def collation_key(text: str) -> bytes:
    """A key whose byte order is Vietnamese alphabetical order (see above): every letter,
    then every tone, then every case, each level closed by a zero byte, so that a shorter
    word sorts before a longer one that begins with it (An, An Bình, Anh)."""
    elements = _elements(text)
    primary = b"".join(weight for weight, _, _ in elements)
    tones = bytes(tone for _, tone, _ in elements)
    cases = bytes(case for _, _, case in elements)
    return primary + b"\x00" + tones + b"\x00" + cases
