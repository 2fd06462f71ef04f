"""Vietnamese mobile numbers, stored as ``0xxxxxxxxx``.

Parsing and validation are phonenumbers' (Google's libphonenumber metadata), so new
carrier prefixes arrive with the library rather than with a regular expression of ours.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(value: str) -> str:
    """``+84 912 345 678``, ``84912345678`` and ``091.234.5678`` all become ``0912345678``.

    Raises ``ValueError`` for anything that is not a valid Vietnamese mobile number.
    """
    try:
        number = phonenumbers.parse(value, "VN")
    except NumberParseException as exc:
        raise ValueError("not a Vietnamese mobile number") from exc
    if (
        number.country_code != 84
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise ValueError("not a Vietnamese mobile number")
    return "0" + phonenumbers.national_significant_number(number)
