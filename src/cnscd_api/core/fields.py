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

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from cnscd_api.core.i18n import message, shown
from cnscd_api.core.phone import normalise_mobile

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
MULTILINE_ALLOWED = frozenset("\n\r\t\u2028\u2029")
PASSWORD_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})

# The code points the text rule refuses, as ranges: categories Cc, Cf, Co, Zl, Zp and the
# noncharacters of Unicode 14.0 (Python 3.11's tables), surrogates (Cs) aside. A fixed
# table, so that the rule, and the pattern the OpenAPI document states, stay the same
# whichever Python runs the service; a test checks it against ``unicodedata``.
UNICODE_VERSION = "14.0.0"
REFUSED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C),
    (0x6DD, 0x6DD), (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xE000, 0xF8FF), (0xFDD0, 0xFDEF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
    (0xFFFE, 0xFFFF), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0x1FFFE, 0x1FFFF), (0x2FFFE, 0x2FFFF),
    (0x3FFFE, 0x3FFFF), (0x4FFFE, 0x4FFFF), (0x5FFFE, 0x5FFFF), (0x6FFFE, 0x6FFFF),
    (0x7FFFE, 0x7FFFF), (0x8FFFE, 0x8FFFF), (0x9FFFE, 0x9FFFF), (0xAFFFE, 0xAFFFF),
    (0xBFFFE, 0xBFFFF), (0xCFFFE, 0xCFFFF), (0xDFFFE, 0xDFFFF), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F), (0xEFFFE, 0x10FFFF),
)  # fmt: skip
PASSWORD_REFUSED_RANGES: tuple[tuple[int, int], ...] = ((0x0, 0x1F), (0x7F, 0x9F))


def _without(ranges: Iterable[tuple[int, int]], allowed: str) -> list[tuple[int, int]]:
    """``ranges`` less the code points of ``allowed``."""
    points = sorted(ord(ch) for ch in allowed)
    result: list[tuple[int, int]] = []
    for start, end in ranges:
        current = start
        for point in points:
            if current <= point <= end:
                if current < point:
                    result.append((current, point - 1))
                current = point + 1
        if current <= end:
            result.append((current, end))
    return result


def _class_body(ranges: Iterable[tuple[int, int]]) -> str:
    """A regular-expression character class body: code points of the Basic Multilingual
    Plane as ``\\uXXXX`` escapes (understood by ECMA-262, Python and Rust), others as
    the characters themselves (the document escapes them in JSON)."""

    def one(point: int) -> str:
        return f"\\u{point:04X}" if point <= 0xFFFF else chr(point)

    return "".join(
        one(start) if start == end else f"{one(start)}-{one(end)}" for start, end in ranges
    )


TEXT_CLASS = _class_body(REFUSED_RANGES)
MULTILINE_CLASS = _class_body(_without(REFUSED_RANGES, "".join(sorted(MULTILINE_ALLOWED))))
PASSWORD_CLASS = _class_body(PASSWORD_REFUSED_RANGES)
# What the OpenAPI document states for a string under the rule (surrogates, which no
# UTF-8 document can carry, are left out of the published pattern but refused too).
TEXT_PATTERN = f"^[^{TEXT_CLASS}]*$"
MULTILINE_PATTERN = f"^[^{MULTILINE_CLASS}]*$"
_SURROGATE_CLASS = "\\ud800-\\udfff"
_TEXT_REFUSED = re.compile(f"[{TEXT_CLASS}{_SURROGATE_CLASS}]")
_MULTILINE_REFUSED = re.compile(f"[{MULTILINE_CLASS}{_SURROGATE_CLASS}]")
_PASSWORD_REFUSED = re.compile(f"[{PASSWORD_CLASS}{_SURROGATE_CLASS}]")

EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
USERNAME_REGEX = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
OFFICIAL_CODE_REGEX = r"^[0-9A-Za-z._-]{1,16}$"
# Vietnamese mobile numbers as people write them: the 9 digits of the national number
# (its first one not 0), after 0, +84 or 84 (a 0 may follow the country code) or alone (a
# number whose leading zero a spreadsheet dropped), single spaces, dots or hyphens between
# digits (0912345678, +84 912 345 678, 091.234.5678, 912345678). The number must then be
# in a mobile range libphonenumber knows, which no pattern states.
PHONE_REGEX = r"^(?:(?:0|\+?84[ .-]?0?)[ .-]?)?[1-9](?:[ .-]?[0-9]){8}$"
_PHONE = re.compile(PHONE_REGEX)
# A pattern's own message, instead of pydantic's "String should match pattern '…'".
PATTERN_MESSAGES: dict[str, str] = {
    EMAIL_REGEX: "email_invalid",
    USERNAME_REGEX: "username_invalid",
    OFFICIAL_CODE_REGEX: "official_code_invalid",
}
# How a validation pattern is stated in the document when the text rule narrows it.
_EMAIL_PART = f"[^@\\s{TEXT_CLASS}]+"
PUBLISHED_PATTERNS: dict[str, str] = {
    EMAIL_REGEX: f"^{_EMAIL_PART}@{_EMAIL_PART}\\.{_EMAIL_PART}$",
}

