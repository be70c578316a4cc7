"""Companies and contacts get an owner (from whoever added them) and who reads them is a setting;
every company, contact and deal is announced once more, so other services learn who owns it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.contracts.deals import CompanyUpdated, ContactUpdated, DealUpdated
from shared.events import Contract, new_event

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TEXT = "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"


def upgrade() -> None:
    for table in ("company", "contact"):
        op.add_column(table, sa.Column("owner_id", sa.Uuid(), nullable=True))
        # an import tool's records (not a person's id) are nobody's
        op.execute(
            f"UPDATE {table} SET owner_id = CAST(created_by AS uuid)"
            f" WHERE created_by ~ '{UUID_TEXT}'"
        )
        op.create_index(f"ix_{table}_owner_id", table, ["owner_id"])
    op.create_table(
        "customer_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("readers", sa.Text(), nullable=False, comment="sales | group"),
        sa.PrimaryKeyConstraint("id", name="pk_customer_settings"),
    )
    _announce_everything()


def _announce_everything() -> None:
    """A snapshot of every record into the outbox: the replicas of calendar, planning and
    knowledge start knowing the owners of what existed before them."""
    bind = op.get_bind()
    companies = bind.execute(
        sa.text(
            "SELECT id, name, tax_id, street, postal_code, city, country, owner_id FROM company"
        )
    )
    for row in companies:
        address = None
        if row.street or row.postal_code or row.city:
            address = {
                "street": row.street,
                "postal_code": row.postal_code,
                "city": row.city,
                "country": row.country or "PL",
            }
        data = {"company_id": row.id, "name": row.name, "tax_id": row.tax_id}
        _add(CompanyUpdated(**data, address=address, owner_id=row.owner_id), row.id)
    contacts = bind.execute(
        sa.text("SELECT id, company_id, name, position, phone, email, owner_id FROM contact")
    )
    for row in contacts:
        _add(ContactUpdated(**{"contact_id": row.id, **_without(row, "id")}), row.id)
    deals = bind.execute(
        sa.text(
            "SELECT deal.id, title, company_id, owner_id, amount, currency, expected_close_date,"
            " deal.pipeline_id, stage_id, stage.kind AS stage_kind, deal.probability,"
            " archived_at IS NOT NULL AS archived"
            " FROM deal JOIN stage ON stage.id = deal.stage_id"
        )
    )
    for row in deals:
        _add(DealUpdated(**{"deal_id": row.id, **_without(row, "id")}), row.id)


def _without(row: Any, *names: str) -> dict[str, Any]:
    return {key: value for key, value in row._mapping.items() if key not in names}


def _add(data: Contract, subject: object) -> None:
    event = new_event(data, subject=subject)
    op.get_bind().execute(
        sa.text(
            "INSERT INTO outbox (event_id, topic, key, type, envelope)"
            " VALUES (:event_id, :topic, :key, :type, CAST(:envelope AS jsonb))"
        ),
        {
            "event_id": event.id,
            "topic": data.topic,
            "key": event.subject,
            "type": event.type,
            "envelope": event.model_dump_json(),
        },
    )


def downgrade() -> None:
    op.drop_table("customer_settings")
    for table in ("contact", "company"):
        op.drop_index(f"ix_{table}_owner_id", table_name=table)
        op.drop_column(table, "owner_id")
