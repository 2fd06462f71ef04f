"""Importing member lists from the spreadsheets officials keep.

Every row is validated before anything is written, by ``MemberRow``: the API's
``MemberCreate`` (so every rule and message of ``POST /members`` applies) plus the reading
of spreadsheet cells. One bad row means nothing is written and the answer lists each
problem with its row number and column. A valid file is written in the request's single
transaction. Re-sending a file changes nothing new: a row whose phone (or, without a
phone, whose name and birth year) matches a member of the same team updates that member
instead of adding another.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError, field_validator, model_validator
from sqlmodel import Session

from cnscd_api.core import audit, clock
from cnscd_api.core.concurrency import update_versioned
from cnscd_api.core.errors import (
    FieldError,
    PayloadTooLarge,
    Unprocessable,
    validation_text,
)
from cnscd_api.core.fields import invalid
from cnscd_api.core.i18n import LIST_SEPARATOR, Text, shown
from cnscd_api.core.labels import (
    AFFILIATION_VI,
    GENDER_VI,
    SKILL_LEVEL_VI,
    TEAM_ROLE_VI,
    enum_from_label,
)
from cnscd_api.core.permissions import Principal
from cnscd_api.core.spreadsheet import UnreadableSpreadsheet, read_rows
from cnscd_api.core.text import fold
from cnscd_api.members import repository
from cnscd_api.members.schemas import ImportResult, MemberCreate
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
HEADER_OF = {column.key: column.header for column in COLUMNS}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
# Runs of spaces of any kind (the no-break spaces that pasting from the web leaves) are
# one plain space in a name, as the import always did.
_SPACES = re.compile("[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def _cell(key: str, value: Any) -> Any:
    """A cell as the API would receive it: text stripped, empty cells absent (so that the
    defaults apply), whole numbers that Excel stores as floats (a phone whose leading
    zero Excel dropped, a year) as digits, and dates as dates."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value if key == "joined_on" else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str):
        value = str(value)
    return value.strip() or None


def _label(enum: type[StrEnum], labels: Mapping[Any, str], value: Any) -> Any:
    if not isinstance(value, str):
        return value
    found = enum_from_label(enum, labels, value)
    if found is None:
        raise invalid(
            "import_label_unknown",
            "enum",
            value=shown(value),
            allowed=LIST_SEPARATOR.join(labels.values()),
        )
    return found


