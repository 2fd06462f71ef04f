"""Request and response models of ``/activities``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from cnscd_api.catalogue.schemas import CatalogueCode
from cnscd_api.core import examples
from cnscd_api.core.errors import FieldError
from cnscd_api.core.fields import IsoDate, JsonInteger, MultilineText, PlainText, invalid
from cnscd_api.models import ActivityStatus, Role

MAX_BATCH = 500
Count = Annotated[int, Field(ge=0, le=1_000_000), JsonInteger]
PartnerStaff = Annotated[int, Field(ge=0, le=1000), JsonInteger]


class _CountsPerIndicator:
    """Publish a map of indicator codes to counts as client generators read it: the
    counts as ``additionalProperties``, the rule for keys as ``propertyNames``, and that
    the map counts something. (Published as ``patternProperties`` with
    ``additionalProperties: false``, it came out of openapi-python-client as an empty
    class, which sent every report without its values.)"""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        ((key_pattern, count),) = schema.pop("patternProperties").items()
        schema["additionalProperties"] = count
        schema["propertyNames"] = {"pattern": key_pattern}
        schema["minProperties"] = 1
        # Not every count zero (an empty map too: every one of its counts is zero).
        schema["not"] = {"additionalProperties": {"const": 0}}
        return schema


def _counts_something(values: dict[str, int]) -> dict[str, int]:
    """A report counts at least one indicator above zero: one that counts nothing is
    a mistake (values lost on the way, a form sent half filled)."""
    if not any(values.values()):
        raise invalid("values_required", "values_required")
    return values


IndicatorValues = Annotated[
    dict[CatalogueCode, Count], AfterValidator(_counts_something), _CountsPerIndicator()
]
VALUES_DESCRIPTION = (
    "How many were counted per indicator code (at least one count above 0); each "
    "indicator must belong to one of the activity's categories."
)
Organisation = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PlainText
]
Description = Annotated[str, StringConstraints(max_length=4000), MultilineText]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000), MultilineText
]
STATUS_DESCRIPTION = (
    "submitted (waiting for review), approved (counts towards targets; frozen until "
    "reopened) or rejected (with a reason; editing it submits it again)."
)


class ActivitySort(StrEnum):
    ACTIVITY_DATE = "activity_date"
    ACTIVITY_DATE_DESC = "-activity_date"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"


class ActivityFilters(BaseModel):
    """Query parameters of the activities list and export."""

    team_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = Field(
        default=None,
        description="Activities held in this unit or any unit below it: on today's map (a "
        "report made in a unit since closed belongs to the unit its default successors "
        "lead to) or on the map of the report's day (a report made in a village before it "
        "moved belongs to its commune of that day too).",
    )
    campaign_id: uuid.UUID | None = None
    category: CatalogueCode | None = Field(default=None, description="A content category code.")
    indicator: CatalogueCode | None = Field(
        default=None, description="Activities that counted this indicator (code)."
    )
    status: ActivityStatus | None = Field(default=None, description=STATUS_DESCRIPTION)
    recorded_by: uuid.UUID | None = Field(
        default=None, description="The user or API client who recorded them."
    )
    organisation: str | None = Field(
        default=None, max_length=200, description="The supporting partner, e.g. `VNPT Kon Tum`."
    )
    date_from: IsoDate | None = Field(
        default=None, alias="from", description="First day (inclusive)."
    )
    date_to: IsoDate | None = Field(default=None, alias="to", description="Last day (inclusive).")

    model_config = ConfigDict(populate_by_name=True)


class ActivityFields(BaseModel):
    """What a recorder says about an activity (shared by create, batch and update)."""

    model_config = ConfigDict(extra="forbid")

    activity_date: IsoDate = Field(
        description="The day it took place, in Asia/Ho_Chi_Minh; not in the future.",
        examples=["2024-10-05"],
    )
    unit_id: uuid.UUID | None = Field(
        default=None,
        description="Where: a unit inside the team's commune (the commune or one of its "
        "villages); defaults to the unit the team serves.",
    )
    categories: list[CatalogueCode] = Field(
        min_length=1,
        max_length=20,
        examples=[["vneid", "online_public_services"]],
        json_schema_extra={"uniqueItems": True},
    )
    member_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description="Members who took part; each must belong to the team on that day.",
        json_schema_extra={"uniqueItems": True},
    )
    values: IndicatorValues = Field(
        max_length=50,
        description=VALUES_DESCRIPTION,
        examples=[{"people_guided": 35, "vneid_level2_activated": 12}],
    )
    campaign_id: uuid.UUID | None = Field(
        default=None,
        description="The campaign it counts for: the day within its first and last days, the "
        "categories among its own, the team inside its scope.",
    )
    organisation: Organisation | None = Field(
        default=None,
        description="The partner that supported it (VNPT, Viettel …); a partner's reports "
        "always carry its own organisation.",
        examples=["VNPT Kon Tum"],
    )
    partner_staff: PartnerStaff | None = Field(
        default=None, description="How many of the partner's staff took part."
    )
    support_request_id: uuid.UUID | None = Field(
        default=None,
        description="The support request this activity served: addressed to the report's "
        "`organisation`, for a place containing the report's, accepted or done.",
    )
    description: Description | None = None


class ActivityCreate(ActivityFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "team_id": examples.TEAM_ID,
                    "activity_date": "2024-10-05",
                    "categories": ["vneid", "online_public_services"],
                    "values": {"people_guided": 35, "vneid_level2_activated": 12},
                    "description": "Hướng dẫn cài VNeID tại nhà văn hoá thôn",
                }
            ]
        },
    )

    id: uuid.UUID | None = Field(
        default=None,
        description="A UUID made by the client (phones recording offline); one is made otherwise.",
    )
    team_id: uuid.UUID


class ActivityBatchItem(ActivityFields):
    id: uuid.UUID = Field(description="The client's UUID for this activity (required).")
    team_id: uuid.UUID


class ActivityUpdate(BaseModel):
    """Change any of the recorder's fields; the team stays. A rejected activity that is
    edited is submitted again."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "values": {"people_guided": 40},
                    "description": "Bổ sung số liệu sau khi đối chiếu danh sách",
                }
            ]
        },
    )

    activity_date: IsoDate | None = None
    unit_id: uuid.UUID | None = None
    categories: list[CatalogueCode] | None = Field(default=None, min_length=1, max_length=20)
    member_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    values: IndicatorValues | None = Field(
        default=None,
        max_length=50,
        description=f"{VALUES_DESCRIPTION} Replaces the stored counts as a whole.",
    )
    campaign_id: uuid.UUID | None = None
    organisation: Organisation | None = None
    partner_staff: PartnerStaff | None = None
    support_request_id: uuid.UUID | None = None
    description: Description | None = None


