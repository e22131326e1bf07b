"""The schema tests run on is the one the migrations build, and the models agree with it."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from singlewindow.platform.extensions import db


def test_models_match_the_migrations(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"
