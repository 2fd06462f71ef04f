"""Vietnamese sort keys beside the names lists sort by: unit.name_key, team.name_key,
campaign.name_key, member.name_key and user_account.name_key (of full_name), filled from
the names already stored

Revision ID: 7d4e2a91c6b3
Revises: f50f9df1f793
Create Date: 2026-12-04 21:07:00.000000
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d4e2a91c6b3"
down_revision: str | None = "f50f9df1f793"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the column its key is made from)
SOURCES = (
    ("unit", "name"),
    ("team", "name"),
    ("campaign", "name"),
    ("member", "full_name"),
    ("user_account", "full_name"),
)
BATCH = 1000


def upgrade() -> None:
    # Added NOT NULL with an empty default, then filled: no table is copied (a SQLite
    # batch copy drops the table, which its referencing rows forbid).
    for table, _ in SOURCES:
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.add_column(
                sa.Column(
                    "name_key", sa.LargeBinary(), nullable=False, server_default=sa.text("''")
                )
            )
    connection = op.get_bind()
    for table, source in SOURCES:
        rows = sa.table(
            table,
            sa.column("id", sa.Uuid()),
            sa.column(source, sa.String()),
            sa.column("name_key", sa.LargeBinary()),
        )
        found = connection.execute(sa.select(rows.c.id, rows.c[source])).all()
        fill = (
            sa.update(rows)
            .where(rows.c.id == sa.bindparam("row_id"))
            .values(name_key=sa.bindparam("key"))
        )
        for start in range(0, len(found), BATCH):
            chunk = found[start : start + BATCH]
            connection.execute(
                fill, [{"row_id": row_id, "key": _collation_key(name)} for row_id, name in chunk]
            )


def downgrade() -> None:
    for table, _ in reversed(SOURCES):
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_column("name_key")


# --- the key as it stands at this revision (core/text.py's collation_key), frozen here --
#
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


def _collation_key(text: str) -> bytes:
    """A key whose byte order is Vietnamese alphabetical order (see above): every letter,
    then every tone, then every case, each level closed by a zero byte, so that a shorter
    word sorts before a longer one that begins with it (An, An Bình, Anh)."""
    elements = _elements(text)
    primary = b"".join(weight for weight, _, _ in elements)
    tones = bytes(tone for _, tone, _ in elements)
    cases = bytes(case for _, _, case in elements)
    return primary + b"\x00" + tones + b"\x00" + cases
