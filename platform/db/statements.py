"""Small statement helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from singlewindow.platform.extensions import db


def insert_ignoring_conflict(model: type, values: dict[str, Any], unique: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted. Atomic, so two
    concurrent writers of the same unique key cannot both believe they won."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__
    # RETURNING says whether a row was written (rowcount is not reliable with psycopg once
    # SQLAlchemy adds RETURNING for the key itself).
    stmt = (insert(table).values(**values).on_conflict_do_nothing(index_elements=unique)
            .returning(*table.primary_key.columns))
    return db.session.execute(stmt).first() is not None
