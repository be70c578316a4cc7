"""Contacts, pipelines and stages with requirements, deals, custom fields, the timeline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_field",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field")),
        sa.UniqueConstraint("record_type", "key", name=op.f("uq_custom_field_record_type")),
    )
    op.create_table(
        "lost_reason",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lost_reason")),
        sa.UniqueConstraint("name", name=op.f("uq_lost_reason_name")),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_index(op.f("ix_member_team_id"), "member", ["team_id"], unique=False)
    op.create_table(
        "pipeline",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline")),
        sa.UniqueConstraint("name", name=op.f("uq_pipeline_name")),
    )
    op.create_table(
        "contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_contact_company_id_company")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
    )
    op.create_index(op.f("ix_contact_company_id"), "contact", ["company_id"], unique=False)
    op.create_index("ix_contact_name_id", "contact", ["name", "id"], unique=False)
    op.create_table(
        "stage",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("required_fields", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("completed_activity", sa.Boolean(), nullable=False),
        sa.Column("document", sa.Boolean(), nullable=False),
        sa.Column("no_skipping", sa.Boolean(), nullable=False),
        sa.Column("close_date_not_past", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipeline.id"],
            name=op.f("fk_stage_pipeline_id_pipeline"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage")),
        sa.UniqueConstraint("pipeline_id", "position", name=op.f("uq_stage_pipeline_id")),
    )
    op.create_table(
        "deal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column(
            "stage_entered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_deal_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipeline.id"], name=op.f("fk_deal_pipeline_id_pipeline")
        ),
        sa.ForeignKeyConstraint(["stage_id"], ["stage.id"], name=op.f("fk_deal_stage_id_stage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal")),
    )
    op.create_index(op.f("ix_deal_company_id"), "deal", ["company_id"], unique=False)
    op.create_index("ix_deal_created_at_id", "deal", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_deal_owner_id_created_at_id", "deal", ["owner_id", "created_at", "id"], unique=False
    )
    op.create_index("ix_deal_updated_at_id", "deal", ["updated_at", "id"], unique=False)
    op.create_index("ix_deal_title_id", "deal", ["title", "id"], unique=False)
    op.create_index(
        "ix_deal_owner_id_stage_id_created_at_id",
        "deal",
        ["owner_id", "stage_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_deal_stage_id"), "deal", ["stage_id"], unique=False)
    op.create_index(
        "ix_deal_stage_id_created_at_id", "deal", ["stage_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "deal_tally",
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["stage.id"],
            name=op.f("fk_deal_tally_stage_id_stage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stage_id", "owner_id", "currency", name=op.f("pk_deal_tally")),
    )
    op.create_table(
        "deal_contact",
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_deal_contact_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deal.id"], name=op.f("fk_deal_contact_deal_id_deal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("deal_id", "contact_id", name=op.f("pk_deal_contact")),
    )
    op.create_table(
        "deal_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deal.id"], name=op.f("fk_deal_document_deal_id_deal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_document")),
    )
    op.create_index(op.f("ix_deal_document_deal_id"), "deal_document", ["deal_id"], unique=False)
    op.create_table(
        "timeline_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_timeline_entry_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deal.id"],
            name=op.f("fk_timeline_entry_deal_id_deal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_entry")),
        sa.UniqueConstraint("source_id", name=op.f("uq_timeline_entry_source_id")),
    )
    op.create_index(
        "ix_timeline_entry_company_id_at", "timeline_entry", ["company_id", "at"], unique=False
    )
    op.create_index(
        "ix_timeline_entry_deal_id_at", "timeline_entry", ["deal_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_entry_deal_id_at", table_name="timeline_entry")
    op.drop_index("ix_timeline_entry_company_id_at", table_name="timeline_entry")
    op.drop_table("timeline_entry")
    op.drop_index(op.f("ix_deal_document_deal_id"), table_name="deal_document")
    op.drop_table("deal_document")
    op.drop_table("deal_contact")
    op.drop_table("deal_tally")
    op.drop_index("ix_deal_stage_id_created_at_id", table_name="deal")
    op.drop_index(op.f("ix_deal_stage_id"), table_name="deal")
    op.drop_index("ix_deal_owner_id_stage_id_created_at_id", table_name="deal")
    op.drop_index("ix_deal_title_id", table_name="deal")
    op.drop_index("ix_deal_updated_at_id", table_name="deal")
    op.drop_index("ix_deal_owner_id_created_at_id", table_name="deal")
    op.drop_index("ix_deal_created_at_id", table_name="deal")
    op.drop_index(op.f("ix_deal_company_id"), table_name="deal")
    op.drop_table("deal")
    op.drop_table("stage")
    op.drop_index("ix_contact_name_id", table_name="contact")
    op.drop_index(op.f("ix_contact_company_id"), table_name="contact")
    op.drop_table("contact")
    op.drop_table("pipeline")
    op.drop_index(op.f("ix_member_team_id"), table_name="member")
    op.drop_table("member")
    op.drop_table("lost_reason")
    op.drop_table("custom_field")
