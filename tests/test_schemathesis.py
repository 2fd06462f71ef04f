"""Property-based tests over every operation of the schema, in process, with every
check schemathesis has: as the province admin and as a commune officer.

Each operation gets the examples phase, the coverage phase (boundary values, every
undeclared method, missing and malformed parameters) and ``MAX_EXAMPLES`` fuzzed
cases, positive and negative, on each database; ``test_stateful`` then runs scenarios
along the document's links. Checks are narrowed, each for a reason the README lists:

- ``positive_data_acceptance`` accepts a 422 whose every error is one of
  ``RULES_BEYOND_THE_SCHEMA``: rules that depend on stored data, on today's date or on
  a password dictionary, which no JSON Schema can state; and a 412 for an ``If-Match``
  that is not the stored version;
- both it and ``negative_data_rejection`` accept a 413 for a body really past the size
  limit (1 MB of JSON can be reached within a list's ``maxItems``);
- a problem's ``code`` must be one the operation documents for that status
  (``problem_code_documented``, a check of our own).
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.errors import Flaky
from hypothesis.internal import charmap
from hypothesis.internal.intervalsets import IntervalSet
from hypothesis.strategies._internal import regex as hypothesis_regex
from schemathesis.config._phases import InferenceConfig
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core.errors import PROBLEM_MEDIA_TYPE
from cnscd_api.core.i18n import MESSAGES
from cnscd_api.core.middleware import MAX_BODY_BYTES, MAX_UPLOAD_BYTES
from cnscd_api.models import Role
from tests.factories import Tree, bearer, make_member, make_team, make_user

MAX_EXAMPLES = 25
# The same cases on every run, so that CI is reproducible; CNSCD_FUZZ_SEED=random (or
# another number) explores further.
SEED = os.environ.get("CNSCD_FUZZ_SEED", "20241001")


# Hypothesis builds a regular expression's strategy afresh for every strategy that uses
# it, enumerating each range of a character class code point by code point; the text
# rule's pattern (planes 15 and 16 among its ranges) costs a tenth of a second a time,
# on every string field of every operation. The strategy depends only on the pattern,
# its flags and the alphabet, so each is built once.
_build_regex_strategy: Any = hypothesis_regex.regex_strategy
_regex_strategies: dict[tuple[Any, ...], Any] = {}


def _regex_strategy(
    regex: Any,
    fullmatch: bool,
    *,
    alphabet: Any,
    _temp_jsonschema_hack_no_end_newline: bool = False,
) -> Any:
    compiled = regex if isinstance(regex, re.Pattern) else re.compile(regex)
    key = (
        compiled.pattern,
        compiled.flags,
        fullmatch,
        repr(alphabet),
        _temp_jsonschema_hack_no_end_newline,
    )
    if key not in _regex_strategies:
        _regex_strategies[key] = _build_regex_strategy(
            compiled,
            fullmatch,
            alphabet=alphabet,
            _temp_jsonschema_hack_no_end_newline=_temp_jsonschema_hack_no_end_newline,
        )
    return _regex_strategies[key]


hypothesis_regex.regex_strategy = _regex_strategy


class _CharactersBuilder(hypothesis_regex.CharactersBuilder):
    """Hypothesis's builder of a character class, with its code points kept as numbers
    and merged into intervals once: the original tests a flag and makes a string per
    code point, which for a class holding planes 15 and 16 takes a second and a half."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._folds = bool(self._flags & re.IGNORECASE)
        self._points: list[int] = []

    def add_char(self, c: str) -> None:
        if self._folds:
            super().add_char(c)
        else:
            self._points.append(ord(c))

    @property
    def strategy(self) -> Any:
        if self._folds or not self._points:
            return super().strategy
        ranges: list[list[int]] = []
        for point in sorted(set(self._points)):
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1][1] = point
            else:
                ranges.append([point, point])
        intervals = self._intervals | IntervalSet(ranges)
        if self._negate:
            intervals = charmap.query() - intervals
        intervals &= self._alphabet.intervals
        return hypothesis_regex._intervals_to_strategy(
            intervals, description="This character class"
        )


