"""Activities, their alarms, iCalendar feeds, outcome types and the user and group replicas.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False, comment="iCalendar UID, kept from imports"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("participant_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("rrule", sa.Text(), nullable=True),
        sa.Column("exdates", sa.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column(
            "recurs_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="end of the last occurrence; null: recurs forever",
        ),
        sa.Column("reminders", sa.ARRAY(sa.Integer()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        sa.UniqueConstraint("owner_id", "uid", name="uq_activity_owner_uid"),
    )
    op.create_index(
        "ix_activity_awaiting_outcome",
        "activity",
        ["owner_id", "ends_at"],
        unique=False,
        postgresql_where=sa.text("status = 'scheduled' AND rrule IS NULL"),
    )
    op.create_index(op.f("ix_activity_deal_id"), "activity", ["deal_id"], unique=False)
    op.create_index(
        "ix_activity_owner_starts_at", "activity", ["owner_id", "starts_at"], unique=False
    )
    op.create_index(
        "ix_activity_participant_ids",
        "activity",
        ["participant_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_activity_starts_at_id", "activity", ["starts_at", "id"], unique=False)
    op.create_table(
        "feed",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True, comment="a group feed; null: personal"),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feed_token_hash")),
    )
    op.create_index("ix_feed_owner_id", "feed", ["owner_id"], unique=False)
    op.create_table(
        "member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_index(op.f("ix_member_team_id"), "member", ["team_id"], unique=False)
    op.create_table(
        "outcome_type",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_outcome_type")),
    )
    op.create_table(
        "reminder_default",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("minutes", sa.ARRAY(sa.Integer()), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_reminder_default")),
    )
    op.create_table(
        "team",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("head_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
    )
    op.create_index(op.f("ix_team_parent_id"), "team", ["parent_id"], unique=False)
    op.create_table(
        "alarm",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="reminder | outcome | escalation"),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurrence_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes_before", sa.Integer(), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_alarm_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm")),
    )
    op.create_index("ix_alarm_activity_id", "alarm", ["activity_id"], unique=False)
    op.create_index(
        "ix_alarm_due",
        "alarm",
        ["fire_at"],
        unique=False,
        postgresql_where=sa.text("fired_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_alarm_due", table_name="alarm", postgresql_where=sa.text("fired_at IS NULL"))
    op.drop_index("ix_alarm_activity_id", table_name="alarm")
    op.drop_table("alarm")
    op.drop_index(op.f("ix_team_parent_id"), table_name="team")
    op.drop_table("team")
    op.drop_table("reminder_default")
    op.drop_table("outcome_type")
    op.drop_index(op.f("ix_member_team_id"), table_name="member")
    op.drop_table("member")
    op.drop_index("ix_feed_owner_id", table_name="feed")
    op.drop_table("feed")
    op.drop_index("ix_activity_starts_at_id", table_name="activity")
    op.drop_index("ix_activity_participant_ids", table_name="activity", postgresql_using="gin")
    op.drop_index("ix_activity_owner_starts_at", table_name="activity")
    op.drop_index(op.f("ix_activity_deal_id"), table_name="activity")
    op.drop_index(
        "ix_activity_awaiting_outcome",
        table_name="activity",
        postgresql_where=sa.text("status = 'scheduled' AND rrule IS NULL"),
    )
    op.drop_table("activity")
