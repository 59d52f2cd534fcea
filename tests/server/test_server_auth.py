"""The auth matrix end to end (one test each), plus the session patterns on their own."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import attrs
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hub_client import Server, bearer, check_problem, message, running, settings, token

from server.security.auth import SessionPattern


def _unauthorized(response: object, detail: str, *, refused: bool = True) -> None:
    """A 401 whose detail says ``detail`` and whose challenge (RFC 6750 section 3) has
    ``error="invalid_token"`` when the request's token was ``refused``, no error code when it
    had none."""
    problem = check_problem(response, 401)  # type: ignore[arg-type]
    assert detail in problem["detail"]
    challenge = 'Bearer realm="sluice"' + (', error="invalid_token"' if refused else "")
    assert response.headers["www-authenticate"] == challenge  # type: ignore[attr-defined]


async def test_no_token_is_a_401(server: Server) -> None:
    _unauthorized(await server.client.get("/sse/alice:chat"), "token is required", refused=False)
    basic = {"Authorization": "Basic YWxpY2U6cHc="}
    response = await server.client.get("/api/stats", headers=basic)
    _unauthorized(response, "must be 'Bearer <token>'", refused=False)


async def test_a_refused_token_is_an_invalid_token_on_every_path(server: Server) -> None:
    """A client told ``error="invalid_token"`` knows to get a new token (RFC 6750 §3.1): a
    stream, a publish and a read, with the token in the header or the query."""
    old = token(ttl=-10)
    for response in (
        await server.client.get("/sse/alice:chat", headers=bearer(old)),
        await server.client.get(f"/sse/alice:chat?access_token={old}"),
        await server.client.post(
            "/api/sessions/alice:chat/events", json=message("m"), headers=bearer(old)
        ),
        await server.client.get("/api/stats", headers=bearer("not.a.jwt")),
        await server.client.get("/api/stats", headers=bearer(token(""))),
    ):
        _unauthorized(response, "")


async def test_bad_signature_is_a_401(server: Server) -> None:
    forged = token(key="another-secret-that-is-also-long-enough-for-hs256")
    _unauthorized(await server.client.get("/sse/alice:chat", headers=bearer(forged)), "Signature")


async def test_alg_none_is_a_401(server: Server) -> None:
    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(doc)).rstrip(b"=").decode()

    claims = jwt.decode(token(), options={"verify_signature": False})
    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
    response = await server.client.get("/sse/alice:chat", headers=bearer(unsigned))
    _unauthorized(response, "invalid token")


async def test_expired_token_is_a_401(server: Server) -> None:
    response = await server.client.get("/sse/alice:chat", headers=bearer(token(ttl=-10)))
    _unauthorized(response, "expired")


async def test_token_not_valid_yet_is_a_401(server: Server) -> None:
    early = token(nbf=int(time.time()) + 60)
    _unauthorized(
        await server.client.get("/sse/alice:chat", headers=bearer(early)), "not valid yet"
    )


async def test_subscribing_to_another_users_session_is_a_403(server: Server) -> None:
    response = await server.client.get("/sse/bob:chat", headers=bearer(token("alice")))
    check_problem(response, 403)
    stats = await server.client.get("/api/sessions/bob:chat/stats", headers=bearer(token("alice")))
    check_problem(stats, 403)


async def test_publishing_without_the_right_is_a_403(server: Server) -> None:
    reader = bearer(token("alice", publish=[]))
    response = await server.client.post(
        "/api/sessions/alice:chat/events", json=message("m"), headers=reader
    )
    check_problem(response, 403)
    response = await server.client.post(
        "/api/sessions/bob:chat/events", json=message("m"), headers=bearer(token("alice"))
    )
    check_problem(response, 403)


async def test_a_right_the_token_lacks_is_named_in_the_challenge_on_every_path(
    server: Server,
) -> None:
    """A 403 for a right the token does not give carries ``error="insufficient_scope"`` (RFC
    6750 §3.1: another token may do); a 403 for anything else (a foreign origin) does not."""
    alice, reader = bearer(token("alice")), bearer(token("alice", publish=[]))
    client = server.client
    regenerate = {"sessionId": "bob:chat", "messageId": "m-1", "query": "q"}
    refused = [
        await client.get("/sse/bob:chat", headers=alice),
        await client.get("/sse?session=alice:chat&session=bob:chat", headers=alice),
        await client.get("/api/sessions/bob:chat/events", headers=alice),
        await client.get("/api/events?session=bob:chat", headers=alice),
        await client.get("/api/sessions/bob:chat/stats", headers=alice),
        await client.post("/api/sessions/alice:chat/events", json=message("m"), headers=reader),
        await client.put("/api/sessions/alice:chat", headers=reader),
        await client.delete("/api/sessions/alice:chat", headers=reader),
        await client.post("/api/chat_actions/regenerate", json=regenerate, headers=alice),
        await client.get("/apps/demo/users/bob/sessions/alice:chat/run?query=q", headers=alice),
    ]
    for response in refused:
        check_problem(response, 403)
        assert response.headers["www-authenticate"] == (
            'Bearer realm="sluice", error="insufficient_scope"'
        ), response.request.url
    foreign = await client.post(
        "/api/sessions/alice:chat/events",
        json=message("m"),
        headers={**alice, "Origin": "https://elsewhere.example"},
    )
    check_problem(foreign, 403)
    assert "www-authenticate" not in foreign.headers


async def test_token_in_the_cookie(server: Server) -> None:
    server.streams.cookies.set("sluice_token", token())
    async with server.stream("/sse/alice:chat") as stream:
        assert (await stream.next())["data"]["userId"] == "alice"


async def test_token_in_the_query(server: Server) -> None:
    async with server.stream("/sse/alice:chat", params={"access_token": token()}) as stream:
        assert (await stream.next())["data"]["userId"] == "alice"


async def test_sub_pattern_is_the_subject(server: Server) -> None:
    auth = bearer(token("bob", subscribe=["chat.{sub}"]))
    async with server.stream("/sse/chat.bob", headers=auth) as stream:
        assert (await stream.next())["data"]["sessionId"] == "chat.bob"
    check_problem(await server.client.get("/sse/chat.alice", headers=auth), 403)


async def test_star_pattern_matches_within_one_segment(server: Server) -> None:
    auth = bearer(token("carol", subscribe=["team:*"]))
    async with server.stream("/sse/team:red", headers=auth) as stream:
        assert (await stream.next())["type"] == "connection"
    check_problem(await server.client.get("/sse/team:red:secret", headers=auth), 403)
    check_problem(await server.client.get("/sse/teams", headers=auth), 403)


async def test_stream_ends_when_the_token_expires(server: Server) -> None:
    short = jwt.encode(
        {"sub": "alice", "exp": time.time() + 1.5, "sluice": {"subscribe": ["alice:*"]}},
        key=server.app.settings.jwt_secret,
        algorithm="HS256",
    )
    async with server.stream("/sse/alice:chat", headers=bearer(short)) as stream:
        events = await stream.rest()  # ends cleanly
    assert [e["type"] for e in events] == ["connection", "error", "connection"]
    assert events[1]["data"]["code"] == "token_expired"
    assert events[2]["data"]["status"] == "disconnected"


async def test_es256_public_key_file(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "key.pem").write_bytes(pem)
    async with running(settings(jwt_public_key_file=str(tmp_path / "key.pem"))) as server:
        signed = token(key=private, algorithm="ES256")
        async with server.stream("/sse/alice:chat", headers=bearer(signed)) as stream:
            assert (await stream.next())["data"]["userId"] == "alice"
        hmac = await server.client.get("/sse/alice:chat", headers=bearer(token()))
        check_problem(hmac, 401)


async def test_no_auth_mode_lets_everyone_in_and_says_so(open_server: Server) -> None:
    health = (await open_server.client.get("/healthz")).json()
    assert health["auth"] == "disabled"
    async with open_server.stream("/sse/anyone") as stream:
        assert "userId" not in (await stream.next())["data"]


async def test_without_a_key_the_hub_starts_locked() -> None:
    unkeyed = settings()
    unkeyed = attrs.evolve(unkeyed, jwt_secret=None)
    async with running(unkeyed) as server:
        health = (await server.client.get("/healthz")).json()
        assert health["auth"] == "unconfigured"
        refused = check_problem(await server.client.get("/sse/alice:chat"), 401)
        assert "--jwt-secret" in refused["detail"]
        publish = await server.client.post(
            "/api/sessions/alice:chat/events", headers=bearer(token()), json=[]
        )
        check_problem(publish, 401)


@pytest.mark.parametrize(
    ("pattern", "subject", "session_id", "matches"),
    [
        ("{sub}:*", "alice", "alice:chat", True),
        ("{sub}:*", "alice", "alice:chat:x", False),
        ("{sub}:*", "alice", "alicex:chat", False),
        ("{sub}:*", "al:ice", "al:ice:chat", False),  # a subject with ':' never matches
        ("{sub}", "a|b", "a|b", False),  # nor one with characters ids cannot hold
        ("a.*", "x", "a.b", True),
        ("a.*", "x", "aXb", False),  # '.' is literal
        ("*", "x", "anything-at-all", True),
        ("*", "x", "two:segments", False),
        ("exact", None, "exact", True),
    ],
)
def test_session_patterns(
    pattern: str, subject: str | None, session_id: str, matches: bool
) -> None:
    assert SessionPattern.compile(pattern, subject).matches(session_id) is matches
