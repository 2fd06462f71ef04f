"""Field types shared by request models: Vietnamese mobile numbers, e-mail, names."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from cnscd_api.core.phone import normalise_mobile

MobilePhone = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(normalise_mobile),
]
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_REGEX)]


def no_control_characters(value: str) -> str:
    """Text from clients carries no control characters (they break exports and, NUL,
    PostgreSQL); line breaks and tabs are allowed only where ``multiline`` says so."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def no_control_characters_multiline(value: str) -> str:
    return no_control_characters(value.replace("\n", " ").replace("\r", " ").replace("\t", " "))


PlainText = AfterValidator(no_control_characters)
MultilineText = AfterValidator(no_control_characters_multiline)
PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PlainText
]
