"""The CORS decisions and the origin checks of writes, on plain values (no server)."""

from __future__ import annotations

import pytest

from server.security.cors import ALLOWED_HEADERS, CorsPolicy, is_origin

APP = "https://app.example.com"
OTHER = "https://evil.example"


def _dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = dict(headers)
    assert len(found) == len(headers), headers  # no header twice
    return found


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("https://app.example.com", True),
        ("http://127.0.0.1:8000", True),
        ("http://[::1]:3000", True),
        ("capacitor://localhost", True),
        ("https://app.example.com/", False),
        ("https://app.example.com/path", False),
        ("https://App.example.com", False),
        ("https://user@app.example.com", False),
        ("https://app.example.com?x", False),
        ("https://app.example.com:99999", False),
        ("app.example.com", False),
        ("*", False),
        ("null", False),
    ],
)
def test_an_origin_is_scheme_host_and_port_only(text: str, valid: bool) -> None:
    assert is_origin(text) is valid


def test_nothing_listed_sends_no_cors_header_and_refuses_every_preflight() -> None:
    policy = CorsPolicy()
    assert policy.response_headers(APP) == []
    assert policy.response_headers(None) == []
    answer = policy.options(APP, "GET", ["GET", "HEAD", "OPTIONS"])
    assert answer.status == 403
    assert answer.refusal is not None and "--cors-origins" in answer.refusal
    assert "Access-Control-Allow-Origin" not in _dict(answer.headers)


def test_a_listed_origin_reads_with_credentials() -> None:
    policy = CorsPolicy([APP])
    headers = _dict(policy.response_headers(APP))
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Vary"] == "Origin"
    assert "Retry-After" in headers["Access-Control-Expose-Headers"]
    # Another origin, or none: the answer still varies by origin, and allows nothing.
    assert policy.response_headers(OTHER) == [("Vary", "Origin")]
    assert policy.response_headers(None) == [("Vary", "Origin")]


def test_star_lets_any_origin_read_without_credentials_and_keeps_the_listed_ones() -> None:
    policy = CorsPolicy([APP, "*"])
    other = _dict(policy.response_headers(OTHER))
    assert other["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in other
    listed = _dict(policy.response_headers(APP))
    assert listed["Access-Control-Allow-Origin"] == APP
    assert listed["Access-Control-Allow-Credentials"] == "true"
    assert not policy.listed("*")


def test_a_preflight_lists_the_paths_methods_and_the_headers_by_name() -> None:
    answer = CorsPolicy([APP]).options(APP, "POST", ["GET", "HEAD", "OPTIONS", "POST"])
    assert answer.status == 204 and answer.refusal is None
    headers = _dict(answer.headers)
    assert headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST"
    assert headers["Access-Control-Allow-Headers"] == ", ".join(ALLOWED_HEADERS)
    for name in ("Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"):
        assert name in headers["Access-Control-Allow-Headers"].split(", ")
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Vary"] == "Origin"
    assert int(headers["Access-Control-Max-Age"]) > 0


def test_a_preflight_for_a_method_the_path_does_not_take_is_refused() -> None:
    answer = CorsPolicy([APP]).options(APP, "DELETE", ["GET", "HEAD", "OPTIONS"])
    assert answer.status == 403
    assert answer.refusal == "DELETE is not allowed here; allowed: GET, HEAD"


def test_an_options_request_that_is_no_preflight_gets_allow() -> None:
    policy = CorsPolicy([APP])
    for origin, method in ((None, "GET"), (APP, None)):
        answer = policy.options(origin, method, ["HEAD", "GET"])
        allow = [("Allow", "GET, HEAD, OPTIONS")]
        assert (answer.status, answer.headers) == (204, allow + policy.response_headers(origin))
    assert dict(policy.options(None, "GET", ["GET"]).headers)["Vary"] == "Origin"
    assert dict(policy.options(APP, None, ["GET"]).headers)["Access-Control-Allow-Origin"] == APP
    assert CorsPolicy().options(APP, None, ["GET"]).headers == [("Allow", "GET, OPTIONS")]


def test_stream_answers_get_the_headers_of_the_requests_origin() -> None:
    policy = CorsPolicy([APP])
    raw = [(b"host", b"hub"), (b"origin", APP.encode()), (b"last-event-id", b"1")]
    assert policy.stream_headers(raw) == tuple(policy.response_headers(APP))
    assert policy.stream_headers([(b"host", b"hub")]) == (("Vary", "Origin"),)
    assert CorsPolicy().stream_headers(raw) == ()


def test_writes_come_from_no_origin_the_hubs_own_or_an_allowed_one() -> None:
    policy = CorsPolicy([APP])
    assert policy.may_write(None, "events.example.com")  # not a browser
    assert policy.may_write("https://events.example.com", "events.example.com")
    assert policy.may_write("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert policy.may_write(APP, "events.example.com")
    assert not policy.may_write(OTHER, "events.example.com")
    assert not policy.may_write("null", "events.example.com")
    assert not policy.may_write("http://127.0.0.1:8001", "127.0.0.1:8000")
    assert CorsPolicy(["*"]).may_write(OTHER, "events.example.com")


def test_behind_a_proxy_the_public_origin_is_the_hubs_own() -> None:
    policy = CorsPolicy(public_origin="https://events.example.com")
    assert policy.may_write("https://events.example.com", "127.0.0.1:8000")
    assert not policy.may_write("http://127.0.0.1:8000", "127.0.0.1:8000")


def test_work_started_with_a_browser_token_needs_an_own_or_listed_page() -> None:
    policy = CorsPolicy([APP, "*"])
    host = "events.example.com"
    assert policy.may_start_work(APP, host, None)
    assert policy.may_start_work("https://events.example.com", host, None)
    assert policy.may_start_work(None, host, "same-origin")
    assert not policy.may_start_work(OTHER, host, None)  # * does not cover starting work
    assert not policy.may_start_work(None, host, "cross-site")
    assert not policy.may_start_work(None, host, "same-site")
    assert not policy.may_start_work(None, host, None)
