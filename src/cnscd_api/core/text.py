"""Vietnamese text folding: the one place that decides how search matches text.

``fold("Huyện Đắk Glei") == "huyen dak glei"``. Searchable columns store the folded form,
written by the same function that folds the query, so matching is identical on SQLite
and PostgreSQL and can use plain ``LIKE``.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import Mapped

from cnscd_api.collation import collation_key

__all__ = ["collation_key", "escape_like", "fold", "search_clause"]

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})
LIKE_ESCAPE = "\\"


def fold(text: str) -> str:
    """Lowercase, strip accents (``đ`` becomes ``d``) and collapse white space."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    # Accents go; control characters (tabs, NUL, which PostgreSQL cannot even store)
    # become spaces.
    stripped = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch
        for ch in decomposed
        if not unicodedata.combining(ch)
    )
    return " ".join(unicodedata.normalize("NFC", stripped).lower().split())


def escape_like(value: str) -> str:
    return (
        value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def search_clause(
    column: ColumnElement[str] | Mapped[str], query: str, *also: ColumnElement[str] | Mapped[str]
) -> ColumnElement[bool]:
    """Every word of ``query`` must appear, folded, in the folded ``column`` or in one of
    ``also`` (further searchable columns: the names of the units a team serves, a
    campaign's code)."""
    words = fold(query).split()
    if not words:
        return true()
    columns = [column, *also]
    return and_(
        *(
            or_(*(c.like(f"%{escape_like(word)}%", escape=LIKE_ESCAPE) for c in columns))
            for word in words
        )
    )
