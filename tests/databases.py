"""Throwaway test databases on SQLite and PostgreSQL, built by the real migrations.

Every pytest session (and every xdist worker) creates its own databases with random
names and drops them at the end; nothing touches the developer's ``var/`` data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from cnscd_api.config import Environment, Settings
from cnscd_api.db import create_db_engine, normalise_url

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "CNSCD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# Under CI a check that cannot run (no PostgreSQL, no Node) fails instead of skipping.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def settings_for(database_url: str) -> Settings:
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET),
        log_level="WARNING",
    )


def postgres_reachable() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    engine = create_engine(normalise_url(POSTGRES_ADMIN_URL), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    finally:
        engine.dispose()
    return None


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def run_alembic(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config()
    # Not inside a transaction of ours: each migration commits on its own (env.py).
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
        connection.commit()


@contextmanager
def fresh_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """An empty database; yields its URL and drops it afterwards."""
    name = f"cnscd_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / (name + '.db')}"
        return
    admin = create_engine(normalise_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(normalise_url(POSTGRES_ADMIN_URL))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated_engine(url: str) -> Engine:
    engine = create_db_engine(settings_for(url))
    run_alembic(engine, "upgrade", "head")
    return engine


@contextmanager
def seeded_database(backend: str, tmp_dir: Path) -> Iterator[tuple[str, Engine]]:
    """A database of its own, migrated, with Kon Tum (62) and Gia Lai (64) seeded and
    committed (for what another process or the migrations see); dropped afterwards."""
    from cnscd_api.db import Database
    from cnscd_api.units.seed import seed_units

    with fresh_database(backend, tmp_dir) as url:
        engine = migrated_engine(url)
        try:
            with Database(engine).transaction() as session:
                seed_units(session, {62, 64})
            yield url, engine
        finally:
            engine.dispose()
