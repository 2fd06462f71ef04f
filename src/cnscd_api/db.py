"""Engine and sessions.

SQLite (the embedded default) runs with WAL, enforced foreign keys, a busy timeout and
case-sensitive LIKE (so that ``path LIKE 'prefix%'`` uses the index); SQLAlchemy, not the
sqlite3 module, decides where transactions begin, which makes SAVEPOINTs work. Writing
transactions of one process queue at a gate of their own (``WriterGate``) before they
ask SQLite for its one write lock.
PostgreSQL goes through psycopg 3 with ``pool_pre_ping`` so that a restarted server is
picked up again without a restart of ours.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from cnscd_api.config import Settings

# How long a SQLite writer waits for its turn, at the gate and again at SQLite's lock,
# before the request answers 503: several processes writing at once queue behind each
# other, and a 503 after a wait of seconds is worse than the wait.
SQLITE_WRITE_WAIT_S = 30
SQLITE_BUSY_TIMEOUT_MS = SQLITE_WRITE_WAIT_S * 1000
PG_CONNECT_TIMEOUT_S = 5
SQLITE_IMMEDIATE_OPTION = "cnscd_sqlite_begin_immediate"
_HOLDS_GATE = "cnscd_holds_writer_gate"


class WriterGate:
    """One writing transaction at a time per process on SQLite, the others waiting here.

    SQLite lets one writer in and makes the others poll its lock (every 100 ms once they
    have waited a little), so a busy process's writers mostly sleep while the lock is
    free, and one of them may wait past any timeout while others get in. Queued at a
    lock of the process instead, the next writer starts the moment the last one ends,
    and SQLite's lock is contended only between processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def enter(self, info: MutableMapping[Any, Any]) -> None:
        if info.get(_HOLDS_GATE):
            return
        if not self._lock.acquire(timeout=SQLITE_WRITE_WAIT_S):
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        info[_HOLDS_GATE] = True

    def leave(self, info: MutableMapping[Any, Any]) -> None:
        # A threading.Lock, not an RLock: the commit may run on another thread.
        if info.pop(_HOLDS_GATE, False):
            self._lock.release()


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

    gate = WriterGate()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writing requests take the write lock up front (BEGIN IMMEDIATE): a transaction
        # that read first and writes later could otherwise fail at once with "database is
        # locked" when another writer got in between, instead of waiting its turn.
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE_OPTION)
        if not immediate:
            connection.exec_driver_sql("BEGIN")
            return
        gate.enter(connection.info)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(connection.info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        gate.leave(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # Whatever happened to the transaction, a connection back in the pool holds nothing.
        if record is not None:
            gate.leave(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _error: Any) -> None:
        # A broken connection is closed and its record's info cleared: let go first.
        if record is not None:
            gate.leave(record.info)


def create_db_engine(
    settings: Settings, url: str | None = None, *, serving: bool = False
) -> Engine:
    """The engine for ``settings``. ``serving``: the API's own, whose PostgreSQL sessions
    get ``statement_timeout`` (migrations and commands are left to run as long as they
    need)."""
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
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            **_server_options(settings, serving),
        },
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
    )


def _server_options(settings: Settings, serving: bool) -> dict[str, str]:
    # psycopg prepares a statement on the server from its fifth run, and PostgreSQL may then
    # keep one generic plan for every value: a subtree's ``path LIKE :prefix`` planned
    # without its prefix cannot use the path index and scans every unit (0.1 ms against
    # 40 ms for a commune's count). Each run is planned for its own values instead.
    # No JIT and no parallel workers: the API's queries are short and many run at once;
    # compiling one cost 7 ms of the 57 of the country's time series, and a parallel
    # ranking built the same hash of totals in each of its three processes.
    options = [
        "-c plan_cache_mode=force_custom_plan",
        "-c jit=off",
        "-c max_parallel_workers_per_gather=0",
    ]
    seconds = settings.db_statement_timeout_seconds
    if serving and seconds != 0:
        # A query that runs away (a bug, a missing index) is cancelled instead of holding
        # a connection and its locks: the request answers 503 and the pool stays usable.
        options.append(f"-c statement_timeout={seconds * 1000}")
    return {"options": " ".join(options)}


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
