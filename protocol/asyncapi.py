"""The AsyncAPI 3.0 document of Sluice, generated from the schemas (served as ``/asyncapi.json``).

It describes the SSE streams (one message per event type, its payload that type's envelope)
and the REST publish operation, from a client's side: a client *receives* on the stream
channels and *sends* to the publish channel, whose reply is the publish response or a
problem. Every schema is embedded under ``components.schemas`` (see :mod:`protocol.bundle`),
so the document is self-contained: all ``$ref``\\ s point inside it.
"""

from __future__ import annotations

import copy
import re
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

from . import bundle
from .catalogue import Catalogue, builtin

ASYNCAPI_VERSION = "3.0.0"
_HTTP_BINDING = "0.3.0"
_SCHEMAS = "#/components/schemas/"

_DESCRIPTION = """\
Sluice is a Server-Sent Events hub: backends publish typed events to a session and every \
client subscribed to that session receives them in order, catching up from history when it \
reconnects with `Last-Event-ID`.

Each SSE frame carries `event:` (the event type), `id:` (the event id; absent for events \
kept out of history, such as `connection` and `keepalive`) and `data:` (the JSON envelope \
`{type, data, id, timestamp}`). Operations are described from a client's side."""

_PATH_PARAMETERS = {
    "appName": "Name of the agent application.",
    "userId": "The user; must be the token's subject.",
}

_STREAM_QUERY = {
    "lastEventId": {
        "type": "string",
        "description": "Resume after this event id, for clients that cannot send the "
        "Last-Event-ID header (a browser's first connect).",
    },
    "access_token": {
        "type": "string",
        "description": "The JWT, for EventSource, which cannot set headers.",
    },
}

# (channel, address, title, operation, query parameters required beyond the stream's own)
_STREAMS: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    (
        "sessionStream",
        "/sse/{sessionId}",
        "Session event stream",
        "receiveSessionEvents",
        {},
    ),
    (
        "agentNetworkStream",
        "/agent_network_sse/{sessionId}",
        "Session event stream (the guide's path)",
        "receiveAgentNetworkEvents",
        {},
    ),
    (
        "agentRun",
        "/apps/{appName}/users/{userId}/sessions/{sessionId}/run",
        "Agent run stream",
        "runAgent",
        {"query": {"type": "string", "description": "The user query the agent answers."}},
    ),
)

_SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "JWT in the Authorization header; its claims list the sessions the "
        "user may subscribe and publish to. Not required when the hub runs with --no-auth.",
    },
    "cookie": {
        "type": "httpApiKey",
        "name": "sluice_token",
        "in": "cookie",
        "description": "The same JWT in a cookie (for browsers).",
    },
    "query": {
        "type": "httpApiKey",
        "name": "access_token",
        "in": "query",
        "description": "The same JWT as a query parameter (for EventSource).",
    },
}
_SECURITY = [{"$ref": f"#/components/securitySchemes/{name}"} for name in _SECURITY_SCHEMES]


def _parameters() -> dict[str, Any]:
    session_id = builtin().schema("defs.json")["$defs"]["sessionId"]["description"]
    descriptions = {"sessionId": session_id, **_PATH_PARAMETERS}
    return {name: {"description": text} for name, text in descriptions.items()}


def _address_parameters(address: str) -> dict[str, Any]:
    names = re.findall(r"\{(\w+)\}", address)
    return {name: {"$ref": f"#/components/parameters/{name}"} for name in names}


def _event_messages(catalogue: Catalogue) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for event_type in catalogue.event_types:
        data = catalogue.schema(f"events/{event_type}.json")
        messages[event_type] = {
            "name": event_type,
            "title": data["title"],
            "summary": data["description"],
            "description": f"An SSE frame with `event: {event_type}` whose `data:` line is "
            "this envelope as JSON.",
            "contentType": "application/json",
            "payload": {"$ref": _SCHEMAS + bundle.envelope_component(event_type)},
        }
    return messages


