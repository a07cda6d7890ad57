"""A job's current step: what a long item is doing now (`jobs.step`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

An import item (one product) may take a while when it has many images to download; the
counters move only when the page is written. `step` (`{"phase": "images", "done": 12,
"total": 40}`, NULL when there is none) lets the job card show what is happening meanwhile.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("step", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("step")
