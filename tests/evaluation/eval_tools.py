"""Tools and a similarity function the evaluation tests share."""

from __future__ import annotations

import difflib

from slmconvert.core.records import tool

TOOLS = [
    tool(
        "ToOrderStatusAssistant",
        "Route an order question.",
        {
            "type": "object",
            "properties": {"query": {"type": "string"}, "user_id": {"type": "string"}},
            "required": ["query", "user_id"],
        },
    ),
    tool(
        "track_shipment",
        None,
        {
            "type": "object",
            "properties": {
                "carrier": {"enum": ["UPS", "FedEx", "USPS", "DHL"], "type": "string"},
                "tracking_number": {"type": "string"},
                "notify": {"type": "boolean"},
            },
            "required": ["tracking_number", "carrier"],
        },
    ),
    tool(
        "get_customer_orders",
        None,
        {
            "type": "object",
            "properties": {"customer_id": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["customer_id"],
        },
    ),
]


def ratio(a: str, b: str) -> float:
    """A real, simple meaning stand-in: difflib's character similarity of lower-cased texts."""
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()
