"""Importing member lists from the spreadsheets officials keep.

Every row is validated before anything is written; one bad row means nothing is
written and the answer lists each problem with its row number and column. A valid file
is written in the request's single transaction. Re-sending a file changes nothing new:
a row whose phone (or, without a phone, whose name and birth year) matches a member of
the same team updates that member instead of adding another.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from cnscd_api.core import audit
from cnscd_api.core.concurrency import update_versioned
from cnscd_api.core.errors import FieldError, PayloadTooLarge, Unprocessable
from cnscd_api.core.fields import EMAIL_REGEX
from cnscd_api.core.labels import (
    AFFILIATION_VI,
    GENDER_VI,
    SKILL_LEVEL_VI,
    TEAM_ROLE_VI,
    enum_from_label,
)
from cnscd_api.core.permissions import Principal
from cnscd_api.core.phone import normalise_mobile
from cnscd_api.core.spreadsheet import UnreadableSpreadsheet, read_rows
from cnscd_api.core.text import fold
from cnscd_api.members import repository
from cnscd_api.members.schemas import ImportResult
from cnscd_api.models import (
    Affiliation,
    AuditAction,
    AuditEntity,
    Gender,
    Member,
    SkillLevel,
    Team,
    TeamRole,
    TeamStatus,
    utcnow,
)
from cnscd_api.teams import service as team_service

AUDITED = tuple(field for field in Member.__audited__ if field != "left_on")
EMAIL_PATTERN = re.compile(EMAIL_REGEX)
MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("full_name", "Họ và tên", required=True, aliases=("full_name", "Họ tên")),
    Column("gender", "Giới tính", aliases=("gender",)),
    Column("birth_year", "Năm sinh", aliases=("birth_year",)),
    Column("phone", "Số điện thoại", aliases=("phone", "Điện thoại", "SĐT")),
    Column("email", "Email", aliases=("e-mail", "Thư điện tử")),
    Column("affiliation", "Thành phần", required=True, aliases=("affiliation",)),
    Column("organisation", "Đơn vị công tác", aliases=("organisation", "organization")),
    Column("role", "Vai trò trong tổ", aliases=("role", "Vai trò")),
    Column("skill_level", "Trình độ kỹ năng số", aliases=("skill_level", "Kỹ năng số")),
    Column("team_id", "Mã tổ", required=True, aliases=("team_id", "Mã tổ / team id", "team id")),
    Column("joined_on", "Ngày tham gia", aliases=("joined_on",)),
)
TEMPLATE_HEADERS = tuple(column.header for column in COLUMNS)


@dataclass
class Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[Member, dict[str, Any]]] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    rows: int = 0


def _column_map(header: list[str]) -> dict[int, Column]:
    by_name = {
        fold(name): column for column in COLUMNS for name in (column.header, *column.aliases)
    }
    mapping: dict[int, Column] = {}
    for index, name in enumerate(header):
        column = by_name.get(fold(name))
        if column is not None and column not in mapping.values():
            mapping[index] = column
    missing = [c.header for c in COLUMNS if c.required and c not in mapping.values()]
    if missing:
        raise Unprocessable(
            "import_unreadable",
            reason=f"missing required columns: {', '.join(missing)}",
            errors=[
                FieldError(
                    field=f"file.{name}",
                    code="missing_column",
                    message=f"Column '{name}' is required.",
                )
                for name in missing
            ],
        )
    return mapping


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows(header: list[str], values: Iterator[list[Any]]) -> Iterator[Row]:
    mapping = _column_map(header)
    for offset, raw in enumerate(values):
        number = offset + 2  # the header is row 1, as the official sees it in Excel
        if number - 1 > MAX_ROWS:
            raise PayloadTooLarge("import_too_many_rows", limit=MAX_ROWS)
        cells = {column.key: raw[i] for i, column in mapping.items() if i < len(raw)}
        if all(_text(v) == "" for v in cells.values()):
            continue
        yield Row(number, cells)


def _error(row: Row, key: str, message: str) -> FieldError:
    header = next(c.header for c in COLUMNS if c.key == key)
    return FieldError(
        field=f"row {row.number}.{header}",
        code="invalid_cell",
        message=message,
        row=row.number,
        column=header,
    )


def _enum(
    row: Row, key: str, enum: Any, labels: Any, errors: list[FieldError], default: Any = None
) -> Any:
    text = _text(row.values.get(key))
    if not text:
        return default
    value = enum_from_label(enum, labels, text)
    if value is None:
        allowed = ", ".join(labels.values())
        errors.append(_error(row, key, f"'{text}' is not one of: {allowed}"))
    return value


def _date(row: Row, key: str, errors: list[FieldError]) -> date | None:
    value = row.values.get(key)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    errors.append(_error(row, key, f"'{text}' is not a date (dd/mm/yyyy or yyyy-mm-dd)"))
    return None


def _parse(row: Row, errors: list[FieldError]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    full_name = " ".join(_text(row.values.get("full_name")).split())
    if not full_name:
        errors.append(_error(row, "full_name", "required"))
    elif len(full_name) > 200:
        errors.append(_error(row, "full_name", "at most 200 characters"))
    parsed["full_name"] = full_name
    parsed["gender"] = _enum(row, "gender", Gender, GENDER_VI, errors)
    parsed["affiliation"] = _enum(row, "affiliation", Affiliation, AFFILIATION_VI, errors)
    if parsed["affiliation"] is None and not _text(row.values.get("affiliation")):
        errors.append(_error(row, "affiliation", "required"))
    parsed["role"] = _enum(row, "role", TeamRole, TEAM_ROLE_VI, errors, TeamRole.MEMBER)
    parsed["skill_level"] = _enum(
        row, "skill_level", SkillLevel, SKILL_LEVEL_VI, errors, SkillLevel.BASIC
    )
    year = _text(row.values.get("birth_year"))
    parsed["birth_year"] = None
    if year:
        if year.isascii() and year.isdigit() and 1920 <= int(year) <= 2015:
            parsed["birth_year"] = int(year)
        else:
            errors.append(
                _error(row, "birth_year", f"'{year}' is not a year between 1920 and 2015")
            )
    phone = _text(row.values.get("phone"))
    parsed["phone"] = None
    if phone:
        try:
            parsed["phone"] = normalise_mobile(phone)
        except ValueError:
            errors.append(_error(row, "phone", f"'{phone}' is not a Vietnamese mobile number"))
    email = _text(row.values.get("email"))
    if email and (len(email) > 254 or not EMAIL_PATTERN.fullmatch(email)):
        errors.append(_error(row, "email", f"'{email}' is not an e-mail address"))
    parsed["email"] = email or None
    organisation = _text(row.values.get("organisation"))
    if len(organisation) > 200:
        errors.append(_error(row, "organisation", "at most 200 characters"))
    parsed["organisation"] = organisation or None
    team_text = _text(row.values.get("team_id"))
    parsed["team_id"] = None
    try:
        parsed["team_id"] = uuid.UUID(team_text)
    except ValueError:
        errors.append(
            _error(
                row,
                "team_id",
                "required: the team's id (Mã tổ) from the teams export"
                if not team_text
                else f"'{team_text}' is not a team id",
            )
        )
    parsed["joined_on"] = _date(row, "joined_on", errors)
    if parsed["joined_on"] is not None and parsed["joined_on"] > date.today():
        errors.append(_error(row, "joined_on", "the date is in the future"))
    return parsed


def _identity(team_id: uuid.UUID, parsed: dict[str, Any]) -> tuple[Any, ...]:
    if parsed["phone"]:
        return (team_id, "phone", parsed["phone"])
    return (team_id, "name", fold(parsed["full_name"]), parsed["birth_year"])


def plan_import(session: Session, actor: Principal, content: bytes, filename: str | None) -> Plan:
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(limit_mb=MAX_BYTES // (1024 * 1024))
    try:
        header, values = read_rows(content, filename)
        rows = list(_rows(header, values))
    except UnreadableSpreadsheet as exc:
        raise Unprocessable("import_unreadable", reason=str(exc)) from exc
    plan = Plan(rows=len(rows))
    parsed_rows = [(row, _parse(row, plan.errors)) for row in rows]
    team_ids = {parsed["team_id"] for _, parsed in parsed_rows if parsed["team_id"]}
    teams = team_service.teams_by_id(session, actor, team_ids)
    existing: dict[tuple[Any, ...], Member] = {}
    for member in repository.members_of_teams(session, list(teams)):
        existing[
            _identity(
                member.team_id,
                {
                    "phone": member.phone,
                    "full_name": member.full_name,
                    "birth_year": member.birth_year,
                },
            )
        ] = member
    leaders: dict[uuid.UUID, tuple[uuid.UUID | None, str]] = {
        m.team_id: (m.id, m.full_name)
        for m in existing.values()
        if m.role is TeamRole.LEADER and m.left_on is None
    }
    seen: dict[tuple[Any, ...], int] = {}
    today = date.today()
    for row, parsed in parsed_rows:
        team: Team | None = teams.get(parsed["team_id"]) if parsed["team_id"] else None
        if parsed["team_id"] and team is None:
            plan.errors.append(_error(row, "team_id", "no such team in your scope"))
            continue
        if team is None:
            continue
        if team.status is TeamStatus.DISSOLVED:
            plan.errors.append(_error(row, "team_id", "the team is dissolved"))
            continue
        identity = _identity(team.id, parsed)
        if identity in seen:
            plan.errors.append(
                _error(
                    row,
                    "phone" if parsed["phone"] else "full_name",
                    f"same member as row {seen[identity]}",
                )
            )
            continue
        seen[identity] = row.number
        current = existing.get(identity)
        if parsed["role"] is TeamRole.LEADER:
            leader = leaders.get(team.id)
            if leader is not None and (current is None or leader[0] != current.id):
                plan.errors.append(
                    _error(row, "role", f"the team already has a leader ({leader[1]})")
                )
                continue
            leaders[team.id] = (current.id if current else None, parsed["full_name"])
        fields = {
            k: parsed[k]
            for k in (
                "full_name",
                "gender",
                "birth_year",
                "phone",
                "email",
                "affiliation",
                "organisation",
                "skill_level",
            )
        }
        if current is None:
            plan.creates.append(
                {
                    **fields,
                    "id": uuid.uuid4(),
                    "search_name": fold(parsed["full_name"]),
                    "team_id": team.id,
                    "role": parsed["role"],
                    "joined_on": parsed["joined_on"] or today,
                    "left_on": None,
                    "is_demo": False,
                    "version": 1,
                }
            )
        else:
            changed = {k: v for k, v in fields.items() if getattr(current, k) != v}
            if parsed["role"] != current.role and current.left_on is None:
                changed["role"] = parsed["role"]
            if changed:
                plan.updates.append((current, changed))
    return plan


def run_import(
    session: Session, actor: Principal, content: bytes, filename: str | None, dry_run: bool
) -> ImportResult:
    plan = plan_import(session, actor, content, filename)
    if plan.errors:
        raise Unprocessable(
            "import_invalid", count=len({e.row for e in plan.errors}), errors=plan.errors[:1000]
        )
    if not dry_run:
        now = utcnow()
        created = [{**row, "created_at": now, "updated_at": now} for row in plan.creates]
        repository.insert_many(session, created)
        paths = repository.team_unit_paths(
            session, {row["team_id"] for row in created} | {m.team_id for m, _ in plan.updates}
        )
        events = [
            audit.event_row(
                actor=actor,
                action=AuditAction.IMPORT,
                entity=AuditEntity.MEMBER,
                entity_id=row["id"],
                unit_path=paths.get(row["team_id"]),
                after={k: row.get(k) for k in AUDITED},
                occurred_at=now,
            )
            for row in created
        ]
        for member, changed in plan.updates:
            before = {k: getattr(member, k) for k in changed}
            if "full_name" in changed:
                changed["search_name"] = fold(changed["full_name"])
            if "role" in changed:
                repository.close_membership(session, member.id, date.today())
            update_versioned(session, member, changed)
            if "role" in changed:
                repository.open_membership(session, member)
            events.append(
                audit.event_row(
                    actor=actor,
                    action=AuditAction.IMPORT,
                    entity=AuditEntity.MEMBER,
                    entity_id=member.id,
                    unit_path=paths.get(member.team_id),
                    before=before,
                    after={k: v for k, v in changed.items() if k in AUDITED},
                    occurred_at=now,
                )
            )
        session.flush()
        # Each member created or changed is audited (personal data masked), as any write.
        audit.add_rows(session, events)
    return ImportResult(
        dry_run=dry_run, rows=plan.rows, created=len(plan.creates), updated=len(plan.updates)
    )
