"""``/allowance-rules`` and ``/allowance-statements``: what the teams are paid, and the
monthly statements the finance office pays from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from cnscd_api.allowances import export, service
from cnscd_api.allowances.dependencies import (
    AllowanceReader,
    RuleForRead,
    RuleForWrite,
    RuleWriter,
    StatementForApprove,
    StatementForPrepare,
    StatementForRead,
    StatementPreparer,
)
from cnscd_api.allowances.schemas import (
    RuleCreate,
    RuleRead,
    RuleUpdate,
    StatementCreate,
    StatementFilters,
    StatementRead,
    StatementReopen,
    StatementSort,
    StatementSummary,
)
from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.core.spreadsheet import SPREADSHEET_RESPONSES, ExportDep, download
from cnscd_api.dependencies import SessionDep

# What a rule's creation or correction may be refused with.
RULE_CODES = [
    "allowance_rule_before_province",
    "allowance_rule_empty",
    "allowance_rule_exists",
    "allowance_rule_in_use",
]
rules_router = APIRouter(
    route_class=ContractRoute,
    prefix="/allowance-rules",
    tags=["allowances"],
    responses=problem_responses(401, 403),
)
router = APIRouter(
    route_class=ContractRoute,
    prefix="/allowance-statements",
    tags=["allowances"],
    responses=problem_responses(401, 403),
)


@rules_router.get("", response_model=Page[RuleRead], summary="List the allowance rules")
def list_rules(session: SessionDep, actor: AllowanceReader, page: PageParamsDep) -> Response:
    """The rules of the caller's province (or of the provinces in its scope), oldest
    first, each with the last day it is in force."""
    rules = service.list_rules(session, actor)
    return page.response(RuleRead, rules[page.offset : page.offset + page.limit], len(rules))


@rules_router.post(
    "",
    response_model=RuleRead,
    status_code=status.HTTP_201_CREATED,
    summary="Set an allowance rule of your province",
    responses=problem_responses(codes=RULE_CODES),
)
def create_rule(
    body: RuleCreate, session: SessionDep, actor: RuleWriter, response: Response
) -> RuleRead:
    """By the province admin, with the resolution that set it. Amounts are whole VND,
    each optional. A rule starting in or before a month with an approved statement is
    refused: past months never change."""
    rule = service.create_rule(session, actor, body)
    set_etag(response, rule.version)
    return service.read_rule(session, rule)


@rules_router.get(
    "/{rule_id}",
    response_model=RuleRead,
    summary="Get an allowance rule",
    responses=problem_responses(404),
)
def get_rule(rule: RuleForRead, session: SessionDep, response: Response) -> RuleRead:
    """With the last day it is in force. The ETag is its version."""
    set_etag(response, rule.version)
    return service.read_rule(session, rule)


@rules_router.patch(
    "/{rule_id}",
    response_model=RuleRead,
    summary="Correct an allowance rule whose months are not approved",
    responses=problem_responses(
        404,
        412,
        codes=RULE_CODES,
    ),
)
def update_rule(
    body: RuleUpdate,
    rule: RuleForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> RuleRead:
    """A rule whose days reach a month with an approved statement answers 409
    `allowance_rule_in_use`: add a new rule with a later effective date instead."""
    updated = service.update_rule(session, actor, rule, body, expected)
    set_etag(response, updated.version)
    return service.read_rule(session, updated)


@router.get(
    "",
    response_model=Page[StatementSummary],
    summary="List allowance statements in your scope",
    responses=problem_responses(404),
)
def list_statements(
    session: SessionDep,
    actor: AllowanceReader,
    filters: Annotated[StatementFilters, Query()],
    page: PageParamsDep,
    sort: StatementSort | None = None,
) -> Response:
    """Newest month first. Statements of units closed by a reorganisation are read, as
    they were approved, by the officers of their successors."""
    rows, total = service.list_statements(session, actor, filters, page, sort)
    return page.response(StatementSummary, rows, total)


@router.post(
    "",
    response_model=StatementRead,
    status_code=status.HTTP_201_CREATED,
    summary="Prepare a unit's statement of a month",
    responses=problem_responses(
        404,
        codes=[
            "allowance_month_in_future",
            "allowance_no_rule",
            "allowance_statement_exists",
            "allowance_statement_overlaps",
            "allowance_unit_level",
            "allowance_unit_not_valid",
        ],
    ),
)
def prepare_statement(
    body: StatementCreate, session: SessionDep, actor: StatementPreparer, response: Response
) -> StatementRead:
    """By a district or commune officer (or the province admin), for its unit or a unit
    below it, a district or a commune: per team
    (and member, where the rule pays members) the basis and the amount, from approved
    reports only. No two statements of a month overlap."""
    statement = service.prepare(session, actor, body)
    set_etag(response, statement.version)
    return service.read_statement(session, statement)


@router.get(
    "/{statement_id}",
    response_model=StatementRead,
    summary="Get a statement with its lines",
    responses=problem_responses(404),
)
def get_statement(
    statement: StatementForRead, session: SessionDep, response: Response
) -> StatementRead:
    """Per team the basis (active, members, approved person-days) and the amounts, per
    member where the rule pays members, and the rules it was computed under. The ETag is
    its version."""
    set_etag(response, statement.version)
    return service.read_statement(session, statement)


@router.get(
    "/{statement_id}/export",
    summary="Download a statement for the finance office (XLSX or CSV)",
    response_class=StreamingResponse,
    responses={**SPREADSHEET_RESPONSES, **problem_responses(404)},
)
def export_statement(
    statement: StatementForRead, session: SessionDep, format: ExportDep
) -> StreamingResponse:
    """One row per team, its members paid below it, and the total; Vietnamese headers,
    amounts in whole VND."""
    read = service.read_statement(session, statement)
    return download(
        format,
        export.HEADERS,
        list(export.rows(read)),
        sheet_title="Bang ke",
        filename=export.filename(read),
    )


@router.post(
    "/{statement_id}/refresh",
    response_model=StatementRead,
    summary="Compute a prepared statement again",
    responses=problem_responses(404, 412, codes=["allowance_statement_approved"]),
)
def refresh_statement(
    statement: StatementForPrepare,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> StatementRead:
    """From the reports approved by now; an approved statement is reopened first."""
    refreshed = service.refresh(session, actor, statement, expected)
    set_etag(response, refreshed.version)
    return service.read_statement(session, refreshed)


@router.post(
    "/{statement_id}/approve",
    response_model=StatementRead,
    summary="Approve a statement: its month is closed",
    responses=problem_responses(
        404,
        412,
        codes=[
            "allowance_statement_approved",
            "allowance_statement_stale",
            "own_statement",
            "statement_review_tier",
        ],
    ),
)
def approve_statement(
    statement: StatementForApprove,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> StatementRead:
    """By the tier above the statement's unit, not its preparer. Send `If-Match` with the
    version you checked; the figures are computed again and must not have changed (409
    `allowance_statement_stale`). The month's reports in the unit then answer 409
    `allowance_month_closed` to any change."""
    approved = service.approve(session, actor, statement, expected)
    set_etag(response, approved.version)
    return service.read_statement(session, approved)


@router.post(
    "/{statement_id}/reopen",
    response_model=StatementRead,
    summary="Reopen an approved statement, with a reason",
    responses=problem_responses(
        404,
        412,
        codes=["allowance_statement_not_approved", "own_statement", "statement_review_tier"],
    ),
)
def reopen_statement(
    body: StatementReopen,
    statement: StatementForApprove,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> StatementRead:
    """Back to prepared: the month's reports can change again; the reason is kept in the
    statement and in the audit log."""
    reopened = service.reopen(session, actor, statement, body.reason, expected)
    set_etag(response, reopened.version)
    return service.read_statement(session, reopened)
