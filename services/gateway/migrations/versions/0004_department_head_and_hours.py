"""A department's head and working hours; every department announced once to the services.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.contracts.gateway import DepartmentChanged, WorkingDay
from shared.events import new_event

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NINE_TO_FIVE = [{"start": "08:00", "end": "16:00"}] * 5 + [None, None]


def upgrade() -> None:
    op.add_column("department", sa.Column("head_id", sa.Uuid()))
    op.create_foreign_key(
        "fk_department_head_id_app_user", "department", "app_user", ["head_id"], ["id"]
    )
    op.add_column(
        "department",
        sa.Column(
            "working_hours",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text(f"'{json.dumps(NINE_TO_FIVE)}'::jsonb"),
        ),
    )
    op.alter_column("department", "working_hours", server_default=None)
    # Departments made before the gateway announced them: the services learn of each once.
    for department_id, name in op.get_bind().execute(sa.text("SELECT id, name FROM department")):
        event = new_event(
            DepartmentChanged(
                department_id=department_id,
                name=name,
                head_id=None,
                working_hours=[WorkingDay(**day) if day else None for day in NINE_TO_FIVE],
            ),
            subject=department_id,
        )
        op.get_bind().execute(
            sa.text(
                "INSERT INTO outbox (event_id, topic, key, type, envelope)"
                " VALUES (:event_id, :topic, :key, :type, CAST(:envelope AS jsonb))"
            ),
            {
                "event_id": event.id,
                "topic": event.data.topic,
                "key": event.subject,
                "type": event.type,
                "envelope": event.model_dump_json(),
            },
        )


def downgrade() -> None:
    op.drop_column("department", "working_hours")
    op.drop_constraint("fk_department_head_id_app_user", "department", type_="foreignkey")
    op.drop_column("department", "head_id")
