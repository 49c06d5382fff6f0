"""The dashboard page at ``/`` and its bundled assets at ``/static/...``.

Mount with ``app.include_router(router)``. The bundle in ``static/`` is built from
``dashboard/`` by ``scripts/build-dashboard`` and committed, so serving it needs no npm.
"""

from api.dashboard.routes import STATIC_DIR, build_router, router

__all__ = ["STATIC_DIR", "build_router", "router"]
