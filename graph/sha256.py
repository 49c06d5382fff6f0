"""Weight files are known by their sha256 (the LFS object id): the one check of such a value."""

from __future__ import annotations

import re

from graph.errors import InvalidArgument

__all__ = ["is_sha256", "normalise_sha256"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: str) -> bool:
    """True when ``value`` is 64 hexadecimal digits (any case, surrounding blanks ignored)."""
    return _SHA256.fullmatch(value.strip().lower()) is not None


def normalise_sha256(value: str) -> str:
    """A sha256 as stored (lower-case hex); InvalidArgument when it is not 64 hex digits."""
    if not is_sha256(value):
        raise InvalidArgument("sha256 must be 64 hexadecimal characters")
    return value.strip().lower()
