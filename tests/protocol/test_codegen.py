"""The generated models: up to date with the schemas, shaped as the schemas say, loud on gaps."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from protocol import builtin, codegen, models
from protocol.codegen import CodegenError

EVENT_TYPES = builtin().event_types


def test_checked_in_models_are_what_the_generator_writes_now() -> None:
    assert codegen.MODELS.read_text(encoding="utf-8") == codegen.generate(), (
        "protocol/models.py is stale: run `nox -s codegen` (python -m protocol.codegen)"
    )


def test_checked_in_builders_are_what_the_generator_writes_now() -> None:
    assert codegen.BUILDERS.read_text(encoding="utf-8") == codegen.generate_builders(), (
        "protocol/builders.py is stale: run `nox -s codegen` (python -m protocol.codegen)"
    )


def test_one_builder_per_event_type_returning_its_model_stamped_now() -> None:
    from protocol.builders import EventBuilders

    for event_type, cls in models.EVENT_CLASSES.items():
        builder = getattr(EventBuilders, event_type)
        assert builder.__annotations__["return"] is cls
    built = EventBuilders.regeneration_progress(message_id="m", progress=40)
    assert isinstance(built, models.RegenerationProgressEvent)
    assert built.timestamp is not None
    assert EventBuilders.keepalive(timestamp="2026-01-31T12:00:00Z").timestamp == (
        "2026-01-31T12:00:00Z"
    )
    deleted = EventBuilders.message_deleted(deleted_message_ids=("a", "b"))
    assert deleted.deleted_message_ids == ["a", "b"]
    with pytest.raises(ValueError, match="progress"):
        EventBuilders.regeneration_progress(message_id="m", progress=101)


def test_the_module_says_it_is_generated_and_by_which_command() -> None:
    head = codegen.generate().split('"""')[1]
    assert "Generated" in head
    assert "python -m protocol.codegen" in head
    assert "nox -s codegen" in head


def test_one_frozen_slotted_keyword_only_class_per_event_type() -> None:
    assert list(models.EVENT_CLASSES) == list(EVENT_TYPES)
    for event_type, cls in models.EVENT_CLASSES.items():
        camel = "".join(part.capitalize() for part in event_type.split("_"))
        assert cls.__name__ == f"{camel}Event"
        assert event_type == cls.TYPE
        assert "__slots__" in vars(cls)
        assert all(a.kw_only for a in attrs.fields(cls))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            cls.__new__(cls).timestamp = "now"
    assert models.RegenerationProgressEvent.TYPE == "regeneration_progress"
    assert set(models.Event.__args__) == set(models.EVENT_CLASSES.values())


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_fields_mirror_the_schema(event_type: str) -> None:
    schema = codegen.self_contained(f"events/{event_type}.json")
    cls = models.EVENT_CLASSES[event_type]
    fields = attrs.fields(cls)
    assert [f.metadata["wire"] for f in fields] == list(schema["properties"])
    for field in fields:
        wire = field.metadata["wire"]
        assert re.fullmatch(r"[a-z][a-z0-9_]*", field.name)
        assert field.name.replace("_", "") == wire.lower()
        required = wire in schema["required"]
        assert (field.default is attrs.NOTHING) == required
        assert required or field.default is None


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_docstrings_carry_every_description(event_type: str) -> None:
    schema = codegen.self_contained(f"events/{event_type}.json")
    doc = " ".join((models.EVENT_CLASSES[event_type].__doc__ or "").split())
    assert " ".join(schema["description"].split()) in doc
    for wire, sub in schema["properties"].items():
        assert f"``{wire}``" in doc
        assert " ".join(sub["description"].split()) in doc


def test_types_come_from_the_schema() -> None:
    hints = {f.name: f.type for f in attrs.fields(models.RegenerationProgressEvent)}
    assert hints["message_id"] is str
    assert hints["progress"] is float
    assert hints["session_id"] == str | None
    fields = {f.name: f.type for f in attrs.fields(models.MessageDeletedEvent)}
    assert fields["deleted_message_ids"] == list[str]
    assert attrs.fields(models.StreamOverflowEvent).max_queue_size.type is int
    reason = attrs.fields(models.StreamResetEvent).reason.type
    assert reason.__args__ == ("history_exhausted", "unknown_epoch", "malformed_id", "foreign_id")


def test_self_contained_schemas_hold_no_ref() -> None:
    for name in builtin().schemas:
        assert "$ref" not in repr(codegen.self_contained(name)), name
    session = codegen.self_contained("events/connection.json")["properties"]["sessionId"]
    assert session["description"] == "Session the stream is subscribed to."  # the sibling wins
    assert session["pattern"] == builtin().schema("defs.json")["$defs"]["sessionId"]["pattern"]


def test_main_writes_the_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "models.py"
    builders = tmp_path / "builders.py"
    client = tmp_path / "client"
    client.mkdir()
    monkeypatch.setattr(codegen, "MODELS", target)
    monkeypatch.setattr(codegen, "BUILDERS", builders)
    monkeypatch.setattr(codegen, "CLIENT", client)
    assert codegen.main() == 0
    assert target.read_text(encoding="utf-8") == codegen.generate()
    assert builders.read_text(encoding="utf-8") == codegen.generate_builders()
    for path, source in codegen.client_files().items():
        assert path.parent == client
        assert path.read_text(encoding="utf-8") == source


