"""Catalogue rules: codes are unique and never change; retiring keeps an entry readable
for the reports that used it; only the province admin edits the catalogue."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from cnscd_api.catalogue import repository
from cnscd_api.catalogue.schemas import (
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
)
from cnscd_api.core import audit
from cnscd_api.core.concurrency import ExpectedVersion, update_versioned
from cnscd_api.core.errors import Conflict, FieldError, NotFound, Unprocessable
from cnscd_api.core.i18n import Language
from cnscd_api.core.permissions import Principal
from cnscd_api.models import ContentCategory, Indicator


def _get(session: Session, model: type[Any], object_id: uuid.UUID, resource: str) -> Any:
    found = session.get(model, object_id)
    if found is None:
        raise NotFound(resource=resource)
    return found


@dataclass(frozen=True)
class Catalogue:
    """The whole catalogue as one object: what every activity report is checked against."""

    categories: dict[str, CatalogueEntry]
    indicators: dict[str, CatalogueEntry]
    # indicator code → the codes of the categories it belongs to
    links: dict[str, frozenset[str]]


@dataclass(frozen=True)
class CatalogueEntry:
    id: uuid.UUID
    code: str
    retired: bool


# The catalogue changes a few times a year and is read by every activity write: each
# process keeps a copy for CACHE_SECONDS and drops it at once when it writes the
# catalogue itself. Another process sees a change within that time.
CACHE_SECONDS = 30.0
CATALOGUE_CHANGED = "cnscd_catalogue_changed"
_cached: tuple[float, Catalogue] | None = None


def catalogue(session: Session) -> Catalogue:
    global _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < CACHE_SECONDS:
        return _cached[1]
    categories = repository.categories(session, include_retired=True)
    indicators = repository.indicators(session, include_retired=True)
    codes = repository.category_codes_of(session, [i.id for i in indicators])
    loaded = Catalogue(
        categories={c.code: CatalogueEntry(c.id, c.code, c.retired) for c in categories},
        indicators={i.code: CatalogueEntry(i.id, i.code, i.retired) for i in indicators},
        links={i.code: frozenset(codes[i.id]) for i in indicators},
    )
    _cached = (now, loaded)
    return loaded


def forget_catalogue() -> None:
    """Drop this process's copy (after a catalogue write, or between tests)."""
    global _cached
    _cached = None


def _changing(session: Session) -> None:
    """The catalogue is being written: forget the copy now and again once the write has
    committed (a request reading meanwhile must not keep the old one)."""
    forget_catalogue()
    session.info[CATALOGUE_CHANGED] = True


@event.listens_for(OrmSession, "after_commit")
def _forget_after_commit(session: OrmSession) -> None:
    if session.info.pop(CATALOGUE_CHANGED, False):
        forget_catalogue()


@dataclass(frozen=True)
class CatalogueNames:
    """Categories' and indicators' names in one language, by code (an unknown code is
    shown as itself)."""

    categories: dict[str, str]
    indicators: dict[str, str]

    def category(self, code: str) -> str:
        return self.categories.get(code, code)

    def indicator(self, code: str) -> str:
        return self.indicators.get(code, code)


def names(session: Session, language: Language) -> CatalogueNames:
    """Every entry's name in ``language``, retired ones included (old reports use them)."""
    vietnamese = language == "vi"
    return CatalogueNames(
        categories={
            c.code: c.name_vi if vietnamese else c.name_en
            for c in repository.categories(session, include_retired=True)
        },
        indicators={
            i.code: i.name_vi if vietnamese else i.name_en
            for i in repository.indicators(session, include_retired=True)
        },
    )


def get_category(session: Session, actor: Principal, category_id: uuid.UUID) -> ContentCategory:
    found: ContentCategory = _get(session, ContentCategory, category_id, "content_category")
    return found


def get_indicator(session: Session, actor: Principal, indicator_id: uuid.UUID) -> Indicator:
    found: Indicator = _get(session, Indicator, indicator_id, "indicator")
    return found


def present_category(category: ContentCategory, language: Language) -> CategoryRead:
    name = category.name_vi if language == "vi" else category.name_en
    return CategoryRead.model_validate({**category.model_dump(), "name": name})


def present_indicator(
    indicator: Indicator, categories: list[str], language: Language
) -> IndicatorRead:
    vietnamese = language == "vi"
    return IndicatorRead.model_validate(
        {
            **indicator.model_dump(),
            "name": indicator.name_vi if vietnamese else indicator.name_en,
            "unit": indicator.unit_vi if vietnamese else indicator.unit_en,
            "categories": categories,
        }
    )


