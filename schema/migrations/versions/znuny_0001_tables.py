"""Znuny tables: the 33 tables of Znuny 6.5/7 that mailgate uses, as scripts/database/schema.postgresql.sql
defines them, with the foreign keys of schema-post.postgresql.sql between them.

Revision ID: znuny_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "znuny_0001"
down_revision = None
branch_labels = ("znuny",)
depends_on = None

TIMESTAMP0 = sa.DateTime().with_variant(postgresql.TIMESTAMP(precision=0), "postgresql")
BIGSERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "postmaster_filter",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("f_name", sa.String(length=200), nullable=False),
        sa.Column("f_stop", sa.SmallInteger(), nullable=True),
        sa.Column("f_type", sa.String(length=20), nullable=False),
        sa.Column("f_key", sa.String(length=200), nullable=False),
        sa.Column("f_value", sa.String(length=200), nullable=False),
        sa.Column("f_not", sa.SmallInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("postmaster_filter_f_name", "postmaster_filter", ["f_name"], unique=False)
    op.create_table(
        "ticket_number_counter",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.Column("counter_uid", sa.String(length=32), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("counter_uid", name="ticket_number_counter_uid"),
    )
    op.create_index(
        "ticket_number_counter_create_time", "ticket_number_counter", ["create_time"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("pw", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=50), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"], ["users.id"], name="fk_users_change_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["create_by"], ["users.id"], name="fk_users_create_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_users_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login", name="users_login"),
    )
    op.create_table(
        "sla",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("calendar_name", sa.String(length=100), nullable=True),
        sa.Column("first_response_time", sa.Integer(), nullable=False),
        sa.Column("first_response_notify", sa.SmallInteger(), nullable=True),
        sa.Column("update_time", sa.Integer(), nullable=False),
        sa.Column("update_notify", sa.SmallInteger(), nullable=True),
        sa.Column("solution_time", sa.Integer(), nullable=False),
        sa.Column("solution_notify", sa.SmallInteger(), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"], ["users.id"], name="fk_sla_change_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["create_by"], ["users.id"], name="fk_sla_create_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="sla_name"),
    )
    op.create_table(
        "ticket_priority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("color", sa.String(length=25), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_ticket_priority_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_ticket_priority_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="ticket_priority_name"),
    )
    op.create_table(
        "ticket_state_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_ticket_state_type_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_ticket_state_type_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="ticket_state_type_name"),
    )
    op.create_table(
        "valid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"], ["users.id"], name="fk_valid_change_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["create_by"], ["users.id"], name="fk_valid_create_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="valid_name"),
    )
    if op.get_context().dialect.supports_alter:
        # SQLite cannot ALTER TABLE ADD CONSTRAINT; there the key was created inline with users
        op.create_foreign_key(
            "fk_users_valid_id_id",
            "users",
            "valid",
            ["valid_id"],
            ["id"],
            deferrable=True,
            initially="IMMEDIATE",
        )
    op.create_table(
        "article_sender_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_article_sender_type_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_article_sender_type_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_article_sender_type_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="article_sender_type_name"),
    )
    op.create_table(
        "auto_response_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_auto_response_type_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_auto_response_type_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_auto_response_type_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="auto_response_type_name"),
    )
    op.create_table(
        "communication_channel",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("module", sa.String(length=200), nullable=False),
        sa.Column("package_name", sa.String(length=200), nullable=False),
        sa.Column("channel_data", sa.Text(), nullable=False),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_communication_channel_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_communication_channel_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_communication_channel_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="communication_channel_name"),
    )
    op.create_table(
        "customer_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=150), nullable=False),
        sa.Column("customer_id", sa.String(length=150), nullable=False),
        sa.Column("pw", sa.String(length=128), nullable=True),
        sa.Column("title", sa.String(length=50), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=150), nullable=True),
        sa.Column("fax", sa.String(length=150), nullable=True),
        sa.Column("mobile", sa.String(length=150), nullable=True),
        sa.Column("street", sa.String(length=150), nullable=True),
        sa.Column("zip", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_customer_user_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_customer_user_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_customer_user_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login", name="customer_user_login"),
    )
    op.create_table(
        "follow_up_possible",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_follow_up_possible_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_follow_up_possible_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_follow_up_possible_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="follow_up_possible_name"),
    )
    op.create_table(
        "mail_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("pw", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("account_type", sa.String(length=20), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("trusted", sa.SmallInteger(), nullable=False),
        sa.Column("imap_folder", sa.String(length=250), nullable=True),
        sa.Column("authentication_type", sa.String(length=100), server_default="password", nullable=False),
        sa.Column("oauth2_token_config_id", sa.Integer(), nullable=True),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_mail_account_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_mail_account_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_mail_account_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "permission_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_permission_groups_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_permission_groups_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_permission_groups_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="groups_name"),
    )
    op.create_table(
        "salutation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=3000), nullable=False),
        sa.Column("content_type", sa.String(length=250), nullable=True),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_salutation_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_salutation_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_salutation_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="salutation_name"),
    )
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=3000), nullable=False),
        sa.Column("content_type", sa.String(length=250), nullable=True),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_signature_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_signature_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_signature_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="signature_name"),
    )
    op.create_table(
        "standard_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("content_type", sa.String(length=250), nullable=True),
        sa.Column("template_type", sa.String(length=250), server_default="Answer", nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_standard_template_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_standard_template_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_standard_template_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="standard_template_name"),
    )
    op.create_table(
        "system_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value0", sa.String(length=200), nullable=False),
        sa.Column("value1", sa.String(length=200), nullable=False),
        sa.Column("value2", sa.String(length=200), nullable=True),
        sa.Column("value3", sa.String(length=200), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_system_address_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_system_address_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_system_address_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ticket_history_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_ticket_history_type_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_ticket_history_type_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_ticket_history_type_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="ticket_history_type_name"),
    )
    op.create_table(
        "ticket_lock_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_ticket_lock_type_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_ticket_lock_type_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_ticket_lock_type_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="ticket_lock_type_name"),
    )
    op.create_table(
        "ticket_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("type_id", sa.SmallInteger(), nullable=False),
        sa.Column("color", sa.String(length=25), nullable=False),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_ticket_state_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_ticket_state_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["ticket_state_type.id"],
            name="fk_ticket_state_type_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_ticket_state_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="ticket_state_name"),
    )
    op.create_table(
        "ticket_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_ticket_type_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_ticket_type_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_ticket_type_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="ticket_type_name"),
    )
    op.create_table(
        "auto_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text0", sa.String(length=6000), nullable=True),
        sa.Column("text1", sa.String(length=6000), nullable=True),
        sa.Column("type_id", sa.SmallInteger(), nullable=False),
        sa.Column("system_address_id", sa.SmallInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=250), nullable=True),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_auto_response_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_auto_response_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["system_address_id"],
            ["system_address.id"],
            name="fk_auto_response_system_address_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["auto_response_type.id"],
            name="fk_auto_response_type_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"],
            ["valid.id"],
            name="fk_auto_response_valid_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="auto_response_name"),
    )
    op.create_table(
        "group_user",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("permission_key", sa.String(length=20), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_group_user_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_group_user_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["permission_groups.id"],
            name="fk_group_user_group_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_group_user_user_id_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("group_user_group_id", "group_user", ["group_id"], unique=False)
    op.create_index("group_user_user_id", "group_user", ["user_id"], unique=False)
    op.create_table(
        "queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("unlock_timeout", sa.Integer(), nullable=True),
        sa.Column("first_response_time", sa.Integer(), nullable=True),
        sa.Column("first_response_notify", sa.SmallInteger(), nullable=True),
        sa.Column("update_time", sa.Integer(), nullable=True),
        sa.Column("update_notify", sa.SmallInteger(), nullable=True),
        sa.Column("solution_time", sa.Integer(), nullable=True),
        sa.Column("solution_notify", sa.SmallInteger(), nullable=True),
        sa.Column("system_address_id", sa.SmallInteger(), nullable=False),
        sa.Column("calendar_name", sa.String(length=100), nullable=True),
        sa.Column("default_sign_key", sa.String(length=100), nullable=True),
        sa.Column("salutation_id", sa.SmallInteger(), nullable=False),
        sa.Column("signature_id", sa.SmallInteger(), nullable=False),
        sa.Column("follow_up_id", sa.SmallInteger(), nullable=False),
        sa.Column("follow_up_lock", sa.SmallInteger(), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"], ["users.id"], name="fk_queue_change_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["create_by"], ["users.id"], name="fk_queue_create_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_up_possible.id"],
            name="fk_queue_follow_up_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["permission_groups.id"],
            name="fk_queue_group_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["salutation_id"],
            ["salutation.id"],
            name="fk_queue_salutation_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
            name="fk_queue_signature_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["system_address_id"],
            ["system_address.id"],
            name="fk_queue_system_address_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["valid_id"], ["valid.id"], name="fk_queue_valid_id_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="queue_name"),
    )
    op.create_index("queue_group_id", "queue", ["group_id"], unique=False)
    op.create_table(
        "queue_auto_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("auto_response_id", sa.Integer(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["auto_response_id"],
            ["auto_response.id"],
            name="fk_queue_auto_response_auto_response_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_queue_auto_response_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_queue_auto_response_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queue.id"],
            name="fk_queue_auto_response_queue_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ticket",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("tn", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("ticket_lock_id", sa.SmallInteger(), nullable=False),
        sa.Column("type_id", sa.SmallInteger(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("sla_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("responsible_user_id", sa.Integer(), nullable=False),
        sa.Column("ticket_priority_id", sa.SmallInteger(), nullable=False),
        sa.Column("ticket_state_id", sa.SmallInteger(), nullable=False),
        sa.Column("customer_id", sa.String(length=150), nullable=True),
        sa.Column("customer_user_id", sa.String(length=250), nullable=True),
        sa.Column("timeout", sa.Integer(), nullable=False),
        sa.Column("until_time", sa.Integer(), nullable=False),
        sa.Column("escalation_time", sa.Integer(), nullable=False),
        sa.Column("escalation_update_time", sa.Integer(), nullable=False),
        sa.Column("escalation_response_time", sa.Integer(), nullable=False),
        sa.Column("escalation_solution_time", sa.Integer(), nullable=False),
        sa.Column("archive_flag", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_by"], ["users.id"], name="fk_ticket_change_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["create_by"], ["users.id"], name="fk_ticket_create_by_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queue.id"], name="fk_ticket_queue_id_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["responsible_user_id"],
            ["users.id"],
            name="fk_ticket_responsible_user_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["sla_id"], ["sla.id"], name="fk_ticket_sla_id_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.ForeignKeyConstraint(
            ["ticket_lock_id"],
            ["ticket_lock_type.id"],
            name="fk_ticket_ticket_lock_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["ticket_priority_id"],
            ["ticket_priority.id"],
            name="fk_ticket_ticket_priority_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["ticket_state_id"],
            ["ticket_state.id"],
            name="fk_ticket_ticket_state_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["ticket_type.id"],
            name="fk_ticket_type_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_ticket_user_id_id", initially="IMMEDIATE", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tn", name="ticket_tn"),
    )
    op.create_index("ticket_archive_flag", "ticket", ["archive_flag"], unique=False)
    op.create_index("ticket_create_time", "ticket", ["create_time"], unique=False)
    op.create_index("ticket_customer_id", "ticket", ["customer_id"], unique=False)
    op.create_index("ticket_customer_user_id", "ticket", ["customer_user_id"], unique=False)
    op.create_index("ticket_escalation_response_time", "ticket", ["escalation_response_time"], unique=False)
    op.create_index("ticket_escalation_solution_time", "ticket", ["escalation_solution_time"], unique=False)
    op.create_index("ticket_escalation_time", "ticket", ["escalation_time"], unique=False)
    op.create_index("ticket_escalation_update_time", "ticket", ["escalation_update_time"], unique=False)
    op.create_index("ticket_queue_id", "ticket", ["queue_id"], unique=False)
    op.create_index("ticket_queue_view", "ticket", ["ticket_state_id", "ticket_lock_id"], unique=False)
    op.create_index("ticket_responsible_user_id", "ticket", ["responsible_user_id"], unique=False)
    op.create_index("ticket_ticket_lock_id", "ticket", ["ticket_lock_id"], unique=False)
    op.create_index("ticket_ticket_priority_id", "ticket", ["ticket_priority_id"], unique=False)
    op.create_index("ticket_ticket_state_id", "ticket", ["ticket_state_id"], unique=False)
    op.create_index("ticket_timeout", "ticket", ["timeout"], unique=False)
    op.create_index("ticket_title", "ticket", ["title"], unique=False)
    op.create_index("ticket_type_id", "ticket", ["type_id"], unique=False)
    op.create_index("ticket_until_time", "ticket", ["until_time"], unique=False)
    op.create_index("ticket_user_id", "ticket", ["user_id"], unique=False)
    op.create_table(
        "article",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("article_sender_type_id", sa.SmallInteger(), nullable=False),
        sa.Column("communication_channel_id", sa.BigInteger(), nullable=False),
        sa.Column("is_visible_for_customer", sa.SmallInteger(), nullable=False),
        sa.Column(
            "search_index_needs_rebuild", sa.SmallInteger(), server_default=sa.text("1"), nullable=False
        ),
        sa.Column("insert_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_sender_type_id"],
            ["article_sender_type.id"],
            name="fk_article_article_sender_type_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_article_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["communication_channel_id"],
            ["communication_channel.id"],
            name="fk_article_communication_channel_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_article_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name="fk_article_ticket_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("article_article_sender_type_id", "article", ["article_sender_type_id"], unique=False)
    op.create_index("article_communication_channel_id", "article", ["communication_channel_id"], unique=False)
    op.create_index(
        "article_search_index_needs_rebuild", "article", ["search_index_needs_rebuild"], unique=False
    )
    op.create_index("article_ticket_id", "article", ["ticket_id"], unique=False)
    op.create_table(
        "article_data_mime",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("a_from", sa.String(), nullable=True),
        sa.Column("a_reply_to", sa.String(), nullable=True),
        sa.Column("a_to", sa.String(), nullable=True),
        sa.Column("a_cc", sa.String(), nullable=True),
        sa.Column("a_bcc", sa.String(), nullable=True),
        sa.Column("a_subject", sa.String(length=3800), nullable=True),
        sa.Column("a_message_id", sa.String(length=3800), nullable=True),
        sa.Column("a_message_id_md5", sa.String(length=32), nullable=True),
        sa.Column("a_in_reply_to", sa.String(), nullable=True),
        sa.Column("a_references", sa.String(), nullable=True),
        sa.Column("a_content_type", sa.String(length=250), nullable=True),
        sa.Column("a_body", sa.String(), nullable=True),
        sa.Column("incoming_time", sa.Integer(), nullable=False),
        sa.Column("content_path", sa.String(length=250), nullable=True),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name="fk_article_data_mime_article_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_article_data_mime_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_article_data_mime_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("article_data_mime_article_id", "article_data_mime", ["article_id"], unique=False)
    op.create_index(
        "article_data_mime_message_id_md5", "article_data_mime", ["a_message_id_md5"], unique=False
    )
    op.create_table(
        "article_data_mime_attachment",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=250), nullable=True),
        sa.Column("content_size", sa.String(length=30), nullable=True),
        sa.Column("content_type", sa.String(length=450), nullable=True),
        sa.Column("content_id", sa.String(length=250), nullable=True),
        sa.Column("content_alternative", sa.String(length=50), nullable=True),
        sa.Column("disposition", sa.String(length=15), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name="fk_article_data_mime_attachment_article_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_article_data_mime_attachment_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_article_data_mime_attachment_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "article_data_mime_attachment_article_id",
        "article_data_mime_attachment",
        ["article_id"],
        unique=False,
    )
    op.create_table(
        "article_data_mime_plain",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name="fk_article_data_mime_plain_article_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_article_data_mime_plain_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_article_data_mime_plain_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "article_data_mime_plain_article_id", "article_data_mime_plain", ["article_id"], unique=False
    )
    op.create_table(
        "mail_queue",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("insert_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("article_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=True),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("raw_message", sa.Text(), nullable=False),
        sa.Column("due_time", TIMESTAMP0, nullable=True),
        sa.Column("last_smtp_code", sa.Integer(), nullable=True),
        sa.Column("last_smtp_message", sa.String(), nullable=True),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name="fk_mail_queue_article_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", name="mail_queue_article_id"),
        sa.UniqueConstraint("insert_fingerprint", name="mail_queue_insert_fingerprint"),
    )
    op.create_index("mail_queue_attempts", "mail_queue", ["attempts"], unique=False)
    op.create_table(
        "ticket_history",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("history_type_id", sa.SmallInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=True),
        sa.Column("type_id", sa.SmallInteger(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("priority_id", sa.SmallInteger(), nullable=False),
        sa.Column("state_id", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name="fk_ticket_history_article_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["change_by"],
            ["users.id"],
            name="fk_ticket_history_change_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["create_by"],
            ["users.id"],
            name="fk_ticket_history_create_by_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["history_type_id"],
            ["ticket_history_type.id"],
            name="fk_ticket_history_history_type_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name="fk_ticket_history_owner_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["priority_id"],
            ["ticket_priority.id"],
            name="fk_ticket_history_priority_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queue.id"],
            name="fk_ticket_history_queue_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["state_id"],
            ["ticket_state.id"],
            name="fk_ticket_history_state_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name="fk_ticket_history_ticket_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["ticket_type.id"],
            name="fk_ticket_history_type_id_id",
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ticket_history_article_id", "ticket_history", ["article_id"], unique=False)
    op.create_index("ticket_history_create_time", "ticket_history", ["create_time"], unique=False)
    op.create_index("ticket_history_history_type_id", "ticket_history", ["history_type_id"], unique=False)
    op.create_index("ticket_history_owner_id", "ticket_history", ["owner_id"], unique=False)
    op.create_index("ticket_history_priority_id", "ticket_history", ["priority_id"], unique=False)
    op.create_index("ticket_history_queue_id", "ticket_history", ["queue_id"], unique=False)
    op.create_index("ticket_history_state_id", "ticket_history", ["state_id"], unique=False)
    op.create_index("ticket_history_ticket_id", "ticket_history", ["ticket_id"], unique=False)
    op.create_index("ticket_history_type_id", "ticket_history", ["type_id"], unique=False)


def downgrade() -> None:
    if op.get_context().dialect.supports_alter:
        op.drop_constraint("fk_users_valid_id_id", "users", type_="foreignkey")
    else:
        # SQLite empties each dropped table first; the seeded rows reference each other in a cycle
        op.execute("PRAGMA defer_foreign_keys = ON")
    op.drop_table("ticket_history")
    op.drop_table("mail_queue")
    op.drop_table("article_data_mime_plain")
    op.drop_table("article_data_mime_attachment")
    op.drop_table("article_data_mime")
    op.drop_table("article")
    op.drop_table("ticket")
    op.drop_table("queue_auto_response")
    op.drop_table("queue")
    op.drop_table("group_user")
    op.drop_table("auto_response")
    op.drop_table("ticket_type")
    op.drop_table("ticket_state")
    op.drop_table("ticket_lock_type")
    op.drop_table("ticket_history_type")
    op.drop_table("system_address")
    op.drop_table("standard_template")
    op.drop_table("signature")
    op.drop_table("salutation")
    op.drop_table("permission_groups")
    op.drop_table("mail_account")
    op.drop_table("follow_up_possible")
    op.drop_table("customer_user")
    op.drop_table("communication_channel")
    op.drop_table("auto_response_type")
    op.drop_table("article_sender_type")
    op.drop_table("valid")
    op.drop_table("ticket_state_type")
    op.drop_table("ticket_priority")
    op.drop_table("sla")
    op.drop_table("users")
    op.drop_table("ticket_number_counter")
    op.drop_table("postmaster_filter")
