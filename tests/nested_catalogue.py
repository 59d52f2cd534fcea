"""A team catalogue with nested objects, shared by the tests of its rules, generators and
hub: ``order_placed.json`` (:data:`ORDER_PLACED`) and its ``defs.json`` (:data:`DEFS`)."""

from __future__ import annotations

from typing import Any

#: A type with nested objects: a field, the items of an array, and one by $ref, three deep.
ORDER_PLACED: dict[str, Any] = {
    "title": "Order placed",
    "description": "A customer placed an order.",
    "type": "object",
    "properties": {
        "order": {
            "description": "The order.",
            "type": "object",
            "properties": {
                "id": {"description": "Order id.", "type": "string", "minLength": 1},
                "total": {"description": "Total, in euros.", "type": "number", "minimum": 0},
                "shipTo": {"description": "Where it goes.", "$ref": "defs.json#/$defs/address"},
            },
            "required": ["id", "total"],
            "additionalProperties": False,
        },
        "items": {
            "description": "The order's lines.",
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"description": "The product.", "type": "string"},
                    "qty": {"description": "How many.", "type": "integer", "minimum": 1},
                },
                "required": ["sku", "qty"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["order", "items"],
    "additionalProperties": False,
}

#: Its definitions: an address whose ``geo`` nests one more object.
DEFS: dict[str, Any] = {
    "$defs": {
        "address": {
            "description": "A postal address.",
            "type": "object",
            "properties": {
                "city": {"description": "The city.", "type": "string", "minLength": 1},
                "geo": {
                    "description": "Where on the map.",
                    "type": "object",
                    "properties": {
                        "lat": {"description": "Latitude.", "type": "number"},
                        "lon": {"description": "Longitude.", "type": "number"},
                    },
                    "required": ["lat", "lon"],
                    "additionalProperties": False,
                },
            },
            "required": ["city"],
            "additionalProperties": False,
        }
    }
}