def list_categories(
    session: Session, include_retired: bool, language: Language
) -> list[CategoryRead]:
    found = repository.categories(session, include_retired=include_retired)
    return [present_category(category, language) for category in found]


def list_indicators(
    session: Session, include_retired: bool, language: Language
) -> list[IndicatorRead]:
    found = repository.indicators(session, include_retired=include_retired)
    codes = repository.category_codes_of(session, (i.id for i in found))
    return [present_indicator(i, codes[i.id], language) for i in found]


def read_indicator(session: Session, indicator: Indicator, language: Language) -> IndicatorRead:
    codes = repository.category_codes_of(session, [indicator.id])
    return present_indicator(indicator, codes[indicator.id], language)


def category_codes_of(
    session: Session, indicator_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The codes of the categories each indicator belongs to."""
    return repository.category_codes_of(session, indicator_ids)


def resolve_categories(
    session: Session, codes: Sequence[str], field: str
) -> dict[str, ContentCategory]:
    """The categories named by ``codes``; unknown codes are a 422 naming each one."""
    found = repository.categories_by_code(session, codes)
    errors = [
        FieldError.of(f"{field}.{index}", "unknown_category", code_value=code)
        for index, code in enumerate(codes)
        if code not in found
    ]
    if errors:
        raise Unprocessable(errors=errors)
    return found


def resolve_indicators(session: Session, codes: Sequence[str], field: str) -> dict[str, Indicator]:
    found = repository.indicators_by_code(session, codes)
    errors = [
        FieldError.of(f"{field}.{index}", "unknown_indicator", code_value=code)
        for index, code in enumerate(codes)
        if code not in found
    ]
    if errors:
        raise Unprocessable(errors=errors)
    return found


def _check_code_free(session: Session, model: type[Any], code: str) -> None:
    if repository.code_taken(session, model, code):
        raise Conflict("catalogue_code_taken", code_value=code)


def create_category(session: Session, actor: Principal, data: CategoryCreate) -> ContentCategory:
    _changing(session)
    _check_code_free(session, ContentCategory, data.code)
    category = ContentCategory(
        **data.model_dump(), position=repository.next_position(session, ContentCategory)
    )
    repository.add(session, category)
    audit.created(session, actor, category, actor.scope_path)
    return category


def update_category(
    session: Session,
    actor: Principal,
    category: ContentCategory,
    data: CategoryUpdate,
    expected: ExpectedVersion,
) -> ContentCategory:
    _changing(session)
    expected.check(category.version)
    changes = _changes(data.model_dump(exclude_unset=True), nullable={"description"})
    before = audit.snapshot(category)
    update_versioned(session, category, changes)
    audit.updated(session, actor, category, before, actor.scope_path)
    return category


def _changes(requested: dict[str, Any], nullable: Iterable[str]) -> dict[str, Any]:
    allowed_null = set(nullable)
    return {k: v for k, v in requested.items() if v is not None or k in allowed_null}


def create_indicator(session: Session, actor: Principal, data: IndicatorCreate) -> Indicator:
    _changing(session)
    _check_code_free(session, Indicator, data.code)
    categories = resolve_categories(session, data.categories, "body.categories")
    indicator = Indicator(
        **data.model_dump(exclude={"categories"}),
        position=repository.next_position(session, Indicator),
    )
    repository.add(session, indicator)
    repository.set_indicator_categories(session, indicator.id, (c.id for c in categories.values()))
    audit.created(
        session, actor, indicator, actor.scope_path, extra={"categories": sorted(categories)}
    )
    return indicator


def update_indicator(
    session: Session,
    actor: Principal,
    indicator: Indicator,
    data: IndicatorUpdate,
    expected: ExpectedVersion,
) -> Indicator:
    _changing(session)
    expected.check(indicator.version)
    requested = data.model_dump(exclude_unset=True)
    codes = requested.pop("categories", None)
    before = audit.snapshot(indicator)
    old_codes = repository.category_codes_of(session, [indicator.id])[indicator.id]
    update_versioned(session, indicator, _changes(requested, nullable=()))
    new_codes = old_codes
    if codes is not None:
        categories = resolve_categories(session, codes, "body.categories")
        repository.set_indicator_categories(
            session, indicator.id, (c.id for c in categories.values())
        )
        new_codes = sorted(categories)
    audit.updated(
        session,
        actor,
        indicator,
        before,
        actor.scope_path,
        extra_before={"categories": sorted(old_codes)},
        extra_after={"categories": sorted(new_codes)},
    )
    return indicator
