"""The AsyncAPI document: valid against the official AsyncAPI 3.0.0 JSON Schema (from the
@asyncapi/specs npm package, resolved offline), self-contained, and faithful to the schemas."""

from __future__ import annotations

import copy
import json
from typing import Any, get_args

import pytest
from jsonschema import Draft7Validator
from node_tools import ROOT
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

from protocol import bundle, event_types, validator
from protocol.asyncapi import build_document
from sse_core import ResetReason

STREAMS = {
    "sessionStream": "/sse/{sessionId}",
    "agentNetworkStream": "/agent_network_sse/{sessionId}",
    "agentRun": "/apps/{appName}/users/{userId}/sessions/{sessionId}/run",
}


def _refuse(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)


@pytest.fixture(scope="module")
def asyncapi_validator() -> Draft7Validator:
    """The official schema, its ``$ref``\\ s resolved from the package's own files only."""
    specs = ROOT / "node_modules" / "@asyncapi" / "specs"
    official = json.loads((specs / "schemas" / "3.0.0.json").read_text())
    assert official["$schema"].startswith("http://json-schema.org/draft-07/schema")
    resources = []
    for path in sorted(specs.glob("*/**/*.json")):
        body = json.loads(path.read_text())
        if isinstance(body, dict) and "$id" in body:
            resources.append(Resource.from_contents(body, default_specification=DRAFT7))
    registry: Registry[Any] = (
        Registry(retrieve=_refuse)  # type: ignore[call-arg]
        .with_resources((resource.id(), resource) for resource in resources)
        .with_resource(official["$id"], Resource.from_contents(official))
        .crawl()
    )
    return Draft7Validator(
        official, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER
    )


def _errors(checker: Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message[:200]}" for e in checker.iter_errors(document)]


@pytest.mark.parametrize("server_url", [None, "https://hub.example.com/sluice/"])
def test_document_is_valid_asyncapi_3(
    asyncapi_validator: Draft7Validator, server_url: str | None
) -> None:
    document = build_document(server_url)
    assert document["asyncapi"] == "3.0.0"
    assert _errors(asyncapi_validator, document) == []


def test_the_official_schema_refuses_a_broken_document(
    asyncapi_validator: Draft7Validator,
) -> None:
    document = build_document()
    document["operations"]["publishEvents"]["action"] = "publish"  # AsyncAPI 2 wording
    del document["info"]["version"]
    assert len(_errors(asyncapi_validator, document)) >= 2


def test_every_event_type_is_a_message_on_every_stream() -> None:
    document = build_document()
    messages = document["components"]["messages"]
    for channel, address in STREAMS.items():
        assert document["channels"][channel]["address"] == address
        assert set(document["channels"][channel]["messages"]) == set(event_types())
    for event_type in event_types():
        message = messages[event_type]
        assert message["name"] == event_type
        envelope = bundle.envelope_component(event_type)
        assert message["payload"] == {"$ref": f"#/components/schemas/{envelope}"}
        schema = document["components"]["schemas"][envelope]
        assert schema["properties"]["type"]["const"] == event_type
        data_ref = f"#/components/schemas/{bundle.data_component(event_type)}"
        assert schema["properties"]["data"]["$ref"] == data_ref


