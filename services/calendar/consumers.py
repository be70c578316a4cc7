"""Events from other services that calendar applies (none yet)."""

from collections.abc import Mapping

from shared.consumer import Handler

HANDLERS: Mapping[str, Handler] = {}
