"""The ``cnscd`` command line."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from cnscd_api.config import Settings
from cnscd_api.db import Database, create_db_engine

app = typer.Typer(help="cnscd-api administration.", no_args_is_help=True, add_completion=False)

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


@app.command()
def openapi(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the document.")
    ] = DEFAULT_OPENAPI_PATH,
) -> None:
    """Write the OpenAPI document of the app (committed as openapi/openapi.json)."""
    from cnscd_api.main import create_app

    document = create_app(Settings()).openapi()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_openapi(document), encoding="utf-8")
    typer.echo(f"wrote {output}")


def render_openapi(document: dict[str, object]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    app()
