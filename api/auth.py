"""API keys for mutations: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

Keys come from ``LINEAGE_API_KEYS`` (:class:`api.settings.ApiSettings`). A presented key is
compared with every configured key in constant time (``hmac.compare_digest`` over SHA-256
digests, so neither the content nor the length of a key leaks through timing). Reads stay
open; mutations carry :class:`RequireApiKey`. With no keys configured every mutation is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr
from strawberry.permission import BasePermission

from api.errors import NotAuthenticated

__all__ = ["RequireApiKey", "key_from_headers", "key_id", "valid_key"]


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """The key presented in ``Authorization: Bearer …`` or ``X-API-Key`` (None when absent)."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


def valid_key(presented: str | None, keys: Sequence[SecretStr]) -> bool:
    """Whether ``presented`` equals one of ``keys`` (every key is compared, in constant time)."""
    if presented is None:
        return False
    wanted = _digest(presented)
    found = False
    for key in keys:
        found |= hmac.compare_digest(wanted, _digest(key.get_secret_value()))
    return found


def key_id(presented: str) -> str:
    """A short, non-reversible name of a key for logs and run ids."""
    return hashlib.sha256(presented.encode("utf-8")).hexdigest()[:12]


class RequireApiKey(BasePermission):
    """Allows the field only when the request presented a valid API key."""

    message = "authentication required: send a valid API key as 'Authorization: Bearer <key>' or 'X-API-Key'"
    error_class = NotAuthenticated

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(getattr(info.context, "authenticated", False))
