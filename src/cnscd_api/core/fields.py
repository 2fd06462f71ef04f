"""Field types shared by request models: Vietnamese mobile numbers, e-mail, names."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from cnscd_api.core.phone import normalise_mobile

MobilePhone = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(normalise_mobile),
]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
