"""`/api/pipelines`: pipelines with their stages and stage requirements; `/api/fields`; lost reasons."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.deals.domain.fields import FieldType, RecordType
from services.deals.tables import CustomField, LostReason, Pipeline, Stage
from services.deals.usecases import pipelines
from shared.auth import CurrentIdentity, Identity
from shared.deps import Sessions

router = APIRouter(prefix="/api", tags=["pipelines"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    position: int
    probability: int
    kind: Literal["open", "won", "lost"]
    required_fields: list[str]
    completed_activity: bool
    document: bool
    no_skipping: bool
    close_date_not_past: bool


class PipelinePublic(BaseModel):
    id: UUID
    name: str
    is_default: bool
    stages: list[StagePublic]


class StageCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    probability: Annotated[int, Field(ge=0, le=100)]
    kind: Literal["open", "won", "lost"] = "open"


class PipelineCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    stages: Annotated[list[StageCreate], Field(min_length=2, max_length=30)]


class StageUpdate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    probability: Annotated[int, Field(ge=0, le=100)] | None = None


class Requirements(Strict):
    fields: list[str] = Field(
        default_factory=list,
        description="built-in or custom deal fields",
        examples=[["amount", "decision_maker"]],
    )
    completed_activity: bool = Field(
        default=False, description="a call or meeting on the deal reported as completed"
    )
    document: bool = Field(
        default=False, description="a document linked to the deal (e.g. the offer)"
    )
    no_skipping: bool = Field(default=False, description="only from the stage right before")
    close_date_not_past: bool = Field(
        default=False, description="the expected close date is today or later"
    )


class FieldCreate(Strict):
    record_type: RecordType
    key: Annotated[str, Field(min_length=1, max_length=40, examples=["decision_maker"])]
    label: Annotated[str, Field(min_length=1, max_length=100, examples=["Decision maker"])]
    type: FieldType
    options: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )


class FieldPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    record_type: RecordType
    key: str
    label: str
    type: FieldType
    options: list[str]


class LostReasonCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]


class LostReasonPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    active: bool


def require_admin(identity: Identity) -> None:
    if identity.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an administrator may change this")


@router.get("/pipelines")
async def list_pipelines(sessions: Sessions, _: CurrentIdentity) -> list[PipelinePublic]:
    async with sessions() as session:
        found = (
            await session.scalars(
                select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.name)
            )
        ).all()
        stages = (await session.scalars(select(Stage).order_by(Stage.position))).all()
    return [
        PipelinePublic(
            id=pipeline.id,
            name=pipeline.name,
            is_default=pipeline.is_default,
            stages=[
                StagePublic.model_validate(stage)
                for stage in stages
                if stage.pipeline_id == pipeline.id
            ],
        )
        for pipeline in found
    ]


@router.post("/pipelines", status_code=status.HTTP_201_CREATED)
async def create_pipeline(
    body: PipelineCreate, sessions: Sessions, identity: CurrentIdentity
) -> PipelinePublic:
    require_admin(identity)
    specs = [
        pipelines.StageSpec(stage.name, stage.probability, stage.kind) for stage in body.stages
    ]
    pipeline = await pipelines.create_pipeline(sessions, name=body.name, stages=specs)
    return next(p for p in await list_pipelines(sessions, identity) if p.id == pipeline.id)


@router.put("/pipelines/{pipeline_id}/stages/{stage_id}/requirements")
async def set_requirements(
    pipeline_id: UUID,
    stage_id: UUID,
    body: Requirements,
    sessions: Sessions,
    identity: CurrentIdentity,
) -> StagePublic:
    require_admin(identity)
    stage = await pipelines.set_requirements(
        sessions, pipeline_id=pipeline_id, stage_id=stage_id, requirements=body.model_dump()
    )
    return StagePublic.model_validate(stage)


@router.post("/pipelines/{pipeline_id}/stages", status_code=status.HTTP_201_CREATED)
async def add_stage(
    pipeline_id: UUID, body: StageCreate, sessions: Sessions, identity: CurrentIdentity
) -> StagePublic:
    """A new stage; an open one goes before the won and lost stages."""
    require_admin(identity)
    spec = pipelines.StageSpec(body.name, body.probability, body.kind)
    return StagePublic.model_validate(
        await pipelines.add_stage(sessions, pipeline_id=pipeline_id, spec=spec)
    )


@router.patch("/pipelines/{pipeline_id}/stages/{stage_id}")
async def update_stage(
    pipeline_id: UUID,
    stage_id: UUID,
    body: StageUpdate,
    sessions: Sessions,
    identity: CurrentIdentity,
) -> StagePublic:
    require_admin(identity)
    stage = await pipelines.update_stage(
        sessions,
        pipeline_id=pipeline_id,
        stage_id=stage_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return StagePublic.model_validate(stage)


@router.get("/fields")
async def list_fields(
    sessions: Sessions, _: CurrentIdentity, record_type: RecordType | None = None
) -> list[FieldPublic]:
    query = select(CustomField).order_by(CustomField.record_type, CustomField.created_at)
    if record_type:
        query = query.where(CustomField.record_type == record_type)
    async with sessions() as session:
        return [FieldPublic.model_validate(row) for row in await session.scalars(query)]


@router.post("/fields", status_code=status.HTTP_201_CREATED)
async def create_field(
    body: FieldCreate, sessions: Sessions, identity: CurrentIdentity
) -> FieldPublic:
    require_admin(identity)
    field = await pipelines.create_custom_field(
        sessions,
        record_type=body.record_type,
        key=body.key,
        label=body.label,
        type_=body.type,
        options=body.options,
    )
    return FieldPublic.model_validate(field)


@router.get("/pipelines/lost-reasons")
async def list_lost_reasons(sessions: Sessions, _: CurrentIdentity) -> list[LostReasonPublic]:
    async with sessions() as session:
        return [
            LostReasonPublic.model_validate(r)
            for r in await session.scalars(select(LostReason).order_by(LostReason.name))
        ]


@router.post("/pipelines/lost-reasons", status_code=status.HTTP_201_CREATED)
async def add_lost_reason(
    body: LostReasonCreate, sessions: Sessions, identity: CurrentIdentity
) -> LostReasonPublic:
    require_admin(identity)
    return LostReasonPublic.model_validate(
        await pipelines.add_lost_reason(sessions, name=body.name)
    )
