"""Request and response models of ``/api-clients``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cnscd_api.core import examples
from cnscd_api.core.fields import PlainText

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PlainText
]


class ApiClientCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "VNPT Kon Tum dashboard sync",
                    "organisation": "VNPT Kon Tum",
                    "scope_unit_id": examples.PROVINCE_ID,
                }
            ]
        },
    )

    name: Text = Field(examples=["VNPT Kon Tum dashboard sync"])
    organisation: Text = Field(examples=["VNPT Kon Tum"])
    scope_unit_id: uuid.UUID = Field(
        description="The unit whose subtree the partner reads (a province, district or commune)."
    )


class ApiClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(
        description="The client's id in this API (paths take it, or `client_id`)."
    )
    client_id: str = Field(
        description="What the partner logs in with (`grant_type=client_credentials`): "
        "`cnscd_` and 16 hexadecimal digits. Paths take it too.",
        examples=["cnscd_0123456789abcdef"],
    )
    name: str
    organisation: str
    scope_unit_id: uuid.UUID
    revoked_at: datetime | None
    secret_rotated_at: datetime
    version: int
    created_at: datetime
    updated_at: datetime


class ApiClientWithSecret(ApiClientRead):
    client_secret: str = Field(description="Shown this once; only its hash is stored.")
