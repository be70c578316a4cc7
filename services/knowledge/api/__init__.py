"""HTTP routers of the knowledge service (the fixed paths under /api/documents come first)."""

from services.knowledge.api import (
    documents,
    feed,
    folders,
    must_read,
    posts,
    request_search,
    requests,
    search,
    services,
)

ROUTERS = [
    search.router,
    must_read.router,
    documents.router,
    folders.router,
    services.router,
    request_search.router,  # before the requests' `/{request_id}`
    requests.router,
    feed.router,
    posts.router,
]