hypothesis_regex.CharactersBuilder = _CharactersBuilder  # type: ignore[misc]

# A 422 for valid-looking data is right when it enforces one of these (README, "What
# the schema cannot state").
RULES_BEYOND_THE_SCHEMA = {
    "weak_password",  # a dictionary of common passwords, the username, character classes
    "wrong_password",  # the account's current password
    "date_in_future",  # today's date
    "left_before_joined",  # the member's stored joining date
    "valid_to_before_valid_from",  # with one date sent, the unit's stored other date
    "scope_level_mismatch",  # the level of the unit named by its id
    "team_unit_level",  # the level of the unit named by its id
    "invalid_parent",  # the level of the parent named by its id
    "division_type_unknown",  # the unit's name (or its stored name) names no known kind
    "phone_invalid",  # libphonenumber's allocated mobile ranges
    "team_required",  # a role change without a team, for a stored account (PATCH)
    "team_only_for_leaders",  # a team for a stored account whose role is not team_leader
    "scope_unit_required",  # a role change of a stored team leader without a scope unit
    "import_invalid",  # the rows of the uploaded file
    "import_unreadable",  # the content of the uploaded file
    "unknown_category",  # the catalogue's stored codes
    "unknown_indicator",  # the catalogue's stored codes
    "catalogue_entry_retired",  # the catalogue entry's stored state
    "indicator_outside_categories",  # the catalogue's stored links
    "ends_before_start",  # the order of two dates (no JSON Schema compares fields)
    "campaign_scope_level",  # the level of the unit named by its id
    "reopen_needs_until",  # the campaign's stored dates and today's
    "reopen_until_past",  # today's date
    "unit_outside_campaign",  # the campaign's stored scope
    "not_a_child",  # the stored tree
    "indicator_not_tracked",  # the campaign's stored indicators
    "parent_target_missing",  # the stored targets above
    "target_exceeds_parent",  # the stored targets above
    "target_below_children",  # the stored targets below
    "indicator_has_targets",  # the stored targets below
    "duplicate_target",  # pairs repeated across a list's items
    "member_not_in_team",  # the stored memberships
    "place_outside_commune",  # the stored tree
    "place_not_valid_on_date",  # the stored dates of the unit named by its id
    "date_outside_campaign",  # the campaign's stored dates
    "category_not_in_campaign",  # the campaign's stored categories
    "team_outside_campaign",  # the campaign's stored scope
    "organisation_not_yours",  # the caller's organisation
    "partner_staff_without_partner",  # with the organisation a partner's report gets
    "idempotency_key_reused",  # the keys the caller used before, with other bodies
    "from_after_to",  # the order of two dates (no JSON Schema compares parameters)
    "too_many_periods",  # the days between two dates, counted in periods
    "effective_date_out_of_range",  # today's date
    "unit_not_reorganisable",  # the level of the unit named by its id
    "unit_not_current",  # the stored dates of the unit named by its id
    "unit_listed_twice",  # ids repeated across a list's items
    "level_mismatch",  # the levels of the units named by their ids
    "merge_target_required",  # one of two fields (no JSON Schema the generator honours)
    "split_default_required",  # exactly one item of a list flagged
    "allowance_rule_empty",  # one of three fields (no JSON Schema the generator honours)
    "allowance_rule_before_province",  # the stored first day of the caller's province
    "allowance_unit_level",  # the level of the unit named by its id
    "allowance_unit_not_valid",  # the stored dates of the unit named by its id
    "allowance_month_in_future",  # today's date
    "allowance_no_rule",  # the province's stored rules
    "split_target_required",  # one of two fields
    "not_a_village_of",  # the stored tree
    "move_target_invalid",  # the stored tree
    "no_successor",  # the stored tree
    "event_type_unknown",  # the event registry, and what the caller may read
    "webhook_url_invalid",  # a URL's parts, as the server parses them
    "webhook_url_not_https",  # the environment the server runs in
    "webhook_url_forbidden_address",  # what the host name resolves to
    "webhook_url_unresolvable",  # what the host name resolves to
    "window_too_long",  # the days between two dates (no JSON Schema compares fields)
    "support_place_level",  # the level of the unit named by its id
    "team_outside_place",  # the stored tree
    "team_required_for_leader",  # the caller's own team
    "poor_exceeds_total",  # the sum of two fields compared with a third
    "consent_in_future",  # today's date
    "unknown_support_request",  # the stored requests
    "support_request_not_served",  # the support request's stored state
    "support_request_other_organisation",  # the support request's stored organisation
    "support_request_other_place",  # the support request's stored place
}


