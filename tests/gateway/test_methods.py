"""HEAD and 405 as HTTP says them, through the whole CRM: the gateway's own paths, the pages
and the services' API behind it."""

import httpx


async def test_head_answers_like_get_without_a_body_everywhere(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    for path, headers in (("/healthz", {}), ("/api/deals", api), ("/api/me", api), ("/login", {})):
        got = await crm.get(path, headers=headers)
        head = await crm.head(path, headers=headers)
        assert (path, got.status_code, head.status_code) == (path, 200, 200)
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers.get("x-content-type-options") == "nosniff", path


async def test_a_method_a_path_does_not_allow_is_answered_with_every_one_it_does(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    patched = await crm.patch("/api/deals", json={}, headers=api)
    deleted = await crm.delete("/api/companies", headers=api)

    assert patched.status_code == 405
    assert {"GET", "HEAD", "POST"} <= set(patched.headers["allow"].split(", "))
    assert "PATCH" not in patched.headers["allow"]
    assert deleted.status_code == 405 and "POST" in deleted.headers["allow"]
