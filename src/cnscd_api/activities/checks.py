"""What makes an activity report valid, checked against the data it names.

A ``Checker`` serves one request: it remembers the teams, places, campaigns, catalogue
and memberships it has looked up, so an offline batch of 500 reports costs a handful of
queries, not thousands. The places and campaigns it checks a report against are held
(``Lock.KEY_SHARE``) until the request ends, so a change of their dates or categories
(which locks them ``FOR UPDATE`` and counts the reports relying on them) comes wholly
before or wholly after the report. ``check`` raises the problem a single request
answers (404 for a team or campaign out of reach, 409 for a closed campaign or a
dissolved team, 422 with every field error); a batch turns the same problems into
per-item errors.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from cnscd_api.activities import repository
from cnscd_api.activities.schemas import ActivityFields
from cnscd_api.allowances import closure
from cnscd_api.campaigns import service as campaign_service
from cnscd_api.catalogue import service as catalogue_service
from cnscd_api.core import clock
from cnscd_api.core.errors import Conflict, FieldError, NotFound, ProblemError, Unprocessable
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import Lock, path_in_subtree_text
from cnscd_api.models import (
    Campaign,
    CampaignStatus,
    Role,
    Team,
    TeamStatus,
    Unit,
    UnitLevel,
)
from cnscd_api.support_requests import service as support_service
from cnscd_api.teams import service as team_service
from cnscd_api.units import service as unit_service


@dataclass(frozen=True)
class Checked:
    """A valid report, with everything it names resolved to ids."""

    team: Team
    home: Unit  # the team's own unit
    place: Unit
    activity_date: date
    campaign: Campaign | None
    category_ids: list[uuid.UUID]
    member_ids: list[uuid.UUID]
    values: dict[uuid.UUID, int]
    organisation: str | None
    partner_staff: int | None
    support_request_id: uuid.UUID | None
    description: str | None
    content_hash: str


def content_hash(
    *,
    team_id: uuid.UUID,
    unit_id: uuid.UUID,
    activity_date: date,
    categories: list[str],
    member_ids: list[uuid.UUID],
    values: dict[str, int],
    campaign_id: uuid.UUID | None,
    organisation: str | None,
    partner_staff: int | None,
    description: str | None,
    support_request_id: uuid.UUID | None = None,
) -> str:
    """A fingerprint of what a report says, the same however its lists are ordered."""
    canonical = {
        "team": str(team_id),
        "unit": str(unit_id),
        "date": activity_date.isoformat(),
        "categories": sorted(categories),
        "members": sorted(str(m) for m in member_ids),
        "values": sorted(values.items()),
        "campaign": str(campaign_id) if campaign_id else None,
        "organisation": organisation,
        "partner_staff": partner_staff,
        "description": description,
    }
    if support_request_id is not None:
        # Only when named, so that the reports stored before keep their fingerprints.
        canonical["support_request"] = str(support_request_id)
    encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


@dataclass
class Checker:
    session: Session
    actor: Principal
    _teams: dict[uuid.UUID, Team | ProblemError] = field(default_factory=dict)
    _places: dict[uuid.UUID, Unit | ProblemError] = field(default_factory=dict)
    _communes: dict[uuid.UUID, str] = field(default_factory=dict)
    _campaigns: dict[uuid.UUID, tuple[Campaign, set[str]] | ProblemError] = field(
        default_factory=dict
    )
    _campaign_scopes: dict[uuid.UUID, str] = field(default_factory=dict)
    _memberships: set[tuple[uuid.UUID, uuid.UUID, date]] | None = None
    _recorded_place: uuid.UUID | None = None
    _recorded_members: frozenset[uuid.UUID] = frozenset()
    # (place, month) found open by an allowance statement check: once per batch.
    _open_months: set[tuple[uuid.UUID, date]] = field(default_factory=set)

    def keep_recorded(self, place_id: uuid.UUID, member_ids: Iterable[uuid.UUID]) -> None:
        """Checking an edit of a stored report: its place stays where the report was made
        (checked when it was recorded: the team may have moved since, or the place closed
        and the report be reached through its successors; it must still be valid on the
        report's date), and the members it named who were erased since stay in it as
        pseudonymous ids (what it counted does not change)."""
        self._recorded_place = place_id
        self._recorded_members = frozenset(member_ids)

    # --- lookups, each remembered for the request ----------------------------------------

    def team(self, team_id: uuid.UUID) -> Team:
        if team_id not in self._teams:
            try:
                team, unit = team_service.get_team_with_unit(
                    self.session, self.actor, team_id, unit_lock=Lock.KEY_SHARE
                )
            except ProblemError as problem:
                self._teams[team_id] = problem
            else:
                # Reaching the team is reaching its unit (the team's scope is its unit's).
                self._teams[team_id] = team
                self._places.setdefault(unit.id, unit)
        found = self._teams[team_id]
        if isinstance(found, ProblemError):
            raise found
        return found

    def _unit(self, unit_id: uuid.UUID) -> Unit:
        if unit_id not in self._places:
            try:
                self._places[unit_id] = unit_service.get_unit_for_write(
                    self.session, self.actor, unit_id, lock=Lock.KEY_SHARE
                )
            except ProblemError as problem:
                self._places[unit_id] = problem
        found = self._places[unit_id]
        if isinstance(found, ProblemError):
            raise found
        return found

    def commune_path(self, team: Team) -> str:
        """The path of the commune a team works in (its own unit, or its village's)."""
        if team.id not in self._communes:
            unit = self._unit(team.unit_id)
            path = unit.path
            if unit.level is UnitLevel.VILLAGE:
                path = path[: path.rstrip("/").rfind("/") + 1]
            self._communes[team.id] = path
        return self._communes[team.id]

    def campaign(self, campaign_id: uuid.UUID) -> tuple[Campaign, set[str]]:
        if campaign_id not in self._campaigns:
            try:
                campaign = campaign_service.get_campaign(
                    self.session, self.actor, campaign_id, lock=Lock.KEY_SHARE
                )
                codes = {c.code for c in campaign_service.categories_of(self.session, campaign)}
                self._campaigns[campaign_id] = (campaign, codes)
                self._campaign_scopes[campaign_id] = unit_service.unit_path(
                    self.session, campaign.scope_unit_id
                )
            except ProblemError as problem:
                self._campaigns[campaign_id] = problem
        found = self._campaigns[campaign_id]
        if isinstance(found, ProblemError):
            raise found
        return found

    def prefetch(self, team_ids: set[uuid.UUID], unit_ids: set[uuid.UUID]) -> None:
        """Look up at once the teams a batch names and the units they and it name: the
        ones out of reach are simply not found, like one by one."""
        teams = team_service.teams_by_id(self.session, self.actor, team_ids - set(self._teams))
        for team_id in team_ids:
            self._teams.setdefault(team_id, teams.get(team_id) or NotFound(resource="team"))
        wanted = (unit_ids | {t.unit_id for t in teams.values()}) - set(self._places)
        units = unit_service.units_for_write(self.session, self.actor, wanted, lock=Lock.KEY_SHARE)
        for unit_id in wanted:
            self._places[unit_id] = units.get(unit_id) or NotFound(resource="unit")

    def prefetch_memberships(self, wanted: list[tuple[uuid.UUID, uuid.UUID, date]]) -> None:
        """Look up at once every (team, member, day) a batch names."""
        self._memberships = repository.members_on(self.session, wanted)

    def _erased(self, member_ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``member_ids`` that the edited report named and that no longer exist
        (erased on request; the report keeps their pseudonymous id)."""
        kept = member_ids & self._recorded_members
        if not kept:
            return set()
        return kept - repository.existing_members(self.session, kept)

    def belonged(self, team_id: uuid.UUID, member_id: uuid.UUID, day: date) -> bool:
        if self._memberships is None or (team_id, member_id, day) not in self._memberships:
            return bool(repository.members_on(self.session, [(team_id, member_id, day)]))
        return True

    # --- the rules ----------------------------------------------------------------------

    def place(self, team: Team, unit_id: uuid.UUID | None, prefix: str) -> Unit:
        """Where it took place: the team's unit by default, else a unit in its commune
        (or, for an edit, the place the report was made at: ``keep_recorded``)."""
        wanted = unit_id or team.unit_id
        if wanted == self._recorded_place:
            kept = self._places.get(wanted)
            if not isinstance(kept, Unit):  # usually the team's unit, read with the team
                kept = self._places[wanted] = unit_service.place_of_record(self.session, wanted)
            return kept
        place = self._unit(wanted)
        if not path_in_subtree_text(place.path, self.commune_path(team)):
            raise Unprocessable(
                errors=[FieldError.of(f"{prefix}.unit_id", "place_outside_commune")]
            )
        return place

    def organisation(self, given: str | None) -> str | None:
        """A partner's reports are its organisation's; others name a partner or none."""
        if self.actor.role is Role.PARTNER:
            return self.actor.organisation
        return given

    def check(
        self,
        fields: ActivityFields,
        team_id: uuid.UUID,
        prefix: str = "body",
        *,
        closed_ok: bool = False,
    ) -> Checked:
        team = self.team(team_id)
        if team.status is TeamStatus.DISSOLVED:
            raise Conflict("team_not_open")
        place = self.place(team, fields.unit_id, prefix)
        errors: list[FieldError] = []
        today = clock.today()
        if fields.activity_date > today:
            errors.append(FieldError.of(f"{prefix}.activity_date", "date_in_future"))
        elif not _valid_on(place, fields.activity_date):
            # A report keeps the unit of its day: a unit closed by a reorganisation (or
            # made by one) takes only the reports of the days it existed.
            errors.append(
                FieldError.of(
                    f"{prefix}.unit_id",
                    "place_not_valid_on_date",
                    name=place.name,
                    valid_from=place.valid_from.isoformat() if place.valid_from else "…",
                    valid_to=place.valid_to.isoformat() if place.valid_to else "…",
                )
            )
        category_ids = self._check_categories(fields.categories, prefix, errors)
        values = self._check_values(fields, prefix, errors)
        absent = [
            (index, member_id)
            for index, member_id in enumerate(fields.member_ids)
            if not self.belonged(team.id, member_id, fields.activity_date)
        ]
        erased = self._erased({member_id for _, member_id in absent})
        for index, member_id in absent:
            if member_id not in erased:
                errors.append(FieldError.of(f"{prefix}.member_ids.{index}", "member_not_in_team"))
        if len(set(fields.member_ids)) != len(fields.member_ids):
            errors.append(FieldError.of(f"{prefix}.member_ids", "duplicate_member"))
        campaign = None
        if fields.campaign_id is not None:
            campaign = self._check_campaign(
                fields, team, place, prefix, errors, closed_ok=closed_ok
            )
        organisation = self.organisation(fields.organisation)
        if self.actor.role is Role.PARTNER and fields.organisation not in (None, organisation):
            errors.append(FieldError.of(f"{prefix}.organisation", "organisation_not_yours"))
        if fields.partner_staff is not None and organisation is None:
            errors.append(FieldError.of(f"{prefix}.partner_staff", "partner_staff_without_partner"))
        if fields.support_request_id is not None:
            self._check_support_request(
                fields.support_request_id,
                organisation,
                place,
                f"{prefix}.support_request_id",
                errors,
            )
        if errors:
            raise Unprocessable(errors=errors)
        month = (place.id, closure.first_of_month(fields.activity_date))
        if month not in self._open_months:
            closure.ensure_month_open(self.session, fields.activity_date, place.path)
            self._open_months.add(month)
        return Checked(
            team=team,
            home=self._unit(team.unit_id),
            place=place,
            activity_date=fields.activity_date,
            campaign=campaign,
            category_ids=category_ids,
            member_ids=sorted(set(fields.member_ids)),
            values=values,
            organisation=organisation,
            partner_staff=fields.partner_staff,
            support_request_id=fields.support_request_id,
            description=fields.description,
            content_hash=content_hash(
                team_id=team.id,
                unit_id=place.id,
                activity_date=fields.activity_date,
                categories=fields.categories,
                member_ids=fields.member_ids,
                values=fields.values,
                campaign_id=fields.campaign_id,
                organisation=organisation,
                partner_staff=fields.partner_staff,
                description=fields.description,
                support_request_id=fields.support_request_id,
            ),
        )

    def _check_support_request(
        self,
        request_id: uuid.UUID,
        organisation: str | None,
        place: Unit,
        where: str,
        errors: list[FieldError],
    ) -> None:
        """The request a report served: addressed to the report's partner, for a place
        containing the report's, and accepted or done."""
        served = support_service.request_served_by(self.session, request_id)
        if served is None:
            errors.append(FieldError.of(where, "unknown_support_request"))
            return
        if served.organisation != organisation:
            errors.append(
                FieldError.of(
                    where, "support_request_other_organisation", organisation=served.organisation
                )
            )
        elif not path_in_subtree_text(place.path, served.place_path):
            errors.append(FieldError.of(where, "support_request_other_place"))
        elif served.status not in support_service.SERVED_STATES:
            errors.append(
                FieldError.of(where, "support_request_not_served", status=served.status.value)
            )

    def _check_categories(
        self, codes: list[str], prefix: str, errors: list[FieldError]
    ) -> list[uuid.UUID]:
        known = catalogue_service.catalogue(self.session).categories
        ids: list[uuid.UUID] = []
        for index, code in enumerate(codes):
            category = known.get(code)
            where = f"{prefix}.categories.{index}"
            if category is None:
                errors.append(FieldError.of(where, "unknown_category", code_value=code))
            elif category.retired:
                errors.append(FieldError.of(where, "catalogue_entry_retired", code_value=code))
            elif category.id in ids:
                errors.append(FieldError.of(where, "duplicate_code", code_value=code))
            else:
                ids.append(category.id)
        return ids

    def _check_values(
        self, fields: ActivityFields, prefix: str, errors: list[FieldError]
    ) -> dict[uuid.UUID, int]:
        catalogue = catalogue_service.catalogue(self.session)
        chosen = set(fields.categories)
        values: dict[uuid.UUID, int] = {}
        for code, value in fields.values.items():
            where = f"{prefix}.values.{code}"
            indicator = catalogue.indicators.get(code)
            if indicator is None:
                errors.append(FieldError.of(where, "unknown_indicator", code_value=code))
                continue
            categories = catalogue.links[code]
            if indicator.retired:
                errors.append(FieldError.of(where, "catalogue_entry_retired", code_value=code))
            elif not categories & chosen:
                errors.append(FieldError.of(where, "indicator_outside_categories", code_value=code))
            else:
                values[indicator.id] = value
        return values

    def _check_campaign(
        self,
        fields: ActivityFields,
        team: Team,
        place: Unit,
        prefix: str,
        errors: list[FieldError],
        *,
        closed_ok: bool,
    ) -> Campaign:
        assert fields.campaign_id is not None
        campaign, codes = self.campaign(fields.campaign_id)
        if not closed_ok and campaign_service.status_of(campaign) is CampaignStatus.CLOSED:
            raise Conflict("campaign_closed")
        if not campaign.starts_on <= fields.activity_date <= campaign.ends_on:
            errors.append(
                FieldError.of(
                    f"{prefix}.activity_date",
                    "date_outside_campaign",
                    starts_on=campaign.starts_on.isoformat(),
                    ends_on=campaign.ends_on.isoformat(),
                )
            )
        for index, code in enumerate(fields.categories):
            if code not in codes:
                errors.append(
                    FieldError.of(
                        f"{prefix}.categories.{index}", "category_not_in_campaign", code_value=code
                    )
                )
        scope_path = self._campaign_scopes[campaign.id]
        # The team's commune, or (an edit keeping a place the team has left since) the
        # place of the report's day.
        if not (
            path_in_subtree_text(self.commune_path(team), scope_path)
            or path_in_subtree_text(place.path, scope_path)
        ):
            errors.append(FieldError.of(f"{prefix}.campaign_id", "team_outside_campaign"))
        return campaign


def as_field_errors(problem: ProblemError, prefix: str) -> list[FieldError]:
    """A problem as the errors of one batch item (its own field errors, or itself)."""
    if problem.errors:
        return problem.errors
    where = {"not_found": f"{prefix}.team_id"}.get(problem.code, prefix)
    if problem.code == "not_found" and problem.params.get("resource") == "campaign":
        where = f"{prefix}.campaign_id"
    elif problem.code == "not_found" and problem.params.get("resource") == "unit":
        where = f"{prefix}.unit_id"
    return [FieldError.of(where, problem.code, **problem.params)]


__all__ = ["Checked", "Checker", "as_field_errors", "content_hash"]


def _valid_on(unit: Unit, day: date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or day <= unit.valid_to
    )
