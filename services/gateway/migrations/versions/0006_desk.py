"""The desk: each user's layout and shortcuts, and the administrator's default per role.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_layout",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("widgets", postgresql.JSONB(), nullable=True),
        sa.Column(
            "shortcuts", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_desk_layout_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_desk_layout")),
    )
    op.create_table(
        "desk_default",
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("widgets", postgresql.JSONB(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_desk_default")),
    )


def downgrade() -> None:
    op.drop_table("desk_default")
    op.drop_table("desk_layout")
