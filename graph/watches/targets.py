"""Where a webhook may point: the server-side request forgery guard.

A watch's webhook URL is chosen by whoever holds an API key, and the workers POST to it from inside the
deployment. Without a guard, a URL such as ``http://169.254.169.254/latest/meta-data/`` or
``http://10.0.0.5:6379/`` would make Lineage send requests to the cloud metadata service or to Redis on its
own network. :func:`check_webhook_url` therefore refuses a URL unless every address its host resolves to is
globally routable, or the host name or address is explicitly allowed (``LINEAGE_WEBHOOK_ALLOWED_TARGETS``,
see :class:`graph.watches.settings.WebhookSettings`).

The API checks a URL when a watch is created; the worker checks it again right before each delivery (the
host's DNS may have changed since) and connects to exactly the addresses the check approved.
"""

from __future__ import annotations

import base64
import secrets

import ipaddress
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

__all__ = ["MAX_URL_LENGTH", "TargetPolicy", "WebhookTargetRefused", "check_webhook_url", "system_resolve"]

MAX_URL_LENGTH = 2_048
_SCHEMES = {"http": 80, "https": 443}
_SHOWN_URL_CHARS = 120
_ALLOWANCE = "private, loopback and link-local targets are refused unless LINEAGE_WEBHOOK_ALLOWED_TARGETS allows them"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_PRIVATE = tuple(ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


class WebhookTargetRefused(ValueError):
    """A webhook URL that Lineage will not send to; ``str(exc)`` is one sentence for the user saying why."""


@dataclass(frozen=True)
class TargetPolicy:
    """Which targets are allowed although not globally routable.

    ``allowed`` holds host names (``"localhost"``, ``"receiver.internal"``: matched exactly, case-insensitive)
    and addresses or CIDR blocks (``"127.0.0.0/8"``, ``"::1/128"``, ``"10.1.2.3"``). A bad entry is a
    ``ValueError`` when the policy is made.
    """

    allowed: tuple[str, ...] = ()
    resolve_timeout_s: float = 2.0
    _networks: tuple[Network, ...] = field(init=False, repr=False, compare=False)
    _hosts: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.resolve_timeout_s > 0:
            raise ValueError(f"resolve_timeout_s must be positive, not {self.resolve_timeout_s!r}")
        networks: list[Network] = []
        hosts: set[str] = set()
        for entry in self.allowed:
            text = entry.strip()
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
                continue
            except ValueError:
                pass
            host = _normal_host(text)
            if not host or not all(part and len(part) <= 63 for part in host.split(".")) or any(
                char in host for char in "/:@*[] "
            ):
                raise ValueError(
                    f"allowed webhook target {entry!r} is neither a host name nor an address or CIDR block"
                    " (e.g. localhost, 127.0.0.0/8, ::1)"
                )
            hosts.add(host)
        object.__setattr__(self, "_networks", tuple(networks))
        object.__setattr__(self, "_hosts", frozenset(hosts))

    def allows_host(self, host: str) -> bool:
        """Whether this host name is allowed whatever it resolves to."""
        return _normal_host(host) in self._hosts

    def allows_address(self, address: Address) -> bool:
        """Whether this address (or the IPv4 address it carries) lies in an allowed block."""
        candidates = {address, _judged(address)}
        return any(candidate in network for candidate in candidates for network in self._networks)


def check_webhook_url(url: str, policy: TargetPolicy, *, resolve: Resolver | None = None) -> list[str]:
    """The addresses ``url``'s host resolves to, every one of them checked; :class:`WebhookTargetRefused` if the
    URL is malformed or any address is not globally routable and not allowed by ``policy``.

    ``resolve(host, port)`` returns the host's addresses (default :func:`system_resolve`); it is given
    ``policy.resolve_timeout_s`` to answer.
    """
    parts = _parsed(url)
    host = parts.hostname or ""
    port = _port(url, parts)
    literal = _address(host)
    if literal is not None:
        addresses = [literal]
    else:
        addresses = _resolved(url, host, port, policy.resolve_timeout_s, resolve or system_resolve)
    host_allowed = policy.allows_host(host)
    for address in addresses:
        kind = _refused_kind(address)
        if kind is not None and not host_allowed and not policy.allows_address(address):
            raise WebhookTargetRefused(
                f"webhook URL {_shown(url)} resolves to {_described(address)}, {kind}; {_ALLOWANCE}"
            )
    return [str(address) for address in addresses]


def system_resolve(host: str, port: int) -> list[str]:
    """Every IPv4 and IPv6 address the system resolver gives for ``host`` (A and AAAA records), in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _parsed(url: str) -> SplitResult:
    if not isinstance(url, str) or not url:
        raise WebhookTargetRefused("webhook URL is empty; give an http:// or https:// URL")
    if len(url) > MAX_URL_LENGTH:
        raise WebhookTargetRefused(
            f"webhook URL is {len(url):,} characters long; at most {MAX_URL_LENGTH:,} are accepted"
        )
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise WebhookTargetRefused(f"webhook URL {_shown(url)!r} contains whitespace or control characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise WebhookTargetRefused(f"webhook URL {_shown(url)} cannot be parsed: {exc}") from exc
    if parts.scheme.lower() not in _SCHEMES:
        scheme = f"the scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise WebhookTargetRefused(f"webhook URL {_shown(url)} has {scheme}; only http and https are accepted")
    if "@" in parts.netloc:
        raise WebhookTargetRefused(
            f"webhook URL {_shown(url, redact_userinfo=True)} carries a user name or password; put credentials"
            " in the path or query, never before the host"
        )
    if not parts.hostname:
        raise WebhookTargetRefused(f"webhook URL {_shown(url)} names no host")
    return parts


def _port(url: str, parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError as exc:
        raise WebhookTargetRefused(f"webhook URL {_shown(url)} has an invalid port") from exc
    if port == 0:
        raise WebhookTargetRefused(f"webhook URL {_shown(url)} has port 0")
    return port if port is not None else _SCHEMES[parts.scheme.lower()]


def _resolved(url: str, host: str, port: int, timeout_s: float, resolve: Resolver) -> list[Address]:
    """The host's addresses, asked in a worker thread that is given up on after ``timeout_s`` (a daemon
    thread: a resolver stuck in the system call cannot hold the process)."""
    try:
        host.encode("idna")
    except UnicodeError as exc:
        raise WebhookTargetRefused(f"webhook URL {_shown(url)} has an invalid host name") from exc
    outcome: list[list[str] | BaseException] = []

    def ask() -> None:
        try:
            outcome.append(resolve(host, port))
        except BaseException as exc:  # handed to the caller below
            outcome.append(exc)

    worker = threading.Thread(target=ask, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not outcome:
        raise WebhookTargetRefused(
            f"webhook URL {_shown(url)}: host {host} did not resolve within {timeout_s:g} s"
        )
    answer = outcome[0]
    if isinstance(answer, (OSError, UnicodeError)):
        raise WebhookTargetRefused(f"webhook URL {_shown(url)}: host {host} does not resolve ({answer})") from answer
    if isinstance(answer, BaseException):
        raise answer
    addresses = [_address(text) for text in answer]
    if not answer:
        raise WebhookTargetRefused(f"webhook URL {_shown(url)}: host {host} resolves to no address")
    if any(address is None for address in addresses):
        raise WebhookTargetRefused(f"webhook URL {_shown(url)}: host {host} resolves to something not an IP address")
    return list(dict.fromkeys(address for address in addresses if address is not None))


def _refused_kind(address: Address) -> str | None:
    """What makes this address no target for a webhook ("a loopback address" …); None for a public one."""
    judged = _judged(address)
    if judged.is_loopback:
        return "a loopback address"
    if judged.is_unspecified:
        return "an unspecified address"
    if judged.is_link_local:
        return "a link-local address (the range of cloud metadata services)"
    if judged.is_multicast:
        return "a multicast address"
    if isinstance(judged, ipaddress.IPv4Address) and judged in _SHARED:
        return "a shared carrier-grade NAT address"
    if isinstance(judged, ipaddress.IPv6Address) and judged in _UNIQUE_LOCAL:
        return "a unique-local address"
    if judged.is_reserved:
        return "a reserved address"
    if any(judged in network for network in _PRIVATE):
        return "a private address"
    if judged.is_private or not judged.is_global:
        return "an address that is not globally routable"
    return None


def _judged(address: Address) -> Address:
    """The address a connection to ``address`` really reaches: the IPv4 address inside an IPv4-mapped
    (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:aabb:ccdd::) IPv6 address; else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def _described(address: Address) -> str:
    """The address as quoted in a refusal, with the IPv4 address it carries (``::ffff:7f00:1 (127.0.0.1)``)."""
    judged = _judged(address)
    return str(address) if judged == address else f"{address} ({judged})"


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _normal_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


def _shown(url: str, *, redact_userinfo: bool = False) -> str:
    """The URL as quoted in an error: user info hidden, cut short if long."""
    if redact_userinfo:
        scheme, _, rest = url.partition("://")
        authority, slash, path = rest.partition("/")
        url = f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}" if rest else url
    return url if len(url) <= _SHOWN_URL_CHARS else url[: _SHOWN_URL_CHARS - 1] + "…"


SECRET_PREFIX = "whsec_"
"""Signing secrets look like Standard Webhooks secrets: ``whsec_`` and base64."""


def new_secret() -> str:
    """A fresh signing secret for a watch: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
