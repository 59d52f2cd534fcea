"""`sluice token`: a signed token from the same secret as `serve`, accepted by a real hub."""

from __future__ import annotations

import time

import jwt
import pytest
from hub_client import SECRET, Server, bearer, message

from server.cli import main
from server.security.auth import Authenticator
from server.security.tokens import CannotSign, issue_token, parse_duration
from server.settings import Settings


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("1h", 3600), ("7d", 604800)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1w", "h", "-1h", "0", "1 hour"])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_a_token_carries_the_rights_audience_and_issuer_the_hub_requires() -> None:
    secret = SECRET * 2  # HS384 needs 48 bytes
    settings = Settings(
        jwt_secret=secret, jwt_algorithms=("HS384",), jwt_audience="app", jwt_issuer="me"
    )
    authenticator = Authenticator.from_settings(settings)
    token = issue_token(
        authenticator, "alice", subscribe=["{sub}:*", "lobby"], publish=["{sub}:*"], ttl=3600
    )
    assert jwt.get_unverified_header(token)["alg"] == "HS384"
    claims = jwt.decode(token, secret, algorithms=["HS384"], audience="app", issuer="me")
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 5
    principal = authenticator.authenticate(token)
    assert principal.subject == "alice"
    assert principal.may_subscribe("lobby") and principal.may_subscribe("alice:chat")
    assert principal.may_publish("alice:chat") and not principal.may_publish("lobby")
    assert not principal.may_subscribe("bob:chat")


@pytest.mark.parametrize(
    "settings",
    [Settings(no_auth=True), Settings()],
    ids=["no-auth", "unconfigured"],
)
def test_no_token_without_a_shared_secret(settings: Settings) -> None:
    with pytest.raises(CannotSign, match="--jwt-secret"):
        issue_token(Authenticator.from_settings(settings), "a", subscribe=[], publish=[], ttl=60)


def test_cli_takes_the_secret_from_the_variable_and_the_flag_wins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLUICE_JWT_SECRET", SECRET)
    argv = ["token", "--sub", "bob", "--subscribe", "team:*", "--publish", "team:red"]
    assert main([*argv, "--ttl", "30m"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "bob"
    assert claims["sluice"] == {"subscribe": ["team:*"], "publish": ["team:red"]}
    assert claims["exp"] - claims["iat"] == 1800

    other = "another-secret-that-is-long-enough-for-hs256"
    assert main([*argv, "--jwt-secret", other]) == 0
    jwt.decode(capsys.readouterr().out.strip(), other, algorithms=["HS256"])


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        ([], {}, "sluice token: a token is signed with the hub's shared secret"),
        ([], {"SLUICE_JWT_SECRET": "short"}, "sluice token: --jwt-secret (SLUICE_JWT_SECRET): "),
        (["--ttl", "soon"], {"SLUICE_JWT_SECRET": SECRET}, "sluice token: --ttl: expected"),
        (
            ["--jwt-algorithms", "RS256"],
            {"SLUICE_JWT_SECRET": SECRET},
            "sluice token: --jwt-algorithms",
        ),
    ],
)
def test_cli_refuses_with_one_line(
    argv: list[str],
    environ: dict[str, str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SLUICE_JWT_SECRET", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert main(["token", "--sub", "alice", "--subscribe", "x", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(expected) and err.count("\n") == 1, err


async def test_a_printed_token_reads_and_publishes_on_a_real_hub(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--sub", "alice", "--subscribe", "{sub}:*", "--publish", "{sub}:*", "--ttl", "1h"]
    assert main(["token", *argv, "--jwt-secret", SECRET]) == 0
    token = capsys.readouterr().out.strip()
    async with server.stream("/sse/alice:chat", headers=bearer(token)) as stream:
        assert (await stream.next())["data"]["userId"] == "alice"
        await server.publish("alice:chat", message("hi"), headers=bearer(token))
        assert (await stream.until("message"))[-1]["data"]["content"] == "hi"
    refused = await server.client.get("/api/sessions/bob:chat/stats", headers=bearer(token))
    assert refused.status_code == 403
