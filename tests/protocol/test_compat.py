"""``protocol.compat``: one test per rule of what a catalogue change breaks, on plain dicts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from protocol import codegen, event_types
from protocol.compat import Change, Side, breaking, diff

NONE, CONSUMERS, PUBLISHERS, BOTH = Side.NONE, Side.CONSUMERS, Side.PUBLISHERS, Side.BOTH

ORDER: dict[str, Any] = {
    "title": "Order shipped",
    "description": "An order left the warehouse.",
    "type": "object",
    "properties": {
        "orderId": {"description": "The order.", "type": "string", "minLength": 1},
        "carrier": {"description": "Who carries it.", "type": "string", "enum": ["dhl", "ups"]},
        "weight": {"description": "Kilograms.", "type": "number", "minimum": 0, "maximum": 100},
        "parcels": {"description": "Parcel count.", "type": "integer"},
        "tags": {"description": "Labels.", "type": "array", "items": {"type": "string"}},
        "note": {"description": "Free text.", "type": "string"},
    },
    "required": ["orderId", "carrier"],
    "additionalProperties": False,
}


def order(**edits: Any) -> dict[str, Any]:
    """A copy of ORDER; ``edits`` maps a property (or ``_`` for the object) to keyword changes,
    where a value of None deletes the keyword."""
    schema = copy.deepcopy(ORDER)
    for name, keywords in edits.items():
        target = schema if name == "_" else schema["properties"].setdefault(name, {})
        for key, value in keywords.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    return schema


def changes(new: dict[str, Any], old: dict[str, Any] | None = None) -> list[tuple[str, str, Side]]:
    """``(pointer, description, breaks)`` of every change from ``old`` (ORDER) to ``new``."""
    found = diff({"order_shipped": old or ORDER}, {"order_shipped": new})
    assert all(change.event_type == "order_shipped" for change in found)
    return [(change.pointer, change.description, change.breaks) for change in found]


def without(name: str) -> dict[str, Any]:
    schema = copy.deepcopy(ORDER)
    del schema["properties"][name]
    schema["required"] = [n for n in schema["required"] if n != name]
    return schema


# -- types -------------------------------------------------------------------------------------


def test_a_removed_type_breaks_both_sides() -> None:
    found = diff({"order_shipped": ORDER, "ping": {"type": "object"}}, {"ping": {"type": "object"}})
    assert found == [Change("order_shipped", "", "type removed", BOTH)]


def test_a_renamed_type_breaks_both_sides_and_is_reported_once() -> None:
    renamed = {**ORDER, "title": "Order dispatched"}  # annotations aside, the same schema
    found = diff({"order_shipped": ORDER}, {"order_dispatched": renamed})
    assert found == [Change("order_shipped", "", "type renamed to order_dispatched", BOTH)]


def test_an_added_type_is_compatible() -> None:
    found = diff({"order_shipped": ORDER}, {"order_shipped": ORDER, "ping": {"type": "object"}})
    assert found == [Change("ping", "", "type added", NONE)]


# -- fields ------------------------------------------------------------------------------------


def test_a_removed_required_field_breaks_consumers_and_publishers_of_a_closed_object() -> None:
    assert changes(without("orderId")) == [("/properties/orderId", "required field removed", BOTH)]


def test_a_removed_required_field_of_an_open_object_breaks_consumers_only() -> None:
    opened = order(_={"additionalProperties": None})
    gone = without("orderId")
    del gone["additionalProperties"]
    assert changes(gone, old=opened) == [
        ("/properties/orderId", "required field removed", CONSUMERS)
    ]


def test_a_renamed_required_field_breaks_both_sides_and_is_reported_once() -> None:
    renamed = without("orderId")
    renamed["properties"]["orderNumber"] = {**ORDER["properties"]["orderId"], "title": "No."}
    renamed["required"].append("orderNumber")
    assert changes(renamed) == [
        ("/properties/orderId", "required field renamed to orderNumber", BOTH)
    ]


def test_a_removed_optional_field_breaks_publishers_of_a_closed_object() -> None:
    assert changes(without("note")) == [("/properties/note", "optional field removed", PUBLISHERS)]


def test_a_removed_optional_field_of_an_open_object_is_compatible() -> None:
    opened = order(_={"additionalProperties": None})
    gone = without("note")
    del gone["additionalProperties"]
    assert changes(gone, old=opened) == [("/properties/note", "optional field removed", NONE)]


def test_an_added_required_field_breaks_publishers() -> None:
    added = order(eta={"type": "string"}, _={"required": [*ORDER["required"], "eta"]})
    assert changes(added) == [("/properties/eta", "required field added", PUBLISHERS)]


def test_an_added_optional_field_is_compatible_for_both() -> None:
    assert changes(order(eta={"type": "string"})) == [
        ("/properties/eta", "optional field added", NONE)
    ]


def test_a_required_field_becoming_optional_breaks_consumers() -> None:
    assert changes(order(_={"required": ["orderId"]})) == [
        ("/properties/carrier", "required field becomes optional", CONSUMERS)
    ]


def test_an_optional_field_becoming_required_breaks_publishers() -> None:
    assert changes(order(_={"required": [*ORDER["required"], "note"]})) == [
        ("/properties/note", "optional field becomes required", PUBLISHERS)
    ]


def test_an_object_that_closes_breaks_publishers() -> None:
    opened = order(_={"additionalProperties": None})
    assert changes(ORDER, old=opened) == [("/additionalProperties", "object closes", PUBLISHERS)]


def test_an_object_that_opens_is_compatible() -> None:
    assert changes(order(_={"additionalProperties": True})) == [
        ("/additionalProperties", "object opens", NONE)
    ]


# -- a field's type ----------------------------------------------------------------------------


def test_a_type_that_widens_breaks_consumers() -> None:
    assert changes(order(parcels={"type": "number"})) == [
        ("/properties/parcels/type", "type widens (integer -> number)", CONSUMERS)
    ]


def test_a_type_that_narrows_breaks_publishers() -> None:
    assert changes(order(weight={"type": "integer"})) == [
        ("/properties/weight/type", "type narrows (number -> integer)", PUBLISHERS)
    ]


def test_a_type_that_changes_breaks_both_and_hides_what_no_longer_compares() -> None:
    # minLength means nothing for an integer: only the type change is reported
    assert changes(order(orderId={"type": "integer", "minLength": None})) == [
        ("/properties/orderId/type", "type changes (string -> integer)", BOTH)
    ]


# -- enums -------------------------------------------------------------------------------------


def test_an_enum_that_widens_breaks_consumers() -> None:
    assert changes(order(carrier={"enum": ["dhl", "ups", "fedex"]})) == [
        (
            "/properties/carrier/enum",
            'enum widens ("dhl", "ups" -> "dhl", "ups", "fedex")',
            CONSUMERS,
        )
    ]


def test_a_dropped_enum_widens_to_any_value_and_breaks_consumers() -> None:
    assert changes(order(carrier={"enum": None})) == [
        ("/properties/carrier/enum", 'enum widens ("dhl", "ups" -> any value)', CONSUMERS)
    ]


def test_an_enum_that_narrows_breaks_publishers() -> None:
    assert changes(order(carrier={"enum": ["dhl"]})) == [
        ("/properties/carrier/enum", 'enum narrows ("dhl", "ups" -> "dhl")', PUBLISHERS)
    ]


def test_an_enum_that_changes_breaks_both() -> None:
    assert changes(order(carrier={"enum": ["dhl", "gls"]})) == [
        ("/properties/carrier/enum", 'enum changes ("dhl", "ups" -> "dhl", "gls")', BOTH)
    ]


def test_a_const_is_an_enum_of_one() -> None:
    assert changes(order(carrier={"enum": None, "const": "dhl"})) == [
        ("/properties/carrier/enum", 'enum narrows ("dhl", "ups" -> "dhl")', PUBLISHERS)
    ]


# -- ranges ------------------------------------------------------------------------------------


def test_a_range_that_widens_breaks_consumers() -> None:
    assert changes(order(weight={"maximum": 1000})) == [
        ("/properties/weight/maximum", "range widens ([0, 100] -> [0, 1000])", CONSUMERS)
    ]


def test_a_range_that_narrows_breaks_publishers() -> None:
    assert changes(order(weight={"minimum": None, "exclusiveMinimum": 0})) == [
        ("/properties/weight/minimum", "range narrows ([0, 100] -> (0, 100])", PUBLISHERS)
    ]


def test_a_range_that_shifts_breaks_both() -> None:
    assert changes(order(weight={"minimum": 10, "maximum": 200})) == [
        ("/properties/weight/minimum", "range changes ([0, 100] -> [10, 200])", BOTH)
    ]


def test_lengths_and_item_counts_are_ranges_too() -> None:
    assert changes(order(orderId={"minLength": None}, tags={"maxItems": 5})) == [
        ("/properties/orderId/minLength", "range widens ([1, inf) -> [0, inf))", CONSUMERS),
        ("/properties/tags/maxItems", "range narrows ([0, inf) -> [0, 5])", PUBLISHERS),
    ]


def test_a_length_or_a_count_starts_at_zero_so_a_zero_minimum_changes_nothing() -> None:
    """``minLength: 0`` and ``minItems: 0`` allow what their absence allows: adding or dropping
    one is no change, not a narrowing that breaks publishers."""
    spelt_out = order(note={"minLength": 0}, tags={"minItems": 0})
    assert changes(spelt_out) == []
    assert changes(ORDER, old=spelt_out) == []


def test_an_integers_bounds_compare_as_the_whole_numbers_they_allow() -> None:
    """For an ``integer``, ``(0, 10)`` and ``[1, 9]`` are the same values; a number's are not."""
    exclusive = order(parcels={"exclusiveMinimum": 0, "exclusiveMaximum": 10})
    inclusive = order(parcels={"minimum": 1, "maximum": 9.5})
    assert changes(inclusive, old=exclusive) == []
    assert changes(order(parcels={"minimum": 2}), old=exclusive) == [
        ("/properties/parcels/minimum", "range changes ([1, 9] -> [2, inf))", BOTH)
    ]
    assert changes(order(weight={"minimum": None, "exclusiveMinimum": 0})) == [
        ("/properties/weight/minimum", "range narrows ([0, 100] -> (0, 100])", PUBLISHERS)
    ]


