"""Reading a change stream incrementally without a lock that every writer shares.

Rows of a stream (audit events) carry a unique ``sequence``, taken as their transaction
commits, and on PostgreSQL the id of the transaction that wrote them (``xact_id``).
Numbers are taken in parallel there, so a transaction may commit a smaller number after
a reader has gone past it. The feed therefore reads in transaction-id order and shows a
transaction's rows only once every transaction of the database with a smaller id has
ended (``SETTLED``): a transaction that ends later has an id at least that large, so it
sorts after everything already shown. A
reader resumes from the last number it has seen, which the feed turns back into its
position (transaction id, number). A reader's own transaction is shown too (a request
reads its own writes).

On SQLite every writer holds the database's write lock from its first statement to its
commit, so numbers are taken in commit order and the number alone is the position.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, literal_column, or_, select, tuple_
from sqlmodel import Session

# Every transaction of this database with an id below this one has ended, as the
# statement's snapshot sees it: the oldest transaction in progress in the snapshot, or
# the first id not yet given out. The server's oldest transaction (``pg_snapshot_xmin``)
# would do, but a long transaction in another database of the server (a report, a
# restore, another application's batch) would then hold this feed back; so in-progress
# transactions that ``pg_stat_activity`` shows working in another database are left
# out. One it does not show (it ended meanwhile, or the role may not read other roles'
# sessions) is kept: the feed may wait longer, never skip.
SETTLED: Any = literal_column(
    """(SELECT COALESCE(
    (SELECT min(xip::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS xip
     WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity AS other
        WHERE other.datname <> current_database()
          AND other.backend_xid::text::bigint = xip::text::bigint % 4294967296)),
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint))"""
)
OWN: Any = literal_column("pg_current_xact_id_if_assigned()::text::bigint")


class UnknownPosition(LookupError):
    """``after`` names no row of the stream."""


def read_after(
    session: Session,
    statement: Select[Any],
    sequence: Any,
    xact_id: Any,
    after: int,
) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    """``statement`` limited to the rows after the one numbered ``after`` (0: from the
    start) that a reader may see now, and the order to read them in.

    Raises ``UnknownPosition`` when no row has the number ``after``."""
    if session.connection().dialect.name != "postgresql":
        if after and session.execute(_position(sequence, xact_id, after)).first() is None:
            raise UnknownPosition(after)
        return statement.where(sequence > after), [sequence.asc()]
    statement = statement.where(or_(xact_id < SETTLED, xact_id == OWN))
    if after:
        position = session.execute(_position(sequence, xact_id, after)).first()
        if position is None:
            raise UnknownPosition(after)
        statement = statement.where(tuple_(xact_id, sequence) > tuple_(position[0], after))
    return statement, [xact_id.asc(), sequence.asc()]


def _position(sequence: Any, xact_id: Any, after: int) -> Select[Any]:
    # Where the reader stopped: a position in the stream, whoever's row it is (the rows
    # read from it are scoped by the caller's statement).
    return select(xact_id).where(sequence == after)
