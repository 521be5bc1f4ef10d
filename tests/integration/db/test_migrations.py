"""The migrations build exactly the schema the table models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.migrate import upgrade
from carnet.adapters.db.tables import Base

pytestmark = pytest.mark.integration


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        upgrade(engine)  # already at head: a no-op that must not fail
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
