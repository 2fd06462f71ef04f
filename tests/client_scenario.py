"""What an integrator writes against the Python client generated from the served
``/openapi.json`` (package ``cnscd_client``): log in, list, create, upload an import
file; write every field a client may write of a member, a campaign, an activity and an
offline batch and read them back; download every file the API serves, dashboards as CSV
included.

Not a test module: ``test_generated_client.py`` generates the client into a temporary
directory, checks this file with ``mypy --strict`` against it and runs ``scenario``
against the app.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
from cnscd_client import AuthenticatedClient, Client
from cnscd_client.api.activities import (
    export_activities,
    get_activity,
    record_activity,
    record_batch,
    update_activity,
)
from cnscd_client.api.auth import issue_token
from cnscd_client.api.campaigns import create_campaign, get_campaign
from cnscd_client.api.members import (
    create_member,
    export_members,
    get_member,
    import_members,
    member_import_template,
)
from cnscd_client.api.stats import stats_overview
from cnscd_client.api.teams import create_team, export_teams, list_teams
from cnscd_client.models import (
    ActivityBatch,
    ActivityBatchAnyOtherObjectAnsweredInvalid,
    ActivityBatchItem,
    ActivityBatchItemValues,
    ActivityCreate,
    ActivityCreateValues,
    ActivityRead,
    ActivityUpdate,
    ActivityUpdateValuesType0,
    Affiliation,
    AnswerFormat,
    BatchResult,
    BodyImportMembers,
    BodyIssueToken,
    BodyIssueTokenGrantType,
    CampaignCreate,
    CampaignRead,
    ExportFormat,
    Gender,
    ImportResult,
    MemberCreate,
    MemberDetail,
    Overview,
    PageTeamRead,
    SkillLevel,
    TeamCreate,
    TeamRead,
    TeamRole,
    TokenResponse,
    TrackedIndicator,
)
from cnscd_client.types import File

BASE_URL = "http://testserver"
IMPORT_HEADER = "Họ và tên,Thành phần,Mã tổ"
COUNTS = {"people_guided": 35, "vneid_level2_activated": 12}


@dataclass(frozen=True)
class Outcome:
    teams_listed: int
    team: TeamRead
    imported: ImportResult
    workbook: bytes
    # What was sent, and what the server answered when it was read back.
    member: tuple[MemberCreate, MemberDetail]
    campaign: tuple[CampaignCreate, CampaignRead]
    activity: tuple[ActivityCreate, ActivityRead]
    edited: tuple[ActivityUpdate, ActivityRead]
    batch: BatchResult
    batched: tuple[ActivityBatchItem, ActivityRead]
    downloads: dict[str, bytes] = field(default_factory=dict)


def _values(target: Any, counts: dict[str, int]) -> Any:
    for code, count in counts.items():
        target[code] = count
    return target


async def scenario(
    transport: httpx.AsyncBaseTransport,
    username: str,
    password: str,
    province_id: UUID,
    village_id: UUID,
    today: date,
) -> Outcome:
    anonymous = Client(base_url=BASE_URL, httpx_args={"transport": transport})
    token = await issue_token.asyncio(
        client=anonymous,
        body=BodyIssueToken(
            grant_type=BodyIssueTokenGrantType.PASSWORD, username=username, password=password
        ),
    )
    assert isinstance(token, TokenResponse), token
    client = AuthenticatedClient(
        base_url=BASE_URL, token=token.access_token, httpx_args={"transport": transport}
    )

    page = await list_teams.asyncio(client=client, limit=10)
    assert isinstance(page, PageTeamRead), page

    team = await create_team.asyncio(
        client=client, body=TeamCreate(unit_id=village_id, name="Tổ CNSCĐ thôn Đắk Ung")
    )
    assert isinstance(team, TeamRead), team

    rows = f"{IMPORT_HEADER}\nY Thị Hoa,Đoàn Thanh niên,{team.id}\n"
    upload = File(payload=io.BytesIO(rows.encode()), file_name="members.csv", mime_type="text/csv")
    imported = await import_members.asyncio(client=client, body=BodyImportMembers(file=upload))
    assert isinstance(imported, ImportResult), imported

    member = await _member(client, team.id, today)
    campaign = await _campaign(client, province_id, today)
    activity, edited = await _activity(client, team.id, village_id, member[1].id, campaign, today)
    batch, batched = await _batch(client, team.id, village_id, member[1].id, campaign, today)

    export = await export_members.asyncio(client=client, team_id=team.id, format_=ExportFormat.XLSX)
    assert isinstance(export, File), export
    downloads = await _downloads(client, team.id)
    return Outcome(
        page.total,
        team,
        imported,
        export.payload.read(),
        member,
        campaign,
        activity,
        edited,
        batch,
        batched,
        downloads,
    )


async def _member(
    client: AuthenticatedClient, team_id: UUID, today: date
) -> tuple[MemberCreate, MemberDetail]:
    sent = MemberCreate(
        full_name="Nguyễn Thị Lan Anh",
        gender=Gender.FEMALE,
        birth_year=1996,
        phone="0912345678",
        email="lan.anh@kontum.gov.vn",
        affiliation=Affiliation.POLICE,
        organisation="Công an xã Đắk Pék",
        role=TeamRole.LEADER,
        replace_leader=True,
        skill_level=SkillLevel.ADVANCED,
        team_id=team_id,
        joined_on=today - timedelta(days=30),
    )
    created = await create_member.asyncio(client=client, body=sent)
    assert isinstance(created, MemberDetail), created
    read = await get_member.asyncio(created.id, client=client)
    assert isinstance(read, MemberDetail), read
    return sent, read


async def _campaign(
    client: AuthenticatedClient, province_id: UUID, today: date
) -> tuple[CampaignCreate, CampaignRead]:
    sent = CampaignCreate(
        code=f"cds-client-{uuid.uuid4().hex[:8]}",
        name="Cao điểm chuyển đổi số của tỉnh",
        description="Đi từng ngõ, gõ từng nhà, hướng dẫn từng người dân",
        scope_unit_id=province_id,
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=5),
        grace_days=2,
        categories=["vneid", "online_public_services"],
        indicators=[
            TrackedIndicator(code="people_guided", target=5000),
            TrackedIndicator(code="vneid_level2_activated", target=None),
        ],
    )
    created = await create_campaign.asyncio(client=client, body=sent)
    assert isinstance(created, CampaignRead), created
    read = await get_campaign.asyncio(created.id, client=client)
    assert isinstance(read, CampaignRead), read
    return sent, read


def _placed(
    team_id: UUID,
    village_id: UUID,
    member_id: UUID,
    campaign: tuple[CampaignCreate, CampaignRead],
    day: date,
) -> dict[str, Any]:
    """Who, where, when and for which campaign a report is."""
    return {
        "team_id": team_id,
        "unit_id": village_id,
        "member_ids": [member_id],
        "campaign_id": campaign[1].id,
        "activity_date": day,
    }


async def _read_activity(client: AuthenticatedClient, activity_id: UUID) -> ActivityRead:
    read = await get_activity.asyncio(activity_id, client=client)
    assert isinstance(read, ActivityRead), read
    return read


async def _activity(
    client: AuthenticatedClient,
    team_id: UUID,
    village_id: UUID,
    member_id: UUID,
    campaign: tuple[CampaignCreate, CampaignRead],
    today: date,
) -> tuple[tuple[ActivityCreate, ActivityRead], tuple[ActivityUpdate, ActivityRead]]:
    sent = ActivityCreate(
        id=uuid.uuid4(),
        values=_values(ActivityCreateValues(), COUNTS),
        categories=["vneid"],
        organisation="VNPT Kon Tum",
        partner_staff=2,
        description="Hướng dẫn kích hoạt VNeID mức 2 tại nhà văn hoá thôn",
        **_placed(team_id, village_id, member_id, campaign, today - timedelta(days=1)),
    )
    created = await record_activity.asyncio(client=client, body=sent)
    assert isinstance(created, ActivityRead), created
    read = await _read_activity(client, created.id)
    change = ActivityUpdate(
        values=_values(ActivityUpdateValuesType0(), {"people_guided": 40}),
        description="Bổ sung số liệu sau khi đối chiếu danh sách",
    )
    updated = await update_activity.asyncio(created.id, client=client, body=change)
    assert isinstance(updated, ActivityRead), updated
    return (sent, read), (change, await _read_activity(client, created.id))


async def _batch(
    client: AuthenticatedClient,
    team_id: UUID,
    village_id: UUID,
    member_id: UUID,
    campaign: tuple[CampaignCreate, CampaignRead],
    today: date,
) -> tuple[BatchResult, tuple[ActivityBatchItem, ActivityRead]]:
    item = ActivityBatchItem(
        id=uuid.uuid4(),
        values=_values(ActivityBatchItemValues(), COUNTS),
        categories=["online_public_services", "vneid"],  # as the server keeps them
        organisation="Viettel Kon Tum",
        partner_staff=1,
        description="Ghi nhận ngoại tuyến",
        **_placed(team_id, village_id, member_id, campaign, today - timedelta(days=2)),
    )
    # Counts nothing: answered invalid, not stored.
    nothing = ActivityBatchItem(
        id=uuid.uuid4(),
        team_id=team_id,
        activity_date=today - timedelta(days=2),
        categories=["vneid"],
        values=ActivityBatchItemValues(),
    )
    other = ActivityBatchAnyOtherObjectAnsweredInvalid()
    other["team_id"] = "not-a-uuid"
    result = await record_batch.asyncio(
        client=client, body=ActivityBatch(activities=[item, nothing, other])
    )
    assert isinstance(result, BatchResult), result
    return result, (item, await _read_activity(client, item.id))


async def _downloads(client: AuthenticatedClient, team_id: UUID) -> dict[str, bytes]:
    """Every file, in each format: the exports and the import template as the generated
    functions give them (bytes), a dashboard as JSON through its function and as CSV
    through the client's own HTTP client (the generator binds one media type an answer)."""
    files: dict[str, bytes] = {}
    for format_ in (ExportFormat.XLSX, ExportFormat.CSV):
        members = await export_members.asyncio(client=client, team_id=team_id, format_=format_)
        teams = await export_teams.asyncio(client=client, format_=format_)
        activities = await export_activities.asyncio(client=client, format_=format_)
        template = await member_import_template.asyncio(client=client, format_=format_)
        for name, answer in (
            ("members", members),
            ("teams", teams),
            ("activities", activities),
            ("import-template", template),
        ):
            assert isinstance(answer, File), (name, format_, answer)
            files[f"{name}.{format_.value}"] = answer.payload.read()
    overview = await stats_overview.asyncio(client=client)
    assert isinstance(overview, Overview), overview
    as_csv = await client.get_async_httpx_client().get(
        "/api/v1/stats/overview", params={"format": AnswerFormat.CSV.value}
    )
    assert as_csv.status_code == 200, as_csv.text
    files["overview.csv"] = as_csv.content
    return files
