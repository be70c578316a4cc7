"""HTTP routers of the knowledge service (the fixed paths under /api/documents come first)."""

from services.knowledge.api import documents, feed, folders, must_read, posts, search

ROUTERS = [
    search.router,
    must_read.router,
    documents.router,
    folders.router,
    feed.router,
    posts.router,
]
