"""Fixtures: every test that touches the database runs once on SQLite and once on
PostgreSQL, each inside a transaction that is rolled back afterwards.

PostgreSQL is used when it answers at ``CNSCD_TEST_POSTGRES_URL`` (default
127.0.0.1:5432). When it does not, a developer's run goes on with SQLite alone and says
so; under ``CI=true`` the run fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from cnscd_api.catalogue.service import forget_catalogue
from cnscd_api.config import Settings
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import Role, User
from cnscd_api.units.seed import seed_units
from tests.databases import (
    IN_CI,
    fresh_database,
    migrated_engine,
    postgres_reachable,
    settings_for,
)
from tests.factories import Tree, bearer, make_tree, make_user

KON_TUM, GIA_LAI = 62, 64


def _backends() -> tuple[list[str], str]:
    requested = [
        b.strip() for b in os.environ.get("CNSCD_TEST_DATABASES", "").split(",") if b.strip()
    ]
    problem = postgres_reachable() if (not requested or "postgresql" in requested) else None
    if requested:
        if "postgresql" in requested and problem:
            raise pytest.UsageError(f"PostgreSQL was asked for but is not reachable: {problem}")
        return requested, ", ".join(requested)
    if problem is None:
        return ["sqlite", "postgresql"], "sqlite, postgresql"
    if IN_CI:
        raise pytest.UsageError(f"CI=true and PostgreSQL is not reachable: {problem}")
    return ["sqlite"], f"sqlite only (PostgreSQL not reachable: {problem})"


BACKENDS, BACKENDS_NOTE = _backends()


def pytest_report_header() -> str:
    return f"databases: {BACKENDS_NOTE}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(f"databases tested: {BACKENDS_NOTE}")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database built by ``alembic upgrade head`` with Kon Tum and Gia Lai seeded."""
    with fresh_database(backend, tmp_path_factory.mktemp(backend)) as url:
        engine = migrated_engine(url)
        with Database(engine).transaction() as session:
            seed_units(session, {KON_TUM, GIA_LAI})
        yield engine
        engine.dispose()


@pytest.fixture(autouse=True)
def fresh_catalogue() -> None:
    """Each test reads the catalogue of its own database (the process keeps a copy)."""
    forget_catalogue()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def database(connection: Connection) -> Database:
    # Commits inside the app release a SAVEPOINT; the outer transaction is rolled back.
    return Database(connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.session() as session:
        yield session


@pytest.fixture(scope="session")
def shared_app(engine: Engine) -> FastAPI:
    """One app per database for the whole run: building it costs far more than a test."""
    return create_app(
        settings_for(engine.url.render_as_string(hide_password=False)), Database(engine)
    )


@pytest.fixture
def app(shared_app: FastAPI, database: Database) -> Iterator[FastAPI]:
    """The shared app, pointed at this test's database (a transaction rolled back after),
    with a copy of its settings that the test may change."""
    own_database, own_settings = shared_app.state.database, shared_app.state.settings
    shared_app.state.database = database
    shared_app.state.settings = own_settings.model_copy()
    yield shared_app
    shared_app.state.database, shared_app.state.settings = own_database, own_settings


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def settings(app: FastAPI) -> Settings:
    configured: Settings = app.state.settings
    return configured


@pytest.fixture
def tree(session: Session) -> Tree:
    tree = make_tree(session)
    session.commit()
    return tree


@pytest.fixture
def province_admin(session: Session, tree: Tree) -> User:
    user = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum, username="tinh.admin")
    session.commit()
    return user


@pytest.fixture
def admin_client(client: TestClient, settings: Settings, province_admin: User) -> TestClient:
    """A client logged in as the province admin of Kon Tum."""
    client.headers.update(bearer(settings, province_admin))
    return client
