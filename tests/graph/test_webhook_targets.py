"""The server-side request forgery guard on webhook URLs (graph.watches.targets), with injected resolvers."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from graph.watches.settings import WebhookSettings
from graph.watches.targets import MAX_URL_LENGTH, TargetPolicy, WebhookTargetRefused, check_webhook_url

OPEN = TargetPolicy()
PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:4700:4700::1111"


def resolving_to(*addresses: str) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.5.6.7", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("169.254.1.1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fd00::1", "unique-local"),
        ("fc00::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged by the IPv4 address
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("192.0.2.1", "not globally routable"),  # documentation range
        ("2001:db8::1", "not globally routable"),  # documentation range
    ],
)
def test_every_non_public_address_is_refused_with_its_kind(address: str, kind: str) -> None:
    with pytest.raises(WebhookTargetRefused) as refused:
        check_webhook_url("https://hooks.example.com/in", OPEN, resolve=resolving_to(address))
    message = str(refused.value)
    shown = str(ipaddress.ip_address(address))
    assert f"resolves to {shown}" in message
    assert f"{kind} address" in message if kind != "not globally routable" else kind in message
    assert "LINEAGE_WEBHOOK_ALLOWED_TARGETS" in message


def test_an_embedded_ipv4_address_is_named_in_the_message() -> None:
    with pytest.raises(WebhookTargetRefused, match=r"resolves to ::ffff:a00:1 \(10.0.0.1\), a private address"):
        check_webhook_url("https://hooks.example.com/", OPEN, resolve=resolving_to("::ffff:10.0.0.1"))


def test_the_message_reads_as_one_sentence_for_a_literal_loopback_url() -> None:
    with pytest.raises(WebhookTargetRefused) as refused:
        check_webhook_url("http://127.0.0.1:9/x", OPEN, resolve=resolving_to(PUBLIC_V4))
    assert str(refused.value) == (
        "webhook URL http://127.0.0.1:9/x resolves to 127.0.0.1, a loopback address; private, loopback and "
        "link-local targets are refused unless LINEAGE_WEBHOOK_ALLOWED_TARGETS allows them"
    )


@pytest.mark.parametrize(
    "url", ["http://[::1]:8080/hook", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/"]
)
def test_an_address_in_the_url_is_judged_without_asking_the_resolver(url: str) -> None:
    def resolver_never_asked(host: str, port: int) -> list[str]:
        raise AssertionError(f"asked to resolve {host}")

    with pytest.raises(WebhookTargetRefused, match="refused unless"):
        check_webhook_url(url, OPEN, resolve=resolver_never_asked)


def test_public_addresses_pass_and_are_returned_once_each_in_order() -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return [PUBLIC_V6, PUBLIC_V4, PUBLIC_V6]

    assert check_webhook_url("https://Hooks.Example.com/in?x=1", OPEN, resolve=resolve) == [PUBLIC_V6, PUBLIC_V4]
    assert asked == [("hooks.example.com", 443)]
    assert check_webhook_url("http://hooks.example.com:8080/", OPEN, resolve=resolve) == [PUBLIC_V6, PUBLIC_V4]
    assert asked[-1] == ("hooks.example.com", 8080)


def test_one_private_address_among_public_ones_refuses_the_url() -> None:
    with pytest.raises(WebhookTargetRefused, match="resolves to 10.1.2.3, a private address"):
        check_webhook_url("https://hooks.example.com/", OPEN, resolve=resolving_to(PUBLIC_V4, "10.1.2.3"))


def test_an_allowed_cidr_lets_its_addresses_through_and_only_those() -> None:
    policy = TargetPolicy(allowed=("127.0.0.0/8", "10.1.0.0/16", "::1/128"))
    assert check_webhook_url("http://127.0.0.1:9/x", policy) == ["127.0.0.1"]
    assert check_webhook_url("http://[::1]:9/x", policy) == ["::1"]
    assert check_webhook_url("http://[::ffff:127.0.0.1]:9/x", policy) == ["::ffff:7f00:1"]
    assert check_webhook_url("http://in.corp/", policy, resolve=resolving_to("10.1.200.3")) == ["10.1.200.3"]
    with pytest.raises(WebhookTargetRefused, match="10.2.0.1, a private address"):
        check_webhook_url("http://in.corp/", policy, resolve=resolving_to("10.1.200.3", "10.2.0.1"))
    with pytest.raises(WebhookTargetRefused, match="169.254.169.254"):
        check_webhook_url("http://169.254.169.254/", policy)


def test_an_allowed_host_name_passes_whatever_it_resolves_to_and_lends_nothing_to_others() -> None:
    policy = TargetPolicy(allowed=("Receiver.Internal.", "localhost"))
    resolve = resolving_to("10.9.8.7", "fd00::7")
    assert check_webhook_url("http://receiver.internal:8000/in", policy, resolve=resolve) == ["10.9.8.7", "fd00::7"]
    assert check_webhook_url("http://localhost/", policy, resolve=resolving_to("127.0.0.1")) == ["127.0.0.1"]
    with pytest.raises(WebhookTargetRefused, match="10.9.8.7"):
        check_webhook_url("http://other.internal/", policy, resolve=resolve)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://hooks.example.com/x", "the scheme 'ftp'; only http and https"),
        ("file:///etc/passwd", "the scheme 'file'"),
        ("gopher://hooks.example.com:70/", "the scheme 'gopher'"),
        ("hooks.example.com/in", "no scheme"),
        ("", "empty"),
        ("https://user:pw@hooks.example.com/", "user name or password"),
        ("https://hooks.example.com@10.0.0.1/", "user name or password"),
        ("https:///path-only", "names no host"),
        ("https://hooks.example.com:99999/", "invalid port"),
        ("https://hooks.example.com:0/", "port 0"),
        ("https://hooks.example.com/a b", "whitespace or control characters"),
        ("https://hooks.example.com/\r\nX-Injected: 1", "whitespace or control characters"),
    ],
)
def test_malformed_urls_are_refused_before_any_lookup(url: str, fragment: str) -> None:
    def resolver_never_asked(host: str, port: int) -> list[str]:
        raise AssertionError(f"asked to resolve {host}")

    with pytest.raises(WebhookTargetRefused, match=fragment):
        check_webhook_url(url, OPEN, resolve=resolver_never_asked)


def test_userinfo_is_hidden_in_the_message() -> None:
    with pytest.raises(WebhookTargetRefused) as refused:
        check_webhook_url("https://alice:s3cret-pass@hooks.example.com/in", OPEN, resolve=resolving_to(PUBLIC_V4))
    assert "s3cret-pass" not in str(refused.value)
    assert "alice" not in str(refused.value)


def test_a_url_longer_than_the_limit_is_refused_and_not_quoted_whole() -> None:
    base = "https://hooks.example.com/"
    assert check_webhook_url(base + "a" * (MAX_URL_LENGTH - len(base)), OPEN, resolve=resolving_to(PUBLIC_V4))
    too_long = base + "a" * (MAX_URL_LENGTH - len(base) + 1)
    with pytest.raises(WebhookTargetRefused, match="2,049 characters long; at most 2,048") as refused:
        check_webhook_url(too_long, OPEN, resolve=resolving_to(PUBLIC_V4))
    assert len(str(refused.value)) < 200


def test_a_host_that_does_not_resolve_is_refused_with_its_own_message() -> None:
    def fails(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(WebhookTargetRefused, match="host nowhere.example does not resolve .*Name or service"):
        check_webhook_url("https://nowhere.example/in", OPEN, resolve=fails)
    with pytest.raises(WebhookTargetRefused, match="resolves to no address"):
        check_webhook_url("https://nowhere.example/in", OPEN, resolve=resolving_to())
    with pytest.raises(WebhookTargetRefused, match="not an IP address"):
        check_webhook_url("https://nowhere.example/in", OPEN, resolve=resolving_to("not-an-ip"))


def test_a_resolver_slower_than_the_timeout_is_given_up_on() -> None:
    release = threading.Event()

    def slow(host: str, port: int) -> list[str]:
        release.wait(5)
        return [PUBLIC_V4]

    started = time.monotonic()
    try:
        with pytest.raises(WebhookTargetRefused, match="host slow.example did not resolve within 0.2 s"):
            check_webhook_url("https://slow.example/", TargetPolicy(resolve_timeout_s=0.2), resolve=slow)
    finally:
        release.set()
    assert time.monotonic() - started < 2


def test_a_bug_in_the_resolver_is_not_mistaken_for_a_refusal() -> None:
    def broken(host: str, port: int) -> list[str]:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        check_webhook_url("https://hooks.example.com/", OPEN, resolve=broken)


@pytest.mark.parametrize("entry", ["http://x/", "10.0.0.0/33", "*.internal", "a..b", "user@host"])
def test_a_bad_allowed_entry_is_a_clear_error_when_the_policy_is_made(entry: str) -> None:
    with pytest.raises(ValueError, match="neither a host name nor an address or CIDR block"):
        TargetPolicy(allowed=(entry,))


def test_settings_read_the_allowed_targets_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_WEBHOOK_ALLOWED_TARGETS", " localhost, 127.0.0.0/8 ,,::1 ")
    monkeypatch.setenv("LINEAGE_WEBHOOK_RESOLVE_TIMEOUT_S", "0.5")
    policy = WebhookSettings().policy()
    assert policy == TargetPolicy(allowed=("localhost", "127.0.0.0/8", "::1"), resolve_timeout_s=0.5)
    assert check_webhook_url("http://127.0.0.1:9/x", policy) == ["127.0.0.1"]
    monkeypatch.setenv("LINEAGE_WEBHOOK_ALLOWED_TARGETS", "")
    assert WebhookSettings().policy().allowed == ()


def test_settings_refuse_a_bad_allowed_entry_and_a_backoff_cap_below_its_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_WEBHOOK_ALLOWED_TARGETS", "localhost,http://evil/")
    with pytest.raises(ValidationError, match="'http://evil/' is neither a host name"):
        WebhookSettings()
    monkeypatch.delenv("LINEAGE_WEBHOOK_ALLOWED_TARGETS")
    with pytest.raises(ValidationError, match="BACKOFF_MAX_S .* is below"):
        WebhookSettings(backoff_base_s=60, backoff_max_s=30)


def test_public_ipv4_addresses_inside_ipv6_pass_like_the_ipv4_address() -> None:
    mapped, nat64 = "::ffff:5db8:d822", "64:ff9b::5db8:d822"  # both carry 93.184.216.34
    assert check_webhook_url("https://hooks.example.com/", OPEN, resolve=resolving_to(mapped, nat64)) == [mapped, nat64]
