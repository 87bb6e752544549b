"""The safe HTTP client: every non-public address is refused, at connect time, on
every redirect hop, and however the name resolves (SSRF, issue 13 item 2)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from conversations import safe_http
from conversations.rich_links import rich_link_data_for


class Recorder(ThreadingHTTPServer):
    paths: list[str]


def serve(host: str, redirect_to: str = "") -> tuple[Recorder, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.paths.append(self.path)
            if redirect_to:
                self.send_response(302)
                self.send_header("Location", redirect_to)
                self.end_headers()
                return
            body = b"<title>Internal admin</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = Recorder((host, 0), Handler)
    server.paths = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


@pytest.fixture
def internal() -> Iterator[tuple[Recorder, str]]:
    server, url = serve("127.0.0.1")
    yield server, url
    server.shutdown()


@pytest.fixture(autouse=True)
def _public_only(settings) -> None:
    settings.ALLOWED_PRIVATE_NETWORKS = []
    cache.clear()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "192.0.0.8",
        "192.0.0.200",
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not safe_http.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert safe_http.address_allowed(ipaddress.ip_address(address))


def test_allowed_private_networks_open_only_their_range(settings) -> None:
    settings.ALLOWED_PRIVATE_NETWORKS = ["10.1.0.0/16"]
    assert safe_http.address_allowed(ipaddress.ip_address("10.1.2.3"))
    assert not safe_http.address_allowed(ipaddress.ip_address("10.2.0.1"))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_the_client_never_connects_inside(internal, host: str) -> None:
    server, _url = internal
    port = server.server_address[1]
    with (
        safe_http.client(timeout=2) as client,
        pytest.raises(safe_http.UnsafeAddress),
    ):
        client.get(f"http://{host}:{port}/admin")
    assert server.paths == []


def test_dns_rebinding_cannot_slip_past_the_check(internal, monkeypatch) -> None:
    """The name looks public when saved, then answers 127.0.0.1: the client
    connects only to what it resolved and checked itself."""
    server, _ = internal
    port = server.server_address[1]
    answers = iter(["93.184.216.34", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example":
            address = next(answers)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    safe_http.check_url(f"http://rebind.example:{port}/")  # public at save time
    with (
        safe_http.client(timeout=2) as client,
        pytest.raises(safe_http.UnsafeAddress),
    ):
        client.get(f"http://rebind.example:{port}/admin")
    assert server.paths == []


def test_a_name_with_one_inside_answer_is_refused(monkeypatch) -> None:
    def mixed(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(safe_http.UnsafeAddress):
        safe_http.check_url("https://mixed.example/")


def test_a_redirect_into_the_inside_is_not_followed(settings, internal) -> None:
    """An allowed page (127.0.0.2 here, standing for the public internet)
    redirects a link preview to an internal one: the hop is refused."""
    server, internal_url = internal
    outside, outside_url = serve("127.0.0.2", redirect_to=f"{internal_url}/admin")
    settings.ALLOWED_PRIVATE_NETWORKS = ["127.0.0.2/32"]
    try:
        data = rich_link_data_for(f"{outside_url}/page")
    finally:
        outside.shutdown()
    assert outside.paths == ["/page"]
    assert server.paths == []
    assert data["title"] == "127.0.0.2"  # the plain link, nothing of the inside


def test_answers_are_capped_in_size(settings, internal) -> None:
    _server, url = internal
    settings.ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    with (
        safe_http.client(timeout=2) as client,
        client.stream("GET", f"{url}/") as response,
        pytest.raises(safe_http.TooLarge),
    ):
        safe_http.read_capped(response, limit=5, seconds=5)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:6379/",
        "http://localhost/",
        "http://[::1]/",
        "http://100.64.1.1/",
        "file:///etc/passwd",
        "gopher://example.com/",
    ],
)
def test_saved_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        safe_http.validate_public_url(url)


def test_a_public_name_that_does_not_resolve_yet_may_be_saved() -> None:
    safe_http.validate_public_url("https://hooks.not-yet-live.invalid/msp")


def test_unresolvable_names_fail_as_network_errors() -> None:
    with safe_http.client(timeout=2) as client, pytest.raises(httpx.ConnectError):
        client.get("http://no-such-host.invalid/")
