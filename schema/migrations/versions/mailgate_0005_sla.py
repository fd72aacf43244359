"""mailgate_sla_calendar and mailgate_sla_clock: business calendars and per-ticket escalation clocks.

Revision ID: mailgate_0005
Revises: mailgate_0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mailgate_0005"
down_revision = "mailgate_0004"
branch_labels = None
depends_on = None

_CLOCK_INTS = [
    f"{target}_{what}"
    for what in ("paused", "warn", "warned", "escalated")
    for target in ("response", "update", "solution")
]


def upgrade() -> None:
    op.create_table(
        "mailgate_sla_calendar",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("working_hours", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=10), nullable=True),
        sa.Column("subdivision", sa.String(length=20), nullable=True),
        sa.Column("holidays", sa.Text(), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.Column("change_time", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="mailgate_sla_calendar_name"),
    )
    op.create_table(
        "mailgate_sla_clock",
        sa.Column("ticket_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_article_id", sa.BigInteger(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("solved_at", sa.DateTime(), nullable=True),
        sa.Column("update_start", sa.DateTime(), nullable=True),
        sa.Column("last_contact", sa.String(length=10), nullable=True),
        sa.Column("paused_since", sa.DateTime(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _CLOCK_INTS),
        sa.Column("next_alert", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_index("mailgate_sla_clock_next_alert", "mailgate_sla_clock", ["next_alert"])


def downgrade() -> None:
    op.drop_table("mailgate_sla_clock")
    op.drop_table("mailgate_sla_calendar")
