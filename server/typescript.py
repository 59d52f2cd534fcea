"""TypeScript declarations of the protocol for frontend teams, by json-schema-to-typescript.

The node tools are pinned in the checkout's ``package.json`` and installed by ``npm ci``;
this module runs them with ``node`` from ``node_modules``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from protocol import bundle, registry

#: The file :func:`write_declarations` writes.
DECLARATIONS = "sluice-events.d.ts"

_BANNER = (
    "/* Sluice protocol types, generated from the Sluice JSON Schemas by json-schema-to-typescript"
    " (`sluice schemas export --typescript DIR`). Do not edit: regenerate. */"
)
_DEFS = "#/$defs/"
_TIMEOUT = 120.0


class NodeToolError(RuntimeError):
    """A node tool is missing (run ``npm ci``) or failed; the message says which and why."""


def node_modules() -> Path:
    """The checkout's ``node_modules`` (from the working directory or beside the packages)."""
    candidates = (Path.cwd() / "node_modules", Path(__file__).resolve().parents[1] / "node_modules")
    for candidate in candidates:
        if (candidate / ".bin").is_dir():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise NodeToolError(f"node_modules not found (looked in {looked}): run npm ci")


def node_command(tool: str) -> list[str]:
    """The command line that runs ``node_modules/.bin/<tool>`` with node."""
    node = shutil.which("node")
    if node is None:
        raise NodeToolError("node is not on PATH: install Node.js, then run npm ci")
    script = node_modules() / ".bin" / tool
    if not script.exists():
        raise NodeToolError(f"{script} is missing: run npm ci")
    return [node, str(script)]


def _type_refs(node: Any) -> Any:
    """Every ``$ref`` to a definition becomes a ``tsType`` naming it.

    json-schema-to-typescript turns a ``$ref`` with a sibling ``description`` into a fresh
    alias (``Timestamp1``, ``Timestamp2``...); a ``tsType`` keeps the property's comment and
    uses the one declaration of each definition.
    """
    if isinstance(node, dict):
        out = {key: _type_refs(value) for key, value in node.items() if key != "$ref"}
        if "$ref" in node:
            out["tsType"] = node["$ref"].removeprefix(_DEFS)
        return out
    if isinstance(node, list):
        return [_type_refs(item) for item in node]
    return node


def declarations_schema() -> dict[str, Any]:
    """The one schema handed to json-schema-to-typescript.

    Its root is ``SluiceEventMap`` (each event type with its envelope); every component of
    :func:`protocol.bundle.components` is a definition, declared under its own name.
    """
    definitions = {
        name: {**_type_refs(schema), "title": name}
        for name, schema in bundle.components(_DEFS).items()
    }
    types = list(registry.event_types())
    return {
        "title": "SluiceEventMap",
        "description": "Each event type with its envelope: what JSON.parse gives for the data "
        "of an SSE event of that name.",
        "type": "object",
        "properties": {t: {"tsType": bundle.envelope_component(t)} for t in types},
        "required": types,
        "additionalProperties": False,
        "$defs": definitions,
    }


def write_declarations(directory: str | Path) -> Path:
    """Write ``sluice-events.d.ts`` into ``directory`` (created if needed); return its path.

    It declares one interface per event data type (``MessageData``), one envelope per event
    type (``MessageEnvelope``: ``{type: "message", data: MessageData, id, timestamp, ttl?}``),
    the discriminated union ``SluiceEvent`` of the envelopes (narrow on ``type``), the
    publish inputs and ``SluiceEventInput``, ``EventType``, ``SluiceEventMap`` and the REST
    bodies. Raises :class:`NodeToolError` when the node tools are missing or fail.
    """
    command = [
        *node_command("json2ts"),
        "--unreachableDefinitions",
        "--unknownAny",
        "--bannerComment",
        _BANNER,
    ]
    try:
        result = subprocess.run(
            command,
            input=json.dumps(declarations_schema()).encode(),
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise NodeToolError(f"json2ts did not finish within {_TIMEOUT:.0f} s") from None
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()
        raise NodeToolError(f"json2ts failed (exit {result.returncode}): {detail}")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    path = target / DECLARATIONS
    path.write_bytes(result.stdout)
    return path
