"""Pipelines, their stages and what each stage requires; lost reasons; custom fields."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.domain.fields import KEY, FieldType, RecordType
from services.deals.domain.requirements import BUILT_IN_FIELDS
from services.deals.tables import CustomField, LostReason, Pipeline, ServiceRef, Stage
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Invalid, NotFound
from shared.i18n import translate
from shared.text import N_

_FIRST_START_LOCK = 0x646C73  # "dls"


@dataclass(frozen=True)
class StageSpec:
    name: str
    probability: int
    kind: str = "open"
    required_fields: tuple[str, ...] = ()
    document: bool = False


DEFAULT_PIPELINE = N_("Sales")
DEFAULT_STAGES = (
    StageSpec(N_("Qualification"), 10),
    StageSpec(N_("Needs analysis"), 25),
    StageSpec(N_("Commercial offer sent"), 50, required_fields=("amount",), document=True),
    StageSpec(N_("Negotiation"), 75),
    StageSpec(N_("Won"), 100, kind="won"),
    StageSpec(N_("Lost"), 0, kind="lost"),
)
DEFAULT_LOST_REASONS = (
    N_("Price"),
    N_("Competitor"),
    N_("No budget"),
    N_("No decision"),
    N_("Other"),
)


async def ensure_default_pipeline(sessions: SessionFactory, *, locale: str) -> None:
    """On first start: a default pipeline and lost reasons, once, whichever replica gets there.

    They are named in `locale` (the first administrator's language) and renamed like any other.
    """
    async with unit_of_work(sessions) as session:
        await session.execute(select(func.pg_advisory_xact_lock(_FIRST_START_LOCK)))
        if await session.scalar(select(func.count()).select_from(Pipeline)):
            return
        stages = [replace(spec, name=translate(spec.name, locale)) for spec in DEFAULT_STAGES]
        await _add_pipeline(session, translate(DEFAULT_PIPELINE, locale), stages, is_default=True)
        session.add_all(LostReason(name=translate(name, locale)) for name in DEFAULT_LOST_REASONS)


async def _add_pipeline(
    session: AsyncSession, name: str, stages: Sequence[StageSpec], *, is_default: bool
) -> Pipeline:
    pipeline = Pipeline(name=name, is_default=is_default)
    session.add(pipeline)
    await session.flush()
    for position, spec in enumerate(stages, start=1):
        session.add(
            Stage(
                pipeline_id=pipeline.id,
                name=spec.name,
                position=position,
                probability=spec.probability,
                kind=spec.kind,
                required_fields=list(spec.required_fields),
                document=spec.document,
            )
        )
    await session.flush()
    return pipeline


async def create_pipeline(
    sessions: SessionFactory, *, name: str, stages: Sequence[StageSpec]
) -> Pipeline:
    """A new pipeline with its ordered stages; at least one open stage and one won stage."""
    kinds = [stage.kind for stage in stages]
    if "open" not in kinds or "won" not in kinds:
        raise Invalid({"stages": N_("a pipeline needs at least one open stage and one won stage")})
    async with unit_of_work(sessions) as session:
        if await session.scalar(
            select(Pipeline.id).where(func.lower(Pipeline.name) == name.lower())
        ):
            raise Conflict({"name": N_("a pipeline with this name exists")})
        return await _add_pipeline(session, name, stages, is_default=False)


async def deal_field_keys(session: AsyncSession) -> set[str]:
    keys = await session.scalars(select(CustomField.key).where(CustomField.record_type == "deal"))
    return set(BUILT_IN_FIELDS) | set(keys)


async def _stage_to_change(session: AsyncSession, pipeline_id: UUID, stage_id: UUID) -> Stage:
    """The stage, locked for the change; 404 unless it belongs to that pipeline."""
    stage = await session.get(Stage, stage_id, with_for_update=True)
    if stage is None or stage.pipeline_id != pipeline_id:
        raise NotFound("stage")
    return stage


async def set_requirements(
    sessions: SessionFactory, *, pipeline_id: UUID, stage_id: UUID, requirements: dict[str, Any]
) -> Stage:
    """Replace what a stage requires: fields (built-in or custom) and evidence."""
    async with unit_of_work(sessions) as session:
        stage = await _stage_to_change(session, pipeline_id, stage_id)
        known = await deal_field_keys(session)
        unknown = [name for name in requirements["fields"] if name not in known]
        if unknown:
            problem = N_("not a built-in or custom deal field")
            raise Invalid({f"fields.{name}": problem for name in unknown})
        stage.required_fields = list(dict.fromkeys(requirements["fields"]))
        for flag in ("completed_activity", "document", "no_skipping", "close_date_not_past"):
            setattr(stage, flag, requirements[flag])
        stage.service_requirements = await _service_requirements(
            session, requirements.get("services") or []
        )
    return stage


async def _service_requirements(
    session: AsyncSession, wanted: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The delivered requests a stage asks for, each naming a service (and an output) deals
    has heard of from knowledge, with a value the output may have."""
    problems: dict[str, str] = {}
    kept = []
    for position, need in enumerate(wanted):
        service = await session.get(ServiceRef, need["service_id"])
        output, value = need.get("output") or None, need.get("value")
        if service is None:
            problems[f"services.{position}.service_id"] = N_("no such service")
            continue
        outputs = {one["key"]: one for one in service.outputs}
        if output is not None and output not in outputs:
            problems[f"services.{position}.output"] = N_("the service has no such output")
        elif output is not None and value in (None, ""):
            problems[f"services.{position}.value"] = N_("say which value the output must have")
        elif (
            output is not None
            and outputs[output]["type"] == "select"
            and value not in outputs[output]["options"]
        ):
            problems[f"services.{position}.value"] = N_("one of the output's options expected")
        kept.append(
            {
                "service_id": str(need["service_id"]),
                "output": output,
                "value": value if output else None,
            }
        )
    if problems:
        raise Invalid(problems)
    return kept


async def create_custom_field(
    sessions: SessionFactory,
    *,
    record_type: RecordType,
    key: str,
    label: str,
    type_: FieldType,
    options: Sequence[str],
) -> CustomField:
    if not KEY.match(key) or key in BUILT_IN_FIELDS:
        raise Invalid({"key": N_("use lowercase letters, digits and _; not a built-in field name")})
    if type_ == "select" and not options:
        raise Invalid({"options": N_("a select field needs options")})
    async with unit_of_work(sessions) as session:
        taken = select(CustomField.id).where(
            CustomField.record_type == record_type, CustomField.key == key
        )
        if await session.scalar(taken):
            raise Conflict({"key": N_("this record type has a field with this key")})
        field = CustomField(
            record_type=record_type, key=key, label=label, type=type_, options=list(options)
        )
        session.add(field)
    return field


async def add_lost_reason(sessions: SessionFactory, *, name: str) -> LostReason:
    async with unit_of_work(sessions) as session:
        await _check_reason_name(session, name)
        reason = LostReason(name=name)
        session.add(reason)
    return reason


async def change_lost_reason(
    sessions: SessionFactory, *, reason_id: UUID, name: str | None, active: bool | None
) -> LostReason:
    """Rename a reason or offer it no more; deals lost for it keep the words they were lost for."""
    async with unit_of_work(sessions) as session:
        reason = await session.get(LostReason, reason_id, with_for_update=True)
        if reason is None:
            raise NotFound("lost reason")
        if name is not None:
            await _check_reason_name(session, name, but=reason_id)
            reason.name = name
        if active is not None:
            reason.active = active
    return reason


async def _check_reason_name(session: AsyncSession, name: str, but: UUID | None = None) -> None:
    taken = select(LostReason.id).where(func.lower(LostReason.name) == name.lower())
    if but is not None:
        taken = taken.where(LostReason.id != but)
    if await session.scalar(taken):
        raise Conflict({"name": N_("this reason is on the list")})


async def rename_pipeline(sessions: SessionFactory, *, pipeline_id: UUID, name: str) -> Pipeline:
    """Give a pipeline another name; names stay unique whatever their case."""
    async with unit_of_work(sessions) as session:
        pipeline = await session.get(Pipeline, pipeline_id, with_for_update=True)
        if pipeline is None:
            raise NotFound("pipeline")
        taken = select(Pipeline.id).where(
            func.lower(Pipeline.name) == name.lower(), Pipeline.id != pipeline_id
        )
        if await session.scalar(taken):
            raise Conflict({"name": N_("a pipeline with this name exists")})
        pipeline.name = name
    return pipeline


async def update_stage(
    sessions: SessionFactory, *, pipeline_id: UUID, stage_id: UUID, changes: dict[str, Any]
) -> Stage:
    """Rename a stage or change its default probability (deals keep their own probability)."""
    async with unit_of_work(sessions) as session:
        stage = await _stage_to_change(session, pipeline_id, stage_id)
        if "name" in changes:
            taken = select(Stage.id).where(
                Stage.pipeline_id == pipeline_id,
                func.lower(Stage.name) == changes["name"].lower(),
                Stage.id != stage_id,
            )
            if await session.scalar(taken):
                raise Conflict({"name": N_("this pipeline has a stage with this name")})
        for name, value in changes.items():
            setattr(stage, name, value)
    return stage


async def _stages_locked(session: AsyncSession, pipeline_id: UUID) -> list[Stage]:
    """The pipeline's stages in order, the pipeline locked for a change of them."""
    if await session.get(Pipeline, pipeline_id, with_for_update=True) is None:
        raise NotFound("pipeline")
    query = select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
    return list(await session.scalars(query))


async def add_stage(sessions: SessionFactory, *, pipeline_id: UUID, spec: StageSpec) -> Stage:
    """A new stage at the end of the pipeline's open stages (before won and lost)."""
    async with unit_of_work(sessions) as session:
        stages = await _stages_locked(session, pipeline_id)
        if any(s.name.lower() == spec.name.lower() for s in stages):
            raise Conflict({"name": N_("this pipeline has a stage with this name")})
        closing = [s for s in stages if s.kind != "open"] if spec.kind == "open" else []
        position = closing[0].position if closing else len(stages) + 1
        # Make room in two steps: positions are unique, and a plain +1 would collide midway.
        later = (Stage.pipeline_id == pipeline_id) & (Stage.position >= position)
        await session.execute(update(Stage).where(later).values(position=-(Stage.position + 1)))
        flipped = (Stage.pipeline_id == pipeline_id) & (Stage.position < 0)
        await session.execute(update(Stage).where(flipped).values(position=-Stage.position))
        stage = Stage(
            pipeline_id=pipeline_id,
            name=spec.name,
            position=position,
            probability=spec.probability,
            kind=spec.kind,
        )
        session.add(stage)
        await session.flush()
    return stage


async def order_stages(
    sessions: SessionFactory, *, pipeline_id: UUID, stage_ids: list[UUID]
) -> list[Stage]:
    """Put the pipeline's open stages in the order of `stage_ids` (each of them once); won and
    lost stay last. Deals keep their stage; "no skipping" counts in the new order."""
    async with unit_of_work(sessions) as session:
        stages = await _stages_locked(session, pipeline_id)
        open_ids = [stage.id for stage in stages if stage.kind == "open"]
        if sorted(stage_ids) != sorted(open_ids):  # each open stage, and each once
            raise Invalid({"stage_ids": N_("name each open stage of the pipeline once")})
        closing = [stage.id for stage in stages if stage.kind != "open"]
        wanted = {stage_id: position for position, stage_id in enumerate([*stage_ids, *closing], 1)}
        # Positions are unique: out of the way first (the loaded stages told), then into place.
        mine = Stage.pipeline_id == pipeline_id
        await session.execute(
            update(Stage).where(mine).values(position=-Stage.position),
            execution_options={"synchronize_session": "fetch"},
        )
        for stage in stages:
            stage.position = wanted[stage.id]
        await session.flush()
        stages.sort(key=lambda stage: stage.position)
    return stages
