"""The per-transaction settings that PostgreSQL's row-level security policies read.

Before every statement, the connection's `app.tenant_id` and `app.platform_wide` are made
to match the tenant bound in this context (tenant_context, the request, the job) with
`set_config(..., true)`, which lasts until the transaction ends. What a connection was
last told is remembered per transaction, so the common case costs nothing. A query that
forgot the ORM's scope, or raw SQL, still sees only the bound tenant's rows.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

from singlewindow.platform.db.scoping import current_tenant_id, is_platform_wide

_KEY = "rls_settings"


def _wanted() -> tuple[str, str]:
    tenant_id = current_tenant_id()
    return ("" if tenant_id is None else str(tenant_id), "on" if is_platform_wide() else "off")


def install(engine: Engine) -> None:
    """Keep the settings in step on every connection of a PostgreSQL engine."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _set(conn, cursor, statement, parameters, context, executemany):
        wanted = _wanted()
        if conn.info.get(_KEY) != wanted:
            cursor.execute("SELECT set_config('app.tenant_id', %s, true), "
                           "set_config('app.platform_wide', %s, true)", wanted)
            conn.info[_KEY] = wanted

    def _forget(conn, *args):
        conn.info.pop(_KEY, None)  # SET LOCAL ends with the transaction (or savepoint)

    for name in ("commit", "rollback", "rollback_savepoint"):
        event.listen(engine, name, _forget)
