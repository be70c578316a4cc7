"""The knowledge service's use cases: one module per aggregate, each a unit of work."""
