"""The unit endpoints: lists, filters, Vietnamese search, lookups and bad input."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from cnscd_api.core.text import collation_key

UNITS = "/api/v1/units"


def find_one(client: TestClient, **params: object) -> dict[str, object]:
    response = client.get(UNITS, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 1, body
    item: dict[str, object] = body["items"][0]
    return item


def test_list_envelope_and_default_limit(admin_client: TestClient) -> None:
    body = admin_client.get(UNITS).json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["limit"] == 50
    assert body["offset"] == 0
    assert len(body["items"]) == 50
    # Kon Tum: 1 + 10 + 102 units, and the test village; Gia Lai is outside the scope.
    assert body["total"] == 113 + 1


def test_kon_tum_tree_counts(admin_client: TestClient) -> None:
    province = find_one(admin_client, q="kon tum", level="province")
    assert province["code"] == "62"
    assert province["division_type"] == "tinh"
    districts = admin_client.get(f"{UNITS}/{province['id']}/children", params={"limit": 500}).json()
    assert districts["total"] == 10
    assert sorted(d["code"] for d in districts["items"]) == [
        str(c) for c in range(608, 619) if c != 609
    ]
    communes = 0
    for district in districts["items"]:
        communes += admin_client.get(
            UNITS, params={"parent_id": district["id"], "level": "commune"}
        ).json()["total"]
    assert communes == 102


@pytest.mark.parametrize(
    ("query", "expected_name"),
    [
        ("dak glei", "Huyện Đắk Glei"),
        ("ĐẮK GLEI", "Huyện Đắk Glei"),
        ("KON TUM", "Thành phố Kon Tum"),
        ("huyen  ngoc   hoi", "Huyện Ngọc Hồi"),
        ("glei huyen", "Huyện Đắk Glei"),
    ],
)
def test_search_is_case_and_accent_insensitive(
    admin_client: TestClient, query: str, expected_name: str
) -> None:
    names = [
        u["name"]
        for u in admin_client.get(UNITS, params={"q": query, "level": "district"}).json()["items"]
    ]
    assert expected_name in names


def test_search_treats_d_stroke_as_d_and_finds_communes(admin_client: TestClient) -> None:
    commune = find_one(admin_client, q="xa dak pek")
    assert commune["name"] == "Xã Đắk Pék"
    assert commune["level"] == "commune"
    assert commune["division_type"] == "xa"


def test_search_with_like_wildcards_matches_literally(admin_client: TestClient) -> None:
    assert admin_client.get(UNITS, params={"q": "%"}).json()["total"] == 0
    assert admin_client.get(UNITS, params={"q": "_"}).json()["total"] == 0


def test_division_types_follow_official_names(admin_client: TestClient) -> None:
    assert find_one(admin_client, q="thanh pho kon tum")["division_type"] == "thanh_pho"
    assert find_one(admin_client, q="thi tran plei kan")["division_type"] == "thi_tran"
    assert (
        find_one(
            admin_client,
            q="phuong quang trung",
            level="commune",
            parent_id=find_one(admin_client, q="thanh pho kon tum")["id"],
        )["division_type"]
        == "phuong"
    )


def test_get_unit_and_children(admin_client: TestClient) -> None:
    commune = find_one(admin_client, q="dak pek", level="commune")
    fetched = admin_client.get(f"{UNITS}/{commune['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == commune
    children = admin_client.get(f"{UNITS}/{commune['id']}/children").json()
    assert [c["name"] for c in children["items"]] == ["Thôn Đắk Ung"]
    village = children["items"][0]
    assert village["level"] == "village"
    assert village["division_type"] == "thon"
    assert village["parent_id"] == commune["id"]
    empty = admin_client.get(f"{UNITS}/{village['id']}/children").json()
    assert empty == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_pagination_is_stable_and_complete(admin_client: TestClient) -> None:
    seen: list[str] = []
    for offset in range(0, 120, 40):
        page = admin_client.get(UNITS, params={"limit": 40, "offset": offset, "q": "kon"}).json()
        seen.extend(u["id"] for u in page["items"])
    total = admin_client.get(UNITS, params={"q": "kon"}).json()["total"]
    assert len(seen) == len(set(seen)) == min(total, 120)


@pytest.mark.parametrize("sort", ["name", "-name", "code", "-code"])
def test_sort(admin_client: TestClient, sort: str) -> None:
    items = admin_client.get(
        UNITS, params={"level": "district", "sort": sort, "limit": 500}
    ).json()["items"]
    key = sort.lstrip("-")
    values = [u[key] for u in items]
    # Names in Vietnamese alphabetical order (Huyện Đắk Glei among the Đ, not after the X).
    order = collation_key if key == "name" else None
    assert values == sorted(values, key=order, reverse=sort.startswith("-"))


def test_offset_past_the_end_gives_an_empty_page(admin_client: TestClient) -> None:
    body = admin_client.get(UNITS, params={"offset": 100000}).json()
    assert body["items"] == []
    assert body["total"] == 114


def test_unknown_unit_is_404_problem(admin_client: TestClient) -> None:
    response = admin_client.get(f"{UNITS}/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert admin_client.get(f"{UNITS}/{uuid.uuid4()}/children").status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "field", "code"),
    [
        (UNITS, {"parent_id": "123"}, "query.parent_id", "uuid_parsing"),
        (UNITS, {"level": "hamlet"}, "query.level", "enum"),
        (UNITS, {"sort": "password"}, "query.sort", "enum"),
        (UNITS, {"limit": -1}, "query.limit", "greater_than_equal"),
        (UNITS, {"limit": 0}, "query.limit", "greater_than_equal"),
        (UNITS, {"limit": 501}, "query.limit", "less_than_equal"),
        (UNITS, {"offset": -5}, "query.offset", "greater_than_equal"),
        (UNITS, {"offset": 10**30}, "query.offset", "less_than_equal"),
        (UNITS, {"limit": "many"}, "query.limit", "int_parsing"),
        (UNITS, {"q": "x" * 101}, "query.q", "string_too_long"),
    ],
)
def test_bad_input_is_422_with_field_errors(
    admin_client: TestClient, path: str, params: dict[str, object], field: str, code: str
) -> None:
    response = admin_client.get(path, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in body["errors"]
    ]


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_an_id_that_is_not_a_uuid_names_no_route(admin_client: TestClient, method: str) -> None:
    """Ids are UUIDs at routing: anything else is a path that does not exist."""
    response = admin_client.request(method, f"{UNITS}/not-a-uuid", json={})
    assert response.status_code == 404
    assert response.json()["code"] == "route_not_found"


def test_problem_detail_in_vietnamese(admin_client: TestClient) -> None:
    response = admin_client.get(
        f"{UNITS}/{uuid.uuid4()}", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}
    )
    assert response.json()["detail"].startswith("Không tìm thấy đơn vị hành chính")
    invalid = admin_client.get(
        UNITS, params={"limit": -1}, headers={"Accept-Language": "vi"}
    ).json()
    assert invalid["detail"] == "Yêu cầu không hợp lệ; xem danh sách lỗi theo từng trường."
    assert invalid["errors"][0]["message"] == "Phải lớn hơn hoặc bằng 1."
    english = admin_client.get(
        f"{UNITS}/{uuid.uuid4()}", headers={"Accept-Language": "en-US,vi;q=0.5"}
    )
    assert english.json()["detail"].startswith("The unit you asked for")


@pytest.mark.parametrize("value", [0, 1700000000, 0.5, True, "0", "20240101", "01/02/2024"])
def test_dates_are_iso_8601_strings_only(admin_client: TestClient, value: object) -> None:
    unit = admin_client.get(UNITS, params={"level": "commune", "limit": 1}).json()["items"][0]
    response = admin_client.patch(f"{UNITS}/{unit['id']}", json={"valid_from": value})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.valid_from"
    assert admin_client.get(f"{UNITS}/{unit['id']}").json()["valid_from"] is None


@pytest.mark.parametrize("value", ["0.5", "0", "1700000000", "yesterday"])
def test_date_times_in_queries_are_iso_8601_only(admin_client: TestClient, value: str) -> None:
    response = admin_client.get("/api/v1/audit-events", params={"to": value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.to"


def test_valid_to_before_valid_from_names_the_field(admin_client: TestClient) -> None:
    unit = admin_client.get(UNITS, params={"level": "commune", "limit": 1}).json()["items"][0]
    response = admin_client.patch(
        f"{UNITS}/{unit['id']}", json={"valid_from": "2024-05-01", "valid_to": "2024-01-01"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.valid_to"]
