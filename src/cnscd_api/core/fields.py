"""Field types shared by request models, and the one text rule every string field follows.

The text rule: a string a client sends may not contain
- control characters (Unicode category Cc: NUL, BEL, ESC …), except line breaks and tabs
  in the fields that are multiline (notes);
- format characters (Cf): zero-width spaces and joiners (U+200B–U+200D), the byte-order
  mark (U+FEFF), soft hyphens, direction marks, embeddings, overrides and isolates
  (U+200E–U+200F, U+202A–U+202E, U+2066–U+2069) — invisible, they make one name look like
  another or reorder what an exported file shows. Emoji stay, but not sequences glued by
  a zero-width joiner;
- line and paragraph separators (Zl, Zp) outside multiline fields;
- surrogates (Cs), private-use characters (Co) and noncharacters (U+FDD0–U+FDEF and the
  last two code points of every plane).

It is the same on SQLite and PostgreSQL because it runs before either sees the value.
Passwords follow a rule of their own (``Password``, ``SecretText``): anything but control
characters and surrogates, since they are never shown and a password manager may hold
any printable character.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from cnscd_api.core.i18n import message, shown
from cnscd_api.core.phone import normalise_mobile

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
MULTILINE_ALLOWED = frozenset("\n\r\t\u2028\u2029")
PASSWORD_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})

EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
USERNAME_REGEX = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
OFFICIAL_CODE_REGEX = r"^[0-9A-Za-z._-]{1,16}$"
# A pattern's own message, instead of pydantic's "String should match pattern '…'".
PATTERN_MESSAGES: dict[str, str] = {
    EMAIL_REGEX: "email_invalid",
    USERNAME_REGEX: "username_invalid",
    OFFICIAL_CODE_REGEX: "official_code_invalid",
}


def invalid(code: str, error_type: str = "value_error", **params: Any) -> PydanticCustomError:
    """A validation error whose message is ``code`` of ``core.i18n.MESSAGES``: pydantic
    shows it in English, the error handler renders it in the caller's language."""
    return PydanticCustomError(
        error_type,
        "{message}",
        {"message": message(code, "en", **params), "message_code": code, "params": params},
    )


def is_noncharacter(ch: str) -> bool:
    point = ord(ch)
    return 0xFDD0 <= point <= 0xFDEF or (point & 0xFFFE) == 0xFFFE


def forbidden_character(
    value: str,
    *,
    multiline: bool = False,
    refused: frozenset[str] = REFUSED_CATEGORIES,
    noncharacters: bool = True,
) -> str | None:
    """The first character of ``value`` the text rule refuses, or None."""
    if value.isprintable():
        # Fast path: nothing of categories C or Z but plain spaces.
        return None
    for ch in value:
        if multiline and ch in MULTILINE_ALLOWED:
            continue
        if unicodedata.category(ch) in refused or (noncharacters and is_noncharacter(ch)):
            return ch
    return None


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def character_name(ch: str) -> str:
    fallback = {"Cc": "CONTROL CHARACTER", "Cs": "SURROGATE", "Co": "PRIVATE USE"}
    return unicodedata.name(ch, "") or fallback.get(unicodedata.category(ch), "NONCHARACTER")


def single_line_text(value: str) -> str:
    ch = forbidden_character(value)
    if ch is not None:
        raise invalid("text_forbidden_character", char=code_point(ch), name=character_name(ch))
    return value


def multiline_text(value: str) -> str:
    ch = forbidden_character(value, multiline=True)
    if ch is not None:
        raise invalid("text_forbidden_character", char=code_point(ch), name=character_name(ch))
    return value


def secret_text(value: str) -> str:
    ch = forbidden_character(value, refused=PASSWORD_REFUSED_CATEGORIES, noncharacters=False)
    if ch is not None:
        raise invalid("password_forbidden_character", char=code_point(ch), name=character_name(ch))
    return value


def mobile_phone(value: str) -> str:
    try:
        return normalise_mobile(value)
    except ValueError:
        raise invalid("phone_invalid", value=shown(value)) from None


PlainText = AfterValidator(single_line_text)
"""The text rule for a single-line field."""
MultilineText = AfterValidator(multiline_text)
"""The text rule for a field that may hold line breaks and tabs."""
SecretText = AfterValidator(secret_text)
"""Passwords and secrets: no control characters or surrogates, anything else."""

MobilePhone = Annotated[
    str,
    StringConstraints(max_length=32),
    PlainText,
    AfterValidator(mobile_phone),
]
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_REGEX), PlainText]
PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PlainText
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200), SecretText]


# Kept for callers of the earlier names.
def no_control_characters(value: str) -> str:
    return single_line_text(value)


def no_control_characters_multiline(value: str) -> str:
    return multiline_text(value)
