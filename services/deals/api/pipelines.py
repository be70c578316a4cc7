"""`/api/pipelines`: pipelines with their stages and stage requirements; `/api/fields`; lost reasons."""

from uuid import UUID

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select

from services.deals.domain.fields import RecordType
from services.deals.schemas import (
    FieldCreate,
    FieldPublic,
    LostReasonCreate,
    LostReasonPublic,
    LostReasonUpdate,
    PipelineCreate,
    PipelinePublic,
    PipelineUpdate,
    Requirements,
    StageCreate,
    StageOrder,
    StagePublic,
    StageUpdate,
)
from services.deals.tables import CustomField, LostReason
from services.deals.usecases import deal_reads, pipelines
from shared.auth import CurrentIdentity, Identity
from shared.deps import Sessions
from shared.reads import Reads, json_answer

router = APIRouter(prefix="/api", tags=["pipelines"])


def require_admin(identity: Identity) -> None:
    if identity.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an administrator may change this")


@router.get("/pipelines", response_model=list[PipelinePublic])
async def list_pipelines(reads: Reads, _: CurrentIdentity) -> Response:
    """Every pipeline with its stages, the default first."""
    return json_answer(await deal_reads.pipelines(reads))


async def _pipeline(reads: Reads, pipeline_id: UUID) -> Response:
    found = await deal_reads.pipelines(reads)
    return json_answer(next(p for p in found if p["id"] == str(pipeline_id)))


@router.post("/pipelines", status_code=status.HTTP_201_CREATED, response_model=PipelinePublic)
async def create_pipeline(
    body: PipelineCreate, sessions: Sessions, reads: Reads, identity: CurrentIdentity
) -> Response:
    require_admin(identity)
    specs = [
        pipelines.StageSpec(stage.name, stage.probability, stage.kind) for stage in body.stages
    ]
    pipeline = await pipelines.create_pipeline(sessions, name=body.name, stages=specs)
    answer = await _pipeline(reads, pipeline.id)
    answer.status_code = status.HTTP_201_CREATED
    return answer


@router.patch("/pipelines/{pipeline_id}", response_model=PipelinePublic)
async def rename_pipeline(
    pipeline_id: UUID,
    body: PipelineUpdate,
    sessions: Sessions,
    reads: Reads,
    identity: CurrentIdentity,
) -> Response:
    require_admin(identity)
    await pipelines.rename_pipeline(sessions, pipeline_id=pipeline_id, name=body.name)
    return await _pipeline(reads, pipeline_id)


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


@router.put("/pipelines/{pipeline_id}/stages/order", response_model=list[StagePublic])
async def order_stages(
    pipeline_id: UUID, body: StageOrder, sessions: Sessions, identity: CurrentIdentity
) -> list[StagePublic]:
    """Put the open stages in a new order (won and lost stay last); deals keep their stage."""
    require_admin(identity)
    stages = await pipelines.order_stages(
        sessions, pipeline_id=pipeline_id, stage_ids=body.stage_ids
    )
    return [StagePublic.model_validate(stage) for stage in stages]


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


@router.patch("/pipelines/lost-reasons/{reason_id}")
async def change_lost_reason(
    reason_id: UUID, body: LostReasonUpdate, sessions: Sessions, identity: CurrentIdentity
) -> LostReasonPublic:
    """Rename a reason, or offer it no more (`active: false`)."""
    require_admin(identity)
    reason = await pipelines.change_lost_reason(
        sessions, reason_id=reason_id, name=body.name, active=body.active
    )
    return LostReasonPublic.model_validate(reason)
