"""Event contracts, one module per producing service. Importing this package registers them all."""

from shared.contracts import calendar, deals, gateway, knowledge, planning

__all__ = ["calendar", "deals", "gateway", "knowledge", "planning"]
