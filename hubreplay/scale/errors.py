"""Errors of the scale hub.

    ScaleHubError            a request the scale hub cannot serve in its mode
"""

from __future__ import annotations

__all__ = ["ScaleHubError"]


class ScaleHubError(RuntimeError):
    """A request the scale hub cannot serve in its mode (e.g. changes on the real topology)."""
