"""Deployments registered by an organisation for its own model inventory.

A registration is an observation like any other (``DeploymentSeen`` of kind ``registered``
unless told otherwise) written through :class:`graph.writer.GraphWriter` in one transaction:
a ``Deployment`` node, ``SERVES`` to the model and ``OPERATES`` from the operator's ``Party``,
with the evidence ``registered via API``. Registering the same (operator, model, kind, url)
again updates the same deployment (its id is derived from them), so retries are harmless.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from crawler.observations import DeploymentKind, DeploymentSeen, Source
from graph.errors import InvalidArgument

__all__ = ["REGISTERED_EVIDENCE", "Registration", "registration"]

REGISTERED_EVIDENCE = "registered via API"
_OPERATOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,95}$")
_MAX_URL = 2048


@dataclass(frozen=True, slots=True)
class Registration:
    """What will be written: the observation and the run id that stamps it."""

    observation: DeploymentSeen
    run_id: str


def registration(
    *,
    model_id: str,
    operator: str,
    kind: DeploymentKind | str = DeploymentKind.REGISTERED,
    url: str | None = None,
    status: str | None = "registered",
    at: datetime | None = None,
    request_id: str | None = None,
) -> Registration:
    """Validate a registration and build its observation (raises InvalidArgument with the reason)."""
    try:
        kind = DeploymentKind(kind)
    except ValueError as exc:
        raise InvalidArgument(f"kind must be one of {[k.value for k in DeploymentKind]}, got {kind!r}") from exc
    if not model_id or len(model_id) > 200:
        raise InvalidArgument("model must be a model id of 1 to 200 characters")
    if not _OPERATOR.match(operator or ""):
        raise InvalidArgument(
            "operator must be an organisation or user name (letters, digits, '.', '_', '-'; at most 96 characters)"
        )
    if url is not None:
        if len(url) > _MAX_URL or not re.match(r"^https?://[^\s]+$", url):
            raise InvalidArgument("url must be an http(s) URL without spaces, at most 2048 characters")
    digest = hashlib.sha256(f"{operator}\n{model_id}\n{kind.value}\n{url or ''}".encode()).hexdigest()[:16]
    deployment_id = f"registered:{operator}:{digest}"
    observed = (at or datetime.now(UTC)).astimezone(UTC)
    observation = DeploymentSeen(
        id=deployment_id,
        kind=kind,
        model_id=model_id,
        operator=operator,
        status=status,
        url=url,
        source=Source(url=REGISTERED_EVIDENCE, revision=None, observed_at=observed),
    )
    return Registration(observation, f"api-registration:{request_id or digest}")
