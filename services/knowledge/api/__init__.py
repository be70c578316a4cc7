"""HTTP routers of the knowledge service (the fixed paths under /api/documents come first)."""

from services.knowledge.api import documents, folders, must_read, search

ROUTERS = [search.router, must_read.router, documents.router, folders.router]
