"""Engine and sessions.

SQLite (the embedded default) runs with WAL, enforced foreign keys, a busy timeout and
case-sensitive LIKE (so that ``path LIKE 'prefix%'`` uses the index); SQLAlchemy, not the
sqlite3 module, decides where transactions begin, which makes SAVEPOINTs work.
PostgreSQL goes through psycopg 3 with ``pool_pre_ping`` so that a restarted server is
picked up again without a restart of ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from cnscd_api.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 5
SQLITE_IMMEDIATE_OPTION = "cnscd_sqlite_begin_immediate"


def normalise_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs through psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling breaks SAVEPOINT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writing requests take the write lock up front (BEGIN IMMEDIATE): a transaction
        # that read first and writes later could otherwise fail at once with "database is
        # locked" when another writer got in between, instead of waiting its turn.
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_db_engine(settings: Settings, url: str | None = None) -> Engine:
    database_url = normalise_url(url or settings.database_url)
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            echo=settings.sql_echo,
            # Parameters are personal data (phones, e-mails): never in error messages or logs.
            hide_parameters=True,
            connect_args={"check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        database_url,
        echo=settings.sql_echo,
        hide_parameters=True,
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
    )


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a file-based SQLite database (``var/`` on a fresh clone)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """Hands out sessions. Tests build one on a connection whose transaction they roll back."""

    def __init__(self, bind: Engine | Connection, **session_options: Any) -> None:
        self.bind = bind
        self._session_options: dict[str, Any] = {"expire_on_commit": False, **session_options}

    def session(self, *, write: bool = False) -> Session:
        """A session; ``write=True`` for requests that will write (see ``_on_begin``)."""
        bind = self.bind
        if write and isinstance(bind, Engine) and bind.dialect.name == "sqlite":
            bind = bind.execution_options(**{SQLITE_IMMEDIATE_OPTION: True})
        return Session(bind, **self._session_options)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error (CLI and scripts)."""
        with self.session(write=True) as session:
            yield session
            session.commit()

    def dispose(self) -> None:
        if isinstance(self.bind, Engine):
            self.bind.dispose()