def test_publish_is_a_send_operation_with_a_reply() -> None:
    document = build_document()
    channel = document["channels"]["sessionEvents"]
    assert channel["address"] == "/api/sessions/{sessionId}/events"
    operation = document["operations"]["publishEvents"]
    assert operation["action"] == "send"
    assert operation["bindings"]["http"]["method"] == "POST"
    request = document["components"]["messages"]["publishRequest"]
    assert request["payload"] == {"$ref": "#/components/schemas/PublishRequest"}
    replies = [ref["$ref"].rsplit("/", 1)[1] for ref in operation["reply"]["messages"]]
    assert replies == ["publishResponse", "problem"]
    for name in replies:
        assert name in channel["messages"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_ref_points_inside_the_document() -> None:
    document = build_document()
    refs = _refs(document)
    assert refs
    for ref in refs:
        _resolve(document, ref)


def test_channel_parameters_are_the_placeholders_of_the_address() -> None:
    document = build_document()
    for channel in document["channels"].values():
        placeholders = {part[1:-1] for part in channel["address"].split("/") if "{" in part}
        assert set(channel["parameters"]) == placeholders


def test_operation_messages_are_messages_of_their_channel() -> None:
    document = build_document()
    for operation in document["operations"].values():
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/")
            _resolve(document, message["$ref"])


TIME = "2026-01-31T12:00:00Z"
PROGRESS = {"messageId": "m", "progress": 40}
# (schema file, its component, instance, valid?)
CASES = [
    (
        "envelope.json",
        "SluiceEvent",
        {"type": "regeneration_progress", "data": PROGRESS, "id": "e-1", "timestamp": TIME},
        True,
    ),
    (
        "envelope.json",
        "SluiceEvent",
        {"type": "keepalive", "data": {"timestamp": TIME}, "id": "", "timestamp": TIME},
        True,
    ),
    (
        "envelope.json",
        "SluiceEvent",
        {
            "type": "regeneration_progress",
            "data": {**PROGRESS, "progress": 150},
            "id": "e",
            "timestamp": TIME,
        },
        False,
    ),
    (
        "envelope.json",
        "SluiceEvent",
        {"type": "message", "data": PROGRESS, "id": "e", "timestamp": TIME},
        False,
    ),
    (
        "envelope.json",
        "SluiceEvent",
        {"type": "nope", "data": {}, "id": "e", "timestamp": TIME},
        False,
    ),
    (
        "envelope.json",
        "SluiceEvent",
        {"type": "message", "data": {"content": "x"}, "id": "e", "timestamp": "yesterday"},
        False,
    ),
    (
        "envelope.json",
        "SluiceEvent",
        {"type": "message", "data": {"content": "x"}, "timestamp": TIME},
        False,
    ),
    (
        "event-input.json",
        "SluiceEventInput",
        {"type": "message", "data": {"content": "x"}, "ttl": 5},
        True,
    ),
    (
        "event-input.json",
        "SluiceEventInput",
        {"type": "message", "data": {"content": "x"}, "id": "e"},
        False,
    ),
    (
        "rest/publish-request.json",
        "PublishRequest",
        [{"type": "regeneration_progress", "data": PROGRESS}],
        True,
    ),
    ("rest/publish-request.json", "PublishRequest", [], False),
    ("rest/publish-request.json", "PublishRequest", [{"type": "message", "data": PROGRESS}], False),
]


@pytest.mark.parametrize(("name", "component", "instance", "valid"), CASES)
def test_embedded_schemas_judge_like_the_schema_files(
    name: str, component: str, instance: Any, valid: bool
) -> None:
    document = build_document()
    embedded = Resource.from_contents(document, default_specification=DRAFT7)
    registry: Registry[Any] = Registry(retrieve=_refuse).with_resource("urn:doc", embedded)  # type: ignore[call-arg]
    checker = Draft7Validator(
        {"$ref": f"urn:doc#/components/schemas/{component}"},
        registry=registry,
        format_checker=Draft7Validator.FORMAT_CHECKER,
    )
    assert validator(name).is_valid(instance) is valid
    assert checker.is_valid(instance) is valid


def test_server_url_fills_servers() -> None:
    server = build_document("https://hub.example.com/sluice/")["servers"]["sluice"]
    assert (server["host"], server["protocol"], server["pathname"]) == (
        "hub.example.com",
        "https",
        "/sluice",
    )
    assert "servers" not in build_document()
    with pytest.raises(ValueError, match="http"):
        build_document("ftp://hub.example.com")


def test_each_call_returns_a_fresh_document() -> None:
    first = build_document()
    pristine = copy.deepcopy(first)
    first["components"]["securitySchemes"]["bearer"]["scheme"] = "changed"
    first["operations"]["publishEvents"]["security"].clear()
    assert build_document() == pristine


def test_every_reset_reason_is_in_the_document() -> None:
    """The reasons the hub sends (``sse_core.ResetReason``) are the document's, in
    ``stream_reset`` and in the polling answer."""
    schemas = build_document()["components"]["schemas"]
    reasons = list(get_args(ResetReason))
    assert schemas["StreamResetData"]["properties"]["reason"]["enum"] == reasons
    assert schemas["HistoryResponse"]["properties"]["resetReason"]["enum"] == [*reasons, None]
