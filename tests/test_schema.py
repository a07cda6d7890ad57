from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from prestasync.models import Base
from prestasync.schema import current_revision, upgrade


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert current_revision(engine) == "0002"


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"shops", "products", "product_bindings", "jobs", "job_items", "users", "api_tokens"} <= tables


def test_hot_indexes_exist(engine: Engine) -> None:
    names = {ix["name"] for ix in inspect(engine).get_indexes("jobs")}
    assert {
        "ix_jobs_status_created",
        "ix_jobs_shop_created",
        "ix_jobs_updated",
        "ix_jobs_finished",
        "ix_jobs_created",
    } <= names


def test_upgrade_from_the_first_revision_keeps_data(db_url: str) -> None:
    from sqlalchemy import text

    from prestasync.db import make_engine

    eng = make_engine(db_url)
    try:
        upgrade(eng, "0001")
        with eng.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO shops (name, url, api_key_encrypted, created_at, updated_at)"
                    " VALUES ('A', 'http://a', 'x', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
        upgrade(eng)
        assert current_revision(eng) == "0002"
        with eng.connect() as conn:
            assert conn.execute(text("SELECT name FROM shops")).scalar() == "A"
    finally:
        eng.dispose()