# -- pattern, format, uniqueItems, items -------------------------------------------------------


def test_an_added_pattern_or_format_narrows_and_breaks_publishers() -> None:
    assert changes(order(orderId={"pattern": "^[0-9]+$"}, note={"format": "email"})) == [
        ("/properties/orderId/pattern", 'pattern added ("^[0-9]+$")', PUBLISHERS),
        ("/properties/note/format", 'format added ("email")', PUBLISHERS),
    ]


def test_a_removed_pattern_widens_and_breaks_consumers() -> None:
    old = order(orderId={"pattern": "^[0-9]+$"})
    assert changes(ORDER, old=old) == [
        ("/properties/orderId/pattern", 'pattern removed ("^[0-9]+$")', CONSUMERS)
    ]


def test_a_changed_pattern_breaks_both() -> None:
    old = order(orderId={"pattern": "^[0-9]+$"})
    assert changes(order(orderId={"pattern": "^[a-z]+$"}), old=old) == [
        ("/properties/orderId/pattern", 'pattern changed ("^[0-9]+$" -> "^[a-z]+$")', BOTH)
    ]


def test_unique_items_added_breaks_publishers() -> None:
    assert changes(order(tags={"uniqueItems": True})) == [
        ("/properties/tags/uniqueItems", "uniqueItems added (true)", PUBLISHERS)
    ]