def test_the_python_client_ships_what_the_generator_writes_now() -> None:
    for path, source in codegen.client_files().items():
        assert path.read_text(encoding="utf-8") == source, (
            f"{path.name} of clients/python is stale: run `nox -s codegen`"
        )


def _with_property(wire: str, schema: Any) -> Any:
    """``self_contained`` as if events/message.json had one more property."""
    original = codegen.self_contained

    def patched(name: str, *catalogue: Any) -> dict[str, Any]:
        body = original(name, *catalogue)
        if name == "events/message.json":
            body = {**body, "properties": {**body["properties"], wire: schema}}
        return body

    return patched


@pytest.mark.parametrize(
    ("schema", "complaint"),
    [
        ({"type": "integer", "multipleOf": 2, "description": "d"}, "multipleOf"),
        ({"type": "string", "const": "x", "description": "d"}, "const"),
        ({"type": "object", "description": "d"}, "only closed objects"),
        (
            {
                "type": "object",
                "properties": {"y": {"type": "string"}},
                "additionalProperties": False,
                "description": "d",
            },
            "extra/properties/y: a description is required",
        ),
        (
            {
                "type": "array",
                "items": {"type": "object", "additionalProperties": False},
                "uniqueItems": True,
                "description": "d",
            },
            "uniqueItems is supported for arrays of scalars only",
        ),
        ({"type": ["string", "null"], "description": "d"}, 'type ["string", "null"]'),
        ({"type": "string", "format": "uri", "description": "d"}, 'format "uri"'),
        ({"type": "string", "pattern": "^\\d+$", "description": "d"}, "\\d"),
        ({"type": "string", "pattern": "^a.b$", "description": "d"}, ". differs"),
        ({"type": "number", "enum": [1.5], "description": "d"}, "keyword(s) not supported"),
        ({"type": "array", "description": "d"}, "needs items"),
        ({"type": "string"}, "description is required"),
        ({"anyOf": [{"type": "string"}], "description": "d"}, "not supported: anyOf"),
    ],
)
def test_unsupported_schema_fails_loudly(
    schema: Any, complaint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codegen, "self_contained", _with_property("extra", schema))
    with pytest.raises(CodegenError, match=re.escape(complaint)) as caught:
        codegen.generate()
    assert "events/message.json/properties/extra" in str(caught.value)


def test_open_objects_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    original = codegen.self_contained

    def open_message(name: str, *catalogue: Any) -> dict[str, Any]:
        body = original(name, *catalogue)
        return {**body, "additionalProperties": True} if name == "events/message.json" else body

    monkeypatch.setattr(codegen, "self_contained", open_message)
    with pytest.raises(CodegenError, match="only closed objects"):
        codegen.generate()


def test_names_python_cannot_hold_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codegen, "self_contained", _with_property("class", {"type": "string"}))
    with pytest.raises(CodegenError, match="does not make a Python attribute name"):
        codegen.generate()


def test_main_reports_a_schema_it_cannot_model_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "models.py"
    monkeypatch.setattr(codegen, "MODELS", target)
    monkeypatch.setattr(codegen, "BUILDERS", tmp_path / "builders.py")
    monkeypatch.setattr(codegen, "self_contained", _with_property("x", {"type": "null"}))
    assert codegen.main() == 1
    assert (
        'events/message.json/properties/x: type "null" is not supported' in capsys.readouterr().err
    )
    assert not target.exists()


def test_keywords_no_schema_uses_yet_are_modelled_too(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {
        "level": {"type": "integer", "enum": [1, 2], "description": "An int enum."},
        "ratio": {"type": "number", "exclusiveMaximum": 1, "description": "Below one."},
        "flag": {"type": "boolean", "description": "A flag."},
        "tags": {
            "type": "array",
            "items": {"type": "string", "maxLength": 3},
            "maxItems": 2,
            "description": "At most two short tags.",
        },
    }
    original = codegen.self_contained

    def patched(name: str, *catalogue: Any) -> dict[str, Any]:
        body = original(name, *catalogue)
        if name == "events/message.json":
            body = {**body, "properties": {**body["properties"], **extra}}
        return body

    monkeypatch.setattr(codegen, "self_contained", patched)
    namespace: dict[str, Any] = {"__name__": "protocol._probe", "__package__": "protocol"}
    exec(compile(codegen.generate(), "<generated>", "exec"), namespace)
    message = namespace["MessageEvent"]
    ok = message(content="c", level=2, ratio=0.5, flag=False, tags=["a", "bcd"])
    assert (ok.level, ok.ratio, ok.flag, ok.tags) == (2, 0.5, False, ["a", "bcd"])
    for bad in [
        {"level": True},
        {"level": 3},
        {"ratio": 1},
        {"flag": 0},
        {"tags": ["a", "b", "c"]},
        {"tags": ["abcd"]},
    ]:
        with pytest.raises((TypeError, ValueError)):
            message(content="c", **bad)
