"""The daily loop: schedules, webhooks, deliveries and their attempts, the notification centre.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Also `jobs.notified` (the status last announced; see outbox.py) and, on `users`, an e-mail
address, a language and the e-mail subscriptions. Jobs that already ended or are held when
this runs count as announced, so an upgrade does not mail out the whole history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

DT = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ANNOUNCED = ("completed", "failed", "cancelled", "held")


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("notified", sa.String(length=20), nullable=True))
        batch.create_index(batch.f("ix_jobs_notified"), ["notified"], unique=False)
    jobs = sa.table("jobs", sa.column("status", sa.String()), sa.column("notified", sa.String()))
    op.execute(jobs.update().where(jobs.c.status.in_(ANNOUNCED)).values(notified=jobs.c.status))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("email_events", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("email_shops", sa.JSON(), nullable=True))
    _schedules()
    _webhooks()
    _notifications()


def _schedules() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", ID, nullable=False),
        sa.Column("shop_id", ID, nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("every_min", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(length=100), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", DT, nullable=False),
        sa.Column("last_slot_at", DT, nullable=True),
        sa.Column("last_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_job_id", sa.BigInteger(), nullable=True),
        sa.Column("last_message", sa.String(length=500), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("skips", sa.Integer(), nullable=False),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("updated_at", DT, nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_schedules_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    with op.batch_alter_table("schedules") as batch:
        batch.create_index(batch.f("ix_schedules_shop_id"), ["shop_id"], unique=False)
        batch.create_index(batch.f("ix_schedules_next_run_at"), ["next_run_at"], unique=False)


def _webhooks() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", ID, nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", DT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", ID, nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("webhook_id", ID, nullable=True),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", DT, nullable=False),
        sa.Column("lease_until", DT, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_answer", sa.String(length=500), nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("updated_at", DT, nullable=False),
        sa.Column("delivered_at", DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhooks.id"], name=op.f("fk_deliveries_webhook_id_webhooks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_deliveries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.create_index("ix_deliveries_state_next", ["state", "next_attempt_at"], unique=False)
        batch.create_index(batch.f("ix_deliveries_webhook_id"), ["webhook_id"], unique=False)
        batch.create_index(batch.f("ix_deliveries_user_id"), ["user_id"], unique=False)
    op.create_table(
        "delivery_attempts",
        sa.Column("id", ID, nullable=False),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", DT, nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("answer", sa.String(length=500), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_attempts_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    with op.batch_alter_table("delivery_attempts") as batch:
        batch.create_index(batch.f("ix_delivery_attempts_delivery_id"), ["delivery_id"], unique=False)


def _notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("job_type", sa.String(length=20), nullable=False),
        sa.Column("shop_name", sa.String(length=100), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("read_at", DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)


def downgrade() -> None:
    for table in ("notifications", "delivery_attempts", "deliveries", "webhooks", "schedules"):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        for name in ("email_shops", "email_events", "language", "email"):
            batch.drop_column(name)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index(batch.f("ix_jobs_notified"))
        batch.drop_column("notified")