# Dates and date-times are ISO 8601 strings, nothing else: pydantic alone would take a
# number as a Unix time (``0.5`` as 1970-01-01T00:00:00.5) and ``0`` as 1970-01-01.
ISO_DATE_REGEX = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME_REGEX = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?"
)


def invalid(
    code: str, error_type: str = "value_error", *, at: str | None = None, **params: Any
) -> PydanticCustomError:
    """A validation error whose message is ``code`` of ``core.i18n.MESSAGES``: pydantic
    shows it in English, the error handler renders it in the caller's language. A rule
    across a model's fields names the field it blames with ``at`` (``body.left_on``)."""
    context: dict[str, Any] = {
        "message": message(code, "en", **params),
        "message_code": code,
        "params": params,
    }
    if at is not None:
        context["at"] = at
    return PydanticCustomError(error_type, "{message}", context)


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
    """The first character of ``value`` the text rule refuses, or None.

    The default rule and the multiline one use the fixed table (``REFUSED_RANGES``);
    another set of categories is checked against ``unicodedata``."""
    if value.isascii() and value.isprintable():
        return None  # the usual case: no rule refuses a printable ASCII character
    if refused == REFUSED_CATEGORIES and noncharacters:
        found = (_MULTILINE_REFUSED if multiline else _TEXT_REFUSED).search(value)
        return found.group() if found else None
    if refused == PASSWORD_REFUSED_CATEGORIES and not noncharacters and not multiline:
        found = _PASSWORD_REFUSED.search(value)
        return found.group() if found else None
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
    """A Vietnamese mobile number, stored as ``0xxxxxxxxx``; anything else is one error,
    ``phone_invalid``, whether its form or its range is wrong."""
    if not _PHONE.fullmatch(value):
        raise invalid("phone_invalid", "phone_invalid", value=shown(value))
    try:
        return normalise_mobile(value)
    except ValueError:
        raise invalid("phone_invalid", "phone_invalid", value=shown(value)) from None


def _published_pattern(character_class: str, inner: CoreSchema) -> str:
    """The pattern of a string under the rule; a field stripped of surrounding spaces
    before its minimum length is checked must hold that many non-space characters."""
    allowed = f"[^{character_class}]*"
    minimum = int(inner.get("min_length") or 0) if inner.get("strip_whitespace") else 0
    # Spaces at either end do not count: "at least n characters once stripped" is
    # "n characters that are not spaces, anything allowed around and between them".
    solid = f"[^\\s{character_class}]"
    middle = allowed.join([solid] * min(minimum, 2))
    return f"^{allowed}{middle}{allowed}$" if minimum else f"^{allowed}$"


class TextRule:
    """The text rule as a pydantic annotation: it validates, and it states itself in the
    JSON schema as a ``pattern`` (a field's own pattern is narrowed where it needs to be)."""

    def __init__(self, validate: Callable[[str], str], character_class: str) -> None:
        self.validate = validate
        self.character_class = character_class

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        inner: Any = schema.get("schema", {})
        own = json_schema.get("pattern")
        if own is None:
            json_schema["pattern"] = _published_pattern(self.character_class, inner)
        elif own in PUBLISHED_PATTERNS:
            json_schema["pattern"] = PUBLISHED_PATTERNS[own]
        return json_schema


PlainText = TextRule(single_line_text, TEXT_CLASS)
"""The text rule for a single-line field."""
MultilineText = TextRule(multiline_text, MULTILINE_CLASS)
"""The text rule for a field that may hold line breaks and tabs."""
SecretText = TextRule(secret_text, PASSWORD_CLASS)
"""Passwords and secrets: no control characters or surrogates, anything else."""


class StatedPattern:
    """States in the schema a pattern that a validator of ours checks, with an error code
    of its own rather than pydantic's ``string_pattern_mismatch``."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


# The phone check first: a number with a character the text rule refuses is no number.
MobilePhone = Annotated[
    str,
    AfterValidator(mobile_phone),
    StatedPattern(PHONE_REGEX),
    PlainText,
]
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_REGEX), PlainText]
PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PlainText
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200), SecretText]


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and ISO_DATE_REGEX.fullmatch(value)):
        return value
    raise invalid("date_not_iso", "date_parsing")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime) or (
        isinstance(value, str) and ISO_DATETIME_REGEX.fullmatch(value)
    ):
        return value
    raise invalid("datetime_not_iso", "datetime_parsing")


def _json_integer(value: Any) -> Any:
    """A JSON number, as the document's ``integer`` says: pydantic alone took ``true`` as
    1 and ``"12"`` as 12. ``12.0`` is an integer as JSON Schema counts them and is taken
    as 12; ``12.5`` is not (pydantic's own ``int_from_float``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


JsonInteger = BeforeValidator(_json_integer)
"""The last annotation of an integer a client sends in a JSON body (a number, never a
boolean or a string), after its bounds: ``Annotated[int, Field(ge=0), JsonInteger]``, so
that the bounds stay on the integer and are published as ``minimum``/``maximum``."""

IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A date, sent as an ISO 8601 string (``2024-10-01``) and nothing else."""
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
"""A date-time, sent as an ISO 8601 string (``2024-10-01T08:00:00+07:00``; without an
offset it is UTC, a date alone is its midnight) and nothing else."""
