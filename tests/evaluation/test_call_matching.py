"""Comparing predicted calls with the logged ones: BFCL normalisation, strict IDs, free text by
meaning, and JSON Schema validity."""

from __future__ import annotations

from eval_tools import TOOLS, ratio

from slmconvert import evaluation as ev
from slmconvert.evaluation import Call


def route(query: str, user_id: str = "8864") -> Call:
    return Call("ToOrderStatusAssistant", {"query": query, "user_id": user_id})


def test_bfcl_normalisation_ignores_case_spacing_and_punctuation():
    assert ev.arguments_exact({"city": "San Francisco, CA"}, {"city": "san francisco ca"})
    assert ev.arguments_exact({"q": "it's"}, {"q": 'it"s'})
    assert not ev.arguments_exact({"city": "San Jose"}, {"city": "San Francisco"})


def test_bfcl_int_equals_float_but_not_bool_or_string():
    assert ev.arguments_exact({"limit": 5}, {"limit": 5.0})
    assert not ev.arguments_exact({"notify": 1}, {"notify": True})
    assert not ev.arguments_exact({"limit": "5"}, {"limit": 5})


def test_bfcl_lists_keep_order_and_dicts_compare_key_by_key():
    assert ev.arguments_exact({"ids": ["a", "b"]}, {"ids": ["A", "B"]})
    assert not ev.arguments_exact({"ids": ["b", "a"]}, {"ids": ["a", "b"]})
    assert ev.arguments_exact({"a": {"x": 1, "y": "Z"}}, {"a": {"y": "z", "x": 1.0}})
    assert not ev.arguments_exact({"a": 1}, {"a": 1, "b": 2})


def test_parallel_calls_match_in_any_order_but_not_in_another_count():
    one, two = Call("get_refund_status", {"order_id": "A-1"}), Call("f", {"x": 2})
    assert ev.calls_exact([one, two], [two, one])
    assert ev.names_match([one, two], [two, one])
    assert not ev.calls_exact([one], [one, one])
    assert not ev.names_match([one, one], [one, two])


def test_paraphrased_free_text_matches_by_meaning():
    ref = [route("Where is my order ORD-2025-024101? Still processing after 9 days")]
    pred = [route("where's my order ORD-2025-024101, still processing after nine days")]
    assert not ev.calls_exact(pred, ref)
    assert ev.call_match(pred, ref, TOOLS, ratio, threshold=0.8)
    unrelated = [route("Cancel my subscription ORD-2025-024101 please")]
    assert not ev.call_match(unrelated, ref, TOOLS, ratio, threshold=0.8)


def test_identifiers_are_strict_by_name_by_value_and_inside_free_text():
    ref = [route("Where is order ORD-2025-024101?", user_id="8864")]
    assert not ev.call_match([route("Where is order ORD-2025-024101?", "8865")], ref, TOOLS, ratio)
    # one digit off inside the question: the text is 98 % similar, still a different order
    other_order = [route("Where is order ORD-2025-024107?", "8864")]
    assert ratio(other_order[0].arguments["query"], ref[0].arguments["query"]) > 0.95
    assert not ev.call_match(other_order, ref, TOOLS, ratio, threshold=0.8)


def test_enums_numbers_and_booleans_are_strict():
    ref = [Call("track_shipment", {"tracking_number": "1Z999AA", "carrier": "UPS"})]
    assert ev.call_match(
        [Call("track_shipment", {"tracking_number": "1z999aa", "carrier": "ups"})],
        ref,
        TOOLS,
        ratio,
    )
    assert not ev.call_match(
        [Call("track_shipment", {"tracking_number": "1Z999AA", "carrier": "USPS"})],
        ref,
        TOOLS,
        ratio,
    )
    orders = [Call("get_customer_orders", {"customer_id": "C-1", "limit": 5})]
    assert not ev.call_match(
        [Call("get_customer_orders", {"customer_id": "C-1", "limit": 3})], orders, TOOLS, ratio
    )


def test_missing_extra_and_optional_arguments():
    ref = [Call("get_customer_orders", {"customer_id": "C-1", "limit": 5})]
    omits_optional = [Call("get_customer_orders", {"customer_id": "C-1"})]
    assert not ev.call_match(omits_optional, ref, TOOLS, ratio)

    plain = [Call("get_customer_orders", {"customer_id": "C-1"})]
    adds_optional = [Call("get_customer_orders", {"customer_id": "C-1", "limit": 10})]
    assert ev.call_match(adds_optional, plain, TOOLS, ratio)
    adds_unknown = [Call("get_customer_orders", {"customer_id": "C-1", "page": 2})]
    assert not ev.call_match(adds_unknown, plain, TOOLS, ratio)

    ship = [Call("track_shipment", {"carrier": "UPS"})]
    assert not ev.call_match(ship, ship, TOOLS, ratio)  # required tracking_number missing


def test_wrong_function_name_never_matches():
    ref = [Call("get_customer_orders", {"customer_id": "C-1"})]
    pred = [Call("get_order_status", {"customer_id": "C-1"})]
    assert not ev.call_match(pred, ref, TOOLS, ratio)


def test_parallel_calls_pair_up_one_to_one():
    a, b = route("refund for ORD-1 went to the wrong card"), route("refund for ORD-1 never came")
    assert ev.call_match([b, a], [a, b], TOOLS, ratio, threshold=0.95)
    assert not ev.call_match([a, a], [a, b], TOOLS, ratio, threshold=0.95)


def test_schema_validity():
    good = [Call("get_customer_orders", {"customer_id": "C-1", "limit": 5})]
    assert ev.schema_valid(good, TOOLS)
    assert not ev.schema_valid([Call("get_customer_orders", {"limit": 5})], TOOLS)
    assert not ev.schema_valid([Call("get_customer_orders", {"customer_id": 7})], TOOLS)
    bad_enum = [Call("track_shipment", {"tracking_number": "1Z", "carrier": "Royal Mail"})]
    assert not ev.schema_valid(bad_enum, TOOLS)
    assert not ev.schema_valid([Call("delete_everything", {})], TOOLS)
    assert ev.schema_valid(
        good + [Call("track_shipment", {"tracking_number": "1Z", "carrier": "DHL"})], TOOLS
    )
