"""Multipart uploads read as a stream: the file goes to a temporary file, never whole into memory,
and the upload is cut off as soon as it passes the size limit."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import Request
from pydantic import BeforeValidator, Field, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from services.knowledge.uploads import Staged, TooLarge, stage_file, stage_text
from services.knowledge.usecases.documents import Details, Target
from shared.errors import Invalid
from shared.links import LinkKind
from shared.schemas import Strict
from shared.text import N_

FIELDS_ALLOWANCE = 2 * 1024 * 1024  # the form's other fields and the multipart framing
MAX_PAGE = 1024 * 1024  # a page written in the CRM


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


Optional = BeforeValidator(_blank_is_none)


class UploadForm(Strict):
    """The fields sent with a file (or with `text`, a page written in Markdown)."""

    # The bound on the text alone: a blank field is None by then, which has no length.
    title: Annotated[Annotated[str, Field(max_length=300)] | None, Optional] = Field(
        default=None, description="defaults to the file's name"
    )
    description: Annotated[str, Field(max_length=5000)] = ""
    tags: Annotated[str, Field(max_length=1500, description="comma-separated")] = ""
    valid_until: Annotated[date | None, Optional] = None
    folder_id: Annotated[UUID | None, Optional] = Field(
        default=None, description="none: kept with its owner, outside the folders"
    )
    note: Annotated[str, Field(max_length=1000, description="what this version changes")] = ""
    text: Annotated[Annotated[str, Field(max_length=MAX_PAGE)] | None, Optional] = Field(
        default=None, description="a page written in Markdown, instead of a file"
    )
    deal_id: Annotated[UUID | None, Optional] = Field(default=None, description="attach it")
    company_id: Annotated[UUID | None, Optional] = None
    contact_id: Annotated[UUID | None, Optional] = None

    def details(self, file_name: str) -> Details:
        title = self.title or file_name.rsplit(".", 1)[0] or file_name
        tags = tuple(dict.fromkeys(t.strip() for t in self.tags.split(",") if t.strip()))
        if any(len(tag) > 50 for tag in tags) or len(tags) > 30:
            raise Invalid({"tags": N_("at most 30 tags of up to 50 characters")})
        return Details(title[:300], self.description, tags, self.valid_until)

    def target(self) -> Target | None:
        named: tuple[tuple[LinkKind, UUID | None], ...] = (
            ("deal", self.deal_id),
            ("company", self.company_id),
            ("contact", self.contact_id),
        )
        for kind, id_ in named:
            if id_ is not None:
                return Target(kind, id_)
        return None


def openapi_body(required: list[str]) -> dict[str, Any]:
    """The multipart body for the OpenAPI document: the file and the form's fields."""
    schema = UploadForm.model_json_schema()
    schema["properties"]["file"] = {"type": "string", "format": "binary"}
    schema["required"] = required
    return {
        "requestBody": {"content": {"multipart/form-data": {"schema": schema}}, "required": True}
    }


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise TooLarge({"file": N_("the file is larger than the limit")})
        yield chunk


@dataclass(frozen=True)
class Received:
    """An upload's fields and its content: a file, a written page (`page`), or nothing."""

    form: UploadForm
    content: Staged | None
    page: bool = False


async def read_upload(request: Request, *, limit: int) -> Received:
    """The form's fields and its file, received, hashed and sniffed (or its written page)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FIELDS_ALLOWANCE:
        raise TooLarge({"file": N_("the file is larger than the limit")})
    stream = _limited(request, limit + FIELDS_ALLOWANCE)
    content_type = request.headers.get("content-type", "")
    parser: MultiPartParser | FormParser
    if content_type.startswith("multipart/form-data"):
        parser = MultiPartParser(
            request.headers, stream, max_files=1, max_fields=30, max_part_size=MAX_PAGE * 2
        )
    elif content_type.startswith("application/x-www-form-urlencoded"):  # a page, no file
        parser = FormParser(request.headers, stream)
    else:
        raise Invalid({"file": N_("send the file as multipart/form-data")})
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise Invalid({"file": str(error)}) from None
    return await _staged(form, limit)


async def _staged(form: FormData, limit: int) -> Received:
    upload = form.get("file")
    fields = {key: value for key, value in form.items() if key != "file" and isinstance(value, str)}
    try:
        parsed = UploadForm.model_validate(fields)
    except ValidationError as error:
        raise Invalid({str(p["loc"][0]): p["msg"] for p in error.errors()}) from None
    if isinstance(upload, UploadFile):
        return Received(
            parsed, await stage_file(upload.file, upload.filename or "file", limit=limit)
        )
    if parsed.text is not None:
        name = f"{(parsed.title or 'page')[:100]}.md"
        return Received(parsed, stage_text(parsed.text, name), page=True)
    return Received(parsed, None)
