"""Pipeline tables: rules, decisions and their trace, undeliverable addresses, links, tags, settings.

Revision ID: mailgate_0002
Revises: mailgate_0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mailgate_0002"
down_revision = "mailgate_0001"
branch_labels = None
depends_on = None

BIGSERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "mailgate_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("stop_after_match", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("applies_to", sa.String(length=10), server_default="both", nullable=False),
        sa.Column("match_mode", sa.String(length=3), server_default="all", nullable=False),
        sa.Column("conditions", sa.Text(), server_default="[]", nullable=False),
        sa.Column("actions", sa.Text(), server_default="[]", nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("create_time", sa.DateTime(), server_default=NOW, nullable=False),
        sa.Column("change_time", sa.DateTime(), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="mailgate_rule_name"),
    )
    op.create_index("mailgate_rule_position", "mailgate_rule", ["position"])
    op.create_table(
        "mailgate_decision",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("inbound_id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("article_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("followup_step", sa.String(length=50), nullable=True),
        sa.Column("trace", sa.Text(), nullable=False),
        sa.Column("create_time", sa.DateTime(), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inbound_id", name="mailgate_decision_inbound_id"),
    )
    op.create_index("mailgate_decision_ticket_id", "mailgate_decision", ["ticket_id"])
    op.create_table(
        "mailgate_undeliverable",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("permanent", sa.SmallInteger(), nullable=False),
        sa.Column("diagnostic", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("inbound_id", sa.BigInteger(), nullable=True),
        sa.Column("bounce_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_seen", sa.DateTime(), server_default=NOW, nullable=False),
        sa.Column("last_seen", sa.DateTime(), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address", name="mailgate_undeliverable_address"),
    )
    op.create_table(
        "mailgate_ticket_link",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=250), nullable=False),
        sa.Column("inbound_id", sa.BigInteger(), nullable=True),
        sa.Column("create_time", sa.DateTime(), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("mailgate_ticket_link_ticket_id", "mailgate_ticket_link", ["ticket_id"])
    op.create_table(
        "mailgate_ticket_tag",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("create_time", sa.DateTime(), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "tag", name="mailgate_ticket_tag_unique"),
    )
    op.create_index("mailgate_ticket_tag_tag", "mailgate_ticket_tag", ["tag"])
    op.create_table(
        "mailgate_setting",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("mailgate_setting")
    op.drop_table("mailgate_ticket_tag")
    op.drop_table("mailgate_ticket_link")
    op.drop_table("mailgate_undeliverable")
    op.drop_table("mailgate_decision")
    op.drop_table("mailgate_rule")
