"""Where the snapshot shipped inside the package lives."""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUNDLED_SNAPSHOT", "bundled_snapshot_path"]

BUNDLED_SNAPSHOT = Path(__file__).resolve().parent / "data" / "bundled"


def bundled_snapshot_path() -> Path:
    """The folder of the bundled real-data snapshot (built by ``scripts/build_snapshot.py``)."""
    return BUNDLED_SNAPSHOT
