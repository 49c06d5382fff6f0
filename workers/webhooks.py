"""Sending one event to one webhook: signing it (Standard Webhooks), POSTing it, and saying what happened.

The delivery task calls :func:`deliver` once per attempt and acts on the :class:`Attempt` it returns:

* ``DELIVERED`` — the receiver answered 2xx; done.
* ``RETRY`` — any other status (redirects are not followed), a timeout (``timeout_s`` for each network call,
  three times that for the whole attempt) or a connection error; try again after
  :func:`backoff_s` until :func:`retry_until`, then park the event with the last reason.
* ``GONE`` — the receiver answered 410: the endpoint no longer exists; disable the watch.
* ``REFUSED`` — the URL fails the server-side request forgery guard now (its DNS may have changed since the
  watch was made), or the event is larger than ``max_body_kb``; not sent, retrying cannot help.

Headers follow https://www.standardwebhooks.com/: ``webhook-id`` is the event's idempotency id (the same on
every attempt), ``webhook-timestamp`` the attempt's time in unix seconds, and ``webhook-signature`` is
``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` made with the watch's ``whsec_`` secret. The secret
never appears in a reason or a log line.

The connection goes to exactly the addresses the guard approved (the URL's host stays in the Host header
and in TLS server-name and certificate checks), so a host whose DNS changes between the check and the
connection cannot steer the request to a private address.
"""

from __future__ import annotations

import base64
import binascii
import enum
import errno
import random
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from ipaddress import ip_address
from urllib.parse import urlsplit

import httpx
import structlog
from standardwebhooks import Webhook

from graph.watches.settings import WebhookSettings
from graph.watches.targets import SECRET_PREFIX, WebhookTargetRefused, check_webhook_url, new_secret

__all__ = [
    "USER_AGENT",
    "Attempt",
    "Outcome",
    "backoff_s",
    "deliver",
    "new_secret",
    "retry_until",
    "signed_headers",
]

log = structlog.get_logger(__name__)

USER_AGENT = "Lineage-Webhooks/1"
_SECRET_BYTES_ACCEPTED = range(24, 65)  # the Standard Webhooks spec: secrets of 24 to 64 bytes
_ANSWER_BYTES_READ = 4_096
_EVENT_ID = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no space: it goes into a header as it is
_MAX_BACKOFF_DOUBLINGS = 64
_ATTEMPT_PHASES = 3  # connecting, sending the event, receiving the answer: each may take timeout_s


