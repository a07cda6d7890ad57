"""Item outcomes and changes, outcome counts on jobs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

`job_items.outcome` (created / updated / unchanged / drift), `changes` (field -> [before,
after]) and `digest` (the shop record as read, for preview drift checks); `jobs.created`,
`updated`, `unchanged` count the outcomes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name in ("created", "updated", "unchanged"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("job_items") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("digest", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_items") as batch:
        for name in ("digest", "changes", "outcome"):
            batch.drop_column(name)
    with op.batch_alter_table("jobs") as batch:
        for name in ("unchanged", "updated", "created"):
            batch.drop_column(name)
