"""The event catalogue: an event type is one schema file, and a team's own types go everywhere
the built-in ones go; a catalogue the tools cannot carry is refused, naming file and pointer."""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from nested_catalogue import DEFS as NESTED_DEFS
from nested_catalogue import ORDER_PLACED

import schemas
from protocol import (
    InvalidEvent,
    asyncapi,
    builtin,
    bundle,
    catalogue,
    codegen,
    event_schemas,
    model_fields,
)
from protocol.event_schemas import CatalogueError
from server.typescript import generate_declarations

INVOICE_PAID = {
    "title": "Invoice paid",
    "description": "An invoice was paid in full.",
    "type": "object",
    "properties": {
        "invoiceId": {"description": "The invoice.", "type": "string", "minLength": 1},
        "amount": {"description": "Amount paid, in cents.", "$ref": "defs.json#/$defs/cents"},
        "paidAt": {"description": "When it was paid.", "$ref": "../defs.json#/$defs/timestamp"},
    },
    "required": ["invoiceId", "amount"],
    "additionalProperties": False,
}
#: The same without a team definition: a catalogue of one file.
ALONE = {
    **INVOICE_PAID,
    "properties": {
        **INVOICE_PAID["properties"],
        "amount": {"description": "Amount paid, in cents.", "type": "integer", "minimum": 0},
    },
}
DEFS = {"$defs": {"cents": {"description": "Cents.", "type": "integer", "minimum": 0}}}


ORDER = {
    "order": {
        "id": "o-1",
        "total": 12.5,
        "shipTo": {"city": "Lyon", "geo": {"lat": 45.7, "lon": 4.8}},
    },
    "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}],
}