def _template(code: str) -> re.Pattern[str]:
    english = re.escape(MESSAGES[code]["en"])
    return re.compile(re.sub(r"\\\{[a-z_]+\\\}", ".*", english), re.DOTALL)


_TEMPLATES = {code: _template(code) for code in RULES_BEYOND_THE_SCHEMA}


def _beyond_the_schema(error: dict[str, Any]) -> bool:
    code = str(error.get("code", ""))
    message = str(error.get("message", ""))
    return code in RULES_BEYOND_THE_SCHEMA or any(
        template.fullmatch(message) for template in _TEMPLATES.values()
    )


def _problem(response: schemathesis.Response) -> dict[str, Any] | None:
    if not response.headers.get("content-type", [""])[0].startswith(PROBLEM_MEDIA_TYPE):
        return None
    body = response.json()
    return body if isinstance(body, dict) else None


def _too_large(response: schemathesis.Response) -> bool:
    """A 413 for a body really past the size limit: a rule of the transport, not of the
    schema (a list's ``maxItems`` may allow more than 1 MB of JSON), right for any data."""
    if response.status_code != 413:
        return False
    request = response.request
    body: Any = request.body or b""
    size = len(body.encode() if isinstance(body, str) else bytes(body))
    content_type = str(request.headers.get("content-type", ""))
    limit = MAX_UPLOAD_BYTES if content_type.startswith("multipart/form-data") else MAX_BODY_BYTES
    return size > limit


