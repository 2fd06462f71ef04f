"""Importing member lists the way commune officials keep them: an Excel or CSV file with
Vietnamese headers, validated as a whole before anything is written, every bad cell
reported by row and column, no duplicates when a file is sent twice, and clear refusals
of files that are not spreadsheets or are too large."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import Workbook, load_workbook
from sqlalchemy import func
from sqlmodel import Session, select

from cnscd_api.config import Settings
from cnscd_api.core.text import collation_key
from cnscd_api.models import Member, Role, Team
from tests.factories import Tree, bearer, make_team, make_user

MEMBERS = "/api/v1/members"
VIETNAMESE_LETTER = re.compile(
    "[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.I
)
IMPORT = f"{MEMBERS}/import"
TEMPLATE = f"{MEMBERS}/import-template"
HEADERS = [
    "Họ và tên",
    "Giới tính",
    "Năm sinh",
    "Số điện thoại",
    "Email",
    "Thành phần",
    "Đơn vị công tác",
    "Vai trò trong tổ",
    "Trình độ kỹ năng số",
    "Mã tổ",
    "Ngày tham gia",
]


@pytest.fixture
def team(session: Session, tree: Tree) -> Team:
    team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    session.commit()
    return team


@pytest.fixture
def commune_team(session: Session, tree: Tree) -> Team:
    team = make_team(session, tree.dak_pek, "Tổ CNSCĐ xã Đắk Pék")
    session.commit()
    return team


def good_rows(team: Team, commune_team: Team) -> list[list[Any]]:
    return [
        [
            "Nguyễn Văn An",
            "Nam",
            "1998",
            "0912 345 678",
            "an.nguyen@kontum.gov.vn",
            "Đoàn Thanh niên",
            "Đoàn xã Đắk Pék",
            "Tổ trưởng",
            "Thành thạo",
            str(team.id),
            "01/09/2024",
        ],
        [
            "Y Thị Hoa",
            "Nữ",
            "2001",
            "+84 987 654 321",
            "",
            "Hội Liên hiệp Phụ nữ",
            "",
            "Thành viên",
            "Cơ bản",
            str(team.id),
            "2024-09-15",
        ],
        [
            "A Văn Hùng",
            "",
            "",
            "",
            "",
            "Doanh nghiệp CNTT, viễn thông",
            "VNPT Kon Tum",
            "",
            "",
            str(commune_team.id),
            "",
        ],
    ]


def csv_bytes(
    rows: Sequence[Sequence[Any]], *, bom: bool = True, header: Sequence[str] = HEADERS
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Thành viên"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(
    client: TestClient,
    content: bytes,
    filename: str = "thanh-vien.csv",
    *,
    dry_run: bool | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    params = {} if dry_run is None else {"dry_run": str(dry_run).lower()}
    response: Response = client.post(
        IMPORT, params=params, files={"file": (filename, content)}, headers=headers
    )
    return response


def member_count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Member)).one()


def errors_by_row(response: Response) -> dict[int, list[dict[str, Any]]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "import_invalid"
    result: dict[int, list[dict[str, Any]]] = {}
    for error in body["errors"]:
        assert error["message"]
        result.setdefault(error["row"], []).append(error)
    return result


# --- the template -------------------------------------------------------------------


def test_csv_template_has_the_vietnamese_headers(admin_client: TestClient, tree: Tree) -> None:
    response = admin_client.get(TEMPLATE, params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [HEADERS]


def test_xlsx_template_has_the_vietnamese_headers(admin_client: TestClient, tree: Tree) -> None:
    response = admin_client.get(TEMPLATE, params={"format": "xlsx"})
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert [list(row) for row in rows] == [HEADERS]


def test_filled_in_template_imports(
    admin_client: TestClient, session: Session, team: Team, commune_team: Team
) -> None:
    """What an official does: download the template, fill it in Excel, send it back."""
    template = admin_client.get(TEMPLATE, params={"format": "xlsx"}).content
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    for row in good_rows(team, commune_team):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(admin_client, buffer.getvalue(), "mau-da-dien.xlsx")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3


# --- valid files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "filename"),
    [("csv-bom", "thanh-vien.csv"), ("csv", "thanh-vien.csv"), ("xlsx", "thanh-vien.xlsx")],
)
def test_valid_file_imports_every_row(
    admin_client: TestClient,
    session: Session,
    team: Team,
    commune_team: Team,
    kind: str,
    filename: str,
) -> None:
    rows = good_rows(team, commune_team)
    content = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(rows, bom=kind == "csv-bom")

    response = upload(admin_client, content, filename)
    assert response.status_code == 200, response.text
    assert response.json() == {"dry_run": False, "rows": 3, "created": 3, "updated": 0}

    members = {
        m["full_name"]: m for m in admin_client.get(MEMBERS, params={"limit": 500}).json()["items"]
    }
    assert set(members) == {"Nguyễn Văn An", "Y Thị Hoa", "A Văn Hùng"}
    an = members["Nguyễn Văn An"]
    assert an["gender"] == "male"
    assert an["birth_year"] == 1998
    assert an["phone"] == "0912345678"
    assert an["email"] == "an.nguyen@kontum.gov.vn"
    assert an["affiliation"] == "youth_union"
    assert an["organisation"] == "Đoàn xã Đắk Pék"
    assert an["role"] == "leader"
    assert an["skill_level"] == "advanced"
    assert an["team_id"] == str(team.id)
    assert an["joined_on"] == "2024-09-01"
    hoa = members["Y Thị Hoa"]
    assert (hoa["gender"], hoa["phone"], hoa["affiliation"], hoa["joined_on"]) == (
        "female",
        "0987654321",
        "womens_union",
        "2024-09-15",
    )
    hung = members["A Văn Hùng"]
    assert (hung["role"], hung["skill_level"], hung["team_id"]) == (
        "member",
        "basic",
        str(commune_team.id),
    )
    assert hung["affiliation"] == "it_enterprise"
    # Imported members have a history like any other, and the team knows its leader.
    detail = admin_client.get(f"{MEMBERS}/{an['id']}").json()
    assert [(m["team_id"], m["role"], m["left_on"]) for m in detail["memberships"]] == [
        (str(team.id), "leader", None)
    ]
    team_read = admin_client.get(f"/api/v1/teams/{team.id}").json()
    assert team_read["leader"]["full_name"] == "Nguyễn Văn An"
    assert team_read["member_count"] == 2


def test_dry_run_writes_nothing(
    admin_client: TestClient, session: Session, team: Team, commune_team: Team
) -> None:
    before = member_count(session)
    response = upload(admin_client, csv_bytes(good_rows(team, commune_team)), dry_run=True)
    assert response.status_code == 200, response.text
    assert response.json() == {"dry_run": True, "rows": 3, "created": 3, "updated": 0}
    assert member_count(session) == before
    assert admin_client.get(MEMBERS).json()["total"] == 0


def test_sending_the_same_file_again_creates_no_duplicates(
    admin_client: TestClient, session: Session, team: Team, commune_team: Team
) -> None:
    content = xlsx_bytes(good_rows(team, commune_team))
    first = upload(admin_client, content, "thanh-vien.xlsx")
    assert first.json()["created"] == 3
    again = upload(admin_client, content, "thanh-vien.xlsx")
    assert again.status_code == 200, again.text
    assert again.json() == {"dry_run": False, "rows": 3, "created": 0, "updated": 0}
    assert admin_client.get(MEMBERS).json()["total"] == 3


def test_a_changed_row_updates_the_member_with_that_phone(
    admin_client: TestClient, session: Session, team: Team, commune_team: Team
) -> None:
    rows = good_rows(team, commune_team)
    assert upload(admin_client, csv_bytes(rows)).status_code == 200
    rows[1][8] = "Khá"  # Y Thị Hoa's skill level, same phone in another form
    rows[1][3] = "0987.654.321"
    response = upload(admin_client, csv_bytes(rows))
    assert response.status_code == 200, response.text
    assert response.json() == {"dry_run": False, "rows": 3, "created": 0, "updated": 1}
    items = admin_client.get(MEMBERS, params={"q": "y thi hoa"}).json()["items"]
    assert [(m["skill_level"], m["phone"]) for m in items] == [("intermediate", "0987654321")]


def test_labels_match_case_and_accent_insensitively(admin_client: TestClient, team: Team) -> None:
    rows = [
        ["Lê Thị Mai", "NỮ", "", "", "", "doan thanh nien", "", "to pho", "KHA", str(team.id), ""],
        [
            "Trần Văn Nam",
            "nam",
            "",
            "",
            "",
            "youth_union",
            "",
            "MEMBER",
            "thanh thao",
            str(team.id),
            "",
        ],
        ["Phạm Thị Lan", "", "", "", "", "hoi lien hiep phu nu", "", "", "", str(team.id), ""],
    ]
    response = upload(admin_client, csv_bytes(rows))
    assert response.status_code == 200, response.text
    items = {
        m["full_name"]: (m["gender"], m["affiliation"], m["role"], m["skill_level"])
        for m in admin_client.get(MEMBERS).json()["items"]
    }
    assert items == {
        "Lê Thị Mai": ("female", "youth_union", "deputy", "intermediate"),
        "Trần Văn Nam": ("male", "youth_union", "member", "advanced"),
        "Phạm Thị Lan": (None, "womens_union", "member", "basic"),
    }


def test_headers_match_case_and_accent_insensitively(admin_client: TestClient, team: Team) -> None:
    header = ["ho va ten", "THÀNH PHẦN", "ma to", "so dien thoai"]
    response = upload(
        admin_client,
        csv_bytes([["Nguyễn Văn An", "Công an", str(team.id), "0912345678"]], header=header),
    )
    assert response.status_code == 200, response.text
    [member] = admin_client.get(MEMBERS).json()["items"]
    assert (member["full_name"], member["affiliation"], member["phone"]) == (
        "Nguyễn Văn An",
        "police",
        "0912345678",
    )


def test_xlsx_cells_typed_by_excel_are_understood(admin_client: TestClient, team: Team) -> None:
    """Excel drops a phone's leading zero when it is typed as a number, and keeps years
    and dates as numbers and dates."""
    rows = [
        [
            "Lê Văn Dũng",
            "Nam",
            1998,
            912345678,
            None,
            "Công an",
            None,
            None,
            None,
            str(team.id),
            datetime(2024, 9, 1),  # noqa: DTZ001 -- a spreadsheet cell holds a naive date
        ],
    ]
    response = upload(admin_client, xlsx_bytes(rows), "so-lieu.xlsx")
    assert response.status_code == 200, response.text
    [member] = admin_client.get(MEMBERS).json()["items"]
    assert (member["birth_year"], member["phone"], member["joined_on"]) == (
        1998,
        "0912345678",
        "2024-09-01",
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_officers_export_imports_back_without_changes(
    admin_client: TestClient, session: Session, team: Team, commune_team: Team, fmt: str
) -> None:
    assert upload(admin_client, csv_bytes(good_rows(team, commune_team))).status_code == 200
    exported = admin_client.get(f"{MEMBERS}/export", params={"format": fmt})
    assert exported.status_code == 200, exported.text
    response = upload(admin_client, exported.content, f"members.{fmt}")
    assert response.status_code == 200, response.text
    assert response.json() == {"dry_run": False, "rows": 3, "created": 0, "updated": 0}
    assert member_count(session) == 3


def test_semicolon_separated_csv_from_excel_imports(admin_client: TestClient, team: Team) -> None:
    """Excel in a Vietnamese locale saves CSV with semicolons."""
    lines = [";".join(HEADERS), f"Nguyễn Văn An;Nam;1998;0912345678;;Đoàn Thanh niên;;;;{team.id};"]
    response = upload(admin_client, ("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1


# --- invalid rows -------------------------------------------------------------------


def test_one_bad_row_means_nothing_is_written(
    admin_client: TestClient, session: Session, team: Team, commune_team: Team
) -> None:
    rows = good_rows(team, commune_team)
    bad = list(rows[1])
    bad[0] = "Đinh Văn Sai"
    bad[3] = "0123"  # not a mobile number
    rows.insert(1, bad)  # spreadsheet row 3: header is 1, first data row is 2
    before = member_count(session)

    response = upload(admin_client, csv_bytes(rows))
    problems = errors_by_row(response)
    assert list(problems) == [3]
    [error] = problems[3]
    assert error["column"] == "Số điện thoại"
    assert "0123" in error["message"]
    assert member_count(session) == before
    assert admin_client.get(MEMBERS).json()["total"] == 0


def test_every_bad_cell_is_reported_with_its_row_and_column(
    admin_client: TestClient, session: Session, team: Team
) -> None:
    rows = [
        [
            "Nguyễn Văn An",
            "",
            "",
            "0912345678",
            "",
            "Đoàn Thanh niên",
            "",
            "",
            "",
            str(team.id),
            "",
        ],
        ["", "Nam", "1850", "", "khong-phai-email", "", "", "", "", str(team.id), "31/02/2024"],
        ["Y Thị Hoa", "", "", "", "", "Đoàn Thanh niên", "", "Trưởng nhóm", "", "abc", ""],
    ]
    response = upload(admin_client, xlsx_bytes(rows), "thanh-vien.xlsx")
    problems = errors_by_row(response)
    assert sorted(problems) == [3, 4]
    assert {e["column"] for e in problems[3]} == {
        "Họ và tên",
        "Năm sinh",
        "Email",
        "Thành phần",
        "Ngày tham gia",
    }
    assert {e["column"] for e in problems[4]} == {"Vai trò trong tổ", "Mã tổ"}
    assert response.json()["detail"].startswith("The file has 2 invalid rows")
    assert member_count(session) == 0


def test_unknown_enum_label_names_the_column(
    admin_client: TestClient, session: Session, team: Team, commune_team: Team
) -> None:
    rows = good_rows(team, commune_team)
    rows[2][5] = "Hội Sinh viên"
    problems = errors_by_row(upload(admin_client, csv_bytes(rows)))
    [error] = problems[4]
    assert error["column"] == "Thành phần"
    assert "Hội Sinh viên" in error["message"]
    assert "Đoàn Thanh niên" in error["message"]  # the allowed labels are listed
    assert member_count(session) == 0


def test_team_outside_the_scope_is_a_row_error(
    client: TestClient, session: Session, settings: Settings, tree: Tree, team: Team
) -> None:
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    neighbour = make_team(session, tree.dak_man, "Tổ CNSCĐ xã Đắk Man")
    session.commit()
    rows = [
        ["Nguyễn Văn An", "", "", "", "", "Đoàn Thanh niên", "", "", "", str(team.id), ""],
        ["Y Thị Hoa", "", "", "", "", "Đoàn Thanh niên", "", "", "", str(neighbour.id), ""],
        ["A Văn Hùng", "", "", "", "", "Công an", "", "", "", str(uuid.uuid4()), ""],
    ]
    response = upload(client, csv_bytes(rows), headers=bearer(settings, officer))
    problems = errors_by_row(response)
    assert sorted(problems) == [3, 4]
    assert {e["column"] for e in problems[3] + problems[4]} == {"Mã tổ"}
    assert member_count(session) == 0


def test_two_leaders_for_one_team_is_a_row_error(
    admin_client: TestClient, session: Session, team: Team
) -> None:
    rows = [
        ["Nguyễn Văn An", "", "", "", "", "Đoàn Thanh niên", "", "Tổ trưởng", "", str(team.id), ""],
        ["Y Thị Hoa", "", "", "", "", "Đoàn Thanh niên", "", "Thành viên", "", str(team.id), ""],
        ["A Văn Hùng", "", "", "", "", "Công an", "", "Tổ trưởng", "", str(team.id), ""],
    ]
    problems = errors_by_row(upload(admin_client, csv_bytes(rows)))
    assert list(problems) == [4]
    assert [e["column"] for e in problems[4]] == ["Vai trò trong tổ"]
    assert member_count(session) == 0


def test_a_leader_when_the_team_already_has_one_is_a_row_error(
    admin_client: TestClient, session: Session, team: Team
) -> None:
    existing = admin_client.post(
        MEMBERS,
        json={
            "full_name": "Trưởng Hiện Tại",
            "affiliation": "youth_union",
            "team_id": str(team.id),
            "role": "leader",
        },
    )
    assert existing.status_code == 201, existing.text
    rows = [["Y Thị Hoa", "", "", "", "", "Đoàn Thanh niên", "", "Tổ trưởng", "", str(team.id), ""]]
    problems = errors_by_row(upload(admin_client, csv_bytes(rows)))
    assert [e["column"] for e in problems[2]] == ["Vai trò trong tổ"]
    assert "Trưởng Hiện Tại" in problems[2][0]["message"]


def test_the_same_person_twice_in_one_file_is_a_row_error(
    admin_client: TestClient, session: Session, team: Team
) -> None:
    rows = [
        [
            "Nguyễn Văn An",
            "",
            "",
            "0912345678",
            "",
            "Đoàn Thanh niên",
            "",
            "",
            "",
            str(team.id),
            "",
        ],
        [
            "Nguyễn V. An",
            "",
            "",
            "+84912345678",
            "",
            "Đoàn Thanh niên",
            "",
            "",
            "",
            str(team.id),
            "",
        ],
    ]
    problems = errors_by_row(upload(admin_client, csv_bytes(rows)))
    assert [e["column"] for e in problems[3]] == ["Số điện thoại"]
    assert "row 2" in problems[3][0]["message"]
    assert member_count(session) == 0


def test_viewer_cannot_import(
    client: TestClient, session: Session, settings: Settings, tree: Tree, team: Team
) -> None:
    viewer = make_user(session, Role.VIEWER, tree.dak_pek)
    session.commit()
    rows = [["Nguyễn Văn An", "", "", "", "", "Đoàn Thanh niên", "", "", "", str(team.id), ""]]
    response = upload(client, csv_bytes(rows), headers=bearer(settings, viewer))
    assert response.status_code == 403, response.text
    assert member_count(session) == 0


# --- unreadable files and limits ----------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(64), "anh.png"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(64), "thanh-vien.csv"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "ds.pdf"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "ds.csv"),
        (b"PK\x03\x04" + bytes(100), "hong.xlsx"),  # a broken workbook
        ("Họ và tên,Thành phần,Mã tổ\n".encode("utf-16"), "utf16.csv"),
    ],
    ids=["png", "png-named-csv", "pdf", "pdf-named-csv", "broken-xlsx", "utf16"],
)
def test_a_file_that_is_not_a_spreadsheet_is_unreadable(
    admin_client: TestClient, session: Session, tree: Tree, content: bytes, filename: str
) -> None:
    response = upload(admin_client, content, filename)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import_unreadable"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert member_count(session) == 0


@pytest.mark.parametrize(
    "content", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"], ids=["0-bytes", "bom", "blank"]
)
def test_an_empty_file_is_unreadable(admin_client: TestClient, tree: Tree, content: bytes) -> None:
    response = upload(admin_client, content)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import_unreadable"
    assert "empty" in response.json()["detail"]


def test_an_empty_workbook_is_unreadable(admin_client: TestClient, tree: Tree) -> None:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    response = upload(admin_client, buffer.getvalue(), "trong.xlsx")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import_unreadable"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_missing_required_column_is_named(
    admin_client: TestClient, session: Session, team: Team, kind: str
) -> None:
    header = [h for h in HEADERS if h != "Thành phần"]
    rows = [["Nguyễn Văn An", "", "", "", "", "", "", "", str(team.id), ""]]
    content = xlsx_bytes(rows, header) if kind == "xlsx" else csv_bytes(rows, header=header)
    response = upload(admin_client, content, f"thieu-cot.{kind}")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import_unreadable"
    assert "Thành phần" in response.json()["detail"]
    assert [e["field"] for e in response.json()["errors"]] == ["file.Thành phần"]
    vietnamese = upload(
        admin_client, content, f"thieu-cot.{kind}", headers={"Accept-Language": "vi"}
    )
    assert vietnamese.status_code == 422, vietnamese.text
    assert vietnamese.json()["detail"].startswith("Không đọc được tệp")
    assert "Thành phần" in vietnamese.json()["detail"]
    assert member_count(session) == 0


def test_more_than_20000_rows_is_too_large(
    admin_client: TestClient, session: Session, team: Team
) -> None:
    row = ["Nguyễn Văn An", "", "", "", "", "Đoàn Thanh niên", "", "", "", str(team.id), ""]
    response = upload(admin_client, csv_bytes([row] * 20_001))
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "import_too_many_rows"
    assert member_count(session) == 0


def test_exactly_20000_rows_is_within_the_limit(admin_client: TestClient, team: Team) -> None:
    """Validated (here: all duplicates of row 2, so 422), but not refused as too large."""
    row = [
        "Nguyễn Văn An",
        "",
        "",
        "0912345678",
        "",
        "Đoàn Thanh niên",
        "",
        "",
        "",
        str(team.id),
        "",
    ]
    response = upload(admin_client, csv_bytes([row] * 20_000), dry_run=True)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import_invalid"


def test_a_file_over_10_mb_is_too_large(
    admin_client: TestClient, session: Session, team: Team
) -> None:
    row = ["Nguyễn Văn An", "", "", "", "", "Đoàn Thanh niên", "", "", "", str(team.id), ""]
    content = csv_bytes([row])
    content += b" " * (10 * 1024 * 1024 + 1 - len(content))
    response = upload(admin_client, content)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"
    assert member_count(session) == 0


def test_an_upload_past_the_limit_is_refused_before_parsing(
    client: TestClient, session: Session, team: Team
) -> None:
    """The middleware refuses it before anything else runs: even before authentication,
    whereas a smaller anonymous upload is simply unauthorised."""
    too_big = upload(client, b"a" * (11 * 1024 * 1024 + 1))
    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["code"] == "payload_too_large"
    assert "10 MB" in too_big.json()["detail"]
    small = upload(client, b"a" * 1024)
    assert small.status_code == 401, small.text
    assert member_count(session) == 0


def test_each_imported_member_is_audited_without_raw_phones(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = Team(
        unit_id=tree.dak_pek_village.id,
        name="Tổ nhập",
        search_name="to nhap",
        name_key=collation_key("Tổ nhập"),
    )
    session.add(team)
    session.commit()
    content = (
        "Họ và tên,Số điện thoại,Thành phần,Mã tổ\n"
        f"A Blông,0912345678,Đoàn Thanh niên,{team.id}\n"
        f"Y Hoa,0987654321,Hội Liên hiệp Phụ nữ,{team.id}\n"
    ).encode()
    response = admin_client.post(
        "/api/v1/members/import", files={"file": ("m.csv", content, "text/csv")}
    )
    assert response.status_code == 200, response.text
    events = admin_client.get(
        "/api/v1/audit-events", params={"entity": "member", "limit": 500}
    ).json()["items"]
    imported = [e for e in events if e["action"] == "import"]
    assert len(imported) == 2
    phones = {e["changes"]["phone"]["after"] for e in imported}
    assert phones == {"09******78", "09******21"}
    assert "0912345678" not in str(events)


# --- the same rules and messages as POST /members -----------------------------------


def one_row(team: Team, **cells: str) -> list[str]:
    row = dict.fromkeys(HEADERS, "")
    row.update({"Họ và tên": "Nguyễn Văn An", "Thành phần": "Công an", "Mã tổ": str(team.id)})
    row.update({HEADERS[int(index)]: value for index, value in cells.items()})
    return [row[header] for header in HEADERS]


@pytest.mark.parametrize(
    ("column", "field", "cell", "api_value"),
    [
        ("Họ và tên", "full_name", "Nguyễn\u202eAn", "Nguyễn\u202eAn"),
        ("Họ và tên", "full_name", "Nguyễn\u200bVăn An", "Nguyễn\u200bVăn An"),
        ("Họ và tên", "full_name", "\ufeffNguyễn Văn An", "\ufeffNguyễn Văn An"),
        ("Email", "email", "an\x07@kontum.gov.vn", "an\x07@kontum.gov.vn"),
        ("Email", "email", "an\x1b@kontum.gov.vn", "an\x1b@kontum.gov.vn"),
        ("Email", "email", "an\u202e@kontum.gov.vn", "an\u202e@kontum.gov.vn"),
        ("Email", "email", "a" * 250 + "@kontum.vn", "a" * 250 + "@kontum.vn"),
        ("Đơn vị công tác", "organisation", "VNPT\u2066 Kon Tum", "VNPT\u2066 Kon Tum"),
        ("Số điện thoại", "phone", "0912\u200b345678", "0912\u200b345678"),
        ("Số điện thoại", "phone", "0123", "0123"),
        ("Năm sinh", "birth_year", "2016", 2016),
        ("Ngày tham gia", "joined_on", "01/01/2999", "2999-01-01"),
    ],
)
def test_a_row_is_refused_exactly_as_post_members_refuses_it(
    admin_client: TestClient,
    session: Session,
    team: Team,
    column: str,
    field: str,
    cell: str,
    api_value: Any,
) -> None:
    """The import validates rows with the API's model: the same rule, the same error
    code, the same message in both languages."""
    row = one_row(team, **{str(HEADERS.index(column)): cell})
    api_body = {
        "full_name": "Nguyễn Văn An",
        "affiliation": "police",
        "team_id": str(team.id),
        field: api_value,
    }
    for language in ("en", "vi"):
        headers = {"Accept-Language": language}
        imported = upload(admin_client, csv_bytes([row]), headers=headers)
        problems = errors_by_row(imported)
        assert list(problems) == [2]
        [row_error] = problems[2]
        api = admin_client.post(MEMBERS, json=api_body, headers=headers)
        assert api.status_code == 422, api.text
        [api_error] = api.json()["errors"]
        assert api_error["field"] == f"body.{field}"
        assert (row_error["column"], row_error["field"]) == (column, f"row 2.{column}")
        assert (row_error["code"], row_error["message"]) == (
            api_error["code"],
            api_error["message"],
        )
    assert member_count(session) == 0


def test_row_errors_are_in_vietnamese_when_asked(
    admin_client: TestClient, session: Session, team: Team, commune_team: Team
) -> None:
    rows = good_rows(team, commune_team)
    rows[0][3] = "0123"  # phone
    rows[0][10] = "31/02/2024"  # joining date
    rows[1][5] = "Hội Sinh viên"  # affiliation
    rows[1][2] = "1850"  # birth year
    rows.append(list(rows[2]))  # the same member twice
    english = upload(admin_client, csv_bytes(rows)).json()
    vietnamese = upload(admin_client, csv_bytes(rows), headers={"Accept-Language": "vi"}).json()
    assert vietnamese["detail"].startswith("Tệp có 3 dòng không hợp lệ")
    assert len(english["errors"]) == len(vietnamese["errors"]) == 5
    for en, vi in zip(english["errors"], vietnamese["errors"], strict=True):
        assert (en["row"], en["column"], en["code"]) == (vi["row"], vi["column"], vi["code"])
        assert en["message"] != vi["message"]
        assert VIETNAMESE_LETTER.search(vi["message"]), vi
    duplicate = [e for e in vietnamese["errors"] if e["code"] == "duplicate_row"]
    assert [e["message"] for e in duplicate] == ["Trùng thành viên ở dòng 4."]
    assert member_count(session) == 0


# --- a column given twice, data on several sheets ----------------------------------


@pytest.mark.parametrize(
    "second",
    ["Số điện thoại", "SỐ ĐIỆN THOẠI", "so dien thoai", "SĐT", "phone", "Điện thoại"],
)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_column_given_twice_is_refused_and_named(
    admin_client: TestClient, session: Session, team: Team, second: str, kind: str
) -> None:
    """Two phone columns used to keep the first and silently drop the second."""
    header = [*HEADERS, second]
    row = [*one_row(team, **{"3": "0912345678"}), "0987654321"]
    content = xlsx_bytes([row], header) if kind == "xlsx" else csv_bytes([row], header=header)
    response = upload(admin_client, content, f"hai-cot.{kind}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "import_unreadable"
    assert "Số điện thoại" in body["detail"]
    [error] = body["errors"]
    assert (error["field"], error["code"], error["column"]) == (
        "file.Số điện thoại",
        "duplicate_column",
        "Số điện thoại",
    )
    assert second in error["message"]
    vietnamese = upload(admin_client, content, f"hai-cot.{kind}", headers={"Accept-Language": "vi"})
    assert vietnamese.json()["detail"].startswith("Không đọc được tệp: có cột xuất hiện nhiều lần")
    assert vietnamese.json()["errors"][0]["message"].startswith("Cột 'Số điện thoại' xuất hiện")
    assert member_count(session) == 0


def workbook_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    default = workbook.active
    assert default is not None
    workbook.remove(default)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_data_on_two_sheets_is_refused_naming_them(
    admin_client: TestClient, session: Session, team: Team
) -> None:
    """Only the first sheet used to be read; the rows of the others were dropped."""
    content = workbook_bytes(
        {
            "Thôn Đắk Ung": [HEADERS, one_row(team)],
            "Trống": [],
            "Thôn Đắk Dế": [HEADERS, one_row(team, **{"0": "Y Thị Hoa"})],
        }
    )
    response = upload(admin_client, content, "hai-trang.xlsx")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import_unreadable"
    detail = response.json()["detail"]
    assert "'Thôn Đắk Ung'" in detail
    assert "'Thôn Đắk Dế'" in detail
    assert "Trống" not in detail
    vietnamese = upload(admin_client, content, "hai-trang.xlsx", headers={"Accept-Language": "vi"})
    assert "nhiều trang tính" in vietnamese.json()["detail"]
    assert member_count(session) == 0

    # Naming the sheet (case and accents aside) imports that one.
    chosen = admin_client.post(
        IMPORT,
        params={"sheet": "thon dak de"},
        files={"file": ("hai-trang.xlsx", content)},
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["created"] == 1
    assert [m["full_name"] for m in admin_client.get(MEMBERS).json()["items"]] == ["Y Thị Hoa"]

    missing = admin_client.post(
        IMPORT, params={"sheet": "Thôn khác"}, files={"file": ("hai-trang.xlsx", content)}
    )
    assert missing.status_code == 422, missing.text
    assert "Thôn khác" in missing.json()["detail"]


def test_the_one_sheet_with_data_is_read_whatever_its_place(
    admin_client: TestClient, team: Team
) -> None:
    content = workbook_bytes({"Hướng dẫn": [], "Danh sách": [HEADERS, one_row(team)]})
    response = upload(admin_client, content, "mot-trang.xlsx")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1


def test_runs_of_spaces_in_names_become_one_but_tabs_are_refused(
    admin_client: TestClient, team: Team
) -> None:
    """Pasted names bring doubled and no-break spaces, which the import tidies as it
    always did; a tab inside a name is refused, as by the API (it used to become a space)."""
    spaced = one_row(team, **{"0": " Nguyễn\u00a0\u00a0Văn  An "})
    assert upload(admin_client, csv_bytes([spaced])).status_code == 200
    [member] = admin_client.get(MEMBERS).json()["items"]
    assert member["full_name"] == "Nguyễn Văn An"
    tabbed = one_row(team, **{"0": "Y Thị\tHoa"})
    problems = errors_by_row(upload(admin_client, csv_bytes([tabbed])))
    assert [(e["column"], e["code"]) for e in problems[2]] == [("Họ và tên", "value_error")]


def test_allowed_values_are_listed_so_that_names_with_commas_stay_whole(
    admin_client: TestClient, session: Session, team: Team
) -> None:
    """`Cán bộ, công chức xã` is one value: the list is joined by ` | `, in both languages."""
    row = one_row(team, **{str(HEADERS.index("Thành phần")): "Hội Sinh viên"})
    for language in ("en", "vi"):
        answer = upload(admin_client, csv_bytes([row]), headers={"Accept-Language": language})
        [error] = errors_by_row(answer)[2]
        allowed = error["message"].split(": ", 1)[1].rstrip(".").split(" | ")
        assert "Cán bộ, công chức xã" in allowed, error["message"]
        assert "Tổ dân cư, thôn, tổ dân phố" in allowed
        assert len(allowed) == 9
    assert member_count(session) == 0