class Outcome(enum.StrEnum):
    """What one delivery attempt came to, and so what the caller does next."""

    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"
    REFUSED = "refused"


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt: its outcome, the HTTP status if an answer came, why (one line), and how long it took."""

    outcome: Outcome
    status: int | None
    reason: str
    seconds: float


def signed_headers(event_id: str, body: bytes, secret: str, *, now: datetime) -> dict[str, str]:
    """The headers that carry ``body`` to a receiver: the event id, the time ``now`` (timezone-aware) in unix
    seconds, the v1 signature over ``"{id}.{timestamp}.{body}"``, content type and user agent.

    ``ValueError`` for an event id that cannot go into a header, a naive ``now``, a body that is not UTF-8 or a
    secret that is not ``whsec_`` + base64 of 24 to 64 bytes (the message never quotes the secret)."""
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        raise ValueError(f"event id {event_id!r} must be 1 to 255 printable ASCII characters without spaces")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"the signing time must be timezone-aware, not {now.isoformat()}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the event body must be UTF-8 JSON ({exc.reason} at byte {exc.start})") from None
    at = now.astimezone(timezone.utc).replace(microsecond=0)
    signature = Webhook(_secret_bytes(secret)).sign(msg_id=event_id, timestamp=at, data=text)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def deliver(
    url: str,
    event_id: str,
    body: bytes,
    secret: str,
    settings: WebhookSettings,
    *,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> Attempt:
    """POST the signed event to ``url`` once and say what happened (see the module docstring for the outcomes).

    The URL is checked again right before sending; the request does not follow redirects and waits at most
    ``settings.timeout_s`` to connect, to send and for each read, and three times that in all; at most a few
    KB of the answer are read.
    Network trouble never raises: it is a ``RETRY`` whose reason names it. A bad event id, body or secret is
    a ``ValueError`` (a bug of the caller, not of the receiver)."""
    started = time.monotonic()
    headers = signed_headers(event_id, body, secret, now=now or datetime.now(timezone.utc))

    def attempt(outcome: Outcome, reason: str, status: int | None = None) -> Attempt:
        result = Attempt(outcome=outcome, status=status, reason=reason, seconds=time.monotonic() - started)
        # the host only: a webhook URL's path or query often holds the receiver's own token
        log.info("webhook attempt", event_id=event_id, host=_host_of(url), outcome=str(outcome), status=status)
        return result

    limit = settings.max_body_kb * 1024
    if len(body) > limit:
        return attempt(
            Outcome.REFUSED, f"event body of {len(body):,} bytes exceeds the limit of {settings.max_body_kb} KiB"
        )
    try:
        addresses = check_webhook_url(url, settings.policy())
        target = httpx.URL(url)
    except WebhookTargetRefused as exc:
        return attempt(Outcome.REFUSED, str(exc))
    except httpx.InvalidURL as exc:
        return attempt(Outcome.REFUSED, f"webhook URL cannot be sent to: {exc}")
    status, reason = _post_within_deadline(client, target, addresses, body, headers, settings, started)
    if status is None:
        return attempt(Outcome.RETRY, reason)
    if 200 <= status < 300:
        return attempt(Outcome.DELIVERED, reason, status)
    if status == 410:
        return attempt(Outcome.GONE, f"{reason}: the receiver says the endpoint no longer exists", status)
    if 300 <= status < 400:
        return attempt(Outcome.RETRY, f"{reason}: redirects are not followed", status)
    return attempt(Outcome.RETRY, reason, status)


def backoff_s(attempt: int, settings: WebhookSettings, *, jitter: float = 0.1) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first): ``backoff_base_s`` doubled for
    each attempt before it, at most ``backoff_max_s``, then moved by up to ±``jitter`` of itself at random
    (so receivers coming back are not hit by every queued event at once)."""
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise ValueError(f"attempt counts from 1, not {attempt!r}")
    if not 0 <= jitter < 1:
        raise ValueError(f"jitter is a share of the delay from 0 to below 1, not {jitter!r}")
    doublings = min(attempt - 1, _MAX_BACKOFF_DOUBLINGS)
    delay = min(settings.backoff_base_s * 2.0**doublings, settings.backoff_max_s)
    return delay * (1 + random.uniform(-jitter, jitter))


def retry_until(first_attempt_at: datetime, settings: WebhookSettings) -> datetime:
    """When an event first attempted at ``first_attempt_at`` (timezone-aware) stops being retried and is parked."""
    if first_attempt_at.tzinfo is None or first_attempt_at.utcoffset() is None:
        raise ValueError(f"the first attempt's time must be timezone-aware, not {first_attempt_at.isoformat()}")
    return first_attempt_at + timedelta(seconds=settings.retry_window_s)


def _secret_bytes(secret: str) -> bytes:
    """The key inside a ``whsec_`` secret; ``ValueError`` (not quoting it) if it has another form."""
    problem = ValueError(f"a webhook secret is '{SECRET_PREFIX}' and the base64 of 24 to 64 bytes")
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise problem
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise problem from None
    if len(key) not in _SECRET_BYTES_ACCEPTED:
        raise problem
    return key


def _post_within_deadline(
    client: httpx.Client | None,
    target: httpx.URL,
    addresses: list[str],
    body: bytes,
    headers: dict[str, str],
    settings: WebhookSettings,
    started: float,
) -> tuple[int | None, str]:
    """(status, "HTTP nnn …") once the receiver's status arrives, or (None, reason) for a failure, given up on
    after ``_ATTEMPT_PHASES`` × ``timeout_s`` in all.

    Each network call has ``timeout_s``, but a receiver that trickles its answer a byte at a time could make
    calls each within it for hours. So the request runs in a worker thread, and the caller waits for its
    answer at most the deadline; the abandoned thread (a daemon, owning the client it made) ends when the
    receiver stops or a single read times out. Reading the rest of the answer never delays the caller."""
    deadline_s = _ATTEMPT_PHASES * settings.timeout_s
    answer = _Answer()

    def post() -> None:
        try:
            if client is not None:
                _post_pinned(client, target, addresses, body, headers, settings, started, answer)
                return
            timeout = httpx.Timeout(settings.timeout_s)
            with httpx.Client(trust_env=False, follow_redirects=False, timeout=timeout) as own:
                _post_pinned(own, target, addresses, body, headers, settings, started, answer)
        except BaseException as exc:  # a bug, not network trouble (that is a reason): raised in the caller
            answer.give(exc)

    threading.Thread(target=post, name=f"webhook {target.host}", daemon=True).start()
    if not answer.wait(deadline_s):
        return None, f"no complete answer within {deadline_s:g} s (the receiver answers too slowly)"
    if isinstance(answer.value, BaseException):
        raise answer.value
    assert answer.value is not None
    return answer.value


