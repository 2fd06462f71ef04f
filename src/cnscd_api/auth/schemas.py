"""Token and identity models of the auth endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cnscd_api.core.examples import DEMO_PASSWORD, REFRESH_TOKEN
from cnscd_api.core.fields import Password, PlainText, SecretText
from cnscd_api.core.permissions import Permission, PrincipalKind
from cnscd_api.models import Role, UnitLevel


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 -- not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str | None = Field(
        default=None, description="Opaque; absent for the client credentials grant."
    )
    refresh_expires_in: int | None = None


class RefreshRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": REFRESH_TOKEN}]})

    refresh_token: Annotated[str, PlainText] = Field(
        min_length=1,
        max_length=200,
        description="The opaque refresh token as issued: 43 base64url characters; anything "
        "else is refused with 401 `invalid_refresh_token`.",
    )


class ScopeUnit(BaseModel):
    id: uuid.UUID
    name: str
    level: UnitLevel
    path_names: list[str] = Field(
        description="Names from the province down to this unit, e.g. "
        '["Tỉnh Kon Tum", "Huyện Đắk Glei", "Xã Đắk Pék"].'
    )


class Me(BaseModel):
    kind: PrincipalKind
    id: uuid.UUID
    username: str
    full_name: str | None
    role: Role
    organisation: str | None
    scope_unit: ScopeUnit | None = Field(
        description="The unit whose subtree you work in; null for a national viewer "
        "(the whole country)."
    )
    permissions: list[Permission]


class PasswordChange(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"current_password": DEMO_PASSWORD, "new_password": "Mat-khau-moi-2025"}]
        }
    )

    current_password: Annotated[str, SecretText] = Field(min_length=1, max_length=200)
    new_password: Password
