"""What an integrator writes against the Python client generated from
``openapi/openapi.json`` (package ``cnscd_client``): log in, list, create, upload an
import file, download an XLSX export.

Not a test module: ``test_generated_client.py`` generates the client into a temporary
directory, checks this file with ``mypy --strict`` against it and runs ``scenario``
against the app.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from uuid import UUID

import httpx
from cnscd_client import AuthenticatedClient, Client
from cnscd_client.api.auth import issue_token
from cnscd_client.api.members import export_members, import_members
from cnscd_client.api.teams import create_team, list_teams
from cnscd_client.models import (
    BodyImportMembers,
    BodyIssueToken,
    BodyIssueTokenGrantType,
    ExportFormat,
    ImportResult,
    PageTeamRead,
    TeamCreate,
    TeamRead,
    TokenResponse,
)
from cnscd_client.types import File

BASE_URL = "http://testserver"
IMPORT_HEADER = "Họ và tên,Thành phần,Mã tổ"


@dataclass(frozen=True)
class Outcome:
    teams_listed: int
    team: TeamRead
    imported: ImportResult
    workbook: bytes


async def scenario(
    transport: httpx.AsyncBaseTransport, username: str, password: str, village_id: UUID
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

    export = await export_members.asyncio(client=client, team_id=team.id, format_=ExportFormat.XLSX)
    assert isinstance(export, File), export
    return Outcome(page.total, team, imported, export.payload.read())
