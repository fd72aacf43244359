"""Indexes on lower(email) and lower(login) of customer_user (fresh installs only).

The pipeline looks customers up by sender address and the notifier by login, case-insensitively as
Znuny's database customer backend does; without these every lookup reads the whole table (about
0.2 s at 100,000 customers). On Znuny's own table, so, like znuny_0004, this runs on fresh installs
only; an attached Znuny database gets them with `mailgate init --search-indexes` (CONCURRENTLY).

Revision ID: znuny_0006
Revises: znuny_0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "znuny_0006"
down_revision = "znuny_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("mailgate_customer_user_email", "customer_user", [sa.text("lower(email)")])
    op.create_index("mailgate_customer_user_login", "customer_user", [sa.text("lower(login)")])


def downgrade() -> None:
    op.drop_index("mailgate_customer_user_login", table_name="customer_user")
    op.drop_index("mailgate_customer_user_email", table_name="customer_user")
