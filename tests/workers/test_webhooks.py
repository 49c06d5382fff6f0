"""Signing and sending webhooks (workers.webhooks) against a real HTTP receiver on 127.0.0.1 in a thread."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import structlog
from standardwebhooks import Webhook, WebhookVerificationError

from graph.watches import targets
from graph.watches.settings import WebhookSettings
from workers.webhooks import Outcome, backoff_s, deliver, new_secret, retry_until, signed_headers

LOOPBACK_ALLOWED = WebhookSettings(allowed_targets=["127.0.0.0/8"], timeout_s=0.5)
EVENT = json.dumps({"kind": "license_changed", "model": "org/base", "old": "mit", "new": "other"}).encode()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver whose answer depends on the path: /ok 200, /gone 410, /busy 503, /moved 302 to /ok,
    /slow 200 after 1.5 s, /chatty 200 with a 1 MB answer."""

    port: int
    received: list[Received] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [request.path for request in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serving()


def serving(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    state = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server interface)
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if self.path == "/slow":
                time.sleep(1.5)
            status = {"/gone": 410, "/busy": 503, "/moved": 302}.get(self.path, 200)
            answer = b"x" * 1_000_000 if self.path == "/chatty" else b"{}"
            try:
                self.send_response(status)
                if status == 302:
                    self.send_header("location", "/ok")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender stopped listening (timed out, or read enough)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_delivered_event_carries_a_signature_that_verifies(receiver: Receiver) -> None:
    secret = new_secret()
    attempt = deliver(receiver.url("/ok"), "evt_01J9Z", EVENT, secret, LOOPBACK_ALLOWED)

    assert (attempt.outcome, attempt.status) == (Outcome.DELIVERED, 200)
    assert attempt.reason.startswith("HTTP 200")
    assert 0 < attempt.seconds < 5
    [request] = receiver.received
    assert request.body == EVENT
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Lineage-Webhooks/1"
    assert request.headers["webhook-id"] == "evt_01J9Z"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 10
    # the reference implementation verifies it …
    assert Webhook(secret).verify(request.body, request.headers) == json.loads(EVENT)
    # … and so does plain hmac over "{id}.{timestamp}.{body}" with the base64-decoded key
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{expected}"
    # another secret does not verify it
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, request.headers)


