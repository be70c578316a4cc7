"""The `import_job` table: one CSV import, its progress for polling clients and its rejected rows."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import CheckConstraint, DateTime, Index, LargeBinary, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.deals.tables import Base


class ImportJob(Base):
    """An import of companies, contacts or deals; `processed` grows with every committed batch."""

    __tablename__ = "import_job"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    record_type: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="running")
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    # Up to the size of the file, so loaded only when asked for (not on every poll).
    rejected_csv: Mapped[str | None] = mapped_column(Text, deferred=True)
    # The file and its column mapping, kept until the job is done: an unfinished job resumes.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Written with every batch: when the job last moved.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('running', 'done', 'failed', 'interrupted')", name="status"),
        # the history: one person's imports, or everyone's (the administrator), newest first
        Index("ix_import_job_created_by_created_at_id", "created_by", "created_at", "id"),
        Index("ix_import_job_created_at_id", "created_at", "id"),
    )
