"""Investigation dossiers and AIBOMs over HTTP: ``router`` serves ``/investigations/…``,
``/investigations/by-file/…`` and ``/aibom/…`` (the documents themselves come from :mod:`reports`)."""

from api.investigations.routes import router

__all__ = ["router"]