def test_the_items_of_an_array_are_compared_like_fields() -> None:
    widened = order(tags={"items": {"type": "string", "enum": ["a"]}})
    assert changes(ORDER, old=widened) == [
        ("/properties/tags/items/enum", 'enum widens ("a" -> any value)', CONSUMERS)
    ]


def test_nested_objects_are_compared_like_the_data_object() -> None:
    box = {"type": "object", "properties": {"w": {"type": "number"}}, "required": ["w"]}
    loose = {**box, "required": []}
    assert changes(order(box=loose), old=order(box=box)) == [
        ("/properties/box/properties/w", "required field becomes optional", CONSUMERS)
    ]


def test_a_keyword_the_rules_do_not_know_breaks_both_as_not_classified() -> None:
    assert changes(order(parcels={"multipleOf": 2})) == [
        ("/properties/parcels/multipleOf", "multipleOf changed (not classified)", BOTH)
    ]


# -- what is not a change ----------------------------------------------------------------------


def test_annotations_change_nothing() -> None:
    assert changes(order(note={"description": "Other words.", "examples": ["x"]})) == []


def test_the_built_in_catalogue_against_itself_has_no_change() -> None:
    catalogue = {t: codegen.self_contained(f"events/{t}.json") for t in event_types()}
    assert diff(catalogue, copy.deepcopy(catalogue)) == []


# -- reporting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (Change("a", "", "type added", NONE), "a: type added (compatible)"),
        (Change("a", "/x", "gone", CONSUMERS), "a#/x: gone (breaks consumers)"),
        (Change("a", "/x", "gone", PUBLISHERS), "a#/x: gone (breaks publishers)"),
        (
            Change("a", "", "type removed", BOTH),
            "a: type removed (breaks consumers and publishers)",
        ),
    ],
)
def test_a_change_reads_as_where_what_and_whom_it_breaks(change: Change, text: str) -> None:
    assert str(change) == text


def test_breaking_is_the_union_of_the_sides_broken() -> None:
    assert breaking([]) == NONE
    assert breaking(diff({"a": ORDER}, {"a": without("note")})) == PUBLISHERS
    assert breaking(diff({"a": ORDER}, {"b": {"type": "object"}})) == BOTH
