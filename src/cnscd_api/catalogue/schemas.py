"""Request and response models of ``/content-categories`` and ``/indicators``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cnscd_api.core.fields import MultilineText, PlainText

CATALOGUE_CODE_REGEX = r"^[a-z][a-z0-9_]{1,63}$"
CatalogueCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=CATALOGUE_CODE_REGEX),
    PlainText,
]
CatalogueName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300), PlainText
]
UnitLabel = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), PlainText
]
Description = Annotated[str, StringConstraints(max_length=2000), MultilineText]


class CatalogueFilters(BaseModel):
    include_retired: bool = Field(
        default=False, description="Also list retired entries (they stay readable for old data)."
    )


class CategoryCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "digital_government_apps",
                    "name_vi": "Hướng dẫn sử dụng ứng dụng chính quyền số",
                    "name_en": "Using digital government apps",
                }
            ]
        },
    )

    code: CatalogueCode = Field(
        description="Stable machine code: lowercase letters, digits and `_`; never changes.",
        examples=["digital_government_apps"],
    )
    name_vi: CatalogueName = Field(examples=["Hướng dẫn sử dụng ứng dụng chính quyền số"])
    name_en: CatalogueName = Field(examples=["Using digital government apps"])
    description: Description | None = None


class CategoryUpdate(BaseModel):
    """Rename, describe or retire; the code cannot change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name_en": "Installing VNeID and activating the electronic identity account"}
            ]
        },
    )

    name_vi: CatalogueName | None = None
    name_en: CatalogueName | None = None
    description: Description | None = None
    retired: bool | None = None


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str = Field(description="The name in the language of `Accept-Language`.")
    name_vi: str
    name_en: str
    description: str | None
    retired: bool
    version: int
    created_at: datetime
    updated_at: datetime


class IndicatorCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "digital_signatures_issued",
                    "name_vi": "Số chữ ký số được cấp",
                    "name_en": "Digital signatures issued",
                    "unit_vi": "chữ ký",
                    "unit_en": "signatures",
                    "categories": ["online_public_services"],
                }
            ]
        },
    )

    code: CatalogueCode = Field(examples=["digital_signatures_issued"])
    name_vi: CatalogueName = Field(examples=["Số chữ ký số được cấp"])
    name_en: CatalogueName = Field(examples=["Digital signatures issued"])
    unit_vi: UnitLabel = Field(examples=["chữ ký"])
    unit_en: UnitLabel = Field(examples=["signatures"])
    categories: list[CatalogueCode] = Field(
        min_length=1,
        max_length=50,
        description="Codes of the content categories whose activities may report it.",
        examples=[["online_public_services"]],
    )


class IndicatorUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"unit_en": "persons"}]}
    )

    name_vi: CatalogueName | None = None
    name_en: CatalogueName | None = None
    unit_vi: UnitLabel | None = None
    unit_en: UnitLabel | None = None
    categories: list[CatalogueCode] | None = Field(default=None, min_length=1, max_length=50)
    retired: bool | None = None


class IndicatorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str = Field(description="The name in the language of `Accept-Language`.")
    name_vi: str
    name_en: str
    unit: str = Field(description="What is counted, in the language of `Accept-Language`.")
    unit_vi: str
    unit_en: str
    categories: list[str] = Field(description="Codes of the categories it belongs to.")
    retired: bool
    version: int
    created_at: datetime
    updated_at: datetime
