"""The per-request GraphQL context: graph services, fresh DataLoaders, the request id, the caller's key.

:func:`get_context` builds it for each HTTP request (it is the GraphQLRouter's
``context_getter``); tests build it with :meth:`Context.create` and run ``schema.execute``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from api.auth import key_from_headers, key_id, valid_key
from api.jobs.service import CrawlService
from api.loaders import Loaders, create_loaders
from api.settings import ApiSettings
from graph.watches.store import owner_of
from graph.client import GraphClient

__all__ = ["Context", "get_context"]


@dataclass
class Context(BaseContext):
    graph: GraphClient
    settings: ApiSettings
    crawls: CrawlService
    loaders: Loaders
    request_id: str
    authenticated: bool = False
    caller: str | None = None  # a short digest of the API key presented, for logs and run ids
    owner: str | None = None  # who owns the watches this key makes and sees (graph.watches.store.owner_of)
    cacheable: bool = True
    """Whether the answer depends only on the graph (``api.response_cache``): a mutation, or a field
    that reads anything else (crawl jobs in Redis), sets it to False with :meth:`not_cacheable`."""

    def not_cacheable(self) -> None:
        self.cacheable = False

    def __post_init__(self) -> None:
        super().__init__()

    @classmethod
    def create(
        cls,
        *,
        graph: GraphClient,
        settings: ApiSettings,
        crawls: CrawlService,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> Context:
        """A context for one operation; ``headers`` (lower-case names) carry the API key if any."""
        presented = key_from_headers(headers or {})
        authenticated = valid_key(presented, settings.api_keys)
        return cls(
            graph=graph,
            settings=settings,
            crawls=crawls,
            loaders=create_loaders(graph),
            request_id=request_id or uuid.uuid4().hex,
            authenticated=authenticated,
            caller=key_id(presented) if authenticated and presented else None,
            owner=owner_of(presented) if authenticated and presented else None,
        )


async def get_context(request: HTTPConnection) -> Context:
    """The context of an HTTP request or of a websocket (GraphQL subscriptions)."""
    state = request.app.state
    return Context.create(
        graph=state.graph,
        settings=state.settings,
        crawls=state.crawls,
        headers=request.headers,
        request_id=getattr(request.state, "request_id", None),
    )
