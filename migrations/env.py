"""Alembic environment: the database comes from the settings, or from a connection a test
hands over in ``config.attributes["connection"]``."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import cnscd_api.models  # noqa: F401  (registers every table on the metadata)
from cnscd_api.config import get_settings
from cnscd_api.db import create_db_engine, ensure_sqlite_directory, normalise_url
from cnscd_api.models.base import UTCDateTime

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our UTC timestamp type by its own name, with its import."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from cnscd_api.models.base import UTCDateTime")
        return "UTCDateTime()"
    return False


def configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        # Each migration commits on its own: one transaction over the whole chain held a
        # lock on every table and index it touched (664 for an empty database's upgrade
        # on PostgreSQL) until the end, and a few at once exhausted the server's shared
        # lock table ("out of shared memory") for everyone else.
        transaction_per_migration=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=normalise_url(get_settings().database_url),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    settings = get_settings()
    ensure_sqlite_directory(settings.database_url)
    engine = create_db_engine(settings)
    with engine.connect() as connection:
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
