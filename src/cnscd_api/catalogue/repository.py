"""Catalogue queries. The catalogue is national: every caller reads all of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from cnscd_api.models import ContentCategory, Indicator, IndicatorCategory


def categories(session: Session, *, include_retired: bool) -> list[ContentCategory]:
    statement = select(ContentCategory).order_by(
        col(ContentCategory.position), col(ContentCategory.code)
    )
    if not include_retired:
        statement = statement.where(col(ContentCategory.retired).is_(False))
    return list(session.exec(statement).all())


def indicators(session: Session, *, include_retired: bool) -> list[Indicator]:
    statement = select(Indicator).order_by(col(Indicator.position), col(Indicator.code))
    if not include_retired:
        statement = statement.where(col(Indicator.retired).is_(False))
    return list(session.exec(statement).all())


def category_codes_of(
    session: Session, indicator_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The category codes of each indicator, in catalogue order."""
    ids = list(indicator_ids)
    found: dict[uuid.UUID, list[str]] = {indicator_id: [] for indicator_id in ids}
    if not ids:
        return found
    rows = session.exec(
        select(IndicatorCategory.indicator_id, ContentCategory.code)
        .join(ContentCategory, col(ContentCategory.id) == col(IndicatorCategory.category_id))
        .where(col(IndicatorCategory.indicator_id).in_(ids))
        .order_by(col(ContentCategory.position), col(ContentCategory.code))
    ).all()
    for indicator_id, code in rows:
        found[indicator_id].append(code)
    return found


def categories_by_code(session: Session, codes: Iterable[str]) -> dict[str, ContentCategory]:
    wanted = set(codes)
    if not wanted:
        return {}
    statement = select(ContentCategory).where(col(ContentCategory.code).in_(wanted))
    return {category.code: category for category in session.exec(statement).all()}


def indicators_by_code(session: Session, codes: Iterable[str]) -> dict[str, Indicator]:
    wanted = set(codes)
    if not wanted:
        return {}
    statement = select(Indicator).where(col(Indicator.code).in_(wanted))
    return {indicator.code: indicator for indicator in session.exec(statement).all()}


def code_taken(session: Session, model: type[ContentCategory] | type[Indicator], code: str) -> bool:
    return session.exec(select(model.id).where(col(model.code) == code)).first() is not None


def next_position(session: Session, model: type[ContentCategory] | type[Indicator]) -> int:
    positions = session.exec(select(model.position)).all()
    return max(positions, default=0) + 1


def add(session: Session, obj: ContentCategory | Indicator) -> None:
    session.add(obj)
    session.flush()


def set_indicator_categories(
    session: Session, indicator_id: uuid.UUID, category_ids: Iterable[uuid.UUID]
) -> None:
    session.execute(
        delete(IndicatorCategory).where(col(IndicatorCategory.indicator_id) == indicator_id)
    )
    rows = [{"indicator_id": indicator_id, "category_id": c} for c in set(category_ids)]
    if rows:
        session.execute(insert(IndicatorCategory), rows)