def _publish_messages() -> dict[str, Any]:
    request = builtin().schema("rest/publish-request.json")
    response = builtin().schema("rest/publish-response.json")
    problem = builtin().schema("rest/problem.json")
    return {
        "publishRequest": {
            "name": "publishRequest",
            "title": request["title"],
            "summary": request["description"],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "Idempotency-Key": {
                        "type": "string",
                        "description": "1 to 255 visible ASCII characters, bare or as a quoted "
                        "string (IETF httpapi draft 'The Idempotency-Key HTTP Header Field'). A "
                        "repeat with an equal body gets the first answer and publishes nothing.",
                    }
                },
            },
            "payload": {"$ref": _SCHEMAS + bundle.file_component("rest/publish-request.json")},
        },
        "publishResponse": {
            "name": "publishResponse",
            "title": response["title"],
            "summary": response["description"],
            "contentType": "application/json",
            "payload": {"$ref": _SCHEMAS + bundle.file_component("rest/publish-response.json")},
            "bindings": {"http": {"statusCode": 201, "bindingVersion": _HTTP_BINDING}},
        },
        "problem": {
            "name": "problem",
            "title": problem["title"],
            "summary": "The publish was refused and nothing was published: 400 (malformed "
            "session id or Idempotency-Key), 401/403 (auth), 413 (too large), 422 (every "
            "schema error listed in errors, each with its JSON pointer; or an Idempotency-Key "
            "sent again with another body), 429 (too many requests).",
            "contentType": "application/problem+json",
            "payload": {"$ref": _SCHEMAS + bundle.file_component("rest/problem.json")},
        },
    }


def _servers(server_url: str) -> dict[str, Any]:
    parts = urlsplit(server_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"server_url must be an http(s) URL with a host, got {server_url!r}")
    server: dict[str, Any] = {
        "host": parts.netloc,
        "protocol": parts.scheme,
        "description": "The Sluice hub.",
    }
    if parts.path.strip("/"):
        server["pathname"] = "/" + parts.path.strip("/")
    return {"sluice": server}


def _streams(event_types: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stream channels and their receive operations, each carrying every event type."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for channel, address, title, operation, extra_query in _STREAMS:
        channels[channel] = {
            "address": address,
            "title": title,
            "description": "text/event-stream: a `connection` event first, then history "
            "after the resume point (or `stream_reset` when history cannot cover it), then "
            "live events; `keepalive` events while idle.",
            "parameters": _address_parameters(address),
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in event_types},
        }
        query = {**_STREAM_QUERY, **extra_query}
        operations[operation] = {
            "action": "receive",
            "title": title,
            "summary": f"GET {address}: subscribe to the session's events.",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{t}"} for t in event_types],
            "security": _SECURITY,
            "bindings": {
                "http": {
                    "method": "GET",
                    "query": {
                        "type": "object",
                        "properties": query,
                        "required": sorted(extra_query),
                    },
                    "bindingVersion": _HTTP_BINDING,
                }
            },
        }
    return channels, operations


def _publishing(messages: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The publish channel (with ``messages``) and its send operation."""
    address = "/api/sessions/{sessionId}/events"
    channel = {
        "address": address,
        "title": "Publish to a session",
        "parameters": _address_parameters(address),
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
    }
    operation = {
        "action": "send",
        "title": "Publish events",
        "summary": f"POST {address}: publish one event or a batch, all or nothing.",
        "channel": {"$ref": "#/channels/sessionEvents"},
        "messages": [{"$ref": "#/channels/sessionEvents/messages/publishRequest"}],
        "reply": {
            "channel": {"$ref": "#/channels/sessionEvents"},
            "messages": [
                {"$ref": "#/channels/sessionEvents/messages/publishResponse"},
                {"$ref": "#/channels/sessionEvents/messages/problem"},
            ],
        },
        "security": _SECURITY,
        "bindings": {"http": {"method": "POST", "bindingVersion": _HTTP_BINDING}},
    }
    return channel, operation


def build_document(
    server_url: str | None = None, catalogue: Catalogue | None = None
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``catalogue``'s events (the built-in catalogue unless
    given one) as a JSON-ready dict (a new one on each call).

    ``server_url`` (e.g. ``"https://hub.example.com"``) fills ``servers``; without it the
    document has none and its addresses are relative to wherever it was fetched. ``info.version``
    is the installed ``sluice-sse`` version. Raises ``ValueError`` for a server URL that is
    not http(s).
    """
    catalogue = builtin() if catalogue is None else catalogue
    channels, operations = _streams(catalogue.event_types)
    publish_messages = _publish_messages()
    channels["sessionEvents"], operations["publishEvents"] = _publishing(publish_messages)
    document: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Sluice",
            "version": version("sluice-sse"),
            "description": _DESCRIPTION,
            "license": {"name": "MIT"},
        },
        "defaultContentType": "application/json",
    }
    if server_url is not None:
        document["servers"] = _servers(server_url)
    document["channels"] = channels
    document["operations"] = operations
    document["components"] = {
        "schemas": bundle.components(catalogue, _SCHEMAS),
        "messages": {**_event_messages(catalogue), **publish_messages},
        "parameters": _parameters(),
        "securitySchemes": _SECURITY_SCHEMES,
    }
    return copy.deepcopy(document)  # shares nothing with this module's constants
