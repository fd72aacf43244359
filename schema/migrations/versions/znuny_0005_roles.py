"""Znuny tables roles, role_user and group_role (fresh installs only).

Agents' permissions in a group also come through the valid roles they hold (role_user, then the role's
group_role rows with permission_value 1). A Znuny database that mailgate attaches to already has all
three, so, like znuny_0001, this runs on fresh installs only. Columns, indexes and foreign keys are
Znuny's (schema.postgresql.sql and schema-post.postgresql.sql); role_user.role_id has no foreign key
in Znuny, so none here either.

Revision ID: znuny_0005
Revises: znuny_0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "znuny_0005"
down_revision = "znuny_0004"
branch_labels = None
depends_on = None

TIMESTAMP0 = sa.DateTime().with_variant(postgresql.TIMESTAMP(precision=0), "postgresql")
BIGSERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_id", initially="IMMEDIATE", deferrable=True
    )


def _audit(table: str) -> list[sa.Column[object] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        _fk(table, "create_by", "users"),
        _fk(table, "change_by", "users"),
    ]


def upgrade() -> None:
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.String(length=250), nullable=True),
        sa.Column("valid_id", sa.SmallInteger(), nullable=False),
        *_audit("roles"),
        _fk("roles", "valid_id", "valid"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="roles_name"),
    )
    op.create_table(
        "role_user",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        *_audit("role_user"),
        _fk("role_user", "user_id", "users"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("role_user_role_id", "role_user", ["role_id"], unique=False)
    op.create_index("role_user_user_id", "role_user", ["user_id"], unique=False)
    op.create_table(
        "group_role",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("permission_key", sa.String(length=20), nullable=False),
        sa.Column("permission_value", sa.SmallInteger(), nullable=False),
        *_audit("group_role"),
        _fk("group_role", "role_id", "roles"),
        _fk("group_role", "group_id", "permission_groups"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("group_role_group_id", "group_role", ["group_id"], unique=False)
    op.create_index("group_role_role_id", "group_role", ["role_id"], unique=False)


def downgrade() -> None:
    op.drop_table("group_role")
    op.drop_table("role_user")
    op.drop_table("roles")
