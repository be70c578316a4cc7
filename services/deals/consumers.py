"""Events from other services that deals applies (none yet; calendar's outcomes come next)."""

from collections.abc import Mapping

from shared.consumer import Handler

HANDLERS: Mapping[str, Handler] = {}
