"""Settings from flags and SLUICE_* variables; `sluice serve` refuses a bad one with exit code 2."""

from __future__ import annotations

import argparse
import os
import socket

import attrs
import pytest
from hub_client import SECRET

from server.cli import main
from server.settings import InvalidSetting, Settings, add_arguments, load, options


def test_defaults_and_precedence() -> None:
    settings = load({"port": "9000"}, {"SLUICE_PORT": "7000", "SLUICE_NO_AUTH": "yes"})
    assert settings.port == 9000  # the flag wins over the variable
    assert settings.no_auth is True
    assert (settings.host, settings.keepalive, settings.retry) == ("127.0.0.1", 30.0, 3000)
    config = settings.broadcaster_config()
    assert (config.max_queue_size, config.max_history_per_session, config.event_ttl) == (
        1000,
        500,
        300.0,
    )


def test_cors_origins_are_a_comma_separated_list_of_origins() -> None:
    environ = {"SLUICE_NO_AUTH": "1", "SLUICE_CORS_ORIGINS": " https://App.example.com, *,"}
    settings = load({}, environ)
    assert settings.cors_origins == ("https://app.example.com", "*")
    assert settings.public_origin is None and settings.body_timeout == 30.0
    assert load({"public_origin": "https://Hub.example.com"}, environ).public_origin == (
        "https://hub.example.com"
    )


def test_event_schemas_repeat_as_flags_and_separate_like_path_in_the_variable() -> None:
    environ = {"SLUICE_NO_AUTH": "1", "SLUICE_EVENT_SCHEMAS": f"a{os.pathsep}{os.pathsep}b"}
    assert load({}, environ).event_schemas == ("a", "b")
    assert load({"event_schemas": ["c", "d"]}, environ).event_schemas == ("c", "d")
    assert load({}, {"SLUICE_NO_AUTH": "1"}).event_schemas == ()
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flags = vars(parser.parse_args(["--event-schemas", "c", "--event-schemas", "d"]))
    assert load(flags, {"SLUICE_NO_AUTH": "1"}).event_schemas == ("c", "d")


def test_every_setting_has_a_flag_and_a_variable() -> None:
    found = options()
    assert set(found) == {a.name for a in attrs.fields(Settings)}
    assert found["max_history_per_session"].flag == "--history-size"
    assert found["max_history_per_session"].env == "SLUICE_HISTORY_SIZE"
    assert found["enable_metrics"].flag == "--metrics"
    for required in (
        "--no-auth",
        "--jwt-secret",
        "--jwt-public-key-file",
        "--keepalive",
        "--max-queue-size",
        "--event-ttl",
        "--session-ttl",
        "--backplane",
    ):
        assert required in {o.flag for o in found.values()}


@pytest.mark.parametrize(
    ("flags", "environ", "named"),
    [
        ({"port": "eighty"}, {"SLUICE_NO_AUTH": "1"}, "--port"),
        ({"port": "70000"}, {"SLUICE_NO_AUTH": "1"}, "--port"),
        ({}, {"SLUICE_NO_AUTH": "1", "SLUICE_KEEPALIVE": "0"}, "SLUICE_KEEPALIVE"),
        ({}, {"SLUICE_NO_AUTH": "maybe"}, "SLUICE_NO_AUTH"),
        ({"event_ttl": "-5", "no_auth": "true"}, {}, "--event-ttl"),
        ({"no_auth": "true", "backplane": "kafka"}, {}, "--backplane"),
        ({"no_auth": "true", "log_level": "loud"}, {}, "--log-level"),
        ({"no_auth": "true", "agent": "not a spec"}, {}, "--agent"),
        ({"no_auth": "true", "jwt_secret": SECRET}, {}, "--no-auth"),
        ({"jwt_secret": SECRET, "jwt_algorithms": "none"}, {}, "--jwt-algorithms"),
        ({"no_auth": "true", "cors_origins": "https://app.example.com/"}, {}, "--cors-origins"),
        (
            {},
            {"SLUICE_NO_AUTH": "1", "SLUICE_CORS_ORIGINS": "app.example.com"},
            "SLUICE_CORS_ORIGINS",
        ),
        ({"no_auth": "true", "public_origin": "https://hub.example.com/x"}, {}, "--public-origin"),
        ({"no_auth": "true", "body_timeout": "0"}, {}, "--body-timeout"),
        (
            {"no_auth": "true", "memory_warning_threshold_mb": "300"},
            {},
            "--memory-warning-mb",
        ),
        ({"no_auth": "true", "gc_threshold": "2147483648"}, {}, "--gc-threshold"),
        ({"no_auth": "true", "workers": "2"}, {}, "--workers"),
        ({"no_auth": "true", "backplane": "memory"}, {"SLUICE_WORKERS": "4"}, "SLUICE_WORKERS"),
        ({"no_auth": "true", "backplane": "redis", "workers": "0"}, {}, "--workers"),
    ],
)
def test_bad_settings_name_the_setting(
    flags: dict[str, str], environ: dict[str, str], named: str
) -> None:
    with pytest.raises(InvalidSetting) as raised:
        load(flags, environ)
    assert raised.value.name == named


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("port", "\u0668\u0660"),  # Arabic-Indic 80: int() takes it
        ("port", "8_0"),
        ("max_streams", "\uff15"),  # fullwidth 5
        ("keepalive", "inf"),
        ("keepalive", "nan"),
        ("send_timeout", "1e400"),  # float() reads it as inf
        ("event_ttl", "-Infinity"),
        ("session_ttl", "\u0663\u0660"),
        ("body_timeout", "1_0"),
        ("redis_timeout", "0x10"),
    ],
)
def test_a_number_is_ascii_decimal_and_finite(name: str, raw: str) -> None:
    flag = options()[name].flag
    with pytest.raises(InvalidSetting) as raised:
        load({name: raw, "no_auth": "true"}, {})
    assert (raised.value.name, raw) == (flag, raw)
    assert raised.value.message.startswith(("expected an integer", "expected a finite number"))


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [("port", " 8080 ", 8080), ("keepalive", ".5e1", 5.0), ("retry", "+250", 250)],
)
def test_a_number_in_ascii_decimal_is_taken(name: str, raw: str, value: float) -> None:
    assert getattr(load({name: raw, "no_auth": "true"}, {}), name) == value


