"""The ``cnscd`` command line."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from cnscd_api.config import Settings
from cnscd_api.db import Database, create_db_engine


def _commands(summary: str, *, add_completion: bool = True) -> typer.Typer:
    """A group of commands whose help reads as paragraphs: as Markdown, the docstrings'
    single line breaks are soft (the default keeps them in the list of commands)."""
    return typer.Typer(
        help=summary,
        no_args_is_help=True,
        add_completion=add_completion,
        rich_markup_mode="markdown",
    )


app = _commands("cnscd-api administration.", add_completion=False)

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")


def _database() -> Database:
    # Read the environment afresh: a command runs once, after its environment is set.
    return Database(create_db_engine(Settings()))


@app.command()
def seed(
    province_code: Annotated[
        list[int] | None,
        typer.Option(
            "--province-code",
            "-p",
            help="GSO code of a province to load (repeatable); 62 is Kon Tum.",
        ),
    ] = None,
    all_provinces: Annotated[bool, typer.Option("--all", help="Load the whole country.")] = False,
) -> None:
    """Load provinces, districts and communes from vietnam-provinces (idempotent)."""
    from cnscd_api.units.seed import seed_units

    if all_provinces and province_code:
        raise typer.BadParameter("give either --all or --province-code, not both")
    codes = None if all_provinces else set(province_code or [62])
    started = time.perf_counter()
    database = _database()
    with database.transaction() as session:
        result = seed_units(session, codes)
    database.dispose()
    elapsed = time.perf_counter() - started
    typer.echo(
        f"units: {result.created} created, {result.existing} already present ({elapsed:.1f} s)"
    )
    if result.reorganised:
        typer.echo(
            f"left out (closed by a reorganisation, see `cnscd units`): "
            f"{', '.join(result.reorganised)}"
        )


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument(help="Login name, e.g. tinh.kontum")],
    unit_code: Annotated[
        str, typer.Option("--unit-code", help="GSO code of the province, e.g. 62.")
    ],
    full_name: Annotated[str | None, typer.Option("--full-name")] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Prompted for (hidden) when not given.")
    ] = None,
) -> None:
    """Create a province_admin: the first account of a province."""
    from cnscd_api.models import Role

    _create_account(username, Role.PROVINCE_ADMIN, unit_code, full_name, password)


@app.command("create-viewer")
def create_viewer(
    username: Annotated[str, typer.Argument(help="Login name, e.g. bo.tttt")],
    unit_code: Annotated[
        str | None,
        typer.Option("--unit-code", help="GSO code of a province; omit with --national."),
    ] = None,
    national: Annotated[
        bool, typer.Option("--national", help="Read the whole country (ministry dashboards).")
    ] = False,
    full_name: Annotated[str | None, typer.Option("--full-name")] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Prompted for (hidden) when not given.")
    ] = None,
) -> None:
    """Create a viewer of a province, or with --national of the whole country (read-only;
    a national viewer is managed here only, out of every API caller's reach)."""
    from cnscd_api.models import Role

    if national == (unit_code is not None):
        raise typer.BadParameter("give either --national or --unit-code")
    _create_account(username, Role.VIEWER, unit_code, full_name, password)


def _create_account(
    username: str, role: Any, unit_code: str | None, full_name: str | None, password: str | None
) -> None:
    from cnscd_api.core.errors import ProblemError
    from cnscd_api.core.i18n import message
    from cnscd_api.core.security import password_problems
    from cnscd_api.models import UnitLevel
    from cnscd_api.units import repository as unit_repository
    from cnscd_api.users import service as user_service

    username = username.strip().lower()
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problems = password_problems(password, username)
    if problems:
        typer.echo(f"refused: the password is too weak ({'; '.join(problems)})", err=True)
        raise typer.Exit(code=2)
    database = _database()
    unit = None
    try:
        with database.transaction() as session:
            if unit_code is not None:
                code = unit_code.zfill(2)
                unit = unit_repository.current_unit_by_code(session, UnitLevel.PROVINCE, code)
                if unit is None:
                    typer.echo(f"no province with code {code}: run `cnscd seed` first", err=True)
                    raise typer.Exit(code=2)
            user_service.create_account(
                session,
                username=username,
                full_name=full_name or username,
                role=role,
                unit=unit,
                password=password,
            )
    except ProblemError as error:
        typer.echo(f"refused: {message(error.code, 'en', **error.params)}", err=True)
        raise typer.Exit(code=2) from error
    finally:
        database.dispose()
    typer.echo(f"created {role.value} {username} for {unit.name if unit else 'the whole country'}")


@app.command()
def demo(
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Also restore the demo users: undelete, reactivate, give back their role, "
            "unit and the demo password (their sessions end); after a reorganisation, on "
            "the units their 2024 units became.",
        ),
    ] = False,
) -> None:
    """Add the Kon Tum demo: villages, teams, members and one user per tier (idempotent;
    refused in production)."""
    from cnscd_api.demo import DEMO_PASSWORD, demo_logins, reset_demo_users, seed_demo_users
    from cnscd_api.demo_allowances import seed_demo_allowances
    from cnscd_api.demo_campaign import NAME as CAMPAIGN_NAME
    from cnscd_api.demo_campaign import seed_demo_activities, seed_demo_campaign
    from cnscd_api.demo_data import seed_demo_data
    from cnscd_api.demo_partners import seed_demo_partners

    settings = Settings()
    if settings.is_production:
        typer.echo("refused: demo data is never seeded when CNSCD_ENVIRONMENT=production", err=True)
        raise typer.Exit(code=2)
    database = _database()
    with database.transaction() as session:
        data = seed_demo_data(session)
        campaign = seed_demo_campaign(session)
        reports = seed_demo_activities(session)
        partners = seed_demo_partners(session)
        allowances = seed_demo_allowances(session)
        restored = reset_demo_users(session) if reset else []
        created = seed_demo_users(session)
        logins = demo_logins(session)
    database.dispose()
    if data.skipped:
        typer.echo("demo data: already present")
    else:
        typer.echo(
            f"demo data: {data.villages} villages, {data.teams} teams, {data.members} members"
        )
    typer.echo(f"demo campaign: {CAMPAIGN_NAME} ({'created' if campaign else 'already present'})")
    typer.echo(f"demo activities: {reports} reports of the 2024 peak created")
    typer.echo(
        f"demo partners: {partners.requests} support requests, {partners.needs} village counts "
        "of households without a smartphone" + (" (already present)" if partners.skipped else "")
    )
    if allowances.created:
        typer.echo(
            f"demo allowances: a rule of Kon Tum, {allowances.statements} statements of "
            f"October 2024 approved ({allowances.total_amount:,} VND)"
        )
    else:
        typer.echo("demo allowances: already present")
    typer.echo(f"demo users: {len(created)} created")
    if reset:
        typer.echo(f"demo users: {len(restored)} restored")
    typer.echo(f"demo logins (password {DEMO_PASSWORD}):")
    for username, role, unit in logins:
        typer.echo(f"  {username:<15} {role:<18} {unit}")


