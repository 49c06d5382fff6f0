"""GraphiQL, bundled: the IDE at ``/graphiql`` and for browsers opening ``/graphql``.

The page and its assets come from ``api/graphiql/static`` (built by ``scripts/build-graphiql``
from ``dashboard/graphiql/`` and committed), so the IDE works offline and needs no CDN. Strawberry
serves no IDE itself (``graphql_ide=None``); instead :class:`BrowserDispatch` sends a browser's
``GET /graphql`` (``Accept: text/html``, no ``query`` parameter) to the ``/graphiql`` page by
rewriting the path inside the app — the address bar keeps ``/graphql``, and every other request
(a ``GET /graphql?query=…``, any POST, JSON clients) reaches GraphQL untouched. Both are installed
only when ``LINEAGE_GRAPHIQL`` is on; off, ``/graphiql`` is a 404 and a browser's ``GET /graphql``
gets strawberry's 404, while queries keep working.

The page runs only its own script (``script-src 'self'``, no inline code) and does not persist
headers — API keys typed in the headers editor — in ``localStorage``.
"""

from api.graphiql.dispatch import BrowserDispatch
from api.graphiql.routes import PAGE_PATH, PAGE_SECURITY_POLICY, STATIC_DIR, build_router, router

__all__ = ["PAGE_PATH", "PAGE_SECURITY_POLICY", "STATIC_DIR", "BrowserDispatch", "build_router", "router"]
