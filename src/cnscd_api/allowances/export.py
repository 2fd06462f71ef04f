"""A statement as the finance office reads it: one row per member paid, under its team's
row, then the total; Vietnamese headers, amounts as whole VND integers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnscd_api.allowances.schemas import StatementRead

HEADERS = (
    "STT",
    "Tổ công nghệ số cộng đồng",
    "Thành viên",
    "Tổ hoạt động",
    "Có báo cáo trong tháng",
    "Số thành viên",
    "Số ngày công",
    "Hỗ trợ theo tổ (đồng)",
    "Hỗ trợ theo tháng (đồng)",
    "Hỗ trợ theo ngày công (đồng)",
    "Thành tiền (đồng)",
)
YES, NO = "Có", "Không"


def rows(statement: StatementRead) -> Iterator[list[Any]]:
    for number, team in enumerate(statement.lines, start=1):
        yield [
            number,
            team.team_name,
            None,
            YES if team.active else NO,
            YES if team.reported else NO,
            team.members,
            team.person_days,
            team.team_amount,
            sum(m.month_amount for m in team.member_lines),
            sum(m.day_amount for m in team.member_lines),
            team.amount,
        ]
        for member in team.member_lines:
            yield [
                None,
                None,
                member.member_name or str(member.member_id),
                None,
                None,
                None,
                member.person_days,
                None,
                member.month_amount,
                member.day_amount,
                member.amount,
            ]
    yield [
        None,
        "Tổng cộng",
        None,
        None,
        None,
        sum(t.members for t in statement.lines),
        sum(t.person_days for t in statement.lines),
        sum(t.team_amount for t in statement.lines),
        sum(m.month_amount for t in statement.lines for m in t.member_lines),
        sum(m.day_amount for t in statement.lines for m in t.member_lines),
        statement.total_amount,
    ]


def filename(statement: StatementRead) -> str:
    return f"bang-ke-ho-tro-{statement.month}-{statement.unit_id}"