@pytest.mark.parametrize("name", ["keepalive", "graceful_timeout", "idempotency_ttl"])
def test_an_infinite_value_is_refused_when_built_directly(name: str) -> None:
    with pytest.raises(InvalidSetting) as raised:
        Settings(no_auth=True, **{name: float("inf")})
    assert raised.value.name == name


def test_the_memory_thresholds_name_each_other_by_flag() -> None:
    with pytest.raises(InvalidSetting) as raised:
        load({"no_auth": "true", "memory_warning_threshold_mb": "300"}, {})
    assert raised.value.report("serve") == (
        "sluice serve: --memory-warning-mb: must not exceed --memory-critical-mb (300.0 > 200.0)"
    )


def test_serve_exits_2_with_one_line_for_a_bad_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLUICE_NO_AUTH", raising=False)
    monkeypatch.delenv("SLUICE_JWT_SECRET", raising=False)
    assert main(["serve", "--no-auth", "--max-queue-size", "0"]) == 2
    assert main(["serve", "--jwt-secret", "short"]) == 2
    assert main(["serve", "--no-auth", "--agent", "no_such_module:agent"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "sluice serve: --max-queue-size: must be a positive integer, got 0",
        "sluice serve: --jwt-secret (SLUICE_JWT_SECRET): must be at least 32 bytes for HS256 "
        "(RFC 7518 3.2)",
        "sluice serve: --agent (SLUICE_AGENT): cannot load 'no_such_module:agent': "
        "No module named 'no_such_module'",
    ]


def test_serve_on_an_address_in_use_exits_1_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLUICE_JWT_SECRET", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--no-auth", "--port", str(port)]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"sluice serve: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert captured.out == ""


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("redis://", "needs a host"),
        ("redis://:hush@/0", "needs a host"),
        ("redis://127.0.0.1:99999/0", "the port must be a number from 1 to 65535, got '99999'"),
        ("redis://127.0.0.1:0/0", "got '0'"),
        ("redis://:hush@127.0.0.1:six/0", "got 'six'"),
        ("redis://127.0.0.1:6379/one", "the database (the path) must be a number such as /0"),
        ("rediss://127.0.0.1:6380/-1", "got '/-1'"),
        ("unix://", "a unix:// URL needs the socket's path"),
    ],
)
def test_a_redis_url_the_client_would_misread_is_refused(url: str, said: str) -> None:
    """Refused at start (exit 2), not taken as database 0 or failing with a traceback once the
    hub opens; the message never quotes the password."""
    with pytest.raises(InvalidSetting) as raised:
        Settings(backplane="redis", redis_url=url)
    assert raised.value.name == "redis_url" and said in str(raised.value)
    assert "hush" not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1",
        "redis://user:pass@redis.internal:6379/2",
        "rediss://[::1]:6380/0",
        "redis://127.0.0.1:6379/0?db=3",
        "unix:///run/redis/redis.sock",
    ],
)
def test_a_redis_url_in_every_form_the_client_reads(url: str) -> None:
    assert Settings(backplane="redis", redis_url=url).redis_url == url
