"""`crm import FILE`: a CSV file imported through the CRM's public API, with a progress bar."""

import asyncio
import enum
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

app = typer.Typer(add_completion=False)

Job = dict[str, Any]


class RecordType(enum.StrEnum):
    company = "company"
    contact = "contact"
    deal = "deal"


class ImportFailed(Exception):
    """The CRM refused the file or the import failed; the message says why."""


def parse_mapping(pairs: list[str] | None) -> dict[str, str] | None:
    """`["Nazwa=name", ...]` as `{"Nazwa": "name"}`; None (columns named as fields) when empty."""
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        column, equals, target = pair.rpartition("=")  # a field name never holds `=`, a column may
        if not equals or not column.strip() or not target.strip():
            raise typer.BadParameter(f"{pair!r}: COLUMN=FIELD expected", param_hint="--mapping")
        mapping[column.strip()] = target.strip()
    return mapping


def rejected_file(file: Path) -> Path:
    """Where the rejected rows go: next to the file, `deals.csv` -> `deals.rejected.csv`."""
    return file.with_name(f"{file.stem}.rejected.csv")


def _explain(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, list):  # FastAPI's shape: where (after "body") and what
        return "\n".join(
            f"{'.'.join(str(part) for part in problem['loc'][1:2])}: {problem['msg']}"
            for problem in detail
        )
    return f"HTTP {answer.status_code}: {detail or answer.text}"


async def upload(
    client: httpx.AsyncClient, file: Path, record_type: str, mapping: dict[str, str] | None
) -> Job:
    """`POST /api/imports`: the job, running."""
    form = {"record_type": record_type}
    if mapping:
        form["mapping"] = json.dumps(mapping, ensure_ascii=False)
    files = {"file": (file.name, await asyncio.to_thread(file.read_bytes), "text/csv")}
    answer = await client.post("/api/imports", data=form, files=files)
    if answer.status_code not in (201, 202):
        raise ImportFailed(_explain(answer))
    return answer.json()  # type: ignore[no-any-return]


async def follow(
    client: httpx.AsyncClient, job: Job, on_progress: Callable[[Job], None], interval: float
) -> Job:
    """Poll the job until it ends, telling `on_progress` each state; the finished job."""
    on_progress(job)
    while job["status"] == "running":
        await asyncio.sleep(interval)
        answer = await client.get(f"/api/imports/{job['id']}")
        if answer.status_code != 200:
            raise ImportFailed(_explain(answer))
        job = answer.json()
        on_progress(job)
    return job


async def import_csv(
    client: httpx.AsyncClient,
    file: Path,
    record_type: str,
    mapping: dict[str, str] | None,
    *,
    on_progress: Callable[[Job], None] = lambda job: None,
    interval: float = 0.5,
) -> tuple[Job, Path | None]:
    """Upload, wait, and save the rejected rows next to `file`; the job and where they went."""
    job = await follow(
        client, await upload(client, file, record_type, mapping), on_progress, interval
    )
    if not job["rejected"]:
        return job, None
    answer = await client.get(f"/api/imports/{job['id']}/rejected.csv")
    if answer.status_code != 200:
        raise ImportFailed(_explain(answer))
    target = rejected_file(file)
    await asyncio.to_thread(target.write_bytes, answer.content)
    return job, target


def summary(job: Job) -> str:
    """What became of the rows; contacts found again by e-mail are updated or left unchanged."""
    found_again = (
        f"{job['updated']} updated, {job['skipped']} unchanged, "
        if job.get("updated") or job.get("skipped")
        else ""
    )
    return f"{job['imported']} of {job['total']} rows imported, {found_again}{job['rejected']} rejected"


def _fail(message: str) -> NoReturn:
    print(f"crm: {message}", file=sys.stderr)
    raise SystemExit(2)


@app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the CSV file")
    ],
    token: Annotated[
        str, typer.Option(envvar="CRM_TOKEN", help="a personal API token (crm_pat_…)")
    ],
    record_type: Annotated[RecordType, typer.Option("--type", help="what the rows are")] = (
        RecordType.deal
    ),
    mapping: Annotated[
        list[str] | None,
        typer.Option(help="COLUMN=FIELD, once per column; by default columns named as fields"),
    ] = None,
    url: Annotated[str, typer.Option(envvar="CRM_URL", help="the CRM")] = "http://127.0.0.1:8000",
) -> None:
    """Import companies, contacts or deals from CSV; rejected rows go next to it (*.rejected.csv).

    Exits 0 when every row was imported, 1 when some were rejected, 2 when nothing could be.
    """
    columns = parse_mapping(mapping)
    headers = {"Authorization": f"Bearer {token}"}
    with typer.progressbar(length=1, label=f"Importing {file.name}") as bar:

        def show(job: Job) -> None:
            bar.length = max(job["total"], 1)
            bar.update(job["processed"] - bar.pos)

        async def run() -> tuple[Job, Path | None]:
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
                return await import_csv(client, file, record_type.value, columns, on_progress=show)

        try:
            job, rejected = asyncio.run(run())
        except ImportFailed as failed:
            _fail(str(failed))
        except httpx.TransportError as error:
            _fail(f"cannot reach {url}: {error}")
    typer.echo(summary(job))
    if job["status"] in ("failed", "interrupted"):
        _fail(f"the import stopped: {job['error']} (POST /api/imports/{job['id']}/resume goes on)")
    if rejected is not None:
        typer.echo(f"rejected rows, with the line and the reason: {rejected}")
        raise SystemExit(1)
