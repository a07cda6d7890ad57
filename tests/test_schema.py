from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from prestasync.models import Base
from prestasync.schema import current_revision, upgrade


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert current_revision(engine) == "0006"


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
        assert current_revision(eng) == "0006"
        with eng.connect() as conn:
            assert conn.execute(text("SELECT name FROM shops")).scalar() == "A"
    finally:
        eng.dispose()


def test_sqlite_reads_active_jobs_by_status_not_by_walking_history(sqlite_engine: Engine) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, text
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.orm import Session

    from prestasync import queries
    from prestasync.models import Job

    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "uuid": f"u{i}",
            "type": "import",
            "status": "pending" if i % 5000 == 0 else "completed",
            "shop_name": "A",
            "params": {},
            "created_at": start + timedelta(minutes=i),
            "updated_at": start,
        }
        for i in range(20_000)
    ]
    with Session(sqlite_engine) as session, session.begin():
        session.execute(insert(Job), rows)
        session.execute(text("ANALYZE"))
    with Session(sqlite_engine) as session:
        query = queries._filtered(select(Job), queries.JobFilter(status="active"), "sqlite")
        query = query.order_by(Job.created_at.desc(), Job.id.desc()).limit(20)
        sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(r[-1]) for r in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        found = queries.list_jobs(session, queries.JobFilter(status="active", limit=20))
    assert "ix_jobs_status_created" in plan, plan
    assert len(found) == 4