def _write(folder: Path, files: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        text = body if isinstance(body, str) else json.dumps(body, indent=2)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def team(tmp_path: Path) -> Path:
    return _write(tmp_path / "events", {"invoice_paid.json": INVOICE_PAID, "defs.json": DEFS})


def test_an_event_type_is_one_schema_file(tmp_path: Path) -> None:
    """A copy of schemas/ with one more file in events/: models, builders, validation,
    TypeScript declarations and the AsyncAPI document all have the new type."""
    tree = tmp_path / "schemas"
    shutil.copytree(Path(schemas.__file__).parent, tree, ignore=shutil.ignore_patterns("*.py*"))
    body = {**INVOICE_PAID, "properties": dict(INVOICE_PAID["properties"])}
    body["properties"]["amount"] = {"description": "Cents.", "type": "integer", "minimum": 0}
    _write(tree / "events", {"invoice_paid.json": body})
    grown = catalogue.from_tree(tree)  # type: ignore[arg-type]
    assert "invoice_paid" in grown.event_types
    assert grown.custom_types == ()

    namespace: dict[str, Any] = {"__name__": "protocol._grown", "__package__": "protocol"}
    exec(compile(codegen.generate(grown), "<models>", "exec"), namespace)
    model = namespace["EVENT_CLASSES"]["invoice_paid"]
    assert model.__name__ == "InvoicePaidEvent"
    assert model(invoice_id="i-1", amount=5).amount == 5

    builders_ns: dict[str, Any] = {
        "__name__": "protocol._grown_builders",
        "__package__": "protocol",
    }
    source = codegen.generate_builders(grown).replace("from .models import", "from _grown import")
    import sys

    sys.modules["_grown"] = type(sys)("_grown")
    sys.modules["_grown"].__dict__.update(namespace)
    try:
        exec(compile(source, "<builders>", "exec"), builders_ns)
    finally:
        del sys.modules["_grown"]
    built = builders_ns["EventBuilders"].invoice_paid(invoice_id="i-1", amount=7)
    assert (built.invoice_id, built.amount) == ("i-1", 7)

    event = {"type": "invoice_paid", "data": {"invoiceId": "i-1", "amount": -1}}
    assert [e.pointer for e in grown.validator("event-input.json").errors(event)] == [
        "/data/amount"
    ]
    with pytest.raises(InvalidEvent):
        builtin().check_event_input(event)

    document = asyncapi.build_document(catalogue=grown)
    assert "invoice_paid" in document["components"]["messages"]
    assert "InvoicePaidEnvelope" in document["components"]["schemas"]

    declarations = generate_declarations(grown).decode()
    assert "export interface InvoicePaidData {" in declarations
    assert "  invoice_paid: InvoicePaidEnvelope;" in declarations


def test_a_teams_types_join_the_catalogue_with_their_own_definitions(team: Path) -> None:
    loaded = event_schemas.load([team])
    assert loaded.custom_types == ("invoice_paid",)
    assert loaded.event_types == (*builtin().event_types, "invoice_paid")
    assert loaded.schema("events/invoice_paid.json")["$id"] == (
        "https://sluice-sse.dev/schemas/events/invoice_paid.json"
    )
    assert loaded.schema("events/defs.json")["$defs"]["cents"]["minimum"] == 0
    good = {"type": "invoice_paid", "data": {"invoiceId": "i-1", "amount": 1250}}
    loaded.check_event_input(good)
    bad = {"type": "invoice_paid", "data": {"invoiceId": "", "amount": 1.5, "paidAt": "soon"}}
    pointers = {e.pointer for e in loaded.validator("event-input.json").errors(bad)}
    assert pointers == {"/data/invoiceId", "/data/amount", "/data/paidAt"}
    assert "Cents" in bundle.components(loaded, "#/")
    assert event_schemas.load([]) is builtin()


def test_the_python_export_round_trips(team: Path, tmp_path: Path) -> None:
    source = codegen.generate_export(event_schemas.load([team]))
    path = tmp_path / codegen.EXPORT_MODULE
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("sluice_events", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    event = module.InvoicePaidEvent(invoice_id="i-1", amount=1250, paid_at="2026-01-31T12:00:00Z")
    wire = module.converter.unstructure(event)
    assert wire == {"invoiceId": "i-1", "amount": 1250, "paidAt": "2026-01-31T12:00:00Z"}
    assert module.converter.structure(wire, module.InvoicePaidEvent) == event
    assert {"invoice_paid": module.InvoicePaidEvent} == module.EVENT_CLASSES
    assert attrs.fields(module.InvoicePaidEvent).amount.type is int
    with pytest.raises(ValueError, match="amount"):
        module.InvoicePaidEvent(invoice_id="i-1", amount=-1)


def _refusal(folder: Path, files: dict[str, Any]) -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        event_schemas.load([_write(folder, files)])
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.mark.parametrize(
    ("files", "file", "pointer", "rule", "says"),
    [
        (
            {"a.json": '{\n  "type": "object",\n  "properties": {,}\n}'},
            "a.json",
            "",
            "json",
            "not JSON (line 3 column 18: ",
        ),
        (
            {"a.json": {**ALONE, "properties": {"x": {"type": "strnig"}}}},
            "a.json",
            "/properties/x/type",
            "schema",
            "not a valid 2020-12 schema",
        ),
        (
            {
                "a.json": {
                    **ALONE,
                    "properties": {"x": {"type": "string", "description": "d", "multipleOf": 2}},
                    "required": [],
                }
            },
            "a.json",
            "/properties/x",
            "field-keywords",
            "multipleOf",
        ),
        (
            {"a.json": {**ALONE, "additionalProperties": True}},
            "a.json",
            "",
            "closed-object",
            "only closed objects",
        ),
        (
            {"a.json": {**ALONE, "properties": {"x": {"type": "string"}}, "required": []}},
            "a.json",
            "/properties/x",
            "description",
            "a description is required",
        ),
        (
            {
                "a.json": {
                    **ALONE,
                    "properties": {"x": {"$ref": "https://example.com/s.json"}},
                }
            },
            "a.json",
            "/properties/x/$ref",
            "refs",
            "leaves the catalogue",
        ),
        (
            {"a.json": {**ALONE, "properties": {"x": {"$ref": "message.json"}}}},
            "a.json",
            "/properties/x/$ref",
            "refs",
            "leaves the catalogue",
        ),
        (
            {"a.json": {**ALONE, "properties": {"x": {"$ref": "defs.json#/$defs/nope"}}}},
            "a.json",
            "/properties/x/$ref",
            "refs",
            "no definition 'nope'",
        ),
        ({"a.json": {**ALONE, "$id": "https://x/a.json"}}, "a.json", "/$id", "refs", "$id"),
        ({"message.json": ALONE}, "message.json", "", "no-redefinition", "built-in"),
        (
            {"stream_reset.json": ALONE},
            "stream_reset.json",
            "",
            "no-redefinition",
            "built-in",
        ),
        ({"keepalive.json": ALONE}, "keepalive.json", "", "no-redefinition", "built-in"),
        ({"Invoice-Paid.json": ALONE}, "Invoice-Paid.json", "", "type-name", "type"),
        (
            {"defs.json": {"$defs": {"timestamp": {"type": "string"}}}},
            "defs.json",
            "/$defs/timestamp",
            "no-redefinition",
            "built-in definition",
        ),
    ],
)
def test_a_bad_catalogue_is_refused_naming_file_pointer_and_rule(
    tmp_path: Path, files: dict[str, Any], file: str, pointer: str, rule: str, says: str
) -> None:
    error = _refusal(tmp_path / "events", files)
    assert (error.file, error.pointer, error.rule) == (
        str(tmp_path / "events" / file),
        pointer,
        rule,
    )
    assert says in str(error)
    assert str(error).startswith(str(tmp_path / "events" / file))
    assert str(error).endswith(f"(rule: {rule})")


@pytest.mark.parametrize(
    ("field", "pointer", "rule", "says"),
    [
        (
            {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "/properties/x",
            "field-types",
            'a field needs one "type" (one of string, integer, number, boolean, array,'
            " object); keyword(s) not supported: oneOf",
        ),
        (
            {"type": ["string", "null"]},
            "/properties/x",
            "field-types",
            'type ["string", "null"] is not supported (one of string, integer, number, boolean,'
            ' array, object): a field that may be missing is left out of "required", not null',
        ),
        (
            {"type": ["object", "null"], "properties": {}, "additionalProperties": False},
            "/properties/x",
            "field-types",
            'type ["object", "null"] is not supported (one of string, integer, number, boolean,'
            ' array, object): a field that may be missing is left out of "required", not null',
        ),
        (
            {"type": "string", "format": "email"},
            "/properties/x",
            "format",
            'format "email" is not supported (only date-time; a pattern can check the'
            " value's shape)",
        ),
    ],
)
def test_valid_json_schema_outside_the_subset_is_refused_saying_what_to_write(
    tmp_path: Path, field: dict[str, Any], pointer: str, rule: str, says: str
) -> None:
    """A valid 2020-12 field the generators cannot carry: the refusal names the construct in
    JSON (not Python's repr, not ``type None``) and what the subset takes instead."""
    schema = {**ALONE, "properties": {"x": {"description": "d", **field}}, "required": []}
    error = _refusal(tmp_path / "events", {"a.json": schema})
    assert (error.pointer, error.rule) == (pointer, rule)
    assert str(error).endswith(f": {says} (rule: {rule})")


def test_nested_objects_are_accepted_at_any_depth_and_validated_inside(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "events", {"order_placed.json": ORDER_PLACED, "defs.json": NESTED_DEFS}
    )
    loaded = event_schemas.load([folder])
    assert loaded.custom_types == ("order_placed",)
    loaded.check_event_input({"type": "order_placed", "data": ORDER})
    bad = copy.deepcopy(ORDER)
    bad["order"]["total"] = -1
    del bad["order"]["shipTo"]["geo"]["lon"]
    bad["items"][0]["colour"] = "red"
    bad["items"][1]["qty"] = 0
    errors = loaded.validator("event-input.json").errors({"type": "order_placed", "data": bad})
    assert {e.pointer for e in errors} == {
        "/data/order/total",
        "/data/order/shipTo/geo",
        "/data/items/0",
        "/data/items/1/qty",
    }


def _nested(edit: Callable[[dict[str, Any], dict[str, Any]], object]) -> dict[str, Any]:
    """The files of the nested catalogue after ``edit(schema, defs)`` changed copies of them."""
    schema, defs = copy.deepcopy(ORDER_PLACED), copy.deepcopy(NESTED_DEFS)
    edit(schema, defs)
    return {"order_placed.json": schema, "defs.json": defs}


def _order(schema: dict[str, Any]) -> dict[str, Any]:
    order: dict[str, Any] = schema["properties"]["order"]
    return order


@pytest.mark.parametrize(
    ("files", "pointer", "rule", "says"),
    [
        (
            _nested(lambda s, d: _order(s).pop("additionalProperties")),
            "/properties/order",
            "closed-object",
            "only closed objects (additionalProperties: false) are models",
        ),
        (
            _nested(
                lambda s, d: s["properties"]["items"]["items"].update(additionalProperties=True)
            ),
            "/properties/items/items",
            "closed-object",
            "only closed objects",
        ),
        (
            _nested(lambda s, d: _order(s)["properties"].update(total={"description": "T."})),
            "/properties/order/properties/total",
            "field-types",
            'a field needs one "type"',
        ),
        (
            _nested(lambda s, d: _order(s)["properties"]["id"].pop("description")),
            "/properties/order/properties/id",
            "description",
            "a description is required",
        ),
        (
            _nested(lambda s, d: _order(s).update(minProperties=1)),
            "/properties/order",
            "closed-object",
            "keyword(s) not supported for an object: minProperties",
        ),
        (
            _nested(
                lambda s, d: d["$defs"]["address"]["properties"]["geo"]["properties"]["lat"].update(
                    type=["number", "null"]
                )
            ),
            "defs.json#/$defs/address/properties/geo/properties/lat",  # where it is written
            "field-types",
            "not null",
        ),
        (
            _nested(
                lambda s, d: _order(s)["properties"].update(
                    extra={"description": "E.", "oneOf": [{"type": "string"}, {"type": "integer"}]}
                )
            ),
            "/properties/order/properties/extra",
            "field-types",
            "keyword(s) not supported: oneOf",
        ),
        (
            _nested(
                lambda s, d: s["properties"].update(orderShipTo=NESTED_DEFS["$defs"]["address"])
            ),
            "/properties/orderShipTo/properties/geo",  # the innermost class first
            "field-name",
            "its class name OrderPlacedEventOrderShipToGeo is also that of "
            "events/order_placed.json/properties/order/properties/shipTo/properties/geo",
        ),
    ],
)
def test_a_nested_object_keeps_the_rules_of_the_data_object(
    tmp_path: Path, files: dict[str, Any], pointer: str, rule: str, says: str
) -> None:
    error = _refusal(tmp_path / "events", files)
    file, _, pointer = pointer.rpartition("#")
    assert (error.file, error.pointer, error.rule) == (
        str(tmp_path / "events" / (file or "order_placed.json")),
        pointer,
        rule,
    )
    assert says in str(error)
    assert str(error).endswith(f"(rule: {rule})")


def test_two_types_making_one_class_name_are_refused(tmp_path: Path) -> None:
    holder = {
        **ALONE,
        "properties": {"bEvent": {**NESTED_DEFS["$defs"]["address"], "description": "B."}},
        "required": [],
    }
    error = _refusal(tmp_path / "events", {"a.json": holder, "a_event_b.json": ALONE})
    assert (error.file, error.pointer, error.rule) == (
        str(tmp_path / "events" / "a_event_b.json"),
        "",
        "field-name",
    )
    assert "its class name AEventBEvent is also that of events/a.json/properties/bEvent" in str(
        error
    )


def test_a_nested_interface_named_like_another_schema_is_refused(tmp_path: Path) -> None:
    """``order_placed``'s field ``order`` is the interface ``OrderPlacedDataOrder``: a
    definition ``orderPlacedDataOrder`` would be declared under the same name."""
    defs = copy.deepcopy(NESTED_DEFS)
    defs["$defs"]["orderPlacedDataOrder"] = {"description": "Clash.", "type": "string"}
    error = _refusal(tmp_path / "events", {"order_placed.json": ORDER_PLACED, "defs.json": defs})
    assert (error.file, error.pointer, error.rule) == (
        str(tmp_path / "events" / "order_placed.json"),
        "/properties/order",
        "field-name",
    )
    assert "its TypeScript interface name OrderPlacedDataOrder is also the name of another" in str(
        error
    )
    defs = copy.deepcopy(NESTED_DEFS)
    defs["$defs"]["addressGeo"] = {"description": "Clash.", "type": "string"}
    error = _refusal(tmp_path / "again", {"order_placed.json": ORDER_PLACED, "defs.json": defs})
    assert (error.file, error.pointer, error.rule) == (
        str(tmp_path / "again" / "defs.json"),
        "/$defs/address/properties/geo",
        "field-name",
    )


@pytest.mark.parametrize(
    ("key", "inner", "pointer", "says"),
    [
        (
            "3d",
            None,
            "/$defs/3d",
            "'3d' makes the TypeScript name '3d', which does not start with a letter",
        ),
        (
            "sluice_event_map",
            None,
            "/$defs/sluice_event_map",
            "'sluice_event_map' makes the TypeScript name SluiceEventMap, that of the "
            "declarations' map of event types",
        ),
        (
            "sluice",
            "eventMap",
            "/$defs/sluice/properties/eventMap",
            "its TypeScript interface name SluiceEventMap is also that of the declarations' map",
        ),
    ],
)
def test_a_definition_the_typescript_declarations_cannot_name_is_refused(
    tmp_path: Path, key: str, inner: str | None, pointer: str, says: str
) -> None:
    """A definition is declared under its name in CamelCase: ``3d`` is no TypeScript name
    (json-schema-to-typescript failed on it), and ``SluiceEventMap`` is the declarations' own
    root (a field of that definition was typed as the map of event types, the definition
    declared as ``SluiceEventMap1``)."""
    definition = copy.deepcopy(NESTED_DEFS["$defs"]["address"])
    if inner is not None:
        definition["properties"] = {inner: definition["properties"]["geo"]}
        definition["required"] = []
    schema = {
        **ALONE,
        "properties": {"at": {"description": "Where.", "$ref": f"defs.json#/$defs/{key}"}},
        "required": [],
    }
    error = _refusal(tmp_path, {"a.json": schema, "defs.json": {"$defs": {key: definition}}})
    assert (error.file, error.pointer, error.rule) == (
        str(tmp_path / "defs.json"),
        pointer,
        "field-name",
    )
    assert says in str(error)


def _class_body_reads(source: str) -> set[str]:
    """The lower-case names the class bodies of a generated module read."""
    read: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            for inner in node.body:
                read |= {
                    n.id
                    for n in ast.walk(inner)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id.islower()
                }
    return read


#: A type with a field of every kind the models carry, each with the checks it can have.
EVERY_KIND = {
    **ALONE,
    "properties": {
        "s": {
            "description": "S.",
            "type": "string",
            "minLength": 1,
            "maxLength": 3,
            "pattern": "^a",
            "format": "date-time",
        },
        "e": {"description": "E.", "type": "string", "enum": ["a", "b"]},
        "i": {"description": "I.", "type": "integer", "minimum": 0, "exclusiveMaximum": 9},
        "n": {"description": "N.", "type": "number", "maximum": 1.5, "exclusiveMinimum": 0},
        "b": {"description": "B.", "type": "boolean"},
        "tags": {
            "description": "T.",
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "maxItems": 3,
            "uniqueItems": True,
        },
        "grid": {
            "description": "G.",
            "type": "array",
            "items": {"type": "array", "items": NESTED_DEFS["$defs"]["address"]},
        },
        "at": {"description": "A.", "$ref": "defs.json#/$defs/address"},
    },
    "required": ["s"],
}


@pytest.mark.parametrize("package", sorted(codegen.EXPORT_IMPORTS))
def test_no_field_takes_a_name_the_model_class_body_reads(tmp_path: Path, package: str) -> None:
    """A field named ``str`` (or ``list``, ``v``, ``attrs``...) would stand for that name in
    the class body after it, and the exported module would not import: such a field is
    refused (rule ``field-name``), and :data:`CLASS_BODY_NAMES` holds every lower-case name
    a class body reads."""
    files = {"every_kind.json": EVERY_KIND, "defs.json": NESTED_DEFS}
    source = codegen.generate_export(event_schemas.load([_write(tmp_path / "e", files)]), package)
    assert _class_body_reads(source) <= model_fields.CLASS_BODY_NAMES
    for name in sorted(model_fields.CLASS_BODY_NAMES):
        schema = copy.deepcopy(EVERY_KIND)
        schema["properties"] = {
            name: {"description": "D.", "type": "string"},
            **EVERY_KIND["properties"],
        }
        nested = copy.deepcopy(NESTED_DEFS)
        nested["$defs"]["address"]["properties"][name] = {"description": "D.", "type": "string"}
        for folder, files in (
            (tmp_path / name / "top", {"every_kind.json": schema, "defs.json": NESTED_DEFS}),
            (tmp_path / name / "nested", {"every_kind.json": EVERY_KIND, "defs.json": nested}),
        ):
            error = _refusal(folder, files)
            assert error.rule == "field-name"
            assert f"would be the Python attribute {name}, a name the model's class body" in str(
                error
            )


def test_every_nested_object_has_a_declared_name_empty_ones_too() -> None:
    schema = copy.deepcopy(ORDER_PLACED)
    schema["properties"]["gift"] = {
        "description": "No options yet.",
        "type": "object",
        "additionalProperties": False,
    }
    assert list(bundle.nested_objects(schema, "OrderPlacedData")) == [
        ("OrderPlacedDataOrder", ("properties", "order")),
        ("OrderPlacedDataItemsItem", ("properties", "items", "items")),
        ("OrderPlacedDataGift", ("properties", "gift")),
    ]
    titled = bundle.titled(schema, "OrderPlacedData")
    assert titled["properties"]["gift"]["title"] == "OrderPlacedDataGift"
    assert titled["properties"]["items"]["items"]["title"] == "OrderPlacedDataItemsItem"
    assert "title" not in titled["properties"]["order"]["properties"]["shipTo"]  # a $ref's own
    assert schema == {
        **ORDER_PLACED,
        "properties": {**ORDER_PLACED["properties"], "gift": schema["properties"]["gift"]},
    }


def test_the_lenient_mode_skips_the_generators_rules_only(tmp_path: Path) -> None:
    opened = {"type": "object", "properties": {"x": {"type": "integer", "multipleOf": 3}}}
    folder = _write(tmp_path / "events", {"a.json": opened, "defs.json": {"$defs": {}}})
    with pytest.raises(CatalogueError) as caught:
        event_schemas.load([folder])
    assert caught.value.rule == "closed-object"
    loaded = event_schemas.load([folder], lenient=True)
    assert loaded.custom_types == ("a",)
    assert loaded.schema("events/a.json")["properties"] == opened["properties"]
    assert loaded.schema("events/a.json")["$id"] == "https://sluice-sse.dev/schemas/events/a.json"
    assert "events/defs.json" in loaded.schemas
    loaded.check_event_input({"type": "a", "data": {"x": 3, "y": "more"}})
    for files, rule in [
        ({"message.json": opened}, "no-redefinition"),
        ({"a.json": {**opened, "properties": {"x": {"$ref": "defs.json#/$defs/no"}}}}, "refs"),
        ({"a.json": {**opened, "$id": "https://x/a.json"}}, "refs"),
        ({"A.json": opened}, "type-name"),
        ({"a.json": "[1"}, "json"),
    ]:
        bad = _write(tmp_path / f"bad-{rule}-{len(files)}-{next(iter(files))}", files)
        with pytest.raises(CatalogueError) as caught:
            event_schemas.load([bad], lenient=True)
        assert caught.value.rule == rule


def test_a_type_in_two_directories_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path / "one", {"invoice_paid.json": ALONE})
    second = _write(tmp_path / "two", {"invoice_paid.json": ALONE})
    with pytest.raises(CatalogueError, match="defined twice") as caught:
        event_schemas.load([first, second])
    assert caught.value.rule == "no-redefinition"


@pytest.mark.parametrize("lenient", [False, True])
def test_a_missing_or_empty_directory_is_refused(tmp_path: Path, lenient: bool) -> None:
    with pytest.raises(CatalogueError, match="does not exist") as caught:
        event_schemas.load([tmp_path / "nowhere"], lenient=lenient)
    assert (caught.value.file, caught.value.rule) == (str(tmp_path / "nowhere"), "directory")
    (tmp_path / "a-file").write_text("{}")
    with pytest.raises(CatalogueError, match="not a directory"):
        event_schemas.load([tmp_path / "a-file"], lenient=lenient)
    for files in ({}, {"defs.json": DEFS}, {"sub/a.json": ALONE, "notes.txt": "x"}):
        folder = tmp_path / f"folder-{len(files)}"
        for name, body in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(body if isinstance(body, str) else json.dumps(body))
        folder.mkdir(exist_ok=True)
        with pytest.raises(CatalogueError, match="holds no event schemas") as caught:
            event_schemas.load([folder], lenient=lenient)
        assert (caught.value.file, caught.value.pointer, caught.value.rule) == (
            str(folder),
            "",
            "directory",
        )


def test_the_readme_lists_every_rule_and_the_generator_names_only_those() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Your own events", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE)
    assert listed == list(event_schemas.RULES)
    source = "".join(
        (Path(codegen.__file__).parent / name).read_text()
        for name in ("model_fields.py", "codegen.py")
    )
    assert set(re.findall(r'rule="([a-z-]+)"', source)) <= set(event_schemas.RULES)


def _with_code_pattern(regex: str) -> dict[str, Any]:
    code = {"description": "A code.", "type": "string", "pattern": regex}
    return {**ALONE, "properties": {**ALONE["properties"], "code": code}}


#: Regular expressions one of the engines cannot compile: jsonschema-rs (``a{,3}``, ``\Z``
#: are Python's, not ECMA-262's), Python's ``re`` (``\p{L}`` is ECMA-262's), or neither.
UNCOMPILABLE = ["[a-", "(a", "a{,3}", "\\Z", "^\\p{L}+$"]


@pytest.mark.parametrize("regex", UNCOMPILABLE)
@pytest.mark.parametrize("lenient", [False, True])
def test_a_pattern_an_engine_cannot_compile_is_refused(
    tmp_path: Path, regex: str, lenient: bool
) -> None:
    folder = _write(tmp_path / "events", {"invoice_paid.json": _with_code_pattern(regex)})
    with pytest.raises(CatalogueError) as caught:
        event_schemas.load([folder], lenient=lenient)
    error = caught.value
    assert (error.file, error.pointer, error.rule) == (
        str(folder / "invoice_paid.json"),
        "/properties/code/pattern",
        "pattern",
    )
    assert "\n" not in str(error) and repr(regex) in str(error)


@pytest.mark.parametrize(
    ("files", "file", "pointer"),
    [
        (
            {"defs.json": {"$defs": {"code": {"type": "string", "pattern": "[a-"}}}},
            "defs.json",
            "/$defs/code/pattern",
        ),
        (
            {"a.json": {"type": "object", "patternProperties": {"(a": {"type": "string"}}}},
            "a.json",
            "/patternProperties/(a",
        ),
        (
            {"a.json": {"type": "object", "propertyNames": {"pattern": "^\\p{L}+$"}}},
            "a.json",
            "/propertyNames/pattern",
        ),
        (
            {"a.json": {"type": "object", "not": {"anyOf": [{"pattern": "\\Z"}]}}},
            "a.json",
            "/not/anyOf/0/pattern",
        ),
    ],
)
def test_every_regex_of_a_catalogue_must_compile_even_when_lenient(
    tmp_path: Path, files: dict[str, Any], file: str, pointer: str
) -> None:
    folder = _write(tmp_path / "events", files)
    with pytest.raises(CatalogueError) as caught:
        event_schemas.load([folder], lenient=True)
    assert (caught.value.file, caught.value.pointer, caught.value.rule) == (
        str(folder / file),
        pointer,
        "pattern",
    )


def test_a_pattern_key_in_data_is_no_regex(tmp_path: Path) -> None:
    opened = {"type": "object", "const": {"pattern": "[a-"}, "default": {"pattern": "(a"}}
    folder = _write(tmp_path / "events", {"a.json": opened})
    assert event_schemas.load([folder], lenient=True).custom_types == ("a",)


def test_a_catalogue_whose_patterns_compile_everywhere_validates_and_exports(
    tmp_path: Path,
) -> None:
    folder = _write(tmp_path / "events", {"invoice_paid.json": _with_code_pattern("^[A-Z]{2}$")})
    loaded = event_schemas.load([folder])
    data = {"invoiceId": "i-1", "amount": 1}
    loaded.check_event_input({"type": "invoice_paid", "data": {**data, "code": "FR"}})
    bad = {"type": "invoice_paid", "data": {**data, "code": "fr"}}
    errors = loaded.validator("event-input.json").errors(bad)
    assert [e.pointer for e in errors] == ["/data/code"]
    path = tmp_path / codegen.EXPORT_MODULE
    path.write_text(codegen.generate_export(loaded))
    spec = importlib.util.spec_from_file_location("sluice_events_pattern", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ValueError, match="code"):
        module.InvoicePaidEvent(invoice_id="i-1", amount=1, code="fr")