@app.command()
def housekeeping(
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, help="Rows deleted per transaction."),
    ] = 1000,
) -> None:
    """Delete expired rows in short batches while the API serves.

    Refresh tokens, login throttles and address budgets whose windows have passed,
    idempotency keys past their retention, webhook deliveries that are no longer pending
    past their retention, and device referrals past their retain-until date. Schedule it
    (docs/operations.md); running it twice is harmless."""
    from cnscd_api.housekeeping import run

    started = time.perf_counter()
    database = _database()
    try:
        deleted = run(database, Settings(), batch=batch_size)
    finally:
        database.dispose()
    for table, count in deleted.items():
        typer.echo(f"{table}: {count} expired rows deleted")
    typer.echo(f"housekeeping done in {time.perf_counter() - started:.1f} s")


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then stop.")
    ] = False,
) -> None:
    """Deliver events to webhook endpoints until stopped (SIGTERM or Ctrl-C finish the
    round under way). Several may run on PostgreSQL; one on SQLite (docs/operations.md)."""
    import signal
    import threading

    from cnscd_api.core.logging import configure_logging
    from cnscd_api.webhooks.worker import run

    settings = Settings()
    configure_logging(settings.log_level)
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    database = _database()
    typer.echo("webhook worker started", err=True)
    try:
        run(database, settings, stop, once=once)
    finally:
        database.dispose()
    typer.echo("webhook worker stopped")


stats_app = _commands("Dashboard aggregates.")
app.add_typer(stats_app, name="stats")


@stats_app.command("rebuild")
def stats_rebuild(
    unit_id: Annotated[
        str | None,
        typer.Option("--unit-id", help="Only this unit's subtree (default: the whole country)."),
    ] = None,
) -> None:
    """Recompute the dashboard aggregates from the reports themselves, for a subtree or
    the whole country; the API keeps answering (writers wait for the end)."""
    import uuid

    from cnscd_api.models import Unit
    from cnscd_api.stats.rebuild import rebuild

    database = _database()
    with database.transaction() as session:
        unit = None
        if unit_id is not None:
            try:
                unit = session.get(Unit, uuid.UUID(unit_id))
            except ValueError:
                unit = None
            if unit is None:
                typer.echo(f"no unit with id {unit_id}", err=True)
                raise typer.Exit(code=2)
        done = rebuild(session, unit)
    database.dispose()
    where = unit.name if unit is not None else "the whole country"
    typer.echo(
        f"rebuilt the aggregates of {where}: {done.activities} activities, "
        f"{done.rows} rows, {done.seconds} s"
    )


units_app = _commands("Administrative units: changes of the map.")
app.add_typer(units_app, name="units")


@units_app.command("reform-2025")
def reform_2025(
    province_code: Annotated[
        str,
        typer.Option("--province-code", "-p", help="GSO code of the old province; 62 is Kon Tum."),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change and change nothing.")
    ] = False,
) -> None:
    """Apply the 1 July 2025 reform to one old province: its new province and communes
    valid from 2025-07-01, the old units closed with lineage, villages, teams and users
    re-homed (idempotent)."""
    from cnscd_api.core.errors import ProblemError
    from cnscd_api.core.i18n import message
    from cnscd_api.flows.reform2025 import ReformDataError, apply_reform
    from cnscd_api.flows.reform_report import describe

    database = _database()
    try:
        with database.session(write=True) as session:
            result = apply_reform(session, province_code)
            lines = describe(result, dry_run=dry_run)
            if dry_run:
                session.rollback()
            else:
                session.commit()
    except ReformDataError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(code=2) from error
    except ProblemError as error:
        typer.echo(f"refused: {message(error.code, 'en', **error.params)}", err=True)
        raise typer.Exit(code=2) from error
    finally:
        database.dispose()
    for line in lines:
        typer.echo(line)


@app.command()
def openapi(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the document.")
    ] = DEFAULT_OPENAPI_PATH,
) -> None:
    """Write the OpenAPI document of the app (committed as openapi/openapi.json)."""
    from cnscd_api.main import create_app
    from cnscd_api.openapi import render_openapi

    document = create_app(Settings()).openapi()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_openapi(document), encoding="utf-8")
    typer.echo(f"wrote {output}")


if __name__ == "__main__":
    app()
