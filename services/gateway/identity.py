"""Who the caller is, as the gateway will vouch for it to the services.

Users, sessions and API tokens are not built yet: until they are, every caller is the built-in
administrator below. This keeps the services' side (verify a signed token, 401 without one) real
and tested now; the identity work replaces `resolve_identity` and nothing else.
"""

from fastapi import Request

from shared.auth import Identity

BUILT_IN_ADMIN = Identity(user_id="00000000-0000-0000-0000-000000000001", role="admin")


def resolve_identity(request: Request) -> Identity:
    return BUILT_IN_ADMIN
