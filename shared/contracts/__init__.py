"""Event contracts, one module per producing service. Importing this package registers them all."""

from shared.contracts import deals, gateway

__all__ = ["deals", "gateway"]
