"""Migration steps for the kernel's own tables, which every service's first revision creates."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_kernel_tables() -> None:
    """The outbox (events waiting to leave) and the inbox (events already applied)."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("envelope", postgresql.JSONB(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    # The relay reads only pending rows; a partial index keeps that read flat as history grows.
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], postgresql_where=sa.text("sent_at IS NULL")
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )


def drop_kernel_tables() -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")


def create_link_replicas() -> None:
    """A service's replicas of who owns deals, companies and contacts, and of who reads customers
    (`shared/links.py`): what it needs to check a reference to one of them."""
    op.create_table(
        "linked_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="deal | company | contact"),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_linked_record"),
    )
    op.create_table(
        "customer_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("readers", sa.Text(), nullable=False, comment="sales | group"),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customer_access"),
    )


def drop_link_replicas() -> None:
    op.drop_table("customer_access")
    op.drop_table("linked_record")


def create_idempotency_keys() -> None:
    """The keys of the writes made (`shared/idempotency.py`), each with its answer once known."""
    op.create_table(
        "idempotency_key",
        sa.Column("caller", sa.Text(), nullable=False, comment="the signed identity's user"),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False, comment="method, path, body"),
        sa.Column("attempt", sa.Uuid(), nullable=False, comment="which attempt made it"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("status", sa.SmallInteger(), nullable=True),
        sa.Column("headers", postgresql.JSONB(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("caller", "key", name="pk_idempotency_key"),
    )
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"])


def drop_idempotency_keys() -> None:
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
