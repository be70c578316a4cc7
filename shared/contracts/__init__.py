"""Event contracts, one module per producing service. Importing this package registers them all."""

from shared.contracts import calendar, deals, gateway, planning

__all__ = ["calendar", "deals", "gateway", "planning"]
