"""Page sizes, cursors and bounded integer arguments shared by the GraphQL domains.

Every list argument is checked here, so an out-of-range value gives the same clear
``BAD_USER_INPUT`` error everywhere (e.g. ``first must be between 1 and 500``).
"""

from __future__ import annotations

import base64
import binascii
import json

import strawberry

from api.errors import BadUserInput

__all__ = [
    "DEFAULT_PAGE",
    "MAX_DEPTH",
    "MAX_PAGE",
    "PageInfo",
    "bounded",
    "check_first",
    "decode_cursor",
    "decode_key_cursor",
    "encode_cursor",
    "encode_key_cursor",
]

DEFAULT_PAGE = 50
MAX_PAGE = 500
MAX_DEPTH = 32


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def bounded(name: str, value: int, low: int, high: int) -> int:
    """``value`` if ``low <= value <= high``; otherwise a BAD_USER_INPUT error naming the range."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadUserInput(f"{name} must be between {low} and {high}", argument=name, value=value)
    return value


def check_first(first: int) -> int:
    return bounded("first", first, 1, MAX_PAGE)


def encode_cursor(kind: str, value: str) -> str:
    """An opaque cursor for ``value`` in a list of ``kind``."""
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode("ascii")


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    """The value of a cursor made by :func:`encode_cursor` for ``kind`` (None for None)."""
    if cursor is None:
        return None
    try:
        text = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise BadUserInput("after is not a cursor this API produced", argument="after") from exc
    prefix = f"{kind}:"
    if not text.startswith(prefix):
        raise BadUserInput("after is a cursor of another list", argument="after")
    return text[len(prefix):]


def encode_key_cursor(kind: str, order: str, key: tuple[int | str, str]) -> str:
    """An opaque cursor for a keyset page of ``kind`` in ``order``: the last row's (sort key, id)."""
    return encode_cursor(kind, json.dumps([order, key[0], key[1]], separators=(",", ":")))


def decode_key_cursor(kind: str, order: str, cursor: str | None) -> tuple[int | str, str] | None:
    """The (sort key, id) of a cursor made by :func:`encode_key_cursor` for the same list and order."""
    text = decode_cursor(kind, cursor)
    if text is None:
        return None
    try:
        found_order, key, model_id = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise BadUserInput("after is not a cursor this API produced", argument="after") from exc
    if found_order != order:
        raise BadUserInput(f"after is a cursor of another order ({found_order}); ask again without it", argument="after")
    if isinstance(key, bool) or not isinstance(key, int | str) or not isinstance(model_id, str):
        raise BadUserInput("after is not a cursor this API produced", argument="after")
    return key, model_id