# Each item is checked on its own and answered in the 200 (an invalid item is reported,
# not refused with the batch): an item is an ``ActivityBatchItem``, or any other object,
# answered ``invalid``. Published so, generated types build a batch of typed items.
BatchItem = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "anyOf": [
                {"$ref": "#/components/schemas/ActivityBatchItem"},
                {"type": "object", "title": "Any other object: answered invalid"},
            ],
            "description": "An activity as `ActivityBatchItem` describes it; an item that "
            "is not one is answered `invalid` with its errors.",
        }
    ),
]


class ActivityBatch(BaseModel):
    """Activities recorded offline, sent together. Each item is checked on its own: valid
    items are kept when others are not; re-sending the batch creates nothing twice."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activities": [
                        {
                            "id": "3f1c2b7e-8a4d-4e1f-9b2c-6d7e8f9a0b1c",
                            "team_id": examples.TEAM_ID,
                            "activity_date": "2024-10-05",
                            "categories": ["vneid"],
                            "values": {"people_guided": 35, "vneid_level2_activated": 12},
                        }
                    ]
                }
            ]
        },
    )

    activities: list[BatchItem] = Field(
        description=f"At most {MAX_BATCH} (413 past that).", min_length=1
    )


class BatchItemStatus(StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    INVALID = "invalid"


class Reject(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Số người được hướng dẫn chưa khớp với danh sách ký nhận"}]
        },
    )

    reason: Reason = Field(examples=["Số người được hướng dẫn chưa khớp với danh sách ký nhận"])


class ApproveMany(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ids": ["9b2c6d7e-3f1c-4e1f-8a4d-0b1c2b7e8f9a"]}]},
    )

    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BATCH)


class Person(BaseModel):
    id: uuid.UUID | None = Field(description="The user or API client.")
    name: str
    role: Role


class ActivityRead(BaseModel):
    id: uuid.UUID
    team_id: uuid.UUID
    team_name: str
    unit_id: uuid.UUID
    unit_name: str
    unit_path_names: list[str]
    activity_date: date
    categories: list[str]
    member_ids: list[uuid.UUID]
    values: dict[str, int]
    campaign_id: uuid.UUID | None
    organisation: str | None
    partner_staff: int | None
    support_request_id: uuid.UUID | None
    description: str | None
    status: ActivityStatus = Field(description=STATUS_DESCRIPTION)
    rejection_reason: str | None
    recorded_by: Person
    reviewed_by: Person | None
    reviewed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class BatchItemResult(BaseModel):
    index: int
    id: uuid.UUID | None
    status: BatchItemStatus
    version: int | None = Field(
        default=None, description="The stored version (created, unchanged, conflict)."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="For `invalid`: what is wrong, field by field."
    )


class BatchResult(BaseModel):
    created: int
    unchanged: int
    conflict: int
    invalid: int
    items: list[BatchItemResult]


class ApproveResult(BaseModel):
    id: uuid.UUID
    status: str = Field(description="approved, or the problem code that prevented it.")
    version: int | None = None


class ApproveManyResult(BaseModel):
    approved: int
    items: list[ApproveResult]
