"""Company services and requests: the catalogue with form versions, requests, their steps and
files, and replicas of departments, deals, companies and contacts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
RUNNING = "status IN ('submitted', 'accepted')"


def _replicas() -> None:
    op.create_table(
        "department",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("head_id", sa.Uuid()),
        sa.Column("working_hours", postgresql.JSONB(), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_department"),
    )
    op.create_table(
        "deal_ref",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deal_ref"),
    )
    op.create_table(
        "company_ref",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_company_ref"),
    )
    op.create_table(
        "contact_ref",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Uuid()),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact_ref"),
    )


def _catalogue() -> None:
    op.create_table(
        "service",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sla_hours", sa.Integer(), nullable=False),
        sa.Column("requesters", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_service"),
    )
    op.create_index("ix_service_department_id", "service", ["department_id"])
    op.create_table(
        "service_version",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("inputs", postgresql.JSONB(), nullable=False),
        sa.Column("outputs", postgresql.JSONB(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name="fk_service_version_service_id_service",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "number", name="pk_service_version"),
    )


def _requests() -> None:
    op.create_table(
        "service_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("service_version", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("assignee_id", sa.Uuid()),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("inputs", postgresql.JSONB(), nullable=False),
        sa.Column("outputs", postgresql.JSONB(), nullable=False),
        sa.Column("deal_id", sa.Uuid()),
        sa.Column("company_id", sa.Uuid()),
        sa.Column("contact_id", sa.Uuid()),
        sa.Column("sla_hours", sa.Integer(), nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("accepted_at", TZ),
        sa.Column("closed_at", TZ),
        sa.Column("due_at", TZ),
        sa.Column("warn_at", TZ),
        sa.Column("sla_left", sa.Integer()),
        sa.Column("warned_at", TZ),
        sa.Column("overdue_at", TZ),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name="fk_service_request_service_id_service"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_service_request"),
    )
    op.create_index(
        "ix_service_request_requester_id_submitted_at_id",
        "service_request",
        ["requester_id", "submitted_at", "id"],
    )
    op.create_index(
        "ix_service_request_department_id_status", "service_request", ["department_id", "status"]
    )
    op.create_index("ix_service_request_submitted_at_id", "service_request", ["submitted_at", "id"])
    op.create_index("ix_service_request_deal_id", "service_request", ["deal_id"])
    op.create_index(
        "ix_service_request_warn_at",
        "service_request",
        ["warn_at"],
        postgresql_where=sa.text(f"{RUNNING} AND warned_at IS NULL"),
    )
    op.create_index(
        "ix_service_request_due_at",
        "service_request",
        ["due_at"],
        postgresql_where=sa.text(f"{RUNNING} AND overdue_at IS NULL"),
    )
    op.create_table(
        "request_step",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("files", postgresql.JSONB(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name="fk_request_step_request_id_service_request",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_request_step"),
    )
    op.create_index("ix_request_step_request_id", "request_step", ["request_id"])
    op.create_table(
        "request_file",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=False),
        sa.Column("added_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name="fk_request_file_request_id_service_request",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name="fk_request_file_document_id_document"
        ),
        sa.PrimaryKeyConstraint("request_id", "document_id", name="pk_request_file"),
    )


def upgrade() -> None:
    _replicas()
    _catalogue()
    _requests()


def downgrade() -> None:
    for table in (
        "request_file",
        "request_step",
        "service_request",
        "service_version",
        "service",
        "contact_ref",
        "company_ref",
        "deal_ref",
        "department",
    ):
        op.drop_table(table)
