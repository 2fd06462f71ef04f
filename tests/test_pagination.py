"""A list's total, whichever page is read: the page is read first, the total taken from
it when the page shows where the list ends, else counted apart."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import Tree, make_team

TEAMS = "/api/v1/teams"


@pytest.mark.parametrize(
    ("limit", "offset", "shown"),
    [
        (2, 0, 2),  # a full first page: more may follow, so the total is counted
        (2, 4, 1),  # the last page, part full: the total is the offset and the rows
        (10, 0, 5),  # everything on one page
        (2, 5, 0),  # right past the end
        (2, 40, 0),  # far past the end: still the real total
    ],
)
def test_every_page_tells_the_whole_list_s_total(
    admin_client: TestClient, session: Session, tree: Tree, limit: int, offset: int, shown: int
) -> None:
    for index in range(5):
        make_team(session, tree.dak_pek if index % 2 else tree.dak_man, f"Tổ {index}")
    make_team(session, tree.ngoc_hoi, "Tổ ngoài Đắk Glei")  # outside the filter
    session.commit()
    page = admin_client.get(
        TEAMS, params={"limit": limit, "offset": offset, "unit_id": str(tree.dak_glei.id)}
    )
    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == shown
    assert page.json()["total"] == 5
