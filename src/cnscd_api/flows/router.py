"""HTTP endpoints of the flows: ``POST /units/reorganisations`` (a dated change of the
map, ``reorganisations.py``)."""

from __future__ import annotations

from fastapi import APIRouter, status

from cnscd_api.core.errors import problem_responses
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.flows import reorganisations
from cnscd_api.units.dependencies import UnitReader
from cnscd_api.units.schemas import ReorganisationCreate, ReorganisationRead

router = APIRouter(
    route_class=ContractRoute,
    prefix="/units",
    tags=["units"],
    responses=problem_responses(401, 403),
)


@router.post(
    "/reorganisations",
    response_model=ReorganisationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Apply a dated reorganisation: merge, split, rename, move (province admin)",
    responses=problem_responses(
        404,
        codes=[
            "code_taken",
            "invalid_parent",
            "division_type_unknown",
            "unit_not_reorganisable",
            "unit_not_current",
            "unit_listed_twice",
            "level_mismatch",
            "merge_target_required",
            "split_default_required",
            "split_target_required",
            "not_a_village_of",
            "move_target_invalid",
            "effective_date_out_of_range",
            "no_successor",
        ],
    ),
)
def reorganise_units(
    body: ReorganisationCreate, session: SessionDep, actor: UnitReader
) -> ReorganisationRead:
    """Operations on districts, communes and villages of your province, applied together
    or not at all on `effective_date` (today or earlier), with their legal act. Units are
    never edited in place: each unit merged, split, renamed or moved closes the day before
    and its successors are valid from that date, linked by lineage rows. Villages keep
    their ids and move to the successor; teams move to it (their leaders follow); users
    and API clients scoped to a closed unit move to it, and are deactivated (clients
    revoked) pending review when their reach would grow (a merge). Activities keep the
    unit and team of their date. Every change is audited; the answer lists them, with
    `review: true` on what needs a person's look."""
    return reorganisations.reorganise(session, actor, body)
