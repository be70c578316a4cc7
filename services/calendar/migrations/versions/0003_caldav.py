"""CalDAV: resource names, kept properties, change marks and tombstones for sync; changed
occurrences linked to their series; extra dates (RDATE); the owner's e-mail for ORGANIZER.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WRITTEN_IN = sa.text("pg_current_xact_id()::text::bigint")


def upgrade() -> None:
    op.add_column("member", sa.Column("email", sa.Text(), nullable=True))
    timestamps = sa.ARRAY(sa.DateTime(timezone=True))
    op.add_column("activity", sa.Column("rdates", timestamps, nullable=False, server_default="{}"))
    op.add_column(
        "activity",
        sa.Column("series_id", sa.Uuid(), sa.ForeignKey("activity.id"), nullable=True),
    )
    op.add_column("activity", sa.Column("recurrence_id", sa.DateTime(timezone=True)))
    op.add_column("activity", sa.Column("dav_name", sa.Text(), nullable=True))
    op.add_column("activity", sa.Column("dav_extra", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "activity",
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default=WRITTEN_IN),
    )
    op.add_column("activity", sa.Column("dav_body", sa.Text(), nullable=True))
    op.add_column("activity", sa.Column("dav_body_revision", sa.BigInteger(), nullable=True))
    op.create_index("ix_activity_revision", "activity", ["revision"])
    op.create_index(
        "ix_activity_series_id",
        "activity",
        ["series_id"],
        postgresql_where=sa.text("series_id IS NOT NULL"),
    )
    # Occurrences reported on before: their UID is the series' UID, '/', the start in UTC.
    op.execute(
        """
        UPDATE activity AS child
           SET series_id = series.id,
               recurrence_id = to_timestamp(
                   split_part(child.uid, '/', 2), 'YYYYMMDD"T"HH24MISS"Z"'
               )::timestamp AT TIME ZONE 'UTC'
          FROM activity AS series
         WHERE child.uid = series.uid || '/' || split_part(child.uid, '/', 2)
           AND child.owner_id = series.owner_id AND series.rrule IS NOT NULL
           AND split_part(child.uid, '/', 2) ~ '^[0-9]{8}T[0-9]{6}Z$'
        """
    )
    op.create_table(
        "dav_tombstone",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("people", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default=WRITTEN_IN),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dav_tombstone")),
    )
    op.create_index("ix_dav_tombstone_revision", "dav_tombstone", ["revision"])


def downgrade() -> None:
    op.drop_table("dav_tombstone")
    op.drop_index("ix_activity_series_id", table_name="activity")
    op.drop_index("ix_activity_revision", table_name="activity")
    for column in (
        "dav_body_revision",
        "dav_body",
        "revision",
        "dav_extra",
        "dav_name",
        "recurrence_id",
        "series_id",
        "rdates",
    ):
        op.drop_column("activity", column)
    op.drop_column("member", "email")
