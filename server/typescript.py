"""TypeScript declarations of an event catalogue, for frontend teams.

The built-in catalogue's declarations ship with Sluice (``sluice-events.d.ts``, written into
``clients/typescript/src`` by ``nox -s codegen`` and packed into the wheel beside this module),
so exporting them needs no Node. A team's own catalogue is declared by
json-schema-to-typescript at the version pinned in ``package.json`` (:data:`JSON2TS`), run
through npm's runner (``npm exec``), which fetches it once into npm's cache.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

from protocol import Catalogue, builtin, bundle
from protocol.catalogue import CUSTOM_DEFS

#: The file :func:`write_declarations` writes.
DECLARATIONS = "sluice-events.d.ts"
#: The json-schema-to-typescript package and version, as pinned in ``package.json``.
JSON2TS = "json-schema-to-typescript@16.0.0"

_BANNER = (
    "/* Sluice protocol types, generated from the Sluice JSON Schemas by json-schema-to-typescript"
    " (`sluice schemas export --typescript DIR`). Do not edit: regenerate. */"
)
_DEFS = "#/$defs/"
_TIMEOUT = 300.0
# npm's own error lines that say why (not its code, syscall or errno lines, nor its log's place)
_NPM_REASON = re.compile(r"npm (?:error|ERR!) (?!code |syscall |errno |A complete log|\s)")
_CHECKOUT_COPY = Path(__file__).resolve().parents[1] / "clients" / "typescript" / "src"


class NodeToolError(RuntimeError):
    """npm is missing, or json-schema-to-typescript could not be fetched or failed; the
    message says which, in one line."""


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


def declarations_schema(catalogue: Catalogue) -> dict[str, Any]:
    """The one schema handed to json-schema-to-typescript.

    Its root is ``SluiceEventMap`` (each event type with its envelope); every component of
    :func:`protocol.bundle.components` is a definition, declared under its own name. The
    objects nested in a team's data objects and definitions are declared too, each under the
    name :func:`protocol.bundle.nested_objects` gives it (json-schema-to-typescript declares
    a titled object as an interface of that name, and writes an untitled one inline, with no
    name to use it by; a title of the schema's own gives way, so that objects of one title in
    two types make no ``Line1``). The built-in components are left as they are.
    """
    teams = {bundle.data_component(t) for t in catalogue.custom_types}
    if catalogue.custom_types:
        teams |= {bundle.definition_component(k) for k in catalogue.schema(CUSTOM_DEFS)["$defs"]}
    definitions = {
        name: {
            **_type_refs(bundle.titled(schema, name) if name in teams else schema),
            "title": name,
        }
        for name, schema in bundle.components(catalogue, _DEFS).items()
    }
    types = list(catalogue.event_types)
    return {
        "title": bundle.EVENT_MAP,
        "description": "Each event type with its envelope: what JSON.parse gives for the data "
        "of an SSE event of that name.",
        "type": "object",
        "properties": {t: {"tsType": bundle.envelope_component(t)} for t in types},
        "required": types,
        "additionalProperties": False,
        "$defs": definitions,
    }


def generate_declarations(catalogue: Catalogue) -> bytes:
    """The declarations of ``catalogue``, by json-schema-to-typescript through ``npm exec``.

    Raises :class:`NodeToolError` when npm is not installed, the package cannot be fetched,
    or the tool fails.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise NodeToolError(
            "npm is not on PATH: install Node.js (with npm), which runs "
            f"{JSON2TS} to declare your own event types"
        )
    command = [npm, "exec", "--yes", f"--package={JSON2TS}", "--", "json2ts"]
    options = ["--unreachableDefinitions", "--unknownAny", "--bannerComment", _BANNER]
    try:
        result = subprocess.run(
            [*command, *options],
            input=json.dumps(declarations_schema(catalogue)).encode(),
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise NodeToolError(f"npm exec {JSON2TS} did not finish within {_TIMEOUT:.0f} s") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.decode(errors="replace").splitlines()]
        reasons = [line for line in lines if _NPM_REASON.match(line)]
        detail = (reasons or [line for line in lines if line] or ["no output"])[0]
        raise NodeToolError(
            f"npm could not run {JSON2TS} (exit {result.returncode}; is the npm registry "
            f"reachable?): {detail}"
        )
    return result.stdout


def shipped_declarations() -> bytes:
    """The built-in catalogue's declarations as shipped (in the wheel, or the checkout's
    ``clients/typescript/src`` in an editable install)."""
    packed = files(__package__ or "server").joinpath(DECLARATIONS)
    if packed.is_file():
        return packed.read_bytes()
    return (_CHECKOUT_COPY / DECLARATIONS).read_bytes()


def write_declarations(directory: str | Path, catalogue: Catalogue) -> Path:
    """Write ``sluice-events.d.ts`` for ``catalogue`` into ``directory`` (created if needed);
    return its path.

    It declares one interface per event data type (``MessageData``), one envelope per event
    type (``MessageEnvelope``: ``{type: "message", data: MessageData, id, timestamp, ttl?}``),
    the discriminated union ``SluiceEvent`` of the envelopes (narrow on ``type``), the
    publish inputs and ``SluiceEventInput``, ``EventType``, ``SluiceEventMap`` and the REST
    bodies. The built-in catalogue's come as shipped; a team's are generated (see
    :func:`generate_declarations`, whose :class:`NodeToolError` this raises).
    """
    source = generate_declarations(catalogue) if catalogue.custom_types else shipped_declarations()
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    path = target / DECLARATIONS
    path.write_bytes(source)
    return path


def main() -> int:
    """Regenerate the built-in declarations in the checkout (``nox -s codegen`` runs it)."""
    target = _CHECKOUT_COPY / DECLARATIONS
    try:
        target.write_bytes(generate_declarations(builtin()))
    except NodeToolError as error:
        print(f"python -m server.typescript: {error}")
        return 1
    print(f"python -m server.typescript: wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
