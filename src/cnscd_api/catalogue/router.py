"""``/content-categories`` and ``/indicators``: the national catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cnscd_api.catalogue import service
from cnscd_api.catalogue.dependencies import (
    CatalogueReader,
    CatalogueWriter,
    CategoryForRead,
    CategoryForWrite,
    IndicatorForRead,
    IndicatorForWrite,
)
from cnscd_api.catalogue.schemas import (
    CatalogueFilters,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
)
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import LanguageDep, SessionDep

router = APIRouter(
    route_class=ContractRoute, tags=["catalogue"], responses=problem_responses(401, 403)
)
CatalogueQuery = Annotated[CatalogueFilters, Query()]


@router.get(
    "/content-categories",
    response_model=Page[CategoryRead],
    summary="List the content categories teams guide people in",
)
def list_content_categories(
    session: SessionDep,
    actor: CatalogueReader,
    page: PageParamsDep,
    filters: CatalogueQuery,
    language: LanguageDep,
) -> Response:
    """In catalogue order: the six contents of the 2024 peak first. `name` follows
    `Accept-Language`; both names are in the body."""
    items = service.list_categories(session, filters.include_retired, language)
    window = items[page.offset : page.offset + page.limit]
    return page.response(CategoryRead, window, len(items))


@router.post(
    "/content-categories",
    response_model=CategoryRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a content category (province admin)",
    responses=problem_responses(codes=["catalogue_code_taken"]),
)
def create_content_category(
    body: CategoryCreate,
    session: SessionDep,
    actor: CatalogueWriter,
    language: LanguageDep,
    response: Response,
) -> CategoryRead:
    """A new content category with a stable code (lowercase letters, digits, `_`), in both
    languages. Codes are never reused."""
    category = service.create_category(session, actor, body)
    set_etag(response, category.version)
    return service.present_category(category, language)


@router.get(
    "/content-categories/{category_id}",
    response_model=CategoryRead,
    summary="Get a content category",
    responses=problem_responses(404),
)
def get_content_category(
    category: CategoryForRead, language: LanguageDep, response: Response
) -> CategoryRead:
    """Retired categories stay readable: old reports refer to them."""
    set_etag(response, category.version)
    return service.present_category(category, language)


@router.patch(
    "/content-categories/{category_id}",
    response_model=CategoryRead,
    summary="Rename, describe or retire a content category (its code never changes)",
    responses=problem_responses(404, 412),
)
def update_content_category(
    body: CategoryUpdate,
    category: CategoryForWrite,
    session: SessionDep,
    actor: CatalogueWriter,
    expected: IfMatchDep,
    language: LanguageDep,
    response: Response,
) -> CategoryRead:
    """Send `If-Match` with the ETag of your GET (412 otherwise). `retired: true` hides it
    from new campaigns and reports."""
    updated = service.update_category(session, actor, category, body, expected)
    set_etag(response, updated.version)
    return service.present_category(updated, language)


@router.get(
    "/indicators",
    response_model=Page[IndicatorRead],
    summary="List the indicators teams count",
)
def list_indicators(
    session: SessionDep,
    actor: CatalogueReader,
    page: PageParamsDep,
    filters: CatalogueQuery,
    language: LanguageDep,
) -> Response:
    """Each indicator is a non-negative count with its unit, and lists the categories
    whose activities may report it."""
    items = service.list_indicators(session, filters.include_retired, language)
    window = items[page.offset : page.offset + page.limit]
    return page.response(IndicatorRead, window, len(items))


@router.post(
    "/indicators",
    response_model=IndicatorRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add an indicator (province admin)",
    responses=problem_responses(codes=["catalogue_code_taken"]),
)
def create_indicator(
    body: IndicatorCreate,
    session: SessionDep,
    actor: CatalogueWriter,
    language: LanguageDep,
    response: Response,
) -> IndicatorRead:
    """A new count teams report, in the categories whose activities may report it."""
    indicator = service.create_indicator(session, actor, body)
    set_etag(response, indicator.version)
    return service.read_indicator(session, indicator, language)


@router.get(
    "/indicators/{indicator_id}",
    response_model=IndicatorRead,
    summary="Get an indicator",
    responses=problem_responses(404),
)
def get_indicator(
    indicator: IndicatorForRead, session: SessionDep, language: LanguageDep, response: Response
) -> IndicatorRead:
    """Retired indicators stay readable: old reports refer to them."""
    set_etag(response, indicator.version)
    return service.read_indicator(session, indicator, language)


@router.patch(
    "/indicators/{indicator_id}",
    response_model=IndicatorRead,
    summary="Rename, re-file or retire an indicator (its code never changes)",
    responses=problem_responses(404, 412),
)
def update_indicator(
    body: IndicatorUpdate,
    indicator: IndicatorForWrite,
    session: SessionDep,
    actor: CatalogueWriter,
    expected: IfMatchDep,
    language: LanguageDep,
    response: Response,
) -> IndicatorRead:
    """Send `If-Match` with the ETag of your GET (412 otherwise). `categories` replaces the list."""
    updated = service.update_indicator(session, actor, indicator, body, expected)
    set_etag(response, updated.version)
    return service.read_indicator(session, updated, language)
