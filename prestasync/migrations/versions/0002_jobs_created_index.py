"""Index jobs.created_at for the history list.

The sync centre's "all jobs, newest first" query scanned the whole table: 0.1 s on
PostgreSQL and about 1 s on SQLite and MariaDB with a million jobs
(bench/bench_hot_query.py). With this index it reads 20 rows in order (~1 ms).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_created", "jobs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_created", table_name="jobs")
