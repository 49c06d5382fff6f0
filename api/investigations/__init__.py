"""Investigation dossiers over HTTP and their renderers (Markdown, JSON, self-contained HTML).

``router`` serves ``/investigations/…``, ``/investigations/by-file/…`` and ``/aibom/…``;
:func:`render` turns a :class:`graph.investigations.Dossier` into one of its formats.
"""

from api.investigations.render import MEDIA_TYPES, Format, render
from api.investigations.routes import router

__all__ = ["MEDIA_TYPES", "Format", "render", "router"]