class MemberRow(MemberCreate):
    """One spreadsheet row: the fields and rules of ``POST /members``, plus what reading a
    spreadsheet needs — Vietnamese labels (``Đoàn Thanh niên``) or codes for the enums,
    ``dd/mm/yyyy`` dates, numbers that Excel stored as floats, runs of spaces in names
    (including no-break spaces)."""

    @model_validator(mode="before")
    @classmethod
    def _cells(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cells = {key: _cell(key, value) for key, value in data.items()}
        return {key: value for key, value in cells.items() if value is not None}

    @field_validator("full_name", mode="before")
    @classmethod
    def _single_spaces(cls, value: Any) -> Any:
        return _SPACES.sub(" ", value) if isinstance(value, str) else value

    @field_validator("birth_year", mode="before")
    @classmethod
    def _year(cls, value: Any) -> Any:
        # A year typed in a text cell; the API itself takes numbers only.
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        return value

    @field_validator("gender", mode="before")
    @classmethod
    def _gender(cls, value: Any) -> Any:
        return _label(Gender, GENDER_VI, value)

    @field_validator("affiliation", mode="before")
    @classmethod
    def _affiliation(cls, value: Any) -> Any:
        return _label(Affiliation, AFFILIATION_VI, value)

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Any:
        return _label(TeamRole, TEAM_ROLE_VI, value)

    @field_validator("skill_level", mode="before")
    @classmethod
    def _skill_level(cls, value: Any) -> Any:
        return _label(SkillLevel, SKILL_LEVEL_VI, value)

    @field_validator("joined_on", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(value, pattern).date()  # noqa: DTZ007 -- a day, no time
            except ValueError:
                continue
        raise invalid("import_date_invalid", "date_parsing", value=shown(value))


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
    """Which column of the file holds which field. Headers match without regard to case
    and accents, or by an alias; a field given by two columns is refused, since one of
    them would be silently ignored."""
    by_name = {
        fold(name): column for column in COLUMNS for name in (column.header, *column.aliases)
    }
    found: dict[Column, list[tuple[int, str]]] = {}
    for index, name in enumerate(header):
        column = by_name.get(fold(name))
        if column is not None:
            found.setdefault(column, []).append((index, name))
    duplicated = {column: names for column, names in found.items() if len(names) > 1}
    if duplicated:
        raise Unprocessable(
            "import_unreadable",
            reason=Text(
                "columns_duplicated", columns=", ".join(f"'{c.header}'" for c in duplicated)
            ),
            errors=[
                FieldError.of(
                    f"file.{column.header}",
                    "duplicate_column",
                    Text(
                        "import_column_duplicate",
                        column=column.header,
                        headers=", ".join(shown(name) for _, name in names),
                    ),
                    column=column.header,
                )
                for column, names in duplicated.items()
            ],
        )
    missing = [c.header for c in COLUMNS if c.required and c not in found]
    if missing:
        raise Unprocessable(
            "import_unreadable",
            reason=Text("columns_missing", columns=", ".join(missing)),
            errors=[
                FieldError.of(
                    f"file.{name}",
                    "missing_column",
                    Text("import_column_missing", column=name),
                    column=name,
                )
                for name in missing
            ],
        )
    return {names[0][0]: column for column, names in found.items()}


def _rows(header: list[str], values: Iterator[list[Any]]) -> Iterator[Row]:
    mapping = _column_map(header)
    for offset, raw in enumerate(values):
        number = offset + 2  # the header is row 1, as the official sees it in Excel
        if number - 1 > MAX_ROWS:
            raise PayloadTooLarge("import_too_many_rows", limit=MAX_ROWS)
        cells = {column.key: raw[i] for i, column in mapping.items() if i < len(raw)}
        if all(_cell(key, v) is None for key, v in cells.items()):
            continue
        yield Row(number, cells)


def _error(row: Row, key: str, code: str, text: Text) -> FieldError:
    header = HEADER_OF[key]
    return FieldError.of(f"row {row.number}.{header}", code, text, row=row.number, column=header)


def _validate(row: Row, errors: list[FieldError]) -> MemberRow | None:
    """The row through the API's rules; each problem named by row and column."""
    try:
        return MemberRow.model_validate(row.values)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = error.get("loc", ())
            header = HEADER_OF.get(str(loc[0])) if loc else None
            errors.append(
                FieldError.of(
                    f"row {row.number}.{header}" if header else f"row {row.number}",
                    str(error.get("type", "value_error")),
                    validation_text(error),
                    row=row.number,
                    column=header,
                )
            )
        return None


def _identity(
    team_id: uuid.UUID, phone: str | None, full_name: str, birth_year: int | None
) -> tuple[Any, ...]:
    if phone:
        return (team_id, "phone", phone)
    return (team_id, "name", fold(full_name), birth_year)


MEMBER_FIELDS = (
    "full_name",
    "gender",
    "birth_year",
    "phone",
    "email",
    "affiliation",
    "organisation",
    "skill_level",
)


def plan_import(
    session: Session,
    actor: Principal,
    content: bytes,
    filename: str | None,
    sheet: str | None = None,
) -> Plan:
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(limit_mb=MAX_BYTES // (1024 * 1024))
    try:
        header, values = read_rows(content, filename, sheet)
        rows = list(_rows(header, values))
    except UnreadableSpreadsheet as exc:
        raise Unprocessable("import_unreadable", reason=exc.reason) from exc
    plan = Plan(rows=len(rows))
    validated = [(row, _validate(row, plan.errors)) for row in rows]
    valid_rows = [(row, member) for row, member in validated if member is not None]
    teams = team_service.teams_by_id(session, actor, {m.team_id for _, m in valid_rows})
    existing: dict[tuple[Any, ...], Member] = {}
    for member in repository.members_of_teams(session, list(teams)):
        identity = _identity(member.team_id, member.phone, member.full_name, member.birth_year)
        existing[identity] = member
    leaders: dict[uuid.UUID, tuple[uuid.UUID | None, str]] = {
        m.team_id: (m.id, m.full_name)
        for m in existing.values()
        if m.role is TeamRole.LEADER and m.left_on is None
    }
    seen: dict[tuple[Any, ...], int] = {}
    today = clock.today()
    for row, parsed in valid_rows:
        team: Team | None = teams.get(parsed.team_id)
        if team is None:
            plan.errors.append(
                _error(row, "team_id", "team_not_found", Text("import_team_not_found"))
            )
            continue
        if team.status is TeamStatus.DISSOLVED:
            plan.errors.append(
                _error(row, "team_id", "team_not_open", Text("import_team_dissolved"))
            )
            continue
        identity = _identity(team.id, parsed.phone, parsed.full_name, parsed.birth_year)
        if identity in seen:
            plan.errors.append(
                _error(
                    row,
                    "phone" if parsed.phone else "full_name",
                    "duplicate_row",
                    Text("import_same_member", row=seen[identity]),
                )
            )
            continue
        seen[identity] = row.number
        current = existing.get(identity)
        if parsed.role is TeamRole.LEADER:
            leader = leaders.get(team.id)
            if leader is not None and (current is None or leader[0] != current.id):
                plan.errors.append(
                    _error(
                        row, "role", "leader_exists", Text("import_leader_exists", name=leader[1])
                    )
                )
                continue
            leaders[team.id] = (current.id if current else None, parsed.full_name)
        fields = {k: getattr(parsed, k) for k in MEMBER_FIELDS}
        if current is None:
            plan.creates.append(
                {
                    **fields,
                    "id": uuid.uuid4(),
                    "search_name": fold(parsed.full_name),
                    "team_id": team.id,
                    "role": parsed.role,
                    "joined_on": parsed.joined_on or today,
                    "left_on": None,
                    "is_demo": False,
                    "version": 1,
                }
            )
        else:
            changed = {k: v for k, v in fields.items() if getattr(current, k) != v}
            if parsed.role != current.role and current.left_on is None:
                changed["role"] = parsed.role
            if changed:
                plan.updates.append((current, changed))
    plan.errors.sort(key=lambda error: error.row or 0)
    return plan


def run_import(
    session: Session,
    actor: Principal,
    content: bytes,
    filename: str | None,
    dry_run: bool,
    sheet: str | None = None,
) -> ImportResult:
    plan = plan_import(session, actor, content, filename, sheet)
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
                repository.close_membership(session, member.id, clock.today())
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