@schemathesis.check
def negative_data_rejection_or_too_large(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """``negative_data_rejection``, which does not count 413 among rejections."""
    if _too_large(response):
        return None
    return negative_data_rejection(ctx, response, case)


@schemathesis.check
def positive_data_acceptance_beyond_the_schema(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """``positive_data_acceptance``, except for a 422 that only enforces rules no schema
    can state, and a 412 for an ``If-Match`` that is not the object's stored version
    (which scenarios reach: the object exists, the header is any string)."""
    if _too_large(response):
        return None
    if response.status_code == 412 and any(
        name.lower() == "if-match" for name in (case.headers or {})
    ):
        return None
    problem = _problem(response) if response.status_code == 422 else None
    if problem is not None:
        if problem.get("code") in RULES_BEYOND_THE_SCHEMA:
            return None
        errors = problem.get("errors") or []
        if errors and all(_beyond_the_schema(error) for error in errors):
            return None
    return positive_data_acceptance(ctx, response, case)


@schemathesis.check
def problem_code_documented(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """A problem's ``code`` is one that the operation lists for its status."""
    problem = _problem(response)
    if problem is None or response.status_code == 405 or problem.get("code") == "route_not_found":
        return None
    documented = case.operation.definition.raw.get("responses", {}).get(
        str(response.status_code), {}
    )
    codes = documented.get("x-problem-codes", [])
    assert problem.get("code") in codes, (
        f"{case.method} {case.path}: {response.status_code} {problem.get('code')!r} is not "
        f"among the documented codes {codes}"
    )
    return None


CHECKS_REPLACED: list[Any] = [positive_data_acceptance, negative_data_rejection]
OUR_CHECKS: list[Any] = [
    positive_data_acceptance_beyond_the_schema,
    negative_data_rejection_or_too_large,
    problem_code_documented,
]


# One worker runs these one after the other: each holds its test's transaction for
# hundreds of requests, every one a savepoint whose transaction id stays locked until the
# test ends, and two at once on PostgreSQL could fill the server's shared lock table
# ("out of shared memory", answered 503) for everyone.
pytestmark = pytest.mark.xdist_group("schemathesis")


@pytest.fixture(params=[Role.PROVINCE_ADMIN, Role.COMMUNE_OFFICER], ids=lambda role: role.value)
def caller(request: pytest.FixtureRequest, session: Session, tree: Tree) -> Any:
    role: Role = request.param
    unit = tree.kon_tum if role is Role.PROVINCE_ADMIN else tree.dak_pek
    user = make_user(session, role, unit)
    session.commit()
    return user


@pytest.fixture
def api_schema(app: FastAPI, settings: Settings, caller: Any) -> schemathesis.BaseSchema:
    """The app's schema, called with the bearer token of ``caller``."""
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    if SEED != "random":
        loaded.config.seed = int(SEED)
    authorization = bearer(settings, caller)["Authorization"]

    @loaded.auth()
    class Caller:
        def get(self, case: schemathesis.Case[Any], context: schemathesis.AuthContext) -> str:
            return authorization

        def set(
            self, case: schemathesis.Case[Any], data: str, context: schemathesis.AuthContext
        ) -> None:
            case.headers["Authorization"] = data

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(
        excluded_checks=CHECKS_REPLACED,
        additional_checks=OUR_CHECKS,
    )


# Scenarios of up to STATEFUL_STEPS calls each; every step is checked like a single call.
STATEFUL_SCENARIOS = 15
STATEFUL_STEPS = 6


def test_stateful(api_schema: schemathesis.BaseSchema, session: Session, tree: Tree) -> None:
    """Scenarios that follow the published links: an object is created, then read,
    changed with the ETag it came with, deleted, read again …, with positive and
    negative data, under every check. Only the document's own links are followed (no
    inferred ones), so the links integrators see are the ones that are tested."""
    # Something in both callers' scope for the lists to lead to.
    make_member(session, make_team(session, tree.dak_pek_village), phone="0912345678")
    session.commit()
    api_schema.config.phases.stateful.inference = InferenceConfig(algorithms=[])
    published = sum(
        len(response.get("links", {}))
        for item in api_schema.raw_schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
    )
    assert published >= 30

    class Scenarios(api_schema.as_state_machine()):  # type: ignore[misc]
        def validate_response(
            self,
            response: schemathesis.Response,
            case: schemathesis.Case[Any],
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            calls.append(f"{case.method} {case.path} {response.status_code}")
            try:
                case.validate_response(
                    response,
                    excluded_checks=CHECKS_REPLACED,
                    additional_checks=OUR_CHECKS,
                    transport_kwargs=kwargs or None,
                )
            except Exception as failure:
                found.append(failure)
                raise

    assert api_schema.statistic.transitions.total == published
    found: list[Exception] = []
    calls: list[str] = []
    machine = Scenarios if SEED == "random" else seed(int(SEED))(Scenarios)
    try:
        machine.run(
            settings=settings(
                max_examples=STATEFUL_SCENARIOS,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                phases=[Phase.explicit, Phase.generate],
            )
        )
    except Flaky:
        # The database keeps what earlier scenarios made, so a scenario Hypothesis draws
        # again (to replay a failure, or a prefix it met before) may find other objects
        # and draw differently; it then stops with Flaky. Like schemathesis's own runner:
        # a failure found is reported as found, and without one the run is over.
        if found:
            raise found[0] from None
    # The scenarios did go past their first call, into linked operations.
    assert len(calls) >= STATEFUL_STEPS, calls
    linked = [call for call in calls if "{" in call.split()[1]]
    assert any(call.endswith((" 200", " 201", " 204")) for call in linked), calls