def test_410_gone_tells_the_caller_to_disable_the_watch(receiver: Receiver) -> None:
    attempt = deliver(receiver.url("/gone"), "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert (attempt.outcome, attempt.status) == (Outcome.GONE, 410)
    assert "HTTP 410" in attempt.reason and "no longer exists" in attempt.reason


def test_503_is_retried_with_the_status_as_reason(receiver: Receiver) -> None:
    attempt = deliver(receiver.url("/busy"), "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert (attempt.outcome, attempt.status) == (Outcome.RETRY, 503)
    assert attempt.reason.startswith("HTTP 503")


def test_a_redirect_is_not_followed_and_is_retried(receiver: Receiver) -> None:
    attempt = deliver(receiver.url("/moved"), "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert (attempt.outcome, attempt.status) == (Outcome.RETRY, 302)
    assert "HTTP 302" in attempt.reason and "redirects are not followed" in attempt.reason
    assert receiver.paths() == ["/moved"]


def test_a_closed_port_is_retried_as_connection_refused() -> None:
    attempt = deliver(f"http://127.0.0.1:{closed_port()}/ok", "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert (attempt.outcome, attempt.status) == (Outcome.RETRY, None)
    assert attempt.reason == "connection refused"


def test_a_receiver_slower_than_the_timeout_is_retried_as_timed_out(receiver: Receiver) -> None:
    attempt = deliver(receiver.url("/slow"), "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert (attempt.outcome, attempt.status) == (Outcome.RETRY, None)
    assert attempt.reason.startswith("timed out after 0.5 s")
    assert attempt.seconds < 1.4


@pytest.fixture
def trickler() -> Iterator[Callable[[bytes, bytes], int]]:
    """Start raw receivers that read the request, send ``head`` at once and then ``drip`` a byte every 0.1 s
    for ever (until the test ends or the sender hangs up); gives each one's port."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(head: bytes, drip: bytes) -> int:
        listener = socket.create_server(("127.0.0.1", 0))

        def serve() -> None:
            with listener:
                listener.settimeout(5)
                connection, _ = listener.accept()
                with connection:
                    connection.settimeout(5)
                    connection.recv(65_536)
                    try:
                        connection.sendall(head)
                        while not stop.wait(0.1):
                            connection.sendall(drip)
                    except OSError:
                        pass  # the sender hung up

        threads.append(threading.Thread(target=serve, daemon=True))
        threads[-1].start()
        return int(listener.getsockname()[1])

    yield start
    stop.set()
    for thread in threads:
        thread.join(5)


def test_a_receiver_trickling_its_status_is_given_up_on_at_the_deadline(
    trickler: Callable[[bytes, bytes], int],
) -> None:
    """Every single read arrives within timeout_s, but the answer never ends: the attempt ends at 3 x 0.5 s."""
    port = trickler(b"HTTP/1.1 200 OK\r\n", b"x")
    attempt = deliver(f"http://127.0.0.1:{port}/in", "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert (attempt.outcome, attempt.status) == (Outcome.RETRY, None)
    assert attempt.reason.startswith("no complete answer within 1.5 s")
    assert 1.4 < attempt.seconds < 2.5


def test_a_status_that_arrived_counts_however_slowly_the_rest_follows(
    trickler: Callable[[bytes, bytes], int],
) -> None:
    port = trickler(b"HTTP/1.1 202 Accepted\r\ncontent-length: 100000\r\n\r\n", b"x")
    attempt = deliver(f"http://127.0.0.1:{port}/in", "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert (attempt.outcome, attempt.status) == (Outcome.DELIVERED, 202)
    assert attempt.seconds < 1


def test_only_the_start_of_a_long_answer_is_read(receiver: Receiver) -> None:
    attempt = deliver(receiver.url("/chatty"), "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert (attempt.outcome, attempt.status) == (Outcome.DELIVERED, 200)


def test_a_loopback_url_without_allowance_is_refused_and_nothing_is_sent(receiver: Receiver) -> None:
    attempt = deliver(receiver.url("/ok"), "evt_1", EVENT, new_secret(), WebhookSettings())
    assert (attempt.outcome, attempt.status) == (Outcome.REFUSED, None)
    assert "127.0.0.1, a loopback address" in attempt.reason
    assert "LINEAGE_WEBHOOK_ALLOWED_TARGETS" in attempt.reason
    assert receiver.received == []


def test_the_connection_goes_to_the_address_that_was_checked(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host name stays in the Host header, but the request goes to the address the guard approved: the
    system resolver is never asked again (it does not know this name at all)."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"] if host == "receiver.invalid" else targets.system_resolve(host, port)

    monkeypatch.setattr(targets, "system_resolve", resolve)
    attempt = deliver(receiver.url("/ok", host="receiver.invalid"), "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)

    assert (attempt.outcome, attempt.status) == (Outcome.DELIVERED, 200)
    assert asked == ["receiver.invalid"]
    assert receiver.received[0].headers["host"] == f"receiver.invalid:{receiver.port}"


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[Receiver, Path]]:
    """A receiver speaking HTTPS with a self-signed certificate for receiver.test (made by openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=receiver.test",
         "-addext", "subjectAltName=DNS:receiver.test"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for state in serving(context):
        yield state, cert


def test_https_to_the_checked_address_verifies_the_certificate_for_the_urls_host(
    tls_receiver: tuple[Receiver, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver, cert = tls_receiver
    monkeypatch.setattr(targets, "system_resolve", lambda host, port: ["127.0.0.1"])
    settings = WebhookSettings(allowed_targets=["127.0.0.0/8"], timeout_s=2)
    trusting = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(verify=trusting, trust_env=False) as client:
        url = f"https://receiver.test:{receiver.port}/ok"
        attempt = deliver(url, "evt_1", EVENT, new_secret(), settings, client=client)
        assert (attempt.outcome, attempt.status) == (Outcome.DELIVERED, 200)
        assert receiver.received[0].headers["host"] == f"receiver.test:{receiver.port}"
        # the same certificate does not pass for another host name
        wrong = deliver(f"https://other.test:{receiver.port}/ok", "evt_1", EVENT, new_secret(), settings, client=client)
    assert (wrong.outcome, wrong.status) == (Outcome.RETRY, None)
    assert "certificate" in wrong.reason.lower()
    assert len(receiver.received) == 1


def test_a_host_that_now_resolves_to_a_private_address_is_refused(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(targets, "system_resolve", lambda host, port: ["10.0.0.7"])
    attempt = deliver(receiver.url("/ok", host="receiver.invalid"), "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert attempt.outcome == Outcome.REFUSED
    assert "10.0.0.7, a private address" in attempt.reason


def test_proxy_variables_of_the_environment_are_not_used(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(variable, f"http://127.0.0.1:{closed_port()}")
    attempt = deliver(receiver.url("/ok"), "evt_1", EVENT, new_secret(), LOOPBACK_ALLOWED)
    assert attempt.outcome == Outcome.DELIVERED


def test_a_body_over_the_limit_is_refused_unsent(receiver: Receiver) -> None:
    settings = WebhookSettings(allowed_targets=["127.0.0.0/8"], max_body_kb=1)
    attempt = deliver(receiver.url("/ok"), "evt_1", b'"' + b"a" * 1023 + b'"', new_secret(), settings)
    assert attempt.outcome == Outcome.REFUSED
    assert "1,025 bytes exceeds the limit of 1 KiB" in attempt.reason
    assert receiver.received == []


def test_the_secret_never_reaches_a_log_line_or_a_reason(receiver: Receiver) -> None:
    secret = new_secret()
    with structlog.testing.capture_logs() as logs:
        attempts = [
            deliver(receiver.url(path), "evt_1", EVENT, secret, LOOPBACK_ALLOWED) for path in ("/ok", "/busy")
        ] + [deliver(receiver.url("/ok"), "evt_1", EVENT, secret, WebhookSettings())]
    assert [entry["outcome"] for entry in logs] == ["delivered", "retry", "refused"]
    assert secret not in repr(logs) and secret not in repr(attempts)
    with pytest.raises(ValueError) as bad:
        deliver(receiver.url("/ok"), "evt_1", EVENT, "whsec_not base64!", LOOPBACK_ALLOWED)
    assert "not base64" not in str(bad.value)


def test_new_secrets_are_whsec_and_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32


def test_the_signature_covers_id_timestamp_and_body_at_the_given_time_in_utc() -> None:
    secret = new_secret()
    at = datetime(2026, 12, 6, 23, 0, 0, 700_000, tzinfo=UTC)
    headers = signed_headers("evt_1", EVENT, secret, now=at)
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    # the same instant in another zone signs the same timestamp and signature
    assert signed_headers("evt_1", EVENT, secret, now=at.astimezone(timezone(timedelta(hours=2)))) == headers
    assert signed_headers("evt_2", EVENT, secret, now=at)["webhook-signature"] != headers["webhook-signature"]
    assert signed_headers("evt_1", EVENT + b" ", secret, now=at)["webhook-signature"] != headers["webhook-signature"]
    later = signed_headers("evt_1", EVENT, secret, now=at + timedelta(seconds=1))
    assert later["webhook-signature"] != headers["webhook-signature"]


@pytest.mark.parametrize(
    ("event_id", "body", "secret", "now", "message"),
    [
        ("", EVENT, None, datetime.now(UTC), "event id"),
        ("evt 1", EVENT, None, datetime.now(UTC), "event id"),
        ("evt\r\nx: 1", EVENT, None, datetime.now(UTC), "event id"),
        ("evt_1", EVENT, None, datetime(2026, 1, 1), "timezone-aware"),
        ("evt_1", b"\xff\xfe", None, datetime.now(UTC), "UTF-8"),
        ("evt_1", EVENT, "plain-secret", datetime.now(UTC), "whsec_"),
        ("evt_1", EVENT, "whsec_" + base64.b64encode(b"short").decode(), datetime.now(UTC), "24 to 64 bytes"),
    ],
)
def test_bad_input_to_signing_is_a_clear_error(
    event_id: str, body: bytes, secret: str | None, now: datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        signed_headers(event_id, body, secret or new_secret(), now=now)


def test_backoff_doubles_from_the_base_and_stops_at_the_cap() -> None:
    settings = WebhookSettings(backoff_base_s=30, backoff_max_s=3600)
    exact = [backoff_s(n, settings, jitter=0) for n in range(1, 11)]
    assert exact == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert backoff_s(10_000, settings, jitter=0) == 3600
    jittered = [backoff_s(3, settings) for _ in range(200)]
    assert all(108 <= delay <= 132 for delay in jittered)
    assert len(set(jittered)) > 1
    for bad in (0, -1):
        with pytest.raises(ValueError, match="counts from 1"):
            backoff_s(bad, settings)
    with pytest.raises(ValueError, match="jitter"):
        backoff_s(1, settings, jitter=1.5)


def test_retries_stop_a_retry_window_after_the_first_attempt() -> None:
    first = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert retry_until(first, WebhookSettings()) == first + timedelta(hours=24)
    assert retry_until(first, WebhookSettings(retry_window_s=90)) == first + timedelta(seconds=90)
    with pytest.raises(ValueError, match="timezone-aware"):
        retry_until(datetime(2026, 12, 6, 12, 0), WebhookSettings())
