"""Conditional requests (RFC 9110 §13): whether an `If-None-Match` header names a current ETag."""


def none_match_hits(if_none_match: str | None, etag: str) -> bool:
    """Whether `if_none_match` holds `etag` (compared weakly, as the RFC asks for this header)
    or is `*`, which any current representation matches: the answer is then a 304."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False
