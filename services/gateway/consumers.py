"""Events from other services that the gateway applies (none yet; notifications come next)."""

from collections.abc import Mapping

from shared.consumer import Handler

HANDLERS: Mapping[str, Handler] = {}