class _Answer:
    """The first result of an attempt, handed from the thread that sends to the caller that waits."""

    def __init__(self) -> None:
        self._given = threading.Event()
        self.value: tuple[int | None, str] | BaseException | None = None

    def give(self, value: tuple[int | None, str] | BaseException) -> None:
        if not self._given.is_set():
            self.value = value
            self._given.set()

    def wait(self, seconds: float) -> bool:
        return self._given.wait(seconds)


def _post_pinned(
    client: httpx.Client,
    target: httpx.URL,
    addresses: list[str],
    body: bytes,
    headers: dict[str, str],
    settings: WebhookSettings,
    started: float,
    answer: _Answer,
) -> None:
    """POST to each approved address in turn until one connects, and give the status (then read a few KB of
    the answer) or the last failure. A further address is tried only while within ``timeout_s``."""
    pinned = _address_literal(target.host) is None
    reason = "no address to connect to"
    for address in addresses if pinned else [target.host]:
        request = _request(client, target, address if pinned else None, body, headers, settings)
        try:
            response = client.send(request, stream=True, follow_redirects=False)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            reason = _failure(exc, settings)
            if time.monotonic() - started < settings.timeout_s:
                continue
            break
        except httpx.HTTPError as exc:
            reason = _failure(exc, settings)
            break
        answer.give((response.status_code, f"HTTP {response.status_code} {response.reason_phrase}".rstrip()))
        try:
            _read_some(response)
        except httpx.HTTPError:
            pass  # the status came: the receiver has decided; the rest of its answer is not needed
        finally:
            response.close()
        return
    answer.give((None, reason))


def _request(
    client: httpx.Client,
    target: httpx.URL,
    address: str | None,
    body: bytes,
    headers: dict[str, str],
    settings: WebhookSettings,
) -> httpx.Request:
    """The POST, sent to ``address`` when given (the URL's host kept for Host, TLS server name and certificate)."""
    timeout = httpx.Timeout(settings.timeout_s)
    if address is None:
        return client.build_request("POST", target, content=body, headers=headers, timeout=timeout)
    host_header = target.netloc.decode("ascii")
    extensions = {"sni_hostname": target.raw_host.decode("ascii")} if target.scheme == "https" else {}
    return client.build_request(
        "POST",
        target.copy_with(host=address),
        content=body,
        headers={**headers, "host": host_header},
        timeout=timeout,
        extensions=extensions,
    )


def _read_some(response: httpx.Response) -> None:
    """Read at most a few KB of the answer (the receiver's words are not needed, only that it finished)."""
    read = 0
    for chunk in response.iter_raw():
        read += len(chunk)
        if read >= _ANSWER_BYTES_READ:
            break


def _failure(exc: httpx.HTTPError, settings: WebhookSettings) -> str:
    """One line naming a network failure: "connection refused", "timed out after 10 s while connecting" …"""
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "while connecting",
            httpx.WriteTimeout: "while sending the event",
            httpx.ReadTimeout: "waiting for the answer",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(exc), "")
        return f"timed out after {settings.timeout_s:g} s {phase}".rstrip()
    if isinstance(exc, httpx.ConnectError):
        if _errno_in_chain(exc) == errno.ECONNREFUSED or "refused" in str(exc).lower():
            return "connection refused"
        return f"connection failed: {_one_line(exc)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the receiver broke the HTTP protocol: {_one_line(exc)}"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _errno_in_chain(exc: BaseException) -> int | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen.errno
        seen = seen.__cause__ or seen.__context__
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _host_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _address_literal(host: str) -> str | None:
    """The host itself when it is an IP address already (nothing to pin), else None."""
    try:
        return str(ip_address(host))
    except ValueError:
        return None
