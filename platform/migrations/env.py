"""Alembic environment: the app's engine and metadata, the same on SQLite and PostgreSQL.

SQLite cannot ALTER most things, so migrations run in batch mode there; types and
constraint names come from the models (see extensions.NAMING_CONVENTION).
"""

import logging

from alembic import context
from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger("alembic.env")
db = current_app.extensions["migrate"].db


def _render_item(type_, obj, autogen_context):
    """Render the platform's own column types by their importable path."""
    if type_ == "type" and obj.__class__.__module__ == "singlewindow.platform.db.types":
        autogen_context.imports.add("import singlewindow.platform.db.types")
        args = f"{obj.precision}, {obj.scale}" if hasattr(obj, "scale") else ""
        return f"singlewindow.platform.db.types.{obj.__class__.__name__}({args})"
    return False


def _skip_empty(context_, revision, directives):
    if getattr(context_.config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []
            log.info("no changes in schema detected")


def run_migrations_offline() -> None:
    context.configure(url=str(db.engine.url), target_metadata=db.metadata, literal_binds=True,
                      render_item=_render_item)
    with context.begin_transaction():
        context.run_migrations()


def _engine():
    """The tables' owner runs migrations when DATABASE_ADMIN_URL is set (the app's own
    role owns nothing, so row-level security binds it)."""
    admin_url = current_app.config.get("DATABASE_ADMIN_URL")
    return create_engine(admin_url, poolclass=NullPool) if admin_url else db.engine


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        options = {
            **current_app.extensions["migrate"].configure_args,
            "render_as_batch": connection.dialect.name == "sqlite",
            "compare_type": True,
            "render_item": _render_item,
            "process_revision_directives": _skip_empty,
        }
        context.configure(connection=connection, target_metadata=db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
