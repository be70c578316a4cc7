"""The public API tried from outside with schemathesis, over the gateway's own document, as a
manager and as an administrator: no input answers 500, and no answer falls outside the document."""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from shared.testing.processes import RunningCrm, crm_run

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
# Bounded and the same on every run: the document's examples, then a few generated cases per
# operation, valid and invalid. (`st run` on a running CRM without these bounds goes deeper:
# its coverage phase alone sends some 5,000 requests.)
CONFIG = """
[generation]
max-examples = {examples}
deterministic = true

[phases.coverage]
enabled = false

[phases.stateful]
enabled = false

[parameters]
# A user's own record is left alone: changing it may deactivate the caller, or change the
# e-mail and password the run signed in with. The other caller's is changed instead.
"path.user_id" = "{other}"
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCrm]:
    """A CRM of its own: what the run creates and changes stays out of other tests' way."""
    env = {"CRM_ADMIN_EMAIL": ADMIN_EMAIL, "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with crm_run(tmp_path_factory.mktemp("schemathesis"), env) as running:
        yield running


@pytest.fixture(scope="module")
def callers(served: RunningCrm) -> dict[str, tuple[str, str]]:
    """The administrator and a manager of a group: each one's bearer token and id."""
    with httpx.Client(base_url=served.url) as client:
        admin = _sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        team = client.post("/api/teams", json={"name": "Północ"}, headers=_bearer(admin))
        body = {"email": "m@contentum.pl", "name": "Marta", "password": PASSWORD}
        body |= {"role": "manager", "team_id": team.json()["id"]}
        assert client.post("/api/users", json=body, headers=_bearer(admin)).status_code == 201
        manager = _sign_in(client, body["email"], PASSWORD)
        return {
            name: (token, client.get("/api/me", headers=_bearer(token)).json()["id"])
            for name, token in (("admin", admin), ("manager", manager))
        }


def _sign_in(client: httpx.Client, email: str, password: str) -> str:
    answer = client.post("/api/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def schemathesis_run(
    served: RunningCrm, token: str, *, other: str, scratch: Path, examples: int
) -> subprocess.CompletedProcess[str]:
    config = scratch / "schemathesis.toml"
    config.write_text(CONFIG.format(examples=examples, other=other))
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run"]
    command += [f"{served.url}/openapi.json", "--checks", CHECKS, "--workers", "2"]
    command += ["-H", f"Authorization: Bearer {token}", "--no-color"]
    # Signing out ends the caller's token: every later case would only be told to sign in.
    command += ["--exclude-path", "/api/auth/logout"]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=240, check=False, cwd=scratch
    )


# The manager first: the administrator's run changes the manager's record.
@pytest.mark.parametrize(("who", "other"), [("manager", "admin"), ("admin", "manager")])
def test_every_operation_answers_within_its_document(
    served: RunningCrm,
    callers: dict[str, tuple[str, str]],
    tmp_path: Path,
    who: str,
    other: str,
) -> None:
    token, _ = callers[who]

    run = schemathesis_run(served, token, other=callers[other][1], scratch=tmp_path, examples=4)

    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
    tried = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert tried and tried[1] == tried[2] and int(tried[1]) > 300, run.stdout[-3000:]
